"""
Property tests (hypothesis): codecs round-trip, the B+tree behaves like a
dict (stateful, with snapshots and reopening), the allocator never hands
out a block twice.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from cartridge_d.engine import Cartridge, CorruptCartridge, check
from cartridge_d.engine.codec import (
    decode_bucket,
    decode_dataref,
    decode_object,
    encode_bucket,
    encode_dataref,
    encode_object,
    table_apart,
)
from cartridge_d.engine.freelist import FreeListRun, decode_run, encode_run
from cartridge_d.engine.freemap import FreeMap
from cartridge_d.engine.freespace import Allocator, Pending
from cartridge_d.engine.header import Header, decode_header, encode_header
from cartridge_d.engine.keys import decode_key, encode_key
from cartridge_d.engine.snapshots import SnapshotEntry, decode_snapshots, encode_snapshots
from cartridge_d.engine.types import BucketRecord, DataRef, Extent, Fuses, ObjectRecord
from engine_faults import FaultyFile
from engine_helpers import make_bucket, record, store

u64 = st.integers(0, 2**64 - 1)
text = st.text(max_size=40)
pairs = st.lists(st.tuples(text, text), max_size=5).map(tuple)


@st.composite
def datarefs(draw: st.DrawFn) -> DataRef:
    size = draw(st.integers(0, 10**9))
    md5 = draw(st.binary(min_size=16, max_size=16))
    if draw(st.booleans()):
        return DataRef(size=size, md5=md5, inline=draw(st.binary(max_size=100)))
    chunk = draw(st.sampled_from([65536, 131072]))
    n = -(-size // chunk)
    crcs = tuple(random.Random(size).getrandbits(32) for _ in range(min(n, 20000)))
    if len(crcs) != n:
        size = chunk * len(crcs)
    extents = tuple(draw(st.lists(st.builds(Extent, st.integers(2, 2**40), st.integers(1, 2**20)),
                                  min_size=1, max_size=5)))
    return DataRef(size=size, md5=md5, extents=extents, chunk_size=chunk, crcs=crcs)


objects = st.builds(
    ObjectRecord, bucket=st.just("b"), key=text, size=st.integers(0, 2**63), etag=text,
    mtime_ns=st.integers(0, 2**63), owner=text, version_id=text, delete_marker=st.booleans(),
    headers=pairs, meta=pairs, checksums=pairs, acl=st.none() | st.binary(max_size=50),
    sse=st.none() | st.binary(max_size=50),
    segments=st.lists(datarefs(), max_size=3).map(tuple))


@settings(deadline=None)
@given(objects)
def test_object_record_round_trip(rec: ObjectRecord) -> None:
    """
    Every field of an object record survives encoding, but a CRC table
    of more than one CRC, which format 2.2 keeps in a CRC entry.
    """
    segs = tuple(replace(s, crcs=()) if table_apart(s) else s for s in rec.segments)
    assert decode_object(rec.bucket, rec.key, encode_object(rec)) == replace(rec, segments=segs)


@settings(deadline=None, max_examples=50)
@given(objects, st.text(min_size=100, max_size=300))
def test_damaged_object_record_is_refused(rec: ObjectRecord, long_owner: str) -> None:
    """
    A record cut short anywhere, or with trailing bytes, is refused as
    corrupt (never an IndexError, never a wrong record), long strings
    included.
    """
    data = encode_object(replace(rec, owner=long_owner))
    for cut in range(len(data)):
        with pytest.raises(CorruptCartridge):
            decode_object(rec.bucket, rec.key, data[:cut])
    with pytest.raises(CorruptCartridge):
        decode_object(rec.bucket, rec.key, data + b"\0")


@settings(deadline=None)
@given(st.builds(BucketRecord, name=st.just("n"), owner=text, created_ns=u64, region=text,
                 versioning=st.sampled_from(["", "Enabled", "Suspended"]),
                 acl=st.none() | st.binary(max_size=30),
                 config=st.lists(st.tuples(text, st.binary(max_size=30)), max_size=4).map(tuple)))
def test_bucket_record_round_trip(rec: BucketRecord) -> None:
    """
    Every field of a bucket record survives encoding.
    """
    assert decode_bucket(rec.name, encode_bucket(rec)) == rec


@settings(deadline=None)
@given(datarefs())
def test_dataref_round_trip(ref: DataRef) -> None:
    """
    A data reference encodes on its own (for the journal) and decodes equal.
    """
    assert decode_dataref(encode_dataref(ref)) == ref


keys = st.tuples(st.integers(1, 4), st.binary(max_size=300), st.binary(max_size=300), u64)


@settings(deadline=None)
@given(keys, keys)
def test_key_encoding(a: tuple, b: tuple) -> None:  # type: ignore[type-arg]
    """
    Keys decode to themselves, and the decoder reports where each ends.
    """
    for k in (a, b):
        enc = encode_key(k)
        assert decode_key(enc, 0) == (k, len(enc))


@settings(deadline=None)
@given(st.builds(Header, block_size=st.sampled_from([4096, 8192, 65536]), total_blocks=u64,
                 free_blocks=u64, catalog_root=u64,
                 fuses=st.builds(Fuses, st.integers(0, 1), st.integers(0, 2), st.integers(0, 2)),
                 txn=u64, freelist_start=u64, freelist_pages=u64, snaptab_start=u64,
                 snaptab_pages=u64, uuid=st.binary(min_size=16, max_size=16), created_ns=u64,
                 objects=u64, buckets=u64))
def test_header_round_trip(h: Header) -> None:
    """
    A header slot decodes to what was encoded, and any flipped byte is caught.
    """
    raw = encode_header(h)
    assert decode_header(raw) == h
    i = random.Random(h.txn).randrange(256)
    bad = raw[:i] + bytes([raw[i] ^ 1]) + raw[i + 1:]
    assert decode_header(bad) is None


@settings(deadline=None)
@given(st.builds(FreeListRun, st.integers(0, 1), st.tuples(u64, u64),
                 st.lists(st.tuples(u64, u64)), st.lists(st.tuples(u64, u64)),
                 st.lists(st.builds(Pending, u64, u64, u64, u64))),
       st.lists(st.builds(SnapshotEntry, text, u64, u64, u64, u64, u64), max_size=5))
def test_freelist_and_snapshot_table_round_trip(run: FreeListRun,
                                                snaps: list) -> None:  # type: ignore[type-arg]
    """
    Free list runs and the snapshot table decode to what was encoded.
    """
    assert decode_run(encode_run(run)) == run
    assert decode_snapshots(encode_snapshots(tuple(snaps))) == tuple(snaps)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["reserve", "trim", "unreserve", "run", "pages",
                                           "free", "recycle"]), st.integers(1, 300)), max_size=80))
def test_allocator_never_double_allocates(steps: list[tuple[str, int]]) -> None:
    """
    Whatever the sequence of reservations, trims, releases, commit runs,
    scattered commit pages, frees and recycling, no block is handed out twice and every block is
    either owned, pending or free.
    """
    alloc = Allocator(FaultyFile(), 4096, 100, 5000, [(2, 98)], [])
    owned: dict[int, int] = {}
    txn = 1

    def take(start: int, count: int) -> None:
        for b in range(start, start + count):
            assert b not in owned, "block %d handed out twice" % b
            owned[b] = 1
    held: list[tuple[str, Extent]] = []
    rng = random.Random(len(steps))
    for op, n in steps:
        if op == "reserve":
            e = alloc.reserve(7, n)
            take(e.start, e.count)
            held.append(("r", e))
        elif op == "run":
            s = alloc.alloc_run(n % 20 + 1)
            take(s, n % 20 + 1)
            held.append(("p", Extent(s, n % 20 + 1)))
        elif op == "pages":
            runs = alloc.alloc_pages(n)
            assert sum(c for _, c in runs) == n
            for s, c in runs:
                take(s, c)
                held.append(("p", Extent(s, c)))
        elif held and op == "trim":
            kind, e = held.pop(rng.randrange(len(held)))
            if kind == "r":
                keep = max(1, e.count // 2)
                alloc.trim(7, e, keep)
                for b in range(e.start + keep, e.start + e.count):
                    del owned[b]
                held.append((kind, Extent(e.start, keep)))
        elif held and op == "unreserve":
            kind, e = held.pop(rng.randrange(len(held)))
            if kind == "r":
                alloc.unreserve(7, [e])
            else:
                alloc.give_back([(e.start, e.count)])
            for b in range(e.start, e.start + e.count):
                del owned[b]
        elif held and op == "free":
            kind, e = held.pop(rng.randrange(len(held)))
            if kind == "r":
                alloc.committed([e.start], [])
            alloc.committed([], [Pending(e.start, e.count, txn - 1, txn)])
            for b in range(e.start, e.start + e.count):
                del owned[b]
            txn += 1
        elif op == "recycle":
            alloc.recycle(txn, [txn - n % 3] if n % 2 else [])
    free_blocks = sum(c for _, c in alloc.free.items())
    pending_blocks = sum(p.count for p in alloc.pending)
    assert free_blocks + pending_blocks + len(owned) == alloc.total - 2


class CatalogMachine(RuleBasedStateMachine):
    """
    The whole engine over an in-memory disk against a dict model: puts,
    overwrites, deletes, listings, snapshots and reopening. Long keys make
    the tree several levels deep quickly.
    """

    def __init__(self) -> None:
        super().__init__()
        self.disk = FaultyFile()
        self.cart = Cartridge.open("model.cart", _file=self.disk, blocks=64)
        make_bucket(self.cart)
        self.model: dict[str, bytes] = {}
        self.snaps: dict[str, dict[str, bytes]] = {}
        self.detached: list[tuple[DataRef, bytes]] = []

    keys = st.builds(lambda p, n: p + "/" + "x" * n, st.sampled_from(["a", "ab", "b", "é", "z"]),
                     st.integers(0, 700))

    @rule(key=keys, size=st.sampled_from([0, 5, 1500, 5000]))
    def put(self, key: str, size: int) -> None:
        data = random.Random(key + str(size)).randbytes(size)
        self.cart.put_object(record("b", key, store(self.cart, data)))
        self.model[key] = data

    @rule(key=keys)
    def delete(self, key: str) -> None:
        removed = self.cart.delete_object("b", key)
        assert (removed is not None) == (key in self.model)
        self.model.pop(key, None)

    @rule(src=keys, dst=keys)
    def copy(self, src: str, dst: str) -> None:
        if src not in self.model:
            return
        with self.cart.view() as v:
            rec = v.get_object("b", src)
        assert rec is not None
        self.cart.put_object(replace(rec, key=dst))
        self.model[dst] = self.model[src]

    @rule(size=st.sampled_from([3000, 70_000]))
    def detach(self, size: int) -> None:
        data = random.Random(size + len(self.detached)).randbytes(size)
        ref = store(self.cart, data)
        self.cart.keep_detached(ref, b"tag")
        self.detached.append((ref, data))

    @precondition(lambda self: self.detached)
    @rule(key=keys, attach=st.booleans())
    def attach_or_release(self, key: str, attach: bool) -> None:
        ref, data = self.detached.pop()
        if attach:
            self.cart.put_object(record("b", key, ref))
            self.model[key] = data
        else:
            self.cart.release_detached(ref)

    @invariant()
    def detached_listed(self) -> None:
        assert sorted(r.extents[0].start for _, r in self.cart.list_detached()) == \
            sorted(r.extents[0].start for r, _ in self.detached)

    @rule(prefix=st.sampled_from(["", "a", "a/", "ab", "é", "zz"]), after=keys)
    def listing(self, prefix: str, after: str) -> None:
        with self.cart.view() as v:
            got = [r.key for r in v.list_objects("b", prefix=prefix, start_after=after)]
        want = sorted((k for k in self.model if k.startswith(prefix)
                       and k.encode() > after.encode()), key=str.encode)
        assert got == want

    @precondition(lambda self: len(self.snaps) < 3)
    @rule()
    def snapshot(self) -> None:
        name = "s%d" % len(self.snaps)
        while name in self.snaps:
            name += "x"
        self.cart.snapshot_create(name)
        self.snaps[name] = dict(self.model)

    @precondition(lambda self: self.snaps)
    @rule(data=st.data())
    def check_snapshot(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.snaps)))
        with self.cart.snapshot_view(name) as v:
            got = {r.key: v.read(r, 0, r.size) for r in v.list_objects("b")}
        assert got == self.snaps[name]

    @precondition(lambda self: self.snaps)
    @rule(data=st.data())
    def drop_snapshot(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.snaps)))
        self.cart.snapshot_delete(name)
        del self.snaps[name]

    @rule()
    def vacuum(self) -> None:
        self.cart.vacuum()

    @rule()
    def reopen(self) -> None:
        self.cart.close()
        report = check("model.cart", _file=self.disk)
        assert report.ok, str(report)
        self.cart = Cartridge.open("model.cart", _file=self.disk, cache_pages=8)

    @invariant()
    def contents(self) -> None:
        with self.cart.view() as v:
            got = {r.key: v.read(r, 0, r.size) for r in v.list_objects("b")}
        assert got == self.model

    def teardown(self) -> None:
        self.cart.close()
        report = check("model.cart", _file=self.disk, data=True)
        assert report.ok, str(report)


CatalogMachine.TestCase.settings = settings(
    max_examples=25, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
test_catalog_against_model = CatalogMachine.TestCase


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 4)), max_size=40))
def test_free_map_built_in_one_pass_matches_adding(gaps: list[tuple[int, int]]) -> None:
    """
    Opening builds the free map of a full free list in one pass; it holds
    the same runs as adding them one by one, and refuses overlapping runs
    as a damaged free list.
    """
    runs, at = [], 0
    for gap, count in gaps:
        runs.append((at + gap, count))
        at += gap + count
    one_by_one = FreeMap()
    for s, c in runs:
        one_by_one.add(s, c)
    built = FreeMap.of(runs)
    assert built.items() == one_by_one.items()
    assert built.total == one_by_one.total
    overlapping = [(s, c) for s, c in runs if c] * 2
    if overlapping:
        with pytest.raises(AssertionError):
            FreeMap.of(overlapping)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["fit", "add", "lowest"]), st.integers(1, 12),
                          st.integers(0, 200)), max_size=60))
def test_first_fit_is_the_lowest_run_that_fits(steps: list[tuple[str, int, int]]) -> None:
    """
    Whatever was freed, taken and coalesced before (first_fit remembers
    where its last scans for each size began), it returns the lowest free
    run holding the blocks asked for, and None only when no run does.
    """
    fm = FreeMap.of([(i * 3, 1 + i % 4) for i in range(0, 60, 2)])
    for op, n, at in steps:
        runs = fm.items()
        if op == "fit":
            expect = next((s for s, c in runs if c >= n), None)
            got = fm.first_fit(n)
            assert got == expect
            if got is not None and at % 2:
                fm.take(got, n)
            elif got is not None and at % 3 == 0:
                fm.take(got + n - 1, 1)
        elif op == "add":
            used = {b for s, c in runs for b in range(s, s + c)}
            block = next((b for b in range(at, 400) if b not in used), None)
            if block is not None:
                fm.add(block, 1)
        else:
            fm.take_lowest(min(n, fm.total))


@settings(deadline=None)
@given(u64, st.binary(max_size=20), datarefs())
def test_detached_extents_read_without_the_crc_table(birth: int, tag: bytes,
                                                     ref: DataRef) -> None:
    """
    Attaching a detached body reads only its birth and extents; they are
    the ones the full decoder sees, and an entry cut short is refused as
    corrupt or (cut inside the CRC table it does not read) still gives
    the same answer, never a wrong one.
    """
    from cartridge_d.engine.codec import decode_detached, detached_extents, encode_detached
    data = encode_detached(birth, tag, ref)
    full_birth, _tag, full_ref = decode_detached(data)
    assert detached_extents(data) == (full_birth, full_ref.extents)
    for cut in range(len(data)):
        try:
            got = detached_extents(data[:cut])
        except CorruptCartridge:
            continue
        assert got == (full_birth, full_ref.extents)
