"""Output, exit codes and error reporting of the command line (never a password)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import click

from langgraph_genesis_memory._config import mask_uri
from langgraph_genesis_memory.errors import (
    BackupFormatError,
    ConfigurationError,
    DatabaseUnavailableError,
    GenesisMemoryError,
    InvalidArgumentError,
    InvalidFilterError,
    InvalidKeyError,
    InvalidNamespaceError,
    InvalidValueError,
    LocalServerError,
    MissingDependencyError,
    RestoreConflictError,
)

EXIT_OK = 0
"""Success (``health``: status ok)."""
EXIT_ERROR = 1
"""The operation failed (the message says why)."""
EXIT_USAGE = 2
"""Bad command line or bad input (an invalid namespace, key, value, filter, option...)."""
EXIT_NOT_FOUND = 3
"""``get``: no such item; ``local status``: the local server is not running."""
EXIT_UNAVAILABLE = 4
"""MongoDB (or the local server) could not be reached; ``health``: status unavailable."""
EXIT_DEGRADED = 5
"""``health``: MongoDB works but the vector index is unreachable or not in step."""
EXIT_CHECK_FAILED = 6
"""A check failed: a damaged backup, a restore conflict (``--on-conflict fail``), or a
migration whose verification found differences."""

_INPUT_ERRORS = (
    InvalidNamespaceError,
    InvalidKeyError,
    InvalidValueError,
    InvalidFilterError,
    InvalidArgumentError,
    ConfigurationError,
    MissingDependencyError,
)

_secrets: list[str] = []


def remember_secret(uri: str | None) -> None:
    """Remember the password of a connection string so that no output ever shows it."""
    if not uri:
        return
    try:
        password = urlsplit(uri).password
    except ValueError:
        password = None
    for secret in (password, unquote(password) if password else None):
        if secret and secret not in _secrets:
            _secrets.append(secret)


def scrub(text: str) -> str:
    """``text`` with connection-string passwords masked and remembered secrets removed."""
    text = mask_uri(text)
    for secret in _secrets:
        text = text.replace(secret, "***")
    return text


def exit_code(exc: BaseException) -> int:
    """The exit code for an error raised by a command."""
    if isinstance(exc, BackupFormatError | RestoreConflictError):
        return EXIT_CHECK_FAILED
    if isinstance(exc, DatabaseUnavailableError | LocalServerError):
        return EXIT_UNAVAILABLE
    if isinstance(exc, _INPUT_ERRORS):
        return EXIT_USAGE
    return EXIT_ERROR


def fail(message: str, code: int = EXIT_ERROR) -> None:
    """Print ``error: message`` to stderr and exit with ``code``."""
    click.echo(f"error: {scrub(message)}", err=True)
    raise click.exceptions.Exit(code)


@contextmanager
def reported() -> Iterator[None]:
    """Turn errors into a one-line message on stderr and the documented exit code."""
    try:
        yield
    except (click.exceptions.Exit, click.ClickException, click.Abort):
        raise
    except GenesisMemoryError as exc:
        fail(str(exc), exit_code(exc))
    except Exception as exc:  # pymongo, chromadb, the file system...
        from pymongo.errors import ConnectionFailure, ServerSelectionTimeoutError

        code = (
            EXIT_UNAVAILABLE
            if isinstance(exc, ConnectionFailure | ServerSelectionTimeoutError)
            else EXIT_ERROR
        )
        fail(f"{type(exc).__name__}: {exc}", code)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | set):
        return list(value)
    return str(value)


def emit_json(data: Any) -> None:
    """Print ``data`` as indented JSON (datetimes as ISO 8601)."""
    click.echo(scrub(json.dumps(data, indent=2, ensure_ascii=False, default=_plain)))


def emit(text: str) -> None:
    """Print a line for people."""
    click.echo(scrub(text))


def configure_logging(verbose: int) -> None:
    """``-v``: the package's INFO logs on stderr; ``-vv``: DEBUG. Quiet otherwise."""
    if not verbose:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("langgraph_genesis_memory")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose > 1 else logging.INFO)


def size(n: int) -> str:
    """Bytes for people (``12.3 MB``)."""
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"  # pragma: no cover


Echo = Callable[[str], None]
