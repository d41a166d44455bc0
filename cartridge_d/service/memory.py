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
"""

from __future__ import annotations

import ctypes
import os

#: glibc's C{mallopt} parameter number for the arena cap (malloc.h).
M_ARENA_MAX = -8

#: Arenas allowed: the reactor thread's and one shared by the pool.
ARENAS = 2


def cap_malloc_arenas(arenas: int = ARENAS) -> bool:
    """
    Ask glibc to create at most C{arenas} malloc arenas from now on.

    @return: whether the cap was set (False when C{MALLOC_ARENA_MAX} is
        already set by the environment or the C library is not glibc).
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # present only in glibc
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, arenas))


__all__ = ["cap_malloc_arenas", "ARENAS", "M_ARENA_MAX"]
