"""
The journal's record types and their payload codec (docs/journal.md, "Payload encoding" and
"Record types").

A record is a frozen value; L{encode} gives its (type, payload) and L{decode} the reverse.
Framing and checksums are L{cartridge_d.journal.log}'s business.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from cartridge_d.engine.binary import Reader, Writer
from cartridge_d.engine.types import DataRef, Extent

from . import format as fmt
from .model import PartInfo, UploadInfo


class PayloadError(ValueError):
    """
    A payload that does not decode (short, trailing bytes, bad UTF-8, bad kind).
    """


@dataclass(frozen=True)
class UploadCreated:
    """
    Record type 1: an upload began.
    """

    info: UploadInfo


@dataclass(frozen=True)
class PartStored:
    """
    Record type 2 (or 3 when C{replaced}): part C{part_number} is C{part}.
    """

    upload_id: str
    part_number: int
    part: PartInfo
    replaced: bool = False


@dataclass(frozen=True)
class UploadCompleted:
    """
    Record type 4: the upload became an object.
    """

    upload_id: str
    at_ns: int


@dataclass(frozen=True)
class UploadAborted:
    """
    Record type 5: the upload was given up (C{reason} is an C{ABORT_*} code).
    """

    upload_id: str
    at_ns: int
    reason: int = fmt.ABORT_CLIENT


Record = UploadCreated | PartStored | UploadCompleted | UploadAborted

class _Out(Writer):
    """
    A payload buffer: the shared codec (strings round-trip any bytes), plus
    named blobs and data references.
    """

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__("surrogateescape")

    def blobs(self, items: tuple[tuple[str, bytes], ...]) -> None:
        self.uint(len(items))
        for name, value in items:
            self.text(name)
            self.blob(value)

    def ref(self, ref: DataRef) -> None:
        self.uint(ref.size)
        self.blob(ref.md5)
        if ref.inline is not None:
            self.uint(fmt.REF_INLINE)
            self.blob(ref.inline)
            return
        self.uint(fmt.REF_EXTENTS)
        self.uint(len(ref.extents))
        for e in ref.extents:
            self.uint(e.start)
            self.uint(e.count)
        self.uint(ref.chunk_size)
        self.uint(len(ref.crcs))
        self.raw(struct.pack("<%dI" % len(ref.crcs), *ref.crcs))

    def value(self) -> bytes:
        return self.getvalue()


class _In(Reader):
    """
    A cursor over one payload; every read checks the bounds and raises
    L{PayloadError}.
    """

    __slots__ = ()

    def __init__(self, data: bytes) -> None:
        super().__init__(data, PayloadError, "surrogateescape")

    def blobs(self) -> tuple[tuple[str, bytes], ...]:
        return tuple((self.text(), self.blob()) for _ in range(self.uint()))

    def ref(self) -> DataRef:
        size = self.uint()
        md5 = self.blob()
        kind = self.uint()
        if kind == fmt.REF_INLINE:
            return DataRef(size=size, md5=md5, inline=self.blob())
        if kind != fmt.REF_EXTENTS:
            raise PayloadError("unknown data reference kind %d" % kind)
        extents = tuple(Extent(self.uint(), self.uint()) for _ in range(self.uint()))
        chunk = self.uint()
        count = self.uint()
        crcs = struct.unpack("<%dI" % count, self.raw(4 * count))
        return DataRef(size=size, md5=md5, extents=extents, chunk_size=chunk, crcs=crcs)


def encode(record: Record) -> tuple[int, bytes]:
    """
    The record type and payload of C{record}.
    """
    out = _Out()
    if isinstance(record, UploadCreated):
        i = record.info
        for s in (i.upload_id, i.bucket, i.key, i.owner):
            out.text(s)
        out.uint(i.created_ns)
        out.text(i.checksum_algorithm)
        out.pairs(i.headers)
        out.pairs(i.meta)
        out.blobs(i.extra)
        return fmt.UPLOAD_CREATED, out.value()
    if isinstance(record, PartStored):
        p = record.part
        out.text(record.upload_id)
        out.uint(record.part_number)
        out.uint(p.size)
        out.blob(p.md5)
        out.uint(p.stored_ns)
        out.pairs(p.checksums)
        out.ref(p.ref)
        return (fmt.PART_REPLACED if record.replaced else fmt.PART_STORED), out.value()
    out.text(record.upload_id)
    out.uint(record.at_ns)
    if isinstance(record, UploadCompleted):
        return fmt.UPLOAD_COMPLETED, out.value()
    out.uint(record.reason)
    return fmt.UPLOAD_ABORTED, out.value()


def decode(rtype: int, payload: bytes) -> Record:
    """
    The record of type C{rtype} in C{payload}; L{PayloadError} if it does
    not decode exactly, or the type is unknown.
    """
    inp = _In(payload)
    record: Record
    if rtype == fmt.UPLOAD_CREATED:
        uid, bucket, key, owner = inp.text(), inp.text(), inp.text(), inp.text()
        record = UploadCreated(UploadInfo(
            upload_id=uid, bucket=bucket, key=key, owner=owner, created_ns=inp.uint(),
            checksum_algorithm=inp.text(), headers=inp.pairs(), meta=inp.pairs(),
            extra=inp.blobs()))
    elif rtype in (fmt.PART_STORED, fmt.PART_REPLACED):
        uid, number, size, md5, stored = inp.text(), inp.uint(), inp.uint(), inp.blob(), inp.uint()
        part = PartInfo(size=size, md5=md5, stored_ns=stored, checksums=inp.pairs(), ref=inp.ref())
        record = PartStored(uid, number, part, replaced=rtype == fmt.PART_REPLACED)
    elif rtype == fmt.UPLOAD_COMPLETED:
        record = UploadCompleted(inp.text(), inp.uint())
    elif rtype == fmt.UPLOAD_ABORTED:
        record = UploadAborted(inp.text(), inp.uint(), inp.uint())
    else:
        raise PayloadError("unknown record type %d" % rtype)
    inp.end()
    return record
