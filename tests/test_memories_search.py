"""Hybrid search: keyword-only hits, text-only and vector-only, filters in SQL, exactly k
under a selective filter on 20,000 rows (recall against an exact search), the score
breakdown and its weights, expiry, recall as in the seed, link expansion."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import psycopg
import pytest

from pgcortex import Client, errors
from pgcortex.memories import MemoryInput
from tests.test_memories_store import MODEL, unit


async def _seed(client: Client, n: int = 60) -> list[Any]:
    items = [
        MemoryInput(
            f"Routine note {i} about office logistics and schedules",
            "business_fact" if i % 2 else "process_knowledge",
            importance=1 + i % 5,
            tags=[f"group{i % 3}"],
            metadata={"i": i, "even": i % 2 == 0},
            embedding=unit(1000 + i),
        )
        for i in range(n)
    ]
    return await client.store_memories(items, embedding_model=MODEL, dedup_near=False)


async def test_keyword_only_hit_found_by_hybrid_search(client: Client) -> None:
    await _seed(client)
    target = await client.store_memory(
        "Zorblax, our main competitor, cut its prices by half",
        "market_intelligence",
        embedding=unit(1),
        embedding_model=MODEL,
    )
    # The query vector points nowhere near the target: only the keyword can find it.
    hits = await client.search_memories(
        "what did Zorblax do", query_embedding=unit(2), embedding_model=MODEL, k=5, track=False
    )
    assert len(hits) == 5
    found = [h for h in hits if h.id == target.id]
    assert found, "the keyword-only match is missing"
    assert found[0].matched_by in {"text", "both"}
    assert found[0].text_rank is not None
    assert found[0].text_rank > 0
    assert found[0].keyword_overlap == pytest.approx(1.0)
    # A vector-only search with the same vector does not rank it first.
    vector_only = await client.search_memories(
        query_embedding=unit(2), embedding_model=MODEL, k=5, track=False
    )
    assert all(h.matched_by == "vector" for h in vector_only)
    assert vector_only[0].id != target.id


async def test_text_only_namespace(client: Client) -> None:
    await client.store_memories(
        [
            MemoryInput("Deploy with blue green strategy", "process_knowledge"),
            MemoryInput("The team deploys on Fridays", "process_knowledge"),
            MemoryInput("Lunch is at noon", "business_fact"),
        ]
    )
    hits = await client.search_memories("deploy strategy", k=5, track=False)
    assert [h.content for h in hits][:1] == ["Deploy with blue green strategy"]
    assert {h.content for h in hits} == {
        "Deploy with blue green strategy",
        "The team deploys on Fridays",
    }
    assert all(h.similarity is None and h.matched_by == "text" for h in hits)
    # websearch syntax: a quoted phrase and an excluded word.
    phrase = await client.search_memories('"blue green" -fridays', k=5, track=False)
    assert [h.content for h in phrase] == ["Deploy with blue green strategy"]
    with pytest.raises(errors.InvalidArgumentError):
        await client.search_memories("   ", k=5)


async def test_filters_are_applied_in_sql(client: Client) -> None:
    stored = await _seed(client)
    q = unit(7)

    async def ids(**filters: Any) -> set[Any]:
        hits = await client.search_memories(
            query_embedding=q, embedding_model=MODEL, k=100, track=False, **filters
        )
        return {h.id for h in hits}

    all_ids = {r.id for r in stored}
    assert await ids() == all_ids
    by_id = {r.id: i for i, r in enumerate(stored)}
    assert {by_id[x] % 2 for x in await ids(memory_types=["business_fact"])} == {1}
    assert {by_id[x] % 3 for x in await ids(tags_any=["group0", "group1"])} == {0, 1}
    assert await ids(tags_all=["group0", "group1"]) == set()
    assert {1 + by_id[x] % 5 for x in await ids(min_importance=4)} == {4, 5}
    assert {by_id[x] % 2 for x in await ids(metadata_contains={"even": True})} == {0}
    excluded = set(list(all_ids)[:10])
    assert await ids(exclude_ids=list(excluded)) == all_ids - excluded
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert await ids(created_after=future) == set()
    assert await ids(created_before=future) == all_ids
    assert await ids(accessed_after=future) == set()
    assert await ids(min_confidence=0.5) == all_ids
    with pytest.raises(errors.UnknownMemoryTypeError):
        await ids(memory_types=["gossip"])
    with pytest.raises(errors.InvalidMetadataError):
        await ids(metadata_contains=[1])


async def test_exactly_k_when_enough_match(client: Client) -> None:
    await _seed(client, 30)
    q = unit(8)
    for k in (1, 7, 30):
        hits = await client.search_memories(
            query_embedding=q, embedding_model=MODEL, k=k, track=False
        )
        assert len(hits) == k
        assert [h.rank for h in hits] == list(range(1, k + 1))
    # Fewer candidates (the fast setting under a filter) still give exactly k.
    fast = {"min_candidates": 1, "candidates_per_k": 1}
    for k in (1, 7):
        hits = await client.search_memories(
            query_embedding=q, embedding_model=MODEL, k=k, track=False, weights=fast
        )
        assert len(hits) == k
    hits = await client.search_memories(query_embedding=q, embedding_model=MODEL, k=50, track=False)
    assert len(hits) == 30  # only 30 match
    with pytest.raises(errors.OutOfRangeError):
        await client.search_memories(query_embedding=q, embedding_model=MODEL, k=0)


async def test_score_breakdown_and_weights(client: Client) -> None:
    await _seed(client, 40)
    q = unit(1005)  # the embedding of note 5
    hits = await client.search_memories(
        "note 5 schedules", query_embedding=q, embedding_model=MODEL, k=10, track=False
    )
    # Note 5 is first in both lists (its own vector; the only text with every word): its
    # fused relevance is 1. Where it ends up is for the multipliers to say (it has
    # importance 1), which is the point of them.
    five = [h for h in hits if h.content.startswith("Routine note 5 ")]
    assert five
    assert five[0].similarity == pytest.approx(1.0, abs=1e-5)
    assert five[0].matched_by == "both"
    assert five[0].fused_relevance == pytest.approx(1.0)
    assert five[0].importance_factor == pytest.approx(0.9)
    for h in hits:
        assert h.ranking_version == 4
        assert h.fused_relevance is not None
        product = (
            h.fused_relevance
            * (h.recency_factor or 0)
            * (h.importance_factor or 0)
            * (h.confidence_factor or 0)
            * (h.access_factor or 0)
        )
        assert h.score == pytest.approx(product, rel=1e-5)
        assert 0 <= h.fused_relevance <= 1
        assert 0.9 - 1e-6 <= (h.importance_factor or 0) <= 1.1 + 1e-6
        assert 0.8 <= (h.recency_factor or 0) <= 1.0 + 1e-6
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    # Weights override the defaults: no importance effect, no recency floor.
    flat = await client.search_memories(
        "office schedules",
        query_embedding=q,
        embedding_model=MODEL,
        k=10,
        track=False,
        weights={"importance_weight": 0, "access_weight": 0},
    )
    assert all(h.importance_factor == pytest.approx(1.0) for h in flat)
    with pytest.raises(errors.InvalidArgumentError):
        await client.search_memories("x", weights={"no_such_weight": 1}, k=1)
    with pytest.raises(errors.OutOfRangeError):
        await client.search_memories("x", weights={"recency_floor": 2}, k=1)
    with pytest.raises(errors.OutOfRangeError):
        await client.search_memories("x", weights={"min_candidates": 0}, k=1)


async def test_min_relevance_and_recall(client: Client) -> None:
    await client.store_memory(
        "Quarterly revenue target is two million", "business_fact", tags=["finance"]
    )
    await client.store_memory("The office plant needs water", "business_fact")
    hits = await client.recall_memories("revenue target", limit=10)
    assert [h.content for h in hits] == ["Quarterly revenue target is two million"]
    assert hits[0].relevance is not None
    assert hits[0].relevance >= 0.5
    # The seed's tag bonus: a tag in the query adds 0.2 to the relevance.
    tagged = await client.recall_memories("finance revenue", min_relevance=0.0)
    assert tagged[0].keyword_overlap == pytest.approx(0.5)
    assert tagged[0].relevance == pytest.approx(0.7)
    assert await client.recall_memories("zebra migration patterns") == []
    strict = await client.search_memories("revenue plant", k=10, min_relevance=0.6)
    assert strict == []  # each memory has only half of the words


async def test_expired_memories_are_invisible(client: Client, db: psycopg.Connection) -> None:
    now = dt.datetime.now(dt.UTC)
    short = await client.store_memory(
        "A fleeting thought about lunch",
        "business_fact",
        expires_at=now + dt.timedelta(hours=1),
    )
    await client.store_memory("A lasting thought about lunch", "business_fact")
    later = now + dt.timedelta(hours=2)
    hits = await client.search_memories("lunch thought", k=10, as_of=later, track=False)
    assert [h.content for h in hits] == ["A lasting thought about lunch"]
    with pytest.raises(errors.NotFoundError):
        await client.retrieve_memory(short.id, as_of=later)
    assert len(await client.list_memories(as_of=later)) == 1
    assert len(await client.get_memories([short.id], as_of=later)) == 0
    # Before it expires it is there; purging before then removes nothing.
    assert len(await client.search_memories("fleeting", k=10, track=False)) == 1
    assert (await client.purge_expired_memories()).deleted == 0
    purged = await client.purge_expired_memories(as_of=later)
    assert purged.deleted == 1
    assert purged.ids == (short.id,)
    history = await client.memory_history(short.id)
    assert history[-1].reason == "purge_expired"
    # Storing the same content again after expiry brings it back under the same id.
    again = await client.store_memory("a fleeting thought about lunch", "business_fact")
    assert again.action == "inserted"


async def test_expand_links_adds_one_hop(client: Client) -> None:
    a = await client.store_memory("Zorblax cut prices", "market_intelligence")
    b = await client.store_memory("Our margin is thin", "business_fact")
    c = await client.store_memory("Consider a loyalty program", "strategic_insight")
    await client.link_memories(a.id, b.id, "implies", 0.5)
    await client.link_memories(c.id, b.id, "answers", 0.9)
    hits = await client.search_memories("Zorblax", k=1, expand_links=True, track=False)
    assert [h.id for h in hits] == [a.id, b.id]
    assert hits[1].matched_by == "link"
    assert hits[1].linked_from == a.id
    assert hits[1].score == pytest.approx(hits[0].score * 0.5, rel=1e-5)
    assert hits[1].rank == 2


def _make_rows(db: psycopg.Connection, n: int, rare_every: int) -> None:
    """n memories made in SQL, in clusters of 100 around random unit centres (as real
    embeddings cluster); every rare_every-th row is tagged rare, every 5th fifth. The
    HNSW index is rebuilt after the load (faster than inserting into it)."""
    index = db.execute(
        "select 'pgcortex.' || (pgcortex_internal.embedding_model_sql(%s)).index_name", (MODEL,)
    ).fetchone()
    assert index is not None
    indexdef = db.execute("select pg_get_indexdef(%s::regclass)", (index[0],)).fetchone()
    assert indexdef is not None
    db.execute(f"drop index {index[0]}")
    db.execute("select pgcortex.set_namespace_embedding_model(%s)", (MODEL,))
    db.execute("select setseed(0.25)")
    db.execute(
        """
        with centres as materialized (
            select c, (select array_agg(random() * 2 - 1) from generate_series(1, 384) as d
                       where c >= 0) as v
            from generate_series(0, %(n)s / 100) as c
        )
        insert into pgcortex.memories (namespace, content, memory_type, tags, embedding,
            embedding_model)
        select
            'test',
            'generated row ' || g,
            'business_fact',
            array_remove(array[
                case when mod(g, %(rare)s) = 0 then 'rare' end,
                case when mod(g, 5) = 0 then 'fifth' end,
                'all'
            ], null),
            public.l2_normalize((
                select array_agg(x.v + 0.6 * (random() * 2 - 1) order by x.o)
                from unnest(centres.v) with ordinality as x (v, o)
                where g > 0
            )::public.vector),
            %(model)s
        from generate_series(1, %(n)s) as g
        inner join centres on centres.c = g / 100
        """,
        {"n": n, "rare": rare_every, "model": MODEL},
    )
    db.execute(indexdef[0])
    db.execute("analyze pgcortex.memories")


def _query_near_row(db: psycopg.Connection, row: int, seed: int) -> np.ndarray:
    """A query vector close to the embedding of generated row ``row``."""
    found = db.execute(
        "select embedding::text from pgcortex.memories where content = %s",
        (f"generated row {row}",),
    ).fetchone()
    assert found is not None
    v = np.array(found[0].strip("[]").split(","), dtype=np.float32)
    v += np.random.default_rng(seed).standard_normal(384).astype(np.float32) * 0.02
    result: np.ndarray = v / np.linalg.norm(v)
    return result


def _exact(db: psycopg.Connection, q: np.ndarray, tag: str | None, k: int) -> list[Any]:
    rows = db.execute(
        "select id from pgcortex.memories where (%s::text is null or %s = any(tags)) "
        "order by (embedding <=> %s::public.vector) + 0, id limit %s",
        (tag, tag, "[" + ",".join(str(float(x)) for x in q) + "]", k),
    ).fetchall()
    return [r[0] for r in rows]


@pytest.mark.slow
async def test_k_results_under_selective_filter_on_20000_rows(
    client: Client, db: psycopg.Connection
) -> None:
    _make_rows(db, 20_000, rare_every=200)  # 100 rare rows: 0.5 %
    recalls: dict[str, float] = {}
    for seed in range(5):
        q = _query_near_row(db, 1 + seed * 3_917, seed)
        # 0.5 % filter: the filtered set is scanned exactly.
        hits = await client.search_memories(
            query_embedding=q, embedding_model=MODEL, k=10, tags_any=["rare"], track=False
        )
        assert len(hits) == 10
        exact = _exact(db, q, "rare", 10)
        recalls[f"rare{seed}"] = len({h.id for h in hits} & set(exact)) / 10
        # 20 % filter and no filter: HNSW with iterative scan still returns k.
        for tag in ("fifth", None):
            hits = await client.search_memories(
                query_embedding=q,
                embedding_model=MODEL,
                k=10,
                tags_any=[tag] if tag else None,
                ef_search=200,
                track=False,
            )
            assert len(hits) == 10
            exact = _exact(db, q, tag, 10)
            recalls[f"{tag}{seed}"] = len({h.id for h in hits} & set(exact)) / 10
    assert all(recalls[f"rare{s}"] == 1.0 for s in range(5)), recalls
    hnsw = [v for key, v in recalls.items() if not key.startswith("rare")]
    assert sum(hnsw) / len(hnsw) >= 0.9, recalls
    # Nothing was tracked by these read-only searches.
    row = db.execute("select count(*) from pgcortex.memory_access_log").fetchone()
    assert row == (0,)


async def test_query_embedding_checks(client: Client) -> None:
    with pytest.raises(errors.EmbeddingDimensionError):
        await client.search_memories(query_embedding=[0.1, 0.2], k=1)
    with pytest.raises(errors.EmbeddingValueError):
        await client.search_memories(query_embedding=[0.0] * 384, k=1)
    with pytest.raises(errors.EmbeddingValueError):
        await client.search_memories(query_embedding=[float("nan")] * 384, k=1)


def test_plain_words_with_a_hyphenated_code_match_any_word(db) -> None:
    """A hyphenated word is a phrase inside the tsquery; the other words stay optional."""
    (q,) = db.execute(
        "select pgcortex_internal.search_tsquery('status of ticket ZX-4471')::text"
    ).fetchone()
    assert "|" in q
    assert "&" not in q
    (strict,) = db.execute(
        "select pgcortex_internal.search_tsquery('ticket -status')::text"
    ).fetchone()
    assert "!" in strict
    db.execute(
        "select pgcortex.store_memory(content => 'Customer escalation ZX-4471 is waiting on "
        "the vendor', memory_type => 'business_fact')"
    )
    rows = db.execute(
        "select content from pgcortex.search_memories("
        "query_text => 'status of ticket ZX-4471', k => 3, track => false)"
    ).fetchall()
    assert [r[0] for r in rows] == ["Customer escalation ZX-4471 is waiting on the vendor"]
