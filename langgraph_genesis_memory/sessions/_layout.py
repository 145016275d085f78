"""Where sessions and handoffs live in the store (namespaces, keys) and how configs name them.

Layout (``tenant`` and ``session`` are labels made safe for namespaces by :func:`label`):

============================================  ====================  ==========================
namespace                                     key                   TTL (memory layer)
============================================  ====================  ==========================
``("business", tenant, "sessions")``          session id            ``long_term`` (180 days),
                                                                    renewed on write
``("business", tenant, "handoffs", session)`` ``<time>-<id>``       ``long_term`` (audit trail)
``("business", tenant, "archive")``           session id            ``long_term``: the compact
                                                                    record of an ended session
``("business", "%sessions")``                 session id            ``long_term``: the session's
                                                                    tenant (directory)
``("short_term", tenant, session)``           ``"session"``...      ``session`` (24 hours),
                                                                    sliding while the session
                                                                    is active; ``ephemeral``
                                                                    once it ended
============================================  ====================  ==========================

A session id is the LangGraph ``thread_id`` of the conversation, so the checkpointer and the
store agree on what a session is; it is unique across tenants (the directory maps it to its
tenant). The run's ``config["configurable"]`` carries ``thread_id``, ``tenant_id`` (default
``"default"``) and ``user_id``. The directory's label ``%sessions`` cannot be a tenant's
(:func:`label` escapes ``%``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.runnables import RunnableConfig

from langgraph_genesis_memory.errors import ConfigurationError

DEFAULT_TENANT = "default"
"""Tenant used when the run's configuration names none."""

TENANT_KEY = "tenant_id"
"""``config["configurable"]`` key naming the tenant."""

USER_KEY = "user_id"
"""``config["configurable"]`` key naming the user."""

HANDOFF_KEY = "genesis_handoff"
"""``additional_kwargs`` key of the marker message that carries a handoff record."""


def label(value: object) -> str:
    """Make ``value`` a valid namespace label (no ``.``; reversible escaping with ``%``).

    Args:
        value: A tenant or session id.

    Returns:
        The label: ``%`` becomes ``%25``, ``.`` becomes ``%2E``.

    Raises:
        ConfigurationError: If ``value`` is empty or not a string.
    """
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"Expected a non-empty string id; got {value!r}.")
    return value.replace("%", "%25").replace(".", "%2E").replace("\x00", "%00")


def sessions_namespace(tenant: str) -> tuple[str, ...]:
    """Namespace of a tenant's session records: ``("business", tenant, "sessions")``.

    Args:
        tenant: The tenant id (escaped with :func:`label`).
    """
    return ("business", label(tenant), "sessions")


def handoffs_namespace(tenant: str, session_id: str) -> tuple[str, ...]:
    """Namespace of one session's handoff records: ``("business", tenant, "handoffs", session)``.

    Args:
        tenant: The tenant id.
        session_id: The session id (the ``thread_id``).
    """
    return ("business", label(tenant), "handoffs", label(session_id))


def archive_namespace(tenant: str) -> tuple[str, ...]:
    """Namespace of a tenant's archived (ended) sessions: ``("business", tenant, "archive")``.

    Args:
        tenant: The tenant id.
    """
    return ("business", label(tenant), "archive")


def directory_namespace() -> tuple[str, ...]:
    """Namespace of the session directory (session id -> tenant): ``("business", "%sessions")``."""
    return ("business", "%sessions")


def short_term_namespace(tenant: str, session_id: str) -> tuple[str, ...]:
    """Namespace of one session's short-term memory: ``("short_term", tenant, session)``
    (24 h TTL under the store's namespace policy, sliding while the session is active).

    Args:
        tenant: The tenant id.
        session_id: The session id (the ``thread_id``).
    """
    return ("short_term", label(tenant), label(session_id))


def session_from_config(config: RunnableConfig | Mapping[str, Any] | None) -> tuple[str, str]:
    """Read ``(tenant_id, session_id)`` from a run's configuration.

    Args:
        config: A LangGraph ``RunnableConfig``; ``configurable.thread_id`` is the session id.

    Returns:
        The tenant (default :data:`DEFAULT_TENANT`) and the session id.

    Raises:
        ConfigurationError: If the configuration has no ``thread_id``.
    """
    configurable = dict((config or {}).get("configurable") or {})
    thread_id = configurable.get("thread_id")
    if thread_id is None or thread_id == "":
        raise ConfigurationError(
            "The run has no thread_id: invoke the graph with "
            "config={'configurable': {'thread_id': ...}} (the session id); available "
            f"configurable keys: {sorted(k for k in configurable if not k.startswith('__'))}."
        )
    tenant = configurable.get(TENANT_KEY) or DEFAULT_TENANT
    return str(tenant), str(thread_id)
