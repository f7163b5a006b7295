"""Import of the original module's SQLite store (pgcortex import-sqlite, client.import_sqlite)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest

import pgcortex
from pgcortex.cli import main as cli_main
from pgcortex.embedding import minilm_available
from pgcortex.errors import InvalidArgumentError
from pgcortex.importing.legacy import decode_embedding
from pgcortex.importing.safe_pickle import UnsafePickleError, load_floats

from .legacy_sqlite import LegacyOptions, Payload, content_of, drop_column, write_legacy_store

ROOT = Path(__file__).resolve().parents[1]


async def _client(dsn: str, namespace: str, embedder: Any = None) -> Any:
    return await pgcortex.connect(dsn, namespace=namespace, deploy=False, embedder=embedder)


def _ns(db: psycopg.Connection, namespace: str) -> psycopg.Connection:
    db.execute("select set_config('pgcortex.namespace', %s, false)", (namespace,))
    return db


def snapshot(db: psycopg.Connection, namespace: str) -> dict[str, list[tuple[Any, ...]]]:
    """What an import wrote in a namespace, keyed by content (ids differ between runs)."""
    _ns(db, namespace)
    q = db.execute
    return {
        "memories": q(
            """select m.content, m.memory_type, m.importance, m.confidence, m.tags, m.metadata,
                      m.embedding::text, m.embedding_model, m.created_at, m.updated_at,
                      coalesce(a.access_count, 0), coalesce(a.last_accessed, m.created_at)
               from pgcortex.memories as m
               left join pgcortex.memory_access_totals as a
                 on a.namespace = m.namespace and a.memory_id = m.id
               where m.namespace = %s order by m.content""",
            (namespace,),
        ).fetchall(),
        "links": q(
            """select s.content, t.content, l.relation, l.weight, l.created_at
               from pgcortex.memory_links as l
               join pgcortex.memories as s on s.namespace = l.namespace and s.id = l.source_id
               join pgcortex.memories as t on t.namespace = l.namespace and t.id = l.target_id
               where l.namespace = %s order by 1, 2""",
            (namespace,),
        ).fetchall(),
        "clusters": q(
            """select c.name, c.description, c.confidence, c.importance_score, c.topics,
                      c.member_count, c.created_at, c.last_updated,
                      array(select m.content from pgcortex.cluster_members as cm
                            join pgcortex.memories as m
                              on m.namespace = cm.namespace and m.id = cm.memory_id
                            where cm.namespace = c.namespace and cm.cluster_id = c.id
                            order by m.content)
               from pgcortex.knowledge_clusters as c
               where c.namespace = %s and c.origin = 'explicit' order by c.name""",
            (namespace,),
        ).fetchall(),
        "patterns": q(
            """select pattern_type, description, frequency, confidence, examples, discovered_at,
                      updated_at
               from pgcortex.learning_patterns where namespace = %s order by description""",
            (namespace,),
        ).fetchall(),
        "preferences": q(
            """select key, value, confidence, source, updated_at
               from pgcortex.user_preferences where namespace = %s order by key""",
            (namespace,),
        ).fetchall(),
        "preference_history": q(
            """select key, value, confidence, source, applied, changed_at
               from pgcortex.user_preference_history where namespace = %s order by key""",
            (namespace,),
        ).fetchall(),
        "sessions": q(
            """select started_at, ended_at, duration_seconds, message_count, topics, summary,
                      importance
               from pgcortex.conversation_sessions where namespace = %s order by started_at""",
            (namespace,),
        ).fetchall(),
    }


def _vector(text: str) -> np.ndarray:
    return np.array([float(x) for x in text.strip("[]").split(",")], dtype=np.float32)


# -- reading the file ---------------------------------------------------------------


def test_restricted_unpickler_reads_numpy_pickles_and_refuses_others(tmp_path: Path) -> None:
    import pickle

    vec = np.random.default_rng(1).standard_normal(384).astype(np.float32)
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        assert np.array_equal(load_floats(pickle.dumps(vec, protocol=protocol)), vec)
        floats = [float(x) for x in vec]
        assert np.array_equal(load_floats(pickle.dumps(floats, protocol=protocol)), vec)
    marker = tmp_path / "ran"
    with pytest.raises(UnsafePickleError, match="system"):
        load_floats(pickle.dumps(Payload(marker)))
    assert not marker.exists()
    # A string array is not a float array, even though every name in it is admitted.
    with pytest.raises(ValueError, match="pickled array of <U1"):
        load_floats(pickle.dumps(np.array(["a", "b"])))
    decoded, why = decode_embedding(pickle.dumps({"a": 1}))
    assert decoded is None
    assert why.startswith("bad pickle")


# -- what the import keeps ----------------------------------------------------------------


async def test_import_keeps_every_field(
    tmp_path: Path, db_dsn: str, db: psycopg.Connection
) -> None:
    path = tmp_path / "memory.db"
    facts = write_legacy_store(path, LegacyOptions(memories=40))
    client = await _client(db_dsn, "test")
    try:
        report = await client.import_sqlite(path)
    finally:
        await client.close()
    mem = report.tables["memories"]
    assert (mem.read, mem.imported, mem.skipped) == (40, 40, 0)
    rows = {
        r[0]: r
        for r in db.execute(
            """select m.content, m.memory_type, m.importance, m.confidence, m.tags, m.metadata,
                      m.embedding::text, m.embedding_model, m.created_at, a.access_count,
                      a.last_accessed
               from pgcortex.memories as m
               join pgcortex.memories_v as a on a.id = m.id
               where m.namespace = 'test'"""
        ).fetchall()
    }
    for i, content in enumerate(facts["contents"]):
        row = rows[content]
        created, accessed, count = facts["times"][i]
        assert row[1] == ("conversation", "business_fact", "strategic_insight", "user_preference",
                          "process_knowledge", "market_intelligence", "technical_knowledge",
                          "relationship")[i % 8]  # fmt: skip
        assert row[2] == 1 + i % 5
        assert row[3] == pytest.approx(round(0.5 + (i % 6) / 10, 2))
        assert set(row[4]) >= {f"t{i % 5}"}
        assert row[5] == {"source": "chat", "n": i}
        assert np.array_equal(_vector(row[6]), facts["vectors"][i])
        assert row[7] == "all-MiniLM-L6-v2"
        assert row[8] == created.replace(tzinfo=UTC)
        assert row[9] == count
        assert row[10] == accessed.replace(tzinfo=UTC)
    # related_memories became links, each resolving to the memory it named.
    links = db.execute(
        """select s.content, t.content from pgcortex.memory_links as l
           join pgcortex.memories as s on s.namespace = l.namespace and s.id = l.source_id
           join pgcortex.memories as t on t.namespace = l.namespace and t.id = l.target_id
           where l.namespace = 'test'"""
    ).fetchall()
    expected = {(content_of(i), content_of(j)) for i in range(40) for j in (i - 1, i - 2) if j >= 0}
    assert set(links) == expected
    # The clusters' member lists became their membership (the unknown id is skipped).
    members = db.execute(
        """select c.name, count(*) from pgcortex.cluster_members as cm
           join pgcortex.knowledge_clusters as c
             on c.namespace = cm.namespace and c.id = cm.cluster_id
           where cm.namespace = 'test' and c.origin = 'explicit' group by c.name order by 1"""
    ).fetchall()
    assert members == [("business_fact_cluster", 5), ("conversation_cluster", 5),
                       ("strategic_insight_cluster", 5)]  # fmt: skip
    assert report.tables["cluster_members"].skipped == 1
    assert "memory no-such-memory was not imported" in report.tables["cluster_members"].reasons
    pattern = db.execute(
        """select frequency, examples, discovered_at from pgcortex.learning_patterns
           where namespace = 'test' and description = 'User frequently discusses topic 2'"""
    ).fetchone()
    assert pattern == (
        5,
        ["example 2.0", "example 2.1", "example 2.2"],
        datetime(2024, 3, 1, 11, tzinfo=UTC),
    )
    prefs = db.execute(
        "select key, value, source, updated_at from pgcortex.user_preferences "
        "where namespace = 'test' order by key"
    ).fetchall()
    assert [(k, v, s) for k, v, s, _ in prefs] == [
        ("pref_0", "dark", "explicit"),
        ("pref_1", 42, "conversation"),
        ("pref_2", {"style": "brief", "lang": ["en", "de"]}, "explicit"),
        ("pref_3", True, "conversation"),
    ]
    assert prefs[3][3] == datetime(2024, 3, 4, 9, tzinfo=UTC)
    history = db.execute(
        "select key, source, applied, changed_at from pgcortex.user_preference_history "
        "where namespace = 'test' order by key"
    ).fetchall()
    assert [(k, s, a) for k, s, a, _ in history] == [
        (f"pref_{k}", "import", True) for k in range(4)
    ]
    sessions = db.execute(
        "select duration_seconds, message_count, topics, summary, importance "
        "from pgcortex.conversation_sessions where namespace = 'test' order by started_at"
    ).fetchall()
    assert sessions == [
        (15 * 60, 4, ["pricing", "topic0"], "Session 0 summary", pytest.approx(0.7)),
        (16 * 60, 5, ["pricing", "topic1"], "Session 1 summary", pytest.approx(0.7)),
        (None, 6, ["pricing", "topic2"], "Session 2 summary", pytest.approx(0.7)),
    ]


@pytest.mark.parametrize(
    ("embeddings", "times", "tags"),
    [
        ("pickle_list", "zone", "csv"),
        ("raw", "epoch", "json"),
        ("json", "mixed", "csv"),
        ("mixed", "naive", "json"),
    ],
)
async def test_variants_of_real_files(
    tmp_path: Path, db_dsn: str, db: psycopg.Connection, embeddings: str, times: str, tags: str
) -> None:
    path = tmp_path / "memory.db"
    facts = write_legacy_store(
        path, LegacyOptions(memories=24, embeddings=embeddings, times=times, tags=tags)
    )
    client = await _client(db_dsn, "test")
    try:
        report = await client.import_sqlite(path)
    finally:
        await client.close()
    assert report.tables["memories"].imported == 24
    rows = {
        r[0]: r[1:]
        for r in db.execute(
            "select content, embedding::text, created_at, tags from pgcortex.memories "
            "where namespace = 'test'"
        ).fetchall()
    }
    for i, content in enumerate(facts["contents"]):
        emb, created, row_tags = rows[content]
        assert np.array_equal(_vector(emb), facts["vectors"][i])
        assert created == facts["times"][i][0].replace(tzinfo=UTC)
        assert f"t{i % 5}" in row_tags
    notes = report.tables["memories"].notes
    if tags == "csv":
        assert notes["tags: comma-separated text split into items"] == 24
    if times == "epoch":
        assert notes["created_at: epoch seconds read as UTC"] == 24


async def test_malicious_pickle_never_runs(
    tmp_path: Path, db_dsn: str, db: psycopg.Connection
) -> None:
    marker = tmp_path / "payload-ran"
    path = tmp_path / "memory.db"
    write_legacy_store(path, LegacyOptions(memories=10, payload_marker=marker, payload_rows=(1, 4)))
    client = await _client(db_dsn, "test")
    try:
        report = await client.import_sqlite(path)
    finally:
        await client.close()
    assert not marker.exists()
    mem = report.tables["memories"]
    assert mem.imported == 10
    assert mem.notes["embedding bad (unsafe pickle refused)"] == 2
    # Without an embedder the two memories are kept without an embedding.
    assert db.execute(
        "select count(*) filter (where embedding is null) from pgcortex.memories "
        "where namespace = 'test'"
    ).fetchone() == (2,)


@pytest.mark.skipif(
    not __import__("pgcortex.embedding").embedding.minilm_available(),
    reason="the embed extra is not installed",
)
async def test_bad_embeddings_are_made_again_with_an_embedder(
    tmp_path: Path, db_dsn: str, db: psycopg.Connection
) -> None:
    from pgcortex.embedding import MiniLMEmbedder

    marker = tmp_path / "payload-ran"
    path = tmp_path / "memory.db"
    write_legacy_store(path, LegacyOptions(memories=6, payload_marker=marker, payload_rows=(2,)))
    client = await _client(db_dsn, "test", embedder=MiniLMEmbedder())
    try:
        report = await client.import_sqlite(path)
    finally:
        await client.close()
    assert not marker.exists()
    assert report.tables["memories"].reembedded == 1
    assert db.execute(
        "select count(*) from pgcortex.memories where namespace = 'test' "
        "and embedding is not null and embedding_model = 'all-MiniLM-L6-v2'"
    ).fetchone() == (6,)


async def test_missing_table_and_column(
    tmp_path: Path, db_dsn: str, db: psycopg.Connection
) -> None:
    path = tmp_path / "memory.db"
    write_legacy_store(
        path, LegacyOptions(memories=12, missing_tables=("knowledge_clusters", "user_preferences"))
    )
    drop_column(path, "memories", "tags")
    client = await _client(db_dsn, "test")
    try:
        report = await client.import_sqlite(path)
    finally:
        await client.close()
    assert report.tables["memories"].imported == 12
    assert report.tables["memories"].notes["column tags missing from the file: read as NULL"] == 1
    assert report.tables["knowledge_clusters"].notes == {
        "table missing from the file: nothing to import": 1
    }
    assert report.tables["user_preferences"].read == 0
    assert report.tables["learning_patterns"].imported == 3
    assert db.execute(
        "select count(*) from pgcortex.memories where namespace = 'test' and tags = '{}'"
    ).fetchone() == (12,)


async def test_odd_rows_merged_mapped_skipped(
    tmp_path: Path, db_dsn: str, db: psycopg.Connection
) -> None:
    path = tmp_path / "memory.db"
    write_legacy_store(path, LegacyOptions(memories=8, oddities=True))
    client = await _client(db_dsn, "test")
    try:
        report = await client.import_sqlite(path)
    finally:
        await client.close()
    mem = report.tables["memories"]
    assert (mem.read, mem.imported, mem.merged, mem.skipped) == (12, 10, 1, 1)
    assert ("memories", "empty", "content is empty") in report.skips
    assert "memory:meeting_note" in report.registered_types
    assert mem.notes["memory_type: 'Meeting Note' mapped to 'meeting_note'"] == 1
    # The duplicate (other case and spacing) merged into memory 0: the greater
    # importance, both tag sets, the access counts added up.
    merged = db.execute(
        """select m.importance, m.tags, v.access_count from pgcortex.memories as m
           join pgcortex.memories_v as v on v.id = m.id
           where m.namespace = 'test' and m.content = %s""",
        (content_of(0),),
    ).fetchone()
    assert merged is not None
    assert merged[0] == 5
    assert "dup" in merged[1]
    assert merged[2] == 0 + 4
    nulls = db.execute(
        "select importance, confidence, metadata, embedding from pgcortex.memories "
        "where namespace = 'test' and content = 'A memory with NULLs'"
    ).fetchone()
    assert nulls == (3, 1.0, {"text": "not json"}, None)


async def test_strict_aborts_everything(
    tmp_path: Path, db_dsn: str, db: psycopg.Connection
) -> None:
    path = tmp_path / "memory.db"
    write_legacy_store(path, LegacyOptions(memories=8, oddities=True))
    client = await _client(db_dsn, "test")
    try:
        with pytest.raises(InvalidArgumentError, match="memories row 'empty': content is empty"):
            await client.import_sqlite(path, strict=True, batch_size=3)
    finally:
        await client.close()
    assert db.execute("select count(*) from pgcortex.memories").fetchone() == (0,)
    assert db.execute("select count(*) from pgcortex.import_ids").fetchone() == (0,)


async def test_dry_run_reports_and_writes_nothing(
    tmp_path: Path, db_dsn: str, db: psycopg.Connection
) -> None:
    path = tmp_path / "memory.db"
    write_legacy_store(path, LegacyOptions(memories=30, oddities=True))
    client = await _client(db_dsn, "test")
    try:
        dry = await client.import_sqlite(path, dry_run=True, batch_size=7)
        assert db.execute("select count(*) from pgcortex.memories").fetchone() == (0,)
        assert db.execute("select count(*) from pgcortex.memory_types "
                          "where name = 'meeting_note'").fetchone() == (0,)  # fmt: skip
        real = await client.import_sqlite(path, batch_size=7)
    finally:
        await client.close()
    assert dry.dry_run
    assert not real.dry_run
    for name, t in real.tables.items():
        d = dry.tables[name]
        assert (d.read, d.imported, d.present, d.merged, d.skipped) == (
            t.read, t.imported, t.present, t.merged, t.skipped,
        ), name  # fmt: skip


async def test_reimport_adds_nothing(tmp_path: Path, db_dsn: str, db: psycopg.Connection) -> None:
    path = tmp_path / "memory.db"
    write_legacy_store(path, LegacyOptions(memories=30, oddities=True))
    client = await _client(db_dsn, "test")
    try:
        await client.import_sqlite(path, batch_size=8)
        before = snapshot(db, "test")
        again = await client.import_sqlite(path, batch_size=5)
    finally:
        await client.close()
    total = again.totals()
    assert total.imported == 0
    assert total.merged == 0
    assert total.present == total.read - total.skipped
    assert snapshot(db, "test") == before


async def test_twenty_thousand_memories(
    tmp_path: Path, db_dsn: str, db: psycopg.Connection
) -> None:
    path = tmp_path / "memory.db"
    # Without embeddings, so that the test stays quick: the HNSW insert of 20,000
    # embeddings is what an import of this size spends its time on (see the
    # import figures in docs/performance.md); the SQL path is the same.
    write_legacy_store(
        path,
        LegacyOptions(
            memories=20_000,
            embeddings="none",
            clusters=8,
            patterns=20,
            preferences=30,
            sessions=50,
        ),
    )
    client = await _client(db_dsn, "test")
    try:
        report = await client.import_sqlite(path, batch_size=2000)
        again = await client.import_sqlite(path, batch_size=5000)
    finally:
        await client.close()
    assert report.tables["memories"].imported == 20_000
    assert report.tables["memory_links"].imported == 2 * 20_000 - 3
    assert again.totals().imported == 0
    assert again.tables["memories"].present == 20_000
    assert db.execute(
        "select count(*), count(distinct content) from pgcortex.memories where namespace = 'test'"
    ).fetchone() == (20_000, 20_000)


def test_killed_import_resumes_to_the_same_result(
    tmp_path: Path, db_dsn: str, db: psycopg.Connection
) -> None:
    path = tmp_path / "memory.db"
    write_legacy_store(path, LegacyOptions(memories=3000, clusters=6))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python_client")}
    cmd = [sys.executable, "-m", "pgcortex.cli", "--dsn", db_dsn, "--namespace", "killed",
           "import-sqlite", str(path), "--batch-size", "100", "--quiet"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            done = db.execute(
                "select count(*) from pgcortex.import_ids where namespace = 'killed'"
            ).fetchone()
            if done and done[0] >= 500:
                break
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    part = db.execute(
        "select count(*) from pgcortex.memories where namespace = 'killed'"
    ).fetchone()
    assert part is not None
    assert 0 < part[0] < 3000
    # Resume (the same command), and a clean run into another namespace.
    assert cli_main(["--dsn", db_dsn, "-n", "killed", "import-sqlite", str(path), "--quiet"]) == 0
    assert cli_main(["--dsn", db_dsn, "-n", "clean", "import-sqlite", str(path), "--quiet"]) == 0
    killed, clean = snapshot(db, "killed"), snapshot(db, "clean")
    assert len(clean["memories"]) == 3000
    for table in clean:
        assert killed[table] == clean[table], table


def test_cli_reports_per_table(
    tmp_path: Path, db_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "memory.db"
    write_legacy_store(path, LegacyOptions(memories=5, missing_tables=("conversation_sessions",)))
    assert cli_main(["--dsn", db_dsn, "import-sqlite", str(path), "--namespace", "cli",
                     "--dry-run"]) == 0  # fmt: skip
    out, err = capsys.readouterr()
    assert "dry run of the import (nothing was written)" in out
    assert "conversation_sessions: table missing from the file: nothing to import" in out
    if minilm_available():  # the model that embeds unreadable embeddings again loads first
        assert "loading the embedding model" in err


def test_cli_warns_when_nothing_can_embed_again(
    tmp_path: Path, db_dsn: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pgcortex import embedding

    path = tmp_path / "memory.db"
    write_legacy_store(path, LegacyOptions(memories=3))
    monkeypatch.setattr(embedding, "minilm_available", lambda: False)  # no extra 'embed'
    assert cli_main(["--dsn", db_dsn, "-n", "cli", "import-sqlite", str(path), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "warning: no embedder installed" in err
    assert "loading the embedding model" not in err
    assert cli_main(["--dsn", db_dsn, "-n", "cli2", "import-sqlite", str(path), "--quiet",
                     "--no-reembed"]) == 0  # fmt: skip
    assert "warning" not in capsys.readouterr().err
    assert cli_main(["--dsn", db_dsn, "-n", "cli", "import-sqlite", str(tmp_path / "nope")]) == 2
