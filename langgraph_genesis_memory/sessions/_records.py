"""A session's stored value and how it changes: tasks, critical facts, agents, messages (pure).

A session value is a JSON dict stored at ``sessions_namespace(tenant)`` under the session id
(see :mod:`langgraph_genesis_memory.sessions._layout`); these functions build and change it in
memory, and the plans of :mod:`langgraph_genesis_memory.sessions._plans` read and write it with
a compare-and-set on its ``sync_version``. Its fields:

* ``session_id``, ``tenant_id``, ``user_id``, ``status`` (``"active"``/``"ended"``),
  ``started_at``, ``updated_at``, ``ended_at``, ``end_reason``, ``resumed_count``;
* ``agents``, ``current_agent``, ``previous_agent``, ``handoff_count``, ``last_handoff``;
* ``tasks`` (dicts: ``id``, ``description``, ``status``, ``owner``, times);
* ``critical_facts``: a key -> value mapping (a list of strings is accepted everywhere and
  stored under ``fact_1``, ``fact_2``...);
* ``conversation``: ``message_count``, ``counts`` by role and ``history`` (the latest
  messages, at most ``max_history`` and within the manager's token budget);
* ``thread``: the messages queued for the checkpointer's thread (:mod:`._thread`);
* ``initial_context``, ``metadata``, ``short_term_ttl`` (``{"minutes": m}``: the sliding TTL
  of the session's short-term memory, ``m`` ``None`` for never; ``None``: the manager's);
* ``sync_version``: the revision, +1 on every write (compare-and-set).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from langgraph_genesis_memory.errors import InvalidArgumentError
from langgraph_genesis_memory.sessions._layout import HANDOFF_KEY
from langgraph_genesis_memory.store._validation import validate_value

Facts = Mapping[str, Any] | Sequence[str]
"""Critical facts as given by a caller: a key -> value mapping, or a list of sentences."""

ROLES = {"user": "user", "human": "user", "assistant": "assistant", "ai": "assistant",
         "system": "system"}  # fmt: skip
"""Accepted message roles (and aliases) -> the stored role."""


def now_iso() -> str:
    """The current UTC time as an ISO 8601 string (microseconds)."""
    return datetime.now(UTC).isoformat()


def unique(items: Iterable[str]) -> list[str]:
    """Non-blank strings, stripped, without repeats, in first-seen order."""
    seen: dict[str, None] = {}
    for item in items:
        if isinstance(item, str) and item.strip():
            seen.setdefault(item.strip(), None)
    return list(seen)


# -- critical facts ------------------------------------------------------------------------------
def check_facts(facts: object, what: str = "critical_facts") -> dict[str, Any] | list[str]:
    """Validate critical facts before any I/O.

    Args:
        facts: ``None``, a mapping of non-empty string keys to JSON-like values, or a list (or
            tuple) of strings.
        what: The argument's name in messages.

    Returns:
        A plain dict or a list of stripped, non-blank strings.

    Raises:
        InvalidArgumentError: If ``facts`` has another shape.
        InvalidValueError: If a value is outside the store's value domain.
    """
    if facts is None:
        return []
    if isinstance(facts, Mapping):
        plain = {}
        for key, value in facts.items():
            if not isinstance(key, str) or not key.strip():
                raise InvalidArgumentError(
                    f"{what} keys must be non-empty strings; got {key!r:.80}."
                )
            plain[key.strip()] = value
        validate_value({what: plain})
        return plain
    if isinstance(facts, list | tuple) and all(isinstance(f, str) for f in facts):
        return unique(facts)
    raise InvalidArgumentError(
        f"{what} must be a mapping of name -> value (e.g. {{'user_role': 'admin'}}) or a list "
        f"of sentences; got {facts!r:.80}."
    )


def merge_facts(existing: Mapping[str, Any] | Sequence[str] | None, new: object) -> dict[str, Any]:
    """Merge ``new`` facts into ``existing`` ones (both in any accepted shape).

    A mapping's keys overwrite the same keys. A sentence already present as a value is skipped;
    others get the next key ``fact_<n>`` (after the highest ``n`` in use). A stored list (from
    an older version) becomes ``fact_1``, ``fact_2``...

    Returns:
        The merged mapping (a new dict).
    """
    merged: dict[str, Any] = {}
    for source in (existing, new):
        checked = check_facts(source)
        if isinstance(checked, dict):
            merged.update(checked)
            continue
        present = {v for v in merged.values() if isinstance(v, str)}
        numbers = [int(k[5:]) for k in merged if k.startswith("fact_") and k[5:].isdigit()]
        n = max(numbers, default=0)
        for sentence in checked:
            if sentence in present:
                continue
            n += 1
            while f"fact_{n}" in merged:
                n += 1
            merged[f"fact_{n}"] = sentence
            present.add(sentence)
    return merged


def fact_lines(facts: Mapping[str, Any] | Sequence[str] | None) -> list[str]:
    """Facts as lines for a prompt: ``"key: value"``, or the sentence for ``fact_<n>`` keys."""
    if not facts:
        return []
    if not isinstance(facts, Mapping):
        return [str(f) for f in facts]
    lines = []
    for key, value in facts.items():
        anonymous = key.startswith("fact_") and key[5:].isdigit()
        lines.append(str(value) if anonymous else f"{key}: {value}")
    return lines


# -- tasks -----------------------------------------------------------------------------------------
def _task(description: str, now: str, owner: str | None = None) -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex[:8],
        "description": description,
        "status": "pending",
        "owner": owner,
        "created_at": now,
        "completed_at": None,
    }


def add_tasks(
    session: dict[str, Any], descriptions: Iterable[str], owner: str | None = None
) -> None:
    """Add pending tasks to a session value, skipping ones already listed as pending."""
    now = now_iso()
    pending = {t["description"] for t in session["tasks"] if t["status"] == "pending"}
    for description in unique(descriptions):
        if description not in pending:
            session["tasks"].append(_task(description, now, owner))
            pending.add(description)


def add_facts(session: dict[str, Any], facts: object) -> None:
    """Merge critical facts into a session value (see :func:`merge_facts`)."""
    session["critical_facts"] = merge_facts(session.get("critical_facts"), facts)


def complete_tasks(session: dict[str, Any], ids_or_descriptions: Iterable[str]) -> list[str]:
    """Mark tasks completed by id or exact description; return the ids completed."""
    wanted = set(ids_or_descriptions)
    done: list[str] = []
    now = now_iso()
    for task in session["tasks"]:
        if task["status"] == "pending" and (task["id"] in wanted or task["description"] in wanted):
            task["status"] = "completed"
            task["completed_at"] = now
            done.append(task["id"])
    return done


def pending_descriptions(session: Mapping[str, Any]) -> list[str]:
    """Descriptions of the session's pending tasks, in order."""
    return [t["description"] for t in session.get("tasks", []) if t.get("status") == "pending"]


# -- messages --------------------------------------------------------------------------------------
def new_message(
    role: object,
    content: object,
    *,
    name: object = None,
    metadata: object = None,
) -> dict[str, Any]:
    """Validate a message given to ``add_message`` and build its stored form (before any I/O).

    Args:
        role: ``"user"``, ``"assistant"`` or ``"system"`` (``"human"``/``"ai"`` accepted).
        content: The text (a non-empty string).
        name: The agent or user name (optional).
        metadata: JSON-like metadata (optional).

    Returns:
        ``{"id", "role", "content", "timestamp"}`` plus ``name`` and ``metadata`` when given.

    Raises:
        InvalidArgumentError: For an unknown role, empty content or a bad name.
        InvalidValueError: If ``metadata`` is not a dict of JSON-like data.
    """
    if not isinstance(role, str) or role.lower() not in ROLES:
        raise InvalidArgumentError(
            f"role must be one of user, assistant, system (or human, ai); got {role!r:.80}."
        )
    if not isinstance(content, str) or not content.strip():
        raise InvalidArgumentError(f"content must be a non-empty string; got {content!r:.80}.")
    message: dict[str, Any] = {
        "id": f"genesis-{uuid.uuid4().hex}",
        "role": ROLES[role.lower()],
        "content": content,
        "timestamp": now_iso(),
    }
    if name is not None:
        if not isinstance(name, str) or not name.strip():
            raise InvalidArgumentError(f"name must be a non-empty string; got {name!r:.80}.")
        message["name"] = name
    if metadata is not None:
        message["metadata"] = validate_value(metadata)
    return message


def to_langchain(message: Mapping[str, Any]) -> BaseMessage:
    """The LangChain message of a stored message (same ``id``; metadata and a handoff record in
    ``additional_kwargs``)."""
    kwargs: dict[str, Any] = {}
    if message.get("metadata"):
        kwargs["metadata"] = dict(message["metadata"])
    if message.get("handoff"):
        kwargs[HANDOFF_KEY] = dict(message["handoff"])
    common: dict[str, Any] = {
        "content": message["content"],
        "id": message["id"],
        "additional_kwargs": kwargs,
    }
    if message["role"] == "user":
        return HumanMessage(**common, name=message.get("name"))
    if message["role"] == "assistant":
        return AIMessage(**common, name=message.get("name"))
    return SystemMessage(**common)


def count_roles(messages: Iterable[BaseMessage]) -> dict[str, int]:
    """Messages by role: ``user``, ``assistant``, ``system``, ``tool``."""
    counts = {"user": 0, "assistant": 0, "system": 0, "tool": 0}
    names = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}
    for message in messages:
        role = names.get(message.type)
        if role is not None:
            counts[role] += 1
    return counts


def conversation_summary(total: int, counts: Mapping[str, int]) -> str:
    """``"15 messages (8 from user, 7 from assistant)"`` (system and tool counts when any)."""
    parts = [f"{counts.get('user', 0)} from user", f"{counts.get('assistant', 0)} from assistant"]
    parts += [f"{counts[r]} {r}" for r in ("system", "tool") if counts.get(r)]
    return f"{total} message{'' if total == 1 else 's'} ({', '.join(parts)})"


# -- the session value -----------------------------------------------------------------------------
def empty_conversation() -> dict[str, Any]:
    """The ``conversation`` field of a new session."""
    return {"message_count": 0, "counts": {"user": 0, "assistant": 0, "system": 0, "tool": 0},
            "history": []}  # fmt: skip


def new_session(
    tenant: str,
    session_id: str,
    *,
    user_id: str | None = None,
    agents: Sequence[str] = (),
    tasks: Sequence[str] = (),
    critical_facts: object = None,
    metadata: Mapping[str, Any] | None = None,
    initial_context: Mapping[str, Any] | None = None,
    short_term_ttl: Mapping[str, float | None] | None = None,
) -> dict[str, Any]:
    """The stored value of a new, active session (``sync_version`` 0: not written yet)."""
    now = now_iso()
    session: dict[str, Any] = {
        "session_id": session_id,
        "tenant_id": tenant,
        "user_id": user_id,
        "status": "active",
        "started_at": now,
        "updated_at": now,
        "ended_at": None,
        "end_reason": None,
        "resumed_count": 0,
        "agents": unique(agents),
        "current_agent": None,
        "previous_agent": None,
        "handoff_count": 0,
        "last_handoff": None,
        "tasks": [],
        "critical_facts": {},
        "conversation": empty_conversation(),
        "thread": None,
        "initial_context": dict(initial_context or {}),
        "metadata": dict(metadata or {}),
        "short_term_ttl": None if short_term_ttl is None else dict(short_term_ttl),
        "sync_version": 0,
    }
    add_tasks(session, tasks)
    add_facts(session, critical_facts)
    return session


def short_term_ttl(session: Mapping[str, Any], default: float | None) -> float | None:
    """The sliding TTL (minutes) of a session's short-term memory: its own, else ``default``."""
    own = session.get("short_term_ttl")
    return own["minutes"] if isinstance(own, Mapping) else default


def upgrade(session: Mapping[str, Any]) -> dict[str, Any]:
    """A session value in the current shape (values written by earlier versions lack fields and
    keep critical facts as a list)."""
    value = dict(session)
    value.setdefault("end_reason", None)
    value.setdefault("last_handoff", None)
    value.setdefault("thread", None)
    value.setdefault("initial_context", {})
    value.setdefault("metadata", {})
    value.setdefault("short_term_ttl", None)
    value.setdefault("agents", [])
    value.setdefault("tasks", [])
    value["conversation"] = {**empty_conversation(), **dict(value.get("conversation") or {})}
    value["critical_facts"] = merge_facts(value.get("critical_facts"), None)
    value["sync_version"] = int(value.get("sync_version") or 0)
    return value


def upgrade_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A handoff record in the current shape: records written by earlier versions named the
    instructions ``instructions`` and kept critical facts as a list."""
    value = dict(record)
    if "continuation_instructions" not in value:
        value["continuation_instructions"] = value.pop("instructions", "") or ""
    value.pop("instructions", None)
    value["critical_facts"] = merge_facts(value.get("critical_facts"), None)
    return value
