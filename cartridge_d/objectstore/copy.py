"""
CopyObject without copying data: the new record shares the source's
segments, which the engine reference-counts.

test-case-name: tests.objectstore.test_copy
"""

from __future__ import annotations

from dataclasses import replace

from cartridge_d.engine.types import NULL_VERSION, ObjectRecord
from cartridge_d.objectstore import errors
from cartridge_d.objectstore.access import engine_errors, owned_bucket
from cartridge_d.objectstore.conditions import check_conditions
from cartridge_d.objectstore.engine_api import Engine
from cartridge_d.objectstore.model import CopyOptions, CopySource
from cartridge_d.objectstore.objects import find_object
from cartridge_d.objectstore.validation import check_key, check_metadata

_SELF_COPY = (
    "This copy request is illegal because it is trying to copy an object to itself "
    "without changing the object's metadata, storage class, website redirect "
    "location or encryption attributes."
)


def copy_object(
    cart: Engine,
    source: CopySource,
    bucket: str,
    key: str,
    requester: str,
    options: CopyOptions,
    now_ns: int,
) -> tuple[ObjectRecord, ObjectRecord]:
    """
    Copy C{source} to C{bucket}/C{key} (pool thread).

    With the COPY directive the copy keeps the source's stored headers and
    metadata; with REPLACE it takes the request's. Copying an object onto
    itself is allowed only with REPLACE (that is how rclone updates an
    object's mtime).

    @return: the source record and the stored copy.
    """
    check_key(key)
    if options.replace_metadata:
        check_metadata(options.meta)
    with cart.view() as view:
        src_bucket = owned_bucket(view, source.bucket, requester)
        owned_bucket(view, bucket, requester)
        original = find_object(view, src_bucket, source.key, source.version_id)
        check_conditions(original, source.conditions, for_copy=True)
    onto_itself = (source.bucket, source.key) == (bucket, key) and source.version_id in (
        None,
        original.version_id,
    )
    if onto_itself and not options.replace_metadata:
        raise errors.InvalidRequest(_SELF_COPY)
    headers = options.headers if options.replace_metadata else original.headers
    meta = options.meta if options.replace_metadata else original.meta
    record = replace(
        original,
        bucket=bucket,
        key=key,
        mtime_ns=now_ns,
        owner=requester,
        version_id=NULL_VERSION,
        headers=headers,
        meta=meta,
        acl=None,
    )
    with engine_errors(bucket, source.key):
        return original, cart.put_object(record)
