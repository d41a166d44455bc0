"""
The copy-on-write B+tree algorithms (docs/format.md, "B+tree nodes").

Trees are persistent values: C{put} and C{delete} return a new root and
never change a node another root can reach. A node read from a page is
immutable and cached; changing it makes an in-memory copy (C{page} None)
and retires the page, which the commit frees once nobody can read it.
Because nothing is changed in place, undoing a failed operation is just
keeping the old root.

Nodes split by encoded size, so keys and values of any length up to the
limits fit; values too large for a leaf go to overflow pages at flush.

test-case-name: tests.engine.test_engine_properties
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any, Callable, Iterator, Protocol, Union

from .codec import Key
from .pages import Overflow, Value, branch_entry_size, leaf_entry_size


class Node:
    """
    A B+tree node: a leaf (keys and values) or a branch (separator keys and
    children, where child i holds keys in [keys[i-1], keys[i])). Children are
    page numbers or in-memory Nodes not yet written.
    """

    __slots__ = ("leaf", "keys", "vals", "page", "birth", "size", "enc", "gen")

    def __init__(self, leaf: bool, keys: list[Key], vals: list[Any], page: int | None,
                 birth: int, size: int, enc: list[bytes | None] | None = None) -> None:
        self.leaf = leaf
        self.keys = keys
        #: leaf: list of Value; branch: list of child page numbers or Nodes
        self.vals = vals
        self.page = page
        self.birth = birth
        self.size = size
        #: leaf only: each entry's encoding, or None where it changed
        self.enc = enc
        #: the undo generation that created this unwritten node (see put)
        self.gen = -1


def _new(tx: "TreeContext", leaf: bool, keys: list[Key], vals: list[Any], size: int,
         enc: list[bytes | None] | None = None) -> Node:
    node = Node(leaf, keys, vals, None, tx.txn, size, enc)
    node.gen = tx.gen
    return node


def _enc(node: Node) -> list[bytes | None]:
    return list(node.enc) if node.enc is not None else [None] * len(node.keys)


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


def leaf_size(keys: list[Key], vals: list[Value], max_entry: int) -> int:
    return sum(leaf_entry_size(k, v, max_entry) for k, v in zip(keys, vals))


def branch_size(keys: list[Key]) -> int:
    return 8 + sum(branch_entry_size(k) for k in keys)


def get(load: Callable[[Node | int], Node], root: Ref, key: Key) -> Value | None:
    if root is None:
        return None
    node = load(root)
    while not node.leaf:
        node = load(node.vals[bisect_right(node.keys, key)])
    i = bisect_left(node.keys, key)
    if i < len(node.keys) and node.keys[i] == key:
        return node.vals[i]  # type: ignore[no-any-return]
    return None


def seek(load: Callable[[Node | int], Node], root: Ref, start: Key) -> tuple[Key, Value] | None:
    """
    The first (key, value) with key >= C{start}, or None.
    """
    for item in scan(load, root, start):
        return item
    return None


def scan(load: Callable[[Node | int], Node], root: Ref, start: Key) -> Iterator[tuple[Key, Value]]:
    """
    Yield (key, value) for every key >= C{start}, in order.
    """
    if root is None:
        return
    stack: list[tuple[Node, int]] = []
    node = load(root)
    while not node.leaf:
        i = bisect_right(node.keys, start)
        stack.append((node, i))
        node = load(node.vals[i])
    i = bisect_left(node.keys, start)
    while True:
        keys, vals = node.keys, node.vals
        while i < len(keys):
            yield keys[i], vals[i]
            i += 1
        while stack:
            parent, j = stack.pop()
            if j + 1 < len(parent.vals):
                stack.append((parent, j + 1))
                node = load(parent.vals[j + 1])
                while not node.leaf:
                    stack.append((node, 0))
                    node = load(node.vals[0])
                i = 0
                break
        else:
            return


def _split(tx: TreeContext, node: Node, append: bool = False) -> list[tuple[Key | None, Node]]:
    """
    Split an overfull node in two by bytes: in the middle, or, when keys
    are being appended at the end (C{append}), leaving the left node full,
    so sequential inserts fill pages instead of leaving them half empty.
    """
    if node.size <= tx.capacity or len(node.keys) < 2:
        return [(None, node)]
    keys, vals = node.keys, node.vals
    target = (tx.capacity * 15) // 16 if append else node.size // 2
    if node.leaf:
        sizes = [leaf_entry_size(k, v, tx.max_entry) for k, v in zip(keys, vals)]
        acc, i = 0, 0
        while i < len(keys) - 1 and acc + sizes[i] <= target:
            acc += sizes[i]
            i += 1
        i = max(i, 1)
        enc = _enc(node)
        left = _new(tx, True, keys[:i], vals[:i], sum(sizes[:i]), enc[:i])
        right = _new(tx, True, keys[i:], vals[i:], node.size - left.size, enc[i:])
        return [(None, left)] + [(keys[i], right)]
    sizes = [branch_entry_size(k) for k in keys]
    acc, m = 8, 0
    while m < len(keys) - 1 and acc + sizes[m] <= target:
        acc += sizes[m]
        m += 1
    left = _new(tx, False, keys[:m], vals[:m + 1], branch_size(keys[:m]))
    right = _new(tx, False, keys[m + 1:], vals[m + 1:], branch_size(keys[m + 1:]))
    return [(None, left), (keys[m], right)]


def _put(tx: TreeContext, node: Node, key: Key, value: Value) -> list[tuple[Key | None, Node]]:
    keys = node.keys
    own = node.gen == tx.gen
    if node.leaf:
        i = bisect_left(keys, key)
        if own:
            if node.enc is None:
                node.enc = [None] * len(keys)
            nk, nv, ne = keys, node.vals, node.enc
        else:
            nk, nv, ne = list(keys), list(node.vals), _enc(node)
        add = leaf_entry_size(key, value, tx.max_entry)
        if i < len(nk) and nk[i] == key:
            old = nv[i]
            if isinstance(old, Overflow):
                tx.free_overflow(old)
            size = node.size - leaf_entry_size(key, old, tx.max_entry) + add
            nv[i] = value
            ne[i] = None
        else:
            nk.insert(i, key)
            nv.insert(i, value)
            ne.insert(i, None)
            size = node.size + add
        if own:
            node.size = size
            new = node
        else:
            tx.retire(node)
            new = _new(tx, True, nk, nv, size, ne)
        return _split(tx, new, i == len(nk) - 1)
    i = bisect_right(keys, key)
    parts = _put(tx, tx.load(node.vals[i]), key, value)
    if own:
        nk, nv = keys, node.vals
    else:
        nk, nv = list(keys), list(node.vals)
    nv[i] = parts[0][1]
    size = node.size
    for j, (sep, child) in enumerate(parts[1:]):
        assert sep is not None
        nk.insert(i + j, sep)
        nv.insert(i + 1 + j, child)
        size += branch_entry_size(sep)
    if own:
        node.size = size
        new = node
    else:
        tx.retire(node)
        new = _new(tx, False, nk, nv, size)
    return _split(tx, new, i + len(parts) == len(nv))


def put(tx: TreeContext, root: Ref, key: Key, value: Value) -> Node:
    """
    Return the root of a tree like C{root} with C{key} set to C{value}.
    """
    if root is None:
        return _new(tx, True, [key], [value], leaf_entry_size(key, value, tx.max_entry))
    parts = _put(tx, tx.load(root), key, value)
    while len(parts) > 1:
        keys = [sep for sep, _ in parts[1:] if sep is not None]
        node = _new(tx, False, keys, [n for _, n in parts], branch_size(keys))
        parts = _split(tx, node)
    return parts[0][1]


def _merge(tx: TreeContext, nk: list[Key], nv: list[Any], i: int) -> None:
    """
    Merge child C{i} (just shrunk) with a neighbour if both fit in one page.
    """
    left_i = i if i + 1 < len(nv) else i - 1
    left = tx.load(nv[left_i])
    right = tx.load(nv[left_i + 1])
    sep = nk[left_i]
    if left.leaf:
        size = left.size + right.size
        if size > tx.capacity:
            return
        merged = _new(tx, True, left.keys + right.keys, left.vals + right.vals, size,
                      _enc(left) + _enc(right))
    else:
        size = left.size + right.size - 8 + branch_entry_size(sep)
        if size > tx.capacity:
            return
        merged = _new(tx, False, left.keys + [sep] + right.keys, left.vals + right.vals, size)
    tx.retire(left)
    tx.retire(right)
    nv[left_i:left_i + 2] = [merged]
    del nk[left_i]


def _delete(tx: TreeContext, node: Node, key: Key) -> tuple[Node | None, Value | None]:
    keys = node.keys
    if node.leaf:
        i = bisect_left(keys, key)
        if i == len(keys) or keys[i] != key:
            return node, None
        old = node.vals[i]
        if isinstance(old, Overflow):
            tx.free_overflow(old)
        tx.retire(node)
        if len(keys) == 1:
            return None, old
        size = node.size - leaf_entry_size(key, old, tx.max_entry)
        enc = _enc(node)
        return _new(tx, True, keys[:i] + keys[i + 1:], node.vals[:i] + node.vals[i + 1:],
                    size, enc[:i] + enc[i + 1:]), old
    i = bisect_right(keys, key)
    child, old = _delete(tx, tx.load(node.vals[i]), key)
    if old is None:
        return node, None
    tx.retire(node)
    nk = list(keys)
    nv = list(node.vals)
    if child is None:
        del nv[i]
        if not nv:
            return None, old
        del nk[i - 1 if i > 0 else 0]
    else:
        nv[i] = child
        if child.size < tx.capacity // 4 and len(nv) > 1:
            _merge(tx, nk, nv, i)
    return _new(tx, False, nk, nv, branch_size(nk)), old


def delete(tx: TreeContext, root: Ref, key: Key) -> tuple[Ref, Value | None]:
    """
    Return (root of a tree like C{root} without C{key}, the removed value);
    the root is C{root} itself when the key was absent.
    """
    if root is None:
        return None, None
    node = tx.load(root)
    new, old = _delete(tx, node, key)
    if old is None:
        return root, None
    ref: Ref = new
    while isinstance(ref, Node) and not ref.leaf and len(ref.vals) == 1:
        tx.retire(ref)
        ref = ref.vals[0]
    return ref, old


def dirty_nodes(root: Ref) -> list[Node]:
    """
    The unwritten nodes under C{root}, children before parents.
    """
    out: list[Node] = []
    if not isinstance(root, Node):
        return out
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded or node.leaf:
            out.append(node)
            continue
        stack.append((node, True))
        for child in reversed(node.vals):
            if isinstance(child, Node):
                stack.append((child, False))
    return out
