"""Sessions and turns: message_count, the duration column, topics, PC031/PC032, turns that
become conversation memories (the seed's rule, configurable and switchable), context."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from pgcortex import Client, errors

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def count(db: psycopg.Connection, table: str) -> int:
    row = db.execute(f"select count(*) from {table}").fetchone()
    assert row is not None
    return int(row[0])


async def test_session_lifecycle_and_duration(client: Client, db: psycopg.Connection) -> None:
    session = await client.start_session({"channel": "slack"}, as_of=T0)
    assert session.duration_seconds is None
    assert session.metadata == {"channel": "slack"}
    for i, text in enumerate(
        ["Budget planning for marketing", "The marketing budget is tight", "ok"]
    ):
        stored = await client.store_conversation_turn(
            "user", text, session.session_id, as_of=T0 + timedelta(minutes=i + 1)
        )
        assert stored.message_count == i + 1
    ended = await client.end_session(
        session.session_id, "planned the budget", 0.7, as_of=T0 + timedelta(minutes=42, seconds=5)
    )
    assert ended.duration_seconds == 42 * 60 + 5
    assert ended.message_count == 3
    assert ended.summary == "planned the budget"
    assert ended.importance == pytest.approx(0.7)
    assert ended.topics[:2] == ("budget", "marketing")
    row = db.execute(
        "select duration_seconds from pgcortex.conversation_sessions where session_id = %s",
        (session.session_id,),
    ).fetchone()
    assert row == (2525,)
    [listed] = await client.list_sessions()
    assert listed.duration_seconds == 2525


async def test_no_turn_after_end_and_no_end_before_start(
    client: Client, db: psycopg.Connection
) -> None:
    session = await client.start_session(as_of=T0)
    with pytest.raises(errors.InvalidSessionTimeError):
        await client.end_session(session.session_id, as_of=T0 - timedelta(seconds=1))
    with pytest.raises(errors.InvalidSessionTimeError):
        await client.store_conversation_turn(
            "user", "too early", session.session_id, as_of=T0 - timedelta(hours=1)
        )
    await client.end_session(session.session_id, as_of=T0 + timedelta(minutes=1))
    with pytest.raises(errors.SessionClosedError):
        await client.store_conversation_turn("user", "hello?", session.session_id)
    with pytest.raises(errors.SessionClosedError):
        await client.end_session(session.session_id)
    assert count(db, "pgcortex.conversation_turns") == 0
    row = db.execute("select message_count from pgcortex.conversation_sessions").fetchone()
    assert row == (0,)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"role": "robot", "content": "hi"}, errors.InvalidArgumentError),
        ({"role": "user", "content": ""}, errors.InvalidContentError),
        ({"role": "user", "content": "   "}, errors.InvalidContentError),
        ({"role": "user", "content": "x" * 100_001}, errors.InvalidContentError),
        ({"role": "user", "content": "hi", "context": [1]}, errors.InvalidMetadataError),
        (
            {"role": "user", "content": "hi", "session_id": "01a20a74-431a-7c42-8b5a-f7fd5505090a"},
            errors.NotFoundError,
        ),
        (
            {"role": "user", "content": "hi", "embedding": [0.0] * 384, "embedding_model": "m"},
            errors.EmbeddingValueError,
        ),
        (
            {"role": "user", "content": "hi", "embedding": [1.0] * 3, "embedding_model": "m"},
            errors.EmbeddingDimensionError,
        ),
    ],
)
async def test_bad_turn_writes_nothing(
    client: Client, db: psycopg.Connection, kwargs: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        await client.store_conversation_turn(**kwargs)  # type: ignore[arg-type]
    assert count(db, "pgcortex.conversation_turns") == 0
    assert count(db, "pgcortex.memories") == 0


async def test_bad_session_arguments(client: Client, db: psycopg.Connection) -> None:
    with pytest.raises(errors.InvalidMetadataError):
        await client.start_session([1, 2])  # type: ignore[arg-type]
    session = await client.start_session()
    with pytest.raises(errors.OutOfRangeError):
        await client.end_session(session.session_id, importance=3)
    with pytest.raises(errors.NotFoundError):
        await client.end_session("01a20a74-431a-7c42-8b5a-f7fd5505090a")
    assert count(db, "pgcortex.conversation_sessions") == 1
    row = db.execute("select ended_at from pgcortex.conversation_sessions").fetchone()
    assert row == (None,)


async def test_substantial_turns_become_conversation_memories(
    client: Client, db: psycopg.Connection
) -> None:
    session = await client.start_session()
    plain = await client.store_conversation_turn(
        "assistant",
        "Here is the summary of the onboarding feedback you asked for.",
        session.session_id,
    )
    key = await client.store_conversation_turn(
        "user",
        "Our main goal this quarter is to decide the pricing strategy for Europe.",
        session.session_id,
    )
    short = await client.store_conversation_turn("user", "Thanks, that helps.", session.session_id)
    exactly_50 = await client.store_conversation_turn("user", "x" * 50, session.session_id)
    assert short.memory_id is None
    assert exactly_50.memory_id is None
    rows = db.execute(
        "select id, memory_type, importance, tags, metadata->>'role' from pgcortex.memories "
        "order by created_at"
    ).fetchall()
    assert rows == [
        (plain.memory_id, "conversation", 2, ["assistant", "conversation"], "assistant"),
        (key.memory_id, "conversation", 3, ["conversation", "user"], "user"),
    ]
    linked = db.execute(
        "select count(*) from pgcortex.conversation_turns where memory_id is not null"
    ).fetchone()
    assert linked == (2,)


async def test_turn_memory_rule_is_configurable_and_switchable(
    client: Client, db: psycopg.Connection
) -> None:
    await client.set_knowledge_settings(
        turn_memory_min_chars=10, turn_memory_importance=1, turn_memory_key_pattern="urgent"
    )
    a = await client.store_conversation_turn("user", "Call the bank today please")
    b = await client.store_conversation_turn("user", "This is URGENT: call the bank")
    assert a.memory_id is not None
    assert b.memory_id is not None
    importances: dict[object, int] = dict(
        db.execute("select id, importance from pgcortex.memories").fetchall()
    )
    assert importances == {a.memory_id: 1, b.memory_id: 3}

    settings = await client.set_knowledge_settings(turn_memories=False)
    assert settings.turn_memories is False
    c = await client.store_conversation_turn("user", "A long turn that would be remembered")
    assert c.memory_id is None
    assert count(db, "pgcortex.memories") == 2

    with pytest.raises(errors.OutOfRangeError):
        await client.set_knowledge_settings(turn_memory_importance=9)
    with pytest.raises(errors.InvalidArgumentError):
        await client.set_knowledge_settings(turn_memory_key_pattern="(")
    assert (await client.get_knowledge_settings()).turn_memory_importance == 1
    restored = await client.set_knowledge_settings(reset=True)
    assert restored.turn_memories is True
    assert restored.turn_memory_min_chars == 50


async def test_conversation_context(client: Client) -> None:
    await client.set_knowledge_settings(turn_memories=False)
    s1 = await client.start_session(as_of=T0)
    s2 = await client.start_session(as_of=T0)
    for i in range(6):
        await client.store_conversation_turn(
            "user", f"s1 turn {i}", s1.session_id, as_of=T0 + timedelta(minutes=2 * i)
        )
        await client.store_conversation_turn(
            "assistant", f"s2 turn {i}", s2.session_id, as_of=T0 + timedelta(minutes=2 * i + 1)
        )
    last = await client.get_conversation_context(s1.session_id, 3)
    assert [t.content for t in last] == ["s1 turn 3", "s1 turn 4", "s1 turn 5"]
    everywhere = await client.get_conversation_context(limit=3)
    assert [t.content for t in everywhere] == ["s2 turn 4", "s1 turn 5", "s2 turn 5"]
    assert everywhere[0].session_id == s2.session_id
