"""Readable tables for the terminal."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def _cell(value: Any, width: int | None) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\n", " ")
    if width is not None and len(text) > width:
        text = text[: max(width - 1, 1)] + "…"
    return text


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    max_width: int | None = 60,
) -> str:
    """A plain-text table with a header rule; long cells are cut at ``max_width``."""
    cells = [[_cell(v, max_width) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, v in enumerate(row):
            widths[i] = max(widths[i], len(v))
    line = "  ".join(h.ljust(widths[i]) for i, h in enumerate(headers))
    rule = "  ".join("-" * w for w in widths)
    body = ["  ".join(v.ljust(widths[i]) for i, v in enumerate(row)).rstrip() for row in cells]
    if not body:
        body = ["(none)"]
    return "\n".join([line.rstrip(), rule, *body])


def kv(pairs: Iterable[tuple[str, Any]]) -> str:
    """Aligned ``key: value`` lines."""
    items = list(pairs)
    width = max((len(k) for k, _ in items), default=0)
    return "\n".join(f"{k.ljust(width)} : {v}" for k, v in items)
