"""The benchmark's own database: create it fresh, deploy the schema, bulk-load, drop it.

Only the database named ``pgcortex_bench_<name>`` is ever created or dropped.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import psycopg
from pgvector.asyncpg import register_vector
from psycopg import sql

from pgcortex import migrate
from pgcortex.config import configured_dsn

from .data import Dataset
from .progress import Progress, note

NAMESPACE = "bench"


def server_dsn() -> str:
    """DSN of the server: PGCORTEX_DSN / DATABASE_URL, else the embedded one (started)."""
    dsn = configured_dsn()
    if dsn:
        return dsn
    from pgcortex.server import EmbeddedServer

    return EmbeddedServer().start()


def with_dbname(dsn: str, dbname: str) -> str:
    info = {k: str(v) for k, v in psycopg.conninfo.conninfo_to_dict(dsn).items() if v is not None}
    info["dbname"] = dbname
    return psycopg.conninfo.make_conninfo("", **info)


def asyncpg_dsn(dsn: str) -> str:
    """The same DSN as a URL, which asyncpg wants (unix-socket host as a parameter)."""
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    host = info.get("host") or "localhost"
    port = info.get("port") or "5432"
    user = info.get("user") or "postgres"
    password = info.get("password")
    auth = f"{user}:{password}" if password else str(user)
    return f"postgresql://{auth}@/{info['dbname']}?host={host}&port={port}"


@contextmanager
def fresh_database(name: str, *, keep: bool = False, sql_dir: str | None = None) -> Iterator[str]:
    """Create ``pgcortex_bench_<name>`` (dropping a leftover of an earlier run), deploy
    the schema, yield its DSN, drop it afterwards unless ``keep``."""
    base = server_dsn()
    dbname = f"pgcortex_bench_{name}"
    admin = with_dbname(base, "postgres")

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(dbname))
            )

    drop()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
    dsn = with_dbname(base, dbname)
    try:
        migrate.deploy(dsn, directory=Path(sql_dir) if sql_dir else None)
        yield dsn
    finally:
        if keep:
            note(f"kept database {dbname}")
        else:
            drop()


@contextmanager
def existing_database(name: str, n: int) -> Iterator[str]:
    """The database a run with ``BENCH_KEEP=1`` left (for tuning experiments on the
    same data): the memories the previous run stored through the API are deleted,
    so the loaded rows, and only they, are searched again."""
    dsn = with_dbname(server_dsn(), f"pgcortex_bench_{name}")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("set session_replication_role = replica")
        conn.execute(
            "delete from pgcortex.memories where namespace = %s and not (id between %s and %s)",
            (NAMESPACE, row_id(0), row_id(n - 1)),
        )
        row = conn.execute(
            "select count(*) from pgcortex.memories where namespace = %s", (NAMESPACE,)
        ).fetchone()
        if not row or row[0] != n:
            raise RuntimeError(f"pgcortex_bench_{name} holds {row} memories, not {n}")
        conn.execute("vacuum (analyze) pgcortex.memories")
    yield dsn


def row_id(i: int) -> uuid.UUID:
    """The id of row ``i`` of a data set (so results map back to ground-truth rows)."""
    return uuid.UUID(int=(0x0190 << 112) | (i + 1))


def row_of(value: Any) -> int:
    """Row number of a loaded memory's id; -1 for a row the benchmark did not load."""
    u = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    n = u.int
    if n >> 112 != 0x0190:
        return -1
    return (n & ((1 << 112) - 1)) - 1


def secondary_indexes(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """(name, definition) of the memories indexes that back no constraint."""
    rows = conn.execute(
        """
        select i.indexrelid::regclass::text, pg_catalog.pg_get_indexdef(i.indexrelid)
        from pg_catalog.pg_index as i
        where i.indrelid = 'pgcortex.memories'::regclass
          and not exists (select from pg_catalog.pg_constraint as c where c.conindid = i.indexrelid)
        order by 1
        """
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def register_model(dsn: str, data: Dataset, storage: str | None = None) -> dict[str, Any]:
    """Register the data set's embedding model (its HNSW index is built by the load)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "select to_jsonb(r) from pgcortex.register_embedding_model(name => %s,"
            " dimensions => %s, storage => %s) as r",
            (data.model, int(data.vectors.shape[1]), storage),
        ).fetchone()
        # The load bypasses the API: the namespace's model is set here.
        conn.execute("select pg_catalog.set_config('pgcortex.namespace', %s, false)", (NAMESPACE,))
        conn.execute("select pgcortex.set_namespace_embedding_model(%s)", (data.model,))
    assert row is not None
    info: dict[str, Any] = row[0]
    return info


def model_sql(dsn: str, model: str) -> dict[str, Any]:
    """The SQL pieces that use the model's index (pgcortex_internal.embedding_model_sql)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "select to_jsonb(pgcortex_internal.embedding_model_sql(%s))", (model,)
        ).fetchone()
    assert row is not None
    info: dict[str, Any] = row[0]
    return info


async def bulk_load(
    dsn: str, data: Dataset, *, batch: int = 5000, storage: str | None = None
) -> dict[str, Any]:
    """Register the data set's model, COPY the data set into pgcortex.memories with
    its secondary indexes dropped, then rebuild each index and time it. Returns load
    and build timings."""
    register_model(dsn, data, storage)
    with psycopg.connect(dsn, autocommit=True) as conn:
        indexes = secondary_indexes(conn)
        for name, _ in indexes:
            conn.execute(sql.SQL("drop index {}").format(sql.SQL(name)))
    # The load is set-up, not a measurement: triggers (history, clusters) are
    # bypassed (replica role). Stores through the API are measured separately.
    conn_a = await asyncpg.connect(
        asyncpg_dsn(dsn),
        server_settings={"pgcortex.namespace": NAMESPACE, "session_replication_role": "replica"},
    )
    try:
        await register_vector(conn_a)
        columns = [
            "id", "namespace", "content", "memory_type", "importance", "tags",
            "embedding", "embedding_model",
        ]  # fmt: skip
        t0 = time.perf_counter()
        with Progress("load (COPY)", data.n) as bar:
            for lo in range(0, data.n, batch):
                hi = min(lo + batch, data.n)
                records = [
                    (
                        row_id(i),
                        NAMESPACE,
                        data.contents[i],
                        data.memory_types[i],
                        int(data.importances[i]),
                        data.tags[i],
                        data.vectors[i],
                        data.model,
                    )
                    for i in range(lo, hi)
                ]
                await conn_a.copy_records_to_table(
                    "memories", schema_name="pgcortex", columns=columns, records=records
                )
                bar.advance(hi - lo)
        load_s = time.perf_counter() - t0
    finally:
        await conn_a.close()

    builds: dict[str, float] = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        # pgvector builds the HNSW graph in memory while it fits in
        # maintenance_work_mem and much slower once it does not: about 3 kB a
        # 384-d row (vector plus links), the vector's bytes more for longer
        # vectors. Raise it for this session when the server's setting is
        # smaller (1,000,000 rows at 384-d: 3 GB; capped at 8 GB).
        row = conn.execute(
            "select pg_catalog.pg_size_bytes(pg_catalog.current_setting('maintenance_work_mem'))"
        ).fetchone()
        per_row = 3 * 1024 + max(0, int(data.vectors.shape[1]) - 384) * 4
        wanted = min(data.n * per_row, 8 * 1024**3)
        if row and row[0] < wanted:
            conn.execute(f"set maintenance_work_mem = '{wanted // 1024**2}MB'")
        mwm = conn.execute("show maintenance_work_mem").fetchone()
        for name, definition in indexes:
            with Progress(f"build {name.split('.')[-1][:22]}", 1, unit="index") as bar:
                t0 = time.perf_counter()
                conn.execute(definition)
                builds[name.split(".")[-1]] = time.perf_counter() - t0
                bar.advance()
        # The bypassed triggers keep the text search's term statistics: counted
        # here, or every word would count as rare and the text arm would score
        # every match.
        t0 = time.perf_counter()
        conn.execute("select pg_catalog.set_config('pgcortex.namespace', %s, false)", (NAMESPACE,))
        docs = conn.execute(
            "select t.documents from pgcortex.maint_rebuild_terms() as t"
        ).fetchone()
        terms_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.execute("vacuum (analyze) pgcortex.memories")
        vacuum_s = time.perf_counter() - t0
    return {
        "rows": data.n,
        "copy_seconds": load_s,
        "copy_rows_per_s": data.n / load_s,
        "index_build_seconds": builds,
        "vacuum_analyze_seconds": vacuum_s,
        "term_statistics_seconds": terms_s,
        "term_statistics_documents": docs[0] if docs else 0,
        "maintenance_work_mem": mwm[0] if mwm else None,
    }


def sizes(dsn: str) -> dict[str, Any]:
    """Heap, TOAST and each index of pgcortex.memories and memory_access, in bytes."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        out: dict[str, Any] = {}
        for table in ("pgcortex.memories", "pgcortex.memory_access"):
            row = conn.execute(
                """
                select pg_catalog.pg_relation_size(c.oid),
                       coalesce(pg_catalog.pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0),
                       pg_catalog.pg_indexes_size(c.oid),
                       pg_catalog.pg_total_relation_size(c.oid)
                from pg_catalog.pg_class as c where c.oid = %s::regclass
                """,
                (table,),
            ).fetchone()
            assert row is not None
            idx = conn.execute(
                """
                select i.indexrelid::regclass::text, pg_catalog.pg_relation_size(i.indexrelid)
                from pg_catalog.pg_index as i where i.indrelid = %s::regclass order by 1
                """,
                (table,),
            ).fetchall()
            out[table] = {
                "heap_bytes": row[0],
                "toast_bytes": row[1],
                "indexes_bytes": row[2],
                "total_bytes": row[3],
                "indexes": {r[0]: r[1] for r in idx},
            }
        return out
