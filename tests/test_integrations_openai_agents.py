"""PgcortexSession: the OpenAI Agents SDK's session behaviour over pgcortex sessions and
turns, with items made by the SDK's own types, and a real Runner over a scripted model."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest

pytest.importorskip("agents")

from agents import Agent, ItemHelpers, RunConfig, Runner, function_tool
from agents.items import (
    MessageOutputItem,
    ModelResponse,
    ReasoningItem,
    ToolCallItem,
    ToolCallOutputItem,
    TResponseInputItem,
)
from agents.memory import Session, SessionSettings
from agents.models.interface import Model
from agents.usage import Usage
from openai.types.responses import (
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseReasoningItem,
)
from openai.types.responses.response_reasoning_item import Summary

import pgcortex
from pgcortex import Client, errors
from pgcortex.integrations.openai_agents import PgcortexSession

AGENT = Agent(name="assistant")


def user(text: str) -> TResponseInputItem:
    [item] = ItemHelpers.input_to_new_input_list(text)
    return item


def assistant(text: str, n: int = 1) -> TResponseInputItem:
    raw = ResponseOutputMessage(
        id=f"msg_{n}",
        content=[ResponseOutputText(text=text, type="output_text", annotations=[])],
        role="assistant",
        status="completed",
        type="message",
    )
    return MessageOutputItem(agent=AGENT, raw_item=raw).to_input_item()


def tool_call(n: int = 1) -> TResponseInputItem:
    raw = ResponseFunctionToolCall(
        arguments='{"city": "Zürich", "days": 3}',
        call_id=f"call_{n}",
        name="get_forecast",
        type="function_call",
        id=f"fc_{n}",
        status="completed",
    )
    return ToolCallItem(agent=AGENT, raw_item=raw).to_input_item()


def tool_output(n: int = 1) -> TResponseInputItem:
    raw = {"call_id": f"call_{n}", "output": "sunny, 21 °C", "type": "function_call_output"}
    return ToolCallOutputItem(agent=AGENT, raw_item=raw, output="sunny").to_input_item()


def reasoning(n: int = 1) -> TResponseInputItem:
    raw = ResponseReasoningItem(
        id=f"rs_{n}",
        summary=[Summary(text="The user wants the forecast.", type="summary_text")],
        type="reasoning",
    )
    return ReasoningItem(agent=AGENT, raw_item=raw).to_input_item()


def conversation() -> list[TResponseInputItem]:
    return [
        user("What will the weather be like in Zürich this weekend?"),
        reasoning(),
        tool_call(),
        tool_output(),
        assistant("It will be sunny in Zürich, about 21 °C, all weekend long."),
    ]


@pytest.fixture
async def session(client: Client) -> PgcortexSession:
    return PgcortexSession("chat-1", client)


async def test_it_is_an_sdk_session(session: PgcortexSession) -> None:
    assert isinstance(session, Session)
    assert session.session_id == "chat-1"
    assert session.session_settings is None


async def test_items_round_trip_exactly_in_order(session: PgcortexSession) -> None:
    items = conversation()
    await session.add_items(items[:2])
    await session.add_items(items[2:])
    assert await session.get_items() == items
    # exact JSON, not just equal dicts: key order and text as added
    got = await session.get_items()
    assert [json.dumps(i) for i in got] == [json.dumps(i) for i in items]


async def test_awkward_json_values_survive(session: PgcortexSession) -> None:
    odd: Any = {
        "type": "function_call_output",
        "call_id": "c",
        "output": 'nul \u0000 and emoji 🦀 and quote " and \\ backslash',
        "big": 1e300,
        "small": 5e-324,
        "int": 12345678901234567890,
        "float_one": 1.0,
        "nested": {"z": [1, {"a": None}], "a": True},
    }
    await session.add_items([odd])
    items = await session.get_items()
    assert len(items) == 1
    back: Any = items[0]
    assert back == odd
    assert isinstance(back["big"], float)
    assert math.isclose(back["big"], 1e300)
    assert isinstance(back["float_one"], float)
    assert list(back["nested"]) == ["z", "a"]


async def test_limit_returns_the_latest_in_order(session: PgcortexSession) -> None:
    items = conversation()
    await session.add_items(items)
    assert await session.get_items(limit=2) == items[-2:]
    assert await session.get_items(limit=1) == items[-1:]
    assert await session.get_items(limit=50) == items
    assert await session.get_items(limit=0) == []


async def test_session_settings_limit_is_the_default(client: Client) -> None:
    s = PgcortexSession("chat-settings", client, session_settings=SessionSettings(limit=3))
    items = conversation()
    await s.add_items(items)
    assert await s.get_items() == items[-3:]
    assert await s.get_items(limit=1) == items[-1:]


async def test_pop_returns_and_removes_the_last(session: PgcortexSession) -> None:
    assert await session.pop_item() is None
    items = conversation()
    await session.add_items(items)
    assert await session.pop_item() == items[-1]
    assert await session.pop_item() == items[-2]
    assert await session.get_items() == items[:-2]
    await session.add_items([items[-1]])
    assert await session.get_items() == [*items[:-2], items[-1]]


async def test_clear_empties_and_the_session_goes_on(session: PgcortexSession) -> None:
    await session.clear_session()  # nothing yet: fine
    await session.add_items(conversation())
    await session.clear_session()
    assert await session.get_items() == []
    assert await session.pop_item() is None
    await session.add_items([user("again")])
    assert await session.get_items() == [user("again")]


async def test_empty_add_is_a_no_op(session: PgcortexSession) -> None:
    await session.add_items([])
    assert await session.get_items() == []
    assert await session.pgcortex_session_id() is None


async def test_two_sessions_are_apart(client: Client) -> None:
    a, b = PgcortexSession("a", client), PgcortexSession("b", client)
    await a.add_items([user("for a")])
    await b.add_items([user("for b"), assistant("b's answer")])
    assert await a.get_items() == [user("for a")]
    assert await b.pop_item() == assistant("b's answer")
    await a.clear_session()
    assert await b.get_items() == [user("for b")]


async def test_namespaces_are_apart(client: Client, db_dsn: str) -> None:
    other = await pgcortex.connect(db_dsn, namespace="other", deploy=False)
    try:
        mine, theirs = PgcortexSession("same-key", client), PgcortexSession("same-key", other)
        await mine.add_items([user("mine")])
        assert await theirs.get_items() == []
        assert await theirs.pop_item() is None
        await theirs.clear_session()
        await theirs.add_items([user("theirs")])
        assert await mine.get_items() == [user("mine")]
        assert await theirs.get_items() == [user("theirs")]
    finally:
        await other.close()


async def test_items_are_turns_of_a_pgcortex_session(
    session: PgcortexSession, client: Client, db: psycopg.Connection
) -> None:
    await session.add_items(conversation())
    session_id = await session.pgcortex_session_id()
    assert session_id is not None
    turns = await client.get_conversation_context(session_id, limit=10)
    assert [t.role for t in turns] == ["user", "assistant", "assistant", "tool", "assistant"]
    assert turns[0].content == "What will the weather be like in Zürich this weekend?"
    assert turns[1].content == "The user wants the forecast."
    assert turns[2].content == 'get_forecast: {"city": "Zürich", "days": 3}'
    assert turns[3].content == "sunny, 21 °C"
    # user and assistant messages are conversation: substantial ones became memories
    assert turns[0].memory_id is not None
    assert turns[4].memory_id is not None
    assert [t.memory_id for t in turns[1:4]] == [None, None, None]
    [listed] = [s for s in await client.list_sessions() if s.session_id == session_id]
    assert listed.message_count == 5
    assert listed.metadata == {"session_key": "chat-1"}
    await session.pop_item()
    row = db.execute(
        "select message_count from pgcortex.conversation_sessions where session_id = %s",
        (session_id,),
    ).fetchone()
    assert row == (4,)


async def test_turns_stored_through_the_api_read_as_messages(
    session: PgcortexSession, client: Client
) -> None:
    await session.add_items([user("hello there")])
    session_id = await session.pgcortex_session_id()
    await client.store_conversation_turn("assistant", "hi, how can I help?", session_id)
    assert await session.get_items() == [
        user("hello there"),
        {"role": "assistant", "content": "hi, how can I help?"},
    ]


async def test_an_ended_session_refuses_changes(session: PgcortexSession, client: Client) -> None:
    await session.add_items([user("hello")])
    session_id = await session.pgcortex_session_id()
    assert session_id is not None
    await client.end_session(session_id, "said hello")
    with pytest.raises(errors.PgcortexError) as exc:
        await session.add_items([user("more")])
    assert exc.value.code == "PC031"
    with pytest.raises(errors.PgcortexError) as exc:
        await session.pop_item()
    assert exc.value.code == "PC031"
    assert await session.get_items() == [user("hello")]


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        ("select * from pgcortex.add_session_items('k', '{}'::json)", "PC023"),
        ("select * from pgcortex.add_session_items('k', '[1]'::json)", "PC023"),
        ("select * from pgcortex.add_session_items('  ', '[]'::json)", "PC003"),
        ("select * from pgcortex.get_session_items('k', -1)", "PC004"),
        ("select * from pgcortex.pop_session_item(null)", "PC003"),
        (
            'select * from pgcortex.add_session_items(\'k\', \'[{"role": "user", "content": '
            "\"x\"}]'::json, embeddings => array[]::public.vector[], embedding_model => 'm')",
            "PC003",
        ),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    db: psycopg.Connection, sql: str, code: str
) -> None:
    with pytest.raises(psycopg.Error) as exc:
        db.execute(sql)
    assert exc.value.sqlstate == code
    row = db.execute("select count(*) from pgcortex.conversation_turns").fetchone()
    assert row == (0,)


def test_usable_from_sql(db: psycopg.Connection) -> None:
    rows = db.execute(
        "select ordinality, memory_id is not null from pgcortex.add_session_items("
        "session_key => 'psql', items => %s::json)",
        (json.dumps([{"role": "user", "content": "x"}, {"type": "reasoning", "summary": []}]),),
    ).fetchall()
    assert rows == [(1, False), (2, False)]
    items = db.execute(
        "select role, item::text from pgcortex.get_session_items(session_key => 'psql')"
    ).fetchall()
    assert items == [
        ("user", '{"role": "user", "content": "x"}'),
        ("assistant", '{"type": "reasoning", "summary": []}'),
    ]
    turn = db.execute(
        "select content from pgcortex.conversation_turns order by turn_id desc limit 1"
    ).fetchone()
    assert turn == ("[reasoning]",)
    assert db.execute("select pgcortex.clear_session_items('psql')").fetchone() == (2,)


async def test_the_application_role_can_use_it(db: psycopg.Connection) -> None:
    from tests.security_seed import login_role

    with login_role(db) as (_, dsn):
        client = await pgcortex.connect(dsn, namespace="app", deploy=False)
        try:
            session = PgcortexSession("app-chat", client)
            items = conversation()
            await session.add_items(items)
            assert await session.get_items(limit=2) == items[-2:]
            assert await session.pop_item() == items[-1]
            await session.clear_session()
            assert await session.get_items() == []
        finally:
            await client.close()


# -- a real run of the SDK, with a scripted model (no network) -------------------------------


class ScriptedModel(Model):
    """The SDK's Model interface answering from a script, recording what it was sent."""

    def __init__(self, replies: list[list[Any]]) -> None:
        self.replies = replies
        self.inputs: list[list[TResponseInputItem]] = []

    async def get_response(self, system_instructions, input, *args, **kwargs):
        self.inputs.append(ItemHelpers.input_to_new_input_list(input))
        return ModelResponse(output=self.replies.pop(0), usage=Usage(), response_id=None)

    def stream_response(self, *args, **kwargs) -> AsyncIterator[Any]:
        raise NotImplementedError("the scripted model does not stream")


@function_tool
def get_forecast(city: str, days: int) -> str:
    """The weather forecast for a city."""
    return f"sunny in {city} for {days} days"


async def test_runner_keeps_its_history_in_pgcortex(client: Client) -> None:
    call = ResponseFunctionToolCall(
        arguments='{"city": "Zürich", "days": 3}',
        call_id="call_1",
        name="get_forecast",
        type="function_call",
        id="fc_1",
        status="completed",
    )

    def message(text: str, n: int) -> ResponseOutputMessage:
        return ResponseOutputMessage(
            id=f"msg_{n}",
            content=[ResponseOutputText(text=text, type="output_text", annotations=[])],
            role="assistant",
            status="completed",
            type="message",
        )

    model = ScriptedModel(
        [
            [call],
            [message("Sunny in Zürich for three days.", 1)],
            [message("You asked about Zürich.", 2)],
        ]
    )
    agent = Agent(name="weather", model=model, tools=[get_forecast])
    config = RunConfig(tracing_disabled=True)
    session = PgcortexSession("run-1", client)

    first = await Runner.run(agent, "Forecast for Zürich?", session=session, run_config=config)
    assert first.final_output == "Sunny in Zürich for three days."
    second = await Runner.run(
        agent, "Which city did I ask about?", session=session, run_config=config
    )
    assert second.final_output == "You asked about Zürich."

    # the second run's model call saw the first run's history, read from pgcortex
    seen = model.inputs[-1]
    assert seen[0] == {"content": "Forecast for Zürich?", "role": "user"}
    assert any(i.get("type") == "function_call_output" for i in seen)
    history = await session.get_items()
    assert history[-1]["role"] == "assistant"  # type: ignore[typeddict-item]
    assert [i.get("type", "message") for i in history] == [
        "message",
        "function_call",
        "function_call_output",
        "message",
        "message",
        "message",
    ]
    # a fresh session object on the same key reads the same history
    assert await PgcortexSession("run-1", client).get_items() == history


@pytest.mark.embed
async def test_conversation_items_are_embedded_and_found_by_meaning(
    db_dsn: str, db: psycopg.Connection
) -> None:
    from pgcortex.embedding import MiniLMEmbedder, minilm_available

    if not minilm_available():
        pytest.skip("needs the extra 'embed'")
    client = await pgcortex.connect(
        db_dsn, namespace="test", deploy=False, embedder=MiniLMEmbedder()
    )
    try:
        session = PgcortexSession("embedded", client)
        await session.add_items(conversation())
        rows = db.execute(
            "select content from pgcortex.memories where embedding is not null order by content"
        ).fetchall()
        assert rows == [
            ("It will be sunny in Zürich, about 21 °C, all weekend long.",),
            ("What will the weather be like in Zürich this weekend?",),
        ]
        [hit, *_] = await client.search_memories("forecast for a Swiss city", k=3, track=False)
        assert "Zürich" in hit.content
        assert hit.similarity is not None
    finally:
        await client.close()
