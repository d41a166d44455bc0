"""
The C{million} workload group: HEAD and list latency of ours at a million
objects, through HTTP.

The other groups fill their servers through S3 PUTs, which at a few
hundred PUTs a second would take most of an hour for a million objects.
This group instead builds the cartridge offline through the engine API
(C{million_fill.py}, run with ours' interpreter, big commits, keys in
order; about a minute for a million), then starts a daemon of its own on
that cartridge and measures:

  - HEAD of random existing keys on one connection (p50, p99): latency
    with nothing queued in front, which is what a target in milliseconds
    is about;
  - ListObjectsV2 of 1,000 keys from random C{start-after} keys (median,
    p99), each page checked to hold 1,000 keys starting at the right one;
  - the server's CPU per HEAD and per listing, its peak RSS, the fill
    rate and the time from start to listening.

The cartridge is built once per run (before the first repetition) and
the daemon kept for all repetitions; L{Million.close} stops it by its PID
and removes its directory. The peers cannot be filled offline, so for
them the group is not run; the reason goes in the notes and the table.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from loadgen import CheckFailed, Step, Tally, Target, drive, summarize
from peers import REPO, Running, log, ours_python, start_ours
from procstat import Meter
from sigv4 import canonical_query
from wire import Connection
from workloads import Plan, Result, check_summary

BUCKET = "million"
BODY_SIZE = 100
FILL_SCRIPT = Path(__file__).resolve().parent / "million_fill.py"
#: Why the peers are not run: filling them means a million PUTs over HTTP.
NOT_RUN = ("not run: a million objects can only be put into it over HTTP, one PUT "
           "each; at the 185-820 PUTs/s the small group measured for the peers that is "
           "20-90 minutes per server")

_KEY_RE = re.compile(rb"<Key>([^<]*)</Key>")


def key_of(i: int) -> str:
    """
    The key of object C{i}, as C{million_fill.key_of} makes it.
    """
    return "dir%04d/file%07d" % (i // 1000, i)


class Million:
    """
    The prefilled cartridge and the daemon serving it, for one run.
    """

    def __init__(self, root: Path, plan: Plan) -> None:
        self.root = root
        self.plan = plan
        self.server: Running | None = None
        self.workdir: Path | None = None
        self.objects = 0
        self.notes: list[str] = []
        self.built: dict[str, float] = {}
        #: why the build failed: later repetitions do not try again
        self.failed: str | None = None

    def _build(self) -> None:
        """
        Fill a cartridge in a fresh directory and start ours on it; what
        was filled is in L{objects}.
        """
        self.workdir = workdir = Path(tempfile.mkdtemp(prefix="million-", dir=self.root))
        n, seconds = self.plan.million_objects, self.plan.million_fill_seconds
        log(f"million: filling {n:,} objects offline in {workdir}")
        env = dict(os.environ, PYTHONPATH=str(REPO))
        try:
            done = subprocess.run(
                [ours_python(), str(FILL_SCRIPT), str(workdir / "bench.cart"), str(n),
                 str(seconds)],
                env=env, capture_output=True, timeout=seconds + 300)
            if done.returncode != 0:
                raise RuntimeError(f"fill exited with {done.returncode}: "
                                   + done.stderr.decode(errors="replace")[-400:])
            filled = json.loads(done.stdout)
            self.objects = int(filled["objects"])
            if self.objects < 2000:
                raise RuntimeError(f"only {self.objects} objects filled in {seconds:.0f} s")
            t0 = time.monotonic()
            self.server = start_ours(workdir)
        except (OSError, subprocess.SubprocessError, ValueError, KeyError, RuntimeError,
                StopIteration) as e:
            # KeyError, StopIteration: an unreadable fill answer or credentials file
            logfile = workdir / "server.log"
            tail = logfile.read_text(errors="replace")[-300:] if logfile.exists() else ""
            self.failed = f"million: could not build or start ({type(e).__name__}: {e}) {tail}"
            raise CheckFailed(self.failed)
        self.built = {
            "million_objects": float(self.objects),
            "million_fill_rate": self.objects / max(1e-9, float(filled["seconds"])),
            "million_start": (time.monotonic() - t0) * 1000,
        }
        log(f"million: {self.objects:,} objects in {filled['seconds']:.0f} s, "
            f"{int(filled['file_size']) >> 20} MiB; ours pid {self.server.pid}")
        if self.objects < n:
            self.notes.append(f"million: fill cut short at {self.objects:,} of {n:,} objects "
                              f"after {seconds:.0f} s")

    def run(self, rep: int) -> Result:
        """
        One repetition on ours: HEADs, then listings (the cartridge is
        built and the daemon started on the first call).
        """
        if self.failed is not None:
            raise CheckFailed(self.failed)
        if self.server is None:
            self._build()
        assert self.server is not None
        if not self.server.alive():
            raise CheckFailed(f"million: ours died: {self.server.log_tail(5)}")
        res = Result(notes=list(self.notes))
        if rep == 0:
            res.values.update(self.built)
        target = Target("ours", self.server.port, self.server.access_key,
                        self.server.secret_key)
        rnd = random.Random(rep)
        self._heads(target, self.server.pid, rnd, res)
        self._lists(target, self.server.pid, rnd, res)
        return res

    def _heads(self, target: Target, pid: int, rnd: random.Random, res: Result) -> None:
        picks = [rnd.randrange(self.objects) for _ in range(self.plan.million_heads)]

        def step(conn: Connection, w: int, i: int, tally: Tally) -> int:
            key = key_of(picks[i % len(picks)])
            r = conn.request("HEAD", f"/{BUCKET}/{key}")
            if r.status != 200 or int(r.headers.get("content-length", -1)) != BODY_SIZE:
                raise CheckFailed(f"HEAD {key}: {r.status} {r.headers.get('content-length')}")
            return 0

        self._timed(target, pid, step, "head", self.plan.million_warmup, len(picks), res)

    def _lists(self, target: Target, pid: int, rnd: random.Random, res: Result) -> None:
        page = 1000
        starts = [rnd.randrange(self.objects - page) for _ in range(self.plan.million_lists)]

        def step(conn: Connection, w: int, i: int, tally: Tally) -> int:
            at = starts[i % len(starts)]
            query = canonical_query({"list-type": "2", "max-keys": str(page),
                                     "start-after": key_of(at)})
            r = conn.request("GET", f"/{BUCKET}", query=query)
            keys = _KEY_RE.findall(r.body)
            if r.status != 200 or len(keys) != page or keys[0] != key_of(at + 1).encode():
                raise CheckFailed(f"list after {key_of(at)}: {r.status}, {len(keys)} keys, "
                                  f"first {keys[:1]!r}")
            return len(r.body)

        warm = max(1, self.plan.million_warmup // 100)
        self._timed(target, pid, step, "list", warm, len(starts), res)

    def _timed(self, target: Target, pid: int, step: Step, name: str, warm: int, count: int,
               res: Result) -> None:
        """
        Run C{step} C{warm} times unmeasured (the daemon's node cache
        starts empty), then C{count} times on one connection: p50, p99,
        server CPU per request, and the peak RSS so far.
        """
        drive(target, step, 1, warm, self.plan.million_seconds)
        meter = Meter(pid).start()
        s = summarize(drive(target, step, 1, count, self.plan.million_seconds))
        cpu = meter.cpu()
        ok = check_summary(f"million {name}", s, res) and s.errors == 0
        res.values[f"million_{name}_p50"] = s.p50 * 1000 if ok else None
        res.values[f"million_{name}_p99"] = s.p99 * 1000 if ok else None
        res.values[f"million_{name}_cpu"] = cpu * 1000 / s.ops if ok else None
        res.values["million_rss"] = max(res.values.get("million_rss") or 0.0, meter.rss())

    def close(self) -> str | None:
        """
        Stop the daemon by its PID and remove its directory (the
        cartridge); what went wrong, if anything.
        """
        server, self.server = self.server, None
        problem = server.stop() if server is not None else None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return problem
