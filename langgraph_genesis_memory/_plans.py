"""The plan protocol: logic written once as generators, run by one sync and one async driver.

A plan is a generator that yields a request, receives its result, and finally returns a value.
It does no I/O itself, so the store's, the saver's and the sessions' logic is written once and
tested without a server; :func:`drive` runs a plan with a sync executor and :func:`adrive` with
an async one. MongoDB and the derived indexes are driven through
:mod:`langgraph_genesis_memory._mongo`; sessions through the store's batch API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar

T = TypeVar("T")

Plan = Generator[Any, Any, T]
"""A generator that yields requests, receives their results and returns a value."""


def advance(plan: Generator[Any, Any, Any], result: Any, first: bool) -> tuple[bool, Any]:
    """Send ``result`` into ``plan``; ``(True, value)`` once it returns, else the next request.

    Only the plan's own ``StopIteration`` ends it: one raised while executing a request (say,
    by a user's embedding function) propagates as an error.
    """
    try:
        return False, next(plan) if first else plan.send(result)
    except StopIteration as stop:
        return True, stop.value


def drive(plan: Plan[T], execute: Callable[[Any], Any]) -> T:
    """Run ``plan`` to its end, serving each request with ``execute``.

    Raises:
        Whatever ``execute`` or the plan raises (the plan is closed first).
    """
    done, request = advance(plan, None, True)
    while not done:
        try:
            result = execute(request)
        except BaseException:
            plan.close()
            raise
        done, request = advance(plan, result, False)
    return request  # type: ignore[no-any-return]


async def adrive(plan: Plan[T], execute: Callable[[Any], Awaitable[Any]]) -> T:
    """Async twin of :func:`drive`: each request is served by awaiting ``execute(request)``."""
    done, request = advance(plan, None, True)
    while not done:
        try:
            result = await execute(request)
        except BaseException:
            plan.close()
            raise
        done, request = advance(plan, result, False)
    return request  # type: ignore[no-any-return]
