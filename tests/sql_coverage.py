"""SQL coverage: every function the application role may execute is run by the suite.

With ``--sql-coverage`` (``make test``) the test server counts function calls
(``track_functions = 'all'``). Every test works in a clone of the template that
is dropped afterwards, so the counts of each clone (``pg_stat_user_functions``)
are added up just before it goes, once its other connections have ended (a
backend's counts are flushed when it exits). At the end of the run, a function
of schema pgcortex that the application role may execute and that no test ran
fails the run.

Functions PostgreSQL inlines into their caller (plain ``language sql`` helpers
without ``security definer``) run without a call of their own and are never
counted; they are listed here with the caller that runs them.
"""

from __future__ import annotations

import sys
import time
from collections import Counter

import psycopg

#: Calls per function (schema pgcortex) over the run.
CALLS: Counter[str] = Counter()
#: The functions the application role may execute (read from the first clone).
FUNCTIONS: set[str] | None = None

#: Inlined into their callers (see the module docstring): never counted.
INLINED: dict[str, str] = {}


def enable(admin_dsn: str) -> None:
    """Make the test server count calls of every function (superuser needed)."""
    try:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute("alter system set track_functions = 'all'")
            conn.execute("select pg_catalog.pg_reload_conf()")
    except psycopg.Error as exc:
        print(f"sql coverage: cannot enable track_functions: {exc}", file=sys.stderr)


def _others_gone(conn: psycopg.Connection, keep: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = conn.execute(
            "select count(*) from pg_catalog.pg_stat_activity"
            " where datname = pg_catalog.current_database()"
            " and pid not in (pg_catalog.pg_backend_pid(), %s)",
            (keep,),
        ).fetchone()
        if row is not None and row[0] == 0:
            return
        time.sleep(0.02)


def collect(dsn: str, fixture_conn: psycopg.Connection) -> None:
    """Add a clone's call counts to the run's (call before the clone is dropped).

    ``fixture_conn`` stays open until the clone is dropped: its own counts are
    flushed by forcing the next flush and ending a transaction.
    """
    global FUNCTIONS
    try:
        fixture_conn.rollback()
        fixture_conn.autocommit = True
        fixture_conn.execute("select pg_catalog.pg_stat_force_next_flush()")
        fixture_conn.execute("select 1")
    except psycopg.Error:
        pass  # a broken fixture connection: its backend's counts come at exit
    with psycopg.connect(dsn, autocommit=True) as conn:
        _others_gone(conn, fixture_conn.info.backend_pid)
        if FUNCTIONS is None:
            FUNCTIONS = {
                name
                for (name,) in conn.execute(
                    "select p.proname from pg_catalog.pg_proc as p"
                    " where p.pronamespace = 'pgcortex'::regnamespace"
                    " and pg_catalog.has_function_privilege('pgcortex_app', p.oid, 'execute')"
                    " and p.prorettype <> 'pg_catalog.trigger'::regtype"
                ).fetchall()
            }
        rows = conn.execute(
            "select funcname, calls from pg_catalog.pg_stat_user_functions"
            " where schemaname = 'pgcortex'"
        ).fetchall()
    for name, calls in rows:
        CALLS[name] += calls


def report() -> list[str]:
    """Print the coverage line; the functions never run (inlined ones aside)."""
    assert FUNCTIONS is not None
    expected = FUNCTIONS - set(INLINED)
    run = {name for name in expected if CALLS[name] > 0}
    missing = sorted(expected - run)
    share = 100.0 * len(run) / len(expected) if expected else 100.0
    print(
        f"\nSQL coverage: {len(run)} of {len(expected)} functions the application role may "
        f"execute were run ({share:.1f} %)",
        file=sys.stderr,
    )
    if missing:
        print(f"SQL functions never run: {', '.join(missing)}", file=sys.stderr)
    return missing
