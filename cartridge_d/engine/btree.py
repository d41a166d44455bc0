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
Leaf keys are prefix-compressed against the previous entry, so a leaf keeps
each entry's encoded bytes (C{enc}) and its exact payload size; a change
re-encodes only the entries it touches and the one after them.

A leaf that overflows first shares entries with a neighbour under the same
parent that has room (B*-style), which is rewritten anyway by copy-on-write,
and splits only when neither has: random inserts leave leaves about 85%
full instead of about 65%.

The node type and the packing of entries into leaves of a given size are in
L{cartridge_d.engine.nodes}; this module has the descents.

test-case-name: tests.engine.test_engine_properties
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any, Callable, Iterator

from .codec import Key
from .nodes import (
    Node,
    Ref,
    TreeContext,
    branch_size,
    cut_run,
    joined,
    leaf_enc,
    new_node,
    repack,
    split_branch,
    split_leaf,
)
from .pages import Overflow, Value, branch_entry_size, flat_key, leaf_entry, rehead

__all__ = ["Node", "Ref", "TreeContext", "branch_size", "delete", "dirty_nodes", "get", "put",
           "scan", "seek"]


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


def _overflow(tx: TreeContext, nk: list[Key], nv: list[Any], i: int, append: bool) -> int:
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
            return _replace(tx, nk, nv, i, i + 2 if with_sib else i + 1, pieces)
    # a run's next keys come after it: entries moved right would meet them
    for j in (i - 1,) if child.streak else (i - 1, i + 1):
        if 0 <= j < len(nv):
            sib = tx.load(nv[j])
            if child.size + sib.size <= 2 * cap - cap // 32:
                lo = min(i, j)
                pieces = repack(tx, [tx.load(nv[lo]), tx.load(nv[lo + 1])], 2)
                if len(pieces) == 2:
                    return _replace(tx, nk, nv, lo, lo + 2, pieces)
    if append:
        return _replace(tx, nk, nv, i, i + 1, split_leaf(tx, child, True))
    lo, hi = max(0, i - 1), min(len(nv), i + 2)
    nodes = [tx.load(nv[k]) for k in range(lo, hi)]
    return _replace(tx, nk, nv, lo, hi, repack(tx, nodes, len(nodes) + 1))


def _replace(tx: TreeContext, nk: list[Key], nv: list[Any], lo: int, hi: int,
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


def _put_leaf(tx: TreeContext, node: Node, key: Key, value: Value) -> Node:
    """
    The leaf C{node} with C{key} set, possibly overfull (the caller splits
    or shares it): the new entry and the one after it are (re-)encoded.
    """
    keys = node.keys
    i = bisect_left(keys, key)
    own = node.gen == tx.gen
    if own:
        nk, nv, ne = keys, node.vals, leaf_enc(node)
    else:
        nk, nv, ne = list(keys), list(node.vals), list(leaf_enc(node))
    last, streak = node.last, node.streak
    prev = flat_key(nk[i - 1]) if i else b""
    flat = flat_key(key)
    entry = leaf_entry(prev, key, value, tx.max_entry, flat)
    size = node.size + len(entry)
    if i < len(nk) and nk[i] == key:
        old = nv[i]
        if isinstance(old, Overflow):
            tx.free_overflow(old)
        size -= len(ne[i])
        nv[i] = value
        ne[i] = entry
    else:
        nk.insert(i, key)
        nv.insert(i, value)
        ne.insert(i, entry)
        if i + 1 < len(nk):
            old_next = ne[i + 1]
            ne[i + 1] = rehead(old_next, flat, nk[i + 1], prev)
            size += len(ne[i + 1]) - len(old_next)
        last, streak = i, 0 < i == node.last + 1
    if own:
        new = node
    else:
        tx.retire(node)
        new = new_node(tx, True, nk, nv, size, ne)
    new.size = size
    new.last, new.streak = last, streak
    return new


def _put(tx: TreeContext, node: Node, key: Key, value: Value) -> list[tuple[Key | None, Node]]:
    """
    Set C{key} under the branch C{node}: the new branch, or the pieces it
    split into with their separators.
    """
    keys = node.keys
    own = node.gen == tx.gen
    i = bisect_right(keys, key)
    child = tx.load(node.vals[i])
    parts: list[tuple[Key | None, Node]]
    if child.leaf:
        parts = [(None, _put_leaf(tx, child, key, value))]
    else:
        parts = _put(tx, child, key, value)
    if own:
        nk, nv = keys, node.vals
    else:
        nk, nv = list(keys), list(node.vals)
    nv[i] = parts[0][1]
    size = node.size
    for j, (sep, part) in enumerate(parts[1:]):
        assert sep is not None
        nk.insert(i + j, sep)
        nv.insert(i + 1 + j, part)
        size += branch_entry_size(sep)
    new_child = parts[0][1]
    same_keys = len(parts) == 1
    if new_child.leaf and new_child.size > tx.capacity:
        size += _overflow(tx, nk, nv, i, new_child.keys[-1] == key)
        same_keys = False
    # the separators' encodings (kept for the flush) hold while they do
    heads = node.enc if same_keys else None
    if own:
        node.size = size
        node.enc = heads
        new = node
    else:
        tx.retire(node)
        new = new_node(tx, False, nk, nv, size, heads)
    return split_branch(tx, new)


def put(tx: TreeContext, root: Ref, key: Key, value: Value) -> Node:
    """
    Return the root of a tree like C{root} with C{key} set to C{value}.
    """
    if root is None:
        entry = leaf_entry(b"", key, value, tx.max_entry)
        return new_node(tx, True, [key], [value], len(entry), [entry])
    node = tx.load(root)
    parts: list[tuple[Key | None, Node]]
    if node.leaf:
        leaf = _put_leaf(tx, node, key, value)
        if leaf.size <= tx.capacity:
            return leaf
        pieces = split_leaf(tx, leaf, leaf.keys[-1] == key)
        parts = [(p.keys[0] if j else None, p) for j, p in enumerate(pieces)]
    else:
        parts = _put(tx, node, key, value)
    while len(parts) > 1:
        keys = [sep for sep, _ in parts[1:] if sep is not None]
        node = new_node(tx, False, keys, [n for _, n in parts], branch_size(keys))
        parts = split_branch(tx, node)
    return parts[0][1]


def _merge(tx: TreeContext, nk: list[Key], nv: list[Any], i: int) -> int:
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


def _delete(tx: TreeContext, node: Node, key: Key) -> tuple[Node | None, Value | None]:
    """
    Remove C{key} under C{node}: (the new node or None if it emptied, the
    removed value), or (C{node}, None) when the key is absent. A node this
    transaction made since its last mark is changed in place, as in
    L{_put_leaf}, so a run of deletes (a Complete attaching 64 parts) does
    not copy the same leaf and branches once per key.
    """
    keys = node.keys
    own = node.gen == tx.gen
    if node.leaf:
        i = bisect_left(keys, key)
        if i == len(keys) or keys[i] != key:
            return node, None
        old = node.vals[i]
        if isinstance(old, Overflow):
            tx.free_overflow(old)
        if len(keys) == 1:
            tx.retire(node)
            return None, old
        if own:
            nk, nv, ne = keys, node.vals, leaf_enc(node)
        else:
            nk, nv, ne = list(keys), list(node.vals), list(leaf_enc(node))
        size = node.size - len(ne[i])
        del nk[i], nv[i], ne[i]
        if i < len(ne):
            head = rehead(ne[i], flat_key(nk[i - 1]) if i else b"", nk[i])
            size += len(head) - len(ne[i])
            ne[i] = head
        if own:
            node.size = size
            return node, old
        tx.retire(node)
        return new_node(tx, True, nk, nv, size, ne), old
    i = bisect_right(keys, key)
    child, old = _delete(tx, tx.load(node.vals[i]), key)
    if old is None:
        return node, None
    if own:
        nk, nv = keys, node.vals
    else:
        nk, nv = list(keys), list(node.vals)
    size = node.size
    if child is None:
        del nv[i]
        if not nv:
            tx.retire(node)
            return None, old
        size -= branch_entry_size(nk.pop(i - 1 if i > 0 else 0))
    else:
        nv[i] = child
        if child.size < tx.capacity // 4 and len(nv) > 1:
            size -= _merge(tx, nk, nv, i)
    if own:
        node.size = size
        node.enc = None  # its separators may have changed
        return node, old
    tx.retire(node)
    return new_node(tx, False, nk, nv, size), old


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
