"""
Handlers for bucket configurations this server does not keep.

Clients probe these sub-resources (s3cmd C{info} asks for C{?policy},
C{?cors}, C{?lifecycle}, C{?requestPayment} and aborts on any status it
does not expect), so each one answers what S3 answers for a bucket that has
none configured: a specific 404 code, or an empty document where S3 returns
one.  Writing a configuration is NotImplemented; deleting one succeeds,
since afterwards there is none, as S3 says.

test-case-name: tests.s3.test_s3_routing
"""

from __future__ import annotations

from typing import Awaitable, Callable

from cartridge_d.objectstore.model import ObjectQuery
from cartridge_d.s3.call import Call, Response
from cartridge_d.s3.errors import s3_error
from cartridge_d.s3.present import xml_response

_S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"


async def _bucket_must_exist(call: Call) -> None:
    """
    Raise NoSuchBucket (or AccessDenied) before answering about a bucket's
    configuration, as S3 does.
    """
    await call.app.store.head_bucket(call.head.bucket, call.owner_id)


def _missing(code: str) -> Callable[[Call], Awaitable[Response]]:
    """
    A GET handler answering the "none configured" error C{code}.
    """

    async def handler(call: Call) -> Response:
        await _bucket_must_exist(call)
        raise s3_error(code, extra=(("BucketName", call.head.bucket),))

    handler.__name__ = f"missing_{code}"
    handler.__doc__ = f"Answer {code}: this server keeps no such configuration."
    return handler


def _empty(root: str, inner: str = "") -> Callable[[Call], Awaitable[Response]]:
    """
    A GET handler answering a fixed, empty configuration document.
    """
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{_S3_NS}">{inner}</{root}>'
    ).encode()

    async def handler(call: Call) -> Response:
        await _bucket_must_exist(call)
        return xml_response(body)

    handler.__name__ = f"empty_{root}"
    handler.__doc__ = f"Answer an empty {root}: nothing is configured."
    return handler


#: GET handlers per unimplemented bucket sub-resource.
BUCKET_CONFIG_GETS: dict[str, Callable[[Call], Awaitable[Response]]] = {
    "policy": _missing("NoSuchBucketPolicy"),
    "cors": _missing("NoSuchCORSConfiguration"),
    "lifecycle": _missing("NoSuchLifecycleConfiguration"),
    "website": _missing("NoSuchWebsiteConfiguration"),
    "tagging": _missing("NoSuchTagSet"),
    "replication": _missing("ReplicationConfigurationNotFoundError"),
    "encryption": _missing("ServerSideEncryptionConfigurationNotFoundError"),
    "object-lock": _missing("ObjectLockConfigurationNotFoundError"),
    "publicAccessBlock": _missing("NoSuchPublicAccessBlockConfiguration"),
    "ownershipControls": _missing("OwnershipControlsNotFoundError"),
    "requestPayment": _empty("RequestPaymentConfiguration", "<Payer>BucketOwner</Payer>"),
    "logging": _empty("BucketLoggingStatus"),
    "notification": _empty("NotificationConfiguration"),
    "accelerate": _empty("AccelerateConfiguration"),
}

#: Bucket sub-resources whose DELETE succeeds (there is nothing to delete).
BUCKET_CONFIG_DELETES = (
    "policy",
    "cors",
    "lifecycle",
    "website",
    "tagging",
    "replication",
    "encryption",
    "publicAccessBlock",
    "ownershipControls",
)


#: Object Lock settings of a PutObject, CopyObject or CreateMultipartUpload.
_OBJECT_LOCK_HEADERS = (
    "x-amz-object-lock-mode",
    "x-amz-object-lock-retain-until-date",
    "x-amz-object-lock-legal-hold",
)


async def refuse_object_lock(call: Call) -> None:
    """
    Refuse Object Lock settings on a new object: no bucket here has an
    Object Lock configuration, and S3 refuses them in such a bucket
    (after NoSuchBucket and AccessDenied) rather than storing an object
    the client believes is locked.
    """
    if any(name in call.head.headers for name in _OBJECT_LOCK_HEADERS):
        await _bucket_must_exist(call)
        raise s3_error("InvalidRequest", "Bucket is missing ObjectLockConfiguration")


def refuse_bucket_object_lock(call: Call) -> None:
    """
    Refuse to create a bucket with Object Lock enabled: this server cannot
    keep the promise (NotImplemented, not a bucket that silently lacks it).
    """
    if (call.head.header("x-amz-bucket-object-lock-enabled") or "").strip().lower() == "true":
        raise s3_error("NotImplemented", "Object Lock is not supported by this server.")


async def not_implemented(call: Call) -> Response:
    """
    Refuse to store a configuration this server does not keep (once the
    bucket is known to exist and be the requester's, as S3 checks first).
    """
    if call.head.bucket:
        await _bucket_must_exist(call)
    raise s3_error("NotImplemented")


async def missing_object_lock(call: Call) -> Response:
    """
    An object's retention or legal hold: S3's answer for a bucket without
    an Object Lock configuration, which every bucket here is.
    """
    await _bucket_must_exist(call)
    raise s3_error("InvalidRequest", "Bucket is missing Object Lock Configuration")


async def deleted(call: Call) -> Response:
    """
    Delete a configuration that does not exist: 204, as S3 answers, once
    the bucket (and for an object's, the object) is known to exist and
    be the requester's.
    """
    head = call.head
    if head.key:
        await call.app.store.head_object(
            ObjectQuery(head.bucket, head.key, call.owner_id, head.query.get("versionId"))
        )
    else:
        await _bucket_must_exist(call)
    return Response(204)
