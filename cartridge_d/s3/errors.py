"""
The one table from errors to S3 error codes and HTTP statuses, and the one
renderer of S3 error documents.

Every layer below raises its own neutral errors: the object store raises
L{S3DomainError} subclasses named after the S3 code they become, auth raises
C{AuthError(code, message)}, the XML codec raises C{MalformedXML}, and the
engine raises C{EngineError}s.  This module is the single place where any of
them becomes an S3 code and a status (Twisted's C{Request.render} plays the
same role for C{UnsupportedMethod}), so no handler ever chooses a status
code itself.

test-case-name: tests.s3.test_s3_errors
"""

from __future__ import annotations

from typing import Iterable

from cartridge_d.xmlcodec import render_error as _render_error_xml

#: S3 code -> (HTTP status, default message).  Messages follow AWS's wording
#: where clients or users may recognise it.
ERRORS: dict[str, tuple[int, str]] = {
    "AccessDenied": (403, "Access Denied"),
    "AuthorizationHeaderMalformed": (400, "The authorization header is malformed."),
    "AuthorizationQueryParametersError": (
        400,
        "Error parsing the X-Amz-Credential parameter or the query parameters.",
    ),
    "BadDigest": (400, "The Content-MD5 or checksum you specified did not match what we received."),
    "BucketAlreadyExists": (
        409,
        "The requested bucket name is not available. Please select a different name.",
    ),
    "BucketAlreadyOwnedByYou": (
        409,
        "Your previous request to create the named bucket succeeded and you already own it.",
    ),
    "BucketNotEmpty": (409, "The bucket you tried to delete is not empty."),
    "EntityTooLarge": (400, "Your proposed upload exceeds the maximum allowed object size."),
    "EntityTooSmall": (400, "Your proposed upload is smaller than the minimum allowed object size."),
    "ExpiredToken": (400, "The provided token has expired."),
    "IllegalLocationConstraintException": (
        400,
        "The location constraint is incompatible with the region of this endpoint.",
    ),
    "IncompleteBody": (400, "You did not provide the number of bytes specified by the Content-Length HTTP header."),
    "InsufficientStorage": (507, "The cartridge is full."),
    "InternalError": (500, "We encountered an internal error. Please try again."),
    "InvalidAccessKeyId": (
        403,
        "The AWS Access Key Id you provided does not exist in our records.",
    ),
    "InvalidArgument": (400, "Invalid Argument"),
    "InvalidBucketName": (400, "The specified bucket is not valid."),
    "InvalidBucketState": (409, "The request is not valid with the current state of the bucket."),
    "InvalidDigest": (400, "The Content-MD5 or checksum you specified is not valid."),
    "InvalidLocationConstraint": (400, "The specified location constraint is not valid."),
    "InvalidPart": (400, "One or more of the specified parts could not be found."),
    "InvalidPartOrder": (400, "The list of parts was not in ascending order."),
    "InvalidPartNumber": (416, "The requested partnumber is not satisfiable"),
    "InvalidRange": (416, "The requested range is not satisfiable"),
    "InvalidRequest": (400, "Invalid Request"),
    "InvalidStorageClass": (400, "The storage class you specified is not valid."),
    "InvalidURI": (400, "Couldn't parse the specified URI."),
    "KeyTooLongError": (400, "Your key is too long."),
    "MalformedXML": (
        400,
        "The XML you provided was not well-formed or did not validate against our published schema.",
    ),
    "MetadataTooLarge": (400, "Your metadata headers exceed the maximum allowed metadata size."),
    "MethodNotAllowed": (405, "The specified method is not allowed against this resource."),
    "MissingContentLength": (411, "You must provide the Content-Length HTTP header."),
    "MissingContentMD5": (400, "Missing required header for this request: Content-MD5."),
    "MissingRequestBodyError": (400, "Request Body is empty."),
    "MissingSecurityHeader": (400, "Your request is missing a required header."),
    "NoSuchBucket": (404, "The specified bucket does not exist."),
    "NoSuchBucketPolicy": (404, "The bucket policy does not exist."),
    "NoSuchCORSConfiguration": (404, "The CORS configuration does not exist."),
    "NoSuchConfiguration": (404, "The specified configuration does not exist."),
    "NoSuchKey": (404, "The specified key does not exist."),
    "NoSuchLifecycleConfiguration": (404, "The lifecycle configuration does not exist."),
    "NoSuchPublicAccessBlockConfiguration": (
        404,
        "The public access block configuration was not found.",
    ),
    "NoSuchTagSet": (404, "The TagSet does not exist."),
    "NoSuchUpload": (
        404,
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    ),
    "NoSuchVersion": (404, "The specified version does not exist."),
    "NoSuchWebsiteConfiguration": (404, "The specified bucket does not have a website configuration."),
    "NotImplemented": (501, "A header or query you provided implies functionality that is not implemented."),
    "NotModified": (304, "Not Modified"),
    "ObjectLockConfigurationNotFoundError": (404, "Object Lock configuration does not exist for this bucket."),
    "OwnershipControlsNotFoundError": (404, "The bucket ownership controls were not found."),
    "PreconditionFailed": (412, "At least one of the pre-conditions you specified did not hold."),
    "ReplicationConfigurationNotFoundError": (404, "The replication configuration was not found."),
    "RequestHeaderSectionTooLarge": (
        400,
        "Your request header section exceeds the maximum allowed size.",
    ),
    "RequestTimeTooSkewed": (
        403,
        "The difference between the request time and the current time is too large.",
    ),
    "RequestTimeout": (
        400,
        "Your socket connection to the server was not read from or written to within the timeout period.",
    ),
    "ServerSideEncryptionConfigurationNotFoundError": (
        404,
        "The server side encryption configuration was not found.",
    ),
    "ServiceUnavailable": (503, "Please reduce your request rate."),
    "SignatureDoesNotMatch": (
        403,
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    ),
    "TooManyBuckets": (400, "You have attempted to create more buckets than allowed."),
    "UserKeyMustBeSpecified": (
        400,
        "The bucket POST must contain the specified field name. If it is specified, "
        "please check the order of the fields.",
    ),
    "XAmzContentSHA256Mismatch": (
        400,
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
    ),
}

#: Neutral error class names whose S3 code differs from the class name.
_RENAMED = {
    "KeyTooLong": "KeyTooLongError",
    "CartridgeFull": "InsufficientStorage",
    "BucketExists": "BucketAlreadyOwnedByYou",
}


class S3Error(Exception):
    """
    An error as the client will see it.

    (A plain exception, not a frozen dataclass: Twisted clears
    C{__traceback__} on exceptions it carries in a Failure.)

    @ivar code: the S3 error code, a key of L{ERRORS}.
    @ivar message: the human-readable message.
    @ivar status: the HTTP status.
    @ivar extra: further child elements of C{<Error>} (C{BucketName},
        C{Key}, C{ActualObjectSize}, ...), in order.
    @ivar headers: response headers that go with this error (a
        C{Last-Modified} or C{ETag} on 304, for example).
    """

    def __init__(
        self,
        code: str,
        message: str,
        status: int,
        extra: tuple[tuple[str, str], ...] = (),
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra
        self.headers = headers

    def __repr__(self) -> str:
        return f"S3Error({self.code!r}, {self.message!r}, {self.status})"


def s3_error(
    code: str,
    message: str | None = None,
    *,
    extra: Iterable[tuple[str, str]] = (),
    headers: Iterable[tuple[str, str]] = (),
) -> S3Error:
    """
    Build the L{S3Error} for C{code}, with its status from L{ERRORS}.
    """
    status, default = ERRORS.get(code, (500, code))
    return S3Error(code, message or default, status, tuple(extra), tuple(headers))


def to_s3_error(exc: BaseException) -> S3Error | None:
    """
    Translate any error raised below the S3 layer into an L{S3Error}.

    Errors carry their S3 code either as a C{code} attribute (auth, object
    store) or as their class name (the object store's error classes are named
    after the code).  Returns L{None} for an exception that is no S3 error at
    all: the caller logs it with its traceback and answers InternalError.
    """
    if isinstance(exc, S3Error):
        return exc
    code = getattr(exc, "code", None)
    if not isinstance(code, str) or code not in ERRORS:
        name = type(exc).__name__
        code = _RENAMED.get(name, name)
    if code not in ERRORS:
        return None
    message = getattr(exc, "message", None)
    if not isinstance(message, str) or not message:
        text = str(exc)
        message = text if text and text != code else None
    extra = tuple(getattr(exc, "extra", ()) or getattr(exc, "details", ()) or ())
    headers = tuple(getattr(exc, "headers", ()) or ())
    return s3_error(code, message, extra=extra, headers=headers)


def internal_error() -> S3Error:
    """
    The error for an unexpected exception; its details go to the log only.
    """
    return s3_error("InternalError")


def render_error(error: S3Error, resource: str, request_id: str, host_id: str) -> bytes:
    """
    Render the S3 C{<Error>} document for C{error}.

    @param resource: the request path, as S3 reports it.
    @param request_id: the id also sent in C{x-amz-request-id}.
    @param host_id: the id also sent in C{x-amz-id-2}.
    """
    return _render_error_xml(
        _text(error.code),
        _text(error.message),
        request_id,
        _text(resource),
        host_id,
        [(name, _text(value)) for name, value in error.extra],
    )


def _text(value: str) -> str:
    """
    C{value} made encodable: header bytes that are not UTF-8 reach error
    details as surrogate escapes, which XML cannot carry.
    """
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
