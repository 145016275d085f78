"""``namespaces``, ``get``, ``search``, ``put``, ``delete``: looking at and changing memories."""

from __future__ import annotations

from typing import Any

import click

from langgraph_genesis_memory.cli._options import (
    Connection,
    connection_options,
    open_store,
    parse_json_object,
    parse_namespace,
    parse_ttl,
)
from langgraph_genesis_memory.cli._output import (
    EXIT_NOT_FOUND,
    emit,
    emit_json,
    fail,
    reported,
)
from langgraph_genesis_memory.errors import (
    InvalidArgumentError,
    InvalidFilterError,
    InvalidValueError,
)


def _item(item: Any) -> dict[str, Any]:
    out = {
        "namespace": list(item.namespace),
        "key": item.key,
        "value": item.value,
        "created_at": item.created_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
    }
    if getattr(item, "score", None) is not None:
        out["score"] = item.score
    return out


def _dotted(namespace: Any) -> str:
    return ".".join(namespace)


@click.command()
@connection_options
@click.option("--prefix", default="", help="Labels the namespaces start with (agent.qa; * any).")
@click.option("--suffix", default="", help="Labels the namespaces end with.")
@click.option("--max-depth", type=click.IntRange(min=1), help="Cut namespaces to this depth.")
@click.option("--limit", type=click.IntRange(min=0), default=100, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True)
def namespaces(
    conn: Connection, prefix: str, suffix: str, max_depth: int | None, limit: int, offset: int
) -> None:
    """List namespaces (LangGraph's list_namespaces), one per line as labels joined by dots."""
    with reported(), open_store(conn, index=False) as store:
        found = store.list_namespaces(
            prefix=parse_namespace(prefix) or None,
            suffix=parse_namespace(suffix) or None,
            max_depth=max_depth,
            limit=limit,
            offset=offset,
        )
    if conn.json:
        emit_json([list(ns) for ns in found])
    else:
        for ns in found:
            emit(_dotted(ns))


@click.command()
@connection_options
@click.argument("namespace")
@click.argument("key")
def get(conn: Connection, namespace: str, key: str) -> None:
    """Print one item's value (NAMESPACE like agent.qa); exit status 3 if there is none."""
    with reported(), open_store(conn, index=False) as store:
        item = store.get(parse_namespace(namespace, allow_empty=False), key, refresh_ttl=False)
    if item is None:
        fail(f"no item {key!r} in namespace {namespace!r}", EXIT_NOT_FOUND)
    if conn.json:
        emit_json(_item(item))
    else:
        emit_json(item.value)


@click.command()
@connection_options
@click.argument("prefix", default="")
@click.option("--query", "-q", help="Natural-language query (ranked by meaning and/or words).")
@click.option(
    "--filter", "filter_", help='Filter on the value as JSON, e.g. \'{"seats": {"$gte": 10}}\'.'
)
@click.option(
    "--mode",
    type=click.Choice(["hybrid", "vector", "lexical"]),
    help="How --query ranks (vector and hybrid need --embed; default hybrid).",
)
@click.option("--limit", type=click.IntRange(min=0), default=10, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True)
def search(
    conn: Connection,
    prefix: str,
    query: str | None,
    filter_: str | None,
    mode: str | None,
    limit: int,
    offset: int,
) -> None:
    """Search items under a namespace PREFIX (LangGraph's search); best first with --query."""
    with reported():
        conditions = None
        if filter_:
            conditions = parse_json_object(filter_, "--filter", InvalidFilterError)
            if not isinstance(conditions, dict):
                raise InvalidFilterError("--filter must be a JSON object.")
        with open_store(conn, search_mode=mode or "hybrid") as store:
            found = store.search(
                parse_namespace(prefix),
                query=query,
                filter=conditions,
                limit=limit,
                offset=offset,
                refresh_ttl=False,
            )
    if conn.json:
        emit_json([_item(i) for i in found])
        return
    for item in found:
        score = "" if item.score is None else f"{item.score:.3f}  "
        emit(f"{score}{_dotted(item.namespace)}  {item.key}  {_snippet(item.value)}")


def _snippet(value: Any) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 100 else text[:97] + "..."


@click.command()
@connection_options
@click.argument("namespace")
@click.argument("key")
@click.argument("value", required=False)
@click.option(
    "--file",
    "value_file",
    type=click.File("r"),
    help="Read the value (a JSON object) from this file ('-': standard input).",
)
@click.option(
    "--ttl",
    help="Minutes until the item expires after its last access, or 'none' (default: the "
    "namespace policy).",
)
@click.option("--no-index", is_flag=True, help="Do not index this item for search.")
def put(
    conn: Connection,
    namespace: str,
    key: str,
    value: str | None,
    value_file: Any,
    ttl: str | None,
    no_index: bool,
) -> None:
    """Store VALUE (a JSON object) under NAMESPACE and KEY; an existing item is replaced."""
    with reported():
        if (value is None) == (value_file is None):
            raise InvalidArgumentError("Give the value as an argument or with --file (not both).")
        text = value if value is not None else value_file.read()
        data = parse_json_object(text, "The value", InvalidValueError)
        minutes = parse_ttl(ttl)
        ns = parse_namespace(namespace, allow_empty=False)
        with open_store(conn) as store:
            store.put(ns, key, data, index=False if no_index else None, ttl=minutes)
    if conn.json:
        emit_json({"stored": True, "namespace": list(ns), "key": key})
    else:
        emit(f"stored {_dotted(ns)} {key}")


@click.command()
@connection_options
@click.argument("namespace")
@click.argument("key")
def delete(conn: Connection, namespace: str, key: str) -> None:
    """Delete one item (and its vectors)."""
    with reported():
        ns = parse_namespace(namespace, allow_empty=False)
        with open_store(conn) as store:
            store.delete(ns, key)
    if conn.json:
        emit_json({"deleted": True, "namespace": list(ns), "key": key})
    else:
        emit(f"deleted {_dotted(ns)} {key}")


COMMANDS = [namespaces, get, search, put, delete]
