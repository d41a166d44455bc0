"""
L{drive} runs a handler coroutine without Deferred.fromCoroutine: the
coroutine must see the same results and errors it would see under it.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from twisted.internet.defer import Deferred, succeed
from twisted.python.failure import Failure

from cartridge_d.s3.drive import drive


def _collect() -> tuple[list[Failure], Any]:
    errors: list[Failure] = []
    return errors, errors.append


def test_a_coroutine_that_needs_no_wait_runs_at_once() -> None:
    """
    A coroutine awaiting only fired Deferreds finishes inside drive().
    """
    seen: list[object] = []
    errors, on_error = _collect()

    async def handler() -> None:
        seen.append(await succeed(1))
        seen.append(await succeed(2))

    drive(handler(), on_error)
    assert seen == [1, 2] and errors == []


def test_results_arrive_when_the_deferreds_fire() -> None:
    """
    Awaited Deferreds that fire later resume the coroutine with their
    results, in order, also through a nested coroutine.
    """
    first: Deferred[int] = Deferred()
    second: Deferred[str] = Deferred()
    seen: list[object] = []
    errors, on_error = _collect()

    async def inner() -> str:
        return await second

    async def handler() -> None:
        seen.append(await first)
        seen.append(await inner())

    drive(handler(), on_error)
    assert seen == []
    first.callback(7)
    assert seen == [7]
    second.callback("x")
    assert seen == [7, "x"] and errors == []


def test_a_failure_is_raised_inside_and_not_left_unhandled() -> None:
    """
    A failed Deferred raises its exception inside the coroutine, which can
    catch it; the Deferred is not left holding the failure (no "unhandled
    error in Deferred" is logged for it).
    """
    d: Deferred[int] = Deferred()
    caught: list[BaseException] = []
    errors, on_error = _collect()

    async def handler() -> None:
        try:
            await d
        except KeyError as e:
            caught.append(e)

    drive(handler(), on_error)
    d.errback(KeyError("gone"))
    assert [type(e) for e in caught] == [KeyError] and errors == []
    results: list[object] = []
    d.addBoth(results.append)
    assert results == [None]


def test_an_escaping_error_goes_to_on_error() -> None:
    """
    An exception the coroutine does not catch, before or after a wait,
    is given to on_error as a Failure, once.
    """
    errors, on_error = _collect()

    async def at_once() -> None:
        raise ValueError("now")

    drive(at_once(), on_error)
    d: Deferred[int] = Deferred()

    async def later() -> None:
        await d
        raise RuntimeError("later")

    drive(later(), on_error)
    d.callback(1)
    assert [f.type for f in errors] == [ValueError, RuntimeError]


def test_awaiting_something_else_is_an_error() -> None:
    """
    A coroutine that awaits something that is not a Deferred (an asyncio
    future) is stopped and reported as a TypeError.
    """
    errors, on_error = _collect()
    loop = asyncio.new_event_loop()
    try:
        future = loop.create_future()

        async def handler() -> None:
            await future

        drive(handler(), on_error)
    finally:
        loop.close()
    gc.collect()
    assert [f.type for f in errors] == [TypeError]
