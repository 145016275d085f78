"""The example script end to end in fresh processes (two runs: start, then resume), and the
notebook executed offline with nbclient (marked slow)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "multi_agent_handoff.py"
NOTEBOOK = ROOT / "notebooks" / "04_multi_agent_handoff.ipynb"
LOCOMO = Path(os.environ.get("LOCOMO_PATH", "/work/shared/data/locomo/locomo-dev.json"))


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLE), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


@pytest.mark.skipif(not LOCOMO.exists(), reason="LoCoMo data not available")
def test_example_runs_then_resumes_in_a_new_process(mongodb_uri, database_name, tmp_path) -> None:
    env = {**os.environ, "MONGODB_URI": mongodb_uri}
    args = ("--database", database_name, "--data-dir", str(tmp_path))
    first = _run(*args, env=env)
    assert first.returncode == 0, first.stderr
    assert "== Run 1: started session 'conv-26-demo'" in first.stdout
    assert "triage    : -> calls transfer_to_timeline" in first.stdout
    assert "cited evidence found: True" in first.stdout
    assert "triage -> timeline" in first.stdout

    second = _run(*args, env=env)
    assert second.returncode == 0, second.stderr
    assert "== Run 2: resumed session 'conv-26-demo' in a new process ==" in second.stdout
    assert "current agent: timeline, handoffs so far: 1" in second.stdout
    assert "timeline -> memory_qa" in second.stdout
    assert "handoffs: 2" in second.stdout
    assert "cited evidence found: True" in second.stdout


def test_example_exits_cleanly_without_data(tmp_path) -> None:
    done = _run("--data", str(tmp_path / "missing.json"), env=dict(os.environ))
    assert done.returncode == 0
    assert "snap-research/LoCoMo" in done.stdout and "locomo10.json" in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.slow
@pytest.mark.skipif(not LOCOMO.exists(), reason="LoCoMo data not available")
def test_notebook_executes_offline(mongodb_uri, database_name) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    os.environ["GENESIS_NOTEBOOK_DATABASE"] = database_name
    try:
        nbclient.NotebookClient(
            notebook,
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": str(ROOT)}},
        ).execute(env={**os.environ, "MONGODB_URI": mongodb_uri})
    finally:
        os.environ.pop("GENESIS_NOTEBOOK_DATABASE", None)
    outputs = "".join(
        o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs
    )
    assert "Handoff from triage to timeline" in outputs
    assert "resumed session" in outputs and "timeline -> memory_qa" in outputs
