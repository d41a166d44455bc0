"""
The upload pipe cuts a body into slices for the object store: every byte
arrives in order, every slice but the last is exactly SLICE bytes, and
the socket is not left paused, whatever the sizes of the pieces the
socket delivers.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet.defer import Deferred

from cartridge_d.s3.upload import SLICE, Identity, UploadPipe


class SlowSink:
    """A sink whose writes finish only when the test says so (as the pool's do)."""

    def __init__(self) -> None:
        self.slices: list[bytes] = []
        self.pending: Deferred[None] | None = None

    def write(self, data: bytes) -> Deferred[None]:
        self.slices.append(data)
        self.pending = Deferred()
        return self.pending

    def finish_write(self) -> None:
        d, self.pending = self.pending, None
        if d is not None:
            d.callback(None)


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.sampled_from([1, 7, 4096, 65536, SLICE - 1, SLICE, SLICE + 3]),
                      min_size=1, max_size=12),
       finish_every=st.integers(min_value=1, max_value=4))
def test_slices_are_whole_and_in_order(sizes: list[int], finish_every: int) -> None:
    """
    Pieces of mixed sizes (a byte, 64 KiB, a little under or over a
    slice) come out as SLICE-byte slices plus one shorter last slice, with
    the bytes in the order they were sent; the socket is resumed by the
    end.
    """
    paused: list[bool] = [False]
    sink = SlowSink()
    pipe = UploadPipe(Identity(), [], lambda: paused.__setitem__(0, True),
                      lambda: paused.__setitem__(0, False), lambda f: None)
    pipe.open(sink)
    body = b""
    for n, size in enumerate(sizes):
        piece = bytes([n % 251]) * size
        body += piece
        pipe.feed(piece)
        if n % finish_every == 0:
            sink.finish_write()
    done = pipe.end()
    for _ in range(len(body) // SLICE + 3):
        sink.finish_write()
    assert done.called
    assert b"".join(sink.slices) == body
    assert all(len(s) == SLICE for s in sink.slices[:-1])
    assert 0 < len(sink.slices[-1]) <= SLICE
    assert not paused[0]
