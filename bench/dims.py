"""``make bench-dims``: long embeddings, vector and halfvec storage side by side.

For each storage of the model's index (``vector``: 4-byte floats; ``halfvec``:
2-byte floats) a fresh database is loaded with the clustered synthetic memories at
BENCH_DIMS dimensions (default 1,536), and the same run measures a bare pgvector
table of the same vectors with the same storage and HNSW parameters, as the
reference:

* HNSW build time and index size (pgcortex: the model's partial index over the
  cast column; bare: an index on a typed column);
* store rate: pgcortex ``store_memories`` in batches of 100 with the
  near-duplicate check and every trigger, the bare table by batched inserts of
  100 rows a transaction;
* search p50 / p99 and recall@10 against numpy's exact answer: pgcortex
  ``search_memories`` vector-only with neutral weights (its order is then pure
  cosine), unfiltered and with a tag filter held by 10 % and 1 % of the rows;
  bare ``order by embedding <=> q limit 10`` at pgvector's defaults (ef_search 40),
  filtered by a boolean column with ``hnsw.iterative_scan = relaxed_order``.

Environment: BENCH_N (rows, default 100000), BENCH_DIMS (1536), BENCH_STORAGES
(vector,halfvec), BENCH_QUERIES (200), BENCH_STORE_N (1000), BENCH_SMOKE=1 (2,000
rows, 20 queries), BENCH_NAME, BENCH_RESULTS_DIR. Writes
bench/results/<name>.json and .md.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
from pgvector import Vector

from . import db
from .api import NEUTRAL, SEARCH, STORE
from .api import parse_ids as api_ids
from .data import Dataset, synthetic
from .measure import Shape, connect, sequential
from .progress import Progress, note
from .run import machine_info
from .truth import exact_topk, recall_at_k

FILTERS = {"sel10": 0.1, "sel1": 0.01}
K = 10


def bare_ids(rows: Any) -> list[int]:
    return [int(r["id"]) for r in rows]


def bare_sql(storage: str, dims: int, where: str = "") -> str:
    cast = f"(($1::public.vector)::public.{storage}({dims}))"
    return (
        f"select b.id from public.bare as b {where} "
        f"order by b.embedding operator(public.<=>) {cast} limit $2"
    )


def index_size(dsn: str, index: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("select pg_catalog.pg_relation_size(%s::regclass)", (index,)).fetchone()
    return int(row[0]) if row else 0


async def load_bare(dsn: str, data: Dataset, storage: str, dims: int) -> dict[str, Any]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("drop table if exists public.bare")
        conn.execute(
            "create table public.bare (id bigint primary key, sel10 boolean not null,"
            f" sel1 boolean not null, embedding public.{storage}({dims}) not null)"
        )
    conn_a = await connect(db.asyncpg_dsn(dsn))
    try:
        t0 = time.perf_counter()
        with Progress("bare load", data.n) as bar:
            for lo in range(0, data.n, 2000):
                hi = min(lo + 2000, data.n)
                await conn_a.execute(
                    "insert into public.bare (id, sel10, sel1, embedding) select x.i, x.a, x.b,"
                    f" x.v::public.{storage}({dims}) from rows from ("
                    "pg_catalog.unnest($1::bigint[]),"
                    " pg_catalog.unnest($2::boolean[]), pg_catalog.unnest($3::boolean[]),"
                    " pg_catalog.unnest($4::public.vector[])) as x (i, a, b, v)",
                    list(range(lo, hi)),
                    [bool(x) for x in data.tag_masks["sel10"][lo:hi]],
                    [bool(x) for x in data.tag_masks["sel1"][lo:hi]],
                    [Vector(v) for v in data.vectors[lo:hi]],
                )
                bar.advance(hi - lo)
        load_s = time.perf_counter() - t0
    finally:
        await conn_a.close()
    with psycopg.connect(dsn, autocommit=True) as conn:
        per_row = 3 * 1024 + max(0, dims - 384) * 4
        conn.execute(f"set maintenance_work_mem = '{max(data.n * per_row // 1024**2, 64)}MB'")
        t0 = time.perf_counter()
        with Progress("bare build", 1, unit="index") as bar:
            conn.execute(
                "create index bare_embedding_idx on public.bare using hnsw "
                f"(embedding public.{storage}_cosine_ops) with (m = 16, ef_construction = 128)"
            )
            bar.advance()
        build_s = time.perf_counter() - t0
        conn.execute("vacuum (analyze) public.bare")
    return {
        "load_seconds": load_s,
        "hnsw_build_seconds": build_s,
        "hnsw_bytes": index_size(dsn, "public.bare_embedding_idx"),
    }


async def store_rates(
    adsn: str, data: Dataset, fresh: Dataset, storage: str, dims: int, n: int
) -> dict[str, float]:
    batch = 100
    conn = await connect(adsn)
    try:
        stmt = await conn.prepare(STORE)
        t0 = time.perf_counter()
        with Progress("store pgcortex", n) as bar:
            for lo in range(0, n, batch):
                hi = min(lo + batch, n)
                await stmt.fetch(
                    [f"stored {c}" for c in fresh.contents[lo:hi]],
                    fresh.memory_types[lo:hi],
                    [int(x) for x in fresh.importances[lo:hi]],
                    json.dumps(fresh.tags[lo:hi]),
                    [Vector(v) for v in fresh.vectors[lo:hi]],
                    data.model,
                    True,
                )
                bar.advance(hi - lo)
        pgcortex_rate = n / (time.perf_counter() - t0)
        bare = await conn.prepare(
            "insert into public.bare (id, sel10, sel1, embedding) select x.i, false, false,"
            f" x.v::public.{storage}({dims}) from rows from (pg_catalog.unnest($1::bigint[]),"
            " pg_catalog.unnest($2::public.vector[])) as x (i, v)"
        )
        t0 = time.perf_counter()
        with Progress("store bare", n) as bar:
            for lo in range(0, n, batch):
                hi = min(lo + batch, n)
                async with conn.transaction():
                    await bare.fetch(
                        [10_000_000 + i for i in range(lo, hi)],
                        [Vector(v) for v in fresh.vectors[lo:hi]],
                    )
                bar.advance(hi - lo)
        bare_rate = n / (time.perf_counter() - t0)
    finally:
        await conn.close()
    return {"pgcortex_rows_per_s": pgcortex_rate, "bare_rows_per_s": bare_rate}


async def searches(
    adsn: str, data: Dataset, truth: dict[str, list[list[int]]], storage: str, dims: int, nq: int
) -> list[dict[str, Any]]:
    as_of = dt.datetime.now(dt.UTC)
    out: list[dict[str, Any]] = []
    for label, tag in (("none", None), *((f"{t} ({s:.0%})", t) for t, s in FILTERS.items())):
        args = [
            (data.query_vectors[i], None, K, [tag] if tag else None, NEUTRAL, None, False, as_of)
            for i in range(nq)
        ]
        lat, found, _ = await sequential(adsn, Shape(f"pgcortex {label}", SEARCH, args, api_ids))
        where = f"where b.{tag}" if tag else ""
        settings = (("hnsw.iterative_scan", "relaxed_order"),) if tag else ()
        bare_args = [(data.query_vectors[i], K) for i in range(nq)]
        blat, bfound, _ = await sequential(
            adsn,
            Shape(f"bare {label}", bare_sql(storage, dims, where), bare_args, bare_ids, settings),
        )
        t = truth[tag or "all"][:nq]
        out.append(
            {
                "filter": label,
                "pgcortex": {**lat, "recall": recall_at_k(found, t, K)},
                "bare": {**blat, "recall": recall_at_k(bfound, t, K)},
            }
        )
        note(
            f"{storage} {label}: pgcortex p50 {lat['p50_ms']:.2f} ms recall"
            f" {out[-1]['pgcortex']['recall']:.3f}; bare p50 {blat['p50_ms']:.2f} ms recall"
            f" {out[-1]['bare']['recall']:.3f}"
        )
    return out


async def one_storage(
    name: str,
    storage: str,
    base: Dataset,
    fresh: Dataset,
    truth: dict[str, list[list[int]]],
    nq: int,
    store_n: int,
) -> dict[str, Any]:
    dims = int(base.vectors.shape[1])
    data = base
    data.model = f"bench-synthetic-{dims}-{storage}"
    out: dict[str, Any] = {"storage": storage, "model": data.model}
    with db.fresh_database(f"{name}_{storage}") as dsn:
        adsn = db.asyncpg_dsn(dsn)
        out["machine"] = machine_info(dsn)
        out["load"] = await db.bulk_load(dsn, data, storage=storage)
        model = db.model_sql(dsn, data.model)
        out["index"] = {
            "name": model["index_name"],
            "build_seconds": out["load"]["index_build_seconds"].get(model["index_name"]),
            "bytes": index_size(dsn, f"pgcortex.{model['index_name']}"),
        }
        out["sizes"] = db.sizes(dsn)
        out["bare"] = await load_bare(dsn, data, storage, dims)
        out["searches"] = await searches(adsn, data, truth, storage, dims, nq)
        out["stores"] = await store_rates(adsn, data, fresh, storage, dims, store_n)
    return out


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def markdown(res: dict[str, Any]) -> str:
    cfg = res["config"]
    lines = [
        f"# {cfg['dims']}-d embeddings: vector and halfvec, {cfg['n']:,} memories",
        "",
        f"{res['runs'][0]['machine']['summary']}. {cfg['queries']} queries, k = {K};"
        f" {cfg['store_n']:,} stores in batches of 100. Ratio = pgcortex / bare pgvector"
        " table in the same run (lower is better for times, higher for rates).",
        "",
        "| figure | storage | pgcortex | bare | ratio |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for run in res["runs"]:
        st = run["storage"]
        ib, bb = run["index"], run["bare"]
        lines.append(
            f"| HNSW build (s) | {st} | {ib['build_seconds']:.1f} | {bb['hnsw_build_seconds']:.1f}"
            f" | {ratio(ib['build_seconds'], bb['hnsw_build_seconds'])} |"
        )
        lines.append(
            f"| HNSW size (MB) | {st} | {ib['bytes'] / 1e6:.1f} | {bb['hnsw_bytes'] / 1e6:.1f}"
            f" | {ratio(ib['bytes'], bb['hnsw_bytes'])} |"
        )
        s = run["stores"]
        lines.append(
            f"| store rows/s | {st} | {s['pgcortex_rows_per_s']:.1f} | {s['bare_rows_per_s']:.1f}"
            f" | {ratio(s['pgcortex_rows_per_s'], s['bare_rows_per_s'])} |"
        )
        for q in run["searches"]:
            p, b = q["pgcortex"], q["bare"]
            for stat in ("p50_ms", "p99_ms"):
                lines.append(
                    f"| search {stat[:3]} (ms), filter {q['filter']} | {st} | {p[stat]:.2f}"
                    f" | {b[stat]:.2f} | {ratio(p[stat], b[stat])} |"
                )
            lines.append(
                f"| recall@10, filter {q['filter']} | {st} | {p['recall']:.3f}"
                f" | {b['recall']:.3f} | |"
            )
        heap = run["sizes"]["pgcortex.memories"]
        lines.append(
            f"| memories heap + TOAST (MB) | {st} | {heap['heap_bytes'] / 1e6:.1f} +"
            f" {heap['toast_bytes'] / 1e6:.1f} | | |"
        )
    lines.append("")
    return "\n".join(lines)


async def main_async() -> dict[str, Any]:
    smoke = os.environ.get("BENCH_SMOKE", "") not in ("", "0")
    n = int(os.environ.get("BENCH_N") or (2_000 if smoke else 100_000))
    dims = int(os.environ.get("BENCH_DIMS") or 1536)
    nq = int(os.environ.get("BENCH_QUERIES") or (20 if smoke else 200))
    store_n = int(os.environ.get("BENCH_STORE_N") or (200 if smoke else 1_000))
    storages = (os.environ.get("BENCH_STORAGES") or "vector,halfvec").split(",")
    name = os.environ.get("BENCH_NAME") or f"dims{dims}_n{n}"
    note(f"bench {name}: {n:,} rows of {dims} dimensions, storages {storages}")
    started = time.perf_counter()
    data = synthetic(n, n_queries=nq, dim=dims)
    fresh = synthetic(store_n, n_queries=1, dim=dims, seed=4242)
    truth = {"all": exact_topk(data.vectors, data.query_vectors, K, label="truth all")}
    for tag in FILTERS:
        truth[tag] = exact_topk(
            data.vectors, data.query_vectors, K, mask=data.tag_masks[tag], label=f"truth {tag}"
        )
    runs = [await one_storage(name, st, data, fresh, truth, nq, store_n) for st in storages]
    return {
        "config": {"name": name, "n": n, "dims": dims, "queries": nq, "store_n": store_n},
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "elapsed_seconds": time.perf_counter() - started,
        "runs": runs,
    }


def main() -> None:
    res = asyncio.run(main_async())
    out_dir = Path(os.environ.get("BENCH_RESULTS_DIR") or Path(__file__).parent / "results")
    out_dir.mkdir(parents=True, exist_ok=True)
    base = out_dir / res["config"]["name"]
    base.with_suffix(".json").write_text(json.dumps(res, indent=2, default=str) + "\n")
    text = markdown(res)
    base.with_suffix(".md").write_text(text)
    note(f"wrote {base}.json and .md")
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
