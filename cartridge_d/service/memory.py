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
480 MB/s either way).  A lower mmap threshold also kept RSS down (73 MiB)
but halved GET throughput (283 MB/s: a fresh mapping and page faults for
every slice), so it is not used.

The cap is set once, before any pool thread starts; an administrator's
C{MALLOC_ARENA_MAX} in the environment wins.  Where malloc is not glibc's
(musl, another libc) nothing is changed.

Freed memory inside the heap is kept by malloc for reuse, and only the
free top of the heap goes back to the system on its own: after a burst
(parallel uploads, many connections at once) the holes between blocks
still in use stay resident.  L{trim_heap} (C{malloc_trim(0)}, which gives
back every free page of every arena) runs on a timer (L{TRIM_INTERVAL}),
so a daemon that has gone quiet returns what its last burst left (in
tests/e2e/test_daemon_memory.py, 30 MiB of 52 freed in holes).  A trim
costs a few milliseconds at most, and the pages it returns are faulted
back in only if they are used again.
"""

from __future__ import annotations

import ctypes
import os
from functools import lru_cache

#: glibc's C{mallopt} parameter number for the arena cap (malloc.h).
M_ARENA_MAX = -8

#: Arenas allowed: the reactor thread's and one shared by the pool.
ARENAS = 2

#: Seconds between two L{trim_heap} calls of the running daemon.
TRIM_INTERVAL = 5.0


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
