"""When the client repeats a call by itself, and when it never does.

A call made on a pooled connection (no ``conn=`` given) is retried, with a short
exponential backoff, only when both hold:

* its SQL is marked idempotent (``idempotent("select ...")`` in :mod:`pgcortex.queries`):
  repeating it leaves the database as one call would (reads, dedup-keyed stores,
  deletes by id, erase), and
* it failed in a way that says nothing was done or that the connection broke:
  a serialization failure or deadlock (40001, 40P01: the server rolled the
  statement back), or a lost connection (outcome unknown, which is why only
  idempotent calls may repeat it).

Everything else is raised at once. A call that is not marked idempotent (append
a turn, count an access, bump a frequency) is never repeated blindly: on a
:class:`~pgcortex.errors.ConcurrencyError` nothing was written and the caller may
decide to call again; on a :class:`~pgcortex.errors.ConnectionLostError` the
outcome is unknown. A call given ``conn=`` is never retried either: the error
aborted the caller's transaction, which only the caller can repeat.
"""

from __future__ import annotations

import random

from .errors import ConcurrencyError, ConnectionLostError, PgcortexError

#: How many times a failed idempotent call is repeated (so at most 1 + this many tries).
DEFAULT_RETRY_ATTEMPTS = 4
#: First backoff in seconds; doubled on every retry, with jitter, capped.
BASE_BACKOFF = 0.02
MAX_BACKOFF = 1.0


class IdempotentSQL(str):
    """SQL text of a call that is safe to repeat (see the module docstring)."""

    __slots__ = ()


def idempotent(sql: str) -> IdempotentSQL:
    """Mark a statement as safe to repeat after a rollback or a lost connection."""
    return IdempotentSQL(sql)


def is_idempotent(sql: str) -> bool:
    return isinstance(sql, IdempotentSQL)


def should_retry(sql: str, exc: PgcortexError, attempt: int, max_attempts: int) -> bool:
    """True when a pooled call of ``sql`` that raised ``exc`` may be tried again."""
    if attempt >= max_attempts or not is_idempotent(sql):
        return False
    return isinstance(exc, ConcurrencyError | ConnectionLostError)


def backoff(attempt: int) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based): exponential, jittered."""
    delay: float = min(MAX_BACKOFF, BASE_BACKOFF * (2**attempt))
    return delay * (0.5 + random.random() / 2)
