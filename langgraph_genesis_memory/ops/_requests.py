"""Requests of the operations' plans that MongoDB does not serve (pure data).

The backup, restore, migration, statistics and health plans yield these next to the MongoDB
requests of :mod:`langgraph_genesis_memory._mongo` and the service requests of
:mod:`langgraph_genesis_memory._services`; :mod:`langgraph_genesis_memory.ops._drive` serves
them with the sync or the async API of the objects involved (the backup file, a source
``BaseStore`` / ``BaseCheckpointSaver``, the target saver, the progress bar).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from langgraph_genesis_memory._mongo import Request


@dataclass(frozen=True)
class OpsRequest:
    """Base of the requests served by the operations' drivers."""


@dataclass(frozen=True)
class OnSaver(OpsRequest):
    """A MongoDB request run on the target saver's database and collections."""

    request: Request


@dataclass(frozen=True)
class Timed(OpsRequest):
    """Run ``request``; the result is ``(its result, milliseconds it took)``."""

    request: Any


@dataclass(frozen=True)
class Tolerant(OpsRequest):
    """Run ``request``; if it raises, the result is ``Failed(error)`` instead."""

    request: Any


@dataclass(frozen=True)
class StoreBatch(OpsRequest):
    """``batch`` / ``abatch`` of LangGraph ops on the target store (its full write path)."""

    ops: Sequence[Any]


@dataclass(frozen=True)
class IndexCount(OpsRequest):
    """How many entries the target store's derived index ``index`` holds."""

    index: str = "vectors"


@dataclass(frozen=True)
class ReadVectors(OpsRequest):
    """The vectors of entries of the target store's vector index: ``{entry_id: vector}``."""

    ids: Sequence[str]


@dataclass(frozen=True)
class Emit(OpsRequest):
    """Append records to the backup file being written."""

    records: Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class OpenRecords(OpsRequest):
    """(Re)start reading the backup's records from the first one, ``size`` per chunk."""

    size: int


@dataclass(frozen=True)
class NextRecords(OpsRequest):
    """The next chunk of the backup's records (an empty list at the end, after the file's
    checksum and counts were checked)."""


@dataclass(frozen=True)
class SourceListNamespaces(OpsRequest):
    """``list_namespaces`` on the source store."""

    prefix: tuple[str, ...]
    limit: int
    offset: int


@dataclass(frozen=True)
class SourceSearch(OpsRequest):
    """``search`` (no query, no filter, TTLs not refreshed) on the source store."""

    namespace_prefix: tuple[str, ...]
    limit: int
    offset: int


@dataclass(frozen=True)
class SourceGet(OpsRequest):
    """``get`` (TTL not refreshed) on the source store."""

    namespace: tuple[str, ...]
    key: str


@dataclass(frozen=True)
class NextCheckpoints(OpsRequest):
    """The next checkpoint tuples of the source saver's listing (at most ``n``; ``[]`` at the
    end)."""

    n: int


@dataclass(frozen=True)
class GetCheckpoint(OpsRequest):
    """``get_tuple(config)`` on the source saver (``source=True``) or the target saver."""

    config: Mapping[str, Any]
    source: bool = False


@dataclass(frozen=True)
class PutCheckpoint(OpsRequest):
    """``put`` on the target saver."""

    config: Mapping[str, Any]
    checkpoint: Mapping[str, Any]
    metadata: Mapping[str, Any]
    new_versions: Mapping[str, Any]


@dataclass(frozen=True)
class PutWrites(OpsRequest):
    """``put_writes`` on the target saver."""

    config: Mapping[str, Any]
    writes: Sequence[tuple[str, Any]]
    task_id: str
    task_path: str = ""


@dataclass(frozen=True)
class Progress(OpsRequest):
    """Advance the progress bar by ``n`` (and set its ``total`` when given)."""

    n: int = 0
    total: int | None = None
    description: str | None = None


@dataclass(frozen=True)
class Reindex(OpsRequest):
    """``reindex()`` on the target store (after a restore or a migration)."""

    options: Mapping[str, Any] = field(default_factory=dict)
