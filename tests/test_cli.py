"""The command line against the test database: every command, --json, ids by prefix,
global options anywhere, one-line errors, a closed pipe, the text-only warning."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pgcortex.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def cli(db_dsn: str, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run ``pgcortex <words>`` on this test's database (namespace 'test')."""

    class Runner:
        def __call__(self, *words: str, code: int = 0) -> str:
            got = main(["--dsn", db_dsn, "-n", "test", *words])
            captured = capsys.readouterr()
            self.err = captured.err
            assert got == code, captured.err
            return captured.out

        def json(self, *words: str) -> Any:
            return json.loads(self(*words, "--json"))

    return Runner()


def test_bare_pgcortex_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "usage: pgcortex" in out
    assert "remember" in out


def test_global_options_before_or_after_the_subcommand() -> None:
    parser = build_parser()
    before = parser.parse_args(["--dsn", "x", "-n", "a", "show"])
    after = parser.parse_args(["show", "--dsn", "x", "-n", "a"])
    neither = parser.parse_args(["show"])
    assert (before.dsn, before.namespace) == ("x", "a")
    assert (after.dsn, after.namespace) == ("x", "a")
    assert (neither.dsn, neither.namespace) == (None, None)
    mixed = parser.parse_args(["-n", "a", "show", "-n", "b"])
    assert mixed.namespace == "b"


def test_every_data_command_takes_json() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    # a script, a program, a question, JSON Lines already, a protocol
    no_data = {"deploy-script", "psql", "reset", "export", "mcp"}
    missing = [
        name
        for name, p in sub.choices.items()  # type: ignore[union-attr]
        if name not in no_data and not any(a.dest == "json" for a in p._actions)
    ]
    assert missing == []


def test_memory_commands_with_ids_by_prefix(cli: Any) -> None:
    first = cli.json(
        "remember",
        "Zorblax raised prices by 20%",
        "-t",
        "market_intelligence",
        "--tag",
        "pricing",
        "--importance",
        "4",
        "--metadata",
        '{"src": "cli"}',
        "--text-only",
    )
    assert first["action"] == "inserted"
    second = cli.json("remember", "Acme ships on Fridays", "--text-only")
    full_a, full_b = first["id"], second["id"]
    # Made within the same minute: the first 8 digits are the same, a longer prefix is not.
    assert full_a[:8] == full_b[:8]
    prefix = next(n for n in range(9, 37) if full_a[:n] != full_b[:n])
    shown = cli.json("show", full_a[: prefix + 1])
    assert shown["id"] == full_a
    assert shown["tags"] == ["pricing"]
    out = cli("show", full_a[: prefix + 1].upper())
    assert "access count" in out
    assert full_a in out
    # An ambiguous prefix is refused, with a hint for the command line.
    cli("show", full_a[:8], code=2)
    assert "[PC003]" in cli.err
    assert "more characters" in cli.err
    assert cli.err.count("\n") == 1
    cli("show", "zz-not-hex", code=2)
    assert "[PC003]" in cli.err
    listed = cli.json("show")
    assert {m["id"] for m in listed} == {full_a, full_b}
    table = cli("show", "--order", "importance")
    assert full_a in table  # full ids in tables
    hits = cli.json("recall", "Zorblax", "--text-only")
    assert hits[0]["id"] == full_a
    assert hits[0]["similarity"] is None
    assert "score" in cli("recall", "Zorblax", "--text-only", "--no-track")
    cli.json(
        "remember",
        "Zorblax raised prices by 20%",
        "-t",
        "market_intelligence",
        "--importance",
        "5",
        "--text-only",
    )
    history = cli.json("history", full_a[: prefix + 1])
    assert [c["operation"] for c in history][:1] == ["insert"]
    assert "importance: 4 -> 5" in cli("history", full_a)
    assert "business_fact" in cli("types")
    assert "business_fact" in cli.json("types")
    dry = cli.json(
        "forget", "--dry-run", "--days", "0", "--max-importance", "5", "--min-access-count", "100"
    )
    assert dry["forgotten"]["simulated"] is True
    assert dry["expired"] is None
    assert "would forget" in cli("forget", "--dry-run")
    assert "purged 0 expired" in cli("forget", "--days", "3650")
    assert cli.json("forget", full_b[: prefix + 1]) == {"deleted": full_b}
    assert cli("forget", full_a).strip() == f"deleted {full_a}"
    cli("show", full_a, code=2)
    assert "[PC030]" in cli.err
    assert "pgcortex show" in cli.err


def test_user_mistakes_are_one_line_with_a_hint(cli: Any) -> None:
    cli("remember", "x", "-t", "nope", "--text-only", code=2)
    assert "[PC021]" in cli.err
    assert "valid memory types: " in cli.err
    assert "business_fact" in cli.err
    assert "Traceback" not in cli.err
    cli("remember", "x", "--metadata", "{bad", "--text-only", code=2)
    assert "--metadata is not JSON" in cli.err
    cli("remember", "x", "--metadata", "[1]", "--text-only", code=2)
    assert "JSON object" in cli.err
    cli("erase", "--confirm", "wrong", code=2)
    assert "[PC050]" in cli.err
    assert "erase --confirm test" in cli.err
    assert "=>" not in cli.err
    cli("remember", "x", "--importance", "9", "--text-only", code=2)
    assert "[PC004]" in cli.err
    for command in ("recall", "context"):
        cli(command, "  ", "--text-only", code=2)
        assert "the query is empty" in cli.err
        assert f'pgcortex {command} "..."' in cli.err
    # a file that cannot be written: one line naming it
    cli("export", "-o", "/nonexistent-dir/backup.jsonl", code=2)
    assert "No such file or directory: /nonexistent-dir/backup.jsonl" in cli.err
    assert cli.err.count("\n") == 1
    cli("deploy-script", "-o", "/nonexistent-dir/deploy.psql", code=2)
    assert "check the path" in cli.err


def test_knowledge_commands(cli: Any, db: psycopg.Connection) -> None:
    cli(
        "remember",
        "Our goal is to reach 100 paying customers",
        "-t",
        "strategic_insight",
        "--text-only",
    )
    assert "theme" in cli("prefer", "theme", "dark")
    update = cli.json("prefer", "language", '"en"', "--confidence", "0.9")
    assert update["applied"] is True
    assert "kept" in cli("prefer", "language", '"fr"', "--confidence", "0.1")
    assert cli.json("prefs")["theme"]["value"] == "dark"
    assert "dark" in cli("prefs")
    session = db.execute("select session_id from pgcortex.start_session()").fetchone()
    assert session is not None
    for n in range(6):
        db.execute(
            "select pgcortex.store_conversation_turn(role => 'user', content => %s, "
            "session_id => %s)",
            (f"How do we price the launch plan {n}?", session[0]),
        )
    assert cli.json("sessions")[0]["session_id"] == str(session[0])
    assert "open" in cli("sessions", "--open")
    patterns = cli.json("patterns", "--detect")
    assert patterns
    assert "detected" in cli.err
    assert "question" in cli("patterns") or "topic" in cli("patterns")
    cli("clusters")
    assert isinstance(cli.json("clusters", "customers", "--text-only"), list)
    bundle = cli.json("context", "customers", "--text-only", "--no-track")
    assert bundle["memories"]
    out = cli("context", "customers", "--text-only")
    assert "memories" in out
    assert "preferences" in out
    stats = cli.json("stats")
    assert stats["memories"] >= 1
    assert "knowledge clusters" in cli("stats")
    steps = cli.json("maint", "--no-forget", "--forget-days", "30")
    assert {s["step"] for s in steps}
    assert "step" in cli("maint", "--no-recluster", "--no-patterns")


def test_namespace_commands(cli: Any, tmp_path: Path) -> None:
    cli("remember", "to be erased", "--text-only")
    target = tmp_path / "out.jsonl"
    cli("export", "-o", str(target))
    assert "wrote" in cli.err
    lines = target.read_text().splitlines()
    assert json.loads(lines[-1])
    assert len(cli("export").splitlines()) == len(lines)
    assert cli.json("audit")[0]["action"] == "export"
    assert "export" in cli("audit")
    erased = cli.json("erase", "--confirm", "test")
    assert erased["rows_deleted"] >= 1
    assert "erased namespace 'test'" in cli("erase", "--confirm", "test")


def test_schema_commands(cli: Any, db_dsn: str) -> None:
    states = cli.json("status")
    assert states
    assert all(s["state"] == "applied" for s in states)
    assert "applied" in cli("status")
    assert cli("deploy").strip() == "nothing to apply: the database is up to date"
    assert "-- name:" in cli("deploy-script") or "pgcortex" in cli("deploy-script")


def test_server_status_of_a_directory_with_no_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PGCORTEX_DATA_DIR", str(tmp_path / "none"))
    assert main(["server", "status", "--json"]) == 3
    assert json.loads(capsys.readouterr().out) == {
        "data_dir": str(tmp_path / "none"),
        "initialized": False,
        "running": False,
        "pid": None,
        "dsn": None,
    }
    assert main(["server", "status"]) == 3
    out = capsys.readouterr().out
    assert "initialized    : False" in out
    assert "dsn            : -" in out


def test_a_closed_pipe_is_quiet(db_dsn: str, db: psycopg.Connection) -> None:
    env = {**os.environ, "PGCORTEX_DSN": db_dsn, "PGCORTEX_NAMESPACE": "test"}
    db.execute(
        "select count(*) from pgcortex.store_memories(contents => %s, memory_types => %s)",
        ([f"fact number {n} " * 50 for n in range(300)], ["business_fact"] * 300),
    )
    proc = subprocess.run(
        f"'{sys.executable}' -m pgcortex.cli export | head -c 10",
        shell=True,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert len(proc.stdout) == 10
    assert "Traceback" not in proc.stderr
    assert "BrokenPipe" not in proc.stderr


def test_text_only_search_warns_without_an_embedder(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pgcortex import embedding

    monkeypatch.setattr(embedding, "minilm_available", lambda: False)
    cli("recall", "anything")
    assert "searching by text only" in cli.err
    cli("remember", "no embedder here")
    assert "warning" not in cli.err


@pytest.mark.embed
def test_the_model_load_is_announced(cli: Any) -> None:
    from pgcortex.embedding import minilm_available

    if not minilm_available():
        pytest.skip("the extra 'embed' is not installed")
    cli("recall", "anything")
    assert "loading the embedding model" in cli.err


async def test_hints_speak_to_the_command_line() -> None:
    """Each error class gets a hint naming a command, not an SQL argument."""
    import argparse

    from pgcortex import errors as e
    from pgcortex.cli.hints import cli_hint, cli_message

    args = argparse.Namespace(dsn=None, namespace="acme")
    cases = {
        e.InvalidIdError("x"): "first characters",
        e.SchemaVersionError("x"): "pgcortex deploy",
        e.ConnectionLostError("x"): "pgcortex server start",
        e.NamespaceNotPermittedError("x"): "-n",
        e.MigrationDriftError("x"): "pgcortex status",
        e.ConfirmationRequiredError("x"): "erase --confirm acme",
        e.InvalidArgumentError("x", hint="give more characters of the id"): "more characters",
    }
    for exc, expected in cases.items():
        hint = await cli_hint(exc, args)
        assert hint is not None
        assert expected in hint
    assert await cli_hint(e.InvalidArgumentError("x", hint="pass k => 5"), args) is None
    assert "=>" not in cli_message(e.ConfirmationRequiredError("pass confirm => 'acme'"))
    assert cli_message(e.NotFoundError("no memory")) == "no memory"


def test_options_without_a_command_print_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-n", "test"]) == 0
    assert "usage: pgcortex" in capsys.readouterr().out


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal, to watch the spinner draw."""

    def isatty(self) -> bool:
        return True


def test_the_spinner_draws_on_a_terminal_and_clears_its_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    from pgcortex.cli.common import spinner

    screen = _Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    with spinner("loading the embedding model"):
        time.sleep(0.35)
    drawn = screen.getvalue()
    assert "\r| loading the embedding model" in drawn
    assert drawn.endswith("\r")
    plain = io.StringIO()
    monkeypatch.setattr(sys, "stderr", plain)
    with spinner("loading"):
        pass
    assert plain.getvalue() == "pgcortex: loading\n"
