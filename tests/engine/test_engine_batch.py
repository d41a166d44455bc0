"""
Batches of sorted puts and deletes in one descent (L{btree.apply_keys}),
as a Complete attaching many parts uses them: the tree ends as a loop of
single puts and deletes would leave it, the old values come back in
order, and through a real cartridge every part is attached exactly once.

test-case-name: tests.engine.test_engine_batch
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from cartridge_d.engine import Cartridge, DataRef, btree, check
from cartridge_d.engine.keys import Key
from cartridge_d.engine.pages import Value
from engine_helpers import body, make_bucket, record, store
from test_engine_leaves import CAPACITY, ModelTree, key_of, leaves

SIZES = [20, 113, 400, 1500]


def apply_sorted(tx: btree.TreeContext, root: btree.Ref, ops: list[tuple[Key, Value | None]]
                 ) -> tuple[btree.Ref, list[Value | None]]:
    """L{btree.apply_keys} on (key, value or None) pairs sorted by key."""
    return btree.apply_keys(tx, root, [k for k, _ in ops], [v for _, v in ops])
#: a batch: a seed, where its keys start, how far they spread (a run of
#: neighbours or the whole tree), how many ops, the share of deletes, and
#: whether an undo mark comes before it
batch = st.tuples(st.integers(0, 2**32), st.integers(0, 3000), st.sampled_from([3, 40, 400, 3000]),
                  st.integers(0, 150), st.sampled_from([0.0, 0.3, 0.7, 1.0]), st.booleans())


def _value(i: int, size: int, salt: int) -> Value:
    return random.Random(i * 7919 + size + salt).randbytes(size)


def _check(tree: ModelTree) -> None:
    """
    The tree checks of L{ModelTree.check}, and every branch fits a page
    (a batch can add many children to one branch).
    """
    tree.check()
    stack = [tree.root]
    while stack:
        node = stack.pop()
        if isinstance(node, btree.Node) and not node.leaf:
            assert node.size <= CAPACITY
            stack.extend(node.vals)


def _ops(seed: int, base: int, spread: int, count: int, deletes: float, salt: int,
         ) -> list[tuple[Key, Value | None]]:
    """
    C{count} ops on keys C{base} to C{base + spread}, sorted by key
    (repeated keys kept in the order drawn), a share C{deletes} of them
    deletes, the puts of values of 20 to 1,500 bytes.
    """
    rng = random.Random(seed)
    ops: list[tuple[Key, Value | None]] = []
    for _ in range(count):
        i = min(3000, base + rng.randrange(spread))
        ops.append((key_of(i), None if rng.random() < deletes
                    else _value(i, rng.choice(SIZES), salt)))
    return sorted(ops, key=lambda kv: kv[0])


@settings(deadline=None, max_examples=80)
@given(st.integers(0, 2**32), st.integers(0, 2500), st.lists(batch, max_size=8))
def test_batches_read_as_a_dict(seed: int, start: int,
                                batches: list[tuple[int, int, int, int, float, bool]]) -> None:
    """
    On a random tree, batches of sorted puts (values of 20 to 1,500
    bytes, so leaves split and share) and deletes (so they merge and
    empty), keys repeated in a batch included, each give the old values a
    dict would, in order; after each batch every leaf is exactly encoded
    and within a page, every branch's size is exact, and the tree and
    each root kept at an undo mark between batches read as their dicts.
    """
    tree = ModelTree()
    rng = random.Random(seed)
    for i in rng.sample(range(3001), start):
        tree.put(key_of(i), _value(i, rng.choice(SIZES), 0))
    for n, (bseed, base, spread, count, deletes, mark) in enumerate(batches):
        if mark:
            tree.mark()
        ops = _ops(bseed, base, spread, count, deletes, n + 1)
        want: list[Value | None] = []
        for key, value in ops:
            want.append(tree.model.get(key))
            if value is None:
                tree.model.pop(key, None)
            else:
                tree.model[key] = value
        tree.root, olds = apply_sorted(tree.tx, tree.root, ops)
        assert olds == want
        _check(tree)


def test_batch_that_grows_and_shrinks_a_branch_many_fold() -> None:
    """
    A batch that puts thousands of entries of 1,300 bytes among the
    neighbouring keys of a three-level tree, making hundreds of leaves
    under one branch and splitting it in several, and then one that
    deletes them again, leave the tree exact and reading as a dict, and
    the roots kept at the marks before each read as they did.
    """
    tree = ModelTree()
    for i in range(0, 30_000, 10):
        tree.put(key_of(i), _value(i, 400, 0))
    assert isinstance(tree.root, btree.Node) and not tree.root.vals[0].leaf
    branches = len(tree.root.vals)
    tree.mark()
    grow: list[tuple[Key, Value | None]] = [(key_of(i), _value(i, 1300, 1))
                                            for i in range(2000, 6000)]
    tree.root, olds = apply_sorted(tree.tx, tree.root, grow)
    assert olds == [tree.model.get(k) for k, _ in grow]
    tree.model.update(grow)  # type: ignore[arg-type]
    _check(tree)
    assert len(tree.root.vals) > branches + 2  # type: ignore[union-attr]
    tree.mark()
    gone: list[tuple[Key, Value | None]] = [(key_of(i), None) for i in range(1000, 8000)]
    tree.root, olds = apply_sorted(tree.tx, tree.root, gone)
    assert olds == [tree.model.pop(k, None) for k, _ in gone]
    _check(tree)


def test_sparse_deletes_merge_leaves() -> None:
    """
    A batch that deletes nine keys in ten all over the tree leaves the
    survivors in a third of the leaves or fewer: the leaves it shrinks
    merge with their neighbours, as single deletes would merge them.
    """
    tree = ModelTree()
    for i in range(3000):
        tree.put(key_of(i), _value(i, 400, 0))
    before = len(leaves(tree.root))
    tree.mark()
    gone: list[tuple[Key, Value | None]] = [(key_of(i), None) for i in range(3000) if i % 10]
    tree.root, olds = apply_sorted(tree.tx, tree.root, gone)
    assert olds == [tree.model.pop(k) for k, _ in gone]
    _check(tree)
    assert len(leaves(tree.root)) * 3 <= before


def test_batch_of_nothing_changes_nothing() -> None:
    """
    A batch of deletes of absent keys leaves the very same root (no path
    is copied, so a commit writes nothing for it), and an empty batch or
    one on an empty tree is harmless.
    """
    tree = ModelTree()
    for i in range(0, 3000, 2):
        tree.put(key_of(i), _value(i, 113, 0))
    tree.mark()
    root = tree.root
    new, olds = apply_sorted(tree.tx, root, [(key_of(i), None) for i in range(1, 3000, 50)])
    assert new is root and olds == [None] * 60
    assert apply_sorted(tree.tx, root, []) == (root, [])
    assert apply_sorted(tree.tx, None, [(key_of(1), None)]) == (None, [None])


def test_batch_that_empties_the_tree() -> None:
    """
    Deleting every key in one batch leaves an empty tree, and the root
    kept at the mark before still reads as it did.
    """
    tree = ModelTree()
    for i in range(2000):
        tree.put(key_of(i), _value(i, 400, 0))
    tree.mark()
    root, olds = apply_sorted(tree.tx, tree.root, [(key_of(i), None) for i in range(2000)])
    assert root is None
    assert olds == [tree.model[key_of(i)] for i in range(2000)]
    _check(tree)


def _detached(c: Cartridge, n: int) -> tuple[list[bytes], list[DataRef]]:
    parts = [random.Random(i).randbytes(3_000 + 37 * i) for i in range(n)]
    refs = [store(c, p) for p in parts]
    for ref in refs:
        c.keep_detached(ref, b"upload")
    return parts, refs


def test_complete_of_many_parts_attaches_each_once(cart_path: str) -> None:
    """
    Completing records of 64 and 8 detached parts (among hundreds of
    other objects, so the parts' entries span several leaves) takes
    every part, the objects read back byte for byte after reopening,
    deleting one frees its parts, and a check that reads every byte is
    clean.
    """
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
        for i in range(300):
            c.put_object(record("b", "small%04d" % i, store(c, b"s%d" % i)))
        big, big_refs = _detached(c, 64)
        small, small_refs = _detached(c, 8)
        c.put_object(record("b", "big", *big_refs))
        c.put_object(record("b", "eight", *small_refs))
        assert c.list_detached() == []
    with Cartridge.open(cart_path) as c:
        assert body(c, "b", "big") == b"".join(big)
        assert body(c, "b", "eight") == b"".join(small)
        c.delete_object("b", "eight")
        assert body(c, "b", "small0123") == b"s123"
    report = check(cart_path, data=True)
    assert report.ok and report.counts["detached"] == 0, report


def test_record_naming_one_part_twice(cart_path: str) -> None:
    """
    A record that names the same detached part twice (and a live one
    besides) takes it once from its detached entry and once more as a
    second reference: it reads back with the part twice, and deleting
    it frees everything, so the checker finds nothing leaked.
    """
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
        parts, refs = _detached(c, 3)
        c.put_object(record("b", "k", refs[0], refs[1], refs[0], refs[2]))
        assert c.list_detached() == []
        assert body(c, "b", "k") == parts[0] + parts[1] + parts[0] + parts[2]
        c.put_object(record("b", "copy", refs[1], refs[1]))
        assert body(c, "b", "copy") == parts[1] * 2
        assert check(cart_path, data=True).ok
        c.delete_object("b", "k")
        assert body(c, "b", "copy") == parts[1] * 2
        c.delete_object("b", "copy")
    report = check(cart_path, data=True)
    assert report.ok and report.counts["detached"] == 0, report
