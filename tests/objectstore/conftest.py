"""
Fixtures for the object-store tests: an L{ObjectStore} on the synchronous
pool, over each engine implementation, with a controllable clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from twisted.internet.task import Clock

from cartridge_d.engine.types import Fuses
from cartridge_d.objectstore import ObjectStore
from cartridge_d.testing.memory import MemoryCartridge
from cartridge_d.testing.threads import synchronous_facade


def _memory(tmp_path: Path) -> Any:
    return MemoryCartridge(Fuses())


def _real(tmp_path: Path) -> Any:
    engine = pytest.importorskip("cartridge_d.engine")
    cartridge = getattr(engine, "Cartridge", None)
    if cartridge is None:
        pytest.skip("the real engine has not landed yet")
    return cartridge.open(str(tmp_path / "t.cart"), create=True, blocks=256)


ENGINES: dict[str, Callable[[Path], Any]] = {"memory": _memory, "real": _real}


@pytest.fixture(params=sorted(ENGINES))
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """
    A fresh cartridge: in memory, and the real engine on a temporary file.
    """
    cart = ENGINES[request.param](tmp_path)
    yield cart
    cart.close()


@pytest.fixture
def clock() -> Clock:
    """
    The clock new objects are stamped with (starts at 2023-11-14T22:13:20Z).
    """
    c = Clock()
    c.advance(1_700_000_000)
    return c


@pytest.fixture
def store(engine: Any, clock: Clock) -> ObjectStore:
    """
    An object store over C{engine} whose blocking work runs synchronously.
    """
    facade, _ = synchronous_facade()
    return ObjectStore(engine, facade, clock)
