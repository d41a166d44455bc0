"""
Bucket operations as S3 users meet them: creation rules, ownership,
deletion and listing.
"""

from __future__ import annotations

import pytest

from cartridge_d.objectstore import ObjectStore, errors
from cartridge_d.objectstore.validation import check_bucket_name
from cartridge_d.testing.deferreds import failure_of, result_of


@pytest.mark.parametrize(
    "name",
    ["abc", "a" * 63, "my.bucket-1", "1bucket", "192.168.5.4x"],
)
def test_valid_bucket_names(name: str) -> None:
    """
    Names of 3-63 lower-case letters, digits, dots and hyphens with
    alphanumeric ends are accepted.
    """
    check_bucket_name(name)


@pytest.mark.parametrize(
    "name",
    ["ab", "a" * 64, "Abc", "-abc", "abc-", "a..b", "192.168.5.4", "xn--abc",
     "abc-s3alias", "abc--ol-s3", "a_b", "a b", "sthree-x", "ab.mrap", ""],
)
def test_invalid_bucket_names(name: str, store: ObjectStore) -> None:
    """
    Every naming rule violation is InvalidBucketName, naming the bucket.
    """
    error = failure_of(store.create_bucket(name, "alice"), errors.InvalidBucketName)
    assert ("BucketName", name) in error.extra


def test_create_head_list(store: ObjectStore) -> None:
    """
    A created bucket can be headed and is listed for its owner only, with
    its creation time.
    """
    created = result_of(store.create_bucket("zeta", "alice"))
    result_of(store.create_bucket("alpha", "alice"))
    result_of(store.create_bucket("bob-bucket", "bob"))
    assert created.created_ns == 1_700_000_000 * 10**9
    assert [b.name for b in result_of(store.list_buckets("alice"))] == ["alpha", "zeta"]
    assert [b.name for b in result_of(store.list_buckets("bob"))] == ["bob-bucket"]
    assert result_of(store.head_bucket("zeta", "alice")).owner == "alice"


def test_recreate_own_bucket_us_east_1(store: ObjectStore) -> None:
    """
    Re-creating one's own bucket in us-east-1 succeeds (S3's legacy rule);
    in another region it is BucketAlreadyOwnedByYou.
    """
    result_of(store.create_bucket("mine", "alice"))
    assert result_of(store.create_bucket("mine", "alice")).owner == "alice"
    result_of(store.create_bucket("eu-bucket", "alice", "eu-west-1"))
    failure_of(store.create_bucket("eu-bucket", "alice", "eu-west-1"), errors.BucketAlreadyOwnedByYou)


def test_create_other_owners_bucket(store: ObjectStore) -> None:
    """
    A name taken by another user is BucketAlreadyExists.
    """
    result_of(store.create_bucket("taken", "alice"))
    failure_of(store.create_bucket("taken", "bob"), errors.BucketAlreadyExists)


def test_location(store: ObjectStore) -> None:
    """
    A bucket remembers its LocationConstraint; without one it gets the
    server's region.
    """
    assert result_of(store.create_bucket("eu-bucket", "alice", "eu-west-1")).region == "eu-west-1"
    result_of(store.create_bucket("us-bucket", "alice"))
    assert result_of(store.head_bucket("us-bucket", "alice")).region == "us-east-1"


def test_other_users_get_access_denied(store: ObjectStore) -> None:
    """
    Another user can neither head nor delete a bucket, nor put into it.
    """
    result_of(store.create_bucket("private", "alice"))
    failure_of(store.head_bucket("private", "bob"), errors.AccessDenied)
    failure_of(store.delete_bucket("private", "bob"), errors.AccessDenied)
    failure_of(store.begin_put("private", "k", "bob"), errors.AccessDenied)


def test_delete_bucket(store: ObjectStore) -> None:
    """
    A non-empty bucket cannot be deleted; once empty it can, and then it is
    NoSuchBucket.
    """
    result_of(store.create_bucket("bkt", "alice"))
    session = result_of(store.begin_put("bkt", "k", "alice"))
    result_of(session.write(b"x"))
    result_of(session.finish())
    failure_of(store.delete_bucket("bkt", "alice"), errors.BucketNotEmpty)
    result_of(store.delete_object("bkt", "k", "alice"))
    result_of(store.delete_bucket("bkt", "alice"))
    failure_of(store.head_bucket("bkt", "alice"), errors.NoSuchBucket)
    failure_of(store.delete_bucket("bkt", "alice"), errors.NoSuchBucket)
