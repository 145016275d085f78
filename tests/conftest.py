"""Shared fixtures: one real local MongoDB-compatible server per test session.

Set ``GENESIS_TEST_MONGODB_URI`` to run the suite against another deployment (e.g. real
MongoDB); otherwise a local ``nx-27017`` server is started in a temporary folder. Every test gets
its own database, dropped afterwards.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient, MongoClient

from langgraph_genesis_memory import GenesisSaver, GenesisStore

# The examples' deterministic chat model (examples/scripted_model.py) serves the tests too.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from langgraph_genesis_memory._connection import client_options
from langgraph_genesis_memory.local import LocalServer


@pytest.fixture(scope="session")
def mongodb_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Connection string of the session's MongoDB server."""
    external = os.environ.get("GENESIS_TEST_MONGODB_URI")
    if external:
        yield external
        return
    server = LocalServer(tmp_path_factory.mktemp("genesis-local"))
    uri = server.start()
    try:
        yield uri
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mongo_client(mongodb_uri: str) -> Iterator[MongoClient]:
    """A session-wide sync client (UTC-aware datetimes)."""
    client: MongoClient = MongoClient(mongodb_uri, **client_options(10_000))
    yield client
    client.close()


@pytest.fixture
async def async_mongo_client(mongodb_uri: str) -> AsyncIterator[AsyncMongoClient]:
    """An async client bound to the running event loop."""
    client: AsyncMongoClient = AsyncMongoClient(mongodb_uri, **client_options(10_000))
    yield client
    await client.close()


@pytest.fixture
def database_name(mongo_client: MongoClient) -> Iterator[str]:
    """A unique database name for one test, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    yield name
    mongo_client.drop_database(name)


@pytest.fixture
def store(mongo_client: MongoClient, database_name: str) -> Iterator[GenesisStore]:
    """A sync ``GenesisStore`` on the test's database, set up."""
    genesis = GenesisStore(client=mongo_client, database=database_name)
    genesis.setup()
    yield genesis


@pytest.fixture
async def astore(
    mongo_client: MongoClient, async_mongo_client: AsyncMongoClient, database_name: str
) -> AsyncIterator[GenesisStore]:
    """A ``GenesisStore`` with both clients (for the async API), set up."""
    genesis = GenesisStore(
        client=mongo_client, async_client=async_mongo_client, database=database_name
    )
    await genesis.asetup()
    yield genesis


@pytest.fixture
def saver(mongo_client: MongoClient, database_name: str) -> Iterator[GenesisSaver]:
    """A sync ``GenesisSaver`` on the test's database, set up."""
    genesis = GenesisSaver(client=mongo_client, database=database_name)
    genesis.setup()
    yield genesis


@pytest.fixture
async def async_saver(
    mongo_client: MongoClient, async_mongo_client: AsyncMongoClient, database_name: str
) -> AsyncIterator[GenesisSaver]:
    """A ``GenesisSaver`` with both clients (for the async API), set up."""
    genesis = GenesisSaver(
        client=mongo_client, async_client=async_mongo_client, database=database_name
    )
    await genesis.asetup()
    yield genesis


class Api:
    """A store seen through either its sync or its async methods; every call is awaited.

    ``await api.put(...)`` calls ``store.put`` in sync mode and ``await store.aput`` in async
    mode (likewise get, search, delete, list_namespaces, batch).
    """

    def __init__(self, store: Any, mode: str) -> None:
        self.store = store
        self.mode = mode

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if self.mode == "sync":
            method = getattr(self.store, name)

            async def call(*args: Any, **kwargs: Any) -> Any:
                return method(*args, **kwargs)

        else:
            amethod = getattr(self.store, f"a{name}")

            async def call(*args: Any, **kwargs: Any) -> Any:
                return await amethod(*args, **kwargs)

        return call


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    """Which API a store test goes through."""
    return str(request.param)


@pytest.fixture
def api(astore: GenesisStore, mode: str) -> Api:
    """The test's GenesisStore (both clients) through the API under test."""
    return Api(astore, mode)
