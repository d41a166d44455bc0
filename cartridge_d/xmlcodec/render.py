"""
Renderers for the small S3 response bodies: errors, buckets, location,
ACL, versioning, copy and bulk-delete results.

Each takes plain values (or L{cartridge_d.xmlcodec.model} values) and
returns the whole body as bytes, with an XML declaration and, except for
Error (which S3 sends without one), the S3 namespace.

test-case-name: tests.xmlcodec.test_xml_render
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cartridge_d.xmlcodec._build import XSI_NS, Document, iso8601, quote_etag
from cartridge_d.xmlcodec.model import (
    BucketEntry,
    DeletedEntry,
    DeleteErrorEntry,
    Grant,
    Owner,
)


def render_error(
    code: str,
    message: str,
    request_id: str,
    resource: str | None = None,
    host_id: str | None = None,
    extra: Sequence[tuple[str, str]] = (),
) -> bytes:
    """
    An S3 error body: Code, Message, the C{extra} fields (BucketName, Key,
    ArgumentName, ArgumentValue, ...) in the order given, Resource,
    RequestId and HostId. S3 sends it without a namespace.
    """
    doc = Document("Error", namespaced=False)
    doc.text(doc.root, "Code", code)
    doc.text(doc.root, "Message", message)
    for name, value in extra:
        doc.text(doc.root, name, value)
    doc.optional(doc.root, "Resource", resource)
    doc.text(doc.root, "RequestId", request_id)
    doc.optional(doc.root, "HostId", host_id)
    return doc.tobytes()


def render_list_buckets(owner: Owner, buckets: Iterable[BucketEntry]) -> bytes:
    """
    A ListAllMyBucketsResult.
    """
    doc = Document("ListAllMyBucketsResult")
    doc.owner(doc.root, "Owner", owner.id, owner.display_name)
    listed = doc.element(doc.root, "Buckets")
    for bucket in buckets:
        element = doc.element(listed, "Bucket")
        doc.text(element, "Name", bucket.name)
        doc.text(element, "CreationDate", iso8601(bucket.created_ns))
        doc.optional(element, "BucketRegion", bucket.region)
    return doc.tobytes()


def render_location(region: str) -> bytes:
    """
    A GetBucketLocation answer. S3 answers us-east-1 with an empty
    LocationConstraint, every other region by name.
    """
    doc = Document("LocationConstraint")
    if region and region != "us-east-1":
        doc.root.text = region
    return doc.tobytes()


def render_versioning(status: str, mfa_delete: str | None = None) -> bytes:
    """
    A GetBucketVersioning answer: empty for a bucket that never had
    versioning enabled (C{status} ""), else its Status.
    """
    doc = Document("VersioningConfiguration")
    if status:
        doc.text(doc.root, "Status", status)
    doc.optional(doc.root, "MfaDelete", mfa_delete)
    return doc.tobytes()


def render_access_control_policy(owner: Owner, grants: Sequence[Grant] | None = None) -> bytes:
    """
    An AccessControlPolicy; without C{grants}, the owner alone with
    FULL_CONTROL (what every bucket and object has until ACLs are kept).
    """
    if grants is None:
        grants = (Grant("FULL_CONTROL", owner),)
    doc = Document("AccessControlPolicy")
    doc.owner(doc.root, "Owner", owner.id, owner.display_name)
    acl = doc.element(doc.root, "AccessControlList")
    for grant in grants:
        element = doc.element(acl, "Grant")
        grantee = doc.element(element, "Grantee")
        grantee.set(f"{{{XSI_NS}}}type", grant.grantee_type)
        if grant.grantee is not None:
            doc.text(grantee, "ID", grant.grantee.id)
            doc.text(grantee, "DisplayName", grant.grantee.display_name)
        doc.optional(grantee, "URI", grant.uri)
        doc.text(element, "Permission", grant.permission)
    return doc.tobytes()


def render_copy_result(
    etag: str,
    last_modified_ns: int,
    checksums: Sequence[tuple[str, str]] = (),
    part: bool = False,
) -> bytes:
    """
    A CopyObjectResult, or with C{part} an UploadPartCopy's CopyPartResult.
    """
    doc = Document("CopyPartResult" if part else "CopyObjectResult")
    doc.text(doc.root, "LastModified", iso8601(last_modified_ns))
    doc.text(doc.root, "ETag", quote_etag(etag))
    for algorithm, value in checksums:
        doc.text(doc.root, "Checksum" + algorithm.upper(), value)
    return doc.tobytes()


def render_delete_result(
    deleted: Iterable[DeletedEntry],
    errors: Iterable[DeleteErrorEntry],
    quiet: bool = False,
) -> bytes:
    """
    A DeleteResult. In quiet mode S3 lists only the errors.
    """
    doc = Document("DeleteResult")
    if not quiet:
        for entry in deleted:
            element = doc.element(doc.root, "Deleted")
            doc.text(element, "Key", entry.key)
            doc.optional(element, "VersionId", entry.version_id)
            if entry.delete_marker:
                doc.text(element, "DeleteMarker", True)
                doc.optional(element, "DeleteMarkerVersionId", entry.delete_marker_version_id)
    for error in errors:
        element = doc.element(doc.root, "Error")
        doc.text(element, "Key", error.key)
        doc.optional(element, "VersionId", error.version_id)
        doc.text(element, "Code", error.code)
        doc.text(element, "Message", error.message)
    return doc.tobytes()
