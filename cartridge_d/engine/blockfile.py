"""
The file layer under the engine: positional reads and writes, sync, size.

Everything the engine does to the disk goes through one L{BlockFile}, so
tests can substitute a file that loses unsynced writes (power loss) or dies
mid-commit (docs/format.md, "What durability relies on").

test-case-name: tests.engine.test_engine_faults
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import functools
import os
from typing import Callable, Protocol

from .errors import CartridgeLocked


class BlockFile(Protocol):
    """
    What the engine needs from its file. Methods are called from many threads
    at once; implementations must be safe for that (positional I/O is).
    """

    def pread(self, length: int, offset: int) -> bytes: ...

    def pwrite(self, data: bytes | bytearray | memoryview, offset: int) -> None: ...

    def sync(self) -> None:
        """
        Make every write that returned before this call durable, file size
        included (fdatasync).
        """

    def size(self) -> int: ...

    def grow(self, size: int) -> None:
        """
        Extend the file to C{size} bytes (never shrinks it).
        """

    def truncate(self, size: int) -> None:
        """
        Set the file size (vacuum gives the free tail back).
        """

    def close(self) -> None: ...


class OsFile:
    """
    A L{BlockFile} over an OS file descriptor.
    """

    def __init__(self, fd: int, path: str) -> None:
        self.fd = fd
        self.path = path

    @classmethod
    def open(cls, path: str, *, writable: bool = True, create: bool = False,
             lock: bool = True) -> "OsFile":
        """
        Open C{path}; with C{create}, make it (it must not exist). A writable
        open takes an exclusive advisory lock so two processes never commit
        to the same cartridge.
        """
        flags = os.O_RDWR if writable else os.O_RDONLY
        if create:
            flags |= os.O_CREAT | os.O_EXCL
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o644)
        if writable and lock:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise CartridgeLocked("%s is open in another process" % path) from None
        return cls(fd, path)

    def pread(self, length: int, offset: int) -> bytes:
        data = os.pread(self.fd, length, offset)
        if len(data) < length:
            parts = [data]
            got = len(data)
            while got < length:
                more = os.pread(self.fd, length - got, offset + got)
                if not more:
                    break
                parts.append(more)
                got += len(more)
            data = b"".join(parts)
        return data

    def pwrite(self, data: bytes | bytearray | memoryview, offset: int) -> None:
        view = memoryview(data)
        while view.nbytes:
            n = os.pwrite(self.fd, view, offset)
            view = view[n:]
            offset += n

    def sync(self) -> None:
        os.fdatasync(self.fd)

    def pwrite_sync(self, data: bytes, offset: int) -> None:
        """
        Write C{data} and return once it is durable, in one system call
        where the kernel allows (C{pwritev} with C{RWF_DSYNC}): one release
        of the GIL instead of two, which matters on the group-commit
        leader's path, where every release may cost a wait to get it back.
        Only this write is made durable; a commit calls it after a full
        L{sync}, for its header slot (inside the file, so no size change).
        """
        global _dsync_writes
        if _dsync_writes:
            try:
                n = os.pwritev(self.fd, [data], offset, os.RWF_DSYNC)
            except OSError as e:
                if e.errno not in (errno.EINVAL, errno.EOPNOTSUPP, errno.ENOSYS):
                    raise
                _dsync_writes = False
            else:
                if n == len(data):
                    return
                data, offset = data[n:], offset + n
        self.pwrite(data, offset)
        self.sync()

    def start_writeback(self, offset: int, length: int) -> None:
        """
        Ask the kernel to start writing C{length} bytes at C{offset} to the
        disk now, without waiting (C{sync_file_range} with
        C{SYNC_FILE_RANGE_WRITE}). A large body written ahead of its commit
        is then mostly on the disk when the commit syncs, so the sync does
        not flush a whole body at the end. Only a hint: durability still
        comes from L{sync}; where the call is missing it does nothing.
        """
        call = _sync_file_range()
        if call is not None:
            call(self.fd, offset, length, _SYNC_FILE_RANGE_WRITE)

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def grow(self, size: int) -> None:
        if size > self.size():
            os.ftruncate(self.fd, size)

    def truncate(self, size: int) -> None:
        os.ftruncate(self.fd, size)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


#: Whether pwritev with RWF_DSYNC works here (turned off at the first refusal).
_dsync_writes = hasattr(os, "RWF_DSYNC") and hasattr(os, "pwritev")

_SYNC_FILE_RANGE_WRITE = 2


@functools.lru_cache(maxsize=None)
def _sync_file_range() -> Callable[[int, int, int, int], int] | None:
    """
    libc's C{sync_file_range} through ctypes (the os module has none), or
    None where it does not exist. ctypes lets go of the GIL during the call.
    """
    try:
        fn = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


def write_durably(file: BlockFile, data: bytes, offset: int) -> None:
    """
    Write C{data} at C{offset} and return once it is durable. The caller
    must have synced whatever it depends on before: on an L{OsFile} this is
    one call that makes only C{data} durable (L{OsFile.pwrite_sync}); other
    files get pwrite then sync.
    """
    if isinstance(file, OsFile):
        file.pwrite_sync(data, offset)
    else:
        file.pwrite(data, offset)
        file.sync()


def start_writeback(file: BlockFile, offset: int, length: int) -> None:
    """
    L{OsFile.start_writeback} where C{file} is an OS file; nothing for
    others (a test's in-memory file has no disk to start on).
    """
    if isinstance(file, OsFile):
        file.start_writeback(offset, length)


def sync_directory(path: str) -> None:
    """
    fsync the directory holding C{path}, so a newly created file's name is
    durable too.
    """
    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
