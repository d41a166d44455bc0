"""
The part of the engine API (docs/internals.md, "engine") the object store
uses, as typing Protocols: both L{cartridge_d.engine.Cartridge} and
L{cartridge_d.testing.memory.MemoryCartridge} provide it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Protocol

from cartridge_d.engine.types import BucketRecord, DataRef, Fuses, ObjectRecord, Op


class Writer(Protocol):
    """
    A body being written into fresh blocks (pool threads only).
    """

    def write(self, data: bytes) -> None: ...

    def finish(self) -> DataRef: ...

    def abort(self) -> None: ...


class View(Protocol):
    """
    A read-only view pinning one committed state.
    """

    def get_bucket(self, name: str) -> BucketRecord | None: ...

    def get_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> ObjectRecord | None: ...

    def list_objects(
        self, bucket: str, *, prefix: str = "", start_after: str = "", versions: bool = False
    ) -> Iterator[ObjectRecord]: ...

    def read(self, rec: ObjectRecord, offset: int, length: int) -> bytes: ...


class Engine(Protocol):
    """
    A cartridge.

    @ivar fuses: the behaviour switches fixed when it was created.
    """

    fuses: Fuses

    def put_bucket(self, rec: BucketRecord, *, replace: bool = False) -> None: ...

    def delete_bucket(self, name: str) -> None: ...

    def get_bucket(self, name: str) -> BucketRecord | None: ...

    def list_buckets(self) -> list[BucketRecord]: ...

    def writer(self, size_hint: int | None = None) -> Writer: ...

    def put_object(
        self, rec: ObjectRecord, *, if_none_match: bool = False, if_match_etag: str | None = None
    ) -> ObjectRecord: ...

    def delete_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> ObjectRecord | None: ...

    def commit(self, ops: list[Op]) -> None: ...

    def view(self) -> AbstractContextManager[View]: ...

    def keep_detached(self, ref: DataRef, owner_tag: bytes) -> None: ...

    def release_detached(self, ref: DataRef) -> None: ...

    def list_detached(self) -> list[tuple[bytes, DataRef]]: ...
