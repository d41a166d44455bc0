"""
The free runs of a cartridge: a sorted, coalesced set of (start, count)
extents with first-fit search. The policy of when freed space may be handed
out again, and the locking, are L{cartridge_d.engine.freespace.Allocator}'s.

test-case-name: tests.engine.test_engine_properties, tests.engine.test_engine_group
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import islice
from typing import Iterable

#: Past any block number: L{FreeMap.first_fit} found no run of that size.
NO_FIT = 1 << 62


class FreeMap:
    """
    Free extents, sorted and coalesced. Not thread-safe (the Allocator locks).
    """

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._count: dict[int, int] = {}
        self.total = 0
        #: For a size n, a block below which every free run is smaller than
        #: n: where L{first_fit} starts its scan, so a fragmented map full of
        #: small holes is not walked again by every commit's area. Only a
        #: coalescing C{add} can make a run larger, and it lowers these.
        self._fit: dict[int, int] = {}

    @classmethod
    def of(cls, runs: Iterable[tuple[int, int]]) -> "FreeMap":
        """
        A map of C{runs}, sorted and disjoint (a full free list), built in
        one pass; neighbours are coalesced. AssertionError if they overlap
        or are out of order, as C{add} would say.
        """
        fm = cls()
        starts, counts = fm._starts, fm._count
        end = -1
        for s, c in runs:
            if c <= 0:
                continue
            if s < end:
                raise AssertionError("free runs overlap or are unsorted at block %d" % s)
            if s == end:
                counts[starts[-1]] += c
            else:
                starts.append(s)
                counts[s] = c
            end = s + c
            fm.total += c
        return fm

    def add(self, start: int, count: int) -> None:
        if count <= 0:
            return
        starts = self._starts
        i = bisect_left(starts, start)
        if i > 0:
            ps = starts[i - 1]
            if ps + self._count[ps] > start:
                raise AssertionError("double free of block %d" % start)
        if i < len(starts) and start + count > starts[i]:
            raise AssertionError("double free of block %d" % starts[i])
        self.total += count
        if i < len(starts) and start + count == starts[i]:
            count += self._count.pop(starts[i])
            del starts[i]
        if i > 0:
            ps = starts[i - 1]
            if ps + self._count[ps] == start:
                self._count[ps] += count
                self._lower_fit(ps)
                return
        starts.insert(i, start)
        self._count[start] = count
        self._lower_fit(start)

    def _lower_fit(self, start: int) -> None:
        fit = self._fit
        for n, below in fit.items():
            if start < below:
                fit[n] = start

    def take(self, start: int, count: int) -> None:
        """
        Remove [start, start+count), which must lie inside one free extent.
        """
        i = bisect_right(self._starts, start) - 1
        s = self._starts[i]
        c = self._count[s]
        if not (s <= start and start + count <= s + c):
            raise AssertionError("taking blocks that are not free")
        if s == start:
            # the usual case (first_fit hands out a run's start): the run
            # shrinks in place; runs only got smaller, so the marks of
            # first_fit stay right without the walk an add makes
            if count == c:
                del self._starts[i]
                del self._count[s]
                self.total -= c
            else:
                self._shrink_front(i, count)
            return
        del self._starts[i]
        del self._count[s]
        self.total -= c
        self.add(s, start - s)
        self.add(start + count, s + c - start - count)

    def take_lowest(self, n: int) -> list[tuple[int, int]]:
        """
        Remove C{n} blocks (at most C{self.total}) from the lowest free
        runs and return them as runs in address order. Filling holes from
        the start keeps the file compact and the tail free for vacuum.
        """
        starts, counts = self._starts, self._count
        got: list[tuple[int, int]] = []
        i = 0
        while n > 0 and i < len(starts):
            s = starts[i]
            c = counts[s]
            if c > n:
                self._shrink_front(i, n)
                got.append((s, n))
                n = 0
                break
            del counts[s]
            got.append((s, c))
            self.total -= c
            n -= c
            i += 1
        del starts[:i]
        return got

    def _shrink_front(self, i: int, n: int) -> None:
        """
        Take the first C{n} blocks of the C{i}th run, which has more.
        """
        s = self._starts[i]
        c = self._count.pop(s)
        self._starts[i] = s + n
        self._count[s + n] = c - n
        self.total -= n

    def first_fit(self, n: int) -> int | None:
        """
        The lowest free run of at least C{n} blocks, or None.
        """
        count, starts, fit = self._count, self._starts, self._fit
        below = fit.get(n, 0)
        found = None
        for s in islice(starts, bisect_left(starts, below) if below else 0, None):
            if count[s] >= n:
                found = s
                break
        if n not in fit and len(fit) >= 64:
            fit.clear()
        fit[n] = NO_FIT if found is None else found
        return found

    def largest(self) -> tuple[int, int]:
        best = (0, 0)
        for s in self._starts:
            if self._count[s] > best[1]:
                best = (s, self._count[s])
        return best

    def tail(self, total: int) -> int:
        """
        How many free blocks end exactly at block C{total}.
        """
        if self._starts:
            s = self._starts[-1]
            if s + self._count[s] == total:
                return self._count[s]
        return 0

    def items(self) -> list[tuple[int, int]]:
        return [(s, self._count[s]) for s in self._starts]

    def __len__(self) -> int:
        return len(self._starts)


def coalesce(runs: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, c in sorted(runs):
        if c <= 0:
            continue
        if out and out[-1][0] + out[-1][1] == s:
            out[-1] = (out[-1][0], out[-1][1] + c)
        else:
            out.append((s, c))
    return out
