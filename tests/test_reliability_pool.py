"""Timeouts, cancellation and the retry policy of the client's call path."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

import pgcortex
from pgcortex import retry
from pgcortex.client import DEFAULT_ACQUIRE_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT_MS
from pgcortex.errors import ConcurrencyError, QueryTimeoutError

#: Generous bound for the server to notice a cancel; the tests poll, they do not time.
SETTLE = 30.0


async def _wait_until(predicate, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE
    while not await predicate():
        if loop.time() > deadline:
            raise AssertionError(f"still not {what} after {SETTLE} s")
        await asyncio.sleep(0.05)


async def _sleepers(db_dsn: str) -> int:
    with psycopg.connect(db_dsn, autocommit=True) as conn:
        row = conn.execute(
            "select count(*) from pg_catalog.pg_stat_activity"
            " where datname = current_database() and state = 'active'"
            " and query like 'select pg_sleep%%'"
        ).fetchone()
    assert row is not None
    return int(row[0])


async def _healthy(client: pgcortex.Client, calls: int = 20) -> None:
    results = await asyncio.gather(
        *(client._fetchval("select pgcortex.current_namespace()") for _ in range(calls))
    )
    assert results == ["test"] * calls


async def test_defaults_are_sane(client: pgcortex.Client) -> None:
    assert 1_000 <= DEFAULT_STATEMENT_TIMEOUT_MS <= 300_000
    assert 1.0 <= DEFAULT_ACQUIRE_TIMEOUT <= 60.0
    setting = await client._fetchval(
        "select setting from pg_catalog.pg_settings where name = 'statement_timeout'"
    )
    assert setting == str(DEFAULT_STATEMENT_TIMEOUT_MS)
    assert retry.DEFAULT_RETRY_ATTEMPTS >= 1


async def test_statement_timeout_raises_and_leaves_the_pool_healthy(db_dsn: str) -> None:
    async with await pgcortex.connect(
        db_dsn, namespace="test", deploy=False, statement_timeout_ms=100, max_size=3
    ) as client:
        for _ in range(5):  # more timeouts than connections
            with pytest.raises(QueryTimeoutError):
                await client._fetchval("select pg_sleep(10)")
        await _healthy(client)
        assert client.pool.get_size() <= 3


async def test_cancelled_calls_leave_the_pool_and_the_server_clean(db_dsn: str) -> None:
    async with await pgcortex.connect(db_dsn, namespace="test", deploy=False, max_size=4) as client:
        tasks = [asyncio.create_task(client._fetchval("select pg_sleep(60)")) for _ in range(8)]

        async def four_running() -> bool:
            return await _sleepers(db_dsn) == 4

        await _wait_until(four_running, "4 sleeping calls")
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results)

        async def none_running() -> bool:
            return await _sleepers(db_dsn) == 0

        await _wait_until(none_running, "cancelled on the server")
        await _healthy(client)
        assert client.pool.get_size() <= 4
        # A call cancelled while it waits for a connection leaks nothing either.
        holder = await client.pool.acquire()
        waiting = asyncio.create_task(client._fetchval("select 1"))
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await client.pool.release(holder)
        await _healthy(client)


async def test_acquire_timeout_raises_a_clear_error(db_dsn: str) -> None:
    async with await pgcortex.connect(
        db_dsn, namespace="test", deploy=False, min_size=1, max_size=1, acquire_timeout=0.2
    ) as client:
        holder = await client.pool.acquire()
        try:
            with pytest.raises(QueryTimeoutError, match="no free connection") as info:
                await client._fetchval("select 1")
            assert info.value.hint
        finally:
            await client.pool.release(holder)
        await _healthy(client, calls=3)


@pytest.fixture
def flaky(db: psycopg.Connection) -> psycopg.Connection:
    """public.flaky(n, code): fails with SQLSTATE ``code`` on its first n calls.

    The counter is a sequence, which a rollback does not undo, so it counts tries.
    """
    db.execute("create sequence public.tries")
    db.execute(
        """
        create function public.flaky(n integer, code text) returns bigint
        language plpgsql volatile as $$
        declare v bigint := nextval('public.tries');
        begin
            if v <= n then
                raise exception using errcode = code, message = 'flaky failure ' || v;
            end if;
            return v;
        end $$
        """
    )
    return db


def _tries(db: psycopg.Connection) -> int:
    row = db.execute("select last_value, is_called from public.tries").fetchone()
    assert row is not None
    return int(row[0]) if row[1] else 0


@pytest.mark.parametrize("code", ["40001", "40P01"])
async def test_idempotent_calls_retry_serialization_failures_and_deadlocks(
    flaky: psycopg.Connection, client: pgcortex.Client, code: str
) -> None:
    value = await client._fetchval(retry.idempotent("select public.flaky($1, $2)"), 2, code)
    assert value == 3
    assert _tries(flaky) == 3


async def test_idempotent_retries_are_bounded(
    flaky: psycopg.Connection, client: pgcortex.Client
) -> None:
    with pytest.raises(ConcurrencyError):
        await client._fetchval(retry.idempotent("select public.flaky($1, $2)"), 100, "40P01")
    assert _tries(flaky) == 1 + retry.DEFAULT_RETRY_ATTEMPTS


async def test_non_idempotent_calls_never_retry(
    flaky: psycopg.Connection, client: pgcortex.Client
) -> None:
    with pytest.raises(ConcurrencyError):
        await client._fetchval("select public.flaky($1, $2)", 2, "40001")
    assert _tries(flaky) == 1


async def test_calls_in_the_callers_transaction_never_retry(
    flaky: psycopg.Connection, client: pgcortex.Client
) -> None:
    async with client.pool.acquire() as conn:
        with pytest.raises(ConcurrencyError):
            async with conn.transaction():
                await client._fetchval(
                    retry.idempotent("select public.flaky($1, $2)"), 2, "40001", conn=conn
                )
    assert _tries(flaky) == 1


async def test_other_errors_are_not_retried(
    flaky: psycopg.Connection, client: pgcortex.Client
) -> None:
    with pytest.raises(pgcortex.PgcortexError):
        await client._fetchval(retry.idempotent("select public.flaky($1, $2)"), 2, "PC003")
    assert _tries(flaky) == 1
