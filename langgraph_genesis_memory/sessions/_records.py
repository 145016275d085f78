"""A session's stored value and how it changes: tasks, critical facts, agents (pure functions).

A session value is a JSON dict stored at ``sessions_namespace(tenant)`` under the session id
(see :mod:`langgraph_genesis_memory.sessions._layout`); these functions build and change it in
memory, and the plans of :mod:`langgraph_genesis_memory.sessions._plans` read and write it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any


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


def add_facts(session: dict[str, Any], facts: Iterable[str]) -> None:
    """Add critical facts to a session value (deduplicated, order kept)."""
    session["critical_facts"] = unique([*session["critical_facts"], *facts])


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


def new_session(
    tenant: str,
    session_id: str,
    *,
    user_id: str | None = None,
    agents: Sequence[str] = (),
    tasks: Sequence[str] = (),
    critical_facts: Sequence[str] = (),
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The stored value of a new, active session."""
    now = now_iso()
    session: dict[str, Any] = {
        "session_id": session_id,
        "tenant_id": tenant,
        "user_id": user_id,
        "status": "active",
        "started_at": now,
        "updated_at": now,
        "ended_at": None,
        "resumed_count": 0,
        "agents": unique(agents),
        "current_agent": None,
        "previous_agent": None,
        "handoff_count": 0,
        "tasks": [],
        "critical_facts": [],
        "metadata": dict(metadata or {}),
    }
    add_tasks(session, tasks)
    add_facts(session, critical_facts)
    return session
