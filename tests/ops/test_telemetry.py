"""OpenTelemetry spans and metrics, recorded with the SDK's in-memory exporters."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pymongo import MongoClient

from langgraph_genesis_memory import DatabaseUnavailableError, GenesisSaver, GenesisStore, _mongo
from langgraph_genesis_memory.telemetry import (
    METRIC_NAMES,
    instrument,
    is_instrumented,
    uninstrument,
)
from tests.ops.conftest import build_graph


@pytest.fixture
def otel() -> Iterator[tuple[InMemorySpanExporter, InMemoryMetricReader]]:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    instrument(tracer_provider=tracer_provider, meter_provider=MeterProvider([reader]))
    try:
        yield spans, reader
    finally:
        uninstrument()


def _metrics(reader: InMemoryMetricReader) -> dict[str, Any]:
    data = reader.get_metrics_data()
    found: dict[str, Any] = {}
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                found[metric.name] = metric.data.data_points
    return found


def test_store_batches_and_saver_calls_make_spans_and_metrics(
    otel: tuple[InMemorySpanExporter, InMemoryMetricReader],
    store: GenesisStore,
    saver: GenesisSaver,
) -> None:
    spans, reader = otel
    store.put(("agent", "qa"), "tea", {"text": "green tea"})
    assert store.get(("agent", "qa"), "tea") is not None
    assert store.get(("agent", "qa"), "nope") is None
    store.search(("agent",), query="tea")
    store.put(("short_term", "t"), "x", {"v": 1}, ttl=0.0001)  # 6 ms
    time.sleep(0.05)
    store.sweep()
    build_graph(saver).invoke({"count": 0, "notes": []}, {"configurable": {"thread_id": "t"}})
    list(saver.list({"configurable": {"thread_id": "t"}}))

    finished = spans.get_finished_spans()
    batches = [s for s in finished if s.name == "genesis_memory.store.batch"]
    assert len(batches) == 5
    put, hit, miss, ranked = (dict(s.attributes or {}) for s in batches[:4])
    assert put["genesis_memory.ops.put"] == 1 and put["genesis_memory.bytes_written"] > 0
    assert put["genesis_memory.namespace.first_labels"] == ("agent",)
    assert put["genesis_memory.mongodb.round_trips"] >= 1
    assert put["db.system"] == "mongodb" and put["db.namespace"] == store.database
    assert (hit["genesis_memory.hits"], hit["genesis_memory.misses"]) == (1, 0)
    assert (miss["genesis_memory.hits"], miss["genesis_memory.misses"]) == (0, 1)
    assert ranked["genesis_memory.search.mode"] == "hybrid"
    assert ranked["genesis_memory.search.results"] == 1
    assert ranked["genesis_memory.stage.mongodb_ms"] > 0
    sweep = next(s for s in finished if s.name == "genesis_memory.store.sweep")
    assert dict(sweep.attributes or {})["genesis_memory.items_swept"] == 1
    names = {s.name for s in finished}
    for call in ("put", "put_writes", "get_tuple", "list"):
        assert f"genesis_memory.checkpoint.{call}" in names
    put_span = next(s for s in finished if s.name == "genesis_memory.checkpoint.put")
    assert dict(put_span.attributes or {})["genesis_memory.thread_id"] == "t"

    metrics = _metrics(reader)
    for name in ("duration", "hits", "misses", "bytes_written", "items_swept", "round_trips"):
        assert METRIC_NAMES[name] in metrics, name
    assert sum(p.value for p in metrics[METRIC_NAMES["hits"]]) == 1
    assert sum(p.value for p in metrics[METRIC_NAMES["misses"]]) == 1
    durations = metrics[METRIC_NAMES["duration"]]
    operations = {dict(p.attributes)["genesis_memory.operation"] for p in durations}
    assert {"batch", "sweep", "put", "get_tuple"} <= operations


async def test_async_calls_make_spans(
    otel: tuple[InMemorySpanExporter, InMemoryMetricReader], astore: GenesisStore
) -> None:
    spans, _ = otel
    await astore.aput(("agent",), "a", {"text": "one"})
    assert await astore.aget(("agent",), "a") is not None
    batches = [s for s in spans.get_finished_spans() if s.name == "genesis_memory.store.batch"]
    assert len(batches) == 2
    assert dict(batches[1].attributes or {})["genesis_memory.hits"] == 1


def test_failures_are_recorded_and_uninstrument_restores_everything(
    otel: tuple[InMemorySpanExporter, InMemoryMetricReader], mongo_client: MongoClient
) -> None:
    spans, _ = otel
    dead: MongoClient = MongoClient(
        "mongodb://127.0.0.1:9/?directConnection=true", serverSelectionTimeoutMS=200
    )
    store = GenesisStore(client=dead, database="nowhere", timeout_ms=200)
    with pytest.raises(DatabaseUnavailableError):
        store.get(("agent",), "a")
    failed = spans.get_finished_spans()[-1]
    assert failed.status.status_code.name == "ERROR"
    dead.close()

    uninstrument()
    assert not is_instrumented() and _mongo.request_observer is None
    assert "batch" in GenesisStore.__dict__ and not hasattr(GenesisStore.batch, "__wrapped__")
    before = len(spans.get_finished_spans())
    GenesisStore(client=mongo_client, database="unused").get(("agent",), "a")
    assert len(spans.get_finished_spans()) == before


def test_nothing_is_imported_or_patched_without_instrument() -> None:
    """Our modules never import opentelemetry unless instrument() is called (other packages,
    such as langsmith, may import it by themselves when it is installed)."""
    code = """
import builtins, sys
ours = []
real = builtins.__import__
def spy(name, globals=None, *args, **kwargs):
    caller = (globals or {}).get("__name__", "")
    if name.startswith("opentelemetry") and caller.startswith("langgraph_genesis_memory"):
        ours.append(caller)
    return real(name, globals, *args, **kwargs)
builtins.__import__ = spy
import langgraph_genesis_memory as g, langgraph_genesis_memory.telemetry as t
import langgraph_genesis_memory.ops, langgraph_genesis_memory.cli.main
from langgraph_genesis_memory import _mongo
assert _mongo.request_observer is None and not t.is_instrumented()
assert not hasattr(g.GenesisStore.batch, "__wrapped__")
print(ours)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout
