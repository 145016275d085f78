"""``genesis-memory``: the command line of langgraph-genesis-memory.

Commands (``genesis-memory COMMAND --help`` for each)::

    genesis-memory --version
    genesis-memory namespaces [--prefix agent] [--suffix ...] [--max-depth N]
    genesis-memory get NAMESPACE KEY              # NAMESPACE like agent.qa
    genesis-memory search [PREFIX] [--query TEXT] [--filter JSON] [--mode hybrid|vector|lexical]
    genesis-memory put NAMESPACE KEY '{"text": "..."}' [--file F] [--ttl MINUTES|none]
    genesis-memory delete NAMESPACE KEY
    genesis-memory stats [--top N] [--depth D]
    genesis-memory health
    genesis-memory backup PATH [--prefix P] [--vectors] [--checkpoints] [--thread ID]
    genesis-memory restore PATH [--on-conflict skip|overwrite|fail] [--expiry absolute|remaining]
    genesis-memory migrate SOURCE [--from-database DB] ...  # sqlite:///F, postgresql://, mongodb://
    genesis-memory reindex [--full]
    genesis-memory sweep [--checkpoints]
    genesis-memory local start|status|stop [--data-dir DIR]

Every command but ``local`` takes the connection options ``--uri`` (default ``$MONGODB_URI``;
unset: local mode, which starts the local server), ``--database``, ``--collection``,
``--checkpoint-collection``, ``--data-dir``, ``--timeout-ms``, the vector-index options
``--embed``, ``--dims``, ``--field``, and ``--json`` (machine-readable output), ``--progress``,
``-v``. A password in a connection string never appears in any output.

Exit status: 0 success; 1 failure; 2 bad usage or input; 3 not found (``get``; ``local
status`` when stopped); 4 MongoDB unavailable (``health``: unavailable); 5 ``health`` degraded;
6 a check failed (damaged backup, restore conflict, migration verification).
"""

from __future__ import annotations

import click

from langgraph_genesis_memory import __version__
from langgraph_genesis_memory.cli import _data, _operations
from langgraph_genesis_memory.errors import GenesisMemoryError
from langgraph_genesis_memory.local import LocalServer

__all__ = ["main"]

_DATA_DIR = click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Local-mode data folder (default: $GENESIS_DATA_DIR or ./.genesis).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="genesis-memory")
def main() -> None:
    """langgraph-genesis-memory: MongoDB memory for LangGraph agents.

    Exit status: 0 success, 1 failure, 2 bad usage or input, 3 not found, 4 MongoDB
    unavailable, 5 health degraded, 6 a check failed (backup checksum, restore conflict,
    migration verification).
    """


for _command in (*_data.COMMANDS, *_operations.COMMANDS):
    main.add_command(_command)


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
