"""Builds SQLite files the way the original memory module wrote them.

The module created five tables (``memories`` as in the plan's "Current SQLite"
schema; the other four with TEXT ids and timestamps and JSON text for lists),
made ids by hashing content and time, wrote ``datetime.now().isoformat()``
timestamps, ``json.dumps`` for tags, related ids, metadata, topics, examples and
preference values, and pickled each embedding (a float32 numpy array of 384).
Options produce the variants real files have: other embedding forms, tags as
comma-separated text, timestamps with a zone or as epoch numbers, missing tables
and columns, NULLs, and a hostile pickle.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

TYPES = (
    "conversation",
    "business_fact",
    "strategic_insight",
    "user_preference",
    "process_knowledge",
    "market_intelligence",
    "technical_knowledge",
    "relationship",
)

SCHEMA = {
    "memories": """CREATE TABLE IF NOT EXISTS memories (
        id TEXT PRIMARY KEY,
        content TEXT NOT NULL,
        memory_type TEXT NOT NULL,
        importance INTEGER NOT NULL,
        confidence REAL NOT NULL,
        created_at TEXT NOT NULL,
        last_accessed TEXT NOT NULL,
        access_count INTEGER DEFAULT 0,
        tags TEXT,
        related_memories TEXT,
        metadata TEXT,
        embedding BLOB
    )""",
    "knowledge_clusters": """CREATE TABLE IF NOT EXISTS knowledge_clusters (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        description TEXT,
        memories TEXT,
        confidence REAL NOT NULL,
        last_updated TEXT,
        importance_score REAL NOT NULL,
        topics TEXT,
        created_at TEXT
    )""",
    "learning_patterns": """CREATE TABLE IF NOT EXISTS learning_patterns (
        pattern_id TEXT PRIMARY KEY,
        pattern_type TEXT NOT NULL,
        description TEXT NOT NULL,
        frequency INTEGER NOT NULL,
        confidence REAL NOT NULL,
        examples TEXT,
        discovered_at TEXT NOT NULL,
        updated_at TEXT
    )""",
    "user_preferences": """CREATE TABLE IF NOT EXISTS user_preferences (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        confidence REAL NOT NULL,
        updated_at TEXT,
        source TEXT
    )""",
    "conversation_sessions": """CREATE TABLE IF NOT EXISTS conversation_sessions (
        session_id TEXT PRIMARY KEY,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        message_count INTEGER DEFAULT 0,
        topics TEXT,
        summary TEXT,
        importance REAL DEFAULT 0.5
    )""",
}


class Payload:
    """A pickle that runs os.system when loaded unsafely (it must never run)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


@dataclass
class LegacyOptions:
    memories: int = 50
    #: pickle_array (the module's own), pickle_list, raw, json, none, or mixed (each in turn).
    embeddings: str = "pickle_array"
    #: json or csv.
    tags: str = "json"
    #: naive (the module's own), zone, epoch, or mixed.
    times: str = "naive"
    clusters: int = 3
    patterns: int = 3
    preferences: int = 4
    sessions: int = 3
    #: Memories i that list memory i-1 (and i-2) as related.
    related: bool = True
    #: Tables not created at all.
    missing_tables: tuple[str, ...] = ()
    #: Memories whose embedding is a hostile pickle writing this marker when run.
    payload_marker: Path | None = None
    #: Indexes of memories whose embedding is the payload.
    payload_rows: tuple[int, ...] = (1,)
    #: Extra rows: an unknown type, an exact duplicate, an empty content, NULLs.
    oddities: bool = False
    seed: int = 7
    base_time: datetime = field(default_factory=lambda: datetime(2024, 3, 1, 9, 0, 0))


def legacy_id(content: str, when: datetime) -> str:
    """As the module did: a hash of the content and the time."""
    return hashlib.md5(f"{content}{when.isoformat()}".encode()).hexdigest()[:16]


def _time(when: datetime, form: str, i: int) -> Any:
    if form == "mixed":
        form = ("naive", "zone", "epoch")[i % 3]
    if form == "naive":
        return when.isoformat()
    if form == "zone":
        return when.replace(tzinfo=UTC).isoformat()
    return when.replace(tzinfo=UTC).timestamp()


def _embedding(vec: np.ndarray, form: str, i: int) -> Any:
    if form == "mixed":
        form = ("pickle_array", "pickle_list", "raw", "json")[i % 4]
    if form == "pickle_array":
        return pickle.dumps(vec.astype(np.float32))
    if form == "pickle_list":
        return pickle.dumps([float(x) for x in vec.astype(np.float32)])
    if form == "raw":
        return vec.astype("<f4").tobytes()
    if form == "json":
        return json.dumps([float(x) for x in vec.astype(np.float32)])
    return None


def content_of(i: int) -> str:
    topics = ("pricing", "hiring", "roadmap", "customers", "fundraising", "infrastructure")
    return f"Memory {i}: notes about {topics[i % len(topics)]} and item {i * 7919 % 10007}."


def write_legacy_store(path: Path, opts: LegacyOptions | None = None) -> dict[str, Any]:
    """Write the file; return what it holds (ids, contents, vectors) for the tests."""
    opts = opts or LegacyOptions()
    rng = np.random.default_rng(opts.seed)
    conn = sqlite3.connect(path)
    for name, ddl in SCHEMA.items():
        if name not in opts.missing_tables:
            # Files with odd rows come from versions without the NOT NULL constraints.
            conn.execute(ddl.replace(" NOT NULL", "") if opts.oddities else ddl)
    facts: dict[str, Any] = {"ids": [], "contents": [], "vectors": [], "times": []}
    if "memories" not in opts.missing_tables:
        rows: list[tuple[Any, ...]] = []
        for i in range(opts.memories):
            content = content_of(i)
            created = opts.base_time + timedelta(minutes=i)
            accessed = created + timedelta(days=1 + i % 5)
            mid = legacy_id(content, created)
            vec = rng.standard_normal(384)
            vec /= np.linalg.norm(vec)
            tags = [TYPES[i % 8].split("_")[0], f"t{i % 5}"]
            related = [facts["ids"][j] for j in (i - 1, i - 2) if opts.related and j >= 0][:2]
            emb = _embedding(vec, opts.embeddings, i)
            if opts.payload_marker is not None and i in opts.payload_rows:
                emb = pickle.dumps(Payload(opts.payload_marker))
            rows.append(
                (
                    mid,
                    content,
                    TYPES[i % 8],
                    1 + i % 5,
                    round(0.5 + (i % 6) / 10, 2),
                    _time(created, opts.times, i),
                    _time(accessed, opts.times, i + 1),
                    i % 9,
                    json.dumps(tags) if opts.tags == "json" else ",".join(tags),
                    json.dumps(related),
                    json.dumps({"source": "chat", "n": i}),
                    emb,
                )
            )
            facts["ids"].append(mid)
            facts["contents"].append(content)
            facts["vectors"].append(vec.astype(np.float32))
            facts["times"].append((created, accessed, i % 9))
        if opts.oddities:
            t = opts.base_time
            rows += [
                ("odd-type", "A memory of an older kind", "Meeting Note", 3, 0.9,
                 t.isoformat(), t.isoformat(), 1, "meeting", None, None, None),
                ("dup-1", content_of(0).upper() + "  ", "business_fact", 5, 0.4,
                 t.isoformat(), t.isoformat(), 4, '["dup"]', None, "{}", None),
                ("empty", "   ", "business_fact", 3, 1.0,
                 t.isoformat(), t.isoformat(), 0, None, None, None, None),
                ("nulls", "A memory with NULLs", "business_fact", None, None,
                 t.isoformat(), t.isoformat(), None, None, None, "not json", b"\x00\x01"),
            ]  # fmt: skip
        conn.executemany("INSERT INTO memories VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    ids = facts["ids"]
    if "knowledge_clusters" not in opts.missing_tables:
        conn.executemany(
            "INSERT INTO knowledge_clusters VALUES (?,?,?,?,?,?,?,?,?)",
            [
                (
                    f"cluster_{c}",
                    f"{TYPES[c % 8]}_cluster",
                    f"Cluster of {TYPES[c % 8]} memories",
                    json.dumps(ids[c::8][:20] + (["no-such-memory"] if c == 0 else [])),
                    0.8,
                    _time(opts.base_time + timedelta(days=10), opts.times, c),
                    min(5.0, 0.1 * len(ids[c::8]) + 0.5),
                    json.dumps([TYPES[c % 8], "t1"]),
                    _time(opts.base_time, opts.times, c),
                )
                for c in range(opts.clusters)
            ],
        )
    if "learning_patterns" not in opts.missing_tables:
        kinds = ("preference", "workflow", "decision_pattern")
        conn.executemany(
            "INSERT INTO learning_patterns VALUES (?,?,?,?,?,?,?,?)",
            [
                (
                    f"pattern_{p}",
                    kinds[p % 3],
                    f"User frequently discusses topic {p}",
                    3 + p,
                    0.6,
                    json.dumps([f"example {p}.{k}" for k in range(3)]),
                    _time(opts.base_time + timedelta(hours=p), opts.times, p),
                    _time(opts.base_time + timedelta(days=2, hours=p), opts.times, p),
                )
                for p in range(opts.patterns)
            ],
        )
    if "user_preferences" not in opts.missing_tables:
        values = ['"dark"', "42", '{"style": "brief", "lang": ["en", "de"]}', "true", "plain"]
        conn.executemany(
            "INSERT INTO user_preferences VALUES (?,?,?,?,?)",
            [
                (
                    f"pref_{k}",
                    values[k % len(values)],
                    0.9,
                    _time(opts.base_time + timedelta(days=k), opts.times, k),
                    "conversation" if k % 2 else "explicit",
                )
                for k in range(opts.preferences)
            ],
        )
    if "conversation_sessions" not in opts.missing_tables:
        conn.executemany(
            "INSERT INTO conversation_sessions VALUES (?,?,?,?,?,?,?)",
            [
                (
                    f"session_{s}",
                    _time(opts.base_time + timedelta(days=s), opts.times, s),
                    _time(opts.base_time + timedelta(days=s, minutes=15 + s), opts.times, s)
                    if s % 3 != 2
                    else None,
                    4 + s,
                    json.dumps(["pricing", f"topic{s}"]),
                    f"Session {s} summary",
                    0.7,
                )
                for s in range(opts.sessions)
            ],
        )
    conn.commit()
    conn.close()
    return facts


def drop_column(path: Path, table: str, column: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    conn.commit()
    conn.close()


__all__ = ["LegacyOptions", "Payload", "content_of", "drop_column", "write_legacy_store"]
