"""The LangGraph ``BaseStore`` on MongoDB: :class:`GenesisStore`.

* :class:`GenesisStore`: the store (``compile(store=...)``).
* :data:`DEFAULT_NAMESPACE_TTL`: TTL policies in minutes by first namespace label.
* :class:`ReindexResult`: what :meth:`GenesisStore.reindex` did.
* :class:`PurgeReceipt`: what :meth:`GenesisStore.purge` deleted.
* :class:`AuditRecord`: one entry of :meth:`GenesisStore.list_audit`.
* :class:`GenesisSearchOp`, :class:`SearchOptions`: a LangGraph ``SearchOp`` with graph and
  time options (what ``GenesisStore.search(..., search_mode="graph", as_of=...)`` sends).
* :class:`AutoLinkConfig`: settings of automatic links (``GenesisStore(auto_links=...)``).
"""

from langgraph_genesis_memory.store._audit import AuditRecord
from langgraph_genesis_memory.store._autolink import AutoLinkConfig
from langgraph_genesis_memory.store._indexing import ReindexResult
from langgraph_genesis_memory.store._options import GenesisSearchOp, SearchOptions
from langgraph_genesis_memory.store._purge import PurgeReceipt
from langgraph_genesis_memory.store._store import GenesisStore
from langgraph_genesis_memory.store._ttl import DEFAULT_NAMESPACE_TTL

__all__ = [
    "GenesisStore",
    "DEFAULT_NAMESPACE_TTL",
    "ReindexResult",
    "PurgeReceipt",
    "AuditRecord",
    "GenesisSearchOp",
    "SearchOptions",
    "AutoLinkConfig",
]
