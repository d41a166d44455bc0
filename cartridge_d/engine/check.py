"""
The checker: verify every invariant of a cartridge file without changing it
(docs/format.md, "Checking").

It reads both header slots, walks the current catalog and every snapshot's,
verifies each page's checksum, key order, separator bounds and that all
leaves are at one depth, checks reference counts, and accounts for every
block exactly once: header, catalog page, overflow run, free list, snapshot
table, data extent (live, old version, detached), pinned for a snapshot, or
free. With C{data}, it also reads every body and verifies its CRC32Cs and
MD5. Damage becomes a finding, never an exception.

test-case-name: tests.engine.test_engine_files
"""

from __future__ import annotations

import bisect
import hashlib
import struct
from dataclasses import dataclass, field
from typing import Callable

from .blockfile import BlockFile, OsFile
from .codec import (
    decode_bucket,
    decode_crcs,
    decode_detached,
    decode_extent,
    decode_object,
    table_apart,
)
from .constants import (
    FIRST_USABLE_BLOCK,
    HEADER_SIZE,
    KIND_BUCKET,
    KIND_CRCS,
    KIND_DETACHED,
    KIND_EXTENT,
    KIND_OBJECT,
    PAGE_FREELIST,
    PAGE_SNAPSHOTS,
)
from .errors import ChecksumMismatch, CorruptCartridge, NotACartridge, UnsupportedVersion
from .freelist import replay
from .freespace import Pending, pinned
from .header import Header, check_identity, read_slots
from .keys import Key
from .pages import Overflow, fits_inline
from .store import NodeStore
from .snapshots import SnapshotEntry, decode_snapshots
from .types import DataRef
from .view import read_segment


@dataclass(frozen=True)
class Finding:
    """
    One thing the checker found: an C{error} (damage) or a C{note}
    (harmless, such as the older header slot torn by a crash).
    """

    severity: str
    message: str

    def __str__(self) -> str:
        return "%s: %s" % (self.severity, self.message)


@dataclass
class CheckReport:
    """
    The result of L{check}: C{ok} when there is no error finding.
    """

    path: str
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def error(self, message: str) -> None:
        if len(self.errors) < 1000:
            self.findings.append(Finding("error", message))

    def note(self, message: str) -> None:
        self.findings.append(Finding("note", message))

    def __str__(self) -> str:
        lines = ["%s: %s" % (self.path, "clean" if self.ok else "DAMAGED")]
        lines += ["  %s %d" % (k, v) for k, v in sorted(self.counts.items())]
        lines += ["  %s" % f for f in self.findings]
        return "\n".join(lines)


class _Walker:
    """
    Walks catalog trees, recording the pages and runs they use.
    """

    def __init__(self, store: NodeStore, report: CheckReport,
                 advance: Callable[[int], None]) -> None:
        self.store = store
        self.report = report
        self.advance = advance
        self.visited: set[int] = set()

    def walk(self, root: int, label: str, entry: Callable[[Key, bytes], None],
             runs: list[tuple[int, int, str]]) -> None:
        if not root:
            return
        depths: set[int] = set()
        self._node(root, None, None, 0, depths, label, entry, runs)
        if len(depths) > 1:
            self.report.error("%s tree is unbalanced: leaves at depths %s"
                              % (label, sorted(depths)))

    def _node(self, page: int, lo: Key | None, hi: Key | None, depth: int, depths: set[int],
              label: str, entry: Callable[[Key, bytes], None],
              runs: list[tuple[int, int, str]]) -> None:
        if page in self.visited:
            return  # shared with a tree walked before: its subtree was checked
        self.visited.add(page)
        self.advance(self.store.block_size)
        runs.append((page, 1, "%s page" % label))
        try:
            node = self.store.read_node(page)
        except CorruptCartridge as e:
            self.report.error("%s: %s" % (label, e))
            return
        keys = node.keys
        for a, b in zip(keys, keys[1:]):
            if not a < b:
                self.report.error("%s page %d: keys out of order" % (label, page))
                break
        if keys and ((lo is not None and keys[0] < lo) or (hi is not None and keys[-1] >= hi)):
            self.report.error("%s page %d: keys outside the parent's bounds" % (label, page))
        if node.leaf:
            depths.add(depth)
            for k, v in zip(keys, node.vals):
                if isinstance(v, Overflow):
                    runs.append((v.start, v.count, "%s overflow" % label))
                elif not fits_inline(k, v, self.store.max_entry):
                    self.report.error("%s page %d: an inline value is too large for a leaf"
                                      % (label, page))
                try:
                    value = self.store.value(v)
                except CorruptCartridge as e:
                    self.report.error("%s: %s" % (label, e))
                    continue
                entry(k, value)
            return
        if len(node.vals) != len(keys) + 1:
            self.report.error("%s page %d: bad child count" % (label, page))
            return
        bounds = [lo] + list(keys) + [hi]
        for i, child in enumerate(node.vals):
            self._node(child, bounds[i], bounds[i + 1], depth + 1, depths, label, entry, runs)


#: Reports progress: (bytes read so far, estimated bytes to read).
Progress = Callable[[int, int], None]


class _Checker:
    def __init__(self, path: str, file: BlockFile, data: bool,
                 progress: Progress | None = None) -> None:
        self.path = path
        self.file = file
        self.data = data
        self.report = CheckReport(path)
        self._progress = progress
        self._done = 0
        self._total = 1

    def advance(self, nbytes: int) -> None:
        """
        Count C{nbytes} read, and tell the progress callback now and then.
        """
        before = self._done
        self._done += nbytes
        if self._progress is not None and (self._done >> 22) != (before >> 22):
            self._progress(min(self._done, self._total), self._total)

    def headers(self) -> Header | None:
        h0, h1 = read_slots(self.file)
        if h0 is None and h1 is None:
            check_identity(self.file.pread(HEADER_SIZE, 0))
            self.report.error("both header slots are damaged")
            return None
        for n, h in ((0, h0), (1, h1)):
            if h is None:
                self.report.note("header slot %d is not valid (a torn write is harmless; "
                                 "the other slot is used)" % n)
        best = max((h for h in (h0, h1) if h is not None), key=lambda h: h.txn)
        if h0 is not None and h1 is not None and h0.block_size != h1.block_size:
            self.report.error("header slots disagree on the block size")
        return best

    def run(self) -> CheckReport:
        h = self.headers()
        if h is None:
            return self.report
        r = self.report
        bs = h.block_size
        store = NodeStore(self.file, bs, 256)
        size = self.file.size()
        r.counts.update(txn=h.txn, block_size=bs, total_blocks=h.total_blocks)
        self._total = max(1, (h.total_blocks - h.free_blocks) * bs)
        if size < h.total_blocks * bs:
            r.error("file has %d bytes, header says %d blocks" % (size, h.total_blocks))
            return r
        if size > h.total_blocks * bs:
            r.note("%d bytes after the last block (grown, not yet committed)"
                   % (size - h.total_blocks * bs))
        live: list[tuple[int, int, str]] = [(0, FIRST_USABLE_BLOCK, "header")]
        free: list[tuple[int, int]] = []
        pending: list[Pending] = []
        live.append((h.freelist_start, h.freelist_pages, "free list"))
        try:
            replayed = replay(lambda s, n: store.read_blob(s, n, PAGE_FREELIST),
                              h.freelist_start, h.freelist_pages)
            free, pending = replayed.free, replayed.pending
            live.extend((link.start, link.pages, "free list") for link in replayed.chain[:-1])
            r.counts["free_list_runs"] = len(replayed.chain)
        except (CorruptCartridge, ValueError, struct.error) as e:
            r.error("free list: %s" % e)
        snapshots: tuple[SnapshotEntry, ...] = ()
        if h.snaptab_pages:
            live.append((h.snaptab_start, h.snaptab_pages, "snapshot table"))
            try:
                data, _ = store.read_blob(h.snaptab_start, h.snaptab_pages, PAGE_SNAPSHOTS)
                snapshots = decode_snapshots(data)
            except (CorruptCartridge, ValueError, struct.error, UnicodeDecodeError) as e:
                r.error("snapshot table: %s" % e)
        walker = _Walker(store, r, self.advance)
        catalog = _Catalog(self, store)
        walker.walk(h.catalog_root, "catalog", catalog.entry, live)
        catalog.finish(h, live)
        snap_runs: list[tuple[int, int, str]] = []
        for s in snapshots:
            scat = _Catalog(self, store, snapshot=s.name)
            walker.walk(s.root, "snapshot %r" % s.name, scat.entry, snap_runs)
            scat.verify_deferred(catalog.tables)
            snap_runs.extend((a, c, "snapshot data") for a, c in scat.referenced)
        pins = sorted(s.txn for s in snapshots)
        for p in pending:
            if not pinned(p.birth, p.freed, pins):
                r.note("blocks %d+%d wait for a snapshot that is gone (freed at next commit)"
                       % (p.start, p.count))
        r.counts.update(snapshots=len(snapshots), free_blocks=sum(c for _, c in free),
                        pinned_blocks=sum(p.count for p in pending))
        self.account(h, live, free, pending, snap_runs)
        if self._progress is not None:
            self._progress(self._total, self._total)
        return r

    def account(self, h: Header, live: list[tuple[int, int, str]], free: list[tuple[int, int]],
                pending: list[Pending], snap_runs: list[tuple[int, int, str]]) -> None:
        r = self.report
        runs = list(live)
        runs += [(s, c, "free") for s, c in free]
        runs += [(p.start, p.count, "pinned for a snapshot") for p in pending]
        runs.sort()
        pos = 0
        prev = ""
        leaked = 0
        for start, count, what in runs:
            if count <= 0:
                r.error("empty run at block %d (%s)" % (start, what))
                continue
            if start < pos:
                r.error("block %d is used twice: %s and %s" % (start, prev, what))
            elif start > pos:
                leaked += start - pos
                r.error("blocks %d..%d are not accounted for (leaked)" % (pos, start - 1))
            if start + count > pos:
                pos = start + count
                prev = what
        if pos < h.total_blocks:
            leaked += h.total_blocks - pos
            r.error("blocks %d..%d are not accounted for (leaked)" % (pos, h.total_blocks - 1))
        elif pos > h.total_blocks:
            r.error("%s reaches block %d, beyond the %d blocks" % (prev, pos - 1, h.total_blocks))
        r.counts["leaked_blocks"] = leaked
        # every block a snapshot reads must be live or pinned, never free
        covered = sorted([(s, s + c) for s, c, _ in live] +
                         [(p.start, p.start + p.count) for p in pending])
        starts = [a for a, _ in covered]
        for s, c, what in snap_runs:
            i = bisect.bisect_right(starts, s) - 1
            if i < 0 or covered[i][1] < s + c:
                r.error("%s at blocks %d+%d is neither live nor pinned" % (what, s, c))


class _Catalog:
    """
    Checks the entries of one catalog tree and what they reference.
    """

    def __init__(self, checker: _Checker, store: NodeStore, snapshot: str | None = None) -> None:
        self.checker = checker
        self.store = store
        self.report = checker.report
        self.snapshot = snapshot
        self.buckets: set[bytes] = set()
        self.objects = 0
        self.refs: dict[tuple[int, int], int] = {}
        self.table: dict[int, tuple[int, int, int]] = {}
        self.detached: list[DataRef] = []
        self.verified: set[int] = set()
        #: CRC entries (format 2.2) by first block, and the data they are
        #: for: every body whose table belongs apart, by its first block
        self.tables: dict[int, bytes] = {}
        self.apart: dict[int, tuple[str, DataRef]] = {}
        #: bodies whose table is in a CRC entry, verified once the walk
        #: has seen the entries (kind 5 sorts after the objects)
        self.deferred: list[tuple[str, DataRef]] = []

    @property
    def referenced(self) -> list[tuple[int, int]]:
        return list(self.refs)

    def entry(self, k: Key, value: bytes) -> None:
        r = self.report
        kind = k[0]
        try:
            if kind == KIND_BUCKET:
                decode_bucket(k[1].decode(), value)
                self.buckets.add(k[1])
            elif kind == KIND_OBJECT:
                name = "%s/%s" % (k[1].decode(), k[2].decode())
                rec = decode_object(k[1].decode(), k[2].decode(), value)
                self.objects += 1
                if self.snapshot is None and k[1] not in self.buckets:
                    # (a snapshot's bucket entries may sit in pages shared with
                    # the current tree, which the walker does not revisit)
                    r.error("object %s has no bucket" % name)
                if sum(s.size for s in rec.segments) != rec.size:
                    r.error("object %s: segments do not add up to its size" % name)
                for seg in rec.segments:
                    for e in seg.extents:
                        self.refs[(e.start, e.count)] = self.refs.get((e.start, e.count), 0) + 1
                    self.data(name, seg)
            elif kind == KIND_EXTENT:
                self.table[k[3]] = decode_extent(value)
            elif kind == KIND_DETACHED:
                _birth, _tag, ref = decode_detached(value)
                self.detached.append(ref)
                self.data("detached data at block %d" % k[3], ref)
            elif kind == KIND_CRCS:
                self.tables[k[3]] = value
            else:
                r.error("unknown catalog key kind %d" % kind)
        except (CorruptCartridge, UnicodeDecodeError, ValueError) as e:
            r.error("catalog entry %r: %s" % (k[:3], e))

    def data(self, name: str, ref: DataRef) -> None:
        """
        Note a body C{name} refers to, and verify it (now if it carries its
        table, once the CRC entries are known if not).
        """
        if table_apart(ref):
            self.apart.setdefault(ref.extents[0].start, (name, ref))
        if ref.extents and not ref.crcs:
            self.deferred.append((name, ref))
        else:
            self.verify(name, ref, ref.crcs)

    def verify_deferred(self, more: dict[int, bytes]) -> None:
        """
        Verify the bodies whose tables are in CRC entries: this tree's, or
        C{more} (a snapshot's entries may sit in pages the walk of the
        current tree already took). A missing table is reported by
        L{finish} for the current tree.
        """
        for name, ref in self.deferred:
            start = ref.extents[0].start
            raw = self.tables.get(start, more.get(start))
            if raw is None:
                continue
            try:
                crcs = decode_crcs(raw, ref)
            except CorruptCartridge as e:
                self.report.error("%s: %s" % (name, e))
                continue
            self.verify(name, ref, crcs)

    def verify(self, name: str, ref: DataRef, crcs: tuple[int, ...]) -> None:
        if not self.checker.data or ref.inline is not None or not ref.extents:
            return
        if ref.extents[0].start in self.verified:
            return
        self.verified.add(ref.extents[0].start)
        md5 = hashlib.md5()
        try:
            for off in range(0, ref.size, 1 << 20):
                md5.update(read_segment(self.checker.file, self.store.block_size, ref, off,
                                        min(ref.size, off + (1 << 20)), crcs))
                self.checker.advance(min(1 << 20, ref.size - off))
        except ChecksumMismatch as e:
            self.report.error("%s: %s" % (name, e))
            return
        if md5.digest() != ref.md5:
            self.report.error("%s: MD5 of the data does not match" % name)

    def finish(self, h: Header, live: list[tuple[int, int, str]]) -> None:
        r = self.report
        if self.objects != h.objects:
            r.error("header counts %d object records, catalog has %d" % (h.objects, self.objects))
        if len(self.buckets) != h.buckets:
            r.error("header counts %d buckets, catalog has %d" % (h.buckets, len(self.buckets)))
        for (start, count), n in self.refs.items():
            got = self.table.get(start)
            if got is None:
                r.error("extent %d+%d is used by objects but not in the extent table"
                        % (start, count))
            elif got[0] != count or got[2] != n:
                r.error("extent %d: table says %d blocks, %d refs; objects use %d blocks, "
                        "%d refs" % (start, got[0], got[2], count, n))
        for start, (count, _birth, _refs) in self.table.items():
            if (start, count) not in self.refs:
                r.error("extent %d+%d is in the table but no object uses it" % (start, count))
            live.append((start, count, "data extent"))
        for ref in self.detached:
            live.extend((e.start, e.count, "detached data") for e in ref.extents)
        self.account_tables()
        self.verify_deferred({})
        r.counts.update(objects=self.objects, buckets=len(self.buckets),
                        data_extents=len(self.table), detached=len(self.detached),
                        crc_tables=len(self.tables))

    def account_tables(self) -> None:
        """
        Every CRC entry belongs to a body whose table belongs apart and
        has one CRC per chunk of it (and the table a 2.1 record still
        carries, if any); every body that refers to a CRC entry has one.
        """
        r = self.report
        for start, raw in self.tables.items():
            user = self.apart.get(start)
            if user is None:
                r.error("CRC table at block %d belongs to no data (orphan)" % start)
                continue
            name, ref = user
            try:
                crcs = decode_crcs(raw, ref)
            except CorruptCartridge as e:
                r.error("%s: %s" % (name, e))
                continue
            if ref.crcs and ref.crcs != crcs:
                r.error("%s: its CRC table differs from the one its record carries" % name)
        for name, ref in self.deferred:
            if ref.extents[0].start not in self.tables:
                r.error("%s: data at block %d has no CRC table (missing)"
                        % (name, ref.extents[0].start))


def check(path: str, data: bool = False, *, progress: Progress | None = None,
          _file: BlockFile | None = None) -> CheckReport:
    """
    Check the cartridge at C{path} (read-only; no lock is taken, so check a
    cartridge no process is writing). NotACartridge / UnsupportedVersion
    for files that are not ours; every kind of damage is a finding.
    C{progress}, if given, is called now and then with (bytes read,
    estimated bytes to read), for a progress bar.
    """
    file = _file or OsFile.open(path, writable=False)
    checker = _Checker(path, file, data, progress)
    try:
        return checker.run()
    except (NotACartridge, UnsupportedVersion):
        raise
    except Exception as e:  # damage the checks above did not foresee
        checker.report.error("check stopped: %s: %s" % (type(e).__name__, e))
        return checker.report
    finally:
        if _file is None:
            file.close()
