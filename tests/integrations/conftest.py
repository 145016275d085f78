"""A GenesisStore with a vector index (all-MiniLM-L6-v2 offline, embedded Chroma in memory)
for the integration tests with Deep Agents and langmem."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient, MongoClient

from langgraph_genesis_memory import GenesisStore
from langgraph_genesis_memory.embeddings import MiniLMEmbeddings
from langgraph_genesis_memory.index import ChromaIndex

_MODEL = MiniLMEmbeddings()  # loaded once per test session, on first use


def index_config() -> dict[str, Any]:
    """Index the ``content`` field (memory tools, Deep Agents files and langmem all use it)."""
    return {"dims": 384, "embed": _MODEL, "fields": ["content"]}


@pytest.fixture
async def memory_store(
    mongo_client: MongoClient, async_mongo_client: AsyncMongoClient, database_name: str
) -> AsyncIterator[GenesisStore]:
    """A set-up GenesisStore (both clients) with semantic search over ``content``."""
    vectors = ChromaIndex.from_config(in_memory=True, collection=f"it-{uuid.uuid4().hex[:12]}")
    store = GenesisStore(
        client=mongo_client,
        async_client=async_mongo_client,
        database=database_name,
        index=index_config(),
        vector_index=vectors,
    )
    await store.asetup()
    yield store
