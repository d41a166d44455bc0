"""
Reads that never wait for the disk: the "nowait" mode of views.

A small GET or HEAD of a hot object costs less CPU than the thread hop that
would carry it to the pool. A nowait view lets the reactor thread try it
itself: every file read it does is C{preadv(..., RWF_NOWAIT)}, which the
kernel answers only from its page cache and otherwise refuses with EAGAIN
(docs/internals.md, "engine"). A refusal raises L{WouldBlock} and changes
nothing, so the caller retries the same request in the pool. Nodes already
in the engine's own node cache need no read at all.

The flag needs Linux 4.14 and a file system that honours it (ext4, xfs,
btrfs do). Where it is missing or refused (EOPNOTSUPP, EINVAL, ENOSYS) the
mode turns itself off for that cartridge at the first refusal and
L{NowaitMode.file} answers None from then on, so callers always take the
pool.

test-case-name: tests.engine.test_engine_nowait
"""

from __future__ import annotations

import errno
import os

from .blockfile import BlockFile, OsFile
from .errors import WouldBlock

#: The errors that mean "this kernel or file system does not do RWF_NOWAIT".
_REFUSALS = (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS)


class NowaitMode:
    """
    Whether one cartridge's file can be read without waiting, and the
    file to do it with. Shared by every thread; the only state is a flag
    that goes from on to off once (a plain attribute store).
    """

    def __init__(self, file: BlockFile) -> None:
        self._file: NowaitFile | None = None
        if isinstance(file, OsFile) and hasattr(os, "RWF_NOWAIT") and hasattr(os, "preadv"):
            self._file = NowaitFile(file, self)

    @property
    def available(self) -> bool:
        """
        False once the kernel refused the flag, or if it never could work.
        """
        return self._file is not None

    def file(self) -> "NowaitFile | None":
        """
        The nowait reader of the cartridge's file, or None if the mode is
        unavailable.
        """
        return self._file

    def refused(self) -> None:
        """
        Turn the mode off for good: the kernel or file system refused it.
        """
        self._file = None


class NowaitFile:
    """
    The read half of a L{BlockFile} whose reads raise L{WouldBlock} rather
    than wait for the disk. Only C{pread} is offered: views never write.
    """

    def __init__(self, file: OsFile, mode: NowaitMode) -> None:
        self._file = file
        self._mode = mode

    def pread(self, length: int, offset: int) -> bytes:
        """
        C{length} bytes at C{offset} (fewer at the end of the file), read
        only if the page cache holds them all.

        @raise WouldBlock: some of them would have to come from the disk,
            or the kernel does not support the flag (the mode is then off).
        """
        buf = bytearray(length)
        got = self._preadv(buf, offset, length)
        if got == length:
            return bytes(buf)  # the usual case: one call read it all
        view = memoryview(buf)
        while got < length:
            n = self._preadv(view[got:], offset + got, length)
            if n == 0:
                break
            got += n
        view.release()
        return bytes(buf) if got == length else bytes(buf[:got])

    def _preadv(self, buf: bytearray | memoryview, offset: int, length: int) -> int:
        """
        One C{preadv(..., RWF_NOWAIT)} into C{buf}: how many bytes it read.
        """
        try:
            return os.preadv(self._file.fd, [buf], offset, os.RWF_NOWAIT)
        except BlockingIOError:
            raise WouldBlock("read of %d bytes at %d is not cached" % (length, offset)) from None
        except OSError as e:
            if e.errno not in _REFUSALS:
                raise
            self._mode.refused()
            raise WouldBlock("RWF_NOWAIT refused: %s" % (e,)) from None
