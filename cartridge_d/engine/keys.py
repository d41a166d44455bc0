"""
Catalog keys: how a key is laid out in a page, and the keys of each
entry kind (docs/format.md, "Catalog keys").

Kept apart from the value codecs (codec.py): the tree, the pages and the
views need keys and nothing of the records.
"""

from __future__ import annotations

import struct

from .constants import KIND_BUCKET, KIND_CRCS, KIND_DETACHED, KIND_EXTENT, KIND_OBJECT, MAX_SEQ


#: A catalog key: (kind, a, b, n). Python tuple order is the catalog order.
Key = tuple[int, bytes, bytes, int]

_KEY_HEAD = struct.Struct("<BHHQ")
KEY_HEAD_SIZE = _KEY_HEAD.size


def encode_key(key: Key) -> bytes:
    kind, a, b, n = key
    return _KEY_HEAD.pack(kind, len(a), len(b), n) + a + b


def decode_key(buf: bytes | memoryview, off: int) -> tuple[Key, int]:
    """
    Decode the key at C{off}; return it and the offset after it.
    """
    kind, la, lb, n = _KEY_HEAD.unpack_from(buf, off)
    p = off + KEY_HEAD_SIZE
    a = bytes(buf[p:p + la])
    b = bytes(buf[p + la:p + la + lb])
    return (kind, a, b, n), p + la + lb


def bucket_key(name: str) -> Key:
    return (KIND_BUCKET, name.encode("utf-8"), b"", 0)


def object_key(bucket: str, key: str, seq: int) -> Key:
    return (KIND_OBJECT, bucket.encode("utf-8"), key.encode("utf-8"), MAX_SEQ - seq)


def extent_key(start: int) -> Key:
    return (KIND_EXTENT, b"", b"", start)


def detached_key(start: int) -> Key:
    return (KIND_DETACHED, b"", b"", start)


def crc_key(start: int) -> Key:
    return (KIND_CRCS, b"", b"", start)


def seq_of(key: Key) -> int:
    return MAX_SEQ - key[3]


def version_id_for(seq: int) -> str:
    """
    The S3 VersionId of a version written with sequence number C{seq}: the
    commit's transaction id and the index in it, in hex.
    """
    return "%016x" % seq


def seq_for(version_id: str) -> int | None:
    if len(version_id) != 16:
        return None
    try:
        return int(version_id, 16)
    except ValueError:
        return None
