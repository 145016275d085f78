"""Fixtures for the tools and sessions tests: a GenesisStore and a GenesisSaver on the real
local server (unique database per test, from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from pymongo import AsyncMongoClient, MongoClient

from langgraph_genesis_memory import GenesisStore
from langgraph_genesis_memory.checkpoint import GenesisSaver


@pytest.fixture
def store(mongo_client: MongoClient, database_name: str) -> Iterator[GenesisStore]:
    """A sync GenesisStore with its indexes."""
    s = GenesisStore(client=mongo_client, database=database_name)
    s.setup()
    yield s


@pytest.fixture
def saver(mongo_client: MongoClient, database_name: str) -> Iterator[GenesisSaver]:
    """A sync GenesisSaver with its indexes."""
    s = GenesisSaver(client=mongo_client, database=database_name)
    s.setup()
    yield s


@pytest.fixture
async def astore(
    mongo_client: MongoClient, async_mongo_client: AsyncMongoClient, database_name: str
) -> AsyncIterator[GenesisStore]:
    """A GenesisStore with both clients (async API)."""
    s = GenesisStore(client=mongo_client, async_client=async_mongo_client, database=database_name)
    await s.asetup()
    yield s


@pytest.fixture
async def asaver(
    mongo_client: MongoClient, async_mongo_client: AsyncMongoClient, database_name: str
) -> AsyncIterator[GenesisSaver]:
    """A GenesisSaver with both clients (async API)."""
    s = GenesisSaver(client=mongo_client, async_client=async_mongo_client, database=database_name)
    await s.asetup()
    yield s
