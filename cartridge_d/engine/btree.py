"""
The copy-on-write B+tree algorithms (docs/format.md, "B+tree nodes").

Trees are persistent values across undo marks: C{put} and C{delete}
return a new root and never change a node that a root kept at a mark can
reach. A node read from a page is immutable and cached; changing it makes
an in-memory copy (C{page} None) and retires the page, which the commit
frees once nobody can read it. An unwritten node of the current
generation (C{TreeContext.gen}) is changed in place instead: no mark can
reach it, so a run of changes does not copy it once per key, and undoing
a failed operation is still just going back to the root kept at the mark.

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
L{cartridge_d.engine.nodes}; this module has the descents: one per key
(L{put}, L{delete}), or one for a sorted batch (L{apply_keys}), which
copies and fixes each node it touches once for all of its keys.

test-case-name: tests.engine.test_engine_properties, tests.engine.test_engine_batch
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any, Callable, Iterator, cast

from .keys import Key
from .nodes import (
    Node,
    Ref,
    TreeContext,
    branch_size,
    drop_run,
    insert_run,
    leaf_enc,
    leaf_lists,
    leaf_of,
    merge,
    merge_small,
    new_node,
    overflow,
    set_entry,
    split_branch,
    split_leaf,
)
from .pages import Value, branch_entry_size, leaf_entry

__all__ = ["Node", "Ref", "TreeContext", "apply_keys", "branch_size", "delete", "dirty_nodes",
           "get", "put", "scan", "seek"]


def _leaf(load: Callable[[Node | int], Node], root: Node | int, key: Key) -> Node:
    """The leaf that holds C{key}, or would."""
    node = load(root)
    while not node.leaf:
        node = load(node.vals[bisect_right(node.keys, key)])
    return node


def get(load: Callable[[Node | int], Node], root: Ref, key: Key) -> Value | None:
    if root is None:
        return None
    node = _leaf(load, root, key)
    i = bisect_left(node.keys, key)
    if i < len(node.keys) and node.keys[i] == key:
        return node.vals[i]  # type: ignore[no-any-return]
    return None


def seek(load: Callable[[Node | int], Node], root: Ref, start: Key) -> tuple[Key, Value] | None:
    """
    The first (key, value) with key >= C{start}, or None: one descent
    (every GET and HEAD finds its key's latest version this way), and
    L{scan}'s generator only when C{start} sorts after its whole leaf.
    """
    if root is None:
        return None
    node = _leaf(load, root, start)
    i = bisect_left(node.keys, start)
    if i < len(node.keys):
        return node.keys[i], node.vals[i]
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


def _put_leaf(tx: TreeContext, node: Node, key: Key, value: Value) -> Node:
    """
    The leaf C{node} with C{key} set, possibly overfull (the caller splits
    or shares it).
    """
    nk, nv, ne = leaf_lists(tx, node)
    i = bisect_left(nk, key)
    last, streak = node.last, node.streak
    grown, new_key = set_entry(tx, nk, nv, ne, i, key, value)
    if new_key:
        last, streak = i, 0 < i == node.last + 1
    new = leaf_of(tx, node, nk, nv, ne, node.size + grown)
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
    grown, same_keys, _ = _fix_child(tx, nk, nv, i, parts, key)
    return split_branch(tx, _finish_branch(tx, node, nk, nv, node.size + grown, same_keys))


def _drop_child(nk: list[Key], nv: list[Any], i: int) -> int:
    """
    Remove child C{i}, which emptied, from a branch's lists (C{nk}, C{nv})
    with the separator next to it; return how many bytes the branch grew
    by. The last child goes without a separator: the caller retires the
    branch that has none left.
    """
    del nv[i]
    if not nv:
        return 0
    return -branch_entry_size(nk.pop(i - 1 if i > 0 else 0))


def _fix_child(tx: TreeContext, nk: list[Key], nv: list[Any], i: int,
               parts: list[tuple[Key | None, Node]], last: Key | None) -> tuple[int, bool, bool]:
    """
    Put the pieces C{parts} of child C{i} after a descent (none if it
    emptied) in its place in a branch's lists (C{nk}, C{nv}), sharing or
    splitting an overfull leaf (L{overflow}; C{last} is the last key set
    in it, if any, to tell an append at its end). Return how many bytes the
    branch grew by, whether its separators stayed the same, and whether
    the one child left is under a quarter of a page (for the caller to
    merge).
    """
    if not parts:
        return _drop_child(nk, nv, i), False, False
    new = nv[i] = parts[0][1]
    if len(parts) > 1:
        grown = 0
        for j, (sep, part) in enumerate(parts[1:]):
            assert sep is not None
            nk.insert(i + j, sep)
            nv.insert(i + 1 + j, part)
            grown += branch_entry_size(sep)
        return grown, False, False
    if new.leaf and new.size > tx.capacity:
        return overflow(tx, nk, nv, i, new.keys[-1] == last), False, False
    return 0, True, new.size < tx.capacity // 4


def _finish_branch(tx: TreeContext, node: Node, nk: list[Key], nv: list[Any], size: int,
                   same_keys: bool) -> Node:
    """
    The branch holding the changed lists (C{nk}, C{nv}) of C{node}:
    C{node} itself when they are its own, else a new node that replaces
    it. It may be overfull: the caller splits it.
    """
    # the separators' encodings (kept for the flush) hold while they do
    heads = node.enc if same_keys else None
    if nk is node.keys:
        node.size = size
        node.enc = heads
        return node
    tx.retire(node)
    return new_node(tx, False, nk, nv, size, heads)


def _root_leaf_parts(tx: TreeContext, leaf: Node, last: Key | None
                     ) -> list[tuple[Key | None, Node]]:
    """
    The root leaf C{leaf} after a change, split if it is overfull
    (C{last} as for L{_fix_child}), as pieces with their separators.
    """
    if leaf.size <= tx.capacity:
        return [(None, leaf)]
    pieces = split_leaf(tx, leaf, leaf.keys[-1] == last)
    return [(p.keys[0] if j else None, p) for j, p in enumerate(pieces)]


def put(tx: TreeContext, root: Ref, key: Key, value: Value) -> Node:
    """
    Return the root of a tree like C{root} with C{key} set to C{value}.
    """
    if root is None:
        entry = leaf_entry(b"", key, value, tx.max_entry)
        return new_node(tx, True, [key], [value], len(entry), [entry])
    node = tx.load(root)
    if node.leaf:
        return _grow(tx, _root_leaf_parts(tx, _put_leaf(tx, node, key, value), key))
    return _grow(tx, _put(tx, node, key, value))


def _delete(tx: TreeContext, node: Node, key: Key) -> tuple[Node | None, Value | None]:
    """
    Remove C{key} under C{node}: (the new node or None if it emptied, the
    removed value), or (C{node}, None) when the key is absent. A node this
    transaction made since its last mark is changed in place, as in
    L{_put_leaf}, so a run of deletes does not copy the same leaf and
    branches once per key.
    """
    keys = node.keys
    if node.leaf:
        i = bisect_left(keys, key)
        if i == len(keys) or keys[i] != key:
            return node, None
        old = node.vals[i]
        lk, lv, le = leaf_lists(tx, node)
        shrunk = drop_run(tx, lk, lv, le, i, 1)
        if not lk:
            tx.retire(node)
            return None, old
        return leaf_of(tx, node, lk, lv, le, node.size - shrunk), old
    own = node.gen == tx.gen
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
        size += _drop_child(nk, nv, i)
        if not nv:
            tx.retire(node)
            return None, old
    else:
        nv[i] = child
        if child.size < tx.capacity // 4 and len(nv) > 1:
            size -= merge(tx, nk, nv, i)
    # its separators may have changed
    return _finish_branch(tx, node, nk, nv, size, False), old


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
    return _collapse(tx, new), old


def _apply_leaf(tx: TreeContext, node: Node, keys: list[Key], vals: list[Value | None],
                j: int, end: int, olds: list[Value | None]) -> tuple[bool, Node | None]:
    """
    Leaf C{node} with ops C{j} to C{end} applied in order (their old
    values appended to C{olds}), copied once for all of them, or None if
    it emptied; and whether anything changed (not if all were deletes of
    absent keys). It may be overfull: the caller shares or splits it.

    A run of new keys with no entry between them is inserted at once, and
    a run of deletes of neighbouring entries removed at once, so the entry
    after a run is re-encoded once (a Complete's parts are such runs).
    """
    nk, nv, ne = node.keys, node.vals, leaf_enc(node)
    size, last, streak = node.size, node.last, node.streak
    changed = False
    i, n = 0, j
    while n < end:
        key = keys[n]
        value = vals[n]
        i = bisect_left(nk, key, i)
        found = i < len(nk) and nk[i] == key
        if value is None and not found:
            olds.append(None)
            n += 1
            continue
        if not changed:
            nk, nv, ne = leaf_lists(tx, node)
            changed = True
        if not found:
            count = _new_run(keys, vals, n, end, nk[i] if i < len(nk) else None)
            olds += [None] * count
            size += insert_run(tx, nk, nv, ne, i, keys[n:n + count],
                               cast("list[Value]", vals[n:n + count]))
            streak = count > 1 or 0 < i == last + 1
            last = i + count - 1
        elif value is None:
            count = _gone_run(keys, vals, n, end, nk, i)
            olds += nv[i:i + count]
            size -= drop_run(tx, nk, nv, ne, i, count)
        else:
            count = 1
            olds.append(nv[i])
            size += set_entry(tx, nk, nv, ne, i, key, value)[0]
        n += count
    if not changed:
        return False, node
    if not nk:
        tx.retire(node)
        return True, None
    new = leaf_of(tx, node, nk, nv, ne, size)
    new.last, new.streak = last, streak
    return True, new


def _new_run(keys: list[Key], vals: list[Value | None], n: int, end: int,
             bound: Key | None) -> int:
    """
    How many ops from C{n} (a set of a new key) on set new keys before the
    leaf entry C{bound} (None: the leaf's end), for L{insert_run} to add
    at once.
    """
    k = n + 1
    while (k < end and vals[k] is not None and keys[k] != keys[k - 1]
           and (bound is None or keys[k] < bound)):
        k += 1
    return k - n


def _gone_run(keys: list[Key], vals: list[Value | None], n: int, end: int, nk: list[Key],
              i: int) -> int:
    """
    How many ops from C{n} (a delete of leaf entry C{i}) on delete the
    entries from C{i} in order, for L{drop_run} to remove at once.
    """
    count = 1
    while (n + count < end and i + count < len(nk) and vals[n + count] is None
           and keys[n + count] == nk[i + count]):
        count += 1
    return count


def _apply_branch(tx: TreeContext, node: Node, keys: list[Key], vals: list[Value | None],
                  j: int, stop: int,
                  olds: list[Value | None]) -> list[tuple[Key | None, Node]] | None:
    """
    Apply ops C{j} to C{stop}, all within branch C{node}'s key range, in
    order: each child they fall in is changed once, for all of its ops,
    then shared, split or merged as L{_put} and L{_delete} do for one key.
    Return the new branch or the pieces it split into, with their
    separators (none if it emptied), or None if nothing changed.
    """
    own = node.gen == tx.gen
    nk: list[Key] = node.keys
    nv: list[Any] = node.vals
    size = node.size
    changed = small = False
    same_keys = True
    while j < stop:
        # the separators change as children split and merge: find the
        # next op's child in the branch as it is now
        i = bisect_right(nk, keys[j])
        end = bisect_left(keys, nk[i], j, stop) if i < len(nk) else stop
        child = tx.load(nv[i])
        parts: list[tuple[Key | None, Node]] | None
        if child.leaf:
            leaf_changed, leaf = _apply_leaf(tx, child, keys, vals, j, end, olds)
            parts = None if not leaf_changed else [] if leaf is None else [(None, leaf)]
        else:
            parts = _apply_branch(tx, child, keys, vals, j, end, olds)
        j = end
        if parts is None:
            continue
        if not changed:
            changed = True
            if not own:
                nk, nv = list(nk), list(nv)
        grown, kept, tiny = _fix_child(tx, nk, nv, i, parts,
                                       keys[end - 1] if vals[end - 1] is not None else None)
        size += grown
        same_keys = same_keys and kept
        small = small or tiny
    if not changed:
        return None
    if small:
        grown, merged = merge_small(tx, nk, nv)
        size -= grown
        same_keys = same_keys and not merged
    if not nv:
        tx.retire(node)
        return []
    return split_branch(tx, _finish_branch(tx, node, nk, nv, size, same_keys))


def apply_keys(tx: TreeContext, root: Ref, keys: list[Key], vals: list[Value | None]
               ) -> tuple[Ref, list[Value | None]]:
    """
    Set each of C{keys}, sorted, to the value at the same place in
    C{vals} (None: delete it) in the tree C{root}, in order: return the
    new root and each key's old value (None where it was absent), in
    order.

    This is what a loop of L{put} and L{delete} would give, with one
    descent for all the keys instead of one per key: each leaf and branch
    they touch is copied once, and fixed (shared, split or merged) once
    after all of its keys. A Complete attaching 64 parts, whose keys are
    neighbours, rewrites a few leaves and one path instead of walking 128
    times from the root. Keys and values come apart, so a caller builds
    no pair a key and a run of new keys goes to L{insert_run} as slices.
    """
    olds: list[Value | None] = []
    if not keys:
        return root, olds
    node = tx.load(root) if root is not None else new_node(tx, True, [], [], 0, [])
    parts: list[tuple[Key | None, Node]] | None
    if node.leaf:
        changed, leaf = _apply_leaf(tx, node, keys, vals, 0, len(keys), olds)
        if not changed:
            return root, olds  # only deletes of absent keys
        if leaf is None:
            return None, olds
        parts = _root_leaf_parts(tx, leaf, keys[-1] if vals[-1] is not None else None)
    else:
        parts = _apply_branch(tx, node, keys, vals, 0, len(keys), olds)
        if parts is None:
            return root, olds
        if not parts:
            return None, olds
    return _collapse(tx, _grow(tx, parts)), olds


def _grow(tx: TreeContext, parts: list[tuple[Key | None, Node]]) -> Node:
    """
    The root over C{parts}, the pieces the old root split into: new
    levels of branches until one node holds them.
    """
    while len(parts) > 1:
        keys = [sep for sep, _ in parts[1:] if sep is not None]
        parts = split_branch(tx, new_node(tx, False, keys, [n for _, n in parts], branch_size(keys)))
    return parts[0][1]


def _collapse(tx: TreeContext, ref: Ref) -> Ref:
    """
    The root C{ref} without the branches of one child above it that
    deletes left.
    """
    while isinstance(ref, Node) and not ref.leaf and len(ref.vals) == 1:
        tx.retire(ref)
        ref = ref.vals[0]
    return ref


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
