"""
The C{cartridge} command: inspect and maintain a cartridge file offline.

Each sub-command is a small function in L{cartridge_d.cli.commands}; this
module only parses the command line and turns the engine's errors into one
clear line and an exit status (0 success, 1 damage found by fsck, 2 usage or
file errors), so that scripts can tell the cases apart.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from cartridge_d import __version__
from cartridge_d.cli import commands
from cartridge_d.engine.errors import EngineError

FUSE_CHOICES = {
    "s3-versioning": ["none", "snapshot-backed"],
    "s3-acl": ["ignore", "record", "enforce"],
    "s3-sse": ["ignore", "record", "transparent"],
}


def build_parser() -> argparse.ArgumentParser:
    """
    The argument parser for every sub-command.
    """
    parser = argparse.ArgumentParser(
        prog="cartridge",
        description="Inspect and maintain a cartridge-s3 cartridge file. Stop the server "
        "before changing its cartridge (put, rm, vacuum, snapshot create/delete).",
    )
    parser.add_argument("--version", action="version", version=__version__.public())
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func: Callable[[argparse.Namespace], int], help_text: str,
                *targets: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("path", help="the cartridge file")
        for target in targets:
            p.add_argument("target", metavar=target)
        p.set_defaults(func=func)
        return p

    p = command("create", commands.create, "make a new cartridge")
    p.add_argument("--blocks", type=int, default=4096, help="initial size in blocks")
    p.add_argument("--block-size", type=int, default=4096, help="bytes per block")
    for fuse, choices in FUSE_CHOICES.items():
        p.add_argument(f"--{fuse}", choices=choices, default=choices[0])
    command("info", commands.info, "header, fuses, sizes, counts, free space, uploads")
    p = command("ls", commands.ls, "list buckets, or the objects of BUCKET[/PREFIX]")
    p.add_argument("target", nargs="?", default="", metavar="BUCKET[/PREFIX]")
    command("cat", commands.cat, "write an object to standard output", "BUCKET/KEY")
    p = command("put", commands.put, "store a file as an object (creating the bucket if needed)",
                "BUCKET/KEY")
    p.add_argument("file", help="the file to store; - for standard input")
    p.add_argument("--content-type", default="binary/octet-stream")
    p.add_argument("--owner", default=None,
                   help="owner of a bucket created by this command (default: the first "
                   "access key of <cartridge>.credentials)")
    command("rm", commands.rm, "delete an object", "BUCKET/KEY")
    p = command("fsck", commands.fsck, "check every invariant; exit 1 if damaged")
    p.add_argument("--data", action="store_true", help="also verify every data checksum")
    p = command("snapshot", commands.snapshot, "point-in-time copies of the whole cartridge")
    snap = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    snap.add_parser("create", help="create a snapshot").add_argument("name")
    snap.add_parser("list", help="list snapshots")
    snap.add_parser("delete", help="delete a snapshot").add_argument("name")
    export = snap.add_parser("export", help="write a snapshot out as a new cartridge file")
    export.add_argument("name")
    export.add_argument("dest")
    command("vacuum", commands.vacuum, "give free space at the end of the file back")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """
    Run the command line; return the exit status.
    """
    args = build_parser().parse_args(argv)
    try:
        status: int = args.func(args)
    except commands.CommandError as e:
        print(f"cartridge: {e}", file=sys.stderr)
        return 2
    except FileNotFoundError as e:
        print(f"cartridge: {e.filename}: no such file", file=sys.stderr)
        return 2
    except EngineError as e:
        print(f"cartridge: {args.path}: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except OSError as e:
        print(f"cartridge: {e}", file=sys.stderr)
        return 2
    return status


if __name__ == "__main__":
    sys.exit(main())
