"""``make bench``: load, measure against the exact answer, write bench/results/<name>.*.

Environment: BENCH_N (rows, default 100000), BENCH_SMOKE=1 (a seconds-long run),
BENCH_NAME, BENCH_QUERIES, BENCH_SECONDS (per concurrency level), BENCH_MINILM_N
(rows of the real-embedding corpus, 0 to skip), BENCH_STORE_N, BENCH_KEEP=1 (keep
the database), BENCH_REUSE=1 (measure again in the database a kept run left, without
loading), BENCH_SQL_DIR (deploy these SQL files), BENCH_RESULTS_DIR, PGCORTEX_DSN
(another server; default the embedded one).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import platform
import sys
import time
from typing import Any

import psycopg

from . import api, db, minilm, report
from .config import Config
from .data import SELECTIVITY, Dataset, synthetic
from .measure import Shape, sequential
from .progress import note
from .truth import exact_topk, memory_bandwidth, recall_at_k

# The index alone: the model's expression and predicate, as its index has them
# (pgcortex_internal.embedding_model_sql), filled in by raw_sql().
RAW_VECTOR = """
select m.id from pgcortex.memories as m
where m.namespace = $1 and m.embedding_model = {name_literal}
order by (m.embedding::{vector_type}) {operator_sql} ($2::{vector_type}) limit $3
"""
RAW_FILTERED = """
select m.id from pgcortex.memories as m
where m.namespace = $1 and m.embedding_model = {name_literal} and m.tags @> $2::text[]
order by (m.embedding::{vector_type}) {operator_sql} ($3::{vector_type}) limit $4
"""


def raw_sql(template: str, model: dict[str, Any]) -> str:
    return template.format(**model)


EXACT = (("enable_indexscan", "off"), ("enable_bitmapscan", "off"))
ONE_BACKEND = (("max_parallel_workers_per_gather", "0"),)


def parse_ids(rows: Any) -> list[int]:
    return [db.row_of(r[0]) for r in rows]


def machine_info(dsn: str) -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    with psycopg.connect(dsn) as conn:
        pg = conn.execute("show server_version").fetchone()
        vec = conn.execute(
            "select extversion from pg_catalog.pg_extension where extname = 'vector'"
        ).fetchone()
        settings: dict[str, str] = dict(
            conn.execute(
                "select name, setting || coalesce(unit, '') from pg_catalog.pg_settings "
                "where name = any(%s)",
                (
                    [
                        "shared_buffers", "work_mem", "maintenance_work_mem",
                        "max_parallel_workers_per_gather", "max_parallel_maintenance_workers",
                        "effective_cache_size", "jit", "hnsw.ef_search", "hnsw.iterative_scan",
                    ],
                ),
            ).fetchall()
        )  # fmt: skip
    cores = os.cpu_count()
    load = os.getloadavg()
    summary = (
        f"{cores} cores ({cpu}), {mem_gb:.0f} GiB RAM, PostgreSQL {pg[0] if pg else '?'}, "
        f"pgvector {vec[0] if vec else '?'}, load average {load[0]:.1f} / {load[1]:.1f} "
        "(1 / 5 min) at the start"
    )
    return {
        "summary": summary,
        "cpu": cpu,
        "cores": cores,
        "ram_gib": mem_gb,
        "postgres": pg[0] if pg else None,
        "pgvector": vec[0] if vec else None,
        "python": sys.version.split()[0],
        "settings": settings,
        "load_average_at_start": load,
    }


def search_entry(
    name: str,
    lat: dict[str, float],
    found: list[list[int]],
    counts: list[int],
    truth: list[list[int]] | None,
    k: int,
    note_text: str = "",
) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "latency": lat, "note": note_text}
    if truth is not None:
        entry["recall"] = recall_at_k(found, truth, k)
        entry["short"] = sum(1 for c, t in zip(counts, truth, strict=True) if c < min(k, len(t)))
    return entry


async def raw_section(
    cfg: Config,
    adsn: str,
    data: Dataset,
    truth: dict[str, list[list[int]]],
    res: dict[str, Any],
    model: dict[str, Any],
) -> None:
    """The index alone (direct SQL on the table): ef_search sweep, filters, exact scan."""
    k = cfg.k
    ns = db.NAMESPACE
    raw_vector, raw_filtered = raw_sql(RAW_VECTOR, model), raw_sql(RAW_FILTERED, model)
    vec_args = [(ns, data.query_vectors[i], k) for i in range(cfg.queries)]
    for ef in cfg.ef_sweep:
        shape = Shape(
            f"table vector ef={ef}", raw_vector, vec_args, parse_ids, (("hnsw.ef_search", str(ef)),)
        )
        lat, found, _ = await sequential(adsn, shape)
        res["ef_sweep"].append(
            {
                "shape": "table vector (HNSW)",
                "ef_search": ef,
                "recall": recall_at_k(found, truth["all"], k),
                "p50_ms": lat["p50_ms"],
                "p99_ms": lat["p99_ms"],
            }
        )

    # Exact scan: the same query with no index, one backend, a few queries.
    nq = min(cfg.queries, 10 if cfg.smoke else 20)
    shape = Shape("table exact scan", raw_vector, vec_args[:nq], parse_ids, EXACT + ONE_BACKEND)
    lat, found, counts = await sequential(adsn, shape, warmup=2)
    res["searches"].append(
        search_entry(
            "table exact scan (1 backend)",
            lat,
            found,
            counts,
            truth["all"][:nq],
            k,
            "checks the harness: must be 1.000",
        )
    )
    shape = Shape("table exact scan par", raw_vector, vec_args[:nq], parse_ids, EXACT)
    lat2, found, counts = await sequential(adsn, shape, warmup=2)
    res["searches"].append(
        search_entry("table exact scan (parallel)", lat2, found, counts, truth["all"][:nq], k)
    )
    sizes = res["sizes"]["pgcortex.memories"]
    scanned = sizes["heap_bytes"] + sizes["toast_bytes"]
    bw = res["memory_bandwidth"]
    scan_gbs = scanned / (lat["p50_ms"] / 1000) / 1e9
    res["exact_scan"] = {
        "p50_ms": lat["p50_ms"],
        "parallel_p50_ms": lat2["p50_ms"],
        "bytes_scanned": scanned,
        "vector_bytes": data.n * 384 * 4,
        "scan_gb_s": scan_gbs,
        "vector_gb_s": data.n * 384 * 4 / (lat["p50_ms"] / 1000) / 1e9,
        "numpy_read_gb_s": bw["read_gb_s"],
        "ratio": scan_gbs / bw["read_gb_s"],
    }

    # Filters on the table: planner's choice, with and without iterative scan.
    for tag in SELECTIVITY:
        args = [(ns, [tag], data.query_vectors[i], k) for i in range(cfg.queries)]
        for mode in ("off", "relaxed_order", "strict_order"):
            shape = Shape(
                f"table {tag} {mode}", raw_filtered, args, parse_ids,
                (("hnsw.iterative_scan", mode),),
            )  # fmt: skip
            lat, found, counts = await sequential(adsn, shape)
            res["searches"].append(
                search_entry(
                    f"table vector, tag {tag} ({SELECTIVITY[tag]:.1%}), iterative_scan={mode}",
                    lat,
                    found,
                    counts,
                    truth[tag],
                    k,
                )
            )


def stat_statements(dsn: str, limit: int = 15) -> list[dict[str, Any]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            """
            select s.calls, s.mean_exec_time, s.stddev_exec_time,
                   s.rows / greatest(s.calls, 1),
                   s.shared_blks_hit / greatest(s.calls, 1),
                   s.shared_blks_read / greatest(s.calls, 1),
                   left(regexp_replace(s.query, '\\s+', ' ', 'g'), 200)
            from public.pg_stat_statements as s
            where s.dbid = (
                select d.oid from pg_catalog.pg_database as d where d.datname = current_database()
            )
              and s.calls >= 10
            order by s.total_exec_time desc limit %s
            """,
            (limit,),
        ).fetchall()
    keys = ["calls", "mean_ms", "stddev_ms", "rows_per_call", "blks_hit_per_call",
            "blks_read_per_call", "query"]  # fmt: skip
    return [dict(zip(keys, r, strict=True)) for r in rows]


async def main_async(cfg: Config) -> dict[str, Any]:
    started = time.perf_counter()
    res: dict[str, Any] = {
        "config": {
            "name": cfg.name, "n": cfg.n, "queries": cfg.queries, "k": cfg.k,
            "seconds_per_level": cfg.seconds, "smoke": cfg.smoke, "minilm_n": cfg.minilm_n,
        },
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "searches": [], "ef_sweep": [], "throughput": [], "writes": {}, "skipped": [],
        "errors": [],
    }  # fmt: skip
    note(f"bench {cfg.name}: {cfg.n:,} rows, {cfg.queries} queries")
    data = synthetic(cfg.n, n_queries=cfg.queries)
    truth = {"all": exact_topk(data.vectors, data.query_vectors, cfg.k, label="truth all")}
    for tag, mask in data.tag_masks.items():
        truth[tag] = exact_topk(
            data.vectors, data.query_vectors, cfg.k, mask=mask, label=f"truth {tag}"
        )
    res["memory_bandwidth"] = memory_bandwidth(128 if cfg.smoke else 512)
    database = (
        db.existing_database(cfg.name, cfg.n)
        if cfg.reuse
        else db.fresh_database(cfg.name, keep=cfg.keep, sql_dir=cfg.sql_dir)
    )
    with database as dsn:
        adsn = db.asyncpg_dsn(dsn)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("create extension if not exists pg_stat_statements with schema public")
        res["machine"] = machine_info(dsn)
        if not cfg.reuse:
            res["load"] = await db.bulk_load(dsn, data)
        res["sizes"] = db.sizes(dsn)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("select public.pg_stat_statements_reset()")
        await raw_section(cfg, adsn, data, truth, res, db.model_sql(dsn, data.model))
        await api.section(cfg, dsn, adsn, data, truth, res)
        res["sizes"] = db.sizes(dsn)
        res["pg_stat_statements"] = stat_statements(dsn)
    await minilm.section(cfg, res)
    res["elapsed_seconds"] = time.perf_counter() - started
    return res


def main() -> None:
    cfg = Config.from_env()
    res = asyncio.run(main_async(cfg))
    base = report.write(res)
    note(f"wrote {base}.json, {base.name}.md, {base.name}.png")
    sys.stdout.write(report.markdown(res))
    if res["errors"]:
        sys.exit("bench: some steps failed: " + "; ".join(res["errors"]))


if __name__ == "__main__":
    main()
