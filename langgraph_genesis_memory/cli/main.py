"""``genesis-memory``: manage local mode from the shell.

Commands::

    genesis-memory local start   [--data-dir DIR]   # start (or reuse) the local server
    genesis-memory local status  [--data-dir DIR]   # running? its URI and pid
    genesis-memory local stop    [--data-dir DIR]   # stop it

The data folder defaults to ``GENESIS_DATA_DIR`` or ``./.genesis``.
"""

from __future__ import annotations

import click

from langgraph_genesis_memory.errors import GenesisMemoryError
from langgraph_genesis_memory.local import LocalServer

__all__ = ["main"]

_DATA_DIR = click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Local-mode data folder (default: $GENESIS_DATA_DIR or ./.genesis).",
)


@click.group()
def main() -> None:
    """langgraph-genesis-memory: MongoDB memory for LangGraph agents."""


@main.group()
def local() -> None:
    """The local MongoDB-compatible server used when MONGODB_URI is unset."""


@local.command()
@_DATA_DIR
@click.option("--timeout", default=30.0, show_default=True, help="Seconds to wait for it.")
def start(data_dir: str | None, timeout: float) -> None:
    """Start the local server (or reuse the running one) and print its URI."""
    try:
        uri = LocalServer(data_dir).start(timeout=timeout)
    except GenesisMemoryError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(uri)


@local.command()
@_DATA_DIR
def status(data_dir: str | None) -> None:
    """Say whether the local server runs; exit status 0 if it does, 3 if not."""
    current = LocalServer(data_dir).status()
    if current.running:
        click.echo(f"running  pid={current.pid}  uri={current.uri}  data={current.data_dir}")
    else:
        click.echo(f"stopped  data={current.data_dir}")
        raise SystemExit(3)


@local.command()
@_DATA_DIR
def stop(data_dir: str | None) -> None:
    """Stop the local server of the data folder."""
    stopped = LocalServer(data_dir).stop()
    click.echo("stopped" if stopped else "not running")
