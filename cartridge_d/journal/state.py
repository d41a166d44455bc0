"""
The upload state machine: what replaying the journal rebuilds, and what the live journal
keeps in memory (docs/journal.md, "Replay", step 4).

It is pure: records in, state out, no I/O. Replay, the running journal and the tests all
drive the same L{UploadState.apply}, so memory and file cannot disagree about what a record
means.

Thread contract: not thread-safe; L{cartridge_d.journal.journal.Journal} holds its lock
around every call.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator

from .model import PartInfo, PartListing, Upload, UploadInfo, UploadListing
from .records import PartStored, Record, UploadCreated

#: Sorts after every upload id (they are lowercase base32hex).
_AFTER_ALL_IDS = "~"


class _Live:
    """
    One in-progress upload, with the frame sizes compaction would write for it.

    @ivar pairs: (part number, part) by part number, made when the part
        is stored: an L{Upload} snapshot holds these very pairs, so a
        Complete of many parts does not make a pair a part (objects the
        collector would count against that request).
    @ivar snapshot: its L{Upload} as last built, until a part is stored:
        a Complete asks for it twice (to check the parts, then to end the
        upload).
    """

    __slots__ = ("info", "parts", "pairs", "sizes", "create_size", "snapshot")

    def __init__(self, info: UploadInfo, create_size: int) -> None:
        self.info = info
        self.parts: dict[int, PartInfo] = {}
        self.pairs: dict[int, tuple[int, PartInfo]] = {}
        self.sizes: dict[int, int] = {}
        self.create_size = create_size
        self.snapshot: Upload | None = None

    def live_bytes(self) -> int:
        return self.create_size + sum(self.sizes.values())


def _order_key(info: UploadInfo) -> tuple[str, bytes, str]:
    return (info.bucket, info.key.encode("utf-8", "surrogateescape"), info.upload_id)


class UploadState:
    """
    Every in-progress upload by id, and their ListMultipartUploads order
    (bucket, key by UTF-8 bytes, upload id, which is creation order).

    @ivar live_bytes: the size of a journal holding only this state.
    """

    def __init__(self) -> None:
        self._uploads: dict[str, _Live] = {}
        self._order: list[tuple[str, bytes, str]] = []
        self.live_bytes = 0

    def __len__(self) -> int:
        return len(self._uploads)

    def __contains__(self, upload_id: object) -> bool:
        return upload_id in self._uploads

    def apply(self, record: Record, size: int) -> str | None:
        """
        Apply one record whose frame is C{size} bytes. Returns why the
        record was skipped, or None when it was applied.
        """
        if isinstance(record, UploadCreated):
            uid = record.info.upload_id
            if uid in self._uploads:
                return "upload %s created twice" % uid
            self._uploads[uid] = _Live(record.info, size)
            bisect.insort(self._order, _order_key(record.info))
            self.live_bytes += size
            return None
        live = self._uploads.get(record.upload_id)
        if live is None:
            return "record for unknown upload %s" % record.upload_id
        if isinstance(record, PartStored):
            self.live_bytes += size - live.sizes.get(record.part_number, 0)
            live.parts[record.part_number] = record.part
            live.pairs[record.part_number] = (record.part_number, record.part)
            live.sizes[record.part_number] = size
            live.snapshot = None
            return None
        del self._uploads[record.upload_id]
        self._order.remove(_order_key(live.info))
        self.live_bytes -= live.live_bytes()
        return None

    def get(self, upload_id: str) -> Upload | None:
        """
        A snapshot of one upload, or None: the same object until one of
        its parts is stored.
        """
        live = self._uploads.get(upload_id)
        if live is None:
            return None
        if live.snapshot is None:
            pairs = live.pairs
            live.snapshot = Upload(live.info, tuple(pairs[n] for n in sorted(pairs)))
        return live.snapshot

    def part(self, upload_id: str, part_number: int) -> PartInfo | None:
        """
        One part of one upload, or None.
        """
        live = self._uploads.get(upload_id)
        return None if live is None else live.parts.get(part_number)

    def parts(self, upload_id: str, marker: int = 0, max_parts: int = 1000) -> PartListing | None:
        """
        The parts numbered above C{marker}, at most C{max_parts}, in number
        order (ListParts); None for an unknown upload.
        """
        live = self._uploads.get(upload_id)
        if live is None:
            return None
        numbers = sorted(n for n in live.parts if n > marker)
        page = numbers[:max(max_parts, 0)]
        truncated = len(numbers) > len(page)
        return PartListing(tuple((n, live.parts[n]) for n in page), truncated,
                           page[-1] if page else 0)

    def list_uploads(self, bucket: str, prefix: str = "", key_marker: str = "",
                     upload_id_marker: str = "", max_uploads: int = 1000,
                     delimiter: str = "") -> UploadListing:
        """
        One page of ListMultipartUploads with S3's marker semantics: with
        only C{key_marker}, keys after it; with C{upload_id_marker} too,
        also the uploads of C{key_marker} whose ids follow it (ignored
        without C{key_marker}). With C{delimiter}, keys that contain it
        after C{prefix} roll up into common prefixes, each counted once.
        """
        uploads: list[UploadInfo] = []
        prefixes: list[str] = []
        last = ("", "")
        for info in self._iter(bucket, prefix, key_marker, upload_id_marker):
            cut = info.key.find(delimiter, len(prefix)) if delimiter else -1
            if cut >= 0:
                common = info.key[:cut + len(delimiter)]
                if prefixes and prefixes[-1] == common or common == key_marker:
                    continue
            if len(uploads) + len(prefixes) >= max_uploads:
                return UploadListing(tuple(uploads), tuple(prefixes), True, *last)
            if cut >= 0:
                prefixes.append(common)
                last = (common, "")
            else:
                uploads.append(info)
                last = (info.key, info.upload_id)
        return UploadListing(tuple(uploads), tuple(prefixes))

    def _iter(self, bucket: str, prefix: str, key_marker: str,
              upload_id_marker: str) -> Iterator[UploadInfo]:
        raw_prefix = prefix.encode("utf-8", "surrogateescape")
        start = (bucket, raw_prefix, "")
        if key_marker:
            after = upload_id_marker or _AFTER_ALL_IDS
            start = max(start, (bucket, key_marker.encode("utf-8", "surrogateescape"), after))
        for entry in self._order[bisect.bisect_right(self._order, start):]:
            if entry[0] != bucket or not entry[1].startswith(raw_prefix):
                return
            yield self._uploads[entry[2]].info

    def expired(self, older_than_ns: int) -> list[str]:
        """
        The ids of uploads created before C{older_than_ns}, oldest first.
        """
        old = [u.info for u in self._uploads.values() if u.info.created_ns < older_than_ns]
        return [i.upload_id for i in sorted(old, key=lambda i: (i.created_ns, i.upload_id))]

    def ids(self) -> list[str]:
        """
        Every upload id, in listing order.
        """
        return [entry[2] for entry in self._order]

    def records(self) -> Iterator[Record]:
        """
        The live state as records: what compaction writes.
        """
        for uid in self.ids():
            live = self._uploads[uid]
            yield UploadCreated(live.info)
            for n in sorted(live.parts):
                yield PartStored(uid, n, live.parts[n])

    def held(self) -> Iterator[tuple[str, int, PartInfo]]:
        """
        Every live part: (upload id, part number, part).
        """
        for uid, live in self._uploads.items():
            for n, part in live.parts.items():
                yield uid, n, part
