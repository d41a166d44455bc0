"""
Tests for the command-line and config-file contract of C{twistd cartridge-s3}.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from twisted.python import usage

from cartridge_d.engine.types import Fuses
from cartridge_d.service.options import DEFAULT_LISTEN, Options, Settings, parse_size


def parse(*argv: str) -> Settings:
    options = Options()
    options.parseOptions(list(argv))
    assert options.settings is not None
    return options.settings


def test_defaults() -> None:
    """
    With no options the server uses ./cartridge-s3.cart on 127.0.0.1:9000 in
    us-east-1 with every fuse off and no size limit.
    """
    s = parse()
    assert s.cartridge == "./cartridge-s3.cart"
    assert s.listen == (DEFAULT_LISTEN,)
    assert DEFAULT_LISTEN == "tcp:9000:interface=127.0.0.1"
    assert s.region == "us-east-1"
    assert s.fuses == Fuses(0, 0, 0)
    assert s.max_size is None
    assert s.credentials is None
    assert s.domain is None


def test_listen_is_repeatable() -> None:
    """
    Each --listen adds an endpoint; the default is replaced, not kept.
    """
    s = parse("--listen", "tcp:9001:interface=127.0.0.1", "--listen", "tcp:9002")
    assert s.listen == ("tcp:9001:interface=127.0.0.1", "tcp:9002")


def test_fuses_and_sizes() -> None:
    """
    Fuse words map to their header byte values and sizes accept binary units.
    """
    s = parse("--s3-versioning", "snapshot-backed", "--s3-acl", "enforce",
              "--s3-sse", "transparent", "--max-size", "100G", "--block-size", "65536")
    assert s.fuses == Fuses(versioning=1, acl=2, sse=2)
    assert s.max_size == 100 << 30
    assert s.block_size == 65536
    assert parse_size("512M") == 512 << 20
    assert parse_size("4096") == 4096


@pytest.mark.parametrize(
    "argv",
    [
        ("--s3-acl", "sometimes"),
        ("--block-size", "1000"),
        ("--block-size", "131072"),
        ("--blocks", "-3"),
        ("--threads", "many"),
        ("--max-size", "lots"),
    ],
)
def test_bad_values_are_usage_errors(argv: tuple[str, ...]) -> None:
    """
    A bad value stops twistd with a usage error naming the option, instead of
    starting a server with a surprising setting.
    """
    with pytest.raises(usage.UsageError):
        parse(*argv)


def test_config_file_and_command_line_precedence(tmp_path: Path) -> None:
    """
    Settings come from the config file unless the command line gives them.
    """
    conf = tmp_path / "c.conf"
    conf.write_text(
        "[cartridge-s3]\n"
        "cartridge = /srv/data.cart\n"
        "region = eu-west-1\n"
        "listen = tcp:9100:interface=127.0.0.1, tcp:9101:interface=127.0.0.1\n"
        "s3-sse = record\n"
        "threads = 3\n"
    )
    s = parse("--config", str(conf), "--region", "us-west-2")
    assert s.cartridge == "/srv/data.cart"
    assert s.region == "us-west-2"
    assert s.listen == ("tcp:9100:interface=127.0.0.1", "tcp:9101:interface=127.0.0.1")
    assert s.fuses.sse == 1
    assert s.threads == 3
    s = parse("--config", str(conf), "--listen", "tcp:9200")
    assert s.listen == ("tcp:9200",)


def test_config_file_typo_is_an_error(tmp_path: Path) -> None:
    """
    A misspelt key in the config file is reported, not silently ignored.
    """
    conf = tmp_path / "c.conf"
    conf.write_text("[cartridge-s3]\ncartrige = /x.cart\n")
    with pytest.raises(usage.UsageError, match="cartrige"):
        parse("--config", str(conf))


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    """
    Naming a config file that does not exist is an error.
    """
    with pytest.raises(usage.UsageError):
        parse("--config", str(tmp_path / "nope.conf"))


def test_shipped_config_file_parses() -> None:
    """
    conf/cartridge-s3.conf, installed as the Debian conffile, is valid.
    """
    conf = Path(__file__).resolve().parents[2] / "conf" / "cartridge-s3.conf"
    s = parse("--config", str(conf))
    assert s.cartridge == "/var/lib/cartridge-s3/cartridge-s3.cart"
    assert s.listen == (DEFAULT_LISTEN,)


def test_help_lists_every_option_with_default() -> None:
    """
    --help names every option and shows its default.
    """
    text = str(Options())
    for name in ("--config", "--cartridge", "--blocks", "--block-size", "--max-size",
                 "--listen", "--credentials", "--region", "--domain", "--threads",
                 "--s3-versioning", "--s3-acl", "--s3-sse"):
        assert name in text
    assert "./cartridge-s3.cart" in text
    assert "us-east-1" in text
