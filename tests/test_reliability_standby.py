"""Reads on a hot standby: what an application or a DBA may do on a read replica.

The test runs its own primary and a streaming standby of it (pg_basebackup -R), each
an embedded server in a temporary directory (never the shared test or dev server).
On the primary it stores memories, reads some of them tracked, folds part of the
access log and leaves the rest pending; on the standby, once it has replayed all of
that, every read an untracked caller makes must work and agree with the primary:
search (vector, hybrid, the last-access filter), get, list by access, the contextual
knowledge call and the views. Access counts are compared where the primary has
folded them (docs/reliability.md, "Replicas"); writes, the audited export and
tracked reads among them, are refused with the server's read-only error.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psycopg
import pytest

from pgcortex import migrate
from pgcortex.server import EmbeddedServer

MODEL = "standby-test-model"
NAMESPACE = "replica"
N = 60


def _vector(seed: int) -> str:
    v = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
    return "[" + ",".join(f"{x:.7f}" for x in v / np.linalg.norm(v)) + "]"


def _connect(dsn: str) -> psycopg.Connection:
    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute("select pg_catalog.set_config('pgcortex.namespace', %s, false)", (NAMESPACE,))
    return conn


@pytest.fixture
def primary_and_standby(tmp_path: Path) -> Iterator[tuple[str, str]]:
    primary = EmbeddedServer(tmp_path / "primary")
    standby = EmbeddedServer(tmp_path / "standby")
    try:
        dsn = primary.start()
        migrate.deploy(dsn)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                "select from pgcortex.register_embedding_model(name => %s, dimensions => 384)",
                (MODEL,),
            )
        # The standby: a base backup of the primary that streams from it.
        standby.root.mkdir(parents=True)
        standby.pgdata.mkdir(mode=0o700)
        if primary._as_root:
            standby._prepare_permissions()
        standby._run(
            "pg_basebackup",
            "-D", str(standby.pgdata),
            "-h", str(primary.socket_dir),
            "-p", "5432",
            "-U", "postgres",
            "-R",
            "-X", "stream",
            "-c", "fast",
        )  # fmt: skip
        # The primary's socket lives in its data directory: its lock file and its log
        # came along.
        (standby.pgdata / ".s.PGSQL.5432.lock").unlink(missing_ok=True)
        (standby.pgdata / "log").unlink(missing_ok=True)
        with (standby.pgdata / "postgresql.auto.conf").open("a") as fh:
            fh.write(f"unix_socket_directories = '{standby.socket_dir}'\n")
        yield dsn, standby.start()
    finally:
        standby.stop(mode="immediate")
        primary.stop(mode="immediate")


def _caught_up(primary: psycopg.Connection, standby: psycopg.Connection) -> None:
    row = primary.execute("select pg_catalog.pg_current_wal_lsn()").fetchone()
    assert row is not None
    deadline = time.monotonic() + 60
    while True:
        done = standby.execute(
            "select pg_catalog.pg_last_wal_replay_lsn() >= %s::pg_lsn", (row[0],)
        ).fetchone()
        if done is not None and done[0]:
            return
        if time.monotonic() > deadline:
            raise AssertionError("the standby did not replay the primary's writes in 60 s")
        time.sleep(0.05)


#: The reads of an untracked caller, each a query and how to compare its answer.
SEARCH_VECTOR = (
    "select id::text, access_count from pgcortex.search_memories(query_embedding => %s::vector,"
    " k => 10, embedding_model => %s, track => false) order by rank"
)
SEARCH_HYBRID = (
    "select id::text, access_count from pgcortex.search_memories(query_embedding => %s::vector,"
    " query_text => 'remembered fact', k => 10, embedding_model => %s, track => false)"
    " order by rank"
)
SEARCH_ACCESSED = (
    "select id::text from pgcortex.search_memories(query_text => 'remembered fact', k => 50,"
    " accessed_after => now() + interval '1 hour', track => false) order by id"
)
GET = (
    "select id::text, access_count from pgcortex.get_memories(memory_ids => %s::uuid[],"
    " track => false) order by id"
)
LIST = (
    "select id::text, access_count from pgcortex.list_memories(order_by => 'accessed',"
    " page_size => 100)"
)
VIEW = "select id::text, access_count from pgcortex.memories_v order by id"
TOTALS = "select memory_id::text, access_count from pgcortex.memory_access_totals order by 1"
SUMMARY = "select most_accessed from pgcortex.memory_summary_v"
CONTEXT = (
    "select pgcortex.get_contextual_knowledge(query => 'remembered fact', track => false)"
    " -> 'memories'"
)


def test_an_untracked_caller_reads_everything_on_a_hot_standby(
    primary_and_standby: tuple[str, str],
) -> None:
    primary_dsn, standby_dsn = primary_and_standby
    with _connect(primary_dsn) as p, _connect(standby_dsn) as s:
        ids = [
            str(r[0])
            for r in p.execute(
                "select s.id from pgcortex.store_memories(contents => %s, memory_types => %s,"
                " embeddings => %s::vector[], embedding_model => %s) as s order by s.ordinality",
                (
                    [f"remembered fact number {i}" for i in range(N)],
                    ["business_fact"] * N,
                    [_vector(i) for i in range(N)],
                    MODEL,
                ),
            ).fetchall()
        ]
        # Clustered now (a read on the primary would cluster them, one on the standby
        # cannot), then reads counted and folded into the counts.
        p.execute("select * from pgcortex.maint_run(forget => false, detect_patterns => false)")
        p.execute(
            "select pgcortex.track_access(ids => %s::uuid[], as_of => now() + interval '1 day')",
            (ids[:20] * 3,),
        )
        p.execute("select pgcortex.maint_flush_access()")
        _caught_up(p, s)
        assert s.execute("select pg_catalog.pg_is_in_recovery()").fetchone() == (True,)

        reads: list[tuple[str, tuple[object, ...]]] = [
            (SEARCH_VECTOR, (_vector(3), MODEL)),
            (SEARCH_HYBRID, (_vector(7), MODEL)),
            (SEARCH_ACCESSED, ()),
            (GET, (ids,)),
            (LIST, ()),
            (VIEW, ()),
            (TOTALS, ()),
            (SUMMARY, ()),
            (CONTEXT, ()),
        ]
        for sql, args in reads:
            on_standby = s.execute(sql, args).fetchall()
            assert on_standby, sql
            assert on_standby[0][0], sql
            assert on_standby == p.execute(sql, args).fetchall(), sql
        accessed = s.execute(SEARCH_ACCESSED).fetchall()
        assert sorted(r[0] for r in accessed) == sorted(ids[:20])
        counts: dict[str, int] = dict(s.execute(GET, (ids,)).fetchall())
        assert [counts[i] for i in ids[:20]] == [3] * 20
        assert all(counts[i] == 0 for i in ids[20:])

        # The export is audited (a row in namespace_audit): it needs the primary.
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            s.execute("select pgcortex.export_namespace()").fetchall()

        # A tracked read is a write: refused on the standby, with the server's own error.
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            s.execute(SEARCH_VECTOR.replace("track => false", "track => true"), (_vector(3), MODEL))
