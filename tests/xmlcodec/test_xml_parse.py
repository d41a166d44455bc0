"""
Tests for L{cartridge_d.xmlcodec.parse}: request bodies in every shape the
clients send them, and hostile or broken bodies refused as MalformedXML.
"""

from __future__ import annotations

import pytest

from cartridge_d.xmlcodec import (
    MalformedXML,
    parse_complete_multipart_upload,
    parse_create_bucket_configuration,
    parse_delete,
    parse_versioning_configuration,
)
from cartridge_d.xmlcodec.model import CompletedPart, ObjectIdentifier
from cartridge_d.xmlcodec.parse import MAX_XML_BYTES, parse_xml

NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'


def _delete_body(keys: list[str], quiet: str | None = None, ns: str = NS) -> bytes:
    objects = "".join(f"<Object><Key>{k}</Key></Object>" for k in keys)
    quiet_xml = f"<Quiet>{quiet}</Quiet>" if quiet is not None else ""
    return f"<Delete {ns}>{quiet_xml}{objects}</Delete>".encode()


def test_create_bucket_configuration_with_and_without_namespace() -> None:
    """
    The LocationConstraint is read whether or not the body uses the S3
    namespace.
    """
    with_ns = f"<CreateBucketConfiguration {NS}><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"
    without = "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"
    assert parse_create_bucket_configuration(with_ns.encode()) == "eu-west-1"
    assert parse_create_bucket_configuration(without.encode()) == "eu-west-1"


def test_create_bucket_configuration_empty() -> None:
    """
    An empty CreateBucket body (aws-cli in us-east-1) means no constraint.
    """
    assert parse_create_bucket_configuration(b"") is None
    assert parse_create_bucket_configuration(b"<CreateBucketConfiguration/>") is None


def test_delete_keys_quiet_and_versions() -> None:
    """
    DeleteObjects bodies give their keys in order, version ids and the
    Quiet flag; keys keep their spaces and escaped characters.
    """
    body = (
        f"<Delete {NS}><Quiet>true</Quiet>"
        "<Object><Key> a &amp; b </Key></Object>"
        "<Object><Key>c</Key><VersionId>null</VersionId></Object></Delete>"
    ).encode()
    request = parse_delete(body)
    assert request.quiet is True
    assert request.objects == (
        ObjectIdentifier(" a & b ", None),
        ObjectIdentifier("c", "null"),
    )
    assert parse_delete(_delete_body(["x"], ns="")).quiet is False


def test_delete_limits() -> None:
    """
    Exactly 1000 keys are accepted; 1001 keys, no keys, an Object without a
    Key, or a Quiet that is not a boolean are MalformedXML.
    """
    assert len(parse_delete(_delete_body([f"k{i}" for i in range(1000)])).objects) == 1000
    bad = [
        _delete_body([f"k{i}" for i in range(1001)]),
        _delete_body([]),
        f"<Delete {NS}><Object><VersionId>1</VersionId></Object></Delete>".encode(),
        _delete_body(["a"], quiet="maybe"),
    ]
    for body in bad:
        with pytest.raises(MalformedXML):
            parse_delete(body)


def test_complete_multipart_etags_with_and_without_quotes() -> None:
    """
    Part ETags are returned unquoted whether the client quoted them (the
    SDKs) or not (s3cmd), with per-part checksums.
    """
    body = (
        f"<CompleteMultipartUpload {NS}>"
        '<Part><PartNumber>1</PartNumber><ETag>"aaa"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>'
        "<Part><ETag>bbb</ETag><PartNumber> 2 </PartNumber></Part>"
        "<Part><PartNumber>3</PartNumber><ETag>&quot;ccc&quot;</ETag></Part>"
        "</CompleteMultipartUpload>"
    ).encode()
    assert parse_complete_multipart_upload(body) == (
        CompletedPart(1, "aaa", (("CRC32", "AAAAAA=="),)),
        CompletedPart(2, "bbb"),
        CompletedPart(3, "ccc"),
    )


@pytest.mark.parametrize(
    "inner",
    [
        "",
        "<Part><ETag>x</ETag></Part>",
        "<Part><PartNumber>one</PartNumber><ETag>x</ETag></Part>",
        "<Part><PartNumber>1</PartNumber></Part>",
    ],
)
def test_complete_multipart_malformed(inner: str) -> None:
    """
    No parts, a missing or non-numeric PartNumber, or a missing ETag are
    MalformedXML.
    """
    with pytest.raises(MalformedXML):
        parse_complete_multipart_upload(f"<CompleteMultipartUpload>{inner}</CompleteMultipartUpload>".encode())


def test_versioning_configuration() -> None:
    """
    Status and MfaDelete are returned as sent, None when absent.
    """
    body = f"<VersioningConfiguration {NS}><Status>Enabled</Status></VersioningConfiguration>"
    request = parse_versioning_configuration(body.encode())
    assert (request.status, request.mfa_delete) == ("Enabled", None)
    empty = parse_versioning_configuration(b"<VersioningConfiguration/>")
    assert empty.status is None


def test_wrong_root_and_garbage() -> None:
    """
    A body with another root element, or that is not XML, is MalformedXML.
    """
    for body in [b"<Other/>", b"not xml", b"<Delete>", b"   "]:
        with pytest.raises(MalformedXML):
            parse_xml(body, "Delete")


def test_billion_laughs_refused() -> None:
    """
    The billion-laughs entity expansion is refused before anything expands.
    """
    body = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Delete><Object><Key>&lol4;</Key></Object></Delete>"""
    with pytest.raises(MalformedXML):
        parse_delete(body)


def test_external_entity_refused(tmp_path: object) -> None:
    """
    An external entity naming a local file is refused; the file's content
    never reaches the result.
    """
    body = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Delete><Object><Key>&xxe;</Key></Object></Delete>"""
    with pytest.raises(MalformedXML):
        parse_delete(body)


def test_doctype_in_utf16_refused() -> None:
    """
    A DOCTYPE hidden from a byte search by UTF-16 encoding is still refused.
    """
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE Delete [<!ENTITY a "b">]><Delete><Object><Key>&a;</Key></Object></Delete>'
    with pytest.raises(MalformedXML):
        parse_delete(text.encode("utf-16"))


def test_oversize_refused() -> None:
    """
    A body over the size limit is refused without being parsed.
    """
    body = b"<Delete>" + b" " * MAX_XML_BYTES + b"</Delete>"
    with pytest.raises(MalformedXML):
        parse_delete(body)
    with pytest.raises(MalformedXML):
        parse_xml(b"<Delete/>", "Delete", max_bytes=5)


def test_malformed_error_carries_s3_code() -> None:
    """
    The exception names the S3 error code and S3's message.
    """
    with pytest.raises(MalformedXML) as info:
        parse_delete(b"<x")
    assert info.value.code == "MalformedXML"
    assert "not well-formed" in info.value.message
