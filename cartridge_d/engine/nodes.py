"""
B+tree nodes and how leaves are packed: the node type, what the tree
algorithms need from a transaction (L{TreeContext}), the edits of one
leaf entry, the helpers that cut a run of leaf entries into pages and
split a branch, and what a branch does with a child that outgrew a page
(share or split, L{overflow}) or shrank (L{merge}) (docs/format.md,
"B+tree nodes").

These are the byte-size decisions of the tree, kept apart from the
descents in L{cartridge_d.engine.btree}: a leaf keeps each entry's encoded
bytes (C{enc}, its key prefix-compressed against the previous entry), so
packing works on sizes already known and re-encodes only the first entry
of each new leaf, which has no previous entry to share a prefix with.

test-case-name: tests.engine.test_engine_properties
"""

from __future__ import annotations

from typing import Any, Protocol, Union

from .keys import Key
from .pages import Overflow, Value, branch_entry_size, flat_key, leaf_entry, rehead


class Node:
    """
    A B+tree node: a leaf (keys and values) or a branch (separator keys and
    children, where child i holds keys in [keys[i-1], keys[i])). Children are
    page numbers or in-memory Nodes not yet written.
    """

    __slots__ = ("leaf", "keys", "vals", "page", "birth", "size", "enc", "gen", "last",
                 "streak")

    def __init__(self, leaf: bool, keys: list[Key], vals: list[Any], page: int | None,
                 birth: int, size: int, enc: list[bytes] | None = None) -> None:
        self.leaf = leaf
        self.keys = keys
        #: leaf: list of Value; branch: list of child page numbers or Nodes
        self.vals = vals
        self.page = page
        self.birth = birth
        #: the encoded payload size (leaves: exact; branches: an upper bound)
        self.size = size
        #: leaf: each entry's encoding, its key prefix-compressed against
        #: the previous entry's (docs/format.md, "Nodes"); branch: each
        #: separator's encoded head as the flush last wrote it, kept while
        #: the separators stay the same (a put that only changes a child),
        #: else None. A list once set is never changed in place: copies
        #: of a branch share it.
        self.enc = enc
        #: the undo generation that created this unwritten node (see put)
        self.gen = -1
        #: leaf only, a hint: where the last key inserted went (-1: not
        #: known), and whether it went right after the one inserted before
        #: it (a run of keys growing in the middle of the leaf)
        self.last = -1
        self.streak = False


def new_node(tx: "TreeContext", leaf: bool, keys: list[Key], vals: list[Any], size: int,
             enc: list[bytes] | None = None) -> Node:
    node = Node(leaf, keys, vals, None, tx.txn, size, enc)
    node.gen = tx.gen
    return node


def leaf_enc(node: Node) -> list[bytes]:
    assert node.enc is not None
    return node.enc


#: A root or child: an unwritten Node, a page number, or None (empty tree).
Ref = Union[Node, int, None]


class TreeContext(Protocol):
    """
    What the algorithms need from the transaction that runs them.
    """

    txn: int
    capacity: int
    max_entry: int
    #: Unwritten nodes made in this generation may be changed in place: no
    #: undo mark (L{cartridge_d.engine.txn.Txn.mark}) can reach them.
    gen: int

    def load(self, ref: Node | int) -> Node: ...

    def retire(self, node: Node) -> None:
        """
        C{node} is replaced by a copy: free its page if it has one.
        """

    def free_overflow(self, value: Overflow) -> None: ...


def leaf_lists(tx: TreeContext, node: Node) -> tuple[list[Key], list[Value], list[bytes]]:
    """
    The entry lists of leaf C{node} to change: its own when this
    generation made it (no undo mark can reach it), else copies.
    """
    if node.gen == tx.gen:
        return node.keys, node.vals, leaf_enc(node)
    return list(node.keys), list(node.vals), list(leaf_enc(node))


def leaf_of(tx: TreeContext, node: Node, nk: list[Key], nv: list[Value], ne: list[bytes],
            size: int) -> Node:
    """
    The leaf holding the changed lists from L{leaf_lists}: C{node} itself
    when they are its own, else a new node that replaces it.
    """
    if nk is not node.keys:
        tx.retire(node)
        node = new_node(tx, True, nk, nv, size, ne)
    node.size = size
    return node


def set_entry(tx: TreeContext, nk: list[Key], nv: list[Value], ne: list[bytes], i: int,
              key: Key, value: Value) -> tuple[int, bool]:
    """
    Set C{key} at its place C{i} in a leaf's lists: the new entry and the
    one after it are (re-)encoded. Return how many bytes the leaf grew by,
    and whether the key is new.
    """
    prev = flat_key(nk[i - 1]) if i else b""
    flat = flat_key(key)
    entry = leaf_entry(prev, key, value, tx.max_entry, flat)
    if i < len(nk) and nk[i] == key:
        old = nv[i]
        if isinstance(old, Overflow):
            tx.free_overflow(old)
        grown = len(entry) - len(ne[i])
        nv[i] = value
        ne[i] = entry
        return grown, False
    # one key: L{insert_run} without its lists, on the path of every small
    # PUT; calling insert_run(..., [key], [value]) instead measured 0.86 us
    # slower per call (6.4 against 5.6, timeit alternated), about 4% of a
    # put on a 20k-key tree
    nk.insert(i, key)
    nv.insert(i, value)
    ne.insert(i, entry)
    grown = len(entry)
    if i + 1 < len(nk):
        old_next = ne[i + 1]
        ne[i + 1] = rehead(old_next, flat, nk[i + 1], prev)
        grown += len(ne[i + 1]) - len(old_next)
    return grown, True


def insert_run(tx: TreeContext, nk: list[Key], nv: list[Value], ne: list[bytes], i: int,
               keys: list[Key], values: list[Value]) -> int:
    """
    Insert new keys C{keys}, in order, all between entries C{i - 1} and
    C{i} of a leaf's lists: each is encoded against the one before it,
    and the entry after them is re-encoded once for the whole run. Return
    how many bytes the leaf grew by.
    """
    before = prev = flat_key(nk[i - 1]) if i else b""
    entries = []
    for key, value in zip(keys, values):
        flat = flat_key(key)
        entries.append(leaf_entry(prev, key, value, tx.max_entry, flat))
        prev = flat
    nk[i:i] = keys
    nv[i:i] = values
    ne[i:i] = entries
    grown = sum(map(len, entries))
    after = i + len(keys)
    if after < len(nk):
        old_next = ne[after]
        ne[after] = rehead(old_next, prev, nk[after], before)
        grown += len(ne[after]) - len(old_next)
    return grown


def drop_run(tx: TreeContext, nk: list[Key], nv: list[Value], ne: list[bytes], i: int,
             count: int) -> int:
    """
    Remove entries C{i} to C{i + count} from a leaf's lists, re-encoding
    the one after them once; return how many bytes the leaf shrank by.
    """
    # a single delete, the path of every DELETE: the slices of the general
    # case measured 0.56 us slower per call (3.9 against 3.3, timeit
    # alternated), about 4% of a delete on a 20k-key tree
    if count == 1:
        gone = nv[i]
        if isinstance(gone, Overflow):
            tx.free_overflow(gone)
        shrunk = len(ne[i])
        del nk[i], nv[i], ne[i]
    else:
        end = i + count
        for old in nv[i:end]:
            if isinstance(old, Overflow):
                tx.free_overflow(old)
        shrunk = sum(map(len, ne[i:end]))
        del nk[i:end], nv[i:end], ne[i:end]
    if i < len(ne):
        head = rehead(ne[i], flat_key(nk[i - 1]) if i else b"", nk[i])
        shrunk -= len(head) - len(ne[i])
        ne[i] = head
    return shrunk


def branch_size(keys: list[Key]) -> int:
    return 8 + sum(branch_entry_size(k) for k in keys)


def pack_leaves(tx: TreeContext, keys: list[Key], vals: list[Value], enc: list[bytes],
                want: int, first: int | None = None) -> list[Node]:
    """
    C{want} leaves (more if they do not fit) holding C{keys} in order
    (C{enc} encoded as one run, its first entry uncompressed), of about
    equal size, or the first one C{first} bytes full. Each leaf's first
    entry is re-encoded uncompressed; no entry is over a third of a page,
    so every leaf fits.
    """
    cap = tx.capacity
    out: list[Node] = []
    remaining = sum(map(len, enc))
    start, n = 0, len(keys)
    while True:
        head = rehead(enc[start], b"", keys[start]) if start else enc[start]
        rest = remaining - len(enc[start]) + len(head)
        left = want - len(out)
        if (left <= 1 and rest <= cap) or start == n - 1:
            out.append(new_node(tx, True, keys[start:], vals[start:], rest,
                                [head] + enc[start + 1:]))
            return out
        target = first if first is not None and not out else rest // max(left, 1)
        acc, end = len(head), start + 1
        # cut at the entry boundary nearest the target, never past a page,
        # and before the last piece late enough that the rest fits in one
        while end < n - 1 and acc + len(enc[end]) <= cap:
            if acc + len(enc[end]) // 2 > target and (
                    left > 2 or tail_size(keys, enc, end, rest - acc) <= cap):
                break
            acc += len(enc[end])
            end += 1
        out.append(new_node(tx, True, keys[start:end], vals[start:end], acc,
                            [head] + enc[start + 1:end]))
        remaining -= acc - len(head) + len(enc[start])
        start = end


def tail_size(keys: list[Key], enc: list[bytes], start: int, size: int) -> int:
    """
    The size of the entries from C{start} (C{size} bytes as encoded) as a
    leaf of their own: the first one re-encoded uncompressed.
    """
    return size - len(enc[start]) + len(rehead(enc[start], b"", keys[start]))


def joined(left: Node, right: Node) -> tuple[list[Key], list[Value], list[bytes], int]:
    """
    The entries of two neighbouring leaves as one run (the right one's
    first entry re-encoded after the left one's last), and their size.
    """
    enc = leaf_enc(right)
    head = rehead(enc[0], flat_key(left.keys[-1]), right.keys[0], b"")
    return (left.keys + right.keys, left.vals + right.vals, leaf_enc(left) + [head] + enc[1:],
            left.size + right.size - len(enc[0]) + len(head))


def split_leaf(tx: TreeContext, node: Node, append: bool) -> list[Node]:
    """
    Split an overfull leaf by bytes: in the middle, or, when keys are being
    appended at its end, leaving the left leaf full, so sequential inserts
    fill pages instead of leaving them half empty.
    """
    first = (tx.capacity * 15) // 16 if append else None
    return pack_leaves(tx, node.keys, node.vals, leaf_enc(node), 2, first)


def split_branch(tx: TreeContext, node: Node) -> list[tuple[Key | None, Node]]:
    """
    Split an overfull branch by bytes, in the middle, and each half again
    while it is over a page (a batch can add many children to one
    branch): the pieces, each with the separator before it.
    """
    if node.size <= tx.capacity or len(node.keys) < 2:
        return [(None, node)]
    keys, vals = node.keys, node.vals
    target = node.size // 2
    sizes = [branch_entry_size(k) for k in keys]
    acc, m = 8, 0
    while m < len(keys) - 1 and acc + sizes[m] <= target:
        acc += sizes[m]
        m += 1
    left = new_node(tx, False, keys[:m], vals[:m + 1], branch_size(keys[:m]))
    right = new_node(tx, False, keys[m + 1:], vals[m + 1:], branch_size(keys[m + 1:]))
    rest = split_branch(tx, right)
    return split_branch(tx, left) + [(keys[m], rest[0][1])] + rest[1:]


def repack(tx: TreeContext, nodes: list[Node], want: int) -> list[Node]:
    """
    The entries of neighbouring leaves C{nodes} packed into C{want} leaves
    of about equal size (more if they do not fit).
    """
    run = nodes[0]
    for node in nodes[1:]:
        keys, vals, enc, size = joined(run, node)
        run = Node(True, keys, vals, None, 0, size, enc)
    return pack_leaves(tx, run.keys, run.vals, leaf_enc(run), want)


def cut_run(tx: TreeContext, node: Node, sib: Node | None) -> tuple[list[Node], bool] | None:
    """
    The overfull leaf C{node}, whose last inserts went one after another
    into its middle (keys growing in a run that the leaf's later entries
    follow, as when several writers each add keys in order under their own
    prefix), cut after that run: the run's side stays whole, so the next
    keys of the run are appended at a leaf's end, and the entries after it
    join the right neighbour C{sib} if they fit there. Splitting in the
    middle or sharing with a neighbour instead leaves the run's leaf
    nearly full, and it overflows again after a few more keys.

    Return the leaves that replace C{node} and whether they replace C{sib}
    too, or None when the run's side would not fit in a page.
    """
    cut = node.last + 1
    enc = leaf_enc(node)
    if not 0 < cut < len(enc):
        return None
    left_size = sum(map(len, enc[:cut]))
    if left_size > tx.capacity:
        return None
    left = new_node(tx, True, node.keys[:cut], node.vals[:cut], left_size, enc[:cut])
    left.last, left.streak = cut - 1, True
    rest = enc[cut:]
    rest[0] = rehead(rest[0], b"", node.keys[cut])  # it starts a leaf now
    right = pack_leaves(tx, node.keys[cut:], node.vals[cut:], rest, 1)
    if sib is not None and len(right) == 1:
        keys, vals, run, size = joined(right[0], sib)
        if size <= tx.capacity:
            return [left, new_node(tx, True, keys, vals, size, run)], True
    return [left] + right, False


def overflow(tx: TreeContext, nk: list[Key], nv: list[Any], i: int, append: bool) -> int:
    """
    Child C{i} of a branch (C{nk}, C{nv}, changed in place) is an overfull
    leaf. Share its entries with a neighbour if the two fit in two pages;
    else split it, together with its neighbours, into one leaf more than
    there were (3 into 4: about 85% full under random inserts, where 1 into
    2 leaves them about 70% full). Keys appended at a leaf's end split it
    alone, the left part full. A leaf whose last inserts were a run of keys
    in order is cut after the run (L{cut_run}) and shares only with its
    left neighbour. Return how many bytes the branch's separators grew by.
    """
    child = nv[i]
    cap = tx.capacity
    if child.streak and not append:
        sib = tx.load(nv[i + 1]) if i + 1 < len(nv) else None
        cut = cut_run(tx, child, sib)
        if cut is not None:
            pieces, with_sib = cut
            return replace_children(tx, nk, nv, i, i + 2 if with_sib else i + 1, pieces)
    # a run's next keys come after it: entries moved right would meet them
    for j in (i - 1,) if child.streak else (i - 1, i + 1):
        if 0 <= j < len(nv):
            sib = tx.load(nv[j])
            if child.size + sib.size <= 2 * cap - cap // 32:
                lo = min(i, j)
                pieces = repack(tx, [tx.load(nv[lo]), tx.load(nv[lo + 1])], 2)
                if len(pieces) == 2:
                    return replace_children(tx, nk, nv, lo, lo + 2, pieces)
    if append:
        return replace_children(tx, nk, nv, i, i + 1, split_leaf(tx, child, True))
    lo, hi = max(0, i - 1), min(len(nv), i + 2)
    nodes = [tx.load(nv[k]) for k in range(lo, hi)]
    return replace_children(tx, nk, nv, lo, hi, repack(tx, nodes, len(nodes) + 1))


def replace_children(tx: TreeContext, nk: list[Key], nv: list[Any], lo: int, hi: int,
                     pieces: list[Node]) -> int:
    """
    Put leaves C{pieces} in place of children C{lo} to C{hi} (exclusive) of
    a branch; return how many bytes its separators grew by.
    """
    for k in range(lo, hi):
        tx.retire(tx.load(nv[k]))
    seps = [p.keys[0] for p in pieces[1:]]
    grown = (sum(map(branch_entry_size, seps))
             - sum(branch_entry_size(k) for k in nk[lo:hi - 1]))
    nv[lo:hi] = pieces
    nk[lo:hi - 1] = seps
    return grown


def merge(tx: TreeContext, nk: list[Key], nv: list[Any], i: int) -> int:
    """
    Merge child C{i} (just shrunk) with a neighbour if both fit in one page;
    return how many bytes the branch's separators shrank by.
    """
    left_i = i if i + 1 < len(nv) else i - 1
    left = tx.load(nv[left_i])
    right = tx.load(nv[left_i + 1])
    sep = nk[left_i]
    if left.leaf:
        keys, vals, enc, size = joined(left, right)
        if size > tx.capacity:
            return 0
        merged = new_node(tx, True, keys, vals, size, enc)
    else:
        size = left.size + right.size - 8 + branch_entry_size(sep)
        if size > tx.capacity:
            return 0
        merged = new_node(tx, False, left.keys + [sep] + right.keys, left.vals + right.vals, size)
    tx.retire(left)
    tx.retire(right)
    nv[left_i:left_i + 2] = [merged]
    del nk[left_i]
    return branch_entry_size(sep)


def merge_small(tx: TreeContext, nk: list[Key], nv: list[Any]) -> tuple[int, bool]:
    """
    Merge each child of a branch (C{nk}, C{nv}) that is an unwritten node
    of this generation (one the batch changed, or one made earlier in the
    generation that it left alone) and under a quarter of a page with a
    neighbour, if the two fit in a page; children on pages or from an
    earlier generation are left as they are. Done once after a batch, not
    after each child: a run of deletes that empties the leaves after a
    small one would otherwise merge it into each of them in turn, copying
    every one. Return how many bytes the separators shrank by, and whether
    any child merged.
    """
    shrunk, i = 0, 0
    while i < len(nv) and len(nv) > 1:
        child = nv[i]
        if isinstance(child, Node) and child.gen == tx.gen and child.size < tx.capacity // 4:
            gone = merge(tx, nk, nv, i)
            if gone:
                shrunk += gone
                continue  # the merged child may take its next neighbour too
        i += 1
    return shrunk, shrunk > 0
