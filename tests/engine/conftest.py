"""
Fixtures for the engine tests.
"""

from __future__ import annotations

import os
from typing import Iterator

import pytest

from cartridge_d.engine import Cartridge


@pytest.fixture
def cart_path(tmp_path: "os.PathLike[str]") -> str:
    return os.path.join(str(tmp_path), "test.cart")


@pytest.fixture
def cart(cart_path: str) -> Iterator[Cartridge]:
    c = Cartridge.open(cart_path, blocks=256)
    yield c
    c.close()
