"""
Prefix-compressed leaves (docs/format.md, "Nodes"): the leaf codec round
trips, and the B+tree keeps every leaf exactly encoded, within a page and
fuller than a split in two would, through random inserts, overwrites and
deletes, without changing a tree an earlier root still reaches.
"""

from __future__ import annotations

import os
import random
from dataclasses import replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cartridge_d.engine import Cartridge, btree, check
from cartridge_d.engine.btree import Node
from cartridge_d.engine.constants import MAX_SEQ
from cartridge_d.engine.keys import Key
from cartridge_d.engine.pages import (
    Overflow,
    Value,
    decode_leaf,
    flat_key,
    leaf_entry,
    parse_flat_key,
)
from engine_helpers import make_bucket, record, store

CAPACITY = 4096 - 16
MAX_ENTRY = CAPACITY // 3

u64 = st.integers(0, MAX_SEQ)
catalog_keys = st.tuples(st.integers(1, 4), st.binary(max_size=255), st.binary(max_size=300), u64)
values = st.binary(max_size=300) | st.builds(Overflow, u64, u64, u64, u64)


@settings(deadline=None)
@given(catalog_keys)
def test_flat_key_round_trip(key: Key) -> None:
    """
    Every catalog key, object versions' inverted numbers included, comes
    back from its flat form.
    """
    assert parse_flat_key(flat_key(key)) == key


@settings(deadline=None)
@given(st.dictionaries(catalog_keys, values, max_size=40))
def test_leaf_round_trip(entries: dict[Key, Value]) -> None:
    """
    A leaf of sorted keys, each compressed against the one before, decodes
    to the same keys, values and entry bytes.
    """
    keys = sorted(entries)
    enc = []
    prev = b""
    for k in keys:
        enc.append(leaf_entry(prev, k, entries[k], 1 << 20))
        prev = flat_key(k)
    got_keys, got_vals, got_enc = decode_leaf(b"".join(enc) + bytes(16), len(keys))
    assert got_keys == keys
    assert got_vals == [entries[k] for k in keys]
    assert got_enc == enc


class MemoryTree:
    """
    A TreeContext with every node in memory.
    """

    def __init__(self) -> None:
        self.txn = 1
        self.capacity = CAPACITY
        self.max_entry = MAX_ENTRY
        self.gen = 0

    def load(self, ref: Node | int) -> Node:
        assert isinstance(ref, Node)
        return ref

    def retire(self, node: Node) -> None:
        pass

    def free_overflow(self, value: Overflow) -> None:
        pass


def leaves(root: btree.Ref, depth: int = 0) -> list[tuple[int, Node]]:
    if root is None:
        return []
    assert isinstance(root, Node)
    if root.leaf:
        return [(depth, root)]
    return [x for child in root.vals for x in leaves(child, depth + 1)]


def contents(root: btree.Ref) -> dict[Key, Any]:
    return dict(btree.scan(MemoryTree().load, root, (0, b"", b"", 0)))


def check_leaves(root: btree.Ref) -> list[Node]:
    found = leaves(root)
    assert len({d for d, _ in found}) <= 1, "leaves at different depths"
    for _, node in found:
        assert node.enc is not None
        prev = b""
        for k, v, e in zip(node.keys, node.vals, node.enc):
            assert e == leaf_entry(prev, k, v, MAX_ENTRY)
            prev = flat_key(k)
        assert node.size == sum(map(len, node.enc)) <= CAPACITY
    return [n for _, n in found]


def key_of(i: int) -> Key:
    return (2, b"bucket", b"dir%04d/file%07d" % (i // 1000, i), MAX_SEQ - (i << 20 | 1))


@settings(deadline=None, max_examples=25)
@given(st.lists(st.tuples(st.sampled_from(["put", "put", "put", "delete", "mark"]),
                          st.integers(0, 3000), st.sampled_from([20, 113, 400, 1500])),
                max_size=400))
def test_tree_keeps_leaves_exact(steps: list[tuple[str, int, int]]) -> None:
    """
    Through random puts (values of every size, some too large to stay
    inline), deletes and undo marks, the tree holds what a dict would, every
    leaf's bytes are exactly its entries compressed in order, no leaf is over
    a page, and a root kept at a mark still reads as it did then.
    """
    tree = ModelTree()
    for op, i, size in steps:
        key = key_of(i)
        if op == "put":
            tree.put(key, random.Random(i * size).randbytes(size))
        elif op == "delete":
            tree.delete(key)
        else:
            tree.mark()
    tree.check()


class ModelTree:
    """
    A tree in memory next to the dict it should read as, and the roots
    (with their dicts) kept at each undo mark.
    """

    def __init__(self) -> None:
        self.tx = MemoryTree()
        self.root: btree.Ref = None
        self.model: dict[Key, Value] = {}
        self.kept: list[tuple[btree.Ref, dict[Key, Value]]] = []

    def put(self, key: Key, value: Value) -> None:
        self.root = btree.put(self.tx, self.root, key, value)
        self.model[key] = value

    def delete(self, key: Key) -> None:
        self.root, old = btree.delete(self.tx, self.root, key)
        assert old == self.model.pop(key, None)

    def mark(self) -> None:
        self.tx.gen += 1
        self.kept.append((self.root, dict(self.model)))

    def check(self) -> None:
        """
        Every leaf is exact and within a page, every branch's size is
        right, and the tree and each root kept at a mark read as their dicts.
        """
        check_leaves(self.root)
        check_branches(self.root)
        assert contents(self.root) == self.model
        for old_root, old_model in self.kept:
            assert contents(old_root) == old_model


def test_random_inserts_fill_leaves() -> None:
    """
    Small records inserted in random order leave leaves over 80% full on
    average (splitting in two leaves them near 70%), and in key order over
    90%.
    """
    for shuffled, floor in ((True, 0.80), (False, 0.90)):
        order = list(range(20_000))
        if shuffled:
            random.Random(1).shuffle(order)
        tx = MemoryTree()
        root: btree.Ref = None
        for i in order:
            root = btree.put(tx, root, key_of(i), random.Random(i).randbytes(113))
        nodes = check_leaves(root)
        fill = sum(n.size for n in nodes) / (len(nodes) * CAPACITY)
        assert fill > floor, (shuffled, fill)


def test_records_too_large_for_a_leaf(tmp_path: "os.PathLike[str]") -> None:
    """
    Records too large for a leaf (kilobytes of user metadata) go to
    overflow runs among ordinary small records; they read back after
    reopening, overwriting and deleting them frees their runs, and the
    checker accounts for every block.
    """
    path = os.path.join(os.fspath(tmp_path), "big.cart")
    meta = tuple(("m%d" % i, "v" * 500) for i in range(12))
    with Cartridge.open(path) as c:
        make_bucket(c)
        for i in range(60):
            rec = record("b", "k%03d" % i, store(c, b"x" * 10))
            c.put_object(replace(rec, meta=meta) if i % 3 == 0 else rec)
        c.put_object(replace(record("b", "k003", store(c, b"y")), meta=meta[:1]))
        c.delete_object("b", "k006")
    assert check(path, data=True).ok
    with Cartridge.open(path) as c:
        with c.view() as v:
            recs = {r.key: r for r in v.list_objects("b")}
    assert len(recs) == 59
    assert recs["k000"].meta == meta and recs["k003"].meta == meta[:1]
    assert recs["k001"].meta == ()


def check_branches(root: btree.Ref) -> None:
    """
    Every branch's size is exactly its encoded size (the flush relies on
    it to split branches before they outgrow a page).
    """
    if isinstance(root, Node) and not root.leaf:
        assert root.size == btree.branch_size(root.keys)
        for child in root.vals:
            check_branches(child)


def test_run_of_deletes_in_one_transaction() -> None:
    """
    Deleting most keys of a tree, one after another in one transaction
    (as a Complete attaching many parts removes their detached entries),
    leaves exactly the other keys, leaves exactly encoded and branch sizes
    exact, and does not change the tree an earlier root still reaches.
    """
    tx = MemoryTree()
    root: btree.Ref = None
    model: dict[Key, Value] = {}
    for i in random.Random(5).sample(range(6000), 6000):
        value = random.Random(i).randbytes(40 + i % 200)
        root = btree.put(tx, root, key_of(i), value)
        model[key_of(i)] = value
    tx.gen += 1
    before_root, before = root, dict(model)
    for i in random.Random(6).sample(range(6000), 5000):
        root, old = btree.delete(tx, root, key_of(i))
        assert old == model.pop(key_of(i))
    root, old = btree.delete(tx, root, key_of(6001))
    assert old is None
    check_leaves(root)
    check_branches(root)
    assert contents(root) == model
    assert contents(before_root) == before
    check_branches(before_root)
