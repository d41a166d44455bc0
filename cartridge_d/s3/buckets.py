"""
Handlers for bucket operations: create, delete, head, location,
versioning and ACL.

test-case-name: tests.s3.test_s3_buckets
"""

from __future__ import annotations

from cartridge_d.s3.call import Call, Response
from cartridge_d.s3.config import refuse_bucket_object_lock
from cartridge_d.s3.errors import s3_error
from cartridge_d.s3.present import record_owner, xml_response
from cartridge_d.xmlcodec import (
    parse_create_bucket_configuration,
    render_access_control_policy,
    render_location,
    render_versioning,
)


async def create_bucket(call: Call) -> Response:
    """
    CreateBucket, with the LocationConstraint of the body if there is one.

    A constraint naming another region than this endpoint's is refused as
    S3 refuses it (IllegalLocationConstraintException); naming
    C{us-east-1} explicitly is what S3 calls InvalidLocationConstraint.
    """
    refuse_bucket_object_lock(call)
    check_acl(call)
    location = parse_create_bucket_configuration(call.body) if call.body.strip() else None
    if location is not None and location != call.app.region:
        raise s3_error(
            "IllegalLocationConstraintException",
            f"The {location} location constraint is incompatible for the region "
            f"specific endpoint this request was sent to.",
        )
    await call.app.store.create_bucket(call.head.bucket, call.owner_id, location)
    return Response(200, (("Location", "/" + call.head.bucket),))


async def delete_bucket(call: Call) -> Response:
    """
    DeleteBucket: 204, or BucketNotEmpty.
    """
    await call.app.store.delete_bucket(call.head.bucket, call.owner_id)
    return Response(204)


async def head_bucket(call: Call) -> Response:
    """
    HeadBucket: 200 with the bucket's region, or the error without a body.
    """
    record = await call.app.store.head_bucket(call.head.bucket, call.owner_id)
    return Response(200, (("x-amz-bucket-region", record.region),))


async def get_location(call: Call) -> Response:
    """
    GetBucketLocation (empty for us-east-1, as S3 answers).
    """
    record = await call.app.store.head_bucket(call.head.bucket, call.owner_id)
    return xml_response(render_location(record.region))


async def get_versioning(call: Call) -> Response:
    """
    GetBucketVersioning: an empty configuration until versioning is on.
    """
    record = await call.app.store.head_bucket(call.head.bucket, call.owner_id)
    return xml_response(render_versioning(record.versioning))


async def put_versioning(call: Call) -> Response:
    """
    PutBucketVersioning: not implemented until the versioning fuse is.
    """
    await call.app.store.head_bucket(call.head.bucket, call.owner_id)
    raise s3_error("NotImplemented")


async def get_acl(call: Call) -> Response:
    """
    GetBucketAcl: the owner with FULL_CONTROL.
    """
    record = await call.app.store.head_bucket(call.head.bucket, call.owner_id)
    return xml_response(render_access_control_policy(record_owner(call, record.owner)))


#: The canned ACLs of S3 (x-amz-acl).
CANNED_ACLS = frozenset({
    "private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
    "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write",
})


def check_acl(call: Call, acl_body: bool = False) -> None:
    """
    The same answer to an ACL wherever a request sets one (CreateBucket,
    PutObject, CopyObject, CreateMultipartUpload, PUT ?acl): an unknown
    canned ACL is InvalidArgument; otherwise the cartridge's ACL fuse
    decides.  With "ignore" (0, the default) every ACL is accepted and not
    kept: each resource stays its owner's alone, as GET ?acl says.  The
    "record" and "enforce" fuses are not implemented, so there only the
    ACL every resource has anyway (the canned C{private}, or none) is
    accepted, and anything else is NotImplemented rather than dropped.

    @param acl_body: the request body is an ACL (PUT ?acl), not something
        else (a CreateBucketConfiguration).
    """
    value = call.head.header("x-amz-acl")
    canned = (value or "private").strip().lower()
    if canned not in CANNED_ACLS:
        raise s3_error(
            "InvalidArgument", extra=(("ArgumentName", "x-amz-acl"), ("ArgumentValue", value or ""))
        )
    if call.app.store.acl_fuse == 0:
        return
    grants = any(name.startswith("x-amz-grant-") for name in call.head.headers)
    if canned != "private" or grants or (acl_body and call.body.strip()):
        raise s3_error("NotImplemented", "Only the canned ACL private is supported.")


async def put_acl(call: Call) -> Response:
    """
    PutBucketAcl: as L{check_acl} says.
    """
    await call.app.store.head_bucket(call.head.bucket, call.owner_id)
    check_acl(call, acl_body=True)
    return Response(200)

