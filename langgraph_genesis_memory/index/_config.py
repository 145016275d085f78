"""Where the Chroma vector index lives: arguments, environment variables, and their precedence."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal, TypedDict

from langgraph_genesis_memory.errors import ConfigurationError

ENV_HOST = "CHROMA_HOST"
"""Host name of a Chroma server; when set, the index is remote (``HttpClient``)."""
ENV_PORT = "CHROMA_PORT"
"""Port of the Chroma server (default 8000)."""
ENV_SSL = "CHROMA_SSL"
"""``1``/``true`` to talk to the Chroma server over HTTPS."""
ENV_PATH = "GENESIS_CHROMA_PATH"
"""Directory of an embedded persistent Chroma (``PersistentClient``)."""
ENV_COLLECTION = "GENESIS_CHROMA_COLLECTION"
"""Name of the Chroma collection (default ``genesis_memory``)."""

DEFAULT_COLLECTION = "genesis_memory"


class HNSWSettings(TypedDict, total=False):
    """HNSW parameters of the collection (chromadb 1.x ``configuration={"hnsw": ...}``).

    All of them are fixed when the collection is created: with chromadb 1.5.9 an embedded client
    that has loaded the index keeps its ``ef_search`` even after
    :meth:`ChromaIndex.set_ef_search` (which only persists the new value).
    """

    space: Literal["cosine", "l2", "ip"]
    """Distance; always ``"cosine"`` for this package (distance = 1 - cosine similarity)."""
    max_neighbors: int
    """HNSW ``M``: links per node (Chroma default 16). Higher = better recall, more memory."""
    ef_construction: int
    """Candidate list size while building (Chroma default 100). Higher = better graph, slower."""
    ef_search: int
    """Candidate list size while querying (Chroma default 100). Higher = better recall, slower."""


DEFAULT_HNSW: HNSWSettings = {
    "space": "cosine",
    "max_neighbors": 16,
    "ef_construction": 200,
    "ef_search": 100,
}
"""Defaults measured by ``benchmarks/vector_scale.py`` (100k x 384: recall@10 >= 0.95)."""


class ChromaConfig(TypedDict, total=False):
    """Resolved location of the vector index (see :func:`resolve_chroma_config`)."""

    mode: Literal["http", "persistent", "memory"]
    """``http``: a Chroma server; ``persistent``: an embedded directory; ``memory``: in-process."""
    host: str
    """Server host (``http`` mode)."""
    port: int
    """Server port (``http`` mode; default 8000)."""
    ssl: bool
    """Use HTTPS (``http`` mode; default False)."""
    headers: dict[str, str]
    """Extra HTTP headers, e.g. an auth token (``http`` mode)."""
    path: str
    """Directory of the embedded database (``persistent`` mode)."""
    collection: str
    """Collection name (default ``genesis_memory``)."""


def resolve_chroma_config(
    *,
    path: str | os.PathLike[str] | None = None,
    host: str | None = None,
    port: int | None = None,
    ssl: bool | None = None,
    headers: Mapping[str, str] | None = None,
    collection: str | None = None,
    in_memory: bool = False,
    env: Mapping[str, str] | None = None,
) -> ChromaConfig:
    """Decide where the index lives from arguments, then environment variables.

    Precedence: ``in_memory=True``; then an explicit ``host`` (server) or ``path`` (embedded
    directory); then ``CHROMA_HOST`` / ``GENESIS_CHROMA_PATH``; else an in-memory index.
    ``port``/``ssl``/``collection`` fall back to ``CHROMA_PORT`` / ``CHROMA_SSL`` /
    ``GENESIS_CHROMA_COLLECTION``.

    Args:
        path: Directory for an embedded persistent Chroma.
        host: Host of a Chroma server.
        port: Port of the Chroma server (default 8000).
        ssl: Use HTTPS for the server.
        headers: Extra HTTP headers for the server.
        collection: Collection name.
        in_memory: Force an in-memory (ephemeral) index, e.g. for tests.
        env: Environment to read (default ``os.environ``).

    Returns:
        A :class:`ChromaConfig`.

    Raises:
        ConfigurationError: If both ``host`` and ``path`` are given, or ``CHROMA_PORT`` is not
            an integer.
    """
    env = os.environ if env is None else env
    if host and path:
        raise ConfigurationError("give either a Chroma server host or a directory path, not both")
    name = collection or env.get(ENV_COLLECTION) or DEFAULT_COLLECTION
    if in_memory:
        return {"mode": "memory", "collection": name}
    if not host and not path:
        host = env.get(ENV_HOST) or None
        if not host:
            path = env.get(ENV_PATH) or None
    if host:
        if port is None:
            raw = env.get(ENV_PORT, "8000")
            try:
                port = int(raw)
            except ValueError:
                raise ConfigurationError(f"{ENV_PORT} must be an integer, got {raw!r}") from None
        if ssl is None:
            ssl = env.get(ENV_SSL, "").strip().lower() in {"1", "true", "yes", "on"}
        return {
            "mode": "http",
            "host": host,
            "port": port,
            "ssl": ssl,
            "headers": dict(headers or {}),
            "collection": name,
        }
    if path:
        return {"mode": "persistent", "path": os.fspath(path), "collection": name}
    return {"mode": "memory", "collection": name}


def collection_configuration(hnsw: HNSWSettings | None = None) -> dict[str, Any]:
    """The ``configuration=`` argument for ``get_or_create_collection`` (cosine space).

    Args:
        hnsw: Overrides of :data:`DEFAULT_HNSW`; ``space`` is always ``"cosine"``.

    Returns:
        ``{"hnsw": {...}}``. The collection is opened with ``embedding_function=None`` besides,
        so Chroma never embeds (nor downloads a model) by itself.

    Raises:
        ConfigurationError: If ``hnsw`` asks for another space than ``"cosine"``.
    """
    settings: dict[str, Any] = {**DEFAULT_HNSW, **(hnsw or {})}
    if settings.get("space") != "cosine":
        raise ConfigurationError("the vector index always uses the cosine space")
    return {"hnsw": settings}
