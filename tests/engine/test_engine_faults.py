"""
Power loss at random points: after it, the cartridge opens to the last
acknowledged commit (or the one in flight), every acknowledged object reads
back exactly, and the checker finds no damage and no leaked block.
"""

from __future__ import annotations

import random

import pytest

from cartridge_d.engine import Cartridge, Closed, DataRef, check
from engine_faults import FaultyFile, PowerLoss
from engine_helpers import body, make_bucket, put, record, store

KEYS = 25


def run_until_power_loss(seed: int) -> tuple[bytes, dict[str, bytes], dict[str, bytes | None]]:
    """
    Run random operations on a cartridge until the power goes; return the
    disk image after it, the acknowledged objects and the operation in flight.
    """
    rng = random.Random(seed)
    f = FaultyFile(rng=random.Random(seed + 1000))
    c = Cartridge.open("fault.cart", _file=f, blocks=64)
    make_bucket(c)
    model: dict[str, bytes] = {}
    inflight: dict[str, bytes | None] = {}
    f.arm(rng.randrange(3, 300))
    detached: list[tuple[DataRef, bytes]] = []
    try:
        for _ in range(300):
            r = rng.random()
            key = "k%02d" % rng.randrange(KEYS)
            if r < 0.6:
                data = rng.randbytes(rng.choice([0, 7, 3000, 70_000, 300_000]))
                inflight = {key: data}
                put(c, "b", key, data)
                model[key] = data
            elif r < 0.8:
                inflight = {key: None}
                c.delete_object("b", key)
                model.pop(key, None)
            elif r < 0.85:
                if c.snapshot_list():
                    c.snapshot_delete(c.snapshot_list()[0].name)
                else:
                    c.snapshot_create("s%d" % rng.randrange(1000))
            elif r < 0.87:
                c.vacuum()
            elif r < 0.93:
                data = rng.randbytes(rng.choice([50_000, 100_000]))
                ref = store(c, data)
                c.keep_detached(ref, b"tag")
                detached.append((ref, data))
            elif r < 0.96 and detached:
                c.release_detached(detached.pop()[0])
            elif detached:
                # a Complete: the parts' CRC entries (format 2.2) pass to the record
                take, detached = detached[:3], detached[3:]
                data = b"".join(d for _, d in take)
                inflight = {key: data}
                c.put_object(record("b", key, *(ref for ref, _ in take)))
                model[key] = data
            inflight = {}
    except (PowerLoss, Closed):
        pass
    f.dead = True
    return f.after_power_loss(), model, inflight


@pytest.mark.parametrize("seed", range(40))
def test_power_loss(seed: int) -> None:
    """
    After a power loss at a random I/O, the cartridge holds exactly the
    acknowledged state (the operation in flight may or may not be there),
    checks clean, and keeps working.
    """
    image, model, inflight = run_until_power_loss(seed)
    disk = FaultyFile(image)
    report = check("fault.cart", _file=disk)
    assert report.ok, str(report)
    c = Cartridge.open("fault.cart", _file=disk)
    for i in range(KEYS):
        key = "k%02d" % i
        allowed = [model.get(key)]
        if key in inflight:
            allowed.append(inflight[key])
        assert body(c, "b", key) in allowed, key
    put(c, "b", "after", b"a" * 100_000)
    c.close()
    report = check("fault.cart", _file=disk, data=True)
    assert report.ok, str(report)


class FailingSync(FaultyFile):
    """
    A disk whose next sync fails with EIO (and drops what it was to write).
    """

    fail = False

    def sync(self) -> None:
        if self.fail:
            raise OSError(5, "Input/output error")
        super().sync()


def test_failed_sync_stops_the_cartridge() -> None:
    """
    When a sync fails, the commit fails, every later call raises Closed
    (the engine never retries a failed sync), and reopening gives the last
    durable state, clean.
    """
    disk = FailingSync()
    c = Cartridge.open("eio.cart", _file=disk, blocks=64)
    make_bucket(c)
    put(c, "b", "kept", b"k" * 5000)
    disk.fail = True
    with pytest.raises(Closed):
        put(c, "b", "lost", b"l" * 5000)
    with pytest.raises(Closed):
        put(c, "b", "later", b"x")
    with pytest.raises(Closed):
        c.view()
    image = FaultyFile(disk.after_power_loss())
    assert check("eio.cart", _file=image).ok
    with Cartridge.open("eio.cart", _file=image) as again:
        assert body(again, "b", "kept") == b"k" * 5000
        assert body(again, "b", "lost") is None
