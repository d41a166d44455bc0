"""
Real crashes: a writer process committing from several threads is killed
with SIGKILL at random moments, over several cycles on one cartridge.
Every object it reported committed is intact, deleted ones stay deleted,
nothing present is torn, and the checker finds no damage and no leak.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from cartridge_d.engine import Cartridge, check
from crash_writer import content

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CYCLES = 12
TIME_BUDGET = 45.0


def run_and_kill(path: str, cycle: int, rng: random.Random) -> list[str]:
    """
    Start the writer, kill -9 it after a random delay, return its lines.
    """
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(HERE)]))
    proc = subprocess.Popen([sys.executable, str(HERE / "crash_writer.py"), path, str(cycle), "4"],
                            stdout=subprocess.PIPE, text=True, env=env)
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.strip())
            if line.startswith("READY"):
                ready.set()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert ready.wait(30), "writer did not start"
        time.sleep(rng.uniform(0.05, 0.7))
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        reader.join(10)
    return lines


def deletes_in_flight(acked: set[str]) -> set[str]:
    """
    Keys whose delete may have committed without its "DEL" line: after put
    number i (i % 4 == 3) the writer deletes put i - 2.
    """
    out = set()
    for key in acked:
        prefix, _, num = key.rpartition("-")
        if int(num) % 4 == 3:
            out.add("%s-%05d" % (prefix, int(num) - 2))
    return out


def test_kill_9_cycles(tmp_path: Path) -> None:
    """
    After each SIGKILL, acknowledged objects are there byte for byte,
    acknowledged deletes hold, nothing torn is visible, fsck is clean.
    """
    path = str(tmp_path / "crash.cart")
    rng = random.Random(20261124)
    acked: set[str] = set()
    deleted: set[str] = set()
    start = time.monotonic()
    cycles = 0
    while cycles < CYCLES and time.monotonic() - start < TIME_BUDGET:
        for line in run_and_kill(path, cycles, rng):
            kind, _, key = line.partition(" ")
            if kind == "OK":
                acked.add(key)
            elif kind == "DEL":
                deleted.add(key)
        cycles += 1
        report = check(path, data=cycles % 4 == 0)
        assert report.ok, str(report)
        assert report.counts["leaked_blocks"] == 0
        with Cartridge.open(path) as cart, cart.view() as v:
            present = {r.key: r for r in v.list_objects("b")}
            lost = sorted((acked - deleted - deletes_in_flight(acked)) - set(present))
            assert not lost, "acknowledged objects lost: %s" % lost[:20]
            assert not deleted & set(present), "acknowledged deletes undone"
            for key, rec in present.items():
                if key.startswith("c%02d-" % (cycles - 1)) or rng.random() < 0.1:
                    assert v.read(rec, 0, rec.size) == content(key), key
    assert cycles >= 5
    assert len(acked) > 50
