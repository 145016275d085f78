"""Every code block of README.md runs as written.

* ``python`` blocks run in order in one fresh Python process (one namespace, like a notebook),
  in an empty folder with ``MONGODB_URI`` unset (local mode, its data folder created there),
  after only the prelude the README documents: ``model`` is the offline ``ScriptedChatModel`` of
  ``examples/scripted_model.py``. Nothing but local mode's one-line notices may reach stderr (no
  warnings, no progress bars). Blocks are found anew on each run, so sections added later are
  covered too.
* ``bash`` blocks: ``genesis-memory local ...`` and ``genesis-memory --version`` run (in the
  same folder, in order); the other ``genesis-memory`` lines are a reference of commands whose
  behaviour ``tests/cli`` tests: each must at least exist (``--help`` answers); installation
  lines are what ``.ci/run`` does; ``python -m pytest`` is this suite; scripts named by
  ``python examples/...``/``python benchmarks/...`` must exist (the examples run in
  ``tests/test_examples.py``); ``langgraph dev`` runs in ``tests/test_langgraph_server.py``. Any
  other command fails this test until it is run here or covered elsewhere.
* ``json`` blocks must parse.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from langgraph_genesis_memory import LocalServer

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
NOTICE = re.compile(r"^\[langgraph-genesis-memory\] local mode: ")
PRELUDE = f"""
import sys
sys.path.insert(0, {str(REPO / "examples")!r})
from scripted_model import ScriptedChatModel

model = ScriptedChatModel(policy=lambda messages: "OK.")
"""
RUNNER = """
import json, sys, traceback
blocks = json.loads(open(sys.argv[1]).read())
namespace = {"__name__": "__main__"}
exec(compile(sys.argv[2], "<prelude>", "exec"), namespace)
for block in blocks:
    print(f"::block {block['line']}", flush=True)
    code = "\\n" * block["line"] + block["code"]  # tracebacks show README line numbers
    try:
        exec(compile(code, "README.md", "exec"), namespace)
    except BaseException:
        traceback.print_exc()
        print(f"::failed {block['line']}", flush=True)
        sys.exit(1)
print("::done", flush=True)
"""
NOT_RUN_HERE = {
    "git clone": "installation (.ci/run installs from a checkout)",
    "cd": "changing folders",
    "python3 -m venv": "installation",
    ".": "activating the virtual environment",
    "pip install": "installation (.ci/run installs the same extras)",
    "python -m pytest": "this test suite",
    "langgraph dev": "tests/test_langgraph_server.py",
}


@dataclass(frozen=True)
class Block:
    """A fenced code block: its language, first code line (1-based) and text."""

    language: str
    line: int
    code: str


def readme_blocks() -> list[Block]:
    """The fenced code blocks of README.md, in order."""
    blocks: list[Block] = []
    language: str | None = None
    start = 0
    lines: list[str] = []
    for number, line in enumerate(README.read_text(encoding="utf-8").splitlines(), start=1):
        fence = re.match(r"^```\s*([\w+-]*)\s*$", line)
        if language is None and fence:
            language, start, lines = fence[1].lower(), number + 1, []
        elif language is not None and line.strip() == "```":
            blocks.append(Block(language, start, "\n".join(lines) + "\n"))
            language = None
        elif language is not None:
            lines.append(line)
    assert language is None, "README.md has an unclosed code block"
    return blocks


def _commands(block: Block) -> list[str]:
    found = []
    for line in block.code.splitlines():
        line = line.split("  #", 1)[0].strip()
        if line and not line.startswith("#"):
            found += [part.strip() for part in line.split("&&") if part.strip()]
    return found


def _local_env() -> dict[str, str]:
    unset = {"MONGODB_URI", "GENESIS_DATA_DIR", "GENESIS_CHROMA_PATH", "CHROMA_HOST"}
    return {k: v for k, v in os.environ.items() if k not in unset}


def test_readme_has_runnable_blocks() -> None:
    languages = {block.language for block in readme_blocks()}
    assert {"python", "bash"} <= languages
    unknown = languages - {"python", "bash", "sh", "json", "text", ""}
    assert not unknown, f"README.md blocks in languages this test does not run: {unknown}"


def test_python_blocks_run_in_order_quietly(tmp_path: Path) -> None:
    blocks = [b for b in readme_blocks() if b.language == "python"]
    (tmp_path / "blocks.json").write_text(json.dumps([b.__dict__ for b in blocks]))
    (tmp_path / "runner.py").write_text(RUNNER)
    work = tmp_path / "work"
    work.mkdir()
    try:
        run = subprocess.run(
            [sys.executable, str(tmp_path / "runner.py"), str(tmp_path / "blocks.json"), PRELUDE],
            cwd=work,
            env=_local_env(),
            capture_output=True,
            text=True,
            timeout=900,
        )
    finally:
        LocalServer(work / ".genesis").stop()
    failed = re.search(r"::failed (\d+)", run.stdout)
    assert run.returncode == 0 and not failed, (
        f"README.md block at line {failed[1] if failed else '?'} failed:\n{run.stderr[-4000:]}"
    )
    assert run.stdout.count("::block") == len(blocks) and "::done" in run.stdout
    assert "Caroline drinks green tea every morning" in run.stdout  # the quickstart's answer
    noise = [ln for ln in run.stderr.splitlines() if ln.strip() and not NOTICE.match(ln)]
    assert not noise, "stderr output (warnings, progress bars):\n" + "\n".join(noise)


def test_bash_blocks_run_or_are_covered(tmp_path: Path) -> None:
    ran = []
    try:
        for block in readme_blocks():
            if block.language not in ("bash", "sh"):
                continue
            for command in _commands(block):
                words = shlex.split(command)
                if words[0] == "genesis-memory":
                    runs = words[1:2] in (["local"], ["--version"])
                    args = words[1:] if runs else [words[1], "--help"]
                    cli = Path(sys.executable).parent / "genesis-memory"
                    run = subprocess.run(
                        [str(cli), *args], cwd=tmp_path, env=_local_env(),
                        capture_output=True, text=True, timeout=120,
                    )  # fmt: skip
                    assert run.returncode == 0, f"README.md:{block.line}: {command}\n{run}"
                    ran.append(command)
                elif words[0] in ("python", "python3") and words[1].startswith(
                    ("examples/", "benchmarks/")
                ):
                    assert (REPO / words[1]).is_file(), f"README.md:{block.line}: {words[1]}"
                else:
                    covered = [
                        k for k in NOT_RUN_HERE if command == k or command.startswith(k + " ")
                    ]
                    assert covered, (
                        f"README.md:{block.line}: `{command}` is neither run by "
                        "tests/test_readme.py nor covered elsewhere: run it there, or name what "
                        "covers it"
                    )
    finally:
        LocalServer(tmp_path / ".genesis").stop()
    assert any(c.startswith("genesis-memory local start") for c in ran)


@pytest.mark.parametrize("block", [b for b in readme_blocks() if b.language == "json"],
                         ids=lambda b: f"line-{b.line}")  # fmt: skip
def test_json_blocks_parse(block: Block) -> None:
    json.loads(block.code)
