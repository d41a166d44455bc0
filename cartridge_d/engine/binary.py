"""
The byte codec the engine's records (L{cartridge_d.engine.codec}) and the
multipart journal's payloads (L{cartridge_d.journal.records}) are both
written in: unsigned LEB128 varints, length-prefixed bytes and UTF-8
strings, and counted lists of (string, string) pairs.

It imports nothing else of the engine, so the journal can use it without
depending on the engine's internals. Each user says which exception a
malformed input raises and how strings treat bytes that are not UTF-8.

test-case-name: tests.engine.test_engine_properties
"""

from __future__ import annotations


def varint(n: int) -> bytes:
    """
    C{n} (>= 0) as an unsigned LEB128 varint.

    Values of up to four bytes (below 2**28: block numbers, sizes of up
    to 256 MiB, chunk sizes) are built in one C{bytes()} call; the loop
    over a C{bytearray} cost about half as much again, and a Complete
    encodes three such values a part.
    """
    if n < 0x80:
        if n < 0:
            raise ValueError("negative integer %d cannot be encoded" % n)
        return bytes((n,))
    if n < 0x4000:
        return bytes((n & 0x7F | 0x80, n >> 7))
    if n < 0x200000:
        return bytes((n & 0x7F | 0x80, n >> 7 & 0x7F | 0x80, n >> 14))
    if n < 0x10000000:
        return bytes((n & 0x7F | 0x80, n >> 7 & 0x7F | 0x80, n >> 14 & 0x7F | 0x80, n >> 21))
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


class Writer:
    """
    An append-only byte builder.
    """

    __slots__ = ("parts", "errors")

    def __init__(self, errors: str = "strict") -> None:
        self.parts: list[bytes] = []
        #: how L{text} encodes strings (C{"surrogateescape"} round-trips
        #: any bytes a decoder let through)
        self.errors = errors

    def uint(self, n: int) -> None:
        self.parts.append(varint(n))

    def raw(self, b: bytes) -> None:
        self.parts.append(b)

    def blob(self, b: bytes) -> None:
        self.parts.append(varint(len(b)))
        self.parts.append(b)

    def text(self, s: str) -> None:
        self.blob(s.encode("utf-8", self.errors))

    def pairs(self, items: tuple[tuple[str, str], ...]) -> None:
        self.uint(len(items))
        for name, value in items:
            self.text(name)
            self.text(value)

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


class Reader:
    """
    A cursor over encoded bytes. Reading past the end, a varint longer than
    64 bits, or (with strict C{errors}) a string that is not UTF-8 raises
    C{error}.
    """

    __slots__ = ("buf", "pos", "error", "errors")

    def __init__(self, buf: bytes, error: type[Exception], errors: str = "strict") -> None:
        self.buf = buf
        self.pos = 0
        self.error = error
        self.errors = errors

    def raw(self, n: int) -> bytes:
        p = self.pos
        if p + n > len(self.buf):
            raise self.error("input truncated")
        self.pos = p + n
        return self.buf[p:p + n]

    def uint(self) -> int:
        buf, p = self.buf, self.pos
        if p < len(buf) and buf[p] < 0x80:
            self.pos = p + 1
            return buf[p]
        n = shift = 0
        while True:
            if p >= len(buf):
                raise self.error("input truncated")
            b = buf[p]
            p += 1
            n |= (b & 0x7F) << shift
            if b < 0x80:
                self.pos = p
                return n
            shift += 7
            if shift > 63:
                raise self.error("varint too long")

    def blob(self) -> bytes:
        return self.raw(self.uint())

    def text(self) -> str:
        try:
            return self.blob().decode("utf-8", self.errors)
        except UnicodeDecodeError as e:
            raise self.error("bad UTF-8: %s" % e) from None

    def pairs(self) -> tuple[tuple[str, str], ...]:
        n = self.uint()
        if not n:
            return ()
        return tuple((self.text(), self.text()) for _ in range(n))

    def end(self) -> None:
        if self.pos != len(self.buf):
            raise self.error("%d trailing bytes" % (len(self.buf) - self.pos))
