"""
Writing one commit: tree pages, snapshot table and free list run, sync,
header slot, sync (docs/format.md, "Commit order").

test-case-name: tests.engine.test_engine_faults
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .blockfile import BlockFile, write_durably
from .constants import PAGE_FREELIST, PAGE_SNAPSHOTS, VERSION_MAJOR, VERSION_MINOR
from .freelist import KIND_DELTA, KIND_FULL, ChainState, FreeListRun, Link, Plan, encode_run
from .freemap import coalesce
from .freespace import Allocator, Pending, pinned
from .header import Header, encode_header
from .pages import blob_pages
from .store import PageWriter
from .snapshots import SnapshotEntry, encode_snapshots
from .txn import Txn

#: The version a commit that wrote a CRC entry gives the header (a 2.1
#: file a 2.2 build opened keeps saying 2.1 until then).
CURRENT = (VERSION_MAJOR, VERSION_MINOR)


@dataclass(frozen=True)
class State:
    """
    The last durable commit, as the running process knows it.
    """

    header: Header
    snapshots: tuple[SnapshotEntry, ...]
    snaptab_birth: int


def write_commit(tx: Txn, st: State, pw: PageWriter, file: BlockFile, alloc: Allocator,
                 fl: ChainState) -> State:
    """
    Write commit C{tx.txn}: pages, sync, header slot, sync.
    """
    h = st.header
    # room in the tree's area for the free list run, so a small commit's
    # pages are one run and its flush one pwrite
    spare = blob_pages(48 + 32 * (_freelist_bound(tx, pw, alloc, fl) + 4), pw.store.block_size)
    root = pw.tree(tx.root, spare)
    snapshots = st.snapshots
    snap_start, snap_pages, snap_birth = h.snaptab_start, h.snaptab_pages, st.snaptab_birth
    if tx.snapshots_changed:
        snapshots = tuple(
            replace(s, root=root, objects=tx.objects, buckets=tx.buckets) if s.root == -1
            else s for s in tx.snapshots)
        if snap_pages:
            tx.freed.append(Pending(snap_start, snap_pages, snap_birth, tx.txn))
        snap_start, snap_pages, snap_birth = 0, 0, 0
        if snapshots:
            snap_start, snap_pages = pw.blob(PAGE_SNAPSHOTS, encode_snapshots(snapshots))
            snap_birth = tx.txn
    plan = _write_freelist(tx, pw, snapshots, alloc, fl)
    try:
        pw.flush()
        file.sync()
        header = h.evolve(txn=tx.txn, catalog_root=root, total_blocks=plan.total,
                          free_blocks=plan.free_count, freelist_start=plan.link.start,
                          freelist_pages=plan.link.pages, snaptab_start=snap_start,
                          snaptab_pages=snap_pages, objects=tx.objects, buckets=tx.buckets,
                          version=CURRENT if tx.wrote_crcs else h.version)
        # the header slot and its sync in one call where the file allows
        write_durably(file, encode_header(header), (tx.txn % 2) * pw.store.block_size)
    except BaseException:
        alloc.restore_growth(*plan.growth)
        raise
    fl.committed(plan)
    return State(header, snapshots, snap_birth)


def _freelist_bound(tx: Txn, pw: PageWriter, alloc: Allocator, fl: ChainState) -> int:
    """
    At most how many entries the free list run of C{tx} holds, given what
    it has allocated and freed so far.
    """
    full = fl.should_compact()
    with alloc.lock:
        bound = len(alloc.grown) + len(alloc.shrunk) + len(alloc.pending) + 8
        if full:
            bound += len(alloc.free) + len(alloc.reserved) + len(fl.chain)
    return bound + len(tx.freed) + len(tx.claimed) + len(pw.allocs) + len(fl.pending)


def _write_freelist(tx: Txn, pw: PageWriter, snapshots: tuple[SnapshotEntry, ...],
                alloc: Allocator, fl: ChainState) -> Plan:
    """
    Allocate and queue the free list run of commit C{tx.txn}: the
    changes since the last run, or a full list starting a new chain.
    Its own pages are allocated before its content is known, so it is
    sized from an upper bound, and again if that was too small.
    """
    snap_pins = sorted(s.txn for s in snapshots)
    full = fl.should_compact()
    if full:
        for link in fl.chain:
            tx.freed.append(Pending(link.start, link.pages, link.birth, tx.txn))
    pages = blob_pages(48 + 32 * _freelist_bound(tx, pw, alloc, fl), pw.store.block_size)
    while True:
        # allocate first: growth for this run must be in what it records;
        # then return the area's unused pages, so that they count as free
        start = pw.run(pages)
        pw.close_area()
        if full:
            free, pending, free_count, total, growth = alloc.persistent_state(
                tx.claimed, tx.freed, snap_pins)
            run = FreeListRun(KIND_FULL, (0, 0), free, [], pending)
            entries = len(free)
        else:
            grown, shrunk, total = alloc.take_growth()
            growth = (grown, shrunk)
            pending = alloc.snapshot_pinned(tx.freed, snap_pins)
            still = set(pending)
            plus = coalesce(grown + [(p.start, p.count) for p in tx.freed
                                     if not pinned(p.birth, p.freed, snap_pins)]
                            + [(p.start, p.count) for p in fl.pending if p not in still])
            minus = coalesce(pw.allocs + list(tx.claimed.items()) + shrunk)
            run = FreeListRun(KIND_DELTA, (fl.chain[-1].start, fl.chain[-1].pages), plus,
                              minus, pending)
            entries = len(plus) + len(minus)
            free_count = fl.free_count + sum(c for _, c in plus) - sum(c for _, c in minus)
        data = encode_run(run)
        if blob_pages(len(data), pw.store.block_size) <= pages:
            pw.blob_at(start, pages, PAGE_FREELIST, data)
            return Plan(Link(start, pages, tx.txn), full, pending, entries, free_count,
                        total, growth)
        alloc.restore_growth(*growth)
        pw.release(start, pages)
        pages = blob_pages(len(data), pw.store.block_size) + 1
