"""Options shared by the commands, and opening the store and the saver from them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from langgraph_genesis_memory.cli._output import configure_logging, remember_secret
from langgraph_genesis_memory.errors import InvalidArgumentError, InvalidNamespaceError

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Connection:
    """Where the command works: the deployment, database, collections and the index model."""

    uri: str | None
    database: str | None
    collection: str
    checkpoint_collection: str
    data_dir: str | None
    timeout_ms: int | None
    embed: str | None
    dims: int | None
    fields: tuple[str, ...]
    json: bool
    progress: bool | None


def connection_options(func: F) -> F:
    """Add the connection, index and output options to a command (as ``conn``)."""
    options = [
        click.option(
            "--uri",
            envvar="MONGODB_URI",
            show_envvar=True,
            help="MongoDB connection string (default: $MONGODB_URI, else local mode).",
        ),
        click.option(
            "--database",
            envvar="GENESIS_MONGODB_DATABASE",
            show_envvar=True,
            help="Database (default: genesis_memory).",
        ),
        click.option("--collection", default="store", show_default=True, help="Items collection."),
        click.option(
            "--checkpoint-collection",
            default="checkpoints",
            show_default=True,
            help="The checkpointer's collection.",
        ),
        click.option(
            "--data-dir",
            envvar="GENESIS_DATA_DIR",
            show_envvar=True,
            type=click.Path(file_okay=False),
            help="Local-mode data folder, and the embedded vector index (default ./.genesis).",
        ),
        click.option(
            "--timeout-ms",
            type=click.IntRange(min=1),
            envvar="GENESIS_MONGODB_TIMEOUT_MS",
            show_envvar=True,
            help="How long to wait for MongoDB, in ms (default 10000).",
        ),
        click.option(
            "--embed",
            envvar="GENESIS_EMBED",
            show_envvar=True,
            help="Embedding model of the vector index: 'minilm', 'hash' (or 'hash:DIMS'), or a "
            "LangChain 'provider:model' (with --dims). Needed by reindex and semantic search.",
        ),
        click.option("--dims", type=click.IntRange(min=1), help="Vector dimensions of --embed."),
        click.option(
            "--field",
            "fields",
            multiple=True,
            help="A JSON path the vector index embeds (repeatable; default: the whole value).",
        ),
        click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts."),
        click.option(
            "--progress/--no-progress",
            default=None,
            help="Show a progress bar on long work (default: after 2 s, on a terminal).",
        ),
        click.option("-v", "--verbose", count=True, help="Log INFO (-v) or DEBUG (-vv)."),
    ]

    def wrapper(**kwargs: Any) -> Any:
        verbose = kwargs.pop("verbose")
        configure_logging(verbose)
        remember_secret(kwargs.get("uri"))
        conn = Connection(
            uri=kwargs.pop("uri"),
            database=kwargs.pop("database"),
            collection=kwargs.pop("collection"),
            checkpoint_collection=kwargs.pop("checkpoint_collection"),
            data_dir=kwargs.pop("data_dir"),
            timeout_ms=kwargs.pop("timeout_ms"),
            embed=kwargs.pop("embed"),
            dims=kwargs.pop("dims"),
            fields=kwargs.pop("fields"),
            json=kwargs.pop("as_json"),
            progress=kwargs.pop("progress"),
        )
        if conn.json and conn.progress is None:
            conn.progress = False
        return func(conn=conn, **kwargs)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    wrapper.__click_params__ = list(getattr(func, "__click_params__", []))  # type: ignore[attr-defined]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper  # type: ignore[return-value]


def index_config(conn: Connection) -> dict[str, Any] | None:
    """LangGraph's ``IndexConfig`` from ``--embed``/``--dims``/``--field`` (``None``: no index).

    Raises:
        InvalidArgumentError: For a model without known dimensions and no ``--dims``.
    """
    if not conn.embed:
        return None
    name = conn.embed.strip()
    embed: Any
    if name == "minilm":
        from langgraph_genesis_memory.embeddings import MINILM_DIMS, MiniLMEmbeddings

        embed, dims = MiniLMEmbeddings(), conn.dims or MINILM_DIMS
    elif name == "hash" or name.startswith("hash:"):
        from langgraph_genesis_memory.embeddings import HashEmbeddings

        dims = conn.dims or (int(name.split(":", 1)[1]) if ":" in name else 384)
        embed = HashEmbeddings(dims=dims)
    else:
        if conn.dims is None:
            raise InvalidArgumentError(f"--embed {name!r} needs --dims (its vector size).")
        embed, dims = name, conn.dims
    config: dict[str, Any] = {"embed": embed, "dims": dims}
    if conn.fields:
        config["fields"] = list(conn.fields)
    return config


@contextmanager
def open_store(
    conn: Connection, *, index: bool = True, setup: bool = False, **options: Any
) -> Iterator[Any]:
    """Open the ``GenesisStore`` the options name (closed on exit); ``options`` go to
    ``GenesisStore.from_conn_string``; ``setup``: create its indexes first (writing commands)."""
    from langgraph_genesis_memory import GenesisStore

    with GenesisStore.from_conn_string(
        conn.uri,
        database=conn.database,
        collection=conn.collection,
        index=index_config(conn) if index else None,  # type: ignore[arg-type]
        data_dir=conn.data_dir,
        timeout_ms=conn.timeout_ms,
        **options,
    ) as store:
        if setup:
            store.setup()
        yield store


@contextmanager
def open_saver(conn: Connection, *, setup: bool = False) -> Iterator[Any]:
    """Open the ``GenesisSaver`` the options name (closed on exit; ``setup`` as above)."""
    from langgraph_genesis_memory import GenesisSaver

    with GenesisSaver.from_conn_string(
        conn.uri,
        database=conn.database,
        collection=conn.checkpoint_collection,
        data_dir=conn.data_dir,
        timeout_ms=conn.timeout_ms,
    ) as saver:
        if setup:
            saver.setup()
        yield saver


@contextmanager
def open_both(
    conn: Connection, saver: bool, *, index: bool = True, setup: bool = False
) -> Iterator[tuple[Any, Any]]:
    """The store, and the saver when ``saver`` (else ``None``)."""
    with ExitStack() as stack:
        store = stack.enter_context(open_store(conn, index=index, setup=setup))
        checkpointer = stack.enter_context(open_saver(conn, setup=setup)) if saver else None
        yield store, checkpointer


def parse_namespace(text: str | None, *, allow_empty: bool = True) -> tuple[str, ...]:
    """A namespace from the command line: ``agent.qa`` (labels cannot hold dots), or a JSON
    list ``'["agent", "qa"]'``; ``""`` is the empty prefix.

    Raises:
        InvalidNamespaceError: If it cannot be read.
    """
    text = (text or "").strip()
    if text.startswith("["):
        try:
            labels = json.loads(text)
        except ValueError as exc:
            raise InvalidNamespaceError(f"Namespace {text!r} is not a JSON list.") from exc
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise InvalidNamespaceError(f"Namespace {text!r} is not a list of strings.")
        namespace = tuple(labels)
    else:
        namespace = tuple(text.split(".")) if text else ()
    if not namespace and not allow_empty:
        raise InvalidNamespaceError("A namespace is needed, e.g. agent.qa.")
    return namespace


def parse_json_object(text: str, what: str, error: type[Exception]) -> Any:
    """Parse JSON given on the command line.

    Raises:
        ``error``: If it is not valid JSON.
    """
    try:
        return json.loads(text)
    except ValueError as exc:
        raise error(f"{what} is not valid JSON: {exc}.") from exc


def parse_ttl(text: str | None) -> Any:
    """``--ttl``: minutes, or ``none``/``never`` (``None``); not given: ``NOT_PROVIDED``.

    Raises:
        InvalidArgumentError: If it is neither.
    """
    from langgraph.store.base import NOT_PROVIDED

    if text is None:
        return NOT_PROVIDED
    if text.strip().lower() in ("none", "never"):
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise InvalidArgumentError(f"--ttl must be minutes or 'none'; got {text!r}.") from exc
