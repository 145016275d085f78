"""The saver's memory of the list elements it stored (per process; shared state, no I/O).

A :class:`~langgraph_genesis_memory.checkpoint.GenesisSaver` owns one :class:`KnownElements`.
Plans only read it (through an explicit argument, :meth:`KnownElements.missing`); the saver
updates it after a plan succeeded (:meth:`KnownElements.record` with the
:class:`ElementsStored` that ``plan_put`` returns) and forgets threads that its deletions,
prunes, copies and sweeps touched.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

DEFAULT_MAX_THREADS = 2048
"""Threads (``(thread_id, checkpoint_ns)`` pairs) remembered at most; the oldest go first."""


@dataclass(frozen=True)
class ElementsStored:
    """What a successful ``put`` stored: the list elements a checkpoint's lists refer to.

    Attributes:
        thread_id: The checkpoint's thread.
        checkpoint_ns: Its namespace.
        parent_id: The id of the checkpoint it continues (``None`` for a thread's first).
        checkpoint_id: The stored checkpoint's id.
        digests: The digests of every element of the list values written by that ``put``
            (all stored once the ``put`` succeeded).
    """

    thread_id: str
    checkpoint_ns: str
    parent_id: str | None
    checkpoint_id: str
    digests: frozenset[bytes]


class KnownElements:
    """A bounded, thread-safe memory of the list elements this process stored for each thread.

    Lets ``put`` skip re-sending the elements of a growing list. An entry is trusted only
    while the thread's history continues from the checkpoint this process wrote last (LangGraph
    passes that checkpoint as the parent of the next): a new session, a fork from an older
    checkpoint or a write by another process starts a fresh entry, and every element is sent
    again (an idempotent insert-if-absent). It is forgotten for a thread whenever this saver
    deletes, prunes, copies into or sweeps that thread. Forgetting is always safe: it only
    makes the next ``put`` send elements again.

    Args:
        max_threads: How many ``(thread_id, checkpoint_ns)`` entries to keep (least recently
            written dropped first).

    Example:
        >>> known = KnownElements()
        >>> known.record(ElementsStored("t", "", None, "c1", frozenset({b"a"})))
        >>> sorted(known.missing("t", "", "c1", [b"a", b"b"]))
        [b'b']
    """

    def __init__(self, max_threads: int = DEFAULT_MAX_THREADS) -> None:
        self._lock = threading.Lock()
        self._known: OrderedDict[tuple[str, str], tuple[str | None, set[bytes]]] = OrderedDict()
        self._max = max_threads

    def missing(
        self, thread_id: str, ns: str, parent_id: str | None, digests: Iterable[bytes]
    ) -> set[bytes]:
        """The digests not known to be stored for a checkpoint whose parent is ``parent_id``.

        Args:
            thread_id, ns: The thread and namespace.
            parent_id: The parent of the checkpoint about to be written.
            digests: The digests of the elements it refers to.

        Returns:
            The digests to send (all of them unless this process wrote ``parent_id`` last).
        """
        with self._lock:
            entry = self._known.get((thread_id, ns))
            if entry is None or parent_id is None or entry[0] != parent_id:
                return set(digests)
            return {d for d in digests if d not in entry[1]}

    def record(self, stored: ElementsStored) -> None:
        """Remember that ``stored.checkpoint_id`` (child of ``stored.parent_id``) and its
        elements are stored; call it only after the write succeeded."""
        with self._lock:
            key = (stored.thread_id, stored.checkpoint_ns)
            entry = self._known.pop(key, None)
            known = entry[1] if entry is not None and entry[0] == stored.parent_id else set()
            known.update(stored.digests)
            self._known[key] = (stored.checkpoint_id, known)
            while len(self._known) > self._max:
                self._known.popitem(last=False)

    def forget(self, thread_ids: Iterable[str]) -> None:
        """Drop what is known about these threads (every namespace)."""
        with self._lock:
            gone = set(thread_ids)
            for key in [k for k in self._known if k[0] in gone]:
                del self._known[key]

    def clear(self) -> None:
        """Drop everything (e.g. after a deletion failed part-way on unknown threads)."""
        with self._lock:
            self._known.clear()

    @contextmanager
    def forgetting(self, thread_ids: Iterable[str] | None) -> Iterator[None]:
        """Forget threads when the block ends, whether or not it succeeds.

        For operations that may delete or overwrite stored elements (a failure part-way may
        have deleted some already).

        Args:
            thread_ids: The threads the block touches; ``None`` when they are known only once
                it succeeded (the caller then forgets them itself): if the block fails, every
                thread is forgotten.
        """
        threads = None if thread_ids is None else [str(t) for t in thread_ids]
        try:
            yield
        except BaseException:
            if threads is None:
                self.clear()
            raise
        finally:
            if threads is not None:
                self.forget(threads)
