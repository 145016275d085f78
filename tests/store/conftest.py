"""Store fixtures: a set-up ``GenesisStore`` on the session's server, one database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient, MongoClient

from langgraph_genesis_memory import GenesisStore


class FakeClock:
    """A controllable UTC clock for TTL tests."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(mongo_client: MongoClient, database_name: str) -> Iterator[GenesisStore]:
    genesis = GenesisStore(client=mongo_client, database=database_name)
    genesis.setup()
    yield genesis


@pytest.fixture
async def astore(
    mongo_client: MongoClient, async_mongo_client: AsyncMongoClient, database_name: str
) -> AsyncIterator[GenesisStore]:
    genesis = GenesisStore(
        client=mongo_client, async_client=async_mongo_client, database=database_name
    )
    await genesis.asetup()
    yield genesis
