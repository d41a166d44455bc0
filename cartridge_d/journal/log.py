"""
The journal file: frames, the reader that replays them, and the group-commit writer
(docs/journal.md, "Frames", "Replay" and "Durability and the order of operations").

Thread contract: L{LogWriter.append} may be called from any number of threads at once;
L{read_frames} and L{write_file} are for one thread at a time, at open and compaction.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from crc32c import crc32c

from . import format as fmt
from .errors import JournalFailed, NotAJournal
from .model import ReplayEvent

#: Receives what replay found; it decides how loudly to say it.
Reporter = Callable[[ReplayEvent], None]


def mask(crc: int) -> int:
    """
    LevelDB's CRC mask: payloads embed CRCs, and a CRC over CRCs is weak.
    """
    return (((crc >> 15) | (crc << 17)) + fmt.MASK_DELTA) & 0xFFFFFFFF


def frame(rtype: int, payload: bytes) -> bytes:
    """
    One framed record: checksum, length, type, payload.
    """
    body = fmt.FRAME.pack(0, len(payload), rtype)[4:] + payload
    return mask(crc32c(body)).to_bytes(4, "little") + body


def header() -> bytes:
    """
    The 16-byte file header of a new journal.
    """
    head = fmt.HEADER.pack(fmt.MAGIC, fmt.VERSION_MAJOR, fmt.VERSION_MINOR, 0)[:12]
    return head + mask(crc32c(head)).to_bytes(4, "little")


def check_header(data: bytes) -> None:
    """
    Refuse what is not a journal we can read.
    """
    if len(data) < fmt.HEADER_SIZE or not data.startswith(fmt.MAGIC):
        raise NotAJournal("not a cartridge journal (bad magic)")
    _magic, major, _minor, crc = fmt.HEADER.unpack_from(data)
    if crc != mask(crc32c(data[:12])):
        raise NotAJournal("journal header checksum mismatch")
    if major != fmt.VERSION_MAJOR:
        raise NotAJournal("journal major version %d is not %d" % (major, fmt.VERSION_MAJOR))


@dataclass(frozen=True)
class Frame:
    """
    A frame whose checksum matched, at C{offset}, C{size} bytes long.
    """

    offset: int
    size: int
    rtype: int
    payload: bytes


@dataclass
class ReadResult:
    """
    Where the good frames end, and whether what follows is damage.
    """

    end: int = fmt.HEADER_SIZE
    damaged: bool = False


def read_frames(data: bytes, report: Reporter, result: ReadResult) -> Iterator[Frame]:
    """
    Yield every good frame of a whole journal file C{data}, stopping at the
    first bad one. The rest of the file is a torn tail if no good frame
    follows, damage otherwise; either is reported and noted in C{result}.
    """
    check_header(data)
    pos = fmt.HEADER_SIZE
    while pos < len(data):
        found = _frame_at(data, pos)
        if isinstance(found, str):
            result.damaged = _good_frame_after(data, pos)
            kind = "damage" if result.damaged else "torn-tail"
            report(ReplayEvent(kind, pos, len(data) - pos, found))
            return
        yield found
        pos = result.end = pos + found.size


def _frame_at(data: bytes, pos: int) -> Frame | str:
    """
    The good frame at C{pos}, or why there is none.
    """
    if len(data) - pos < fmt.FRAME_HEADER_SIZE:
        return "incomplete frame header"
    crc, length, rtype = fmt.FRAME.unpack_from(data, pos)
    end = pos + fmt.FRAME_HEADER_SIZE + length
    if length > fmt.MAX_PAYLOAD or end > len(data):
        return "frame runs past the end of the file"
    if crc != mask(crc32c(data[pos + 4:end])):
        return "frame checksum mismatch"
    return Frame(pos, end - pos, rtype, data[pos + fmt.FRAME_HEADER_SIZE:end])


def _good_frame_after(data: bytes, pos: int) -> bool:
    """
    Whether a good non-empty frame starts anywhere after C{pos}: if so, the
    bad frame is damage in the middle, not a torn tail.
    """
    for start in range(pos + 1, len(data) - fmt.FRAME_HEADER_SIZE + 1):
        found = _frame_at(data, start)
        if isinstance(found, Frame) and found.rtype != 0:
            return True
    return False


def write_file(path: str, chunks: Iterable[bytes], pause: Callable[[str], None]) -> None:
    """
    Atomically replace C{path} with C{chunks}: write a temporary file, sync
    it, rename it over C{path}, sync the directory (docs/journal.md,
    "Compaction"). C{pause} is called between the steps (tests stop there).
    """
    tmp = path + fmt.COMPACT_SUFFIX
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for chunk in chunks:
            _write_all(fd, chunk)
        pause("written")
        os.fdatasync(fd)
    finally:
        os.close(fd)
    pause("synced")
    os.replace(tmp, path)
    pause("renamed")
    sync_directory(path)


def sync_directory(path: str) -> None:
    """
    Make a rename or creation in C{path}'s directory durable.
    """
    dfd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class LogWriter:
    """
    Appends frames to an open journal; concurrent appenders share syncs.

    Whoever finds no sync in flight becomes the leader: it takes every
    frame queued so far, writes them in one go, syncs, and wakes the
    others. L{append} returns once its frame is durable. A failed write or
    sync poisons the writer (L{JournalFailed} from then on): after a failed
    fsync the kernel may have dropped the dirty pages, so a retry could
    falsely succeed.

    The caller's lock is shared (C{cond}), so that queuing a frame and
    applying its record to memory happen in one critical section, in file
    order.
    """

    def __init__(self, fd: int, size: int, cond: threading.Condition) -> None:
        self._fd = fd
        self._cond = cond
        self._queue: list[bytes] = []
        self._queued = 0
        self._synced = 0
        self._syncing = False
        self._failed: BaseException | None = None
        #: Bytes in the file once everything queued is written.
        self.size = size

    def enqueue(self, data: bytes) -> int:
        """
        Queue C{data}; the caller holds C{cond}. Returns the ticket to wait for.
        """
        self.check()
        self._queue.append(data)
        self._queued += 1
        self.size += len(data)
        return self._queued

    def wait(self, ticket: int) -> None:
        """
        Block until the frame of C{ticket} is durable; the caller holds C{cond}.
        """
        while self._synced < ticket:
            self.check()
            if self._syncing:
                self._cond.wait()
                continue
            self._flush()

    def drain(self) -> None:
        """
        Make everything queued durable and wait out any sync in flight;
        the caller holds C{cond} and keeps new frames out meanwhile
        (compaction and close use it).
        """
        while self._queue or self._syncing:
            self.check()
            if self._syncing:
                self._cond.wait()
            else:
                self._flush()

    def fail(self, error: BaseException) -> None:
        """
        Refuse every later append (see L{check}).
        """
        self._failed = error

    def check(self) -> None:
        """
        Raise L{JournalFailed} if a write or sync has failed.
        """
        if self._failed is not None:
            raise JournalFailed("the journal could not be written: %s" % self._failed)

    def _flush(self) -> None:
        batch, self._queue = b"".join(self._queue), []
        target = self._queued
        self._syncing = True
        self._cond.release()
        try:
            _write_all(self._fd, batch)
            os.fdatasync(self._fd)
        except BaseException as e:
            self._failed = e
        finally:
            self._cond.acquire()
            self._syncing = False
            if self._failed is None:
                self._synced = target
            self._cond.notify_all()
        self.check()
