"""
Start-up reconciliation of the journal with the engine's detached data (docs/journal.md,
"Reconciliation at start-up"): after it, neither refers to something the other lost.

A pure function over plain values, so every case is testable without a cartridge.
"""

from __future__ import annotations

from collections.abc import Iterable

from cartridge_d.engine.types import DataRef, Extent

from .format import PART_TAG_PREFIX
from .model import PartInfo, Reconciliation


def _needs_engine(ref: DataRef) -> bool:
    """
    Whether the engine must hold C{ref} as detached data: small bodies are
    inline, their bytes are in the journal record itself.
    """
    return ref.inline is None and bool(ref.extents)


def reconcile(parts: Iterable[tuple[str, int, PartInfo]],
              detached: Iterable[tuple[bytes, DataRef]]) -> Reconciliation:
    """
    Compare the journal's live C{parts} (upload id, part number, part) with
    the engine's C{detached} list (owner tag, ref).

    Detached data the journal does not own (tag without L{PART_TAG_PREFIX})
    is left alone. A ref matches a part with the same extents. Returned:
    the uploads that lost a part's data (to abort), and every detached ref
    of ours that no part of a surviving upload references (to release).
    """
    held: dict[tuple[Extent, ...], DataRef] = {}
    for tag, ref in detached:
        if tag.startswith(PART_TAG_PREFIX) and _needs_engine(ref):
            held[ref.extents] = ref
    by_upload: dict[str, list[PartInfo]] = {}
    lost: set[str] = set()
    for upload_id, _number, part in parts:
        by_upload.setdefault(upload_id, []).append(part)
        if _needs_engine(part.ref) and part.ref.extents not in held:
            lost.add(upload_id)
    keep = {p.ref.extents for uid, ps in by_upload.items() if uid not in lost for p in ps
            if _needs_engine(p.ref)}
    release = tuple(ref for extents, ref in held.items() if extents not in keep)
    return Reconciliation(release=release, drop=tuple(sorted(lost)))
