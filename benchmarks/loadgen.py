"""
The load generator: many keep-alive connections, each driven by a thread,
spread over a few forked processes so the client's own GIL is not what
limits a small-object run on a 2-core machine.

A workload is a I{step} function called again and again on one
connection; L{drive} runs it on C{nconn} connections until each has done
C{max_ops} steps or the deadline passes, whichever comes first, and
returns one L{Tally} per connection.  Steps time themselves only through
L{drive}: the latency of a step is the wall time of the call.
"""

from __future__ import annotations

import multiprocessing
import queue
import resource
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

from sigv4 import Signer
from wire import Connection

#: Errors after which one connection gives up (a broken server, not noise).
MAX_ERRORS_PER_CONN = 5


@dataclass(frozen=True)
class Target:
    """
    The server a workload runs against.
    """

    name: str
    port: int
    access_key: str
    secret_key: str
    list_v1: bool = False

    def connect(self) -> Connection:
        signer = Signer(self.access_key, self.secret_key, f"127.0.0.1:{self.port}")
        return Connection(self.port, signer)


@dataclass
class Tally:
    """
    What one connection did: operations, bytes, latencies (seconds),
    failures, and how many bodies were verified (and how many did not match).
    """

    worker: int
    ops: int = 0
    nbytes: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    verified: int = 0
    mismatches: int = 0
    keys: list[str] = field(default_factory=list)
    start: float = 0.0
    end: float = 0.0
    connects: int = 0
    #: CPU seconds the client process spent (set on one tally per process).
    client_cpu: float = 0.0


class CheckFailed(Exception):
    """
    The server answered, but not what S3 would (status, size, digest).
    """


#: step(connection, worker, index, tally) -> bytes moved by the step.
Step = Callable[[Connection, int, int, Tally], int]


def _run_connection(target: Target, step: Step, worker: int, max_ops: int,
                    deadline: float) -> Tally:
    conn = target.connect()
    tally = Tally(worker, start=time.time())
    try:
        for i in range(max_ops):
            if time.time() >= deadline:
                break
            t0 = time.perf_counter()
            try:
                n = step(conn, worker, i, tally)
            except Exception as e:  # noqa: BLE001 - every failure is counted, then reported
                tally.errors += 1
                if len(tally.error_samples) < 3:
                    tally.error_samples.append(f"{type(e).__name__}: {e}"[:300])
                conn.close()
                if tally.errors >= MAX_ERRORS_PER_CONN:
                    break
                continue
            tally.latencies.append(time.perf_counter() - t0)
            tally.ops += 1
            tally.nbytes += n
    finally:
        tally.end = time.time()
        tally.connects = conn.connects
        conn.close()
    return tally


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _run_threads(target: Target, step: Step, workers: list[int], max_ops: int,
                 deadline: float) -> list[Tally]:
    """
    One thread per worker in this process; the process's CPU time is
    charged to the first tally.
    """
    cpu0 = _cpu()
    results: list[Tally] = []
    lock = threading.Lock()

    def body(w: int) -> None:
        try:
            t = _run_connection(target, step, w, max_ops, deadline)
        except Exception:  # noqa: BLE001 - could not even connect
            t = Tally(w, errors=1, error_samples=[traceback.format_exc(limit=2)[-300:]])
        with lock:
            results.append(t)

    threads = [threading.Thread(target=body, args=(w,), daemon=True) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, deadline - time.time()) + 120)
    with lock:
        if results:
            results[0].client_cpu = _cpu() - cpu0
        return list(results)


def _child(target: Target, step: Step, workers: list[int], max_ops: int, deadline: float,
           out: "multiprocessing.Queue[list[Tally]]") -> None:
    out.put(_run_threads(target, step, workers, max_ops, deadline))


def drive(target: Target, step: Step, nconn: int, max_ops: int, seconds: float,
          processes: int = 1) -> list[Tally]:
    """
    Run C{step} on C{nconn} connections (worker numbers 0..nconn-1) spread
    over C{processes} forked processes, each connection stopping after
    C{max_ops} steps or C{seconds}, whichever comes first.
    """
    deadline = time.time() + seconds
    processes = max(1, min(processes, nconn))
    if processes == 1:
        return sorted(_run_threads(target, step, list(range(nconn)), max_ops, deadline),
                      key=lambda t: t.worker)
    ctx = multiprocessing.get_context("fork")
    out: multiprocessing.Queue[list[Tally]] = ctx.Queue()
    procs = [ctx.Process(target=_child, daemon=True,
                         args=(target, step, list(range(p, nconn, processes)), max_ops,
                               deadline, out))
             for p in range(processes)]
    for p in procs:
        p.start()
    tallies: list[Tally] = []
    for _ in procs:
        try:
            tallies.extend(out.get(timeout=max(0.0, deadline - time.time()) + 180))
        except queue.Empty:
            break
    for p in procs:
        p.join(10)
        if p.is_alive():
            p.kill()
            p.join(5)
    return sorted(tallies, key=lambda t: t.worker)


@dataclass(frozen=True)
class Summary:
    """
    Tallies folded into the figures a table reports.
    """

    ops: int
    nbytes: int
    seconds: float
    errors: int
    verified: int
    mismatches: int
    p50: float
    p99: float
    error_samples: tuple[str, ...]
    client_cpu: float

    @property
    def ops_per_s(self) -> float:
        return self.ops / self.seconds if self.seconds > 0 else 0.0

    @property
    def mb_per_s(self) -> float:
        return self.nbytes / 1e6 / self.seconds if self.seconds > 0 else 0.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summarize(tallies: list[Tally]) -> Summary:
    lat = [x for t in tallies for x in t.latencies]
    started = [t.start for t in tallies if t.start]
    ended = [t.end for t in tallies if t.end]
    seconds = (max(ended) - min(started)) if started and ended else 0.0
    return Summary(
        ops=sum(t.ops for t in tallies),
        nbytes=sum(t.nbytes for t in tallies),
        seconds=seconds,
        errors=sum(t.errors for t in tallies),
        verified=sum(t.verified for t in tallies),
        mismatches=sum(t.mismatches for t in tallies),
        p50=percentile(lat, 0.50),
        p99=percentile(lat, 0.99),
        error_samples=tuple(s for t in tallies for s in t.error_samples)[:3],
        client_cpu=sum(t.client_cpu for t in tallies),
    )
