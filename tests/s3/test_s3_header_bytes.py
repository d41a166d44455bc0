"""
Header values that are not ASCII: the signature is checked over the bytes
the client sent, and stored metadata comes back byte for byte.
"""

from __future__ import annotations

import time

from s3_harness import ALICE, HOST, S3Harness

from cartridge_d.auth.request import AuthRequest
from cartridge_d.auth.sigv4 import canonical_request, sign, signing_key, string_to_sign


def _signed_put(path: str, extra: list[tuple[bytes, bytes]], body: bytes) -> bytes:
    """
    A PUT signed over its header bytes exactly as sent (values read as
    UTF-8 with surrogate escapes, which is how SigV4 hashes raw bytes).
    """
    amz = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    headers = [(b"host", HOST.encode()), (b"x-amz-content-sha256", b"UNSIGNED-PAYLOAD"),
               (b"x-amz-date", amz.encode())] + extra
    names = sorted(name.decode() for name, _ in headers)
    req = AuthRequest("PUT", path.encode(), b"", tuple(
        (name.decode(), value.decode("utf-8", "surrogateescape")) for name, value in headers))
    scope = f"{amz[:8]}/us-east-1/s3/aws4_request"
    creq = canonical_request(req, path, names, "UNSIGNED-PAYLOAD")
    signature = sign(signing_key(ALICE.secret_key, amz[:8], "us-east-1"),
                     string_to_sign(amz, scope, creq))
    authorization = (f"AWS4-HMAC-SHA256 Credential={ALICE.access_key}/{scope}, "
                     f"SignedHeaders={';'.join(names)}, Signature={signature}").encode()
    lines = [b"PUT " + path.encode() + b" HTTP/1.1"]
    lines += [name + b": " + value for name, value in headers]
    lines += [b"Authorization: " + authorization, b"Content-Length: %d" % len(body)]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def test_utf8_and_non_utf8_metadata_signed_and_returned_byte_for_byte() -> None:
    """
    x-amz-meta-* values in UTF-8 (café) and in bytes that are not UTF-8
    (a lone 0xE9) are accepted when signed over those bytes, and GET and
    HEAD send the same bytes back.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    for key, value in (("utf8", "café".encode()), ("latin", b"caf\xe9")):
        raw = _signed_put(f"/bkt/{key}", [(b"x-amz-meta-name", value)], b"body")
        assert h.send(raw).status == 200, key
        for method in ("GET", "HEAD"):
            channel, transport = h.connect()
            channel.dataReceived(h.sign(method, f"/bkt/{key}"))
            assert b"\r\nx-amz-meta-name: " + value + b"\r\n" in transport.value(), key


def test_tampered_non_ascii_value_is_refused() -> None:
    """
    A non-ASCII metadata value changed after signing is SignatureDoesNotMatch
    and nothing is stored.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    raw = _signed_put("/bkt/k", [(b"x-amz-meta-name", "café".encode())], b"body")
    reply = h.send(raw.replace("café".encode(), "cafè".encode()))
    assert reply.status == 403 and b"SignatureDoesNotMatch" in reply.body
    assert h.call("HEAD", "/bkt/k").status == 404
