"""docs/sql-api.md is generated from the database and must be current (`make docs`)."""

from __future__ import annotations

import contextlib
import difflib
import io
import re
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pgcortex._tools import docs

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / docs.DEFAULT_OUTPUT


def test_sql_api_reference_is_current(db: psycopg.Connection) -> None:
    generated = docs.render(db)
    committed = COMMITTED.read_text()
    if generated != committed:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                generated.splitlines(keepends=True),
                "docs/sql-api.md (committed)",
                "generated from a fresh deploy",
                n=1,
            )
        )
        raise AssertionError(f"docs/sql-api.md is out of date: run `make docs`\n{diff[:6000]}")


def test_a_changed_comment_makes_the_reference_stale(db: psycopg.Connection) -> None:
    before = docs.render(db)
    db.execute(
        "comment on function pgcortex.schema_version() is 'a comment nobody regenerated docs for'"
    )
    after = docs.render(db)
    assert after != before
    assert "a comment nobody regenerated docs for" in after
    assert after != COMMITTED.read_text()


def test_every_function_and_view_is_listed_with_its_comment(db: psycopg.Connection) -> None:
    text = docs.render(db)
    rows = db.execute(
        """
        select p.proname, pg_catalog.obj_description(p.oid, 'pg_proc')
        from pg_catalog.pg_proc as p
        where p.pronamespace = 'pgcortex'::regnamespace
            and p.prorettype <> 'pg_catalog.trigger'::regtype
        union all
        select c.relname, pg_catalog.obj_description(c.oid, 'pg_class')
        from pg_catalog.pg_class as c
        where c.relnamespace = 'pgcortex'::regnamespace and c.relkind in ('v', 'm')
        """
    ).fetchall()
    assert rows
    missing_comment = [name for name, comment in rows if not comment]
    assert missing_comment == [], f"add `comment on` for: {missing_comment}"
    for name, comment in rows:
        assert f"### `{name}`" in text
        assert comment.strip() in text


def test_split_arguments_keeps_defaults_whole() -> None:
    args = (
        "tags text[] DEFAULT '{a,b}'::text[], k integer DEFAULT f(1, 2), note text DEFAULT 'x, y'"
    )
    assert docs.split_arguments(args) == [
        "tags text[] DEFAULT '{a,b}'::text[]",
        "k integer DEFAULT f(1, 2)",
        "note text DEFAULT 'x, y'",
    ]


def test_readme_error_table_is_current(db: psycopg.Connection) -> None:
    readme = (ROOT / "README.md").read_text()
    assert docs.README_BEGIN in readme, "README.md lost its error-code table markers"
    assert docs.with_readme_table(readme, docs.error_codes(db)) == readme, (
        "README.md's error-code table is out of date: run `make docs`"
    )


def _readme_block(language: str) -> str:
    readme = (ROOT / "README.md").read_text()
    match = re.search(rf"^```{language}\n(.*?)^```$", readme, re.S | re.M)
    assert match is not None, f"README.md has no {language} example"
    return match.group(1)


def test_readme_python_example_runs(db_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGCORTEX_DSN", db_dsn)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(_readme_block("python"), "README.md", "exec"), {"__name__": "readme"})
    lines = out.getvalue().splitlines()
    assert lines, "the example printed nothing"
    assert "vector" in lines[0]
    assert "fourteen more months" in lines[0]


async def test_readme_python_example_survives_text_only_hits(
    db_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A memory stored without an embedding is found by its words alone: the example
    prints it with no cosine instead of failing on ``similarity`` None."""
    import pgcortex

    async with await pgcortex.connect(db_dsn, namespace="my-agent", deploy=False) as memory:
        await memory.store_memory("We can survive financially until the spring.", "business_fact")
    monkeypatch.setenv("PGCORTEX_DSN", db_dsn)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = compile(_readme_block("python").replace("asyncio.run(main())", ""), "README", "exec")
        scope: dict[str, Any] = {"__name__": "readme"}
        exec(code, scope)
        await scope["main"]()
    text_hits = [line for line in out.getvalue().splitlines() if " text cosine - " in line]
    assert text_hits == [text_hits[0]]
    assert text_hits[0].endswith("We can survive financially until the spring.")


def test_readme_lists_every_command() -> None:
    from pgcortex.cli import build_parser

    readme = (ROOT / "README.md").read_text()
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    missing = [
        name
        for name in sub.choices  # type: ignore[union-attr]
        if not re.search(rf"pgcortex (-n \S+ )?{re.escape(name)}\b", readme)
    ]
    assert missing == []


def test_readme_psql_example_runs(db_dsn: str) -> None:
    from pgcortex.server import bin_path

    psql = bin_path("psql")
    proc = subprocess.run(
        [str(psql), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db_dsn],
        input=_readme_block("sql"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "ZX-4471" in proc.stdout
    assert "concise bullet points" in proc.stdout


def test_comments_a_dba_reads_speak_of_the_product(db: psycopg.Connection) -> None:
    """Every comment on a pgcortex table, column, view or function, as deployed (later
    migrations re-comment what an early one said), names the product or the original
    memory module, never a seed, an issue or a milestone."""
    found = db.execute(
        r"select c.relname, d.objsubid, d.description from pg_catalog.pg_description as d"
        r" join pg_catalog.pg_class as c on d.classoid = 'pg_catalog.pg_class'::regclass"
        r" and c.oid = d.objoid and c.relnamespace = 'pgcortex'::regnamespace"
        r" where d.description ~* '\m(seed|issue|milestone)s?\M'"
        r" union all"
        r" select p.proname, 0, d.description from pg_catalog.pg_description as d"
        r" join pg_catalog.pg_proc as p on d.classoid = 'pg_catalog.pg_proc'::regclass"
        r" and p.oid = d.objoid and p.pronamespace = 'pgcortex'::regnamespace"
        r" where d.description ~* '\m(seed|issue|milestone)s?\M'"
    ).fetchall()
    assert found == []
