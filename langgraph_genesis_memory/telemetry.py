"""Optional OpenTelemetry tracing and metrics (``pip install 'langgraph-genesis-memory[otel]'``).

Nothing is imported from ``opentelemetry`` and nothing costs anything until :func:`instrument`
is called::

    from langgraph_genesis_memory.telemetry import instrument

    instrument()  # the global TracerProvider / MeterProvider (set up by your application)

Spans (kind ``CLIENT``): ``genesis_memory.store.batch`` for every store batch (``get``, ``put``,
``search``... each is one batch), ``genesis_memory.store.sweep``, ``genesis_memory.store.reindex``,
and ``genesis_memory.checkpoint.<call>`` for the saver's ``put``, ``put_writes``, ``get_tuple``,
``list``, ``delete_thread``, ``prune``, ``sweep``, ``copy_thread``, ``delete_for_runs`` (sync and
async alike). Batch span attributes: ``genesis_memory.ops.{get,put,delete,search,
list_namespaces}`` (ops by kind), ``genesis_memory.namespace.first_labels``,
``genesis_memory.hits`` / ``misses``, ``genesis_memory.items_returned``,
``genesis_memory.bytes_written``, ``genesis_memory.search.mode`` and ``.results`` (ranked
searches), ``genesis_memory.mongodb.round_trips``, and the milliseconds of each stage
``genesis_memory.stage.{mongodb,embed,vector_query,words,index_write}_ms``; plus ``db.system``,
``db.namespace``, ``db.collection.name``.

Metrics (names in :data:`METRIC_NAMES`): ``genesis_memory.operation.duration`` (histogram, s;
attributes ``genesis_memory.component``, ``genesis_memory.operation``, ``error.type``),
``genesis_memory.store.hits`` / ``.misses``, ``genesis_memory.store.bytes_written`` (By),
``genesis_memory.store.items_swept``, ``genesis_memory.checkpoint.threads_swept``,
``genesis_memory.store.index_repairs``, ``genesis_memory.mongodb.round_trips`` (counters).
"""

from langgraph_genesis_memory._telemetry import (
    METRIC_NAMES,
    SCOPE,
    instrument,
    is_instrumented,
    uninstrument,
)

__all__ = ["instrument", "uninstrument", "is_instrumented", "METRIC_NAMES", "SCOPE"]
