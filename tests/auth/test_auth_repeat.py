"""
The parts of a SigV4 header that repeat from request to request (the
Credential scope, the SignedHeaders list) are parsed once and remembered;
a later request must still be judged on its own headers and signature.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from cartridge_d.auth import AuthError, AuthRequest, authenticate

from auth_helpers import TEST_AK, TEST_STORE, make_request, with_header
from test_auth_errors import NOW, code_of, v4_request


def test_same_scope_and_signed_headers_accepted_again() -> None:
    """
    Two requests with the same Credential and SignedHeaders but other
    targets are both accepted, each on its own signature.
    """
    for target in ("/bucket/a", "/bucket/b", "/bucket/a"):
        result = authenticate(v4_request(target=target), TEST_STORE, NOW, "us-east-1")
        assert result.access_key == TEST_AK


def test_unsigned_header_refused_after_the_same_list_was_accepted() -> None:
    """
    After a request signing host, x-amz-content-sha256 and x-amz-date was
    accepted, one with the same SignedHeaders plus an unsigned
    x-amz-meta-* header is AccessDenied, naming that header.
    """
    signed = ["host", "x-amz-content-sha256", "x-amz-date"]
    assert not authenticate(v4_request(signed=signed), TEST_STORE, NOW, "us-east-1").anonymous
    req = v4_request(signed=signed)
    tampered = make_request("GET", "/bucket/key", list(req.headers) + [("x-amz-meta-a", "1")])
    with pytest.raises(AuthError) as e:
        authenticate(tampered, TEST_STORE, NOW, "us-east-1")
    assert e.value.code == "AccessDenied"
    assert ("HeadersNotSigned", "x-amz-meta-a") in e.value.details


def test_a_bad_signature_with_a_remembered_scope_is_refused() -> None:
    """
    A request whose scope was seen before but whose signature is wrong
    (signed with another key) is SignatureDoesNotMatch, and a malformed
    Credential is refused every time it is sent.
    """
    assert code_of(v4_request(secret="not-the-secret")) == "SignatureDoesNotMatch"
    for _ in range(2):
        assert code_of(v4_request(region="us-west-2")) == "AuthorizationHeaderMalformed"
    later = NOW + timedelta(days=1)
    assert authenticate(v4_request(later), TEST_STORE, later, "us-east-1").access_key == TEST_AK


def _with_authorization(req: AuthRequest, value: str) -> AuthRequest:
    return with_header(req, "authorization", value)


def test_components_in_any_order_and_malformed_ones_every_time() -> None:
    """
    The Authorization components before the signature are remembered, but
    a header whose Signature comes first, or in the middle, is accepted
    the same, and a malformed component is refused each time it is sent,
    even after the same leading components were accepted.
    """
    req = v4_request()
    value = req.header("authorization") or ""
    rest = value[len("AWS4-HMAC-SHA256 "):]
    parts = [p.strip() for p in rest.split(",")]
    assert parts[-1].startswith("Signature=")
    for order in (parts, [parts[2], parts[0], parts[1]], [parts[0], parts[2], parts[1]]):
        moved = _with_authorization(req, "AWS4-HMAC-SHA256 " + ",".join(order))
        assert authenticate(moved, TEST_STORE, NOW, "us-east-1").access_key == TEST_AK
    broken = "AWS4-HMAC-SHA256 " + ",".join([parts[0], "SignedHeaders", parts[2]])
    for _ in range(2):
        assert code_of(_with_authorization(req, broken)) == "AuthorizationHeaderMalformed"
    no_signature = "AWS4-HMAC-SHA256 " + ", ".join(parts[:2])
    assert code_of(_with_authorization(req, no_signature)) == "AuthorizationHeaderMalformed"
