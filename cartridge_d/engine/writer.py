"""
The streaming writer: a body goes to freshly reserved extents as it
arrives, hashed on the way (docs/format.md, "Data extents").

Memory stays bounded: at most one flush unit (1 MiB, or one write call if
larger) is held. Extents grow geometrically (or follow the size hint), so a
large body gets a few large extents and one pwrite per MiB. Small bodies
stay in memory and are stored inline in the object record.

test-case-name: tests.engine.test_engine_space
"""

from __future__ import annotations

import hashlib
import itertools
import queue
import threading
from typing import TYPE_CHECKING, Callable

from crc32c import crc32c

from .blockfile import start_writeback
from .constants import CHUNK_SIZE, INLINE_MAX
from .errors import Closed
from .types import DataRef, Extent

if TYPE_CHECKING:
    from .blockfile import BlockFile
    from .freespace import Allocator

#: Bytes handed to pwrite at once.
FLUSH_BYTES = 1 << 20
#: The first extent of a body of unknown size, and the largest step.
FIRST_EXTENT_BYTES = 256 << 10
MAX_EXTENT_BYTES = 64 << 20

#: A body this large gets its MD5 computed in a helper thread, in parallel
#: with its CRC32Cs and writes (MD5 is the slowest step of a large PUT).
PARALLEL_MD5_BYTES = 4 << 20
#: Pieces (flush units) that may wait for the MD5 helper.
MD5_QUEUE = 2

#: Once a body is this large, each flush unit's writeback is started as
#: soon as it is written (docs/perf-commit.md): the commit's sync then
#: finds most of the body on the disk instead of flushing all of it.
WRITEBACK_AFTER_BYTES = 4 << 20

_owners = itertools.count(1)


class _Md5:
    """
    An MD5 that moves to a helper thread once the body is large, so hashing
    (which releases the GIL) overlaps with checksumming and writing. At
    most C{MD5_QUEUE} pieces wait for it, so memory stays bounded. The
    writer's thread fills the queue faster than MD5 empties it, so a
    longer queue was not needed (docs/perf-commit.md).
    """

    __slots__ = ("_md5", "_seen", "_queue", "_thread")

    def __init__(self) -> None:
        self._md5 = hashlib.md5()
        self._seen = 0
        self._queue: queue.Queue[bytes | None] | None = None
        self._thread: threading.Thread | None = None

    def update(self, data: bytes) -> None:
        self._seen += len(data)
        if self._queue is not None:
            self._queue.put(data)
        elif self._seen >= PARALLEL_MD5_BYTES and len(data) >= 65536:
            self._queue = queue.Queue(maxsize=MD5_QUEUE)
            self._thread = threading.Thread(target=self._run, name="md5", daemon=True)
            self._thread.start()
            self._queue.put(data)
        else:
            self._md5.update(data)

    def _run(self) -> None:
        assert self._queue is not None
        get = self._queue.get
        update = self._md5.update
        while True:
            data = get()
            if data is None:
                return
            update(data)

    def digest(self) -> bytes:
        self.stop()
        return self._md5.digest()

    def stop(self) -> None:
        if self._queue is not None and self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._queue = None


def chunk_size_for(block_size: int) -> int:
    return max(CHUNK_SIZE, block_size)


def inline_max_for(block_size: int) -> int:
    return min(INLINE_MAX, block_size // 4)


class Writer:
    """
    Writes one body. Use from one thread at a time; many writers run in
    parallel and never take the commit lock.
    """

    # slots: a small PUT builds one writer per request, in the threads
    # whose preparing is the serial part of a busy group commit
    __slots__ = ("_alloc", "_is_open", "_file", "_bs", "_chunk", "_inline_max", "_hint",
                 "_owner", "_md5", "_pieces", "_held", "_size", "_written", "_extents",
                 "_capacity", "_crcs", "_done")

    def __init__(self, alloc: "Allocator", file: "BlockFile", block_size: int,
                 size_hint: int | None, is_open: Callable[[], bool] = lambda: True) -> None:
        self._alloc = alloc
        self._is_open = is_open
        self._file = file
        self._bs = block_size
        self._chunk = chunk_size_for(block_size)
        self._inline_max = inline_max_for(block_size)
        self._hint = size_hint
        self._owner = next(_owners)
        self._md5 = _Md5()
        self._pieces: list[bytes] = []
        self._held = 0
        self._size = 0
        self._written = 0
        self._extents: list[Extent] = []
        self._capacity = 0
        self._crcs: list[int] = []
        self._done = False

    @property
    def size(self) -> int:
        return self._size

    def write(self, data: bytes) -> None:
        """
        Add C{data} to the body; may raise CartridgeFull (then abort).
        """
        if self._done:
            raise ValueError("writer is finished")
        if not self._is_open():
            raise Closed("cartridge is closed")
        if not data:
            return
        data = bytes(data)
        self._md5.update(data)
        self._size += len(data)
        self._pieces.append(data)
        self._held += len(data)
        if self._size <= self._inline_max or self._held < FLUSH_BYTES:
            return
        joined = b"".join(self._pieces)
        cut = len(joined) - len(joined) % self._chunk
        self._emit(memoryview(joined)[:cut])
        rest = joined[cut:]
        self._pieces = [rest] if rest else []
        self._held = len(rest)

    def _next_want(self) -> int:
        if self._hint is not None and self._hint > self._capacity:
            nbytes = self._hint - self._capacity
        else:
            nbytes = min(MAX_EXTENT_BYTES, max(FIRST_EXTENT_BYTES, self._capacity))
        return max(1, -(-nbytes // self._bs))

    def _emit(self, mv: memoryview) -> None:
        chunk = self._chunk
        crcs = self._crcs
        for i in range(0, len(mv), chunk):
            crcs.append(crc32c(mv[i:i + chunk]))
        bs = self._bs
        while len(mv):
            if self._written >= self._capacity:
                ext = self._alloc.reserve(self._owner, self._next_want())
                self._extents.append(ext)
                self._capacity += ext.count * bs
            # the extent holding logical offset self._written is the last one
            last = self._extents[-1]
            base = self._capacity - last.count * bs
            room = self._capacity - self._written
            n = min(room, len(mv))
            offset = last.start * bs + self._written - base
            self._file.pwrite(mv[:n], offset)
            self._written += n
            if self._written >= WRITEBACK_AFTER_BYTES:
                start_writeback(self._file, offset, n)
            mv = mv[n:]

    def finish(self) -> DataRef:
        """
        Write what is left and return where the body is. The blocks stay
        reserved until a commit links them (put_object, keep_detached) or
        C{abort} gives them back.
        """
        if self._done:
            raise ValueError("writer is finished")
        if not self._is_open():
            raise Closed("cartridge is closed")
        self._done = True
        tail = b"".join(self._pieces)
        self._pieces = []
        md5 = self._md5.digest()
        if not self._extents and self._size <= self._inline_max:
            return DataRef(size=self._size, md5=md5, inline=tail)
        if tail:
            self._emit(memoryview(tail))
        last = self._extents[-1]
        base = self._capacity - last.count * self._bs
        keep = -(-(self._size - base) // self._bs)
        if keep == 0:
            self._alloc.unreserve(self._owner, [last])
            self._extents.pop()
        elif keep < last.count:  # a size hint that was right needs no trim
            self._extents[-1] = self._alloc.trim(self._owner, last, keep)
        return DataRef(size=self._size, md5=md5, extents=tuple(self._extents),
                       chunk_size=self._chunk, crcs=tuple(self._crcs))

    def abort(self) -> None:
        """
        Give the blocks back. After C{finish}, this is only for a body that
        was never committed; committed blocks are left alone.
        """
        self._done = True
        self._pieces = []
        self._md5.stop()
        self._alloc.unreserve(self._owner, self._extents)
        self._extents = []
