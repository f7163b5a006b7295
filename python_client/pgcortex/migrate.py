"""The one migration runner: Makefile, CLI, tests and client all deploy through it.

* ``sql/bootstrap.sql`` runs first (extension, schema, migrations table).
* ``sql/incremental/NNNN_*.sql`` run exactly once, in name order; each is recorded
  with its sha256. An applied file whose checksum changed is refused (drift).
* ``sql/idempotent/NNN_*.sql`` (``create or replace`` functions and views, the
  privileges file last) are re-applied whenever any of them changed, any run-once
  file was applied, or ``force`` is set. Before re-applying, the API functions and
  views are dropped so that a renamed or removed function does not linger.
* The whole deploy is one transaction behind an advisory lock: a concurrent
  deployer waits, then finds nothing left to apply.
* A deploy first reads the migrations table (one short read, no lock): when every
  file is recorded with its current checksum there is nothing pending and it stops
  there, so :func:`pgcortex.connect` may check on every connection at no cost.
  ``bootstrap.sql`` (``create ... if not exists``) runs whenever something is applied.

The SQL files come from :func:`pgcortex.config.sql_dir`: ``PGCORTEX_SQL_DIR``, else
the copy shipped in the package.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from .config import sql_dir as default_sql_dir
from .errors import MigrationDriftError

#: Key of the advisory lock every deployer takes (same value in sql/deploy.psql).
DEPLOY_LOCK_SQL = "select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pgcortex.deploy'))"


#: Run-once files whose comment lines (``--``) were reworded after release, with the
#: checksums they were released under. A database that recorded one of those has
#: run the same statements: it is up to date, not drifted. Only comment lines may
#: change (``tests/test_core_migrations.py`` holds the statements to a checksum).
REWORDED: dict[str, frozenset[str]] = {
    "0001_schema_v1.sql": frozenset(
        {"e44b898dbec2b5ff8ae98a712f9bea9cc497982fb5fcedbfc4a80a5c5815efc4"}
    ),
}


def _matches(f: SqlFile, checksum: str) -> bool:
    """Whether a recorded checksum is this file's (or, reworded, as released)."""
    return checksum == f.checksum or (
        f.kind == "incremental" and checksum in REWORDED.get(f.name, frozenset())
    )


@dataclass(frozen=True, slots=True)
class SqlFile:
    name: str
    kind: str
    path: Path
    text: str
    checksum: str

    @classmethod
    def load(cls, path: Path, kind: str) -> SqlFile:
        data = path.read_bytes()
        return cls(
            name=path.name,
            kind=kind,
            path=path,
            text=data.decode("utf-8"),
            checksum=hashlib.sha256(data).hexdigest(),
        )


@dataclass(frozen=True, slots=True)
class Plan:
    bootstrap: SqlFile
    drop_api: SqlFile
    incremental: tuple[SqlFile, ...]
    idempotent: tuple[SqlFile, ...]


def load_plan(directory: Path | None = None) -> Plan:
    root = directory or default_sql_dir()
    return Plan(
        bootstrap=SqlFile.load(root / "bootstrap.sql", "bootstrap"),
        drop_api=SqlFile.load(root / "drop_api.sql", "bootstrap"),
        incremental=tuple(
            SqlFile.load(p, "incremental") for p in sorted((root / "incremental").glob("*.sql"))
        ),
        idempotent=tuple(
            SqlFile.load(p, "idempotent") for p in sorted((root / "idempotent").glob("*.sql"))
        ),
    )


@dataclass(slots=True)
class DeployReport:
    applied_incremental: list[str] = field(default_factory=list)
    applied_idempotent: list[str] = field(default_factory=list)

    @property
    def applied_anything(self) -> bool:
        return bool(self.applied_incremental or self.applied_idempotent)

    def describe(self) -> str:
        if not self.applied_anything:
            return "nothing to apply: the database is up to date"
        lines = [f"applied run-once: {name}" for name in self.applied_incremental]
        lines += [f"applied re-runnable: {name}" for name in self.applied_idempotent]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class MigrationState:
    name: str
    kind: str
    state: str  # applied | pending | drift | changed | missing-file


def _recorded(conn: psycopg.Connection) -> dict[str, tuple[str, str]]:
    exists = conn.execute("select to_regclass('pgcortex.schema_migrations') is not null").fetchone()
    if not exists or not exists[0]:
        return {}
    rows = conn.execute("select name, kind, checksum from pgcortex.schema_migrations").fetchall()
    return {name: (kind, checksum) for name, kind, checksum in rows}


def _pending(plan: Plan, recorded: dict[str, tuple[str, str]]) -> list[str]:
    """Files a deploy would apply (or refuse, for drift); empty when up to date."""
    out = [
        f.name
        for f in (*plan.incremental, *plan.idempotent)
        if not _matches(f, recorded.get(f.name, ("", ""))[1])
    ]
    files = {f.name for f in plan.idempotent}
    out += [
        name for name, (kind, _) in recorded.items() if kind == "idempotent" and name not in files
    ]
    return out


def pending(dsn: str, *, directory: Path | None = None) -> list[str]:
    """Names of the files a deploy would apply (or refuse as drift); empty when up to date.

    One short read of the migrations table, no lock: what :func:`deploy` checks first.
    """
    plan = load_plan(directory)
    with psycopg.connect(dsn, autocommit=True) as conn:
        return _pending(plan, _recorded(conn))


def _check_drift(plan: Plan, recorded: dict[str, tuple[str, str]]) -> None:
    for f in plan.incremental:
        rec = recorded.get(f.name)
        if rec is not None and not _matches(f, rec[1]):
            raise MigrationDriftError(
                f"run-once migration {f.name} was edited after it was applied "
                f"(recorded sha256 {rec[1][:12]}, file {f.checksum[:12]})",
                hint="restore the file as released and put the change in a new numbered file",
            )


def deploy(
    dsn: str,
    *,
    directory: Path | None = None,
    force: bool = False,
    log: Callable[[str], None] | None = None,
) -> DeployReport:
    """Apply what is pending, in one transaction; see the module docstring.

    Without ``force``, a database that is up to date is left untouched: no lock is
    taken and nothing is run.
    """
    plan = load_plan(directory)
    report = DeployReport()
    with psycopg.connect(dsn, autocommit=True) as conn:
        if not force and not _pending(plan, _recorded(conn)):
            return report
        conn.execute("set client_min_messages = warning")
        with conn.transaction():
            conn.execute(DEPLOY_LOCK_SQL)
            conn.execute(plan.bootstrap.text)
            recorded = _recorded(conn)
            _check_drift(plan, recorded)
            for f in plan.incremental:
                if f.name in recorded:
                    continue
                if log:
                    log(f"applying {f.name}")
                conn.execute(f.text)
                conn.execute(
                    "insert into pgcortex.schema_migrations (name, kind, checksum) "
                    "values (%s, %s, %s)",
                    (f.name, f.kind, f.checksum),
                )
                report.applied_incremental.append(f.name)
            idem_names = {f.name for f in plan.idempotent}
            idem_changed = any(
                recorded.get(f.name, ("", ""))[1] != f.checksum for f in plan.idempotent
            ) or any(
                kind == "idempotent" and name not in idem_names
                for name, (kind, _) in recorded.items()
            )
            if force or idem_changed or report.applied_incremental:
                conn.execute(plan.drop_api.text)
                for f in plan.idempotent:
                    if log:
                        log(f"applying {f.name}")
                    conn.execute(f.text)
                    conn.execute(
                        "insert into pgcortex.schema_migrations (name, kind, checksum) "
                        "values (%s, %s, %s) on conflict (name) do update "
                        "set checksum = excluded.checksum, applied_at = now()",
                        (f.name, f.kind, f.checksum),
                    )
                    report.applied_idempotent.append(f.name)
                names = [f.name for f in plan.idempotent]
                conn.execute(
                    "delete from pgcortex.schema_migrations "
                    "where kind = 'idempotent' and name <> all(%s)",
                    (names,),
                )
    return report


def status(dsn: str, *, directory: Path | None = None) -> list[MigrationState]:
    """Each file's state: applied, pending, drift (edited after apply), changed (re-runnable)."""
    plan = load_plan(directory)
    with psycopg.connect(dsn, autocommit=True) as conn:
        recorded = _recorded(conn)
    out: list[MigrationState] = []
    for f in (*plan.incremental, *plan.idempotent):
        rec = recorded.get(f.name)
        if rec is None:
            state = "pending"
        elif _matches(f, rec[1]):
            state = "applied"
        else:
            state = "drift" if f.kind == "incremental" else "changed"
        out.append(MigrationState(f.name, f.kind, state))
    known = {f.name for f in (*plan.incremental, *plan.idempotent)}
    for name, (kind, _) in sorted(recorded.items()):
        if name not in known:
            out.append(MigrationState(name, kind, "missing-file"))
    return out


def render_psql_script(directory: Path | None = None) -> str:
    """The psql-only deploy script (``sql/deploy.psql``), generated from the SQL files.

    It does what :func:`deploy` does (one transaction, the advisory lock, drift
    check, run-once files once, re-runnable files every time) with ``\\ir`` includes,
    so a DBA deploys with ``psql -X -v ON_ERROR_STOP=1 -f sql/deploy.psql``.
    """
    plan = load_plan(directory)
    out = [
        "-- Generated by `make deploy-script` (pgcortex.migrate.render_psql_script): do not edit.",
        "-- Deploys pgcortex with psql alone, from this directory's files:",
        '--   psql -X -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -f sql/deploy.psql',
        "\\set ON_ERROR_STOP 1",
        "set client_min_messages = warning;",
        "begin;",
        DEPLOY_LOCK_SQL + ";",
        "\\ir bootstrap.sql",
    ]
    for f in plan.incremental:
        known = ", ".join(f"'{c}'" for c in sorted({f.checksum, *REWORDED.get(f.name, ())}))
        out += [
            f"-- {f.name}",
            "do $check$ begin if exists (select from pgcortex.schema_migrations "
            f"where name = '{f.name}' and checksum not in ({known})) then raise exception "
            f"using errcode = 'PC041', message = 'run-once migration {f.name} was edited after "
            "it was applied'; end if; end $check$;",
            "select not exists (select from pgcortex.schema_migrations "
            f"where name = '{f.name}') as pgcortex_apply \\gset",
            "\\if :pgcortex_apply",
            f"\\ir incremental/{f.name}",
            "insert into pgcortex.schema_migrations (name, kind, checksum) "
            f"values ('{f.name}', 'incremental', '{f.checksum}');",
            "\\endif",
        ]
    out.append("\\ir drop_api.sql")
    for f in plan.idempotent:
        out += [
            f"\\ir idempotent/{f.name}",
            "insert into pgcortex.schema_migrations (name, kind, checksum) "
            f"values ('{f.name}', 'idempotent', '{f.checksum}') on conflict (name) do update "
            "set checksum = excluded.checksum, applied_at = now();",
        ]
    names = ", ".join(f"'{f.name}'" for f in plan.idempotent) or "''"
    out += [
        "delete from pgcortex.schema_migrations where kind = 'idempotent' "
        f"and name not in ({names});",
        "commit;",
    ]
    return "\n".join(out) + "\n"
