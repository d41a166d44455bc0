"""
DeleteObjects over HTTP: Content-MD5 or flexible checksum required and
verified, per-key results, Quiet mode.
"""

from __future__ import annotations

import base64
import hashlib
import zlib

from s3_harness import S3Harness


def _body(keys: list[str], quiet: bool = False) -> bytes:
    objects = "".join(f"<Object><Key>{k}</Key></Object>" for k in keys)
    q = "<Quiet>true</Quiet>" if quiet else ""
    return f'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{q}{objects}</Delete>'.encode()


def _md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def _crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def _harness() -> S3Harness:
    h = S3Harness()
    h.mkbucket("bkt")
    for key in ("a", "b", "c"):
        h.put("bkt", key, b"x")
    return h


def test_delete_with_content_md5() -> None:
    """
    With a correct Content-MD5 (s3cmd) the keys are deleted and each is
    listed as Deleted, the missing one too.
    """
    h = _harness()
    body = _body(["a", "b", "missing"])
    reply = h.call("POST", "/bkt?delete", body, headers={"Content-MD5": _md5(body)})
    assert reply.status == 200, reply.body
    for key in ("a", "b", "missing"):
        assert f"<Deleted><Key>{key}</Key>".encode() in reply.body
    assert h.call("HEAD", "/bkt/a").status == 404
    assert h.call("HEAD", "/bkt/c").status == 200


def test_delete_with_only_crc32() -> None:
    """
    botocore >= 1.36 sends only x-amz-checksum-crc32: accepted; Quiet mode
    lists nothing.
    """
    h = _harness()
    body = _body(["c"], quiet=True)
    reply = h.call("POST", "/bkt?delete", body, headers={
        "x-amz-checksum-crc32": _crc32(body), "x-amz-sdk-checksum-algorithm": "CRC32"})
    assert reply.status == 200
    assert b"<Deleted>" not in reply.body
    assert h.call("HEAD", "/bkt/c").status == 404


def test_delete_integrity_errors() -> None:
    """
    No integrity header is MissingContentMD5; a wrong Content-MD5 is
    BadDigest; an unparsable one InvalidDigest; malformed XML
    MalformedXML; nothing is deleted by any of them.
    """
    h = _harness()
    body = _body(["a"])
    assert b"MissingContentMD5" in h.call("POST", "/bkt?delete", body).body
    wrong = h.call("POST", "/bkt?delete", body, headers={"Content-MD5": _md5(b"other")})
    assert wrong.status == 400 and b"BadDigest" in wrong.body
    invalid = h.call("POST", "/bkt?delete", body, headers={"Content-MD5": "!!"})
    assert invalid.status == 400 and b"InvalidDigest" in invalid.body
    junk = b"<Delete><Object>"
    malformed = h.call("POST", "/bkt?delete", junk, headers={"Content-MD5": _md5(junk)})
    assert malformed.status == 400 and b"MalformedXML" in malformed.body
    entity = b'<!DOCTYPE d [<!ENTITY x "a">]><Delete><Object><Key>&x;</Key></Object></Delete>'
    reply = h.call("POST", "/bkt?delete", entity, headers={"Content-MD5": _md5(entity)})
    assert reply.status == 400 and b"MalformedXML" in reply.body
    assert h.call("HEAD", "/bkt/a").status == 200
