"""16 concurrent writers, readers and a maintainer: nothing lost, duplicated or miscounted.

Runs PGCORTEX_STRESS_SECONDS seconds (5 in `make test`, 60 in `make stress`,
marker ``stress``). 8 writers store unique memories (each acknowledged id goes
to a client-side ledger) and, every fourth call, one of a few contents that all
writers store at the same time; 4 searchers run tracked hybrid searches; 3
readers fetch acknowledged memories by id (tracked); 1 maintainer runs the
maintenance (flush the access log, recluster, detect patterns; no forgetting)
in a loop. Afterwards: 0 lost writes, 0 duplicate rows, identical content gave
one row, access counts equal exactly the reads the client made (plus one per
reinforcing store), 0 deadlocks, 0 errors of any kind, amcheck clean.

Latencies are printed (run with -s) and quoted in docs/reliability.md; the test
asserts no timing.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from typing import Any
from uuid import UUID

import numpy as np
import psycopg
import pytest

import pgcortex

WRITERS = 8
SEARCHERS = 4
READERS = 3
MAINTAINERS = 1
WORKERS = WRITERS + SEARCHERS + READERS + MAINTAINERS
SHARED_CONTENTS = 6
MODEL = "stress-model"


def _seconds() -> float:
    return float(os.environ.get("PGCORTEX_STRESS_SECONDS", "5"))


def _vector(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
    return v / np.linalg.norm(v)


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000 if values else 0.0


@pytest.mark.stress
async def test_concurrent_writers_searchers_and_maintenance(
    db: psycopg.Connection, db_dsn: str
) -> None:
    assert WORKERS == 16
    client = await pgcortex.connect(db_dsn, namespace="stress", deploy=False, max_size=WORKERS)
    deadlocks_before = db.execute(
        "select deadlocks from pg_catalog.pg_stat_database where datname = current_database()"
    ).fetchone()
    ledger: dict[str, UUID] = {}  # unique content -> acknowledged id
    shared_ids: dict[str, set[UUID]] = {}  # shared content -> ids acknowledged
    shared_stores: Counter[str] = Counter()
    reads: Counter[UUID] = Counter()  # tracked reads the client made
    errors: list[str] = []
    latency: dict[str, list[float]] = {"write": [], "search": [], "read": [], "maint": []}
    calls: list[tuple[float, float]] = []  # (start, end) of every store, search and read
    maint_windows: list[tuple[float, float]] = []
    step_ms: dict[str, float] = {}  # longest run of each maintenance step
    stop = asyncio.Event()

    async def timed(kind: str, coro: Any) -> Any:
        start = time.monotonic()
        try:
            return await coro
        finally:
            end = time.monotonic()
            latency[kind].append(end - start)
            if kind != "maint":
                calls.append((start, end))

    async def writer(w: int) -> None:
        i = 0
        while not stop.is_set():
            if i % 4 == 3:
                k = (i // 4) % SHARED_CONTENTS
                content = f"shared stress content number {k}"
                seed = 10_000_000 + k
            else:
                content = f"stress memory from writer {w} number {i}"
                seed = w * 1_000_000 + i
            try:
                result = await timed(
                    "write",
                    client.store_memory(
                        content,
                        "business_fact",
                        tags=[f"w{w}", "stress"],
                        embedding=_vector(seed),
                        embedding_model=MODEL,
                    ),
                )
            except pgcortex.PgcortexError as exc:
                errors.append(f"write: {type(exc).__name__}: {exc}")
                return
            if content.startswith("shared"):
                shared_ids.setdefault(content, set()).add(result.id)
                shared_stores[content] += 1
            else:
                assert result.action == "inserted", result
                ledger[content] = result.id
            i += 1

    async def searcher(s: int) -> None:
        rng = random.Random(s)
        while not stop.is_set():
            seed = rng.randrange(WRITERS) * 1_000_000 + rng.randrange(50)
            try:
                hits = await timed(
                    "search",
                    client.search_memories(
                        "stress memory writer",
                        query_embedding=_vector(seed),
                        embedding_model=MODEL,
                        k=5,
                        track=True,
                    ),
                )
            except pgcortex.PgcortexError as exc:
                errors.append(f"search: {type(exc).__name__}: {exc}")
                return
            for hit in hits:
                reads[hit.id] += 1

    async def reader(r: int) -> None:
        rng = random.Random(100 + r)
        while not stop.is_set():
            if not ledger:
                await asyncio.sleep(0.01)
                continue
            memory_id = rng.choice(list(ledger.values()))
            try:
                await timed("read", client.retrieve_memory(memory_id, track=True))
            except pgcortex.PgcortexError as exc:
                errors.append(f"read: {type(exc).__name__}: {exc}")
                return
            reads[memory_id] += 1

    async def maintainer() -> None:
        while not stop.is_set():
            start = time.monotonic()
            try:
                steps = await timed(
                    "maint",
                    client.run_maintenance(forget=False, recluster=True, detect_patterns=True),
                )
                for step in steps:
                    step_ms[step.step] = max(step_ms.get(step.step, 0.0), step.duration_ms)
                await timed("maint", client.flush_memory_access())
            except pgcortex.PgcortexError as exc:
                errors.append(f"maintenance: {type(exc).__name__}: {exc}")
                return
            maint_windows.append((start, time.monotonic()))
            await asyncio.sleep(0.2)

    tasks = [
        *(asyncio.create_task(writer(w)) for w in range(WRITERS)),
        *(asyncio.create_task(searcher(s)) for s in range(SEARCHERS)),
        *(asyncio.create_task(reader(r)) for r in range(READERS)),
        asyncio.create_task(maintainer()),
    ]
    started = time.monotonic()
    try:
        await asyncio.wait_for(stop.wait(), timeout=_seconds())
    except TimeoutError:
        stop.set()
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - started

    assert errors == []
    # Fold the access log so the counts are read from one place, then check.
    await client.flush_memory_access()
    rows = db.execute(
        "select id, content from pgcortex.memories where namespace = 'stress'"
    ).fetchall()
    by_content: dict[str, list[UUID]] = {}
    for memory_id, content in rows:
        by_content.setdefault(content, []).append(memory_id)
    # 0 lost writes, under the acknowledged ids.
    lost = [c for c, i in ledger.items() if by_content.get(c) != [i]]
    assert lost == []
    # 0 duplicates: one row per content; identical content stored concurrently gave one row.
    assert all(len(ids) == 1 for ids in by_content.values())
    for content, acked in shared_ids.items():
        assert acked == set(by_content[content]), content
    assert len(rows) == len(ledger) + len(shared_ids)
    # Exact access counts: every tracked read, plus one per store that reinforced.
    memories = await client.get_memories([row[0] for row in rows], track=False)
    expected = Counter(reads)
    for content, count in shared_stores.items():
        expected[by_content[content][0]] += count - 1
    wrong = {
        m.id: (m.access_count, expected[m.id]) for m in memories if m.access_count != expected[m.id]
    }
    assert wrong == {}
    # 0 deadlocks on the server, and the indexes are sound.
    deadlocks_after = db.execute(
        "select deadlocks from pg_catalog.pg_stat_database where datname = current_database()"
    ).fetchone()
    assert deadlocks_after == deadlocks_before
    db.execute("create extension if not exists amcheck")
    for (index,) in db.execute(
        "select c.oid::regclass::text from pg_catalog.pg_class as c"
        " join pg_catalog.pg_am as a on a.oid = c.relam"
        " where c.relnamespace = 'pgcortex'::regnamespace and c.relkind = 'i'"
        " and a.amname = 'btree'"
    ).fetchall():
        db.execute("select public.bt_index_check(%s::regclass, heapallindexed => true)", (index,))
    await client.close()

    # Calls that overlapped a maintenance round: how long did they take?
    overlaps = [
        any(start < m_end and end > m_start for m_start, m_end in maint_windows)
        for start, end in calls
    ]
    during = [end - start for (start, end), o in zip(calls, overlaps, strict=True) if o]
    outside = [end - start for (start, end), o in zip(calls, overlaps, strict=True) if not o]
    print(
        f"\nstress: {elapsed:.1f} s, {WORKERS} workers; "
        f"{len(latency['write'])} stores ({len(ledger)} unique, "
        f"{sum(shared_stores.values())} of {len(shared_ids)} shared contents), "
        f"{len(latency['search'])} searches, {len(latency['read'])} reads, "
        f"{len(maint_windows)} maintenance rounds; {sum(reads.values())} tracked reads"
    )
    for kind, values in (
        *latency.items(),
        ("during maintenance", during),
        ("outside maintenance", outside),
    ):
        print(
            f"  {kind:19} n={len(values):6} p50={_pct(values, 50):8.1f} ms"
            f" p99={_pct(values, 99):8.1f} ms max={_pct(values, 100):8.1f} ms"
        )
    print(
        "  longest maintenance steps: " + ", ".join(f"{k} {v:.0f} ms" for k, v in step_ms.items())
    )
