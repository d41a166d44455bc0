"""
Snapshot export: copy what a view sees into a new cartridge file.

The copy is logical (buckets, then every object version with its version
id and order), so the new file is compact. Bodies are streamed through a
writer, verified on the way out; shared extents become separate copies.

test-case-name: tests.engine.test_engine_space
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING, Callable

from . import btree
from .codec import decode_object
from .constants import KIND_OBJECT
from .keys import seq_of
from .operations import ImportObject
from .types import DataRef
from .view import View, read_segment

if TYPE_CHECKING:
    from .cartridge import Cartridge

_PIECE = 1 << 20
_BATCH = 256


def _copy(src: "Cartridge", view: View, dst: "Cartridge", ref: DataRef) -> DataRef:
    if ref.inline is not None:
        return ref
    w = dst.writer(size_hint=ref.size)
    try:
        for off in range(0, ref.size, _PIECE):
            w.write(read_segment(src._file, src.block_size, ref, off,
                                 min(ref.size, off + _PIECE), view.crcs(ref)))
        return w.finish()
    except BaseException:
        w.abort()
        raise


def export_view(src: "Cartridge", view: View, path: str,
                progress: Callable[[int, int], None] | None = None, total: int = 0) -> None:
    """
    Write everything C{view} sees to a new cartridge at C{path} (which must
    not exist), with the source's block size and fuses. C{progress} is
    called with (object records copied, C{total}) after each batch.
    """
    from .cartridge import Cartridge
    if os.path.exists(path):
        raise FileExistsError(path)
    dst = Cartridge.open(path, create=True, block_size=src.block_size, fuses=src.fuses,
                         max_size=None, _first_txn=view.txn + 1)
    try:
        for b in view.list_buckets():
            dst.put_bucket(b)
        batch: list[object] = []
        done = 0
        for k, v in btree.scan(src._store.load, view._root, (KIND_OBJECT, b"", b"", 0)):
            if k[0] != KIND_OBJECT:
                break
            rec = decode_object(k[1].decode("utf-8"), k[2].decode("utf-8"), src._store.value(v))
            segs = tuple(_copy(src, view, dst, s) for s in rec.segments)
            batch.append(ImportObject(replace(rec, segments=segs), seq_of(k)))
            if len(batch) >= _BATCH:
                dst._submit(batch)  # type: ignore[arg-type]
                done += len(batch)
                batch = []
                if progress is not None:
                    progress(done, total)
        if batch:
            dst._submit(batch)  # type: ignore[arg-type]
        if progress is not None:
            progress(total, total)
    finally:
        dst.close()
