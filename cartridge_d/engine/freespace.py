"""
Free space: which blocks may be handed out, and when freed blocks may be
handed out again (docs/format.md, "Free space").

Freed space is not reusable at once. Every freed run remembers the txn that
wrote it (birth) and the txn that freed it; it becomes free again only when
the freeing commit is durable and no pin (a reader's view or a snapshot) lies
in [birth, freed), that is, nobody can still read it.

test-case-name: tests.engine.test_engine_properties
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from dataclasses import dataclass
from typing import Iterable

from .blockfile import BlockFile
from .errors import CartridgeFull
from .freemap import FreeMap, coalesce
from .types import Extent

#: The smallest step the file grows by, in bytes; otherwise it grows by a
#: sixteenth of its size (docs/format.md, "Growth and full"), so the free
#: tail a growth leaves stays under about 6% of the file.
GROW_MIN_BYTES = 8 << 20
GROW_FRACTION = 16


@dataclass(frozen=True)
class Pending:
    """
    A run freed by commit C{freed}, first written by commit C{birth}.
    """

    start: int
    count: int
    birth: int
    freed: int


def pinned(birth: int, freed: int, pins: list[int]) -> bool:
    """
    Whether a sorted list of pinned txns holds one that can see a run live
    in commits [birth, freed).
    """
    i = bisect_left(pins, birth)
    return i < len(pins) and pins[i] < freed


class Allocator:
    """
    Hands out blocks to writers (reservations) and to commits (pages), grows
    the file, and recycles freed runs. Thread-safe: one short lock, never
    held during I/O other than growing the file.
    """

    def __init__(self, file: BlockFile, block_size: int, total_blocks: int,
                 max_blocks: int | None, free: Iterable[tuple[int, int]],
                 pending: Iterable[Pending]) -> None:
        self._file = file
        self._bs = block_size
        self.total = total_blocks
        self.max_blocks = max_blocks
        self.lock = threading.Lock()
        self.free = FreeMap.of(free)
        self.pending: list[Pending] = list(pending)
        #: Writer reservations not yet committed: start -> (count, owner).
        self.reserved: dict[int, tuple[int, int]] = {}
        #: Blocks added by growth and removed by vacuum since the last
        #: commit's free list (which records them).
        self.grown: list[tuple[int, int]] = []
        self.shrunk: list[tuple[int, int]] = []

    # -- growth --------------------------------------------------------------

    def _grow(self, need: int) -> None:
        """
        Grow so the free tail holds C{need} contiguous blocks if the maximum
        allows, else as far as it allows; CartridgeFull if it cannot grow.
        """
        missing = need - self.free.tail(self.total)
        step = max(missing, self.total // GROW_FRACTION, GROW_MIN_BYTES // self._bs)
        new_total = self.total + step
        if self.max_blocks is not None:
            new_total = min(new_total, self.max_blocks)
        if new_total <= self.total:
            raise CartridgeFull("cartridge is full (%d blocks)" % self.total)
        self._file.grow(new_total * self._bs)
        self.free.add(self.total, new_total - self.total)
        self._record_growth(self.total, new_total - self.total)
        self.total = new_total

    def _record_growth(self, start: int, count: int) -> None:
        """
        Note blocks [start, start+count) added at the end for the next free
        list; growing back into blocks a vacuum removed, not yet recorded,
        cancels that removal instead.
        """
        while count and self.shrunk and self.shrunk[-1][0] == start:
            s0, n0 = self.shrunk.pop()
            k = min(count, n0)
            if n0 > k:
                self.shrunk.append((s0 + k, n0 - k))
            start += k
            count -= k
        if count:
            self.grown.append((start, count))

    def _record_shrink(self, start: int, count: int) -> None:
        """
        Note blocks [start, start+count) removed from the end; removing
        blocks grown but not yet recorded cancels that growth instead.
        """
        end = start + count
        while count and self.grown and sum(self.grown[-1]) == end:
            g0, m0 = self.grown.pop()
            k = min(count, m0)
            if m0 > k:
                self.grown.append((g0, m0 - k))
            end -= k
            count -= k
        if count:
            self.shrunk.append((start, count))

    def _take(self, want: int, minimum: int) -> Extent:
        start = self.free.first_fit(want)
        if start is None:
            try:
                self._grow(want)
            except CartridgeFull:
                pass
            start = self.free.first_fit(want)
        if start is not None:
            self.free.take(start, want)
            return Extent(start, want)
        s, c = self.free.largest()
        if c >= minimum:
            self.free.take(s, c)
            return Extent(s, c)
        raise CartridgeFull("cartridge is full: no %d free blocks" % minimum)

    # -- writers -------------------------------------------------------------

    def reserve(self, owner: int, want: int, minimum: int = 1) -> Extent:
        """
        Reserve up to C{want} contiguous blocks (at least C{minimum}) for
        writer C{owner}; they stay reserved until committed or given back.
        """
        with self.lock:
            ext = self._take(want, minimum)
            self.reserved[ext.start] = (ext.count, owner)
            return ext

    def trim(self, owner: int, ext: Extent, keep: int) -> Extent:
        """
        Give back the blocks of reservation C{ext} after the first C{keep}.
        """
        with self.lock:
            if keep < ext.count:
                self.reserved[ext.start] = (keep, owner)
                self.free.add(ext.start + keep, ext.count - keep)
            return Extent(ext.start, keep)

    def unreserve(self, owner: int, extents: Iterable[Extent]) -> None:
        """
        Give back C{owner}'s reservations among C{extents}; committed ones
        (no longer reserved) are left alone.
        """
        with self.lock:
            for e in extents:
                if self.reserved.get(e.start) == (e.count, owner):
                    del self.reserved[e.start]
                    self.free.add(e.start, e.count)

    def unreserve_any(self, extents: Iterable[Extent]) -> None:
        """
        Give back reservations among C{extents} whoever made them (a
        finished writer's body released before it was ever committed).
        """
        with self.lock:
            for e in extents:
                got = self.reserved.get(e.start)
                if got is not None and got[0] == e.count:
                    del self.reserved[e.start]
                    self.free.add(e.start, e.count)

    def is_reserved(self, ext: Extent) -> bool:
        with self.lock:
            got = self.reserved.get(ext.start)
            return got is not None and got[0] == ext.count

    # -- commits -------------------------------------------------------------

    def alloc_run(self, n: int) -> int:
        """
        Allocate C{n} contiguous blocks for commit pages.
        """
        with self.lock:
            return self._take(n, n).start

    def alloc_fit(self, n: int) -> int | None:
        """
        Allocate C{n} contiguous blocks from the lowest free run that holds
        them, or None if none does: never grows the file, so a caller that
        can do with scattered blocks falls back to L{alloc_pages}.
        """
        with self.lock:
            start = self.free.first_fit(n)
            if start is not None:
                self.free.take(start, n)
            return start

    def alloc_pages(self, n: int) -> list[tuple[int, int]]:
        """
        Allocate C{n} blocks for commit pages that need not be contiguous:
        gathered from the lowest free runs, growing the file only for what
        free space lacks. All or nothing: CartridgeFull leaves it unchanged.
        """
        with self.lock:
            missing = n - self.free.total
            if missing > 0:
                self._grow(missing + self.free.tail(self.total))
                if self.free.total < n:
                    raise CartridgeFull("cartridge is full: no %d free blocks" % n)
            return self.free.take_lowest(n)

    def give_back(self, runs: Iterable[tuple[int, int]]) -> None:
        """
        Return commit allocations of a commit that failed.
        """
        with self.lock:
            for s, c in runs:
                self.free.add(s, c)

    def committed(self, claimed: Iterable[int], freed: Iterable[Pending]) -> None:
        """
        A commit became durable: its claimed reservations are live now and
        its freed runs wait for recycling.
        """
        with self.lock:
            for s in claimed:
                self.reserved.pop(s, None)
            self.pending.extend(freed)

    def recycle(self, durable: int, pins: list[int]) -> None:
        """
        Move pending runs no pin can see, freed by durable commits, to free.
        """
        with self.lock:
            keep = []
            ready = []
            for p in self.pending:
                if p.freed <= durable and not pinned(p.birth, p.freed, pins):
                    ready.append((p.start, p.count))
                else:
                    keep.append(p)
            # a commit's pages come from one area, so the old copies the
            # next commit frees are mostly neighbours: joined first, they
            # take a few adds (each walks first_fit's marks) instead of one
            # per page, on the leader's serial path
            for start, count in coalesce(ready):
                self.free.add(start, count)
            self.pending = keep

    def persistent_state(self, claimed: Iterable[int], freed: list[Pending], snap_pins: list[int]
                         ) -> tuple[list[tuple[int, int]], list[Pending], int, int,
                                    tuple[list[tuple[int, int]], list[tuple[int, int]]]]:
        """
        What a full free list written by a commit says: the runs free after
        a restart (free now, unclaimed reservations, runs only readers pin)
        and the runs snapshots still pin. Returns (free, pending, free
        count, total blocks, growth), consistent with each other. Growth
        recorded so far is included, so it is taken (and returned, to be put
        back if the commit fails).
        """
        claimed = set(claimed)
        with self.lock:
            growth = (self.grown, self.shrunk)
            self.grown, self.shrunk = [], []
            runs = self.free.items()
            runs.extend((s, c) for s, (c, _o) in self.reserved.items() if s not in claimed)
            pend = []
            for p in self.pending + freed:
                if pinned(p.birth, p.freed, snap_pins):
                    pend.append(p)
                else:
                    runs.append((p.start, p.count))
            total = self.total
        free = coalesce(runs)
        return free, pend, sum(c for _, c in free), total, growth

    def shrink_tail(self) -> int:
        """
        Drop the free tail from the map and the total (vacuum); return the
        new total. The caller commits it and then truncates the file.
        """
        with self.lock:
            n = self.free.tail(self.total)
            if n:
                self.free.take(self.total - n, n)
                self._record_shrink(self.total - n, n)
                self.total -= n
            return self.total

    def take_growth(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]], int]:
        """
        The growth and shrinking since the last free list, and the total
        they lead to; the caller records them (or puts them back).
        """
        with self.lock:
            grown, shrunk = self.grown, self.shrunk
            self.grown, self.shrunk = [], []
            return grown, shrunk, self.total

    def restore_growth(self, grown: list[tuple[int, int]], shrunk: list[tuple[int, int]]) -> None:
        with self.lock:
            self.grown[:0] = grown
            self.shrunk[:0] = shrunk

    def snapshot_pinned(self, freed: list[Pending], snap_pins: list[int]) -> list[Pending]:
        """
        The pending runs (and runs of C{freed}) a snapshot pins.
        """
        with self.lock:
            return [p for p in self.pending + freed if pinned(p.birth, p.freed, snap_pins)]
