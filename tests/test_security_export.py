"""Export a namespace (JSON Lines, streamed) and erase it (one call, audited): SQL, client, CLI."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

import pgcortex
from pgcortex.cli import main as cli_main
from pgcortex.errors import ConfirmationRequiredError
from tests.security_seed import (
    connect_as,
    login_role,
    namespace_row_counts,
    seed_namespace,
    table_checksums,
)


def _seed(db: psycopg.Connection) -> None:
    seed_namespace(db, "a", "alpha")
    seed_namespace(db, "b", "beta")
    # The seeded memories clustered, so the counts before an export are its counts
    # (an export clusters the queue first: test_export_clusters_the_queue_first).
    for namespace in ("a", "b"):
        db.execute("select set_config('pgcortex.namespace', %s, false)", (namespace,))
        db.execute("select pgcortex_internal.cluster_pending()")


def _data_counts(db: psycopg.Connection, namespace: str) -> dict[str, int]:
    counts = namespace_row_counts(db, namespace)
    del counts["namespace_audit"]
    return counts


def _check_export(
    lines: list[dict[str, Any]], expected_counts: dict[str, int], namespace: str
) -> None:
    header, rows, end = lines[0], lines[1:-1], lines[-1]
    assert header["pgcortex_export"] == 1
    assert header["namespace"] == namespace
    assert header["schema_version"] >= 1
    assert end == {"end": True, "rows": len(rows)}
    counts: dict[str, int] = {}
    for line in rows:
        assert set(line) == {"table", "row"}
        assert "namespace" not in line["row"]
        counts[line["table"]] = counts.get(line["table"], 0) + 1
    assert counts == {t: n for t, n in expected_counts.items() if n}
    assert set(header["tables"]) == set(expected_counts)
    # Parents come before children: every memory before any link or access row.
    order = [line["table"] for line in rows]
    assert order.index("memories") < order.index("memory_links")
    assert order.index("conversation_sessions") < order.index("conversation_turns")


def test_sql_export_is_the_namespace_and_nothing_else(db: psycopg.Connection) -> None:
    _seed(db)
    expected = _data_counts(db, "a")
    db.execute("set pgcortex.namespace = 'a'")
    lines = [r[0] for r in db.execute("select * from pgcortex.export_namespace()").fetchall()]
    _check_export(lines, expected, "a")
    text = json.dumps(lines)
    assert "beta" not in text
    assert "alpha" in text
    memory = next(x["row"] for x in lines if x.get("table") == "memories")
    assert "content_hash" not in memory
    assert "content_tsv" not in memory
    audit = db.execute("select action, details from pgcortex.namespace_audit_log()").fetchall()
    assert audit == [("export", {"rows": expected, "total": sum(expected.values())})]


def test_export_clusters_the_queue_first(db: psycopg.Connection) -> None:
    db.execute("set pgcortex.namespace = 'a'")
    db.execute(
        "select * from pgcortex.store_memory("
        "content => 'queued at export', memory_type => 'business_fact')"
    )
    queued = db.execute("select memory_id::text from pgcortex.cluster_queue").fetchall()
    assert len(queued) == 1
    lines = [r[0] for r in db.execute("select * from pgcortex.export_namespace()").fetchall()]
    tables = [x.get("table") for x in lines]
    assert "cluster_queue" not in tables
    members = [x["row"]["memory_id"] for x in lines if x.get("table") == "cluster_members"]
    assert members == [queued[0][0]]


async def test_client_export_starts_again_after_a_serialization_failure(
    db: psycopg.Connection, db_dsn: str
) -> None:
    """The export clusters the queue inside its repeatable read snapshot; another session
    changing the same cluster at that moment makes the server roll it back (40001). The
    client then exports again in a fresh snapshot: complete, audited once."""
    async with await pgcortex.connect(db_dsn, namespace="a", deploy=False) as client:
        await client.store_memory("first of its kind", "business_fact", tags=["retry"])
        await client.get_knowledge_clusters()
        queued = await client.store_memory("second of its kind", "business_fact", tags=["retry"])

        async def export() -> list[dict[str, Any]]:
            return [v async for v in client.export_namespace()]

        with psycopg.connect(db_dsn) as other:
            # Holds the cluster's row: the export's clustering waits for it.
            other.execute(
                "update pgcortex.knowledge_clusters set last_updated = last_updated"
                " where namespace = 'a'"
            )
            task = asyncio.create_task(export())
            for _ in range(400):
                waiting = db.execute(
                    "select count(*) from pg_catalog.pg_stat_activity"
                    " where datname = current_database() and wait_event_type = 'Lock'"
                ).fetchone()
                if waiting is not None and waiting[0] > 0:
                    break
                await asyncio.sleep(0.025)
            else:
                pytest.fail("the export never waited for the cluster's row")
            other.commit()
        lines = await task
        assert lines[-1]["end"] is True
        members = [x["row"]["memory_id"] for x in lines if x.get("table") == "cluster_members"]
        assert str(queued.id) in members
        assert len(await client.namespace_audit_log()) == 1


async def test_client_export_streams_and_writes_a_file(
    db: psycopg.Connection, db_dsn: str, tmp_path: Path
) -> None:
    _seed(db)
    expected = _data_counts(db, "a")
    async with await pgcortex.connect(db_dsn, namespace="a", deploy=False) as client:
        streamed = [v async for v in client.export_namespace(prefetch=2)]
        _check_export(streamed, expected, "a")
        path = tmp_path / "a.jsonl"
        lines = await client.export_to(path)
        buffer = io.StringIO()
        assert await client.export_to(buffer) == lines
        # Stopping early releases the connection (the pool stays usable); the cut
        # export's transaction rolled back, so only the three complete ones are audited.
        async for _ in client.export_namespace():
            break
        assert len(await client.namespace_audit_log()) == 3
    written = [json.loads(x) for x in path.read_text().splitlines()]
    assert len(written) == lines == len(streamed)
    _check_export(written, expected, "a")
    assert not (tmp_path / "a.jsonl.partial").exists()


async def test_erase_needs_confirmation_and_changes_nothing_without_it(
    db: psycopg.Connection, db_dsn: str
) -> None:
    _seed(db)
    before = table_checksums(db)
    async with await pgcortex.connect(db_dsn, namespace="a", deploy=False) as client:
        for wrong in ("b", "", "A", "a "):
            with pytest.raises(ConfirmationRequiredError):
                await client.erase_namespace(confirm=wrong)
    assert table_checksums(db) == before


async def test_erase_removes_everything_of_one_namespace_and_is_audited(
    db: psycopg.Connection, db_dsn: str
) -> None:
    _seed(db)
    a_counts = _data_counts(db, "a")
    b_before = namespace_row_counts(db, "b")
    async with await pgcortex.connect(db_dsn, namespace="a", deploy=False) as client:
        result = await client.erase_namespace(confirm="a")
        assert result.namespace == "a"
        # Everything counted, plus rows that triggers wrote while it was deleted
        # (the history of the deleted memories), which the erase removes too.
        assert result.rows_deleted >= sum(a_counts.values())
        assert result.rows_deleted == sum(result.tables.values())
        for table, count in a_counts.items():
            assert result.tables[table] >= count, table
        again = await client.erase_namespace(confirm="a")
        assert again.rows_deleted == 0
        log = await client.namespace_audit_log()
    assert [e.action for e in log] == ["erase", "erase"]
    assert log[1].audit_id == result.audit_id
    assert log[1].details["total"] == result.rows_deleted
    assert log[1].actor == "postgres"
    after = namespace_row_counts(db, "a")
    assert {k: v for k, v in after.items() if k != "namespace_audit"} == dict.fromkeys(
        (k for k in after if k != "namespace_audit"), 0
    )
    assert after["namespace_audit"] == 2
    assert namespace_row_counts(db, "b") == b_before


def test_app_role_exports_and_erases_its_namespace_only(db: psycopg.Connection) -> None:
    _seed(db)
    b_before = namespace_row_counts(db, "b")
    with login_role(db) as (name, dsn), connect_as(dsn, "a") as app:
        lines = [r[0] for r in app.execute("select * from pgcortex.export_namespace()")]
        assert lines[-1]["rows"] == len(lines) - 2
        assert "beta" not in json.dumps(lines)
        row = app.execute("select * from pgcortex.erase_namespace(confirm => 'a')").fetchone()
        assert row is not None
        assert row[1] > 0
        actors = app.execute("select actor from pgcortex.namespace_audit_log()").fetchall()
        assert actors == [(name,), (name,)]
    assert namespace_row_counts(db, "b") == b_before


def test_cli_export_erase_audit(
    db: psycopg.Connection, db_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(db)
    out = tmp_path / "export.jsonl"
    assert cli_main(["--dsn", db_dsn, "-n", "a", "export", "-o", str(out)]) == 0
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    _check_export(lines, _data_counts(db, "a"), "a")
    assert cli_main(["--dsn", db_dsn, "-n", "a", "erase", "--confirm", "b"]) == 2
    assert "PC050" in capsys.readouterr().err
    assert cli_main(["--dsn", db_dsn, "-n", "a", "erase", "--confirm", "a"]) == 0
    assert "erased namespace 'a'" in capsys.readouterr().out
    assert cli_main(["--dsn", db_dsn, "-n", "a", "audit"]) == 0
    printed = capsys.readouterr().out
    assert "erase" in printed
    assert "export" in printed
    assert sum(namespace_row_counts(db, "a").values()) == 2  # the two audit rows


async def test_export_joins_the_callers_transaction(client: Any, tmp_path: Any) -> None:
    """With conn=, the export runs in the caller's transaction (or opens one)."""
    await client.store_memory("exported in a transaction", "business_fact")
    async with client.pool.acquire() as conn:
        outside = [v async for v in client.export_namespace(conn=conn)]
        async with conn.transaction(isolation="repeatable_read"):
            inside = [v async for v in client.export_namespace(conn=conn)]
            lines = await client.export_to(tmp_path / "in.jsonl", conn=conn)
    assert len(outside) == len(inside) == lines
    assert any("exported in a transaction" in str(v) for v in inside)
