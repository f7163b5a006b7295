"""Embeddings whose norm overflows or underflows single precision.

pgvector computes cosine distance in float4: for a vector of 384 components of
3e38 the squared norm overflows to infinity (distance NaN), for components of
1e-30 it underflows to 0 (distance 0 against anything). Either would make the
near-duplicate test take every later store for a duplicate of that row, and the
store would be acknowledged as ``merged`` while its content is dropped. Such
vectors are refused everywhere a vector is accepted (PC011, nothing written), and
a NaN distance from a row that got in by another way never merges anything.
"""

from __future__ import annotations

import numpy as np
import psycopg
import pytest

from pgcortex import Client, errors
from pgcortex.memories import MemoryInput
from tests.conftest import vector_literal

MODEL = "test-model"


def unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(384)
    return (v / np.linalg.norm(v)).astype(np.float32)


# Finite float4 vectors that pgvector accepts and single precision cannot measure.
POISON: dict[str, list[float]] = {
    "all 3e38 (norm overflows)": [3e38] * 384,
    "all 1e-30 (norm underflows)": [1e-30] * 384,
    "all 1e-20 (squared norm subnormal)": [1e-20] * 384,
    "one 3e38 among small values": [3e38] + [0.05] * 383,
    "all 1e19 (squared norm 3.8e40)": [1e19] * 384,
}

TURN = (
    "We agreed that the quarterly report goes out on the first Monday of the month, "
    "after finance has signed off the figures, and that the summary stays under a page."
)


def checksums(db: psycopg.Connection) -> dict[str, str]:
    """An md5 over the rows of every table of the schema (as the superuser)."""
    tables = [
        r[0]
        for r in db.execute(
            "select c.oid::regclass::text from pg_catalog.pg_class as c"
            " where c.relnamespace = 'pgcortex'::regnamespace and c.relkind in ('r', 'p')"
            " order by 1"
        ).fetchall()
    ]
    out = {}
    for t in tables:
        row = db.execute(
            f"select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) from {t} as x"
        ).fetchone()
        assert row is not None
        out[t] = row[0]
    return out


SQL_CALLS = {
    "store_memory": "select * from pgcortex.store_memory(content => 'poisoned one',"
    " memory_type => 'business_fact', embedding => %(v)s::public.vector,"
    " embedding_model => 'test-model')",
    "store_memories": "select * from pgcortex.store_memories("
    " contents => array['ok one', 'bad two'],"
    " memory_types => array['business_fact', 'business_fact'],"
    " embeddings => array[%(good)s::public.vector, %(v)s::public.vector],"
    " embedding_model => 'test-model')",
    "update_memory": "select * from pgcortex.update_memory(memory_id => %(id)s,"
    " embedding => %(v)s::public.vector, embedding_model => 'test-model')",
    "search_memories": "select * from pgcortex.search_memories(query_text => 'x',"
    " query_embedding => %(v)s::public.vector, embedding_model => 'test-model', track => false)",
    "get_knowledge_clusters": "select * from pgcortex.get_knowledge_clusters("
    " query_embedding => %(v)s::public.vector, embedding_model => 'test-model')",
    "store_conversation_turn": "select * from pgcortex.store_conversation_turn(role => 'user',"
    " content => %(turn)s, embedding => %(v)s::public.vector, embedding_model => 'test-model')",
    "get_contextual_knowledge": "select * from pgcortex.get_contextual_knowledge(query => 'x',"
    " query_embedding => %(v)s::public.vector, embedding_model => 'test-model', track => false)",
}


@pytest.mark.parametrize("vector", list(POISON), ids=list(POISON))
def test_every_function_taking_a_vector_refuses_it_in_sql(
    db: psycopg.Connection, vector: str
) -> None:
    row = db.execute(
        "select id from pgcortex.store_memory(content => 'a good memory',"
        " memory_type => 'business_fact', embedding => %s::public.vector,"
        " embedding_model => 'test-model')",
        (vector_literal(unit(1)),),
    ).fetchone()
    assert row is not None
    params = {
        "v": vector_literal(POISON[vector]),
        "good": vector_literal(unit(2)),
        "id": row[0],
        "turn": TURN,
    }
    before = checksums(db)
    for name, call in SQL_CALLS.items():
        with pytest.raises(psycopg.Error) as info:
            db.execute(call, params)
        assert info.value.sqlstate == "PC011", (name, info.value.sqlstate, str(info.value))
        assert info.value.diag.message_hint, name
    assert checksums(db) == before


def test_the_bounds_are_the_documented_ones(db: psycopg.Connection) -> None:
    """Squared norm in [2^-120, 2^120]: just inside passes, just outside is refused."""

    def problem(v: np.ndarray) -> str | None:
        row = db.execute(
            "select pgcortex_internal.embedding_problem(%s::public.vector)", (vector_literal(v),)
        ).fetchone()
        assert row is not None
        return None if row[0] is None else str(row[0])

    e = np.zeros(384, dtype=np.float64)
    e[0] = 1.0
    assert problem(e * 2.0**59.9) is None
    assert problem(e * 2.0**-59.9) is None
    assert problem(e * 2.0**60.1) is not None
    assert problem(e * 2.0**-60.1) is not None
    assert problem(unit(5) * 1e-15) is None  # small but measurable: fine
    for name, v in POISON.items():
        assert problem(np.array(v)) is not None, name


@pytest.mark.parametrize("vector", list(POISON), ids=list(POISON))
async def test_client_refuses_them_and_later_stores_are_all_inserted(
    client: Client, db: psycopg.Connection, vector: str
) -> None:
    bad = np.array(POISON[vector], dtype=np.float32)
    before = checksums(db)
    with pytest.raises(errors.EmbeddingValueError):
        await client.store_memory("poisoned", "business_fact", embedding=bad, embedding_model=MODEL)
    with pytest.raises(errors.EmbeddingValueError):
        await client.store_memories(
            [MemoryInput("poisoned batch item", "business_fact", embedding=bad)],
            embedding_model=MODEL,
        )
    with pytest.raises(errors.EmbeddingValueError):
        await client.search_memories(query_embedding=bad, embedding_model=MODEL, track=False)
    with pytest.raises(errors.EmbeddingValueError):
        await client.store_conversation_turn("user", TURN, embedding=bad, embedding_model=MODEL)
    assert checksums(db) == before
    results = await client.store_memories(
        [
            MemoryInput(f"distinct fact number {n}", "business_fact", embedding=unit(1000 + n))
            for n in range(300)
        ],
        embedding_model=MODEL,
    )
    assert [r.action for r in results].count("inserted") == 300


@pytest.mark.parametrize("vector", list(POISON)[:2], ids=list(POISON)[:2])
async def test_a_planted_poisoned_row_never_absorbs_a_store(
    client: Client, db: psycopg.Connection, vector: str
) -> None:
    """Defence in depth: a row that bypassed validation (written by the owner directly)
    gives a NaN or 0 distance in float4; the near-duplicate test must not merge into it."""
    db.execute(
        "insert into pgcortex.memories (namespace, content, memory_type, embedding,"
        " embedding_model) values ('test', 'planted', 'business_fact', %s::public.vector, %s)",
        (vector_literal(POISON[vector]), MODEL),
    )
    results = await client.store_memories(
        [
            MemoryInput(f"unrelated fact number {n}", "business_fact", embedding=unit(5000 + n))
            for n in range(300)
        ],
        embedding_model=MODEL,
    )
    assert [r.action for r in results].count("inserted") == 300
    one = await client.store_memory(
        "one more unrelated fact", "business_fact", embedding=unit(9999), embedding_model=MODEL
    )
    assert one.action == "inserted"
    row = db.execute("select count(*) from pgcortex.memories").fetchone()
    assert row is not None
    assert row[0] == 302
    # The test means something: in float4, many of these distances are NaN or 0.
    row = db.execute(
        "select count(*) from pgcortex.memories as m, pgcortex.memories as p"
        " where p.content = 'planted' and m.content <> 'planted'"
        " and ((m.embedding operator(public.<=>) p.embedding) = 'NaN'::float8"
        " or (m.embedding operator(public.<=>) p.embedding) = 0)"
    ).fetchone()
    assert row is not None
    assert row[0] > 50
