"""Fixtures for the checkpointer tests: savers on the session's real MongoDB server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from pymongo import AsyncMongoClient, MongoClient

from langgraph_genesis_memory.checkpoint import GenesisSaver


@pytest.fixture
def saver(mongo_client: MongoClient, database_name: str) -> Iterator[GenesisSaver]:
    """A sync ``GenesisSaver`` on a fresh database, set up."""
    s = GenesisSaver(client=mongo_client, database=database_name)
    s.setup()
    yield s


@pytest.fixture
async def async_saver(
    mongo_client: MongoClient, async_mongo_client: AsyncMongoClient, database_name: str
) -> AsyncIterator[GenesisSaver]:
    """A ``GenesisSaver`` with both clients on a fresh database, set up (async)."""
    s = GenesisSaver(client=mongo_client, async_client=async_mongo_client, database=database_name)
    await s.asetup()
    yield s
