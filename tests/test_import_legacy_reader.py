"""The reader of the original module's SQLite files, value by value and table by table:
each difference from the expected file is read the documented way and noted, and
what cannot be read is refused with the reason (no database needed)."""

from __future__ import annotations

import _codecs
import io
import pickle
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pgcortex.importing.legacy import (
    DIMENSIONS,
    LegacyStore,
    Notes,
    decode_embedding,
    is_uuid,
    parse_json,
    parse_list,
    parse_number,
    parse_object,
    parse_time,
    type_name,
)
from pgcortex.importing.safe_pickle import UnsafePickleError, load_floats


def _read(reader: Any, value: Any, *more: Any) -> tuple[Any, dict[str, int]]:
    notes = Notes()
    result = reader(value, "memories", "created_at", notes, *more)
    return result, notes.for_table("memories")


@pytest.mark.parametrize(
    ("value", "expected", "note"),
    [
        (None, None, None),
        ("", None, None),
        ("2026-03-01T09:00:00+02:00", "2026-03-01T09:00:00+02:00", None),
        ("2026-03-01 09:00:00 UTC", "2026-03-01T09:00:00+00:00", None),
        ("2026-03-01T09:00:00", "2026-03-01T09:00:00+00:00", "time without zone read as UTC"),
        (1772355600, "2026-03-01T09:00:00+00:00", "epoch seconds read as UTC"),
        ("1772355600000", "2026-03-01T09:00:00+00:00", "epoch milliseconds read as UTC"),
        ("last tuesday", None, "unreadable time 'last tuesday' left empty"),
    ],
)
def test_times(value: Any, expected: str | None, note: str | None) -> None:
    result, notes = _read(parse_time, value)
    assert result == expected
    assert notes == ({f"created_at: {note}": 1} if note else {})


def test_json_text_bytes_and_other_values() -> None:
    assert parse_json(b'{"a": 1}') == (True, {"a": 1})
    assert parse_json(b"\xff\xfe") == (False, b"\xff\xfe")
    assert parse_json(7) == (False, 7)
    assert parse_json("not json") == (False, "not json")


@pytest.mark.parametrize(
    ("value", "expected", "note"),
    [
        (None, [], None),
        ('["x", null, "", 2]', ["x", "2"], None),
        ('"solo"', ["solo"], "a JSON string read as one item"),
        ('"  "', [], "a JSON string read as one item"),
        ("a, b,,c", ["a", "b", "c"], "comma-separated text split into items"),
    ],
)
def test_lists(value: Any, expected: list[str], note: str | None) -> None:
    result, notes = _read(parse_list, value)
    assert result == expected
    assert notes == ({f"created_at: {note}": 1} if note else {})


@pytest.mark.parametrize(
    ("value", "expected", "note"),
    [
        (None, {}, None),
        ('{"k": [1]}', {"k": [1]}, None),
        ("[1, 2]", {"value": [1, 2]}, "JSON that is not an object kept under 'value'"),
        ("plain words", {"text": "plain words"}, "text that is not JSON kept under 'text'"),
    ],
)
def test_objects(value: Any, expected: dict[str, Any], note: str | None) -> None:
    result, notes = _read(parse_object, value)
    assert result == expected
    assert notes == ({f"created_at: {note}": 1} if note else {})


@pytest.mark.parametrize(
    ("value", "expected", "note"),
    [
        ("4", 4.0, None),
        (None, 3, "NULL read as 3"),
        ("", 3, "NULL read as 3"),
        ("high", 3, "not a number, read as 3"),
        (float("nan"), 3, "NaN read as 3"),
        (9, 5, "outside 1..5, clamped"),
        (-2.5, 1, "outside 1..5, clamped"),
    ],
)
def test_numbers(value: Any, expected: float, note: str | None) -> None:
    result, notes = _read(parse_number, value, 3, 1, 5)
    assert result == expected
    assert notes == ({f"created_at: {note}": 1} if note else {})


@pytest.mark.parametrize(
    ("value", "expected", "note"),
    [
        ("business_fact", "business_fact", None),
        (None, "business_fact", "NULL read as 'business_fact'"),
        ("  ", "business_fact", "NULL read as 'business_fact'"),
        ("Market Intel!", "market_intel", "'Market Intel!' mapped to 'market_intel'"),
        ("2nd kind", "t_2nd_kind", "'2nd kind' mapped to 't_2nd_kind'"),
        ("!!!", "business_fact", "'!!!' mapped to 'business_fact'"),
    ],
)
def test_type_names(value: Any, expected: str, note: str | None) -> None:
    result, notes = _read(type_name, value, "business_fact")
    assert result == expected
    assert notes == ({f"created_at: {note}": 1} if note else {})


def test_ids_are_uuids_only_in_their_dashed_form() -> None:
    assert is_uuid("01a22dde-0000-7000-8000-000000000001")
    assert not is_uuid("01a22dde000070008000000000000001")  # uuid.UUID reads it; the id is text
    assert not is_uuid("3f2a9c")


def _vector() -> np.ndarray:
    return np.linspace(0.1, 1.0, DIMENSIONS)


@pytest.mark.parametrize(
    ("value", "form"),
    [
        (pickle.dumps(_vector().astype(np.float32)), "pickle"),
        (pickle.dumps(_vector().tolist()), "pickle"),
        (str(_vector().tolist()), "JSON text"),
        (str(_vector().tolist()).encode(), "JSON text"),
        (_vector().astype("<f4").tobytes(), "float32 bytes"),
        (_vector().astype("<f8").tobytes(), "float64 bytes"),
    ],
)
def test_embedding_forms(value: Any, form: str) -> None:
    floats, found = decode_embedding(value)
    assert found == form
    assert floats is not None
    np.testing.assert_allclose(floats, _vector(), rtol=1e-6)


class _Hostile:
    def __reduce__(self) -> Any:
        return (print, ("ran",))


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (None, "none"),
        (pickle.dumps(_Hostile()), "unsafe pickle refused: the pickle references builtins.print"),
        (b"\x80\x04\x95garbage", "bad pickle: not a readable pickle"),
        ("[0.1, 0.2", "text that is not a JSON list"),
        ('{"v": [1]}', "text that is not a JSON list"),
        ('["a", "b"]', "a JSON list that is not all numbers"),
        ("[0.5, 0.25, 1]", "JSON text with 3 values, not 384"),
        (b"\x01\x02\x03", "unrecognised bytes of 3 bytes"),
        (np.zeros(DIMENSIONS, dtype="<f4").tobytes(), "float32 bytes with NaN, infinite"),
        (np.full(DIMENSIONS, np.nan, dtype="<f8").tobytes(), "float64 bytes with NaN, infinite"),
    ],
)
def test_unreadable_embeddings_say_why(value: Any, why: str) -> None:
    floats, found = decode_embedding(value)
    assert floats is None
    assert found.startswith(why)


class _Encoded:
    def __reduce__(self) -> Any:
        return (_codecs.encode, ("text", "utf-8"))


def test_safe_pickle_refuses_what_is_not_a_float_array() -> None:
    with pytest.raises(UnsafePickleError, match="latin1 text only"):
        load_floats(pickle.dumps(_Encoded(), protocol=2))

    class WithPersistentIds(pickle.Pickler):
        def persistent_id(self, obj: Any) -> Any:
            return "outside" if obj == "x" else None

    buffer = io.BytesIO()
    WithPersistentIds(buffer).dump(["x"])
    with pytest.raises(UnsafePickleError, match="persistent ids"):
        load_floats(buffer.getvalue())
    with pytest.raises(ValueError, match="not a readable pickle"):
        load_floats(b"\x80\x05truncated")
    with pytest.raises(ValueError, match="a pickled list that is not all numbers"):
        load_floats(pickle.dumps([0.5, "a"]))
    with pytest.raises(ValueError, match="a pickled list that is not all numbers"):
        load_floats(pickle.dumps([True, 1.0]))
    with pytest.raises(ValueError, match="with shape"):
        load_floats(pickle.dumps(np.ones((2, 2))))
    with pytest.raises(ValueError, match="a pickled dict"):
        load_floats(pickle.dumps({"v": 1.0}))


# -- files -------------------------------------------------------------------------------


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        LegacyStore(tmp_path / "missing.db")
    text = tmp_path / "notes.db"
    text.write_text("these are my notes, not a database\n" * 200)
    with pytest.raises(ValueError, match="is not a SQLite database"):
        LegacyStore(text)


def test_odd_rows_of_a_thin_file(tmp_path: Path) -> None:
    """A file with an older, thinner memories table (no importance, no related ids), a
    row without id or creation time, and clusters without names; no other table."""
    path = tmp_path / "memory.db"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "create table memories (id text, content text, memory_type text,"
            " created_at text, last_accessed text, access_count)"
        )
        conn.execute(
            "insert into memories values (null, 'no id here', 'Business Fact',"
            " null, '2026-03-01T09:00:00+00:00', 'many')"
        )
        conn.execute(
            "insert into memories values ('m2', 'second', 'business_fact',"
            " '2026-03-02T09:00:00+00:00', null, 4)"
        )
        conn.execute("create table knowledge_clusters (id text, name text, memories text)")
        conn.execute("""insert into knowledge_clusters values ('c1', null, '["m2"]')""")
    conn.close()

    store = LegacyStore(path, batch_size=10)
    try:
        assert store.tables == {"memories", "knowledge_clusters"}
        assert store.count("learning_patterns") == 0
        assert store.count("memories") == 2
        batches = list(store.batches(reembed=True))
    finally:
        store.close()

    assert [b.kind for b in batches] == ["memories", "clusters", "cluster_members"]
    first, second = batches[0].rows
    assert first["legacy_id"] == "rowid:1"
    assert first["id"] is None
    assert first["memory_type"] == "business_fact"
    assert first["created_at"] == first["last_accessed"] == "2026-03-01T09:00:00+00:00"
    assert first["access_count"] == 0
    assert (first["importance"], first["confidence"], first["tags"]) == (3, 1.0, [])
    assert (second["legacy_id"], second["access_count"]) == ("m2", 4)
    assert batches[0].reembed == [0, 1]  # no embedding column: both are embedded again
    assert batches[1].rows[0]["name"] == "cluster c1"
    assert batches[2].rows == [{"cluster_id": "c1", "memory_id": "m2"}]

    notes = store.notes.for_table("memories")
    assert notes["id NULL: the row is known by its rowid"] == 1
    assert notes["created_at NULL: last_accessed or the import time used"] == 1
    assert notes["access_count not a number: read as 0"] == 1
    assert notes["column importance missing from the file: read as NULL"] == 1
    assert notes["embedding NULL"] == 2
    assert (
        store.notes.for_table("knowledge_clusters")["name NULL: the cluster is named by its id"]
        == 1
    )
    for table in ("learning_patterns", "user_preferences", "conversation_sessions"):
        assert store.notes.for_table(table) == {"table missing from the file: nothing to import": 1}


def test_a_file_without_memories(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table user_preferences (key text, value text)")
        conn.execute("insert into user_preferences values ('tone', 'short and plain')")
    conn.close()
    store = LegacyStore(path)
    try:
        batches = list(store.batches(reembed=False))
    finally:
        store.close()
    assert [b.kind for b in batches] == ["preferences"]
    assert batches[0].rows[0]["value"] == "short and plain"
    assert batches[0].rows[0]["source"] == "conversation"
    assert (
        store.notes.for_table("user_preferences")[
            "value: text that is not JSON kept as a JSON string"
        ]
        == 1
    )
