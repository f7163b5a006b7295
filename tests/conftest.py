"""Test harness: one PostgreSQL for the session, a template with the schema, a clone per test.

The server is the embedded one in ``.pgcortex/test`` (its own cluster, apart from
the one ``make db-up`` runs), or the PostgreSQL named by PGCORTEX_TEST_DSN.
pytest-postgresql's ``postgresql_noproc`` points at it; its template database is
deployed once with the migration runner, and every test gets a fresh clone.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from pytest_postgresql import factories
from pytest_postgresql.janitor import DatabaseJanitor

import pgcortex
from pgcortex import migrate
from tests import sql_coverage

ROOT = Path(__file__).resolve().parents[1]
TEST_SERVER_DIR = ROOT / ".pgcortex" / "test"


def _server_params() -> dict[str, Any]:
    dsn = os.environ.get("PGCORTEX_TEST_DSN")
    if dsn:
        info = psycopg.conninfo.conninfo_to_dict(dsn)
        return {
            "host": info.get("host") or "localhost",
            "port": int(info.get("port") or 5432),
            "user": info.get("user") or "postgres",
            "password": info.get("password") or "",
        }
    from pgcortex.server import EmbeddedServer

    server = EmbeddedServer(TEST_SERVER_DIR)
    return {"host": str(server.socket_dir), "port": 5432, "user": "postgres", "password": ""}


SERVER = _server_params()


def vector_literal(v: Any) -> str:
    """A vector as pgvector's text input ('[x,y,...]'), every value exact (repr)."""
    return "[" + ",".join(repr(float(x)) for x in v) + "]"


def make_dsn(dbname: str, user: str | None = None) -> str:
    user = user or SERVER["user"]
    password = f":{quote(SERVER['password'])}" if SERVER["password"] else ""
    return (
        f"postgresql://{quote(user)}{password}@/{quote(dbname)}"
        f"?host={quote(SERVER['host'])}&port={SERVER['port']}"
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--sql-coverage",
        action="store_true",
        help="count the calls of every pgcortex SQL function over the run (track_functions) "
        "and fail when a function the application role may execute was never run",
    )


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get("PGCORTEX_TEST_DSN"):
        from pgcortex.server import EmbeddedServer

        EmbeddedServer(TEST_SERVER_DIR).start()
    if config.getoption("--sql-coverage"):
        sql_coverage.enable(make_dsn("postgres"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not session.config.getoption("--sql-coverage") or sql_coverage.FUNCTIONS is None:
        return
    missing = sql_coverage.report()
    if missing and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# The 384-d models the tests store vectors of, registered in the template
# (besides the deployment default, all-MiniLM-L6-v2).
TEST_MODELS = ("test-model", "other-model", "m", "beta-model", "crash-test-model", "stress-model")


def load_schema(**kwargs: Any) -> None:
    dsn = make_dsn(kwargs["dbname"])
    migrate.deploy(dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name in TEST_MODELS:
            conn.execute(
                "select from pgcortex.register_embedding_model(name => %s, dimensions => 384)",
                (name,),
            )


postgresql_server = factories.postgresql_noproc(
    host=SERVER["host"],
    port=SERVER["port"],
    user=SERVER["user"],
    password=SERVER["password"] or None,
    dbname=os.environ.get("PGCORTEX_TEST_DBNAME", "pgcortex_test"),
    load=[load_schema],
)
_clone = factories.postgresql("postgresql_server")


@pytest.fixture
def postgresql(_clone: psycopg.Connection, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A clone of the template, dropped afterwards; with --sql-coverage its function
    call counts are added to the run's before it goes."""
    yield _clone
    if request.config.getoption("--sql-coverage"):
        sql_coverage.collect(make_dsn(_clone.info.dbname), _clone)


@pytest.fixture
def db(postgresql: psycopg.Connection) -> psycopg.Connection:
    """A psycopg connection (autocommit) to this test's clone, namespace 'test' set."""
    postgresql.autocommit = True
    postgresql.execute("set pgcortex.namespace = 'test'")
    return postgresql


@pytest.fixture
def db_dsn(postgresql: psycopg.Connection) -> str:
    """DSN of this test's clone (schema deployed)."""
    return make_dsn(postgresql.info.dbname)


@pytest.fixture
async def client(db_dsn: str) -> AsyncIterator[pgcortex.Client]:
    """A client on this test's clone, namespace 'test'."""
    c = await pgcortex.connect(db_dsn, namespace="test", deploy=False, max_size=20)
    try:
        yield c
    finally:
        await c.close()


@pytest.fixture
def empty_dsn(postgresql_server: Any) -> Iterator[str]:
    """DSN of a brand-new empty database (no schema), dropped afterwards."""
    name = f"pgcortex_empty_{uuid.uuid4().hex[:10]}"
    janitor = DatabaseJanitor(
        user=SERVER["user"],
        host=SERVER["host"],
        port=SERVER["port"],
        dbname=name,
        password=SERVER["password"] or None,
    )
    with janitor:
        yield make_dsn(name)
