"""``GenesisStore`` and ``GenesisSaver`` for LangGraph Server (``langgraph dev``, LangGraph
Platform), configured in ``langgraph.json`` with no code of your own.

``langgraph.json``::

    {
      "dependencies": ["."],
      "graphs": {"agent": "./agent.py:graph"},
      "store": {
        "path": "langgraph_genesis_memory.server.store",
        "index": {"dims": 384, "embed": "./embeddings.py:embeddings", "fields": ["text"]},
        "ttl": {"default_ttl": 43200, "refresh_on_read": true, "sweep_interval_minutes": 60}
      },
      "checkpointer": {
        "path": "langgraph_genesis_memory.server.checkpointer",
        "ttl": {"strategy": "delete", "default_ttl": 10080, "sweep_interval_minutes": 60}
      }
    }

The server imports the ``path`` (``module.attribute``; langgraph-api 0.16 splits it at the last
dot) and enters the async context manager it returns, once per server thread; the store and
the saver open their MongoDB clients there, run ``setup()`` (idempotent) and close on shutdown.

What the server passes is honoured:

* ``store.index`` (LangGraph's ``IndexConfig``: ``dims``, ``embed``, ``fields``) becomes the
  store's vector index (Chroma; see :class:`~langgraph_genesis_memory.GenesisStore`). ``embed``
  is what the server accepts too: ``"provider:model"`` (e.g. ``"openai:text-embedding-3-small"``,
  resolved by LangChain's ``init_embeddings``) or ``"./file.py:name"`` (a file relative to the
  folder ``langgraph dev`` runs in, naming an ``Embeddings`` object or an embedding function).
  For the offline all-MiniLM-L6-v2 model, ``./embeddings.py`` holds
  ``embeddings = MiniLMEmbeddings()`` (see ``examples/langgraph_server/``).
* ``store.ttl`` (LangGraph's ``TTLConfig``, minutes) sets the store's default TTL, its
  ``refresh_on_read`` and its background sweeper (the server runs no sweeper for a custom
  store; this one does). The namespace policies (``agent`` 30 days, ``business`` 180 days...)
  still apply to their namespaces. The default applies to writes that give no ``ttl`` (graph
  nodes' ``put``); the HTTP API (``client.store.put_item``) always passes ``ttl``, and its
  ``None`` means "never expires", as the SDK documents: give ``ttl=`` minutes per item there.
* ``checkpointer.ttl`` with ``strategy: "delete"`` makes threads expire ``default_ttl`` minutes
  after their last checkpoint (``GenesisSaver(ttl_minutes=...)``); with
  ``sweep_interval_minutes`` expired threads are deleted in the background. Other strategies are
  left to the server.

Everything else comes from the environment as for ``from_conn_string()``: ``MONGODB_URI`` (unset:
local mode, with its data folder found upwards from the folder the server runs in),
``GENESIS_MONGODB_DATABASE``, ``GENESIS_DATA_DIR``, ``CHROMA_HOST``... Put them in the ``env``
file of ``langgraph.json`` or the deployment's environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from langgraph_genesis_memory.checkpoint import GenesisSaver
from langgraph_genesis_memory.errors import ConfigurationError
from langgraph_genesis_memory.store import GenesisStore

__all__ = [
    "store",
    "checkpointer",
    "store_options",
    "checkpointer_options",
    "load_embeddings",
]

logger = logging.getLogger(__name__)

STORE_VARIABLE = "LANGGRAPH_STORE"
"""The environment variable in which LangGraph Server passes ``langgraph.json``'s ``store``."""

CHECKPOINTER_VARIABLE = "LANGGRAPH_CHECKPOINTER"
"""The environment variable in which LangGraph Server passes ``checkpointer``."""


def _section(variable: str, given: Mapping[str, Any] | None) -> dict[str, Any]:
    if given is not None:
        return dict(given)
    raw = os.environ.get(variable)
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{variable} is not JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ConfigurationError(f"{variable} must be a JSON object, got {raw!r}.")
    return parsed


def load_embeddings(embed: Any) -> Any:
    """Resolve ``index.embed`` from ``langgraph.json`` as LangGraph Server does.

    Args:
        embed: ``"./file.py:name"`` (a file, relative to the working directory, or a module
            path ending in ``.py``) naming an ``Embeddings`` object or an embedding function;
            any other string (``"provider:model"``) or object is returned unchanged for
            LangGraph to resolve (``init_embeddings``).

    Returns:
        The embeddings object, the function, or ``embed`` itself.

    Raises:
        ConfigurationError: If the file or the name in it does not exist.
    """
    if not isinstance(embed, str) or ".py:" not in embed:
        return embed
    location, name = embed.rsplit(":", 1)
    if "/" in location:
        path = Path(location).expanduser()
        if not path.is_file():
            raise ConfigurationError(
                f"store.index.embed {embed!r}: no file {path.resolve()} (paths are relative to "
                "the folder the server runs in)."
            )
        # The server loads the same file under this module name: share its object when it has.
        module_name = location.replace("/", "__").replace(".py", "").replace(" ", "_")
        module = sys.modules.get(module_name)
        if module is None:
            spec = importlib.util.spec_from_file_location(module_name, path)
            if spec is None or spec.loader is None:  # pragma: no cover - is_file() checked
                raise ConfigurationError(f"store.index.embed {embed!r}: cannot load {path}.")
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
    else:
        module = importlib.import_module(location.removesuffix(".py"))
    if not hasattr(module, name):
        raise ConfigurationError(f"store.index.embed {embed!r}: {location} has no {name!r}.")
    return getattr(module, name)


def store_options(config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``GenesisStore.afrom_conn_string`` arguments for ``langgraph.json``'s ``store``.

    Args:
        config: The ``store`` section; default what the server passed in ``LANGGRAPH_STORE``.

    Returns:
        ``{"index": IndexConfig | None, "ttl": TTLConfig | None}``.

    Raises:
        ConfigurationError: If ``index`` lacks ``dims`` or ``embed``, or ``ttl`` is not an
            object.

    Example:
        >>> store_options({"ttl": {"default_ttl": 60}})
        {'index': None, 'ttl': {'default_ttl': 60}}
    """
    section = _section(STORE_VARIABLE, config)
    index = section.get("index") or None
    if index is not None:
        if not isinstance(index, Mapping) or not index.get("dims") or not index.get("embed"):
            raise ConfigurationError(
                "store.index in langgraph.json needs 'dims' and 'embed' (and optionally "
                f"'fields'); got {index!r}."
            )
        index = {**index, "embed": load_embeddings(index["embed"])}
    ttl = section.get("ttl") or None
    if ttl is not None and not isinstance(ttl, Mapping):
        raise ConfigurationError(f"store.ttl in langgraph.json must be an object; got {ttl!r}.")
    return {"index": index, "ttl": dict(ttl) if ttl else None}


def checkpointer_options(config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The saver settings for ``langgraph.json``'s ``checkpointer``.

    Args:
        config: The ``checkpointer`` section; default what the server passed in
            ``LANGGRAPH_CHECKPOINTER``.

    Returns:
        ``{"ttl_minutes": float | None, "sweep_interval_minutes": float | None}``: a thread TTL
        only for ``ttl.strategy`` ``"delete"`` (LangGraph's default strategy).

    Example:
        >>> checkpointer_options({"ttl": {"strategy": "delete", "default_ttl": 1440}})
        {'ttl_minutes': 1440.0, 'sweep_interval_minutes': None}
    """
    ttl = _section(CHECKPOINTER_VARIABLE, config).get("ttl") or {}
    if not isinstance(ttl, Mapping):
        raise ConfigurationError(f"checkpointer.ttl must be an object; got {ttl!r}.")
    if ttl.get("strategy", "delete") != "delete" or ttl.get("default_ttl") is None:
        return {"ttl_minutes": None, "sweep_interval_minutes": None}
    sweep = ttl.get("sweep_interval_minutes")
    return {
        "ttl_minutes": float(ttl["default_ttl"]),
        "sweep_interval_minutes": float(sweep) if sweep else None,
    }


@asynccontextmanager
async def store(config: Mapping[str, Any] | None = None) -> AsyncIterator[GenesisStore]:
    """Open a set-up ``GenesisStore`` for LangGraph Server (``store.path`` in ``langgraph.json``).

    Args:
        config: The ``store`` section of ``langgraph.json``; default the server's
            ``LANGGRAPH_STORE``.

    Yields:
        A ``GenesisStore`` with both clients, its indexes created, and a TTL sweeper when
        ``ttl.sweep_interval_minutes`` is set; closed when the server stops.

    Raises:
        ConfigurationError, DatabaseUnavailableError, MissingDependencyError: When the store
            cannot be opened (the server then fails to start, with this message).

    Example:
        >>> # langgraph.json: "store": {"path": "langgraph_genesis_memory.server.store"}
        >>> import asyncio
        >>> async def main():  # doctest: +SKIP
        ...     async with store({"ttl": {"default_ttl": 60}}) as s:
        ...         await s.aput(("memories", "alice"), "tea", {"text": "Green tea."})
    """
    options = store_options(config)
    async with GenesisStore.afrom_conn_string(**options) as genesis:
        await genesis.asetup()
        logger.info("LangGraph Server store: %s (database %s)", type(genesis).__name__,
                    genesis.database)  # fmt: skip
        yield genesis


@asynccontextmanager
async def checkpointer(config: Mapping[str, Any] | None = None) -> AsyncIterator[GenesisSaver]:
    """Open a set-up ``GenesisSaver`` for LangGraph Server (``checkpointer.path``).

    Args:
        config: The ``checkpointer`` section of ``langgraph.json``; default the server's
            ``LANGGRAPH_CHECKPOINTER``.

    Yields:
        A ``GenesisSaver`` with both clients and its indexes created; with a ``delete`` TTL
        and ``sweep_interval_minutes``, expired threads are swept in the background.

    Raises:
        ConfigurationError, DatabaseUnavailableError, MissingDependencyError: When the saver
            cannot be opened.

    Example:
        >>> # langgraph.json:
        >>> # "checkpointer": {"path": "langgraph_genesis_memory.server.checkpointer"}
        >>> async def main():  # doctest: +SKIP
        ...     async with checkpointer() as saver:
        ...         print(await saver.aget_tuple({"configurable": {"thread_id": "t1"}}))
    """
    options = checkpointer_options(config)
    async with GenesisSaver.afrom_conn_string(ttl_minutes=options["ttl_minutes"]) as saver:
        await saver.asetup()
        sweeper = None
        if options["sweep_interval_minutes"]:
            sweeper = asyncio.create_task(_sweep(saver, options["sweep_interval_minutes"] * 60))
        try:
            yield saver
        finally:
            if sweeper is not None:
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper


async def _sweep(saver: GenesisSaver, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            removed = await saver.asweep()
            logger.debug("thread TTL sweep removed %d threads", removed)
        except Exception:
            logger.exception("thread TTL sweep failed; retrying at the next interval")
