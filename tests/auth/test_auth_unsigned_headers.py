"""
A signature authorises only what it covers: headers added after signing are
refused, as S3 refuses them (AccessDenied, "headers present ... not signed").

test-case-name: tests.auth.test_auth_unsigned_headers
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import pytest
import boto3
from botocore.config import Config

from cartridge_d.auth import AuthError, AuthRequest, authenticate

from auth_helpers import TEST_AK, TEST_SECRET, TEST_STORE, from_prepared, with_header


def _signed(op: str, **params: Any) -> AuthRequest:
    """The request botocore signs for an operation (captured offline)."""
    client = boto3.client("s3", endpoint_url="http://127.0.0.1:8333", region_name="us-east-1",
                          aws_access_key_id=TEST_AK, aws_secret_access_key=TEST_SECRET,
                          config=Config(retries={"max_attempts": 1}))
    captured: list[Any] = []

    def capture(request: Any, **_: Any) -> None:
        captured.append(request)
        raise RuntimeError("captured")

    client.meta.events.register("before-send.s3", capture)
    with pytest.raises(RuntimeError):
        getattr(client, op)(**params)
    return from_prepared(captured[-1])


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _refused(req: AuthRequest) -> AuthError:
    with pytest.raises(AuthError) as e:
        authenticate(req, TEST_STORE, _now(), "us-east-1")
    return e.value


def test_header_added_after_signing_is_refused() -> None:
    """
    An x-amz-copy-source header added to a signed PUT is refused and named,
    instead of turning the PUT into a copy.
    """
    req = _signed("put_object", Bucket="b", Key="k", Body=b"x")
    assert authenticate(req, TEST_STORE, _now(), "us-east-1").access_key == TEST_AK
    error = _refused(with_header(req, "x-amz-copy-source", "secret/payroll"))
    assert error.code == "AccessDenied"
    assert ("HeadersNotSigned", "x-amz-copy-source") in error.details


def test_presigned_put_cannot_grow_extra_amz_headers() -> None:
    """
    A SigV4 presigned PUT URL (signing only host) refuses an added
    x-amz-copy-source or x-amz-meta-* header, but still works as given.
    """
    client = boto3.client("s3", endpoint_url="http://127.0.0.1:8333", region_name="us-east-1",
                          aws_access_key_id=TEST_AK, aws_secret_access_key=TEST_SECRET,
                          config=Config(signature_version="s3v4"))
    url = urlsplit(client.generate_presigned_url("put_object", Params={"Bucket": "b", "Key": "k"}))
    target = (url.path + "?" + url.query).encode()
    plain = AuthRequest.from_uri("PUT", target, [("host", url.netloc)])
    assert authenticate(plain, TEST_STORE, _now(), "us-east-1").scheme == "v4-query"
    for name, value in [("x-amz-copy-source", "secret/payroll"), ("x-amz-meta-evil", "1")]:
        error = _refused(AuthRequest.from_uri("PUT", target, [("host", url.netloc), (name, value)]))
        assert error.code == "AccessDenied"


def test_signature_must_cover_host() -> None:
    """
    A SigV4 signature whose SignedHeaders leave out host is refused, so it
    cannot be replayed against another bucket's virtual host.
    """
    req = _signed("get_object", Bucket="b", Key="k")
    auth = dict(req.headers)["authorization"]
    names = auth.split("SignedHeaders=")[1].split(",")[0]
    without_host = ";".join(n for n in names.split(";") if n != "host")
    forged = with_header(req, "authorization", auth.replace(names, without_host))
    error = _refused(forged)
    assert error.code == "AccessDenied"
    assert ("HeadersNotSigned", "host") in error.details


def test_unsigned_payload_hash_header_is_tolerated() -> None:
    """
    x-amz-content-sha256 may go unsigned (S3 tolerates it; the body is
    checked against it anyway), so such a request still authenticates as
    far as header coverage goes.
    """
    from cartridge_d.auth.sigv4 import require_signed

    req = AuthRequest.from_uri("GET", b"/b/k", [("host", "h"), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
                                              ("x-amz-date", "20260101T000000Z")])
    require_signed(req, ["host", "x-amz-date"])
    with pytest.raises(AuthError):
        require_signed(req, ["host"])
