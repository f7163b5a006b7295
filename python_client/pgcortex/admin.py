"""Namespace-wide operations: export (JSON lines, streamed), erase (one call), audit log."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import IO, Any

import asyncpg

from . import queries as q
from . import retry
from .base import ClientBase
from .errors import ConcurrencyError, wrap_errors
from .records import AuditEntry, EraseResult

#: Rows fetched per round trip while streaming an export.
EXPORT_PREFETCH = 500
#: Read through a cursor, not :meth:`ClientBase._call`: one JSON value per row.
_EXPORT_SQL = q.EXPORT_NAMESPACE.sql()


def export_line(value: Mapping[str, Any]) -> str:
    """One export value as a JSON line (UTF-8 text, no trailing newline)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


class AdminMixin(ClientBase):
    """Export and erase the client's namespace."""

    async def export_namespace(
        self, *, conn: asyncpg.Connection | None = None, prefetch: int = EXPORT_PREFETCH
    ) -> AsyncIterator[dict[str, Any]]:
        """Stream the namespace as JSON values: a header, one per row, an end marker.

        Rows arrive through a server-side cursor ``prefetch`` at a time, so memory
        stays flat whatever the namespace's size. Without ``conn`` the export runs in
        its own repeatable read transaction (one consistent snapshot); with ``conn``
        it joins the caller's transaction, or opens one if there is none.

        The export first clusters the memories queued for clustering, inside its
        snapshot; when another session changes the same clusters at that moment the
        server rolls the export back (serialization failure, 40001) before it has
        returned anything. Without ``conn`` the export then starts again in a fresh
        snapshot, up to ``retry_attempts`` times (:mod:`pgcortex.retry`); a failure
        after the first value, or on the caller's ``conn``, is raised.
        """
        if conn is not None:
            async for value in self._export_on(conn, prefetch):
                yield value
            return
        attempt = 0
        while True:
            started = False
            with wrap_errors():
                pooled = await self.pool.acquire(timeout=self._acquire_timeout)
            try:
                async for value in self._export_on(pooled, prefetch, isolation="repeatable_read"):
                    started = True
                    yield value
                return
            except ConcurrencyError:
                if started or attempt >= self.retry_attempts:
                    raise
            finally:
                await self.pool.release(pooled)
            await asyncio.sleep(retry.backoff(attempt))
            attempt += 1

    async def _export_on(
        self, conn: asyncpg.Connection, prefetch: int, isolation: str | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        with wrap_errors():
            if conn.is_in_transaction():
                async for record in conn.cursor(_EXPORT_SQL, prefetch=prefetch):
                    yield record[0]
                return
            async with conn.transaction(isolation=isolation):
                async for record in conn.cursor(_EXPORT_SQL, prefetch=prefetch):
                    yield record[0]

    async def export_to(
        self, out: IO[str] | Path | str, *, conn: asyncpg.Connection | None = None
    ) -> int:
        """Write the namespace as JSON Lines to a text stream or a file; return the lines.

        A file is written beside its final name and renamed when complete, so a cut
        export never looks like a finished one.
        """
        if not isinstance(out, Path | str):
            return await self._write_lines(out, conn)
        path = Path(out)
        partial = path.with_name(path.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8") as fh:
                lines = await self._write_lines(fh, conn)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        return lines

    async def _write_lines(self, fh: IO[str], conn: asyncpg.Connection | None) -> int:
        lines = 0
        async for value in self.export_namespace(conn=conn):
            fh.write(export_line(value) + "\n")
            lines += 1
        return lines

    async def erase_namespace(
        self, *, confirm: str, conn: asyncpg.Connection | None = None
    ) -> EraseResult:
        """Delete everything of this namespace in one call; ``confirm`` must be its name.

        Raises :class:`~pgcortex.errors.ConfirmationRequiredError` (PC050) otherwise.
        The audit log (:meth:`namespace_audit_log`) keeps a row of the erase.
        """
        row = await self._call(q.ERASE_NAMESPACE, conn=conn, confirm=confirm)
        return EraseResult.from_record(row)

    async def namespace_audit_log(
        self, max_rows: int | None = None, *, conn: asyncpg.Connection | None = None
    ) -> list[AuditEntry]:
        """Exports and erases of this namespace (the last 100 by default), newest first."""
        rows = await self._call(q.NAMESPACE_AUDIT_LOG, conn=conn, max_rows=max_rows)
        return [AuditEntry.from_record(r) for r in rows]
