"""
Shared helpers for the auth tests: requests from raw parts and from botocore.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from cartridge_d.auth import AuthRequest, Credentials, CredentialStore

#: The example key pair of the AWS S3 documentation.
DOC_AK = "AKIAIOSFODNN7EXAMPLE"
DOC_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DOC_NOW = datetime(2013, 5, 24, 0, 0, 0, tzinfo=timezone.utc)
DOC_STORE = CredentialStore([Credentials(DOC_AK, DOC_SECRET, "example")])

TEST_AK = "CKTESTTESTTESTTEST00"
TEST_SECRET = "s3cr3tS3CR3Ts3cr3tS3CR3Ts3cr3tS3CR3Tabcd"
TEST_STORE = CredentialStore([Credentials(TEST_AK, TEST_SECRET, "tester")])


def make_request(
    method: str, target: str, headers: list[tuple[str, str]], vhost: str | None = None
) -> AuthRequest:
    """An AuthRequest from a request-target string and (name, value) headers."""
    return AuthRequest.from_uri(method, target.encode("utf-8"), headers, vhost)


def from_prepared(prepared: Any) -> AuthRequest:
    """
    An AuthRequest for what botocore would put on the wire for C{prepared}.

    urllib3 adds the Host header (with the port) itself, so it is added here unless
    botocore (older versions) already set one.
    """
    split = urlsplit(prepared.url)
    target = split.path + ("?" + split.query if split.query else "")
    headers: list[tuple[str, str]] = []
    if not any(name.lower() == "host" for name in prepared.headers):
        headers.append(("host", split.netloc))
    for name, value in prepared.headers.items():
        if isinstance(value, bytes):
            value = value.decode("utf-8", "surrogateescape")
        headers.append((name.lower(), value))
    return AuthRequest.from_uri(prepared.method, target.encode("utf-8"), headers)


def with_header(req: AuthRequest, name: str, value: str) -> AuthRequest:
    """C{req} with header C{name} replaced by (or set to) C{value}."""
    kept = tuple((n, v) for n, v in req.headers if n != name)
    return AuthRequest(req.method, req.raw_path, req.raw_query, kept + ((name, value),),
                       req.virtual_host_bucket)
