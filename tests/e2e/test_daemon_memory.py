"""
The daemon's memory stays bounded by what its requests hold, not by how
many threads touched the bodies (cartridge_d/service/memory.py).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cartridge_d.service.memory import TRIM_INTERVAL, cap_malloc_arenas
from harness import Daemon

#: Peak RSS allowed while four 64 MiB objects stream out at once (the
#: interpreter and imports are about 45 MiB; without the arena cap the
#: same load peaked at 90-106 MiB, with it at 70-81 MiB).
PEAK_LIMIT_KIB = 90 * 1024


def _status_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc status")


def _peak_kib(pid: int) -> int:
    return _status_kib(pid, "VmHWM")


def test_parallel_large_gets_keep_peak_memory_bounded(tmp_path: Path) -> None:
    """
    Four clients each downloading a different 64 MiB object, three times
    over, with the default 32 pool threads: every body arrives intact and
    the server's peak RSS stays under 90 MiB.
    """
    d = Daemon(tmp_path).start()
    try:
        s3 = d.boto3()
        s3.create_bucket(Bucket="mem")
        bodies = {f"k{i}": os.urandom(1 << 20) * 64 for i in range(4)}
        for key, body in bodies.items():
            s3.put_object(Bucket="mem", Key=key, Body=body)

        def fetch(key: str) -> bool:
            stream = s3.get_object(Bucket="mem", Key=key)["Body"]
            digest = hashlib.md5()
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
            return digest.digest() == hashlib.md5(bodies[key]).digest()

        with ThreadPoolExecutor(4) as ex:
            for _ in range(3):
                assert all(ex.map(fetch, list(bodies)))
        assert d.proc is not None
        assert _peak_kib(d.proc.pid) < PEAK_LIMIT_KIB
    finally:
        assert d.stop() == 0, d.log()


def test_memory_goes_back_after_a_burst_of_parallel_uploads(tmp_path: Path) -> None:
    """
    After four clients have uploaded and downloaded 64 MiB objects at once,
    twice, the quiet daemon's resident size falls back to within 8 MiB of
    what it was after a single upload and download of the same size: a
    burst does not leave the daemon holding its buffers' memory.
    """
    d = Daemon(tmp_path).start()
    try:
        assert d.proc is not None
        pid = d.proc.pid
        s3 = d.boto3()
        s3.create_bucket(Bucket="burst")
        body = os.urandom(1 << 20) * 64

        def put_get(key: str) -> bool:
            s3.put_object(Bucket="burst", Key=key, Body=body)
            got = s3.get_object(Bucket="burst", Key=key)["Body"].read()
            return hashlib.md5(got).digest() == hashlib.md5(body).digest()

        assert put_get("warm")
        quiet = min(_rss_readings(pid, 6))
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")  # VmHWM starts again from the current RSS
        with ThreadPoolExecutor(4) as ex:
            for burst in range(2):
                assert all(ex.map(put_get, [f"b{burst}-{i}" for i in range(4)]))
        ceiling = quiet + 8 * 1024
        assert _peak_kib(pid) > ceiling, "the burst did not raise the peak"
        after = next((kib for kib in _rss_readings(pid, 40) if kib <= ceiling), None)
        assert after is not None, (quiet, _status_kib(pid, "VmRSS"))
    finally:
        assert d.stop() == 0, d.log()


def _rss_readings(pid: int, count: int) -> Iterator[int]:
    """
    The daemon's RSS in KiB, C{count} times, half a trim interval apart
    (so a few readings span at least one trim).
    """
    for _ in range(count):
        time.sleep(TRIM_INTERVAL / 2)
        yield _status_kib(pid, "VmRSS")


def test_arena_cap_leaves_an_administrators_setting_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """
    MALLOC_ARENA_MAX in the environment is the administrator's choice: the
    daemon does not override it.
    """
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")
    assert cap_malloc_arenas() is False


def test_trim_heap_gives_freed_memory_back(tmp_path: Path) -> None:
    """
    Memory freed inside the heap (holes between blocks still in use, which
    malloc keeps) goes back to the system when the daemon trims its heap:
    the process's resident size falls by most of what was freed.
    """
    import subprocess
    import sys

    script = (
        "from cartridge_d.service.memory import trim_heap\n"
        "def rss():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmRSS:'):\n"
        "            return int(line.split()[1])\n"
        "blocks = [bytes(100_000) for _ in range(600)]\n"
        "keep = blocks[9::10]\n"  # a live block after every nine freed ones
        "del blocks\n"
        "before = rss()\n"
        "released = trim_heap()\n"
        "print(released, before, rss())\n"
    )
    from harness import REPO

    out = subprocess.run([sys.executable, "-c", script], env=dict(os.environ, PYTHONPATH=str(REPO)),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    released, before, after = out.stdout.split()
    assert released == "True"
    # 540 blocks of ~98 KiB freed (about 52 MiB); at least 30 MiB must go
    assert int(before) - int(after) > 30 * 1024, out.stdout
