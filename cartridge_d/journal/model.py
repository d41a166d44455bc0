"""
Value types of the journal: what an upload and a part are, and the pages the listing calls
return. Frozen, so a snapshot handed to another thread needs no copy.
"""

from __future__ import annotations

import base64
import secrets
import struct
from dataclasses import dataclass, field

from cartridge_d.engine.types import DataRef

from .format import PART_TAG_PREFIX, UPLOAD_ID_RANDOM_BYTES

Pairs = tuple[tuple[str, str], ...]
Blobs = tuple[tuple[str, bytes], ...]


@dataclass(frozen=True)
class UploadInfo:
    """
    One multipart upload as CreateMultipartUpload made it.

    @ivar checksum_algorithm: "" or the x-amz-checksum-algorithm asked for.
    @ivar headers: stored standard headers for the final object.
    @ivar meta: user metadata (names without x-amz-meta-).
    @ivar extra: opaque values the object store keeps for the final object
        (ACL, SSE, checksum type, ...); the journal does not read them.
    """

    upload_id: str
    bucket: str
    key: str
    owner: str
    created_ns: int
    checksum_algorithm: str = ""
    headers: Pairs = ()
    meta: Pairs = ()
    extra: Blobs = ()


@dataclass(frozen=True)
class PartInfo:
    """
    One stored part.

    C{size} and C{md5} are what S3 shows (ListParts Size, the part ETag);
    C{ref} is where the bytes are, which may differ (encryption).

    @ivar checksums: (algorithm, base64 value) pairs.
    """

    size: int
    md5: bytes
    ref: DataRef
    stored_ns: int
    checksums: Pairs = ()

    @property
    def etag(self) -> str:
        """
        The part's ETag without quotes.
        """
        return self.md5.hex()


@dataclass(frozen=True)
class Upload:
    """
    A snapshot of one upload and its parts, in part number order.
    """

    info: UploadInfo
    parts: tuple[tuple[int, PartInfo], ...] = ()


@dataclass(frozen=True)
class UploadListing:
    """
    One page of ListMultipartUploads.

    @ivar next_key_marker: with C{next_upload_id_marker}, where the next
        page starts when C{truncated}.
    """

    uploads: tuple[UploadInfo, ...]
    common_prefixes: tuple[str, ...] = ()
    truncated: bool = False
    next_key_marker: str = ""
    next_upload_id_marker: str = ""


@dataclass(frozen=True)
class PartListing:
    """
    One page of ListParts.
    """

    parts: tuple[tuple[int, PartInfo], ...]
    truncated: bool = False
    next_part_number_marker: int = 0


@dataclass(frozen=True)
class ReplayEvent:
    """
    Something replay found and dealt with, for the reporter.

    @ivar kind: "torn-tail" (a warning: unacknowledged records dropped),
        "damage" (an error: replay stopped early), or "skipped" (one
        record did not fit and was ignored).
    @ivar offset: where in the file.
    @ivar dropped: bytes dropped from the file (0 for "skipped").
    """

    kind: str
    offset: int
    dropped: int
    reason: str


@dataclass(frozen=True)
class Reconciliation:
    """
    The outcome of L{cartridge_d.journal.reconcile.reconcile}.

    @ivar release: detached refs to give back to the engine.
    @ivar drop: uploads that lost a part's data, to abort.
    """

    release: tuple[DataRef, ...] = ()
    drop: tuple[str, ...] = field(default=())


def new_upload_id(now_ns: int) -> str:
    """
    A fresh upload id: creation time then 136 random bits, base32hex, so
    that ids sort by creation time (docs/journal.md, "Record types").
    """
    raw = struct.pack(">Q", now_ns) + secrets.token_bytes(UPLOAD_ID_RANDOM_BYTES)
    return base64.b32hexencode(raw).decode("ascii").lower()


def part_owner_tag(upload_id: str, part_number: int) -> bytes:
    """
    The owner tag to give C{cart.keep_detached} for a part's body.
    """
    return PART_TAG_PREFIX + f"{upload_id}/{part_number}".encode("utf-8")
