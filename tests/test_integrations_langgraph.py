"""AsyncPgcortexStore: LangGraph's store behaviour (the in-memory and Postgres stores'
test suites define it) over the pgcortex key-value store, through LangGraph's own
operation types and base classes, on a real database."""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import psycopg
import pytest

pytest.importorskip("langgraph.store.base")

from langgraph.store.base import (
    BaseStore,
    GetOp,
    InvalidNamespaceError,
    Item,
    ListNamespacesOp,
    MatchCondition,
    PutOp,
    SearchItem,
    SearchOp,
)

import pgcortex
from pgcortex import errors
from pgcortex.integrations.langgraph import AsyncPgcortexStore

TTL = {"default_ttl": None, "refresh_on_read": True}
EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "langgraph_memory.py"


@pytest.fixture
async def store(client: pgcortex.Client) -> AsyncIterator[AsyncPgcortexStore]:
    s = AsyncPgcortexStore(client, ttl=dict(TTL))  # type: ignore[arg-type]
    yield s
    await s.close()


def expire_now(
    db: psycopg.Connection, path: tuple[str, ...], key: str, seconds_ago: float = 60
) -> None:
    """Move an item's expiry into the past without sweeping it."""
    db.execute(
        "update pgcortex.store_items set expires_at = now() - make_interval(secs => %s)"
        " where namespace = 'test' and path = %s and key = %s",
        (seconds_ago, list(path), key),
    )


def expiry(db: psycopg.Connection, path: tuple[str, ...], key: str) -> datetime:
    row = db.execute(
        "select expires_at from pgcortex.store_items"
        " where namespace = 'test' and path = %s and key = %s",
        (list(path), key),
    ).fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]


# -- the store's shape ---------------------------------------------------------------------


async def test_it_is_a_langgraph_store(store: AsyncPgcortexStore) -> None:
    assert isinstance(store, BaseStore)
    assert store.supports_ttl
    assert store.index_config is None


async def test_basic_operations(store: AsyncPgcortexStore) -> None:
    ns = ("test", "documents")
    value = {"title": "Test Document", "content": "Hello, World!"}
    await store.aput(ns, "doc1", value)
    item = await store.aget(ns, "doc1")
    assert isinstance(item, Item)
    assert (item.namespace, item.key, item.value) == (ns, "doc1", value)
    assert item.created_at == item.updated_at
    await asyncio.sleep(0.01)
    await store.aput(ns, "doc1", {"title": "Updated"})
    updated = await store.aget(ns, "doc1")
    assert updated is not None
    assert updated.value == {"title": "Updated"}  # replaced whole, not merged
    assert updated.updated_at > item.updated_at
    assert updated.created_at == item.created_at
    assert await store.aget(("test", "other"), "doc1") is None
    assert await store.aget(("test",), "doc1") is None
    await store.adelete(ns, "doc1")
    assert await store.aget(ns, "doc1") is None
    await store.adelete(ns, "doc1")  # deleting what is not there is fine


async def test_put_none_deletes_and_same_content_keeps_both_keys(store: AsyncPgcortexStore) -> None:
    await store.abatch([PutOp(("m",), "a", {"t": "same"}), PutOp(("m",), "b", {"t": "same"})])
    assert sorted(i.key for i in await store.asearch(("m",))) == ["a", "b"]
    await store.abatch([PutOp(("m",), "a", None)])
    assert [i.key for i in await store.asearch(("m",))] == ["b"]


async def test_values_round_trip_exactly(store: AsyncPgcortexStore) -> None:
    value: dict[str, Any] = {
        "z": 1.0,
        "a": [1e300, 5e-324, 12345678901234567890, None, True],
        "nested": {"y": {"x": '🦀 \u0000 " \\'}},
        "中文": "これは日本語です",
    }
    await store.aput(("j",), "k", value)
    item = await store.aget(("j",), "k")
    assert item is not None
    assert json.dumps(item.value) == json.dumps(value)  # key order, numbers, text
    assert isinstance(item.value["z"], float)
    [hit] = await store.asearch(("j",))
    assert json.dumps(hit.value) == json.dumps(value)


async def test_keys_are_strings(store: AsyncPgcortexStore) -> None:
    await store.aput(("k",), 42, {"v": 1})  # type: ignore[arg-type]
    item = await store.aget(("k",), "42")
    assert item is not None
    assert item.key == "42"


# -- namespaces ----------------------------------------------------------------------


async def test_invalid_namespaces_are_refused(store: AsyncPgcortexStore) -> None:
    doc = {"foo": "bar"}
    for ns in [(), ("the", "thing.about"), ("some", "fun", ""), ("langgraph", "foo")]:
        with pytest.raises(InvalidNamespaceError):
            await store.aput(ns, "foo", doc)
    # "langgraph" is refused as the root label only, and by the public put only
    await store.aput(("foo", "langgraph", "foo"), "bar", doc)
    assert (await store.asearch(("foo", "langgraph", "foo"), query="bar"))[0].value == doc
    await store.abatch([PutOp(("langgraph", "foo"), "bar", doc)])
    got = await store.aget(("langgraph", "foo"), "bar")
    assert got is not None
    assert got.value == doc
    await store.adelete(("langgraph", "foo"), "bar")
    assert await store.aget(("langgraph", "foo"), "bar") is None
    # the database refuses what the base class lets through
    with pytest.raises(errors.PgcortexError) as info:
        await store.abatch([PutOp(("a", ""), "k", doc)])
    assert info.value.code == "PC003"


async def put_all(store: AsyncPgcortexStore, namespaces: list[tuple[str, ...]]) -> None:
    for i, ns in enumerate(namespaces):
        await store.aput(ns, f"id_{i}", {"data": f"value_{i:02d}"})


async def test_list_namespaces_prefix_suffix_depth_paging(store: AsyncPgcortexStore) -> None:
    await put_all(
        store,
        [
            ("a", "b", "c"),
            ("a", "b", "d", "e"),
            ("a", "b", "d", "i"),
            ("a", "b", "f"),
            ("a", "c", "f"),
            ("b", "a", "f"),
            ("users", "123"),
            ("users", "456", "settings"),
            ("admin", "users", "789"),
        ],
    )
    ls = store.alist_namespaces
    assert await ls(prefix=("a", "b")) == [
        ("a", "b", "c"),
        ("a", "b", "d", "e"),
        ("a", "b", "d", "i"),
        ("a", "b", "f"),
    ]
    assert await ls(suffix=("f",)) == [("a", "b", "f"), ("a", "c", "f"), ("b", "a", "f")]
    assert await ls(prefix=("a",), suffix=("f",)) == [("a", "b", "f"), ("a", "c", "f")]
    assert await ls(prefix=("a", "b"), max_depth=3) == [
        ("a", "b", "c"),
        ("a", "b", "d"),
        ("a", "b", "f"),
    ]
    assert await ls(prefix=("a", "b"), limit=2) == [("a", "b", "c"), ("a", "b", "d", "e")]
    assert await ls(prefix=("a", "b"), offset=2) == [("a", "b", "d", "i"), ("a", "b", "f")]
    assert await ls(prefix=("a", "*", "f")) == [("a", "b", "f"), ("a", "c", "f")]
    assert await ls(suffix=("*", "f")) == [("a", "b", "f"), ("a", "c", "f"), ("b", "a", "f")]
    assert await ls(prefix=("nonexistent",)) == []
    assert await ls(prefix=("users", "123")) == [("users", "123")]
    assert await ls(max_depth=2) == [
        ("a", "b"),
        ("a", "c"),
        ("admin", "users"),
        ("b", "a"),
        ("users", "123"),
        ("users", "456"),
    ]
    assert len(await ls()) == 9
    assert len(await ls(limit=3)) == 3


async def test_list_namespaces_wildcards(store: AsyncPgcortexStore) -> None:
    await put_all(
        store,
        [
            ("users", "123"),
            ("users", "456"),
            ("users", "789", "settings"),
            ("admin", "users", "789"),
            ("guests", "123"),
            ("guests", "456", "preferences"),
        ],
    )
    assert await store.alist_namespaces(prefix=("users", "*")) == [
        ("users", "123"),
        ("users", "456"),
        ("users", "789", "settings"),
    ]
    assert await store.alist_namespaces(suffix=("*", "preferences")) == [
        ("guests", "456", "preferences")
    ]
    assert await store.alist_namespaces(prefix=("*", "users"), suffix=("*", "settings")) == []
    await store.aput(("admin", "users", "settings", "789"), "foo", {"data": "x"})
    assert await store.alist_namespaces(prefix=("*", "users"), suffix=("*", "789")) == [
        ("admin", "users", "789"),
        ("admin", "users", "settings", "789"),
    ]


async def test_list_namespaces_pagination_and_empty(store: AsyncPgcortexStore) -> None:
    assert await store.alist_namespaces() == []
    for i in range(20):
        await store.aput(("namespace", f"sub_{i:02d}"), f"id_{i:02d}", {"i": i})
    for offset in (0, 5, 15):
        assert await store.alist_namespaces(prefix=("namespace",), limit=5, offset=offset) == [
            ("namespace", f"sub_{i:02d}") for i in range(offset, offset + 5)
        ]


async def test_list_namespaces_max_depth_and_no_conditions(store: AsyncPgcortexStore) -> None:
    await put_all(
        store,
        [
            ("a", "b", "c", "d"),
            ("a", "b", "c", "e"),
            ("a", "b", "f"),
            ("a", "g"),
            ("h", "i", "j", "k"),
        ],
    )
    assert await store.alist_namespaces(max_depth=2) == [("a", "b"), ("a", "g"), ("h", "i")]
    assert len(await store.alist_namespaces()) == 5


async def test_namespace_labels_match_whole(store: AsyncPgcortexStore) -> None:
    await put_all(
        store,
        [
            ("foo",),
            ("foo", "child"),
            ("foobar",),
            ("foobar", "baz"),
            ("uid", "users", "alice"),
            ("uid", "users", "malice"),
            ("uid", "a", "b", "alice"),
            ("users", "alice"),
            ("users", "alice\n"),
        ],
    )
    ls = store.alist_namespaces
    assert await ls(prefix=["foo"]) == [("foo",), ("foo", "child")]  # type: ignore[arg-type]
    assert await ls(suffix=["alice"]) == [  # type: ignore[arg-type]
        ("uid", "a", "b", "alice"),
        ("uid", "users", "alice"),
        ("users", "alice"),
    ]
    assert await ls(prefix=["uid", "*", "alice"]) == [("uid", "users", "alice")]  # type: ignore[arg-type]
    assert len(await ls(prefix=["uid"])) == 3  # type: ignore[arg-type]
    assert await ls(prefix=["users", "alice"]) == [("users", "alice")]  # type: ignore[arg-type]


# -- search --------------------------------------------------------------------------


async def test_search_scope_filters_and_pages(store: AsyncPgcortexStore) -> None:
    data = [
        (
            ("test", "docs"),
            "doc1",
            {"title": "First Doc", "author": "Alice", "tags": ["important"]},
        ),
        (("test", "docs"), "doc2", {"title": "Second Doc", "author": "Bob", "tags": ["draft"]}),
        (("test", "images"), "img1", {"title": "Image 1", "author": "Alice", "tags": ["final"]}),
    ]
    for ns, key, value in data:
        await store.aput(ns, key, value)
    assert len(await store.asearch(("test",))) == 3
    docs = await store.asearch(("test", "docs"))
    assert {i.namespace for i in docs} == {("test", "docs")}
    assert len(docs) == 2
    alice = await store.asearch(("test",), filter={"author": "Alice"})
    assert sorted(i.key for i in alice) == ["doc1", "img1"]
    assert all(isinstance(i, SearchItem) and i.score is None for i in alice)
    assert len(await store.asearch(("test",), limit=2)) == 2
    assert len(await store.asearch(("test",), offset=2)) == 1
    # newest first
    assert [i.key for i in await store.asearch(("test",))] == ["img1", "doc2", "doc1"]


async def test_search_prefix_stops_at_label_boundaries(store: AsyncPgcortexStore) -> None:
    for ns in [
        ("foo",),
        ("foo", "child"),
        ("foo", "child", "deep"),
        ("foobar",),
        ("foobar", "baz"),
        ("foo2",),
        ("user_1",),
        ("user_1", "child"),
        ("userX1",),
        ("a%b",),
        ("axxb",),
    ]:
        await store.aput(ns, "k", {"v": 1})

    async def found(prefix: tuple[str, ...]) -> set[tuple[str, ...]]:
        return {i.namespace for i in await store.asearch(prefix, limit=100)}

    assert await found(("foo",)) == {("foo",), ("foo", "child"), ("foo", "child", "deep")}
    assert await found(("foobar",)) == {("foobar",), ("foobar", "baz")}
    assert await found(("foo", "child")) == {("foo", "child"), ("foo", "child", "deep")}
    assert await found(("foo2",)) == {("foo2",)}
    assert await found(("fo",)) == set()
    assert await found(("user_1",)) == {("user_1",), ("user_1", "child")}
    assert await found(("a%b",)) == {("a%b",)}
    assert len(await found(())) == 11


async def test_filter_operators_compare_numbers_as_numbers(store: AsyncPgcortexStore) -> None:
    for key, age in [("a", 7), ("b", 25), ("c", 100), ("d", 3.5)]:
        await store.aput(("people",), key, {"age": age, "color": "red" if key < "c" else "blue"})

    async def keys(flt: dict[str, Any]) -> list[str]:
        return sorted(i.key for i in await store.asearch(("people",), filter=flt))

    assert await keys({"age": {"$gt": 7}}) == ["b", "c"]  # 25 > 7, 100 > 7: as numbers
    assert await keys({"age": {"$gte": 7}}) == ["a", "b", "c"]
    assert await keys({"age": {"$lt": 25}}) == ["a", "d"]
    assert await keys({"age": {"$lte": 25}}) == ["a", "b", "d"]
    assert await keys({"age": {"$eq": 25}}) == ["b"]
    assert await keys({"age": {"$ne": 25}}) == ["a", "c", "d"]
    assert await keys({"age": {"$gt": 5, "$lt": 50}}) == ["a", "b"]
    assert await keys({"age": {"$gte": 3.2}, "color": "red"}) == ["a", "b"]
    with pytest.raises(errors.PgcortexError) as info:
        await keys({"age": {"$in": [1]}})
    assert info.value.code == "PC003"


async def test_query_without_an_index_ranks_full_text_matches_first(
    store: AsyncPgcortexStore,
) -> None:
    await store.aput(("q",), "tea", {"text": "Alice drinks green tea every morning"})
    await store.aput(("q",), "car", {"text": "Bob drives a red car"})
    hits = await store.asearch(("q",), query="green tea")
    assert [h.key for h in hits] == ["tea", "car"]
    assert hits[0].score is not None
    assert hits[0].score > 0
    assert hits[1].score is None


# -- batches -----------------------------------------------------------------------------


async def test_abatch_results_follow_the_order_of_ops(store: AsyncPgcortexStore) -> None:
    await store.aput(("test", "foo"), "key1", {"data": "value1"})
    await store.aput(("test", "bar"), "key2", {"data": "value2"})
    results = await store.abatch(
        [
            GetOp(("test", "foo"), "key1"),
            PutOp(("test", "bar"), "key2", {"data": "value2"}),
            SearchOp(("test",), filter={"data": "value1"}, limit=10, offset=0),
            ListNamespacesOp(match_conditions=None, max_depth=None, limit=10, offset=0),
            GetOp(("test",), "key3"),
        ]
    )
    assert len(results) == 5
    first = results[0]
    assert isinstance(first, Item)
    assert first.value == {"data": "value1"}
    assert first.key == "key1"
    assert results[1] is None
    assert isinstance(results[2], list)
    assert len(results[2]) == 1
    assert results[3] == [("test", "bar"), ("test", "foo")]
    assert results[4] is None
    results = await store.abatch(
        [
            SearchOp(("test",), filter=None, limit=5, offset=0),
            GetOp(("test", "bar"), "key2"),
            ListNamespacesOp(
                match_conditions=(MatchCondition("prefix", ("test",)),),
                max_depth=None,
                limit=5,
                offset=0,
            ),
            PutOp(("test",), "key3", {"data": "value3"}),
            GetOp(("test",), "key3"),  # sees the put before it: ops run in order
        ]
    )
    assert isinstance(results[0], list)
    assert len(results[0]) == 2
    assert isinstance(results[1], Item)
    assert results[1].value == {"data": "value2"}
    assert isinstance(results[2], list)
    assert ("test", "foo") in results[2]
    assert results[3] is None
    assert isinstance(results[4], Item)
    assert results[4].value == {"data": "value3"}


async def test_batch_get_put_search_list(store: AsyncPgcortexStore) -> None:
    assert await store.abatch(
        [
            PutOp(("test",), "key1", {"data": "value1"}),
            PutOp(("test",), "key2", {"data": "value2"}),
            PutOp(("test",), "key3", None),
        ]
    ) == [None, None, None]
    assert len(await store.asearch(("test",), limit=10)) == 2
    got = await store.abatch(
        [GetOp(("test",), "key1"), GetOp(("test",), "key2"), GetOp(("test",), "key3")]
    )
    assert [g.key if isinstance(g, Item) else g for g in got] == ["key1", "key2", None]
    found = await store.abatch(
        [
            SearchOp(("test",), filter={"data": "value1"}, limit=10, offset=0),
            SearchOp(("test",), filter=None, limit=5, offset=0),
        ]
    )
    assert [len(f) for f in found] == [1, 2]  # type: ignore[arg-type]


async def test_a_failing_batch_changes_nothing(store: AsyncPgcortexStore) -> None:
    with pytest.raises(errors.PgcortexError):
        await store.abatch(
            [PutOp(("t",), "good", {"v": 1}), PutOp(("t",), "bad", {"v": 1}, ttl=-1)]
        )
    assert await store.aget(("t",), "good") is None


async def test_concurrent_calls_are_batched_last_put_wins(store: AsyncPgcortexStore) -> None:
    await asyncio.gather(
        store.aput(("test",), "same", {"value": "same"}),
        store.aput(("test",), "different", {"value": "different"}),
    )
    same1, same2, diff = await asyncio.gather(
        store.aget(("test",), "same"),
        store.aget(("test",), "same"),
        store.aget(("test",), "different"),
    )
    assert same1 == same2
    assert same1 != diff
    assert same1 is not None
    assert same1.value == {"value": "same"}
    await asyncio.gather(
        store.aput(("test",), "key", {"value": 1}), store.aput(("test",), "key", {"value": 2})
    )
    last = await store.aget(("test",), "key")
    assert last is not None
    assert last.value == {"value": 2}
    r1, r2 = await asyncio.gather(
        store.asearch(("test",), filter={"value": 2}), store.asearch(("test",), filter={"value": 2})
    )
    assert r1 == r2
    assert [i.key for i in r1] == ["key"]


async def test_many_concurrent_operations(store: AsyncPgcortexStore) -> None:
    coros = []
    for m in range(3):
        for i in range(50):
            ns = ("test", "foo", "bar", "baz", str(m % 2))
            coros += [
                store.aput(ns, f"key{i}", {"foo": f"bar{i}"}),
                store.aget(ns, f"key{i}"),
                store.alist_namespaces(prefix=None, max_depth=m + 1),
                store.asearch(("test",)),
                store.aput(ns, f"key{i}", {"foo": f"bar{i}"}),
                store.adelete(ns, f"key{i}"),
            ]
    results = await asyncio.gather(*coros)
    assert len(results) == 3 * 50 * 6
    assert await store.asearch(("test",)) == []


async def test_a_cancelled_call_leaves_the_store_working(store: AsyncPgcortexStore) -> None:
    await store.aput(("c",), "k", {"v": 1})
    task = asyncio.create_task(store.aget(("c",), "k"))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    item = await store.aget(("c",), "k")
    assert item is not None
    assert item.value == {"v": 1}


async def test_the_batching_task_recovers_from_cancellation(store: AsyncPgcortexStore) -> None:
    await store.aput(("r",), "a", {"v": 1})
    original = store._task
    assert original is not None
    original.cancel()
    await asyncio.sleep(0.01)
    assert original.cancelled()
    [hit] = await store.asearch(("r",))
    assert hit.value == {"v": 1}
    assert store._task is not None
    assert store._task is not original
    await store.aput(("r",), "b", {"v": 2})
    got = await store.aget(("r",), "b")
    assert got is not None
    assert got.value == {"v": 2}


async def test_concurrent_calls_share_one_batch_and_one_connection(
    store: AsyncPgcortexStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.aput(("b",), "x", {"v": 1})
    batches: list[list[Any]] = []
    checkouts = 0
    pool_class = type(store.client.pool)
    real_abatch, real_acquire = store.abatch, pool_class.acquire

    async def counting_abatch(ops: Any) -> Any:
        batches.append(list(ops))
        return await real_abatch(ops)

    def counting_acquire(pool: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal checkouts
        checkouts += 1
        return real_acquire(pool, *args, **kwargs)

    monkeypatch.setattr(store, "abatch", counting_abatch)
    monkeypatch.setattr(pool_class, "acquire", counting_acquire)
    results = await asyncio.gather(
        store.aget(("b",), "x"), store.aget(("b",), "y"), store.alist_namespaces()
    )
    assert [type(r).__name__ for r in results] == ["Item", "NoneType", "list"]
    assert len(batches) == 1
    assert batches[0] == [
        GetOp(("b",), "x"),
        GetOp(("b",), "y"),
        ListNamespacesOp(match_conditions=(), limit=100),
    ]
    assert checkouts == 1


# -- the synchronous methods -------------------------------------------------------------------


async def test_sync_methods_refuse_the_event_loop_and_work_from_threads(
    store: AsyncPgcortexStore,
) -> None:
    ns = ("foo", "bar")
    for call in (
        lambda: store.put(ns, "baz", {"val": "baz"}),
        lambda: store.get(ns, "baz"),
        lambda: store.delete(ns, "baz"),
        lambda: store.search(ns),
        lambda: store.list_namespaces(prefix=("foo",)),
        lambda: store.batch([PutOp(ns, "baz", {"val": "baz"})]),
    ):
        with pytest.raises(asyncio.InvalidStateError):
            call()
    with ThreadPoolExecutor(max_workers=4) as pool:

        def run(f: Any, *a: Any, **k: Any) -> Any:
            return asyncio.wrap_future(pool.submit(f, *a, **k))

        assert await run(store.put, ns, "baz", {"val": "baz"}) is None
        item = await run(store.get, ns, "baz")
        assert item.value == {"val": "baz"}
        assert [i.key for i in await run(store.search, ("foo",))] == ["baz"]
        assert await run(store.list_namespaces, prefix=("foo",)) == [ns]
        assert await run(store.batch, [GetOp(ns, "baz")]) == [item]
        await run(store.delete, ns, "baz")
        assert await run(store.get, ns, "baz") is None
        futures = [run(store.put, ns, f"k{i}", {"i": i}) for i in range(40)]
        await asyncio.gather(*futures)
    assert len(await store.asearch(ns, limit=100)) == 40


# -- TTL --------------------------------------------------------------------------------------


async def test_ttl_refreshes_on_read_and_the_sweeper_deletes(client: pgcortex.Client) -> None:
    # 0.05 minutes = 3 s: fractional minutes, as LangGraph's own tests use
    ttl = {"default_ttl": 0.05, "refresh_on_read": True, "sweep_interval_minutes": 0.01}
    async with AsyncPgcortexStore(client, ttl=ttl) as store:  # type: ignore[arg-type]
        await store.start_ttl_sweeper()
        ns = ("foo",)
        await store.aput(ns, "item1", {"foo": "bar"})  # default_ttl applies
        await store.aput(ns, "forever", {"foo": "baz"}, ttl=None)
        await asyncio.sleep(2)
        assert await store.aget(ns, "item1", refresh_ttl=True) is not None
        await asyncio.sleep(2)  # 4 s after the put, 2 s after the refresh
        assert len(await store.asearch(ns, query="foo", refresh_ttl=True)) == 2
        await asyncio.sleep(2)
        assert await store.aget(ns, "item1", refresh_ttl=False) is not None
        await asyncio.sleep(2.5)  # 4.5 s after the last refresh: expired and swept
        assert [i.key for i in await store.asearch(ns, refresh_ttl=False)] == ["forever"]
        assert await store.stop_ttl_sweeper(timeout=5)
    assert store._sweeper is None


async def test_ttl_without_refresh_on_read(client: pgcortex.Client, db: psycopg.Connection) -> None:
    store = AsyncPgcortexStore(client, ttl={"default_ttl": 10, "refresh_on_read": False})
    await store.aput(("t",), "k", {"v": 1})
    before = expiry(db, ("t",), "k")
    assert timedelta(minutes=9) < before - datetime.now(UTC) <= timedelta(minutes=10)
    await asyncio.sleep(0.05)
    await store.aget(("t",), "k")
    await store.asearch(("t",))
    assert expiry(db, ("t",), "k") == before
    await store.aget(("t",), "k", refresh_ttl=True)
    assert expiry(db, ("t",), "k") > before
    await store.aput(("t",), "k", {"v": 2}, ttl=0.5)
    assert expiry(db, ("t",), "k") - datetime.now(UTC) <= timedelta(seconds=30)
    assert await store.sweep_ttl() == 0


async def test_omit_expired_hides_unswept_items(
    client: pgcortex.Client, db: psycopg.Connection
) -> None:
    store = AsyncPgcortexStore(client, ttl={"omit_expired": True})
    expired_ns, control_ns = ("omit", "expired"), ("omit", "control")
    await store.aput(expired_ns, "e", {"data": "gone"}, ttl=1)
    await store.aput(control_ns, "c", {"data": "keep"}, ttl=None)
    expire_now(db, expired_ns, "e")
    assert await store.aget(expired_ns, "e") is None
    assert await store.aget(control_ns, "c") is not None
    assert await store.asearch(expired_ns) == []
    assert [i.key for i in await store.asearch(control_ns)] == ["c"]
    assert await store.alist_namespaces(prefix=("omit",)) == [control_ns]
    assert await store.sweep_ttl() == 1


@pytest.mark.parametrize("omit", [None, False])
async def test_expired_items_stay_visible_unless_omitted(
    client: pgcortex.Client, db: psycopg.Connection, omit: bool | None
) -> None:
    ttl: dict[str, Any] = {} if omit is None else {"omit_expired": omit}
    store = AsyncPgcortexStore(client, ttl=ttl)  # type: ignore[arg-type]
    await store.aput(("keep",), "k", {"data": "still-here"}, ttl=1)
    expire_now(db, ("keep",), "k")
    assert await store.aget(("keep",), "k", refresh_ttl=False) is not None
    assert [i.key for i in await store.asearch(("keep",), refresh_ttl=False)] == ["k"]
    assert ("keep",) in await store.alist_namespaces(prefix=("keep",))


async def test_refresh_does_not_revive_omitted_items(
    client: pgcortex.Client, db: psycopg.Connection
) -> None:
    store = AsyncPgcortexStore(client, ttl={"omit_expired": True})
    ns = ("refresh",)
    for key in ("expired", "live_get", "live_search"):
        await store.aput(ns, key, {"k": key}, ttl=1)
    expire_now(db, ns, "expired")
    before = {k: expiry(db, ns, k) for k in ("expired", "live_get", "live_search")}
    await asyncio.sleep(0.05)
    assert await store.aget(ns, "expired", refresh_ttl=True) is None
    assert "expired" not in [i.key for i in await store.asearch(ns, refresh_ttl=True)]
    assert expiry(db, ns, "expired") == before["expired"]
    assert await store.aget(ns, "live_get", refresh_ttl=True) is not None
    assert expiry(db, ns, "live_get") > before["live_get"]
    assert expiry(db, ns, "live_search") > before["live_search"]


async def test_omitted_items_do_not_underfill_a_page(
    client: pgcortex.Client, db: psycopg.Connection
) -> None:
    store = AsyncPgcortexStore(client, ttl={"omit_expired": True})
    ns = ("page",)
    for k in ("a", "b", "c", "expired"):
        await store.aput(ns, k, {"k": k}, ttl=1)
    expire_now(db, ns, "expired")
    for key, secs in {"a": 1, "expired": 2, "b": 3, "c": 4}.items():
        db.execute(
            "update pgcortex.store_items set updated_at = now() - make_interval(secs => %s)"
            " where namespace = 'test' and path = %s and key = %s",
            (secs, list(ns), key),
        )
    assert [i.key for i in await store.asearch(ns, limit=2, offset=0)] == ["a", "b"]
    assert [i.key for i in await store.asearch(ns, limit=2, offset=2)] == ["c"]


async def test_no_ttl_config_means_no_sweeper(client: pgcortex.Client) -> None:
    store = AsyncPgcortexStore(client)
    task = await store.start_ttl_sweeper()
    await task
    assert store._sweeper is None
    assert await store.stop_ttl_sweeper()


# -- tenancy and life cycle ------------------------------------------------------------------------


async def test_each_pgcortex_namespace_is_its_own_store(
    store: AsyncPgcortexStore, db_dsn: str
) -> None:
    await store.aput(("shared",), "k", {"owner": "test"})
    async with AsyncPgcortexStore.from_conn_string(db_dsn, namespace="other") as other:
        await other.setup()
        assert await other.aget(("shared",), "k") is None
        assert await other.asearch(()) == []
        assert await other.alist_namespaces() == []
        await other.aput(("shared",), "k", {"owner": "other"})
        got = await other.aget(("shared",), "k")
        assert got is not None
        assert got.value == {"owner": "other"}
    mine = await store.aget(("shared",), "k")
    assert mine is not None
    assert mine.value == {"owner": "test"}


# -- vectors ----------------------------------------------------------------------------------


class LetterEmbeddings:
    """A deterministic test embedder: each character has a fixed random direction
    (seeded by its code point), a text is the unit-length mean of its characters'
    directions weighted by frequency. Texts sharing characters are near."""

    def __init__(self, dims: int) -> None:
        self.dims = dims
        self._cache: dict[str, Any] = {}
        self.calls = 0

    def _direction(self, ch: str) -> Any:
        import numpy as np

        if ch not in self._cache:
            seed = int.from_bytes(hashlib.sha256(ch.encode()).digest()[:8], "big")
            self._cache[ch] = np.random.default_rng(seed).standard_normal(self.dims)
        return self._cache[ch]

    def embed_query(self, text: str) -> list[float]:
        import numpy as np

        if not text:
            return [0.0] * self.dims
        v = sum(self._direction(ch) for ch in text) / len(text)
        return [float(x) for x in v / np.linalg.norm(v)]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        return [self.embed_query(t) for t in texts]


def sc(item: SearchItem) -> float:
    """A ranked item's score (never None)."""
    assert item.score is not None
    return item.score


def similarity(distance: str, a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    if distance == "cosine":
        return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
    if distance == "inner_product":
        return dot
    return -math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)))


KINDS = [(s, d) for s in ("vector", "halfvec") for d in ("cosine", "inner_product", "l2")]
DIMS = 200  # not 384: the store takes any dimensions


def index_config(
    embedder: LetterEmbeddings, storage: str, distance: str, fields: list[str] | None = None
) -> Any:
    return {
        "dims": embedder.dims,
        "embed": embedder.embed_documents,
        "fields": fields,
        "distance_type": distance,
        "ann_index_config": {"vector_type": storage},
    }


@pytest.fixture
def embedder() -> LetterEmbeddings:
    return LetterEmbeddings(DIMS)


@pytest.fixture(params=KINDS, ids=[f"{s}-{d}" for s, d in KINDS])
async def vector_store(
    request: pytest.FixtureRequest, client: pgcortex.Client, embedder: LetterEmbeddings
) -> AsyncIterator[AsyncPgcortexStore]:
    storage, distance = request.param
    store = AsyncPgcortexStore(client, index=index_config(embedder, storage, distance))
    await store.setup()
    yield store
    await store.close()


async def test_setup_registers_the_model_and_its_index(
    vector_store: AsyncPgcortexStore, db: psycopg.Connection
) -> None:
    assert vector_store.index_config is not None
    assert vector_store.index_config["dims"] == DIMS
    model = await vector_store._embedding_model()
    storage, distance = vector_store._storage, vector_store._distance
    assert model == f"store-{storage}-{distance}-{DIMS}"
    row = db.execute(
        "select dimensions, distance, storage, model_id from pgcortex.list_embedding_models()"
        " where name = %s",
        (model,),
    ).fetchone()
    assert row is not None
    assert row[:3] == (DIMS, distance, storage)
    index = db.execute(
        "select indexdef from pg_indexes where indexname = %s",
        (f"store_item_vectors_m{row[3]}_hnsw_idx",),
    ).fetchone()
    assert index is not None
    assert f"{storage}({DIMS})" in index[0]
    assert "hnsw" in index[0]
    # a second store of the same config finds it all in place
    again = AsyncPgcortexStore(vector_store.client, index=dict(vector_store.index_config))  # type: ignore[arg-type]
    await again.setup()
    assert await again._embedding_model() == model


async def test_puts_are_embedded_and_found_by_meaning(vector_store: AsyncPgcortexStore) -> None:
    docs = [
        ("doc1", {"text": "short text"}),
        ("doc2", {"text": "longer text document"}),
        ("doc3", {"text": "longest text document here"}),
        ("doc4", {"description": "text in description field"}),
        ("doc5", {"content": "text in content field"}),
        ("doc6", {"body": "text in body field"}),
    ]
    for key, value in docs:
        await vector_store.aput(("test",), key, value)
    results = await vector_store.asearch(("test",), query="long text")
    assert len(results) == 6
    assert all(r.score is not None for r in results)
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)  # type: ignore[type-var]
    assert {"doc2", "doc3"} <= {r.key for r in results[:3]}


async def test_a_new_value_gets_new_vectors_and_index_false_none(
    vector_store: AsyncPgcortexStore,
) -> None:
    await vector_store.aput(("test",), "doc1", {"text": "zany zebra Xerxes"})
    await vector_store.aput(("test",), "doc2", {"text": "something about dogs"})
    await vector_store.aput(("test",), "doc3", {"text": "text about birds"})
    first = await vector_store.asearch(("test",), query="Zany Xerxes")
    assert first[0].key == "doc1"
    initial = first[0].score
    assert initial is not None
    await vector_store.aput(("test",), "doc1", {"text": "new text about dogs"})
    after = next(
        r.score
        for r in await vector_store.asearch(("test",), query="Zany Xerxes")
        if r.key == "doc1"
    )
    assert after is not None
    assert after < initial
    again = await vector_store.asearch(("test",), query="new text about dogs")
    assert next(r.score for r in again if r.key == "doc1") > after  # type: ignore[operator]
    # index=False: no vector, yet still found, after the ranked ones, score None
    await vector_store.aput(("test",), "doc4", {"text": "new text about dogs"}, index=False)
    top3 = await vector_store.asearch(("test",), query="new text about dogs", limit=3)
    assert "doc4" not in [r.key for r in top3]
    everything = await vector_store.asearch(("test",), query="new text about dogs", limit=10)
    assert [r.key for r in everything][-1] == "doc4"
    assert everything[-1].score is None
    # a put with index=False replaces the item's vectors with none
    await vector_store.aput(("test",), "doc1", {"text": "new text about dogs"}, index=False)
    scores = {r.key: r.score for r in await vector_store.asearch(("test",), query="dogs")}
    assert scores["doc1"] is None
    assert scores["doc2"] is not None


async def test_vector_search_with_filters(vector_store: AsyncPgcortexStore) -> None:
    docs = [
        ("doc1", {"text": "red apple", "color": "red", "score": 4.5}),
        ("doc2", {"text": "red car", "color": "red", "score": 3.0}),
        ("doc3", {"text": "green apple", "color": "green", "score": 4.0}),
        ("doc4", {"text": "blue car", "color": "blue", "score": 3.5}),
    ]
    for key, value in docs:
        await vector_store.aput(("test",), key, value)
    results = await vector_store.asearch(("test",), query="apple", filter={"color": "red"})
    assert [r.key for r in results] == ["doc1", "doc2"]
    results = await vector_store.asearch(("test",), query="car", filter={"color": "red"})
    assert [r.key for r in results] == ["doc2", "doc1"]
    results = await vector_store.asearch(
        ("test",), query="bbbbluuu", filter={"score": {"$gt": 3.2}}
    )
    assert len(results) == 3
    assert results[0].key == "doc4"
    results = await vector_store.asearch(
        ("test",), query="apple", filter={"score": {"$gte": 4.0}, "color": "green"}
    )
    assert [r.key for r in results] == ["doc3"]


async def test_vector_search_pages(vector_store: AsyncPgcortexStore) -> None:
    for i in range(5):
        await vector_store.aput(("test",), f"doc{i}", {"text": f"test document number {i}"})
    page1 = await vector_store.asearch(("test",), query="test", limit=2)
    page2 = await vector_store.asearch(("test",), query="test", limit=2, offset=2)
    page3 = await vector_store.asearch(("test",), query="test", limit=2, offset=4)
    keys = [r.key for r in page1 + page2 + page3]
    assert len(keys) == 5
    assert len(set(keys)) == 5
    assert [r.key for r in await vector_store.asearch(("test",), query="test", limit=10)] == keys


async def test_vector_search_edge_cases(vector_store: AsyncPgcortexStore) -> None:
    await vector_store.aput(("test",), "doc1", {"text": "test document"})
    perfect = (await vector_store.asearch(("test",), query="text test document"))[0].score
    assert perfect is not None
    for query in ("", None):
        [hit] = await vector_store.asearch(("test",), query=query)
        assert hit.score is None
    for query in ("foo " * 100, "test!@#$%^&*()"):
        [hit] = await vector_store.asearch(("test",), query=query)
        assert hit.score is not None
        assert hit.score < perfect


@pytest.mark.parametrize(("storage", "distance"), KINDS)
async def test_fields_give_one_vector_each(
    client: pgcortex.Client,
    db: psycopg.Connection,
    embedder: LetterEmbeddings,
    storage: str,
    distance: str,
) -> None:
    store = AsyncPgcortexStore(
        client, index=index_config(embedder, storage, distance, ["key0", "key1", "key3"])
    )
    await store.aput(("test",), "doc1", {"key1": "xxx", "key2": "yyy", "key3": "zzz"})  # no key0
    await store.aput(
        ("test",), "doc2", {"key0": "uuu", "key1": "vvv", "key2": "www", "key3": "xxx"}
    )
    fields = db.execute(
        "select key, array_agg(field order by field) from pgcortex.store_item_vectors"
        " group by key order by key"
    ).fetchall()
    assert fields == [("doc1", ["key1", "key3"]), ("doc2", ["key0", "key1", "key3"])]
    results = await store.asearch(("test",), query="xxx")
    assert {r.key for r in results} == {"doc1", "doc2"}
    best = sc(results[0])
    assert best == pytest.approx(results[1].score, abs=1e-3)
    results = await store.asearch(("test",), query="uuu")
    assert [r.key for r in results] == ["doc2", "doc1"]
    assert sc(results[0]) > sc(results[1])
    assert results[0].score == pytest.approx(best, abs=1e-3)
    for r in await store.asearch(("test",), query="www"):  # key2 is not indexed
        assert sc(r) < best
    await store.close()


@pytest.mark.parametrize(
    ("storage", "distance"),
    [("vector", "cosine"), ("vector", "inner_product"), ("halfvec", "cosine")],
)
async def test_per_put_index_fields_override_the_config(
    client: pgcortex.Client, embedder: LetterEmbeddings, storage: str, distance: str
) -> None:
    store = AsyncPgcortexStore(client, index=index_config(embedder, storage, distance, ["key17"]))
    await store.aput(
        ("test",),
        "doc3",
        {"key0": "aaa", "key1": "bbb", "key2": "ccc", "key3": "ddd"},
        index=["key0", "key1"],
    )
    await store.aput(
        ("test",),
        "doc4",
        {"key0": "eee", "key1": "bbb", "key2": "fff", "key3": "ggg"},
        index=["key1", "key3"],
    )
    results = await store.asearch(("test",), query="aaa")
    assert [r.key for r in results] == ["doc3", "doc4"]
    assert sc(results[0]) > sc(results[1])
    results = await store.asearch(("test",), query="ggg")
    assert [r.key for r in results] == ["doc4", "doc3"]
    results = await store.asearch(("test",), query="bbb")
    assert results[0].score == pytest.approx(results[1].score, abs=1e-3)
    assert all(
        r.score is not None and r.score < 0.9 for r in await store.asearch(("test",), query="ccc")
    )
    await store.aput(("test",), "doc5", {"key0": "hhh", "key1": "iii"}, index=False)
    plain = await store.asearch(("test",))
    assert len(plain) == 3
    assert all(r.score is None for r in plain)
    # the unindexed item still comes back from a query search, after the ranked ones
    results = await store.asearch(("test",), query="hhh")
    assert [r.key for r in results][:2] != ["doc5"]
    assert len(results) == 3
    assert results[-1].key == "doc5"
    assert results[-1].score is None
    await store.close()


async def test_nested_and_array_paths(
    client: pgcortex.Client, db: psycopg.Connection, embedder: LetterEmbeddings
) -> None:
    store = AsyncPgcortexStore(
        client, index=index_config(embedder, "vector", "cosine", ["meta.title", "notes[*].text"])
    )
    value = {
        "meta": {"title": "quantum physics"},
        "notes": [{"text": "bosons"}, {"text": "fermions"}],
    }
    await store.aput(("n",), "doc", value)
    await store.aput(("n",), "whole", {"other": "x"}, index=["$"])
    fields = [
        r[0]
        for r in db.execute(
            "select field from pgcortex.store_item_vectors order by key, field"
        ).fetchall()
    ]
    assert fields == ["meta.title", "notes[*].text.0", "notes[*].text.1", "$"]
    [hit, _] = await store.asearch(("n",), query="fermions")
    assert hit.key == "doc"
    assert hit.score == pytest.approx(1.0, abs=1e-4)
    await store.close()


@pytest.mark.parametrize(("storage", "distance"), KINDS)
@pytest.mark.parametrize("query", ["aaa", "bbb", "abcd", "poisson"])
async def test_scores_are_the_distance_similarity(
    client: pgcortex.Client, embedder: LetterEmbeddings, storage: str, distance: str, query: str
) -> None:
    store = AsyncPgcortexStore(client, index=index_config(embedder, storage, distance, ["key0"]))
    await store.aput(("test",), "doc", {"key0": "aaa"}, index=["key0", "key1"])
    [hit] = await store.asearch((), query=query)
    expected = similarity(distance, embedder.embed_query(query), embedder.embed_query("aaa"))
    assert hit.score == pytest.approx(expected, abs=1e-3 if storage == "halfvec" else 1e-5)
    await store.close()


@pytest.mark.parametrize(("storage", "distance"), [("vector", "cosine"), ("halfvec", "l2")])
async def test_the_best_match_wins_among_many(
    client: pgcortex.Client, embedder: LetterEmbeddings, storage: str, distance: str
) -> None:
    store = AsyncPgcortexStore(client, index=index_config(embedder, storage, distance, ["key1"]))
    await store.aput(("test", "M"), "M", {"key1": "mmm"})
    await store.abatch(
        [PutOp(("test", "A"), f"A{i}", {"key1": "no"}) for i in range(100)]
        + [PutOp(("test", "Z"), f"Z{i}", {"key1": "no"}) for i in range(100)]
    )
    assert embedder.calls == 2  # one embedding call per batch
    results = await store.asearch(("test",), query="mmm", limit=10)
    assert len({r.key for r in results}) == 10
    assert results[0].key == "M"
    assert sc(results[0]) > sc(results[1])
    await store.close()


async def test_filtered_search_finds_rare_matches(
    client: pgcortex.Client, embedder: LetterEmbeddings
) -> None:
    """The filter is applied as the index is read: 5 matches among 400 items are all
    found, ranked, though the nearest 20 vectors match none of them."""
    store = AsyncPgcortexStore(client, index=index_config(embedder, "vector", "cosine", ["text"]))
    ops = [
        PutOp(("f",), f"n{i}", {"text": f"common words {i}", "kind": "common"}) for i in range(395)
    ]
    ops += [PutOp(("f",), f"r{i}", {"text": f"zzz qqq rare {i}", "kind": "rare"}) for i in range(5)]
    await store.abatch(ops)
    results = await store.asearch(("f",), query="common words", filter={"kind": "rare"}, limit=10)
    assert sorted(r.key for r in results) == [f"r{i}" for i in range(5)]
    assert all(r.score is not None for r in results)
    await store.close()


async def test_non_ascii_text(client: pgcortex.Client, embedder: LetterEmbeddings) -> None:
    store = AsyncPgcortexStore(client, index=index_config(embedder, "halfvec", "inner_product"))
    texts = ["这是中文", "これは日本語です", "이건 한국어야", "Это русский", "यह रूसी है"]
    for n, text in enumerate(texts, start=1):
        await store.aput(("user_123", "memories"), str(n), {"text": text})
    for n, text in enumerate(texts, start=1):
        assert (await store.asearch(("user_123", "memories"), query=text))[0].key == str(n)
    await store.close()


async def test_wide_models_and_model_names(client: pgcortex.Client, db: psycopg.Connection) -> None:
    wide = LetterEmbeddings(3072)
    store = AsyncPgcortexStore(
        client,
        index=cast(
            Any,
            {
                **index_config(wide, "halfvec", "cosine", ["text"]),
                "embedding_model": "my-wide-model",
            },
        ),
    )
    await store.aput(("w",), "k", {"text": "wide vectors"})
    [hit] = await store.asearch(("w",), query="wide vectors")
    assert hit.score == pytest.approx(1.0, abs=1e-3)
    assert await store._embedding_model() == "my-wide-model"
    # the same name with another specification is refused
    other = AsyncPgcortexStore(
        client,
        index=cast(
            Any,
            {
                **index_config(LetterEmbeddings(64), "vector", "cosine"),
                "embedding_model": "my-wide-model",
            },
        ),
    )
    with pytest.raises(errors.PgcortexError) as info:
        await other.aput(("w",), "k2", {"text": "narrow"})
    assert info.value.code == "PC014"
    assert await store.aget(("w",), "k2") is None


async def test_an_embedder_of_the_wrong_size_is_refused(client: pgcortex.Client) -> None:
    config = index_config(LetterEmbeddings(64), "vector", "cosine")
    config["dims"] = 65
    store = AsyncPgcortexStore(client, index=config)
    with pytest.raises(errors.PgcortexError) as info:
        await store.aput(("x",), "k", {"text": "hello"})
    assert info.value.code == "PC010"
    assert await store.aget(("x",), "k") is None


async def test_bad_index_configs_are_refused(
    client: pgcortex.Client, embedder: LetterEmbeddings
) -> None:
    with pytest.raises(ValueError, match="distance_type"):
        AsyncPgcortexStore(client, index=index_config(embedder, "vector", "hamming"))
    with pytest.raises(ValueError, match="vector_type"):
        AsyncPgcortexStore(client, index=index_config(embedder, "bit", "cosine"))


# -- the example --------------------------------------------------------------------------


async def test_the_example_graph_remembers_across_turns(db_dsn: str) -> None:
    """docs/examples/langgraph_memory.py: a LangGraph graph whose memory node uses the
    store (by meaning with MiniLM when the extra embed is installed, else full text)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("langgraph_memory_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    replies = await example.main(db_dsn, "example")
    assert replies[:2] == ["Noted, I will remember that."] * 2
    assert replies[2].startswith("From what you told me: I like green tea")
    assert replies[3].startswith("From what you told me: My favourite city is Lisbon")


async def test_concurrent_filtered_vector_searches(
    client: pgcortex.Client, embedder: LetterEmbeddings
) -> None:
    store = AsyncPgcortexStore(client, index=index_config(embedder, "vector", "cosine", ["text"]))
    colors = ["red", "blue", "green", "yellow", "purple"]
    things = ["apple", "car", "house", "book", "phone"]
    scores = [3.0, 3.5, 4.0, 4.5, 5.0]
    docs = [
        (
            f"doc{i}",
            {
                "text": f"{colors[i % 5]} {things[i % 5]}",
                "color": colors[i % 5],
                "score": scores[i % 5],
                "index": i,
            },
        )
        for i in range(50)
    ]
    await asyncio.gather(
        *[store.aput(("test",), k, v) for k, v in docs],
        *[store.adelete(("test",), k) for k, _ in docs],
        *[store.aput(("test",), k, v) for k, v in docs],
    )
    queries: list[tuple[str, dict[str, Any]]] = [
        ("apple", {"color": "red"}),
        ("car", {"color": "blue"}),
        ("phone", {"score": {"$gt": 4.99}}),
        ("book", {"score": {"$lte": 3.5}}),
        ("apple", {"score": {"$gte": 3.0}, "color": "red"}),
        ("house", {"index": {"$gt": 25}}),
        ("phone", {"index": {"$lte": 10}}),
    ]
    found = await asyncio.gather(
        *[store.asearch(("test",), query=q, filter=f, limit=50) for q, f in queries]
    )
    expected_counts = [10, 10, 10, 20, 10, 24, 11]
    for hits, (query, flt), count in zip(found, queries, expected_counts, strict=True):
        assert len(hits) == count, (query, flt)
        assert all(h.score is not None for h in hits)
        if "color" in flt:
            assert {h.value["color"] for h in hits} == {flt["color"]}
    assert found[0][0].value["text"] == "red apple"
    await store.close()
