"""Concurrent deployers apply each file once; a database newer than the client is refused."""

from __future__ import annotations

import threading

import psycopg
import pytest

import pgcortex
from pgcortex import migrate
from pgcortex.client import CLIENT_SCHEMA_VERSION, SUPPORTED_SCHEMA_VERSIONS
from pgcortex.errors import SchemaVersionError

DEPLOYERS = 10


def test_ten_concurrent_deployers_on_an_empty_database_apply_exactly_once(
    empty_dsn: str,
) -> None:
    plan = migrate.load_plan()
    barrier = threading.Barrier(DEPLOYERS)
    reports: list[migrate.DeployReport] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def deployer() -> None:
        try:
            barrier.wait()
            report = migrate.deploy(empty_dsn)
            with lock:
                reports.append(report)
        except BaseException as exc:  # collected and asserted on below
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=deployer) for _ in range(DEPLOYERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(reports) == DEPLOYERS
    # One deployer applied everything; the nine others found nothing left to do.
    applied = [r for r in reports if r.applied_anything]
    assert len(applied) == 1
    assert applied[0].applied_incremental == [f.name for f in plan.incremental]
    assert applied[0].applied_idempotent == [f.name for f in plan.idempotent]
    with psycopg.connect(empty_dsn) as conn:
        rows = conn.execute(
            "select name, count(*) from pgcortex.schema_migrations group by name"
        ).fetchall()
        assert sorted(rows) == sorted((f.name, 1) for f in (*plan.incremental, *plan.idempotent))
        # Run-once data went in once: one schema_info row, each error code once.
        assert conn.execute("select count(*) from pgcortex.schema_info").fetchone() == (1,)
        dup = conn.execute(
            "select count(*) - count(distinct sqlstate) from pgcortex.error_codes"
        ).fetchone()
        assert dup == (0,)


@pytest.mark.parametrize(
    ("version", "min_client"),
    [
        (max(SUPPORTED_SCHEMA_VERSIONS) + 1, CLIENT_SCHEMA_VERSION),  # newer schema
        (max(SUPPORTED_SCHEMA_VERSIONS), CLIENT_SCHEMA_VERSION + 1),  # breaks old clients
        (min(SUPPORTED_SCHEMA_VERSIONS) - 1, 0),  # older than this client supports
    ],
)
async def test_database_outside_the_clients_range_is_refused_on_connect(
    db: psycopg.Connection, db_dsn: str, version: int, min_client: int
) -> None:
    db.execute(
        "update pgcortex.schema_info set version = %s, min_client_version = %s",
        (version, min_client),
    )
    with pytest.raises(SchemaVersionError) as info:
        await pgcortex.connect(db_dsn, namespace="test", deploy=False)
    # The hint says which side to upgrade.
    client_too_old = version > max(SUPPORTED_SCHEMA_VERSIONS) or min_client > CLIENT_SCHEMA_VERSION
    expected = "upgrade the pgcortex client" if client_too_old else "make deploy"
    assert info.value.hint is not None
    assert expected in info.value.hint


async def test_database_without_schema_is_refused(empty_dsn: str) -> None:
    with pytest.raises(SchemaVersionError):
        await pgcortex.connect(empty_dsn, namespace="test", deploy=False)
