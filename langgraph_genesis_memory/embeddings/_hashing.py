"""Deterministic hashing embeddings for tests and benchmarks (no model, no download)."""

from __future__ import annotations

import hashlib
import math
import re

from langchain_core.embeddings import Embeddings

_WORD = re.compile(r"[0-9a-z]+")


class HashEmbeddings(Embeddings):
    """Bag-of-hashed-words embeddings: similar texts share words, so they get similar vectors.

    Each lower-cased word (``[0-9a-z]+``) is hashed with BLAKE2b (never Python's salted
    ``hash()``), which picks one of ``dims`` coordinates and a sign; the word's count is added
    there and the vector is L2-normalised. The result is identical in every process and on every
    machine, so tests and benchmarks are reproducible. Cosine similarity between two vectors
    approximates the overlap of their vocabularies; there is no notion of meaning.

    A text with no word at all gets a fixed unit vector (derived from the empty string), so every
    vector is valid for cosine distance.

    Args:
        dims: Number of dimensions of every vector (default 384, like all-MiniLM-L6-v2).
        seed: Salt mixed into the hash; different seeds give unrelated vector spaces.

    Raises:
        ValueError: If ``dims`` is smaller than 1.

    Example:
        >>> emb = HashEmbeddings(dims=64)
        >>> v = emb.embed_query("the cat sat")
        >>> len(v), round(sum(x * x for x in v), 6)
        (64, 1.0)
        >>> v == HashEmbeddings(dims=64).embed_query("The cat SAT!")
        True
    """

    def __init__(self, dims: int = 384, *, seed: str = "") -> None:
        if dims < 1:
            raise ValueError(f"dims must be a positive integer, got {dims!r}")
        self.dims = dims
        self.seed = seed

    def _slot(self, token: str) -> tuple[int, float]:
        digest = hashlib.blake2b(f"{self.seed}\x00{token}".encode(), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        return value % self.dims, (1.0 if (value >> 63) & 1 else -1.0)

    def _embed(self, text: str) -> list[float]:
        vector = [0.0] * self.dims
        tokens = _WORD.findall(text.lower()) or [""]
        for token in tokens:
            index, sign = self._slot(token)
            vector[index] += sign
        norm = math.sqrt(sum(x * x for x in vector))
        if norm == 0.0:  # words cancelled out exactly; fall back to the empty-text vector
            index, sign = self._slot("")
            vector = [0.0] * self.dims
            vector[index] = sign
            return vector
        return [x / norm for x in vector]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents.

        Args:
            texts: The texts to embed.

        Returns:
            One unit vector of ``dims`` floats per text, in order.
        """
        return [self._embed(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        """Embed a query (the same function as for documents).

        Args:
            text: The query text.

        Returns:
            A unit vector of ``dims`` floats.
        """
        return self._embed(text)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Async :meth:`embed_documents` (pure and fast, so it runs inline)."""
        return self.embed_documents(texts)

    async def aembed_query(self, text: str) -> list[float]:
        """Async :meth:`embed_query` (pure and fast, so it runs inline)."""
        return self.embed_query(text)
