"""
Completing parts whose extents interleave: bodies written at the same time
without a size hint take their blocks turn by turn, so a part's later
extents lie after the next part's first block. The Complete's extent
entries are then not in part order, and must still all be attached.

test-case-name: tests.engine.test_engine_attach_order
"""

from __future__ import annotations

import random

from cartridge_d.engine import Cartridge, DataRef, check

from engine_helpers import body, make_bucket, record


def _interleaved(c: Cartridge, n: int, pieces: int, piece: int) -> tuple[list[bytes], list[DataRef]]:
    """
    C{n} bodies of C{pieces} pieces each, written a piece at a time in
    turn with no size hint, then kept detached as a Complete's parts.
    """
    rng = random.Random(n * 1000 + pieces)
    datas = [[rng.randbytes(piece) for _ in range(pieces)] for _ in range(n)]
    writers = [c.writer(None) for _ in range(n)]
    for k in range(pieces):
        for w, data in zip(writers, datas):
            w.write(data[k])
    refs = [w.finish() for w in writers]
    for ref in refs:
        c.keep_detached(ref, b"upload")
    return [b"".join(d) for d in datas], refs


def test_parts_with_interleaved_extents_are_each_attached(cart_path: str) -> None:
    """
    Parts of several extents each, their blocks interleaved with one
    another's, complete into an object that reads back byte for byte
    after reopening; deleting it frees every block, and a check that
    reads every byte finds nothing leaked or detached.
    """
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
        parts, refs = _interleaved(c, 4, 20, 200_000)
        assert any(len(r.extents) > 1 for r in refs)
        starts = [e.start for r in refs for e in r.extents]
        assert starts != sorted(starts)  # the extent entries come out of order
        c.put_object(record("b", "k", *refs))
        assert c.list_detached() == []
    with Cartridge.open(cart_path) as c:
        assert body(c, "b", "k") == b"".join(parts)
        assert check(cart_path, data=True).ok
        c.delete_object("b", "k")
    report = check(cart_path, data=True)
    assert report.ok and report.counts["detached"] == 0, report
