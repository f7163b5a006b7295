"""Read the SQLite file of the original memory module, batch by batch.

The file has up to five tables: ``memories`` (TEXT id, ISO timestamps, ``tags``,
``related_memories`` and ``metadata`` as JSON text, ``embedding`` as a BLOB),
``knowledge_clusters``, ``learning_patterns``, ``user_preferences`` and
``conversation_sessions`` (TEXT ids and timestamps, JSON text for lists and
preference values). Files differ from one deployment to the next, so every
reader here is tolerant and records what it did with each difference in
:class:`Notes` (missing tables or columns, NULLs, timestamp forms, tag forms,
embedding forms). Rows are read with ``fetchmany`` and handed on in batches of
plain dicts shaped for the ``pgcortex.import_*`` SQL functions: memory use does
not grow with the file.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .safe_pickle import UnsafePickleError, load_floats

#: Dimensions of the original module's embeddings (all-MiniLM-L6-v2).
DIMENSIONS = 384
#: The model the original module embedded with; recorded with imported embeddings.
LEGACY_MODEL = "all-MiniLM-L6-v2"

TABLES = (
    "memories",
    "knowledge_clusters",
    "learning_patterns",
    "user_preferences",
    "conversation_sessions",
)


@dataclass
class Notes:
    """What the reader did with each difference from the expected file, counted."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, table: str, what: str, n: int = 1) -> None:
        self.counts[(table, what)] += n

    def for_table(self, table: str) -> dict[str, int]:
        return {w: n for (t, w), n in sorted(self.counts.items()) if t == table}


@dataclass
class Batch:
    """Rows for one ``pgcortex.import_*`` call."""

    kind: str
    rows: list[dict[str, Any]]
    #: Rows whose embedding must be made again (index in rows); filled for memories.
    reembed: list[int] = field(default_factory=list)


# -- values ----------------------------------------------------------------------------

_EPOCH_RE = re.compile(r"^-?\d+(\.\d+)?$")


def parse_time(value: Any, table: str, column: str, notes: Notes) -> str | None:
    """An ISO timestamp with zone from an ISO text (zone or none) or epoch seconds/ms."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and _EPOCH_RE.match(value)):
        number = float(value)
        if abs(number) > 1e11:  # milliseconds
            number /= 1000.0
            notes.add(table, f"{column}: epoch milliseconds read as UTC")
        else:
            notes.add(table, f"{column}: epoch seconds read as UTC")
        return datetime.fromtimestamp(number, UTC).isoformat()
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text.replace(" UTC", "+00:00"))
    except ValueError:
        notes.add(table, f"{column}: unreadable time {text[:40]!r} left empty")
        return None
    if parsed.tzinfo is None:
        notes.add(table, f"{column}: time without zone read as UTC")
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.isoformat()


def parse_json(value: Any) -> tuple[bool, Any]:
    """(True, value) when value is JSON text; (False, value) otherwise."""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            return False, value
    if not isinstance(value, str):
        return False, value
    try:
        return True, json.loads(value)
    except ValueError:
        return False, value


def parse_list(value: Any, table: str, column: str, notes: Notes) -> list[str]:
    """A list of strings from JSON text, comma-separated text or NULL."""
    if value is None or value == "":
        return []
    ok, parsed = parse_json(value)
    if ok and isinstance(parsed, list):
        return [str(x) for x in parsed if x is not None and str(x).strip() != ""]
    if ok and isinstance(parsed, str):
        notes.add(table, f"{column}: a JSON string read as one item")
        return [parsed] if parsed.strip() else []
    notes.add(table, f"{column}: comma-separated text split into items")
    return [part.strip() for part in str(value).split(",") if part.strip()]


def parse_object(value: Any, table: str, column: str, notes: Notes) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    ok, parsed = parse_json(value)
    if ok and isinstance(parsed, dict):
        return parsed
    if ok:
        notes.add(table, f"{column}: JSON that is not an object kept under 'value'")
        return {"value": parsed}
    notes.add(table, f"{column}: text that is not JSON kept under 'text'")
    return {"text": str(value)}


def parse_number(
    value: Any, table: str, column: str, notes: Notes, default: float, low: float, high: float
) -> float:
    if value is None or value == "":
        notes.add(table, f"{column}: NULL read as {default:g}")
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        notes.add(table, f"{column}: not a number, read as {default:g}")
        return default
    if math.isnan(number):
        notes.add(table, f"{column}: NaN read as {default:g}")
        return default
    if number < low or number > high:
        notes.add(table, f"{column}: outside {low:g}..{high:g}, clamped")
        return min(max(number, low), high)
    return number


_TYPE_RE = re.compile(r"[^a-z0-9_]+")


def type_name(value: Any, table: str, column: str, notes: Notes, default: str) -> str:
    """A lowercase identifier for a memory or pattern type (the original may differ)."""
    if value is None or str(value).strip() == "":
        notes.add(table, f"{column}: NULL read as {default!r}")
        return default
    raw = str(value)
    name = _TYPE_RE.sub("_", raw.strip().lower()).strip("_")[:63] or default
    if not name[0].isalpha():
        name = ("t_" + name)[:63]
    if name != raw:
        notes.add(table, f"{column}: {raw!r} mapped to {name!r}")
    return name


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36


def vector_text(floats: npt.NDArray[np.float64]) -> str:
    """The vector as text ('[x,y,...]'), exact for float32 values."""
    return "[" + ",".join(map(repr, floats.astype(np.float32).tolist())) + "]"


def decode_embedding(value: Any) -> tuple[npt.NDArray[np.float64] | None, str]:
    """(floats, form) or (None, why not): a pickle (loaded safely), float32 bytes or JSON."""
    if value is None:
        return None, "none"
    floats: npt.NDArray[np.float64]
    form: str
    if isinstance(value, bytes) and value[:1] == b"\x80":
        try:
            floats = load_floats(value)
        except UnsafePickleError as exc:
            return None, f"unsafe pickle refused: {exc}"
        except ValueError as exc:
            return None, f"bad pickle: {exc}"
        form = "pickle"
    elif isinstance(value, str) or (isinstance(value, bytes) and value.lstrip()[:1] == b"["):
        ok, parsed = parse_json(value)
        if not ok or not isinstance(parsed, list):
            return None, "text that is not a JSON list"
        try:
            floats = np.asarray(parsed, dtype=np.float64)
        except (TypeError, ValueError):
            return None, "a JSON list that is not all numbers"
        form = "JSON text"
    elif isinstance(value, bytes) and len(value) == DIMENSIONS * 4:
        floats = np.frombuffer(value, dtype="<f4").astype(np.float64)
        form = "float32 bytes"
    elif isinstance(value, bytes) and len(value) == DIMENSIONS * 8:
        floats = np.frombuffer(value, dtype="<f8").astype(np.float64)
        form = "float64 bytes"
    else:
        return None, f"unrecognised {type(value).__name__} of {len(value)} bytes"
    if floats.ndim != 1 or floats.shape[0] != DIMENSIONS:
        return None, f"{form} with {floats.size} values, not {DIMENSIONS}"
    if not np.all(np.isfinite(floats)) or not np.any(floats):
        return None, f"{form} with NaN, infinite or all-zero values"
    return floats, form


# -- the file ----------------------------------------------------------------------


class LegacyStore:
    """A read-only view of the original module's SQLite file."""

    def __init__(self, path: str | Path, *, batch_size: int = 1000) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"no such file: {self.path}")
        self.batch_size = batch_size
        self.notes = Notes()
        self.conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        self.conn.text_factory = lambda b: b.decode("utf-8", errors="replace")
        try:
            names = {
                r[0]
                for r in self.conn.execute("select name from sqlite_master where type = 'table'")
            }
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise ValueError(f"{self.path} is not a SQLite database ({exc})") from None
        self.tables = {t for t in TABLES if t in names}
        for t in TABLES:
            if t not in self.tables:
                self.notes.add(t, "table missing from the file: nothing to import")

    def close(self) -> None:
        self.conn.close()

    def columns(self, table: str) -> set[str]:
        return {r[1] for r in self.conn.execute(f'pragma table_info("{table}")')}

    def count(self, table: str) -> int:
        if table not in self.tables:
            return 0
        return int(self.conn.execute(f'select count(*) from "{table}"').fetchone()[0])

    def _rows(self, table: str, wanted: tuple[str, ...]) -> Iterator[list[dict[str, Any]]]:
        """Batches of rows as dicts with every wanted column (missing ones None, noted)."""
        have = self.columns(table)
        for col in wanted:
            if col not in have:
                self.notes.add(table, f"column {col} missing from the file: read as NULL")
        cols = [c for c in wanted if c in have]
        select = ", ".join(['rowid as "__rowid"', *(f'"{c}"' for c in cols)])
        cur = self.conn.execute(f'select {select} from "{table}" order by rowid')
        while True:
            chunk = cur.fetchmany(self.batch_size)
            if not chunk:
                return
            yield [
                {
                    "__rowid": r[0],
                    **{c: None for c in wanted},
                    **dict(zip(cols, r[1:], strict=True)),
                }
                for r in chunk
            ]

    def _legacy_id(self, table: str, row: dict[str, Any], column: str) -> str:
        value = row.get(column)
        if value is None or str(value).strip() == "":
            self.notes.add(table, f"{column} NULL: the row is known by its rowid")
            return f"rowid:{row['__rowid']}"
        return str(value)

    # -- tables ---------------------------------------------------------------------

    def memories(self, *, reembed: bool) -> Iterator[Batch]:
        if "memories" not in self.tables:
            return
        t = "memories"
        wanted = (
            "id", "content", "memory_type", "importance", "confidence", "created_at",
            "last_accessed", "access_count", "tags", "metadata", "embedding",
        )  # fmt: skip
        for chunk in self._rows(t, wanted):
            batch = Batch("memories", [])
            for r in chunk:
                legacy_id = self._legacy_id(t, r, "id")
                created = parse_time(r["created_at"], t, "created_at", self.notes)
                last = parse_time(r["last_accessed"], t, "last_accessed", self.notes)
                if created is None:
                    self.notes.add(t, "created_at NULL: last_accessed or the import time used")
                    created = last
                count = r["access_count"]
                try:
                    access_count = max(int(count), 0) if count is not None else 0
                except (TypeError, ValueError):
                    self.notes.add(t, "access_count not a number: read as 0")
                    access_count = 0
                item: dict[str, Any] = {
                    "legacy_id": legacy_id,
                    "id": legacy_id if is_uuid(legacy_id) else None,
                    "content": r["content"] if r["content"] is None else str(r["content"]),
                    "memory_type": type_name(
                        r["memory_type"], t, "memory_type", self.notes, "business_fact"
                    ),
                    "importance": round(
                        parse_number(r["importance"], t, "importance", self.notes, 3, 1, 5)
                    ),
                    "confidence": parse_number(
                        r["confidence"], t, "confidence", self.notes, 1.0, 0.0, 1.0
                    ),
                    "tags": parse_list(r["tags"], t, "tags", self.notes),
                    "metadata": parse_object(r["metadata"], t, "metadata", self.notes),
                    "created_at": created,
                    "updated_at": created,
                    "last_accessed": last,
                    "access_count": access_count,
                    "embedding": None,
                    "embedding_model": None,
                }
                floats, form = decode_embedding(r["embedding"])
                if floats is not None:
                    item["embedding"] = vector_text(floats)
                    item["embedding_model"] = LEGACY_MODEL
                    self.notes.add(t, f"embedding: {form}")
                else:
                    if form == "none":
                        self.notes.add(t, "embedding NULL")
                    else:
                        kind = form.split(":")[0]
                        self.notes.add(t, f"embedding bad ({kind})")
                    if reembed:
                        batch.reembed.append(len(batch.rows))
                batch.rows.append(item)
            yield batch

    def links(self) -> Iterator[Batch]:
        """related_memories of every memory, as links (a second pass over the table)."""
        if "memories" not in self.tables or "related_memories" not in self.columns("memories"):
            return
        t = "memories"
        batch: list[dict[str, Any]] = []
        for chunk in self._rows(t, ("id", "related_memories", "created_at")):
            for r in chunk:
                source = self._legacy_id("memory_links", r, "id")
                for target in parse_list(r["related_memories"], t, "related_memories", self.notes):
                    batch.append(
                        {
                            "source_id": source,
                            "target_id": target,
                            "relation": "related",
                            "created_at": parse_time(r["created_at"], t, "created_at", Notes()),
                        }
                    )
                    if len(batch) >= self.batch_size:
                        yield Batch("links", batch)
                        batch = []
        if batch:
            yield Batch("links", batch)

    def clusters(self) -> Iterator[Batch]:
        """Each batch of clusters, then a batch of their members."""
        if "knowledge_clusters" not in self.tables:
            return
        t = "knowledge_clusters"
        wanted = (
            "id", "name", "description", "memories", "confidence", "last_updated",
            "importance_score", "topics", "created_at",
        )  # fmt: skip
        for chunk in self._rows(t, wanted):
            clusters: list[dict[str, Any]] = []
            members: list[dict[str, Any]] = []
            for r in chunk:
                legacy_id = self._legacy_id(t, r, "id")
                name = r["name"]
                if name is None or str(name).strip() == "":
                    self.notes.add(t, "name NULL: the cluster is named by its id")
                    name = f"cluster {legacy_id}"
                clusters.append(
                    {
                        "legacy_id": legacy_id,
                        "id": legacy_id if is_uuid(legacy_id) else None,
                        "name": str(name)[:255],
                        "description": r["description"],
                        "origin": "explicit",
                        "confidence": parse_number(
                            r["confidence"], t, "confidence", self.notes, 1.0, 0.0, 1.0
                        ),
                        "importance_score": parse_number(
                            r["importance_score"], t, "importance_score", self.notes, 1.0, 0.0, 5.0
                        ),
                        "topics": parse_list(r["topics"], t, "topics", self.notes),
                        "created_at": parse_time(r["created_at"], t, "created_at", self.notes),
                        "last_updated": parse_time(
                            r["last_updated"], t, "last_updated", self.notes
                        ),
                    }
                )
                for memory in parse_list(r["memories"], t, "memories", self.notes):
                    members.append({"cluster_id": legacy_id, "memory_id": memory})
            yield Batch("clusters", clusters)
            for at in range(0, len(members), self.batch_size):
                yield Batch("cluster_members", members[at : at + self.batch_size])

    def patterns(self) -> Iterator[Batch]:
        if "learning_patterns" not in self.tables:
            return
        t = "learning_patterns"
        wanted = (
            "pattern_id", "pattern_type", "description", "frequency", "confidence", "examples",
            "discovered_at", "updated_at",
        )  # fmt: skip
        for chunk in self._rows(t, wanted):
            rows = []
            for r in chunk:
                legacy_id = self._legacy_id(t, r, "pattern_id")
                rows.append(
                    {
                        "legacy_id": legacy_id,
                        "id": legacy_id if is_uuid(legacy_id) else None,
                        "pattern_type": type_name(
                            r["pattern_type"], t, "pattern_type", self.notes, "preference"
                        ),
                        "description": r["description"],
                        "frequency": round(
                            parse_number(
                                r["frequency"], t, "frequency", self.notes, 1, 1, 2**31 - 1
                            )
                        ),
                        "confidence": parse_number(
                            r["confidence"], t, "confidence", self.notes, 0.5, 0.0, 1.0
                        ),
                        "examples": parse_list(r["examples"], t, "examples", self.notes)[:10],
                        "discovered_at": parse_time(
                            r["discovered_at"], t, "discovered_at", self.notes
                        ),
                        "updated_at": parse_time(r["updated_at"], t, "updated_at", self.notes),
                    }
                )
            yield Batch("patterns", rows)

    def preferences(self) -> Iterator[Batch]:
        if "user_preferences" not in self.tables:
            return
        t = "user_preferences"
        for chunk in self._rows(t, ("key", "value", "confidence", "updated_at", "source")):
            rows = []
            for r in chunk:
                ok, value = parse_json(r["value"])
                if not ok:
                    self.notes.add(t, "value: text that is not JSON kept as a JSON string")
                rows.append(
                    {
                        "legacy_id": self._legacy_id(t, r, "key"),
                        "key": r["key"],
                        "value": value,
                        "confidence": parse_number(
                            r["confidence"], t, "confidence", self.notes, 1.0, 0.0, 1.0
                        ),
                        "source": r["source"] or "conversation",
                        "updated_at": parse_time(r["updated_at"], t, "updated_at", self.notes),
                    }
                )
            yield Batch("preferences", rows)

    def sessions(self) -> Iterator[Batch]:
        if "conversation_sessions" not in self.tables:
            return
        t = "conversation_sessions"
        wanted = (
            "session_id", "started_at", "ended_at", "message_count", "topics", "summary",
            "importance",
        )  # fmt: skip
        for chunk in self._rows(t, wanted):
            rows = []
            for r in chunk:
                legacy_id = self._legacy_id(t, r, "session_id")
                rows.append(
                    {
                        "legacy_id": legacy_id,
                        "id": legacy_id if is_uuid(legacy_id) else None,
                        "started_at": parse_time(r["started_at"], t, "started_at", self.notes),
                        "ended_at": parse_time(r["ended_at"], t, "ended_at", self.notes),
                        "message_count": round(
                            parse_number(
                                r["message_count"], t, "message_count", self.notes, 0, 0, 2**31 - 1
                            )
                        ),
                        "topics": parse_list(r["topics"], t, "topics", self.notes),
                        "summary": r["summary"],
                        "importance": parse_number(
                            r["importance"], t, "importance", self.notes, 0.5, 0.0, 1.0
                        ),
                    }
                )
            yield Batch("sessions", rows)

    def batches(self, *, reembed: bool) -> Iterator[Batch]:
        """Every batch of the file, parents first (memories before what refers to them)."""
        yield from self.memories(reembed=reembed)
        yield from self.links()
        yield from self.clusters()
        yield from self.patterns()
        yield from self.preferences()
        yield from self.sessions()


__all__ = ["LEGACY_MODEL", "Batch", "LegacyStore", "Notes", "decode_embedding", "parse_time"]
