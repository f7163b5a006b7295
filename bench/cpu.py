"""CPU time per search of two kept peer databases, measured in alternating rounds.

On a shared machine the wall-clock figures of one code move by up to 2x within an
hour (the bare query's p50 from 0.42 to 1.16 ms), more than most changes to measure.
This tool compares what a search costs the server: the CPU time of each database
backend (``/proc/<pid>/schedstat``, nanoseconds on the CPU), over rounds of searches
run inside the server (a ``do`` block, no client round trips), the databases and
the bare table alternating round by round, and reports each one's median per
search and its median ratio to the first database in the same rounds. It must run
on the server's machine (the embedded server is).

Usage: keep two peer databases (``BENCH_KEEP=1 python -m bench.peer``, the second
after ``alter database ... rename``; ``BENCH_SQL_DIR`` deploys an older release's
SQL), then::

    python -m bench.cpu DB_BEFORE DB_AFTER

Options: ``--shape`` vector | hybrid | user (hybrid with the user filter, 10 %) | sel50
| sel10 | sel1 | sel01 (hybrid with that share of the memories as a tag filter), repeatable;
``--rounds`` (16), ``--per-round`` (40 searches), ``--n`` (the databases' size, for
the queries of ``bench.peer``). Searches are untracked: a ``do`` block is one
transaction, which would commit the tracking once for the whole round.

``--tracking`` measures what counting the accesses costs instead: each search of the
shape is its own transaction (one statement from the client, autocommit), tracked
and untracked alternating round by round in every database, and each database's
line gives the median CPU time of both and the median of the per-round difference,
commit included (the access-log insert, its share of the periodic fold, the commit).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import psycopg

from .data import SELECTIVITY
from .db import NAMESPACE, server_dsn, with_dbname
from .peer import BARE_VECTOR, peer_dataset

SHAPES = {
    "vector": "query_embedding => q.v, k => 10, track => false, embedding_model => {model}",
    "hybrid": (
        "query_embedding => q.v, query_text => q.t, k => 10, track => false,"
        " embedding_model => {model}"
    ),
    "user": (
        "query_embedding => q.v, query_text => q.t, tags_all => array[q.u], k => 10,"
        " track => false, embedding_model => {model}"
    ),
    **{
        tag: (
            "query_embedding => q.v, query_text => q.t, tags_all => array['" + tag + "'],"
            " k => 10, track => false, embedding_model => {model}"
        )
        for tag in SELECTIVITY
    },
}
#: The bare query of the peer run (``bench.peer.BARE_VECTOR``), each query's vector in q.v.
BARE = (
    "do $$ declare q record; begin for q in select * from pg_temp.cpu_queries"
    " where i >= {lo} and i < {hi} loop perform count(*) from ("
    + BARE_VECTOR.replace("$1", "q.v").replace("$2", "10")
    + ") as x; end loop; end $$"
)
SEARCH = (
    "do $$ declare q record; begin for q in select * from pg_temp.cpu_queries"
    " where i >= {lo} and i < {hi} loop perform count(*) from pgcortex.search_memories({args});"
    " end loop; end $$"
)


#: One tracked or untracked search as its own statement (``--tracking``).
ONE = (
    "select count(*) from pg_temp.cpu_queries as q, pgcortex.search_memories({args}) as s"
    " where q.i = %s"
)


def cpu_ns(pid: int) -> int:
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.cpu", description=__doc__.split("\n")[0])
    ap.add_argument("--dsn", help="the server (default: PGCORTEX_DSN, else the embedded one)")
    ap.add_argument("--shape", action="append", choices=sorted(SHAPES))
    ap.add_argument("--rounds", type=int, default=16)
    ap.add_argument("--per-round", type=int, default=40)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument(
        "--tracking", action="store_true", help="tracked against untracked, one search a statement"
    )
    ap.add_argument("databases", nargs="+")
    a = ap.parse_args(argv)
    data, _, q_users = peer_dataset(a.n, 500)
    conns: dict[str, tuple[psycopg.Connection, int]] = {}
    for db in a.databases:
        c = psycopg.connect(with_dbname(a.dsn or server_dsn(), db), autocommit=True)
        c.execute("select set_config('pgcortex.namespace', %s, false)", (NAMESPACE,))
        c.execute("create temp table cpu_queries (i integer, v public.vector, t text, u text)")
        with c.cursor() as cur:
            cur.executemany(
                "insert into pg_temp.cpu_queries values (%s, %s::public.vector, %s, %s)",
                [
                    (i, "[" + ",".join(f"{x:.7f}" for x in data.query_vectors[i]) + "]",
                     data.query_texts[i], f"user{q_users[i]}")
                    for i in range(500)
                ],
            )  # fmt: skip
        row = c.execute("select pg_backend_pid()").fetchone()
        assert row is not None
        conns[db] = (c, int(row[0]))
    model = "'" + data.model.replace("'", "''") + "'"
    out = sys.stdout
    out.write(
        f"{a.n} memories, {a.rounds} rounds of {a.per_round} searches (the first discarded)\n"
    )
    if a.tracking:
        for shape in a.shape or ["vector"]:
            tracking(conns, SHAPES[shape].format(model=model), shape, a.rounds, a.per_round)
        for c, _ in conns.values():
            c.close()
        return
    for shape in a.shape or ["vector", "hybrid"]:
        args = SHAPES[shape].format(model=model)
        runs = [(db, SEARCH, args) for db in a.databases] + [(a.databases[0], BARE, "")]
        ms: dict[str, list[float]] = {
            f"{db} {shape}" if s is SEARCH else "bare": [] for db, s, _ in runs
        }
        for r in range(a.rounds):
            lo = (r * a.per_round) % (500 - a.per_round)
            for db, sql, arg in runs if r % 2 == 0 else runs[::-1]:
                c, pid = conns[db]
                t0 = cpu_ns(pid)
                c.execute(sql.format(lo=lo, hi=lo + a.per_round, args=arg).encode())
                if r > 0:
                    key = f"{db} {shape}" if sql is SEARCH else "bare"
                    ms[key].append((cpu_ns(pid) - t0) / a.per_round / 1e6)
        first = ms[f"{a.databases[0]} {shape}"]
        for key, v in ms.items():
            ratio = statistics.median(x / y for x, y in zip(v, first, strict=True))
            out.write(
                f"  {key:40} CPU ms/search median {statistics.median(v):.3f}"
                f" (min {min(v):.3f}), ratio to {a.databases[0]} {ratio:.3f}\n"
            )
    for c, _ in conns.values():
        c.close()


def tracking(
    conns: dict[str, tuple[psycopg.Connection, int]],
    args: str,
    shape: str,
    rounds: int,
    per_round: int,
) -> None:
    """CPU time of tracked and untracked searches, each its own transaction."""
    sql = {
        mode: ONE.format(args=args.replace("track => false", f"track => {mode}"))
        for mode in ("true", "false")
    }
    ms: dict[str, dict[str, list[float]]] = {db: {"true": [], "false": []} for db in conns}
    for r in range(rounds):
        lo = (r * per_round) % (500 - per_round)
        for db in conns if r % 2 == 0 else list(conns)[::-1]:
            c, pid = conns[db]
            for mode in ("true", "false") if r % 2 == 0 else ("false", "true"):
                t0 = cpu_ns(pid)
                for i in range(lo, lo + per_round):
                    c.execute(sql[mode].encode(), (i,))
                if r > 0:
                    ms[db][mode].append((cpu_ns(pid) - t0) / per_round / 1e6)
    for db, v in ms.items():
        diff = statistics.median(t - u for t, u in zip(v["true"], v["false"], strict=True))
        sys.stdout.write(
            f"  {db} {shape:10} CPU ms/search tracked {statistics.median(v['true']):.3f},"
            f" untracked {statistics.median(v['false']):.3f}, tracking costs {diff:.3f}\n"
        )


if __name__ == "__main__":
    main()
