"""The errors langgraph-genesis-memory raises.

Every error derives from :class:`GenesisMemoryError`, and also from the standard-library
type whose meaning matches, so callers can catch either::

    GenesisMemoryError
    ├── InvalidNamespaceError   (also LangGraph's InvalidNamespaceError, a ValueError)
    ├── InvalidKeyError         (ValueError)
    ├── InvalidValueError       (ValueError)
    │   └── ValueTooLargeError  (a value over MongoDB's 16 MB document limit)
    ├── InvalidFilterError      (ValueError; unknown `$` operators, malformed filters)
    ├── InvalidArgumentError    (ValueError; limit, offset, max_depth, ttl, query... out of range)
    ├── ConfigurationError      (ValueError; the store, saver or tool was set up wrongly)
    ├── DatabaseUnavailableError (ConnectionError; MongoDB did not answer in time)
    ├── PartialWriteError       (RuntimeError; MongoDB refused some writes of a batch)
    ├── LocalServerError        (RuntimeError; the local MongoDB-compatible server failed)
    ├── MissingDependencyError  (ImportError; an optional extra is not installed)
    ├── SessionNotFoundError    (LookupError; no such session for the tenant)
    ├── SessionExistsError      (ValueError; the session already exists: resume it)
    ├── BackupFormatError       (ValueError; a backup file is damaged or of another format)
    ├── RestoreConflictError    (ValueError; restore with conflict="fail" met differing items)
    ├── SessionEndedError       (RuntimeError; the session ended: reopen it explicitly)
    ├── SessionConflictError    (RuntimeError; a session update kept losing to other writers)
    └── AccessDeniedError       (PermissionError; the access policy denies the op, or no principal)

One warning, :class:`UnindexedItemsWarning` (a ``UserWarning``), says that a ranked search
met items a derived index does not hold yet, and what to run.

Input errors (the first six) and :class:`AccessDeniedError` are raised before anything is sent
to MongoDB, so a batch that contains one bad or denied operation writes nothing. What a failure
while writing leaves behind is described in ``docs/guarantees.md``.
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
    "InvalidArgumentError",
    "ConfigurationError",
    "DatabaseUnavailableError",
    "PartialWriteError",
    "UnindexedItemsWarning",
    "LocalServerError",
    "MissingDependencyError",
    "SessionNotFoundError",
    "SessionExistsError",
    "BackupFormatError",
    "RestoreConflictError",
    "SessionEndedError",
    "SessionConflictError",
    "AccessDeniedError",
]


class GenesisMemoryError(Exception):
    """Base class of every error raised by langgraph-genesis-memory."""


class InvalidNamespaceError(GenesisMemoryError, _LangGraphInvalidNamespaceError):
    """A namespace breaks LangGraph's rules.

    A namespace is a non-empty tuple of at most 64 non-empty strings that contain neither
    ``.`` nor a NUL character (LangGraph's ``BaseStore`` rules), are valid Unicode, and take at
    most 4 KiB together; ``put`` also refuses the first label ``"langgraph"``, as LangGraph's
    ``BaseStore.put`` does. Also a LangGraph ``InvalidNamespaceError`` (and so a
    ``ValueError``).
    """


class InvalidKeyError(GenesisMemoryError, ValueError):
    """An item key is not a non-empty string of valid Unicode without NUL, of at most 4 KiB.

    Keys are never coerced: ``get(namespace, 7)`` raises instead of reading key ``"7"``.
    """


class InvalidValueError(GenesisMemoryError, ValueError):
    """An item value is not a dict of JSON-like data.

    The value domain (dicts with string keys, lists, strings, 64-bit integers, finite floats,
    booleans, ``None``; at most 64 levels deep) is defined in
    :mod:`langgraph_genesis_memory.store._validation`. The message names where the offending
    part is and what to store instead (e.g. a ``datetime`` as an ISO 8601 string).
    """


class ValueTooLargeError(InvalidValueError):
    """A value would make a MongoDB document larger than the 16 MB BSON document limit."""


class InvalidFilterError(GenesisMemoryError, ValueError):
    """A search filter uses an unknown ``$`` operator or is malformed.

    The supported operators are ``$eq $ne $gt $gte $lt $lte`` (LangGraph's) and
    ``$in $nin $exists``. The filter is refused before anything reaches MongoDB.
    """


class InvalidArgumentError(GenesisMemoryError, ValueError):
    """An argument of a call is out of range or of the wrong type.

    For example ``limit``/``offset`` that are negative or over 2**31-1, ``max_depth < 1``, a TTL
    that is not a positive number of minutes (at most 100 years), a query that is not a
    string, or ``index=`` that is not ``False``, ``None`` or a list of paths. Raised before
    anything is sent.
    """


class ConfigurationError(GenesisMemoryError, ValueError):
    """The store, saver or a tool was configured wrongly (a programming error, not bad data)."""


class DatabaseUnavailableError(GenesisMemoryError, ConnectionError):
    """MongoDB could not be reached, or did not answer within the configured timeout.

    Every call of the store, the saver and the session manager ends within its ``timeout_ms``
    (plus a small margin) with this error when MongoDB hangs or is down. The message names the
    deployment with any password masked. If it is raised while a batch was writing, any of
    the batch's writes may or may not have been applied (each one entirely or not at all);
    repeating the batch is safe.
    """


class PartialWriteError(GenesisMemoryError, RuntimeError):
    """MongoDB refused some writes of a batch after validation let them through.

    This happens only for reasons the store cannot check in advance (for example a unique
    index that you added on a value field, or a write concern error). Each put or delete is one
    single-document write, applied entirely or not at all; the batch's other writes were
    applied.

    Attributes:
        applied: Indexes (into the batch's ops) of the puts and deletes that were applied.
        failed: Index of each refused op, mapped to MongoDB's message.
    """

    def __init__(self, message: str, applied: list[int], failed: dict[int, str]) -> None:
        super().__init__(message)
        self.applied = applied
        self.failed = failed


class UnindexedItemsWarning(UserWarning):
    """A ranked search met items that a derived index (vectors, words) does not hold.

    They were written before the index was configured, or their index update failed; ranked
    search lists them unscored after the ranked ones. The message gives their count under the
    searched prefix; ``store.reindex()`` (or ``genesis-memory reindex``) indexes them.
    """


class LocalServerError(GenesisMemoryError, RuntimeError):
    """The local MongoDB-compatible server (local mode) could not be started or stopped."""


class MissingDependencyError(GenesisMemoryError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class SessionNotFoundError(GenesisMemoryError, LookupError):
    """No session with that id exists for the tenant (it never started, or it expired)."""


class SessionExistsError(GenesisMemoryError, ValueError):
    """A session with that id already exists: resume it instead of starting it again."""


class BackupFormatError(GenesisMemoryError, ValueError):
    """A backup file cannot be restored as it is.

    It is not a langgraph-genesis-memory backup, was written by a newer format version, is
    truncated, holds a malformed record (the message names its line), or its content does not
    match the checksum and counts of its header. Restoring checks the whole file before writing
    anything, so a damaged backup writes nothing.
    """


class RestoreConflictError(GenesisMemoryError, ValueError):
    """A restore with ``conflict="fail"`` found items in the target that the backup would change.

    Raised before anything is written. An item already holding exactly the backup's value and
    timestamps is not a conflict (so an interrupted restore can be run again).

    Attributes:
        conflicts: ``(namespace, key)`` of the first conflicting items (at most 20).
        total: How many conflicting items were found.
    """

    def __init__(
        self, message: str, conflicts: list[tuple[tuple[str, ...], str]], total: int
    ) -> None:
        super().__init__(message)
        self.conflicts = conflicts
        self.total = total


class SessionEndedError(GenesisMemoryError, RuntimeError):
    """The session has ended (``SessionManager.end_session``); it is archived and read-only.

    ``resume(session_id, reopen=True)`` reopens it. The message says when and why it ended.

    Attributes:
        session_id: The session.
        ended_at: When it ended (ISO 8601 UTC).
        reason: The reason given to ``end_session``.
    """

    def __init__(self, message: str, session_id: str, ended_at: str | None, reason: str | None):
        super().__init__(message)
        self.session_id = session_id
        self.ended_at = ended_at
        self.reason = reason


class SessionConflictError(GenesisMemoryError, RuntimeError):
    """A session update lost its compare-and-set to other writers too many times in a row.

    Session updates never overwrite each other: each one re-reads the session and retries
    when another writer changed it first (with a short random pause). This is raised only
    under sustained contention on one session (dozens of writers at once); nothing of the
    update was written, and retrying it is safe.
    """


class AccessDeniedError(GenesisMemoryError, PermissionError):
    """The store's access policy does not let the principal perform an operation.

    Raised before anything is sent to MongoDB, so a batch holding one denied op writes nothing
    (see :mod:`langgraph_genesis_memory.access`). Also raised when a store built with
    ``access=`` runs an op without a principal (no ``agent_id``/``tenant_id``/``user_id`` in the
    run's ``config["configurable"]``, or outside a graph run), and by administrative calls
    (``purge``, ``list_audit``, ``as_principal``) made through a principal's view or, by a
    store with a policy, inside a run that names a principal.

    Attributes:
        principal: Who asked (a :class:`~langgraph_genesis_memory.access.Principal`, or ``None``).
        action: ``"read"``, ``"write"``, ``"delete"``, or ``"admin"`` for an administrative
            call (``purge``, ``list_audit``, ``as_principal``) made as a principal; ``None``
            without principal.
        namespace: The namespace refused, or ``None``.
        key: The item key of a refused get, put or delete, or ``None``.
    """

    def __init__(
        self,
        message: str,
        principal: object = None,
        action: str | None = None,
        namespace: tuple[str, ...] | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.principal = principal
        self.action = action
        self.namespace = namespace
        self.key = key
