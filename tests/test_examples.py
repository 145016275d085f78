"""The example scripts run end to end in fresh processes, offline.

* ``examples/locomo_memory.py`` runs against a local-mode server in a temporary data folder,
  twice: the second run must reuse the memories written by the first. By default it prints a
  short summary that explains its scores; ``--verbose`` adds every question.
* Without their data, the examples exit with status 3 and say where to get it.
* ``examples/multi_agent_handoff.py`` runs twice in local mode (the first run starts the server,
  the second uses it and stops it): the second run resumes the session in a new process.

The notebooks are executed by ``tests/test_notebooks.py``. LoCoMo (Maharana et al., ACL 2024,
github.com/snap-research/LoCoMo) is licensed CC BY-NC 4.0; it is found at ``../shared`` next to
the repository (or ``LOCOMO_PATH``); without it only the "data absent" paths run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from langgraph_genesis_memory import LocalServer

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "locomo_memory.py"
HANDOFF_EXAMPLE = REPO / "examples" / "multi_agent_handoff.py"
LOCOMO = Path(
    os.environ.get("LOCOMO_PATH") or REPO / ".." / "shared" / "data" / "locomo" / "locomo-dev.json"
)


def _local_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "GENESIS_DATA_DIR")}
    env["GENESIS_DATA_DIR"] = str(data_dir)
    return env


def _run_example(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLE), "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=900,  # a guard against a hang (MiniLM embeds 419 turns on a busy 2-core runner)
        env=_local_env(data_dir),
        cwd=data_dir,
    )


def test_example_without_data_fails_and_says_where_to_get_it(tmp_path: Path) -> None:
    run = _run_example(tmp_path, "--data", str(tmp_path / "missing.json"))
    assert run.returncode == 3, run.stdout + run.stderr
    assert "LoCoMo data not found" in run.stderr
    assert "snap-research/LoCoMo" in run.stderr
    assert "locomo10.json" in run.stderr
    assert not (tmp_path / "local-server.json").exists()  # no server started for nothing


@pytest.mark.skipif(not LOCOMO.exists(), reason=f"LoCoMo data not found at {LOCOMO}")
def test_example_ingests_then_reuses_memories(tmp_path: Path) -> None:
    try:
        first = _run_example(tmp_path, "--limit-questions", "5", "--k", "5")
        assert first.returncode == 0, first.stderr
        assert "CC BY-NC 4.0" in first.stdout
        assert "5 questions" in first.stdout
        assert re.search(r"Ingested \d+ memories in \d+ session batches", first.stdout)
        assert "Reused" not in first.stdout
        # A short summary by default: a table per category, what the scores mean, no details.
        assert len(first.stdout.splitlines()) < 25, first.stdout
        assert "evidence:" not in first.stdout
        assert re.search(r"^all\s+5\s+[\d.]+%\s+[\d.]+$", first.stdout, re.MULTILINE)
        assert "hit@5: share of questions" in first.stdout
        assert "Recall@5: share of a question's evidence turns" in first.stdout
        assert "--verbose" in first.stdout
        summary = re.search(r"questions: 5 \| hit@5: [\d.]+% \| Recall@5: ([\d.]+)", first.stdout)
        assert summary, first.stdout
        assert float(summary[1]) > 0  # the default hybrid search finds annotated evidence
        assert "Loading weights" not in first.stderr and "Warning" not in first.stderr

        second = _run_example(
            tmp_path, "--limit-questions", "5", "--k", "5", "--verbose", "--stop-server"
        )
        assert second.returncode == 0, second.stderr
        assert "Reused the" in second.stdout
        assert "Ingested" not in second.stdout
        assert second.stdout.count("evidence:") == 5  # one block per question
        assert "Q1/5" in second.stdout and "Q5/5" in second.stdout and "Q6/" not in second.stdout
        assert "reciprocal-rank fusion" in second.stdout  # what the scores are
        assert summary[0] in second.stdout  # same memories, same answers
        assert not LocalServer(tmp_path).status().running  # --stop-server stopped it
    finally:
        LocalServer(tmp_path).stop()


def _run_handoff(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(HANDOFF_EXAMPLE), "--data", str(LOCOMO), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,  # a guard against a hang
        cwd=REPO,
    )


def test_handoff_example_without_data_fails_and_says_where_to_get_it(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(HANDOFF_EXAMPLE), "--data", str(tmp_path / "missing.json")],
        capture_output=True,
        text=True,
        timeout=120,
        env=_local_env(tmp_path),
        cwd=tmp_path,
    )
    assert run.returncode == 3, run.stdout + run.stderr
    assert "LoCoMo data not found" in run.stderr and "snap-research/LoCoMo" in run.stderr
    assert not (tmp_path / "local-server.json").exists()


@pytest.mark.skipif(not LOCOMO.exists(), reason=f"LoCoMo data not found at {LOCOMO}")
def test_handoff_example_runs_then_resumes_in_a_new_process(tmp_path: Path) -> None:
    # Local mode, as a newcomer runs it: the server started by the first run serves the second
    # (with MONGODB_URI the words side would be MongoDB's $text index, whose local stand-in
    # requires every word of a query; see ../shared/docs/mongo-compat.md).
    try:
        _handoff_runs(tmp_path)
    finally:
        LocalServer(tmp_path).stop()


def _handoff_runs(tmp_path: Path) -> None:
    env = _local_env(tmp_path)
    args = ("--data-dir", str(tmp_path))
    first = _run_handoff(*args, env=env)
    assert first.returncode == 0, first.stderr
    assert "== Run 1: started session 'conv-26-demo'" in first.stdout
    assert "triage    : -> calls transfer_to_timeline" in first.stdout
    assert "cited evidence found: True" in first.stdout
    assert "triage -> timeline" in first.stdout

    second = _run_handoff(*args, "--stop-server", env=env)
    assert second.returncode == 0, second.stderr
    assert "== Run 2: resumed session 'conv-26-demo' in a new process ==" in second.stdout
    assert "current agent: timeline, handoffs so far: 1" in second.stdout
    assert "timeline -> memory_qa" in second.stdout
    assert "handoffs: 2" in second.stdout
    assert "cited evidence found: True" in second.stdout
    assert not LocalServer(tmp_path).status().running  # --stop-server stopped it


def _run_script(
    script: str, env: dict[str, str], cwd: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "examples" / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def test_deep_agents_example_keeps_memories_in_the_store(
    mongodb_uri: str, database_name: str, tmp_path: Path
) -> None:
    env = {**os.environ, "MONGODB_URI": mongodb_uri, "GENESIS_CHROMA_PATH": str(tmp_path)}
    run = _run_script(
        "deep_agents_memory.py", env, tmp_path, "--database", database_name, "--embeddings", "hash"
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "stored in GenesisStore: ('memories', 'alice') / /preferences.md" in run.stdout
    assert "From my memory: - Drinks green tea every morning." in run.stdout
    assert "-> ['/preferences.md']" in run.stdout
    assert not run.stderr.strip(), run.stderr  # quiet: no warnings, no progress bars


def test_langmem_example_finds_memories_by_meaning(
    mongodb_uri: str, database_name: str, tmp_path: Path
) -> None:
    env = {**os.environ, "MONGODB_URI": mongodb_uri, "GENESIS_CHROMA_PATH": str(tmp_path)}
    run = _run_script("langmem_memory.py", env, tmp_path, "--database", database_name)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 memories in GenesisStore under ('memories', 'alice')" in run.stdout
    assert "(The user loves hiking in the Alps.), how about a hike?" in run.stdout
    assert not run.stderr.strip(), run.stderr
