"""Measurements through the SQL API (search_memories, get_memory, store_memories, ...)."""

from __future__ import annotations

from typing import Any

from .config import Config
from .data import Dataset


async def section(
    cfg: Config,
    dsn: str,
    adsn: str,
    data: Dataset,
    truth: dict[str, list[list[int]]],
    res: dict[str, Any],
) -> None:
    res["skipped"].append("SQL API: pgcortex.search_memories not deployed yet")
