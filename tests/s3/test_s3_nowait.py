"""
GET and HEAD of small hot objects answered in the reactor thread, with no
pool hop, over a real cartridge file: the same answers as the pool's, and
the pool whenever the disk would have to be read.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cartridge_d.engine import Cartridge, WouldBlock, nowait
from s3_harness import S3Harness

needs_nowait = pytest.mark.skipif(not hasattr(os, "RWF_NOWAIT"), reason="no RWF_NOWAIT here")

#: Headers that differ between any two replies.
_PER_REQUEST = {"date", "x-amz-request-id", "x-amz-id-2"}


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[S3Harness]:
    cart = Cartridge.open(str(tmp_path / "t.cart"), blocks=512)
    h = S3Harness(cartridge=cart)
    h.mkbucket("bkt")
    yield h
    cart.close()


def _hops(h: S3Harness, method: str, path: str, **kw: Any) -> tuple[int, Any]:
    """
    The number of pool calls one request took, and its reply.
    """
    before = h.pool.calls
    reply = h.call(method, path, **kw)
    return h.pool.calls - before, reply


def _same(a: Any, b: Any) -> bool:
    """
    Whether two replies are the same apart from per-request headers and
    an error's request ids.
    """
    def strip(r: Any) -> tuple[int, bytes, dict[str, list[str]]]:
        body = re.sub(rb"<(RequestId|HostId)>[^<]*</", b"<\\1></", r.body)
        return r.status, body, {k: v for k, v in r.headers.items() if k not in _PER_REQUEST}
    return strip(a) == strip(b)


def _via_pool(h: S3Harness, monkeypatch: pytest.MonkeyPatch, method: str, path: str,
              **kw: Any) -> Any:
    """
    The reply to a request served with the nowait path switched off.
    """
    with monkeypatch.context() as m:
        m.setattr(h.cartridge, "nowait_view", lambda: None)
        hops, reply = _hops(h, method, path, **kw)
    assert hops == 1
    return reply


@needs_nowait
@pytest.mark.parametrize("method, path, headers", [
    ("GET", "/bkt/k", {}),
    ("HEAD", "/bkt/k", {}),
    ("GET", "/bkt/k", {"Range": "bytes=100-199"}),
    ("GET", "/bkt/k", {"Range": "bytes=9999999-"}),
    ("GET", "/bkt/k", {"If-None-Match": "*"}),
    ("HEAD", "/bkt/k", {"If-Match": '"nope"'}),
    ("GET", "/bkt/k?partNumber=1", {}),
    ("GET", "/bkt/missing", {}),
    ("HEAD", "/bkt/missing", {}),
    ("GET", "/nobkt/k", {}),
])
def test_hot_object_takes_no_pool_hop(harness: S3Harness, monkeypatch: pytest.MonkeyPatch,
                                       method: str, path: str, headers: dict[str, str]) -> None:
    """
    A GET or HEAD of a small object just written (ranges, conditions,
    missing keys and buckets too) is answered without a pool hop, with the
    status, headers and body the pool's path gives.
    """
    assert harness.put("bkt", "k", os.urandom(4096),
                       headers={"Content-Type": "text/plain", "x-amz-meta-a": "b"}).status == 200
    hops, reply = _hops(harness, method, path, headers=headers)
    assert hops == 0
    assert _same(reply, _via_pool(harness, monkeypatch, method, path, headers=headers))


@needs_nowait
def test_large_object_streams_from_the_pool(harness: S3Harness) -> None:
    """
    An object larger than the reactor-thread bound is still read in the
    pool, whole and correct; a small range of it needs no hop.
    """
    data = os.urandom(200_000)
    assert harness.put("bkt", "big", data).status == 200
    hops, reply = _hops(harness, "GET", "/bkt/big")
    assert hops >= 1
    assert reply.status == 200 and reply.body == data
    hops, reply = _hops(harness, "GET", "/bkt/big", headers={"Range": "bytes=70000-80000"})
    assert hops == 0
    assert reply.status == 206 and reply.body == data[70000:80001]


@needs_nowait
def test_read_that_would_block_takes_the_pool(
    harness: S3Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """
    With the object's pages out of the kernel's page cache, a GET falls
    back to one pool hop and returns the same bytes; once read, the next
    GET needs no hop. (The kernel may keep some of the object's pages
    despite POSIX_FADV_DONTNEED, as it does under load: a first nowait read
    that would succeed is made to answer as an uncached one does, so the
    test always runs, and a real refusal passes through unchanged.)
    """
    data = os.urandom(8192)
    assert harness.put("bkt", "k", data).status == 200
    fd = os.open(harness.cartridge.path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    real_pread = nowait.NowaitFile.pread
    first: list[int] = []

    def uncached_first(self: nowait.NowaitFile, length: int, offset: int) -> bytes:
        if first:
            return real_pread(self, length, offset)
        first.append(offset)
        real_pread(self, length, offset)
        raise WouldBlock("simulated: the kernel kept this page")

    monkeypatch.setattr(nowait.NowaitFile, "pread", uncached_first)
    hops, reply = _hops(harness, "GET", "/bkt/k")
    assert (hops, reply.status, reply.body) == (1, 200, data)
    hops, reply = _hops(harness, "GET", "/bkt/k")
    assert (hops, reply.status, reply.body) == (0, 200, data)


@needs_nowait
def test_damaged_chunk_refused_on_the_nowait_path(harness: S3Harness) -> None:
    """
    A flipped byte in a small hot object's body makes the reactor-thread
    GET answer 500 InternalError, never the damaged bytes.
    """
    data = os.urandom(8192)
    assert harness.put("bkt", "k", data).status == 200
    with harness.cartridge.view() as v:
        rec = v.get_object("bkt", "k")
    at = rec.segments[0].extents[0].start * harness.cartridge.block_size + 10
    fd = os.open(harness.cartridge.path, os.O_RDWR)
    try:
        byte = os.pread(fd, 1, at)
        os.pwrite(fd, bytes([byte[0] ^ 0xFF]), at)
    finally:
        os.close(fd)
    hops, reply = _hops(harness, "GET", "/bkt/k")
    assert hops == 0
    assert reply.status == 500 and b"InternalError" in reply.body


def test_file_system_without_nowait_always_uses_the_pool(
        harness: S3Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """
    Where the file system refuses RWF_NOWAIT, every GET and HEAD takes one
    pool hop and returns the object.
    """
    def refuse(*args: object) -> int:
        raise OSError(errno.EOPNOTSUPP, "not supported")

    monkeypatch.setattr(nowait.os, "preadv", refuse)
    data = os.urandom(8192)
    assert harness.put("bkt", "k", data).status == 200
    for _ in range(3):
        hops, reply = _hops(harness, "GET", "/bkt/k")
        assert (hops, reply.status, reply.body) == (1, 200, data)
        hops, reply = _hops(harness, "HEAD", "/bkt/k")
        assert (hops, reply.status) == (1, 200)
    assert harness.cartridge.nowait_view() is None
