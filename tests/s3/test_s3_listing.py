"""
ListObjects v1 and v2 over HTTP: awkward keys, encoding-type=url, paging
with NextMarker and continuation tokens, common prefixes.
"""

from __future__ import annotations

from urllib.parse import quote, unquote_plus

from lxml import etree
from s3_harness import BOB, S3Harness

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
AWKWARD = ["a b", "a+b", "a%b", "caf\u00e9/x", "dir/one", "dir/two", "plain", "\u20ac uro"]


def _listing(reply_body: bytes) -> tuple[etree._Element, list[str], list[str]]:
    root = etree.fromstring(reply_body)
    keys = [e.text or "" for e in root.iter(NS + "Key")]
    prefixes = [e.text or "" for e in root.iter(NS + "Prefix") if e.getparent().tag == NS + "CommonPrefixes"]
    return root, keys, prefixes


def _harness() -> S3Harness:
    h = S3Harness()
    h.mkbucket("bkt")
    for key in AWKWARD:
        assert h.put("bkt", key, key.encode()).status == 200
    return h


def test_v2_encoding_type_url_round_trips_awkward_keys() -> None:
    """
    With encoding-type=url every key is percent-encoded (space, plus and
    percent distinct) and EncodingType is echoed, so botocore's
    unquote_plus gives back the exact keys.
    """
    h = _harness()
    reply = h.call("GET", "/bkt?list-type=2&encoding-type=url")
    root, keys, _ = _listing(reply.body)
    assert root.findtext(NS + "EncodingType") == "url"
    assert [unquote_plus(k) for k in keys] == sorted(AWKWARD, key=lambda k: k.encode())
    assert root.findtext(NS + "KeyCount") == str(len(AWKWARD))


def test_v1_plain_keys_and_delimiter() -> None:
    """
    Without encoding-type keys are sent as they are; a delimiter rolls
    dir/ up into one common prefix.
    """
    h = _harness()
    reply = h.call("GET", "/bkt?delimiter=%2F")
    root, keys, prefixes = _listing(reply.body)
    assert root.find(NS + "EncodingType") is None
    assert "a+b" in keys and "a%b" in keys and "a b" in keys
    assert prefixes == ["caf\u00e9/", "dir/"]
    assert "dir/one" not in keys


def test_v1_paging_with_next_marker() -> None:
    """
    max-keys pages a v1 listing; without a delimiter a truncated page has
    no NextMarker (as S3), and resuming from its last key visits every key
    exactly once; with a delimiter every truncated page carries NextMarker.
    """
    h = _harness()
    seen: list[str] = []
    marker = ""
    for _ in range(20):
        reply = h.call("GET", f"/bkt?max-keys=3&marker={quote(marker, safe='')}")
        root, keys, _ = _listing(reply.body)
        seen.extend(keys)
        if root.findtext(NS + "IsTruncated") != "true":
            break
        assert root.find(NS + "NextMarker") is None
        marker = keys[-1]
    assert seen == sorted(AWKWARD, key=lambda k: k.encode())
    with_delimiter = h.call("GET", "/bkt?max-keys=1&delimiter=%2F")
    root, keys, prefixes = _listing(with_delimiter.body)
    assert root.findtext(NS + "IsTruncated") == "true"
    assert root.findtext(NS + "NextMarker") == (keys + prefixes)[-1]


def test_v2_paging_with_tokens_and_prefixes_once() -> None:
    """
    A v2 listing with a delimiter and max-keys=1 pages through keys and
    common prefixes with continuation tokens, each prefix exactly once.
    """
    h = _harness()
    entries: list[str] = []
    token = None
    for _ in range(20):
        path = "/bkt?list-type=2&delimiter=%2F&max-keys=1"
        if token:
            path += "&continuation-token=" + quote(token, safe="")
        root, keys, prefixes = _listing(h.call("GET", path).body)
        entries.extend(keys + prefixes)
        if root.findtext(NS + "IsTruncated") != "true":
            break
        token = root.findtext(NS + "NextContinuationToken")
    assert entries.count("dir/") == 1
    assert len(entries) == len(set(entries)) == 7


def test_prefix_and_bad_encoding_type() -> None:
    """
    prefix narrows the listing; an encoding-type other than url is
    InvalidArgument; a listing of a missing bucket is NoSuchBucket.
    """
    h = _harness()
    _, keys, _ = _listing(h.call("GET", "/bkt?prefix=dir%2F").body)
    assert keys == ["dir/one", "dir/two"]
    assert h.call("GET", "/bkt?encoding-type=xml").status == 400
    assert h.call("GET", "/ghost?list-type=2").status == 404


def _versions(h: S3Harness, query: str) -> tuple[etree._Element, list[tuple[str, str, str]], list[str]]:
    reply = h.call("GET", "/bkt?versions" + query)
    assert reply.status == 200, reply.body
    root = etree.fromstring(reply.body)
    assert root.tag == NS + "ListVersionsResult"
    versions = [
        (v.findtext(NS + "Key") or "", v.findtext(NS + "VersionId") or "",
         v.findtext(NS + "IsLatest") or "")
        for v in root.iter(NS + "Version")
    ]
    prefixes = [p.findtext(NS + "Prefix") or "" for p in root.iter(NS + "CommonPrefixes")]
    return root, versions, prefixes


def test_list_object_versions_of_an_unversioned_bucket() -> None:
    """
    ListObjectVersions lists every object as its one version "null", the
    latest, with prefix, delimiter, encoding-type, and pages with max-keys
    and key-marker/version-id-marker, visiting every key once.
    """
    h = _harness()
    _, versions, _ = _versions(h, "")
    ordered = sorted(AWKWARD, key=lambda k: k.encode())
    assert versions == [(k, "null", "true") for k in ordered]
    root, versions, prefixes = _versions(h, "&delimiter=%2F&prefix=&encoding-type=url")
    assert root.findtext(NS + "EncodingType") == "url"
    assert prefixes == ["caf%C3%A9/", "dir/"]
    assert [unquote_plus(k) for k, _, _ in versions] == [
        k for k in ordered if "/" not in k
    ]
    _, versions, _ = _versions(h, "&prefix=dir%2F")
    assert [k for k, _, _ in versions] == ["dir/one", "dir/two"]
    seen: list[str] = []
    query = ""
    for _ in range(20):
        root, versions, _ = _versions(h, "&max-keys=3" + query)
        seen.extend(k for k, _, _ in versions)
        if root.findtext(NS + "IsTruncated") != "true":
            break
        assert root.findtext(NS + "NextVersionIdMarker") == "null"
        marker = root.findtext(NS + "NextKeyMarker") or ""
        query = f"&key-marker={quote(marker, safe='')}&version-id-marker=null"
    assert seen == ordered


def test_list_object_versions_refusals() -> None:
    """
    A version-id-marker without a key-marker, or one the bucket cannot
    have, is InvalidArgument; another user's bucket is AccessDenied.
    """
    h = _harness()
    assert h.call("GET", "/bkt?versions&version-id-marker=null").status == 400
    assert h.call("GET", "/bkt?versions&key-marker=a&version-id-marker=abc").status == 400
    assert h.call("GET", "/bkt?versions", user=BOB).status == 403
