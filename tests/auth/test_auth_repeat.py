"""
The parts of a SigV4 header that repeat from request to request (the
Credential scope, the SignedHeaders list) are parsed once and remembered;
a later request must still be judged on its own headers and signature.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from cartridge_d.auth import AuthError, authenticate

from auth_helpers import TEST_AK, TEST_STORE, make_request
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
