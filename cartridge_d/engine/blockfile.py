"""
The file layer under the engine: positional reads and writes, sync, size.

Everything the engine does to the disk goes through one L{BlockFile}, so
tests can substitute a file that loses unsynced writes (power loss) or dies
mid-commit (docs/format.md, "What durability relies on").

test-case-name: tests.engine.test_engine_faults
"""

from __future__ import annotations

import fcntl
import os
from typing import Protocol

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
