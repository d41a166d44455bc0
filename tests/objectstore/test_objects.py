"""
Objects as S3 users meet them: streaming PUT with its checks, GET and
HEAD with conditions and ranges, deletes.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from twisted.internet.task import Clock
from twisted.python.failure import Failure

from cartridge_d.engine.types import ObjectRecord
from cartridge_d.objectstore import ObjectStore, errors
from cartridge_d.checksums import checksum
from cartridge_d.objectstore.conditions import Conditions, http_date
from cartridge_d.objectstore.model import ObjectQuery, PutOptions
from cartridge_d.testing.deferreds import failure_of, result_of

BUCKET = "bkt"


@pytest.fixture
def bucket(store: ObjectStore) -> str:
    """
    A bucket owned by alice.
    """
    result_of(store.create_bucket(BUCKET, "alice"))
    return BUCKET


def put(store: ObjectStore, key: str, *chunks: bytes, options: PutOptions = PutOptions(),
        algorithms: tuple[str, ...] = ()) -> ObjectRecord:
    """
    PUT C{chunks} as one body and return the stored record.
    """
    session = result_of(store.begin_put(BUCKET, key, "alice", sum(map(len, chunks)), algorithms))
    for chunk in chunks:
        result_of(session.write(chunk))
    return result_of(session.finish(options))


def get(store: ObjectStore, key: str, **kw: object) -> tuple[ObjectRecord, bytes]:
    """
    GET C{key}: its record and the bytes of the range served.
    """
    reader = result_of(store.get_object(ObjectQuery(BUCKET, key, "alice", **kw)))  # type: ignore[arg-type]
    data = result_of(reader.read(reader.first, reader.length))
    result_of(reader.close())
    return reader.record, data


def test_put_get_round_trip(bucket: str, store: ObjectStore) -> None:
    """
    A body written in chunks comes back byte for byte, with the MD5 hex
    ETag, its stored headers and metadata exactly as given.
    """
    options = PutOptions(
        headers=(("Content-Type", "text/plain"), ("Cache-Control", "no-cache")),
        meta=(("mtime", "1700000000.123456789"), ("s3cmd-attrs", "uid:0/gid:0")),
    )
    stored = put(store, "dir/a b+c", b"hello ", b"world", options=options)
    assert stored.etag == hashlib.md5(b"hello world").hexdigest()
    record, data = get(store, "dir/a b+c")
    assert data == b"hello world"
    assert record.etag == stored.etag
    assert record.meta == options.meta
    assert record.headers == options.headers
    assert record.size == 11
    assert record.owner == "alice"


def test_overwrite_replaces(bucket: str, store: ObjectStore) -> None:
    """
    A second PUT to the same key replaces the object.
    """
    put(store, "k", b"one")
    put(store, "k", b"two!")
    assert get(store, "k")[1] == b"two!"


def test_content_md5(bucket: str, store: ObjectStore) -> None:
    """
    A matching Content-MD5 is accepted; a wrong one is BadDigest and
    nothing is stored; one that is not base64 of 16 bytes is InvalidDigest.
    """
    good = base64.b64encode(hashlib.md5(b"data").digest()).decode()
    put(store, "ok", b"data", options=PutOptions(content_md5=good))
    session = result_of(store.begin_put(BUCKET, "bad", "alice"))
    result_of(session.write(b"datA"))
    failure_of(session.finish(PutOptions(content_md5=good)), errors.BadDigest)
    failure_of(store.head_object(ObjectQuery(BUCKET, "bad", "alice")), errors.NoSuchKey)
    session = result_of(store.begin_put(BUCKET, "bad", "alice"))
    failure_of(session.finish(PutOptions(content_md5="nope")), errors.InvalidDigest)


def test_failed_put_keeps_previous_object(bucket: str, store: ObjectStore) -> None:
    """
    An overwrite that fails its digest leaves the old object in place.
    """
    put(store, "k", b"old")
    session = result_of(store.begin_put(BUCKET, "k", "alice"))
    result_of(session.write(b"new"))
    failure_of(session.finish(PutOptions(content_md5=base64.b64encode(b"x" * 16).decode())), errors.BadDigest)
    assert get(store, "k")[1] == b"old"


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"])
def test_checksums(bucket: str, store: ObjectStore, algorithm: str) -> None:
    """
    A correct x-amz-checksum-* is stored (and so may be echoed); a wrong
    one is BadDigest.
    """
    value = checksum(algorithm, b"payload")
    stored = put(store, "k", b"payload", options=PutOptions(checksums=((algorithm, value),)),
                 algorithms=(algorithm,))
    assert stored.checksums == ((algorithm, value),)
    session = result_of(store.begin_put(BUCKET, "k2", "alice", None, (algorithm,)))
    result_of(session.write(b"payloaD"))
    failure_of(session.finish(PutOptions(checksums=((algorithm, value),))), errors.BadDigest)


def test_if_none_match_star(bucket: str, store: ObjectStore) -> None:
    """
    PUT with If-None-Match: * succeeds for a new key and is
    PreconditionFailed when the key exists.
    """
    star = PutOptions(conditions=Conditions(if_none_match="*"))
    put(store, "k", b"first", options=star)
    session = result_of(store.begin_put(BUCKET, "k", "alice"))
    result_of(session.write(b"second"))
    failure_of(session.finish(star), errors.PreconditionFailed)
    assert get(store, "k")[1] == b"first"


def test_key_and_metadata_limits(bucket: str, store: ObjectStore) -> None:
    """
    Keys over 1024 bytes of UTF-8 are KeyTooLongError; 1024 bytes are fine.
    Metadata over 2 KB is MetadataTooLarge. A PUT announced over 5 GiB is
    EntityTooLarge.
    """
    failure_of(store.begin_put(BUCKET, "é" * 513, "alice"), errors.KeyTooLong)
    put(store, "é" * 512, b"x")
    session = result_of(store.begin_put(BUCKET, "m", "alice"))
    failure_of(session.finish(PutOptions(meta=(("big", "v" * 2046),))), errors.MetadataTooLarge)
    put(store, "m", b"", options=PutOptions(meta=(("big", "v" * 2045),)))
    failure_of(store.begin_put(BUCKET, "huge", "alice", 5 * 1024**3 + 1), errors.EntityTooLarge)


def test_put_missing_bucket(store: ObjectStore) -> None:
    """
    PUT into a bucket that does not exist is NoSuchBucket.
    """
    failure_of(store.begin_put("nobucket", "k", "alice"), errors.NoSuchBucket)


def test_abort_stores_nothing(bucket: str, store: ObjectStore) -> None:
    """
    An aborted PUT leaves no object.
    """
    session = result_of(store.begin_put(BUCKET, "k", "alice"))
    result_of(session.write(b"partial"))
    result_of(session.abort())
    failure_of(store.head_object(ObjectQuery(BUCKET, "k", "alice")), errors.NoSuchKey)


@pytest.mark.parametrize(
    "header, expected",
    [
        ("bytes=0-3", b"0123"),
        ("bytes=5-", b"56789"),
        ("bytes=-3", b"789"),
        ("bytes=-30", b"0123456789"),
        ("bytes=8-100", b"89"),
        ("bytes=3-1", b"0123456789"),
        ("bytes=0-1,3-4", b"0123456789"),
        ("items=0-1", b"0123456789"),
    ],
)
def test_ranges(bucket: str, store: ObjectStore, header: str, expected: bytes) -> None:
    """
    Single, open and suffix ranges select their bytes; ranges that do not
    parse are ignored and the whole object is served.
    """
    put(store, "k", b"0123456789")
    assert get(store, "k", range_header=header)[1] == expected


def test_unsatisfiable_range(bucket: str, store: ObjectStore) -> None:
    """
    A range starting past the end is InvalidRange with the object size.
    """
    put(store, "k", b"0123456789")
    error = failure_of(store.get_object(ObjectQuery(BUCKET, "k", "alice", range_header="bytes=10-")), errors.InvalidRange)
    assert ("ActualObjectSize", "10") in error.extra


def test_conditional_get(bucket: str, store: ObjectStore, clock: Clock) -> None:
    """
    If-Match and If-Unmodified-Since failures are 412; If-None-Match and
    If-Modified-Since hits are 304, with S3's precedence between them.
    """
    record = put(store, "k", b"v")
    etag = f'"{record.etag}"'
    before, at, after = (http_date((1_700_000_000 + d) * 10**9) for d in (-10, 0, 10))

    def check(conditions: Conditions) -> type[BaseException] | None:
        outcome: list[object] = []
        store.head_object(ObjectQuery(BUCKET, "k", "alice", conditions=conditions)).addBoth(outcome.append)
        error = outcome[0].value if isinstance(outcome[0], Failure) else None
        return None if error is None else type(error)

    assert check(Conditions(if_match=etag)) is None
    assert check(Conditions(if_match='"other"')) is errors.PreconditionFailed
    assert check(Conditions(if_match="*")) is None
    assert check(Conditions(if_unmodified_since=before)) is errors.PreconditionFailed
    assert check(Conditions(if_unmodified_since=at)) is None
    # If-Match true wins over a false If-Unmodified-Since
    assert check(Conditions(if_match=etag, if_unmodified_since=before)) is None
    assert check(Conditions(if_none_match=etag)) is errors.NotModified
    assert check(Conditions(if_none_match='"other", ' + etag)) is errors.NotModified
    assert check(Conditions(if_none_match='"other"')) is None
    assert check(Conditions(if_modified_since=after)) is errors.NotModified
    assert check(Conditions(if_modified_since=at)) is errors.NotModified
    assert check(Conditions(if_modified_since=before)) is None
    # If-None-Match false wins over an unchanged If-Modified-Since
    assert check(Conditions(if_none_match='"other"', if_modified_since=after)) is None
    assert check(Conditions(if_modified_since="not a date")) is None


def test_not_modified_carries_etag(bucket: str, store: ObjectStore) -> None:
    """
    The 304 error carries the ETag and Last-Modified headers.
    """
    record = put(store, "k", b"v")
    error = failure_of(
        store.get_object(ObjectQuery(BUCKET, "k", "alice", conditions=Conditions(if_none_match="*"))),
        errors.NotModified,
    )
    assert ("ETag", f'"{record.etag}"') in error.headers
    assert ("Last-Modified", "Tue, 14 Nov 2023 22:13:20 GMT") in error.headers


def test_version_id_null(bucket: str, store: ObjectStore) -> None:
    """
    ?versionId=null reads the object of an unversioned bucket; another
    version id there is InvalidArgument.
    """
    put(store, "k", b"v")
    assert get(store, "k", version_id="null")[1] == b"v"
    failure_of(store.get_object(ObjectQuery(BUCKET, "k", "alice", version_id="3HL4kqtJ")), errors.InvalidArgument)


def test_reader_survives_delete(bucket: str, store: ObjectStore) -> None:
    """
    A GET that started before a delete still reads the whole old body.
    """
    put(store, "k", b"still here")
    reader = result_of(store.get_object(ObjectQuery(BUCKET, "k", "alice")))
    result_of(store.delete_object(BUCKET, "k", "alice"))
    assert result_of(reader.read(0, 10)) == b"still here"
    result_of(reader.close())


def test_delete_missing_and_present(bucket: str, store: ObjectStore) -> None:
    """
    Deleting a missing key succeeds; deleting a present one removes it.
    """
    result_of(store.delete_object(BUCKET, "never", "alice"))
    put(store, "k", b"v")
    result_of(store.delete_object(BUCKET, "k", "alice"))
    failure_of(store.get_object(ObjectQuery(BUCKET, "k", "alice")), errors.NoSuchKey)


def test_delete_objects(bucket: str, store: ObjectStore) -> None:
    """
    DeleteObjects removes the listed keys and reports missing keys as
    deleted too, in request order.
    """
    for key in ("a", "b", "c"):
        put(store, key, b"v")
    deleted, failed = result_of(store.delete_objects(BUCKET, "alice", [("a", None), ("zz", None), ("c", None)]))
    assert [d.key for d in deleted] == ["a", "zz", "c"]
    assert failed == []
    failure_of(store.head_object(ObjectQuery(BUCKET, "a", "alice")), errors.NoSuchKey)
    result_of(store.head_object(ObjectQuery(BUCKET, "b", "alice")))


def test_other_user_cannot_read(bucket: str, store: ObjectStore) -> None:
    """
    Objects in alice's bucket are AccessDenied to bob.
    """
    put(store, "k", b"v")
    failure_of(store.get_object(ObjectQuery(BUCKET, "k", "bob")), errors.AccessDenied)
    failure_of(store.delete_object(BUCKET, "k", "bob"), errors.AccessDenied)
    failure_of(store.delete_objects(BUCKET, "bob", [("k", None)]), errors.AccessDenied)
