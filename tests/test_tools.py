"""The repository's generators, run as `make docs` and `make snapshot` run them, and
the package's entry points."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

from pgcortex._tools import docs, snapshot

ROOT = Path(__file__).resolve().parents[1]


def test_make_docs_writes_what_is_committed(
    db_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "sql-api.md"
    readme = tmp_path / "README.md"
    committed = (ROOT / "README.md").read_text()
    start = committed.index(docs.README_BEGIN) + len(docs.README_BEGIN)
    end = committed.index(docs.README_END)
    readme.write_text(committed[:start] + "\n(stale)\n" + committed[end:])
    assert docs.main(["--dsn", db_dsn, "--write", str(target), "--readme", str(readme)]) == 0
    out = capsys.readouterr().out
    assert "updated the error-code table" in out
    assert target.read_text() == (ROOT / "docs" / "sql-api.md").read_text()
    assert readme.read_text() == committed
    assert docs.main(["--dsn", db_dsn]) == 0
    assert capsys.readouterr().out == target.read_text()


def test_make_snapshot_writes_what_is_committed(
    db_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "schema.sql"
    assert snapshot.main(["--dsn", db_dsn, "--write", str(target)]) == 0
    assert target.read_text() == (ROOT / "docs" / "schema.sql").read_text()
    capsys.readouterr()
    assert snapshot.main(["--dsn", db_dsn]) == 0
    assert capsys.readouterr().out == target.read_text()


def test_python_m_pgcortex_cli_prints_help(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["pgcortex"])
    with pytest.raises(SystemExit) as exited:
        runpy.run_module("pgcortex.cli", run_name="__main__")
    assert exited.value.code == 0
    assert "usage: pgcortex" in capsys.readouterr().out
