"""Latency (sequential) and throughput (concurrent clients) of one query shape."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import numpy as np
from pgvector.asyncpg import register_vector

from .db import NAMESPACE
from .progress import Progress

Parse = Callable[[Sequence[asyncpg.Record]], list[int]]


@dataclass(frozen=True, slots=True)
class Shape:
    """A query shape: SQL text, one argument tuple per query, and how to read a result."""

    name: str
    sql: str
    args: Sequence[tuple[Any, ...]]
    parse: Parse
    settings: tuple[tuple[str, str], ...] = ()


async def connect(dsn: str, settings: Sequence[tuple[str, str]] = ()) -> asyncpg.Connection:
    conn = await asyncpg.connect(
        dsn, server_settings={"pgcortex.namespace": NAMESPACE, "application_name": "bench"}
    )
    await register_vector(conn)
    for key, value in settings:
        await conn.execute(f"set {key} = '{value}'")
    return conn


def percentiles(ms: Sequence[float]) -> dict[str, float]:
    a = np.asarray(ms, dtype=np.float64)
    return {
        "p50_ms": float(np.percentile(a, 50)),
        "p95_ms": float(np.percentile(a, 95)),
        "p99_ms": float(np.percentile(a, 99)),
        "mean_ms": float(a.mean()),
        "max_ms": float(a.max()),
        "n": len(a),
    }


async def sequential(
    dsn: str, shape: Shape, *, repeats: int = 1, warmup: int | None = None
) -> tuple[dict[str, float], list[list[int]], list[int]]:
    """Run every query ``repeats`` times one after another on one connection (prepared).

    Returns latency percentiles, the rows found per query (first pass) and the count
    of results per query.
    """
    conn = await connect(dsn, shape.settings)
    try:
        stmt = await conn.prepare(shape.sql)
        if warmup is None:  # a tenth of the queries, 2 to 20
            warmup = max(2, min(20, len(shape.args) // 10))
        for args in list(shape.args)[:warmup]:
            await stmt.fetch(*args)
        found: list[list[int]] = []
        counts: list[int] = []
        ms: list[float] = []
        total = len(shape.args) * repeats
        with Progress(f"seq {shape.name}"[:28], total, unit="queries") as bar:
            for r in range(repeats):
                for args in shape.args:
                    t0 = time.perf_counter()
                    rows = await stmt.fetch(*args)
                    ms.append((time.perf_counter() - t0) * 1000)
                    if r == 0:
                        found.append(shape.parse(rows))
                        counts.append(len(rows))
                    bar.advance()
        return percentiles(ms), found, counts
    finally:
        await conn.close()


async def concurrent(dsn: str, shape: Shape, *, clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` connections each running the queries in a loop for ``seconds``:
    completed queries per second and the latency percentiles under that load."""
    conns = [await connect(dsn, shape.settings) for _ in range(clients)]
    try:
        stmts = [await c.prepare(shape.sql) for c in conns]
        args = list(shape.args)
        for s in stmts:  # warm every session's plan cache
            await s.fetch(*args[0])
        ms: list[float] = []
        deadline = time.perf_counter() + seconds

        async def worker(w: int) -> int:
            done = 0
            i = w * 7919
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                await stmts[w].fetch(*args[i % len(args)])
                ms.append((time.perf_counter() - t0) * 1000)
                i += 1
                done += 1
            return done

        t0 = time.perf_counter()
        with Progress(f"x{clients} {shape.name}"[:28], 1, unit="runs") as bar:
            done = sum(await asyncio.gather(*(worker(w) for w in range(clients))))
            bar.advance()
        elapsed = time.perf_counter() - t0
        out: dict[str, Any] = {"clients": clients, "qps": done / elapsed, "queries": done}
        out.update({k: v for k, v in percentiles(ms).items() if k != "n"})
        return out
    finally:
        for c in conns:
            await c.close()
