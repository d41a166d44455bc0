"""
The `cartridge` command as an operator uses it on a stopped server's file.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from cartridge_d.cli.main import main
from cartridge_d.engine.constants import VERSION_MAJOR, VERSION_MINOR


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = str(tmp_path / "c.cart")
    code, out, _ = run(capsys, "create", path, "--blocks", "64", "--s3-acl", "record")
    assert code == 0 and "created" in out
    return path


def test_create_refuses_to_overwrite(cart: str, capsys: pytest.CaptureFixture[str]) -> None:
    """
    `cartridge create` on an existing path fails and leaves the file alone.
    """
    before = Path(cart).read_bytes()
    code, _, err = run(capsys, "create", cart)
    assert code == 2 and "already exists" in err
    assert Path(cart).read_bytes() == before


def test_put_cat_ls_rm_round_trip(cart: str, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    """
    A file put into a cartridge lists with its size and MD5 ETag, cats back
    byte for byte, and is gone after rm.
    """
    import hashlib

    data = os.urandom(300_000)
    src = tmp_path / "in.bin"
    src.write_bytes(data)
    code, out, err = run(capsys, "put", cart, "photos/2026/in.bin", str(src), "--owner", "alice")
    assert code == 0, err
    assert hashlib.md5(data).hexdigest() in out
    code, out, _ = run(capsys, "ls", cart)
    assert code == 0 and "photos" in out
    code, out, _ = run(capsys, "ls", cart, "photos/2026/")
    assert "300000" in out and "2026/in.bin" in out and hashlib.md5(data).hexdigest() in out
    code, out, _ = run(capsys, "rm", cart, "photos/2026/in.bin")
    assert code == 0
    code, _, err = run(capsys, "cat", cart, "photos/2026/in.bin")
    assert code == 2 and "no such key" in err


def test_cat_writes_exact_bytes(tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    """
    `cartridge cat` writes the object's bytes and nothing else.
    """
    cart = str(tmp_path / "c.cart")
    assert main(["create", cart]) == 0
    data = os.urandom(2_500_000)
    src = tmp_path / "in.bin"
    src.write_bytes(data)
    assert main(["put", cart, "b/k", str(src), "--owner", "alice"]) == 0
    capfdbinary.readouterr()
    assert main(["cat", cart, "b/k"]) == 0
    out, _ = capfdbinary.readouterr()
    assert out == data


def test_info_shows_header_fuses_and_counts(cart: str, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """
    `cartridge info` shows the format version, fuses, sizes and counts.
    """
    src = tmp_path / "x"
    src.write_bytes(b"x")
    main(["put", cart, "b1/x", str(src), "--owner", "alice"])
    main(["put", cart, "b2/y", str(src), "--owner", "alice"])
    capsys.readouterr()
    code, out, _ = run(capsys, "info", cart)
    assert code == 0
    assert "%d.%d" % (VERSION_MAJOR, VERSION_MINOR) in out
    assert "acl=record" in out and "versioning=none" in out
    assert "buckets" in out and "objects" in out
    lines = dict(line.split(None, 1) for line in out.splitlines() if line.startswith(("buckets", "objects")))
    assert lines["buckets"].strip() == "2"
    assert lines["objects"].strip() == "2"


def test_fsck_clean_and_damaged(cart: str, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    """
    fsck exits 0 on a clean cartridge and 1, with a report, when a data
    chunk has been damaged on disk.
    """
    data = os.urandom(200_000)
    src = tmp_path / "in.bin"
    src.write_bytes(data)
    main(["put", cart, "b/k", str(src), "--owner", "alice"])
    capsys.readouterr()
    code, out, _ = run(capsys, "fsck", cart, "--data")
    assert code == 0, out
    assert "clean" in out
    raw = bytearray(Path(cart).read_bytes())
    at = raw.find(data[100_000:100_064])
    assert at > 0
    raw[at] ^= 0xFF
    Path(cart).write_bytes(bytes(raw))
    code, out, _ = run(capsys, "fsck", cart, "--data")
    assert code == 1
    assert "DAMAGED" in out


@pytest.mark.parametrize("content,message", [
    (b"just some text file\n" * 300, "not a cartridge"),
    (b"CART\x00\x01\x00\x00" + struct.pack("<HH", 1, 0) + bytes(8192), "format 1.0"),
    (b"CART\x00\x01\x00\x00" + struct.pack("<HH", 3, 0) + bytes(8192), "format 3.0"),
])
def test_foreign_files_get_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          content: bytes, message: str) -> None:
    """
    A file that is not a cartridge, a version-1.0 file of the Rust original
    and a newer version are refused with one line (exit 2) and not modified.
    """
    path = tmp_path / "other.cart"
    path.write_bytes(content)
    for command in (["info", str(path)], ["ls", str(path)], ["fsck", str(path)]):
        code, out, err = run(capsys, *command)
        assert code in (1, 2)
        text = (out + err).lower()
        assert message in text, text
        assert "traceback" not in text
    assert path.read_bytes() == content


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """
    Commands on a missing path say so, and never create a cartridge.
    """
    path = tmp_path / "nope.cart"
    code, _, err = run(capsys, "info", str(path))
    assert code == 2 and "no such file" in err
    assert not path.exists()


def test_snapshots_and_export(cart: str, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    """
    A snapshot keeps the state it was taken at: after a delete, the exported
    snapshot still holds the object, byte for byte.
    """
    src = tmp_path / "in.bin"
    src.write_bytes(b"snapshotted" * 1000)
    main(["put", cart, "b/k", str(src), "--owner", "alice"])
    code, out, err = run(capsys, "snapshot", cart, "create", "before")
    assert code == 0, err
    main(["rm", cart, "b/k"])
    code, out, _ = run(capsys, "snapshot", cart, "list")
    assert "before" in out
    exported = str(tmp_path / "exported.cart")
    code, out, err = run(capsys, "snapshot", cart, "export", "before", exported)
    assert code == 0, err
    code, out, _ = run(capsys, "ls", exported, "b/")
    assert "k" in out.split()
    code, out, _ = run(capsys, "fsck", exported)
    assert code == 0, out
    code, out, _ = run(capsys, "snapshot", cart, "delete", "before")
    assert code == 0
    code, out, _ = run(capsys, "snapshot", cart, "list")
    assert "before" not in out


def test_vacuum_gives_space_back(cart: str, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    """
    After big objects are deleted, vacuum shrinks the file, and what is left
    is intact.
    """
    big = tmp_path / "big"
    big.write_bytes(os.urandom(8 << 20))
    small = tmp_path / "small"
    small.write_bytes(b"stay")
    main(["put", cart, "b/small", str(small), "--owner", "alice"])
    main(["put", cart, "b/big", str(big), "--owner", "alice"])
    main(["rm", cart, "b/big"])
    before = os.path.getsize(cart)
    code, out, err = run(capsys, "vacuum", cart)
    assert code == 0, err
    assert os.path.getsize(cart) < before
    code, out, _ = run(capsys, "fsck", cart)
    assert code == 0, out


def test_progress_bar_draws_only_on_a_terminal() -> None:
    """
    The progress bar draws a percentage on a terminal and writes nothing to
    a pipe or file, so scripts get clean output.
    """
    import io

    from cartridge_d.cli.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Terminal()
    with Progress("checking", tty) as p:
        p.update(50, 100)
        p.update(100, 100)
    assert "checking [" in tty.getvalue() and "100%" in tty.getvalue()
    pipe = io.StringIO()
    with Progress("checking", pipe) as p:
        p.update(100, 100)
    assert pipe.getvalue() == ""


def test_21_cartridge_is_served_and_upgraded(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """
    A cartridge written by a format 2.1 build (tests/engine/fixture21.cart.gz)
    shows format 2.1 in `cartridge info`, passes `fsck --data`, lists and
    cats its objects; after a `put` of a body of several chunks it shows
    the current format and still passes `fsck --data`.
    """
    import gzip

    path = tmp_path / "old.cart"
    fixture = Path(__file__).resolve().parents[1] / "engine" / "fixture21.cart.gz"
    path.write_bytes(gzip.decompress(fixture.read_bytes()))
    code, out, _ = run(capsys, "info", str(path))
    assert code == 0 and "2.1" in out
    code, out, _ = run(capsys, "fsck", str(path), "--data")
    assert code == 0 and "clean" in out, out
    code, out, _ = run(capsys, "ls", str(path), "b/")
    assert code == 0 and "big" in out and "307200" in out
    src = tmp_path / "in.bin"
    src.write_bytes(os.urandom(200_000))
    code, _, err = run(capsys, "put", str(path), "b/new", str(src), "--owner", "alice")
    assert code == 0, err
    code, out, _ = run(capsys, "info", str(path))
    assert "%d.%d" % (VERSION_MAJOR, VERSION_MINOR) in out
    code, out, _ = run(capsys, "fsck", str(path), "--data")
    assert code == 0 and "clean" in out, out
