"""Opening pymongo clients the same way for the store and the saver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

from pymongo import AsyncMongoClient, MongoClient

from langgraph_genesis_memory._config import mask_uri, timeout_ms_from_env
from langgraph_genesis_memory.local._server import resolve_mongodb_uri

APP_NAME = "langgraph-genesis-memory"


def client_options(timeout_ms: int) -> dict[str, Any]:
    """pymongo client options: UTC-aware datetimes and ``timeout_ms`` for reaching MongoDB."""
    return {
        "tz_aware": True,
        "serverSelectionTimeoutMS": timeout_ms,
        "connectTimeoutMS": timeout_ms,
        "appname": APP_NAME,
    }


def describe_client(client: Any) -> str:
    """Name the deployment a client talks to (host:port list; never a password)."""
    try:
        hosts = [f"{h}:{p}" for h, p in client.topology_description.server_descriptions()]
    except Exception:  # pragma: no cover - defensive: description is informational only
        hosts = []
    return ",".join(hosts) or "the configured MongoDB deployment"


@dataclass(frozen=True)
class Connection:
    """An opened deployment: its URI, whether it is local mode, and the clients.

    Its ``repr`` shows the URI with any password masked (:attr:`display_uri`).
    """

    uri: str = field(repr=False)
    local: bool
    timeout_ms: int
    client: MongoClient[Any] | None = field(default=None, repr=False)
    async_client: AsyncMongoClient[Any] | None = field(default=None, repr=False)

    @property
    def display_uri(self) -> str:
        """The connection string with any password masked."""
        return mask_uri(self.uri)

    def __repr__(self) -> str:
        return (
            f"Connection(uri={self.display_uri!r}, local={self.local}, "
            f"timeout_ms={self.timeout_ms})"
        )


@contextmanager
def open_sync(
    conn_string: str | None,
    *,
    data_dir: str | PathLike[str] | None = None,
    timeout_ms: int | None = None,
) -> Iterator[Connection]:
    """Open a ``MongoClient`` on ``conn_string`` / ``MONGODB_URI`` / local mode; close it after."""
    timeout = timeout_ms or timeout_ms_from_env()
    uri, local = resolve_mongodb_uri(conn_string, data_dir=data_dir)
    client: MongoClient[Any] = MongoClient(uri, **client_options(timeout))
    try:
        yield Connection(uri, local, timeout, client=client)
    finally:
        client.close()


@asynccontextmanager
async def open_async(
    conn_string: str | None,
    *,
    data_dir: str | PathLike[str] | None = None,
    timeout_ms: int | None = None,
) -> AsyncIterator[Connection]:
    """Open an ``AsyncMongoClient`` (and a ``MongoClient`` for sync calls from worker threads).

    Starting the local server, if needed, runs in a worker thread so the event loop keeps going.
    """
    timeout = timeout_ms or timeout_ms_from_env()
    uri, local = await asyncio.to_thread(resolve_mongodb_uri, conn_string, data_dir=data_dir)
    async_client: AsyncMongoClient[Any] = AsyncMongoClient(uri, **client_options(timeout))
    client: MongoClient[Any] = MongoClient(uri, **client_options(timeout))
    try:
        yield Connection(uri, local, timeout, client=client, async_client=async_client)
    finally:
        client.close()
        await async_client.close()
