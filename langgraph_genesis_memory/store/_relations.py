"""``link``, ``unlink`` and ``supersede``: editing an item's links and validity (plans + methods).

Each reads the items it changes (one ``find``), then writes them through the store's batch
(one bulk write, derived indexes kept in step), so a link or a supersession is an ordinary put
of the item's value with its ``relationships`` / ``valid_to`` / ``superseded_by`` changed
(see :mod:`~langgraph_genesis_memory.store._graph` and :mod:`~langgraph_genesis_memory.store.
_time`). The rewritten items keep their TTL in minutes (their expiry starts again, as a read
with ``refresh_ttl`` would) and their ``index=`` paths. A put of the same item by another writer
between the read and the write is overwritten (last writer wins, as for any put).

They act as the store's caller, like any op: with an access policy, the acting principal must
be allowed to ``read`` every item they read and to ``write`` every item they rewrite (checked
before any I/O, :class:`~langgraph_genesis_memory.errors.AccessDeniedError`), the writes are
checked and audited by the store's batch, and encrypted value fields are decrypted after the
read and encrypted again by the write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from langgraph.store.base import NOT_PROVIDED, NotProvided, Op, PutOp, Result

from langgraph_genesis_memory._mongo import Find
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory.access import Grant
from langgraph_genesis_memory.errors import ConfigurationError, InvalidArgumentError
from langgraph_genesis_memory.store._access import require
from langgraph_genesis_memory.store._batch import StoreSchema, check_ops
from langgraph_genesis_memory.store._documents import item_id
from langgraph_genesis_memory.store._graph import (
    DEFAULT_TYPE,
    Link,
    check_type,
    with_link,
    without_link,
)
from langgraph_genesis_memory.store._queries import epoch_ms, live
from langgraph_genesis_memory.store._time import (
    SUPERSEDED_BY,
    VALID_FROM,
    VALID_TO,
    iso,
    parse_instant,
)
from langgraph_genesis_memory.store._validation import (
    validate_key,
    validate_namespace,
    validate_value,
)

Address = tuple[tuple[str, ...], str]
T = TypeVar("T")


def _address(namespace: Any, key: Any) -> Address:
    return validate_namespace(namespace), validate_key(key)


def _kind(kind: Any) -> str:
    try:
        return check_type(kind, "type")
    except ValueError as exc:
        raise InvalidArgumentError(str(exc)) from None


@dataclass(frozen=True)
class Edit:
    """What an edit plan needs from the store: its clock, the acting principal's grant
    (``None``: no policy), the store's batch (access checks, encryption, audit, derived
    indexes) and the decryption of a stored value."""

    now: datetime
    grant: Grant | None
    write: Callable[[list[Op]], Plan[list[Result]]]
    open: Callable[[Mapping[str, Any]], dict[str, Any]]

    def read(self, ids: list[str]) -> Plan[dict[str, dict[str, Any]]]:
        """The live documents of ``ids`` by ``_id``, values decrypted."""
        docs = yield Find({"_id": {"$in": sorted(set(ids))}, **live(epoch_ms(self.now))},
                          batch_size=len(ids))  # fmt: skip
        return {doc["_id"]: {**doc, "value": self.open(doc["value"])} for doc in docs}

    def require(self, reads: list[Address], writes: list[Address]) -> None:
        """Raise ``AccessDeniedError`` unless the principal may read and write these."""
        for action, addresses in (("read", reads), ("write", writes)):
            for namespace, key in addresses:
                require(self.grant, action, namespace, key)  # type: ignore[arg-type]


def _missing(address: Address, role: str) -> InvalidArgumentError:
    return InvalidArgumentError(
        f"No live item {address[1]!r} in {address[0]!r} {role}: write it first (it may have "
        "been deleted or have expired)."
    )


def _rewrite(address: Address, doc: Mapping[str, Any], value: dict[str, Any]) -> PutOp:
    """The put writing ``value`` over a stored item, keeping its TTL and ``index=`` paths."""
    ttl: float | None | NotProvided = doc["ttl"] if "ttl" in doc else NOT_PROVIDED
    return PutOp(address[0], address[1], value, index=doc.get("index_paths"), ttl=ttl)  # type: ignore[arg-type]


def plan_link(edit: Edit, source: Address, target: Address, kind: str) -> Plan[bool]:
    """Add a link to a stored item's ``relationships``. Returns whether it was new."""
    edit.require(reads=[source, target], writes=[source])
    source_id, target_id = item_id(*source), item_id(*target)
    docs = yield from edit.read([source_id, target_id])
    if source_id not in docs:
        raise _missing(source, "to link from")
    if target_id not in docs:
        raise _missing(target, "to link to")
    value = docs[source_id]["value"]
    linked = with_link(value, source[0], Link(target[0], target[1], kind))
    if linked == value:
        return False
    yield from edit.write([_rewrite(source, docs[source_id], linked)])
    return True


def plan_unlink(edit: Edit, source: Address, target: Address, kind: str | None) -> Plan[bool]:
    """Remove links (of type ``kind``, ``None``: any) from a stored item to ``target``.
    Returns whether any was removed."""
    edit.require(reads=[source], writes=[source])
    source_id = item_id(*source)
    docs = yield from edit.read([source_id])
    if source_id not in docs:
        raise _missing(source, "to unlink from")
    value = docs[source_id]["value"]
    kept = without_link(value, source[0], target, kind)
    if len(kept.get("relationships") or ()) == len(value.get("relationships") or ()):
        return False
    yield from edit.write([_rewrite(source, docs[source_id], kept)])
    return True


def plan_supersede(
    edit: Edit,
    new: Address,
    value: dict[str, Any],
    old: Address,
    at: datetime | None,
    index: Any,
    ttl: float | None | NotProvided,
) -> Plan[None]:
    """Write ``value`` at ``new`` and end the fact at ``old`` in one bulk write."""
    edit.require(reads=[old], writes=[old, new])
    old_id = item_id(*old)
    docs = yield from edit.read([old_id])
    if old_id not in docs:
        raise _missing(old, "to supersede")
    if at is not None:
        end_ms = epoch_ms(at)
    elif isinstance(value.get(VALID_FROM), str):
        end_ms = parse_instant(value[VALID_FROM], f"value[{VALID_FROM!r}]")
    else:
        end_ms = epoch_ms(edit.now)
    start = docs[old_id].get("valid_from_ms")
    if isinstance(start, int) and start >= end_ms:
        raise InvalidArgumentError(
            f"The fact {old[1]!r} in {old[0]!r} became valid at {iso(start)}, not before "
            f"{iso(end_ms)}: it cannot end then. Pass at= later than its valid_from."
        )
    fresh = with_link(value, new[0], Link(old[0], old[1], "supersedes"))
    fresh.setdefault(VALID_FROM, iso(end_ms))
    ended = {
        **docs[old_id]["value"],
        VALID_TO: iso(end_ms),
        SUPERSEDED_BY: {"namespace": list(new[0]), "key": new[1]},
    }
    ops: list[Op] = [
        _rewrite(old, docs[old_id], ended),
        PutOp(new[0], new[1], fresh, index=index, ttl=ttl),  # type: ignore[arg-type]
    ]
    yield from edit.write(ops)
    return None


class RelationsMixin:
    """``link``/``unlink``/``supersede`` and their async twins, for :class:`GenesisStore`."""

    _clock: Callable[[], datetime]
    _cipher: Any
    _schema: StoreSchema

    if TYPE_CHECKING:  # provided by PlanRunner, AccessControl and GenesisStore

        def _run(self, plan: Plan[T], *, per_request: bool = False) -> T: ...

        async def _arun(self, plan: Plan[T], *, per_request: bool = False) -> T: ...

        def _grant(self) -> Grant | None: ...

        def _plan_batch(self, ops: list[Op], grant: Any = ...) -> Plan[list[Result]]: ...

    def _edit(self) -> Edit:
        """The context of an edit by the acting principal (raises ``AccessDeniedError`` when
        the store has a policy and no principal is given)."""
        if not self._schema.reserved_fields:
            raise ConfigurationError(
                "This store was built with reserved_fields=False: values' relationships, "
                "valid_to and superseded_by are stored as given, so links and supersessions "
                "cannot be edited through them."
            )
        grant = self._grant()
        cipher = self._cipher
        return Edit(
            self._clock(),
            grant,
            lambda ops: self._plan_batch(ops, grant),
            dict if cipher is None else cipher.open_value,
        )

    def _link_plan(
        self, namespace: Any, key: Any, to_namespace: Any, to_key: Any, type: Any
    ) -> Plan[bool]:
        source, target = _address(namespace, key), _address(to_namespace, to_key)
        return plan_link(self._edit(), source, target, _kind(type))

    def link(
        self,
        namespace: tuple[str, ...],
        key: str,
        to_namespace: tuple[str, ...],
        to_key: str,
        *,
        type: str = DEFAULT_TYPE,
    ) -> bool:
        """Link a stored item to another: adds ``{"namespace", "key", "type"}`` to its value's
        ``relationships`` (graph search then walks it, both ways).

        Args:
            namespace: The linking item's namespace (a tuple of labels).
            key: Its key.
            to_namespace: The target's namespace.
            to_key: The target's key.
            type: The relation type (1-64 characters), e.g. ``"reply_to"``.

        Returns:
            ``True`` if the link was added, ``False`` if the item already had it.

        Raises:
            InvalidNamespaceError, InvalidKeyError, InvalidArgumentError: For bad arguments
                (before any I/O), or when either item does not exist (or has expired).
            ConfigurationError: If the store was built with ``reserved_fields=False``.
            AccessDeniedError: With an access policy, if the acting principal may not read the
                items read or write the items written (before any I/O).
            DatabaseUnavailableError: If MongoDB does not answer within the timeout.

        Example:
            >>> store.link(("notes",), "moved", ("notes",), "job", type="because")  # doctest: +SKIP
            True
        """
        return bool(self._run(self._link_plan(namespace, key, to_namespace, to_key, type)))

    async def alink(
        self,
        namespace: tuple[str, ...],
        key: str,
        to_namespace: tuple[str, ...],
        to_key: str,
        *,
        type: str = DEFAULT_TYPE,
    ) -> bool:
        """Async twin of :meth:`link`."""
        return bool(await self._arun(self._link_plan(namespace, key, to_namespace, to_key, type)))

    def _unlink_plan(
        self, namespace: Any, key: Any, to_namespace: Any, to_key: Any, type: Any
    ) -> Plan[bool]:
        source, target = _address(namespace, key), _address(to_namespace, to_key)
        kind = None if type is None else _kind(type)
        return plan_unlink(self._edit(), source, target, kind)

    def unlink(
        self,
        namespace: tuple[str, ...],
        key: str,
        to_namespace: tuple[str, ...],
        to_key: str,
        *,
        type: str | None = None,
    ) -> bool:
        """Remove a stored item's links to another (from its value's ``relationships``).

        Args:
            namespace, key: The linking item.
            to_namespace, to_key: The target.
            type: Only links of this relation type; ``None``: every link to the target.

        Returns:
            Whether a link was removed.

        Raises:
            InvalidNamespaceError, InvalidKeyError, InvalidArgumentError: For bad arguments
                (before any I/O), or when the linking item does not exist.
            ConfigurationError: If the store was built with ``reserved_fields=False``.
            AccessDeniedError: With an access policy, if the acting principal may not read the
                items read or write the items written (before any I/O).
            DatabaseUnavailableError: If MongoDB does not answer within the timeout.
        """
        return bool(self._run(self._unlink_plan(namespace, key, to_namespace, to_key, type)))

    async def aunlink(
        self,
        namespace: tuple[str, ...],
        key: str,
        to_namespace: tuple[str, ...],
        to_key: str,
        *,
        type: str | None = None,
    ) -> bool:
        """Async twin of :meth:`unlink`."""
        return bool(await self._arun(self._unlink_plan(namespace, key, to_namespace, to_key, type)))

    def _supersede_plan(
        self, namespace: Any, key: Any, value: Any, replaces: Any, at: Any, index: Any, ttl: Any
    ) -> Plan[None]:
        new = _address(namespace, key)
        if isinstance(replaces, str):
            replaces = (new[0], replaces)
        if not isinstance(replaces, tuple | list) or len(replaces) != 2:
            raise InvalidArgumentError(
                "replaces must be a key (same namespace) or a (namespace, key) pair; "
                f"got {replaces!r:.80}."
            )
        old = _address(replaces[0], replaces[1])
        if old == new:
            raise InvalidArgumentError("A fact cannot supersede itself: give the new one a key.")
        if at is not None and (not isinstance(at, datetime) or at.tzinfo is None):
            raise InvalidArgumentError(f"at must be a timezone-aware datetime; got {at!r:.80}.")
        checked = validate_value(value)
        # The new item as it will be written (its value, links, time, index= and ttl) is
        # checked here, before the old one is read.
        preview = with_link(checked, new[0], Link(old[0], old[1], "supersedes"))
        check_ops([PutOp(new[0], new[1], preview, index=index, ttl=ttl)], self._schema)
        return plan_supersede(self._edit(), new, checked, old, at, index, ttl)

    def supersede(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: dict[str, Any],
        *,
        replaces: str | tuple[tuple[str, ...], str],
        at: datetime | None = None,
        index: Any = None,
        ttl: float | None | NotProvided = NOT_PROVIDED,
    ) -> None:
        """Write a new fact that replaces an older one (one bulk write).

        The old item stays, ended: its value gets ``valid_to`` (``at``) and ``superseded_by``
        (``{"namespace", "key"}`` of the new item), so searches no longer return it, except
        with ``as_of`` before ``at``. The new item gets a ``"supersedes"`` link to it and, if its
        value has none, ``valid_from = at``.

        Args:
            namespace, key, value: The new item, as for :meth:`put`.
            replaces: The old item: its key (same namespace) or ``(namespace, key)``.
            at: When the old fact stopped being true (timezone-aware); default the new value's
                ``valid_from``, else now.
            index, ttl: As for :meth:`put` (``ttl`` in minutes).

        Raises:
            InvalidNamespaceError, InvalidKeyError, InvalidValueError, InvalidArgumentError:
                For bad arguments (before any I/O), when the old item does not exist, or when
                it became valid after ``at``.
            ConfigurationError: If the store was built with ``reserved_fields=False``.
            AccessDeniedError: With an access policy, if the acting principal may not read the
                items read or write the items written (before any I/O).
            DatabaseUnavailableError: If MongoDB does not answer within the timeout.

        Example:
            >>> store.supersede(("user", "u1"), "city-2024", {"text": "Lives in Lyon"},
            ...                 replaces="city-2019")  # doctest: +SKIP
        """
        self._run(self._supersede_plan(namespace, key, value, replaces, at, index, ttl))

    async def asupersede(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: dict[str, Any],
        *,
        replaces: str | tuple[tuple[str, ...], str],
        at: datetime | None = None,
        index: Any = None,
        ttl: float | None | NotProvided = NOT_PROVIDED,
    ) -> None:
        """Async twin of :meth:`supersede`."""
        await self._arun(self._supersede_plan(namespace, key, value, replaces, at, index, ttl))
