"""Memory tools for agents: save, update, delete and search memories in the store.

Namespaces are templates filled from the run: ``("agent", "{agent_id}")`` with
``config={"configurable": {"agent_id": "qa"}}`` (or a run context, ``context={"agent_id": "qa"}``
of ``create_agent(..., context_schema=...)``) writes to ``("agent", "qa")``, so one tool serves
every agent, user or tenant. The store is found at call time (LangGraph's ``get_store()``)
unless one is given.

Two kinds of errors, kept apart:

* mistakes the model can fix (no content, an unknown memory id, a bad filter) come back to it
  as an error ``ToolMessage`` that says how to retry (a ``ToolException``, handled by the tool
  itself);
* configuration mistakes (a template key missing from the configuration, no store) raise
  :class:`~langgraph_genesis_memory.errors.ConfigurationError`, which LangGraph's ``ToolNode``
  re-raises with its default ``handle_tool_errors``: the run stops with a clear error instead of
  the model being told to fix something it cannot.
"""

import dataclasses
import json
import string
import uuid
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, StructuredTool, ToolException
from langgraph.config import get_config
from langgraph.store.base import NOT_PROVIDED, BaseStore, GetOp, NotProvided, SearchOp
from pydantic import Field

from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory.errors import ConfigurationError, InvalidFilterError
from langgraph_genesis_memory.sessions._plans import arun_plan, policy_put, run_plan
from langgraph_genesis_memory.sessions._records import now_iso
from langgraph_genesis_memory.store._filters import translate_filter
from langgraph_genesis_memory.store._ttl import resolve_ttl
from langgraph_genesis_memory.tools._store import resolve_store

Action = Literal["create", "update", "delete"]

_OWN_FIELDS = frozenset({"content", "created_at", "updated_at"})
_LANGGRAPH_KEYS = frozenset({"checkpoint_id", "checkpoint_ns", "checkpoint_map"})
_RUNTIME_KEY = "__pregel_runtime"  # where LangGraph keeps the run's Runtime in configurable


def context_values(context: Any) -> dict[str, Any]:
    """The fields of a run context (a ``Mapping``, dataclass, pydantic model or plain object).

    Args:
        context: LangGraph's ``Runtime.context`` (``context=`` of ``invoke``), or ``None``.

    Returns:
        Its public fields as a dict (empty for ``None``).
    """
    if context is None:
        return {}
    if isinstance(context, Mapping):
        return dict(context)
    if dataclasses.is_dataclass(context) and not isinstance(context, type):
        return {f.name: getattr(context, f.name) for f in dataclasses.fields(context)}
    dump = getattr(context, "model_dump", None)
    if callable(dump):
        return dict(dump())
    return {k: v for k, v in vars(context).items() if not k.startswith("_")}


def _run_values(config: Mapping[str, Any]) -> dict[str, Any]:
    """Template values of a run: ``configurable``, overridden by the run context's fields."""
    configurable = dict(config.get("configurable") or {})
    runtime = configurable.get(_RUNTIME_KEY)
    context = context_values(getattr(runtime, "context", None))
    return {**configurable, **{k: v for k, v in context.items() if v not in (None, "")}}


class NamespaceTemplate:
    """A namespace whose labels may contain ``{key}`` fields filled from the run.

    Values come from the run context (``Runtime.context``: ``context=`` of ``invoke``, typed by
    ``context_schema``) and from ``config["configurable"]``; the context wins.

    Args:
        template: A tuple of labels (or one label), e.g. ``("agent", "{agent_id}", "notes")``.

    Raises:
        ConfigurationError: If the template is empty or a label is not a string.

    Example:
        >>> NamespaceTemplate(("agent", "{agent_id}"))({"configurable": {"agent_id": "qa"}})
        ('agent', 'qa')
    """

    def __init__(self, template: tuple[str, ...] | str) -> None:
        labels = (template,) if isinstance(template, str) else tuple(template)
        if not labels or not all(isinstance(label, str) and label for label in labels):
            raise ConfigurationError(
                f"A namespace template is a non-empty tuple of non-empty strings; got {template!r}."
            )
        self.template = labels
        keys: list[str] = []
        for label in labels:
            for _, field, _, _ in string.Formatter().parse(label):
                if field is not None:
                    if not field.isidentifier():
                        raise ConfigurationError(
                            f"Template field {{{field}}} in {label!r} must be a plain name."
                        )
                    keys.append(field)
        self.keys: tuple[str, ...] = tuple(dict.fromkeys(keys))

    def __call__(self, config: RunnableConfig | Mapping[str, Any] | None = None) -> tuple[str, ...]:
        """Fill the template from the run context and ``config["configurable"]`` (default: the
        current run's configuration).

        Raises:
            ConfigurationError: If a field is missing (the message names the available keys)
                or is not a non-empty string without ``.``.
        """
        if not self.keys:
            return self.template
        if config is None:
            try:
                config = get_config()
            except RuntimeError:
                config = {}
        configurable = _run_values(config)
        missing = [key for key in self.keys if configurable.get(key) in (None, "")]
        if missing:
            available = sorted(k for k in configurable if not k.startswith("__"))
            available = [k for k in available if k not in _LANGGRAPH_KEYS]
            raise ConfigurationError(
                f"Namespace template {self.template!r} needs configurable key(s) "
                f"{', '.join(repr(k) for k in missing)}, missing from the run's configuration. "
                f"Available keys: {available or '(none)'}. Invoke the graph with "
                f"config={{'configurable': {{{', '.join(repr(k) + ': ...' for k in missing)}}}}} "
                "(or give them in the run context)."
            )
        values = {key: str(configurable[key]) for key in self.keys}
        filled = tuple(label.format(**values) for label in self.template)
        for label, value in zip(self.template, filled, strict=True):
            if "." in value or not value:
                raise ConfigurationError(
                    f"Namespace label {label!r} became {value!r}; labels cannot be empty or "
                    "contain '.'. Use configurable values without dots."
                )
        return filled


def _store(store: BaseStore | None) -> BaseStore:
    return resolve_store(store, "The memory tool has no store")


def _plan_manage(
    namespace: tuple[str, ...],
    action: str,
    content: Any,
    memory_id: str | None,
    ttl: float | None | NotProvided,
) -> Plan[str]:
    if action == "create":
        memory_id = uuid.uuid4().hex
        value = {"content": content, "created_at": now_iso()}
        yield [policy_put(namespace, memory_id, value, ttl)]
        return f"Created memory {memory_id}."
    assert memory_id is not None
    (item,) = yield [GetOp(namespace, memory_id)]
    if item is None:
        raise ToolException(
            f"No memory with id {memory_id!r}. Call the search tool to find the right id, or "
            "call this tool again with action='create' and no id to save a new memory."
        )
    if action == "delete":
        yield [policy_put(namespace, memory_id, None)]
        return f"Deleted memory {memory_id}."
    value = {**item.value, "content": content, "updated_at": now_iso()}
    yield [policy_put(namespace, memory_id, value, ttl)]
    return f"Updated memory {memory_id}."


def create_manage_memory_tool(
    namespace: tuple[str, ...] | str = ("agent", "{agent_id}"),
    *,
    instructions: str = (
        "Call it when you learn a user preference, are asked to remember something, find context "
        "worth keeping, or find that a saved memory is wrong or outdated."
    ),
    actions_permitted: Sequence[Action] = ("create", "update", "delete"),
    store: BaseStore | None = None,
    name: str = "manage_memory",
    ttl: float | str | None | NotProvided = NOT_PROVIDED,
) -> BaseTool:
    """Create a tool with which an agent creates, updates and deletes memories.

    The model calls it with ``content`` (text), ``action`` and, to update or delete, the
    memory ``id`` (from the search tool). A memory is stored as ``{"content": ...,
    "created_at", "updated_at"}`` under a new random key in the filled namespace.

    Args:
        namespace: Namespace template, filled from ``config["configurable"]`` at call time
            (see :class:`NamespaceTemplate`). Default ``("agent", "{agent_id}")`` (30-day TTL
            under the store's namespace policy).
        instructions: When to use the tool (appended to its description).
        actions_permitted: The actions the model may take.
        store: The store; default the graph's, found at call time with ``get_store()``.
        name: Tool name.
        ttl: TTL of written memories: minutes, or a memory layer's name (``"ephemeral"``,
            ``"session"``, ``"short_term"``, ``"long_term"``, ``"permanent"``; see
            :data:`~langgraph_genesis_memory.MEMORY_LAYERS`); ``None``: never expire. Default
            the store's namespace policy.

    Returns:
        A LangChain ``StructuredTool`` (sync and async) that handles model-fixable errors
        itself (``handle_tool_error=True``).

    Raises:
        ConfigurationError: Here for a bad template, empty ``actions_permitted`` or a bad
            ``ttl``; at call time for a missing template key or no store (not fed back to the
            model).

    Example:
        >>> tool = create_manage_memory_tool(("agent", "{agent_id}"))
        >>> sorted(tool.args)
        ['action', 'content', 'id']
    """
    template = NamespaceTemplate(namespace)
    minutes = ttl if isinstance(ttl, NotProvided) else resolve_ttl(ttl, "ttl")
    permitted = tuple(dict.fromkeys(actions_permitted))
    if not permitted or not set(permitted) <= {"create", "update", "delete"}:
        raise ConfigurationError(
            f"actions_permitted must be a non-empty subset of create/update/delete; "
            f"got {actions_permitted!r}."
        )
    default_action = "create" if "create" in permitted else permitted[0]
    action_type = Literal.__getitem__(permitted)  # the model sees the allowed actions

    def prepare(
        content: str | None, action: str, memory_id: str | None, config: RunnableConfig
    ) -> Plan[str]:
        namespace_ = template(config)  # configuration errors first: they are not the model's
        if action not in permitted:
            raise ToolException(
                f"Action {action!r} is not allowed here; use one of {list(permitted)}."
            )
        if action == "create" and memory_id:
            raise ToolException(
                "Do not give an id when creating a memory; call again without id, or use "
                "action='update' to change the memory with that id."
            )
        if action in ("update", "delete") and not memory_id:
            raise ToolException(
                f"action={action!r} needs the memory's id: call the search tool to find it, "
                "then call this tool again with id=<the id>."
            )
        if action in ("create", "update") and (content is None or not str(content).strip()):
            raise ToolException(
                f"action={action!r} needs non-empty content: call again with the text to remember."
            )
        return _plan_manage(namespace_, action, content, memory_id, minutes)

    def manage_memory(
        config: RunnableConfig,
        content: Annotated[str | None, Field(description="The memory's text.")] = None,
        action: Annotated[action_type, Field(description="What to do.")] = default_action,  # type: ignore[valid-type]
        id: Annotated[str | None, Field(description="Id of the memory to change.")] = None,
    ) -> str:
        return run_plan(_store(store), prepare(content, action, id, config))

    async def amanage_memory(
        config: RunnableConfig,
        content: Annotated[str | None, Field(description="The memory's text.")] = None,
        action: Annotated[action_type, Field(description="What to do.")] = default_action,  # type: ignore[valid-type]
        id: Annotated[str | None, Field(description="Id of the memory to change.")] = None,
    ) -> str:
        return await arun_plan(_store(store), prepare(content, action, id, config))

    verbs = ", ".join(permitted)
    description = (
        f"Save memories that persist across conversations ({verbs}). Give the id (from the "
        f"search tool) to update or delete; omit it to create. {instructions}"
    )
    tool = StructuredTool.from_function(
        func=manage_memory, coroutine=amanage_memory, name=name, description=description
    )
    tool.handle_tool_error = True
    return tool


def _plan_search(
    namespace: tuple[str, ...], query: str, limit: int, offset: int, filter: dict[str, Any] | None
) -> Plan[str]:
    (items,) = yield [SearchOp(namespace, filter, limit, offset, query)]
    found = []
    for item in items:
        hit: dict[str, Any] = {"id": item.key, "content": item.value.get("content", item.value)}
        extra = {k: v for k, v in item.value.items() if k not in _OWN_FIELDS}
        if extra:
            hit["metadata"] = extra
        hit["score"] = getattr(item, "score", None)
        hit["updated_at"] = item.updated_at.isoformat()
        found.append(hit)
    if not found:
        return "No memories matched. Try other words, a broader query, or no filter."
    return json.dumps(found, ensure_ascii=False, default=str)


def create_search_memory_tool(
    namespace: tuple[str, ...] | str = ("agent", "{agent_id}"),
    *,
    instructions: str = "Search before answering questions that depend on earlier conversations.",
    store: BaseStore | None = None,
    name: str = "search_memory",
    limit: int = 5,
) -> BaseTool:
    """Create a tool with which an agent searches memories (the store's search).

    With :class:`~langgraph_genesis_memory.GenesisStore` the query is matched by words
    (MongoDB text search, best first); stores with a semantic index match by meaning
    (LangGraph ``BaseStore.search`` semantics).

    Args:
        namespace: Namespace prefix template, filled from ``config["configurable"]``.
        instructions: When to use the tool (appended to its description).
        store: The store; default the graph's, found at call time with ``get_store()``.
        name: Tool name.
        limit: Default number of results (the model may ask for 1 to 50).

    Returns:
        A LangChain ``StructuredTool`` (sync and async) returning a JSON list of
        ``{"id", "content", "metadata" (the value's other fields, if any), "score",
        "updated_at"}``.

    Raises:
        ConfigurationError: Here for a bad template; at call time for a missing template key or
            no store (not fed back to the model).

    Example:
        >>> from langgraph.store.memory import InMemoryStore
        >>> store = InMemoryStore()
        >>> store.put(("agent", "qa"), "m1", {"content": "Caroline likes sunsets."})
        >>> search = create_search_memory_tool(("agent", "{agent_id}"), store=store)
        >>> search.invoke({"query": "sunsets"}, {"configurable": {"agent_id": "qa"}})[:25]
        '[{"id": "m1", "content": '
    """
    template = NamespaceTemplate(namespace)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 50:
        raise ConfigurationError(f"limit must be an integer from 1 to 50; got {limit!r}.")

    def prepare(
        query: str, limit_: int, offset: int, filter: dict[str, Any] | None, config: RunnableConfig
    ) -> Plan[str]:
        namespace_ = template(config)
        if not query or not query.strip():
            raise ToolException("The query is empty: call again with words to search for.")
        if not 1 <= limit_ <= 50 or offset < 0:
            raise ToolException("Use a limit from 1 to 50 and an offset of 0 or more.")
        if filter is not None:
            try:
                translate_filter(filter)
            except (InvalidFilterError, TypeError, ValueError) as exc:
                raise ToolException(f"{exc} Call again with a simpler filter, or none.") from exc
        return _plan_search(namespace_, query, limit_, offset, filter)

    def search_memory(
        query: Annotated[str, Field(description="What to look for.")],
        config: RunnableConfig,
        limit: Annotated[int, Field(description="How many results (1-50).")] = limit,
        offset: Annotated[int, Field(description="Results to skip (paging).")] = 0,
        filter: Annotated[
            dict[str, Any] | None, Field(description="Exact-match filter on memory fields.")
        ] = None,
    ) -> str:
        return run_plan(_store(store), prepare(query, limit, offset, filter, config))

    async def asearch_memory(
        query: Annotated[str, Field(description="What to look for.")],
        config: RunnableConfig,
        limit: Annotated[int, Field(description="How many results (1-50).")] = limit,
        offset: Annotated[int, Field(description="Results to skip (paging).")] = 0,
        filter: Annotated[
            dict[str, Any] | None, Field(description="Exact-match filter on memory fields.")
        ] = None,
    ) -> str:
        return await arun_plan(_store(store), prepare(query, limit, offset, filter, config))

    tool = StructuredTool.from_function(
        func=search_memory,
        coroutine=asearch_memory,
        name=name,
        description=f"Search saved memories. {instructions}",
    )
    tool.handle_tool_error = True
    return tool
