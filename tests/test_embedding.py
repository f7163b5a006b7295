"""The offline embedder: all-MiniLM-L6-v2 from the installed package, no network."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import pgcortex
from pgcortex import embedding
from pgcortex.embedding import DIMENSIONS, Embedder, MiniLMEmbedder
from pgcortex.memories import MemoryInput

pytestmark = pytest.mark.embed


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_is_an_embedder(embedder: MiniLMEmbedder) -> None:
    assert isinstance(embedder, Embedder)
    assert embedder.dimensions == DIMENSIONS == 384
    assert embedder.model_name == "all-MiniLM-L6-v2"


def test_unit_vectors_of_384_float32(embedder: MiniLMEmbedder) -> None:
    texts = ["Our runway is eighteen months.", "The user prefers short answers.", "ok"]
    vectors = embedder.embed(texts)
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.all(np.isfinite(vectors))


def test_batches_give_the_same_vectors_as_single_texts(embedder: MiniLMEmbedder) -> None:
    texts = [f"note number {i} about the quarterly plan" for i in range(5)]
    small_batches = MiniLMEmbedder(batch_size=2).embed(texts)
    one_by_one = np.stack([embedder.embed_one(t) for t in texts])
    np.testing.assert_allclose(small_batches, one_by_one, atol=1e-5)


def test_empty_batch_and_bad_input(embedder: MiniLMEmbedder) -> None:
    assert embedder.embed([]).shape == (0, 384)
    with pytest.raises(TypeError):
        embedder.embed("a bare string is not a batch")
    with pytest.raises(TypeError):
        embedder.embed(["fine", 3])  # type: ignore[list-item]


def test_paraphrase_is_nearer_than_an_unrelated_sentence(embedder: MiniLMEmbedder) -> None:
    anchor, paraphrase, unrelated = embedder.embed(
        [
            "The startup is running out of money.",
            "Our company has very little cash left in the bank.",
            "I like to swim in the lake on Sundays.",
        ]
    )
    near = cosine(anchor, paraphrase)
    far = cosine(anchor, unrelated)
    assert near > far + 0.2
    assert near > 0.4


def test_model_is_loaded_once_per_process(embedder: MiniLMEmbedder) -> None:
    embedder.load()
    first = embedding._load("cpu")
    MiniLMEmbedder().embed(["another embedder, same model"])
    assert embedding._load("cpu") is first
    assert MiniLMEmbedder().loaded


def test_loads_and_embeds_with_the_network_blocked() -> None:
    """In a fresh process where any socket connection raises, the model still loads."""
    script = textwrap.dedent(
        """
        import socket

        def refuse(*args, **kwargs):
            raise OSError("network use during embedding")

        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse

        from pgcortex.embedding import MiniLMEmbedder
        vectors = MiniLMEmbedder().embed(["offline, always"])
        print(vectors.shape[0], vectors.shape[1])
        """
    )
    # the embedder must switch the hub offline itself
    env = {
        k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    }
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["1", "384"]


RUNWAY = (
    "With the seed funding from June, the bank balance covers fourteen more months of expenses."
)
PARAPHRASE_QUERY = "How long can we survive financially?"
DISTRACTORS = (
    "Brightloop sells demand-forecasting software to independent bakeries.",
    "Deployments go out every Tuesday after the integration suite passes on staging.",
    "Our largest competitor raised its prices by twenty percent this spring.",
    "The team ordered pizza for lunch last Thursday.",
    "Churn is concentrated among bakeries with fewer than three employees.",
)


async def test_semantic_recall_finds_a_paraphrase_sharing_no_keyword(
    client: pgcortex.Client, embedder: MiniLMEmbedder
) -> None:
    client.embedder = embedder
    stored = await client.store_memories(
        [MemoryInput(RUNWAY, "business_fact")]
        + [MemoryInput(text, "business_fact") for text in DISTRACTORS]
    )
    runway_id = stored[0].id

    # the query and the memory share no word, even after stemming
    async with client.pool.acquire() as conn:
        shared = await conn.fetchval(
            "select array(select unnest(tsvector_to_array(to_tsvector('english', $1))) "
            "intersect select unnest(tsvector_to_array(to_tsvector('english', $2))))",
            RUNWAY,
            PARAPHRASE_QUERY,
        )
    assert shared == []

    hits = await client.search_memories(PARAPHRASE_QUERY, k=3)
    assert hits[0].id == runway_id
    assert hits[0].matched_by == "vector"
    assert hits[0].keyword_overlap == 0
    assert hits[0].similarity is not None
    assert hits[0].similarity > 0.25

    recalled = await client.recall_memories(PARAPHRASE_QUERY, min_relevance=0.25)
    assert [h.id for h in recalled][:1] == [runway_id]

    # text-only, the same question finds nothing: the match is the embedding's
    client.embedder = None
    assert [h.id for h in await client.search_memories(PARAPHRASE_QUERY, k=3)] == []


def test_torch_is_the_cpu_build_without_cuda_packages() -> None:
    """make install-embed pins the CPU wheel of torch: no CUDA runtime is pulled in."""
    import importlib.metadata

    import torch

    assert torch.version.cuda is None
    cuda_packages = sorted(
        name
        for dist in importlib.metadata.distributions()
        if (name := (dist.metadata["Name"] or "").lower()).startswith(("nvidia-", "triton"))
    )
    assert cuda_packages == []
