"""The migration runner, the psql-only deploy script and the schema snapshot."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

import pgcortex
from pgcortex import errors, migrate
from pgcortex._tools.snapshot import dump_schema, fresh_snapshot
from pgcortex.config import sql_dir
from pgcortex.server import bin_path

ROOT = Path(__file__).resolve().parents[1]
SEED_TABLES = {
    "memories",
    "knowledge_clusters",
    "learning_patterns",
    "user_preferences",
    "conversation_sessions",
}


def _tables(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "select tablename from pg_catalog.pg_tables where schemaname = 'pgcortex'"
        ).fetchall()
    return {r[0] for r in rows}


def _copy_sql(tmp_path: Path) -> Path:
    target = tmp_path / "sql"
    shutil.copytree(sql_dir(), target)
    return target


def test_deploy_from_empty_creates_everything(empty_dsn: str) -> None:
    report = migrate.deploy(empty_dsn)
    plan = migrate.load_plan()
    assert report.applied_incremental == [f.name for f in plan.incremental]
    assert report.applied_idempotent == [f.name for f in plan.idempotent]
    assert report.applied_idempotent[-1] == "900_privileges.sql"
    assert SEED_TABLES | {"conversation_turns", "memory_links", "cluster_members"} <= _tables(
        empty_dsn
    )
    with psycopg.connect(empty_dsn) as conn:
        version = conn.execute("select version from pgcortex.schema_version()").fetchone()
        assert version == (1,)
        # Every table, view and function of the schema has a comment.
        missing = conn.execute(
            """
            select c.oid::regclass::text from pg_catalog.pg_class as c
            where c.relnamespace = 'pgcortex'::regnamespace and c.relkind in ('r', 'v', 'p')
              and pg_catalog.obj_description(c.oid, 'pg_class') is null
            union all
            select p.oid::regprocedure::text from pg_catalog.pg_proc as p
            where p.pronamespace in ('pgcortex'::regnamespace, 'pgcortex_internal'::regnamespace)
              and pg_catalog.obj_description(p.oid, 'pg_proc') is null
            """
        ).fetchall()
        assert missing == []


def test_second_deploy_applies_nothing(empty_dsn: str) -> None:
    migrate.deploy(empty_dsn)
    report = migrate.deploy(empty_dsn)
    assert not report.applied_anything
    assert report.describe() == "nothing to apply: the database is up to date"
    assert {s.state for s in migrate.status(empty_dsn)} == {"applied"}


def test_cli_deploy_twice_says_nothing_to_apply(empty_dsn: str) -> None:
    env = {**os.environ, "PGCORTEX_DSN": empty_dsn}
    cli = [sys.executable, "-m", "pgcortex.cli"]
    first = subprocess.run([*cli, "deploy"], env=env, capture_output=True, text=True, check=True)
    assert "applied run-once: 0001_schema_v1.sql" in first.stdout
    second = subprocess.run([*cli, "deploy"], env=env, capture_output=True, text=True, check=True)
    assert "nothing to apply" in second.stdout
    status = subprocess.run([*cli, "status"], env=env, capture_output=True, text=True, check=True)
    assert "pending" not in status.stdout.split("\n\n")[0]


def test_edited_run_once_file_is_refused(empty_dsn: str, tmp_path: Path) -> None:
    directory = _copy_sql(tmp_path)
    migrate.deploy(empty_dsn, directory=directory)
    target = directory / "incremental" / "0001_schema_v1.sql"
    target.write_text(target.read_text() + "\ncreate table pgcortex.sneaky (x int);\n")
    with pytest.raises(errors.MigrationDriftError, match=r"0001_schema_v1\.sql"):
        migrate.deploy(empty_dsn, directory=directory)
    assert "sneaky" not in _tables(empty_dsn)
    states = {s.name: s.state for s in migrate.status(empty_dsn, directory=directory)}
    assert states["0001_schema_v1.sql"] == "drift"


def test_changed_idempotent_files_are_reapplied_and_removed_functions_go(
    empty_dsn: str, tmp_path: Path
) -> None:
    directory = _copy_sql(tmp_path)
    extra = directory / "idempotent" / "500_extra.sql"
    extra.write_text(
        "create or replace function pgcortex.extra_fn() returns int language sql "
        "immutable set search_path = pg_catalog, pg_temp return 1;\n"
        "comment on function pgcortex.extra_fn() is 'test';\n"
    )
    migrate.deploy(empty_dsn, directory=directory)
    extra.unlink()
    report = migrate.deploy(empty_dsn, directory=directory)
    assert report.applied_idempotent
    assert not report.applied_incremental
    with psycopg.connect(empty_dsn) as conn:
        gone = conn.execute("select to_regprocedure('pgcortex.extra_fn()')").fetchone()
        assert gone == (None,)
        names = {
            r[0] for r in conn.execute("select name from pgcortex.schema_migrations").fetchall()
        }
    assert "500_extra.sql" not in names


def test_replayed_migrations_equal_fresh_deploy(empty_dsn: str, tmp_path: Path) -> None:
    """Deploying release by release (one run-once file at a time) ends where a fresh deploy does."""
    source = sql_dir()
    incremental = sorted((source / "incremental").glob("*.sql"))
    for upto in range(1, len(incremental) + 1):
        step = tmp_path / f"step{upto}"
        (step / "incremental").mkdir(parents=True)
        shutil.copy(source / "bootstrap.sql", step)
        shutil.copy(source / "drop_api.sql", step)
        # The re-runnable files of the areas released so far (area N: run-once
        # 000N_*, re-runnable 0N*_*), and the privileges file: a later area's
        # views may name tables its own run-once file creates.
        area = int(incremental[upto - 1].name[:4])
        (step / "idempotent").mkdir()
        for f in sorted((source / "idempotent").glob("*.sql")):
            if f.name.startswith("9") or int(f.name[:2]) <= area:
                shutil.copy(f, step / "idempotent")
        for f in incremental[:upto]:
            shutil.copy(f, step / "incremental")
        migrate.deploy(empty_dsn, directory=step)
    assert dump_schema(empty_dsn) == fresh_snapshot(empty_dsn)


def test_committed_schema_snapshot_is_current(empty_dsn: str) -> None:
    committed = (ROOT / "docs" / "schema.sql").read_text()
    assert fresh_snapshot(empty_dsn) == committed, "schema changed: run `make snapshot`"


def test_psql_deploy_script_is_current_and_equivalent(empty_dsn: str) -> None:
    committed = (ROOT / "sql" / "deploy.psql").read_text()
    assert migrate.render_psql_script() == committed, "run `make deploy-script`"
    psql = [str(bin_path("psql")), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", empty_dsn]
    script = str(ROOT / "sql" / "deploy.psql")
    for _ in range(2):  # the second run must be a harmless no-op for run-once files
        subprocess.run([*psql, "-f", script], check=True, capture_output=True, text=True)
    assert dump_schema(empty_dsn) == fresh_snapshot(empty_dsn)
    assert {s.state for s in migrate.status(empty_dsn)} == {"applied"}
    # The runner agrees that nothing is left to do after a psql-only deploy.
    assert not migrate.deploy(empty_dsn).applied_anything


def test_psql_deploy_refuses_drift(empty_dsn: str) -> None:
    migrate.deploy(empty_dsn)
    with psycopg.connect(empty_dsn, autocommit=True) as conn:
        conn.execute(
            "update pgcortex.schema_migrations set checksum = 'x' where name = '0001_schema_v1.sql'"
        )
    psql = [str(bin_path("psql")), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", empty_dsn]
    proc = subprocess.run(
        [*psql, "-f", str(ROOT / "sql" / "deploy.psql")], capture_output=True, text=True
    )
    assert proc.returncode != 0
    assert "0001_schema_v1.sql was edited" in proc.stderr


#: Checksums of the statements of the run-once files reworded after release: every
#: line but ``--`` comments, and without the ``comment on`` statements that a later
#: run-once file (REWORDED_BY) sets again with the same text. Only comments changed.
REWORDED_STATEMENTS = {
    "0001_schema_v1.sql": "c0acf41f03de24cefa60fc265536fc35a056e3a12cfb4fe2e5c5285ecf9dc7a8",
}
#: The later run-once file whose comments replace the reworded file's.
REWORDED_BY = {"0001_schema_v1.sql": "0019_comments_product_words.sql"}

_COMMENT = re.compile(r"(comment on (?:table|column) [\w.]+ is\n)('(?:[^']|'')*');")


def _statements_but_later_comments(text: str, later: str) -> str:
    """The file's statements without the comments ``later`` sets again, after
    checking that the file sets each of them to the same text as ``later``."""
    again: dict[str, str] = {m.group(1): m.group(2) for m in _COMMENT.finditer(later)}
    for head, literal in _COMMENT.findall(text):
        if head in again:
            assert literal == again[head], head
    text = _COMMENT.sub(lambda m: "" if m.group(1) in again else m.group(0), text)
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))


def test_a_reworded_migration_keeps_its_statements_and_is_not_drift(empty_dsn: str) -> None:
    import hashlib

    assert set(REWORDED_STATEMENTS) == set(migrate.REWORDED)
    for name, expected in REWORDED_STATEMENTS.items():
        text = (sql_dir() / "incremental" / name).read_text()
        later = (sql_dir() / "incremental" / REWORDED_BY[name]).read_text()
        statements = _statements_but_later_comments(text, later)
        assert hashlib.sha256(statements.encode()).hexdigest() == expected, name
    # A database that applied the file as released is up to date, for the runner
    # and for the psql-only deploy; any other checksum is still drift.
    migrate.deploy(empty_dsn)
    (old,) = migrate.REWORDED["0001_schema_v1.sql"]
    with psycopg.connect(empty_dsn, autocommit=True) as conn:
        conn.execute(
            "update pgcortex.schema_migrations set checksum = %s where name = '0001_schema_v1.sql'",
            (old,),
        )
    assert {s.state for s in migrate.status(empty_dsn)} == {"applied"}
    assert not migrate.deploy(empty_dsn).applied_anything
    psql = [str(bin_path("psql")), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", empty_dsn]
    subprocess.run(
        [*psql, "-f", str(ROOT / "sql" / "deploy.psql")], check=True, capture_output=True
    )
    with psycopg.connect(empty_dsn, autocommit=True) as conn:
        conn.execute(
            "update pgcortex.schema_migrations set checksum = 'x' where name = '0001_schema_v1.sql'"
        )
    with pytest.raises(errors.MigrationDriftError):
        migrate.deploy(empty_dsn)


async def test_connect_refuses_database_without_schema(empty_dsn: str) -> None:
    with pytest.raises(errors.SchemaVersionError) as info:
        await pgcortex.connect(empty_dsn, deploy=False)
    assert "deploy" in (info.value.hint or "")


async def test_connect_refuses_newer_schema(db: psycopg.Connection, db_dsn: str) -> None:
    db.execute("update pgcortex.schema_info set version = 99")
    with pytest.raises(errors.SchemaVersionError) as info:
        await pgcortex.connect(db_dsn, deploy=False)
    assert "upgrade the pgcortex client" in (info.value.hint or "")


async def test_connect_deploys_when_asked(empty_dsn: str) -> None:
    client = await pgcortex.connect(empty_dsn, namespace="n1", deploy=True)
    try:
        assert await client.check_schema_version() == 1
    finally:
        await client.close()


def test_error_code_table_matches_client(db: psycopg.Connection) -> None:
    rows = db.execute("select sqlstate from pgcortex.error_codes").fetchall()
    in_sql = {r[0] for r in rows}
    in_python = set(errors.BY_SQLSTATE)
    assert in_sql == in_python


def _holding_deploy_lock(dsn: str) -> psycopg.Connection:
    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute("select pg_catalog.pg_advisory_lock(pg_catalog.hashtext('pgcortex.deploy'))")
    return conn


async def test_connect_to_an_up_to_date_database_deploys_nothing(empty_dsn: str) -> None:
    """The check on connect reads the migrations table only: no lock, nothing run."""
    migrate.deploy(empty_dsn)
    assert migrate.pending(empty_dsn) == []
    impatient = empty_dsn + "&options=-c%20lock_timeout%3D2000"
    with _holding_deploy_lock(empty_dsn):
        # A deploy that had to take the deploy lock would time out here.
        assert not migrate.deploy(impatient).applied_anything
        client = await pgcortex.connect(impatient, namespace="n1", deploy=True)
        await client.close()
        # ... as a forced deploy, which takes the lock, does.
        with pytest.raises(psycopg.errors.LockNotAvailable):
            migrate.deploy(impatient, force=True)


def test_pending_names_what_a_deploy_would_apply(empty_dsn: str, tmp_path: Path) -> None:
    directory = _copy_sql(tmp_path)
    assert len(migrate.pending(empty_dsn, directory=directory)) == len(
        list(directory.glob("*/*.sql"))
    )
    migrate.deploy(empty_dsn, directory=directory)
    changed = directory / "idempotent" / "010_core.sql"
    changed.write_text(changed.read_text() + "\n-- changed\n")
    assert migrate.pending(empty_dsn, directory=directory) == ["010_core.sql"]
    assert migrate.deploy(empty_dsn, directory=directory).applied_idempotent


async def test_missing_sql_files_are_reported_as_such(
    empty_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGCORTEX_SQL_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(errors.SqlFilesNotFoundError) as info:
        await pgcortex.connect(empty_dsn, deploy=True)
    assert "nowhere" in str(info.value)
    assert not isinstance(info.value, errors.ConnectionLostError)
