"""
SigV4 against AWS's published vectors: the generic aws-sig-v4-test-suite and the
S3 examples of the S3 API reference ("Signature Calculations for the
Authorization Header" and "Query Parameters").
"""

from __future__ import annotations

import hashlib

import pytest

from cartridge_d.auth import AuthError, authenticate
from cartridge_d.auth.canonical import canonical_query, canonical_uri_candidates
from cartridge_d.auth.sigv4 import canonical_request, sign, signing_key, string_to_sign

from auth_helpers import DOC_NOW, DOC_STORE, make_request

SUITE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SUITE_DATE = "20150830T123600Z"
SUITE_SCOPE = "20150830/us-east-1/service/aws4_request"

# (name, method, target, extra headers, body, signed headers, published signature)
SUITE = [
    ("get-vanilla", "GET", "/", [], b"", "host;x-amz-date",
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("get-vanilla-query-order-key-case", "GET", "/?Param2=value2&Param1=value1", [], b"",
     "host;x-amz-date", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    ("get-vanilla-query-order-value", "GET", "/?Param1=value2&Param1=value1", [], b"",
     "host;x-amz-date", "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"),
    ("get-vanilla-utf8-query", "GET", "/?\u1234=bar", [], b"", "host;x-amz-date",
     "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
    ("get-unreserved", "GET",
     "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", [], b"",
     "host;x-amz-date", "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
    ("get-header-value-trim", "GET", "/",
     [("my-header1", " value1"), ("my-header2", '"a   b   c"')], b"",
     "host;my-header1;my-header2;x-amz-date",
     "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
    ("get-header-value-order", "GET", "/",
     [("my-header1", "value4"), ("my-header1", "value1"), ("my-header1", "value3"),
      ("my-header1", "value2")], b"", "host;my-header1;x-amz-date",
     "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"),
    ("get-header-key-duplicate", "GET", "/",
     [("my-header1", "value2"), ("my-header1", "value2"), ("my-header1", "value1")], b"",
     "host;my-header1;x-amz-date",
     "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"),
    ("post-x-www-form-urlencoded", "POST", "/",
     [("content-type", "application/x-www-form-urlencoded")], b"Param1=value1",
     "content-type;host;x-amz-date",
     "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
]


@pytest.mark.parametrize("case", SUITE, ids=[c[0] for c in SUITE])
def test_published_suite_signature(case: tuple) -> None:
    """Each aws-sig-v4-test-suite request signs to its published signature."""
    _, method, target, extra, body, signed, expected = case
    headers = [("host", "example.amazonaws.com"), ("x-amz-date", SUITE_DATE)] + extra
    req = make_request(method, target, headers)
    uri = canonical_uri_candidates(req.raw_path)[0]
    creq = canonical_request(req, uri, signed.split(";"), hashlib.sha256(body).hexdigest())
    key = signing_key(SUITE_SECRET, "20150830", "us-east-1", "service")
    assert sign(key, string_to_sign(SUITE_DATE, SUITE_SCOPE, creq)) == expected


def test_header_value_trim_canonical_form() -> None:
    """Leading spaces are trimmed and inner runs squeezed, as get-header-value-trim.creq shows."""
    req = make_request("GET", "/", [("host", "example.amazonaws.com"),
                                    ("my-header1", " value1"), ("my-header2", '"a   b   c"'),
                                    ("x-amz-date", SUITE_DATE)])
    creq = canonical_request(req, "/", ["host", "my-header1", "my-header2", "x-amz-date"],
                             hashlib.sha256(b"").hexdigest())
    assert 'my-header1:value1\nmy-header2:"a b c"\n' in creq


def test_s3_does_not_normalise_paths() -> None:
    """Unlike other services, S3 signs //example// and /a/./b as sent (normalize-path cases)."""
    assert canonical_uri_candidates(b"//example//")[0] == "//example//"
    assert canonical_uri_candidates(b"/example/..")[0] == "/example/.."
    assert canonical_uri_candidates(b"/a/./b")[0] == "/a/./b"
    assert canonical_uri_candidates(b"")[0] == "/"


def test_canonical_query_rules() -> None:
    """Valueless keys get '=', '+' is a literal plus, pairs sort by key then value."""
    pairs = make_request("GET", "/?uploads&b=2&a=x+y&a=%20", []).query_pairs()
    assert canonical_query(pairs) == "a=%20&a=x%2By&b=2&uploads="


DOC_AUTH = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
EMPTY_SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def _doc(method: str, target: str, headers: list[tuple[str, str]], signed: str, sig: str):
    auth = f"{DOC_AUTH}SignedHeaders={signed},Signature={sig}"
    return make_request(method, target, headers + [("authorization", auth)])


def test_s3_doc_get_object_with_range() -> None:
    """The documented GET /test.txt with Range: bytes=0-9 authenticates."""
    req = _doc("GET", "/test.txt", [
        ("host", "examplebucket.s3.amazonaws.com"), ("range", "bytes=0-9"),
        ("x-amz-content-sha256", EMPTY_SHA), ("x-amz-date", "20130524T000000Z")],
        "host;range;x-amz-content-sha256;x-amz-date",
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    result = authenticate(req, DOC_STORE, DOC_NOW, "us-east-1")
    assert result.access_key == "AKIAIOSFODNN7EXAMPLE"
    assert result.payload_sha256 == EMPTY_SHA


def test_s3_doc_put_object() -> None:
    """The documented PUT /test$file.text (sent as %24) authenticates with its body hash."""
    body_sha = hashlib.sha256(b"Welcome to Amazon S3.").hexdigest()
    req = _doc("PUT", "/test%24file.text", [
        ("host", "examplebucket.s3.amazonaws.com"), ("date", "Fri, 24 May 2013 00:00:00 GMT"),
        ("x-amz-date", "20130524T000000Z"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("x-amz-content-sha256", body_sha)],
        "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    result = authenticate(req, DOC_STORE, DOC_NOW, "us-east-1")
    assert result.payload == body_sha


def test_s3_doc_get_lifecycle_and_list_objects() -> None:
    """The documented GET ?lifecycle and GET ?max-keys=2&prefix=J authenticate."""
    base = [("host", "examplebucket.s3.amazonaws.com"), ("x-amz-content-sha256", EMPTY_SHA),
            ("x-amz-date", "20130524T000000Z")]
    signed = "host;x-amz-content-sha256;x-amz-date"
    for target, sig in [
        ("/?lifecycle", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
        ("/?max-keys=2&prefix=J", "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
    ]:
        assert not authenticate(_doc("GET", target, base, signed, sig), DOC_STORE, DOC_NOW,
                                "us-east-1").anonymous


PRESIGNED = (
    "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
    "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
)


def test_s3_doc_presigned_url() -> None:
    """The documented presigned GET /test.txt URL authenticates, UNSIGNED-PAYLOAD."""
    req = make_request("GET", PRESIGNED, [("host", "examplebucket.s3.amazonaws.com")])
    result = authenticate(req, DOC_STORE, DOC_NOW, "us-east-1")
    assert result.scheme == "v4-query"
    assert result.payload == "UNSIGNED-PAYLOAD"


def test_s3_doc_presigned_url_tampered() -> None:
    """Changing the key in the documented presigned URL fails with SignatureDoesNotMatch."""
    req = make_request("GET", PRESIGNED.replace("test.txt", "test.txu", 1),
                       [("host", "examplebucket.s3.amazonaws.com")])
    with pytest.raises(AuthError) as e:
        authenticate(req, DOC_STORE, DOC_NOW, "us-east-1")
    assert e.value.code == "SignatureDoesNotMatch"
