"""Import: the original module's SQLite store, and restore of pgcortex exports.

Both read their file batch by batch (flat memory) and hand each batch to one
``pgcortex.import_*`` SQL function, which checks every row, writes the good ones
with their own times and counts and says what it did with each: imported,
present (imported before), merged (folded into a row already there) or skipped
(with the reason). Each batch commits on its own; ``pgcortex.import_ids`` maps
the source's ids to the rows written, so an interrupted import is run again to
finish it and a finished one adds nothing when run again. ``dry_run`` runs the
whole import in one transaction that is rolled back: the report is exact and
nothing is kept. ``strict`` runs it in one transaction that the first bad row
aborts: all or nothing.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import numpy as np

from ..base import ClientBase
from ..embedding import embed_texts
from ..errors import InvalidArgumentError, wrap_errors
from ..queries import importing as q
from .legacy import LEGACY_MODEL, Batch, LegacyStore, Notes, vector_text
from .restore import ExportFile

#: Rows per batch (one SQL call, one transaction) unless the caller says otherwise.
DEFAULT_BATCH_SIZE = 1000
#: Statement timeout of one batch's call (a batch of memories with embeddings spends
#: most of its time inserting into the HNSW index; the pool's default is far shorter).
BATCH_STATEMENT_TIMEOUT_MS = 600_000
#: Skipped rows kept in a report with their id and reason (the counts are complete).
MAX_LISTED_SKIPS = 1000

#: Import kind -> the table it writes (as reports name them).
TABLE_OF = {
    "memories": "memories",
    "links": "memory_links",
    "clusters": "knowledge_clusters",
    "cluster_members": "cluster_members",
    "patterns": "learning_patterns",
    "pattern_evidence": "learning_pattern_evidence",
    "preferences": "user_preferences",
    "preference_history": "user_preference_history",
    "sessions": "conversation_sessions",
    "turns": "conversation_turns",
    "memory_access": "memory_access",
    "store_items": "store_items",
    "store_item_vectors": "store_item_vectors",
}

#: Called after every batch with (table, rows done in that table, rows done in all,
#: rows per second overall).
Progress = Callable[[str, int, int, float], None]


class _DryRunRollback(Exception):
    """Raised inside the dry run's transaction to roll it back."""


@dataclass
class TableReport:
    """What an import did with the rows of one table."""

    read: int = 0
    imported: int = 0
    present: int = 0
    merged: int = 0
    skipped: int = 0
    reembedded: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    notes: dict[str, int] = field(default_factory=dict)


@dataclass
class ImportReport:
    """The report of one import: per table counts, skip reasons and reader notes."""

    source: str
    path: str
    dry_run: bool
    tables: dict[str, TableReport] = field(default_factory=dict)
    #: (table, legacy id, reason) of the first skipped rows.
    skips: list[tuple[str, str, str]] = field(default_factory=list)
    #: Memory or pattern types the import registered.
    registered_types: list[str] = field(default_factory=list)
    #: Notes about the file as a whole (an export cut short, unreadable lines).
    file_notes: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    seconds: float = 0.0

    def table(self, name: str) -> TableReport:
        return self.tables.setdefault(name, TableReport())

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def totals(self) -> TableReport:
        total = TableReport()
        for t in self.tables.values():
            total.read += t.read
            total.imported += t.imported
            total.present += t.present
            total.merged += t.merged
            total.skipped += t.skipped
            total.reembedded += t.reembedded
        return total

    def add_notes(self, notes: Notes) -> None:
        for (table, what), n in sorted(notes.counts.items()):
            if table == "file":
                self.file_notes[what] = self.file_notes.get(what, 0) + n
            else:
                t = self.table(table)
                t.notes[what] = t.notes.get(what, 0) + n


_SQL = {
    "links": q.IMPORT_LINKS,
    "clusters": q.IMPORT_CLUSTERS,
    "cluster_members": q.IMPORT_CLUSTER_MEMBERS,
    "patterns": q.IMPORT_PATTERNS,
    "pattern_evidence": q.IMPORT_PATTERN_EVIDENCE,
    "preference_history": q.IMPORT_PREFERENCE_HISTORY,
    "sessions": q.IMPORT_SESSIONS,
    "turns": q.IMPORT_TURNS,
    "memory_access": q.IMPORT_MEMORY_ACCESS,
    "store_items": q.IMPORT_STORE_ITEMS,
    "store_item_vectors": q.IMPORT_STORE_ITEM_VECTORS,
}


class ImportMixin(ClientBase):
    """``import_sqlite`` and ``import_jsonl`` (restore) of :class:`pgcortex.Client`."""

    async def import_sqlite(
        self,
        path: str | Path,
        *,
        source: str = "sqlite",
        batch_size: int = DEFAULT_BATCH_SIZE,
        dry_run: bool = False,
        strict: bool = False,
        near_dedup: bool = False,
        reembed: bool = True,
        cluster: bool = False,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Import the original memory module's SQLite file into this namespace.

        Keeps content, type, importance, confidence, tags, metadata, embeddings
        (model all-MiniLM-L6-v2), created_at, last_accessed and access_count;
        related_memories become links, a cluster's list its membership; patterns,
        preferences (recorded in the preference history as imported) and sessions
        keep their values and times. ``source`` names the file in
        ``pgcortex.import_ids`` (give each distinct file its own name). Embeddings
        that are missing or bad (an unsafe pickle is never run) are made again when
        the client has an embedder of that model and ``reembed`` is true. The
        file's clusters are imported as explicit clusters; ``cluster`` also queues
        the imported memories for automatic clustering, done by the next cluster
        read or maintenance (slow on large files: run maintenance's re-clustering
        afterwards instead).
        """
        try:
            store = LegacyStore(path, batch_size=_check_batch_size(batch_size))
        except (OSError, ValueError) as exc:
            raise InvalidArgumentError(f"cannot read {path}: {exc}") from exc
        try:
            can_embed = (
                reembed
                and self.embedder is not None
                and getattr(self.embedder, "model_name", None) == LEGACY_MODEL
            )
            report = ImportReport(source=source, path=str(path), dry_run=dry_run)
            for table in ("memories", "knowledge_clusters", "learning_patterns",
                          "user_preferences", "conversation_sessions"):  # fmt: skip
                report.table(table).read = 0
            await self._import_batches(
                store.batches(reembed=can_embed),
                report,
                near_dedup=near_dedup,
                cluster=cluster,
                record_history=True,
                strict=strict,
                progress=progress,
            )
            report.add_notes(store.notes)
            return report
        finally:
            store.close()

    async def import_jsonl(
        self,
        path: str | Path,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        dry_run: bool = False,
        strict: bool = False,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Restore a pgcortex export (JSON lines) into this namespace.

        Memories come back with their ids (when free), embeddings, times and access
        counts, with their links, clusters and members, patterns and evidence,
        preferences and their history, sessions and turns. The export's namespace
        names the source, so restoring the same file again adds nothing.
        """
        export = ExportFile(path, batch_size=_check_batch_size(batch_size))
        try:
            export.read_header()
        except (OSError, ValueError) as exc:
            raise InvalidArgumentError(f"cannot read {path}: {exc}") from exc
        report = ImportReport(source=export.source, path=str(path), dry_run=dry_run)
        await self._import_batches(
            export.batches(),
            report,
            near_dedup=False,
            cluster=False,
            record_history=False,
            strict=strict,
            progress=progress,
        )
        report.add_notes(export.notes)
        return report

    restore = import_jsonl

    # -- the batch loop ------------------------------------------------------------------

    async def _import_batches(
        self,
        batches: Iterator[Batch],
        report: ImportReport,
        *,
        near_dedup: bool,
        cluster: bool,
        record_history: bool,
        strict: bool,
        progress: Progress | None,
    ) -> None:
        started = time.perf_counter()
        with wrap_errors():
            async with self.pool.acquire(timeout=self._acquire_timeout) as conn:
                if strict and not report.dry_run:
                    # Strict: all or nothing, the first bad row aborts the import.
                    async with conn.transaction():
                        await self._import_loop(
                            conn, batches, report, near_dedup, cluster,
                            record_history, strict, progress, started,
                        )  # fmt: skip
                elif report.dry_run:
                    try:
                        async with conn.transaction():
                            await self._import_loop(
                                conn, batches, report, near_dedup, cluster,
                                record_history, strict, progress, started,
                            )  # fmt: skip
                            raise _DryRunRollback
                    except _DryRunRollback:
                        pass
                else:
                    await self._import_loop(
                        conn, batches, report, near_dedup, cluster,
                        record_history, strict, progress, started,
                    )  # fmt: skip
        report.seconds = time.perf_counter() - started

    async def _import_loop(
        self,
        conn: asyncpg.Connection,
        batches: Iterator[Batch],
        report: ImportReport,
        near_dedup: bool,
        cluster: bool,
        record_history: bool,
        strict: bool,
        progress: Progress | None,
        started: float,
    ) -> None:
        for batch in batches:
            table = TABLE_OF[batch.kind]
            if not batch.rows:
                continue
            async with conn.transaction():
                await conn.execute(q.IMPORT_BATCH_TIMEOUT, str(BATCH_STATEMENT_TIMEOUT_MS))
                if batch.kind == "memories":
                    await self._reembed(batch, report)
                    await self._register_types(conn, "memory", batch, "memory_type", report)
                    records = await conn.fetch(
                        q.IMPORT_MEMORIES, report.source, batch.rows, near_dedup, cluster, strict
                    )
                elif batch.kind == "patterns":
                    await self._register_types(conn, "pattern", batch, "pattern_type", report)
                    records = await conn.fetch(q.IMPORT_PATTERNS, report.source, batch.rows, strict)
                elif batch.kind == "preferences":
                    records = await conn.fetch(
                        q.IMPORT_PREFERENCES, report.source, batch.rows, record_history, strict
                    )
                else:
                    records = await conn.fetch(_SQL[batch.kind], report.source, batch.rows, strict)
            t = report.table(table)
            t.read += len(batch.rows)
            report.rows += len(batch.rows)
            for r in records:
                outcome = r["outcome"]
                if outcome == "imported":
                    t.imported += 1
                elif outcome == "present":
                    t.present += 1
                elif outcome == "merged":
                    t.merged += 1
                else:
                    t.skipped += 1
                    t.reasons[r["reason"]] += 1
                    if len(report.skips) < MAX_LISTED_SKIPS:
                        report.skips.append((table, str(r["legacy_id"]), str(r["reason"])))
            if progress is not None:
                elapsed = max(time.perf_counter() - started, 1e-9)
                progress(table, t.read, report.rows, report.rows / elapsed)

    async def _reembed(self, batch: Batch, report: ImportReport) -> None:
        """Embed again the memories whose embedding was missing or bad (reader marked them)."""
        if not batch.reembed or self.embedder is None:
            return
        todo = [i for i in batch.reembed if isinstance(batch.rows[i].get("content"), str)]
        todo = [i for i in todo if batch.rows[i]["content"].strip()]
        if not todo:
            return
        texts = [batch.rows[i]["content"] for i in todo]
        vectors = np.asarray(await embed_texts(self.embedder, texts))
        for i, vec in zip(todo, vectors, strict=True):
            batch.rows[i]["embedding"] = vector_text(np.asarray(vec, dtype=np.float64))
            batch.rows[i]["embedding_model"] = self.embedder.model_name
        report.table("memories").reembedded += len(todo)

    async def _register_types(
        self, conn: asyncpg.Connection, kind: str, batch: Batch, column: str, report: ImportReport
    ) -> None:
        names = sorted({str(r[column]) for r in batch.rows if r.get(column)})
        for rec in await conn.fetch(q.IMPORT_REGISTER_TYPES, kind, names):
            if rec["registered"]:
                report.registered_types.append(f"{kind}:{rec['name']}")


def _check_batch_size(batch_size: int) -> int:
    if not isinstance(batch_size, int) or not 1 <= batch_size <= 100_000:
        raise InvalidArgumentError("batch_size must be a whole number from 1 to 100000")
    return batch_size


__all__ = [
    "DEFAULT_BATCH_SIZE",
    "ImportMixin",
    "ImportReport",
    "TableReport",
]
