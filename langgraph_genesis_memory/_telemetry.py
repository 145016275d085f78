"""OpenTelemetry instrumentation (optional): spans and metrics of the store and the saver.

Nothing here imports ``opentelemetry`` until :func:`instrument` is called, and nothing is
patched before: an application that does not call it pays nothing. :func:`instrument` wraps
``GenesisStore.batch``/``abatch`` (every ``get``/``put``/``search``... goes through them),
``sweep`` and ``reindex``, and the saver's calls, at the class level (as OpenTelemetry's
instrumentation libraries do), and sets :data:`langgraph_genesis_memory._mongo.request_observer`
so each span counts its MongoDB round trips and times its stages. :func:`uninstrument` undoes
it. See ``docs/operations.md`` for the span attributes and metric names.
"""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from langgraph_genesis_memory.errors import MissingDependencyError

SCOPE = "langgraph_genesis_memory"
"""The instrumentation scope (tracer and meter name)."""

METRIC_NAMES = {
    "duration": "genesis_memory.operation.duration",
    "hits": "genesis_memory.store.hits",
    "misses": "genesis_memory.store.misses",
    "bytes_written": "genesis_memory.store.bytes_written",
    "items_swept": "genesis_memory.store.items_swept",
    "threads_swept": "genesis_memory.checkpoint.threads_swept",
    "index_repairs": "genesis_memory.store.index_repairs",
    "round_trips": "genesis_memory.mongodb.round_trips",
}
"""The metrics recorded (see :func:`instrument`)."""

STORE_METHODS = ("batch", "abatch", "sweep", "asweep", "reindex", "areindex")
SAVER_METHODS = (
    "put", "aput", "put_writes", "aput_writes", "get_tuple", "aget_tuple", "delete_thread",
    "adelete_thread", "prune", "aprune", "sweep", "asweep", "copy_thread", "acopy_thread",
    "delete_for_runs", "adelete_for_runs",
)  # fmt: skip
SAVER_LISTS = ("list", "alist")


@dataclass
class _Tally:
    """What one span's MongoDB and service requests did."""

    round_trips: int = 0
    stages_ms: dict[str, float] = field(default_factory=dict)

    def add(self, request: Any, seconds: float) -> None:
        from langgraph_genesis_memory._mongo import Parallel

        members = request.requests if isinstance(request, Parallel) else [request]
        stages = {_stage(m) for m in members}
        self.round_trips += sum(1 for m in members if _stage(m) == "mongodb")
        for stage in stages:
            self.stages_ms[stage] = self.stages_ms.get(stage, 0.0) + seconds * 1000.0


def _stage(request: Any) -> str:
    from langgraph_genesis_memory._services import Embed, IndexQuery, RankWords, ServiceRequest

    if isinstance(request, Embed):
        return "embed"
    if isinstance(request, RankWords):
        return "words"
    if isinstance(request, IndexQuery):
        return "vector_query" if getattr(request, "index", "vectors") == "vectors" else "words"
    if isinstance(request, ServiceRequest):
        return "index_write"
    return "mongodb"


_tally: ContextVar[_Tally | None] = ContextVar("genesis_memory_tally", default=None)


def _observe(request: Any, seconds: float) -> None:
    tally = _tally.get()
    if tally is not None:
        tally.add(request, seconds)


@dataclass
class _Instruments:
    tracer: Any
    duration: Any
    hits: Any
    misses: Any
    bytes_written: Any
    items_swept: Any
    threads_swept: Any
    index_repairs: Any
    round_trips: Any
    originals: dict[tuple[type, str], Any] = field(default_factory=dict)


_active: _Instruments | None = None


def _batch_attributes(store: Any, ops: Sequence[Any]) -> dict[str, Any]:
    from langgraph.store.base import GetOp, ListNamespacesOp, PutOp, SearchOp

    kinds = {"get": 0, "put": 0, "delete": 0, "search": 0, "list_namespaces": 0}
    labels: set[str] = set()
    ranked = False
    for op in ops:
        if isinstance(op, GetOp):
            kinds["get"] += 1
        elif isinstance(op, PutOp):
            kinds["put" if op.value is not None else "delete"] += 1
        elif isinstance(op, SearchOp):
            kinds["search"] += 1
            ranked = ranked or bool(op.query)
        elif isinstance(op, ListNamespacesOp):
            kinds["list_namespaces"] += 1
        namespace = getattr(op, "namespace", None) or getattr(op, "namespace_prefix", None)
        if namespace and isinstance(namespace[0], str):
            labels.add(namespace[0])
    attributes: dict[str, Any] = {f"genesis_memory.ops.{k}": v for k, v in kinds.items()}
    attributes["genesis_memory.ops"] = len(ops)
    attributes["genesis_memory.namespace.first_labels"] = sorted(labels)
    attributes["db.system"] = "mongodb"
    attributes["db.namespace"] = str(getattr(store, "database", ""))
    attributes["db.collection.name"] = str(getattr(store, "collection_name", ""))
    if ranked:
        search = getattr(getattr(store, "_schema", None), "search", None)
        attributes["genesis_memory.search.mode"] = str(getattr(search, "mode", "unknown"))
    return attributes


def _value_bytes(ops: Sequence[Any]) -> int:
    import bson
    from langgraph.store.base import PutOp

    total = 0
    for op in ops:
        if isinstance(op, PutOp) and op.value is not None:
            try:
                total += len(bson.encode({"value": dict(op.value)}))
            except Exception:  # invalid values were refused by the batch already
                pass
    return total


def _batch_results(ops: Sequence[Any], results: Sequence[Any]) -> tuple[int, int, int, int]:
    """``(hits, misses, items returned, search results)`` of a batch."""
    from langgraph.store.base import GetOp, SearchOp

    hits = misses = returned = found = 0
    for op, result in zip(ops, results, strict=False):
        if isinstance(op, GetOp):
            if result is None:
                misses += 1
            else:
                hits += 1
                returned += 1
        elif isinstance(op, SearchOp):
            found += len(result or ())
            returned += len(result or ())
    return hits, misses, returned, found


class _Span:
    """A span with a request tally, timing, and the duration metric (sync and async use)."""

    def __init__(
        self, component: str, operation: str, attributes: dict[str, Any], *, tally: bool = True
    ) -> None:
        assert _active is not None
        self.inst = _active
        self.component = component
        self.operation = operation
        self.attributes = attributes
        self.tally = _Tally()
        # Generators (list) are closed wherever their consumer drops them: no context variable.
        self.counts_requests = tally

    def __enter__(self) -> _Span:
        from opentelemetry import trace

        self._cm = self.inst.tracer.start_as_current_span(
            f"genesis_memory.{self.component}.{self.operation}",
            kind=trace.SpanKind.CLIENT,
            attributes=self.attributes,
        )
        self.span = self._cm.__enter__()
        self._token = _tally.set(self.tally) if self.counts_requests else None
        self._started = time.perf_counter()
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        elapsed = time.perf_counter() - self._started
        if self._token is not None:
            _tally.reset(self._token)
        self.span.set_attribute("genesis_memory.mongodb.round_trips", self.tally.round_trips)
        for stage, ms in self.tally.stages_ms.items():
            self.span.set_attribute(f"genesis_memory.stage.{stage}_ms", round(ms, 3))
        labels = {
            "genesis_memory.component": self.component,
            "genesis_memory.operation": self.operation,
            "error.type": type(exc).__name__ if exc is not None else "",
        }
        if exc is None:
            del labels["error.type"]
        self.inst.duration.record(elapsed, labels)
        if self.tally.round_trips:
            component = {"genesis_memory.component": self.component}
            self.inst.round_trips.add(self.tally.round_trips, component)
        self._cm.__exit__(kind, exc, tb)


def _after_batch(span: _Span, ops: Sequence[Any], results: Sequence[Any]) -> None:
    hits, misses, returned, found = _batch_results(ops, results)
    written = _value_bytes(ops)
    attrs = {
        "genesis_memory.hits": hits,
        "genesis_memory.misses": misses,
        "genesis_memory.items_returned": returned,
        "genesis_memory.search.results": found,
        "genesis_memory.bytes_written": written,
    }
    span.span.set_attributes(attrs)
    if hits:
        span.inst.hits.add(hits)
    if misses:
        span.inst.misses.add(misses)
    if written:
        span.inst.bytes_written.add(written)


def _store_wrapper(name: str, original: Any) -> Any:
    if name in ("batch", "abatch"):
        if name == "batch":

            @functools.wraps(original)
            def batch(self: Any, ops: Any) -> Any:
                ops = list(ops)
                with _Span("store", "batch", _batch_attributes(self, ops)) as span:
                    results = original(self, ops)
                    _after_batch(span, ops, results)
                return results

            return batch

        @functools.wraps(original)
        async def abatch(self: Any, ops: Any) -> Any:
            ops = list(ops)
            with _Span("store", "batch", _batch_attributes(self, ops)) as span:
                results = await original(self, ops)
                _after_batch(span, ops, results)
            return results

        return abatch
    operation = name[1:] if name.startswith("a") and name[1:] in STORE_METHODS else name

    def finish(span: _Span, result: Any) -> None:
        if operation == "sweep":
            span.span.set_attribute("genesis_memory.items_swept", int(result))
            span.inst.items_swept.add(int(result))
        elif operation == "reindex":
            repaired = int(getattr(result, "items", 0))
            span.span.set_attribute("genesis_memory.index_repairs", repaired)
            span.inst.index_repairs.add(repaired)

    return _wrap(original, "store", operation, finish, lambda self, a, k: _collection(self))


def _collection(component: Any) -> dict[str, Any]:
    return {
        "db.system": "mongodb",
        "db.namespace": str(getattr(component, "database", "")),
    }


def _saver_attributes(self: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    attributes = _collection(self)
    config = args[0] if args else kwargs.get("config")
    if isinstance(config, dict):
        conf = config.get("configurable") or {}
        if conf.get("thread_id") is not None:
            attributes["genesis_memory.thread_id"] = str(conf["thread_id"])
        attributes["genesis_memory.checkpoint_ns"] = str(conf.get("checkpoint_ns") or "")
    elif isinstance(config, str):
        attributes["genesis_memory.thread_id"] = config
    if len(args) > 1 and isinstance(args[1], list | tuple):
        attributes["genesis_memory.writes"] = len(args[1])
    return attributes


def _saver_wrapper(name: str, original: Any) -> Any:
    operation = name[1:] if name.startswith("a") and name[1:] in SAVER_METHODS else name

    def finish(span: _Span, result: Any) -> None:
        if operation == "get_tuple":
            span.span.set_attribute("genesis_memory.hit", result is not None)
        elif operation == "sweep":
            span.span.set_attribute("genesis_memory.threads_swept", int(result))
            span.inst.threads_swept.add(int(result))

    return _wrap(original, "checkpoint", operation, finish, _saver_attributes)


def _wrap(
    original: Any,
    component: str,
    operation: str,
    finish: Callable[[_Span, Any], None],
    attributes: Callable[[Any, tuple[Any, ...], dict[str, Any]], dict[str, Any]],
) -> Any:
    import inspect

    if inspect.iscoroutinefunction(original):

        @functools.wraps(original)
        async def acall(self: Any, *args: Any, **kwargs: Any) -> Any:
            with _Span(component, operation, attributes(self, args, kwargs)) as span:
                result = await original(self, *args, **kwargs)
                finish(span, result)
            return result

        return acall

    @functools.wraps(original)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _Span(component, operation, attributes(self, args, kwargs)) as span:
            result = original(self, *args, **kwargs)
            finish(span, result)
        return result

    return call


def _list_wrapper(name: str, original: Any) -> Any:
    if name == "alist":

        @functools.wraps(original)
        async def alist(self: Any, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            with _Span(
                "checkpoint", "list", _saver_attributes(self, args, kwargs), tally=False
            ) as span:
                count = 0
                async for item in original(self, *args, **kwargs):
                    count += 1
                    yield item
                span.span.set_attribute("genesis_memory.checkpoints", count)

        return alist

    @functools.wraps(original)
    def listing(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        with _Span(
            "checkpoint", "list", _saver_attributes(self, args, kwargs), tally=False
        ) as span:
            count = 0
            for item in original(self, *args, **kwargs):
                count += 1
                yield item
            span.span.set_attribute("genesis_memory.checkpoints", count)

    return listing


def instrument(*, tracer_provider: Any = None, meter_provider: Any = None) -> None:
    """Start recording spans and metrics of every ``GenesisStore`` and ``GenesisSaver``.

    Args:
        tracer_provider: An OpenTelemetry ``TracerProvider`` (default: the global one).
        meter_provider: An OpenTelemetry ``MeterProvider`` (default: the global one).

    Raises:
        MissingDependencyError: If ``opentelemetry-api`` is not installed (extra ``otel``).
    """
    global _active
    try:
        from opentelemetry import metrics, trace
    except ImportError as exc:
        raise MissingDependencyError(
            "OpenTelemetry is not installed: pip install 'langgraph-genesis-memory[otel]'."
        ) from exc
    from langgraph_genesis_memory import __version__, _mongo
    from langgraph_genesis_memory.checkpoint import GenesisSaver
    from langgraph_genesis_memory.store import GenesisStore

    uninstrument()
    tracer = (tracer_provider or trace.get_tracer_provider()).get_tracer(SCOPE, __version__)
    meter = (meter_provider or metrics.get_meter_provider()).get_meter(SCOPE, __version__)
    n = METRIC_NAMES
    active = _Instruments(
        tracer=tracer,
        duration=meter.create_histogram(
            n["duration"], unit="s", description="Duration of store batches and saver calls"
        ),
        hits=meter.create_counter(n["hits"], unit="{item}", description="Gets that found"),
        misses=meter.create_counter(n["misses"], unit="{item}", description="Gets that missed"),
        bytes_written=meter.create_counter(
            n["bytes_written"], unit="By", description="BSON bytes of the values put"
        ),
        items_swept=meter.create_counter(
            n["items_swept"], unit="{item}", description="Expired items removed by sweeps"
        ),
        threads_swept=meter.create_counter(
            n["threads_swept"], unit="{thread}", description="Expired threads removed"
        ),
        index_repairs=meter.create_counter(
            n["index_repairs"], unit="{item}", description="Items re-indexed by reindex()"
        ),
        round_trips=meter.create_counter(
            n["round_trips"], unit="{request}", description="MongoDB requests sent"
        ),
    )
    for name in STORE_METHODS:
        original = GenesisStore.__dict__[name]
        active.originals[(GenesisStore, name)] = original
        setattr(GenesisStore, name, _store_wrapper(name, original))
    for name in SAVER_METHODS + SAVER_LISTS:
        original = GenesisSaver.__dict__[name]
        active.originals[(GenesisSaver, name)] = original
        wrapper = _list_wrapper if name in SAVER_LISTS else _saver_wrapper
        setattr(GenesisSaver, name, wrapper(name, original))
    _active = active
    _mongo.request_observer = _observe


def uninstrument() -> None:
    """Stop recording: restore the original methods (no cost afterwards)."""
    global _active
    if _active is None:
        return
    from langgraph_genesis_memory import _mongo

    for (cls, name), original in _active.originals.items():
        setattr(cls, name, original)
    _mongo.request_observer = None
    _active = None


def is_instrumented() -> bool:
    """Whether :func:`instrument` is in effect."""
    return _active is not None
