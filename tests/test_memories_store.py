"""Storing memories: exact dedup, reinforcement, batches, concurrency, near duplicates,
the history the database writes, and every kind of bad input (nothing written)."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from typing import Any

import numpy as np
import psycopg
import pytest

import pgcortex
from pgcortex import Client, errors
from pgcortex.memories import MemoryInput
from tests.conftest import vector_literal

MODEL = "test-model"


def unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
    return v / np.linalg.norm(v)


def near(v: np.ndarray, similarity: float, seed: int) -> np.ndarray:
    """A unit vector with exactly ``similarity`` cosine to unit vector ``v``."""
    r = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
    r -= r.dot(v) * v
    r /= np.linalg.norm(r)
    out = similarity * v + math.sqrt(1 - similarity**2) * r
    result: np.ndarray = (out / np.linalg.norm(out)).astype(np.float32)
    return result


def count(db: psycopg.Connection, table: str = "pgcortex.memories") -> int:
    row = db.execute(f"select count(*) from {table}").fetchone()
    assert row is not None
    return int(row[0])


async def test_store_then_same_content_reinforces(client: Client, db: psycopg.Connection) -> None:
    first = await client.store_memory(
        "The user prefers dark roast coffee",
        "user_preference",
        importance=2,
        confidence=0.6,
        tags=["coffee"],
        metadata={"source": "chat", "n": 1},
    )
    assert first.action == "inserted"
    again = await client.store_memory(
        "  the USER prefers dark   roast coffee\n",
        "user_preference",
        importance=4,
        confidence=0.5,
        tags=["taste", " coffee "],
        metadata={"n": 2, "extra": True},
    )
    assert again.action == "updated"
    assert again.id == first.id
    m = await client.retrieve_memory(first.id, track=False)
    assert m.content == "The user prefers dark roast coffee"  # the original text is kept
    assert m.importance == 4  # the greater
    assert m.confidence == pytest.approx(0.6)  # the greater
    assert m.tags == ("coffee", "taste")  # union, trimmed, sorted
    assert m.metadata == {"source": "chat", "n": 2, "extra": True}  # new keys win
    assert m.access_count == 1  # the second store counted as an access
    assert count(db) == 1
    # Storing it once more with the same values changes nothing further (idempotent).
    await client.store_memory(
        "The user prefers dark roast coffee", "user_preference", importance=4, confidence=0.6
    )
    m2 = await client.retrieve_memory(first.id, track=False)
    assert (m2.importance, m2.confidence, m2.tags, m2.metadata) == (
        m.importance,
        m.confidence,
        m.tags,
        m.metadata,
    )


async def test_batch_store_reports_each_item(client: Client, db: psycopg.Connection) -> None:
    existing = await client.store_memory("Revenue target is 2M", "business_fact")
    results = await client.store_memories(
        [
            MemoryInput("Ship on Fridays", "process_knowledge", importance=2, tags=["a"]),
            MemoryInput("revenue TARGET is 2M", "business_fact", importance=5),
            MemoryInput("Competitor raised prices", "market_intelligence"),
            MemoryInput("ship on fridays", "process_knowledge", importance=4, tags=["b"]),
        ]
    )
    assert [r.ordinality for r in results] == [1, 2, 3, 4]
    assert [r.action for r in results] == ["inserted", "updated", "inserted", "updated"]
    assert results[1].id == existing.id
    assert results[3].id == results[0].id
    assert count(db) == 3
    ship = await client.retrieve_memory(results[0].id, track=False)
    assert ship.importance == 4
    assert ship.tags == ("a", "b")
    assert (await client.retrieve_memory(existing.id, track=False)).importance == 5
    assert await client.store_memories([]) == []


async def test_batch_of_thousands_in_one_call(db_dsn: str, db: psycopg.Connection) -> None:
    items = [
        MemoryInput(
            f"fact number {n}",
            "business_fact",
            importance=1 + n % 5,
            embedding=unit(n),
            tags=[f"t{n % 7}"],
        )
        for n in range(2000)
    ]
    # One statement inserts 2000 rows into the HNSW index and through the clustering
    # trigger: on a loaded 2-core machine that can pass the default 30 s timeout.
    async with await pgcortex.connect(
        db_dsn, namespace="test", deploy=False, statement_timeout_ms=600_000
    ) as client:
        results = await client.store_memories(items, embedding_model=MODEL, dedup_near=False)
    assert len(results) == 2000
    assert {r.action for r in results} == {"inserted"}
    assert len({r.id for r in results}) == 2000
    assert count(db) == 2000


async def test_concurrent_identical_stores_make_one_row(
    client: Client, db: psycopg.Connection
) -> None:
    async def store() -> Any:
        return await client.store_memory(
            "Same content from eight tasks",
            "business_fact",
            embedding=unit(1),
            embedding_model=MODEL,
        )

    results = await asyncio.gather(*(store() for _ in range(8)))
    assert len({r.id for r in results}) == 1
    assert sorted(r.action for r in results) == ["inserted"] + ["updated"] * 7
    assert count(db) == 1
    m = await client.retrieve_memory(results[0].id, track=False)
    assert m.access_count == 7


async def test_near_duplicate_merged_into_same_type(client: Client, db: psycopg.Connection) -> None:
    base = unit(10)
    first = await client.store_memory(
        "The launch is planned for March",
        "business_fact",
        importance=2,
        tags=["launch"],
        embedding=base,
        embedding_model=MODEL,
    )
    close = await client.store_memory(
        "Launch planned in March",
        "business_fact",
        importance=4,
        tags=["q1"],
        embedding=near(base, 0.97, 1),
        embedding_model=MODEL,
    )
    assert close.action == "merged"
    assert close.merged_into == first.id
    assert close.id == first.id
    merged = await client.retrieve_memory(first.id, track=False)
    assert merged.importance == 4
    assert merged.tags == ("launch", "q1")
    assert merged.content == "The launch is planned for March"
    # Another type, a lower similarity, or the caller's opt-out: a new memory.
    other_type = await client.store_memory(
        "Launch in March (strategy)",
        "strategic_insight",
        embedding=near(base, 0.97, 2),
        embedding_model=MODEL,
    )
    farther = await client.store_memory(
        "Something about March",
        "business_fact",
        embedding=near(base, 0.90, 3),
        embedding_model=MODEL,
    )
    opted_out = await client.store_memory(
        "Launch is in March",
        "business_fact",
        embedding=near(base, 0.99, 4),
        embedding_model=MODEL,
        dedup_near=False,
    )
    assert [other_type.action, farther.action, opted_out.action] == ["inserted"] * 3
    # The threshold is the caller's.
    loose = await client.store_memory(
        "March it is",
        "business_fact",
        embedding=near(base, 0.90, 5),
        embedding_model=MODEL,
        near_duplicate_threshold=0.85,
    )
    assert loose.action == "merged"
    assert count(db) == 4
    history = await client.memory_history(first.id)
    # Each merge keeps its occurrence with the memory (metadata.merged_occurrences); the
    # second brought nothing else new (importance 3 < 4, no tags).
    assert [h.reason for h in history] == ["store", "merge", "merge"]
    assert history[1].changed_fields == ("importance", "tags", "metadata")
    assert history[2].changed_fields == ("metadata",)


async def test_history_is_written_by_the_database(client: Client, db: psycopg.Connection) -> None:
    stored = await client.store_memory("Pricing is per seat", "business_fact", importance=3)
    await client.store_memory("pricing is per seat", "business_fact", importance=5, tags=["p"])
    await client.update_memory(stored.id, content="Pricing is per seat per month", confidence=0.4)
    # A plain SQL statement, outside the API, is recorded too.
    db.execute("update pgcortex.memories set importance = 1 where id = %s", (stored.id,))
    await client.delete_memory(stored.id)
    history = await client.memory_history(stored.id)
    assert [(h.operation, h.reason) for h in history] == [
        ("insert", "store"),
        ("update", "reinforce"),
        ("update", "update"),
        ("update", "direct"),
        ("delete", "delete"),
    ]
    reinforce, update, direct, delete = history[1:]
    assert reinforce.changed_fields == ("importance", "tags")
    assert (reinforce.old_importance, reinforce.new_importance) == (3, 5)
    assert reinforce.old_content is None  # unchanged fields are not repeated
    assert update.changed_fields == ("content", "confidence")
    assert update.old_content == "Pricing is per seat"
    assert update.new_content == "Pricing is per seat per month"
    assert (direct.old_importance, direct.new_importance) == (5, 1)
    assert delete.old_content == "Pricing is per seat per month"
    with pytest.raises(errors.NotFoundError):
        await client.memory_history("00000000-0000-0000-0000-000000000000")


def _deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(levels):
        value = {"k": value}
    return value


DEEP = _deep(17)

BAD_ITEMS: list[tuple[str, dict[str, Any], type[errors.PgcortexError]]] = [
    ("empty content", {"content": ""}, errors.InvalidContentError),
    ("white space only", {"content": " \n\t "}, errors.InvalidContentError),
    ("over 100000 characters", {"content": "x" * 100_001}, errors.InvalidContentError),
    ("NUL byte", {"content": "a\x00b"}, errors.InvalidContentError),
    ("importance 0", {"importance": 0}, errors.OutOfRangeError),
    ("importance 6", {"importance": 6}, errors.OutOfRangeError),
    ("confidence 1.5", {"confidence": 1.5}, errors.OutOfRangeError),
    ("confidence -0.1", {"confidence": -0.1}, errors.OutOfRangeError),
    ("confidence NaN", {"confidence": float("nan")}, errors.OutOfRangeError),
    ("unknown type", {"memory_type": "gossip"}, errors.UnknownMemoryTypeError),
    ("empty tag", {"tags": ["ok", " "]}, errors.InvalidTagsError),
    ("too many tags", {"tags": [f"t{n}" for n in range(65)]}, errors.InvalidTagsError),
    ("long tag", {"tags": ["x" * 101]}, errors.InvalidTagsError),
    ("metadata not an object", {"metadata": [1, 2]}, errors.InvalidMetadataError),
    ("metadata too deep", {"metadata": DEEP}, errors.InvalidMetadataError),
    ("embedding of 3 dimensions", {"embedding": [0.1, 0.2, 0.3]}, errors.EmbeddingDimensionError),
    ("embedding of zeros", {"embedding": [0.0] * 384}, errors.EmbeddingValueError),
    ("embedding with NaN", {"embedding": [float("nan")] + [0.1] * 383}, errors.EmbeddingValueError),
    ("embedding with inf", {"embedding": [float("inf")] + [0.1] * 383}, errors.EmbeddingValueError),
    ("embedding without model", {"embedding_model": None}, errors.InvalidArgumentError),
    ("expiry in the past", {"expires_at": "past"}, errors.OutOfRangeError),
    ("malformed id", {"memory_id": "not-a-uuid"}, errors.InvalidIdError),
]


@pytest.mark.parametrize(("case", "change", "exc"), BAD_ITEMS, ids=[c[0] for c in BAD_ITEMS])
async def test_bad_input_raises_and_writes_nothing(
    client: Client, db: psycopg.Connection, case: str, change: dict[str, Any], exc: type
) -> None:
    import datetime as dt

    args: dict[str, Any] = {
        "content": "A perfectly good memory",
        "memory_type": "business_fact",
        "embedding": unit(3),
        "embedding_model": MODEL,
    }
    args.update(change)
    if args.get("expires_at") == "past":
        args["expires_at"] = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    content, memory_type = args.pop("content"), args.pop("memory_type")
    with pytest.raises(exc):
        await client.store_memory(content, memory_type, **args)
    assert count(db) == 0
    assert count(db, "pgcortex.memory_history") == 0


async def test_one_bad_item_fails_the_whole_batch(client: Client, db: psycopg.Connection) -> None:
    with pytest.raises(errors.OutOfRangeError, match="item 3"):
        await client.store_memories(
            [
                MemoryInput("one", "business_fact"),
                MemoryInput("two", "business_fact"),
                MemoryInput("three", "business_fact", importance=9),
            ]
        )
    assert count(db) == 0


async def test_model_mismatch_refused(client: Client, db: psycopg.Connection) -> None:
    await client.store_memory("a", "business_fact", embedding=unit(1), embedding_model=MODEL)
    with pytest.raises(errors.EmbeddingModelMismatchError):
        await client.store_memory(
            "b", "business_fact", embedding=unit(2), embedding_model="other-model"
        )
    with pytest.raises(errors.EmbeddingModelMismatchError):
        await client.search_memories(query_embedding=unit(2), embedding_model="other-model", k=1)
    assert count(db) == 1


async def test_given_id_and_id_conflict(client: Client, db: psycopg.Connection) -> None:
    import uuid

    wanted = uuid.uuid4()
    stored = await client.store_memory("with my id", "business_fact", memory_id=wanted)
    assert stored.id == wanted
    assert stored.action == "inserted"
    with pytest.raises(errors.IdConflictError):
        await client.store_memory("other content, same id", "business_fact", memory_id=wanted)
    assert count(db) == 1


def test_sql_errors_in_psql(db: psycopg.Connection) -> None:
    """The same codes reach a DBA calling the functions by hand."""
    with pytest.raises(psycopg.Error) as info:
        db.execute(
            "select * from pgcortex.store_memory(content => '', memory_type => 'business_fact')"
        )
    assert info.value.sqlstate == "PC020"
    with pytest.raises(psycopg.Error) as info:
        db.execute("select * from pgcortex.get_memory(memory_id => 'nope')")
    assert info.value.sqlstate == "22P02"
    # Mapped by SQLSTATE alone (never by message): a malformed value in SQL text.
    # The client refuses a malformed id before sending it (InvalidIdError).
    assert isinstance(errors.from_driver_error(info.value), errors.InvalidArgumentError)
    with pytest.raises(psycopg.Error) as info:
        db.execute("select * from pgcortex.get_memory(memory_id => gen_random_uuid())")
    assert info.value.sqlstate == "PC030"
    with pytest.raises(psycopg.Error) as info:
        db.execute(
            "select * from pgcortex.store_memory(content => 'x', memory_type => 'business_fact', "
            "embedding => array_fill(0.1::real, array[383])::public.vector, embedding_model => 'm')"
        )
    assert info.value.sqlstate == "PC010"
    with pytest.raises(psycopg.Error) as info:
        db.execute("select '[NaN,1]'::public.vector")
    # pgvector's input raises a plain data exception (22000): by SQLSTATE, a bad
    # argument. The client refuses a non-finite embedding before sending it.
    assert isinstance(errors.from_driver_error(info.value), errors.InvalidArgumentError)


async def test_overlapping_batches_in_opposite_orders(
    client: Client, db: psycopg.Connection
) -> None:
    """Concurrent batches lock contents in key order: they wait, they do not deadlock
    (given ``conn=``, nothing is retried for them)."""
    contents = [f"shared fact {n}" for n in range(200)]

    async def batch(order: list[str]) -> list[str]:
        async with client.pool.acquire() as conn:
            results = await client.store_memories(
                [MemoryInput(c, "business_fact") for c in order], conn=conn
            )
        return [r.action for r in results]

    for round_ in range(3):
        forward, backward = await asyncio.gather(batch(contents), batch(list(reversed(contents))))
        if round_ == 0:
            assert sorted(forward + backward) == ["inserted"] * 200 + ["updated"] * 200
    assert count(db) == 200


async def test_near_duplicate_merge_keeps_each_occurrence(client: Client) -> None:
    """Two events said in similar words: the memory keeps its own metadata and time, and
    each merged occurrence (content, metadata, time) is kept with it, once, bounded."""
    base = unit(20)
    t0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    first = await client.store_memory(
        "We went hiking in the hills",
        "conversation",
        metadata={"dia_id": "D1:3", "source": "chat"},
        embedding=base,
        embedding_model=MODEL,
        as_of=t0,
    )
    later = t0 + dt.timedelta(days=30)
    again = await client.store_memory(
        "We went hiking in the hills again",
        "conversation",
        metadata={"dia_id": "D7:2", "source": "voice"},
        embedding=near(base, 0.97, 1),
        embedding_model=MODEL,
        as_of=later,
    )
    assert again.action == "merged"
    merged = await client.retrieve_memory(first.id, track=False)
    # The memory's own metadata is not overwritten by the occurrence's.
    assert merged.metadata["dia_id"] == "D1:3"
    assert merged.metadata["source"] == "chat"
    assert merged.created_at == t0
    occurrences = merged.metadata["merged_occurrences"]
    assert len(occurrences) == 1
    assert occurrences[0]["content"] == "We went hiking in the hills again"
    assert occurrences[0]["metadata"] == {"dia_id": "D7:2", "source": "voice"}
    assert dt.datetime.fromisoformat(occurrences[0]["stored_at"]) == later
    # A retried store of the same occurrence is kept once.
    await client.store_memory(
        "We went hiking in the hills again",
        "conversation",
        metadata={"dia_id": "D7:2", "source": "voice"},
        embedding=near(base, 0.97, 1),
        embedding_model=MODEL,
        as_of=later + dt.timedelta(seconds=5),
    )
    merged = await client.retrieve_memory(first.id, track=False)
    assert len(merged.metadata["merged_occurrences"]) == 1
    # Bounded: the 20 latest occurrences.
    for i in range(25):
        await client.store_memory(
            f"We went hiking in the hills, time {i}",
            "conversation",
            metadata={"dia_id": f"D9:{i}"},
            embedding=near(base, 0.97, 100 + i),
            embedding_model=MODEL,
            as_of=later + dt.timedelta(days=1 + i),
        )
    merged = await client.retrieve_memory(first.id, track=False)
    kept = [o["metadata"]["dia_id"] for o in merged.metadata["merged_occurrences"]]
    assert kept == [f"D9:{i}" for i in range(5, 25)]


def test_a_memory_row_keeps_its_words_beside_its_embedding(db: psycopg.Connection) -> None:
    """A 384-d memory with a paragraph of content is one heap row: its full-text
    vector and content are not moved to TOAST (the search reads the full-text
    vector of every candidate), while a content larger than a page still is."""
    rng = np.random.default_rng(11)
    words = " ".join(f"supplier{n} invoice{m}" for n, m in rng.integers(0, 10**9, (24, 2)))
    vec = vector_literal(unit(7))
    row = db.execute(
        "select id from pgcortex.store_memory(content => %s, memory_type => 'business_fact',"
        " embedding => %s::public.vector, embedding_model => 'all-MiniLM-L6-v2')",
        (words, vec),
    ).fetchone()
    assert row is not None
    placed = db.execute(
        "select pg_column_toast_chunk_id(content_tsv), pg_column_toast_chunk_id(content)"
        " from pgcortex.memories as m where id = %s",
        (row[0],),
    ).fetchone()
    assert placed is not None
    tsv_chunk, content_chunk = placed
    assert tsv_chunk is None
    assert content_chunk is None
    long_text = " ".join(f"token{i}" for i in range(3000))
    row = db.execute(
        "select id from pgcortex.store_memory(content => %s, memory_type => 'business_fact')",
        (long_text,),
    ).fetchone()
    assert row is not None
    placed = db.execute(
        "select pg_column_toast_chunk_id(content_tsv) is not null"
        " or pg_column_toast_chunk_id(content) is not null"
        " from pgcortex.memories where id = %s",
        (row[0],),
    ).fetchone()
    assert placed == (True,)
