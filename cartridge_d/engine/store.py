"""
Reading and writing catalog pages: a bounded cache of decoded nodes, and
the flush that gives a transaction's new nodes their pages.

The cache holds at most C{cache_pages} nodes whatever the catalog size, so
memory does not grow with the object count. Pages are immutable while
anyone can read them, so cached nodes never go stale; a reused page number
is simply overwritten in the cache when it is written again.

test-case-name: tests.engine.test_engine_properties
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict

from . import btree
from .blockfile import BlockFile
from .btree import Node
from .constants import PAGE_BRANCH, PAGE_HEADER_SIZE, PAGE_LEAF, PAGE_OVERFLOW
from .errors import CorruptCartridge
from .freespace import Allocator
from .keys import Key
from .pages import (
    PENDING_OVERFLOW,
    Overflow,
    Value,
    blob_pages,
    branch_heads,
    decode_blob,
    decode_branch,
    decode_leaf,
    encode_blob,
    encode_branch,
    flat_key,
    frame,
    is_pending,
    leaf_entry,
    unframe,
)


class NodeStore:
    """
    Loads nodes by page number through an LRU cache. Thread-safe.
    """

    def __init__(self, file: BlockFile, block_size: int, cache_pages: int = 2048) -> None:
        self.file = file
        self.block_size = block_size
        self.capacity = block_size - PAGE_HEADER_SIZE
        #: Any leaf entry is at most a third of a page, so a full node can
        #: always be split into two that fit.
        self.max_entry = self.capacity // 3
        self._cache: OrderedDict[int, Node] = OrderedDict()
        self._limit = cache_pages
        self._lock = threading.Lock()
        #: separator keys' encodings for L{branch_heads}, used by the
        #: committing thread only; cleared when it passes SEPARATOR_MEMO
        self.separators: dict[Key, bytes] = {}

    def reading_through(self, file: BlockFile) -> NodeStore:
        """
        A store sharing this one's node cache (the same dict and lock, so a
        node either reads is remembered for both) that reads what the cache
        misses through C{file}: the nowait view's store reads with
        C{RWF_NOWAIT} (engine/nowait.py) while commits use this one.
        """
        twin = copy.copy(self)
        twin.file = file
        twin.separators = {}
        return twin

    def load(self, ref: Node | int) -> Node:
        """
        The node at page C{ref} (or C{ref} itself if it is a node), from
        the cache when it is there.

        A hit takes no lock: C{get} and C{move_to_end} are each one
        operation on the C{OrderedDict} under the GIL, and a node another
        thread evicted in between is still the right node (pages a view
        can reach are never rewritten while it is pinned); it just is not
        moved.  Every GET and HEAD loads two or three cached nodes, and the
        lock cost more than the lookup.  Misses and evictions still change
        the cache under the lock (L{remember_all}).
        """
        if isinstance(ref, Node):
            return ref
        cache = self._cache
        node = cache.get(ref)
        if node is not None:
            try:
                cache.move_to_end(ref)
            except KeyError:
                pass
            return node
        node = self.read_node(ref)
        self.remember(node)
        return node

    def read_node(self, page: int) -> Node:
        """
        Read and verify page C{page} as a B+tree node, bypassing the cache.
        """
        raw = self.file.pread(self.block_size, page * self.block_size)
        if len(raw) != self.block_size:
            raise CorruptCartridge("page %d is beyond the end of the file" % page)
        ptype, _level, count, birth = unframe(page, raw)
        payload = raw[PAGE_HEADER_SIZE:]
        try:
            if ptype == PAGE_LEAF:
                keys, vals, enc = decode_leaf(payload, count)
                return Node(True, keys, vals, page, birth, sum(map(len, enc)), enc)
            if ptype == PAGE_BRANCH:
                keys, children = decode_branch(payload, count)
                return Node(False, keys, children, page, birth, btree.branch_size(keys))
        except (IndexError, ValueError) as e:
            raise CorruptCartridge("page %d: %s" % (page, e)) from e
        raise CorruptCartridge("page %d has type %d, not a tree node" % (page, ptype))

    def remember(self, node: Node) -> None:
        self.remember_all([node])

    def remember_all(self, nodes: list[Node]) -> None:
        """
        Cache C{nodes} (just read or written), taking the lock once.
        """
        cache = self._cache
        with self._lock:
            for node in nodes:
                assert node.page is not None
                cache[node.page] = node
                cache.move_to_end(node.page)
            while len(cache) > self._limit:
                cache.popitem(last=False)

    def read_blob(self, start: int, count: int, ptype: int) -> tuple[bytes, int]:
        raw = self.file.pread(count * self.block_size, start * self.block_size)
        if len(raw) != count * self.block_size:
            raise CorruptCartridge("pages %d+%d are beyond the end of the file" % (start, count))
        return decode_blob(start, ptype, raw, self.block_size)

    def value(self, v: Value) -> bytes:
        """
        The bytes of a leaf value, reading overflow pages if needed.
        """
        if isinstance(v, Overflow):
            data, _birth = self.read_blob(v.start, v.count, PAGE_OVERFLOW)
            if len(data) != v.length:
                raise CorruptCartridge("overflow value at page %d has the wrong length" % v.start)
            return data
        return v


#: The most pages a commit takes as one contiguous area (1 MiB of 4 KiB
#: pages): a group commit's few dozen fit in one free run, so its flush is
#: one pwrite; a bulk commit's thousands are gathered from scattered runs
#: instead, so that fragmented free space is reused before the file grows.
AREA_MAX_PAGES = 256

#: How many separator encodings L{NodeStore.separators} keeps before it
#: starts again: a commit rewrites a few branches of about a hundred keys.
SEPARATOR_MEMO = 8192


class PageWriter:
    """
    Collects the pages one commit writes and writes them in as few
    pwrite calls as possible. Remembers every allocation so a failed commit
    can give them back.

    A small commit takes all its pages from one area, a single free run
    that fits them (L{open_area}): each pwrite releases the GIL, and the
    leader of a group commit may then wait for 15 other threads before it
    gets it back, so one pwrite instead of ten matters more than the bytes.
    """

    def __init__(self, store: NodeStore, alloc: Allocator, txn: int) -> None:
        self.store = store
        self.alloc = alloc
        self.txn = txn
        self.allocs: list[tuple[int, int]] = []
        self._writes: list[tuple[int, bytes]] = []
        #: The area: its allocation's index in C{allocs}, the next page to
        #: hand out and its end (next == end when there is none or it is used up).
        self._area = -1
        self._next = 0
        self._end = 0

    def open_area(self, n: int) -> bool:
        """
        Take C{n} contiguous pages from the lowest free run that holds them
        (never growing the file), from which L{run} and L{pages} serve
        first; False if C{n} is too many or no run fits.
        """
        if self._area >= 0 or not 0 < n <= AREA_MAX_PAGES:
            return False
        start = self.alloc.alloc_fit(n)
        if start is None:
            return False
        self._area = len(self.allocs)
        self.allocs.append((start, n))
        self._next, self._end = start, start + n
        return True

    def close_area(self) -> None:
        """
        Give back the area's unused pages, so that what C{allocs} says is
        what the commit uses (the free list run records it).
        """
        if self._area < 0 or self._next == self._end:
            return
        start, _n = self.allocs[self._area]
        self.allocs[self._area] = (start, self._next - start)
        self.alloc.give_back([(self._next, self._end - self._next)])
        self._end = self._next

    def release(self, start: int, n: int) -> None:
        """
        Give back run C{start}+C{n}, the last one handed out (the free list
        run, found too small).
        """
        a, used = self.allocs[self._area] if self._area >= 0 else (0, 0)
        if a <= start and start + n == self._next:
            self.allocs[self._area] = (a, used - n)
            self._next = self._end = start
        else:
            self.allocs.remove((start, n))
        self.alloc.give_back([(start, n)])

    def _from_area(self, n: int) -> int | None:
        start = self._next
        if start + n > self._end:
            return None
        self._next = start + n
        return start

    def run(self, n: int) -> int:
        start = self._from_area(n)
        if start is None:
            start = self.alloc.alloc_run(n)
            self.allocs.append((start, n))
        return start

    def pages(self, n: int) -> list[int]:
        """
        C{n} page numbers in ascending order: from the area if it has room,
        else from as many free runs as it takes (tree pages need not be
        contiguous; flush coalesces neighbours into one pwrite).
        """
        if n == 0:
            return []
        start = self._from_area(n)
        if start is not None:
            return list(range(start, start + n))
        runs = self.alloc.alloc_pages(n)
        self.allocs.extend(runs)
        return [p for s, c in runs for p in range(s, s + c)]

    def blob(self, ptype: int, data: bytes) -> tuple[int, int]:
        """
        Write C{data} as a run of pages; return (start, count).
        """
        count = blob_pages(len(data), self.store.block_size)
        start = self.run(count)
        self.blob_at(start, count, ptype, data)
        return start, count

    def blob_at(self, start: int, count: int, ptype: int, data: bytes) -> None:
        """
        Write C{data} into the C{count} pages from C{start}, allocated before.
        """
        self._writes.append((start, encode_blob(start, ptype, self.txn, data,
                                                self.store.block_size, count)))

    def tree(self, root: btree.Ref, spare: int = 0) -> int:
        """
        Give every unwritten node under C{root} a page and queue its write;
        return the root page (0 for an empty tree). The pages come from an
        area of C{spare} more pages if one fits, for the runs the commit
        writes next.
        """
        if root is None:
            return 0
        if isinstance(root, int):
            return root
        store = self.store
        dirty = btree.dirty_nodes(root)
        self.open_area(len(dirty) + spare)
        numbers = self.pages(len(dirty))
        written: dict[int, int] = {}
        clean_nodes = []
        seps = store.separators
        if len(seps) > SEPARATOR_MEMO:
            seps.clear()
        for node, page in zip(dirty, numbers):
            if node.leaf:
                assert node.enc is not None
                vals, enc = node.vals, node.enc
                payload = b"".join(enc)
                # a placeholder is 33 zero bytes: without them, nothing to place
                if PENDING_OVERFLOW in payload:
                    vals, enc = self._placed(node)
                    payload = b"".join(enc)
                clean = Node(True, node.keys, vals, page, self.txn, node.size, enc)
                clean.last, clean.streak = node.last, node.streak
                ptype = PAGE_LEAF
            else:
                kids = [written[id(c)] if isinstance(c, Node) else c for c in node.vals]
                heads = node.enc if node.enc is not None else branch_heads(node.keys, seps)
                payload = encode_branch(node.keys, kids, heads)
                clean = Node(False, node.keys, kids, page, self.txn, node.size, heads)
                ptype = PAGE_BRANCH
            written[id(node)] = page
            self._writes.append((page, frame(page, ptype, 0, len(node.keys), self.txn,
                                             payload, store.block_size)))
            clean_nodes.append(clean)
        store.remember_all(clean_nodes)
        return written[id(root)]

    def _placed(self, node: Node) -> tuple[list[Value], list[bytes]]:
        """
        The values and entries of leaf C{node} with every value too large
        for it written to an overflow run (its entry held a placeholder of
        the reference's size, so the leaf's size does not change).
        """
        max_entry = self.store.max_entry
        assert node.enc is not None
        vals, enc = node.vals, node.enc
        for i, (k, v, e) in enumerate(zip(node.keys, node.vals, node.enc)):
            # the placeholder ends its entry; most entries fail this C test
            # (a leaf gets here when any value merely holds 33 zero bytes)
            if e.endswith(PENDING_OVERFLOW) and isinstance(v, bytes) and is_pending(e):
                if vals is node.vals:
                    vals, enc = list(vals), list(enc)
                start, count = self.blob(PAGE_OVERFLOW, v)
                vals[i] = ref = Overflow(start, count, len(v), self.txn)
                prev = flat_key(node.keys[i - 1]) if i else b""
                enc[i] = leaf_entry(prev, k, ref, max_entry)
        return vals, enc

    def flush(self) -> None:
        """
        Write every queued page, coalescing neighbours into one pwrite.
        """
        bs = self.store.block_size
        self._writes.sort(key=lambda w: w[0])
        i = 0
        writes = self._writes
        while i < len(writes):
            start, data = writes[i]
            parts = [data]
            end = start + len(data) // bs
            j = i + 1
            while j < len(writes) and writes[j][0] == end:
                parts.append(writes[j][1])
                end += len(writes[j][1]) // bs
                j += 1
            self.store.file.pwrite(b"".join(parts), start * bs)
            i = j
        self._writes = []
