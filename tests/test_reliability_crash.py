"""SIGKILL the server during a write load, restart it, and check what survived.

The test runs its own embedded server in a temporary directory (never the shared
test or dev server). Writers keep a client-side ledger of acknowledged writes;
after the crash and restart every acknowledged write must be there, intact,
findable by search, with amcheck clean, and the same client (never restarted)
must be working again. Figures are printed (run with -s) and quoted in
docs/reliability.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path

import numpy as np
import psycopg
import pytest

import pgcortex
from pgcortex import migrate
from pgcortex.server import EmbeddedServer

WRITERS = 4
#: Acknowledged writes before the kill, and after the restart.
BEFORE_KILL = 80
AFTER_RESTART = 40
MODEL = "crash-test-model"

STORE = (
    "select * from pgcortex.store_memory(content => $1, memory_type => 'business_fact',"
    " embedding => $2, embedding_model => $3)"
)
SEARCH = (
    "select id from pgcortex.search_memories(query_embedding => $1, k => 1,"
    " embedding_model => $2, track => false)"
)


def _vector(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
    return v / np.linalg.norm(v)


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(entry.name))
    return out


def _crash(server: EmbeddedServer) -> None:
    """SIGKILL the postmaster and every backend: no shutdown checkpoint, WAL replay next."""
    pid = server.pid()
    assert pid is not None
    children = _children(pid)
    os.kill(pid, signal.SIGKILL)
    for child in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{p}").exists() for p in [pid, *children]):
        if time.monotonic() > deadline:
            raise AssertionError("server processes survived SIGKILL")
        time.sleep(0.05)


@pytest.fixture
def crash_server(tmp_path: Path):
    server = EmbeddedServer(tmp_path / "crash")
    server.init()
    with (server.pgdata / "postgresql.auto.conf").open("a") as fh:
        fh.write("shared_buffers = '64MB'\nmaintenance_work_mem = '64MB'\n")
    dsn = server.start()
    migrate.deploy(dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create extension if not exists amcheck")
        conn.execute(
            "select from pgcortex.register_embedding_model(name => %s, dimensions => 384)",
            (MODEL,),
        )
    try:
        yield server
    finally:
        server.stop(mode="immediate")


async def test_sigkill_during_writes_loses_no_acknowledged_write(
    crash_server: EmbeddedServer,
) -> None:
    dsn = crash_server.dsn()
    client = await pgcortex.connect(dsn, namespace="crash", deploy=False, max_size=WRITERS)
    ledger: dict[str, tuple[str, int]] = {}  # content -> (id, vector seed), acknowledged
    attempted: set[str] = set()
    failures: list[str] = []
    phase: dict[str, float | None] = {
        "acked_after_restart": 0,
        "restarted_at": None,
        "first_success_at": None,
    }
    stop = asyncio.Event()
    enough_before = asyncio.Event()
    enough_after = asyncio.Event()

    async def writer(w: int) -> None:
        i = 0
        while not stop.is_set():
            content = f"crash ledger memory {w}-{i}"
            seed = w * 1_000_000 + i
            attempted.add(content)
            try:
                row = await client._fetchrow(STORE, content, _vector(seed), MODEL)
            except pgcortex.PgcortexError as exc:
                # The application's own retry: same content again, which dedup makes
                # safe whether or not the lost call committed.
                failures.append(type(exc).__name__)
                await asyncio.sleep(0.02)
                continue
            assert row is not None
            ledger[content] = (str(row["id"]), seed)
            if phase["restarted_at"] is not None:
                if phase["first_success_at"] is None:
                    phase["first_success_at"] = time.monotonic()
                after = (phase["acked_after_restart"] or 0) + 1
                phase["acked_after_restart"] = after
                if after >= AFTER_RESTART:
                    enough_after.set()
            elif len(ledger) >= BEFORE_KILL:
                enough_before.set()
            i += 1

    tasks = [asyncio.create_task(writer(w)) for w in range(WRITERS)]
    try:
        await enough_before.wait()
        acked_at_kill = len(ledger)
        killed_at = time.monotonic()
        await asyncio.to_thread(_crash, crash_server)
        await asyncio.to_thread(crash_server.start)
        phase["restarted_at"] = time.monotonic()
        await enough_after.wait()
    finally:
        stop.set()
        await asyncio.gather(*tasks)

    first = phase["first_success_at"]
    restarted = phase["restarted_at"]
    assert isinstance(first, float)
    assert isinstance(restarted, float)
    print(
        f"\ncrash: {acked_at_kill} acknowledged before the kill, {len(ledger)} in all; "
        f"{len(failures)} failed calls while down ({sorted(set(failures))}); "
        f"restart took {restarted - killed_at:.2f} s; first success "
        f"{first - restarted:.3f} s after the restart, {first - killed_at:.2f} s after the kill"
    )
    # Every failure was the connection, nothing else.
    assert set(failures) <= {"ConnectionLostError"}

    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "select id::text, content, content_hash = pgcortex_internal.content_hash(content),"
            " public.vector_dims(embedding), public.vector_norm(embedding), embedding_model"
            " from pgcortex.memories where namespace = 'crash'"
        ).fetchall()
        stored = {
            content: (id_, ok, dims, norm, model) for id_, content, ok, dims, norm, model in rows
        }
        # Every acknowledged write is there, under the id it was acknowledged with.
        missing = [c for c, (id_, _) in ledger.items() if stored.get(c, ("",))[0] != id_]
        assert missing == []
        # Nothing torn, nothing invented: extra rows are writes whose reply was lost.
        assert set(stored) <= attempted
        assert len(stored) == len(rows)
        for content, (_, hash_ok, dims, norm, model) in stored.items():
            assert hash_ok, content
            assert dims == 384, content
            assert abs(norm - 1.0) < 1e-3, content
            assert model == MODEL, content
        # amcheck: every B-tree of the schema (with its heap) and every table's heap.
        indexes = conn.execute(
            "select c.oid::regclass::text from pg_catalog.pg_class as c"
            " join pg_catalog.pg_am as a on a.oid = c.relam"
            " where c.relnamespace = 'pgcortex'::regnamespace and c.relkind = 'i'"
            " and a.amname = 'btree'"
        ).fetchall()
        assert len(indexes) > 10
        for (index,) in indexes:
            conn.execute(
                "select public.bt_index_check(%s::regclass, heapallindexed => true)", (index,)
            )
        tables = conn.execute(
            "select c.oid::regclass::text from pg_catalog.pg_class as c"
            " where c.relnamespace = 'pgcortex'::regnamespace and c.relkind = 'r'"
        ).fetchall()
        for (table,) in tables:
            corrupt = conn.execute(
                "select count(*) from public.verify_heapam(%s::regclass)", (table,)
            ).fetchone()
            assert corrupt == (0,), table

    # Search finds acknowledged writes from before and after the crash (HNSW intact).
    sample = list(ledger.items())[:: max(1, len(ledger) // 25)]
    for content, (id_, seed) in sample:
        found = await client._fetchval(SEARCH, _vector(seed), MODEL)
        assert str(found) == id_, content
    await client.close()


def test_first_start_after_sigkill_of_the_postmaster_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``kill -9`` of the postmaster alone, then one start: it must work the first time."""
    monkeypatch.setenv("PGCORTEX_SERVER_SETTINGS", "shared_buffers=32MB,maintenance_work_mem=32MB")
    server = EmbeddedServer(tmp_path / "kill9")
    dsn = server.start()
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("create table survivor (note text)")
            conn.execute("insert into survivor values ('committed before the kill')")
        killed = server.kill()
        assert killed is not None
        # The lock files of the killed server are still there.
        assert (server.pgdata / "postmaster.pid").exists()
        assert server.start() == dsn
        assert server.pid() not in (None, killed)
        with psycopg.connect(dsn, autocommit=True) as conn:
            row = conn.execute("select note from survivor").fetchone()
        assert row == ("committed before the kill",)
    finally:
        server.stop(mode="immediate")
