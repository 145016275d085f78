"""Concurrent single async calls cost what one batch costs: they are merged per event-loop tick.

Parallel graph nodes call ``aget``/``aput``/``asearch``... one op at a time. Each call alone
would be one round trip; :class:`Coalescer` queues the ops submitted during one tick of the event
loop and runs them as one ``abatch`` (one round trip per op type, see
:mod:`langgraph_genesis_memory.store._batch`), as LangGraph's ``AsyncBatchedBaseStore`` does.

Each caller keeps LangGraph's semantics for its own op: its result, or its own error. An op that
is invalid fails alone, before anything is sent, and never fails the others; if MongoDB refuses
some writes (:class:`~langgraph_genesis_memory.errors.PartialWriteError`), only the callers of
the refused ops get the error; a failure of the whole batch (MongoDB unreachable) reaches every
caller of it. Ops of one batch are concurrent: a read in the same tick as a write may see the
state from before it, as it may without merging. Ops submitted with different keys (the
principals of an access policy) are never merged: each key's ops form their own batch, run with
that key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from langgraph.store.base import Op, Result

from langgraph_genesis_memory.errors import PartialWriteError


class Coalescer:
    """Merge the ops submitted in one event-loop tick into one batch.

    Args:
        run: Runs a list of ops as one batch (the store's ``abatch``); with ``keyed=True`` it
            also receives the key the ops were submitted with.
        check: Validates one op before anything is sent; raises the op's documented error
            (with ``keyed=True`` it also receives the key).
        keyed: Whether ``run`` and ``check`` take the submit key.
    """

    def __init__(
        self,
        run: Callable[..., Awaitable[list[Result]]],
        check: Callable[..., None],
        *,
        keyed: bool = False,
    ) -> None:
        self._run = run
        self._check = check
        self._keyed = keyed
        self._queues: dict[tuple[asyncio.AbstractEventLoop, Any],
                           list[tuple[Op, asyncio.Future[Any]]]] = {}  # fmt: skip
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, op: Op, key: Any = None) -> Result:
        """Run ``op`` in the batch of the current tick (and ``key``) and return its result.

        Raises:
            The op's own error (validation, a refused write) or the batch's (MongoDB down).
        """
        # a bad op fails here, alone and before any I/O
        self._check(op, key) if self._keyed else self._check(op)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        queue = self._queues.setdefault((loop, key), [])
        queue.append((op, future))
        if len(queue) == 1:
            loop.call_soon(self._flush, loop, key)
        return await future  # type: ignore[no-any-return]

    def _flush(self, loop: asyncio.AbstractEventLoop, key: Any = None) -> None:
        batch = self._queues.pop((loop, key), [])
        if batch:
            task = loop.create_task(self._execute(batch, key))
            self._tasks.add(task)  # keep a reference until it is done
            task.add_done_callback(self._tasks.discard)

    async def _execute(self, batch: list[tuple[Op, asyncio.Future[Any]]], key: Any) -> None:
        live = [(op, future) for op, future in batch if not future.done()]
        if not live:
            return
        try:
            ops = [op for op, _ in live]
            results = await (self._run(ops, key) if self._keyed else self._run(ops))
        except PartialWriteError as error:
            for position, (_, future) in enumerate(live):
                if future.done():
                    continue
                if position in error.failed:
                    future.set_exception(
                        PartialWriteError(str(error), [], {0: error.failed[position]})
                    )
                else:
                    future.set_result(None)  # an applied put or delete
            return
        except asyncio.CancelledError:
            for _, future in live:
                future.cancel()
            raise
        except Exception as error:  # delivered to every caller of the batch
            for _, future in live:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), result in zip(live, results, strict=True):
            if not future.done():
                future.set_result(result)
