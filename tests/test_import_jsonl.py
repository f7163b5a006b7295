"""Restore of pgcortex's own export (pgcortex import FILE.jsonl, client.import_jsonl)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest

import pgcortex
from pgcortex.cli import main as cli_main
from pgcortex.errors import InvalidArgumentError
from pgcortex.importing.restore import ExportFile

T0 = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)

#: Columns that are numbered by the database (identity) and so differ after a restore.
RENUMBERED = {
    "conversation_turns": ("turn_id",),
    "user_preference_history": ("change_id",),
    "memory_access_log": ("log_id",),
    # The namespace's model is chosen again by the import, at its time.
    "namespace_embedding_models": ("switched_at",),
}
#: Tables a restore does not bring back (their history starts with the import).
NOT_RESTORED = {"memory_history", "import_ids", "knowledge_settings"}


async def _client(dsn: str, namespace: str) -> Any:
    return await pgcortex.connect(dsn, namespace=namespace, deploy=False)


async def build_namespace(client: Any) -> None:
    """A namespace with something in every table an export carries."""
    rng = np.random.default_rng(3)
    ids = []
    for i in range(30):
        vec = rng.standard_normal(384).astype(np.float32)
        res = await client.store_memory(
            f"Fact {i}: the launch of product {i % 7} needs {i * 3} people.",
            ("business_fact", "technical_knowledge", "strategic_insight")[i % 3],
            importance=1 + i % 5,
            confidence=0.5 + (i % 5) / 10,
            tags=[f"p{i % 7}", "launch"],
            metadata={"n": i, "nested": {"k": [i, "x"]}},
            embedding=vec,
            embedding_model="test-model",
            expires_at=T0 + timedelta(days=3650) if i % 10 == 0 else None,
            as_of=T0 + timedelta(hours=i),
        )
        ids.append(res.id)
    text_only = await client.store_memory(
        "A note without an embedding", "business_fact", embedding=None, as_of=T0
    )
    ids.append(text_only.id)
    for i in range(0, 28, 3):
        await client.link_memories(ids[i], ids[i + 1], weight=0.5, as_of=T0 + timedelta(days=1))
        await client.link_memories(ids[i], ids[i + 2], relation="supports", as_of=T0)
    await client.store_knowledge_cluster(
        "launch plan", description="what the launch needs", topics=["launch"],
        memory_ids=ids[:6],
    )  # fmt: skip
    for k, v in (("tone", "brief"), ("tone", "detailed"), ("hours", {"from": 9, "to": 17})):
        await client.learn_user_preference(k, v, confidence=0.9, as_of=T0 + timedelta(days=2))
    await client.store_learning_pattern(
        "workflow", "asks for numbers first", example="how many?", as_of=T0
    )
    session = await client.start_session(as_of=T0)
    for n in range(4):
        await client.store_conversation_turn(
            "user" if n % 2 == 0 else "assistant",
            f"Turn {n} about the launch of product {n} and its long detailed plan for the team.",
            session_id=session.session_id,
            as_of=T0 + timedelta(minutes=n),
        )
    await client.end_session(
        session.session_id, summary="launch talk", as_of=T0 + timedelta(hours=1)
    )
    for i in range(12):
        await client.retrieve_memory(ids[i], as_of=T0 + timedelta(days=3, minutes=i))
    await client.flush_memory_access()
    for i in range(4):  # pending in the access log at export time
        await client.retrieve_memory(ids[i], as_of=T0 + timedelta(days=4, minutes=i))
    # Key-value store items (the LangGraph store): with and without a TTL and vectors.
    async with client.pool.acquire() as conn:
        await conn.execute(
            "select pgcortex.store_embedding_model(dimensions => 384,"
            " embedding_model => 'test-model')"
        )
        for i in range(5):
            item_vec = "[" + ",".join(f"{x:.6f}" for x in rng.standard_normal(384)) + "]"
            await conn.execute(
                "select pgcortex.store_put(path => $1, key => $2, value => $3::json,"
                " ttl_minutes => $4, index_fields => $5, embeddings => $6::text[]::vector[],"
                " embedding_model => $7, as_of => $8)",
                ["users", "alice", "memories"] if i % 2 else ["prefs"],
                f"item-{i}",
                {"text": f"item {i} about the launch", "n": i, "tags": ["a", i]},
                60.0 * 24 * 365 * 9 if i == 1 else None,
                ["text"] if i < 3 else None,
                [item_vec] if i < 3 else None,
                "test-model" if i < 3 else None,
                T0 + timedelta(minutes=i),
            )


def read_export(path: Path) -> dict[str, list[str]]:
    """Rows per table, as canonical JSON, renumbered columns left out, sorted."""
    tables: dict[str, list[str]] = {}
    with path.open() as fh:
        for line in fh:
            value = json.loads(line)
            if "table" not in value:
                continue
            row = dict(value["row"])
            for col in RENUMBERED.get(value["table"], ()):
                row.pop(col)
            tables.setdefault(value["table"], []).append(json.dumps(row, sort_keys=True))
    return {t: sorted(rows) for t, rows in tables.items()}


def fold_term_statistics(dsn: str, namespace: str) -> None:
    """Fold the term-statistics log, so both exports hold the statistics, not log rows.

    The statistics are derived from the memories (a restore rebuilds them through the
    store path); folded, they must be the same before and after.
    """
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("select pg_catalog.set_config('pgcortex.namespace', %s, false)", (namespace,))
        conn.execute("select * from pgcortex_internal.maint_fold_terms()")


async def test_export_erase_import_gives_back_every_row(tmp_path: Path, db_dsn: str) -> None:
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    client = await _client(db_dsn, "test")
    try:
        await build_namespace(client)
        fold_term_statistics(db_dsn, "test")
        await client.export_to(first)
        await client.erase_namespace(confirm="test")
        report = await client.import_jsonl(first, batch_size=7)
        fold_term_statistics(db_dsn, "test")
        await client.export_to(second)
    finally:
        await client.close()
    assert report.totals().skipped == 0
    before, after = read_export(first), read_export(second)
    for table in set(before) | set(after):
        if table in NOT_RESTORED:
            continue
        if table == "memory_access_log":
            continue  # compared through the totals below
        assert after.get(table) == before.get(table), table
    # Access counts: the pending log rows came back as log rows of the same memories.
    log_before = sorted(json.loads(r)["memory_id"] for r in before["memory_access_log"])
    log_after = sorted(json.loads(r)["memory_id"] for r in after["memory_access_log"])
    assert log_before == log_after
    assert len(log_before) == 4
    # Field by field for the memories: the embedding text included.
    mem = {json.loads(r)["id"]: json.loads(r) for r in after["memories"]}
    for row in map(json.loads, before["memories"]):
        assert mem[row["id"]] == row
    assert any(m["embedding"] for m in mem.values())
    # Store items keep their value's exact JSON text (key order included) both ways.
    items = [json.loads(r) for r in after["store_items"]]
    assert len(items) == 5
    assert all(list(json.loads(i["value"])) == ["text", "n", "tags"] for i in items)
    assert len(after["store_item_vectors"]) == 3


async def test_restore_into_another_namespace_and_again(
    tmp_path: Path, db_dsn: str, db: psycopg.Connection
) -> None:
    path = tmp_path / "export.jsonl"
    source = await _client(db_dsn, "test")
    target = await _client(db_dsn, "copy")
    try:
        await build_namespace(source)
        await source.export_to(path)
        report = await target.import_jsonl(path)
        again = await target.import_jsonl(path, batch_size=5)
    finally:
        await source.close()
        await target.close()
    assert report.source == "pgcortex:test"
    assert report.tables["memories"].imported == 35  # 31 stored, 4 from turns
    assert again.totals().imported == 0
    assert again.totals().merged == 0
    assert again.totals().present == again.totals().read
    counts = db.execute(
        """select m.namespace, count(*), sum(coalesce(a.access_count, 0)),
                  sum(coalesce(l.n, 0))
           from pgcortex.memories as m
           left join pgcortex.memory_access as a on a.namespace = m.namespace and a.memory_id = m.id
           left join (
               select g.namespace, g.memory_id, count(*) as n from pgcortex.memory_access_log as g
               group by g.namespace, g.memory_id
           ) as l on l.namespace = m.namespace and l.memory_id = m.id
           group by m.namespace order by m.namespace"""
    ).fetchall()
    assert [c[0] for c in counts] == ["copy", "test"]
    assert counts[0][1:] == counts[1][1:]
    durations = db.execute(
        "select namespace, duration_seconds, message_count from pgcortex.conversation_sessions "
        "order by namespace"
    ).fetchall()
    assert durations == [("copy", 3600, 4), ("test", 3600, 4)]


async def test_cut_export_and_bad_files(tmp_path: Path, db_dsn: str) -> None:
    path = tmp_path / "export.jsonl"
    client = await _client(db_dsn, "test")
    try:
        await build_namespace(client)
        await client.export_to(path)
        lines = path.read_text().splitlines()
        cut = tmp_path / "cut.jsonl"
        cut.write_text("\n".join(lines[: len(lines) // 2]) + "\n")
        other = await _client(db_dsn, "cut")
        try:
            report = await other.import_jsonl(cut)
        finally:
            await other.close()
        assert "no end line: the export is cut; what it has was restored" in report.file_notes
        not_export = tmp_path / "x.jsonl"
        not_export.write_text('{"hello": 1}\n')
        with pytest.raises(InvalidArgumentError, match="not a pgcortex export"):
            await client.import_jsonl(not_export)
    finally:
        await client.close()


def test_cli_restore(tmp_path: Path, db_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "export.jsonl"
    assert cli_main(["--dsn", db_dsn, "-n", "empty", "export", "-o", str(path)]) == 0
    assert cli_main(["--dsn", db_dsn, "import", str(path), "--namespace", "other"]) == 0
    out = capsys.readouterr().out
    assert "import of" in out
    assert "source 'pgcortex:empty'" in out


def test_damaged_lines_are_skipped_and_noted(tmp_path: Path) -> None:
    """The reader of an export keeps every row it can read, skips and notes the rest,
    and holds at most one batch (a full batch or a change of table ends one)."""
    path = tmp_path / "hand-edited.jsonl"
    lines = [
        json.dumps({"pgcortex_export": 1, "namespace": "team"}),
        json.dumps({"table": "memories", "row": {"id": "a", "content": "one"}}),
        "",
        "{this line was cut",
        json.dumps({"table": "memories", "row": {"id": "b", "content": "two"}}),
        json.dumps({"table": "memories", "row": {"id": "c", "content": "three"}}),
        json.dumps({"note": "not a row"}),
        json.dumps({"table": "memory_history", "row": {"change_id": 1}}),
        json.dumps({"table": "user_preferences", "row": {"key": "tone", "value": "short"}}),
        json.dumps({"end": True, "rows": 9}),
        json.dumps({"table": "memories", "row": {"id": "after the end"}}),
    ]
    path.write_text("\n".join(lines) + "\n")
    export = ExportFile(path, batch_size=2)
    batches = list(export.batches())  # reads the header itself
    assert export.source == "pgcortex:team"
    assert [(b.kind, [r.get("legacy_id") for r in b.rows]) for b in batches] == [
        ("memories", ["a", "b"]),
        ("memories", ["c"]),
        ("preferences", [None]),
    ]
    assert export.complete
    assert export.rows_read == 5
    assert export.notes.for_table("file") == {
        "line 4: not JSON, skipped": 1,
        "line 7: not a table row, skipped": 1,
        "end line counts 9 rows, the file has 5": 1,
    }
    assert export.notes.for_table("memory_history") == {
        "not restored: the change history of the restored memories starts with their import": 1
    }

    for first in ("", "not json at all", "[1, 2]"):
        path.write_text(first + "\n")
        with pytest.raises(ValueError, match="is not a pgcortex export"):
            ExportFile(path).read_header()


def test_store_item_import_checks_rows_and_keeps_the_newer_write(db: psycopg.Connection) -> None:
    from psycopg.types.json import Jsonb

    db.execute(
        "select pgcortex.store_embedding_model(dimensions => 384, embedding_model => 'test-model')"
    )
    vec = "[" + ",".join(["0.05"] * 384) + "]"
    put = (
        "select pgcortex.store_put(path => array['p'], key => %s, value => %s::json,"
        " index_fields => array['v'], embeddings => array[%s::vector],"
        " embedding_model => 'test-model', as_of => %s)"
    )
    db.execute(put, ("mine", '{"v": "mine, newer"}', vec, T0 + timedelta(days=1)))
    db.execute(put, ("theirs", '{"v": "mine, older"}', vec, T0))
    day = (T0 + timedelta(days=2)).isoformat()
    items = [
        {"path": ["p"], "key": "mine", "value": {"v": "import"}, "updated_at": T0.isoformat()},
        {"path": ["p"], "key": "theirs", "value": {"v": "import, newer"}, "updated_at": day},
        {"path": ["p", "q"], "key": "new", "value": {"v": 1}, "created_at": T0.isoformat()},
        {"path": [], "key": "x", "value": {}},
        {"path": ["p"], "key": "list", "value": [1]},
        {"path": ["p"], "key": "ttl", "value": {}, "ttl_minutes": 5},
        {"path": ["p", 3], "key": "x", "value": {}},
        {"path": ["p", "q"], "key": "new", "value": {"v": 2}},
    ]
    rows = db.execute(
        "select legacy_id, outcome, reason from pgcortex.import_store_items("
        "source => 's', items => %s)",
        (Jsonb(items),),
    ).fetchall()
    assert [(r[1], r[2]) for r in rows] == [
        ("merged", None),
        ("merged", None),
        ("imported", None),
        ("skipped", "a path has 1 to 64 labels, none empty"),
        ("skipped", "value must be a JSON object"),
        ("skipped", "ttl_minutes (over 0, at most 5256000) and expires_at go together"),
        ("skipped", "path must be a JSON array of strings"),
        ("skipped", "item given twice in this batch"),
    ]
    assert rows[2][0] == '[["p", "q"], "new"]'
    values: dict[str, str] = dict(
        db.execute("select key, value::text from pgcortex.store_items order by key").fetchall()
    )
    # The newer write of the two stays, whichever side it came from.
    assert values == {
        "mine": '{"v": "mine, newer"}',
        "new": '{"v": 1}',
        "theirs": '{"v": "import, newer"}',
    }
    # The replaced item's vectors described the old value: gone; the kept one's stay.
    kept = db.execute("select key from pgcortex.store_item_vectors order by key").fetchall()
    assert kept == [("mine",)]
    # Strict: the first bad row aborts the batch, nothing is written.
    with pytest.raises(psycopg.Error) as err:
        db.execute(
            "select * from pgcortex.import_store_items(source => 't', items => %s, strict => true)",
            (Jsonb([{"path": ["z"], "key": "ok", "value": {}}, items[4]]),),
        )
    assert err.value.sqlstate == "PC003"
    assert db.execute("select count(*) from pgcortex.store_items").fetchone() == (3,)
    # Vectors: only for items this source imported, of a registered model and its size;
    # a field the item has a vector of keeps it.
    vectors = [
        {"path": ["p", "q"], "key": "new", "field": "v", "embedding_model": "test-model",
         "embedding": vec},
        {"path": ["p"], "key": "elsewhere", "field": "v", "embedding_model": "test-model",
         "embedding": vec},
        {"path": ["p", "q"], "key": "new", "field": "w", "embedding_model": "test-model",
         "embedding": "[1,2,3]"},
        {"path": ["p", "q"], "key": "new", "field": "x", "embedding_model": "no-such-model",
         "embedding": vec},
        {"path": ["p"], "key": "theirs", "field": "v", "embedding_model": "test-model",
         "embedding": vec},
        {"path": ["p"], "key": "mine", "field": "v", "embedding_model": "test-model",
         "embedding": vec},
    ]  # fmt: skip
    rows = db.execute(
        "select outcome, reason from pgcortex.import_store_item_vectors("
        "source => 's', items => %s)",
        (Jsonb(vectors),),
    ).fetchall()
    assert rows == [
        ("imported", None),
        ("skipped", """item [["p"], "elsewhere"] was not imported"""),
        ("skipped", "embedding has 3 dimensions, model 'test-model' has 384"),
        ("skipped", "embedding model 'no-such-model' is not registered"),
        ("imported", None),
        ("merged", None),
    ]
    again = db.execute(
        "select outcome from pgcortex.import_store_item_vectors(source => 's', items => %s)",
        (Jsonb(vectors[:1]),),
    ).fetchall()
    assert again == [("present",)]
    # A value given as a string is JSON text, kept exactly (as an export holds it).
    exact = '{"b": 1,  "a": [2, 3]}'
    rows = db.execute(
        "select outcome, reason from pgcortex.import_store_items(source => 'u', items => %s)",
        (
            Jsonb(
                [
                    {"path": ["p"], "key": "exact", "value": exact},
                    {"path": ["p"], "key": "broken", "value": "{not json"},
                ]
            ),
        ),
    ).fetchall()
    assert rows == [("imported", None), ("skipped", "value must be a JSON object")]
    stored = db.execute("select value::text from pgcortex.store_items where key = 'exact'")
    assert stored.fetchone() == (exact,)
