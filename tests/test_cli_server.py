"""The server and schema commands: server start|status|url|stop on a server of its own,
deploy, status, deploy-script and reset on the test database."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from pgcortex.cli import main


def _run(capsys: pytest.CaptureFixture[str], *words: str) -> tuple[int, str, str]:
    code = main(list(words))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.slow
def test_server_lifecycle_in_its_own_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PGCORTEX_DATA_DIR", str(tmp_path / "server"))
    monkeypatch.delenv("PGCORTEX_DSN", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    code, out, _ = _run(capsys, "server", "status", "--json")
    assert code == 3
    assert json.loads(out)["running"] is False
    code, _, err = _run(capsys, "server", "url")
    assert code == 1
    assert "not running" in err
    try:
        code, out, _ = _run(capsys, "server", "start")
        assert code == 0
        assert "embedded server running" in out
        code, out, _ = _run(capsys, "server", "status")
        assert code == 0
        assert "running" in out
        code, url, _ = _run(capsys, "server", "url")
        assert code == 0
        dsn = url.strip()
        code, out, _ = _run(capsys, "server", "url", "--json")
        assert json.loads(out) == {"dsn": dsn}
        code, out, _ = _run(capsys, "server", "start", "--json")
        assert json.loads(out) == {"running": True, "dsn": dsn}
        code, out, err = _run(capsys, "deploy", "--json")
        assert code == 0
        report = json.loads(out)  # the steps went to stderr
        assert "0001_schema_v1.sql" in report["applied_incremental"]
        assert report["applied_idempotent"]
        assert "0001_schema_v1.sql" in err
        code, out, _ = _run(capsys, "deploy")
        assert code == 0
        assert "nothing to apply" in out
        with psycopg.connect(dsn) as conn:
            row = conn.execute("select version from pgcortex.schema_version()").fetchone()
        assert row == (1,)
    finally:
        code, out, _ = _run(capsys, "server", "stop")
    assert out.strip() == "stopped"
    code, out, _ = _run(capsys, "server", "stop")
    assert out.strip() == "not running"
    code, out, _ = _run(capsys, "server", "stop", "--json")
    assert json.loads(out) == {"stopped": False}


def test_schema_commands_on_the_test_database(
    db_dsn: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _run(capsys, "status", "--dsn", db_dsn)
    assert code == 0
    assert "0 pending" in out
    code, out, _ = _run(capsys, "--dsn", db_dsn, "deploy", "--force")
    assert code == 0
    assert "re-runnable" in out
    target = tmp_path / "deploy.psql"
    code, out, _ = _run(capsys, "deploy-script", "-o", str(target))
    assert code == 0
    assert target.read_text() == (Path(__file__).parents[1] / "sql" / "deploy.psql").read_text()
    code, out, _ = _run(capsys, "deploy-script")
    assert out == target.read_text()
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    code, out, _ = _run(capsys, "reset", "--dsn", db_dsn)
    assert code == 1
    assert "left as it was" in out
    code, out, _ = _run(capsys, "reset", "--dsn", db_dsn, "--yes")
    assert code == 0
    assert "dropped schemas pgcortex and pgcortex_internal" in out
    code, out, _ = _run(capsys, "status", "--dsn", db_dsn, "--json")
    assert code == 0
    assert {s["state"] for s in json.loads(out)} == {"pending"}
    code, _, err = _run(capsys, "show", "--dsn", db_dsn)
    assert code == 2
    assert "[PC040]" in err
    assert "pgcortex deploy" in err


def test_a_server_that_cannot_be_reached_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(
        capsys, "show", "--dsn", "postgresql://nobody@/none?host=/nonexistent-dir&port=1"
    )
    assert code == 2
    assert "server running" in err
    assert err.count("\n") == 1


def test_status_names_an_edited_run_once_file(
    db_dsn: str, db: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    db.execute(
        "update pgcortex.schema_migrations set checksum = 'edited'"
        " where name = '0001_schema_v1.sql'"
    )
    code, out, _ = _run(capsys, "status", "--dsn", db_dsn)
    assert code == 4
    assert "1 run-once file(s) edited after they were applied: deploy will refuse" in out
    code, out, _ = _run(capsys, "status", "--dsn", db_dsn, "--json")
    assert code == 4
    assert {"file": "0001_schema_v1.sql", "kind": "incremental", "state": "drift"} in json.loads(
        out
    )


def test_psql_opens_the_database_with_the_namespace_set(db_dsn: str) -> None:
    """`pgcortex psql` runs the wheel's psql on the database, the namespace set, and
    passes on every argument after `psql`."""
    query = "select current_setting('pgcortex.namespace'), current_database()"
    command = [sys.executable, "-m", "pgcortex.cli", "--dsn", db_dsn, "-n", "team", "psql"]
    proc = subprocess.run(
        [*command, "-At", "-c", query],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"team|{psycopg.conninfo.conninfo_to_dict(db_dsn)['dbname']}"
