"""``make bench-peer``: pgcortex against a bare pgvector table, in one run, on one server.

The shape of a memory layer's workload: clustered 384-d memories (``bench/data.py``),
10 users (a ``user<u>`` tag on each memory, filtered with ``tags_all``, as a
pgcortex application filters one user's memories), k = 10, the same queries for
every shape. The reference is a bare table in the same database::

    create table public.peer_bare (id bigint primary key, user_id integer not null,
                                   embedding vector(384) not null)

with an HNSW index at pgcortex's own m / ef_construction (read from the deployed
index), queried with the plain ``order by embedding <=> q limit k`` at pgvector's
defaults, and for one user ``where user_id = u`` with ``hnsw.iterative_scan =
relaxed_order``. Every pgcortex figure is reported in ms and as a ratio to the
bare figure of the same run.

Memory texts start with the user's name and a common verb (``Maria mentioned
...``), and the hybrid queries ask about them in those words (``what did maria
mention about <topic words>``): the name matches every memory of the user, the
verb a fifth of all memories, ``note`` all of them, as a real question's words do.

Environment: BENCH_N (one size; default both 10000 and 100000), BENCH_QUERIES
(500; smoke 10), BENCH_SECONDS (8; smoke 0.3), BENCH_STORE_N (2000; smoke 100),
BENCH_EXACT_QUERIES (queries of the hybrid recall check, 100), BENCH_NEAR_DUPLICATES
(near copies stored to measure the near-duplicate merge, 400), BENCH_SMOKE=1
(1,000 memories, seconds), BENCH_KEEP=1, BENCH_SQL_DIR,
BENCH_RESULTS_DIR, PGCORTEX_DSN. Results: ``bench/results/peer_n<N>.{json,md}``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import os
import re
import sys
import time
from typing import Any

import numpy as np
import psycopg
from pgvector import Vector

from . import db, report
from .api import NEUTRAL, SEARCH, STORE, parse_ids
from .data import SELECTIVITY, SYNTHETIC_MODEL, Dataset, synthetic
from .measure import Shape, concurrent, connect, sequential
from .progress import Progress, note
from .run import machine_info, stat_statements
from .truth import exact_topk, recall_at_k

USERS = ("maria", "tom", "aisha", "kenji", "lena", "omar", "priya", "lucas", "sofia", "david")
#: Common verbs, each on about a fifth of the memories.
VERBS = (
    ("mentioned", "mention"),
    ("said", "say"),
    ("asked", "ask"),
    ("told", "tell"),
    ("wanted", "want"),
)
#: Shares of the rows under each filter measured for recall (user = 10 %).
FILTERS: dict[str, float] = {"user": 0.1, **SELECTIVITY}

BARE_VECTOR = "select b.id from public.peer_bare as b order by b.embedding <=> $1 limit $2"
BARE_USER = (
    "select b.id from public.peer_bare as b where b.user_id = $1 "
    "order by b.embedding <=> $2 limit $3"
)
BARE_INSERT = "insert into public.peer_bare (id, user_id, embedding) values ($1, $2, $3)"
#: The search as a pgcortex client calls it: with the embedding model, tracked.
PEER_SEARCH = SEARCH.replace("as_of => $8", "as_of => $8, embedding_model => $9")
EXACT_EXEC = (("enable_indexscan", "off"),)
#: Per-statement timing inside the functions (a superuser setting of the session).
TRACK_ALL = (("pg_stat_statements.track", "all"),)


@dataclasses.dataclass(frozen=True, slots=True)
class PeerConfig:
    n: int
    queries: int
    seconds: float
    store_n: int
    smoke: bool
    keep: bool
    sql_dir: str | None
    exact_queries: int
    near_duplicates: int = 400
    k: int = 10
    label: str | None = None

    @property
    def name(self) -> str:
        """Result and database name: peer_n<N>, peer_smoke, or the label given."""
        return self.label or ("peer_smoke" if self.smoke else f"peer_n{self.n}")

    @classmethod
    def from_env(cls, n: int | None = None, *, smoke: bool | None = None) -> PeerConfig:
        if smoke is None:
            smoke = os.environ.get("BENCH_SMOKE", "") not in ("", "0")

        def env_int(key: str, default: int) -> int:
            v = os.environ.get(key)
            return int(v) if v else default

        queries = env_int("BENCH_QUERIES", 10 if smoke else 500)
        return cls(
            n=n if n is not None else env_int("BENCH_N", 1_000 if smoke else 10_000),
            queries=queries,
            seconds=float(os.environ.get("BENCH_SECONDS") or (0.3 if smoke else 8.0)),
            store_n=env_int("BENCH_STORE_N", 100 if smoke else 2_000),
            smoke=smoke,
            keep=os.environ.get("BENCH_KEEP", "") not in ("", "0"),
            sql_dir=os.environ.get("BENCH_SQL_DIR") or None,
            exact_queries=min(queries, env_int("BENCH_EXACT_QUERIES", 10 if smoke else 100)),
            near_duplicates=env_int("BENCH_NEAR_DUPLICATES", 20 if smoke else 400),
        )


def peer_dataset(
    n: int, n_queries: int, *, seed: int = 20260601
) -> tuple[Dataset, np.ndarray, np.ndarray]:
    """The synthetic data set with a user per memory (name in the text, ``user<u>`` tag)
    and questions in common words. Returns the data set, each row's user and each
    query's user."""
    base = synthetic(n, n_queries=n_queries, seed=seed)
    rng = np.random.default_rng(seed + 7)
    users = rng.integers(0, len(USERS), size=n)
    verbs = rng.integers(0, len(VERBS), size=n)
    contents = [
        f"{USERS[users[i]].capitalize()} {VERBS[verbs[i]][0]} {base.contents[i]}" for i in range(n)
    ]
    tags = [[*base.tags[i], f"user{users[i]}"] for i in range(n)]
    masks = dict(base.tag_masks)
    masks["user"] = users == 0  # recall for user 0; each query asks for its own user
    q_users = rng.integers(0, len(USERS), size=n_queries)
    q_verbs = rng.integers(0, len(VERBS), size=n_queries)
    texts = [
        f"what did {USERS[q_users[i]]} {VERBS[q_verbs[i]][1]} about "
        f"{base.query_texts[i]} in the note"
        for i in range(n_queries)
    ]
    data = dataclasses.replace(base, contents=contents, tags=tags, query_texts=texts)
    data.tag_masks = masks
    return data, users, q_users


def hnsw_params(dsn: str, model: str = SYNTHETIC_MODEL) -> tuple[int, int]:
    """(m, ef_construction) of the HNSW index of the model on memories.embedding."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "select pg_catalog.pg_get_indexdef(("
            "'pgcortex.' || (pgcortex_internal.embedding_model_sql(%s)).index_name)::regclass)",
            (model,),
        ).fetchone()
    definition = row[0] if row else ""
    m = re.search(r"\bm='?(\d+)", definition)
    ef = re.search(r"ef_construction='?(\d+)", definition)
    if not (m and ef):
        raise RuntimeError(f"cannot read m / ef_construction from {definition!r}")
    return int(m.group(1)), int(ef.group(1))


async def load_bare(
    dsn: str, data: Dataset, users: np.ndarray, m: int, ef_c: int
) -> dict[str, float]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("drop table if exists public.peer_bare")
        conn.execute(
            "create table public.peer_bare (id bigint primary key, user_id integer not null, "
            "embedding public.vector(384) not null)"
        )
    conn_a = await connect(db.asyncpg_dsn(dsn))
    try:
        t0 = time.perf_counter()
        with Progress("bare load (COPY)", data.n) as bar:
            for lo in range(0, data.n, 5000):
                hi = min(lo + 5000, data.n)
                await conn_a.copy_records_to_table(
                    "peer_bare",
                    schema_name="public",
                    columns=["id", "user_id", "embedding"],
                    records=[(i, int(users[i]), data.vectors[i]) for i in range(lo, hi)],
                )
                bar.advance(hi - lo)
        copy_s = time.perf_counter() - t0
    finally:
        await conn_a.close()
    with psycopg.connect(dsn, autocommit=True) as conn:
        wanted = min(data.n * 3 * 1024, 8 * 1024**3) // 1024**2
        conn.execute(f"set maintenance_work_mem = '{max(wanted, 64)}MB'")
        t0 = time.perf_counter()
        conn.execute(
            "create index peer_bare_embedding_idx on public.peer_bare using hnsw "
            f"(embedding public.vector_cosine_ops) with (m = {m}, ef_construction = {ef_c})"
        )
        build_s = time.perf_counter() - t0
        conn.execute("vacuum (analyze) public.peer_bare")
    return {"copy_seconds": copy_s, "hnsw_build_seconds": build_s}


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


async def measure(
    cfg: PeerConfig,
    dsn: str,
    data: Dataset,
    q_users: np.ndarray,
    truth: dict[str, list[list[int]]],
    res: dict[str, Any],
) -> None:
    adsn = db.asyncpg_dsn(dsn)
    k, nq = cfg.k, cfg.queries
    qv = data.query_vectors
    as_of = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    model = data.model
    series: dict[str, dict[str, Any]] = {}

    def bare_parse(rows: Any) -> list[int]:
        return [int(r[0]) for r in rows]

    def api_args(
        *,
        vector: bool,
        text: bool,
        tag: str | None,
        weights: str | None,
        track: bool,
        users: bool = False,
        n: int = nq,
    ) -> list[tuple[Any, ...]]:
        out = []
        for i in range(n):
            tags = [f"user{q_users[i]}"] if users else ([tag] if tag else None)
            out.append(
                (
                    qv[i] if vector else None,
                    data.query_texts[i] if text else None,
                    k,
                    tags,
                    weights,
                    None,
                    track,
                    as_of,
                    model if vector else None,
                )
            )
        return out

    async def seq(key: str, shape: Shape) -> tuple[list[list[int]], list[int]]:
        lat, found, counts = await sequential(adsn, shape)
        series[key] = {"latency": lat}
        return found, counts

    # -- the reference: bare table, plain query, pgvector defaults --------------------
    found, _ = await seq(
        "bare vector",
        Shape("bare vector", BARE_VECTOR, [(qv[i], k) for i in range(nq)], bare_parse),
    )
    series["bare vector"]["recall"] = recall_at_k(found, truth["all"], k)
    user_truth = [truth[f"user{u}"][i] for i, u in enumerate(q_users)]
    found, _ = await seq(
        "bare vector, user filter",
        Shape(
            "bare user",
            BARE_USER,
            [(int(q_users[i]), qv[i], k) for i in range(nq)],
            bare_parse,
            (("hnsw.iterative_scan", "relaxed_order"),),
        ),
    )
    series["bare vector, user filter"]["recall"] = recall_at_k(found, user_truth, k)

    # -- recall of pgcortex's vector search at every filter (neutral weights, untracked)
    for f in ("all", *FILTERS):
        users = f == "user"
        args = api_args(
            vector=True,
            text=False,
            tag=None if f in ("all", "user") else f,
            weights=NEUTRAL,
            track=False,
            users=users,
        )
        found, counts = await seq(
            f"pgcortex vector recall, {f}", Shape(f"pc vector {f}", PEER_SEARCH, args, parse_ids)
        )
        t = user_truth if users else truth[f]
        series[f"pgcortex vector recall, {f}"]["recall"] = recall_at_k(found, t, k)
        series[f"pgcortex vector recall, {f}"]["short"] = sum(
            1 for c, tt in zip(counts, t, strict=True) if c < min(k, len(tt))
        )

    # -- the speed figures (tracked, default weights), per-statement timing ---------------
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("select public.pg_stat_statements_reset()")
    await seq(
        "pgcortex vector, tracked",
        Shape(
            "pc vector tracked",
            PEER_SEARCH,
            api_args(vector=True, text=False, tag=None, weights=None, track=True),
            parse_ids,
            TRACK_ALL,
        ),
    )
    res["statements_vector_tracked"] = stat_statements(dsn, 12)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("select public.pg_stat_statements_reset()")
    await seq(
        "pgcortex hybrid, user filter, tracked",
        Shape(
            "pc hybrid user tracked",
            PEER_SEARCH,
            api_args(vector=True, text=True, tag=None, weights=None, track=True, users=True),
            parse_ids,
            TRACK_ALL,
        ),
    )
    res["statements_hybrid_user_tracked"] = stat_statements(dsn, 12)
    await seq(
        "pgcortex hybrid, no filter, tracked",
        Shape(
            "pc hybrid tracked",
            PEER_SEARCH,
            api_args(vector=True, text=True, tag=None, weights=None, track=True),
            parse_ids,
        ),
    )
    await seq(
        "pgcortex vector, user filter, tracked",
        Shape(
            "pc vector user tracked",
            PEER_SEARCH,
            api_args(vector=True, text=False, tag=None, weights=None, track=True, users=True),
            parse_ids,
        ),
    )

    # -- hybrid recall against the same call executed exactly (a subset of queries) ----
    ne = cfg.exact_queries
    for label, users in (("no filter", False), ("user filter", True)):
        args = api_args(
            vector=True, text=True, tag=None, weights=None, track=False, users=users, n=ne
        )
        _, exact, _ = await sequential(
            adsn,
            Shape(f"hybrid {label} exact", PEER_SEARCH, args, parse_ids, EXACT_EXEC),
            warmup=1,
        )
        lat, found, _ = await sequential(
            adsn, Shape(f"hybrid {label}", PEER_SEARCH, args, parse_ids), warmup=1
        )
        series[f"pgcortex hybrid recall, {label}"] = {
            "latency": lat,
            "recall": recall_at_k(found, exact, k),
            "truth": "exact execution",
        }

    # -- throughput at 8 clients ----------------------------------------------------------
    tp: dict[str, dict[str, Any]] = {}
    tp["bare vector"] = await concurrent(
        adsn,
        Shape("bare vector", BARE_VECTOR, [(qv[i], k) for i in range(nq)], bare_parse),
        clients=8,
        seconds=cfg.seconds,
    )
    tp["pgcortex hybrid, user filter, tracked"] = await concurrent(
        adsn,
        Shape(
            "pc hybrid user",
            PEER_SEARCH,
            api_args(vector=True, text=True, tag=None, weights=None, track=True, users=True),
            parse_ids,
        ),
        clients=8,
        seconds=cfg.seconds,
    )
    tp["pgcortex vector, tracked"] = await concurrent(
        adsn,
        Shape(
            "pc vector",
            PEER_SEARCH,
            api_args(vector=True, text=False, tag=None, weights=None, track=True),
            parse_ids,
        ),
        clients=8,
        seconds=cfg.seconds,
    )

    # -- stores: single client, batches of 100 --------------------------------------------
    fresh, fresh_users, _ = peer_dataset(cfg.store_n * 2, 1, seed=4242)
    batch = 100
    writes: dict[str, Any] = {}
    conn = await connect(adsn)
    try:
        # Bare and pgcortex batches alternate, so that both meet the same moments of
        # the shared machine (a WAL flush at each commit, other work): run one after
        # the other, the bare insert rate alone varied 488-620 rows/s between runs.
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("select public.pg_stat_statements_reset()")
        await conn.execute("set pg_stat_statements.track = 'all'")
        stmt = await conn.prepare(STORE)
        actions: dict[str, int] = {}
        bare_s = store_s = 0.0
        with Progress("bare insert / pgcortex store", cfg.store_n * 2) as bar:
            for lo in range(0, cfg.store_n, batch):
                hi = min(lo + batch, cfg.store_n)
                t0 = time.perf_counter()
                async with conn.transaction():
                    await conn.executemany(
                        BARE_INSERT,
                        [
                            (10_000_000 + i, int(fresh_users[i]), fresh.vectors[i])
                            for i in range(lo, hi)
                        ],
                    )
                bare_s += time.perf_counter() - t0
                slo, shi = cfg.store_n + lo, cfg.store_n + hi
                t0 = time.perf_counter()
                rows = await stmt.fetch(
                    list(fresh.contents[slo:shi]),
                    fresh.memory_types[slo:shi],
                    [int(x) for x in fresh.importances[slo:shi]],
                    json.dumps(fresh.tags[slo:shi]),
                    [Vector(v) for v in fresh.vectors[slo:shi]],
                    model,
                    True,
                )
                store_s += time.perf_counter() - t0
                for r in rows:
                    actions[r["action"]] = actions.get(r["action"], 0) + 1
                bar.advance(2 * (hi - lo))
        writes["bare batched insert rows/s"] = cfg.store_n / bare_s
        writes["pgcortex store_memories rows/s (exact dedup, near-dup check, HNSW)"] = (
            cfg.store_n / store_s
        )
        writes["pgcortex store actions"] = actions
        res["statements_store"] = stat_statements(dsn, 12)
        merged, planted = await near_duplicates_merged(conn, data, model, cfg.near_duplicates)
        writes["near duplicates merged (planted copies, cosine 0.951-0.99)"] = (
            f"{merged} / {planted}"
        )
    finally:
        await conn.close()

    res["series"] = series
    res["throughput"] = tp
    res["writes"] = writes
    res["summary"] = summary(series, tp, writes)


async def near_duplicates_merged(
    conn: Any, data: Dataset, model: str, n: int, *, seed: int = 5
) -> tuple[int, int]:
    """Store n near copies of loaded memories (cosine 0.951 to 0.99 to the original, the
    same type, new words) through store_memories and count how many merge: the
    near-duplicate probe's recall at this size. Returns (merged, planted)."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(data.n, size=min(n, data.n), replace=False)
    vectors = []
    for i in picks:
        v = np.asarray(data.vectors[i], dtype=np.float64)
        target = rng.uniform(0.951, 0.99)
        noise = rng.normal(size=v.shape)
        noise -= noise.dot(v) * v
        noise /= np.linalg.norm(noise)
        vectors.append((target * v + np.sqrt(1 - target**2) * noise).astype(np.float32))
    merged = 0
    for lo in range(0, len(picks), 100):
        part = picks[lo : lo + 100]
        rows = await conn.fetch(
            STORE,
            [f"near copy {j} of memory {int(i)}" for j, i in enumerate(part, lo)],
            [data.memory_types[int(i)] for i in part],
            [3] * len(part),
            json.dumps([[] for _ in part]),
            [Vector(v) for v in vectors[lo : lo + 100]],
            model,
            True,
        )
        merged += sum(1 for r in rows if r["action"] == "merged")
    return merged, len(picks)


def summary(series: dict[str, Any], tp: dict[str, Any], writes: dict[str, Any]) -> list[Any]:
    """The headline rows: figure, pgcortex ms, reference ms, ratio."""
    bare = series["bare vector"]["latency"]
    bare_u = series["bare vector, user filter"]["latency"]
    rows: list[dict[str, Any]] = []
    for key, ref in (
        ("pgcortex vector, tracked", bare),
        ("pgcortex vector, user filter, tracked", bare_u),
        ("pgcortex hybrid, no filter, tracked", bare),
        ("pgcortex hybrid, user filter, tracked", bare_u),
    ):
        lat = series[key]["latency"]
        for p in ("p50_ms", "p99_ms"):
            rows.append(
                {
                    "figure": f"{key} {p[:3]}",
                    "pgcortex": lat[p],
                    "bare": ref[p],
                    "ratio": ratio(lat[p], ref[p]),
                    "unit": "ms",
                }
            )
    for key in ("pgcortex hybrid, user filter, tracked", "pgcortex vector, tracked"):
        rows.append(
            {
                "figure": f"searches/s at 8 clients, {key}",
                "pgcortex": tp[key]["qps"],
                "bare": tp["bare vector"]["qps"],
                "ratio": ratio(tp[key]["qps"], tp["bare vector"]["qps"]),
                "unit": "/s",
            }
        )
    store = writes["pgcortex store_memories rows/s (exact dedup, near-dup check, HNSW)"]
    bare_ins = writes["bare batched insert rows/s"]
    rows.append(
        {
            "figure": "store rows/s, one client, batches of 100",
            "pgcortex": store,
            "bare": bare_ins,
            "ratio": ratio(store, bare_ins),
            "unit": "/s",
        }
    )
    return rows


def markdown(res: dict[str, Any]) -> str:
    f = report._fmt
    cfg = res["config"]
    lines = [
        f"# Peer-shaped benchmark `{cfg['name']}`: {cfg['n']:,} memories, 10 users, "
        f"{cfg['queries']} queries, k={cfg['k']}",
        "",
        f"Machine: {res['machine']['summary']}; load average at the end "
        f"{res['load_average_at_end'][0]:.1f}. Run at {res['started_at']}, "
        f"{res['elapsed_seconds']:.0f} s. HNSW m {cfg['hnsw_m']}, ef_construction "
        f"{cfg['hnsw_ef_construction']} for both tables.",
        "",
        "Reference: the bare table `peer_bare (id, user_id, embedding vector(384))`, "
        "`order by embedding <=> q limit 10` (pgvector defaults: ef_search 40); "
        "the user filter `where user_id = u` with `hnsw.iterative_scan = relaxed_order`.",
        "",
        "## Against the bare table (ratio = pgcortex / bare)",
        "",
        "| figure | pgcortex | bare table | ratio |",
        "| --- | ---: | ---: | ---: |",
    ]
    for r in res["summary"]:
        lines.append(
            f"| {r['figure']} ({r['unit']}) | {f(r['pgcortex'])} | {f(r['bare'])} | "
            f"{f(r['ratio'])}x |"
        )
    lines += [
        "",
        "## Every series",
        "",
        "| series | recall@10 | short | p50 ms | p99 ms | p50 / bare p50 |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    bare = res["series"]["bare vector"]["latency"]["p50_ms"]
    for name, s in res["series"].items():
        lat = s["latency"]
        lines.append(
            f"| {name} | {f(s.get('recall'), 3)} | {s.get('short', '–')} | "
            f"{f(lat['p50_ms'])} | {f(lat['p99_ms'])} | "
            f"{f(ratio(lat['p50_ms'], bare))}x |"
        )
    lines += [
        "",
        "## Throughput, 8 clients",
        "",
        "| shape | searches/s | p50 ms | p99 ms |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, t in res["throughput"].items():
        lines.append(f"| {name} | {f(t['qps'], 0)} | {f(t['p50_ms'])} | {f(t['p99_ms'])} |")
    lines += ["", "## Stores", "", "| what | figure |", "| --- | --- |"]
    for key, value in res["writes"].items():
        lines.append(f"| {key} | {f(value) if not isinstance(value, dict) else value} |")
    for key, title in (
        ("statements_vector_tracked", "vector, tracked"),
        ("statements_hybrid_user_tracked", "hybrid, user filter, tracked"),
        ("statements_store", "store_memories"),
    ):
        if res.get(key):
            lines += [
                "",
                f"## Statements inside the functions: {title} (pg_stat_statements)",
                "",
                "| calls | mean ms | rows/call | blks hit/call | statement |",
                "| ---: | ---: | ---: | ---: | --- |",
            ]
            for s in res[key]:
                q = s["query"].replace("|", "\\|")[:140]
                lines.append(
                    f"| {s['calls']} | {f(s['mean_ms'], 3)} | {f(s['rows_per_call'])} | "
                    f"{f(s['blks_hit_per_call'])} | `{q}` |"
                )
    if res.get("errors"):
        lines += ["", "## Failed steps", ""] + [f"- {e}" for e in res["errors"]]
    return "\n".join(lines) + "\n"


async def run_one(cfg: PeerConfig) -> dict[str, Any]:
    started = time.perf_counter()
    res: dict[str, Any] = {
        "config": {
            "name": cfg.name,
            "n": cfg.n,
            "queries": cfg.queries,
            "k": cfg.k,
            "users": len(USERS),
            "seconds_per_level": cfg.seconds,
            "store_n": cfg.store_n,
            "smoke": cfg.smoke,
            "hybrid_recall_queries": cfg.exact_queries,
        },
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "errors": [],
    }
    note(f"bench {cfg.name}: {cfg.n:,} memories, {cfg.queries} queries")
    data, row_users, q_users = peer_dataset(cfg.n, cfg.queries)
    truth = {"all": exact_topk(data.vectors, data.query_vectors, cfg.k, label="truth all")}
    for tag in SELECTIVITY:
        truth[tag] = exact_topk(
            data.vectors, data.query_vectors, cfg.k, mask=data.tag_masks[tag], label=f"truth {tag}"
        )
    for u in range(len(USERS)):
        truth[f"user{u}"] = exact_topk(
            data.vectors, data.query_vectors, cfg.k, mask=row_users == u, label=f"truth user{u}"
        )
    with db.fresh_database(cfg.name, keep=cfg.keep, sql_dir=cfg.sql_dir) as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("create extension if not exists pg_stat_statements with schema public")
        res["machine"] = machine_info(dsn)
        res["load"] = await db.bulk_load(dsn, data)
        m, ef_c = hnsw_params(dsn)
        res["config"].update(hnsw_m=m, hnsw_ef_construction=ef_c)
        res["load"]["bare"] = await load_bare(dsn, data, row_users, m, ef_c)
        await measure(cfg, dsn, data, q_users, truth, res)
    res["load_average_at_end"] = os.getloadavg()
    res["elapsed_seconds"] = time.perf_counter() - started
    return res


def write(res: dict[str, Any]) -> str:
    out = report.results_dir()
    out.mkdir(parents=True, exist_ok=True)
    base = out / res["config"]["name"]
    base.with_suffix(".json").write_text(json.dumps(res, indent=2, default=str) + "\n")
    base.with_suffix(".md").write_text(markdown(res))
    return str(base)


def main() -> None:
    smoke = os.environ.get("BENCH_SMOKE", "") not in ("", "0")
    sizes = [None] if smoke or os.environ.get("BENCH_N") else [10_000, 100_000]
    for n in sizes:
        cfg = PeerConfig.from_env(n, smoke=smoke)
        res = asyncio.run(run_one(cfg))
        base = write(res)
        note(f"wrote {base}.json, {base}.md")
        sys.stdout.write(markdown(res))


if __name__ == "__main__":
    main()
