"""
The daemon's memory stays bounded by what its requests hold, not by how
many threads touched the bodies (cartridge_d/service/memory.py).
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cartridge_d.service.memory import cap_malloc_arenas
from harness import Daemon

#: Peak RSS allowed while four 64 MiB objects stream out at once (the
#: interpreter and imports are about 45 MiB; without the arena cap the
#: same load peaked at 90-106 MiB, with it at 70-81 MiB).
PEAK_LIMIT_KIB = 90 * 1024


def _peak_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc status")


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
