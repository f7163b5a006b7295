"""ef_search sweep of pgcortex's vector search on long embeddings (BENCH_DIMS, 1,536 by
default; BENCH_N rows, 100,000 by default): recall@10 and p50 of search_memories
(neutral weights) unfiltered and under the 10 % filter, at several ef_search values.
Measures what default width the search needs at that dimension. Prints a table and
writes bench/results/dims<D>_sweep_n<N>.json."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from . import db
from .api import NEUTRAL, SEARCH
from .api import parse_ids as api_ids
from .data import synthetic
from .measure import Shape, sequential
from .progress import note
from .truth import exact_topk, recall_at_k

EFS = (40, 64, 100, 128, 200, 300)


async def main_async() -> dict[str, Any]:
    n = int(os.environ.get("BENCH_N") or 100_000)
    dims = int(os.environ.get("BENCH_DIMS") or 1536)
    nq = int(os.environ.get("BENCH_QUERIES") or 100)
    storage = os.environ.get("BENCH_STORAGES") or "vector"
    data = synthetic(n, n_queries=nq, dim=dims)
    data.model = f"bench-synthetic-{dims}-{storage}"
    truth = {
        None: exact_topk(data.vectors, data.query_vectors, 10),
        "sel10": exact_topk(data.vectors, data.query_vectors, 10, mask=data.tag_masks["sel10"]),
    }
    out: dict[str, Any] = {"n": n, "dims": dims, "storage": storage, "rows": []}
    with db.fresh_database(f"sweep{dims}_{storage}") as dsn:
        await db.bulk_load(dsn, data, storage=storage)
        adsn = db.asyncpg_dsn(dsn)
        as_of = dt.datetime.now(dt.UTC)
        for tag in (None, "sel10"):
            for ef in (None, *EFS):
                args = [
                    (data.query_vectors[i], None, 10, [tag] if tag else None, NEUTRAL, ef, False,
                     as_of)
                    for i in range(nq)
                ]  # fmt: skip
                lat, found, _ = await sequential(
                    adsn, Shape(f"ef {ef} {tag}", SEARCH, args, api_ids)
                )
                row = {
                    "filter": tag or "none",
                    "ef_search": ef or "default",
                    "recall": recall_at_k(found, truth[tag][:nq], 10),
                    "p50_ms": lat["p50_ms"],
                    "p99_ms": lat["p99_ms"],
                }
                out["rows"].append(row)
                note(json.dumps(row))
    return out


def main() -> None:
    res = asyncio.run(main_async())
    path = Path(__file__).parent / "results" / f"dims{res['dims']}_sweep_n{res['n']}.json"
    path.write_text(json.dumps(res, indent=2) + "\n")
    for r in res["rows"]:
        print(r)


if __name__ == "__main__":
    main()
