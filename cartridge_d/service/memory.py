"""
Keep the daemon's peak memory near what its requests really hold.

glibc's malloc gives a thread that finds the main heap busy an arena of its
own, up to eight per core, and keeps the memory freed into each arena for
reuse by that arena.  The server allocates its 1 MiB body slices in pool
threads (a GET's reads, a PUT's hashing) and frees them in the reactor
thread, so with 32 pool threads the slices of a few streams end up spread
over a dozen arenas, each holding its own spare megabytes.  Measured on
the daemon (4 parallel GETs of 64 MiB objects, three rounds, boto3, same
machine, 2026-11-25): peak RSS (VmHWM) 92-106 MiB with glibc's default,
74 MiB with at most two arenas, at the same GET throughput (about
480 MB/s either way).  One arena for every thread does better still once
earlier bursts have left holes: the reactor's PUT slices and the pool's
GET slices then reuse the same free space instead of each arena keeping
its own (docs/perf-rss.md: the large runs after a multipart group peaked
about 2 MiB lower, at no cost in CPU per MiB).  Almost everything the pool
does holds the GIL, so the threads seldom wait for the arena's lock.

A lower mmap threshold (every slice a fresh mapping) also keeps RSS down,
but costs GET 60-70% more CPU per MiB in page faults (perf-rss.md), so it
is not used.  glibc's dynamic threshold needs no fixing here: the first
freed slice raises it to just above 1 MiB, and nothing larger is ever
mapped and freed again, so it stays there.

The cap is set once, before any pool thread starts; an administrator's
C{MALLOC_ARENA_MAX} in the environment wins.  Where malloc is not glibc's
(musl, another libc) nothing is changed.

Freed memory inside the heap is kept by malloc for reuse, and only the
free top of the heap goes back to the system on its own: after a burst
(parallel uploads, many connections at once) the holes between blocks
still in use stay resident.  L{trim_heap} (C{malloc_trim(0)}, which gives
back every free page of every arena) runs on a timer (L{TRIM_INTERVAL}),
so a daemon that has gone quiet returns what its last burst left (in
tests/e2e/test_daemon_memory.py, 30 MiB of 52 freed in holes), and the
next burst starts from what the daemon really holds.  A trim costs
0.04 ms on a quiet heap and 0.4 ms after 20 MiB of churn, and the pages it
returns are faulted back in only if they are used again.
"""

from __future__ import annotations

import ctypes
import os
from functools import lru_cache

#: glibc's C{mallopt} parameter number for the arena cap (malloc.h).
M_ARENA_MAX = -8

#: Arenas allowed: one, shared by the reactor and the pool.
ARENAS = 1

#: Seconds between two L{trim_heap} calls of the running daemon: often
#: enough that back-to-back bursts mostly start from a trimmed heap (at
#: 5 s the large runs after a multipart group peaked about 2 MiB higher,
#: docs/perf-rss.md), while a quiet daemon's trim costs 0.04 ms.
TRIM_INTERVAL = 1.0


@lru_cache(maxsize=1)
def _glibc() -> ctypes.CDLL | None:
    """
    The process's C library if it is glibc, else None (looked up once).
    """
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # present only in glibc
    except (OSError, AttributeError):
        return None
    return libc


def cap_malloc_arenas(arenas: int = ARENAS) -> bool:
    """
    Ask glibc to create at most C{arenas} malloc arenas from now on.

    @return: whether the cap was set (False when C{MALLOC_ARENA_MAX} is
        already set by the environment or the C library is not glibc).
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    libc = _glibc()
    if libc is None:
        return False
    mallopt = libc.mallopt
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, arenas))


def trim_heap() -> bool:
    """
    Give the free pages of every malloc arena back to the system.

    @return: whether any memory was released (False as well where the C
        library is not glibc).
    """
    libc = _glibc()
    if libc is None:
        return False
    malloc_trim = libc.malloc_trim
    malloc_trim.argtypes = (ctypes.c_size_t,)
    malloc_trim.restype = ctypes.c_int
    return bool(malloc_trim(0))


__all__ = ["cap_malloc_arenas", "trim_heap", "ARENAS", "M_ARENA_MAX", "TRIM_INTERVAL"]
