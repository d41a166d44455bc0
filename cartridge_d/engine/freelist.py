"""
The free list on disk: a chain of runs, one full list followed by the
changes of later commits (docs/format.md, "Free list").

Writing the whole free list every commit would cost time proportional to
fragmentation on every commit; a commit instead writes only what it
changed (runs that became free, runs that became used), and every so
often a full list starts a new chain. Opening replays at most
L{MAX_CHAIN} runs, so it stays bounded.

test-case-name: tests.engine.test_engine_properties
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Callable

from .errors import CorruptCartridge
from .freemap import FreeMap
from .freespace import Pending

KIND_FULL = 0
KIND_DELTA = 1
#: Most runs in a chain (the full list and its deltas).
MAX_CHAIN = 32

_HEAD = struct.Struct("<BQQ")
_U64 = struct.Struct("<Q")

Runs = list[tuple[int, int]]


@dataclass(frozen=True)
class Link:
    """
    One run of the chain: where it is and the commit that wrote it.
    """

    start: int
    pages: int
    birth: int


@dataclass(frozen=True)
class FreeListRun:
    """
    The content of one run: a full list (C{plus} is every free run, C{minus}
    empty) or a delta on the run before (C{prev}), applied plus first.
    C{pending} is always complete: the runs snapshots pin.
    """

    kind: int
    prev: tuple[int, int]
    plus: Runs
    minus: Runs
    pending: list[Pending]


def _pack_runs(runs: Runs) -> bytes:
    flat = [x for run in runs for x in run]
    return _U64.pack(len(runs)) + struct.pack("<%dQ" % len(flat), *flat)


def encode_run(run: FreeListRun) -> bytes:
    pflat = [x for p in run.pending for x in (p.start, p.count, p.birth, p.freed)]
    return b"".join((
        _HEAD.pack(run.kind, run.prev[0], run.prev[1]), _pack_runs(run.plus),
        _pack_runs(run.minus), _U64.pack(len(run.pending)),
        struct.pack("<%dQ" % len(pflat), *pflat)))


def decode_run(data: bytes) -> FreeListRun:
    try:
        kind, prev_start, prev_pages = _HEAD.unpack_from(data, 0)
        off = _HEAD.size
        lists: list[Runs] = []
        for _ in range(2):
            (n,) = _U64.unpack_from(data, off)
            flat = struct.unpack_from("<%dQ" % (2 * n), data, off + 8)
            lists.append([(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)])
            off += 8 + 16 * n
        (m,) = _U64.unpack_from(data, off)
        pflat = struct.unpack_from("<%dQ" % (4 * m), data, off + 8)
        off += 8 + 32 * m
    except struct.error as e:
        raise CorruptCartridge("free list run is truncated: %s" % e) from e
    if off != len(data) or kind not in (KIND_FULL, KIND_DELTA):
        raise CorruptCartridge("free list run has a bad kind or trailing bytes")
    pending = [Pending(*pflat[i:i + 4]) for i in range(0, len(pflat), 4)]
    return FreeListRun(kind, (prev_start, prev_pages), lists[0], lists[1], pending)


@dataclass(frozen=True)
class Replayed:
    """
    The free space a chain describes.
    """

    free: Runs
    pending: list[Pending]
    chain: list[Link]
    base_entries: int
    delta_entries: int


def replay(read: Callable[[int, int], tuple[bytes, int]], start: int, pages: int) -> Replayed:
    """
    Read the chain ending at run C{start} (C{read(start, pages)} returns a
    run's bytes and birth) and apply it; CorruptCartridge if it does not
    make sense (a delta freeing free blocks or using used ones).
    """
    links: list[Link] = []
    runs: list[FreeListRun] = []
    while True:
        data, birth = read(start, pages)
        run = decode_run(data)
        links.append(Link(start, pages, birth))
        runs.append(run)
        if run.kind == KIND_FULL:
            break
        if len(links) > MAX_CHAIN:
            raise CorruptCartridge("free list chain is longer than %d runs" % MAX_CHAIN)
        start, pages = run.prev
    links.reverse()
    runs.reverse()
    try:
        free = FreeMap.of(runs[0].plus)
        for run in runs[1:]:
            for s, c in run.plus:
                free.add(s, c)
            for s, c in run.minus:
                free.take(s, c)
    except (AssertionError, IndexError) as e:
        raise CorruptCartridge("free list chain is inconsistent: %s" % e) from e
    return Replayed(free.items(), runs[-1].pending, links, len(runs[0].plus),
                    sum(len(r.plus) + len(r.minus) for r in runs[1:]))


@dataclass
class Plan:
    """
    The free list run one commit writes, and what it changes once durable.
    """

    link: Link
    full: bool
    pending: list[Pending]
    entries: int
    free_count: int
    total: int
    growth: tuple[Runs, Runs]


class ChainState:
    """
    What the running engine remembers of the chain on disk. Only the commit
    leader uses it.
    """

    def __init__(self, replayed: Replayed, free_count: int) -> None:
        self.chain = list(replayed.chain)
        self.pending = list(replayed.pending)
        self.base_entries = replayed.base_entries
        self.delta_entries = replayed.delta_entries
        self.free_count = free_count

    def should_compact(self) -> bool:
        """
        Whether the next commit writes a full list: when the chain is at
        its longest, or its deltas outweigh half the full list.
        """
        return (len(self.chain) >= MAX_CHAIN
                or self.delta_entries > 1024 + self.base_entries // 2)

    def committed(self, plan: Plan) -> None:
        if plan.full:
            self.chain = [plan.link]
            self.base_entries = plan.entries
            self.delta_entries = 0
        else:
            self.chain.append(plan.link)
            self.delta_entries += plan.entries
        self.pending = plan.pending
        self.free_count = plan.free_count
