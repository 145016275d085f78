"""The thin sync and async drivers of the operations' plans.

A plan of :mod:`langgraph_genesis_memory.ops` yields MongoDB requests (run on the target store,
or on the target saver when wrapped in :class:`~langgraph_genesis_memory.ops._requests.OnSaver`),
service requests (the store's model and derived indexes) and the requests of
:mod:`langgraph_genesis_memory.ops._requests`. :func:`run_ops` serves them with the sync APIs
(``MongoClient``, ``store.batch``, ``saver.put``, ``source.search``...), :func:`arun_ops` with the
async ones (``AsyncMongoClient``, ``abatch``, ``aput``, ``asearch``...; file work in a worker
thread). Each MongoDB request gets the component's whole ``timeout_ms`` (maintenance work).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeVar

from langgraph_genesis_memory._mongo import Failed, Request, run_async, run_sync
from langgraph_genesis_memory._plans import Plan, adrive, drive
from langgraph_genesis_memory._services import ServiceRequest
from langgraph_genesis_memory.errors import ConfigurationError
from langgraph_genesis_memory.ops._format import ReadAhead
from langgraph_genesis_memory.ops._requests import (
    Emit,
    GetCheckpoint,
    IndexCount,
    NextCheckpoints,
    NextRecords,
    OnSaver,
    OpenRecords,
    Progress,
    PutCheckpoint,
    PutWrites,
    ReadVectors,
    Reindex,
    SourceGet,
    SourceListNamespaces,
    SourceSearch,
    StoreBatch,
    Timed,
    Tolerant,
)

T = TypeVar("T")


@dataclass
class Endpoints:
    """What one run of an operations plan talks to (any may be ``None`` if unused).

    Attributes:
        store: The target ``GenesisStore`` (MongoDB and service requests, ``StoreBatch``).
        saver: The target saver (``OnSaver`` needs a ``GenesisSaver``; ``put``/``get_tuple``
            work on any ``BaseCheckpointSaver``).
        source_store: The source ``BaseStore`` of a migration.
        source_saver: The source ``BaseCheckpointSaver`` of a migration or backup.
        checkpoints: The source saver's listing (an iterator, or an async iterator).
        writer: The backup file being written (``Emit``).
        reader: The backup file being read (``OpenRecords``/``NextRecords``).
        progress: A ``tqdm`` progress bar, or ``None``.
    """

    store: Any = None
    saver: Any = None
    source_store: Any = None
    source_saver: Any = None
    checkpoints: Any = None
    writer: Any = None
    reader: Any = None
    progress: Any = None
    ahead: ReadAhead | None = field(default=None, repr=False)

    def open_records(self, size: int) -> None:
        """(Re)start reading the backup's records, chunks read ahead in a worker thread."""
        self.close()
        self.ahead = ReadAhead(self.reader.records(), size)

    def close(self) -> None:
        """Stop any reading ahead."""
        if self.ahead is not None:
            self.ahead.close()
            self.ahead = None


def _single(request: Any) -> Plan[Any]:
    return (yield request)


def _runner(ends: Endpoints, on_saver: bool) -> Any:
    runner = ends.saver if on_saver else ends.store
    if runner is None or not hasattr(runner, "_make_target"):
        what = "a GenesisSaver" if on_saver else "a GenesisStore"
        raise ConfigurationError(f"This operation needs {what}.")
    return runner


def _vector_index(store: Any, is_async: bool) -> Any:
    if is_async:
        return getattr(store, "async_vector_index", None)
    return getattr(store, "vector_index", None)


def _derived_index(store: Any, name: str, is_async: bool) -> Any:
    if name == "vectors":
        return _vector_index(store, is_async)
    return getattr(store, f"async_{name}_index" if is_async else f"{name}_index", None)


def _vectors_of(answer: Any) -> dict[str, list[float]]:
    ids = answer.get("ids") or []
    embeddings = answer.get("embeddings")
    if embeddings is None:
        return {}
    return {str(i): [float(x) for x in v] for i, v in zip(ids, embeddings, strict=True)}


def _advance(bar: Any, req: Progress) -> None:
    if bar is None:
        return
    if req.description is not None:
        bar.set_description(req.description)
    if req.total is not None:
        bar.total = req.total
        bar.refresh()
    if req.n:
        bar.update(req.n)


def _serve(ends: Endpoints, req: Any) -> Any:
    if isinstance(req, Timed):
        started = time.perf_counter()
        result = _serve(ends, req.request)
        return result, (time.perf_counter() - started) * 1000.0
    if isinstance(req, OnSaver | Request | ServiceRequest):
        runner = _runner(ends, isinstance(req, OnSaver))
        inner = req.request if isinstance(req, OnSaver) else req
        return run_sync(runner._make_target(runner.client, False, True), _single(inner))
    if isinstance(req, Tolerant):
        try:
            return _serve(ends, req.request)
        except Exception as exc:
            return Failed(exc)
    if isinstance(req, Progress):
        return _advance(ends.progress, req)
    if isinstance(req, StoreBatch):
        return ends.store.batch(list(req.ops))
    if isinstance(req, IndexCount):
        index = _derived_index(ends.store, req.index, False)
        return None if index is None else int(index.count())
    if isinstance(req, ReadVectors):
        index = _vector_index(ends.store, False)
        answer = index.collection.get(ids=list(req.ids), include=["embeddings"])
        return _vectors_of(answer)
    if isinstance(req, Emit):
        ends.writer.write(req.records)
        return None
    if isinstance(req, OpenRecords):
        return ends.open_records(req.size)
    if isinstance(req, NextRecords):
        assert ends.ahead is not None
        return ends.ahead.next()
    if isinstance(req, SourceListNamespaces):
        return ends.source_store.list_namespaces(
            prefix=req.prefix or None, limit=req.limit, offset=req.offset
        )
    if isinstance(req, SourceSearch):
        return ends.source_store.search(
            req.namespace_prefix, limit=req.limit, offset=req.offset, refresh_ttl=False
        )
    if isinstance(req, SourceGet):
        return ends.source_store.get(req.namespace, req.key, refresh_ttl=False)
    if isinstance(req, NextCheckpoints):
        return list(islice(ends.checkpoints, req.n))
    if isinstance(req, GetCheckpoint):
        return (ends.source_saver if req.source else ends.saver).get_tuple(dict(req.config))
    if isinstance(req, PutCheckpoint):
        return ends.saver.put(
            dict(req.config), dict(req.checkpoint), dict(req.metadata), dict(req.new_versions)
        )
    if isinstance(req, PutWrites):
        return ends.saver.put_writes(dict(req.config), list(req.writes), req.task_id, req.task_path)
    if isinstance(req, Reindex):
        return ends.store.reindex(**req.options)
    raise TypeError(f"Unknown request {req!r}")


async def _aserve(ends: Endpoints, req: Any) -> Any:
    if isinstance(req, Timed):
        started = time.perf_counter()
        result = await _aserve(ends, req.request)
        return result, (time.perf_counter() - started) * 1000.0
    if isinstance(req, OnSaver | Request | ServiceRequest):
        runner = _runner(ends, isinstance(req, OnSaver))
        inner = req.request if isinstance(req, OnSaver) else req
        target = runner._make_target(runner.async_client, True, True)
        return await run_async(target, _single(inner))
    if isinstance(req, Tolerant):
        try:
            return await _aserve(ends, req.request)
        except Exception as exc:
            return Failed(exc)
    if isinstance(req, Progress):
        return _advance(ends.progress, req)
    if isinstance(req, StoreBatch):
        return await ends.store.abatch(list(req.ops))
    if isinstance(req, IndexCount):
        index = _derived_index(ends.store, req.index, True)
        return None if index is None else int(await index.count())
    if isinstance(req, ReadVectors):
        index = _vector_index(ends.store, True)
        sync_index = getattr(index, "sync_index", None)
        if sync_index is not None:
            answer = await asyncio.to_thread(
                sync_index.collection.get, ids=list(req.ids), include=["embeddings"]
            )
        else:
            answer = await index.collection.get(ids=list(req.ids), include=["embeddings"])
        return _vectors_of(answer)
    if isinstance(req, Emit):
        await asyncio.to_thread(ends.writer.write, req.records)
        return None
    if isinstance(req, OpenRecords):
        return await asyncio.to_thread(ends.open_records, req.size)
    if isinstance(req, NextRecords):
        assert ends.ahead is not None
        return await asyncio.to_thread(ends.ahead.next)
    if isinstance(req, SourceListNamespaces):
        return await ends.source_store.alist_namespaces(
            prefix=req.prefix or None, limit=req.limit, offset=req.offset
        )
    if isinstance(req, SourceSearch):
        return await ends.source_store.asearch(
            req.namespace_prefix, limit=req.limit, offset=req.offset, refresh_ttl=False
        )
    if isinstance(req, SourceGet):
        return await ends.source_store.aget(req.namespace, req.key, refresh_ttl=False)
    if isinstance(req, NextCheckpoints):
        found: list[Any] = []
        while len(found) < req.n:
            try:
                found.append(await anext(ends.checkpoints))
            except StopAsyncIteration:
                break
        return found
    if isinstance(req, GetCheckpoint):
        saver = ends.source_saver if req.source else ends.saver
        return await saver.aget_tuple(dict(req.config))
    if isinstance(req, PutCheckpoint):
        return await ends.saver.aput(
            dict(req.config), dict(req.checkpoint), dict(req.metadata), dict(req.new_versions)
        )
    if isinstance(req, PutWrites):
        return await ends.saver.aput_writes(
            dict(req.config), list(req.writes), req.task_id, req.task_path
        )
    if isinstance(req, Reindex):
        return await ends.store.areindex(**req.options)
    raise TypeError(f"Unknown request {req!r}")


def run_ops(plan: Plan[T], ends: Endpoints) -> T:
    """Drive an operations plan with the sync APIs of ``ends``."""
    try:
        return drive(plan, lambda req: _serve(ends, req))
    finally:
        ends.close()


async def arun_ops(plan: Plan[T], ends: Endpoints) -> T:
    """Drive an operations plan with the async APIs of ``ends``."""

    async def execute(req: Any) -> Any:
        return await _aserve(ends, req)

    try:
        return await adrive(plan, execute)
    finally:
        await asyncio.to_thread(ends.close)
