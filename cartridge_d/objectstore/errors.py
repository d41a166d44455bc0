"""
The errors of the object store, one class per S3 error code.

Each class is named after the S3 code it becomes (C{code}), so the S3
layer's single table (L{cartridge_d.s3.errors}) maps them to an HTTP status
without a second list here. C{extra} holds the further C{<Error>} fields S3
sends with the code (BucketName, Key, ArgumentName, ...), C{headers} the
response headers that go with it (ETag and Last-Modified on a 304).

test-case-name: tests.objectstore.test_objects
"""

from __future__ import annotations

from collections.abc import Iterable


class S3DomainError(Exception):
    """
    Base of every object store error.

    @ivar code: the S3 error code.
    @ivar message: the message for the client (None: the S3 layer's
        standard message for the code).
    @ivar extra: (element name, text) pairs for the error body.
    @ivar headers: (header name, value) pairs for the response.
    """

    code = "InternalError"

    def __init__(
        self,
        message: str | None = None,
        *,
        extra: Iterable[tuple[str, str]] = (),
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message or self.code)
        self.message = message
        self.extra = tuple(extra)
        self.headers = tuple(headers)


class NoSuchBucket(S3DomainError):
    """
    The bucket does not exist.
    """

    code = "NoSuchBucket"


class NoSuchKey(S3DomainError):
    """
    The key does not exist (or is a delete marker).
    """

    code = "NoSuchKey"


class NoSuchVersion(S3DomainError):
    """
    The named version does not exist.
    """

    code = "NoSuchVersion"


class BucketAlreadyOwnedByYou(S3DomainError):
    """
    The requester already owns it.
    """

    code = "BucketAlreadyOwnedByYou"


class BucketAlreadyExists(S3DomainError):
    """
    Another user owns a bucket of that name.
    """

    code = "BucketAlreadyExists"


class BucketNotEmpty(S3DomainError):
    """
    The bucket still holds objects or uploads.
    """

    code = "BucketNotEmpty"


class InvalidBucketName(S3DomainError):
    """
    The name breaks the bucket-naming rules.
    """

    code = "InvalidBucketName"


class InvalidLocationConstraint(S3DomainError):
    """
    An unknown region was asked for.
    """

    code = "InvalidLocationConstraint"


class AccessDenied(S3DomainError):
    """
    The requester may not do this.
    """

    code = "AccessDenied"


class PreconditionFailed(S3DomainError):
    """
    An If-* condition failed (412).
    """

    code = "PreconditionFailed"


class NotModified(S3DomainError):
    """
    A conditional GET/HEAD found no change (304).
    """

    code = "NotModified"


class InvalidRange(S3DomainError):
    """
    The Range does not overlap the object (416).
    """

    code = "InvalidRange"


class InvalidPartNumber(S3DomainError):
    """
    A GET or HEAD asked for a part the object does not have (416).
    """

    code = "InvalidPartNumber"


class KeyTooLong(S3DomainError):
    """
    The key is over 1024 bytes of UTF-8.
    """

    code = "KeyTooLongError"


class MetadataTooLarge(S3DomainError):
    """
    User metadata is over 2 KB.
    """

    code = "MetadataTooLarge"


class BadDigest(S3DomainError):
    """
    Content-MD5 or a checksum does not match the body.
    """

    code = "BadDigest"


class InvalidDigest(S3DomainError):
    """
    Content-MD5 or a checksum is not valid base64.
    """

    code = "InvalidDigest"


class EntityTooLarge(S3DomainError):
    """
    A single PUT over 5 GiB.
    """

    code = "EntityTooLarge"


class InvalidArgument(S3DomainError):
    """
    A parameter has a bad value.
    """

    code = "InvalidArgument"


class InvalidRequest(S3DomainError):
    """
    The request is not allowed as made.
    """

    code = "InvalidRequest"


class InsufficientStorage(S3DomainError):
    """
    The cartridge is full.
    """

    code = "InsufficientStorage"


class InternalError(S3DomainError):
    """
    Stored data failed its checksum, or worse.
    """

    code = "InternalError"


def argument_error(name: str, value: str, message: str) -> S3DomainError:
    """
    An InvalidArgument naming the argument and its value, as S3 does.
    """
    return InvalidArgument(message, extra=(("ArgumentName", name), ("ArgumentValue", value)))


class NoSuchUpload(S3DomainError):
    """
    The upload id names no in-progress upload of this key (never created,
    completed or aborted).
    """

    code = "NoSuchUpload"


class InvalidPart(S3DomainError):
    """
    A part listed in Complete was not uploaded, or its ETag or checksum
    does not match the stored part.
    """

    code = "InvalidPart"


class InvalidPartOrder(S3DomainError):
    """
    The parts listed in Complete are not in strictly ascending order.
    """

    code = "InvalidPartOrder"


class EntityTooSmall(S3DomainError):
    """
    A part other than the last is smaller than 5 MiB.
    """

    code = "EntityTooSmall"


class MultipartUnavailable(S3DomainError):
    """
    The store was built without a journal, so it keeps no uploads.
    """

    code = "NotImplemented"
