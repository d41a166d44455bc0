"""
Streaming PUT: a session that writes the body into the cartridge as it
arrives and stores the object's record at the end.

The S3 layer calls L{PutSession.write} for each chunk it receives and
waits on the returned Deferred before reading more from the socket, so a
slow disk pauses the client (backpressure). Each write is one thread hop;
the bytes go straight to fresh blocks, hashed on the way, and nothing but
the current chunk is held in memory.

Nothing is stored if the Content-MD5 or a checksum does not match, if the
body is too large, or if a condition fails: the written blocks are given
back and the previous object, if any, is untouched.

test-case-name: tests.objectstore.test_objects
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from twisted.internet.defer import Deferred, succeed

from cartridge_d.engine.types import DataRef, ObjectRecord
from cartridge_d.objectstore import errors
from cartridge_d.objectstore.access import engine_errors, owned_bucket
from cartridge_d.checksums import BodyChecksums
from cartridge_d.objectstore.engine_api import Engine, Writer
from cartridge_d.objectstore.model import PutOptions
from cartridge_d.objectstore.threads import BlockingFacade
from cartridge_d.objectstore.validation import (
    MAX_PUT_BYTES,
    check_key,
    check_metadata,
    decode_content_md5,
)

#: Pieces shorter than this are held in the reactor until the next hop.
HOLD_BELOW = 64 * 1024


def too_large() -> errors.S3DomainError:
    """
    EntityTooLarge with the limit S3 names.
    """
    return errors.EntityTooLarge(
        "Your proposed upload exceeds the maximum allowed size",
        extra=(("MaxSizeAllowed", str(MAX_PUT_BYTES)),),
    )


def start_put(cart: Engine, bucket: str, key: str, requester: str, size_hint: int | None) -> Writer:
    """
    Check everything that can be checked before the body arrives, then
    open a writer (pool thread).
    """
    check_key(key)
    if size_hint is not None and size_hint > MAX_PUT_BYTES:
        raise too_large()
    owned_bucket(cart, bucket, requester)  # the engine's bucket cache: no view
    with engine_errors(bucket, key):
        return cart.writer(size_hint)


class BodySession:
    """
    One request body on its way into fresh cartridge blocks, hashed on the
    way: what PutObject and UploadPart have in common.

    Thread contract: the public methods are called in the reactor thread,
    one at a time (wait for each Deferred); the work runs in the pool.
    """

    def __init__(
        self,
        cart: Engine,
        facade: BlockingFacade,
        writer: Writer,
        bucket: str,
        key: str,
        requester: str,
        algorithms: tuple[str, ...],
        now_ns: Callable[[], int],
    ) -> None:
        self._cart = cart
        self._facade = facade
        self._writer = writer
        self._bucket = bucket
        self._key = key
        self._requester = requester
        self._checksums = BodyChecksums(algorithms)
        self._now_ns = now_ns
        self._size = 0
        self._done = False
        self._held = b""

    @property
    def size(self) -> int:
        """
        The number of body bytes written so far.
        """
        return self._size

    def write(self, data: bytes) -> Deferred[None]:
        """
        Write the next chunk of the body.

        @raise EntityTooLarge: (in the Deferred) once the body passes 5 GiB;
            the session is aborted.
        """
        held, self._held = self._held, b""
        if held:
            data = held + data
        if len(data) < HOLD_BELOW:
            self._held = data
            return succeed(None)
        return self._facade.run(self._write, data)

    def abort(self) -> Deferred[None]:
        """
        Drop the body (the client went away, or the S3 layer refused it).
        Idempotent.
        """
        self._held = b""
        return self._facade.run(self._abort)

    def _write(self, data: bytes) -> None:
        if self._done:
            raise ValueError("the session is finished")
        self._size += len(data)
        if self._size > MAX_PUT_BYTES:
            self._abort()
            raise too_large()
        self._checksums.update(data)
        with engine_errors(self._bucket, self._key):
            try:
                self._writer.write(data)
            except BaseException:
                self._abort()
                raise

    def _abort(self) -> None:
        if not self._done:
            self._done = True
            self._writer.abort()

    def _finish_body(self, options: PutOptions) -> tuple[DataRef, tuple[tuple[str, str], ...]]:
        """
        End the body and check it against Content-MD5 and the client's
        checksums (pool thread). The caller gives the blocks back if this,
        or anything it does next, raises.

        @return: where the body is, and its verified checksums.
        """
        held, self._held = self._held, b""
        if held:
            self._write(held)
        if self._done:
            raise ValueError("the session is finished")
        self._done = True
        with engine_errors(self._bucket, self._key):
            ref = self._writer.finish()
        if options.content_md5 is not None:
            if decode_content_md5(options.content_md5) != ref.md5:
                raise errors.BadDigest(
                    "The Content-MD5 you specified did not match what we received."
                )
        return ref, self._verified_checksums(options.checksums)

    def _computed(self, algorithm: str) -> str | None:
        """
        The base64 checksum of the body for C{algorithm}, if it was computed.
        """
        return self._checksums.values().get(algorithm.upper())

    def _verified_checksums(self, expected: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        """
        Compare the client's checksums with the computed ones; keep the
        ones that were computed and match (only verified values are ever
        stored and echoed).
        """
        computed = self._checksums.values()
        kept = []
        for algorithm, value in expected:
            algorithm = algorithm.upper()
            actual = computed.get(algorithm)
            if actual is None:
                continue
            if _b64(value) != _b64(actual):
                raise errors.BadDigest(
                    f"The {algorithm} you specified did not match the calculated checksum."
                )
            kept.append((algorithm, actual))
        return tuple(kept)


class PutSession(BodySession):
    """
    One PutObject body: at the end, the object's record is committed.
    """

    def finish(self, options: PutOptions = PutOptions()) -> Deferred[ObjectRecord]:
        """
        Verify the body and store the object's record (one durable commit).

        @return: a Deferred firing with the stored record (its ETag, version).
        """
        return self._facade.run(self._finish, options, self._now_ns())

    def _finish(self, options: PutOptions, now_ns: int) -> ObjectRecord:
        try:
            check_metadata(options.meta)
            ref, checksums = self._finish_body(options)
            record = ObjectRecord(
                bucket=self._bucket,
                key=self._key,
                size=ref.size,
                etag=ref.md5.hex(),
                mtime_ns=now_ns,
                owner=self._requester,
                headers=options.headers,
                meta=options.meta,
                checksums=checksums,
                segments=(ref,),
            )
            conditions = options.conditions
            try:
                with engine_errors(self._bucket, self._key):
                    return self._cart.put_object(
                        record,
                        if_none_match=(conditions.if_none_match or "").strip() == "*",
                        if_match_etag=None
                        if conditions.if_match is None
                        else conditions.if_match.strip().strip('"'),
                    )
            except errors.PreconditionFailed:
                if conditions.if_match is not None:
                    self._check_if_match_target()
                raise
        except BaseException:
            self._done = True
            self._writer.abort()
            raise


    def _check_if_match_target(self) -> None:
        """
        After an If-Match write failed: S3 answers 404 NoSuchKey, not 412,
        when there is no current object to match (absent, or a delete
        marker).
        """
        with self._cart.view() as view:
            current = view.get_object(self._bucket, self._key, None)
        if current is None or current.delete_marker:
            raise errors.NoSuchKey(extra=(("Key", self._key),))


def put_whole(
    cart: Engine,
    facade: BlockingFacade,
    bucket: str,
    key: str,
    requester: str,
    body: bytes,
    algorithms: tuple[str, ...],
    options: PutOptions,
    now_ns: int,
) -> ObjectRecord:
    """
    Store a body already in memory (pool thread): what L{start_put}, one
    L{PutSession} write and its finish do, in one hop.
    """
    writer = start_put(cart, bucket, key, requester, len(body))
    session = PutSession(cart, facade, writer, bucket, key, requester, algorithms,
                         lambda: now_ns)
    if body:
        session._write(body)
    return session._finish(options, now_ns)


def _b64(value: str) -> bytes | None:
    """
    Decoded base64, or None if it is not base64 (which then matches nothing).
    """
    try:
        return base64.b64decode(value.strip(), validate=True)
    except ValueError:
        return None
