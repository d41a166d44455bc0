"""
The byte codec the engine's records and the journal's payloads share
(cartridge_d.engine.binary): what is written reads back, and input cut short
or with bytes left over raises the error its user chose, never another.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cartridge_d.engine.binary import Reader, Writer

u64 = st.integers(0, 2**64 - 1)
texts = st.text(max_size=30)
pairs = st.lists(st.tuples(texts, texts), max_size=4).map(tuple)


class Bad(Exception):
    """
    The error this test's readers raise.
    """


def written(n: int, b: bytes, s: str, p: tuple[tuple[str, str], ...]) -> bytes:
    out = Writer()
    out.uint(n)
    out.blob(b)
    out.text(s)
    out.pairs(p)
    out.raw(b"\x07")
    return out.getvalue()


def read(data: bytes) -> tuple[int, bytes, str, tuple[tuple[str, str], ...], bytes]:
    inp = Reader(data, Bad)
    got = (inp.uint(), inp.blob(), inp.text(), inp.pairs(), inp.raw(1))
    inp.end()
    return got


@settings(deadline=None)
@given(u64, st.binary(max_size=300), texts, pairs)
def test_round_trip_and_truncation(n: int, b: bytes, s: str,
                                   p: tuple[tuple[str, str], ...]) -> None:
    """
    Integers up to 64 bits, bytes, strings and pairs read back as written;
    every shorter prefix and a trailing byte raise the reader's error.
    """
    data = written(n, b, s, p)
    assert read(data) == (n, b, s, p, b"\x07")
    for cut in range(len(data)):
        try:
            read(data[:cut])
        except Bad:
            continue
        raise AssertionError("a truncated input was accepted")
    try:
        read(data + b"\0")
    except Bad:
        return
    raise AssertionError("trailing bytes were accepted")


def test_surrogateescape_round_trips_any_bytes() -> None:
    """
    With C{surrogateescape} (the journal's choice) bytes that are not UTF-8
    survive; strictly, they are the reader's error.
    """
    out = Writer("surrogateescape")
    out.text(b"\xff\xfe ok".decode("utf-8", "surrogateescape"))
    data = out.getvalue()
    assert Reader(data, Bad, "surrogateescape").text() == \
        b"\xff\xfe ok".decode("utf-8", "surrogateescape")
    try:
        Reader(data, Bad).text()
    except Bad:
        return
    raise AssertionError("bad UTF-8 was accepted")
