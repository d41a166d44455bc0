"""
Nowait views: reads that the page cache answers, or that refuse with
WouldBlock instead of waiting for the disk, with the same checks as
ordinary views.
"""

from __future__ import annotations

import ctypes
import errno
import mmap
import os
import time

import pytest

from cartridge_d.engine import Cartridge, ChecksumMismatch, WouldBlock
from cartridge_d.engine import nowait
from engine_faults import FaultyFile
from engine_helpers import body, make_bucket, put

libc = ctypes.CDLL(None, use_errno=True)

needs_nowait = pytest.mark.skipif(not hasattr(os, "RWF_NOWAIT"), reason="no RWF_NOWAIT here")


def _evict(path: str) -> bool:
    """
    Drop the file's pages from the kernel's page cache; True if none of
    them is resident any more (a test that expects a lookup or a body
    read to block needs the catalog's pages and the body's out, not only
    the first). Residency is asked of mincore(2): a probe by nowait read
    would itself start readahead and bring the pages back. Under load
    the kernel may keep pages a POSIX_FADV_DONTNEED asked it to drop
    (pages still in another CPU's LRU batch), so it is asked again, a
    bounded number of times (about 2 s).
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        for _ in range(100):
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            if not _resident_pages(fd):
                return True
            time.sleep(0.02)
        return False
    finally:
        os.close(fd)


def _resident_pages(fd: int) -> int:
    """
    How many of the file's pages are in the page cache (mincore(2) on a
    mapping of it; mapping a file reads none of it).
    """
    size = os.fstat(fd).st_size
    pages = -(-size // mmap.PAGESIZE)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int, ctypes.c_long]
    addr = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
    if addr in (None, ctypes.c_void_p(-1).value):
        raise OSError(ctypes.get_errno(), "mmap")
    try:
        vec = (ctypes.c_ubyte * pages)()
        if libc.mincore(ctypes.c_void_p(addr), ctypes.c_size_t(size), vec) != 0:
            raise OSError(ctypes.get_errno(), "mincore")
        return sum(v & 1 for v in vec)
    finally:
        libc.munmap(ctypes.c_void_p(addr), ctypes.c_size_t(size))


def _nowait_body(cart: Cartridge, key: str) -> bytes:
    view = cart.nowait_view()
    assert view is not None
    with view:
        rec = view.get_object("b", key)
        assert rec is not None
        return view.read(rec, 0, rec.size)


def _body_read_would_block(cart: Cartridge) -> None:
    """
    Look "k" up through a nowait view and check that reading its body
    refuses with WouldBlock.
    """
    view = cart.nowait_view()
    assert view is not None
    with view:
        rec = view.get_object("b", "k")
        assert rec is not None
        with pytest.raises(WouldBlock):
            view.read(rec, 0, rec.size)


@needs_nowait
def test_hot_object_reads_without_waiting(cart: Cartridge) -> None:
    """
    An object just written (its pages cached) reads whole through a
    nowait view, byte for byte the same as through an ordinary view.
    """
    make_bucket(cart)
    data = os.urandom(40_000)
    put(cart, "b", "k", data)
    assert _nowait_body(cart, "k") == data == body(cart, "b", "k")


@needs_nowait
def test_cold_object_would_block_then_reads_once_cached(cart_path: str) -> None:
    """
    With the file out of the page cache and a fresh node cache, a nowait
    lookup refuses with WouldBlock rather than read the disk; an ordinary
    view reads it, after which the nowait view serves it.
    """
    data = os.urandom(20_000)
    with Cartridge.open(cart_path, blocks=256) as c:
        make_bucket(c)
        put(c, "b", "k", data)
    if not _evict(cart_path):
        pytest.skip("this file system kept the pages cached")
    with Cartridge.open(cart_path) as c:
        if not _evict(cart_path):
            pytest.skip("this file system kept the pages cached")
        with pytest.raises(WouldBlock):
            _nowait_body(c, "k")
        assert body(c, "b", "k") == data
        assert _nowait_body(c, "k") == data


@needs_nowait
def test_cold_data_would_block(cart: Cartridge, cart_path: str) -> None:
    """
    With the catalog in the engine's node cache but the body's pages
    evicted, the lookup succeeds and the body read refuses with WouldBlock.
    """
    make_bucket(cart)
    data = os.urandom(20_000)
    put(cart, "b", "k", data)
    if not _evict(cart_path):
        pytest.skip("this file system kept the pages cached")
    _body_read_would_block(cart)


@needs_nowait
def test_damaged_chunk_refused_without_waiting(cart_path: str) -> None:
    """
    A flipped byte in a body is ChecksumMismatch through a nowait view too;
    nothing damaged is returned.
    """
    data = os.urandom(30_000)
    with Cartridge.open(cart_path, blocks=256) as c:
        make_bucket(c)
        rec = put(c, "b", "k", data)
    at = rec.segments[0].extents[0].start * 4096 + 100
    with open(cart_path, "r+b") as f:
        f.seek(at)
        byte = f.read(1)
        f.seek(at)
        f.write(bytes([byte[0] ^ 0xFF]))
    with Cartridge.open(cart_path) as c:
        body(c, "b", "other")  # warm the catalog through the pool's path
        with pytest.raises(ChecksumMismatch):
            _nowait_body(c, "k")


def test_refused_flag_turns_the_mode_off(cart: Cartridge, monkeypatch: pytest.MonkeyPatch) -> None:
    """
    A file system that refuses RWF_NOWAIT (EOPNOTSUPP) makes that read
    WouldBlock and every later nowait_view() None, so callers take the pool.
    """
    make_bucket(cart)
    data = os.urandom(10_000)
    put(cart, "b", "k", data)

    def refuse(*args: object) -> int:
        raise OSError(errno.EOPNOTSUPP, "not supported")

    probe = cart.nowait_view()
    if probe is None:
        pytest.skip("no nowait mode here at all")
    probe.close()
    monkeypatch.setattr(nowait.os, "preadv", refuse)
    _body_read_would_block(cart)
    assert cart.nowait_view() is None
    assert body(cart, "b", "k") == data


def test_no_nowait_mode_without_the_flag_or_an_os_file(
        cart_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """
    A cartridge over a file that is not an OS file, or on a Python or
    kernel without RWF_NOWAIT, has no nowait view.
    """
    with Cartridge.open(cart_path, _file=FaultyFile()) as c:
        assert c.nowait_view() is None
    monkeypatch.delattr(os, "RWF_NOWAIT", raising=False)
    with Cartridge.open(cart_path, blocks=64) as c:
        assert c.nowait_view() is None
