"""
The operations a commit applies, as values: what a request asks of the
catalog, before any of it is applied (L{cartridge_d.engine.txn.Txn.apply}
gives each its meaning).

Kept apart from the transaction so that the commit queue can prepare them
in the submitting threads (L{prepare}) without the catalog logic.

test-case-name: tests.engine.test_commit_pipeline
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, Union

from .codec import encode_object
from .types import BucketRecord, DataRef, DeleteObject, ObjectRecord, PutObject


@dataclass(frozen=True)
class PutBucket:
    rec: BucketRecord
    replace: bool = False


@dataclass(frozen=True)
class DeleteBucket:
    name: str


@dataclass(frozen=True)
class KeepDetached:
    ref: DataRef
    owner_tag: bytes


@dataclass(frozen=True)
class ReleaseDetached:
    ref: DataRef


@dataclass(frozen=True)
class CreateSnapshot:
    name: str
    created_ns: int


@dataclass(frozen=True)
class DropSnapshot:
    name: str


@dataclass(frozen=True)
class ImportObject:
    """
    Store C{rec} at version sequence C{seq} as is (snapshot export).
    """

    rec: ObjectRecord
    seq: int


@dataclass(frozen=True)
class Touch:
    """
    Commit even though no catalog entry changes (vacuum's new size).
    """


@dataclass(frozen=True)
class PreparedPut:
    """
    A L{PutObject} whose record the submitting thread has already encoded
    (L{prepare}). The group-commit leader applies every request of a batch
    one after the other while the other threads wait for the GIL, so work
    moved to the submitting threads, which run while the leader waits for
    its syncs, shortens every batch. C{encoded} is used only if the record
    goes in unchanged (not given a version id by a versioned bucket).
    """

    op: PutObject
    encoded: bytes


Operation = Union[PutObject, DeleteObject, PutBucket, DeleteBucket, KeepDetached,
                  ReleaseDetached, CreateSnapshot, DropSnapshot, ImportObject, Touch,
                  PreparedPut]


def prepare(ops: Sequence[object]) -> Sequence[object]:
    """
    The operations of one request with what can be computed before the
    commit already computed: each L{PutObject} becomes a L{PreparedPut}.
    A record that fails to encode is left as it is, so that the commit
    raises for it exactly as it would have.
    """
    out: list[object] = []
    for op in ops:
        if type(op) is PutObject:
            try:
                op = PreparedPut(op, encode_object(op.rec))
            except Exception:
                pass
        out.append(op)
    return out
