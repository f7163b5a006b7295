"""A one-line progress indicator on stderr (no dependency)."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Self


class Progress:
    """``with Progress("loading", total) as p: p.advance(n)`` prints rate and ETA on stderr."""

    def __init__(self, label: str, total: int, *, unit: str = "rows") -> None:
        self.label = label
        self.total = max(total, 1)
        self.unit = unit
        self.done = 0
        self.started = time.perf_counter()
        self._last_draw = 0.0
        self._tty = sys.stderr.isatty()

    def __enter__(self) -> Self:
        self._draw(force=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._draw(force=True, final=True)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def advance(self, n: int = 1) -> None:
        self.done += n
        self._draw()

    def _draw(self, *, force: bool = False, final: bool = False) -> None:
        now = time.perf_counter()
        # Redraw at most 4 times a second on a terminal, every 10 s in a log file.
        interval = 0.25 if self._tty else 10.0
        if not force and now - self._last_draw < interval:
            return
        self._last_draw = now
        elapsed = now - self.started
        frac = min(self.done / self.total, 1.0)
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 and not final else 0.0
        width = 24
        bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
        line = (
            f"{self.label:<28} [{bar}] {self.done}/{self.total} {self.unit} "
            f"{rate:,.0f}/s {elapsed:6.1f}s" + (f" eta {eta:5.0f}s" if not final else " done")
        )
        end = "\n" if final or not self._tty else ""
        sys.stderr.write(("\r" if self._tty else "") + line + end)
        sys.stderr.flush()


def note(message: str) -> None:
    """A one-off status line on stderr."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
