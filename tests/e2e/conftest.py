"""
Fixtures for end-to-end tests: the real daemon, one per test module.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness import Daemon


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """
    A running daemon on a fresh cartridge; it must stop cleanly (exit 0).
    """
    d = Daemon(tmp_path_factory.mktemp("daemon")).start()
    try:
        yield d
    finally:
        if d.proc is not None and d.proc.poll() is None:
            code = d.stop()
            assert code == 0, d.log()
