"""
Over HTTP, on a real cartridge file: a bucket's create, delete and owner
are seen by the very next PUT, GET, HEAD and DELETE, although
those find their bucket in the engine's bucket cache (view.py).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "s3"))

from s3_harness import BOB, S3Harness  # noqa: E402

from cartridge_d.engine import Cartridge  # noqa: E402

@pytest.fixture
def harness(tmp_path: Path) -> Iterator[S3Harness]:
    cart = Cartridge.open(str(tmp_path / "t.cart"), blocks=512)
    yield S3Harness(cartridge=cart)
    cart.close()


def _touch_every_path(h: S3Harness, bucket: str) -> None:
    """Use the bucket on each object path, so that it is remembered."""
    assert h.put(bucket, "k", b"hello").status == 200
    assert h.call("GET", f"/{bucket}/k").status == 200
    assert h.call("HEAD", f"/{bucket}/k").status == 200
    assert h.call("DELETE", f"/{bucket}/k").status == 204


def test_deleted_bucket_is_gone_for_every_object_request(harness: S3Harness) -> None:
    """
    After DeleteBucket's 204, PUT, GET, HEAD and DELETE of an object in
    it answer 404 NoSuchBucket.
    """
    h = harness
    h.mkbucket("bkt")
    _touch_every_path(h, "bkt")
    assert h.call("DELETE", "/bkt").status == 204
    reply = h.put("bkt", "k", b"again")
    assert reply.status == 404 and b"<Code>NoSuchBucket</Code>" in reply.body
    reply = h.call("GET", "/bkt/k")
    assert reply.status == 404 and b"<Code>NoSuchBucket</Code>" in reply.body
    assert h.call("HEAD", "/bkt/k").status == 404
    reply = h.call("DELETE", "/bkt/k")
    assert reply.status == 404 and b"<Code>NoSuchBucket</Code>" in reply.body


def test_created_bucket_takes_objects_at_once(harness: S3Harness) -> None:
    """
    A PUT refused with NoSuchBucket succeeds right after the bucket's
    CreateBucket returns 200, and the object reads back.
    """
    h = harness
    assert h.put("late", "k", b"x").status == 404
    h.mkbucket("late")
    assert h.put("late", "k", b"now").status == 200
    reply = h.call("GET", "/late/k")
    assert reply.status == 200 and reply.body == b"now"


def test_recreated_bucket_has_its_new_owner(harness: S3Harness) -> None:
    """
    When alice's bucket is deleted and bob creates one of the same name,
    alice's next PUT is AccessDenied and bob's succeeds.
    """
    h = harness
    h.mkbucket("shared")
    _touch_every_path(h, "shared")
    assert h.call("DELETE", "/shared").status == 204
    h.mkbucket("shared", user=BOB)
    assert h.put("shared", "k", b"alice").status == 403
    assert h.put("shared", "k", b"bob", user=BOB).status == 200

