"""Every notebook executes top to bottom, offline, against local mode, quietly and cleanly.

Each runs in a kernel of this very interpreter (a kernel spec written to a temporary
``JUPYTER_PATH``), from the ``notebooks/`` folder, with ``MONGODB_URI`` and ``GENESIS_DATA_DIR``
unset and ``TMPDIR`` pointing at a fresh folder. A notebook passes when no cell raises, nothing
but local mode's one-line notices reaches stderr (no warnings, no progress bars), and it leaves
nothing behind in ``TMPDIR`` (its temporary data folders are removed). The committed notebooks
carry their outputs, so readers see results without running them.

To refresh the committed outputs after changing a notebook::

    python tests/test_notebooks.py            # all notebooks
    python tests/test_notebooks.py 02         # the ones whose name contains "02"
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
CACHE_PREFIXES = ("torchinductor_",)
"""torch's compile cache in the temporary folder: kept on purpose by torch, not a notebook's."""
NOTICE = re.compile(r"^\[langgraph-genesis-memory\] local mode: .*$")
"""The one stderr line local mode prints (which data folder, whether a server started)."""


def _kernel_spec(root: Path) -> str:
    name = "genesis-test-python"
    spec_dir = root / "kernels" / name
    spec_dir.mkdir(parents=True)
    spec = {
        # ERROR: the kernel's own start-up notices (e.g. about its TCP transport) stay out.
        "argv": [
            sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
            "--IPKernelApp.log_level=ERROR",
        ],
        "display_name": "genesis test python",
        "language": "python",
    }  # fmt: skip
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return name


def execute(path: Path, workdir: Path) -> tuple[Any, list[str], list[str]]:
    """Run a notebook in a fresh kernel; ``workdir`` holds the kernel spec and ``TMPDIR``.

    Returns:
        The executed notebook, the error outputs, and the stderr lines other than local
        mode's notices.
    """
    tmp = workdir / "tmp"
    tmp.mkdir(parents=True)
    saved = {k: os.environ.get(k) for k in ("JUPYTER_PATH", "TMPDIR", "MONGODB_URI",
                                             "GENESIS_DATA_DIR")}  # fmt: skip
    os.environ["JUPYTER_PATH"] = str(workdir / "jupyter")
    os.environ["TMPDIR"] = str(tmp)
    os.environ.pop("MONGODB_URI", None)
    os.environ.pop("GENESIS_DATA_DIR", None)
    try:
        kernel = _kernel_spec(workdir / "jupyter")
        notebook = nbformat.read(path, as_version=4)
        client = NotebookClient(
            notebook,
            timeout=900,
            kernel_name=kernel,
            resources={"metadata": {"path": str(path.parent)}},
        )
        client.execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    errors: list[str] = []
    noise: list[str] = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "error":
                errors.append(f"{output.get('ename')}: {output.get('evalue')}")
            elif output.get("name") == "stderr":
                lines = [ln for ln in str(output.get("text", "")).splitlines() if ln.strip()]
                noise += [ln for ln in lines if not NOTICE.match(ln)]
    return notebook, errors, noise


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes_quietly_and_cleans_up(path: Path, tmp_path: Path) -> None:
    _, errors, noise = execute(path, tmp_path)
    assert not errors
    assert not noise, "stderr output (warnings, progress bars) in the notebook:\n" + "\n".join(
        noise
    )
    left = sorted(
        p.name for p in (tmp_path / "tmp").iterdir() if not p.name.startswith(CACHE_PREFIXES)
    )
    assert not left, f"the notebook left temporary files behind: {left}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_with_its_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.get("execution_count") for cell in code), (
        f"{path.name} is committed without outputs: run python tests/test_notebooks.py"
    )
    text = json.dumps(notebook)
    for private in {str(REPO), str(REPO.parent), str(Path.home())} - {"/"}:
        assert private not in text, f"{path.name} shows a path of this machine: {private}"


def _scrub(notebook: Any, tmp: Path) -> None:
    """Make outputs independent of this machine: the temporary folder reads ``/tmp``."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if "text" in output:
                output["text"] = str(output["text"]).replace(str(tmp), "/tmp")
            for key, value in (output.get("data") or {}).items():
                if isinstance(value, str):
                    output["data"][key] = value.replace(str(tmp), "/tmp")


def main(argv: list[str]) -> int:
    """Execute notebooks and write their outputs back (see the module docstring)."""
    chosen = [p for p in NOTEBOOKS if not argv or any(a in p.name for a in argv)]
    for path in chosen:
        with tempfile.TemporaryDirectory(prefix="genesis-nb-") as work:
            notebook, errors, noise = execute(path, Path(work))
            if errors or noise:
                print(f"{path.name}: not written\n" + "\n".join(errors + noise), file=sys.stderr)
                return 1
            _scrub(notebook, Path(work) / "tmp")
            nbformat.write(notebook, path)
            print(f"{path.name}: outputs written")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
