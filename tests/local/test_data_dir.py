"""Local mode finds the project's data folder upwards from the working directory (as git finds
``.git``), says which one it uses, and says when it starts a server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from langgraph_genesis_memory import LocalServer
from langgraph_genesis_memory._config import data_dir_from_env, find_data_dir

OPEN_STORE = (
    "from langgraph_genesis_memory import GenesisStore\n"
    "with GenesisStore.from_conn_string() as store:\n"
    "    store.setup()\n"
    "    store.put(('system',), 'k', {'v': 1})\n"
    "print('ok')\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A project folder with a data folder at its root and a nested sub-folder."""
    root = tmp_path / "project"
    (root / ".genesis").mkdir(parents=True)
    (root / "notebooks" / "deep").mkdir(parents=True)
    yield root
    LocalServer(root / ".genesis").stop()


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "GENESIS_DATA_DIR")}


def test_found_upwards_from_a_sub_folder(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GENESIS_DATA_DIR", raising=False)
    monkeypatch.chdir(project / "notebooks" / "deep")
    assert find_data_dir() == (project / ".genesis").resolve()
    assert data_dir_from_env() == (project / ".genesis").resolve()
    assert LocalServer().data_dir == (project / ".genesis").resolve()


def test_nearest_folder_wins_and_the_variable_wins_over_all(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "notebooks" / ".genesis").mkdir()
    monkeypatch.delenv("GENESIS_DATA_DIR", raising=False)
    monkeypatch.chdir(project / "notebooks" / "deep")
    assert data_dir_from_env() == (project / "notebooks" / ".genesis").resolve()
    monkeypatch.setenv("GENESIS_DATA_DIR", str(tmp_path / "elsewhere"))
    assert data_dir_from_env() == (tmp_path / "elsewhere").resolve()


def test_without_any_data_folder_it_is_created_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    monkeypatch.delenv("GENESIS_DATA_DIR", raising=False)
    monkeypatch.chdir(lonely)
    if find_data_dir() is not None:  # a .genesis above the temporary folder: not this case
        pytest.skip(f"a data folder exists above {lonely}: {find_data_dir()}")
    assert data_dir_from_env() == (lonely / ".genesis").resolve()


def test_processes_in_sub_folders_share_the_project_server_and_say_so(project: Path) -> None:
    data = (project / ".genesis").resolve()
    first = subprocess.run(
        [sys.executable, "-c", OPEN_STORE],
        cwd=project / "notebooks",
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert first.returncode == 0, first.stderr
    assert "local mode: started a MongoDB-compatible server" in first.stderr
    assert f"data folder {data} (found in a parent of the working directory)" in first.stderr
    assert "genesis-memory local stop" in first.stderr
    pid = LocalServer(data).status().pid
    assert pid is not None

    second = subprocess.run(
        [sys.executable, "-c", OPEN_STORE],
        cwd=project / "notebooks" / "deep",
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode == 0, second.stderr
    assert "started" not in second.stderr  # the running server is reused
    assert f"local mode: data folder {data} (found in a parent" in second.stderr
    assert LocalServer(data).status().pid == pid
    assert not (project / "notebooks" / ".genesis").exists()
    assert not (project / "notebooks" / "deep" / ".genesis").exists()

    status = subprocess.run(
        [str(Path(sys.executable).parent / "genesis-memory"), "local", "status"],
        cwd=project / "notebooks" / "deep",
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0, status.stdout + status.stderr
    assert status.stdout.startswith("running") and str(data) in status.stdout
