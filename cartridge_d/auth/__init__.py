"""
Request authentication (SigV4, SigV2, presigned URLs), aws-chunked bodies and
checksums. Pure Python: no Twisted, no lxml.

See the "auth" section of docs/internals.md for the contract.
"""

from cartridge_d.auth.authenticate import authenticate
from cartridge_d.auth.credentials import Credentials, CredentialStore, CredentialsFileError
from cartridge_d.auth.errors import AuthError
from cartridge_d.auth.request import AuthRequest
from cartridge_d.auth.result import (
    STREAMING_SIGNED,
    STREAMING_SIGNED_TRAILER,
    STREAMING_UNSIGNED_TRAILER,
    UNSIGNED_PAYLOAD,
    AuthResult,
    StreamingContext,
)

__all__ = [
    "authenticate",
    "AuthError",
    "AuthRequest",
    "AuthResult",
    "Credentials",
    "CredentialStore",
    "CredentialsFileError",
    "StreamingContext",
    "UNSIGNED_PAYLOAD",
    "STREAMING_SIGNED",
    "STREAMING_SIGNED_TRAILER",
    "STREAMING_UNSIGNED_TRAILER",
]
