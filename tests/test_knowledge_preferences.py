"""User preferences: upsert with the lower-confidence rule, history with its source,
reads by category, and bad input (documented codes, nothing written)."""

from __future__ import annotations

import psycopg
import pytest

from pgcortex import Client, errors


def count(db: psycopg.Connection, table: str) -> int:
    row = db.execute(f"select count(*) from {table}").fetchone()
    assert row is not None
    return int(row[0])


async def test_any_json_value_and_get_by_category(client: Client) -> None:
    await client.learn_user_preference("ui.theme", "dark")
    await client.learn_user_preference("ui.font_size", 14, confidence=0.8)
    await client.learn_user_preference("reports.format", {"kind": "pdf", "pages": [1, 2]})
    await client.learn_user_preference("notify", False)

    everything = await client.get_user_preferences()
    assert set(everything) == {"ui.theme", "ui.font_size", "reports.format", "notify"}
    assert everything["reports.format"].value == {"kind": "pdf", "pages": [1, 2]}
    assert everything["notify"].value is False

    ui = await client.get_user_preferences("UI")
    assert set(ui) == {"ui.theme", "ui.font_size"}
    assert ui["ui.font_size"].value == 14
    assert ui["ui.font_size"].confidence == pytest.approx(0.8)


async def test_lower_confidence_never_overwrites(client: Client) -> None:
    first = await client.learn_user_preference("tone", "formal", confidence=0.9, source="chat")
    assert first.applied
    assert first.previous_value is None

    weaker = await client.learn_user_preference("tone", "casual", confidence=0.4, source="guess")
    assert not weaker.applied
    assert weaker.held_value == "formal"
    assert weaker.held_confidence == pytest.approx(0.9)
    assert weaker.held_source == "chat"

    equal = await client.learn_user_preference("tone", "friendly", confidence=0.9, source="user")
    assert equal.applied
    assert equal.previous_value == "formal"
    assert (await client.get_user_preferences())["tone"].value == "friendly"


async def test_every_offer_is_kept_with_its_source(client: Client) -> None:
    session = await client.start_session()
    mem = await client.store_memory("The user likes short answers", "user_preference")
    await client.learn_user_preference(
        "length", "short", 0.7, "chat", session_id=session.session_id
    )
    await client.learn_user_preference("length", "long", 0.2, "inferred", memory_id=mem.id)

    history = await client.get_preference_history("length")
    assert [(h.value, h.applied, h.source) for h in history] == [
        ("long", False, "inferred"),
        ("short", True, "chat"),
    ]
    assert history[1].session_id == session.session_id
    assert history[0].memory_id == mem.id
    assert history[0].previous_value == "short"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"key": "", "value": 1}, errors.InvalidArgumentError),
        ({"key": "k" * 256, "value": 1}, errors.InvalidArgumentError),
        ({"key": "k", "value": None}, errors.InvalidArgumentError),
        ({"key": "k", "value": 1, "confidence": 1.5}, errors.OutOfRangeError),
        ({"key": "k", "value": 1, "confidence": -0.1}, errors.OutOfRangeError),
        ({"key": "k", "value": 1, "source": ""}, errors.InvalidArgumentError),
        (
            {"key": "k", "value": 1, "session_id": "01a20a74-431a-7c42-8b5a-f7fd5505090a"},
            errors.NotFoundError,
        ),
        ({"key": "k", "value": 1, "session_id": "not-a-uuid"}, errors.InvalidIdError),
    ],
)
async def test_bad_input_writes_nothing(
    client: Client, db: psycopg.Connection, kwargs: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        await client.learn_user_preference(**kwargs)  # type: ignore[arg-type]
    assert count(db, "pgcortex.user_preferences") == 0
    assert count(db, "pgcortex.user_preference_history") == 0


async def test_namespaces_do_not_see_each_other(client: Client, db_dsn: str) -> None:
    import pgcortex

    await client.learn_user_preference("secret", "mine")
    other = await pgcortex.connect(db_dsn, namespace="other", deploy=False)
    try:
        assert await other.get_user_preferences() == {}
        assert await other.get_preference_history() == []
    finally:
        await other.close()
