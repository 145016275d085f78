"""The public ``langgraph-checkpoint-conformance`` suite, run on the async GenesisSaver."""

from __future__ import annotations

import uuid

from langgraph.checkpoint.conformance import checkpointer_test, validate
from langgraph.checkpoint.conformance.report import ProgressCallbacks
from pymongo import AsyncMongoClient, MongoClient

from langgraph_genesis_memory.checkpoint import GenesisSaver

ALL = {
    "put",
    "put_writes",
    "get_tuple",
    "list",
    "delete_thread",
    "delete_for_runs",
    "copy_thread",
    "prune",
}


async def test_conformance_full(
    mongo_client: MongoClient, async_mongo_client: AsyncMongoClient, capsys
) -> None:
    databases: list[str] = []

    @checkpointer_test(name="GenesisSaver")
    async def genesis_saver():
        # A fresh database per capability suite, dropped afterwards.
        name = f"conf_{uuid.uuid4().hex[:10]}"
        databases.append(name)
        saver = GenesisSaver(async_client=async_mongo_client, database=name)
        await saver.asetup()
        yield saver

    try:
        report = await validate(genesis_saver, progress=ProgressCallbacks.verbose())
        report.print_report()  # shown in the test output (captured below, printed as is)
    finally:
        for name in databases:
            mongo_client.drop_database(name)
    with capsys.disabled():
        print(capsys.readouterr().out)
    detected = {name for name, r in report.results.items() if r.detected}
    assert detected == ALL
    failures = {name: r.failures for name, r in report.results.items() if not r.passed}
    assert not failures, failures
    assert report.conformance_level() == "FULL"
