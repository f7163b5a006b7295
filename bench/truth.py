"""Exact answers with numpy: top-k by cosine over the (filtered) rows, and recall@k."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .progress import Progress

F32 = npt.NDArray[np.float32]


def exact_topk(
    vectors: F32,
    queries: F32,
    k: int,
    *,
    mask: npt.NDArray[np.bool_] | None = None,
    label: str = "exact top-k",
) -> list[list[int]]:
    """Row numbers of the ``k`` most similar rows (cosine, unit vectors) for each query.

    With ``mask``, only rows where it is true count (the same filtered set the
    database searches). Fewer than ``k`` rows in the set gives fewer answers.
    """
    rows = np.arange(len(vectors)) if mask is None else np.flatnonzero(mask)
    base = vectors[rows]
    kk = min(k, len(rows))
    out: list[list[int]] = []
    batch = max(1, int(2e8 // max(len(rows), 1) // 4))  # keep the score block near 200 MB
    with Progress(label, len(queries), unit="queries") as bar:
        for lo in range(0, len(queries), batch):
            scores = base @ queries[lo : lo + batch].T  # (rows, b)
            for j in range(scores.shape[1]):
                col = scores[:, j]
                part = np.argpartition(-col, kk - 1)[:kk] if kk < len(col) else np.arange(len(col))
                order = part[np.argsort(-col[part], kind="stable")]
                out.append([int(rows[i]) for i in order])
            bar.advance(scores.shape[1])
    return out


def recall_at_k(found: Sequence[Sequence[int]], truth: Sequence[Sequence[int]], k: int) -> float:
    """Mean over queries of |found ∩ truth| / min(k, |truth|); 1.0 when truth is empty."""
    total = 0.0
    for f, t in zip(found, truth, strict=True):
        want = set(t[:k])
        if not want:
            total += 1.0
            continue
        total += len(want.intersection(f[:k])) / len(want)
    return total / max(len(truth), 1)


def memory_bandwidth(size_mb: int = 512, repeats: int = 5) -> dict[str, float]:
    """Read bandwidth of this machine in GB/s (numpy sum over a large array, best of n).

    One thread, like one PostgreSQL backend scanning a table.
    """
    a = np.ones(size_mb * 1024 * 1024 // 8, dtype=np.float64)
    a.sum()  # touch every page once
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        a.sum()
        best = min(best, time.perf_counter() - t0)
    read_gbs = a.nbytes / best / 1e9
    b = np.empty_like(a)
    best_copy = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.copyto(b, a)
        best_copy = min(best_copy, time.perf_counter() - t0)
    return {"read_gb_s": read_gbs, "copy_gb_s": 2 * a.nbytes / best_copy / 1e9}
