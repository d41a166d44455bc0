"""
Runs of keys growing in the middle of the tree (several writers each
adding keys in order under their own prefix, as the group commit benchmark
and any set of uploading clients do): the leaves stay full and exact, and
the tree holds what a dict would, whatever mix of runs, random keys,
deletes and undo marks it gets. Branches are written from the separator
encodings they keep between commits.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from cartridge_d.engine import Cartridge, DeleteObject, PutObject, check
from cartridge_d.engine.constants import MAX_SEQ
from cartridge_d.engine.keys import Key
from cartridge_d.engine.pages import branch_heads
from engine_helpers import body, make_bucket, put, record, store
from test_engine_leaves import CAPACITY, ModelTree, check_leaves


def stream_key(writer: int, n: int) -> Key:
    return (2, b"bench", b"t%02d/%08d" % (writer, n), MAX_SEQ - (n << 20 | writer))


def test_interleaved_runs_fill_leaves() -> None:
    """
    16 writers, each putting keys in order under its own prefix, turn by
    turn, leave leaves over 90% full (sharing a leaf with a neighbour
    every few keys, as random inserts are handled, left them about 80%
    full) and every key readable.
    """
    tree = ModelTree()
    for i in range(16_000):
        tree.put(stream_key(i % 16, i // 16), random.Random(i).randbytes(113))
    tree.check()
    nodes = check_leaves(tree.root)
    fill = sum(n.size for n in nodes) / (len(nodes) * CAPACITY)
    assert fill > 0.90, fill


steps = st.lists(
    st.one_of(
        st.tuples(st.just("run"), st.integers(0, 5), st.integers(1, 60)),
        st.tuples(st.just("random"), st.integers(0, 10**6), st.integers(1, 20)),
        st.tuples(st.just("delete"), st.integers(0, 5), st.integers(1, 20)),
        st.tuples(st.just("mark"), st.just(0), st.just(0)),
    ),
    max_size=60)


@settings(deadline=None, max_examples=40)
@given(steps, st.sampled_from([20, 113, 400, 1500]))
def test_runs_keep_the_tree_exact(plan: list[tuple[str, int, int]], size: int) -> None:
    """
    Through runs of in-order keys under a few prefixes (cut out of their
    leaves when these overflow), random keys between them, deletes of a
    run's oldest keys and undo marks, every leaf is exactly its entries
    compressed in order and within a page, and the tree and every root
    kept at a mark read as the dict they were.
    """
    tree = ModelTree()
    made = [0] * 6
    gone = [0] * 6
    for op, a, count in plan:
        if op == "run":
            for _ in range(count):
                made[a] += 1
                tree.put(stream_key(a, made[a] - 1),
                         random.Random(made[a] * 7 + a).randbytes(size))
        elif op == "random":
            rng = random.Random(a)
            for _ in range(count):
                tree.put(stream_key(rng.randrange(6), rng.randrange(10**6)),
                         rng.randbytes(rng.choice([20, size])))
        elif op == "delete":
            for _ in range(min(count, made[a] - gone[a])):
                gone[a] += 1
                tree.delete(stream_key(a, gone[a] - 1))
        else:
            tree.mark()
    tree.check()


def test_branches_written_from_kept_separators(cart_path: str) -> None:
    """
    Commits that only change a branch's children write it from the
    separators' encodings kept since its last write; commits that split,
    share or merge leaves change its separators. Through thousands of
    such commits (16 writers in turn, deletes of half the keys, then
    commits of one put and 60 deletes each), every kept encoding matches
    its branch's keys, and after reopening every remaining object reads
    back and the checker is clean.
    """
    names = ["t%02d/%06d" % (i % 16, i // 16) for i in range(2000)]
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
        for name in names:
            put(c, "b", name, name.encode())
        for name in names[::2]:
            c.delete_object("b", name)
        # a put that keeps the branches' separators, then deletes that
        # merge leaves under them, in one commit
        gone, left = names[1:1200:2], names[1201::2]
        extra = ["u%04d" % i for i in range(0, len(gone), 60)]
        for i, name in zip(range(0, len(gone), 60), extra):
            c.commit([PutObject(record("b", name, store(c, b"u")))]
                     + [DeleteObject("b", k) for k in gone[i:i + 60]])
        kept = [n for n in c._store._cache.values() if not n.leaf and n.enc is not None]
        assert kept
        for node in kept:
            assert node.enc == branch_heads(node.keys)
    with Cartridge.open(cart_path) as c:
        with c.view() as v:
            assert [r.key for r in v.list_objects("b")] == sorted(left + extra)
        for name in left:
            assert body(c, "b", name) == name.encode()
        for name in extra:
            assert body(c, "b", name) == b"u"
    assert check(cart_path, data=True).ok
