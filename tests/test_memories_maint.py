"""Forgetting with a moved clock, links and related memories, update and delete, list and
paging, and the CLI commands."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import psycopg
import pytest

from pgcortex import Client, errors
from pgcortex.cli import main
from pgcortex.memories import MemoryInput
from tests.test_memories_store import MODEL, unit


async def test_forget_dry_run_then_real_run_with_moved_clock(
    client: Client, db: psycopg.Connection
) -> None:
    low = await client.store_memory("A trivial remark", "conversation", importance=1)
    low_but_read = await client.store_memory(
        "A useful trivial remark", "conversation", importance=2
    )
    important = await client.store_memory("A critical decision", "strategic_insight", importance=5)
    for _ in range(3):
        await client.retrieve_memory(low_but_read.id)
    now = dt.datetime.now(dt.UTC)

    soon = await client.forget_outdated_memories(as_of=now + dt.timedelta(days=30), dry_run=True)
    assert (soon.matched, soon.deleted, soon.ids) == (0, 0, ())

    later = now + dt.timedelta(days=100)
    dry = await client.forget_outdated_memories(as_of=later, dry_run=True)
    assert dry.simulated
    assert (dry.matched, dry.deleted, dry.ids) == (1, 0, (low.id,))
    assert dry.cutoff == later - dt.timedelta(days=90)
    assert len(await client.list_memories()) == 3  # nothing deleted by the dry run

    real = await client.forget_outdated_memories(as_of=later)
    assert not real.simulated
    assert (real.matched, real.deleted, real.ids) == (1, 1, (low.id,))
    remaining = {m.id for m in await client.list_memories()}
    assert remaining == {low_but_read.id, important.id}
    assert (await client.memory_history(low.id))[-1].reason == "forget"
    # Every threshold is the caller's: fewer days and a higher importance take more.
    wide = await client.forget_outdated_memories(
        10, max_importance=5, min_access_count=10, as_of=later, dry_run=True
    )
    assert set(wide.ids) == {low_but_read.id, important.id}
    with pytest.raises(errors.OutOfRangeError):
        await client.forget_outdated_memories(max_importance=9)


async def test_links_related_and_cascade(client: Client, db: psycopg.Connection) -> None:
    ids = [(await client.store_memory(f"memory {name}", "business_fact")).id for name in "abcd"]
    a, b, c, d = ids
    link = await client.link_memories(a, b, "supports", 0.5)
    assert (link.source_id, link.target_id, link.relation, link.weight) == (a, b, "supports", 0.5)
    await client.link_memories(b, c)
    await client.link_memories(c, a)  # a cycle
    await client.link_memories(c, d, "contradicts", 0.8)
    # Linking again updates the weight.
    assert (await client.link_memories(a, b, "supports", 0.6)).weight == pytest.approx(0.6)

    one = await client.related_memories(a, 1)
    assert {(r.id, r.distance) for r in one} == {(b, 1), (c, 1)}
    two = await client.related_memories(a, 2)
    assert {(r.id, r.distance) for r in two} == {(b, 1), (c, 1), (d, 2)}
    to_d = next(r for r in two if r.id == d)
    assert to_d.path == (a, c, d)
    assert to_d.relation == "contradicts"
    only = await client.related_memories(a, 3, relations=["supports"])
    assert [r.id for r in only] == [b]
    assert set((await client.retrieve_memory(a, track=False)).related_memories) == {b, c}

    with pytest.raises(errors.InvalidArgumentError):
        await client.link_memories(a, a)
    with pytest.raises(errors.NotFoundError):
        await client.link_memories(a, uuid.uuid4())
    with pytest.raises(errors.OutOfRangeError):
        await client.link_memories(a, d, weight=2.0)
    with pytest.raises(errors.OutOfRangeError):
        await client.related_memories(a, 9)

    assert await client.unlink_memories(a, b) == 1
    assert await client.unlink_memories(a, b) == 0
    await client.delete_memory(c)  # its links go with it
    assert await client.related_memories(a, 5) == []
    assert db.execute("select count(*) from pgcortex.memory_links").fetchone() == (0,)


async def test_update_is_partial_and_refreshes_content(client: Client) -> None:
    stored = await client.store_memory(
        "The office opens at nine",
        "business_fact",
        importance=2,
        tags=["office"],
        metadata={"a": 1},
        embedding=unit(1),
        embedding_model=MODEL,
    )
    m = await client.update_memory(stored.id, importance=4)
    assert (m.importance, m.content, m.tags, m.embedding_model) == (
        4,
        "The office opens at nine",
        ("office",),
        MODEL,
    )
    m = await client.update_memory(stored.id, metadata={"b": 2}, merge_metadata=True)
    assert m.metadata == {"a": 1, "b": 2}
    m = await client.update_memory(stored.id, content="The office opens at eight")
    assert m.embedding_model is None  # the old embedding no longer fits the content
    assert [h.id for h in await client.search_memories("eight", k=5, track=False)] == [stored.id]
    assert await client.search_memories("nine", k=5, track=False) == []
    m = await client.update_memory(
        stored.id, embedding=unit(2), embedding_model=MODEL, tags=["hours"]
    )
    assert m.embedding is not None
    assert m.tags == ("hours",)
    other = await client.store_memory("Lunch at noon", "business_fact")
    with pytest.raises(errors.DuplicateContentError):
        await client.update_memory(other.id, content="the office opens at EIGHT")
    with pytest.raises(errors.NotFoundError):
        await client.update_memory(uuid.uuid4(), importance=3)
    with pytest.raises(errors.OutOfRangeError):
        await client.update_memory(stored.id, importance=0)
    with pytest.raises(errors.InvalidIdError):
        await client.update_memory("xyz", importance=3)


async def test_delete_by_id_and_by_filter(client: Client, db: psycopg.Connection) -> None:
    results = await client.store_memories(
        [
            MemoryInput(f"note {n}", "conversation", importance=1 + n % 3, tags=[f"t{n % 2}"])
            for n in range(10)
        ]
    )
    first = results[0].id
    assert await client.delete_memory(first) == first
    with pytest.raises(errors.NotFoundError):
        await client.delete_memory(first)
    with pytest.raises(errors.InvalidArgumentError):
        await client.delete_memories()
    report = await client.delete_memories(tags_any=["t1"], max_importance=2)
    assert report.deleted == len(report.ids)
    assert report.deleted == 4  # odd n with importance <= 2: n = 1, 3, 7, 9
    left = await client.list_memories(page_size=100)
    assert len(left) == 10 - 1 - report.deleted
    assert db.execute(
        "select count(*) from pgcortex.memory_history where operation = 'delete'"
    ).fetchone() == (1 + report.deleted,)


async def test_list_orders_and_pages(client: Client) -> None:
    base = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    for n in range(6):
        await client.store_memory(
            f"item {n}", "business_fact", importance=1 + n % 5, as_of=base + dt.timedelta(days=n)
        )
    newest = await client.list_memories()
    assert [m.content for m in newest] == [f"item {n}" for n in range(5, -1, -1)]
    oldest = await client.list_memories(order_by="oldest", page_size=2, page_offset=2)
    assert [m.content for m in oldest] == ["item 2", "item 3"]
    important = await client.list_memories(order_by="importance", page_size=1)
    assert important[0].content == "item 4"
    for _ in range(2):
        await client.retrieve_memory(newest[-1].id)
    accessed = await client.list_memories(order_by="accessed", page_size=1)
    assert accessed[0].content == "item 0"
    assert accessed[0].access_count == 2
    with pytest.raises(errors.InvalidArgumentError):
        await client.list_memories(order_by="sideways")
    got = await client.get_memories([newest[2].id, uuid.uuid4(), newest[0].id])
    assert [m.content for m in got] == ["item 3", "item 5"]


def test_cli_remember_recall_show_history_forget(
    db_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--dsn", db_dsn, "--namespace", "test"]
    assert (
        main(
            [
                *base,
                "remember",
                "Zorblax raised prices",
                "--type",
                "market_intelligence",
                "--tag",
                "competitor",
                "--text-only",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("inserted: ")
    memory_id = out.split()[-1]
    assert (
        main(
            [
                *base,
                "remember",
                "zorblax raised   prices",
                "--type",
                "market_intelligence",
                "-i",
                "5",
                "--text-only",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.startswith(f"updated: {memory_id}")
    assert main([*base, "recall", "Zorblax", "--text-only"]) == 0
    out = capsys.readouterr().out
    assert "Zorblax raised prices" in out
    assert "score" in out
    assert "fused" in out
    assert main([*base, "show", memory_id]) == 0
    out = capsys.readouterr().out
    assert "access count" in out
    assert "competitor" in out
    assert main([*base, "show", "--order", "importance"]) == 0
    assert "Zorblax raised prices" in capsys.readouterr().out
    assert main([*base, "history", memory_id]) == 0
    out = capsys.readouterr().out
    assert "reinforce" in out
    assert "importance: 3 -> 5" in out
    assert (
        main(
            [
                *base,
                "forget",
                "--dry-run",
                "--days",
                "0",
                "--max-importance",
                "5",
                "--min-access-count",
                "100",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("would forget 1 memories")
    assert main([*base, "forget", memory_id]) == 0
    assert capsys.readouterr().out.strip() == f"deleted {memory_id}"
    assert main([*base, "show", memory_id]) == 2
    assert "PC030" in capsys.readouterr().err


async def test_history_retention_prunes_old_rows_and_runs_in_maint_run(
    client: Client, db: psycopg.Connection
) -> None:
    now = dt.datetime.now(dt.UTC)
    old = await client.store_memory("An old memory", "business_fact", as_of=now)
    await client.update_memory(old.id, importance=4, as_of=now + dt.timedelta(days=10))
    await client.update_memory(old.id, importance=5, as_of=now + dt.timedelta(days=300))
    rows = db.execute("select count(*) from pgcortex.memory_history").fetchone()
    assert rows == (3,)
    later = now + dt.timedelta(days=400)
    dry = await client.prune_memory_history(100, as_of=later, dry_run=True)
    assert (dry.simulated, dry.matched, dry.deleted) == (True, 2, 0)
    assert dry.cutoff == later - dt.timedelta(days=100)
    assert db.execute("select count(*) from pgcortex.memory_history").fetchone() == (3,)
    real = await client.prune_memory_history(100, as_of=later)
    assert (real.simulated, real.matched, real.deleted) == (False, 2, 2)
    history = await client.memory_history(old.id)
    assert [h.new_importance for h in history] == [5]
    # Other namespaces' history is not touched.
    db.execute("set pgcortex.namespace = 'other'")
    other = db.execute(
        "select count(*) from pgcortex.store_memory(content => 'elsewhere',"
        " memory_type => 'business_fact', as_of => now() - interval '5 years')"
    ).fetchone()
    db.execute("set pgcortex.namespace = 'test'")
    assert other == (1,)
    with pytest.raises(errors.OutOfRangeError):
        await client.prune_memory_history(-1)
    # maint_run prunes with its default of 365 days.
    steps = {
        s.step: s.result
        for s in await client.run_maintenance(
            as_of=now + dt.timedelta(days=700), forget=False, recluster=False
        )
    }
    assert steps["prune_history"]["deleted"] == 1
    assert db.execute(
        "select count(*) from pgcortex.memory_history where namespace = 'test'"
    ).fetchone() == (0,)
    assert db.execute(
        "select count(*) from pgcortex.memory_history where namespace <> 'test'"
    ).fetchone() == (1,)
    # history_days => null keeps the history (the client's None means the SQL default).
    kept = db.execute(
        "select step, result from pgcortex.maint_run(history_days => null, forget => false,"
        " recluster => false)"
    ).fetchall()
    results: dict[str, Any] = {step: result for step, result in kept}
    assert results["prune_history"] == {"skipped": True}
