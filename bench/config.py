"""Run parameters, from the environment (see docs/performance.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


@dataclass(frozen=True, slots=True)
class Config:
    name: str
    smoke: bool
    n: int
    queries: int
    seconds: float
    clients: tuple[int, ...]
    ef_sweep: tuple[int, ...]
    minilm_n: int
    store_n: int
    keep: bool
    sql_dir: str | None
    reuse: bool
    k: int = 10

    @classmethod
    def from_env(cls, *, smoke: bool | None = None) -> Config:
        if smoke is None:
            smoke = os.environ.get("BENCH_SMOKE", "") not in ("", "0")
        n = _int("BENCH_N", 2_000 if smoke else 100_000)
        return cls(
            name=os.environ.get("BENCH_NAME") or ("smoke" if smoke else f"n{n}"),
            smoke=smoke,
            n=n,
            queries=_int("BENCH_QUERIES", 20 if smoke else 200),
            seconds=_float("BENCH_SECONDS", 0.3 if smoke else 8.0),
            clients=(1, 8, 32),
            ef_sweep=(10, 40, 100) if smoke else (10, 20, 40, 64, 100, 200, 400),
            minilm_n=_int("BENCH_MINILM_N", 0 if smoke else 10_000),
            store_n=_int("BENCH_STORE_N", 200 if smoke else 2_000),
            keep=os.environ.get("BENCH_KEEP", "") not in ("", "0"),
            sql_dir=os.environ.get("BENCH_SQL_DIR") or None,
            reuse=os.environ.get("BENCH_REUSE", "") not in ("", "0"),
        )
