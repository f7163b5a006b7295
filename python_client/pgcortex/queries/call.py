"""A call of one SQL function, described once: its name, its parameters, its result.

The client never writes SQL text by hand: :meth:`Call.bind` renders the statement
for the arguments actually given, always by name (``content => $1``). An optional
argument that is ``None`` is left out of the call, so the function's own default
applies: defaults live in SQL only. Required arguments (those without a default
in SQL) are always sent, ``None`` included, for SQL to judge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from ..retry import IdempotentSQL

#: How a call's result is read: every row, the first row, or the first column of it.
Returns = Literal["rows", "row", "value"]


@dataclass(frozen=True, slots=True)
class Call:
    """One function of schema ``pgcortex`` as the client calls it.

    ``required`` are the parameters without a default (always sent), ``optional``
    those with one (sent only when not ``None``). ``idempotent`` marks a call that
    is safe to repeat after a rollback or a lost connection (see
    :mod:`pgcortex.retry`).
    """

    function: str
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    returns: Returns = "rows"
    idempotent: bool = False

    @property
    def parameters(self) -> tuple[str, ...]:
        return self.required + self.optional

    def bind(self, arguments: Mapping[str, Any]) -> tuple[str, list[Any]]:
        """The statement and its values for ``arguments`` (``None`` optionals left out)."""
        unknown = set(arguments) - set(self.parameters)
        if unknown:
            raise TypeError(f"pgcortex.{self.function}() has no parameter {sorted(unknown)}")
        names = self.required + tuple(n for n in self.optional if arguments.get(n) is not None)
        return _render(self, names), [arguments.get(n) for n in names]

    def sql(self, *names: str) -> str:
        """The statement passing ``names`` (all required ones are added first)."""
        return _render(self, self.required + tuple(n for n in self.optional if n in names))


@lru_cache(maxsize=1024)
def _render(call: Call, names: tuple[str, ...]) -> str:
    args = ", ".join(f"{name} => ${n}" for n, name in enumerate(names, start=1))
    fn = f"pgcortex.{call.function}({args})"
    text = f"select {fn}" if call.returns == "value" else f"select * from {fn}"
    return IdempotentSQL(text) if call.idempotent else text


__all__ = ["Call", "Returns"]
