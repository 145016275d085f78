"""Tenant isolation of threads: a thread belongs to the tenant that created it.

With ``GenesisSaver(access=policy)`` every call must carry the tenant in
``config["configurable"]["tenant_id"]`` (the key the store's policy and the ``SessionManager``
read). Every checkpoint records its tenant in its metadata (``tenant_id``, as LangGraph copies
``configurable`` keys there), and:

* ``get_tuple`` returns a checkpoint only to its tenant (it is read, then refused);
* ``list`` lists only the tenant's checkpoints (``tenant_id`` joins the metadata filter);
* ``put`` and ``put_writes`` write only to threads that are new or the tenant's. The owner of
  a thread is remembered once read or written by this saver (LangGraph reads a thread before
  writing to it), so checking costs a MongoDB read only for a thread this process has not met.

Refusals raise :class:`~langgraph_genesis_memory.errors.AccessDeniedError` before anything is
returned or written.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import CheckpointTuple

from langgraph_genesis_memory._mongo import Find
from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory.errors import AccessDeniedError

TENANT_KEY = "tenant_id"
_MAX_OWNERS = 100_000


def config_tenant(config: RunnableConfig | Mapping[str, Any] | None) -> str:
    """The tenant named by ``config["configurable"]["tenant_id"]``.

    Raises:
        AccessDeniedError: If there is none (or it is not a non-empty string).
    """
    tenant = ((config or {}).get("configurable") or {}).get(TENANT_KEY)
    if not isinstance(tenant, str) or not tenant:
        raise AccessDeniedError(
            "Access denied: this GenesisSaver isolates tenants and the call names none; run "
            "the graph with config={'configurable': {'thread_id': ..., 'tenant_id': ...}}.",
            None,
            "read",
        )
    return tenant


def thread_of(config: RunnableConfig) -> str:
    """The ``thread_id`` of a config (as a string)."""
    return str((config.get("configurable") or {}).get("thread_id"))


def _denied(tenant: str, thread: str, action: str) -> AccessDeniedError:
    return AccessDeniedError(
        f"Access denied: thread {thread!r} belongs to another tenant than {tenant!r}.",
        None,
        action,
    )


class ThreadOwners:
    """The tenants of threads met by one saver (bounded; oldest forgotten first)."""

    def __init__(self) -> None:
        self._owners: OrderedDict[str, str] = OrderedDict()

    def record(self, thread: str, tenant: str) -> None:
        """Remember that ``thread`` belongs to ``tenant``."""
        self._owners[thread] = tenant
        self._owners.move_to_end(thread)
        while len(self._owners) > _MAX_OWNERS:
            self._owners.popitem(last=False)

    def forget(self, threads: Any = None) -> None:
        """Forget some threads (``None``: all), e.g. after deleting them."""
        if threads is None:
            self._owners.clear()
        else:
            for thread in threads:
                self._owners.pop(str(thread), None)

    def checked_read(self, tenant: str, found: CheckpointTuple | None) -> CheckpointTuple | None:
        """Return ``found`` if it is the tenant's (and remember its owner).

        Raises:
            AccessDeniedError: If it is another tenant's.
        """
        if found is None:
            return None
        owner = (found.metadata or {}).get(TENANT_KEY)
        thread = thread_of(found.config)
        if owner != tenant:
            raise _denied(tenant, thread, "read")
        self.record(thread, tenant)
        return found

    def plan_check_write(self, tenant: str, thread: str, checkpoints: str) -> Plan[None]:
        """Refuse a write to another tenant's thread (reads the owner if not known yet).

        Raises:
            AccessDeniedError: If the thread exists and is another tenant's.
        """
        owner = self._owners.get(thread)
        if owner is None:
            docs = yield Find(
                {"kind": "checkpoint", "thread_id": thread},
                {"metadata": 1},
                limit=1,
                collection=checkpoints,
            )
            owner = (docs[0].get("metadata") or {}).get(TENANT_KEY) if docs else tenant
        if owner != tenant:
            raise _denied(tenant, thread, "write")
        self.record(thread, tenant)
        return None
