"""
Multipart uploads: create, complete, abort, list, expire (pool threads).

Upload state lives in the journal (docs/journal.md), part bodies in the
cartridge as detached data. Every function here keeps the journal's order
of operations ("Durability and the order of operations"): the durable step
comes first, data is released only after it.

Complete links the parts' extents into the new object in one engine
commit, so it costs the same whatever the parts' sizes; every check that
can fail runs before that commit, and a failed Complete leaves the upload
exactly as it was, ready for a corrected Complete.

test-case-name: tests.multipart.test_multipart_errors
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from cartridge_d import journal as jnl
from cartridge_d.engine.types import ObjectRecord
from cartridge_d.journal import Journal, PartInfo, PartListing, Upload, UploadInfo, UploadListing
from cartridge_d.objectstore import errors
from cartridge_d.objectstore.access import engine_errors, owned_bucket
from cartridge_d.checksums import ALGORITHMS, can_combine, composite, full_object
from cartridge_d.objectstore.engine_api import Engine
from cartridge_d.objectstore.gate import UploadGates
from cartridge_d.objectstore.model import PartSpec, UploadOptions
from cartridge_d.objectstore.validation import check_key, check_metadata

#: Every part but the last must be at least this large.
MIN_PART_SIZE = 5 * 1024 * 1024
#: Part numbers run from 1 to this.
MAX_PART_NUMBER = 10000
#: The key of the checksum type in an upload's opaque C{extra} values.
CHECKSUM_TYPE = "checksum-type"


@dataclass(frozen=True)
class Multipart:
    """
    What every multipart operation works on: the cartridge holding the
    part bodies, the journal holding the uploads, and the gates that keep
    part recording apart from Complete and Abort.
    """

    cart: Engine
    journal: Journal
    gates: UploadGates


@contextmanager
def journal_errors(upload_id: str) -> Iterator[None]:
    """
    Translate the journal's errors a client can cause into S3 errors
    (JournalFailed and JournalClosed stay what they are: internal errors).
    """
    try:
        yield
    except jnl.NoSuchUpload:
        raise no_such_upload(upload_id) from None
    except jnl.InvalidPartNumber as e:
        raise invalid_part_number(str(e)) from None


def no_such_upload(upload_id: str) -> errors.S3DomainError:
    """
    NoSuchUpload naming the id, as S3 does.
    """
    return errors.NoSuchUpload(extra=(("UploadId", upload_id),))


def invalid_part_number(value: str) -> errors.S3DomainError:
    """
    The InvalidArgument S3 answers for a part number outside 1-10000.
    """
    return errors.argument_error(
        "partNumber", value, "Part number must be an integer between 1 and 10000, inclusive"
    )


def check_part_number(part_number: int) -> None:
    """
    @raise InvalidArgument: outside 1-10000.
    """
    if not 1 <= part_number <= MAX_PART_NUMBER:
        raise invalid_part_number(str(part_number))


def find_upload(mp: Multipart, bucket: str, key: str, upload_id: str) -> Upload:
    """
    The in-progress upload C{upload_id} of C{bucket}/C{key}.

    @raise NoSuchUpload: unknown, finished, or an upload of another key.
    """
    upload = mp.journal.get(upload_id)
    if upload is None or (upload.info.bucket, upload.info.key) != (bucket, key):
        raise no_such_upload(upload_id)
    return upload


def checksum_type(info: UploadInfo) -> str:
    """
    The checksum type of an upload: what it asked for, else the default of
    its algorithm (FULL_OBJECT for CRC64NVME, COMPOSITE for the others).
    """
    stored = dict(info.extra).get(CHECKSUM_TYPE, b"").decode("ascii")
    if stored:
        return stored
    return "FULL_OBJECT" if info.checksum_algorithm == "CRC64NVME" else "COMPOSITE"


def _check_checksum_request(options: UploadOptions) -> None:
    algorithm, kind = options.checksum_algorithm, options.checksum_type
    if algorithm and algorithm not in ALGORITHMS:
        raise errors.InvalidRequest("Checksum algorithm provided is unsupported.")
    if kind and kind not in ("COMPOSITE", "FULL_OBJECT"):
        raise errors.InvalidRequest("Value for x-amz-checksum-type header is invalid.")
    if kind and not algorithm:
        raise errors.InvalidRequest(
            "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."
        )
    if (kind == "FULL_OBJECT" and not can_combine(algorithm)) or (
        kind == "COMPOSITE" and algorithm == "CRC64NVME"
    ):
        raise errors.InvalidRequest(
            f"The {kind} checksum type cannot be used with the {algorithm.lower()} checksum algorithm."
        )


def create_upload(
    mp: Multipart, bucket: str, key: str, requester: str, options: UploadOptions, now_ns: int
) -> UploadInfo:
    """
    CreateMultipartUpload: a durable journal record, nothing in the
    cartridge yet.
    """
    check_key(key)
    check_metadata(options.meta)
    _check_checksum_request(options)
    owned_bucket(mp.cart, bucket, requester)
    extra = ((CHECKSUM_TYPE, options.checksum_type.encode("ascii")),) if options.checksum_type else ()
    upload_id = mp.journal.create_upload(
        bucket,
        key,
        owner=requester,
        headers=options.headers,
        meta=options.meta,
        checksum_algorithm=options.checksum_algorithm,
        extra=extra,
        created_ns=now_ns,
    )
    upload = mp.journal.get(upload_id)
    assert upload is not None
    return upload.info


def _invalid_part(upload_id: str, spec: PartSpec) -> errors.S3DomainError:
    return errors.InvalidPart(
        "One or more of the specified parts could not be found.  The part may not have been "
        "uploaded, or the specified entity tag may not have matched the part's entity tag.",
        extra=(("UploadId", upload_id), ("PartNumber", str(spec.part_number)), ("ETag", spec.etag)),
    )


def choose_parts(upload: Upload, listed: Sequence[PartSpec]) -> list[PartInfo]:
    """
    The stored parts a Complete names, checked as S3 checks them: order
    first, then that each part exists with that ETag (and checksum, when
    both sides have one), then the sizes.

    @raise InvalidPartOrder, InvalidPart, EntityTooSmall: nothing changed.
    """
    upload_id = upload.info.upload_id
    numbers = [spec.part_number for spec in listed]
    if any(b <= a for a, b in zip(numbers, numbers[1:])):
        raise errors.InvalidPartOrder(
            "The list of parts was not in ascending order. Parts must be ordered by part number.",
            extra=(("UploadId", upload_id),),
        )
    stored = dict(upload.parts)
    chosen: list[PartInfo] = []
    for spec in listed:
        part = stored.get(spec.part_number)
        # a listed ETag equal to the stored one needs no normalizing
        if part is None or (spec.etag != part.etag
                            and spec.etag.strip().strip('"').lower() != part.etag):
            raise _invalid_part(upload_id, spec)
        if spec.checksums:
            known = dict(part.checksums)
            for algorithm, value in spec.checksums:
                if algorithm in known and known[algorithm] != value.strip():
                    raise _invalid_part(upload_id, spec)
        chosen.append(part)
    for spec, part in zip(listed[:-1], chosen):
        if part.size < MIN_PART_SIZE:
            raise errors.EntityTooSmall(
                "Your proposed upload is smaller than the minimum allowed object size.",
                extra=(
                    ("ProposedSize", str(part.size)),
                    ("MinSizeAllowed", str(MIN_PART_SIZE)),
                    ("PartNumber", str(spec.part_number)),
                    ("ETag", part.etag),
                ),
            )
    return chosen


def multipart_etag(parts: Sequence[PartInfo]) -> str:
    """
    S3's multipart ETag: the MD5 of the concatenated binary part MD5s,
    then "-" and the number of parts.
    """
    digest = hashlib.md5(b"".join(p.md5 for p in parts)).hexdigest()
    return f"{digest}-{len(parts)}"


def whole_checksums(info: UploadInfo, parts: Sequence[PartInfo]) -> tuple[tuple[str, str], ...]:
    """
    The object's checksum from its parts' checksums, if the upload asked
    for one: COMPOSITE ("<base64>-N") or FULL_OBJECT (the CRC of the whole
    body, combined arithmetically).
    """
    algorithm = info.checksum_algorithm
    if not algorithm:
        return ()
    values = [dict(p.checksums).get(algorithm) for p in parts]
    if any(v is None for v in values):
        return ()
    present = [v for v in values if v is not None]
    if checksum_type(info) == "FULL_OBJECT":
        return ((algorithm, full_object(algorithm, zip(present, (p.size for p in parts)))),)
    return ((algorithm, composite(algorithm, present)),)


def complete_upload(
    mp: Multipart,
    bucket: str,
    key: str,
    upload_id: str,
    requester: str,
    listed: Sequence[PartSpec],
    now_ns: int,
) -> ObjectRecord:
    """
    CompleteMultipartUpload: one engine commit attaches the listed parts'
    extents to the new object (no byte copied), then the journal records
    the completion, then the parts not listed are released.
    """
    check_key(key)
    with mp.gates.exclusive(upload_id):
        owned_bucket(mp.cart, bucket, requester)
        upload = find_upload(mp, bucket, key, upload_id)
        parts = choose_parts(upload, listed)
        info = upload.info
        record = ObjectRecord(
            bucket=bucket,
            key=key,
            size=sum(p.size for p in parts),
            etag=multipart_etag(parts),
            mtime_ns=now_ns,
            owner=requester,
            headers=info.headers,
            meta=info.meta,
            checksums=whole_checksums(info, parts),
            segments=tuple(p.ref for p in parts),
        )
        with engine_errors(bucket, key):
            stored = mp.cart.put_object(record)
        with journal_errors(upload_id):
            rest = mp.journal.complete(upload_id, record.segments)
    for part in rest:
        mp.cart.release_detached(part.ref)
    return stored


def _abort(mp: Multipart, upload_id: str, reason: int) -> None:
    """
    Abort durably, then give the parts' blocks back.
    """
    with journal_errors(upload_id):
        parts = mp.journal.abort(upload_id, reason)
    for part in parts:
        mp.cart.release_detached(part.ref)


def abort_upload(mp: Multipart, bucket: str, key: str, upload_id: str, requester: str) -> None:
    """
    AbortMultipartUpload: the upload and its parts are gone.
    """
    with mp.gates.exclusive(upload_id):
        owned_bucket(mp.cart, bucket, requester)
        find_upload(mp, bucket, key, upload_id)
        _abort(mp, upload_id, jnl.ABORT_CLIENT)


def abort_expired(mp: Multipart, created_before_ns: int) -> int:
    """
    Abort every upload created before C{created_before_ns}; returns how many.
    """
    count = 0
    for upload_id in mp.journal.expired(created_before_ns):
        with mp.gates.exclusive(upload_id):
            try:
                _abort(mp, upload_id, jnl.ABORT_EXPIRED)
            except errors.NoSuchUpload:
                continue  # completed or aborted meanwhile
        count += 1
    return count


def abort_bucket_uploads(mp: Multipart, bucket: str) -> None:
    """
    Abort every upload of a bucket that was just deleted.
    """
    while True:
        page = mp.journal.list_uploads(bucket, max_uploads=1000)
        if not page.uploads:
            return
        for info in page.uploads:
            with mp.gates.exclusive(info.upload_id):
                try:
                    _abort(mp, info.upload_id, jnl.ABORT_CLIENT)
                except errors.NoSuchUpload:
                    pass


def list_parts(
    mp: Multipart, bucket: str, key: str, upload_id: str, requester: str, marker: int, max_parts: int
) -> tuple[UploadInfo, PartListing]:
    """
    ListParts: one page of the upload's parts, above C{marker}.
    """
    owned_bucket(mp.cart, bucket, requester)
    upload = find_upload(mp, bucket, key, upload_id)
    with journal_errors(upload_id):
        return upload.info, mp.journal.parts(upload_id, marker, max_parts)


def list_uploads(
    mp: Multipart,
    bucket: str,
    requester: str,
    prefix: str,
    delimiter: str,
    key_marker: str,
    upload_id_marker: str,
    max_uploads: int,
) -> UploadListing:
    """
    ListMultipartUploads: one page of the bucket's uploads, by key, then
    by creation time.
    """
    owned_bucket(mp.cart, bucket, requester)
    return mp.journal.list_uploads(
        bucket, prefix, key_marker, upload_id_marker, max_uploads, delimiter
    )
