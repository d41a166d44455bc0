"""
Every authentication error code, as S3 names it, from requests a client could send.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest

from cartridge_d.auth import AuthError, AuthRequest, authenticate
from cartridge_d.auth.sigv2 import sign as sign_v2
from cartridge_d.auth.sigv2 import string_to_sign as sts_v2
from cartridge_d.auth.sigv4 import canonical_request, sign, signing_key, string_to_sign

from auth_helpers import TEST_AK, TEST_SECRET, TEST_STORE, make_request

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
EMPTY_SHA = hashlib.sha256(b"").hexdigest()


def v4_request(when: datetime = NOW, region: str = "us-east-1", ak: str = TEST_AK,
               secret: str = TEST_SECRET, target: str = "/bucket/key",
               payload: str | None = EMPTY_SHA, comma: str = ", ",
               extra: list[tuple[str, str]] | None = None,
               signed: list[str] | None = None) -> AuthRequest:
    """A SigV4 header-signed request, signed like s3cmd (comma='') or botocore (', ')."""
    amz = when.strftime("%Y%m%dT%H%M%SZ")
    headers = [("host", "127.0.0.1:8333"), ("x-amz-date", amz)] + (extra or [])
    if payload is not None:
        headers.append(("x-amz-content-sha256", payload))
    names = signed or sorted({n for n, _ in headers})
    req = make_request("GET", target, headers)
    creq = canonical_request(req, req.raw_path.decode(), names, payload or "UNSIGNED-PAYLOAD")
    scope = f"{amz[:8]}/{region}/s3/aws4_request"
    sig = sign(signing_key(secret, amz[:8], region), string_to_sign(amz, scope, creq))
    auth = (f"AWS4-HMAC-SHA256 Credential={ak}/{scope}{comma}SignedHeaders={';'.join(names)}"
            f"{comma}Signature={sig}")
    return make_request("GET", target, headers + [("authorization", auth)])


def code_of(req: AuthRequest, region: str | None = "us-east-1", now: datetime = NOW) -> str:
    with pytest.raises(AuthError) as e:
        authenticate(req, TEST_STORE, now, region)
    return e.value.code


def test_s3cmd_style_no_spaces_and_all_headers_signed() -> None:
    """s3cmd's header (no spaces after commas, every header signed, port in Host) passes."""
    req = v4_request(comma=",", extra=[("content-type", "text/plain"), ("content-length", "0"),
                                       ("x-amz-meta-s3cmd-attrs", "uid:0/gid:0/mode:33188"),
                                       ("x-amz-storage-class", "STANDARD")])
    assert authenticate(req, TEST_STORE, NOW, "us-east-1").access_key == TEST_AK


def test_sigv4_ok_within_skew() -> None:
    """A request 14 minutes off either way is accepted."""
    for delta in (timedelta(minutes=14), -timedelta(minutes=14)):
        assert not authenticate(v4_request(NOW + delta), TEST_STORE, NOW, "us-east-1").anonymous


def test_request_time_too_skewed() -> None:
    """A request more than 15 minutes off gives RequestTimeTooSkewed."""
    assert code_of(v4_request(NOW - timedelta(minutes=16))) == "RequestTimeTooSkewed"
    assert code_of(v4_request(NOW + timedelta(minutes=16))) == "RequestTimeTooSkewed"


def test_invalid_access_key() -> None:
    """An unknown access key gives InvalidAccessKeyId."""
    assert code_of(v4_request(ak="CKNOBODY")) == "InvalidAccessKeyId"


def test_wrong_secret() -> None:
    """A signature made with another secret gives SignatureDoesNotMatch."""
    assert code_of(v4_request(secret="wrong")) == "SignatureDoesNotMatch"


def test_wrong_region_names_the_right_one() -> None:
    """A credential scope for another region gives AuthorizationHeaderMalformed with Region."""
    with pytest.raises(AuthError) as e:
        authenticate(v4_request(region="eu-west-1"), TEST_STORE, NOW, "us-east-1")
    assert e.value.code == "AuthorizationHeaderMalformed"
    assert ("Region", "us-east-1") in e.value.details
    assert not authenticate(v4_request(region="eu-west-1"), TEST_STORE, NOW, None).anonymous


def test_missing_content_sha256() -> None:
    """SigV4 without x-amz-content-sha256 gives InvalidRequest."""
    assert code_of(v4_request(payload=None)) == "InvalidRequest"


def test_bad_content_sha256() -> None:
    """A payload hash that is neither hex sha256 nor a known mode gives InvalidArgument."""
    assert code_of(v4_request(payload="abc")) == "InvalidArgument"


@pytest.mark.parametrize("auth", [
    "AWS4-HMAC-SHA256 Credential=CK/20260102/us-east-1/s3/aws4_request",
    "AWS4-HMAC-SHA256 Credential=CK/20260102/us-east-1/s3, SignedHeaders=host, Signature=00",
    "AWS4-HMAC-SHA256 Credential=CK/20260102/us-east-1/ec2/aws4_request, SignedHeaders=host, "
    "Signature=00",
    "AWS4-HMAC-SHA256 garbage",
])
def test_authorization_header_malformed(auth: str) -> None:
    """Missing components or a malformed credential give AuthorizationHeaderMalformed."""
    req = make_request("GET", "/", [("host", "h"), ("x-amz-date", "20260102T030405Z"),
                                    ("x-amz-content-sha256", EMPTY_SHA), ("authorization", auth)])
    assert code_of(req) == "AuthorizationHeaderMalformed"


def test_credential_date_must_match() -> None:
    """A credential date other than x-amz-date's day gives AuthorizationHeaderMalformed."""
    req = v4_request()
    auth = req.header("authorization") or ""
    bad = [(n, v.replace("/20260102/", "/20260101/") if n == "authorization" else v)
           for n, v in req.headers]
    assert auth and code_of(make_request("GET", "/bucket/key", bad)) == "AuthorizationHeaderMalformed"


def test_missing_date() -> None:
    """A signed request without Date or x-amz-date gives AccessDenied."""
    req = v4_request()
    headers = [(n, v) for n, v in req.headers if n != "x-amz-date"]
    assert code_of(make_request("GET", "/bucket/key", headers)) == "AccessDenied"


@pytest.mark.parametrize("stamp", [
    "20260102T030405", "2026012T030405Z", "20261302T030405Z", "20260102T250405Z",
    "20260102 030405Z", "20260102T03040５Z", "2026-01-02T03:04:05Z", "",
])
def test_malformed_x_amz_date(stamp: str) -> None:
    """
    An x-amz-date that is not exactly ISO 8601 basic form (or names no real
    time) is refused with AccessDenied, not read as some other time.
    """
    req = v4_request()
    headers = [(n, stamp if n == "x-amz-date" else v) for n, v in req.headers]
    assert code_of(make_request("GET", "/bucket/key", headers)) == "AccessDenied"


def test_x_amz_date_parsed_exactly() -> None:
    """
    A well-formed x-amz-date is read to the second, in UTC.
    """
    from cartridge_d.auth._time import parse_amz_date

    assert parse_amz_date("20260102T030405Z") == NOW
    assert parse_amz_date("20240229T235959Z") == datetime(2024, 2, 29, 23, 59, 59,
                                                           tzinfo=timezone.utc)


def test_unsupported_scheme_and_two_schemes() -> None:
    """An unknown Authorization scheme, or header plus query auth, gives InvalidArgument."""
    assert code_of(make_request("GET", "/", [("authorization", "Bearer x")])) == "InvalidArgument"
    req = v4_request(target="/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256")
    assert code_of(req) == "InvalidArgument"


def test_anonymous() -> None:
    """A request with no auth at all is anonymous, not an error."""
    result = authenticate(make_request("GET", "/b/k?acl", [("host", "h")]), TEST_STORE, NOW,
                          "us-east-1")
    assert result.anonymous and result.credentials is None and result.scheme == "anonymous"


def presign_v4(expires: int = 3600, when: datetime = NOW, drop: str = "",
               algorithm: str = "AWS4-HMAC-SHA256") -> AuthRequest:
    """A SigV4 presigned GET, signed here."""
    amz = when.strftime("%Y%m%dT%H%M%SZ")
    scope = f"{amz[:8]}/us-east-1/s3/aws4_request"
    params = {"X-Amz-Algorithm": algorithm, "X-Amz-Credential": f"{TEST_AK}%2F{scope.replace('/', '%2F')}",
              "X-Amz-Date": amz, "X-Amz-Expires": str(expires), "X-Amz-SignedHeaders": "host"}
    query = "&".join(f"{k}={v}" for k, v in params.items() if k != drop)
    req = make_request("GET", "/b/k?" + query, [("host", "h:1")])
    creq = canonical_request(req, "/b/k", ["host"], "UNSIGNED-PAYLOAD")
    sig = sign(signing_key(TEST_SECRET, amz[:8], "us-east-1"), string_to_sign(amz, scope, creq))
    return make_request("GET", f"/b/k?{query}&X-Amz-Signature={sig}", [("host", "h:1")])


def test_presign_v4_expiry() -> None:
    """A SigV4 presigned URL works until X-Amz-Date + X-Amz-Expires, then AccessDenied."""
    assert authenticate(presign_v4(), TEST_STORE, NOW + timedelta(seconds=3600), "us-east-1")
    with pytest.raises(AuthError) as e:
        authenticate(presign_v4(), TEST_STORE, NOW + timedelta(seconds=3601), "us-east-1")
    assert (e.value.code, e.value.message) == ("AccessDenied", "Request has expired")


def test_presign_v4_not_yet_valid() -> None:
    """A presigned URL dated more than 15 minutes ahead gives AccessDenied."""
    assert code_of(presign_v4(when=NOW + timedelta(minutes=20))) == "AccessDenied"


def test_presign_v4_parameter_errors() -> None:
    """Over a week, a missing parameter or another algorithm: AuthorizationQueryParametersError."""
    assert code_of(presign_v4(expires=604801)) == "AuthorizationQueryParametersError"
    assert code_of(presign_v4(expires=-1)) == "AuthorizationQueryParametersError"
    assert code_of(presign_v4(drop="X-Amz-Date")) == "AuthorizationQueryParametersError"
    assert code_of(presign_v4(algorithm="AWS4-HMAC-SHA1")) == "AuthorizationQueryParametersError"
    assert authenticate(presign_v4(expires=604800), TEST_STORE, NOW, "us-east-1")


def presign_v2(expires: int) -> AuthRequest:
    """A SigV2 presigned GET with absolute expiry time C{expires}."""
    probe = make_request("GET", "/b/k", [("host", "h")])
    sig = sign_v2(TEST_SECRET, sts_v2(probe, str(expires), "/b/k"))
    from urllib.parse import quote
    return make_request("GET", f"/b/k?AWSAccessKeyId={TEST_AK}&Expires={expires}"
                        f"&Signature={quote(sig, safe='')}", [("host", "h")])


def test_presign_v2_expiry() -> None:
    """A SigV2 presigned URL works until Expires, then AccessDenied 'Request has expired'."""
    expires = int(NOW.timestamp()) + 60
    assert authenticate(presign_v2(expires), TEST_STORE, NOW, None).scheme == "v2-query"
    with pytest.raises(AuthError) as e:
        authenticate(presign_v2(expires), TEST_STORE, NOW + timedelta(seconds=61), None)
    assert (e.value.code, e.value.message) == ("AccessDenied", "Request has expired")


def test_presign_v2_missing_parameter() -> None:
    """A SigV2 query with Signature but no Expires gives AccessDenied."""
    assert code_of(make_request("GET", f"/b/k?AWSAccessKeyId={TEST_AK}&Signature=x", [])) == \
        "AccessDenied"


def v2_header_request(date: datetime, amz_date: bool = False) -> AuthRequest:
    """A SigV2 header-signed request (s3cmd signature_v2 style when amz_date)."""
    stamp = date.strftime("%a, %d %b %Y %H:%M:%S GMT")
    headers = [("host", "h"), ("x-amz-date" if amz_date else "date", stamp)]
    probe = make_request("PUT", "/b/k?acl", headers)
    sig = sign_v2(TEST_SECRET, sts_v2(probe, "" if amz_date else stamp, "/b/k?acl"))
    return make_request("PUT", "/b/k?acl", headers + [("authorization", f"AWS {TEST_AK}:{sig}")])


def test_sigv2_header_date_forms_and_skew() -> None:
    """SigV2 accepts Date or x-amz-date, and refuses more than 15 minutes of skew."""
    for amz in (False, True):
        assert authenticate(v2_header_request(NOW, amz), TEST_STORE, NOW, None).scheme == \
            "v2-header"
        assert code_of(v2_header_request(NOW - timedelta(minutes=20), amz)) == \
            "RequestTimeTooSkewed"


def test_sigv2_header_malformed() -> None:
    """'AWS ' without AK:signature gives InvalidArgument."""
    assert code_of(make_request("GET", "/", [("authorization", "AWS nocolon"),
                                             ("date", "x")])) == "InvalidArgument"


def test_sigv2_virtual_host_resource() -> None:
    """With virtual-host addressing, SigV2 signs /bucket + path."""
    stamp = NOW.strftime("%a, %d %b %Y %H:%M:%S GMT")
    headers = [("host", "b.example.com"), ("date", stamp)]
    sig = sign_v2(TEST_SECRET, sts_v2(make_request("GET", "/k", headers), stamp, "/b/k"))
    req = make_request("GET", "/k", headers + [("authorization", f"AWS {TEST_AK}:{sig}")], "b")
    assert authenticate(req, TEST_STORE, NOW, None).access_key == TEST_AK


def test_undecodable_path_is_a_mismatch_not_a_crash() -> None:
    """Raw non-UTF-8 bytes in the path give SignatureDoesNotMatch, not an exception."""
    req = v4_request()
    bad = AuthRequest(req.method, b"/bucket/\xff\xfe", req.raw_query, req.headers)
    assert code_of(bad) == "SignatureDoesNotMatch"
