"""Local mode: start on demand, reuse, stop; the command line; unreachable deployments."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from langgraph_genesis_memory import DatabaseUnavailableError, GenesisStore, LocalServer
from langgraph_genesis_memory._config import mask_uri
from langgraph_genesis_memory.cli.main import main


@pytest.fixture
def data_dir(tmp_path):
    yield tmp_path / "genesis"
    LocalServer(tmp_path / "genesis").stop()


def test_start_reuse_stop(data_dir) -> None:
    server = LocalServer(data_dir)
    assert not server.status().running
    uri = server.start()
    status = server.status()
    assert status.running and status.uri == uri and status.pid
    assert LocalServer(data_dir).start() == uri  # reused, same port
    assert LocalServer(data_dir).status().pid == status.pid
    assert server.stop()
    assert not server.status().running
    assert not server.stop()
    # A restart keeps the port and the data.
    assert server.start() == uri


def test_store_from_conn_string_uses_local_mode_and_data_persists(data_dir, monkeypatch) -> None:
    monkeypatch.delenv("MONGODB_URI", raising=False)
    with GenesisStore.from_conn_string(data_dir=data_dir) as store:
        store.setup()
        store.put(("system",), "cfg", {"mode": "local"})
    LocalServer(data_dir).stop()
    with GenesisStore.from_conn_string(data_dir=data_dir) as store:  # starts it again
        assert store.get(("system",), "cfg").value == {"mode": "local"}


def test_second_process_reuses_running_server(data_dir) -> None:
    uri = LocalServer(data_dir).start()
    code = (
        "from langgraph_genesis_memory import LocalServer; import sys; "
        f"print(LocalServer({str(data_dir)!r}).start())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == uri


def test_cli_start_status_stop(data_dir) -> None:
    runner = CliRunner()
    started = runner.invoke(main, ["local", "start", "--data-dir", str(data_dir)])
    assert started.exit_code == 0, started.output
    assert started.output.startswith("mongodb://127.0.0.1:")
    status = runner.invoke(main, ["local", "status", "--data-dir", str(data_dir)])
    assert status.exit_code == 0 and status.output.startswith("running")
    stopped = runner.invoke(main, ["local", "stop", "--data-dir", str(data_dir)])
    assert stopped.exit_code == 0 and "stopped" in stopped.output
    status = runner.invoke(main, ["local", "status", "--data-dir", str(data_dir)])
    assert status.exit_code == 3 and status.output.startswith("stopped")


def test_mask_uri() -> None:
    assert (
        mask_uri("mongodb://bob:s3cret@db.example:27017/x")
        == "mongodb://bob:***@db.example:27017/x"
    )
    assert mask_uri("mongodb+srv://a:b@c/") == "mongodb+srv://a:***@c/"
    assert mask_uri("mongodb://h:1/") == "mongodb://h:1/"


def test_unreachable_mongodb_is_a_clear_error_within_the_timeout() -> None:
    uri = "mongodb://alice:topsecret@127.0.0.1:9/?directConnection=true"
    started = time.monotonic()
    with GenesisStore.from_conn_string(uri, timeout_ms=500) as store:
        with pytest.raises(DatabaseUnavailableError) as info:
            store.get(("agent",), "k")
    assert time.monotonic() - started < 5
    message = str(info.value)
    assert "127.0.0.1:9" in message and "500 ms" in message
    assert "topsecret" not in message


async def test_unreachable_mongodb_async() -> None:
    uri = "mongodb://127.0.0.1:9/?directConnection=true"
    async with GenesisStore.afrom_conn_string(uri, timeout_ms=300) as store:
        with pytest.raises(DatabaseUnavailableError, match="did not answer"):
            await store.aput(("agent",), "k", {"v": 1})


def test_mongodb_uri_env_wins_over_local_mode(monkeypatch, mongodb_uri, tmp_path) -> None:
    monkeypatch.setenv("MONGODB_URI", mongodb_uri)
    with GenesisStore.from_conn_string(data_dir=tmp_path / "unused", database="envtest") as store:
        store.put(("system",), "k", {"v": 1})
        assert store.get(("system",), "k").value == {"v": 1}
        store.client.drop_database("envtest")
    assert not os.path.exists(tmp_path / "unused")
