"""Tools for agent graphs: handoffs with context snapshots, and memory tools.

* :func:`create_handoff_tool` / :func:`create_handoff_node`: pass control to another agent and
  record the handoff (the tool's arguments: :class:`HandoffArguments`, in the terms
  ``handoff_reason``, ``critical_info``, ``continuation_instructions``, ``pending_tasks``);
  :func:`list_handoffs` audits them.
* :func:`handoff_prompt`, :func:`handoff_pre_model_hook`, :class:`HandoffContextMiddleware`:
  give the receiving agent the handoff context.
* :func:`create_manage_memory_tool`, :func:`create_search_memory_tool`: memories in namespaces
  templated from the run's configuration.
* :class:`MemoryMiddleware`: memory for ``create_agent`` agents without tools to write: recall
  before the model call, write-back after the turn.
* :class:`HandoffStateMiddleware` and :class:`HandoffAgent`: state-driven handoffs between the
  agents of one ``create_agent`` agent (the pattern LangChain's docs recommend).
"""

from langgraph_genesis_memory.tools._context import (
    HandoffContextMiddleware,
    build_handoff_messages,
    handoff_pre_model_hook,
    handoff_prompt,
)
from langgraph_genesis_memory.tools._handoff import (
    HandoffArguments,
    alist_handoffs,
    create_handoff_node,
    create_handoff_tool,
    list_handoffs,
)
from langgraph_genesis_memory.tools._handoff_state import (
    HandoffAgent,
    HandoffStateMiddleware,
)
from langgraph_genesis_memory.tools._memory import (
    NamespaceTemplate,
    create_manage_memory_tool,
    create_search_memory_tool,
)
from langgraph_genesis_memory.tools._memory_middleware import MemoryMiddleware
from langgraph_genesis_memory.tools._records import (
    HandoffContext,
    HandoffRecord,
    find_handoff,
    render_handoff,
)

__all__ = [
    "create_handoff_tool",
    "HandoffArguments",
    "create_handoff_node",
    "list_handoffs",
    "alist_handoffs",
    "handoff_prompt",
    "handoff_pre_model_hook",
    "HandoffContextMiddleware",
    "build_handoff_messages",
    "find_handoff",
    "render_handoff",
    "HandoffRecord",
    "HandoffContext",
    "NamespaceTemplate",
    "create_manage_memory_tool",
    "create_search_memory_tool",
    "MemoryMiddleware",
    "HandoffStateMiddleware",
    "HandoffAgent",
]
