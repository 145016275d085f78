"""The installed ``genesis-memory`` entry point, run as a subprocess against real servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

from langgraph_genesis_memory import GenesisSaver, GenesisStore, LocalServer
from langgraph_genesis_memory.embeddings import HashEmbeddings
from tests.ops.conftest import build_graph, documents
from tests.ops.test_migrate import ITEMS, fill, run_threads

ENTRY_POINT = Path(sys.executable).with_name("genesis-memory")

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """Runs ``genesis-memory ARGS`` in a temporary folder (local data under it, no
    MONGODB_URI from the environment)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONGODB_", "GENESIS_"))}
    env["GENESIS_DATA_DIR"] = str(tmp_path / "data")

    def run(*args: str, check: int | None = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(ENTRY_POINT), *args], capture_output=True, text=True, env=env, cwd=tmp_path,
            timeout=120,
        )  # fmt: skip
        if check is not None:
            assert done.returncode == check, (args, done.returncode, done.stdout, done.stderr)
        return done

    return run


def as_json(done: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(done.stdout)


@pytest.fixture
def databases(mongo_client: MongoClient) -> Iterator[Callable[[], str]]:
    """Makes database names, dropped afterwards."""
    made: list[str] = []

    def make() -> str:
        made.append(f"test_{uuid.uuid4().hex[:12]}")
        return made[-1]

    yield make
    for name in made:
        mongo_client.drop_database(name)


INDEX = ["--embed", "hash:32", "--field", "text"]


def test_backup_restore_reindex_gives_the_same_items_and_search_results(
    cli: Cli, mongodb_uri: str, mongo_client: MongoClient, databases: Callable[[], str],
    tmp_path: Path,
) -> None:  # fmt: skip
    source, target = databases(), databases()
    index = {"dims": 32, "embed": HashEmbeddings(dims=32), "fields": ["text"]}
    with GenesisStore.from_conn_string(
        mongodb_uri,
        database=source,
        index=index,
        data_dir=tmp_path / "data",  # type: ignore[arg-type]
    ) as store:
        store.setup()
        store.put(("agent", "qa"), "tea", {"text": "Caroline drinks green tea every morning"})
        store.put(("agent", "qa"), "dog", {"text": "They adopted a golden retriever puppy"})
        store.put(("agent", "ops"), "deploy", {"text": "Deploys happen on Tuesday mornings"})
        store.put(("short_term", "s1"), "draft", {"text": "green tea order draft"}, ttl=90)
        store.put(("system", "cfg"), "limits", {"max": 10})
        store.put(("business", "acme"), "plan", {"text": "pro plan, 40 seats"})
    uri = ["--uri", mongodb_uri]
    path = tmp_path / "memories.jsonl.gz"

    report = as_json(cli("backup", str(path), *uri, "--database", source, "--json"))
    assert report["items"] == 6 and path.is_file()
    restored = as_json(cli("restore", str(path), *uri, "--database", target, "--json"))
    assert restored["items_restored"] == 6
    assert documents(mongo_client, target) == documents(mongo_client, source)

    reindexed = as_json(cli("reindex", *uri, "--database", target, *INDEX, "--json"))
    assert reindexed["items"] == 5
    found = as_json(
        cli("search", "agent", "-q", "green tea", *uri, "--database", target, *INDEX, "--json")
    )
    with GenesisStore.from_conn_string(
        mongodb_uri,
        database=source,
        index=index,
        data_dir=tmp_path / "data",  # type: ignore[arg-type]
    ) as store:
        expected = store.search(("agent",), query="green tea", refresh_ttl=False)
    assert [(i["key"], round(i["score"], 6)) for i in found] == [
        (i.key, round(i.score or 0.0, 6)) for i in expected
    ]
    assert found[0]["key"] == "tea"


def test_migrate_from_sqlite_and_mongodb_then_verify(
    cli: Cli, mongodb_uri: str, mongo_client: MongoClient, databases: Callable[[], str],
    tmp_path: Path,
) -> None:  # fmt: skip
    from langgraph.checkpoint.mongodb import MongoDBSaver
    from langgraph.checkpoint.sqlite import SqliteSaver
    from langgraph.store.mongodb import MongoDBStore
    from langgraph.store.sqlite import SqliteStore

    sqlite_file = tmp_path / "app.db"
    with SqliteStore.from_conn_string(str(sqlite_file)) as sqlite_store:
        sqlite_store.setup()
        fill(sqlite_store)
    with SqliteSaver.from_conn_string(str(sqlite_file)) as sqlite_saver:
        run_threads(sqlite_saver)
    mongo_source = databases()
    fill(MongoDBStore(collection=mongo_client[mongo_source]["memories"]))
    run_threads(MongoDBSaver(mongo_client, db_name=mongo_source))

    sources = {
        "sqlite": [f"sqlite:///{sqlite_file}"],
        "mongodb": [mongodb_uri, "--from-database", mongo_source, "--from-collection", "memories"],
    }
    for name, source in sources.items():
        target = databases()
        reports = as_json(
            cli("migrate", *source, "--uri", mongodb_uri, "--database", target, "--json")
        )
        assert [(r["kind"], r["copied"], r["verified"]) for r in reports] == [
            ("store", len(ITEMS) + 30, True), ("checkpoints", 10, True),
        ], (name, reports)  # fmt: skip
        store = GenesisStore(client=mongo_client, database=target)
        for namespace, key, value in ITEMS:
            item = store.get(namespace, key, refresh_ttl=False)
            assert item is not None and item.value == value, (name, namespace, key)
        saver = GenesisSaver(client=mongo_client, database=target)
        state = build_graph(saver).get_state({"configurable": {"thread_id": "t2"}})
        assert state.values["count"] == 3, name


def test_stats_json_matches_counts_computed_independently(
    cli: Cli, mongodb_uri: str, mongo_client: MongoClient, databases: Callable[[], str]
) -> None:
    name = databases()
    store = GenesisStore(client=mongo_client, database=name)
    store.setup()
    fill(store)
    saver = GenesisSaver(client=mongo_client, database=name)
    saver.setup()
    run_threads(saver)
    stats = as_json(cli("stats", "--uri", mongodb_uri, "--database", name, "--json"))
    items = mongo_client[name]["store"]
    assert stats["items"] == items.count_documents({})
    by_label: dict[str, int] = {}
    for doc in items.find({}, {"ns_key": 1}):
        label = doc["ns_key"].split("\x01")[0]
        by_label[label] = by_label.get(label, 0) + 1
    assert {g["namespace"][0]: g["items"] for g in stats["by_label"]} == by_label
    top = stats["top_prefixes"][0]
    assert top["items"] == max(
        items.count_documents({"ns_key": {"$regex": f"^{p}"}})
        for p in ("bulk\x01n0", "bulk\x01n1", "bulk\x01n2", "agent\x01qa")
    )
    checkpoints = mongo_client[name]["checkpoints"]
    assert stats["checkpoints"]["checkpoints"] == checkpoints.count_documents(
        {"kind": "checkpoint"}
    )
    assert stats["checkpoints"]["threads"] == len(
        checkpoints.distinct("thread_id", {"kind": "checkpoint"})
    )


def test_health_exits_zero_then_non_zero_once_the_server_stopped(cli: Cli, tmp_path: Path) -> None:
    server = LocalServer(tmp_path / "own-server")
    uri = server.start()
    try:
        report = as_json(cli("health", "--uri", uri, "--database", "health_check", "--json"))
        assert report["status"] == "ok" and report["probe_ok"]
    finally:
        server.stop()
    done = cli("health", "--uri", uri, "--timeout-ms", "800", "--json", check=4)
    assert as_json(done)["status"] == "unavailable"


def test_data_commands_and_exit_codes(
    mongodb_uri: str, databases: Callable[[], str], tmp_path: Path
) -> None:
    """The data commands, in-process through click's runner (same code, real server)."""
    from click.testing import CliRunner

    from langgraph_genesis_memory.cli.main import main

    runner = CliRunner()
    conn = ["--uri", mongodb_uri, "--database", databases(), "--data-dir", str(tmp_path / "d")]

    def run(*args: str, code: int = 0) -> Any:
        result = runner.invoke(main, [*args, *conn])
        assert result.exit_code == code, (args, result.exit_code, result.output, result.stderr)
        return result

    run("put", "agent.qa", "tea", '{"text": "green tea"}')
    value_file = tmp_path / "value.json"
    value_file.write_text('{"text": "a golden retriever"}')
    run("put", "agent.qa", "dog", "--file", str(value_file), "--ttl", "none")
    assert json.loads(run("get", "agent.qa", "tea").stdout) == {"text": "green tea"}
    item = json.loads(run("get", "agent.qa", "dog", "--json").stdout)
    assert item["namespace"] == ["agent", "qa"] and item["value"]["text"] == "a golden retriever"
    assert run("namespaces").stdout.split() == ["agent.qa"]
    found = json.loads(run("search", "agent", "--filter", '{"text": "green tea"}', "--json").stdout)
    assert [i["key"] for i in found] == ["tea"]
    run("delete", "agent.qa", "tea")
    assert "no item" in run("get", "agent.qa", "tea", code=3).stderr
    run("put", "agent.qa", "bad", "not json", code=2)
    run("put", "agent..qa", "k", "{}", code=2)
    run("search", "agent", "--filter", '{"x": {"$where": "1"}}', code=2)
    swept = json.loads(run("sweep", "--json").stdout)
    assert swept == {"items": 0}
    assert runner.invoke(main, ["--version"]).stdout.startswith("genesis-memory, version ")


def test_no_password_in_any_output(cli: Cli) -> None:
    secret = "S3cr3t-pa55"
    done = cli(
        "stats", "--uri", f"mongodb://alice:{secret}@127.0.0.1:9/?directConnection=true",
        "--timeout-ms", "500", "-v", check=4,
    )  # fmt: skip
    assert secret not in done.stdout + done.stderr and "127.0.0.1:9" in done.stderr
