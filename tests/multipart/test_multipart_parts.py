"""
Part checksums and the object's combined checksum, UploadPartCopy with
ranges and conditions, and parts recorded from many threads at once while
Complete runs.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import zlib

import pytest

from mp_harness import MIB, MultipartHarness, complete_xml, crc32_b64, md5_etag, tag

from cartridge_d.journal import NoSuchUpload
from cartridge_d.objectstore import errors
from cartridge_d.objectstore.model import PartSpec
from cartridge_d.objectstore.parts import store_part
from cartridge_d.objectstore.uploads import complete_upload

P1 = os.urandom(5 * MIB)
P2 = os.urandom(1000)



def _crc_xml(value: str) -> str:
    return f"<ChecksumCRC32>{value}</ChecksumCRC32>"


def test_composite_crc32(h: MultipartHarness) -> None:
    """
    An upload created with CRC32 stores each part's CRC32 (verified when
    sent, computed when not), lists them, and Complete answers S3's
    COMPOSITE checksum: the CRC32 of the binary part CRCs, then "-N".
    """
    upload_id = h.create("bkt", "obj", {"x-amz-checksum-algorithm": "CRC32"})
    sent = h.part("bkt", "obj", upload_id, 1, P1, {"x-amz-checksum-crc32": crc32_b64(P1)})
    assert sent.header("x-amz-checksum-crc32") == crc32_b64(P1)
    computed = h.part("bkt", "obj", upload_id, 2, P2)
    assert computed.header("x-amz-checksum-crc32") == crc32_b64(P2)
    listing = h.call("GET", f"/bkt/obj?uploadId={upload_id}")
    assert tag(listing.body, "ChecksumCRC32") == [crc32_b64(P1), crc32_b64(P2)]
    assert tag(listing.body, "ChecksumAlgorithm") == ["CRC32"]
    body = complete_xml([(1, md5_etag(P1)), (2, md5_etag(P2))],
                        {1: _crc_xml(crc32_b64(P1)), 2: _crc_xml(crc32_b64(P2))})
    reply = h.complete("bkt", "obj", upload_id, body)
    assert reply.status == 200, reply.body
    raw = base64.b64decode(crc32_b64(P1)) + base64.b64decode(crc32_b64(P2))
    assert tag(reply.body, "ChecksumCRC32") == [crc32_b64(raw) + "-2"]


def test_full_object_crc32_is_the_crc_of_the_whole_body(h: MultipartHarness) -> None:
    """
    With x-amz-checksum-type FULL_OBJECT the object's CRC32 is the CRC32 of
    all its bytes (combined from the parts' CRCs, no byte re-read), and a
    GET with checksum mode echoes it.
    """
    headers = {"x-amz-checksum-algorithm": "CRC32", "x-amz-checksum-type": "FULL_OBJECT"}
    upload_id = h.create("bkt", "obj", headers)
    for n, body in ((1, P1), (2, P2)):
        assert h.part("bkt", "obj", upload_id, n, body).status == 200
    reply = h.complete_parts("bkt", "obj", upload_id, [P1, P2])
    whole = base64.b64encode(zlib.crc32(P1 + P2).to_bytes(4, "big")).decode()
    assert tag(reply.body, "ChecksumCRC32") == [whole]
    got = h.call("GET", "/bkt/obj", headers={"x-amz-checksum-mode": "ENABLED"})
    assert got.header("x-amz-checksum-crc32") == whole


def test_checksum_mismatches(h: MultipartHarness) -> None:
    """
    A part checksum of another algorithm than the upload's is refused; a
    Complete listing a wrong part checksum is InvalidPart; the upload then
    completes.
    """
    upload_id = h.create("bkt", "obj", {"x-amz-checksum-algorithm": "CRC32"})
    other = h.part("bkt", "obj", upload_id, 1, P2, {"x-amz-checksum-sha1": "AAAAAAAAAAAAAAAAAAAAAAAAAAA="})
    assert other.status == 400, other.body
    assert h.part("bkt", "obj", upload_id, 1, P2).status == 200
    bad = complete_xml([(1, md5_etag(P2))], {1: _crc_xml(crc32_b64(b"other"))})
    assert tag(h.complete("bkt", "obj", upload_id, bad).body, "Code") == ["InvalidPart"]
    assert h.complete_parts("bkt", "obj", upload_id, [P2]).status == 200
    h.assert_no_leak()


def test_upload_part_copy_with_range_and_conditions(h: MultipartHarness) -> None:
    """
    UploadPartCopy takes a source object, whole or a byte range; a failed
    copy-source-if-match is 412, a malformed or too large range
    InvalidArgument; the copied parts complete into the right bytes.
    """
    source = os.urandom(6 * MIB)
    assert h.put("bkt", "src", source).status == 200
    upload_id = h.create("bkt", "obj")
    path = f"/bkt/obj?partNumber=1&uploadId={upload_id}"

    def copy(headers: dict[str, str]) -> object:
        return h.call("PUT", path.replace("partNumber=1", f"partNumber={headers.pop('n', '1')}"),
                      headers={"x-amz-copy-source": "/bkt/src", **headers})

    failed = copy({"x-amz-copy-source-if-match": '"0123"'})
    assert getattr(failed, "status") == 412
    for bad in ("0-10", f"bytes=0-{6 * MIB}", "bytes=9-3"):
        reply = copy({"x-amz-copy-source-range": bad})
        assert tag(getattr(reply, "body"), "Code") == ["InvalidArgument"], bad
    whole = copy({"x-amz-copy-source-if-match": md5_etag(source)})
    assert getattr(whole, "status") == 200
    assert tag(getattr(whole, "body"), "ETag") == [md5_etag(source)]
    ranged = copy({"n": "2", "x-amz-copy-source-range": "bytes=10-109"})
    assert tag(getattr(ranged, "body"), "ETag") == [md5_etag(source[10:110])]
    reply = h.complete_parts("bkt", "obj", upload_id, [source, source[10:110]])
    assert reply.status == 200, reply.body
    assert h.call("GET", "/bkt/obj").body == source + source[10:110]
    h.assert_no_leak()


def test_parallel_parts(h: MultipartHarness) -> None:
    """
    Fourteen threads record parts of one upload at once, two of them
    replacing parts: every part number is listed once, with the data of
    exactly the live parts held.
    """
    mp = h.store._mp
    assert mp is not None
    upload_id = h.create("bkt", "obj")
    jobs = [(n, os.urandom(4096 + n)) for n in range(1, 13)] + [(2, b"again" * 999), (3, b"x" * 5000)]

    def upload(n: int, body: bytes) -> None:
        writer = h.cart.writer(len(body))
        writer.write(body)
        store_part(mp, upload_id, n, writer.finish(), (), 0)

    threads = [threading.Thread(target=upload, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [n for n, _ in h.journal.parts(upload_id).parts] == list(range(1, 13))
    h.assert_no_leak()


def test_parts_racing_a_complete(h: MultipartHarness) -> None:
    """
    Parts recorded from ten threads while a Complete of part 1 runs in
    another: each either lands before the Complete (and is freed by it, not
    being listed) or finds the upload gone and gives its data back. The
    object is part 1, and no block is left held.
    """
    mp = h.store._mp
    assert mp is not None
    upload_id = h.create("bkt", "obj")
    first = b"first part" * 1000
    assert h.part("bkt", "obj", upload_id, 1, first).status == 200
    outcomes: list[str] = []

    def upload(n: int) -> None:
        writer = h.cart.writer(8192)
        writer.write(os.urandom(8192))
        try:
            store_part(mp, upload_id, n, writer.finish(), (), 0)
            outcomes.append("stored")
        except errors.NoSuchUpload:
            outcomes.append("too late")

    def complete() -> None:
        complete_upload(mp, "bkt", "obj", upload_id, h.cart.get_bucket("bkt").owner,  # type: ignore[union-attr]
                        [PartSpec(1, hashlib.md5(first).hexdigest())], 1)

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(2, 12)]
    threads.insert(5, threading.Thread(target=complete))
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(outcomes) == 10
    assert h.call("GET", "/bkt/obj").body == first
    with pytest.raises(NoSuchUpload):
        h.journal.parts(upload_id)
    assert h.detached() == set()
