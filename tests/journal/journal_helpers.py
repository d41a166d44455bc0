"""
Shared helpers for the journal tests: hypothesis strategies for the journal's values and
records, and small constructors.
"""

from __future__ import annotations

import hashlib

from hypothesis import strategies as st

from cartridge_d.engine.types import DataRef, Extent
from cartridge_d.journal.format import ABORT_CLIENT, ABORT_EXPIRED, ABORT_RECOVERY
from cartridge_d.journal import Journal
from cartridge_d.journal.model import PartInfo, ReplayEvent, Upload, UploadInfo
from cartridge_d.journal.records import (
    PartStored,
    Record,
    UploadAborted,
    UploadCompleted,
    UploadCreated,
)

# S3 keys and header values: any text without lone surrogates.
text = st.text(st.characters().filter(lambda c: not "\ud800" <= c <= "\udfff"), max_size=40)
uints = st.integers(min_value=0, max_value=2**64 - 1)
pairs = st.lists(st.tuples(text, text), max_size=4).map(tuple)
md5s = st.binary(min_size=16, max_size=16)

extents = st.builds(Extent, st.integers(0, 2**40), st.integers(1, 2**20))
inline_refs = st.builds(lambda data: DataRef(size=len(data), md5=hashlib.md5(data).digest(),
                                             inline=data), st.binary(max_size=64))
extent_refs = st.builds(
    DataRef, size=uints, md5=md5s, extents=st.lists(extents, min_size=1, max_size=4).map(tuple),
    chunk_size=st.integers(1, 2**20),
    crcs=st.lists(st.integers(0, 2**32 - 1), max_size=8).map(tuple))
refs = inline_refs | extent_refs

parts = st.builds(PartInfo, size=uints, md5=md5s, ref=refs, stored_ns=uints, checksums=pairs)
infos = st.builds(UploadInfo, upload_id=text, bucket=text, key=text, owner=text,
                  created_ns=uints, checksum_algorithm=text, headers=pairs, meta=pairs,
                  extra=st.lists(st.tuples(text, st.binary(max_size=20)), max_size=3).map(tuple))

records: st.SearchStrategy[Record] = st.one_of(
    st.builds(UploadCreated, infos),
    st.builds(PartStored, text, st.integers(1, 10000), parts, st.booleans()),
    st.builds(UploadCompleted, text, uints),
    st.builds(UploadAborted, text, uints, st.sampled_from([ABORT_CLIENT, ABORT_EXPIRED,
                                                          ABORT_RECOVERY])),
)


def extent_part(start: int, body: bytes = b"part", blocks: int = 1) -> PartInfo:
    """
    A part whose (pretend) data is C{blocks} blocks at C{start}.
    """
    md5 = hashlib.md5(body).digest()
    ref = DataRef(size=len(body), md5=md5, extents=(Extent(start, blocks),), chunk_size=4096,
                  crcs=(start & 0xFFFFFFFF,))
    return PartInfo(len(body), md5, ref, stored_ns=1000 + start)


class Events(list[ReplayEvent]):
    """
    A reporter that keeps what it was told.
    """

    def __call__(self, event: ReplayEvent) -> None:
        self.append(event)

    def kinds(self) -> list[str]:
        return [e.kind for e in self]


def live(journal: Journal, upload_id: str) -> Upload:
    """
    The upload, which the test expects to exist.
    """
    upload = journal.get(upload_id)
    assert upload is not None, upload_id
    return upload


def numbers(journal: Journal, upload_id: str) -> list[int]:
    """
    The part numbers the upload has.
    """
    return [n for n, _p in live(journal, upload_id).parts]
