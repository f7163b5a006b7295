"""Bad input across the API: each case raises its documented error and changes nothing.

Every case runs through the client (so the driver's own refusals count too),
with a checksum of every pgcortex table taken before and after: a failure that
wrote anything, or an error other than the documented one, fails the case.
Injection-looking strings are not bad input: they are stored and returned verbatim.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import psycopg
import pytest

import pgcortex
from pgcortex import errors as e
from pgcortex.memories import MemoryInput
from tests.security_seed import table_checksums

MODEL = "test-model"
MISSING = uuid.UUID("00000000-0000-7000-8000-000000000001")


def _vec(dims: int = 384, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(dims).astype(np.float32)
    return v / np.linalg.norm(v)


def _with(values: dict[int, float]) -> np.ndarray:
    v = _vec()
    for i, x in values.items():
        v[i] = x
    return v


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth):
        value = {"n": value}
    return value


Case = tuple[
    str, Callable[[pgcortex.Client, dict[str, Any]], Awaitable[Any]], type[e.PgcortexError]
]

CASES: list[Case] = [
    # embeddings: dimensions, NaN, infinity, zero, model
    (
        "embedding 383 dims",
        lambda c, w: c.store_memory(
            "x1", "business_fact", embedding=_vec(383), embedding_model=MODEL
        ),
        e.EmbeddingDimensionError,
    ),
    (
        "embedding 16001 dims (more than a vector holds)",
        lambda c, w: c.store_memory(
            "x3b", "business_fact", embedding=np.ones(16_001, np.float32), embedding_model=MODEL
        ),
        e.EmbeddingDimensionError,
    ),
    (
        "query embedding 16001 dims",
        lambda c, w: c.search_memories(query_embedding=[0.5] * 16_001, embedding_model=MODEL),
        e.EmbeddingDimensionError,
    ),
    (
        "embedding 385 dims",
        lambda c, w: c.store_memory(
            "x2", "business_fact", embedding=_vec(385), embedding_model=MODEL
        ),
        e.EmbeddingDimensionError,
    ),
    (
        "embedding 1 dim",
        lambda c, w: c.store_memory(
            "x3", "business_fact", embedding=np.ones(1, np.float32), embedding_model=MODEL
        ),
        e.EmbeddingDimensionError,
    ),
    (
        "embedding NaN",
        lambda c, w: c.store_memory(
            "x4", "business_fact", embedding=_with({3: math.nan}), embedding_model=MODEL
        ),
        e.EmbeddingValueError,
    ),
    (
        "embedding +inf",
        lambda c, w: c.store_memory(
            "x5", "business_fact", embedding=_with({0: math.inf}), embedding_model=MODEL
        ),
        e.EmbeddingValueError,
    ),
    (
        "embedding -inf",
        lambda c, w: c.store_memory(
            "x6", "business_fact", embedding=_with({383: -math.inf}), embedding_model=MODEL
        ),
        e.EmbeddingValueError,
    ),
    (
        "embedding all zero",
        lambda c, w: c.store_memory(
            "x7", "business_fact", embedding=np.zeros(384, np.float32), embedding_model=MODEL
        ),
        e.EmbeddingValueError,
    ),
    (
        "embedding of another model",
        lambda c, w: c.store_memory(
            "x8", "business_fact", embedding=_vec(seed=8), embedding_model="other-model"
        ),
        e.EmbeddingModelMismatchError,
    ),
    (
        "query embedding 10 dims",
        lambda c, w: c.search_memories(None, query_embedding=_vec(10), embedding_model=MODEL),
        e.EmbeddingDimensionError,
    ),
    (
        "query embedding NaN",
        lambda c, w: c.search_memories(
            None, query_embedding=_with({5: math.nan}), embedding_model=MODEL
        ),
        e.EmbeddingValueError,
    ),
    (
        "update with zero embedding",
        lambda c, w: c.update_memory(
            w["m1"], embedding=np.zeros(384, np.float32), embedding_model=MODEL
        ),
        e.EmbeddingValueError,
    ),
    # content
    ("empty content", lambda c, w: c.store_memory("", "business_fact"), e.InvalidContentError),
    (
        "blank content",
        lambda c, w: c.store_memory(" \n\t ", "business_fact"),
        e.InvalidContentError,
    ),
    (
        "oversize content",
        lambda c, w: c.store_memory("x" * 100_001, "business_fact"),
        e.InvalidContentError,
    ),
    (
        "NUL byte in content",
        lambda c, w: c.store_memory("a\x00b", "business_fact"),
        e.InvalidContentError,
    ),
    (
        "lone surrogate in content",
        lambda c, w: c.store_memory("a\ud800b", "business_fact"),
        e.InvalidContentError,
    ),
    (
        "lone surrogate in a turn",
        lambda c, w: c.store_conversation_turn("user", "hi \udfff there", w["session"]),
        e.InvalidContentError,
    ),
    (
        "lone surrogate in a batch",
        lambda c, w: c.store_memories(
            [MemoryInput("ok", "business_fact"), MemoryInput("\ud83d", "business_fact")]
        ),
        e.InvalidContentError,
    ),
    (
        "NUL byte in update",
        lambda c, w: c.update_memory(w["m1"], content="a\x00b"),
        e.InvalidContentError,
    ),
    (
        "NUL byte in turn",
        lambda c, w: c.store_conversation_turn("user", "hi\x00", w["session"]),
        e.InvalidContentError,
    ),
    (
        "oversize turn",
        lambda c, w: c.store_conversation_turn("user", "y" * 100_001, w["session"]),
        e.InvalidContentError,
    ),
    # types and enumerations
    ("unknown memory type", lambda c, w: c.store_memory("x9", "nope"), e.UnknownMemoryTypeError),
    (
        "injection as memory type",
        lambda c, w: c.store_memory("x10", "x'; drop table pgcortex.memories; --"),
        e.UnknownMemoryTypeError,
    ),
    (
        "unknown pattern type",
        lambda c, w: c.store_learning_pattern("nope", "likes tea"),
        e.UnknownPatternTypeError,
    ),
    (
        "unknown turn role",
        lambda c, w: c.store_conversation_turn("hacker", "hi", w["session"]),
        e.InvalidArgumentError,
    ),
    (
        "bad link relation",
        lambda c, w: c.link_memories(w["m1"], w["m2"], "Bad Relation!"),
        e.InvalidArgumentError,
    ),
    ("self link", lambda c, w: c.link_memories(w["m1"], w["m1"]), e.InvalidArgumentError),
    # ranges
    (
        "importance 0",
        lambda c, w: c.store_memory("x11", "business_fact", importance=0),
        e.OutOfRangeError,
    ),
    (
        "importance 6",
        lambda c, w: c.store_memory("x12", "business_fact", importance=6),
        e.OutOfRangeError,
    ),
    (
        "importance 2**40 (too large for its SQL type)",
        lambda c, w: c.store_memory("x12b", "business_fact", importance=2**40),
        e.OutOfRangeError,
    ),
    (
        "update importance -2**40",
        lambda c, w: c.update_memory(w["m1"], importance=-(2**40)),
        e.OutOfRangeError,
    ),
    (
        "search k 2**40",
        lambda c, w: c.search_memories("sky", k=2**40),
        e.OutOfRangeError,
    ),
    (
        "confidence -0.1",
        lambda c, w: c.store_memory("x13", "business_fact", confidence=-0.1),
        e.OutOfRangeError,
    ),
    (
        "confidence 1.5",
        lambda c, w: c.store_memory("x14", "business_fact", confidence=1.5),
        e.OutOfRangeError,
    ),
    (
        "confidence NaN",
        lambda c, w: c.store_memory("x15", "business_fact", confidence=math.nan),
        e.OutOfRangeError,
    ),
    ("update importance 9", lambda c, w: c.update_memory(w["m1"], importance=9), e.OutOfRangeError),
    ("search k 0", lambda c, w: c.search_memories("sky", k=0), e.OutOfRangeError),
    ("search k huge", lambda c, w: c.search_memories("sky", k=1_000_000), e.OutOfRangeError),
    ("list page size -1", lambda c, w: c.list_memories(page_size=-1), e.OutOfRangeError),
    ("related depth 100", lambda c, w: c.related_memories(w["m1"], 100), e.OutOfRangeError),
    (
        "link weight 2",
        lambda c, w: c.link_memories(w["m1"], w["m2"], "related", 2.0),
        e.OutOfRangeError,
    ),
    (
        "preference confidence 2",
        lambda c, w: c.learn_user_preference("theme", "dark", 2.0),
        e.OutOfRangeError,
    ),
    ("session importance 7", lambda c, w: c.end_session(w["session"], "s", 7.0), e.OutOfRangeError),
    (
        "cluster similarity 5",
        lambda c, w: c.set_knowledge_settings(cluster_similarity=5.0),
        e.OutOfRangeError,
    ),
    # tags
    (
        "empty tag",
        lambda c, w: c.store_memory("x16", "business_fact", tags=[""]),
        e.InvalidTagsError,
    ),
    (
        "65 tags",
        lambda c, w: c.store_memory("x17", "business_fact", tags=[f"t{i}" for i in range(65)]),
        e.InvalidTagsError,
    ),
    (
        "10000-char tag",
        lambda c, w: c.store_memory("x18", "business_fact", tags=["t" * 10_000]),
        e.InvalidTagsError,
    ),
    # A NUL byte is refused by the server's text input wherever it is (22021).
    (
        "NUL byte in tag",
        lambda c, w: c.store_memory("x19", "business_fact", tags=["a\x00b"]),
        e.InvalidContentError,
    ),
    # metadata and JSON
    (
        "metadata nested 100 deep",
        lambda c, w: c.store_memory("x20", "business_fact", metadata=_nested(100)),
        e.InvalidMetadataError,
    ),
    (
        "metadata nested 10000 deep",
        lambda c, w: c.store_memory("x21", "business_fact", metadata=_nested(10_000)),
        e.InvalidMetadataError,
    ),
    (
        "metadata a list",
        lambda c, w: c.store_memory("x22", "business_fact", metadata=[1, 2]),  # type: ignore[arg-type]
        e.InvalidMetadataError,
    ),
    # jsonb refuses \u0000 (22P05), mapped as text that cannot be stored.
    (
        "metadata NUL escape",
        lambda c, w: c.store_memory("x23", "business_fact", metadata={"k": "a\x00b"}),
        e.InvalidContentError,
    ),
    (
        "session metadata a list",
        lambda c, w: c.start_session([1]),  # type: ignore[arg-type]
        e.InvalidMetadataError,
    ),
    (
        "turn context a string",
        lambda c, w: c.store_conversation_turn("user", "hi", w["session"], "ctx"),  # type: ignore[arg-type]
        e.InvalidMetadataError,
    ),
    # ids
    ("malformed id", lambda c, w: c.retrieve_memory("not-a-uuid"), e.InvalidIdError),
    (
        "injection as id",
        lambda c, w: c.delete_memory("1'; delete from pgcortex.memories; --"),
        e.InvalidIdError,
    ),
    ("missing id retrieve", lambda c, w: c.retrieve_memory(MISSING), e.NotFoundError),
    ("missing id update", lambda c, w: c.update_memory(MISSING, importance=4), e.NotFoundError),
    ("missing id delete", lambda c, w: c.delete_memory(MISSING), e.NotFoundError),
    ("missing link target", lambda c, w: c.link_memories(w["m1"], MISSING), e.NotFoundError),
    ("missing session end", lambda c, w: c.end_session(MISSING), e.NotFoundError),
    (
        "missing session turn",
        lambda c, w: c.store_conversation_turn("user", "hi", MISSING),
        e.NotFoundError,
    ),
    (
        "missing cluster member",
        lambda c, w: c.store_knowledge_cluster("c", memory_ids=[MISSING]),
        e.NotFoundError,
    ),
    (
        "turn in a closed session",
        lambda c, w: c.store_conversation_turn("user", "hi", w["closed"]),
        e.SessionClosedError,
    ),
    # keys, names, confirmation
    ("empty preference key", lambda c, w: c.learn_user_preference("", "v"), e.InvalidArgumentError),
    ("empty cluster name", lambda c, w: c.store_knowledge_cluster(""), e.InvalidArgumentError),
    (
        "empty pattern description",
        lambda c, w: c.store_learning_pattern("preference", ""),
        e.InvalidArgumentError,
    ),
    (
        "erase unconfirmed",
        lambda c, w: c.erase_namespace(confirm="other"),
        e.ConfirmationRequiredError,
    ),
]


@pytest.fixture
async def world(client: pgcortex.Client) -> dict[str, Any]:
    m1 = await client.store_memory(
        "the sky is blue", "business_fact", embedding=_vec(seed=1), embedding_model=MODEL
    )
    m2 = await client.store_memory("grass is green", "business_fact")
    session = await client.start_session()
    closed = await client.start_session()
    await client.end_session(closed.session_id)
    return {"m1": m1.id, "m2": m2.id, "session": session.session_id, "closed": closed.session_id}


def test_corpus_is_large_and_covers_every_area() -> None:
    assert len(CASES) >= 40
    assert len({name for name, _, _ in CASES}) == len(CASES)


async def _check(
    db: psycopg.Connection,
    client: pgcortex.Client,
    world: dict[str, Any],
    name: str,
    call: Callable[[pgcortex.Client, dict[str, Any]], Awaitable[Any]],
    expected: type[e.PgcortexError],
) -> str | None:
    """What is wrong with one case, or None."""
    before = table_checksums(db)
    try:
        await call(client, world)
    except e.PgcortexError as exc:
        error = exc
    else:
        return "no error raised"
    if not isinstance(error, expected):
        return f"{type(error).__name__} [{error.code}]: {error.message}"
    # Our own codes are exact; a standard SQLSTATE (the driver's or the server's
    # input refusing NaN, NUL bytes, malformed uuids) must be one errors.py maps.
    code = error.code
    if code is not None and code.startswith("PC") and code != expected.sqlstate:
        return f"code {code}, documented {expected.sqlstate}"
    standard = code is not None and not code.startswith("PC")
    if standard and code not in e.BY_STANDARD_SQLSTATE and code != "22000":
        return f"unmapped SQLSTATE {code}"
    if table_checksums(db) != before:
        return "changed the database"
    # The pool is still healthy after the failure.
    if await client._fetchval("select pgcortex.current_namespace()") != "test":
        return "pool unhealthy afterwards"
    return None


async def test_bad_input_raises_its_code_and_changes_nothing(
    db: psycopg.Connection, client: pgcortex.Client, world: dict[str, Any]
) -> None:
    """Every case in one database: a case that wrote anything would show in its checksum."""
    problems: dict[str, str] = {}
    for name, call, expected in CASES:
        problem = await _check(db, client, world, name, call, expected)
        if problem is not None:
            problems[name] = problem
    assert problems == {}


async def test_the_check_catches_a_call_that_succeeds_or_raises_the_wrong_error(
    db: psycopg.Connection, client: pgcortex.Client, world: dict[str, Any]
) -> None:
    ok = await _check(
        db,
        client,
        world,
        "valid",
        lambda c, w: c.store_memory("fine", "business_fact"),
        e.PgcortexError,
    )
    assert ok == "no error raised"
    wrong = await _check(
        db,
        client,
        world,
        "wrong",
        lambda c, w: c.store_memory("", "business_fact"),
        e.NotFoundError,
    )
    assert wrong is not None
    assert wrong.startswith("InvalidContentError")


def test_unset_or_invalid_namespace_is_refused(db: psycopg.Connection) -> None:
    before = table_checksums(db)
    for setting, code in (("", "PC001"), ("x" * 129, "PC002"), ("a\tb", "PC002")):
        db.execute("select pg_catalog.set_config('pgcortex.namespace', %s, false)", (setting,))
        with pytest.raises(psycopg.Error) as info:
            db.execute(
                "select * from pgcortex.store_memory(content => 'x',"
                " memory_type => 'business_fact')"
            )
        assert info.value.sqlstate == code
    assert table_checksums(db) == before


@pytest.mark.parametrize("namespace", ["x" * 129, "tab\there", "nul\x00", "del\x7f"])
async def test_client_refuses_an_invalid_namespace(db_dsn: str, namespace: str) -> None:
    with pytest.raises(e.InvalidNamespaceError):
        await pgcortex.connect(db_dsn, namespace=namespace, deploy=False)


INJECTIONS = [
    "Robert'); drop table pgcortex.memories; --",
    "$$; select pg_sleep(10); $$",
    "' or 1=1 --",
    "\\'; truncate pgcortex.memories cascade; --",
    "%s %(x)s {0} $1",
]


async def test_injection_looking_strings_are_stored_verbatim(
    db: psycopg.Connection, db_dsn: str
) -> None:
    namespace = "ns'; drop schema pgcortex cascade; --"
    async with await pgcortex.connect(db_dsn, namespace=namespace, deploy=False) as client:
        for i, text in enumerate(INJECTIONS):
            stored = await client.store_memory(
                f"{text} #{i}", "business_fact", tags=[text, f"t{i}"], metadata={text: text}
            )
            back = await client.retrieve_memory(stored.id)
            assert back.content == f"{text} #{i}"
            assert list(back.tags) == [text, f"t{i}"]
            assert back.metadata == {text: text}
            pref = await client.learn_user_preference(f"key {text}", text)
            assert pref is not None
        prefs = await client.get_user_preferences()
        assert set(prefs) == {f"key {t}" for t in INJECTIONS}
        assert {p.value for p in prefs.values()} == set(INJECTIONS)
        assert await client._fetchval("select pgcortex.current_namespace()") == namespace
    row = db.execute("select count(*) from pgcortex.memories where namespace = %s", (namespace,))
    assert row.fetchone() == (len(INJECTIONS),)


async def test_an_argument_the_driver_cannot_send_is_named(client: pgcortex.Client) -> None:
    """Refused before anything is sent, by the kind of failure (never by message text),
    and the error names the argument."""
    with pytest.raises(e.OutOfRangeError, match="importance") as too_big:
        await client.store_memory("n1", "business_fact", importance=2**40)
    assert too_big.value.client_side
    with pytest.raises(e.InvalidContentError, match="content") as surrogate:
        await client.store_memory("bad \ud800", "business_fact")
    assert surrogate.value.client_side
    with pytest.raises(e.EmbeddingDimensionError, match="16001"):
        await client.store_memory("n2", "business_fact", embedding=[0.1] * 16_001)
    with pytest.raises(e.InvalidIdError, match="memory_id"):
        await client.get_memory("01a22dde")
    # A value the server refuses is not marked as refused by the driver.
    with pytest.raises(e.OutOfRangeError) as server_side:
        await client.store_memory("n3", "business_fact", importance=9)
    assert not server_side.value.client_side
    assert await client.list_memories() == []
