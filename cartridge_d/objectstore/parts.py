"""
UploadPart and UploadPartCopy: a part's body goes into fresh blocks, is
kept as detached data under the part's owner tag, and only then recorded
in the journal.

A part is acknowledged once both its data and its journal record are
durable (docs/journal.md, "Durability and the order of operations"). A
part that replaces an earlier one frees the earlier data after the new
record is durable; a part whose upload ended meanwhile gives its own data
back. Either way nothing is left that neither side refers to, and a crash
in between is settled by start-up reconciliation.

test-case-name: tests.multipart.test_multipart_parts
"""

from __future__ import annotations

import re
from collections.abc import Callable

from twisted.internet.defer import Deferred

from cartridge_d.engine.types import DataRef, ObjectRecord
from cartridge_d.journal import PartInfo, part_owner_tag
from cartridge_d.objectstore import errors
from cartridge_d.objectstore.access import engine_errors, owned_bucket
from cartridge_d.checksums import BodyChecksums
from cartridge_d.objectstore.conditions import check_conditions
from cartridge_d.objectstore.engine_api import Writer
from cartridge_d.objectstore.model import CopySource, PutOptions
from cartridge_d.objectstore.objects import find_object
from cartridge_d.objectstore.put import BodySession, too_large
from cartridge_d.objectstore.threads import BlockingFacade
from cartridge_d.objectstore.uploads import (
    Multipart,
    check_part_number,
    find_upload,
    journal_errors,
)
from cartridge_d.objectstore.validation import MAX_PUT_BYTES, check_key

#: Bytes read and written per step of an UploadPartCopy.
COPY_CHUNK = 1024 * 1024

Pairs = tuple[tuple[str, str], ...]


def store_part(mp: Multipart, upload_id: str, part_number: int, ref: DataRef, checksums: Pairs,
               now_ns: int) -> PartInfo:
    """
    Keep C{ref} as the part's detached data, record the part, then free
    the part it replaced. On any failure the new data is given back.
    """
    part = PartInfo(ref.size, ref.md5, ref, now_ns, checksums)
    try:
        with engine_errors():
            mp.cart.keep_detached(ref, part_owner_tag(upload_id, part_number))
        with mp.gates.shared(upload_id), journal_errors(upload_id):
            old = mp.journal.record_part(upload_id, part_number, part)
    except BaseException:
        mp.cart.release_detached(ref)
        raise
    if old is not None:
        mp.cart.release_detached(old.ref)
    return part


def _part_checksums(verified: Pairs, algorithm: str, computed: str | None) -> Pairs:
    """
    The checksums stored with a part: the client's verified ones, plus the
    upload's algorithm computed here when the client sent none, so that
    Complete can always build the object's checksum.
    """
    if not algorithm or computed is None or any(a == algorithm for a, _ in verified):
        return verified
    return verified + ((algorithm, computed),)


def start_part(mp: Multipart, bucket: str, key: str, upload_id: str, part_number: int,
               requester: str, size_hint: int | None, algorithms: tuple[str, ...]
               ) -> tuple[Writer, str]:
    """
    Check what can be checked before an UploadPart body arrives, and open
    a writer for it (pool thread).

    @return: the writer and the upload's checksum algorithm ("" for none).
    @raise InvalidRequest: the part announces a checksum of another
        algorithm than the upload's.
    """
    check_key(key)
    check_part_number(part_number)
    if size_hint is not None and size_hint > MAX_PUT_BYTES:
        raise too_large()
    owned_bucket(mp.cart, bucket, requester)
    algorithm = find_upload(mp, bucket, key, upload_id).info.checksum_algorithm
    for announced in algorithms:
        if algorithm and announced.upper() != algorithm:
            raise errors.InvalidRequest(
                f"Checksum Type mismatch occurred, expected checksum Type: {algorithm.lower()}, "
                f"actual checksum Type: {announced.lower()}"
            )
    with engine_errors(bucket, key):
        return mp.cart.writer(size_hint), algorithm


class PartSession(BodySession):
    """
    One UploadPart body on its way into the cartridge.

    Thread contract: as L{BodySession}.
    """

    def __init__(self, mp: Multipart, facade: BlockingFacade, writer: Writer, bucket: str,
                 key: str, requester: str, upload_id: str, part_number: int,
                 algorithms: tuple[str, ...], upload_algorithm: str,
                 now_ns: Callable[[], int]) -> None:
        wanted = algorithms + ((upload_algorithm,) if upload_algorithm else ())
        super().__init__(mp.cart, facade, writer, bucket, key, requester, wanted, now_ns)
        self._mp = mp
        self._upload_id = upload_id
        self._part_number = part_number
        self._algorithm = upload_algorithm

    def finish(self, options: PutOptions = PutOptions()) -> Deferred[PartInfo]:
        """
        Verify the body (Content-MD5, checksums) and record the part
        durably.

        @return: a Deferred firing with the stored part (its ETag, checksums).
        """
        return self._facade.run(self._finish, options, self._now_ns())

    def _finish(self, options: PutOptions, now_ns: int) -> PartInfo:
        try:
            ref, verified = self._finish_body(options)
        except BaseException:
            self._done = True
            self._writer.abort()
            raise
        checksums = _part_checksums(verified, self._algorithm, self._computed(self._algorithm))
        return store_part(self._mp, self._upload_id, self._part_number, ref, checksums, now_ns)


_COPY_RANGE = re.compile(r"bytes=(\d+)-(\d+)\Z")


def copy_range(header: str | None, size: int) -> tuple[int, int]:
    """
    The bytes [first, end) an x-amz-copy-source-range names (the whole
    object without one).

    @raise InvalidArgument: not of the form bytes=first-last, or outside
        the source object, with S3's messages.
    """
    if header is None:
        return 0, size
    match = _COPY_RANGE.match(header.strip())
    if match is None:
        raise errors.argument_error(
            "x-amz-copy-source-range",
            header,
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first "
            "and last are the zero-based offsets of the first and last bytes to copy",
        )
    first, last = int(match.group(1)), int(match.group(2))
    if first > last or last >= size:
        raise errors.argument_error(
            "x-amz-copy-source-range",
            header,
            f"Range specified is not valid for source object of size: {size}",
        )
    return first, last + 1


def copy_part(mp: Multipart, source: CopySource, range_header: str | None, bucket: str,
              key: str, upload_id: str, part_number: int, requester: str, now_ns: int
              ) -> tuple[ObjectRecord, PartInfo]:
    """
    UploadPartCopy (pool thread): the source's bytes (or the range) are
    read from a pinned view and written as the part, which is then stored
    like an uploaded one.

    @return: the source record and the stored part.
    """
    check_key(key)
    check_part_number(part_number)
    with mp.cart.view() as view:
        owned_bucket(view, bucket, requester)
        algorithm = find_upload(mp, bucket, key, upload_id).info.checksum_algorithm
        src_bucket = owned_bucket(view, source.bucket, requester)
        original = find_object(view, src_bucket, source.key, source.version_id)
        check_conditions(original, source.conditions, for_copy=True)
        first, end = copy_range(range_header, original.size)
        if end - first > MAX_PUT_BYTES:
            raise errors.InvalidRequest(
                "The specified copy source is larger than the maximum allowable size for a "
                f"copy source: {MAX_PUT_BYTES}"
            )
        sums = BodyChecksums((algorithm,) if algorithm else ())
        with engine_errors(source.bucket, source.key):
            writer = mp.cart.writer(end - first)
            try:
                for offset in range(first, end, COPY_CHUNK):
                    data = view.read(original, offset, min(COPY_CHUNK, end - offset))
                    sums.update(data)
                    writer.write(data)
                ref = writer.finish()
            except BaseException:
                writer.abort()
                raise
    checksums = tuple(sums.values().items())
    return original, store_part(mp, upload_id, part_number, ref, checksums, now_ns)
