"""
The object store and the engine's cache of decoded records
(L{cartridge_d.engine.view.RECORDS}): repeated GETs and HEADs answer the
stored object, an overwrite or delete is seen at once, and a delete lets
the cached entry go.
"""

from __future__ import annotations

from cartridge_d.engine.view import RECORDS
from cartridge_d.objectstore import ObjectStore, errors
from cartridge_d.objectstore.model import ObjectQuery
from cartridge_d.testing.deferreds import failure_of, result_of
from test_objects import BUCKET, bucket, get, put  # noqa: F401 - bucket is a fixture


def test_repeated_reads_follow_overwrites(bucket: str, store: ObjectStore) -> None:
    """
    GET and HEAD of one key, again and again, answer the body and size
    of whatever was put last.
    """
    for body in (b"one", b"second body", b"3"):
        put(store, "k", body)
        for _ in range(3):
            assert get(store, "k")[1] == body
            record, _range = result_of(store.head_object(ObjectQuery(BUCKET, "k", "alice")))
            assert record.size == len(body)


def test_delete_is_seen_and_forgotten(bucket: str, store: ObjectStore) -> None:
    """
    After DeleteObject or DeleteObjects, a key read before is NoSuchKey,
    and the cache holds no entry for it.
    """
    RECORDS.clear()  # the process-wide cache: nothing left from other tests
    for key in ("a", "b", "c"):
        put(store, key, b"v" + key.encode())
        assert get(store, key)[1] == b"v" + key.encode()
    result_of(store.delete_object(BUCKET, "a", "alice"))
    result_of(store.delete_objects(BUCKET, "alice", [("b", None), ("c", None)]))
    for key in ("a", "b", "c"):
        failure_of(store.get_object(ObjectQuery(BUCKET, key, "alice")), errors.NoSuchKey)
        assert (BUCKET, key) not in RECORDS
