"""Measurements through the SQL API: search_memories, get_memory, store_memories and
the context bundle, the way the client calls them (named arguments, prepared).

Recall of the API's ranked results is measured two ways:
* vector searches run with neutral ranking weights (no recency, importance,
  confidence or access factor), so their order is pure cosine similarity and the
  numpy top-k over the same filtered rows is the exact answer;
* text and hybrid searches (default weights, ranks fused) are compared with the
  same call executed exactly: the same function, same arguments, with index
  scans disabled (``enable_indexscan = off``: no HNSW; full-text matching through
  GIN is exact anyway).
Recall runs do not track access and use a fixed ``as_of``, so every run ranks the
same data the same way; tracking is measured separately for latency.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Awaitable, Sequence
from typing import Any

import numpy as np
import psycopg
from pgvector import Vector

from . import db
from .config import Config
from .data import SELECTIVITY, Dataset, synthetic
from .measure import Shape, concurrent, connect, sequential
from .progress import Progress, note
from .truth import recall_at_k

SEARCH = """
select s.* from pgcortex.search_memories(
    query_embedding => $1, query_text => $2, k => $3, tags_all => $4::text[],
    weights => $5::jsonb, ef_search => $6, track => $7, as_of => $8
) as s
"""
GET = "select m.* from pgcortex.get_memory(memory_id => $1, track => $2) as m"
STORE = """
select s.* from pgcortex.store_memories(
    contents => $1, memory_types => $2, importances => $3, tags => $4::jsonb,
    embeddings => $5, embedding_model => $6, dedup_near => $7
) as s
"""
#: Ranking weights that leave cosine similarity alone in charge of the order.
NEUTRAL = json.dumps(
    {"recency_floor": 1, "importance_weight": 0, "confidence_floor": 1, "access_weight": 0,
     "tag_boost": 0, "text_weight": 0}
)  # fmt: skip
EXACT_EXEC = (("enable_indexscan", "off"),)
#: Twice the default candidates per list (40 for k = 10): the caller's deeper
#: setting, slower under a filter; what depth changes in ranking is in docs/performance.md.
DEEPER_CANDIDATES = json.dumps({"candidates_per_k": 4, "min_candidates": 40})


def parse_ids(rows: Any) -> list[int]:
    return [db.row_of(r["id"]) for r in rows]


def exists(dsn: str, regproc: str) -> bool:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("select pg_catalog.to_regproc(%s) is not null", (regproc,)).fetchone()
        return bool(row and row[0])


def arg_names(dsn: str, regproc: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "select p.proargnames from pg_catalog.pg_proc as p "
            "where p.oid = pg_catalog.to_regproc(%s)",
            (regproc,),
        ).fetchone()
        return list(row[0] or []) if row else []


def search_args(
    data: Dataset,
    nq: int,
    k: int,
    *,
    vector: bool,
    text: bool,
    tag: str | None,
    weights: str | None,
    ef: int | None,
    track: bool,
    as_of: dt.datetime,
) -> list[tuple[Any, ...]]:
    return [
        (
            data.query_vectors[i] if vector else None,
            data.query_texts[i] if text else None,
            k,
            [tag] if tag else None,
            weights,
            ef,
            track,
            as_of,
        )
        for i in range(nq)
    ]


def entry(
    name: str,
    lat: dict[str, float],
    found: list[list[int]],
    counts: list[int],
    truth: Sequence[Sequence[int]],
    k: int,
    truth_kind: str,
    note_text: str = "",
) -> dict[str, Any]:
    return {
        "name": name,
        "latency": lat,
        "recall": recall_at_k(found, truth, k),
        "truth": truth_kind,
        "short": sum(1 for c, t in zip(counts, truth, strict=True) if c < min(k, len(t))),
        "note": note_text,
    }


async def section(
    cfg: Config,
    dsn: str,
    adsn: str,
    data: Dataset,
    truth: dict[str, list[list[int]]],
    res: dict[str, Any],
) -> None:
    if not exists(dsn, "pgcortex.search_memories"):
        res["skipped"].append("SQL API: pgcortex.search_memories is not deployed")
        return
    k, nq = cfg.k, cfg.queries
    as_of = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    kw: dict[str, Any] = {"ef": None, "track": False, "as_of": as_of}

    # Vector only, neutral weights: against numpy, unfiltered and at each selectivity.
    for tag in (None, *SELECTIVITY):
        args = search_args(data, nq, k, vector=True, text=False, tag=tag, weights=NEUTRAL, **kw)
        label = "api vector" + (f", tag {tag} ({SELECTIVITY[tag]:.1%})" if tag else "")
        lat, found, counts = await sequential(adsn, Shape(label, SEARCH, args, parse_ids))
        res["searches"].append(entry(label, lat, found, counts, truth[tag or "all"], k, "numpy"))

    # ef_search sweep of the API's vector search (plot).
    for ef in cfg.ef_sweep:
        args = search_args(
            data, nq, k, vector=True, text=False, tag=None, weights=NEUTRAL,
            ef=ef, track=False, as_of=as_of,
        )  # fmt: skip
        lat, found, _ = await sequential(
            adsn, Shape(f"api vector ef={ef}", SEARCH, args, parse_ids)
        )
        res["ef_sweep"].append(
            {
                "shape": "search_memories vector",
                "ef_search": ef,
                "recall": recall_at_k(found, truth["all"], k),
                "p50_ms": lat["p50_ms"],
                "p99_ms": lat["p99_ms"],
            }
        )

    # Text only and hybrid (default weights): against the exact execution.
    shapes: list[tuple[str, bool, bool, str | None]] = [("api text", False, True, None)]
    shapes.append(("api hybrid", True, True, None))
    shapes += [(f"api hybrid, tag {t} ({SELECTIVITY[t]:.1%})", True, True, t) for t in SELECTIVITY]
    for label, vector, text, tag in shapes:
        args = search_args(data, nq, k, vector=vector, text=text, tag=tag, weights=None, **kw)
        _, exact, _ = await sequential(
            adsn, Shape(label + " exact", SEARCH, args, parse_ids, EXACT_EXEC), warmup=2
        )
        lat, found, counts = await sequential(adsn, Shape(label, SEARCH, args, parse_ids))
        res["searches"].append(entry(label, lat, found, counts, exact, k, "exact execution"))

    # The target shape: hybrid, filters (a mix of selectivities), access tracked.
    mix: list[tuple[Any, ...]] = []
    tags = [None, *SELECTIVITY]
    for i in range(nq):
        tag = tags[i % len(tags)]
        mix += search_args(data, i + 1, k, vector=True, text=True, tag=tag, weights=None,
                           ef=None, track=True, as_of=as_of)[i:]  # fmt: skip
    mix_off = [(*a[:6], False, a[7]) for a in mix]
    lat_off, _, _ = await sequential(
        adsn, Shape("hybrid mix untracked", SEARCH, mix_off, parse_ids)
    )
    lat_on, _, _ = await sequential(adsn, Shape("hybrid mix tracked", SEARCH, mix, parse_ids))
    for label, lat in (("untracked", lat_off), ("tracked", lat_on)):
        res["searches"].append(
            {
                "name": f"api hybrid, filter mix (none/50/10/1/0.1 %), {label}",
                "latency": lat,
                "note": "the target shape" if label == "tracked" else "",
            }
        )
    res["tracking_overhead_p50"] = lat_on["p50_ms"] / lat_off["p50_ms"] - 1
    # The same with 40 candidates instead of the default 20 (the caller's deeper
    # setting; what depth changes in ranking is in docs/performance.md).
    mix_deep = [(*a[:4], DEEPER_CANDIDATES, *a[5:]) for a in mix]
    lat_deep, _, _ = await sequential(
        adsn, Shape("hybrid mix 40 candidates", SEARCH, mix_deep, parse_ids)
    )
    res["searches"].append(
        {
            "name": "api hybrid, filter mix, tracked, 40 candidates (weights)",
            "latency": lat_deep,
            "note": DEEPER_CANDIDATES,
        }
    )
    shape = Shape("hybrid mix tracked", SEARCH, mix, parse_ids)
    for clients in cfg.clients:
        t = await concurrent(adsn, shape, clients=clients, seconds=cfg.seconds)
        t["shape"] = "api hybrid, filter mix, tracked"
        res["throughput"].append(t)
    shape_v = Shape("vector untracked", SEARCH, search_args(
        data, nq, k, vector=True, text=False, tag=None, weights=None, **kw), parse_ids)  # fmt: skip
    t = await concurrent(adsn, shape_v, clients=8, seconds=cfg.seconds)
    t["shape"] = "api vector, untracked"
    res["throughput"].append(t)

    await guarded("get_memory", gets(cfg, adsn, data, res), res)
    await guarded("context bundle", context_bundle(cfg, dsn, adsn, data, res, as_of), res)
    await guarded("store_memories", stores(cfg, adsn, data, res), res)


async def guarded(step: str, work: Awaitable[None], res: dict[str, Any]) -> None:
    """Run one step; a failure is recorded in the results (the run then exits non-zero)."""
    try:
        await work
    except Exception as exc:
        res["errors"].append(f"{step}: {type(exc).__name__}: {exc}")
        note(f"FAILED {step}: {exc}")


async def gets(cfg: Config, adsn: str, data: Dataset, res: dict[str, Any]) -> None:
    rng = np.random.default_rng(7)
    picks = rng.integers(0, data.n, size=min(2000, data.n * 2) if not cfg.smoke else 100)
    for track in (False, True):
        args = [(db.row_id(int(i)), track) for i in picks]
        lat, found, _ = await sequential(
            adsn, Shape(f"get_memory track={track}", GET, args, parse_ids)
        )
        assert found == [[int(i)] for i in picks], "get_memory returned another memory"
        res["writes"][f"get_memory p50 ms (track={str(track).lower()})"] = lat["p50_ms"]
        res["writes"][f"get_memory p99 ms (track={str(track).lower()})"] = lat["p99_ms"]


async def context_bundle(
    cfg: Config, dsn: str, adsn: str, data: Dataset, res: dict[str, Any], as_of: dt.datetime
) -> None:
    fn = "pgcortex.get_contextual_knowledge"
    if not exists(dsn, fn):
        res["skipped"].append(f"context bundle: {fn} is not deployed")
        return
    names = arg_names(dsn, fn)
    params = [n for n in ("query_text", "query", "query_embedding") if n in names]
    if not set(params) & {"query_text", "query"}:
        res["skipped"].append(f"context bundle: {fn} has no query text argument ({names})")
        return
    call = ", ".join(f"{n} => ${i + 1}" for i, n in enumerate(params))
    sql = f"select {fn}({call})"
    args = [
        tuple(
            data.query_vectors[i] if p == "query_embedding" else data.query_texts[i] for p in params
        )
        for i in range(cfg.queries)
    ]
    lat, _, _ = await sequential(adsn, Shape("context bundle", sql, args, lambda rows: []))
    res["searches"].append(
        {"name": f"context bundle ({', '.join(params)})", "latency": lat, "note": "tracked"}
    )


async def stores(cfg: Config, adsn: str, data: Dataset, res: dict[str, Any]) -> None:
    """Batches of 100 new memories into the indexed table: one client with and
    without the near-duplicate check (the exact-dedup key is always checked),
    then two clients at once with it (the machine has two cores)."""
    fresh = synthetic(cfg.store_n * 3, n_queries=1, seed=4242)
    batch = 100
    conns = [await connect(adsn), await connect(adsn)]
    try:
        stmts = [await c.prepare(STORE) for c in conns]
        variants = (
            ("with near-dup check", True, 1),
            ("without near-dup check", False, 1),
            ("with near-dup check, 2 clients", True, 2),
        )
        for part, (key, dedup, clients) in enumerate(variants):
            lo0 = part * cfg.store_n
            actions: dict[str, int] = {}
            share = cfg.store_n // clients
            with Progress(f"store {key}", cfg.store_n) as bar:

                async def worker(
                    w: int,
                    lo0: int = lo0,
                    share: int = share,
                    dedup: bool = dedup,
                    bar: Progress = bar,
                    actions: dict[str, int] = actions,
                ) -> None:
                    start = lo0 + w * share
                    for lo in range(start, start + share, batch):
                        hi = min(lo + batch, start + share)
                        rows = await stmts[w].fetch(
                            [f"stored {c}" for c in fresh.contents[lo:hi]],
                            fresh.memory_types[lo:hi],
                            [int(x) for x in fresh.importances[lo:hi]],
                            json.dumps(fresh.tags[lo:hi]),
                            [Vector(v) for v in fresh.vectors[lo:hi]],
                            data.model,
                            dedup,
                        )
                        for r in rows:
                            actions[r["action"]] = actions.get(r["action"], 0) + 1
                        bar.advance(hi - lo)

                t0 = time.perf_counter()
                await asyncio.gather(*(worker(w) for w in range(clients)))
                elapsed = time.perf_counter() - t0
            stored = share * clients
            res["writes"][f"store_memories rows/s, batch {batch}, {key}"] = stored / elapsed
            res["writes"][f"store_memories actions, {key}"] = json.dumps(actions, sort_keys=True)
            note(f"store {key}: {stored / elapsed:,.0f} rows/s {actions}")
    finally:
        for c in conns:
            await c.close()
