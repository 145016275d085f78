"""The seam between the store and its derived indexes: the entries they hold and what they do.

MongoDB is the source of truth; a derived index (the vector index in Chroma, a full-text index
of words) holds a copy of some of each item's text, derived from MongoDB and rebuilt from it at
any time. Every derived index implements :class:`DerivedIndex` (sync) and
:class:`AsyncDerivedIndex` (async): the store's plans talk only to these, through the requests
of :mod:`langgraph_genesis_memory._services`.

An item has one **entry** per indexed text (one per JSON path of its ``IndexConfig`` fields, or
per match of a wildcard path), with id ``"<item_id>#<path>"``. Each entry records the content
hash of its text, so the store writes only entries whose text changed and ``reindex()`` can
compare an index with MongoDB exactly, and the item's expiry, so sweeps find entries of items
that MongoDB's TTL monitor removed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class IndexEntry:
    """One indexed text of an item.

    Attributes:
        id: Entry id, ``"<item_id>#<path>"`` (see :func:`entry_id`).
        item_id: The item's MongoDB ``_id``.
        namespace: The item's namespace labels.
        key: The item's key.
        path: The JSON path the text came from (``"$"``, ``"text"``, ``"tags.0"``...).
        hash: Content hash of the text (see ``reindex()``).
        expires_ms: The item's expiry in epoch milliseconds (2**62: never).
        vector: The embedding (vector indexes).
        text: The text itself (word indexes).
    """

    id: str
    item_id: str
    namespace: tuple[str, ...]
    key: str
    path: str
    hash: str
    expires_ms: int
    vector: Sequence[float] | None = None
    text: str | None = None


@dataclass(frozen=True)
class IndexHit:
    """One entry found by a query.

    Attributes:
        item_id: The item's ``_id``.
        entry_id: The matching entry's id.
        score: Higher is better: cosine similarity for vectors (1 = same direction), the
            engine's relevance score for words.
        path: The JSON path of the matching text, when known.
    """

    item_id: str
    entry_id: str
    score: float
    path: str | None = None


def entry_id(item_id: str, path: str) -> str:
    """The id of one indexed text of an item: ``"<item_id>#<path>"``.

    Args:
        item_id: The item's ``_id``.
        path: The JSON path of the text.

    Returns:
        The entry id.
    """
    return f"{item_id}#{path}"


def best_per_item(hits: Sequence[IndexHit], limit: int | None = None) -> list[IndexHit]:
    """Keep each item's best entry: an item scores as its best text (LangGraph's rule for items
    with several indexed fields).

    Args:
        hits: Entry hits in any order.
        limit: Keep at most this many items (default: all).

    Returns:
        One hit per item, best first (ties keep the input order).
    """
    best: dict[str, IndexHit] = {}
    for hit in hits:
        current = best.get(hit.item_id)
        if current is None or hit.score > current.score:
            best[hit.item_id] = hit
    ranked = sorted(best.values(), key=lambda h: -h.score)
    return ranked if limit is None else ranked[:limit]


@runtime_checkable
class DerivedIndex(Protocol):
    """A derived index the store keeps in step with MongoDB (sync API).

    Implementations: :class:`~langgraph_genesis_memory.index.ChromaIndex` (vectors). A failure
    of any method is tolerated by the store (items are flagged and repaired by ``reindex()``),
    so implementations raise freely.
    """

    def upsert(self, entries: Sequence[IndexEntry]) -> None:
        """Insert or replace entries (by id)."""
        ...

    def delete(self, ids: Sequence[str] = (), item_ids: Sequence[str] = ()) -> None:
        """Delete entries by id, and every entry of ``item_ids``; unknown ids are ignored."""
        ...

    def query(
        self,
        query: Sequence[float] | str,
        n: int,
        namespace_prefix: Sequence[str] = (),
        *,
        id_prefix: str = "",
    ) -> tuple[list[IndexHit], bool]:
        """The ``n`` best entries for ``query`` under ``namespace_prefix``, best first, and
        whether the index holds no further matching entries.

        ``id_prefix``, when not empty, is the caller's promise that the entries under
        ``namespace_prefix`` are exactly those whose id starts with it (the store's ``_id`` values
        encode the namespace): an index may use it to select entries without reading their
        metadata, or ignore it."""
        ...

    def hashes(self) -> dict[str, str]:
        """Every entry: ``{entry_id: content hash}`` (for ``reindex()``)."""
        ...

    def expired(self, now_ms: int) -> dict[str, str]:
        """Entries whose recorded expiry is at or before ``now_ms``: ``{entry_id: item_id}``."""
        ...

    def set_expiry(self, ids: Sequence[str], expires_ms: Sequence[int]) -> None:
        """Record new expiries (epoch ms) on entries, one per id."""
        ...

    def reset(self) -> None:
        """Drop every entry (a rebuild follows)."""
        ...

    def reopen(self) -> None:
        """Open the index again (after another client rebuilt it)."""
        ...


@runtime_checkable
class AsyncDerivedIndex(Protocol):
    """Async twin of :class:`DerivedIndex` (same methods, as coroutines)."""

    async def upsert(self, entries: Sequence[IndexEntry]) -> None:
        """As :meth:`DerivedIndex.upsert`."""
        ...

    async def delete(self, ids: Sequence[str] = (), item_ids: Sequence[str] = ()) -> None:
        """As :meth:`DerivedIndex.delete`."""
        ...

    async def query(
        self,
        query: Sequence[float] | str,
        n: int,
        namespace_prefix: Sequence[str] = (),
        *,
        id_prefix: str = "",
    ) -> tuple[list[IndexHit], bool]:
        """As :meth:`DerivedIndex.query`."""
        ...

    async def hashes(self) -> dict[str, str]:
        """As :meth:`DerivedIndex.hashes`."""
        ...

    async def expired(self, now_ms: int) -> dict[str, str]:
        """As :meth:`DerivedIndex.expired`."""
        ...

    async def set_expiry(self, ids: Sequence[str], expires_ms: Sequence[int]) -> None:
        """As :meth:`DerivedIndex.set_expiry`."""
        ...

    async def reset(self) -> None:
        """As :meth:`DerivedIndex.reset`."""
        ...

    async def reopen(self) -> None:
        """As :meth:`DerivedIndex.reopen`."""
        ...


class ThreadedAsyncIndex:
    """An :class:`AsyncDerivedIndex` that runs a sync :class:`DerivedIndex` in worker threads.

    For indexes without an async client (an embedded SQLite file, say): the event loop keeps
    going while the sync index works, and both APIs share the one index object.

    Args:
        index: The sync index.
    """

    def __init__(self, index: DerivedIndex) -> None:
        self.sync_index = index

    async def upsert(self, entries: Sequence[IndexEntry]) -> None:
        """As :meth:`DerivedIndex.upsert`, in a worker thread."""
        await asyncio.to_thread(self.sync_index.upsert, entries)

    async def delete(self, ids: Sequence[str] = (), item_ids: Sequence[str] = ()) -> None:
        """As :meth:`DerivedIndex.delete`, in a worker thread."""
        await asyncio.to_thread(self.sync_index.delete, ids, item_ids)

    async def query(
        self,
        query: Sequence[float] | str,
        n: int,
        namespace_prefix: Sequence[str] = (),
        *,
        id_prefix: str = "",
    ) -> tuple[list[IndexHit], bool]:
        """As :meth:`DerivedIndex.query`, in a worker thread."""
        return await asyncio.to_thread(
            self.sync_index.query, query, n, namespace_prefix, id_prefix=id_prefix
        )

    async def hashes(self) -> dict[str, str]:
        """As :meth:`DerivedIndex.hashes`, in a worker thread."""
        return await asyncio.to_thread(self.sync_index.hashes)

    async def expired(self, now_ms: int) -> dict[str, str]:
        """As :meth:`DerivedIndex.expired`, in a worker thread."""
        return await asyncio.to_thread(self.sync_index.expired, now_ms)

    async def set_expiry(self, ids: Sequence[str], expires_ms: Sequence[int]) -> None:
        """As :meth:`DerivedIndex.set_expiry`, in a worker thread."""
        await asyncio.to_thread(self.sync_index.set_expiry, ids, expires_ms)

    async def reset(self) -> None:
        """As :meth:`DerivedIndex.reset`, in a worker thread."""
        await asyncio.to_thread(self.sync_index.reset)

    async def reopen(self) -> None:
        """As :meth:`DerivedIndex.reopen`, in a worker thread."""
        await asyncio.to_thread(self.sync_index.reopen)
