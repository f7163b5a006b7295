"""The key-value store's SQL API (pgcortex.store_*), as psql users call it: items by
(path, key), exact JSON, replace by key, value filters, prefix search, namespace
listing with wildcards, TTL with refresh and the sweeper, bad input refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Json, Jsonb

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def put(db: psycopg.Connection, path: list[str], key: str, value: Any, **kw: Any) -> Any:
    extra = "".join(f", {k} => %({k})s" for k in kw)
    return db.execute(
        "select * from pgcortex.store_put(path => %(path)s, key => %(key)s,"
        f" value => %(value)s{extra})",
        {"path": path, "key": key, "value": value if isinstance(value, str) else Json(value), **kw},
    ).fetchone()


def get(db: psycopg.Connection, path: list[str], key: str, **kw: Any) -> Any:
    extra = "".join(f", {k} => %({k})s" for k in kw)
    return db.execute(
        f"select %(path)s::text[], %(key)s, value::text, created_at, updated_at, expires_at"
        f" from pgcortex.store_get(path => %(path)s, key => %(key)s{extra})",
        {"path": path, "key": key, **kw},
    ).fetchone()


def search(db: psycopg.Connection, prefix: list[str], **kw: Any) -> list[tuple[Any, ...]]:
    args = {k: (Jsonb(v) if k == "filter" else v) for k, v in kw.items()}
    extra = "".join(f", {k} => %({k})s" for k in args)
    return db.execute(
        f"select path, key, score from pgcortex.store_search(path_prefix => %(prefix)s{extra})",
        {"prefix": prefix, **args},
    ).fetchall()


def keys(db: psycopg.Connection, prefix: list[str], **kw: Any) -> list[str]:
    return [r[1] for r in search(db, prefix, page_size=100, **kw)]


def namespaces(db: psycopg.Connection, **kw: Any) -> list[tuple[str, ...]]:
    extra = ", ".join(f"{k} => %({k})s" for k in kw)
    return [
        tuple(r[0])
        for r in db.execute(f"select path from pgcortex.store_list_namespaces({extra})", kw)
    ]


def test_put_get_replace_delete(db: psycopg.Connection) -> None:
    created, updated, expires = put(db, ["users", "alice"], "prefs", {"theme": "dark"}, as_of=T0)
    assert created == updated == T0
    assert expires is None
    row = get(db, ["users", "alice"], "prefs")
    assert row[0] == ["users", "alice"]
    assert row[1] == "prefs"
    assert json.loads(row[2]) == {"theme": "dark"}
    later = T0 + timedelta(seconds=5)
    created2, updated2, _ = put(db, ["users", "alice"], "prefs", {"lang": "fr"}, as_of=later)
    assert (created2, updated2) == (T0, later)  # replaced whole, created_at kept
    assert json.loads(get(db, ["users", "alice"], "prefs")[2]) == {"lang": "fr"}
    assert get(db, ["users", "bob"], "prefs") is None
    assert get(db, ["users"], "prefs") is None  # paths are exact, not prefixes
    assert db.execute(
        "select pgcortex.store_delete(path => '{users,alice}', key => 'prefs')"
    ).fetchone() == (True,)
    assert db.execute(
        "select pgcortex.store_delete(path => '{users,alice}', key => 'prefs')"
    ).fetchone() == (False,)
    assert get(db, ["users", "alice"], "prefs") is None


def test_same_content_under_two_keys_stays_two_items(db: psycopg.Connection) -> None:
    put(db, ["m"], "a", {"text": "the sky is blue"})
    put(db, ["m"], "b", {"text": "the sky is blue"})
    assert sorted(keys(db, ["m"])) == ["a", "b"]


def test_value_text_round_trips_exactly(db: psycopg.Connection) -> None:
    text = '{"z": 1.0, "a": [1e300, 5e-324, 12345678901234567890], "nul": "x\\u0000y", "e": "🦀"}'
    put(db, ["j"], "k", text)
    assert get(db, ["j"], "k")[2] == text
    # filters read the jsonb copy (\u0000 read as U+FFFD there)
    assert keys(db, ["j"], filter={"z": 1}) == ["k"]


def test_filters_compare_numbers_as_numbers(db: psycopg.Connection) -> None:
    for key, age in [("a", 7), ("b", 25), ("c", 100), ("d", 7.5)]:
        put(db, ["p"], key, {"age": age, "name": key})
    put(db, ["p"], "s", {"age": "25", "name": "s"})
    assert sorted(keys(db, ["p"], filter={"age": {"$gt": 7}})) == ["b", "c", "d"]
    assert sorted(keys(db, ["p"], filter={"age": {"$gte": 7.5}})) == ["b", "c", "d"]
    assert sorted(keys(db, ["p"], filter={"age": {"$lt": 25}})) == ["a", "d"]
    assert sorted(keys(db, ["p"], filter={"age": {"$lte": 25, "$gt": 7}})) == ["b", "d"]
    assert sorted(keys(db, ["p"], filter={"age": {"$eq": 25}})) == ["b"]
    assert sorted(keys(db, ["p"], filter={"age": 25})) == ["b"]
    assert sorted(keys(db, ["p"], filter={"age": "25"})) == ["s"]
    assert sorted(keys(db, ["p"], filter={"age": {"$ne": 25}})) == ["a", "c", "d", "s"]
    # strings compare as strings; a string never orders against a number
    assert sorted(keys(db, ["p"], filter={"name": {"$gte": "c"}})) == ["c", "d", "s"]
    assert keys(db, ["p"], filter={"age": {"$gt": "1"}}) == ["s"]


def test_filters_on_missing_nested_and_array_fields(db: psycopg.Connection) -> None:
    put(db, ["f"], "a", {"meta": {"lang": "en", "n": 2}, "tags": ["x", "y"], "ok": True})
    put(db, ["f"], "b", {"meta": {"lang": "fr", "n": 3}, "tags": ["x"]})
    assert keys(db, ["f"], filter={"meta": {"lang": "en"}}) == ["a"]
    assert keys(db, ["f"], filter={"meta": {"n": {"$gt": 2}}}) == ["b"]
    assert keys(db, ["f"], filter={"tags": ["x"]}) == ["b"]  # arrays: equal, not contained
    assert keys(db, ["f"], filter={"ok": True}) == ["a"]
    assert keys(db, ["f"], filter={"ok": {"$ne": True}}) == ["b"]  # missing is not equal
    assert keys(db, ["f"], filter={"missing": {"$gt": 0}}) == []
    assert sorted(keys(db, ["f"], filter={})) == ["a", "b"]


def test_search_scopes_by_whole_labels(db: psycopg.Connection) -> None:
    for path in [
        ["foo"],
        ["foo", "child"],
        ["foo", "child", "deep"],
        ["foobar"],
        ["foo2"],
        ["user_1"],
        ["userX1"],
        ["a%b"],
        ["axxb"],
        ["a.b"],
        ["users", "alice\n"],
    ]:
        put(db, path, "k", {"v": 1})

    def paths(prefix: list[str]) -> set[tuple[str, ...]]:
        return {tuple(r[0]) for r in search(db, prefix, page_size=100)}

    assert paths(["foo"]) == {("foo",), ("foo", "child"), ("foo", "child", "deep")}
    assert paths(["foo", "child"]) == {("foo", "child"), ("foo", "child", "deep")}
    assert paths(["fo"]) == set()
    assert paths(["user_1"]) == {("user_1",)}
    assert paths(["a%b"]) == {("a%b",)}
    assert paths(["a.b"]) == {("a.b",)}
    assert paths(["users", "alice"]) == set()
    assert len(paths([])) == 11


def test_search_pages_newest_first(db: psycopg.Connection) -> None:
    for i in range(5):
        put(db, ["n"], f"k{i}", {"i": i}, as_of=T0 + timedelta(seconds=i))
    assert [r[1] for r in search(db, ["n"], page_size=2)] == ["k4", "k3"]
    assert [r[1] for r in search(db, ["n"], page_size=2, page_offset=2)] == ["k2", "k1"]
    assert [r[1] for r in search(db, ["n"], page_size=2, page_offset=4)] == ["k0"]
    assert all(r[2] is None for r in search(db, ["n"]))


def test_query_text_ranks_full_text_matches_first(db: psycopg.Connection) -> None:
    put(db, ["q"], "tea", {"text": "Alice drinks green tea every morning"}, as_of=T0)
    put(db, ["q"], "car", {"text": "Bob drives a red car"}, as_of=T0 + timedelta(seconds=1))
    rows = search(db, ["q"], query="green tea")
    assert [r[1] for r in rows] == ["tea", "car"]
    assert rows[0][2] > 0
    assert rows[1][2] is None


def test_list_namespaces(db: psycopg.Connection) -> None:
    for path in [
        ["a", "b", "c"],
        ["a", "b", "d", "e"],
        ["a", "b", "d", "i"],
        ["a", "b", "f"],
        ["a", "c", "f"],
        ["b", "a", "f"],
        ["users", "123"],
        ["uid", "users", "alice"],
        ["uid", "users", "malice"],
        ["users", "alice\n"],
    ]:
        put(db, path, "k", {"v": 1})
    assert namespaces(db, prefix=["a", "b"]) == [
        ("a", "b", "c"),
        ("a", "b", "d", "e"),
        ("a", "b", "d", "i"),
        ("a", "b", "f"),
    ]
    assert namespaces(db, suffix=["f"]) == [("a", "b", "f"), ("a", "c", "f"), ("b", "a", "f")]
    assert namespaces(db, prefix=["a"], suffix=["f"]) == [("a", "b", "f"), ("a", "c", "f")]
    assert namespaces(db, prefix=["a", "*", "f"]) == [("a", "b", "f"), ("a", "c", "f")]
    assert namespaces(db, suffix=["*", "f"]) == [("a", "b", "f"), ("a", "c", "f"), ("b", "a", "f")]
    assert namespaces(db, suffix=["alice"]) == [("uid", "users", "alice")]
    assert namespaces(db, prefix=["a", "b"], max_depth=3) == [
        ("a", "b", "c"),
        ("a", "b", "d"),
        ("a", "b", "f"),
    ]
    assert namespaces(db, max_depth=1) == [("a",), ("b",), ("uid",), ("users",)]
    assert namespaces(db, prefix=["a", "b"], page_size=2) == [("a", "b", "c"), ("a", "b", "d", "e")]
    assert namespaces(db, prefix=["a", "b"], page_offset=2) == [
        ("a", "b", "d", "i"),
        ("a", "b", "f"),
    ]
    assert namespaces(db, prefix=["nope"]) == []
    assert len(namespaces(db)) == 10


def test_ttl_expiry_refresh_omit_and_sweep(db: psycopg.Connection) -> None:
    put(db, ["t"], "short", {"v": 1}, ttl_minutes=0.1, as_of=T0)  # six seconds
    put(db, ["t"], "forever", {"v": 2}, as_of=T0)
    assert get(db, ["t"], "short", as_of=T0)[5] == T0 + timedelta(seconds=6)
    # a refreshing read at +4 s moves the expiry to +10 s; a plain read does not
    t4 = T0 + timedelta(seconds=4)
    assert get(db, ["t"], "short", as_of=t4)[5] == T0 + timedelta(seconds=10)
    assert get(db, ["t"], "short", refresh_ttl=False, as_of=T0 + timedelta(seconds=8))[5] == (
        T0 + timedelta(seconds=10)
    )
    # searching refreshes what it returns
    t9 = T0 + timedelta(seconds=9)
    assert sorted(keys(db, ["t"], as_of=t9)) == ["forever", "short"]
    assert get(db, ["t"], "short", refresh_ttl=False)[5] == t9 + timedelta(seconds=6)
    # past expiry, unswept: returned by default, omitted (and not refreshed) when asked
    late = t9 + timedelta(seconds=7)
    assert get(db, ["t"], "short", refresh_ttl=False, as_of=late) is not None
    assert get(db, ["t"], "short", omit_expired=True, as_of=late) is None
    assert get(db, ["t"], "short", refresh_ttl=False)[5] == t9 + timedelta(seconds=6)
    assert keys(db, ["t"], omit_expired=True, as_of=late) == ["forever"]
    put(db, ["gone"], "x", {"v": 3}, ttl_minutes=0.1, as_of=T0)
    assert ("gone",) in namespaces(db, as_of=late)
    assert ("gone",) not in namespaces(db, omit_expired=True, as_of=late)
    # the sweeper deletes what expired, nothing else
    assert db.execute(
        "select items_deleted from pgcortex.maint_store_sweep(as_of => %s)", (late,)
    ).fetchone() == (2,)
    assert get(db, ["t"], "short") is None
    assert get(db, ["t"], "forever") is not None
    # a put without ttl clears it
    put(db, ["t"], "forever", {"v": 2}, ttl_minutes=1, as_of=T0)
    assert put(db, ["t"], "forever", {"v": 2})[2] is None


def test_namespaces_are_tenants(db: psycopg.Connection) -> None:
    put(db, ["shared"], "k", {"owner": "test"})
    db.execute("set pgcortex.namespace = 'other'")
    assert get(db, ["shared"], "k") is None
    assert keys(db, []) == []
    assert namespaces(db) == []
    put(db, ["shared"], "k", {"owner": "other"})
    db.execute("set pgcortex.namespace = 'test'")
    assert json.loads(get(db, ["shared"], "k")[2]) == {"owner": "test"}


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        ("select * from pgcortex.store_put(path => '{}', key => 'k', value => '{}')", "PC003"),
        (
            "select * from pgcortex.store_put(path => '{a,\"\"}', key => 'k', value => '{}')",
            "PC003",
        ),
        ("select * from pgcortex.store_put(path => null, key => 'k', value => '{}')", "PC003"),
        ("select * from pgcortex.store_put(path => '{a}', key => null, value => '{}')", "PC003"),
        ("select * from pgcortex.store_put(path => '{a}', key => 'k', value => '[1]')", "PC023"),
        ("select * from pgcortex.store_put(path => '{a}', key => 'k', value => null)", "PC023"),
        (
            "select * from pgcortex.store_put(path => '{a}', key => 'k', value => '{}',"
            " ttl_minutes => 0)",
            "PC004",
        ),
        (
            "select * from pgcortex.store_put(path => '{a}', key => 'k', value => '{}',"
            " ttl_minutes => 'nan')",
            "PC004",
        ),
        ("select * from pgcortex.store_search(filter => '[1]')", "PC003"),
        ('select * from pgcortex.store_search(filter => \'{"a": {"$in": [1]}}\')', "PC003"),
        ('select * from pgcortex.store_search(filter => \'{"a": {"b": {"$like": 1}}}\')', "PC003"),
        ("select * from pgcortex.store_search(page_size => -1)", "PC004"),
        ("select * from pgcortex.store_search(page_offset => -1)", "PC004"),
        ("select * from pgcortex.store_list_namespaces(max_depth => 0)", "PC004"),
        ("select * from pgcortex.store_list_namespaces(prefix => '{a,\"\"}')", "PC003"),
        ("select * from pgcortex.store_get(path => '{}', key => 'k')", "PC003"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    db: psycopg.Connection, sql: str, code: str
) -> None:
    with pytest.raises(psycopg.Error) as info:
        db.execute(sql)
    assert info.value.sqlstate == code
    assert db.execute("select count(*) from pgcortex.store_items").fetchone() == (0,)
