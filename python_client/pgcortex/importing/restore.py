"""Read a pgcortex export (JSON lines), line by line, as import batches.

An export (``pgcortex export``, ``pgcortex.export_namespace()``) is a header
line, one ``{"table", "row"}`` line per row of every namespaced table (parents
before children) and an end line with the row count. Rows keep their own ids:
each becomes the legacy id of the import, so references between rows resolve
through ``pgcortex.import_ids`` and restoring the same file again adds nothing.
Only one batch is held at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .legacy import Batch, Notes

#: Export table -> (import kind, how a row becomes an item).
_KIND = {
    "memories": "memories",
    "memory_access": "memory_access",
    "memory_access_log": "memory_access",
    "memory_links": "links",
    "knowledge_clusters": "clusters",
    "cluster_members": "cluster_members",
    "learning_patterns": "patterns",
    "learning_pattern_evidence": "pattern_evidence",
    "user_preferences": "preferences",
    "user_preference_history": "preference_history",
    "conversation_sessions": "sessions",
    "conversation_turns": "turns",
    "store_items": "store_items",
    "store_item_vectors": "store_item_vectors",
}

#: Tables an export has that a restore does not write, and why.
_NOT_RESTORED = {
    "memory_history": "not restored: the change history of the restored memories starts "
    "with their import",
    "knowledge_settings": "not restored: set them again with set_knowledge_settings",
    "import_ids": "not restored: the ids map of earlier imports belongs to the exported database",
    "cluster_queue": "not restored: memories that were waiting for automatic clustering join "
    "a cluster at the next re-clustering (maint_recluster, maint_run)",
}

#: The id column of tables whose rows are known by one id.
_ID = {
    "memories": "id",
    "knowledge_clusters": "id",
    "learning_patterns": "pattern_id",
    "conversation_sessions": "session_id",
    "conversation_turns": "turn_id",
    "user_preference_history": "change_id",
}


def item_of(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """The import item of one exported row."""
    item = dict(row)
    key = _ID.get(table)
    if key is not None:
        item["legacy_id"] = str(row.get(key)) if row.get(key) is not None else None
        if table not in ("conversation_turns", "user_preference_history"):
            item["id"] = row.get(key)
    if table == "memory_access_log":
        item["log_id"] = str(row.get("log_id"))
    return item


class ExportFile:
    """An export file read line by line."""

    def __init__(self, path: str | Path, *, batch_size: int = 1000) -> None:
        self.path = Path(path)
        self.batch_size = batch_size
        self.notes = Notes()
        self.header: dict[str, Any] = {}
        self.rows_read = 0
        self.complete = False

    def _open(self) -> IO[str]:
        return self.path.open("r", encoding="utf-8")

    def read_header(self) -> dict[str, Any]:
        with self._open() as fh:
            first = fh.readline()
        try:
            header = json.loads(first) if first.strip() else {}
        except ValueError:
            header = {}
        if not isinstance(header, dict) or header.get("pgcortex_export") != 1:
            raise ValueError(f"{self.path} is not a pgcortex export (no export header line)")
        self.header = header
        return header

    @property
    def source(self) -> str:
        return f"pgcortex:{self.header.get('namespace', '')}"[:200]

    def batches(self) -> Iterator[Batch]:
        """Batches in file order; a change of table or a full batch ends one."""
        if not self.header:
            self.read_header()
        kind: str | None = None
        rows: list[dict[str, Any]] = []
        with self._open() as fh:
            fh.readline()  # the header
            for number, line in enumerate(fh, start=2):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except ValueError:
                    self.notes.add("file", f"line {number}: not JSON, skipped")
                    continue
                if value.get("end") is True:
                    self.complete = True
                    if int(value.get("rows", -1)) != self.rows_read:
                        self.notes.add(
                            "file",
                            f"end line counts {value.get('rows')} rows, the file has "
                            f"{self.rows_read}",
                        )
                    break
                table, row = value.get("table"), value.get("row")
                if not isinstance(table, str) or not isinstance(row, dict):
                    self.notes.add("file", f"line {number}: not a table row, skipped")
                    continue
                self.rows_read += 1
                new_kind = _KIND.get(table)
                if new_kind is None:
                    self.notes.add(table, _NOT_RESTORED.get(table, "unknown table: not restored"))
                    continue
                if kind is not None and (new_kind != kind or len(rows) >= self.batch_size):
                    yield Batch(kind, rows)
                    rows = []
                kind = new_kind
                rows.append(item_of(table, row))
        if kind is not None and rows:
            yield Batch(kind, rows)
        if not self.complete:
            self.notes.add("file", "no end line: the export is cut; what it has was restored")


__all__ = ["ExportFile", "item_of"]
