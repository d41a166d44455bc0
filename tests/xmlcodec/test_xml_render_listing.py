"""
Tests that listing bodies are exactly the bytes S3 clients were getting:
the entries of a listing are written as text (not built as lxml elements),
and must come out byte for byte as lxml serialised them, escaping and all.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from cartridge_d.xmlcodec import (
    render_list_objects_v1,
    render_list_objects_v2,
    render_list_versions,
)
from cartridge_d.xmlcodec.model import (
    ListingV1,
    ListingV2,
    ObjectEntry,
    Owner,
    VersionEntry,
    VersionsListing,
)

S3 = "{http://s3.amazonaws.com/doc/2006-03-01/}"
DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'
T = 1_700_000_000_123_456_789  # 2023-11-14T22:13:20.123Z
OWNER = Owner("abc123", "al&ice")
#: A key with every character lxml escapes, quotes it does not, and a tab.
ODD = ObjectEntry("p/a&b<c>\"d'\r\t", T, "e" * 32, 5, OWNER, checksum_algorithms=("CRC32",))
#: A key XML 1.0 cannot carry (written as a character reference, as S3 does).
CONTROL = ObjectEntry("p/\x01ctl", T + 2_000_000_000, "f" * 32 + "-2", 0, OWNER, "STANDARD_IA")

# Bodies the element-by-element renderer produced for these listings
# (commit f3dd889), kept as the reference.
GOLDEN_V1 = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com'
    b'/doc/2006-03-01/"><Name>bkt</Name><Prefix>p/</Prefix><Marker>p/</Marker><MaxKeys>1000'
    b'</MaxKeys><Delimiter>/</Delimiter><IsTruncated>false</IsTruncated><Contents><Key>p/a&amp;b'
    b'&lt;c&gt;"d\'&#13;\t</Key><LastModified>2023-11-14T22:13:20.123Z</LastModified><ETag>"eee'
    b'eeeeeeeeeeeeeeeeeeeeeeeeeeeee"</ETag><ChecksumAlgorithm>CRC32</ChecksumAlgorithm><Size>5'
    b'</Size><Owner><ID>abc123</ID><DisplayName>al&amp;ice</DisplayName></Owner><StorageClass>'
    b'STANDARD</StorageClass></Contents><Contents><Key>p/&#x1;ctl</Key><LastModified>2023-11-14'
    b'T22:13:22.123Z</LastModified><ETag>"ffffffffffffffffffffffffffffffff-2"</ETag><Size>0'
    b'</Size><Owner><ID>abc123</ID><DisplayName>al&amp;ice</DisplayName></Owner><StorageClass>'
    b'STANDARD_IA</StorageClass></Contents><CommonPrefixes><Prefix>p/q/</Prefix>'
    b'</CommonPrefixes></ListBucketResult>'
)
GOLDEN_V2_URL = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com'
    b'/doc/2006-03-01/"><Name>bkt</Name><Prefix>p/</Prefix><NextContinuationToken>dG9r'
    b'</NextContinuationToken><KeyCount>1</KeyCount><MaxKeys>2</MaxKeys><EncodingType>url'
    b'</EncodingType><IsTruncated>true</IsTruncated><StartAfter>p/%20a</StartAfter><Contents>'
    b'<Key>p/a%26b%3Cc%3E%22d%27%0D%09</Key><LastModified>2023-11-14T22:13:20.123Z'
    b'</LastModified><ETag>"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"</ETag><ChecksumAlgorithm>CRC32'
    b'</ChecksumAlgorithm><Size>5</Size><Owner><ID>abc123</ID><DisplayName>al&amp;ice'
    b'</DisplayName></Owner><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>'
)
GOLDEN_VERSIONS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<ListVersionsResult xmlns="http://s3.amazonaws.'
    b'com/doc/2006-03-01/"><Name>bkt</Name><Prefix></Prefix><KeyMarker></KeyMarker>'
    b'<VersionIdMarker></VersionIdMarker><MaxKeys>1000</MaxKeys><IsTruncated>false'
    b'</IsTruncated><Version><Key>p/&#x1;ctl</Key><VersionId>null</VersionId><IsLatest>true'
    b'</IsLatest><LastModified>2023-11-14T22:13:22.123Z</LastModified><ETag>"ffffffffffffffff'
    b'ffffffffffffffff-2"</ETag><Size>0</Size><Owner><ID>abc123</ID><DisplayName>al&amp;ice'
    b'</DisplayName></Owner><StorageClass>STANDARD_IA</StorageClass></Version>'
    b'</ListVersionsResult>'
)


def test_v1_bytes_unchanged() -> None:
    """
    A v1 page with escaped characters, a key XML cannot carry, owners,
    a checksum algorithm and a common prefix is byte for byte the body the
    element-built renderer wrote.
    """
    listing = ListingV1("bkt", "p/", "p/", 1000, False, "/", None, (ODD, CONTROL), ("p/q/",))
    assert render_list_objects_v1(listing) == GOLDEN_V1


def test_v2_url_encoded_bytes_unchanged() -> None:
    """
    A v2 page with encoding-type=url is byte for byte the old body: keys
    percent-encoded, the owner's name still XML-escaped.
    """
    listing = ListingV2("bkt", "p/", 2, True, "", None, "dG9r", "p/ a", (ODD,), (), "url")
    assert render_list_objects_v2(listing) == GOLDEN_V2_URL


def test_versions_bytes_unchanged() -> None:
    """
    A ListVersionsResult entry carries VersionId and IsLatest after the
    key, byte for byte as before.
    """
    listing = VersionsListing(
        "bkt", "", "", "", 1000, False, versions=(VersionEntry(CONTROL, "null", True),)
    )
    assert render_list_versions(listing) == GOLDEN_VERSIONS


# XML 1.0 text (what lxml can parse back), with the characters that need
# escaping made likely.
_text = st.text(
    st.one_of(
        st.sampled_from("&<>\"'\r\n\t /+%é€\U0001f600"),
        st.characters(min_codepoint=0x20, max_codepoint=0x2FFFF).filter(
            lambda c: not ("\ud800" <= c <= "\udfff" or c in "\ufffe\uffff")
        ),
    ),
    min_size=1,
    max_size=12,
)
_owners = st.one_of(st.none(), st.builds(Owner, _text, _text))
_entries = st.builds(
    ObjectEntry,
    key=_text,
    last_modified_ns=st.integers(0, 4_102_444_800 * 10**9),
    etag=st.sampled_from(["d41d8cd98f00b204e9800998ecf8427e", "abc-12", "x&y"]),
    size=st.integers(0, 5 * 2**40),
    owner=_owners,
    storage_class=st.sampled_from(["STANDARD", "GLACIER", "A<B"]),
    checksum_algorithms=st.lists(st.sampled_from(["CRC32", "SHA256"]), max_size=2).map(tuple),
)


def _contents(root: etree._Element, tag: str) -> list[tuple[object, ...]]:
    """
    The fields of every entry element under C{root}, as parsed back.
    """
    out = []
    for e in root.iterfind(S3 + tag):
        owner = e.find(S3 + "Owner")
        out.append((
            e.findtext(S3 + "Key"),
            e.findtext(S3 + "LastModified"),
            e.findtext(S3 + "ETag"),
            int(e.findtext(S3 + "Size") or -1),
            None if owner is None else (owner.findtext(S3 + "ID"),
                                        owner.findtext(S3 + "DisplayName")),
            e.findtext(S3 + "StorageClass"),
            tuple(c.text for c in e.iterfind(S3 + "ChecksumAlgorithm")),
        ))
    return out


def _expected(entries: list[ObjectEntry]) -> list[tuple[object, ...]]:
    from cartridge_d.xmlcodec._build import iso8601

    return [
        (e.key, iso8601(e.last_modified_ns), f'"{e.etag}"', e.size,
         None if e.owner is None else (e.owner.id, e.owner.display_name),
         e.storage_class, e.checksum_algorithms)
        for e in entries
    ]


def _canonical(body: bytes) -> bytes:
    """
    C{body} parsed and serialised again by lxml: the bytes lxml writes
    for the same tree, which is what the element-built renderer sent (it
    set the text of every leaf, so an empty one is written open and closed,
    not as C{<Prefix/>}).
    """
    root = etree.fromstring(body)
    for element in root.iter():
        if len(element) == 0 and element.text is None:
            element.text = ""
    return DECL + etree.tostring(root, encoding="UTF-8")


@settings(max_examples=200, deadline=None)
@given(entries=st.lists(_entries, max_size=8), prefixes=st.lists(_text, max_size=3),
       delimiter=st.sampled_from(["", "/"]))
def test_v2_listing_is_what_lxml_writes(entries: list[ObjectEntry], prefixes: list[str],
                                        delimiter: str) -> None:
    """
    For any keys, owners and common prefixes, a v2 body holds exactly the
    entries given, in order, and is byte for byte what lxml writes for
    that tree (so escaping, quoting and times match the element-built
    renderer).
    """
    listing = ListingV2("bkt", "", 1000, False, delimiter, None, None, None,
                        tuple(entries), tuple(prefixes))
    body = render_list_objects_v2(listing)
    assert _canonical(body) == body
    root = etree.fromstring(body)
    assert _contents(root, "Contents") == _expected(entries)
    assert [p.text for p in root.iterfind(f"{S3}CommonPrefixes/{S3}Prefix")] == prefixes


@settings(max_examples=100, deadline=None)
@given(entries=st.lists(_entries, max_size=5), latest=st.booleans())
def test_versions_listing_is_what_lxml_writes(entries: list[ObjectEntry], latest: bool) -> None:
    """
    Version entries, with their version id and latest flag, come out as
    lxml writes them and hold the entries given.
    """
    listing = VersionsListing(
        "bkt", "", "", "", 1000, False,
        versions=tuple(VersionEntry(e, "null", latest) for e in entries),
    )
    body = render_list_versions(listing)
    assert _canonical(body) == body
    root = etree.fromstring(body)
    assert _contents(root, "Version") == _expected(entries)
    flag = "true" if latest else "false"
    assert [v.findtext(S3 + "IsLatest") for v in root.iterfind(S3 + "Version")] == [flag] * len(
        entries)
