"""
The one routing table: (target kind, method, sub-resource, copy) -> route.

S3 multiplexes dozens of operations onto three URL shapes (service, bucket,
object) with query-string sub-resources (C{?acl}, C{?uploads}, ...) and one
header (C{x-amz-copy-source}).  Instead of if/elif chains over the query,
the request head is reduced to a L{RouteKey} and looked up here.  The
sub-resource of a request is the first name of L{SUBRESOURCES} present in
its query, so a sub-resource this server does not implement is still
recognised and answered with what S3 answers when that configuration is
absent, never by falling through to GET or LIST.  Other query parameters
(C{x-id}, C{versionId}, the C{response-*} overrides) are parameters, not
sub-resources.

Each L{Route} also says how the body is taken (ignored, buffered into a
bounded buffer, or streamed) and whether the route is an upload whose sink
must be opened before the body is accepted.

test-case-name: tests.s3.test_s3_routing
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Awaitable, Callable

from cartridge_d.s3 import buckets, config, listing, multipart, objects, service
from cartridge_d.s3 import copy as copy_handlers
from cartridge_d.s3 import delete as delete_handlers
from cartridge_d.s3.call import Call, Handler, Response
from cartridge_d.s3.errors import s3_error
from cartridge_d.s3.head import Kind, RequestHead


class Body(Enum):
    """
    How a route takes its request body.

    @cvar NONE: the body is read and dropped (S3 ignores bodies on GET,
        HEAD, DELETE).
    @cvar XML: the body is collected in memory, up to a limit.
    @cvar STREAM: the body streams into the sink the route opens.
    """

    NONE = "none"
    XML = "xml"
    STREAM = "stream"


#: Query names that select a sub-resource, in precedence order
#: (C{?uploadId=..&partNumber=..} is an upload-part, not a GET of a part).
SUBRESOURCES = (
    "uploadId",
    "uploads",
    "delete",
    "acl",
    "location",
    "versioning",
    "versions",
    "policy",
    "policyStatus",
    "cors",
    "lifecycle",
    "website",
    "tagging",
    "replication",
    "encryption",
    "logging",
    "notification",
    "requestPayment",
    "object-lock",
    "accelerate",
    "analytics",
    "metrics",
    "inventory",
    "intelligent-tiering",
    "publicAccessBlock",
    "ownershipControls",
    "retention",
    "legal-hold",
    "restore",
    "select",
    "torrent",
    "attributes",
    "session",
)

#: A streaming route's sink opener: called once the head is authenticated,
#: before the body is accepted; what it returns is passed as C{Call.sink}.
SinkOpener = Callable[[Call], Awaitable[object]]


@dataclass(frozen=True)
class RouteKey:
    """
    What routing looks at.
    """

    kind: Kind
    method: str
    subresource: str
    copy: bool = False


@dataclass(frozen=True)
class Route:
    """
    One operation: its S3 name (for logs), handler, and body handling.

    @ivar small: for a streaming route, the handler of a body of at most
        L{cartridge_d.s3.limits.SMALL_BODY} bytes that the client sends
        without waiting for C{100 Continue}: no sink is opened, the body is
        collected as it arrives (C{Call.body}) and this handler stores it
        in one thread hop instead of two.
    """

    name: str
    handler: Handler
    body: Body = Body.NONE
    open_sink: SinkOpener | None = None
    small: Handler | None = None


def subresource_of(head: RequestHead) -> str:
    """
    The sub-resource a request names, or C{""}.

    Most requests (every plain GET, HEAD and PUT of an object) have no
    query at all: they skip the walk over every known name.
    """
    if not head.query:
        return ""
    for name in SUBRESOURCES:
        if name in head.query:
            return name
    return ""


def _route(name: str, handler: Handler, body: Body = Body.NONE,
           open_sink: SinkOpener | None = None, small: Handler | None = None) -> Route:
    return Route(name, handler, body, open_sink, small)


_S, _B, _O = Kind.SERVICE, Kind.BUCKET, Kind.OBJECT

ROUTES: dict[RouteKey, Route] = {
    RouteKey(_S, "GET", ""): _route("ListBuckets", service.list_buckets),
    RouteKey(_B, "GET", ""): _route("ListObjects", listing.list_objects),
    RouteKey(_B, "HEAD", ""): _route("HeadBucket", buckets.head_bucket),
    RouteKey(_B, "PUT", ""): _route("CreateBucket", buckets.create_bucket, Body.XML),
    RouteKey(_B, "DELETE", ""): _route("DeleteBucket", buckets.delete_bucket),
    RouteKey(_B, "GET", "location"): _route("GetBucketLocation", buckets.get_location),
    RouteKey(_B, "GET", "versioning"): _route("GetBucketVersioning", buckets.get_versioning),
    RouteKey(_B, "PUT", "versioning"): _route(
        "PutBucketVersioning", buckets.put_versioning, Body.XML
    ),
    RouteKey(_B, "GET", "acl"): _route("GetBucketAcl", buckets.get_acl),
    RouteKey(_B, "PUT", "acl"): _route("PutBucketAcl", buckets.put_acl, Body.XML),
    RouteKey(_B, "POST", "delete"): _route(
        "DeleteObjects", delete_handlers.delete_objects, Body.XML
    ),
    RouteKey(_B, "GET", "uploads"): _route("ListMultipartUploads", multipart.list_uploads),
    RouteKey(_B, "GET", "versions"): _route("ListObjectVersions", listing.list_versions),
    RouteKey(_O, "GET", ""): _route("GetObject", objects.get_object),
    RouteKey(_O, "HEAD", ""): _route("HeadObject", objects.head_object),
    RouteKey(_O, "PUT", ""): _route(
        "PutObject", objects.put_object, Body.STREAM, objects.open_put, objects.put_small_object
    ),
    RouteKey(_O, "PUT", "", copy=True): _route("CopyObject", copy_handlers.copy_object),
    RouteKey(_O, "DELETE", ""): _route("DeleteObject", objects.delete_object),
    RouteKey(_O, "GET", "acl"): _route("GetObjectAcl", objects.get_acl),
    RouteKey(_O, "PUT", "acl"): _route("PutObjectAcl", objects.put_acl, Body.XML),
    RouteKey(_O, "GET", "tagging"): _route("GetObjectTagging", objects.get_tagging),
    RouteKey(_O, "DELETE", "tagging"): _route("DeleteObjectTagging", config.deleted),
    RouteKey(_O, "POST", "uploads"): _route("CreateMultipartUpload", multipart.create_upload),
    RouteKey(_O, "PUT", "uploadId"): _route(
        "UploadPart", multipart.upload_part, Body.STREAM, multipart.open_part
    ),
    RouteKey(_O, "PUT", "uploadId", copy=True): _route(
        "UploadPartCopy", multipart.upload_part_copy
    ),
    RouteKey(_O, "POST", "uploadId"): _route(
        "CompleteMultipartUpload", multipart.complete_upload, Body.XML
    ),
    RouteKey(_O, "DELETE", "uploadId"): _route("AbortMultipartUpload", multipart.abort_upload),
    RouteKey(_O, "GET", "uploadId"): _route("ListParts", multipart.list_parts),
}

# Bucket configurations this server does not keep: GET answers what S3
# answers for "none configured", DELETE succeeds (there is none), PUT is
# not implemented.
for _sub, _get in config.BUCKET_CONFIG_GETS.items():
    ROUTES[RouteKey(_B, "GET", _sub)] = _route("GetBucketConfig", _get)
    ROUTES[RouteKey(_B, "PUT", _sub)] = _route("PutBucketConfig", config.not_implemented, Body.XML)
for _sub in config.BUCKET_CONFIG_DELETES:
    ROUTES[RouteKey(_B, "DELETE", _sub)] = _route("DeleteBucketConfig", config.deleted)
# An object's retention and legal hold: no bucket has Object Lock.
for _sub in ("retention", "legal-hold"):
    ROUTES[RouteKey(_O, "GET", _sub)] = _route("GetObjectLock", config.missing_object_lock)
    ROUTES[RouteKey(_O, "PUT", _sub)] = _route(
        "PutObjectLock", config.missing_object_lock, Body.XML
    )


async def _method_not_allowed(call: Call) -> Response:
    raise s3_error("MethodNotAllowed")


METHOD_NOT_ALLOWED = Route("MethodNotAllowed", _method_not_allowed)
NOT_IMPLEMENTED = Route("NotImplemented", config.not_implemented)


def route_key(head: RequestHead) -> RouteKey:
    """
    Reduce a request head to its L{RouteKey}.
    """
    copy = head.kind is Kind.OBJECT and head.header("x-amz-copy-source") is not None
    return RouteKey(head.kind, head.method, subresource_of(head), copy)


def find_route(head: RequestHead) -> Route:
    """
    The route for a request: a known operation, NotImplemented for a
    recognised sub-resource this server does not implement, or
    MethodNotAllowed.
    """
    key = route_key(head)
    route = ROUTES.get(key)
    if route is None and key.copy:
        route = ROUTES.get(RouteKey(key.kind, key.method, key.subresource))
    if route is not None:
        return route
    if key.subresource or (key.method == "POST" and key.kind is not Kind.SERVICE):
        return NOT_IMPLEMENTED
    return METHOD_NOT_ALLOWED
