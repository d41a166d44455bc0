"""
Entry point: decide which signature scheme a request uses and check it.

test-case-name: tests.auth.test_auth_errors
"""

from __future__ import annotations

from datetime import datetime

from cartridge_d.auth import sigv2, sigv4
from cartridge_d.auth.credentials import CredentialStore
from cartridge_d.auth.errors import AuthError
from cartridge_d.auth.request import AuthRequest
from cartridge_d.auth.result import ANONYMOUS, AuthResult

__all__ = ["authenticate"]

_V4_QUERY_MARKERS = frozenset({"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"})
_V2_QUERY_MARKERS = frozenset({"AWSAccessKeyId", "Signature"})


def authenticate(
    req: AuthRequest, store: CredentialStore, now: datetime, region: str | None
) -> AuthResult:
    """
    Authenticate C{req}, signed in any way S3 accepts, or find that it is anonymous.

    Dispatch, in order: an C{Authorization} header (C{AWS4-HMAC-SHA256 ...} is
    SigV4, C{AWS AK:sig} is SigV2); C{X-Amz-Algorithm}/C{X-Amz-Credential} in the
    query (SigV4 presigned); C{AWSAccessKeyId}/C{Signature} in the query (SigV2
    presigned); otherwise the request is anonymous and L{AuthResult.anonymous} is
    true: the caller decides whether that is allowed.

    @param now: the time the request arrived (aware, or naive UTC).
    @param region: the region the server answers as; a SigV4 credential scope
        naming another region is refused with C{AuthorizationHeaderMalformed}
        carrying C{<Region>} (s3cmd re-signs from it). None accepts any region.
    @raise AuthError: with the S3 error code: C{SignatureDoesNotMatch},
        C{InvalidAccessKeyId}, C{AccessDenied} (expired or not-yet-valid presigned
        URL, missing date), C{RequestTimeTooSkewed}, C{AuthorizationHeaderMalformed},
        C{AuthorizationQueryParametersError}, C{InvalidRequest} (no
        x-amz-content-sha256), C{InvalidArgument} (unknown scheme, two schemes at
        once, bad x-amz-content-sha256).
    """
    authorization = req.header("authorization")
    params = req.query_params() if req.raw_query else {}
    v4_query = not _V4_QUERY_MARKERS.isdisjoint(params)
    v2_query = not v4_query and not _V2_QUERY_MARKERS.isdisjoint(params)
    if authorization is not None:
        if v4_query or v2_query:
            raise AuthError(
                "InvalidArgument",
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                "Signature query string parameter or the Authorization header should be specified",
                (("ArgumentName", "Authorization"), ("ArgumentValue", authorization)),
            )
        if authorization.startswith(sigv4.ALGORITHM + " "):
            return sigv4.verify_header(req, authorization, store, now, region)
        if authorization.startswith("AWS "):
            return sigv2.verify_header(req, authorization, store, now)
        raise AuthError(
            "InvalidArgument",
            "Unsupported Authorization Type",
            (("ArgumentName", "Authorization"), ("ArgumentValue", authorization)),
        )
    if v4_query:
        return sigv4.verify_query(req, store, now, region)
    if v2_query:
        return sigv2.verify_query(req, store, now)
    return ANONYMOUS
