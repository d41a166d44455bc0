"""
rclone (as a configured remote) against the real daemon: mkdir, copy a tree,
lsl, check, sync with deletes, cat with offset, delete, rmdir.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from harness import Daemon, require_tool, tree


@pytest.fixture(scope="module")
def rclone(daemon: Daemon, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    exe = require_tool("rclone")
    home = tmp_path_factory.mktemp("rclone")
    conf = home / "rclone.conf"
    conf.write_text(
        "[cart]\ntype = s3\nprovider = Other\n"
        f"access_key_id = {daemon.keys.access_key}\n"
        f"secret_access_key = {daemon.keys.secret_key}\n"
        f"endpoint = {daemon.endpoint}\nregion = us-east-1\n")
    env = dict(os.environ, RCLONE_CONFIG=str(conf), HOME=str(home))
    env.pop("AWS_CA_BUNDLE", None)  # rclone 1.60 refuses to start with it

    def run(*args: str) -> bytes:
        r = subprocess.run([exe, "--retries", "1", "--low-level-retries", "1", *args], env=env,
                           capture_output=True, timeout=300)
        assert r.returncode == 0, f"rclone {' '.join(args)}:\n{r.stdout!r}\n{r.stderr.decode()}"
        return r.stdout

    return run


def test_rclone_workflow(rclone, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """
    A tree copied with rclone checks equal, lists with sizes, syncs deletions,
    reads a slice with cat --offset/--count, and is deleted again.
    """
    src = tmp_path / "src"
    files = {"a.txt": b"alpha\n", "sub/b.bin": os.urandom(300_000),
             "sub/deeper/c d+e.txt": b"spaces and plus", "ünï.txt": b"unicode"}
    for name, data in files.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(data)
    rclone("mkdir", "cart:rclone")
    rclone("copy", str(src), "cart:rclone/tree")
    lsl = rclone("lsl", "cart:rclone/tree").decode()
    assert "300000" in lsl and "sub/deeper/c d+e.txt" in lsl
    rclone("check", str(src), "cart:rclone/tree")
    (src / "a.txt").unlink()
    (src / "new.txt").write_bytes(b"new")
    rclone("sync", str(src), "cart:rclone/tree")
    back = tmp_path / "back"
    rclone("copy", "cart:rclone/tree", str(back))
    assert tree(back) == tree(src)
    piece = rclone("cat", "--offset", "1000", "--count", "500", "cart:rclone/tree/sub/b.bin")
    assert piece == files["sub/b.bin"][1000:1500]
    rclone("delete", "cart:rclone/tree")
    assert rclone("lsf", "-R", "cart:rclone").strip() == b""
    rclone("rmdir", "cart:rclone")
    assert b"rclone" not in rclone("lsd", "cart:")
