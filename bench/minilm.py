"""(b) Real embeddings: a generated English corpus embedded with all-MiniLM-L6-v2.

Loaded into a database of its own (so its HNSW graph holds only these rows),
searched through the table and through the SQL API, against numpy's exact answer
(vector) and the exact execution (hybrid). Embeddings are cached on disk
(``~/.cache/pgcortex-bench``) since embedding 10,000 texts on a CPU takes minutes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from . import api, db
from .config import Config
from .data import MEMORY_TYPES, Dataset, minilm_corpus
from .measure import Shape, sequential
from .progress import Progress, note
from .truth import exact_topk, recall_at_k

CACHE = Path.home() / ".cache" / "pgcortex-bench"


def embed_cached(embedder: Any, texts: list[str], label: str) -> np.ndarray:
    key = hashlib.sha256(("\n".join(texts) + embedder.model_name).encode()).hexdigest()[:16]
    path = CACHE / f"{label}-{len(texts)}-{key}.npy"
    if path.is_file():
        cached: np.ndarray = np.load(path)
        return cached
    out = np.empty((len(texts), 384), dtype=np.float32)
    step = 256
    with Progress(f"embed {label}", len(texts), unit="texts") as bar:
        for lo in range(0, len(texts), step):
            out[lo : lo + step] = np.asarray(embedder.embed(texts[lo : lo + step]))
            bar.advance(min(step, len(texts) - lo))
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, out)
    return out


async def section(cfg: Config, res: dict[str, Any]) -> None:
    if cfg.minilm_n <= 0:
        res["skipped"].append("MiniLM corpus: BENCH_MINILM_N=0")
        return
    from pgcortex.embedding import default_embedder

    embedder = default_embedder()
    if embedder is None:
        res["skipped"].append("MiniLM corpus: the embedder is not installed (make install-embed)")
        return
    nq = min(cfg.queries, 200)
    texts, queries = minilm_corpus(cfg.minilm_n, n_queries=nq)
    vectors = embed_cached(embedder, texts, "corpus")
    qvectors = embed_cached(embedder, queries, "queries")
    n = len(texts)
    data = Dataset(
        name="minilm",
        model=embedder.model_name,
        vectors=vectors,
        contents=texts,
        memory_types=[MEMORY_TYPES[i % len(MEMORY_TYPES)] for i in range(n)],
        importances=np.full(n, 3, dtype=np.int16),
        tags=[[] for _ in range(n)],
        query_vectors=qvectors,
        query_texts=queries,
    )
    truth = exact_topk(vectors, qvectors, cfg.k, label="truth minilm")
    out: dict[str, Any] = {"rows": n, "queries": nq, "model": embedder.model_name}
    with db.fresh_database(cfg.name + "_minilm", keep=cfg.keep, sql_dir=cfg.sql_dir) as dsn:
        adsn = db.asyncpg_dsn(dsn)
        out["load"] = await db.bulk_load(dsn, data)
        args = [(db.NAMESPACE, qvectors[i], cfg.k) for i in range(nq)]
        from .run import RAW_VECTOR, parse_ids, raw_sql

        # The table query names the model's index expression (its partial HNSW index).
        raw_vector = raw_sql(RAW_VECTOR, db.model_sql(dsn, data.model))
        for ef in cfg.ef_sweep:
            shape = Shape(f"minilm table ef={ef}", raw_vector, args, parse_ids,
                          (("hnsw.ef_search", str(ef)),))  # fmt: skip
            lat, found, _ = await sequential(adsn, shape)
            res["ef_sweep"].append(
                {
                    "shape": f"MiniLM {n:,} table vector (HNSW)",
                    "ef_search": ef,
                    "recall": recall_at_k(found, truth, cfg.k),
                    "p50_ms": lat["p50_ms"],
                    "p99_ms": lat["p99_ms"],
                }
            )
        if api.exists(dsn, "pgcortex.search_memories"):
            as_of = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
            kw: dict[str, Any] = {"ef": None, "track": False, "as_of": as_of, "tag": None}
            vargs = api.search_args(data, nq, cfg.k, vector=True, text=False,
                                    weights=api.NEUTRAL, **kw)  # fmt: skip
            lat, found, counts = await sequential(
                adsn, Shape("minilm api vector", api.SEARCH, vargs, api.parse_ids)
            )
            res["searches"].append(
                api.entry(f"MiniLM {n:,}: api vector", lat, found, counts, truth, cfg.k, "numpy")
            )
            hargs = api.search_args(data, nq, cfg.k, vector=True, text=True, weights=None, **kw)
            _, exact, _ = await sequential(
                adsn,
                Shape("minilm hybrid exact", api.SEARCH, hargs, api.parse_ids, api.EXACT_EXEC),
                warmup=2,
            )
            lat, found, counts = await sequential(
                adsn, Shape("minilm api hybrid", api.SEARCH, hargs, api.parse_ids)
            )
            res["searches"].append(
                api.entry(
                    f"MiniLM {n:,}: api hybrid",
                    lat,
                    found,
                    counts,
                    exact,
                    cfg.k,
                    "exact execution",
                )
            )
    res["minilm"] = out
    note(f"MiniLM corpus: {n:,} rows measured")
