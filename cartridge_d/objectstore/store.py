"""
L{ObjectStore}: the S3 domain as the S3 layer sees it, every method
returning a Deferred.

It holds no logic of its own: each method takes the time from the clock
(in the reactor thread, so tests control it), then runs one function from
L{buckets}, L{put}, L{objects}, L{listing}, L{copy}, L{uploads} or L{parts}
in the pool through the facade, one thread hop per call. It knows no HTTP
and no XML.

test-case-name: tests.objectstore.test_objects
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable, TypeVar

from twisted.internet.defer import Deferred, fail, succeed

from cartridge_d.engine.types import BucketRecord, ObjectRecord
from cartridge_d.journal import PartInfo, PartListing, UploadInfo, UploadListing
from cartridge_d.objectstore import buckets, copy, listing, objects, parts, uploads
from cartridge_d.objectstore.errors import MultipartUnavailable
from cartridge_d.objectstore.gate import UploadGates
from cartridge_d.objectstore.engine_api import Engine
from cartridge_d.objectstore.model import (
    CopyOptions,
    CopySource,
    DeleteFailure,
    DeleteOutcome,
    ListPage,
    ListRequest,
    ObjectQuery,
    PartSpec,
    PutOptions,
    UploadOptions,
)
from cartridge_d.objectstore.objects import ObjectReader
from cartridge_d.objectstore.put import PutSession, put_whole, start_put
from cartridge_d.objectstore.threads import BlockingFacade
from cartridge_d.objectstore.validation import ByteRange

T = TypeVar("T")


class ObjectStore:
    """
    S3 buckets and objects over one cartridge.

    @param cartridge: an engine Cartridge (or MemoryCartridge).
    @param facade: the one way to run blocking work.
    @param clock: an IReactorTime; its C{seconds()} stamps new objects.
    @param region: the region new buckets get when none is asked for.
    @param journal: the multipart journal (L{cartridge_d.journal.Journal}),
        reconciled with the cartridge; without one, multipart operations
        answer NotImplemented.
    """

    def __init__(self, cartridge: Engine, facade: BlockingFacade, clock: Any,
                 region: str = "us-east-1", journal: Any = None) -> None:
        self._cart = cartridge
        self._facade = facade
        self._clock = clock
        self.region = region
        self._mp = None if journal is None else uploads.Multipart(cartridge, journal, UploadGates())

    def _now_ns(self) -> int:
        return int(self._clock.seconds() * 1_000_000_000)

    @property
    def acl_fuse(self) -> int:
        """
        The cartridge's ACL fuse: 0 ignore (the default), 1 record, 2 enforce.
        """
        return self._cart.fuses.acl

    # buckets

    def create_bucket(self, name: str, owner: str, location: str | None = None) -> Deferred[BucketRecord]:
        """
        CreateBucket; C{location} is the LocationConstraint, if any.
        """
        region = location or self.region
        return self._facade.run(buckets.create_bucket, self._cart, name, owner, region, self._now_ns())

    def delete_bucket(self, name: str, requester: str) -> Deferred[None]:
        """
        DeleteBucket (NoSuchBucket, AccessDenied, BucketNotEmpty).
        """
        return self._facade.run(self._delete_bucket, name, requester)

    def _delete_bucket(self, name: str, requester: str) -> None:
        buckets.delete_bucket(self._cart, name, requester)
        if self._mp is not None:
            uploads.abort_bucket_uploads(self._mp, name)

    def head_bucket(self, name: str, requester: str) -> Deferred[BucketRecord]:
        """
        HeadBucket; also what GetBucketLocation and ?acl/?versioning read.
        """
        return self._facade.run(buckets.head_bucket, self._cart, name, requester)

    def list_buckets(self, owner: str) -> Deferred[list[BucketRecord]]:
        """
        ListBuckets: the buckets C{owner} owns.
        """
        return self._facade.run(buckets.list_buckets, self._cart, owner)

    # objects

    async def _begin_put(
        self, bucket: str, key: str, requester: str, size_hint: int | None, algorithms: tuple[str, ...]
    ) -> PutSession:
        writer = await self._facade.run(start_put, self._cart, bucket, key, requester, size_hint)
        return PutSession(self._cart, self._facade, writer, bucket, key, requester, algorithms, self._now_ns)

    def begin_put(
        self,
        bucket: str,
        key: str,
        requester: str,
        size_hint: int | None = None,
        checksum_algorithms: Sequence[str] = (),
    ) -> Deferred[PutSession]:
        """
        Start a PutObject: check the key, size and bucket before the body
        is accepted, then return a session to stream the body into.

        @param checksum_algorithms: the x-amz-checksum-* algorithms whose
            values will be given to C{finish} (from headers or trailer).
        """
        return Deferred.fromCoroutine(
            self._begin_put(bucket, key, requester, size_hint, tuple(checksum_algorithms))
        )

    def put_object(
        self,
        bucket: str,
        key: str,
        requester: str,
        body: bytes,
        options: PutOptions = PutOptions(),
        checksum_algorithms: Sequence[str] = (),
    ) -> Deferred[ObjectRecord]:
        """
        PutObject of a body already received whole (a small one): the
        checks of L{begin_put}, the write and the commit in one thread hop.
        """
        return self._facade.run(
            put_whole, self._cart, self._facade, bucket, key, requester, body,
            tuple(checksum_algorithms), options, self._now_ns(),
        )

    def get_object(self, query: ObjectQuery) -> Deferred[ObjectReader]:
        """
        GetObject: the record, the range, and a reader pinned to this
        state (a small object's bytes already read, in the same hop).
        Close the reader when done.
        """
        return self._here_or_pool(objects.open_object_nowait, objects.open_object,
                                  self._cart, self._facade, query)

    def head_object(self, query: ObjectQuery) -> Deferred[tuple[ObjectRecord, ByteRange | None]]:
        """
        HeadObject: the record and the range, checked like a GET.
        """
        return self._here_or_pool(objects.head_object_nowait, objects.head_object,
                                  self._cart, query)

    def _here_or_pool(self, here: Callable[..., T | None], pool: Callable[..., T],
                      *args: Any) -> Deferred[T]:
        """
        C{here(*args)} in the reactor thread (a read that never waits for
        the disk, L{objects.open_object_nowait}); if it answers None, the
        same work as C{pool(*args)} in the pool. Its errors fail the
        Deferred as the pool's would.
        """
        try:
            result = here(*args)
        except Exception:
            return fail()
        if result is None:
            return self._facade.run(pool, *args)
        return succeed(result)

    def delete_object(
        self, bucket: str, key: str, requester: str, version_id: str | None = None
    ) -> Deferred[DeleteOutcome]:
        """
        DeleteObject; a missing key is no error.
        """
        return self._facade.run(objects.delete_object, self._cart, bucket, key, requester, version_id)

    def delete_objects(
        self, bucket: str, requester: str, keys: Sequence[tuple[str, str | None]]
    ) -> Deferred[tuple[list[DeleteOutcome], list[DeleteFailure]]]:
        """
        DeleteObjects: (key, version id) pairs, deleted in one commit.
        """
        return self._facade.run(objects.delete_objects, self._cart, bucket, requester, list(keys))

    def list_objects(self, bucket: str, requester: str, request: ListRequest) -> Deferred[ListPage]:
        """
        One page of ListObjects v1 or v2.
        """
        return self._facade.run(listing.list_objects, self._cart, bucket, requester, request)

    def copy_object(
        self,
        source: CopySource,
        bucket: str,
        key: str,
        requester: str,
        options: CopyOptions = CopyOptions(),
    ) -> Deferred[tuple[ObjectRecord, ObjectRecord]]:
        """
        CopyObject: (source record, stored copy). No bytes are copied.
        """
        return self._facade.run(
            copy.copy_object, self._cart, source, bucket, key, requester, options, self._now_ns()
        )

    # multipart uploads

    def _multipart(self) -> uploads.Multipart:
        if self._mp is None:
            raise MultipartUnavailable("Multipart uploads need the journal, which this store lacks.")
        return self._mp

    def _run_multipart(self, f: Any, *args: Any) -> Deferred[Any]:
        try:
            mp = self._multipart()
        except MultipartUnavailable as e:
            return fail(e)
        return self._facade.run(f, mp, *args)

    def create_upload(
        self, bucket: str, key: str, requester: str, options: UploadOptions = UploadOptions()
    ) -> Deferred[UploadInfo]:
        """
        CreateMultipartUpload: the new upload (its id) once it is durable.
        """
        return self._run_multipart(
            uploads.create_upload, bucket, key, requester, options, self._now_ns()
        )

    async def _begin_part(self, bucket: str, key: str, upload_id: str, part_number: int,
                          requester: str, size_hint: int | None,
                          algorithms: tuple[str, ...]) -> parts.PartSession:
        mp = self._multipart()
        writer, upload_algorithm = await self._facade.run(
            parts.start_part, mp, bucket, key, upload_id, part_number, requester, size_hint,
            algorithms,
        )
        return parts.PartSession(mp, self._facade, writer, bucket, key, requester, upload_id,
                                 part_number, algorithms, upload_algorithm, self._now_ns)

    def begin_part(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        part_number: int,
        requester: str,
        size_hint: int | None = None,
        checksum_algorithms: Sequence[str] = (),
    ) -> Deferred[parts.PartSession]:
        """
        Start an UploadPart: check the upload, part number and size before
        the body is accepted, then return a session to stream it into.
        """
        return Deferred.fromCoroutine(
            self._begin_part(bucket, key, upload_id, part_number, requester, size_hint,
                             tuple(a.upper() for a in checksum_algorithms))
        )

    def copy_part(
        self,
        source: CopySource,
        range_header: str | None,
        bucket: str,
        key: str,
        upload_id: str,
        part_number: int,
        requester: str,
    ) -> Deferred[tuple[ObjectRecord, PartInfo]]:
        """
        UploadPartCopy: (source record, stored part).
        """
        return self._run_multipart(
            parts.copy_part, source, range_header, bucket, key, upload_id, part_number,
            requester, self._now_ns(),
        )

    def complete_upload(
        self, bucket: str, key: str, upload_id: str, requester: str, listed: Sequence[PartSpec]
    ) -> Deferred[ObjectRecord]:
        """
        CompleteMultipartUpload: the stored object, its parts linked, not copied.
        """
        return self._run_multipart(
            uploads.complete_upload, bucket, key, upload_id, requester, tuple(listed),
            self._now_ns(),
        )

    def abort_upload(self, bucket: str, key: str, upload_id: str, requester: str) -> Deferred[None]:
        """
        AbortMultipartUpload (NoSuchUpload for an unknown id).
        """
        return self._run_multipart(uploads.abort_upload, bucket, key, upload_id, requester)

    def list_parts(
        self, bucket: str, key: str, upload_id: str, requester: str, marker: int = 0,
        max_parts: int = 1000,
    ) -> Deferred[tuple[UploadInfo, PartListing]]:
        """
        ListParts: the upload and one page of its parts.
        """
        return self._run_multipart(
            uploads.list_parts, bucket, key, upload_id, requester, marker, max_parts
        )

    def list_uploads(
        self, bucket: str, requester: str, prefix: str = "", delimiter: str = "",
        key_marker: str = "", upload_id_marker: str = "", max_uploads: int = 1000,
    ) -> Deferred[UploadListing]:
        """
        ListMultipartUploads: one page of the bucket's uploads.
        """
        return self._run_multipart(
            uploads.list_uploads, bucket, requester, prefix, delimiter, key_marker,
            upload_id_marker, max_uploads,
        )

    def abort_expired(self, max_age_seconds: float) -> Deferred[int]:
        """
        Abort the uploads created more than C{max_age_seconds} ago; fires
        with how many.
        """
        cutoff = self._now_ns() - int(max_age_seconds * 1_000_000_000)
        return self._run_multipart(uploads.abort_expired, cutoff)
