"""
Checksums as S3 and botocore compute them, and the body checks built on them.
"""

from __future__ import annotations

import base64
import hashlib
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartridge_d.auth import AuthError, AuthResult
from cartridge_d.auth.body import body_checks, body_decoder
from cartridge_d.auth.checksums import (
    ChecksumSpec,
    checksum_spec,
    new_checksum,
    parse_content_md5,
)

from auth_helpers import make_request

CHECK_VALUES = {
    "CRC32": 0xCBF43926,
    "CRC32C": 0xE3069283,
    "CRC64NVME": 0xAE8B14860A799888,
}


@pytest.mark.parametrize("algorithm", sorted(CHECK_VALUES))
def test_crc_check_values(algorithm: str) -> None:
    """Each CRC gives the catalogue check value for b'123456789', base64 big-endian."""
    c = new_checksum(algorithm.lower())
    c.update(b"123456789")
    size = 8 if algorithm == "CRC64NVME" else 4
    assert c.digest() == CHECK_VALUES[algorithm].to_bytes(size, "big")
    assert c.b64() == base64.b64encode(c.digest()).decode()


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=300), st.integers(0, 300))
def test_crc64nvme_incremental(data: bytes, cut: int) -> None:
    """CRC64NVME over two updates equals the bytewise reference over the whole input."""
    c = new_checksum("CRC64NVME")
    c.update(data[:cut])
    c.update(data[cut:])
    ref = 0xFFFFFFFFFFFFFFFF
    for b in data:
        ref ^= b
        for _ in range(8):
            ref = (ref >> 1) ^ (0x9A6C9329AC4BC9B5 if ref & 1 else 0)
    assert c.digest() == (ref ^ 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big")


def test_matches_botocore() -> None:
    """CRC32, SHA1 and SHA256 values equal botocore's (what boto3 sends in headers)."""
    httpchecksum = pytest.importorskip("botocore.httpchecksum")
    data = os.urandom(100000)
    for algorithm, cls in [("CRC32", "Crc32Checksum"), ("SHA1", "Sha1Checksum"),
                           ("SHA256", "Sha256Checksum")]:
        theirs = getattr(httpchecksum, cls)()
        theirs.update(data)
        ours = new_checksum(algorithm)
        ours.update(data)
        assert ours.b64() == theirs.b64digest()


def test_sha_digests() -> None:
    """SHA1/SHA256 checksums are base64 of the plain digest."""
    for algorithm in ("SHA1", "SHA256"):
        c = new_checksum(algorithm)
        c.update(b"abc")
        assert c.digest() == hashlib.new(algorithm.lower(), b"abc").digest()


def test_unknown_algorithm() -> None:
    """An unknown algorithm name is a ValueError."""
    with pytest.raises(ValueError):
        new_checksum("md4")


def test_checksum_spec_from_headers() -> None:
    """x-amz-checksum-* headers and x-amz-trailer announce the algorithm; hints are ignored."""
    assert checksum_spec([("x-amz-checksum-crc32", "DUoRhQ=="),
                          ("x-amz-sdk-checksum-algorithm", "CRC32")]) == \
        ChecksumSpec("CRC32", "DUoRhQ==")
    assert checksum_spec([("x-amz-trailer", "x-amz-checksum-crc64nvme")]) == \
        ChecksumSpec("CRC64NVME", None)
    assert checksum_spec([("x-amz-checksum-algorithm", "CRC32")]) is None


@pytest.mark.parametrize("headers", [
    [("x-amz-checksum-crc32", "not base64!")],
    [("x-amz-checksum-crc32", "AAAAAAAA")],
    [("x-amz-checksum-crc32", "DUoRhQ=="), ("x-amz-checksum-sha1", "2jmj7l5rSw0yVb/vlWAYkK/YBwk=")],
])
def test_checksum_spec_invalid(headers: list[tuple[str, str]]) -> None:
    """A malformed value or two different checksum headers give InvalidRequest."""
    with pytest.raises(AuthError) as e:
        checksum_spec(headers)
    assert e.value.code == "InvalidRequest"


def test_content_md5_parsing() -> None:
    """Content-MD5 must be base64 of 16 bytes, else InvalidDigest."""
    digest = hashlib.md5(b"x").digest()
    assert parse_content_md5(base64.b64encode(digest).decode()) == digest
    for bad in ("zzz", base64.b64encode(b"short").decode(), "!!!!"):
        with pytest.raises(AuthError) as e:
            parse_content_md5(bad)
        assert e.value.code == "InvalidDigest"


def _run(result: AuthResult, headers: list[tuple[str, str]], body: bytes) -> list:
    req = make_request("PUT", "/b/k", headers)
    decoder = body_decoder(result, req)
    checks = body_checks(result, req)
    payload = decoder.feed(body) if decoder else body
    trailers = decoder.finish() if decoder else {}
    for check in checks:
        check.update(payload)
    return [check.verify(trailers) for check in checks]


def test_body_checks_pass() -> None:
    """A body matching its sha256, Content-MD5 and CRC32 passes and reports the CRC32."""
    body = b"hello world"
    result = AuthResult(None, "v4-header", hashlib.sha256(body).hexdigest())
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    verdicts = _run(result, [("content-md5", md5), ("x-amz-checksum-crc32", "DUoRhQ==")], body)
    assert verdicts == [None, None, ("CRC32", "DUoRhQ==")]


@pytest.mark.parametrize("which,code", [
    ("sha256", "XAmzContentSHA256Mismatch"), ("md5", "BadDigest"), ("crc32", "BadDigest")])
def test_body_checks_fail(which: str, code: str) -> None:
    """A body differing from its sha256, Content-MD5 or CRC32 fails with S3's code."""
    good = b"hello world"
    sha = hashlib.sha256(good if which != "sha256" else b"other").hexdigest()
    md5 = base64.b64encode(hashlib.md5(good if which != "md5" else b"other").digest()).decode()
    crc = "DUoRhQ==" if which != "crc32" else "AAAAAA=="
    result = AuthResult(None, "v4-header", sha)
    with pytest.raises(AuthError) as e:
        _run(result, [("content-md5", md5), ("x-amz-checksum-crc32", crc)], good)
    assert e.value.code == code


def test_trailer_checksum_verified() -> None:
    """An unsigned-trailer body's trailing CRC32 is verified; a wrong one is BadDigest."""
    result = AuthResult(None, "v4-header", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    headers = [("x-amz-trailer", "x-amz-checksum-crc32"),
               ("x-amz-decoded-content-length", "11")]
    body = b"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n"
    assert _run(result, headers, body) == [("CRC32", "DUoRhQ==")]
    with pytest.raises(AuthError) as e:
        _run(result, headers, body.replace(b"DUoRhQ==", b"AAAAAA=="))
    assert e.value.code == "BadDigest"
    with pytest.raises(AuthError) as e:
        _run(result, headers, b"b\r\nhello world\r\n0\r\n\r\n")
    assert e.value.code == "MalformedTrailerError"
