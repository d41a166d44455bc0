"""
A file layer that loses power: writes not yet synced are dropped, kept or
torn at random when the power goes (LevelDB's fault-injection idea).
"""

from __future__ import annotations

import random
import threading


class PowerLoss(Exception):
    """
    The simulated machine lost power; every later I/O fails too.
    """


class FaultyFile:
    """
    An in-memory L{cartridge_d.engine.blockfile.BlockFile}. C{countdown}
    I/O calls after L{arm}, the power goes: the call raises PowerLoss, and
    L{after_power_loss} gives the bytes a disk could hold after it.
    """

    def __init__(self, image: bytes = b"", rng: random.Random | None = None) -> None:
        self._durable = bytearray(image)
        self._current = bytearray(image)
        #: (offset, bytes) writes and (size, None) size changes not yet synced
        self._unsynced: list[tuple[int, bytes | None]] = []
        self._rng = rng or random.Random(0)
        self._countdown: int | None = None
        self.dead = False
        self._lock = threading.Lock()

    def arm(self, countdown: int) -> None:
        self._countdown = countdown

    def _tick(self) -> None:
        if self.dead:
            raise PowerLoss()
        if self._countdown is not None:
            self._countdown -= 1
            if self._countdown <= 0:
                self.dead = True
                raise PowerLoss()

    def pread(self, length: int, offset: int) -> bytes:
        with self._lock:
            self._tick()
            return bytes(self._current[offset:offset + length])

    def pwrite(self, data: bytes | bytearray | memoryview, offset: int) -> None:
        with self._lock:
            self._tick()
            data = bytes(data)
            self._apply(self._current, offset, data)
            self._unsynced.append((offset, data))

    @staticmethod
    def _apply(image: bytearray, offset: int, data: bytes) -> None:
        if len(image) < offset + len(data):
            image.extend(bytes(offset + len(data) - len(image)))
        image[offset:offset + len(data)] = data

    @staticmethod
    def _resize(image: bytearray, size: int) -> None:
        del image[size:]
        image.extend(bytes(size - len(image)))

    def sync(self) -> None:
        with self._lock:
            self._tick()
            for offset, data in self._unsynced:
                if data is None:
                    self._resize(self._durable, offset)
                else:
                    self._apply(self._durable, offset, data)
            self._unsynced = []

    def size(self) -> int:
        with self._lock:
            self._tick()
            return len(self._current)

    def grow(self, size: int) -> None:
        with self._lock:
            self._tick()
            if size > len(self._current):
                self._current.extend(bytes(size - len(self._current)))
                self._unsynced.append((size, None))

    def truncate(self, size: int) -> None:
        with self._lock:
            self._tick()
            self._resize(self._current, size)
            self._unsynced.append((size, None))

    def close(self) -> None:
        pass

    def after_power_loss(self) -> bytes:
        """
        The durable image plus a random subset of the unsynced writes, each
        kept whole, dropped, or torn at a 512-byte boundary.
        """
        image = bytearray(self._durable)
        for offset, data in self._unsynced:
            fate = self._rng.random()
            if data is None:
                if fate < 0.5:
                    self._resize(image, offset)
                continue
            if fate < 0.4:
                continue
            if fate < 0.7 and len(data) > 512:
                data = data[:512 * self._rng.randrange(1, -(-len(data) // 512))]
            self._apply(image, offset, data)
        return bytes(image)
