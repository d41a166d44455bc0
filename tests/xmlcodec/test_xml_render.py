"""
Tests for the renderers: every response body in the shape S3 sends, with
the namespace, the XML declaration, quoted ETags, millisecond UTC times,
and the encoding-type=url rules.
"""

from __future__ import annotations

from lxml import etree

from cartridge_d.xmlcodec import (
    render_access_control_policy,
    render_complete_multipart,
    render_copy_result,
    render_delete_result,
    render_error,
    render_initiate_multipart,
    render_list_buckets,
    render_list_objects_v1,
    render_list_objects_v2,
    render_list_parts,
    render_list_uploads,
    render_location,
    render_versioning,
)
from cartridge_d.xmlcodec.model import (
    BucketEntry,
    DeletedEntry,
    DeleteErrorEntry,
    ListingV1,
    ListingV2,
    ObjectEntry,
    Owner,
    PartEntry,
    PartsListing,
    UploadEntry,
    UploadsListing,
)

S3 = "{http://s3.amazonaws.com/doc/2006-03-01/}"
DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'
OWNER = Owner("abc123", "alice")
T = 1_700_000_000_123_456_789  # 2023-11-14T22:13:20.123Z


def _root(body: bytes, tag: str, ns: str = S3) -> etree._Element:
    """
    Parse a rendered body, checking its declaration and root tag.
    """
    assert body.startswith(DECL)
    root = etree.fromstring(body)
    assert root.tag == ns + tag
    return root


def _texts(root: etree._Element, path: str) -> list[str]:
    return [e.text or "" for e in root.iterfind(path.replace("s3:", S3))]


def test_error_shape() -> None:
    """
    Error bodies have no namespace and list Code, Message, the extra fields,
    Resource and RequestId in that order.
    """
    body = render_error(
        "NoSuchBucket", "The specified bucket does not exist", "REQ1",
        resource="/b", extra=[("BucketName", "b")],
    )
    root = _root(body, "Error", ns="")
    assert [(e.tag, e.text) for e in root] == [
        ("Code", "NoSuchBucket"),
        ("Message", "The specified bucket does not exist"),
        ("BucketName", "b"),
        ("Resource", "/b"),
        ("RequestId", "REQ1"),
    ]


def test_error_with_control_character_key() -> None:
    """
    A key holding a character XML 1.0 cannot carry is written as a
    character reference instead of making rendering fail.
    """
    body = render_error("NoSuchKey", "m", "R", extra=[("Key", "a\x01<b")])
    assert b"<Key>a&#x1;&lt;b</Key>" in body


def test_list_buckets() -> None:
    """
    ListAllMyBucketsResult carries the owner and each bucket's name and
    creation time in ISO-8601 with milliseconds and Z.
    """
    root = _root(render_list_buckets(OWNER, [BucketEntry("b1", T), BucketEntry("b2", 0)]), "ListAllMyBucketsResult")
    assert _texts(root, "s3:Owner/s3:ID") == ["abc123"]
    assert _texts(root, "s3:Buckets/s3:Bucket/s3:Name") == ["b1", "b2"]
    assert _texts(root, "s3:Buckets/s3:Bucket/s3:CreationDate") == [
        "2023-11-14T22:13:20.123Z",
        "1970-01-01T00:00:00.000Z",
    ]


def test_location() -> None:
    """
    us-east-1 is an empty LocationConstraint; other regions are named.
    """
    assert _root(render_location("us-east-1"), "LocationConstraint").text is None
    assert _root(render_location("eu-west-1"), "LocationConstraint").text == "eu-west-1"


def test_versioning() -> None:
    """
    A never-versioned bucket has an empty configuration, else its Status.
    """
    assert len(_root(render_versioning(""), "VersioningConfiguration")) == 0
    root = _root(render_versioning("Suspended"), "VersioningConfiguration")
    assert _texts(root, "s3:Status") == ["Suspended"]


def test_acl_owner_full_control() -> None:
    """
    The default ACL grants the owner, a CanonicalUser, FULL_CONTROL.
    """
    root = _root(render_access_control_policy(OWNER), "AccessControlPolicy")
    grantee = root.find(f"{S3}AccessControlList/{S3}Grant/{S3}Grantee")
    assert grantee is not None
    assert grantee.get("{http://www.w3.org/2001/XMLSchema-instance}type") == "CanonicalUser"
    assert _texts(root, "s3:AccessControlList/s3:Grant/s3:Grantee/s3:ID") == ["abc123"]
    assert _texts(root, "s3:AccessControlList/s3:Grant/s3:Permission") == ["FULL_CONTROL"]


def test_copy_results() -> None:
    """
    CopyObjectResult and CopyPartResult carry LastModified and a quoted ETag.
    """
    root = _root(render_copy_result("d41d8", T), "CopyObjectResult")
    assert _texts(root, "s3:ETag") == ['"d41d8"']
    assert _texts(root, "s3:LastModified") == ["2023-11-14T22:13:20.123Z"]
    _root(render_copy_result("d41d8", T, part=True), "CopyPartResult")


def test_delete_result_verbose_and_quiet() -> None:
    """
    DeleteResult lists Deleted and Error entries; quiet mode lists only the
    errors.
    """
    deleted = [DeletedEntry("a"), DeletedEntry("b", "v1", True, "v2")]
    errors = [DeleteErrorEntry("c", "AccessDenied", "Access Denied")]
    root = _root(render_delete_result(deleted, errors), "DeleteResult")
    assert _texts(root, "s3:Deleted/s3:Key") == ["a", "b"]
    assert _texts(root, "s3:Deleted/s3:DeleteMarker") == ["true"]
    assert _texts(root, "s3:Error/s3:Code") == ["AccessDenied"]
    quiet = _root(render_delete_result(deleted, errors, quiet=True), "DeleteResult")
    assert _texts(quiet, "s3:Deleted/s3:Key") == []
    assert _texts(quiet, "s3:Error/s3:Key") == ["c"]


def test_list_v1_plain() -> None:
    """
    A v1 listing without encoding keeps keys verbatim, includes Owner,
    NextMarker and Delimiter, and does not echo an EncodingType.
    """
    listing = ListingV1(
        "bkt", "p/", "p/a", 2, True, "/", "p/c/",
        (ObjectEntry("p/b c+d", T, "e" * 32, 5, OWNER),), ("p/c/",),
    )
    root = _root(render_list_objects_v1(listing), "ListBucketResult")
    assert _texts(root, "s3:Contents/s3:Key") == ["p/b c+d"]
    assert _texts(root, "s3:Contents/s3:ETag") == ['"' + "e" * 32 + '"']
    assert _texts(root, "s3:Contents/s3:Owner/s3:DisplayName") == ["alice"]
    assert _texts(root, "s3:NextMarker") == ["p/c/"]
    assert _texts(root, "s3:IsTruncated") == ["true"]
    assert _texts(root, "s3:MaxKeys") == ["2"]
    assert _texts(root, "s3:EncodingType") == []
    assert _texts(root, "s3:CommonPrefixes/s3:Prefix") == ["p/c/"]


def test_list_v1_url_encoding() -> None:
    """
    With encoding-type=url, v1 encodes Key, Prefix, Marker, NextMarker,
    Delimiter and CommonPrefixes (space %20, plus %2B, "/" kept) and echoes
    the encoding type.
    """
    listing = ListingV1(
        "bkt", "a b", "a b+", 1000, True, " ", "a b+z",
        (ObjectEntry("a b+ä", T, "e", 1, OWNER),), ("a b+c ",), "url",
    )
    root = _root(render_list_objects_v1(listing), "ListBucketResult")
    assert _texts(root, "s3:Prefix") == ["a%20b"]
    assert _texts(root, "s3:Marker") == ["a%20b%2B"]
    assert _texts(root, "s3:NextMarker") == ["a%20b%2Bz"]
    assert _texts(root, "s3:Delimiter") == ["%20"]
    assert _texts(root, "s3:Contents/s3:Key") == ["a%20b%2B%C3%A4"]
    assert _texts(root, "s3:CommonPrefixes/s3:Prefix") == ["a%20b%2Bc%20"]
    assert _texts(root, "s3:EncodingType") == ["url"]


def test_list_v2() -> None:
    """
    A v2 listing counts Contents plus CommonPrefixes in KeyCount, echoes
    tokens unencoded, encodes StartAfter and keys, and omits Owner unless
    given.
    """
    listing = ListingV2(
        "bkt", "d/", 2, True, "/", "dG9r", "bmV4dA==", "d/a b",
        (ObjectEntry("d/x/y", T, "e", 1),), ("d/s p/",), "url",
    )
    root = _root(render_list_objects_v2(listing), "ListBucketResult")
    assert _texts(root, "s3:KeyCount") == ["2"]
    assert _texts(root, "s3:ContinuationToken") == ["dG9r"]
    assert _texts(root, "s3:NextContinuationToken") == ["bmV4dA=="]
    assert _texts(root, "s3:StartAfter") == ["d/a%20b"]
    assert _texts(root, "s3:Contents/s3:Owner") == []
    assert _texts(root, "s3:CommonPrefixes/s3:Prefix") == ["d/s%20p/"]
    assert _texts(root, "s3:EncodingType") == ["url"]


def test_multipart_bodies() -> None:
    """
    Initiate and Complete results name bucket, key, upload id and the
    quoted multipart ETag.
    """
    root = _root(render_initiate_multipart("b", "k", "U1"), "InitiateMultipartUploadResult")
    assert _texts(root, "s3:UploadId") == ["U1"]
    root = _root(render_complete_multipart("/b/k", "b", "k", "abc-2"), "CompleteMultipartUploadResult")
    assert _texts(root, "s3:ETag") == ['"abc-2"']
    assert _texts(root, "s3:Location") == ["/b/k"]


def test_list_parts_and_uploads() -> None:
    """
    ListPartsResult lists parts with numbers, sizes and quoted ETags;
    ListMultipartUploadsResult lists uploads with their initiation time.
    """
    parts = PartsListing("b", "k", "U", OWNER, 1000, False, parts=(PartEntry(1, T, "aa", 5, (("CRC32", "x=="),)),))
    root = _root(render_list_parts(parts), "ListPartsResult")
    assert _texts(root, "s3:Part/s3:PartNumber") == ["1"]
    assert _texts(root, "s3:Part/s3:ETag") == ['"aa"']
    assert _texts(root, "s3:Part/s3:ChecksumCRC32") == ["x=="]
    uploads = UploadsListing("b", 1000, False, uploads=(UploadEntry("k k", "U", OWNER, T),), encoding_type="url")
    root = _root(render_list_uploads(uploads), "ListMultipartUploadsResult")
    assert _texts(root, "s3:Upload/s3:Key") == ["k%20k"]
    assert _texts(root, "s3:Upload/s3:Initiated") == ["2023-11-14T22:13:20.123Z"]
