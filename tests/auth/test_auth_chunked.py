"""
The aws-chunked decoder: AWS's published signed-streaming examples, arbitrary split
points, tampering, truncation and trailers.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartridge_d.auth import AuthError, authenticate
from cartridge_d.auth.chunked import ChunkedDecoder, decoded_content_length
from cartridge_d.auth.result import StreamingContext
from cartridge_d.auth.sigv4 import signing_key

from auth_helpers import DOC_NOW, DOC_SECRET, DOC_STORE, make_request

KEY = signing_key(DOC_SECRET, "20130524", "us-east-1")
SCOPE = "20130524/us-east-1/s3/aws4_request"
SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
CTX = StreamingContext(KEY, SCOPE, "20130524T000000Z", SEED)
SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"

DOC_BODY = (
    b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n"
    + b"a" * 65536 + b"\r\n"
    + b"400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n"
    + b"a" * 1024 + b"\r\n"
    + b"0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n"
    + b"\r\n"
)

TRAILER_CTX = StreamingContext(
    KEY, SCOPE, "20130524T000000Z",
    "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e")
TRAILER_BODY = (
    b"10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n"
    + b"a" * 65536 + b"\r\n"
    + b"400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n"
    + b"a" * 1024 + b"\r\n"
    + b"0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n\r\n"
    + b"x-amz-checksum-crc32c:sOO8/Q==\r\n"
    + b"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
    + b"\r\n\r\n"
)


def _decode(mode: str, ctx: StreamingContext | None, body: bytes, cuts: list[int],
            expected: int | None = None) -> tuple[bytes, dict[str, str]]:
    decoder = ChunkedDecoder(mode, ctx, expected)
    out = []
    last = 0
    for cut in sorted(set(cuts)) + [len(body)]:
        out.append(decoder.feed(body[last:cut]))
        last = cut
    return b"".join(out), decoder.finish()


def test_doc_example_request_and_chunks() -> None:
    """The documented chunked PUT authenticates (seed signature) and its chunks verify."""
    auth = ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
            f"x-amz-decoded-content-length;x-amz-storage-class,Signature={SEED}")
    req = make_request("PUT", "/examplebucket/chunkObject.txt", [
        ("host", "s3.amazonaws.com"), ("x-amz-date", "20130524T000000Z"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"), ("authorization", auth),
        ("x-amz-content-sha256", SIGNED), ("content-encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"), ("content-length", "66824")])
    result = authenticate(req, DOC_STORE, DOC_NOW, "us-east-1")
    assert result.payload == SIGNED
    assert result.streaming == CTX
    assert len(DOC_BODY) == 66824
    payload, trailers = _decode(SIGNED, result.streaming, DOC_BODY, [], 66560)
    assert payload == b"a" * 66560
    assert trailers == {}


def test_doc_signed_trailer_example() -> None:
    """The signed-trailer example verifies every chunk and the trailer signature."""
    payload, trailers = _decode("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", TRAILER_CTX,
                                TRAILER_BODY, [], 66560)
    assert payload == b"a" * 66560
    assert trailers == {"x-amz-checksum-crc32c": "sOO8/Q=="}


def test_signed_trailer_tampered() -> None:
    """Changing the trailer value breaks the trailer signature."""
    with pytest.raises(AuthError) as e:
        _decode("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", TRAILER_CTX,
                TRAILER_BODY.replace(b"sOO8/Q==", b"sOO8/Q=A"), [])
    assert e.value.code == "SignatureDoesNotMatch"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, len(DOC_BODY)), max_size=12))
def test_doc_example_any_split(cuts: list[int]) -> None:
    """Splitting the body anywhere (inside headers, CRLFs, data) gives the same payload."""
    payload, _ = _decode(SIGNED, CTX, DOC_BODY, cuts, 66560)
    assert payload == b"a" * 66560


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, len(TRAILER_BODY)), max_size=8))
def test_trailer_example_any_split(cuts: list[int]) -> None:
    """Splitting the signed-trailer body anywhere still verifies and yields the trailer."""
    payload, trailers = _decode("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", TRAILER_CTX,
                                TRAILER_BODY, cuts)
    assert len(payload) == 66560 and trailers["x-amz-checksum-crc32c"] == "sOO8/Q=="


@pytest.mark.parametrize("offset", [100, 65800, len(DOC_BODY) - 100])
def test_one_flipped_payload_byte_rejected(offset: int) -> None:
    """A changed payload byte in any chunk gives SignatureDoesNotMatch."""
    body = bytearray(DOC_BODY)
    body[offset] = ord("b")
    with pytest.raises(AuthError) as e:
        _decode(SIGNED, CTX, bytes(body), [])
    assert e.value.code == "SignatureDoesNotMatch"


def test_reordered_chunk_signature_rejected() -> None:
    """A wrong chunk signature (here the final one changed) is rejected."""
    body = DOC_BODY.replace(b"b6c6ea8a", b"b6c6ea8b")
    with pytest.raises(AuthError) as e:
        _decode(SIGNED, CTX, body, [])
    assert e.value.code == "SignatureDoesNotMatch"


@pytest.mark.parametrize("length", [0, 10, 90, 65536, len(DOC_BODY) - 2])
def test_truncated_body(length: int) -> None:
    """A body cut short fails at finish() with IncompleteBody."""
    with pytest.raises(AuthError) as e:
        _decode(SIGNED, CTX, DOC_BODY[:length], [])
    assert e.value.code == "IncompleteBody"


def test_decoded_length_mismatch() -> None:
    """A payload longer or shorter than x-amz-decoded-content-length is IncompleteBody."""
    for expected in (66559, 66561):
        with pytest.raises(AuthError) as e:
            _decode(SIGNED, CTX, DOC_BODY, [], expected)
        assert e.value.code == "IncompleteBody"


def test_bad_framing() -> None:
    """Garbage sizes, missing CRLFs and data after the end are refused."""
    for body in (b"zz\r\n", b"5\r\nhelloXX0\r\n\r\n", b"0\r\n\r\nextra", b"-1\r\n"):
        with pytest.raises(AuthError) as e:
            _decode("STREAMING-UNSIGNED-PAYLOAD-TRAILER", None, body, [])
        assert e.value.code == "InvalidRequest"


def test_small_signed_chunk_refused() -> None:
    """A signed chunk under 8 KiB that is not the last one gives InvalidChunkSizeError."""
    decoder = ChunkedDecoder(SIGNED, CTX)
    with pytest.raises(AuthError) as e:
        decoder.feed(b"10;chunk-signature=" + b"0" * 64 + b"\r\n" + b"a" * 16 + b"\r\n"
                     + b"10;chunk-signature=" + b"0" * 64 + b"\r\n")
    assert e.value.code in ("InvalidChunkSizeError", "SignatureDoesNotMatch")


def test_unsigned_trailer_body() -> None:
    """The botocore unsigned-trailer framing yields the payload and the checksum trailer."""
    body = b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n"
    for cut in range(len(body) + 1):
        payload, trailers = _decode("STREAMING-UNSIGNED-PAYLOAD-TRAILER", None, body, [cut], 11)
        assert payload == b"hello world"
        assert trailers == {"x-amz-checksum-crc32": "DUoRhQ=="}


def test_decoded_content_length_header() -> None:
    """x-amz-decoded-content-length must be a non-negative integer."""
    assert decoded_content_length("66560") == 66560
    assert decoded_content_length(None) is None
    with pytest.raises(AuthError) as e:
        decoded_content_length("-1")
    assert e.value.code == "InvalidArgument"
