"""Learning patterns: the upsert rule (frequency counts evidence once, confidence is the
frequency-weighted mean, bounded distinct examples), detection from user turns (a planted
recurring topic and a question habit), re-detection adding nothing, and bad input."""

from __future__ import annotations

import psycopg
import pytest

from pgcortex import Client, errors

USER_TURNS = [
    "How should we set pricing for the enterprise plan?",
    "I think our pricing page needs a rewrite.",
    "Can we compare pricing with the two main competitors?",
    "What would a yearly pricing discount cost us?",
    "Let us also plan the hiring of two engineers.",
    "Send me the notes from the board meeting.",
]


def count(db: psycopg.Connection, table: str) -> int:
    row = db.execute(f"select count(*) from {table}").fetchone()
    assert row is not None
    return int(row[0])


async def _conversation(client: Client) -> str:
    session = await client.start_session()
    for text in USER_TURNS:
        await client.store_conversation_turn("user", text, session.session_id)
        await client.store_conversation_turn(
            "assistant", "Noted, pricing pricing pricing.", session.session_id
        )
    return str(session.session_id)


async def test_detects_planted_topic_and_question_habit_once(client: Client) -> None:
    await client.set_knowledge_settings(turn_memories=False)
    session_id = await _conversation(client)

    found = {p.description: p for p in await client.identify_learning_patterns(session_id)}
    topic = found["user frequently discusses pricing"]
    assert topic.pattern_type == "preference"
    assert topic.frequency == 4  # four user turns speak of pricing (assistant turns do not count)
    assert topic.new_evidence == 4
    assert topic.confidence == pytest.approx(4 / 6)
    assert 1 <= len(topic.examples) <= 5
    habit = found["user asks many questions"]
    assert habit.pattern_type == "workflow"
    assert habit.frequency == 3
    assert not any("hiring" in d or "board" in d for d in found)

    again = {p.description: p for p in await client.identify_learning_patterns(session_id)}
    assert again["user frequently discusses pricing"].frequency == 4
    assert again["user frequently discusses pricing"].new_evidence == 0
    assert again["user asks many questions"].frequency == 3

    # A new turn is new evidence: counted once.
    await client.store_conversation_turn("user", "Is pricing by seat fair?", session_id)
    third = {p.description: p for p in await client.identify_learning_patterns(session_id)}
    assert third["user frequently discusses pricing"].frequency == 5
    assert third["user frequently discusses pricing"].new_evidence == 1
    assert third["user asks many questions"].frequency == 4


async def test_thresholds_are_overridable(client: Client) -> None:
    await client.set_knowledge_settings(turn_memories=False)
    session_id = await _conversation(client)
    assert await client.identify_learning_patterns(session_id, min_turns=10) == []
    found = await client.identify_learning_patterns(session_id, min_term_turns=5, min_questions=10)
    assert found == []
    await client.set_knowledge_settings(pattern_min_questions=4)
    found = await client.identify_learning_patterns(session_id)
    assert [p.pattern_type for p in found] == ["preference"]


async def test_store_pattern_rule(client: Client) -> None:
    p1 = await client.store_learning_pattern(
        "decision_pattern",
        "decides after seeing numbers",
        "asked for the P&L",
        0.9,
        evidence_key="m1",
    )
    assert (p1.frequency, p1.new_evidence) == (1, 1)
    p2 = await client.store_learning_pattern(
        "decision_pattern",
        "decides after seeing numbers",
        "asked for churn",
        0.3,
        evidence_key="m2",
    )
    assert p2.frequency == 2
    assert p2.confidence == pytest.approx((0.9 + 0.3) / 2)
    assert p2.examples == ("asked for churn", "asked for the P&L")
    same = await client.store_learning_pattern(
        "decision_pattern",
        "decides after seeing numbers",
        "something else",
        0.0,
        evidence_key="m2",
    )
    assert (same.frequency, same.new_evidence) == (2, 0)
    assert same.confidence == pytest.approx(0.6)
    assert same.examples == p2.examples

    for i in range(8):
        last = await client.store_learning_pattern(
            "decision_pattern", "decides after seeing numbers", f"example {i % 4}", 0.5
        )
    assert last.frequency == 10
    assert last.examples == ("example 3", "example 2", "example 1", "example 0", "asked for churn")


async def test_pattern_links_to_session_and_memory(client: Client, db: psycopg.Connection) -> None:
    session = await client.start_session()
    mem = await client.store_memory("The user reviews numbers first", "process_knowledge")
    await client.store_learning_pattern(
        "workflow", "reviews numbers", session_id=session.session_id
    )
    await client.store_learning_pattern(
        "workflow", "reviews numbers", session_id=session.session_id
    )
    p = await client.store_learning_pattern("workflow", "reviews numbers", memory_id=mem.id)
    assert p.frequency == 2  # the session counted once, the memory once
    rows = db.execute(
        "select evidence_key, session_id, memory_id from pgcortex.learning_pattern_evidence "
        "order by evidence_key"
    ).fetchall()
    assert rows == [
        (f"memory:{mem.id}", None, mem.id),
        (f"session:{session.session_id}", session.session_id, None),
    ]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"pattern_type": "hobby", "description": "x"}, errors.UnknownPatternTypeError),
        ({"pattern_type": "workflow", "description": ""}, errors.InvalidArgumentError),
        ({"pattern_type": "workflow", "description": "d" * 1001}, errors.InvalidArgumentError),
        ({"pattern_type": "workflow", "description": "x", "confidence": 2}, errors.OutOfRangeError),
        (
            {
                "pattern_type": "workflow",
                "description": "x",
                "memory_id": "01a20a74-431a-7c42-8b5a-f7fd5505090a",
            },
            errors.NotFoundError,
        ),
    ],
)
async def test_bad_pattern_writes_nothing(
    client: Client, db: psycopg.Connection, kwargs: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        await client.store_learning_pattern(**kwargs)  # type: ignore[arg-type]
    assert count(db, "pgcortex.learning_patterns") == 0
    assert count(db, "pgcortex.learning_pattern_evidence") == 0


async def test_bad_detection_arguments(client: Client) -> None:
    with pytest.raises(errors.NotFoundError):
        await client.identify_learning_patterns("01a20a74-431a-7c42-8b5a-f7fd5505090a")
    with pytest.raises(errors.OutOfRangeError):
        await client.identify_learning_patterns(min_questions=0)
