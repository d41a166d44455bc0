"""
Reading already-fired Deferreds in plain pytest tests (the pytest
counterparts of trial's successResultOf and failureResultOf).
"""

from __future__ import annotations

from typing import Any, TypeVar

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

T = TypeVar("T")
E = TypeVar("E", bound=BaseException)


def result_of(d: Deferred[T]) -> T:
    """
    The result C{d} has already fired with.

    @raise AssertionError: if it has not fired, or failed (the failure's
        exception is chained).
    """
    outcome: list[Any] = []
    d.addBoth(outcome.append)
    assert outcome, "Deferred has not fired"
    if isinstance(outcome[0], Failure):
        raise AssertionError("Deferred failed") from outcome[0].value
    value: T = outcome[0]
    return value


def failure_of(d: Deferred[Any], kind: type[E]) -> E:
    """
    The exception C{d} has already failed with, which must be a C{kind}.
    """
    outcome: list[Any] = []
    d.addBoth(outcome.append)
    assert outcome, "Deferred has not fired"
    assert isinstance(outcome[0], Failure), f"Deferred succeeded with {outcome[0]!r}"
    error = outcome[0].value
    assert isinstance(error, kind), f"expected {kind.__name__}, got {error!r}"
    return error
