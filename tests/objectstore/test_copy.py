"""
CopyObject as rclone, s3cmd and aws-cli use it: COPY and REPLACE
directives, copying onto itself, copy-source conditions.
"""

from __future__ import annotations

import pytest

from cartridge_d.objectstore import ObjectStore, errors
from cartridge_d.objectstore.conditions import Conditions
from cartridge_d.objectstore.model import CopyOptions, CopySource, ObjectQuery, PutOptions
from cartridge_d.testing.deferreds import failure_of, result_of

BUCKET = "bkt"
META = PutOptions(headers=(("Content-Type", "text/plain"),), meta=(("mtime", "1.5"),))


@pytest.fixture
def source(store: ObjectStore) -> str:
    """
    A bucket with one object "src" holding b"payload".
    """
    result_of(store.create_bucket(BUCKET, "alice"))
    result_of(store.create_bucket("other", "alice"))
    session = result_of(store.begin_put(BUCKET, "src", "alice"))
    result_of(session.write(b"payload"))
    result_of(session.finish(META))
    return "src"


def read(store: ObjectStore, bucket: str, key: str) -> bytes:
    reader = result_of(store.get_object(ObjectQuery(bucket, key, "alice")))
    data = result_of(reader.read(0, reader.length))
    result_of(reader.close())
    return data


def test_copy_keeps_metadata(source: str, store: ObjectStore) -> None:
    """
    A COPY-directive copy has the source's bytes, ETag, headers and
    metadata, in the same or another bucket.
    """
    original, copied = result_of(store.copy_object(CopySource(BUCKET, source), "other", "dst", "alice"))
    assert copied.etag == original.etag
    assert (copied.headers, copied.meta) == (META.headers, META.meta)
    assert read(store, "other", "dst") == b"payload"


def test_copy_replace_metadata(source: str, store: ObjectStore) -> None:
    """
    The REPLACE directive takes headers and metadata from the request.
    """
    options = CopyOptions(True, (("Content-Type", "image/png"),), (("mtime", "2.5"),))
    _, copied = result_of(store.copy_object(CopySource(BUCKET, source), BUCKET, "dst", "alice", options))
    assert copied.meta == (("mtime", "2.5"),)
    assert copied.headers == (("Content-Type", "image/png"),)


def test_copy_onto_itself(source: str, store: ObjectStore) -> None:
    """
    Copying onto itself is InvalidRequest with COPY and allowed with
    REPLACE (rclone's mtime update), keeping the bytes.
    """
    failure_of(store.copy_object(CopySource(BUCKET, source), BUCKET, source, "alice"), errors.InvalidRequest)
    options = CopyOptions(True, (), (("mtime", "9.0"),))
    result_of(store.copy_object(CopySource(BUCKET, source), BUCKET, source, "alice", options))
    record, _ = result_of(store.head_object(ObjectQuery(BUCKET, source, "alice")))
    assert record.meta == (("mtime", "9.0"),)
    assert read(store, BUCKET, source) == b"payload"


def test_copy_survives_source_delete(source: str, store: ObjectStore) -> None:
    """
    The copy shares the source's bytes, yet deleting the source leaves the
    copy readable.
    """
    result_of(store.copy_object(CopySource(BUCKET, source), BUCKET, "dst", "alice"))
    result_of(store.delete_object(BUCKET, source, "alice"))
    assert read(store, BUCKET, "dst") == b"payload"


def test_copy_source_conditions(source: str, store: ObjectStore) -> None:
    """
    x-amz-copy-source-if-match failing, and if-none-match matching, are
    both PreconditionFailed (never 304).
    """
    record, _ = result_of(store.head_object(ObjectQuery(BUCKET, source, "alice")))
    bad = CopySource(BUCKET, source, conditions=Conditions(if_match='"nope"'))
    failure_of(store.copy_object(bad, BUCKET, "dst", "alice"), errors.PreconditionFailed)
    same = CopySource(BUCKET, source, conditions=Conditions(if_none_match=record.etag))
    failure_of(store.copy_object(same, BUCKET, "dst", "alice"), errors.PreconditionFailed)
    good = CopySource(BUCKET, source, conditions=Conditions(if_match=record.etag))
    result_of(store.copy_object(good, BUCKET, "dst", "alice"))


def test_copy_missing_source(source: str, store: ObjectStore) -> None:
    """
    A missing source key is NoSuchKey, a missing source bucket NoSuchBucket,
    a source bucket of another user AccessDenied.
    """
    failure_of(store.copy_object(CopySource(BUCKET, "nope"), BUCKET, "dst", "alice"), errors.NoSuchKey)
    failure_of(store.copy_object(CopySource("nobucket", "x"), BUCKET, "dst", "alice"), errors.NoSuchBucket)
    result_of(store.create_bucket("bobs", "bob"))
    failure_of(store.copy_object(CopySource(BUCKET, source), "bobs", "dst", "bob"), errors.AccessDenied)
