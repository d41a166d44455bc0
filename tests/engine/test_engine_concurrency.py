"""
Many threads at once: writers, readers and snapshots in parallel see
consistent states, never torn bodies; big catalogs stay ordered and
balanced through inserts and deletes.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time

from cartridge_d.engine import Cartridge, DeleteObject, PutObject, check
from engine_helpers import make_bucket, record, store


def content(key: str, n: int) -> bytes:
    """
    Version C{n} of C{key}: self-describing, so a reader can tell a torn
    or mixed-up body from a real one.
    """
    head = ("%s:%d:" % (key, n)).encode()
    size = int(hashlib.md5(head).hexdigest()[:5], 16) % 120_000
    return head + hashlib.sha256(head).digest() * (size // 32)


def test_readers_and_writers_in_parallel(cart_path: str) -> None:
    """
    While writers overwrite and delete, readers' views list and read only
    complete, committed bodies, including records deleted after the view
    began; snapshots taken meanwhile stay readable.
    """
    with Cartridge.open(cart_path) as cart:
        make_bucket(cart)
        stop = threading.Event()
        problems: list[str] = []

        def writer(t: int) -> None:
            rng = random.Random(t)
            try:
                for n in range(60):
                    key = "w%d-%d" % (t, rng.randrange(8))
                    if rng.random() < 0.2:
                        cart.delete_object("b", key)
                    else:
                        cart.put_object(record("b", key, store(cart, content(key, n))))
            except Exception as e:  # pragma: no cover - reported below
                problems.append("writer: %r" % e)

        def reader() -> None:
            try:
                while not stop.is_set():
                    with cart.view() as v:
                        for rec in v.list_objects("b"):
                            data = v.read(rec, 0, rec.size)
                            key, n, _ = data.split(b":", 2)
                            if key.decode() != rec.key or data != content(rec.key, int(n)):
                                problems.append("torn body for %s" % rec.key)
            except Exception as e:  # pragma: no cover - reported below
                problems.append("reader: %r" % e)

        def snapshotter() -> None:
            for i in range(3):
                time.sleep(0.05)
                cart.snapshot_create("s%d" % i)
        writers = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
        readers = [threading.Thread(target=reader) for _ in range(3)]
        snap = threading.Thread(target=snapshotter)
        for th in writers + readers + [snap]:
            th.start()
        for th in writers + [snap]:
            th.join(120)
        stop.set()
        for th in readers:
            th.join(60)
        assert problems == []
        for s in cart.snapshot_list():
            with cart.snapshot_view(s.name) as v:
                for rec in v.list_objects("b"):
                    n = int(v.read(rec, 0, 40).split(b":")[1])
                    assert v.read(rec, 0, rec.size) == content(rec.key, n)
    report = check(cart_path, data=True)
    assert report.ok, str(report)


def test_big_catalog_insert_delete(cart_path: str) -> None:
    """
    Twelve thousand keys in batches, then two thirds deleted in random
    order: listing matches a model throughout, and the tree checks clean
    (ordered, balanced, every page accounted for) before and after reopening.
    """
    rng = random.Random(7)
    keys = ["dir%03d/%s-%06d" % (i % 97, "x" * (i % 200), i) for i in range(12_000)]
    rng.shuffle(keys)
    ref = None
    with Cartridge.open(cart_path) as cart:
        make_bucket(cart)
        ref = store(cart, b"tiny body")
        for i in range(0, len(keys), 2000):
            cart.commit([PutObject(record("b", k, ref)) for k in keys[i:i + 2000]])
        assert check(cart_path).ok
        doomed = keys[:len(keys) * 2 // 3]
        rng.shuffle(doomed)
        for i in range(0, len(doomed), 1500):
            cart.commit([DeleteObject("b", k) for k in doomed[i:i + 1500]])
        alive = sorted(set(keys) - set(doomed), key=str.encode)
        with cart.view() as v:
            assert [r.key for r in v.list_objects("b")] == alive
            assert [r.key for r in v.list_objects("b", prefix="dir005/")] == \
                [k for k in alive if k.startswith("dir005/")]
    report = check(cart_path)
    assert report.ok, str(report)
    assert report.counts["objects"] == len(alive)
    with Cartridge.open(cart_path) as cart, cart.view() as v:
        assert sum(1 for _ in v.list_objects("b")) == len(alive)


def test_check_progress(cart_path: str) -> None:
    """
    check(data=True) reports progress, ending at its total.
    """
    with Cartridge.open(cart_path) as cart:
        make_bucket(cart)
        cart.put_object(record("b", "k", store(cart, random.Random(1).randbytes(9 << 20))))
    seen: list[tuple[int, int]] = []
    assert check(cart_path, data=True, progress=lambda d, t: seen.append((d, t))).ok
    assert len(seen) >= 2 and seen[-1][0] == seen[-1][1]


def test_failed_requests_in_a_group_commit_are_undone_alone(cart_path: str) -> None:
    """
    Threads racing to create the same keys with if_none_match: exactly one
    wins each key, the losers get PreconditionFailed and change nothing,
    although their requests share commits with the winners'.
    """
    from cartridge_d.engine import PreconditionFailed
    with Cartridge.open(cart_path) as cart:
        make_bucket(cart)
        wins: list[tuple[str, int]] = []
        losses: list[str] = []
        lock = threading.Lock()

        def racer(t: int) -> None:
            for i in range(30):
                key = "race-%02d" % i
                try:
                    cart.put_object(record("b", key, store(cart, content(key, t))),
                                    if_none_match=True)
                    with lock:
                        wins.append((key, t))
                except PreconditionFailed:
                    with lock:
                        losses.append(key)
        threads = [threading.Thread(target=racer, args=(t,)) for t in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(120)
        assert sorted(k for k, _ in wins) == ["race-%02d" % i for i in range(30)]
        assert len(losses) == 30 * 7
        with cart.view() as v:
            for key, t in wins:
                rec = v.get_object("b", key)
                assert rec is not None and v.read(rec, 0, rec.size) == content(key, t)
    report = check(cart_path, data=True)
    assert report.ok and report.counts["leaked_blocks"] == 0, str(report)
