"""
The workloads: what is sent, what is checked, and what is reported.

Each group function runs against one L{Target}, brackets every timed part
with a L{Meter} on the server process, and returns a dict of metric name
to value (C{None} when the server cannot do it: "n/a") plus notes.

Bodies are random bytes made once per size; each object gets a unique
16-byte tail (the MD5 of its key), so the expected MD5 of any object costs
the client one hash of 16 bytes, every PUT's ETag is checked against it,
and every sampled GET body is hashed and compared.
"""

from __future__ import annotations

import hashlib
import os
import re
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable

from loadgen import CheckFailed, Step, Summary, Tally, Target, drive, summarize
from procstat import Meter
from sigv4 import canonical_query
from wire import Connection

MiB = 1 << 20


class Unsupported(Exception):
    """
    The server does not offer this operation (reported as n/a).
    """


class Payload:
    """
    Random bytes of one size, shared by every object of that size.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.base = os.urandom(size - 16)
        self.view = memoryview(self.base)
        self._md5 = hashlib.md5(self.base)

    @staticmethod
    def tail(name: str) -> bytes:
        return hashlib.md5(name.encode()).digest()

    def body(self, name: str) -> tuple[memoryview, bytes]:
        return (self.view, self.tail(name))

    def md5_of(self, name: str) -> str:
        h = self._md5.copy()
        h.update(self.tail(name))
        return h.hexdigest()


@dataclass
class Plan:
    """
    Sizes, counts and time bounds of one run (full or quick).
    """

    quick: bool
    big_c1_objects: int = 3
    big_c4_per_conn: int = 2
    big_get_c1: int = 4
    big_get_c4_per_conn: int = 3
    small_seconds: float = 5.0
    small_max_per_conn: int = 20000
    small_conns: int = 16
    small_processes: int = 2
    list_keys: int = 1000
    list_repeats: int = 20
    multipart: tuple[tuple[int, int], ...] = ((8, 8), (64, 16))
    verify_every_big: int = 3
    verify_every_small: int = 25
    big_seconds: float = 120.0
    #: the million group (million.py): objects filled offline, the fill's
    #: time bound, HEADs and listings per repetition, the time bound of
    #: each of those runs, and the warm-up HEADs (listings: 1 per 100)
    million_objects: int = 1_000_000
    million_fill_seconds: float = 600.0
    million_heads: int = 3000
    million_lists: int = 100
    million_seconds: float = 60.0
    million_warmup: int = 200

    @classmethod
    def make(cls, quick: bool) -> "Plan":
        if not quick:
            return cls(False)
        return cls(True, big_c1_objects=2, big_c4_per_conn=1, big_get_c1=2, big_get_c4_per_conn=1,
                   small_seconds=3.0, list_repeats=5, multipart=((8, 8),),
                   million_objects=100_000, million_heads=500, million_lists=20)


@dataclass
class Result:
    """
    Figures of one group on one server, with notes on what went wrong.
    """

    values: dict[str, float | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


_PAYLOADS: dict[int, Payload] = {}


def payload(size: int) -> Payload:
    if size not in _PAYLOADS:
        _PAYLOADS[size] = Payload(size)
    return _PAYLOADS[size]


def ensure_bucket(target: Target, bucket: str) -> None:
    """
    Create C{bucket} (an existing one is fine) and write one object to it:
    SeaweedFS allocates a bucket's volumes on its first write.
    """
    conn = target.connect()
    try:
        r = conn.request("PUT", f"/{bucket}")
        if r.status not in (200, 409):
            raise CheckFailed(f"create bucket {bucket}: {r.status} {r.body[:200]!r}")
        r = conn.request("PUT", f"/{bucket}/warmup", body=b"warm")
        if r.status != 200:
            raise CheckFailed(f"warm-up PUT in {bucket}: {r.status} {r.body[:200]!r}")
    finally:
        conn.close()


def _put_step(bucket: str, p: Payload, key_of: Callable[[int, int], str | None]) -> Step:
    """
    PUT one object per step, named C{key_of(worker, index)} (None: skip).
    """
    def step(conn: Connection, w: int, i: int, tally: Tally) -> int:
        key = key_of(w, i)
        if key is None:
            return 0
        r = conn.request("PUT", f"/{bucket}/{key}", body=p.body(key))
        if r.status != 200:
            raise CheckFailed(f"PUT {key}: {r.status} {r.body[:200]!r}")
        etag = r.headers.get("etag", "").strip('"')
        if etag != p.md5_of(key):
            tally.mismatches += 1
        tally.keys.append(key)
        return p.size
    return step


def _get_step(bucket: str, p: Payload, keys: list[str], nconn: int, every: int,
              head: bool = False) -> Step:
    """
    GET (or HEAD) C{keys} round-robin; every C{every}th body is verified.
    """
    def step(conn: Connection, w: int, i: int, tally: Tally) -> int:
        key = keys[(w + i * nconn) % len(keys)]
        if head:
            r = conn.request("HEAD", f"/{bucket}/{key}")
            if r.status != 200 or int(r.headers.get("content-length", -1)) != p.size:
                raise CheckFailed(f"HEAD {key}: {r.status} {r.headers.get('content-length')}")
            return 0
        verify = i % every == 0
        r = conn.request("GET", f"/{bucket}/{key}", keep="md5" if verify else "drop")
        if r.status != 200 or r.length != p.size:
            raise CheckFailed(f"GET {key}: {r.status}, {r.length} bytes")
        if verify:
            tally.verified += 1
            if r.md5 != p.md5_of(key):
                tally.mismatches += 1
        return r.length
    return step


def check_summary(name: str, s: Summary, res: Result) -> bool:
    """
    Note errors and digest mismatches; False when the figure is unusable.
    """
    if s.errors:
        res.notes.append(f"{name}: {s.errors} errors, e.g. {'; '.join(s.error_samples)}")
    if s.mismatches:
        res.notes.append(f"{name}: {s.mismatches} MD5/ETag mismatches")
    return s.ops > 0 and s.mismatches == 0


def _delete(target: Target, bucket: str, keys: list[str]) -> None:
    conn = target.connect()
    try:
        for key in keys:
            conn.request("DELETE", f"/{bucket}/{key}")
    finally:
        conn.close()


def large(target: Target, pid: int, plan: Plan, rep: int) -> Result:
    """
    PUT then GET 64 MiB objects on 1 and 4 connections (MB/s, server CPU
    ms per MiB, peak RSS); the objects are deleted afterwards.
    """
    res, bucket, p = Result(), "bench-large", payload(64 * MiB)
    ensure_bucket(target, bucket)
    keys: list[str] = []
    rss = 0.0
    for conns, per_conn in ((1, plan.big_c1_objects), (4, plan.big_c4_per_conn)):
        prefix = f"big/r{rep}c{conns}"
        step = _put_step(bucket, p, lambda w, i: f"{prefix}-{w}-{i}")
        meter = Meter(pid).start()
        tallies = drive(target, step, conns, per_conn, plan.big_seconds)
        s, cpu = summarize(tallies), meter.cpu()
        rss = max(rss, meter.rss())
        keys += [k for t in tallies for k in t.keys]
        ok = check_summary(f"put 64 MiB C{conns}", s, res)
        res.values[f"put64_c{conns}"] = s.mb_per_s if ok else None
        res.values[f"put64_c{conns}_cpu"] = cpu * 1000 / (s.nbytes / MiB) if ok else None
    if not keys:
        return res
    for conns, per_conn in ((1, plan.big_get_c1), (4, plan.big_get_c4_per_conn)):
        meter = Meter(pid).start()
        tallies = drive(target, _get_step(bucket, p, keys, conns, plan.verify_every_big),
                        conns, per_conn, plan.big_seconds)
        s, cpu = summarize(tallies), meter.cpu()
        rss = max(rss, meter.rss())
        ok = check_summary(f"get 64 MiB C{conns}", s, res)
        res.values[f"get64_c{conns}"] = s.mb_per_s if ok else None
        res.values[f"get64_c{conns}_cpu"] = cpu * 1000 / (s.nbytes / MiB) if ok else None
        res.values[f"get64_c{conns}_client"] = (
            s.client_cpu * 1000 / (s.nbytes / MiB) if ok else None)
        if s.verified == 0:
            res.notes.append(f"get 64 MiB C{conns}: no body verified")
    res.values["rss_large"] = rss
    _delete(target, bucket, keys)
    return res


def small(target: Target, pid: int, plan: Plan, rep: int) -> Result:
    """
    PUT, GET and HEAD of 4 KiB objects on 16 connections for a fixed time
    (ops/s, p50 and p99 latency in ms, server CPU ms per operation).
    """
    res, bucket, p = Result(), f"bench-small-{rep}", payload(4096)
    ensure_bucket(target, bucket)
    n, procs = plan.small_conns, plan.small_processes
    keys: list[str] = []
    rss = 0.0
    for op in ("put", "get", "head"):
        if op == "put":
            step = _put_step(bucket, p, lambda w, i: f"s/{w:02d}/{i:06d}")
        elif not keys:
            break
        else:
            step = _get_step(bucket, p, keys, n, plan.verify_every_small, head=op == "head")
        meter = Meter(pid).start()
        tallies = drive(target, step, n, plan.small_max_per_conn, plan.small_seconds, procs)
        s, cpu = summarize(tallies), meter.cpu()
        rss = max(rss, meter.rss())
        if op == "put":
            keys = [k for t in tallies for k in t.keys]
        ok = check_summary(f"{op} 4 KiB C{n}", s, res)
        res.values[f"{op}4k"] = s.ops_per_s if ok else None
        res.values[f"{op}4k_p50"] = s.p50 * 1000 if ok else None
        res.values[f"{op}4k_p99"] = s.p99 * 1000 if ok else None
        res.values[f"{op}4k_cpu"] = cpu * 1000 / s.ops if ok else None
        res.values[f"{op}4k_client"] = s.client_cpu * 1000 / s.ops if ok else None
        if op == "get" and s.verified == 0:
            res.notes.append("get 4 KiB: no body verified")
    res.values["rss_small"] = rss
    return res


_KEY_RE = re.compile(rb"<Key>")
_UPLOAD_RE = re.compile(rb"<UploadId>([^<]+)</UploadId>")


def listing(target: Target, pid: int, plan: Plan, rep: int) -> Result:
    """
    List 1,000 keys in one request (ms), after filling a prefix once.
    """
    res, bucket, total = Result(), "bench-list", plan.list_keys
    ensure_bucket(target, bucket)
    if target.list_v1:  # s3rver 3.7 answers ListObjectsV2 with a 500
        query = canonical_query({"prefix": "list/", "max-keys": str(total)})
    else:
        query = canonical_query({"list-type": "2", "prefix": "list/", "max-keys": str(total)})
    conn = target.connect()
    try:
        r = conn.request("GET", f"/{bucket}", query=query)
        if r.status != 200:
            raise CheckFailed(f"list: {r.status} {r.body[:200]!r}")
        if len(_KEY_RE.findall(r.body)) < total:
            n = 16
            step = _put_step(bucket, payload(64),
                             lambda w, i: f"list/{w + i * n:06d}" if w + i * n < total else None)
            s = summarize(drive(target, step, n, -(-total // n), 300, 2))
            if not check_summary("list: filling", s, res):
                return res
        times = []
        meter = Meter(pid).start()
        for _ in range(plan.list_repeats):
            t0 = time.perf_counter()
            r = conn.request("GET", f"/{bucket}", query=query)
            times.append(time.perf_counter() - t0)
            found = len(_KEY_RE.findall(r.body))
            if r.status != 200 or found != total or b"<IsTruncated>true" in r.body:
                res.notes.append(f"list: {r.status}, {found} keys")
                return res
        res.values["list1000"] = statistics.median(times) * 1000
        res.values["list1000_cpu"] = meter.cpu() * 1000 / len(times)
    finally:
        conn.close()
    return res


def multipart(target: Target, pid: int, plan: Plan, rep: int) -> Result:
    """
    Multipart uploads (parts on 4 connections): throughput from Create to
    Complete, the Complete call alone (ms), then the object is read back
    and its MD5 checked.
    """
    res, bucket = Result(), "bench-mpu"
    ensure_bucket(target, bucket)
    rss = 0.0
    for parts, part_mib in plan.multipart:
        name = f"mpu{parts}x{part_mib}"
        try:
            meter = Meter(pid).start()
            mbps, complete_ms = _one_multipart(target, bucket, f"{name}-r{rep}", parts,
                                               payload(part_mib * MiB), res)
            rss = max(rss, meter.rss())
            res.values[name] = mbps
            res.values[f"{name}_complete"] = complete_ms
        except Unsupported as e:
            res.notes.append(f"{name}: n/a ({e})")
        except CheckFailed as e:
            res.notes.append(f"{name}: failed ({e})")
    res.values["rss_mpu"] = rss or None
    return res


def _one_multipart(target: Target, bucket: str, key: str, parts: int, p: Payload,
                   res: Result) -> tuple[float, float]:
    conn = target.connect()
    path = f"/{bucket}/{key}"
    try:
        t0 = time.perf_counter()
        r = conn.request("POST", path, query=canonical_query({"uploads": ""}))
        m = _UPLOAD_RE.search(r.body)
        if r.status != 200 or m is None:
            raise Unsupported(f"CreateMultipartUpload answered {r.status}")
        upload_id = m.group(1).decode()
        nconn = 4

        def step(c: Connection, w: int, i: int, tally: Tally) -> int:
            number = w + 1 + i * nconn
            if number > parts:
                return 0
            q = canonical_query({"partNumber": str(number), "uploadId": upload_id})
            pr = c.request("PUT", path, query=q, body=p.body(f"{key}#{number}"))
            if pr.status != 200:
                raise CheckFailed(f"UploadPart {number}: {pr.status} {pr.body[:200]!r}")
            tally.keys.append(f"{number} {pr.headers.get('etag', '')}")
            return p.size

        tallies = drive(target, step, nconn, -(-parts // nconn), 600)
        s = summarize(tallies)
        if s.errors:
            raise CheckFailed("; ".join(s.error_samples))
        etags = sorted((int(n), e) for t in tallies for n, e in (k.split(" ", 1) for k in t.keys))
        if len(etags) != parts:
            raise CheckFailed(f"{len(etags)} of {parts} parts uploaded")
        xml = "".join(f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>"
                      for n, e in etags)
        body = f"<CompleteMultipartUpload>{xml}</CompleteMultipartUpload>".encode()
        tc = time.perf_counter()
        r = conn.request("POST", path, query=canonical_query({"uploadId": upload_id}), body=body)
        t1 = time.perf_counter()
        if r.status != 200 or b"<Error>" in r.body:
            raise CheckFailed(f"Complete: {r.status} {r.body[:200]!r}")
        expected = hashlib.md5()
        for n in range(1, parts + 1):
            expected.update(p.view)
            expected.update(p.tail(f"{key}#{n}"))
        g = conn.request("GET", path, keep="md5")
        if g.status != 200 or g.md5 != expected.hexdigest():
            res.notes.append(f"{key}: read back {g.status}, {g.length} bytes, MD5 mismatch")
        conn.request("DELETE", path)
        return parts * p.size / 1e6 / (t1 - t0), (t1 - tc) * 1000
    finally:
        conn.close()


GROUPS = {"large": large, "small": small, "list": listing, "multipart": multipart}
