"""Enforcing an :class:`~langgraph_genesis_memory.access.AccessPolicy` inside the store (pure).

The batch (:mod:`~langgraph_genesis_memory.store._batch`) calls in here while it validates its
ops, before any request is built:

* a get, put or delete whose namespace the principal may not read, write or delete raises
  :class:`~langgraph_genesis_memory.errors.AccessDeniedError` (so the whole batch sends nothing);
* a search and a ``list_namespaces`` get one more MongoDB clause on ``ns_key``
  (:func:`read_clause`): the namespaces the principal may read that can lie under the searched
  prefix. It travels with the query the op sends anyway, so enforcement adds no round trip.
  Ranked searches apply it in the MongoDB read that every hit of the vector and word indexes
  passes through before it is ranked, counted or returned
  (:mod:`~langgraph_genesis_memory.store._search`).

When every namespace under the prefix is readable the clause is left out (the query is the
one without a policy); when none is, the clause matches nothing.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any, Self

from langgraph.config import get_config
from langgraph.store.base import MatchCondition

from langgraph_genesis_memory.access import (
    PRINCIPAL_KEYS,
    AccessPolicy,
    Action,
    Grant,
    Pattern,
    Principal,
)
from langgraph_genesis_memory.errors import AccessDeniedError, ConfigurationError
from langgraph_genesis_memory.store._documents import NAMESPACE_SEP, encode_path

_AFTER_SEP = "\x02"
_END = "(?![\\s\\S])"
_RUNTIME_KEY = "__pregel_runtime"  # where LangGraph keeps the run's Runtime in configurable
NOTHING: dict[str, Any] = {"ns_key": {"$in": []}}
"""A clause no document matches."""


def require(
    grant: Grant | None, action: Action, namespace: tuple[str, ...], key: str | None = None
) -> None:
    """Raise unless ``grant`` allows ``action`` on ``namespace`` (no grant: no policy).

    Raises:
        AccessDeniedError: If the policy does not grant it.
    """
    if grant is not None and not grant.allows(action, namespace):
        raise AccessDeniedError(
            f"Access denied: {grant.principal.describe()} may not {action} namespace "
            f"{namespace!r} (deny by default; add an AccessRule granting it).",
            grant.principal,
            action,
            namespace,
            key,
        )


def _pattern_clause(pattern: Pattern) -> dict[str, Any]:
    if None not in pattern.labels:
        encoded = encode_path(pattern.labels)  # type: ignore[arg-type]
        if not pattern.rest:
            return {"ns_key": encoded}
        # ns_key == encoded, or under it (the same range as a list_namespaces prefix).
        return {"ns_key": {"$gte": encoded, "$lt": encoded + _AFTER_SEP}}
    one = f"[^{NAMESPACE_SEP}]+"
    body = NAMESPACE_SEP.join(
        one if p is None else re.escape(encode_path((p,))) for p in pattern.labels
    )
    tail = f"(?:{NAMESPACE_SEP}|{_END})" if pattern.rest else _END
    return {"ns_key": {"$regex": f"^{body}{tail}"}}


def read_clause(grant: Grant | None, prefix: Sequence[str | None]) -> dict[str, Any]:
    """The ``ns_key`` clause keeping reads under ``prefix`` to readable namespaces.

    Args:
        grant: The resolved policy (``None``: no policy, no clause).
        prefix: The searched prefix (``None`` labels: a ``"*"`` of ``list_namespaces``).

    Returns:
        ``{}`` when everything under the prefix is readable, :data:`NOTHING` when nothing is,
        else one clause (or an ``$or`` of clauses) on ``ns_key``.
    """
    if grant is None:
        return {}
    patterns = [p for p in grant.read if p.overlaps(prefix)]
    if any(p.covers(prefix) for p in patterns):
        return {}
    if not patterns:
        return dict(NOTHING)
    clauses = [_pattern_clause(p) for p in patterns]
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


def listing_clause(grant: Grant | None, conditions: Sequence[MatchCondition]) -> dict[str, Any]:
    """:func:`read_clause` for a ``list_namespaces`` op (its first prefix condition)."""
    prefix: tuple[str | None, ...] = ()
    for condition in conditions:
        if condition.match_type == "prefix":
            prefix = tuple(None if label == "*" else label for label in condition.path)
            break
    return read_clause(grant, prefix)


def principal_from_run() -> Principal:
    """The principal of the current LangGraph run: ``config["configurable"]`` keys
    :data:`~langgraph_genesis_memory.access.PRINCIPAL_KEYS`, overridden by the run context's
    fields of the same names (``context=`` of ``invoke``, as the memory tools read them); empty
    outside a run."""
    try:
        config = get_config()
    except RuntimeError:  # not inside a runnable context
        return Principal()
    configurable = dict(config.get("configurable") or {})
    context = getattr(configurable.get(_RUNTIME_KEY), "context", None)
    if context is not None:
        for key in PRINCIPAL_KEYS:
            value = (
                context.get(key) if isinstance(context, Mapping) else getattr(context, key, None)
            )
            if value not in (None, ""):
                configurable[key] = value
    return Principal.from_config({"configurable": configurable})


def require_admin(store: Any, what: str) -> None:
    """Refuse an administrative call (``purge``, ``list_audit``, ``as_principal``) made through
    a principal's view, or by a store with a policy inside a run that names a principal.

    Raises:
        AccessDeniedError: In those cases.
    """
    principal = getattr(store, "_principal", None)
    if principal is None and getattr(store, "access_policy", None) is not None:
        from_run = principal_from_run()
        principal = None if from_run.empty else from_run
    if principal is not None:
        raise AccessDeniedError(
            f"{what} is an administrative operation: {principal.describe()} may not call it. "
            "Call it outside any principal's view or run (a store without access=, on the "
            "same client, will do).",
            principal,
            "admin",
        )


class AccessControl:
    """The access-control part of ``GenesisStore``: resolving the acting principal and views.

    A store holds ``access_policy`` (``None``: no policy, everything allowed) and, on a view
    made by :meth:`as_principal`, a fixed ``_principal``; without one the principal comes from
    the run's configuration.
    """

    access_policy: AccessPolicy | None = None
    _principal: Principal | None = None

    @property
    def principal(self) -> Principal | None:
        """The principal this view acts as (``None``: the store itself, principal per run)."""
        return self._principal

    def _grant(self) -> Grant | None:
        """The policy resolved for the acting principal (``None`` without a policy).

        Raises:
            AccessDeniedError: If the store has a policy and no principal is given (neither a
                view's nor the run's ``configurable`` ids).
        """
        policy = self.access_policy
        if policy is None:
            return None
        principal = self._principal if self._principal is not None else principal_from_run()
        if principal.empty:
            raise AccessDeniedError(
                "Access denied: this store has an access policy and the op has no principal. "
                "Use store.as_principal(agent_id=..., tenant_id=..., user_id=...), or run the "
                "graph with config={'configurable': {'agent_id': ..., 'tenant_id': ..., "
                "'user_id': ...}}."
            )
        return policy.grant(principal)

    def as_principal(
        self,
        *,
        agent_id: str | None = None,
        tenant_id: str | None = None,
        user_id: str | None = None,
    ) -> Self:
        """A view of this store acting as one principal under the store's access policy.

        The view shares the store's clients, indexes and configuration (no I/O, nothing
        opened) and is itself a ``GenesisStore`` (a LangGraph ``BaseStore``), usable as a
        graph's ``store=`` or given to tools: every op of every ``batch``/``abatch`` (and so
        ``get``, ``put``, ``search``...) is checked against the policy for this principal,
        whatever the run's configuration says.

        Args:
            agent_id: The acting agent.
            tenant_id: The tenant served.
            user_id: The user served.

        Returns:
            The view.

        Raises:
            ConfigurationError: If the store has no access policy (build it with ``access=``),
                or no id is given.
            AccessDeniedError: When called on a view, or inside a run whose configuration names
                a principal: a principal cannot make itself another one (make views where the
                graph is built, not in its nodes).

        Example:
            >>> qa = store.as_principal(agent_id="qa_agent")  # doctest: +SKIP
            >>> qa.put(("agent", "qa"), "tip", {"text": "..."})  # doctest: +SKIP
        """
        if self.access_policy is None:
            raise ConfigurationError(
                "as_principal() needs a store with an access policy: "
                "GenesisStore(..., access=AccessPolicy(...))."
            )
        require_admin(self, "as_principal()")
        principal = Principal(agent_id=agent_id, tenant_id=tenant_id, user_id=user_id)
        if principal.empty:
            raise ConfigurationError("as_principal() needs agent_id, tenant_id or user_id.")
        view = copy.copy(self)
        view._principal = principal
        return view
