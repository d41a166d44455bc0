"""
Fixtures for the multipart tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mp_harness import MultipartHarness


@pytest.fixture
def h(tmp_path: Path) -> Iterator[MultipartHarness]:
    """
    A site over a fresh cartridge and journal, with bucket "bkt" of ALICE.
    """
    harness = MultipartHarness(tmp_path)
    harness.mkbucket("bkt")
    try:
        yield harness
    finally:
        harness.close()
