"""`pgcortex mcp`: the MCP server driven through the MCP SDK's own stdio client, in a
subprocess, over the real protocol; and the base package importing no framework."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
import pytest

pytest.importorskip("mcp")

from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp_types import CallToolResult

import pgcortex
import pgcortex.integrations
from pgcortex.embedding import minilm_available
from pgcortex.integrations.mcp import plain, render_context

TOOLS = {
    "remember",
    "recall",
    "forget",
    "update_memory",
    "get_context",
    "set_preference",
    "get_preferences",
    "list_recent_memories",
    "memory_summary",
}


def _passed_environment() -> dict[str, str]:
    """What the server inherits besides the SDK's short list: the import path, and the
    settings with which coverage measures subprocesses (``make test``)."""
    return {k: v for k, v in os.environ.items() if k == "PYTHONPATH" or k.startswith("COVERAGE_")}


@asynccontextmanager
async def mcp_server(dsn: str, *extra: str) -> AsyncIterator[Client]:
    """`pgcortex mcp` in a subprocess, the namespace given after the command as an MCP
    client's configuration does, the DSN from the environment."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "pgcortex.cli", "mcp", "--namespace", "mcp-test", *extra],
        env={"PGCORTEX_DSN": dsn, **_passed_environment()},
    )
    async with Client(params, read_timeout_seconds=300) as client:
        yield client


async def call(client: Client, name: str, **arguments: Any) -> dict[str, Any]:
    result: CallToolResult = await client.call_tool(name, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    # the text content is the same JSON, for clients that read text only
    if name != "get_context":
        assert json.loads(result.content[0].text) == result.structured_content  # type: ignore[union-attr]
    data: dict[str, Any] = result.structured_content
    return data


@pytest.mark.embed
async def test_remember_recall_by_meaning_forget(db_dsn: str, db: psycopg.Connection) -> None:
    if not minilm_available():
        pytest.skip("needs the extra 'embed'")
    async with mcp_server(db_dsn) as client:
        listed = await client.list_tools()
        assert {t.name for t in listed.tools} == TOOLS
        remember = next(t for t in listed.tools if t.name == "remember")
        assert remember.description
        assert "long term" in remember.description
        schema = remember.input_schema
        assert set(schema["required"]) == {"content", "memory_type"}
        assert schema["properties"]["importance"]["maximum"] == 5

        stored = await call(
            client,
            "remember",
            content="Our biggest customer renewed their contract for three more years.",
            memory_type="business_fact",
            importance=5,
            tags=["sales"],
        )
        assert stored["action"] == "inserted"
        await call(
            client,
            "remember",
            content="The office coffee machine is broken again.",
            memory_type="business_fact",
            importance=1,
        )
        # stored in the namespace given, with the MiniLM embedding
        row = db.execute(
            "select namespace, embedding_model from pgcortex.memories where id = %s",
            (stored["id"],),
        ).fetchone()
        assert row == ("mcp-test", "all-MiniLM-L6-v2")

        # a paraphrase sharing no word with the memory
        found = await call(client, "recall", query="key client extended agreement", k=2)
        top = found["memories"][0]
        assert top["id"] == stored["id"]
        assert top["matched_by"] == "vector"
        assert top["similarity"] > 0.3
        for part in ("score", "relevance", "recency_factor", "importance_factor"):
            assert part in top

        assert await call(client, "forget", memory_id=stored["id"]) == {"deleted": stored["id"]}
        again = await call(client, "recall", query="key client extended agreement", k=2)
        assert stored["id"] not in {m["id"] for m in again["memories"]}
        missing = await client.call_tool("forget", {"memory_id": stored["id"]})
        assert missing.is_error
        assert missing.structured_content is not None
        assert missing.structured_content["error"]["code"] == "PC030"


async def test_the_other_tools_text_only(db_dsn: str) -> None:
    async with mcp_server(db_dsn, "--text-only") as client:
        stored = await call(
            client,
            "remember",
            content="Quarterly planning happens in the first week of the quarter.",
            memory_type="process_knowledge",
        )
        updated = await call(client, "update_memory", memory_id=stored["id"], importance=4)
        assert updated["importance"] == 4
        assert "embedding" not in updated

        recent = await call(client, "list_recent_memories", limit=5)
        assert [m["id"] for m in recent["memories"]] == [stored["id"]]

        pref = await call(client, "set_preference", key="report.format", value={"style": "short"})
        assert pref["applied"] is True
        prefs = await call(client, "get_preferences", category="report")
        assert prefs["preferences"]["report.format"]["value"] == {"style": "short"}

        context = await client.call_tool("get_context", {"query": "quarterly planning"})
        assert not context.is_error
        assert context.structured_content is not None
        assert context.structured_content["namespace"] == "mcp-test"
        text = context.content[0].text  # type: ignore[union-attr]
        assert "Quarterly planning happens in the first week" in text
        assert "report.format" in text

        summary = await call(client, "memory_summary")
        assert summary["memories"] == 1
        assert summary["namespace"] == "mcp-test"

        # pgcortex errors are tool errors carrying the code and the hint
        bad = await client.call_tool("remember", {"content": "x", "memory_type": "no_such_type"})
        assert bad.is_error
        assert bad.structured_content is not None
        assert bad.structured_content["error"]["code"] == "PC021"
        assert "PC021" in bad.content[0].text  # type: ignore[union-attr]
        # arguments outside the schema are refused by the SDK before any call
        out_of_range = await client.call_tool("recall", {"query": "x", "k": 0})
        assert out_of_range.is_error


def test_logs_go_to_stderr_and_a_bad_dsn_is_an_error_there(tmp_path: Any) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pgcortex.cli", "mcp", "--text-only"],
        env={**os.environ, "PGCORTEX_DSN": f"postgresql:///nodb?host={tmp_path}"},
        input="",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "search by text only" in proc.stderr
    assert "pgcortex: error" in proc.stderr


async def test_context_text_has_every_part_of_the_bundle(client: pgcortex.Client) -> None:
    """The text get_context gives a prompt: memories, preferences, the session's recent
    turns, clusters and patterns, each under its heading."""
    await client.store_memory(
        "Enterprise pricing starts at 40 euros per seat", "business_fact", tags=["pricing"]
    )
    await client.learn_user_preference("report.format", "pdf", 0.9)
    await client.store_knowledge_cluster("Pricing", topics=["pricing", "seats"])
    await client.store_learning_pattern("preference", "user often asks about pricing", "x", 0.8)
    session = await client.start_session()
    await client.store_conversation_turn("user", "what do seats cost?", session.session_id)
    bundle = await client.get_contextual_knowledge(
        "enterprise pricing", session_id=session.session_id
    )
    text = render_context(plain(dict(bundle.raw)))
    assert text.index("## Relevant memories") < text.index("## User preferences")
    assert "(business_fact, importance 3 [pricing]) Enterprise pricing starts at 40" in text
    assert '- report.format: "pdf" (confidence 0.9)' in text
    assert "## Recent conversation\n- user: what do seats cost?" in text
    assert "- Pricing: pricing, seats" in text
    assert "## Learned patterns\n- user often asks about pricing" in text
    assert render_context({}) == "Nothing is known yet for this query."


def _other_connections(db: psycopg.Connection) -> int:
    row = db.execute(
        "select count(*) from pg_catalog.pg_stat_activity"
        " where datname = pg_catalog.current_database() and pid <> pg_catalog.pg_backend_pid()"
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_sigterm_closes_the_connections_and_exits_cleanly(
    db_dsn: str, db: psycopg.Connection
) -> None:
    """A client that stops the server with SIGTERM (stdin still open) gets exit status 0,
    and the server's database connections are closed, not dropped."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pgcortex.cli", "mcp", "--text-only", "-n", "mcp-test"],
        env={**os.environ, "PGCORTEX_DSN": db_dsn},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        lines = []
        for line in proc.stderr:
            lines.append(line)
            if "serving namespace" in line:
                break
        assert "serving namespace 'mcp-test' over stdio" in lines[-1], lines
        assert _other_connections(db) >= 1
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        assert "stopping (SIGTERM)" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    deadline = time.monotonic() + 10
    while _other_connections(db) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _other_connections(db) == 0


def test_without_the_extra_the_command_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pgcortex.cli import main

    # what an installation without the extra 'mcp' sees: the SDK cannot be imported
    for name in [m for m in sys.modules if m == "mcp" or m.startswith("mcp.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.delitem(sys.modules, "pgcortex.integrations.mcp")
    monkeypatch.delattr(pgcortex.integrations, "mcp")
    assert main(["mcp", "--text-only"]) == 2
    assert "needs the extra 'mcp': pip install 'pgcortex[mcp]'" in capsys.readouterr().err


def test_base_package_imports_no_framework() -> None:
    code = (
        "import sys, pgcortex, pgcortex.integrations, pgcortex.cli; "
        "pgcortex.cli.build_parser(); "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'mcp', 'mcp_types', 'agents', 'openai', 'langgraph'}); "
        "print(','.join(bad))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""
