"""Fixtures for the vector-index tests: real Chroma (in-memory, persistent, and a server)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from langgraph_genesis_memory.embeddings import HashEmbeddings
from langgraph_genesis_memory.index import ChromaIndex


@pytest.fixture
def collection_name() -> str:
    """A unique collection name per test (in-memory clients share state within a process)."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def hash_embeddings() -> HashEmbeddings:
    """Deterministic 64-dimension embeddings."""
    return HashEmbeddings(dims=64)


@pytest.fixture(params=["memory", "persistent"])
def open_index(
    request: pytest.FixtureRequest, tmp_path: Path, collection_name: str
) -> Callable[[], ChromaIndex]:
    """Opens the test's collection, in memory or in a persistent directory, with a new client on
    each call (clients of one process share the same in-memory or on-disk data)."""

    def open_() -> ChromaIndex:
        if request.param == "memory":
            return ChromaIndex.from_config(in_memory=True, collection=collection_name)
        return ChromaIndex.from_config(path=str(tmp_path / "chroma"), collection=collection_name)

    return open_


@pytest.fixture
def index(open_index: Callable[[], ChromaIndex]) -> ChromaIndex:
    """A real Chroma index, in memory or in a persistent directory."""
    return open_index()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A real ``chroma run`` server on loopback, stopped after the session."""
    cli = shutil.which("chroma")
    if cli is None:
        pytest.skip("the `chroma` command line (installed with chromadb) is not on PATH")
    port = _free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = open(data / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [cli, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                url = f"http://127.0.0.1:{port}/api/v2/heartbeat"
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"chroma run did not start: {(data / 'server.log').read_text()[-2000:]}"
                )
            time.sleep(0.2)
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
