"""Property-based: arbitrary content, tags and metadata round-trip through store, get and export."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pgcortex

# Text PostgreSQL can hold: no NUL, no lone surrogates.
_CHARS = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
# Tags: no control characters, 1..100 characters once trimmed of spaces.
_TAG = (
    st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=100)
    .map(lambda t: t.strip(" "))
    .filter(lambda t: 1 <= len(t) <= 100)
)
_SCALAR = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15)
    | st.text(_CHARS, max_size=50)
)
_JSON = st.recursive(
    _SCALAR,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(_CHARS, max_size=20), inner, max_size=4)
    ),
    max_leaves=20,
)
_METADATA = st.dictionaries(st.text(_CHARS, max_size=20), _JSON, max_size=6)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _stored_tags(tags: list[str]) -> list[str]:
    """What the database keeps: trimmed (spaces), distinct, sorted by code point."""
    return sorted({t.strip(" ") for t in tags})


def test_store_get_export_round_trip(db_dsn: str) -> None:
    loop = asyncio.new_event_loop()
    client = loop.run_until_complete(
        pgcortex.connect(db_dsn, namespace="props", deploy=False, max_size=2)
    )
    stored: dict[str, tuple[str, list[str], dict[str, Any]]] = {}

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        text=st.text(_CHARS, min_size=1, max_size=2000),
        tags=st.lists(_TAG, max_size=10),
        metadata=_METADATA.filter(lambda m: _depth(m) <= 16),
        memory_type=st.sampled_from(["business_fact", "technical_knowledge", "relationship"]),
    )
    def round_trip(text: str, tags: list[str], metadata: dict[str, Any], memory_type: str) -> None:
        # A unique prefix keeps examples from deduplicating into one another.
        content = f"{uuid.uuid4()} {text}"

        async def go() -> None:
            result = await client.store_memory(content, memory_type, tags=tags, metadata=metadata)
            assert result.action == "inserted"
            back = await client.retrieve_memory(result.id, track=False)
            assert back.content == content
            assert list(back.tags) == _stored_tags(tags)
            assert back.metadata == metadata
            assert back.memory_type == memory_type
            stored[str(result.id)] = (content, _stored_tags(tags), metadata)

        loop.run_until_complete(go())

    try:
        round_trip()

        async def export() -> list[dict[str, Any]]:
            return [v async for v in client.export_namespace()]

        lines = loop.run_until_complete(export())
    finally:
        loop.run_until_complete(client.close())
        loop.close()
    # The export holds every stored memory verbatim, also after a trip through JSON text.
    memories = {
        line["row"]["id"]: json.loads(json.dumps(line["row"], ensure_ascii=False))
        for line in lines
        if line.get("table") == "memories"
    }
    assert len(stored) >= 10
    for memory_id, (content, tags, metadata) in stored.items():
        row = memories[memory_id]
        assert row["content"] == content
        assert row["tags"] == tags
        assert row["metadata"] == metadata
