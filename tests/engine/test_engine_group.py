"""
The group-commit path's cheaper steps (docs/perf-group.md) behave exactly
as before: every waiting thread of a batch wakes (in a chain), a record
encodes to the same bytes on disk, taking a run's start leaves the free
map as a plain set of blocks would, recycled neighbours join, and a header
evolves as dataclasses.replace would make it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartridge_d.engine.codec import decode_object, encode_object
from cartridge_d.engine.commitqueue import CommitQueue, Request
from cartridge_d.engine.freemap import FreeMap
from cartridge_d.engine.freespace import Allocator, Pending
from cartridge_d.engine.header import Header
from cartridge_d.engine.types import DataRef, Extent, Fuses, ObjectRecord

_MD5 = hashlib.md5(b"body").digest()
_ONE = DataRef(size=4096, md5=_MD5, extents=(Extent(12345, 1),), chunk_size=65536,
               crcs=(0xDEADBEEF,))
_TWO = DataRef(size=200_000, md5=hashlib.md5(b"two").digest(),
               extents=(Extent(7, 3), Extent(900, 47)), chunk_size=65536, crcs=(1, 2, 3, 4))
_INLINE = DataRef(size=4, md5=hashlib.md5(b"tiny").digest(), inline=b"tiny")

#: Records and their encodings as the code before docs/perf-group.md wrote
#: them: the on-disk record format must not move.
GOLDEN = [
    (ObjectRecord("b", "k", 4096, _MD5.hex(), 1_764_000_000_123_456_789, segments=(_ONE,)),
     "588020959a97f9f694bfbd180001841a2d689ad86bd1611447453c22c6fc01b96001808004efbeadde"),
    (ObjectRecord("b", "k", 4096, "0" * 32 + "-2", 5, owner="\u00f3wner", version_id="v1",
                  headers=(("Content-Type", "text/plain"),), meta=(("a", "b"),),
                  checksums=(("CRC32", "AAAAAA=="),), acl=b"acl", sse=b"sse",
                  segments=(_ONE,)),
     "668020052230303030303030303030303030303030303030303030303030303030303030302d3206c3b3"
     "776e6572027631010c436f6e74656e742d547970650a746578742f706c61696e01016101620105435243"
     "3332084141414141413d3d0361636c0373736501841a2d689ad86bd1611447453c22c6fc01b960018080"
     "04efbeadde"),
    # format 2.2: the four-chunk segment is kind 3, its table in a CRC entry
    (ObjectRecord("b", "k", 204_096, "f" * 32 + "-2", 2**40,
                  segments=(_ONE, replace(_TWO, crcs=()))),
     "10c0ba0c8080808080202266666666666666666666666666666666666666666666666666666666666666"
     "662d320002802001841a2d689ad86bd1611447453c22c6fc01b96001808004efbeaddec09a0c03b8a9f7"
     "15dbb64fd5c56e7783c6820a6102070384072f808004"),
    (ObjectRecord("b", "k", 4, _INLINE.md5.hex(), 0, owner="o", segments=(_INLINE,)),
     "580400016f0274696e79"),
    (ObjectRecord("b", "k", 0, "", 9, version_id="v2", delete_marker=True),
     "010009000002763200"),
]


@pytest.mark.parametrize("rec, encoded", GOLDEN)
def test_record_encoding_is_unchanged(rec: ObjectRecord, encoded: str) -> None:
    """
    A record (plain PUT, every optional field, two segments, inline body,
    delete marker) encodes to the same bytes as before, and decodes back.
    """
    assert encode_object(rec).hex() == encoded
    assert decode_object("b", "k", bytes.fromhex(encoded)) == rec


#: The 2.1 encoding of GOLDEN's two-segment record: the four-chunk segment
#: is kind 1 and carries its table.
_GOLDEN_21 = (
    "10c0ba0c8080808080202266666666666666666666666666666666666666666666666666666666666666"
    "662d320002802001841a2d689ad86bd1611447453c22c6fc01b96001808004efbeaddec09a0c01b8a9f7"
    "15dbb64fd5c56e7783c6820a6102070384072f80800401000000020000000300000004000000")


def test_record_encoded_by_21_still_decodes() -> None:
    """
    A 2.1 record whose segment carries a table of several CRCs (the form
    2.2 keeps apart) still decodes, table included.
    """
    rec = decode_object("b", "k", bytes.fromhex(_GOLDEN_21))
    assert rec.segments == (_ONE, _TWO)


def test_record_owner_that_is_not_utf8_still_refuses() -> None:
    """
    An owner that cannot be UTF-8 encoded is refused, as before, instead of
    being stored some other way.
    """
    with pytest.raises(UnicodeEncodeError):
        encode_object(ObjectRecord("b", "k", 0, "", 1, owner="\udc80"))


def test_every_thread_of_a_batch_wakes() -> None:
    """
    Sixteen threads committing through one queue, with slow batches so
    that many requests share each: every call returns its own result or
    raises its own error (a failed request still wakes the thread after
    it in the chain), and batches did carry several requests.
    """
    sizes: list[int] = []

    def run(batch: list[Request]) -> None:
        sizes.append(len(batch))
        time.sleep(0.002)
        for r in batch:
            if r.ops[0] == "fail":
                r.error = ValueError("refused")
            else:
                r.results = list(r.ops)

    q = CommitQueue(run, prepare=lambda ops: ops)
    wrong: list[object] = []

    def work(t: int) -> None:
        for i in range(40):
            if (t + i) % 5 == 0:
                try:
                    q.submit(["fail"])
                except ValueError:
                    continue
                wrong.append(("no error", t, i))
            else:
                got = q.submit([(t, i)])
                if got != [(t, i)]:
                    wrong.append(got)

    # daemons, so that a thread never woken fails the test instead of hanging it
    threads = [threading.Thread(target=work, args=(t,), daemon=True) for t in range(16)]
    for th in threads:
        th.start()
    deadline = time.monotonic() + 120
    for th in threads:
        th.join(max(0.0, deadline - time.monotonic()))
    assert not any(th.is_alive() for th in threads)
    assert wrong == []
    assert sum(sizes) == 16 * 40
    assert max(sizes) > 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["take", "take_start", "add"]),
                          st.integers(0, 400), st.integers(1, 40)), max_size=80))
def test_free_map_matches_a_set_of_blocks(steps: list[tuple[str, int, int]]) -> None:
    """
    After any adds and takes (from a run's start, where the allocator
    takes, or from inside it), the free map holds exactly the blocks a
    plain set would, as coalesced runs, and first_fit still finds the
    lowest run that fits.
    """
    fm = FreeMap.of([(0, 100), (150, 100), (300, 101)])
    model = set(range(0, 100)) | set(range(150, 250)) | set(range(300, 401))
    for op, a, n in steps:
        runs = fm.items()
        if op == "add":
            blocks = set(range(a, a + n))
            if blocks & model:
                continue
            fm.add(a, n)
            model |= blocks
            continue
        if not runs:
            continue
        s, c = runs[a % len(runs)]
        if op == "take_start":
            start, count = s, min(n, c)
        else:
            start = s + a % c
            count = min(n, s + c - start)
        fm.take(start, count)
        model -= set(range(start, start + count))
        got = set()
        for s, c in fm.items():
            got |= set(range(s, s + c))
        assert got == model
        assert fm.total == len(model)
        for want in (1, 5, 30):
            fits = [s for s, c in fm.items() if c >= want]
            assert fm.first_fit(want) == (fits[0] if fits else None)
    runs = fm.items()
    for (s1, c1), (s2, _c2) in zip(runs, runs[1:]):
        assert s1 + c1 < s2


class _NoFile:
    """
    A file the allocator never needs: nothing here grows it.
    """

    def grow(self, size: int) -> None:
        raise AssertionError("grew")


def test_recycled_neighbours_join_into_one_run() -> None:
    """
    Pages freed one by one by a durable commit come back as one free run
    where they are neighbours, so a request for all of them fits; pages a
    reader still pins, or that a later commit freed, stay pending.
    """
    alloc = Allocator(_NoFile(), 4096, 1000, 1000, [], [])  # type: ignore[arg-type]
    alloc.pending = ([Pending(p, 1, 3, 5) for p in (10, 12, 11, 13)]
                     + [Pending(40, 2, 1, 5), Pending(20, 4, 6, 7), Pending(30, 2, 5, 6)])
    alloc.recycle(6, [2])
    assert alloc.free.items() == [(10, 4), (30, 2)]
    assert alloc.free.first_fit(4) == 10
    assert sorted((p.start, p.count) for p in alloc.pending) == [(20, 4), (40, 2)]


def _header() -> Header:
    return Header(block_size=4096, total_blocks=100, free_blocks=50, catalog_root=7,
                  fuses=Fuses(1, 2, 0), txn=9, freelist_start=3, freelist_pages=1,
                  snaptab_start=0, snaptab_pages=0, uuid=b"u" * 16, created_ns=12,
                  objects=4, buckets=1)


@given(st.dictionaries(st.sampled_from(["txn", "catalog_root", "total_blocks", "free_blocks",
                                        "objects", "freelist_start"]),
                       st.integers(0, 2**40), max_size=6))
def test_header_evolves_like_replace(changes: dict[str, int]) -> None:
    """
    Evolving a header gives the header dataclasses.replace gives: equal,
    with the same hash, leaving the original as it was.
    """
    h = _header()
    new = h.evolve(**changes)
    want = replace(h, **changes)
    assert new == want and hash(new) == hash(want)
    assert h == _header()


def test_header_refuses_unknown_fields() -> None:
    """
    A misspelt field is an error, as with dataclasses.replace, not a
    silently ignored change.
    """
    with pytest.raises(TypeError):
        _header().evolve(txnn=3)
