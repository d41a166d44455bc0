"""
The cartridge: one file holding a catalog and object data, opened by one
process at a time and used by many threads.

Threads: every public method may be called from any thread. Writers and
views never block each other or the commit; commits from many threads are
grouped (L{CommitQueue}); the only lock a commit holds for long is its
leadership of the queue, never while a body is received or sent.

test-case-name: tests.engine.test_engine_api
"""

from __future__ import annotations

import os
import struct
import threading
import time
import uuid as uuidlib
from collections import Counter
from typing import Callable, Sequence, cast

from .blockfile import BlockFile, OsFile, sync_directory
from .commit import State, write_commit
from .commitqueue import CommitQueue, Request
from .constants import (
    DEFAULT_BLOCK_SIZE,
    FIRST_USABLE_BLOCK,
    HEADER_SIZE,
    MAX_BLOCK_SIZE,
    MIN_BLOCK_SIZE,
    PAGE_FREELIST,
    PAGE_SNAPSHOTS,
)
from .errors import CartridgeFull, Closed, CorruptCartridge, EngineError
from .freelist import KIND_FULL, ChainState, FreeListRun, encode_run, replay
from .freespace import Allocator
from .header import Header, check_identity, encode_header, read_slots
from .nowait import NowaitMode
from .pages import encode_blob
from .snapshots import SnapshotEntry, decode_snapshots
from .store import NodeStore, PageWriter
from .operations import (
    CreateSnapshot,
    DeleteBucket,
    DropSnapshot,
    KeepDetached,
    Operation,
    PutBucket,
    ReleaseDetached,
    Touch,
)
from .txn import Txn
from .view import RECORDS, BucketCache, View
from .writer import Writer
from .types import (
    BucketRecord,
    CartridgeInfo,
    DataRef,
    DeleteObject,
    Fuses,
    ObjectRecord,
    Op,
    PutObject,
    SnapshotInfo,
)


def _read_headers(file: BlockFile) -> Header:
    """
    The newest valid header slot. If neither slot is valid: NotACartridge
    or UnsupportedVersion for files that are not ours (judged by slot 0),
    CorruptCartridge for a cartridge whose both slots are damaged.
    """
    slot0, slot1 = read_slots(file)
    valid = [h for h in (slot0, slot1) if h is not None]
    if not valid:
        check_identity(file.pread(HEADER_SIZE, 0))
        raise CorruptCartridge("both header slots are damaged")
    return max(valid, key=lambda h: h.txn)


class Cartridge:
    """
    An open cartridge file. See docs/internals.md ("engine") for the
    contract and docs/format.md for what is on disk.
    """

    def __init__(self, path: str, file: BlockFile, header: Header, max_size: int | None,
                 cache_pages: int = 2048) -> None:
        self.path = path
        self._file = file
        self.block_size = bs = header.block_size
        self.fuses = header.fuses
        self.max_size = max_size
        self._store = NodeStore(file, bs, cache_pages)
        self._nowait = NowaitMode(file)
        nowait_file = self._nowait.file()
        self._nowait_store = (
            None if nowait_file is None
            # views only pread, which is all a NowaitFile has
            else self._store.reading_through(cast(BlockFile, nowait_file))
        )
        replayed = replay(lambda s, n: self._store.read_blob(s, n, PAGE_FREELIST),
                          header.freelist_start, header.freelist_pages)
        self._freelist = ChainState(replayed, header.free_blocks)
        snapshots: tuple[SnapshotEntry, ...] = ()
        snap_birth = 0
        if header.snaptab_pages:
            data, snap_birth = self._store.read_blob(header.snaptab_start, header.snaptab_pages,
                                                     PAGE_SNAPSHOTS)
            try:
                snapshots = decode_snapshots(data)
            except (ValueError, struct.error) as e:
                raise CorruptCartridge("bad snapshot table: %s" % e) from e
        max_blocks = None if max_size is None else max(max_size // bs, header.total_blocks)
        self._alloc = Allocator(file, bs, header.total_blocks, max_blocks, replayed.free,
                                replayed.pending)
        self._state = State(header, snapshots, snap_birth)
        self._state_lock = threading.Lock()
        self._buckets: BucketCache = {}  # with _state; swapped together (view.py)
        self._pins: Counter[int] = Counter()
        self._queue = CommitQueue(self._run_batch)
        self._closed = False
        self._file_closed = False
        self._failure: BaseException | None = None

    # -- opening -------------------------------------------------------------

    @classmethod
    def open(cls, path: str, *, create: bool = True, blocks: int = 1024,
             block_size: int = DEFAULT_BLOCK_SIZE, max_size: int | None = None,
             fuses: Fuses = Fuses(), cache_pages: int = 2048,
             _file: BlockFile | None = None, _first_txn: int = 0) -> "Cartridge":
        """
        Open the cartridge at C{path}, creating it (with C{blocks} blocks of
        C{block_size} bytes and C{fuses}) if it does not exist and C{create}
        is set. An existing file is never truncated or changed by opening;
        files that are not version 2.1 or 2.2 cartridges are refused (a
        2.1 file says 2.2 from the first commit that writes a CRC entry).
        """
        file = _file
        if file is None:
            exists = os.path.exists(path)
            if not exists and not create:
                raise FileNotFoundError(path)
            if not exists:
                file = OsFile.open(path, create=True)
                try:
                    cls._initialize(file, blocks, block_size, fuses, _first_txn)
                except BaseException:
                    file.close()
                    os.unlink(path)
                    raise
                sync_directory(path)
            else:
                file = OsFile.open(path)
        try:
            if file.size() == 0:
                if not create:
                    raise CorruptCartridge("%s is empty" % path)
                cls._initialize(file, blocks, block_size, fuses, _first_txn)
            header = _read_headers(file)
            if file.size() < header.total_blocks * header.block_size:
                raise CorruptCartridge("file is shorter than its header says")
            return cls(path, file, header, max_size, cache_pages)
        except BaseException:
            file.close()
            raise

    @staticmethod
    def _initialize(file: BlockFile, blocks: int, block_size: int, fuses: Fuses,
                    txn: int = 0) -> None:
        """
        Write an empty cartridge: both header slots (txn C{txn}, 0 unless an
        export continues a source's numbering) and a free list.
        """
        bs = block_size
        if bs < MIN_BLOCK_SIZE or bs > MAX_BLOCK_SIZE or bs & (bs - 1):
            raise ValueError("block size must be a power of two from 4096 to 65536")
        if blocks < 8:
            raise ValueError("a cartridge needs at least 8 blocks")
        fl_start = FIRST_USABLE_BLOCK
        fl_pages = 1
        free = [(fl_start + fl_pages, blocks - fl_start - fl_pages)]
        header = Header(block_size=bs, total_blocks=blocks, free_blocks=free[0][1],
                        catalog_root=0, fuses=fuses, txn=txn, freelist_start=fl_start,
                        freelist_pages=fl_pages, snaptab_start=0, snaptab_pages=0,
                        uuid=uuidlib.uuid4().bytes, created_ns=time.time_ns(), objects=0,
                        buckets=0)
        file.grow(blocks * bs)
        content = encode_run(FreeListRun(KIND_FULL, (0, 0), free, [], []))
        file.pwrite(encode_blob(fl_start, PAGE_FREELIST, txn, content, bs), fl_start * bs)
        raw = encode_header(header)
        file.pwrite(raw, 0)
        file.pwrite(raw, bs)
        file.sync()

    # -- lifecycle -----------------------------------------------------------

    def _check_open(self) -> None:
        if self._failure is not None:
            raise Closed("cartridge failed: %s" % (self._failure,))
        if self._closed:
            raise Closed("cartridge is closed")

    def close(self) -> None:
        """
        Wait for in-flight commits, then close the file. Idempotent.
        """
        if self._closed:
            return
        self._closed = True
        self._queue.drain()
        self._file_closed = True
        self._file.close()

    def __enter__(self) -> "Cartridge":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------

    def _pin(self, txn: int) -> None:
        with self._state_lock:
            self._pins[txn] += 1

    def _unpin(self, txn: int) -> None:
        with self._state_lock:
            self._pins[txn] -= 1
            if not self._pins[txn]:
                del self._pins[txn]

    def view(self) -> View:
        """
        A view of the last committed state; close it (or use C{with}) so the
        space it pins can be reused.
        """
        return self._pinned_view(self._store)

    def _pinned_view(self, store: NodeStore) -> View:
        """
        A view reading through C{store}, pinning the last committed state.
        """
        self._check_open()
        with self._state_lock:
            h = self._state.header
            buckets = self._buckets
            self._pins[h.txn] += 1
        return View(store, h.catalog_root, h.txn, lambda: self._unpin(h.txn),
                    lambda: not self._closed, buckets)

    def nowait_view(self) -> View | None:
        """
        A view of the last committed state whose reads never wait for the
        disk: any read the page cache cannot answer raises L{WouldBlock}
        (docs/internals.md, "engine"). Safe to call from a thread that must
        not block (the reactor's): pinning takes only a short lock. None
        if this cartridge's file cannot be read that way (not an OS file,
        or the kernel refused RWF_NOWAIT once); take the pool then.
        """
        if self._nowait_store is None or not self._nowait.available:
            return None
        return self._pinned_view(self._nowait_store)

    def get_bucket(self, name: str) -> BucketRecord | None:
        """
        The bucket as last committed: a dict lookup once it was read
        (L{BucketCache}), a view's lookup the first time.
        """
        self._check_open()
        rec = self._buckets.get(name)
        if rec is not None:
            return rec
        with self.view() as v:
            return v.get_bucket(name)

    def list_buckets(self) -> list[BucketRecord]:
        with self.view() as v:
            return v.list_buckets()

    def info(self) -> CartridgeInfo:
        self._check_open()
        st = self._state
        h = st.header
        return CartridgeInfo(
            path=self.path, version=h.version, block_size=h.block_size,
            total_blocks=h.total_blocks, free_blocks=h.free_blocks, file_size=self._file.size(),
            txn=h.txn, uuid=str(uuidlib.UUID(bytes=h.uuid)), created_ns=h.created_ns,
            fuses=h.fuses, objects=h.objects, buckets=h.buckets, snapshots=len(st.snapshots),
            max_size=self.max_size)

    # -- writing bodies ------------------------------------------------------

    def writer(self, size_hint: int | None = None) -> Writer:
        """
        A streaming writer for one body; C{size_hint} (the expected size)
        lets a large body get one large extent.
        """
        self._check_open()
        return Writer(self._alloc, self._file, self.block_size, size_hint,
                      lambda: not self._closed and self._failure is None)

    # -- commits -------------------------------------------------------------

    def _submit(self, ops: Sequence[Operation]) -> list[object]:
        self._check_open()
        return self._queue.submit(ops)

    def put_bucket(self, rec: BucketRecord, *, replace: bool = False) -> None:
        self._submit([PutBucket(rec, replace)])

    def delete_bucket(self, name: str) -> None:
        self._submit([DeleteBucket(name)])

    def put_object(self, rec: ObjectRecord, *, if_none_match: bool = False,
                   if_match_etag: str | None = None, in_place: bool = False) -> ObjectRecord:
        (stored,) = self._submit([PutObject(rec, if_none_match, if_match_etag, in_place)])
        return stored  # type: ignore[return-value]

    def delete_object(self, bucket: str, key: str, version_id: str | None = None
                      ) -> ObjectRecord | None:
        (old,) = self._submit([DeleteObject(bucket, key, version_id)])
        RECORDS.forget(bucket, key)  # its cached record would only hold memory now
        return old  # type: ignore[return-value]

    def commit(self, ops: Sequence[Op]) -> None:
        """
        Apply several PutObject / DeleteObject operations in one atomic,
        durable commit: all of them or, if one raises, none.
        """
        self._submit(list(ops))
        for op in ops:
            if isinstance(op, DeleteObject):
                RECORDS.forget(op.bucket, op.key)

    def keep_detached(self, ref: DataRef, owner_tag: bytes) -> None:
        self._submit([KeepDetached(ref, owner_tag)])

    def release_detached(self, ref: DataRef) -> None:
        (found,) = self._submit([ReleaseDetached(ref)])
        if not found:
            self._alloc.unreserve_any(ref.extents)

    def list_detached(self) -> list[tuple[bytes, DataRef]]:
        from .codec import decode_detached
        from .constants import KIND_DETACHED
        from . import btree
        out = []
        with self.view() as v:
            for k, val in btree.scan(self._store.load, v._root, (KIND_DETACHED, b"", b"", 0)):
                if k[0] != KIND_DETACHED:
                    break
                _birth, tag, ref = decode_detached(self._store.value(val))
                out.append((tag, v.filled(ref)))
        return out

    def _recycle(self) -> State:
        """
        Make runs freed by durable commits that no view or snapshot can read
        free again; return the state that decided it.
        """
        with self._state_lock:
            st = self._state
            pins = sorted(set(self._pins) | {s.txn for s in st.snapshots})
        self._alloc.recycle(st.header.txn, pins)
        return st

    def _run_batch(self, batch: list[Request]) -> None:
        try:
            self._check_open_for_commit()
            st = self._recycle()
            h = st.header
            tx = Txn(self._store, self._alloc, h.txn + 1, h.catalog_root or None, h.objects,
                     h.buckets, st.snapshots, self.fuses)
            ok = _apply(tx, batch)
            if not tx.changed:
                return
            pw = PageWriter(self._store, self._alloc, tx.txn)
            try:
                new_state = write_commit(tx, st, pw, self._file, self._alloc, self._freelist)
            except CartridgeFull as e:
                self._alloc.give_back(pw.allocs)
                for req in ok:
                    req.error = e
                return
            with self._state_lock:
                self._state = new_state
                if tx.buckets_changed:
                    self._buckets = {}
            self._alloc.committed(tx.claimed, tx.freed)
        except BaseException as e:
            if self._failure is None and not isinstance(e, Closed):
                self._failure = e
            for req in batch:
                req.error = e if isinstance(e, EngineError) else Closed("commit failed: %s" % e)

    def _check_open_for_commit(self) -> None:
        if self._failure is not None:
            raise Closed("cartridge failed: %s" % (self._failure,))
        if self._file_closed:
            raise Closed("cartridge is closed")

    # -- snapshots and space -------------------------------------------------

    def snapshot_create(self, name: str) -> SnapshotInfo:
        """
        Pin the state of the next commit under C{name} (cheap: no copying).
        """
        self._submit([CreateSnapshot(name, time.time_ns())])
        return next(s for s in self.snapshot_list() if s.name == name)

    def snapshot_list(self) -> list[SnapshotInfo]:
        self._check_open()
        return [SnapshotInfo(s.name, s.txn, s.created_ns, s.objects, s.buckets)
                for s in self._state.snapshots]

    def snapshot_delete(self, name: str) -> None:
        self._submit([DropSnapshot(name)])

    def snapshot_view(self, name: str) -> View:
        """
        A read-only view of snapshot C{name} (KeyError if there is none).
        """
        self._check_open()
        with self._state_lock:
            for s in self._state.snapshots:
                if s.name == name:
                    self._pins[s.txn] += 1
                    break
            else:
                raise KeyError(name)
        return View(self._store, s.root, s.txn, lambda: self._unpin(s.txn),
                    lambda: not self._closed)

    def snapshot_export(self, name: str, path: str,
                        progress: Callable[[int, int], None] | None = None) -> None:
        """
        Copy snapshot C{name} into a new cartridge file at C{path}; calls
        C{progress(records copied, records)} as it goes.
        """
        from .export import export_view
        total = next((s.objects for s in self._state.snapshots if s.name == name), 0)
        with self.snapshot_view(name) as v:
            export_view(self, v, path, progress, total)

    def vacuum(self) -> int:
        """
        Give the free space at the end of the file back to the file system;
        return the bytes released. Data is not moved.
        """
        self._check_open()
        before = self._file.size()
        self._recycle()
        self._alloc.shrink_tail()
        self._submit([Touch()])
        with self._alloc.lock:
            size = self._alloc.total * self.block_size
            if self._file.size() > size:
                self._file.truncate(size)
        return max(0, before - self._file.size())


def _apply(tx: Txn, batch: list[Request]) -> list[Request]:
    """
    Apply the requests of C{batch} to C{tx} in order; return those that
    succeeded. A request that raises is undone alone and gets the error.

    All of them are first applied under one undo mark: a mark freezes every
    node made before it, so with one mark per request each request copied
    again the leaf and branches the one before it had just made (the 14
    extent entries of a batch copied the same leaf 14 times). Only if one
    raises is the whole batch undone and applied again with a mark per
    request; what each request does depends only on the transaction's
    state, which the undo restores, so the second pass gives the results
    the first would have.
    """
    start = tx.mark()
    try:
        for req in batch:
            req.results = [tx.apply(op) for op in req.ops]  # type: ignore[arg-type]
        return list(batch)
    except Exception:
        tx.rollback(start)
    ok = []
    for req in batch:
        mark = tx.mark()
        try:
            req.results = [tx.apply(op) for op in req.ops]  # type: ignore[arg-type]
            ok.append(req)
        except Exception as e:
            tx.rollback(mark)
            req.results = []
            req.error = e
    return ok
