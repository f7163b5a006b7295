"""The context bundle (one call, one JSON document, typed by the client) and the summary
(view, function, client method, ``pgcortex stats``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from pgcortex import Client, errors
from pgcortex.cli import main

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def _knowledge(client: Client) -> str:
    await client.store_memory(
        "Enterprise pricing starts at 40 euros per seat",
        "business_fact",
        importance=4,
        tags=["pricing"],
    )
    await client.store_memory("The office coffee machine is broken", "business_fact", importance=1)
    await client.store_memory("Churn is highest in the first month", "market_intelligence")
    await client.learn_user_preference("report.format", "pdf", 0.9)
    await client.store_knowledge_cluster("Pricing", topics=["pricing"])
    await client.store_learning_pattern("preference", "user frequently discusses pricing", "x", 0.8)
    session = await client.start_session(as_of=T0)
    for i in range(7):
        await client.store_conversation_turn(
            "user", f"turn {i}", session.session_id, as_of=T0 + timedelta(minutes=i)
        )
    return str(session.session_id)


async def test_bundle_is_one_typed_document(client: Client, db: psycopg.Connection) -> None:
    session_id = await _knowledge(client)
    bundle = await client.get_contextual_knowledge(
        "what is our enterprise pricing?", session_id=session_id
    )
    assert bundle.namespace == "test"
    assert bundle.memories[0].content.startswith("Enterprise pricing")
    assert bundle.memories[0].rank == 1
    assert bundle.preferences["report.format"].value == "pdf"
    assert [t.content for t in bundle.recent_turns] == [f"turn {i}" for i in range(2, 7)]
    # The explicit cluster, and the one the trigger keyed on the memory's type and tag.
    assert {c.name for c in bundle.clusters} == {"Pricing", "business_fact:pricing"}
    assert bundle.patterns[0].description == "user frequently discusses pricing"
    assert bundle.counts == {
        "memories": len(bundle.memories),
        "preferences": 1,
        "recent_turns": 5,
        "clusters": 2,
        "patterns": 1,
    }
    assert bundle.raw["counts"] == bundle.counts
    # Tracked: the memories returned were counted as accessed.
    row = db.execute("select count(*) from pgcortex.memories_v where access_count > 0").fetchone()
    assert row is not None
    assert row[0] == len(bundle.memories)

    quiet = await client.get_contextual_knowledge("pricing", max_memories=1, track=False)
    assert len(quiet.memories) == 1
    row2 = db.execute("select count(*) from pgcortex.memories_v where access_count > 0").fetchone()
    assert row2 == row


async def test_bundle_bad_input(client: Client) -> None:
    with pytest.raises(errors.InvalidArgumentError):
        await client.get_contextual_knowledge("  ")
    with pytest.raises(errors.OutOfRangeError):
        await client.get_contextual_knowledge("x", max_turns=-1)
    with pytest.raises(errors.NotFoundError):
        await client.get_contextual_knowledge(
            "x", session_id="01a20a74-431a-7c42-8b5a-f7fd5505090a"
        )


async def test_summary_view_and_function(client: Client, db: psycopg.Connection) -> None:
    empty = await client.get_memory_summary()
    assert (empty.namespace, empty.memories, empty.sessions) == ("test", 0, 0)

    session_id = await _knowledge(client)
    await client.end_session(session_id, as_of=T0 + timedelta(minutes=30))
    open_one = await client.start_session(as_of=T0)
    assert open_one.ended_at is None
    await client.search_memories("churn month", k=1)

    s = await client.get_memory_summary()
    assert s.memories == 3
    assert s.memories_by_type == {"business_fact": 2, "market_intelligence": 1}
    # clusters: the explicit one and three keyed by type and tags (text-only memories)
    assert (s.preferences, s.clusters, s.patterns) == (1, 4, 1)
    assert (s.sessions, s.open_sessions, s.turns) == (2, 1, 7)
    assert s.avg_session_seconds == pytest.approx(1800)
    assert s.most_important[0]["content"].startswith("Enterprise pricing")
    assert s.most_accessed[0]["content"].startswith("Churn")
    assert s.most_accessed[0]["access_count"] == 1

    row = db.execute(
        "select memories, sessions from pgcortex.memory_summary_v where namespace = 'test'"
    ).fetchone()
    assert row == (3, 2)


def test_stats_cli(db: psycopg.Connection, db_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    db.execute(
        "select pgcortex.store_memory(content => 'Fact one', memory_type => 'business_fact')"
    )
    db.execute(
        "select pgcortex.store_memory(content => 'Fact two', memory_type => 'business_fact')"
    )
    (session_id,) = db.execute(
        "select session_id from pgcortex.start_session(as_of => %s)", (T0,)
    ).fetchone() or (None,)
    db.execute(
        "select pgcortex.end_session(session_id => %s, as_of => %s)",
        (session_id, T0 + timedelta(minutes=30)),
    )
    assert main(["--dsn", db_dsn, "--namespace", "test", "stats"]) == 0
    out = capsys.readouterr().out
    assert "business_fact 2" in out
    assert "30m 00s" in out
