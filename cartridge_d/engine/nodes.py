"""
B+tree nodes and how leaves are packed: the node type, what the tree
algorithms need from a transaction (L{TreeContext}), and the helpers that
cut a run of leaf entries into pages and split a branch
(docs/format.md, "B+tree nodes").

These are the byte-size decisions of the tree, kept apart from the
descents in L{cartridge_d.engine.btree}: a leaf keeps each entry's encoded
bytes (C{enc}, its key prefix-compressed against the previous entry), so
packing works on sizes already known and re-encodes only the first entry
of each new leaf, which has no previous entry to share a prefix with.

test-case-name: tests.engine.test_engine_properties
"""

from __future__ import annotations

from typing import Any, Protocol, Union

from .codec import Key
from .pages import Overflow, Value, branch_entry_size, flat_key, rehead


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
    Split an overfull branch in two by bytes, in the middle.
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
    return [(None, left), (keys[m], right)]


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
