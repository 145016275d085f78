"""The errors langgraph-genesis-memory raises.

Every error derives from :class:`GenesisMemoryError`, and also from the standard-library
type whose meaning matches, so callers can catch either::

    GenesisMemoryError
    ├── InvalidNamespaceError   (also LangGraph's InvalidNamespaceError, a ValueError)
    ├── InvalidKeyError         (ValueError)
    ├── InvalidValueError       (ValueError)
    │   └── ValueTooLargeError  (a value over MongoDB's 16 MB document limit)
    ├── InvalidFilterError      (ValueError; unknown `$` operators, malformed filters)
    ├── ConfigurationError      (ValueError; the store, saver or tool was set up wrongly)
    ├── DatabaseUnavailableError (ConnectionError; MongoDB did not answer in time)
    ├── LocalServerError        (RuntimeError; the local MongoDB-compatible server failed)
    ├── MissingDependencyError  (ImportError; an optional extra is not installed)
    ├── SessionNotFoundError    (LookupError; no such session for the tenant)
    └── SessionExistsError      (ValueError; the session already exists: resume it)

Input errors (the first five) are raised before anything is sent to MongoDB, so a batch that
contains one bad operation writes nothing.
"""

from __future__ import annotations

from langgraph.store.base import InvalidNamespaceError as _LangGraphInvalidNamespaceError

__all__ = [
    "GenesisMemoryError",
    "InvalidNamespaceError",
    "InvalidKeyError",
    "InvalidValueError",
    "ValueTooLargeError",
    "InvalidFilterError",
    "ConfigurationError",
    "DatabaseUnavailableError",
    "LocalServerError",
    "MissingDependencyError",
    "SessionNotFoundError",
    "SessionExistsError",
]


class GenesisMemoryError(Exception):
    """Base class of every error raised by langgraph-genesis-memory."""


class InvalidNamespaceError(GenesisMemoryError, _LangGraphInvalidNamespaceError):
    """A namespace breaks LangGraph's rules.

    A namespace is a non-empty tuple of non-empty strings that contain neither ``.`` nor a
    NUL character, and whose first label is not ``"langgraph"`` (LangGraph's
    ``BaseStore`` rules). Also a LangGraph ``InvalidNamespaceError`` (and so a ``ValueError``).
    """


class InvalidKeyError(GenesisMemoryError, ValueError):
    """An item key is not a non-empty string, or it contains a NUL character."""


class InvalidValueError(GenesisMemoryError, ValueError):
    """An item value is not a dict that MongoDB can store (string keys, BSON-encodable values)."""


class ValueTooLargeError(InvalidValueError):
    """A value would make a MongoDB document larger than the 16 MB BSON document limit."""


class InvalidFilterError(GenesisMemoryError, ValueError):
    """A search filter uses an unknown ``$`` operator or is malformed.

    The supported operators are ``$eq $ne $gt $gte $lt $lte`` (LangGraph's) and
    ``$in $nin $exists``. The filter is refused before anything reaches MongoDB.
    """


class ConfigurationError(GenesisMemoryError, ValueError):
    """The store, saver or a tool was configured wrongly (a programming error, not bad data)."""


class DatabaseUnavailableError(GenesisMemoryError, ConnectionError):
    """MongoDB could not be reached within the configured timeout.

    The message names the deployment with any password masked.
    """


class LocalServerError(GenesisMemoryError, RuntimeError):
    """The local MongoDB-compatible server (local mode) could not be started or stopped."""


class MissingDependencyError(GenesisMemoryError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class SessionNotFoundError(GenesisMemoryError, LookupError):
    """No session with that id exists for the tenant (it never started, or it expired)."""


class SessionExistsError(GenesisMemoryError, ValueError):
    """A session with that id already exists: resume it instead of starting it again."""
