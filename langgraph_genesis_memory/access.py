"""Access control: which agent, tenant or user may read, write or delete which namespaces.

A :class:`Principal` is who acts: an agent and/or a tenant and/or a user (ids). An
:class:`AccessPolicy` is a list of :class:`AccessRule`\\ s, each granting actions on the
namespaces matching one pattern. Once a store has a policy (``GenesisStore(access=policy)``),
everything is denied unless a rule grants it.

Actions:

* ``"read"``: ``get``, ``search`` and ``list_namespaces``;
* ``"write"``: ``put`` of a value;
* ``"delete"``: ``delete`` (a put of ``None``).

Namespace patterns are tuples of labels:

* a plain label matches itself;
* ``"*"`` matches any one label;
* a last label ``"**"`` matches any number of further labels, none included:
  ``("agent", "qa", "**")`` matches ``("agent", "qa")`` and ``("agent", "qa", "notes", "x")``;
* ``{agent_id}``, ``{tenant_id}`` and ``{user_id}`` inside a label are replaced by the
  principal's ids (made safe for labels as the session layout does: ``%`` becomes ``%25``,
  ``.`` becomes ``%2E``). A rule naming an id the principal does not have does not apply to it.
  A filled-in id is always a plain label, never a wildcard: a tenant called ``"*"`` matches
  only the label ``"*"``.

A pattern cannot match a label ``"*"`` or ``"**"`` literally except through a wildcard.

The store enforces a policy on every op (see ``docs/access-control.md``):
``store.as_principal(agent_id=..., tenant_id=..., user_id=...)`` returns a view acting as that
principal; a store with ``access=`` used directly as a graph's ``store=`` reads the principal
from the run's ``config["configurable"]`` keys :data:`PRINCIPAL_KEYS`.

Scopes: :func:`system_namespace`, :func:`tenant_namespace`, :func:`user_namespace`,
:func:`session_namespace` and :func:`agent_namespace` build the namespaces of the five context
scopes; :meth:`AccessPolicy.scoped` isolates them and :data:`SCOPE_TTL` gives their TTLs.

Example:
    >>> from langgraph_genesis_memory.access import AccessPolicy, Principal
    >>> policy = AccessPolicy.from_permissions(
    ...     {"qa_agent": [("agent", "qa"), ("system", "global")]}
    ... )
    >>> policy.allows(Principal(agent_id="qa_agent"), "write", ("agent", "qa", "notes"))
    True
    >>> policy.allows(Principal(agent_id="qa_agent"), "read", ("agent", "builder"))
    False
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from langgraph_genesis_memory.errors import ConfigurationError

__all__ = [
    "Action",
    "ACTIONS",
    "PRINCIPAL_KEYS",
    "Principal",
    "AccessRule",
    "AccessPolicy",
    "Grant",
    "SCOPE_TTL",
    "system_namespace",
    "tenant_namespace",
    "user_namespace",
    "session_namespace",
    "agent_namespace",
]

Action = Literal["read", "write", "delete"]
"""What an op does to a namespace: ``read`` (get, search, list_namespaces), ``write`` (put),
``delete`` (delete)."""

ACTIONS: tuple[Action, ...] = ("read", "write", "delete")
"""Every action, in order."""

PRINCIPAL_KEYS = ("agent_id", "tenant_id", "user_id")
"""The ``config["configurable"]`` keys naming the principal of a run."""

_TEMPLATE = re.compile(r"\{(agent_id|tenant_id|user_id)\}")


def _label(value: str) -> str:
    """An id made safe for a namespace label (as ``sessions._layout.label``)."""
    return value.replace("%", "%25").replace(".", "%2E").replace("\x00", "%00")


def _check_id(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{name} must be a non-empty string or None; got {value!r:.80}.")
    return value


@dataclass(frozen=True)
class Principal:
    """Who performs store operations: an agent, a tenant and/or a user.

    Attributes:
        agent_id: The acting agent (e.g. ``"qa_agent"``), or ``None``.
        tenant_id: The tenant the run serves, or ``None``.
        user_id: The end user the run serves, or ``None``.

    Raises:
        ConfigurationError: If an id is not a non-empty string or ``None``.
    """

    agent_id: str | None = None
    tenant_id: str | None = None
    user_id: str | None = None

    def __post_init__(self) -> None:
        for name in PRINCIPAL_KEYS:
            _check_id(getattr(self, name), name)

    @property
    def empty(self) -> bool:
        """Whether no id is set (such a principal is refused by a store with a policy)."""
        return self.agent_id is None and self.tenant_id is None and self.user_id is None

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> Principal:
        """The principal named by a run's ``config["configurable"]`` (:data:`PRINCIPAL_KEYS`).

        Args:
            config: A LangGraph ``RunnableConfig`` (or ``None``).

        Returns:
            The principal; :attr:`empty` if the configuration names none.

        Raises:
            ConfigurationError: If a key holds something other than a non-empty string.
        """
        configurable = (config or {}).get("configurable") or {}
        ids = {k: configurable.get(k) for k in PRINCIPAL_KEYS}
        return cls(**{k: (v if v != "" else None) for k, v in ids.items()})

    def describe(self) -> str:
        """A short description for messages and the audit log, e.g. ``agent=qa tenant=t1``."""
        parts = [f"{k[:-3]}={getattr(self, k)}" for k in PRINCIPAL_KEYS if getattr(self, k)]
        return " ".join(parts) or "no principal"


@dataclass(frozen=True)
class Pattern:
    """A compiled namespace pattern: labels (``None`` = any one label) and whether any number
    of further labels may follow (a trailing ``"**"``)."""

    labels: tuple[str | None, ...]
    rest: bool

    def matches(self, namespace: Sequence[str]) -> bool:
        """Whether ``namespace`` matches the pattern."""
        if len(namespace) < len(self.labels) or (
            not self.rest and len(namespace) > len(self.labels)
        ):
            return False
        return all(p is None or p == n for p, n in zip(self.labels, namespace, strict=False))

    def overlaps(self, prefix: Sequence[str | None]) -> bool:
        """Whether some namespace under ``prefix`` (``None`` labels: any) may match."""
        if not self.rest and len(prefix) > len(self.labels):
            return False
        return all(
            p is None or q is None or p == q for p, q in zip(self.labels, prefix, strict=False)
        )

    def covers(self, prefix: Sequence[str | None]) -> bool:
        """Whether every namespace under ``prefix`` (``None`` labels: any) matches."""
        if not self.rest or len(prefix) < len(self.labels):
            return False
        return all(
            p is None or (q is not None and p == q)
            for p, q in zip(self.labels, prefix, strict=False)
        )


@dataclass(frozen=True)
class AccessRule:
    """One grant: ``actions`` on the namespaces matching ``namespace``, for some principals.

    Args:
        namespace: The pattern (see the module docstring): labels, ``"*"``, a trailing
            ``"**"``, and ``{agent_id}``/``{tenant_id}``/``{user_id}`` templates.
        actions: Any of ``"read"``, ``"write"``, ``"delete"`` (default: read only).
        agent_id: If set, the rule applies only to this agent.
        tenant_id: If set, the rule applies only to this tenant.
        user_id: If set, the rule applies only to this user.

    Raises:
        ConfigurationError: For an empty or malformed pattern (``"**"`` not last, a label that
            is not a non-empty string without ``.``), an unknown action, or a bad id.
    """

    namespace: tuple[str, ...]
    actions: frozenset[Action] = frozenset({"read"})
    agent_id: str | None = None
    tenant_id: str | None = None
    user_id: str | None = None

    def __post_init__(self) -> None:
        labels = self.namespace
        if isinstance(labels, list):
            object.__setattr__(self, "namespace", labels := tuple(labels))
        if not isinstance(labels, tuple) or not labels:
            raise ConfigurationError(
                "An access rule's namespace must be a non-empty tuple of labels; got "
                f"{labels!r:.80}."
            )
        for position, label in enumerate(labels):
            if not isinstance(label, str) or not label or "." in label or "\x00" in label:
                raise ConfigurationError(
                    f"Access rule labels must be non-empty strings without '.'; got {label!r:.80}."
                )
            if label == "**" and position != len(labels) - 1:
                raise ConfigurationError(
                    f"'**' may only be the last label of a pattern; got {labels!r}."
                )
        actions = self.actions
        if isinstance(actions, str):
            actions = frozenset({actions})
        actions = frozenset(actions)
        unknown = set(actions) - set(ACTIONS)
        if unknown or not actions:
            raise ConfigurationError(
                f"Access rule actions must be a non-empty set of {ACTIONS}; got "
                f"{sorted(actions)!r}."
            )
        object.__setattr__(self, "actions", actions)
        for name in PRINCIPAL_KEYS:
            _check_id(getattr(self, name), name)

    def applies_to(self, principal: Principal) -> bool:
        """Whether the rule's principal conditions hold for ``principal``."""
        return all(
            getattr(self, k) is None or getattr(self, k) == getattr(principal, k)
            for k in PRINCIPAL_KEYS
        )

    def compile(self, principal: Principal) -> Pattern | None:
        """The pattern with the principal's ids filled in; ``None`` if the rule does not apply."""
        if not self.applies_to(principal):
            return None
        labels: list[str | None] = []
        body = self.namespace[:-1] if self.namespace[-1] == "**" else self.namespace
        for label in body:
            if label == "*":
                labels.append(None)
                continue
            missing = False

            def fill(match: re.Match[str]) -> str:
                nonlocal missing
                value = getattr(principal, match.group(1))
                if value is None:
                    missing = True
                    return ""
                return _label(value)

            filled = _TEMPLATE.sub(fill, label)
            if missing:
                return None
            labels.append(filled)
        return Pattern(tuple(labels), self.namespace[-1] == "**")


@dataclass(frozen=True)
class Grant:
    """A policy resolved for one principal: the patterns of each action (hashable).

    Attributes:
        principal: Who acts.
        read, write, delete: The compiled patterns granting each action.
    """

    principal: Principal
    read: tuple[Pattern, ...] = ()
    write: tuple[Pattern, ...] = ()
    delete: tuple[Pattern, ...] = ()
    _decisions: dict[tuple[str, tuple[str, ...]], bool] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def allows(self, action: Action, namespace: Sequence[str]) -> bool:
        """Whether the principal may perform ``action`` on ``namespace`` (remembered per
        namespace: a batch's ops mostly share a few)."""
        key = (action, tuple(namespace))
        decision = self._decisions.get(key)
        if decision is None:
            patterns: tuple[Pattern, ...] = getattr(self, action)
            decision = any(p.matches(key[1]) for p in patterns)
            if len(self._decisions) >= _MAX_DECISIONS:
                self._decisions.clear()
            self._decisions[key] = decision
        return decision


@dataclass(frozen=True)
class AccessPolicy:
    """Which principal may do what in which namespaces; everything else is denied.

    Args:
        rules: The grants (:class:`AccessRule`); order does not matter (rules only add).

    Combine policies with ``|`` (the union of their rules).

    Example:
        >>> from langgraph_genesis_memory.access import AccessPolicy, AccessRule
        >>> policy = AccessPolicy(
        ...     [AccessRule(("tenant", "{tenant_id}", "**"), frozenset({"read", "write"}))]
        ... )
    """

    rules: tuple[AccessRule, ...] = field(default_factory=tuple)
    _grants: dict[Principal, Grant] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        rules = tuple(self.rules)
        if not all(isinstance(r, AccessRule) for r in rules):
            raise ConfigurationError("AccessPolicy rules must be AccessRule objects.")
        object.__setattr__(self, "rules", rules)

    def __or__(self, other: AccessPolicy) -> AccessPolicy:
        """The union of two policies' rules."""
        return AccessPolicy(self.rules + other.rules)

    @classmethod
    def from_permissions(
        cls,
        permissions: Mapping[str, Iterable[Sequence[str]]],
        *,
        actions: Iterable[Action] = ("read", "write"),
    ) -> AccessPolicy:
        """A policy from an agent -> allowed namespaces map (the ``AGENT_PERMISSIONS`` shape).

        Each agent may read and write (by default; not delete) every namespace at or under
        each listed namespace: ``("agent", "qa")`` becomes the pattern ``("agent", "qa", "**")``.
        Listed namespaces may use ``"*"`` and the ``{tenant_id}``/``{user_id}`` templates.

        Args:
            permissions: e.g. ``{"qa_agent": [("agent", "qa"), ("system", "global")]}``.
            actions: The actions granted (add ``"delete"`` to let agents delete).

        Returns:
            The policy.

        Raises:
            ConfigurationError: For a malformed map.
        """
        if not isinstance(permissions, Mapping):
            raise ConfigurationError("permissions must map agent ids to lists of namespaces.")
        granted = frozenset(actions)
        rules = []
        for agent, namespaces in permissions.items():
            for namespace in namespaces:
                if isinstance(namespace, str):
                    raise ConfigurationError(
                        f"Namespaces of {agent!r} must be tuples of labels; got {namespace!r}."
                    )
                labels = tuple(namespace)
                if not labels or labels[-1] != "**":
                    labels += ("**",)
                rules.append(AccessRule(labels, granted, agent_id=agent))
        return cls(tuple(rules))

    @classmethod
    def scoped(cls, *, agent_delete: bool = False) -> AccessPolicy:
        """The default isolation of the five scopes (see :func:`tenant_namespace` and others).

        * global ``("system", ...)``: read by every principal; written by none (write it with a
          store without a policy);
        * tenant ``("business", tenant_id, ...)`` (sessions and handoffs live here) and session
          ``("short_term", tenant_id, ...)``: read, write, delete by principals of that tenant;
        * the session manager's directory ``("business", "%sessions")`` (session id -> tenant):
          read and write by every principal (so sessions can be started and found
          by id; it reveals session ids and their tenants' names, nothing of their content);
        * user ``("user", tenant_id, user_id, ...)``: read, write, delete by that user of that
          tenant only;
        * agent ``("agent", agent_id, ...)``: read and write (and delete with
          ``agent_delete=True``) by that agent only.

        Returns:
            The policy; combine it with others with ``|``.
        """
        rwd: frozenset[Action] = frozenset({"read", "write", "delete"})
        agent: frozenset[Action] = rwd if agent_delete else frozenset({"read", "write"})
        return cls(
            (
                AccessRule(("system", "**")),
                AccessRule(("business", "{tenant_id}", "**"), rwd),
                AccessRule(("business", "%sessions"), frozenset({"read", "write"})),
                AccessRule(("short_term", "{tenant_id}", "**"), rwd),
                AccessRule(("user", "{tenant_id}", "{user_id}", "**"), rwd),
                AccessRule(("agent", "{agent_id}", "**"), agent),
            )
        )

    def grant(self, principal: Principal) -> Grant:
        """The policy resolved for ``principal`` (cached per principal)."""
        grant = self._grants.get(principal)
        if grant is None:
            if len(self._grants) >= _MAX_CACHED_GRANTS:
                self._grants.clear()
            grant = self._grants[principal] = _grant(self.rules, principal)
        return grant

    def allows(self, principal: Principal, action: Action, namespace: Sequence[str]) -> bool:
        """Whether ``principal`` may perform ``action`` on ``namespace``.

        Args:
            principal: Who acts.
            action: ``"read"``, ``"write"`` or ``"delete"``.
            namespace: The namespace (tuple of labels).

        Returns:
            ``True`` if some rule grants it (an empty principal is never granted anything).
        """
        return self.grant(principal).allows(action, tuple(namespace))


_MAX_CACHED_GRANTS = 4096
_MAX_DECISIONS = 4096


def _grant(rules: tuple[AccessRule, ...], principal: Principal) -> Grant:
    by_action: dict[str, list[Pattern]] = {a: [] for a in ACTIONS}
    if not principal.empty:
        for rule in rules:
            pattern = rule.compile(principal)
            if pattern is not None:
                for action in rule.actions:
                    if pattern not in by_action[action]:
                        by_action[action].append(pattern)
    return Grant(principal, *(tuple(by_action[a]) for a in ACTIONS))


# -- scopes --------------------------------------------------------------------------------------
SCOPE_TTL: Mapping[str, str] = MappingProxyType(
    {
        "system": "permanent",  # global: configuration, schemas: never expires
        "business": "long_term",  # tenant: 180 days
        "user": "long_term",  # user: 180 days
        "short_term": "session",  # session: 24 hours
        "agent": "short_term",  # agent: 30 days
    }
)
"""The TTL of each scope, by the first label of its namespaces, as memory-layer names
(``MEMORY_LAYERS``: ``permanent`` never expires, ``long_term`` 259,200 minutes (180 days),
``session`` 1,440 (24 hours), ``short_term`` 43,200 (30 days)). Pass it as
``GenesisStore(namespace_ttl=SCOPE_TTL)``; the store's defaults already cover every label but
``user``."""


def _ids(*ids: object) -> list[str]:
    out = []
    for value in ids:
        if not isinstance(value, str) or not value:
            raise ConfigurationError(f"Scope ids must be non-empty strings; got {value!r:.80}.")
        out.append(_label(value))
    return out


def system_namespace(*labels: str) -> tuple[str, ...]:
    """Global scope: ``("system", *labels)`` (read by everyone under :meth:`AccessPolicy.scoped`;
    never expires)."""
    return ("system", *labels)


def tenant_namespace(tenant_id: str, *labels: str) -> tuple[str, ...]:
    """Tenant scope: ``("business", tenant_id, *labels)`` (the tenant's shared context, where its
    sessions and handoffs live; 180 days).

    Raises:
        ConfigurationError: If ``tenant_id`` is not a non-empty string.
    """
    return ("business", *_ids(tenant_id), *labels)


def user_namespace(tenant_id: str, user_id: str, *labels: str) -> tuple[str, ...]:
    """User scope: ``("user", tenant_id, user_id, *labels)`` (one user's memories; 180 days).

    Raises:
        ConfigurationError: If an id is not a non-empty string.
    """
    return ("user", *_ids(tenant_id, user_id), *labels)


def session_namespace(tenant_id: str, session_id: str, *labels: str) -> tuple[str, ...]:
    """Session scope: ``("short_term", tenant_id, session_id, *labels)`` (the session's
    short-term memory, as the session manager lays it out; 24 hours).

    Raises:
        ConfigurationError: If an id is not a non-empty string.
    """
    return ("short_term", *_ids(tenant_id, session_id), *labels)


def agent_namespace(agent_id: str, *labels: str) -> tuple[str, ...]:
    """Agent scope: ``("agent", agent_id, *labels)`` (one agent's learned knowledge, shared by
    the agent across tenants as in the seed's ``("agent", "qa")``; 30 days).

    Raises:
        ConfigurationError: If ``agent_id`` is not a non-empty string.
    """
    return ("agent", *_ids(agent_id), *labels)
