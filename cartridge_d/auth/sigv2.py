"""
AWS Signature Version 2 for S3: the C{AWS AK:sig} header and presigned query.

Still needed: it is the default presigned-URL format of botocore and aws-cli v1,
s3cmd's C{signurl}, and s3cmd with C{signature_v2 = True}. The string to sign is::

    METHOD\\nContent-MD5\\nContent-Type\\nDate-or-Expires\\n
    x-amz-header:value\\n...        (sorted, repeats joined with commas)
    /bucket/key?sub&resources      (the canonical resource)

test-case-name: tests.auth.test_auth_errors
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timezone
from urllib.parse import unquote_to_bytes

from cartridge_d.auth._time import check_skew, iso_z, parse_http_date, utc
from cartridge_d.auth.canonical import canonical_uri_candidates
from cartridge_d.auth.credentials import CredentialStore
from cartridge_d.auth.errors import AuthError
from cartridge_d.auth.request import AuthRequest
from cartridge_d.auth.result import AuthResult

__all__ = ["SUBRESOURCES", "string_to_sign", "sign", "verify_header", "verify_query"]

#: Query parameters that are part of the SigV2 canonical resource (the union of
#: what AWS documents, botocore's C{HmacV1Auth.QSAOfInterest} and s3cmd's list).
SUBRESOURCES = frozenset(
    """accelerate acl analytics cors defaultObjectAcl delete encryption intelligent-tiering
    inventory lifecycle location logging metrics notification object-lock ownershipControls
    partNumber policy policyStatus publicAccessBlock replication requestPayment restore
    retention legal-hold select select-type storageClass tagging torrent uploadId uploads
    versionId versioning versions website
    response-cache-control response-content-disposition response-content-encoding
    response-content-language response-content-type response-expires""".split()
)


def _canonical_amz_headers(req: AuthRequest) -> str:
    grouped: dict[str, list[str]] = {}
    for name, value in req.headers:
        if name.startswith("x-amz-"):
            grouped.setdefault(name, []).append(value.strip())
    return "".join(f"{name}:{','.join(grouped[name])}\n" for name in sorted(grouped))


def _subresources(req: AuthRequest) -> str:
    found: list[tuple[str, str | None]] = []
    for key, value in req.query_pairs():
        k = unquote_to_bytes(key).decode("utf-8", "surrogateescape")
        if k in SUBRESOURCES:
            v = None if value is None else unquote_to_bytes(value).decode("utf-8", "surrogateescape")
            found.append((k, v))
    found.sort(key=lambda kv: kv[0])
    if not found:
        return ""
    return "?" + "&".join(k if v is None else f"{k}={v}" for k, v in found)


def _resources(req: AuthRequest) -> list[str]:
    """The canonical resources a client may have signed, most likely first."""
    sub = _subresources(req)
    out = []
    for path in canonical_uri_candidates(req.raw_path):
        if req.virtual_host_bucket is not None:
            path = "/" + req.virtual_host_bucket + path
        out.append(path + sub)
    return out


def string_to_sign(req: AuthRequest, date_line: str, resource: str) -> str:
    """The SigV2 string to sign for C{req} with the given date line and resource."""
    return (
        f"{req.method.upper()}\n{req.header('content-md5') or ''}\n"
        f"{req.header('content-type') or ''}\n{date_line}\n"
        f"{_canonical_amz_headers(req)}{resource}"
    )


def sign(secret: str, text: str) -> str:
    """Base64 HMAC-SHA1 of C{text} under C{secret}."""
    digest = hmac.new(
        secret.encode("utf-8"), text.encode("utf-8", "surrogateescape"), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def _check(
    req: AuthRequest, store: CredentialStore, access_key: str, provided: str, date_lines: list[str]
) -> AuthResult:
    cred = store.require(access_key)
    provided_b = provided.encode("utf-8", "replace")
    first = None
    for date_line in date_lines:
        for resource in _resources(req):
            sts = string_to_sign(req, date_line, resource)
            if hmac.compare_digest(sign(cred.secret_key, sts).encode("ascii"), provided_b):
                return AuthResult(cred, "v2")
            if first is None:
                first = sts
    assert first is not None
    raise AuthError(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
        (
            ("AWSAccessKeyId", access_key),
            ("StringToSign", first),
            ("SignatureProvided", provided),
        ),
    )


def verify_header(
    req: AuthRequest, authorization: str, store: CredentialStore, now: datetime
) -> AuthResult:
    """
    Check C{Authorization: AWS AK:signature}.

    The request time is C{x-amz-date} if present, else C{Date}, within 15 minutes.
    The Date line of the string to sign is the C{Date} header's value (empty when
    only C{x-amz-date} is sent, as the AWS documentation specifies).
    """
    ak, sep, signature = authorization[4:].strip().rpartition(":")
    if not sep or not ak or not signature:
        raise AuthError(
            "InvalidArgument",
            "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
            (("ArgumentName", "Authorization"), ("ArgumentValue", authorization)),
        )
    stamp = req.header("x-amz-date") or req.header("date")
    when = parse_http_date(stamp) if stamp else None
    if when is None:
        raise AuthError(
            "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header"
        )
    check_skew(when, now)
    date_header = req.header("date")
    date_lines = [date_header or ""]
    if date_header and req.header("x-amz-date") is not None:
        date_lines.append("")
    result = _check(req, store, ak, signature, date_lines)
    return AuthResult(result.credentials, "v2-header")


def verify_query(req: AuthRequest, store: CredentialStore, now: datetime) -> AuthResult:
    """
    Check a SigV2 presigned URL (C{AWSAccessKeyId}, C{Expires}, C{Signature}).

    C{Expires} is absolute Unix time; the URL is refused once it has passed.
    """
    params = req.query_params()
    if not all(p in params for p in ("AWSAccessKeyId", "Expires", "Signature")):
        raise AuthError(
            "AccessDenied",
            "Query-string authentication requires the Signature, Expires and "
            "AWSAccessKeyId parameters",
        )
    try:
        expires = int(params["Expires"])
    except ValueError:
        raise AuthError("AccessDenied", "Invalid date (should be seconds since epoch): "
                        + params["Expires"]) from None
    now = utc(now)
    if now.timestamp() > expires:
        raise AuthError(
            "AccessDenied",
            "Request has expired",
            (
                ("Expires", iso_z(datetime.fromtimestamp(expires, timezone.utc))),
                ("ServerTime", iso_z(now)),
            ),
        )
    result = _check(req, store, params["AWSAccessKeyId"], params["Signature"], [params["Expires"]])
    return AuthResult(result.credentials, "v2-query")
