"""The ranking formula (ranking_version 4): its defaults and names as documented, BM25
term statistics kept by the write path, fusion by each arm's evidence, tie-breaks that
do not favour old rows, tracking that does not reorder, the README's example."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from pgcortex import Client
from pgcortex.memories import MemoryInput
from pgcortex.records import SearchHit
from tests.test_memories_store import MODEL, near, unit

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = ROOT / "docs" / "architecture.md"


def _ranking_section() -> str:
    text = ARCHITECTURE.read_text()
    start = text.index("## Ranking\n")
    return text[start : text.index("\n## ", start + 1)]


def _documented_defaults() -> dict[str, float]:
    section = _ranking_section()
    table = section[
        section.index("<!-- ranking-defaults: begin") : section.index("<!-- ranking-defaults: end")
    ]
    rows = re.findall(r"^\| `([a-z0-9_]+)` \| ([0-9.]+) \|", table, re.M)
    assert rows, "docs/architecture.md lost its table of ranking defaults"
    return {name: float(value) for name, value in rows}


def test_documented_defaults_are_the_sql_defaults(db: psycopg.Connection) -> None:
    row = db.execute("select pgcortex_internal.search_defaults()").fetchone()
    assert row is not None
    in_sql = {k: float(v) for k, v in row[0].items()}
    assert _documented_defaults() == in_sql, (
        "docs/architecture.md's table of ranking defaults differs from"
        " pgcortex_internal.search_defaults()"
    )


def test_documented_formula_uses_names_that_exist(db: psycopg.Connection) -> None:
    section = _ranking_section()
    # Every pgcortex.<name> the section names is a function or relation.
    for name in set(re.findall(r"pgcortex\.([a-z_]+)", section)):
        row = db.execute(
            "select exists (select from pg_catalog.pg_proc where proname = %(n)s"
            " and pronamespace = 'pgcortex'::regnamespace)"
            " or exists (select from pg_catalog.pg_class where relname = %(n)s"
            " and relnamespace = 'pgcortex'::regnamespace)",
            {"n": name},
        ).fetchone()
        assert row is not None
        assert row[0], f"pgcortex.{name} does not exist"
    # Every snake_case name of the formula is a weight, a search argument, a column of
    # the search row or of pgcortex.memories, or a table.
    formula = section[section.index("```") : section.index("```", section.index("```") + 3)]
    known = set(_documented_defaults())
    for sql in (
        "select pg_catalog.unnest(proargnames) from pg_catalog.pg_proc"
        " where proname = 'search_memories' and pronamespace = 'pgcortex'::regnamespace",
        "select attname from pg_catalog.pg_attribute where attnum > 0 and attrelid in"
        " ('pgcortex.memories'::regclass, 'pgcortex.memory_search_row'::regclass)",
        "select relname from pg_catalog.pg_class where relnamespace = 'pgcortex'::regnamespace",
    ):
        known |= {r[0] for r in db.execute(sql).fetchall()}
    derived = {"vector_evidence", "text_evidence", "own_evidence", "recency_factor",
               "importance_factor", "confidence_factor", "access_factor"}  # fmt: skip
    unknown = (
        {w for w in re.findall(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", formula)} - known - derived
    )
    assert not unknown, f"the documented formula names what the SQL does not have: {unknown}"
    assert "ranking_version` (4)" in section


async def test_strong_vector_evidence_beats_weak_matches_in_both_lists(client: Client) -> None:
    """Rank fusion put any memory found by both arms above any found by one; now each
    candidate's evidence from both arms counts."""
    q = unit(7)
    weak = [
        MemoryInput(
            f"Mia talked about the weather on day {i}",
            "conversation",
            embedding=near(q, 0.30, 100 + i),
        )
        for i in range(8)
    ]
    filler = [
        MemoryInput(f"Unrelated remark number {i}", "conversation", embedding=near(q, 0.1, 200 + i))
        for i in range(30)
    ]
    stored = await client.store_memories(
        [
            MemoryInput(
                "She adopted a greyhound from the shelter",
                "conversation",
                embedding=near(q, 0.56, 1),
            ),
            *weak,
            *filler,
        ],
        embedding_model=MODEL,
        dedup_near=False,
    )
    answer = stored[0].id
    hits = await client.search_memories(
        "What did Mia do last week?", query_embedding=q, embedding_model=MODEL, k=5, track=False
    )
    assert hits[0].id == answer
    assert hits[0].matched_by == "vector"
    assert all(h.matched_by == "both" for h in hits[1:])


async def test_bm25_weighs_rare_words_above_common_ones(client: Client) -> None:
    common = [
        MemoryInput(f"Caroline: I said something ordinary, number {i}", "conversation")
        for i in range(40)
    ]
    await client.store_memories(
        [*common, MemoryInput("Melanie: the pottery class was fun", "conversation")]
    )
    hits = await client.search_memories("Did Caroline enjoy the pottery class?", k=3, track=False)
    # One rare word outweighs a name held by almost every memory.
    assert hits[0].content == "Melanie: the pottery class was fun"
    assert (hits[0].text_rank or 0) > 2 * (hits[1].text_rank or 0)


async def test_ties_are_not_broken_by_insertion_order(
    client: Client, db: psycopg.Connection
) -> None:
    v = unit(3)
    texts = [f"Identical vector, text {i}" for i in range(12)]
    # Stored one by one, the largest content hash first: the oldest rows are the ones
    # a tie-break by id (insertion time) would return.
    hashes: dict[str, bytes] = {}
    for t in texts:
        row = db.execute("select pgcortex_internal.content_hash(%s)", (t,)).fetchone()
        assert row is not None
        hashes[t] = bytes(row[0])
    for text in sorted(texts, key=lambda t: hashes[t], reverse=True):
        await client.store_memory(
            text, "conversation", embedding=v, embedding_model=MODEL, dedup_near=False
        )
    hits = await client.search_memories(query_embedding=v, embedding_model=MODEL, k=4, track=False)
    assert len({round(h.score, 6) for h in hits}) == 1
    by_hash = [
        r[0]
        for r in db.execute(
            "select id from pgcortex.memories where namespace = 'test'"
            " order by content_hash limit 4"
        ).fetchall()
    ]
    assert [h.id for h in hits] == by_hash
    first_inserted = [
        r[0]
        for r in db.execute(
            "select id from pgcortex.memories where namespace = 'test' order by id limit 4"
        ).fetchall()
    ]
    assert not set(by_hash) & set(first_inserted)


@pytest.mark.parametrize("stored_days_ago", [0, 90])
async def test_tracked_searches_do_not_reorder_the_next_one(
    client: Client, stored_days_ago: int
) -> None:
    # Stored long ago as well as just now: a factor that counted from the last
    # access (recency in ranking_version 3) lifted a memory that had just been read
    # by up to 1 / recency_floor, and the old memories' order followed the reads.
    now = datetime.now(UTC)
    q = unit(11)
    await client.store_memories(
        [
            MemoryInput(
                f"Close neighbour {i}", "conversation", embedding=near(q, 0.5 + i / 1000, i)
            )
            for i in range(20)
        ],
        embedding_model=MODEL,
        dedup_near=False,
        as_of=now - timedelta(days=stored_days_ago),
    )
    first = [
        h.id
        for h in await client.search_memories(
            query_embedding=q, embedding_model=MODEL, k=10, track=False, as_of=now
        )
    ]
    # The 10th-ranked memory is read many times on its own.
    for _ in range(30):
        await client.search_memories(
            query_embedding=near(q, 0.999, 99),
            embedding_model=MODEL,
            k=1,
            exclude_ids=first[:9],
            as_of=now,
        )
    hits = await client.search_memories(
        query_embedding=q, embedding_model=MODEL, k=10, as_of=now + timedelta(seconds=1)
    )
    assert [h.id for h in hits] == first
    # The reads are counted and reported all the same.
    assert hits[-1].access_count == 30
    assert hits[-1].last_accessed == now
    assert all(h.access_count == 0 for h in hits[:-1])


@pytest.mark.parametrize("statement", ["embedding alone", "full"])
async def test_recency_counts_from_when_a_memory_was_stored_again(
    client: Client, statement: str
) -> None:
    # Storing what is already remembered is the agent saying it again: the memory's
    # recency starts anew (updated_at), whatever was read meanwhile. Through both
    # fusion statements (a text that matches nothing, weighed 0, takes the full one).
    text, weights = (
        (None, None) if statement == "embedding alone" else ("zzqqxx", {"text_weight": 0})
    )
    now = datetime.now(UTC)
    q = unit(12)
    old = now - timedelta(days=90)
    stored = await client.store_memories(
        [
            MemoryInput("The harbour opens at six", "business_fact", embedding=near(q, 0.80, 1)),
            MemoryInput("The ferry leaves at seven", "business_fact", embedding=near(q, 0.78, 2)),
        ],
        embedding_model=MODEL,
        as_of=old,
    )
    before = await client.search_memories(
        text, query_embedding=q, embedding_model=MODEL, k=2, track=False, as_of=now, weights=weights
    )
    assert [h.id for h in before] == [stored[0].id, stored[1].id]
    assert before[0].recency_factor == pytest.approx(before[1].recency_factor)
    again = await client.store_memories(
        [MemoryInput("The ferry leaves at seven", "business_fact", embedding=near(q, 0.78, 2))],
        embedding_model=MODEL,
        as_of=now,
    )
    assert again[0].action == "updated"
    after = await client.search_memories(
        text, query_embedding=q, embedding_model=MODEL, k=2, track=False, as_of=now, weights=weights
    )
    assert [h.id for h in after] == [stored[1].id, stored[0].id]
    assert after[0].recency_factor == pytest.approx(1.0)
    assert after[1].recency_factor == pytest.approx(0.8 + 0.2 * 0.5**3)


async def test_access_factor_weighs_the_counts_when_asked(client: Client) -> None:
    # Off by default (reads must not reorder); with access_weight > 0 every
    # candidate's count is read and weighed, the pending ones included.
    now = datetime.now(UTC)
    q = unit(13)
    stored = await client.store_memories(
        [
            MemoryInput("Lunch is at noon", "business_fact", embedding=near(q, 0.80, 1)),
            MemoryInput("Dinner is at eight", "business_fact", embedding=near(q, 0.78, 2)),
        ],
        embedding_model=MODEL,
        as_of=now,
    )
    for _ in range(9):
        await client.get_memory(stored[1].id)
    default = await client.search_memories(
        query_embedding=q, embedding_model=MODEL, k=2, track=False, as_of=now
    )
    assert [h.id for h in default] == [stored[0].id, stored[1].id]
    assert [h.access_count for h in default] == [0, 9]
    assert all(h.access_factor == pytest.approx(1.0) for h in default)
    weighed = await client.search_memories(
        query_embedding=q,
        embedding_model=MODEL,
        k=2,
        track=False,
        as_of=now,
        weights={"access_weight": 0.5, "access_saturation": 9},
    )
    assert [h.id for h in weighed] == [stored[1].id, stored[0].id]
    assert [h.access_count for h in weighed] == [9, 0]
    assert weighed[0].access_factor == pytest.approx(1.5)
    assert weighed[1].access_factor == pytest.approx(1.0)


async def test_candidates_per_arm_are_two_per_result_and_at_least_twenty(
    client: Client,
) -> None:
    # n = max(min_candidates, k x candidates_per_k), 20 and 2 by default: the
    # multipliers rank within the n nearest, so a memory the importance factor
    # would lift to the top from vector rank 25 is out of reach at k 5 (n 20),
    # within reach at k 13 (n 26) or when the caller asks for 40 candidates.
    now = datetime.now(UTC)
    q = unit(21)
    close = [
        MemoryInput(
            f"Routine fact number {i}", "business_fact", embedding=near(q, 0.80 - i / 600, i)
        )
        for i in range(24)
    ]
    lifted = MemoryInput(
        "The release freeze starts on Friday",
        "business_fact",
        importance=5,
        embedding=near(q, 0.755, 99),
    )
    stored = await client.store_memories(
        [*close, lifted], embedding_model=MODEL, dedup_near=False, as_of=now
    )
    target = stored[-1].id

    async def first(k: int, weights: dict[str, float] | None = None) -> list[SearchHit]:
        return await client.search_memories(
            query_embedding=q, embedding_model=MODEL, k=k, track=False, as_of=now, weights=weights
        )

    assert target not in {h.id for h in await first(5)}
    assert target not in {h.id for h in await first(10)}
    assert (await first(13))[0].id == target
    assert (await first(5, {"min_candidates": 25}))[0].id == target
    assert (await first(5, {"candidates_per_k": 5}))[0].id == target
    assert target not in {h.id for h in await first(5, {"min_candidates": 24})}


@pytest.mark.parametrize(
    "weights",
    [
        {},
        {"vector_weight": 0.7, "importance_weight": 0.3, "half_life_days": 3},
        {"access_weight": 0.4, "access_saturation": 5},
        {"vector_weight": 0},
    ],
)
async def test_search_by_embedding_alone_ranks_as_the_full_statement_does(
    client: Client, weights: dict[str, float]
) -> None:
    # A search by embedding alone takes a statement of its own (no text scores, no
    # context step). The same search with a text that matches nothing, weighed 0,
    # takes the full statement: every field of every hit must agree to the bit.
    now = datetime.now(UTC)
    q = unit(21)
    for age in (0, 5, 40, 200):
        await client.store_memories(
            [
                MemoryInput(
                    f"Harbour note {age}-{i}",
                    "business_fact",
                    importance=1 + (i + age) % 5,
                    confidence=0.5 + (i % 3) / 4,
                    tags=["harbour"],
                    embedding=near(q, 0.1 + 0.07 * i + age / 2000, 100 * age + i),
                )
                for i in range(10)
            ],
            embedding_model=MODEL,
            dedup_near=False,
            as_of=now - timedelta(days=age),
        )
    await client.search_memories(query_embedding=q, embedding_model=MODEL, k=7, as_of=now)
    await client.search_memories(query_embedding=q, embedding_model=MODEL, k=3, as_of=now)

    def fields(h: SearchHit) -> tuple[object, ...]:
        return (
            h.id, h.rank, h.similarity, h.relevance, h.fused_relevance, h.recency_factor,
            h.importance_factor, h.confidence_factor, h.access_factor, h.score,
            h.matched_by, h.linked_from, h.access_count, h.last_accessed, h.ranking_version,
        )  # fmt: skip

    counts: set[int] = set()
    for k, min_relevance in ((1, None), (10, None), (25, None), (40, None), (10, 0.5)):
        alone = await client.search_memories(
            query_embedding=q, embedding_model=MODEL, k=k, min_relevance=min_relevance,
            weights=weights, track=False, as_of=now,
        )  # fmt: skip
        full = await client.search_memories(
            "zzqqxx", query_embedding=q, embedding_model=MODEL, k=k,
            min_relevance=min_relevance, weights={**weights, "text_weight": 0},
            track=False, as_of=now,
        )  # fmt: skip
        assert [fields(h) for h in alone] == [fields(h) for h in full], (k, min_relevance)
        assert alone
        assert all(h.text_rank is None for h in alone)
        counts |= {h.access_count for h in alone}
        assert all(h.text_rank == 0 for h in full)
    # Read once, twice and never: the access counts (and factors) differ.
    assert counts == {0, 1, 2}


async def test_only_a_search_by_embedding_alone_takes_the_lean_statement(
    client: Client, db: psycopg.Connection
) -> None:
    # The comparison above cannot tell which statement ran (both agree, by design):
    # count the lean statement's own executions, so that a condition that never
    # (or always) chooses it fails here.
    q = unit(22)
    await client.store_memories(
        [
            MemoryInput(f"Pier note {i}", "business_fact", embedding=near(q, 0.3 + i / 20, i))
            for i in range(8)
        ],
        embedding_model=MODEL,
    )
    db.execute("create extension if not exists pg_stat_statements")
    db.execute("set pg_stat_statements.track = 'all'")
    vector = "[" + ",".join(f"{x:.7f}" for x in q) + "]"

    def lean_runs() -> int:
        # Only the lean statement hands the vector candidates to the look-up as they are.
        row = db.execute(
            "select coalesce(sum(s.calls), 0)::bigint from public.pg_stat_statements as s"
            " where s.dbid = (select oid from pg_catalog.pg_database"
            " where datname = pg_catalog.current_database())"
            " and s.query like '%access_totals_of(_vec_ids) as a%'"
        ).fetchone()
        assert row is not None
        return int(row[0])

    def search(text: str | None, weights: str | None) -> int:
        before = lean_runs()
        rows = db.execute(
            "select count(*) from pgcortex.search_memories(query_embedding => %s::public.vector,"
            " query_text => %s, weights => %s::jsonb, k => 3, track => false,"
            " embedding_model => %s)",
            (vector, text, weights, MODEL),
        ).fetchone()
        assert rows == (3,)
        return lean_runs() - before

    assert search(None, None) == 1
    assert search(None, '{"access_weight": 0.5}') == 1
    assert search("pier", None) == 0
    assert search("zzqqxx", '{"text_weight": 0}') == 0


def _stats(db: psycopg.Connection) -> tuple[dict[str, int], tuple[int, int]]:
    terms: dict[str, int] = dict(
        db.execute(
            "select lexeme, sum(d)::bigint from ("
            " select lexeme, doc_count as d from pgcortex.memory_terms where namespace = 'test'"
            " union all select lexeme, doc_delta from pgcortex.memory_term_log"
            " where namespace = 'test' and lexeme is not null) as x"
            " group by lexeme having sum(d) <> 0"
        ).fetchall()
    )
    totals = db.execute(
        "select coalesce(sum(d), 0)::bigint, coalesce(sum(len), 0)::bigint from ("
        " select doc_count as d, total_length as len from pgcortex.memory_term_totals"
        " where namespace = 'test' union all select doc_delta, length_delta"
        " from pgcortex.memory_term_log where namespace = 'test' and lexeme is null) as x"
    ).fetchone()
    assert totals is not None
    return terms, (totals[0], totals[1])


def _recomputed(db: psycopg.Connection) -> tuple[dict[str, int], tuple[int, int]]:
    terms: dict[str, int] = dict(
        db.execute(
            "select u.lexeme, count(*) from pgcortex.memories as m,"
            " pg_catalog.unnest(m.content_tsv) as u where m.namespace = 'test' group by u.lexeme"
        ).fetchall()
    )
    totals = db.execute(
        "select count(*), coalesce(sum(pg_catalog.length(content_tsv)), 0)::bigint"
        " from pgcortex.memories where namespace = 'test'"
    ).fetchone()
    assert totals is not None
    return terms, (totals[0], totals[1])


async def test_term_statistics_follow_every_write(client: Client, db: psycopg.Connection) -> None:
    stored = await client.store_memories(
        [
            MemoryInput(f"Note {i} about apples and pears, batch {i % 7}", "business_fact")
            for i in range(300)
        ]
    )
    await client.store_memory("note 1 about apples and pears, batch 1", "business_fact")  # same
    assert _stats(db) == _recomputed(db)
    await client.update_memory(stored[0].id, content="Bananas only now")
    await client.update_memory(stored[1].id, importance=5)  # content unchanged
    await client.delete_memory(stored[2].id)
    db.execute(
        "delete from pgcortex.memories where namespace = 'test' and content like 'Note 1_ %'"
    )
    assert _stats(db) == _recomputed(db)
    # The store path folded the log by itself; maintenance folds what is left.
    folded = db.execute("select * from pgcortex_internal.maint_fold_terms()").fetchone()
    assert folded is not None
    assert folded[2] == 0
    pending = db.execute(
        "select count(*) from pgcortex.memory_term_log where namespace = 'test'"
    ).fetchone()
    assert pending == (0,)
    assert _stats(db) == _recomputed(db)
    # A lexeme no memory holds any more is gone from the folded table.
    gone = db.execute(
        "select count(*) from pgcortex.memory_terms where namespace = 'test' and doc_count <= 0"
    ).fetchone()
    assert gone == (0,)


async def test_term_statistics_rebuilt_after_a_load_past_the_triggers(
    client: Client, db: psycopg.Connection
) -> None:
    """A bulk load with the triggers off leaves no statistics; maint_rebuild_terms
    counts them from the memories, drops the pending log, removes stale lexemes."""
    await client.store_memories(
        [MemoryInput(f"Kept note {i} on ovens and sensors", "business_fact") for i in range(20)]
    )
    db.execute("set session_replication_role = replica")
    db.execute(
        "insert into pgcortex.memories (namespace, content, memory_type)"
        " select 'test', 'Loaded row ' || g || ' about lyon bakeries', 'business_fact'"
        " from pg_catalog.generate_series(1, 30) as g"
    )
    db.execute("set session_replication_role = origin")
    db.execute(
        "insert into pgcortex.memory_terms (namespace, lexeme, doc_count)"
        " values ('test', 'stalelexeme', 4)"
    )
    assert _stats(db) != _recomputed(db)
    pending = db.execute(
        "select count(*) from pgcortex.memory_term_log where namespace = 'test'"
    ).fetchone()
    assert pending is not None
    report = await client.maint_rebuild_terms()
    assert (report.documents, report.terms_removed, report.log_rows_dropped) == (50, 1, pending[0])
    assert report.terms == len(_recomputed(db)[0])
    assert _stats(db) == _recomputed(db)
    # Stores after it keep the rebuilt statistics exact.
    await client.store_memory("Another note on lyon ovens", "business_fact")
    assert _stats(db) == _recomputed(db)


@pytest.mark.embed
async def test_readme_example_an_unrelated_memory_scores_near_zero(client: Client) -> None:
    """The README's two memories in one namespace: the answer comes first, the ticket
    (cosine about 0 to the question) scores near 0 however often it was read, and
    min_relevance separates the two."""
    from pgcortex.embedding import MiniLMEmbedder

    client.embedder = MiniLMEmbedder()
    ticket = await client.store_memory(
        "Support ticket ZX-4471: the Lyon oven sensor stops after midnight.",
        "technical_knowledge",
        importance=2,
        tags=["support"],
    )
    answer = await client.store_memory(
        "The seed funding covers fourteen more months of expenses.", "business_fact"
    )
    for _ in range(20):
        await client.search_memories("ZX-4471", k=5)
    hits = await client.search_memories("How long can we survive financially?", k=3)
    assert hits[0].id == answer.id
    assert hits[0].matched_by == "vector"
    others = [h for h in hits if h.id == ticket.id]
    if others:
        assert (others[0].similarity or 0) < 0.15
        assert others[0].score < 0.25 * hits[0].score
    relevant = await client.search_memories(
        "How long can we survive financially?", k=3, min_relevance=0.2
    )
    assert [h.id for h in relevant] == [answer.id]


async def _common_word_namespace(client: Client) -> None:
    # 1,000 memories: "Maria" in 300 (30 %: more than the text arm scores, 5 %, yet
    # under half), "zorblax" in 2, the rest about something else.
    items = [
        MemoryInput(
            f"Maria said item {i} about the garden" if i < 300 else f"Tom noted entry {i} on boats",
            "conversation",
            tags=["even" if i % 2 == 0 else "odd"],
        )
        for i in range(1000)
    ]
    items[10] = MemoryInput("Maria said zorblax cut its prices", "conversation", tags=["even"])
    items[11] = MemoryInput("Zorblax is a competitor", "conversation", tags=["odd"])
    await client.store_memories(items)


async def test_text_arm_scores_the_rare_words_and_still_finds_common_only_matches(
    client: Client,
) -> None:
    await _common_word_namespace(client)
    # The rare word's memories first; the common word's fill the rest of k.
    hits = await client.search_memories("what did Maria say about zorblax", k=6, track=False)
    assert len(hits) == 6
    assert {h.content for h in hits[:2]} == {
        "Maria said zorblax cut its prices",
        "Zorblax is a competitor",
    }
    assert all("Maria" in h.content for h in hits[2:])
    # A rare word that no memory holds: the memories whose only match is the common
    # word are found, k of them.
    hits = await client.search_memories("what did Maria say about quuxly", k=8, track=False)
    assert len(hits) == 8
    assert all(h.content.startswith("Maria said") for h in hits)
    assert all(h.matched_by == "text" and (h.text_rank or 0) > 0 for h in hits)
    # The same with a query embedding, where no memory has one: still k.
    hits = await client.search_memories(
        "what did Maria say about quuxly",
        query_embedding=unit(5),
        embedding_model=MODEL,
        k=8,
        track=False,
    )
    assert len(hits) == 8
    assert all(h.content.startswith("Maria said") for h in hits)
    # Only a common word (its memories are more than the arm scores): still k.
    hits = await client.search_memories("Maria", k=10, track=False)
    assert len(hits) == 10
    assert all("Maria" in h.content for h in hits)
    # Under a filter: exactly k, each passing it.
    hits = await client.search_memories(
        "what did Maria say about zorblax", k=5, tags_all=["odd"], track=False
    )
    assert len(hits) == 5
    assert hits[0].content == "Zorblax is a competitor"
    assert all("odd" in h.tags and "Maria" in h.content for h in hits[1:])


async def test_unfiltered_text_arm_ranks_as_the_filtered_statement_does(client: Client) -> None:
    # With no filter the text arm is a static statement whose plan the session keeps;
    # with any filter it is planned per call. A filter every memory passes must
    # give the same hits, in the same order, with the same scores.
    await _common_word_namespace(client)
    always = datetime(2999, 1, 1, tzinfo=UTC)
    # One moment for both calls: the recency factor of two calls a few milliseconds
    # apart differs in the last bit of a score now and then.
    at = datetime.now(UTC)
    for query in (
        "what did Maria say about zorblax",
        "Maria garden",
        "boats entry 512",
        "what did Maria say about quuxly",
        "Tom",
    ):
        for k in (1, 5, 12):
            plain = await client.search_memories(query, k=k, track=False, as_of=at)
            filtered = await client.search_memories(
                query, k=k, created_before=always, track=False, as_of=at
            )
            assert [(h.id, h.score, h.text_rank) for h in plain] == [
                (h.id, h.score, h.text_rank) for h in filtered
            ], (query, k)
            assert len(plain) == k


async def test_access_counts_exact_and_read_by_index_after_plans_made_on_empty_tables(
    client: Client, db: psycopg.Connection
) -> None:
    ids = [
        m.id
        for m in await client.store_memories(
            [
                MemoryInput(f"Fact {i} about the harbour", "business_fact", embedding=unit(i))
                for i in range(30)
            ],
            embedding_model=MODEL,
            dedup_near=False,
        )
    ]
    db.execute("analyze pgcortex.memory_access, pgcortex.memory_access_log")  # both empty
    search = (
        "select id, access_count from pgcortex.search_memories("
        "query_text => 'harbour', query_embedding => %s::public.vector,"
        " embedding_model => %s, k => 30,"
        " track => %s)"
    )
    q = "[" + ",".join(str(float(x)) for x in unit(0)) + "]"
    # This session's plans are made now, on the empty access tables.
    assert all(r[1] == 0 for r in db.execute(search, (q, MODEL, False)).fetchall())
    # Reads fill the tables: 3 tracked searches (every memory), 2 folded, 1 pending.
    for _ in range(2):
        db.execute(search, (q, MODEL, True))
    db.execute("select pgcortex.maint_flush_access()")
    db.execute(search, (q, MODEL, True))
    db.execute("select pgcortex.track_access(%s)", ([ids[0], ids[0]],))
    # The search's own scans: the backend's pending table statistics before and after.
    scans = (
        "select relname, seq_scan, idx_scan from pg_stat_xact_user_tables"
        " where schemaname = 'pgcortex' and relname in ('memory_access', 'memory_access_log')"
        " order by relname"
    )
    with db.transaction():
        before = {r[0]: (r[1], r[2]) for r in db.execute(scans).fetchall()}
        rows: dict[object, int] = {
            r[0]: r[1] for r in db.execute(search, (q, MODEL, False)).fetchall()
        }
        after = {r[0]: (r[1], r[2]) for r in db.execute(scans).fetchall()}
    assert rows == {i: (5 if i == ids[0] else 3) for i in ids}
    assert sorted(after) == ["memory_access", "memory_access_log"]
    for table, (seq, idx) in after.items():
        seq0, idx0 = before.get(table, (0, 0))
        assert seq - seq0 == 0, (table, before, after)  # no sequential scan
        assert idx - idx0 > 0, (table, before, after)  # read by index


async def test_a_word_a_websearch_query_excludes_does_not_choose_the_candidates(
    client: Client,
) -> None:
    # "blue green" in 60 of 200 memories (more than the text arm scores by rare words),
    # "fridays" in one: the rarest word of the query is the one it excludes. The
    # vector arm's candidates are the other memories (mildly like the query vector).
    q = unit(5)
    items = [
        MemoryInput(f"Blue green release step {i}", "process_knowledge", embedding=unit(3000 + i))
        if i < 60
        else MemoryInput(
            f"Harbour inventory line {i}", "process_knowledge", embedding=near(q, 0.3, i)
        )
        for i in range(200)
    ]
    items[0] = MemoryInput(
        "The team ships blue green on Fridays", "process_knowledge", embedding=unit(3000)
    )
    await client.store_memories(items, embedding_model=MODEL, dedup_near=False)
    hits = await client.search_memories(
        '"blue green" -fridays', query_embedding=q, embedding_model=MODEL, k=5, track=False
    )
    assert len(hits) == 5
    assert all(h.content.startswith("Blue green release step") for h in hits), [
        h.content for h in hits
    ]
    assert all((h.text_rank or 0) > 0 for h in hits)
