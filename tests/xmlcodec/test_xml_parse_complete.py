"""
Tests for L{cartridge_d.xmlcodec.parse.parse_complete_multipart_upload}
against a plain reference reading of the same body: a Complete's parts
come out the same whatever their children's order, namespaces, repeats,
comments or unknown elements, and a body missing a required field is
refused the same way.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from cartridge_d.xmlcodec import MalformedXML, parse_complete_multipart_upload
from cartridge_d.xmlcodec.model import CompletedPart

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
CHILD_NAMES = ["PartNumber", "ETag", "ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME",
               "ChecksumSHA1", "ChecksumSHA256", "Size", "checksumcrc32"]
TEXTS = st.sampled_from(["1", " 2 ", "10000", "x", "", '"abc"', ' "d41d8" ', '"', "AAAAAA==",
                         " ZmFrZQ== ", "07", "&quot;e&quot;"])


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def reference(body: bytes) -> tuple[CompletedPart, ...] | None:
    """
    The parts as the S3 documentation describes them, read the slow and
    obvious way (None where the body must be refused).
    """
    root = etree.fromstring(body)
    parts = []
    for part in root:
        if _local(part.tag) != "Part":
            continue
        fields: dict[str, str] = {}
        for child in part:
            if _local(child.tag):
                fields.setdefault(_local(child.tag), child.text or "")
        if "PartNumber" not in fields or "ETag" not in fields:
            return None
        number = fields["PartNumber"].strip()
        if not number.isdigit():
            return None
        etag = fields["ETag"].strip()
        if len(etag) >= 2 and etag.startswith('"') and etag.endswith('"'):
            etag = etag[1:-1]
        checksums = tuple((name[len("Checksum"):].upper(), fields[name].strip())
                          for name in CHILD_NAMES[2:7] if name in fields)
        parts.append(CompletedPart(int(number), etag, checksums))
    return tuple(parts) or None


def _element(name: str, text: str, ns: str) -> str:
    if ns == "none":
        return f"<{name}>{text}</{name}>"
    if ns == "s3":
        return f'<{name} xmlns="{S3_NS}">{text}</{name}>'
    return f'<o:{name} xmlns:o="urn:other">{text}</o:{name}>'


CHILD = st.one_of(
    st.tuples(st.sampled_from(CHILD_NAMES), TEXTS, st.sampled_from(["none", "s3", "other"]))
    .map(lambda c: _element(*c)),
    st.just("<!-- a comment -->"),
    st.just("<?pi data?>"),
    st.just("  "),
)
PART = st.tuples(st.lists(CHILD, max_size=6), st.sampled_from(["none", "s3", "other"]),
                 st.sampled_from(["Part", "Other"]))


def _body(parts: list[tuple[list[str], str, str]], root_ns: bool) -> bytes:
    inner = "".join(_element(name, "".join(children), ns) for children, ns, name in parts)
    xmlns = f' xmlns="{S3_NS}"' if root_ns else ""
    return f"<CompleteMultipartUpload{xmlns}>{inner}</CompleteMultipartUpload>".encode()


@settings(max_examples=300, deadline=None)
@given(st.lists(PART, max_size=6), st.booleans())
def test_parts_read_as_the_reference_reads_them(parts: list[tuple[list[str], str, str]],
                                                 root_ns: bool) -> None:
    """
    Any mix of children (in any order, repeated, in any or no namespace,
    with comments, processing instructions and unknown elements between
    them) gives the parts the reference reading gives, and a body it
    refuses (no part, a part without PartNumber or ETag, a PartNumber that
    is not a number) is MalformedXML.
    """
    body = _body(parts, root_ns)
    expected = reference(body)
    if expected is None:
        try:
            parse_complete_multipart_upload(body)
        except MalformedXML:
            return
        raise AssertionError("accepted a body the reference refuses: %r" % body)
    assert parse_complete_multipart_upload(body) == expected


def test_first_child_of_a_name_wins_and_comments_are_skipped() -> None:
    """
    A repeated PartNumber or ETag counts once, as its first occurrence, and
    a comment between a part's children changes nothing.
    """
    body = (b"<CompleteMultipartUpload><Part><!-- c --><PartNumber>3</PartNumber>"
            b"<PartNumber>4</PartNumber><ETag>\"a\"</ETag><ETag>b</ETag>"
            b"<ChecksumSHA1> x </ChecksumSHA1><Unknown>y</Unknown></Part>"
            b"</CompleteMultipartUpload>")
    assert parse_complete_multipart_upload(body) == (CompletedPart(3, "a", (("SHA1", "x"),)),)


@settings(max_examples=100, deadline=None)
@given(st.lists(PART, max_size=4), st.booleans())
def test_a_factory_builds_the_same_parts(parts: list[tuple[list[str], str, str]],
                                         root_ns: bool) -> None:
    """
    Given a factory for its parts (the S3 layer passes the object store's
    part type), the parse builds each part from the number, ETag and
    checksums it would otherwise give, and refuses the same bodies.
    """
    body = _body(parts, root_ns)
    try:
        plain = parse_complete_multipart_upload(body)
    except MalformedXML as e:
        try:
            parse_complete_multipart_upload(body, lambda n, t, c: (n, t, c))
        except MalformedXML as again:
            assert str(again) == str(e)
            return
        raise AssertionError("the factory's parse accepted %r" % body)
    built = parse_complete_multipart_upload(body, lambda n, t, c: (n, t, c))
    assert built == tuple((p.part_number, p.etag, p.checksums) for p in plain)


def test_a_missing_field_is_named_in_the_refusal() -> None:
    """
    A part without PartNumber, or without ETag, is refused naming the
    missing element (PartNumber first, then whether it is a number, then
    ETag).
    """
    def refusal(inner: str) -> str:
        body = f"<CompleteMultipartUpload><Part>{inner}</Part></CompleteMultipartUpload>"
        try:
            parse_complete_multipart_upload(body.encode())
        except MalformedXML as e:
            return str(e)
        raise AssertionError("accepted %r" % inner)

    assert refusal("<ETag>a</ETag>") == "<Part> lacks <PartNumber>"
    assert refusal("<PartNumber>x</PartNumber>") == "PartNumber 'x' is not a number"
    assert refusal("<PartNumber>1</PartNumber>") == "<Part> lacks <ETag>"
