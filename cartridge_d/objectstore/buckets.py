"""
Bucket operations, run in a pool thread: create, delete, head, list,
location.

test-case-name: tests.objectstore.test_buckets
"""

from __future__ import annotations

from cartridge_d.engine import errors as engine
from cartridge_d.engine.types import BucketRecord
from cartridge_d.objectstore import errors
from cartridge_d.objectstore.access import engine_errors, owned_bucket
from cartridge_d.objectstore.validation import check_bucket_name
from cartridge_d.objectstore.engine_api import Engine


def create_bucket(
    cart: Engine, name: str, owner: str, region: str, now_ns: int
) -> BucketRecord:
    """
    Create bucket C{name} for C{owner} in C{region}.

    Re-creating one's own bucket succeeds quietly in us-east-1 (S3's legacy
    behaviour there) and is BucketAlreadyOwnedByYou elsewhere; a bucket of
    another owner is BucketAlreadyExists.
    """
    check_bucket_name(name)
    record = BucketRecord(name=name, owner=owner, created_ns=now_ns, region=region)
    try:
        with engine_errors(name):
            cart.put_bucket(record)
    except engine.BucketExists:
        existing = cart.get_bucket(name)
        if existing is None:  # deleted meanwhile: try once more
            with engine_errors(name):
                cart.put_bucket(record)
            return record
        if existing.owner != owner:
            raise errors.BucketAlreadyExists(extra=(("BucketName", name),)) from None
        if existing.region == "us-east-1" and region == "us-east-1":
            return existing
        raise errors.BucketAlreadyOwnedByYou(extra=(("BucketName", name),)) from None
    return record


def delete_bucket(cart: Engine, name: str, requester: str) -> None:
    """
    Delete an empty bucket the requester owns.
    """
    owned_bucket(cart, name, requester)
    with engine_errors(name):
        cart.delete_bucket(name)


def head_bucket(cart: Engine, name: str, requester: str) -> BucketRecord:
    """
    The bucket record, if the requester owns it.
    """
    return owned_bucket(cart, name, requester)


def list_buckets(cart: Engine, owner: str) -> list[BucketRecord]:
    """
    The buckets C{owner} owns, by name.
    """
    return [b for b in cart.list_buckets() if b.owner == owner]
