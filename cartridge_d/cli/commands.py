"""
The sub-commands of C{cartridge}, one function each.

They use the engine directly (no reactor, no thread pool): this is the tool
an operator reaches for when the server is stopped, or to look inside a
cartridge it is serving (the read-only commands). Each function takes the
parsed arguments and returns the exit status.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from cartridge_d.cli.progress import Progress
from cartridge_d.engine import Cartridge
from cartridge_d.engine.types import BucketRecord, Fuses, ObjectRecord

FUSE_WORDS = {
    "versioning": ("none", "snapshot-backed"),
    "acl": ("ignore", "record", "enforce"),
    "sse": ("ignore", "record", "transparent"),
}
CHUNK = 1 << 20


class CommandError(Exception):
    """
    A problem the user can fix, reported as one line with exit status 2.
    """


@contextmanager
def opened(path: str) -> Iterator[Any]:
    """
    Open an existing cartridge (never create one by accident).
    """
    if not os.path.exists(path):
        raise CommandError(f"{path}: no such file")
    cart = Cartridge.open(path, create=False)
    try:
        yield cart
    finally:
        cart.close()


def split_target(target: str) -> tuple[str, str]:
    """
    Split C{BUCKET/KEY} (the key may contain further slashes).
    """
    bucket, _, key = target.partition("/")
    if not bucket or not key:
        raise CommandError(f"{target!r}: expected BUCKET/KEY")
    return bucket, key


def fuse_words(fuses: Fuses) -> str:
    return ", ".join(
        f"{name}={FUSE_WORDS[name][getattr(fuses, name)] if getattr(fuses, name) < len(FUSE_WORDS[name]) else getattr(fuses, name)}"
        for name in FUSE_WORDS
    )


def create(args: argparse.Namespace) -> int:
    if os.path.exists(args.path):
        raise CommandError(f"{args.path}: already exists (cartridge create never overwrites)")
    fuses = Fuses(
        versioning=FUSE_WORDS["versioning"].index(args.s3_versioning),
        acl=FUSE_WORDS["acl"].index(args.s3_acl),
        sse=FUSE_WORDS["sse"].index(args.s3_sse),
    )
    cart = Cartridge.open(args.path, create=True, blocks=args.blocks,
                          block_size=args.block_size, fuses=fuses)
    cart.close()
    print(f"created {args.path}: {args.blocks} blocks of {args.block_size} bytes; {fuse_words(fuses)}")
    return 0


def info(args: argparse.Namespace) -> int:
    with opened(args.path) as cart:
        facts = cart.info()
        detached = len(cart.list_detached())
    rows = [
        ("path", facts.path),
        ("format version", "%d.%d" % facts.version),
        ("uuid", facts.uuid),
        ("created", _when(facts.created_ns)),
        ("transaction", facts.txn),
        ("fuses", fuse_words(facts.fuses)),
        ("block size", facts.block_size),
        ("total blocks", facts.total_blocks),
        ("free blocks", facts.free_blocks),
        ("file size", _bytes(facts.file_size)),
        ("free space", _bytes(facts.free_blocks * facts.block_size)),
        ("max size", _bytes(facts.max_size) if facts.max_size else "no limit"),
        ("buckets", facts.buckets),
        ("objects", facts.objects),
        ("snapshots", facts.snapshots),
        ("detached parts", detached),
    ]
    uploads = _uploads(args.path)
    rows.append(("uploads in progress", len(uploads)))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    for line in uploads:
        print(f"  {line}")
    return 0


def _bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _journal_path(path: str) -> str:
    return path + ".journal"


def _uploads(path: str) -> list[str]:
    """
    One line per in-progress multipart upload in the cartridge's journal.
    """
    from cartridge_d.journal import Journal

    if not os.path.exists(_journal_path(path)):
        return []
    journal = Journal.open(_journal_path(path))
    try:
        return [
            f"{u.info.upload_id}  {u.info.bucket}/{u.info.key}  {len(u.parts)} parts  "
            f"started {_when(u.info.created_ns)}"
            for u in journal.uploads()
        ]
    finally:
        journal.close()


def ls(args: argparse.Namespace) -> int:
    with opened(args.path) as cart:
        if not args.target:
            for bucket in cart.list_buckets():
                print(f"{_when(bucket.created_ns)}  {bucket.name}")
            return 0
        bucket, _, prefix = args.target.partition("/")
        with cart.view() as view:
            if view.get_bucket(bucket) is None:
                raise CommandError(f"{bucket}: no such bucket")
            for rec in view.list_objects(bucket, prefix=prefix):
                print(f"{_when(rec.mtime_ns)}  {rec.size:>14}  {rec.etag}  {rec.key}")
    return 0


def _when(ns: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ns / 1e9))


def cat(args: argparse.Namespace) -> int:
    bucket, key = split_target(args.target)
    out = sys.stdout.buffer
    with opened(args.path) as cart, cart.view() as view:
        rec = _object(view, bucket, key)
        for offset in range(0, rec.size, CHUNK):
            out.write(view.read(rec, offset, min(CHUNK, rec.size - offset)))
    out.flush()
    return 0


def _object(view: Any, bucket: str, key: str) -> ObjectRecord:
    if view.get_bucket(bucket) is None:
        raise CommandError(f"{bucket}: no such bucket")
    rec: ObjectRecord | None = view.get_object(bucket, key)
    if rec is None:
        raise CommandError(f"{bucket}/{key}: no such key")
    return rec


def put(args: argparse.Namespace) -> int:
    bucket, key = split_target(args.target)
    source: BinaryIO
    source = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")
    with source, opened(args.path) as cart:
        size = os.fstat(source.fileno()).st_size if args.file != "-" else None
        if cart.get_bucket(bucket) is None:
            cart.put_bucket(BucketRecord(name=bucket, owner=_owner(args), created_ns=time.time_ns()))
        owner = cart.get_bucket(bucket).owner
        writer = cart.writer(size_hint=size)
        try:
            while chunk := source.read(CHUNK):
                writer.write(chunk)
            ref = writer.finish()
        except BaseException:
            writer.abort()
            raise
        rec = ObjectRecord(bucket=bucket, key=key, size=ref.size, etag=ref.md5.hex(),
                           mtime_ns=time.time_ns(), owner=owner,
                           headers=(("Content-Type", args.content_type),), segments=(ref,))
        stored = cart.put_object(rec)
    print(f"stored {bucket}/{key}: {stored.size} bytes, ETag \"{stored.etag}\"")
    return 0


def _owner(args: argparse.Namespace) -> str:
    """
    The owner of a bucket this tool creates: --owner, else the server's
    first access key (so the bucket is usable through S3 right away).
    """
    if args.owner:
        return str(args.owner)
    creds = args.path + ".credentials"
    if os.path.exists(creds):
        with open(creds, encoding="utf-8") as f:
            for line in f:
                fields = line.split()
                if fields and not fields[0].startswith("#"):
                    return fields[0]
    raise CommandError(f"{args.target}: the bucket does not exist; say who owns it with --owner")


def rm(args: argparse.Namespace) -> int:
    bucket, key = split_target(args.target)
    with opened(args.path) as cart:
        if cart.get_bucket(bucket) is None:
            raise CommandError(f"{bucket}: no such bucket")
        if cart.delete_object(bucket, key) is None:
            raise CommandError(f"{bucket}/{key}: no such key")
    print(f"deleted {bucket}/{key}")
    return 0


def fsck(args: argparse.Namespace) -> int:
    from cartridge_d.engine import check

    if not os.path.exists(args.path):
        raise CommandError(f"{args.path}: no such file")
    with Progress("checking data" if args.data else "checking") as progress:
        report = check(args.path, data=args.data, progress=progress.update)
    print(report)
    journal_ok = _check_journal(args.path)
    return 0 if report.ok and journal_ok else 1


def _check_journal(path: str) -> bool:
    """
    Every block the multipart journal holds must be detached data in the
    cartridge, and every detached extent must belong to a journal part.
    """
    from cartridge_d.journal import Journal

    if not os.path.exists(_journal_path(path)):
        return True
    journal = Journal.open(_journal_path(path))
    try:
        held = {ref.extents for ref in journal.held_refs() if ref.extents}
    finally:
        journal.close()
    with opened(path) as cart:
        detached = {ref.extents for _, ref in cart.list_detached() if ref.extents}
    missing = held - detached
    orphans = detached - held
    for extents in sorted(missing, key=str):
        print(f"  error: journal part data not detached in the cartridge: {extents}")
    for extents in sorted(orphans, key=str):
        print(f"  error: detached data no upload holds (leaked): {extents}")
    print(f"  journal parts {len(held)}, detached {len(detached)}")
    return not missing and not orphans


def snapshot(args: argparse.Namespace) -> int:
    with opened(args.path) as cart:
        if args.action == "create":
            snap = cart.snapshot_create(args.name)
            print(f"created snapshot {snap.name} at transaction {snap.txn}")
        elif args.action == "list":
            for snap in cart.snapshot_list():
                print(f"{_when(snap.created_ns)}  txn {snap.txn:>8}  {snap.buckets:>4} buckets  "
                      f"{snap.objects:>8} objects  {snap.name}")
        elif args.action == "delete":
            cart.snapshot_delete(args.name)
            print(f"deleted snapshot {args.name}")
        else:
            if os.path.exists(args.dest):
                raise CommandError(f"{args.dest}: already exists")
            with Progress("exporting") as progress:
                cart.snapshot_export(args.name, args.dest, progress=progress.update)
            print(f"exported snapshot {args.name} to {args.dest}")
    return 0


def vacuum(args: argparse.Namespace) -> int:
    before = os.path.getsize(args.path) if os.path.exists(args.path) else 0
    with opened(args.path) as cart:
        cart.vacuum()
    after = os.path.getsize(args.path)
    print(f"vacuumed {args.path}: {before} -> {after} bytes ({before - after} given back)")
    return 0


__all__ = ["CommandError", "create", "info", "ls", "cat", "put", "rm", "fsck", "snapshot",
           "vacuum"]
