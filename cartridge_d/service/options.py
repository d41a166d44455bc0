"""
Command-line and configuration-file options of C{twistd cartridge-s3}.

Every option can also be set in the INI file named by C{--config} (section
C{[cartridge-s3]}, the same names without the dashes); the command line
wins. The result of parsing is one frozen L{Settings}, so the rest of the
service never looks at raw strings.

Secrets are never options: credentials come from a file (C{--credentials})
because C{ps} shows every process's argv.
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass
from typing import Any

from twisted.python import usage

from cartridge_d.engine.types import Fuses

DEFAULT_LISTEN = "tcp:9000:interface=127.0.0.1"
CONFIG_SECTION = "cartridge-s3"

_FUSE_NAMES = {
    "s3-versioning": ("none", "snapshot-backed"),
    "s3-acl": ("ignore", "record", "enforce"),
    "s3-sse": ("ignore", "record", "transparent"),
}

_SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


@dataclass(frozen=True)
class Settings:
    """
    Validated settings of one server.

    @ivar max_size: the largest the cartridge file may grow, in bytes, or
        None for no limit but the disk.
    @ivar credentials: the credentials file, or None to use (and on first
        start generate) C{<cartridge>.credentials}.
    @ivar multipart_expiry: seconds after which an unfinished multipart
        upload is aborted.
    """

    cartridge: str
    blocks: int
    block_size: int
    max_size: int | None
    listen: tuple[str, ...]
    credentials: str | None
    region: str
    domain: str | None
    threads: int
    fuses: Fuses
    config: str | None = None
    multipart_expiry: float = 7 * 86400.0


def parse_size(text: str) -> int:
    """
    Parse a size such as C{"100G"}, C{"512M"}, C{"4096"} (binary units).

    @raise ValueError: for anything else.
    """
    match = re.fullmatch(r"\s*(\d+)\s*([KMGT]?)(i?B)?\s*", text, re.IGNORECASE)
    if match is None:
        raise ValueError(f"not a size: {text!r} (use e.g. 4096, 512M, 100G)")
    return int(match.group(1)) * _SIZE_UNITS[match.group(2).upper()]


_DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> float:
    """
    Parse a duration such as C{"7d"}, C{"12h"}, C{"30m"}, C{"3600s"} or
    C{"3600"} (seconds) into seconds.

    @raise ValueError: for anything else, or a duration of zero.
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", text, re.IGNORECASE)
    if match is None or float(match.group(1)) <= 0:
        raise ValueError(f"not a duration: {text!r} (use e.g. 7d, 12h, 30m, 3600s)")
    return float(match.group(1)) * _DURATION_UNITS[match.group(2).lower()]


def parse_fuse(option: str, text: str) -> int:
    """
    Turn a fuse option's word into its header byte value.
    """
    choices = _FUSE_NAMES[option]
    if text not in choices:
        raise ValueError(f"--{option} must be one of {', '.join(choices)}, not {text!r}")
    return choices.index(text)


class Options(usage.Options):
    """
    Options of C{twistd cartridge-s3}; see conf/cartridge-s3.conf for the
    same settings in a file.
    """

    synopsis = "[options]"
    longdesc = (
        "Serve the S3 API from one cartridge file. Every option can also be "
        "set in the --config file; the command line wins."
    )

    optParameters = [
        ["config", "c", None, "INI file with the settings below (section [cartridge-s3])."],
        ["cartridge", None, "./cartridge-s3.cart",
         "The cartridge file; created if missing, never truncated if present."],
        ["blocks", None, "4096", "Initial size in blocks when creating a cartridge."],
        ["block-size", None, "4096", "Block size in bytes when creating (4096-65536, a power of 2)."],
        ["max-size", None, None,
         "Largest size the cartridge may grow to, e.g. 100G (default: no limit)."],
        ["credentials", None, None,
         "File of 'ACCESS_KEY SECRET_KEY [display-name]' lines (default: <cartridge>.credentials, "
         "generated on first start)."],
        ["region", None, "us-east-1", "The region this server reports and signs for."],
        ["domain", None, None,
         "Base domain for virtual-host addressing (bucket.DOMAIN); path style always works."],
        # A PUT's commit holds its thread until the group commit's sync:
        # the pool size caps how many writes share one sync, so it is
        # well above the number of cores (idle threads cost nothing).
        ["threads", None, "32", "Size of the thread pool doing disk I/O and hashing."],
        ["multipart-expiry", None, "7d",
         "Abort multipart uploads left unfinished this long, e.g. 7d, 12h, 3600s."],
        ["s3-versioning", None, "none",
         "Versioning fuse when creating: none | snapshot-backed."],
        ["s3-acl", None, "ignore", "ACL fuse when creating: ignore | record | enforce."],
        ["s3-sse", None, "ignore", "SSE fuse when creating: ignore | record | transparent."],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["listen"] = []
        self._given: set[str] = set()
        self._parsing = False
        self.settings: Settings | None = None

    def __setitem__(self, key: str, value: Any) -> None:
        # usage.Options stores parsed values with self.opts[key] = value; noting
        # which keys the command line set lets the config file fill only the rest.
        if getattr(self, "_parsing", False):
            self._given.add(key)
        super().__setitem__(key, value)

    def opt_listen(self, endpoint: str) -> None:
        """Twisted endpoint to listen on, repeatable [default: tcp:9000:interface=127.0.0.1]."""
        self["listen"].append(endpoint)

    def parseOptions(self, options: Any = None) -> None:
        self._parsing = True
        try:
            super().parseOptions(options)
        finally:
            self._parsing = False

    def postOptions(self) -> None:
        """
        Merge the config file under the command line and validate the lot.
        """
        values = {k: v for k, v in self.items() if k not in ("listen",)}
        listen = list(self["listen"])
        if self["config"] is not None:
            from_file = read_config(self["config"])
            for key, value in from_file.items():
                if key == "listen":
                    if not listen:
                        listen = [v.strip() for v in re.split(r"[\n,]", value) if v.strip()]
                elif key not in self._given:
                    values[key] = value
        try:
            self.settings = make_settings(values, listen)
        except ValueError as e:
            raise usage.UsageError(str(e))


def read_config(path: str) -> dict[str, str]:
    """
    Read the C{[cartridge-s3]} section of an INI file.

    @raise usage.UsageError: if the file is missing, unreadable, or names
        an option that does not exist (a typo should not pass silently).
    """
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(path, encoding="utf-8") as f:
            parser.read_file(f)
    except (OSError, configparser.Error) as e:
        raise usage.UsageError(f"cannot read config file {path}: {e}")
    if not parser.has_section(CONFIG_SECTION):
        return {}
    known = {p[0] for p in Options.optParameters} | {"listen"}
    values = dict(parser.items(CONFIG_SECTION))
    unknown = sorted(set(values) - known)
    if unknown:
        raise usage.UsageError(f"{path}: unknown setting(s): {', '.join(unknown)}")
    return values


def make_settings(values: dict[str, Any], listen: list[str]) -> Settings:
    """
    Validate merged option values into L{Settings}.

    @raise ValueError: with a message fit for the user.
    """
    blocks = _positive_int("blocks", values["blocks"])
    block_size = _positive_int("block-size", values["block-size"])
    if block_size < 4096 or block_size > 65536 or block_size & (block_size - 1):
        raise ValueError("--block-size must be a power of two from 4096 to 65536")
    max_size = parse_size(values["max-size"]) if values.get("max-size") else None
    return Settings(
        cartridge=values["cartridge"],
        blocks=blocks,
        block_size=block_size,
        max_size=max_size,
        listen=tuple(listen) or (DEFAULT_LISTEN,),
        credentials=values.get("credentials") or None,
        region=values["region"],
        domain=values.get("domain") or None,
        threads=_positive_int("threads", values["threads"]),
        fuses=Fuses(
            versioning=parse_fuse("s3-versioning", values["s3-versioning"]),
            acl=parse_fuse("s3-acl", values["s3-acl"]),
            sse=parse_fuse("s3-sse", values["s3-sse"]),
        ),
        config=values.get("config"),
        multipart_expiry=_duration("multipart-expiry", values.get("multipart-expiry") or "7d"),
    )


def _duration(name: str, text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as e:
        raise ValueError(f"--{name}: {e}")


def _positive_int(name: str, text: Any) -> int:
    try:
        number = int(text)
    except (TypeError, ValueError):
        raise ValueError(f"--{name} must be a whole number, not {text!r}")
    if number <= 0:
        raise ValueError(f"--{name} must be positive")
    return number
