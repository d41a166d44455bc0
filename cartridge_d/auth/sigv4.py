"""
AWS Signature Version 4 for S3: the Authorization header and presigned URLs.

The signature is recomputed from the request as received (see L{canonical}) and
compared in constant time. The derived signing key depends only on (secret,
date, region, service), so it is cached: a busy server derives it once a day
per user instead of four HMACs per request.

test-case-name: tests.auth.test_auth_sigv4_vectors
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Sequence

from cartridge_d.auth._time import check_skew, iso_z, parse_amz_date, parse_http_date, utc, MAX_SKEW
from cartridge_d.auth.canonical import canonical_query, canonical_uri_candidates
from cartridge_d.auth.credentials import Credentials, CredentialStore
from cartridge_d.auth.errors import AuthError
from cartridge_d.auth.request import AuthRequest
from cartridge_d.auth.result import (
    AuthResult,
    STREAMING_MODES,
    STREAMING_UNSIGNED_TRAILER,
    StreamingContext,
    UNSIGNED_PAYLOAD,
)

__all__ = [
    "ALGORITHM",
    "signing_key",
    "canonical_request",
    "string_to_sign",
    "sign",
    "verify_header",
    "verify_query",
    "MAX_PRESIGN_EXPIRES",
]

ALGORITHM = "AWS4-HMAC-SHA256"
#: X-Amz-Expires may not exceed a week.
MAX_PRESIGN_EXPIRES = 604800
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}\Z")
_SPACES = re.compile(r"[ \t]+")
_SIGNATURE_PARAM = frozenset({"X-Amz-Signature"})
_QUERY_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
)


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


@lru_cache(maxsize=256)
def signing_key(secret: str, date: str, region: str, service: str = "s3") -> bytes:
    """The SigV4 derived key C{HMAC chain(AWS4+secret, date, region, service, aws4_request)}."""
    k = _hmac(("AWS4" + secret).encode("utf-8"), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


def _trim(value: str) -> str:
    value = value.strip(" \t")
    return _SPACES.sub(" ", value) if "  " in value or "\t" in value else value


def canonical_header_value(values: Sequence[str]) -> str:
    """Trim each value, squeeze runs of spaces, join repeats with commas (SigV4 rules)."""
    if len(values) == 1:
        return _trim(values[0])
    return ",".join(_trim(v) for v in values)


def canonical_request(
    req: AuthRequest,
    canonical_uri: str,
    signed_headers: Sequence[str],
    payload: str,
    exclude_query: frozenset[str] = frozenset(),
) -> str:
    """
    The canonical request text; header names in C{signed_headers} are lower-case and
    listed in the order the client signed them.
    """
    lines = [
        req.method.upper(),
        canonical_uri,
        canonical_query(req.query_pairs(), exclude_query) if req.raw_query else "",
    ]
    values = req.header_map()
    for name in signed_headers:
        lines.append(f"{name}:{canonical_header_value(values.get(name, ()))}")
    lines.append("")
    lines.append(";".join(signed_headers))
    lines.append(payload)
    return "\n".join(lines)


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    """C{AWS4-HMAC-SHA256\\n<date>\\n<scope>\\n<sha256 hex of the canonical request>}."""
    digest = hashlib.sha256(canonical.encode("utf-8", "surrogateescape")).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


@lru_cache(maxsize=256)
def _pads(key: bytes) -> tuple["hashlib._Hash", "hashlib._Hash"]:
    """
    SHA-256 states after the HMAC inner and outer pads of C{key} (RFC 2104),
    computed once per signing key (which changes once a day per user).
    """
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return (
        hashlib.sha256(bytes(b ^ 0x36 for b in key)),
        hashlib.sha256(bytes(b ^ 0x5C for b in key)),
    )


def sign(key: bytes, text: str) -> str:
    """
    Hex HMAC-SHA256 of C{text} under C{key}.

    Continued from the cached pad states: a third of the CPU of
    C{hmac.new}, and unlike C{hmac.digest} (whose one-call path lets go of
    the GIL) it never hands the reactor thread's GIL to a pool thread for
    a few microseconds of work, which costs the reactor a wait.
    """
    inner_pad, outer_pad = _pads(key)
    inner = inner_pad.copy()
    inner.update(text.encode("utf-8"))
    outer = outer_pad.copy()
    outer.update(inner.digest())
    return outer.hexdigest()


@dataclass(frozen=True)
class _Scope:
    """
    A credential scope; C{text} is its C{date/region/service/aws4_request}
    form, made once (scopes are cached by L{_parse_credential}, and every
    signature check uses the text).
    """

    access_key: str
    date: str
    region: str
    service: str
    text: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "text", f"{self.date}/{self.region}/{self.service}/aws4_request"
        )


@lru_cache(maxsize=256)
def _parse_credential(value: str, code: str, prefix: str) -> _Scope:
    """
    The scope a C{Credential} names (cached: a client sends the same one on
    every request of the day; a malformed one raises and is not cached).
    """
    parts = value.split("/")
    if len(parts) != 5 or not parts[0]:
        raise AuthError(
            code,
            f"{prefix} the Credential is mal-formed; expecting "
            '"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
        )
    ak, date, region, service, terminal = parts
    if terminal != "aws4_request":
        raise AuthError(
            code, f"{prefix} incorrect terminal '{terminal}'. This endpoint uses 'aws4_request'."
        )
    if service != "s3":
        raise AuthError(
            code, f"{prefix} incorrect service '{service}'. This endpoint belongs to 's3'."
        )
    if len(date) != 8 or not date.isdigit():
        raise AuthError(code, f"{prefix} incorrect date format '{date}'. This date in the credential must be in the format \"yyyyMMdd\".")
    return _Scope(ak, date, region, service)


def _check_region(scope: _Scope, region: str | None, code: str, prefix: str) -> None:
    if region is not None and scope.region != region:
        raise AuthError(
            code,
            f"{prefix} the region '{scope.region}' is wrong; expecting '{region}'",
            (("Region", region),),
        )


def _check_signature(
    req: AuthRequest,
    cred: Credentials,
    scope: _Scope,
    amz_date: str,
    signed_headers: Sequence[str],
    payload: str,
    provided: str,
    exclude_query: frozenset[str],
) -> bytes:
    """Compare C{provided} with each plausible canonical form; return the signing key."""
    key = signing_key(cred.secret_key, scope.date, scope.region, scope.service)
    provided_b = provided.lower().encode("ascii", "replace")
    first: tuple[str, str] | None = None
    for uri in canonical_uri_candidates(req.raw_path):
        creq = canonical_request(req, uri, signed_headers, payload, exclude_query)
        sts = string_to_sign(amz_date, scope.text, creq)
        if hmac.compare_digest(sign(key, sts).encode("ascii"), provided_b):
            return key
        if first is None:
            first = (sts, creq)
    assert first is not None
    raise AuthError(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
        (
            ("AWSAccessKeyId", cred.access_key),
            ("StringToSign", first[0]),
            ("SignatureProvided", provided),
            ("CanonicalRequest", first[1]),
        ),
    )


@lru_cache(maxsize=256)
def _signed_header_list(value: str) -> tuple[str, ...]:
    """
    The names of C{SignedHeaders}, lower-case (cached: a client signs the
    same few headers on every request of a kind).
    """
    return tuple(h.strip().lower() for h in value.split(";") if h.strip())


#: x-amz-* headers a request may carry without signing them (S3 tolerates the
#: payload hash header unsigned; it is checked against the body anyway).
_MAY_BE_UNSIGNED = frozenset({"x-amz-content-sha256"})


def require_signed(req: AuthRequest, signed_headers: Sequence[str]) -> None:
    """
    Refuse a request whose signature does not cover C{host} and every
    C{x-amz-*} header it carries.

    Without this, headers added after signing would change what a valid
    signature authorises: an C{x-amz-copy-source} added to a presigned PUT
    URL would turn it into a copy of any object the signer can read, and a
    signature without C{host} could be replayed against another bucket under
    virtual-host addressing.

    @raise AuthError: C{AccessDenied} naming the unsigned headers, as S3 does.
    """
    unsigned = sorted(name for name in req.header_map()
                      if (name == "host" or name.startswith("x-amz-"))
                      and name not in signed_headers and name not in _MAY_BE_UNSIGNED)
    if "host" not in signed_headers and "host" not in unsigned:
        unsigned.insert(0, "host")
    if unsigned:
        raise AuthError(
            "AccessDenied",
            "There were headers present in the request which were not signed",
            (("HeadersNotSigned", ", ".join(unsigned)),),
        )


def _payload_mode(value: str | None) -> str:
    if value is None:
        raise AuthError(
            "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"
        )
    if value == UNSIGNED_PAYLOAD or value in STREAMING_MODES:
        return value
    if _SHA256_HEX.match(value):
        return value.lower()
    raise AuthError(
        "InvalidArgument",
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER "
        "or a valid sha256 value.",
        (("ArgumentName", "x-amz-content-sha256"), ("ArgumentValue", value)),
    )


def _component(part: str) -> tuple[str, str]:
    name, eq, val = part.strip().partition("=")
    if not eq:
        raise AuthError(
            "AuthorizationHeaderMalformed",
            "The authorization header is malformed; the authorization component "
            f"\"{part.strip()}\" is malformed.",
        )
    return name.strip(), val.strip()


def _parse_components(parts: list[str]) -> dict[str, str]:
    return dict(_component(part) for part in parts)


@lru_cache(maxsize=256)
def _leading_components(rest: str) -> tuple[tuple[str, str], ...]:
    """
    The components before the last one (cached: a client sends the same
    C{Credential} and C{SignedHeaders} all day, and only the signature,
    which comes last, changes; a malformed one raises and is not cached).
    """
    return tuple(_parse_components(rest.split(",")).items())


def _parse_authorization(value: str) -> dict[str, str]:
    prefix = "The authorization header is malformed;"
    rest = value[len(ALGORITHM):]
    leading, comma, last = rest.rpartition(",")
    if comma:
        fields = dict(_leading_components(leading))
        name, val = _component(last)
        fields[name] = val
    else:
        fields = _parse_components([rest])
    for needed in ("Credential", "SignedHeaders", "Signature"):
        if needed not in fields:
            raise AuthError(
                "AuthorizationHeaderMalformed",
                f"{prefix} the authorization header requires the {needed} component.",
            )
    return fields


def verify_header(
    req: AuthRequest, authorization: str, store: CredentialStore, now: datetime, region: str | None
) -> AuthResult:
    """
    Check a C{AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...} header.

    Spaces after the commas are optional (s3cmd sends none). The request time comes
    from C{x-amz-date}, else C{Date}; it must be within 15 minutes of C{now} and on
    the credential's date. C{x-amz-content-sha256} is required and becomes the
    result's payload mode.
    """
    prefix = "The authorization header is malformed;"
    fields = _parse_authorization(authorization)
    scope = _parse_credential(fields["Credential"], "AuthorizationHeaderMalformed", prefix)
    _check_region(scope, region, "AuthorizationHeaderMalformed", prefix)
    signed_headers = _signed_header_list(fields["SignedHeaders"])
    amz_value = req.header("x-amz-date")
    if amz_value is not None:
        when = parse_amz_date(amz_value)
        amz_date = amz_value  # the strict form parse_amz_date accepts is the canonical one
    else:
        date_value = req.header("date")
        when = parse_http_date(date_value) if date_value is not None else None
        amz_date = when.strftime("%Y%m%dT%H%M%SZ") if when is not None else ""
    if when is None:
        raise AuthError("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
    if amz_date[:8] != scope.date:
        raise AuthError(
            "AuthorizationHeaderMalformed",
            f"{prefix} Invalid credential date \"{scope.date}\". "
            "This date is not the same as X-Amz-Date: \"" + amz_date[:8] + "\".",
        )
    cred = store.require(scope.access_key)
    check_skew(when, now)
    payload = _payload_mode(req.header("x-amz-content-sha256"))
    require_signed(req, signed_headers)
    key = _check_signature(
        req, cred, scope, amz_date, signed_headers, payload, fields["Signature"], frozenset()
    )
    streaming = None
    if payload in STREAMING_MODES and payload != STREAMING_UNSIGNED_TRAILER:
        streaming = StreamingContext(key, scope.text, amz_date, fields["Signature"].lower())
    return AuthResult(cred, "v4-header", payload, streaming)


def verify_query(
    req: AuthRequest, store: CredentialStore, now: datetime, region: str | None
) -> AuthResult:
    """
    Check a presigned URL (C{X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=...}).

    The URL is valid from C{X-Amz-Date} for C{X-Amz-Expires} seconds (at most a
    week). The payload is C{UNSIGNED-PAYLOAD} unless the URL carries
    C{X-Amz-Content-Sha256}.
    """
    code = "AuthorizationQueryParametersError"
    params = req.query_params()
    missing = [p for p in _QUERY_PARAMS if p not in params]
    if missing:
        raise AuthError(
            code,
            "Query-string authentication version 4 requires the X-Amz-Algorithm, "
            "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
            "and X-Amz-Expires parameters.",
        )
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise AuthError(code, 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')
    prefix = "Error parsing the X-Amz-Credential parameter;"
    scope = _parse_credential(params["X-Amz-Credential"], code, prefix)
    _check_region(scope, region, code, prefix)
    when = parse_amz_date(params["X-Amz-Date"])
    if when is None:
        raise AuthError(
            code, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
        )
    try:
        expires = int(params["X-Amz-Expires"])
    except ValueError:
        raise AuthError(code, "X-Amz-Expires should be a number") from None
    if expires < 0:
        raise AuthError(code, "X-Amz-Expires must be non-negative")
    if expires > MAX_PRESIGN_EXPIRES:
        raise AuthError(
            code, "X-Amz-Expires must be less than a week (in seconds) that is 604800"
        )
    amz_date = params["X-Amz-Date"]
    if amz_date[:8] != scope.date:
        raise AuthError(
            code,
            f"{prefix} Invalid credential date \"{scope.date}\". "
            f"This date is not the same as X-Amz-Date: \"{amz_date[:8]}\".",
        )
    cred = store.require(scope.access_key)
    now = utc(now)
    if when > now + MAX_SKEW:
        raise AuthError("AccessDenied", "Request is not valid yet")
    if now > when + timedelta(seconds=expires):
        raise AuthError(
            "AccessDenied",
            "Request has expired",
            (
                ("X-Amz-Expires", str(expires)),
                ("Expires", iso_z(when + timedelta(seconds=expires))),
                ("ServerTime", iso_z(now)),
            ),
        )
    payload = params.get("X-Amz-Content-Sha256", UNSIGNED_PAYLOAD)
    if payload != UNSIGNED_PAYLOAD and not _SHA256_HEX.match(payload):
        raise AuthError(code, "X-Amz-Content-Sha256 must be UNSIGNED-PAYLOAD or a sha256 value")
    signed_headers = _signed_header_list(params["X-Amz-SignedHeaders"])
    require_signed(req, signed_headers)
    _check_signature(
        req,
        cred,
        scope,
        amz_date,
        signed_headers,
        payload,
        params["X-Amz-Signature"],
        _SIGNATURE_PARAM,
    )
    return AuthResult(cred, "v4-query", payload.lower() if payload != UNSIGNED_PAYLOAD else payload)
