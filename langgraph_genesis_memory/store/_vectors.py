"""The store's side of the vector index: what to embed, and requests to Chroma and the model.

MongoDB stays the source of truth; Chroma holds a derived index that :meth:`GenesisStore.reindex`
can rebuild at any time. An item with ``IndexConfig`` gets one vector per text found at its index
paths (LangGraph's JSON paths; a path with several matches yields ``"path.0"``, ``"path.1"``...,
as in LangGraph's ``InMemoryStore``). Each vector's text is hashed (SHA-256, first 16 hex
digits) and the hashes are kept on the item's document (``vectors``) and in the vector's Chroma
metadata (``h``): a put whose text did not change is not embedded again, and
:meth:`GenesisStore.reindex` can check Chroma against MongoDB exactly.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langgraph.store.base import get_text_at_path, tokenize_path

from langgraph_genesis_memory._mongo import SideRequest, Target


@dataclass(frozen=True)
class VectorText:
    """One text of an item to embed: the vector's path within the value and its hash."""

    path: str
    text: str
    hash: str


def text_hash(text: str) -> str:
    """Content hash of an embedded text (SHA-256, 16 hex digits)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def vector_texts(value: Mapping[str, Any], paths: Sequence[str]) -> list[VectorText]:
    """The texts of ``value`` to embed for LangGraph index ``paths``.

    Follows LangGraph's ``IndexConfig.fields`` rules: ``"$"`` is the whole value as JSON,
    ``"a.b"``, ``"arr[*].x"``, ``"arr[-1]"`` select parts; missing paths are skipped; several
    matches of one path become ``"path.0"``, ``"path.1"``... Empty texts are skipped.
    """
    out: list[VectorText] = []
    for path in paths:
        texts = get_text_at_path(value, path if path == "$" else tokenize_path(path))
        texts = [t for t in texts if t and t.strip()]
        if len(texts) == 1:
            out.append(VectorText(path, texts[0], text_hash(texts[0])))
        else:
            out.extend(
                VectorText(f"{path}.{i}", text, text_hash(text)) for i, text in enumerate(texts)
            )
    return out


def _vectors(target: Target) -> Any:
    return target.extras["vectors"]


def _missing_collection(exc: Exception) -> bool:
    """Chroma's "collection does not exist": another client rebuilt (recreated) it."""
    return type(exc).__name__ == "NotFoundError"


def _reopen(index: Any) -> None:
    """Reopen a sync index (or an async index's embedded core) by collection name."""
    core = getattr(index, "_sync", None) or index
    core.reopen()
    index.collection = core.collection


def _call(target: Target, method: str, *args: Any, **kwargs: Any) -> Any:
    index = _vectors(target)
    try:
        return getattr(index, method)(*args, **kwargs)
    except Exception as exc:
        if not _missing_collection(exc):
            raise
        _reopen(index)
        return getattr(index, method)(*args, **kwargs)


async def _acall(target: Target, method: str, *args: Any, **kwargs: Any) -> Any:
    index = _vectors(target)
    try:
        return await getattr(index, method)(*args, **kwargs)
    except Exception as exc:
        if not _missing_collection(exc):
            raise
        await index.reopen()
        return await getattr(index, method)(*args, **kwargs)


def _embeddings(target: Target) -> Any:
    return target.extras["embeddings"]


@dataclass(frozen=True)
class Embed(SideRequest):
    """Embed texts with the store's LangChain ``Embeddings``; returns one vector per text.

    ``query=True`` uses ``embed_query`` (some models embed questions differently).
    """

    texts: Sequence[str]
    query: bool = False
    tolerate: bool = False

    def execute(self, target: Target) -> list[list[float]]:
        """Run with the sync model / index."""
        model = _embeddings(target)
        if self.query:
            return [list(model.embed_query(t)) for t in self.texts]
        return [list(v) for v in model.embed_documents(list(self.texts))]

    async def aexecute(self, target: Target) -> list[list[float]]:
        """Run with the async model / index."""
        model = _embeddings(target)
        if self.query:
            found = await asyncio.gather(*(model.aembed_query(t) for t in self.texts))
            return [list(v) for v in found]
        return [list(v) for v in await model.aembed_documents(list(self.texts))]


@dataclass(frozen=True)
class VectorUpsert(SideRequest):
    """Write vectors: ids, embeddings and metadata, in one call (batched by the index)."""

    ids: Sequence[str]
    embeddings: Sequence[Sequence[float]]
    metadatas: Sequence[Mapping[str, Any]]
    tolerate: bool = False

    def execute(self, target: Target) -> None:
        """Run with the sync model / index."""
        if self.ids:
            _call(target, "upsert", self.ids, self.embeddings, self.metadatas)

    async def aexecute(self, target: Target) -> None:
        """Run with the async model / index."""
        if self.ids:
            await _acall(target, "upsert", self.ids, self.embeddings, self.metadatas)


@dataclass(frozen=True)
class VectorDelete(SideRequest):
    """Delete vectors by vector id and every vector of ``item_ids``."""

    ids: Sequence[str] = ()
    item_ids: Sequence[str] = ()
    tolerate: bool = False

    def execute(self, target: Target) -> None:
        """Run with the sync model / index."""
        if self.ids or self.item_ids:
            _call(target, "delete", list(self.ids), item_ids=list(self.item_ids))

    async def aexecute(self, target: Target) -> None:
        """Run with the async model / index."""
        if self.ids or self.item_ids:
            await _acall(target, "delete", list(self.ids), item_ids=list(self.item_ids))


@dataclass(frozen=True)
class VectorExpired(SideRequest):
    """Vectors whose recorded expiry is at or before ``now_ms``: ``{vector_id: item_id}``."""

    now_ms: int
    tolerate: bool = False

    def execute(self, target: Target) -> dict[str, str]:
        """Run with the sync index."""
        return _call(target, "expired", self.now_ms)

    async def aexecute(self, target: Target) -> dict[str, str]:
        """Run with the async index."""
        return await _acall(target, "expired", self.now_ms)


@dataclass(frozen=True)
class VectorSetExpiry(SideRequest):
    """Record new expiries (epoch ms) on vectors, one per id."""

    ids: Sequence[str]
    expires_ms: Sequence[int]
    tolerate: bool = False

    def execute(self, target: Target) -> None:
        """Run with the sync index."""
        if self.ids:
            _call(target, "set_expiry", self.ids, self.expires_ms)

    async def aexecute(self, target: Target) -> None:
        """Run with the async index."""
        if self.ids:
            await _acall(target, "set_expiry", self.ids, self.expires_ms)


@dataclass(frozen=True)
class VectorQuery(SideRequest):
    """Nearest items to ``embedding`` under ``namespace_prefix``.

    Returns ``(hits, exhausted)``: hits (one per item, its best field's, nearest first) and
    whether the index holds no further matching vectors.
    """

    embedding: Sequence[float]
    n_results: int
    namespace_prefix: Sequence[str] = ()

    def execute(self, target: Target) -> tuple[list[Any], bool]:
        """Run with the sync model / index."""
        hits = _call(
            target, "query", self.embedding, self.n_results, namespace_prefix=self.namespace_prefix
        )
        return _best(hits), len(hits) < self.n_results

    async def aexecute(self, target: Target) -> tuple[list[Any], bool]:
        """Run with the async model / index."""
        hits = await _acall(
            target, "query", self.embedding, self.n_results, namespace_prefix=self.namespace_prefix
        )
        return _best(hits), len(hits) < self.n_results


def _best(hits: Sequence[Any]) -> list[Any]:
    from langgraph_genesis_memory.index._requests import best_per_item

    return best_per_item(hits)


@dataclass(frozen=True)
class VectorItemHashes(SideRequest):
    """Every vector of the index: ``{vector_id: content hash}`` (for repairs and checks)."""

    page: int = 10_000

    def execute(self, target: Target) -> dict[str, str]:
        """Run with the sync model / index."""
        return _index_hashes(_vectors(target), self.page)

    async def aexecute(self, target: Target) -> dict[str, str]:
        """Run with the async model / index."""
        index = _vectors(target)
        sync = getattr(index, "_sync", None)
        if sync is not None:  # embedded Chroma: the sync request, off the event loop
            return await asyncio.to_thread(_index_hashes, sync, self.page)
        found: dict[str, str] = {}
        offset = 0
        while True:
            got = await index.collection.get(include=["metadatas"], limit=self.page, offset=offset)
            found.update(_page_hashes(got))
            if len(got["ids"]) < self.page:
                return found
            offset += self.page


def _page_hashes(got: Mapping[str, Any]) -> dict[str, str]:
    metadatas = got.get("metadatas") or [None] * len(got["ids"])
    return {
        vid: str((meta or {}).get("h", ""))
        for vid, meta in zip(got["ids"], metadatas, strict=False)
    }


def _index_hashes(index: Any, page: int) -> dict[str, str]:
    try:
        return _hashes(index.collection, page)
    except Exception as exc:
        if not _missing_collection(exc):
            raise
        _reopen(index)
        return _hashes(index.collection, page)


def _hashes(collection: Any, page: int) -> dict[str, str]:
    found: dict[str, str] = {}
    offset = 0
    while True:
        got = collection.get(include=["metadatas"], limit=page, offset=offset)
        found.update(_page_hashes(got))
        if len(got["ids"]) < page:
            return found
        offset += page


@dataclass(frozen=True)
class VectorReset(SideRequest):
    """Drop every vector (the collection is recreated with the same configuration)."""

    def execute(self, target: Target) -> None:
        """Run with the sync model / index."""
        _vectors(target).reset()

    async def aexecute(self, target: Target) -> None:
        """Run with the async model / index."""
        await _vectors(target).reset()
