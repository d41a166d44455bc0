"""
L{Journal}: the multipart upload journal as the object store uses it (docs/journal.md).

Thread contract: every method may be called from any thread. Writes return only once their
record is durable; concurrent writers share syncs. Reads see every write that has been
queued, in file order (a write's caller is not answered before it is durable, so nothing a
reader sees can be lost without its writer learning so). Compaction runs in a thread of its
own, woken by the write that made it due, so that no request waits for it; appends queue
behind it while it runs.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable

from cartridge_d.engine.types import DataRef

from . import format as fmt
from .errors import InvalidPartNumber, JournalClosed, NoSuchUpload
from .log import LogWriter, ReadResult, Reporter, frame, header, read_frames, sync_directory
from .log import write_file
from .model import (
    Blobs,
    Pairs,
    PartInfo,
    PartListing,
    ReplayEvent,
    Upload,
    UploadInfo,
    UploadListing,
    new_upload_id,
)
from .records import (
    PartStored,
    PayloadError,
    Record,
    UploadAborted,
    UploadCompleted,
    UploadCreated,
    decode,
    encode,
)
from .reconcile import reconcile
from .state import UploadState

log = logging.getLogger(__name__)

MAX_PART_NUMBER = 10000

def log_reporter(event: ReplayEvent) -> None:
    """
    The default reporter: torn tails and skipped records are warnings, damage is an error.
    """
    level = logging.ERROR if event.kind == "damage" else logging.WARNING
    log.log(level, "journal %s at offset %d (%d bytes dropped): %s",
            event.kind, event.offset, event.dropped, event.reason)


def _no_pause(step: str) -> None:
    """
    The compaction step hook of production: do nothing.
    """


class Journal:
    """
    The in-progress multipart uploads, kept in an append-only journal file.

    Open with L{Journal.open}; call L{reconcile} once at start-up with the
    engine's detached list before serving.
    """

    def __init__(self, path: str, state: UploadState, size: int, *,
                 clock: Callable[[], int], pause: Callable[[str], None],
                 compact_ratio: int, compact_min_bytes: int) -> None:
        self.path = path
        self._state = state
        lock = threading.RLock()
        self._cond = threading.Condition(lock)
        #: Wakes the compaction thread (same lock, so that syncs do not wake it).
        self._compaction = threading.Condition(lock)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        self._writer = LogWriter(self._fd, size, self._cond)
        self._clock = clock
        self._pause = pause
        self._ratio = compact_ratio
        self._min_bytes = compact_min_bytes
        self._compacting = False
        #: A write found compaction due and the compaction thread has not finished it.
        self._compaction_wanted = False
        self._closed = False
        self._compactor = threading.Thread(
            target=self._compaction_loop, name="journal-compaction", daemon=True
        )
        self._compactor.start()

    @classmethod
    def open(cls, path: str, reporter: Reporter | None = None, *,
             clock: Callable[[], int] = time.time_ns,
             pause: Callable[[str], None] = _no_pause,
             compact_ratio: int = fmt.COMPACT_RATIO,
             compact_min_bytes: int = fmt.COMPACT_MIN_BYTES) -> Journal:
        """
        Open (creating if absent) the journal at C{path} and replay it.

        A torn tail is truncated away; damage keeps the file aside and
        rewrites the state replayed so far; both are told to C{reporter}
        (default L{log_reporter}). Raises L{NotAJournal} for a file that
        is not one, and C{OSError} for I/O failures.
        """
        report = log_reporter if reporter is None else reporter
        if os.path.exists(path + fmt.COMPACT_SUFFIX):
            os.unlink(path + fmt.COMPACT_SUFFIX)
        if not os.path.exists(path):
            write_file(path, [header()], _no_pause)
        with open(path, "rb") as f:
            data = f.read()
        state = UploadState()
        result = ReadResult()
        for fr in read_frames(data, report, result):
            try:
                problem = state.apply(decode(fr.rtype, fr.payload), fr.size)
            except PayloadError as e:
                problem = str(e)
            if problem is not None:
                report(ReplayEvent("skipped", fr.offset, 0, problem))
        size = result.end
        if result.damaged:
            os.link(path, path + fmt.DAMAGED_SUFFIX + str(clock()))
            sync_directory(path)
            size = _rewrite(path, state, pause)
        elif size < len(data):
            fd = os.open(path, os.O_WRONLY)
            try:
                os.ftruncate(fd, size)
                os.fdatasync(fd)
            finally:
                os.close(fd)
        return cls(path, state, size, clock=clock, pause=pause,
                   compact_ratio=compact_ratio, compact_min_bytes=compact_min_bytes)

    # writes

    def create_upload(self, bucket: str, key: str, *, owner: str = "", headers: Pairs = (),
                      meta: Pairs = (), checksum_algorithm: str = "", extra: Blobs = (),
                      created_ns: int | None = None) -> str:
        """
        Begin an upload; returns its new id once the record is durable.
        """
        now = self._clock() if created_ns is None else created_ns
        info = UploadInfo(new_upload_id(now), bucket, key, owner, now, checksum_algorithm,
                          tuple(headers), tuple(meta), tuple(extra))
        with self._cond:
            self._write(UploadCreated(info))
        return info.upload_id

    def record_part(self, upload_id: str, part_number: int, part: PartInfo) -> PartInfo | None:
        """
        Store part C{part_number}; returns the part it replaced, whose data
        the caller must release now that this record is durable.

        Raises L{NoSuchUpload} or L{InvalidPartNumber} (1-10000).
        """
        if not 1 <= part_number <= MAX_PART_NUMBER:
            raise InvalidPartNumber(part_number)
        with self._cond:
            self._require(upload_id)
            old = self._state.part(upload_id, part_number)
            self._write(PartStored(upload_id, part_number, part, replaced=old is not None))
        return old

    def complete(self, upload_id: str, attached: Iterable[DataRef] = ()) -> list[PartInfo]:
        """
        End the upload after its object was committed with the C{attached}
        refs as segments; returns the other parts, whose data the caller
        must release. Raises L{NoSuchUpload}.

        The completion record is queued, not waited for: it becomes durable
        with the next sync (any later append, compaction or close). The
        object it completes is already durable in the cartridge, and if a
        crash loses the record, start-up reconciliation finds the upload's
        attached parts no longer detached and aborts the upload
        (docs/journal.md, "Reconciliation at start-up"), which is the same
        outcome. So Complete pays one sync (the engine's), not two.
        """
        used = set(map(_data_key, attached))
        with self._cond:
            upload = self._require(upload_id)
            self._write(UploadCompleted(upload_id, self._clock()), durable=False)
        return [p for _n, p in upload.parts if _data_key(p.ref) not in used]

    def abort(self, upload_id: str, reason: int = fmt.ABORT_CLIENT) -> list[PartInfo]:
        """
        Give the upload up; returns its parts, whose data the caller must
        release. Raises L{NoSuchUpload}.
        """
        with self._cond:
            upload = self._require(upload_id)
            self._write(UploadAborted(upload_id, self._clock(), reason))
        return [p for _n, p in upload.parts]

    def reconcile(self, detached: Iterable[tuple[bytes, DataRef]]) -> list[DataRef]:
        """
        Start-up reconciliation with C{cart.list_detached()} (docs/journal.md):
        aborts, durably, every upload that lost a part's data, and returns the
        detached refs the caller must release.
        """
        with self._cond:
            outcome = reconcile(list(self._state.held()), detached)
            for upload_id in outcome.drop:
                self._write(UploadAborted(upload_id, self._clock(), fmt.ABORT_RECOVERY))
        return list(outcome.release)

    def _write(self, record: Record, durable: bool = True) -> None:
        """
        Queue C{record}, apply it to memory in file order, wait until it is
        durable (unless C{durable} is false: see L{complete}), then start a
        compaction if the file has grown too large. Holds the lock.
        """
        while self._compacting:
            self._cond.wait()
        self._check_open()
        data = frame(*encode(record))
        ticket = self._writer.enqueue(data)
        self._state.apply(record, len(data))
        if durable:
            self._writer.wait(ticket)
        self._maybe_compact()

    # reads

    def get(self, upload_id: str) -> Upload | None:
        """
        A snapshot of the upload and its parts, or None.
        """
        with self._cond:
            self._check_open()
            return self._state.get(upload_id)

    def list_uploads(self, bucket: str, prefix: str = "", key_marker: str = "",
                     upload_id_marker: str = "", max_uploads: int = 1000,
                     delimiter: str = "") -> UploadListing:
        """
        One page of ListMultipartUploads (see L{UploadState.list_uploads}).
        """
        with self._cond:
            self._check_open()
            return self._state.list_uploads(bucket, prefix, key_marker, upload_id_marker,
                                            max_uploads, delimiter)

    def parts(self, upload_id: str, marker: int = 0, max_parts: int = 1000) -> PartListing:
        """
        One page of ListParts; raises L{NoSuchUpload}.
        """
        with self._cond:
            self._check_open()
            listing = self._state.parts(upload_id, marker, max_parts)
        if listing is None:
            raise NoSuchUpload(upload_id)
        return listing

    def expired(self, older_than_ns: int) -> list[str]:
        """
        Ids of the uploads created before C{older_than_ns}, oldest first.
        """
        with self._cond:
            self._check_open()
            return self._state.expired(older_than_ns)

    def uploads(self) -> list[Upload]:
        """
        Every in-progress upload, in listing order (for C{cartridge info}).
        """
        with self._cond:
            self._check_open()
            return [u for u in map(self._state.get, self._state.ids()) if u is not None]

    def held_refs(self) -> list[DataRef]:
        """
        Every DataRef a live part holds (for C{cartridge fsck}).
        """
        with self._cond:
            self._check_open()
            return [part.ref for _u, _n, part in self._state.held()]

    def file_size(self) -> int:
        """
        Bytes in the journal file, including records not yet durable.
        """
        with self._cond:
            return self._writer.size

    def live_size(self) -> int:
        """
        Bytes a compacted journal would have.
        """
        with self._cond:
            return fmt.HEADER_SIZE + self._state.live_bytes

    # compaction and lifetime

    def compact(self) -> None:
        """
        Rewrite the journal as its live state (docs/journal.md, "Compaction").
        """
        with self._cond:
            self._check_open()
            self._compact_locked()

    def settle(self) -> None:
        """
        Wait until a compaction a write asked for has finished (for tests
        and tools that look at the file; L{close} waits for it too).
        """
        with self._cond:
            while self._compaction_wanted and not self._closed:
                self._cond.wait()

    def _maybe_compact(self) -> None:
        """
        Wake the compaction thread if the file has grown too large. The
        caller does not compact: the write that makes it due is typically
        a Complete or an Abort that emptied the live state, and a
        compaction costs three syncs and a rename (tens of ms on a busy
        disk), which its client would otherwise wait for. The thread
        lives as long as the journal, because starting one waits for the
        scheduler to run it, which on a loaded machine takes as long as
        the compaction.
        """
        if not self._compaction_wanted and self._due():
            self._compaction_wanted = True
            self._compaction.notify()

    def _due(self) -> bool:
        """
        Whether the file is over its minimum size and the ratio times its
        live state (docs/journal.md, "Compaction").
        """
        size = self._writer.size
        return size > self._min_bytes and size > self._ratio * (fmt.HEADER_SIZE + self._state.live_bytes)

    def _compaction_loop(self) -> None:
        """
        The compaction thread: compact whenever a write asks, until the
        journal is closed. A failure is logged and the thread carries on:
        the journal either stays as it was (a failure before the rename) or
        is poisoned, and then every later call raises L{JournalFailed} to
        its caller.
        """
        with self._cond:
            while True:
                while not (self._compaction_wanted or self._closed):
                    self._compaction.wait()
                if self._closed:
                    return
                try:
                    if self._due():
                        self._compact_locked()
                except Exception:
                    log.exception("journal compaction failed")
                finally:
                    self._compaction_wanted = False
                    self._cond.notify_all()

    def _compact_locked(self) -> None:
        if self._compacting:
            return
        self._compacting = True
        try:
            self._writer.drain()
            steps: list[str] = []

            def pause(step: str) -> None:
                steps.append(step)
                self._pause(step)

            try:
                size = _rewrite(self.path, self._state, pause)
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
            except OSError as e:
                self._compaction_failed(e, renamed="renamed" in steps)
                return
            os.close(self._fd)
            self._fd = fd
            self._writer = LogWriter(fd, size, self._cond)
        finally:
            self._compacting = False
            self._cond.notify_all()

    def _compaction_failed(self, error: OSError, renamed: bool) -> None:
        """
        Before the rename, the old journal is intact and stays in use; after
        it, our descriptor names a file no longer in place, so no append
        may be trusted: the journal fails.
        """
        if renamed:
            self._writer.fail(error)
            self._writer.check()
        log.error("journal compaction failed, the journal stays as it was: %s", error)
        if os.path.exists(self.path + fmt.COMPACT_SUFFIX):
            os.unlink(self.path + fmt.COMPACT_SUFFIX)

    def close(self) -> None:
        """
        Wait for queued records to be durable and close the file; idempotent.
        """
        with self._cond:
            if self._closed:
                return
            while self._compacting or self._compaction_wanted:
                self._cond.wait()
            self._closed = True
            self._compaction.notify()
            try:
                self._writer.drain()
            finally:
                os.close(self._fd)
        self._compactor.join()

    def _check_open(self) -> None:
        if self._closed:
            raise JournalClosed(self.path)
        self._writer.check()

    def _require(self, upload_id: str) -> Upload:
        self._check_open()
        upload = self._state.get(upload_id)
        if upload is None:
            raise NoSuchUpload(upload_id)
        return upload


def _data_key(ref: DataRef) -> object:
    """
    What tells one part's data from another's: the first block of its
    extents (no two parts hold the same block, and the cartridge keys a
    detached body by it) or, for a body stored inline, its MD5 and bytes.
    Not the whole C{DataRef}, whose hash covers its CRC table: for 64
    parts of 16 MiB, hashing those took 0.4 ms of every Complete; nor its
    C{Extent}s, whose dataclass hash runs in Python for each.
    """
    if ref.extents:
        return ref.extents[0].start
    return (ref.md5, ref.inline)


def _rewrite(path: str, state: UploadState, pause: Callable[[str], None]) -> int:
    """
    Atomically replace the journal at C{path} by C{state}'s live records;
    returns the new file size.
    """
    chunks = [header()] + [frame(*encode(r)) for r in state.records()]
    write_file(path, chunks, pause)
    return sum(map(len, chunks))
