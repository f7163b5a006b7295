"""Client methods over the smaller API functions, and arguments the driver cannot send
inside lists and objects."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import pgcortex
from pgcortex import errors as e
from pgcortex.memories import MemoryInput
from pgcortex.queries import Call

MODEL = "test-model"


def _vec(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
    return v / np.linalg.norm(v)


async def test_namespace_types_and_embedding_model(client: pgcortex.Client) -> None:
    assert await client.current_namespace() == "test"
    types = await client.list_memory_types()
    assert "business_fact" in types
    assert all(types.values())
    # Before its first embedding, a namespace uses the deployment default.
    assert await client.namespace_embedding_model() == "all-MiniLM-L6-v2"
    await client.store_memory(
        "with a vector", "business_fact", embedding=_vec(1), embedding_model=MODEL
    )
    assert await client.namespace_embedding_model() == MODEL


async def test_resolve_memory_id_by_any_unique_prefix(client: pgcortex.Client) -> None:
    a = (await client.store_memory("first", "business_fact")).id
    b = (await client.store_memory("second", "business_fact")).id
    text_a, text_b = str(a), str(b)
    n = next(i for i in range(1, 37) if text_a[:i] != text_b[:i])
    assert await client.resolve_memory_id(text_a[: n + 1]) == a
    assert await client.resolve_memory_id(text_a.upper()) == a
    assert await client.resolve_memory_id(text_a.replace("-", "")) == a
    with pytest.raises(e.InvalidArgumentError, match="more than one"):
        await client.resolve_memory_id(text_a[:4])
    with pytest.raises(e.InvalidArgumentError, match="not an id"):
        await client.resolve_memory_id("xyz")
    with pytest.raises(e.NotFoundError):
        await client.resolve_memory_id("f" * 12)


async def test_track_access_counts_reads(client: pgcortex.Client) -> None:
    m = (await client.store_memory("read me", "business_fact")).id
    before = (await client.get_memory(m, track=False)).access_count
    assert await client.track_access([m, str(m)]) == 2
    after = (await client.get_memory(m, track=False)).access_count
    assert after == before + 2
    with pytest.raises(e.InvalidIdError, match=r"ids\[0\]"):
        await client.track_access(["nope"])


async def test_unsendable_values_inside_lists_and_objects(client: pgcortex.Client) -> None:
    with pytest.raises(e.InvalidContentError, match="tags"):
        await client.store_memory("t", "business_fact", tags=["ok", "bad \udc80"])
    with pytest.raises(e.InvalidContentError, match="metadata"):
        await client.store_memory("t", "business_fact", metadata={"k\ud800": 1})
    with pytest.raises(e.OutOfRangeError, match="importances"):
        await client.store_memories(
            [MemoryInput("a", "business_fact", importance=2**40), MemoryInput("b", "business_fact")]
        )
    with pytest.raises(e.EmbeddingValueError, match="not a list of numbers"):
        await client.store_memory("t", "business_fact", embedding="not a vector")
    with pytest.raises(e.EmbeddingValueError, match="NaN"):
        await client.store_memory("t", "business_fact", embedding=(0.1, float("nan")))
    assert await client.list_memories() == []


async def test_set_knowledge_settings_is_one_call_returning_the_rules_in_force(
    client: pgcortex.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    original = client._call

    async def counting(call: Call, *args: Any, **kwargs: Any) -> Any:
        calls.append(call.function)
        return await original(call, *args, **kwargs)

    monkeypatch.setattr(client, "_call", counting)
    settings = await client.set_knowledge_settings(turn_memories=False)
    assert calls == ["set_knowledge_settings"]
    # The rules in force: the override, and the defaults for the rest.
    assert settings.turn_memories is False
    assert settings.turn_memory_min_chars == 50
    assert settings == await client.knowledge_settings()
    restored = await client.set_knowledge_settings(reset=True)
    assert restored.turn_memories is True
