"""Configuration read from the environment, shared by the store, the saver and local mode.

Environment variables (all optional):

``MONGODB_URI``
    A MongoDB connection string (standalone, replica set, sharded cluster or Atlas). When it is
    set, that deployment is used; when it is unset, local mode starts (or reuses) a local
    MongoDB-compatible server under the data folder.
``GENESIS_DATA_DIR``
    The local-mode data folder. Default: the nearest existing ``.genesis`` folder in the current
    working directory or one of its parents (found as git finds ``.git``), else ``./.genesis``.
``GENESIS_MONGODB_DATABASE``
    The MongoDB database name. Default: ``genesis_memory``.
``GENESIS_MONGODB_TIMEOUT_MS``
    How long, in milliseconds, to wait for MongoDB before raising
    :class:`~langgraph_genesis_memory.errors.DatabaseUnavailableError`. Default: ``10000``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from langgraph_genesis_memory import _quiet  # noqa: F401  (dependencies' import-time noise)

DEFAULT_DATABASE = "genesis_memory"
"""Database used when none is given and ``GENESIS_MONGODB_DATABASE`` is unset."""

DEFAULT_DATA_DIR = ".genesis"
"""Name of the local-mode data folder looked for upwards from the working directory (and created
there when none exists) when ``GENESIS_DATA_DIR`` is unset."""

DEFAULT_TIMEOUT_MS = 10_000
"""Server-selection timeout in milliseconds when ``GENESIS_MONGODB_TIMEOUT_MS`` is unset."""

_CREDENTIALS = re.compile(r"(?P<scheme>mongodb(?:\+srv)?://)(?P<user>[^:@/]*):(?P<pw>[^@/]*)@")


def mask_uri(uri: str) -> str:
    """Return ``uri`` with its password replaced by ``***``.

    Args:
        uri: A MongoDB connection string, e.g. ``mongodb://user:secret@host:27017/db``.

    Returns:
        The same string with the password masked, e.g. ``mongodb://user:***@host:27017/db``.
        A string without credentials is returned unchanged.
    """
    return _CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:***@", uri)


def find_data_dir(start: str | os.PathLike[str] | None = None) -> Path | None:
    """Find an existing local-mode data folder upwards from ``start``, as git finds ``.git``.

    Args:
        start: The folder to start from. Default: the current working directory.

    Returns:
        The first ``<folder>/.genesis`` directory that exists, looking in ``start`` and then in
        each parent up to the file-system root; ``None`` if there is none.
    """
    here = Path(start if start is not None else Path.cwd()).expanduser().resolve()
    for folder in (here, *here.parents):
        candidate = folder / DEFAULT_DATA_DIR
        if candidate.is_dir():
            return candidate
    return None


def data_dir_from_env() -> Path:
    """Return the local-mode data folder.

    ``GENESIS_DATA_DIR`` when it is set; otherwise the nearest existing ``.genesis`` folder in
    the working directory or a parent (:func:`find_data_dir`), so that a notebook or an example
    run from a sub-folder of a project uses the project's data and server; otherwise
    ``./.genesis`` (created when local mode first starts).
    """
    configured = os.environ.get("GENESIS_DATA_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    return find_data_dir() or (Path.cwd() / DEFAULT_DATA_DIR).resolve()


def database_from_env() -> str:
    """Return the database name: ``GENESIS_MONGODB_DATABASE`` or ``genesis_memory``."""
    return os.environ.get("GENESIS_MONGODB_DATABASE") or DEFAULT_DATABASE


def timeout_ms_from_env() -> int:
    """Return the MongoDB timeout in milliseconds: ``GENESIS_MONGODB_TIMEOUT_MS`` or 10000.

    Raises:
        ConfigurationError: If the variable is set but is not a positive integer.
    """
    raw = os.environ.get("GENESIS_MONGODB_TIMEOUT_MS")
    if not raw:
        return DEFAULT_TIMEOUT_MS
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        from langgraph_genesis_memory.errors import ConfigurationError

        raise ConfigurationError(
            f"GENESIS_MONGODB_TIMEOUT_MS must be a positive integer (milliseconds), got {raw!r}."
        )
    return value
