"""One maintenance entry point: every step runs and reports (SQL, client, CLI)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from pgcortex import Client, errors
from pgcortex.cli import main

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def test_run_maintenance_reports_each_step(client: Client, db: psycopg.Connection) -> None:
    await client.set_knowledge_settings(turn_memories=False)
    await client.store_memory("Old trivia nobody reads", "business_fact", importance=1, as_of=T0)
    await client.store_memory(
        "Temporary promo code", "business_fact", expires_at=T0 + timedelta(days=1), as_of=T0
    )
    await client.store_memory("Core fact", "business_fact", importance=5, as_of=T0)
    await client.search_memories("core fact", k=1)
    session = await client.start_session(as_of=T0)
    for i in range(5):
        await client.store_conversation_turn(
            "user", f"What about invoices {i}?", session.session_id, as_of=T0
        )
    # Clustered, then left out of their clusters: re-clustering assigns them.
    db.execute("select pgcortex_internal.cluster_pending()")
    db.execute("delete from pgcortex.cluster_members")
    # Stored after that: it waits in the queue, and maintenance clusters it.
    queued = await client.store_memory("Queued fact", "business_fact", importance=5, as_of=T0)
    assert db.execute("select memory_id from pgcortex.cluster_queue").fetchall() == [(queued.id,)]

    # A key-value store item that expires a minute after T0.
    db.execute(
        "select pgcortex.store_put(path => array['prefs'], key => 'theme',"
        " value => '{\"dark\": true}'::json, ttl_minutes => 1, as_of => %s)",
        (T0,),
    )
    pending = db.execute("select count(*) from pgcortex.memory_term_log").fetchone()
    assert pending is not None
    assert pending[0] > 0

    steps = await client.run_maintenance(forget_days=90, as_of=T0 + timedelta(days=200))
    assert [s.step for s in steps] == [
        "forget",
        "purge_expired",
        "store_sweep",
        "flush_access",
        "fold_terms",
        "prune_history",
        "cluster_pending",
        "recluster",
        "detect_patterns",
    ]
    by = {s.step: s.result for s in steps}
    assert by["forget"]["deleted"] == 1
    assert by["purge_expired"]["purged"] == 1
    assert by["store_sweep"] == {"items_deleted": 1}
    assert by["flush_access"]["flushed_rows"] >= 1
    assert by["fold_terms"]["folded_rows"] >= pending[0]
    assert by["fold_terms"]["remaining_rows"] == 0
    assert db.execute("select count(*) from pgcortex.memory_term_log").fetchone() == (0,)
    assert db.execute("select count(*) from pgcortex.store_items").fetchone() == (0,)
    assert by["cluster_pending"] == {"clustered": 1}
    assert by["recluster"]["memories_assigned"] == 1
    assert by["detect_patterns"]["patterns_found"] == 2
    assert all(s.duration_ms >= 0 for s in steps)
    remaining = db.execute("select content from pgcortex.memories order by content").fetchall()
    assert remaining == [("Core fact",), ("Queued fact",)]
    assert db.execute("select count(*) from pgcortex.cluster_queue").fetchone() == (0,)
    members = db.execute(
        "select count(*) from pgcortex.cluster_members where memory_id = %s", (queued.id,)
    ).fetchone()
    assert members == (1,)

    # Without re-clustering, the queue is still clustered.
    late = await client.store_memory("Late fact", "business_fact", importance=5)
    quiet = await client.run_maintenance(forget=False, recluster=False, detect_patterns=False)
    by = {s.step: s.result for s in quiet}
    assert by["recluster"] == {"skipped": True}
    assert by["cluster_pending"] == {"clustered": 1}
    members = db.execute(
        "select count(*) from pgcortex.cluster_members where memory_id = %s", (late.id,)
    ).fetchone()
    assert members == (1,)


async def test_maintenance_bad_input(client: Client) -> None:
    with pytest.raises(errors.OutOfRangeError):
        await client.run_maintenance(forget_days=-1)
    with pytest.raises(errors.OutOfRangeError):
        await client.run_maintenance(history_days=-1)


def test_cli_maint(db_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--dsn", db_dsn, "--namespace", "test", "maint", "--no-forget"]) == 0
    out = capsys.readouterr().out
    steps = ["forget", "purge_expired", "store_sweep", "flush_access", "fold_terms"]
    steps += ["prune_history", "cluster_pending"]
    for step in (*steps, "recluster", "detect_patterns"):
        assert step in out
