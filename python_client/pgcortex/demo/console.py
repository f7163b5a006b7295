"""Terminal output for the demo: headings, tables and timed progress steps.

No dependency beyond the standard library; colour only when writing to a terminal
(and NO_COLOR is unset).
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any


class Console:
    """Writes the demo's sections to a text stream."""

    def __init__(self, out: IO[str] | None = None, *, color: bool | None = None) -> None:
        self.out = out or sys.stdout
        if color is None:
            isatty = getattr(self.out, "isatty", None)
            color = bool(isatty and isatty()) and not os.environ.get("NO_COLOR")
        self.color = color
        self.width = min(shutil.get_terminal_size((120, 24)).columns, 140)
        self.sections = 0

    # -- styling -------------------------------------------------------------------

    def _style(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color else text

    def bold(self, text: str) -> str:
        return self._style(text, "1")

    def dim(self, text: str) -> str:
        return self._style(text, "2")

    def green(self, text: str) -> str:
        return self._style(text, "32")

    def yellow(self, text: str) -> str:
        return self._style(text, "33")

    def cyan(self, text: str) -> str:
        return self._style(text, "36")

    # -- output ----------------------------------------------------------------------

    def write(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def section(self, title: str, subtitle: str = "") -> None:
        self.sections += 1
        rule = "━" * max(10, self.width - 2)
        self.write()
        self.write(self.cyan(rule))
        self.write(self.bold(f" {self.sections:>2}. {title}"))
        if subtitle:
            for line in textwrap.wrap(subtitle, self.width - 6):
                self.write(self.dim(f"     {line}"))
        self.write(self.cyan(rule))

    def say(self, text: str) -> None:
        """A line of narration, wrapped."""
        for line in textwrap.wrap(text, self.width - 2) or [""]:
            self.write(f" {line}")

    def ok(self, text: str) -> None:
        self.write(f" {self.green('✔')} {text}")

    def call(self, sql_or_method: str) -> None:
        """Show the call being made (what a reader would type)."""
        self.write(self.dim(f"   → {sql_or_method}"))

    @contextmanager
    def step(self, text: str) -> Iterator[None]:
        """A slow step: prints what it does, then how long it took."""
        self.out.write(f" {self.yellow('…')} {text} ")
        self.out.flush()
        started = time.perf_counter()
        try:
            yield
        except BaseException:
            self.write(self.yellow("failed"))
            raise
        self.write(self.dim(f"done in {time.perf_counter() - started:.2f}s"))

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        max_widths: dict[int, int] | None = None,
        align_right: Sequence[int] = (),
    ) -> None:
        """A boxed table; cells longer than their column's max width are shortened."""
        limits = max_widths or {}
        cells = [[_cell(v) for v in row] for row in rows]
        head = [str(h) for h in headers]
        widths = [len(h) for h in head]
        for row in cells:
            for i, value in enumerate(row):
                widths[i] = max(widths[i], len(value))
        for i, limit in limits.items():
            widths[i] = min(widths[i], max(limit, len(head[i])))
        # shrink the widest column until the table fits the terminal
        while sum(widths) + 3 * len(widths) + 1 > self.width and max(widths) > 12:
            widest = widths.index(max(widths))
            widths[widest] -= 1

        def line(left: str, mid: str, right: str) -> str:
            return " " + left + mid.join("─" * (w + 2) for w in widths) + right

        def render(values: Sequence[str], bold: bool = False) -> str:
            parts = []
            for i, (value, w) in enumerate(zip(values, widths, strict=True)):
                text = value if len(value) <= w else value[: w - 1] + "…"
                text = text.rjust(w) if i in align_right else text.ljust(w)
                parts.append(f" {self.bold(text) if bold else text} ")
            return " │" + "│".join(parts) + "│"

        self.write(line("┌", "┬", "┐"))
        self.write(render(head, bold=True))
        self.write(line("├", "┼", "┤"))
        for row in cells:
            self.write(render(row))
        self.write(line("└", "┴", "┘"))


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    return " ".join(str(value).split())
