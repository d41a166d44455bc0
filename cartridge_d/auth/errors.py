"""
The one exception type the auth layer raises.

The HTTP layer turns an L{AuthError} into an S3 error document: C{code} is the S3
error code, C{message} the human text, and C{details} extra elements S3 puts in
the same document (C{Region}, C{StringToSign}, C{ServerTime}, ...). The status
code is chosen by the HTTP layer's one error table, not here.

test-case-name: tests.auth.test_auth_errors
"""

from __future__ import annotations

__all__ = ["AuthError"]


class AuthError(Exception):
    """
    Authentication or body-verification failure, named by its S3 error code.

    @ivar code: the S3 error code (C{SignatureDoesNotMatch}, C{AccessDenied}, ...).
    @ivar message: the message S3 sends with that code.
    @ivar details: extra (element name, text) pairs for the error document, in order.
    """

    def __init__(
        self, code: str, message: str, details: tuple[tuple[str, str], ...] = ()
    ) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
