"""The async client: one method, one SQL function call, one round trip.

``Client`` is assembled from one mixin per area (memories, knowledge, admin); each
mixin's methods call the SQL API through :meth:`ClientBase._fetch` and friends,
with SQL text taken from :mod:`pgcortex.queries` only.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any, Self

import asyncpg
from pgvector.asyncpg import register_vector

from . import queries as q
from . import retry
from .config import configured_dsn, default_namespace
from .errors import (
    ConcurrencyError,
    ConnectionLostError,
    InvalidNamespaceError,
    PgcortexError,
    QueryTimeoutError,
    SchemaVersionError,
    wrap_errors,
)

#: SQLSTATEs of a database without the schema: undefined function, schema, table.
_NOT_DEPLOYED_SQLSTATES = frozenset({"42883", "3F000", "42P01"})

#: Schema versions this client can work with.
SUPPORTED_SCHEMA_VERSIONS = range(1, 2)
#: The schema version this client was written for (a database may not require newer).
CLIENT_SCHEMA_VERSION = 1

#: Statement timeout set on every pooled connection unless the caller gives one.
DEFAULT_STATEMENT_TIMEOUT_MS = 30_000
#: Seconds to wait for a free connection from the pool.
DEFAULT_ACQUIRE_TIMEOUT = 10.0

Connection = asyncpg.Connection
Record = asyncpg.Record


async def init_connection(conn: asyncpg.Connection) -> None:
    """Pool ``init``: pgvector and jsonb codecs.

    A database without pgvector gets no vector codec, so that the version check can
    say what to run instead of failing here.
    """
    if await conn.fetchval(q.VECTOR_TYPE_EXISTS):
        await register_vector(conn, schema="public")
    await conn.set_type_codec(
        "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog", format="text"
    )
    await conn.set_type_codec(
        "json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog", format="text"
    )


def _validate_namespace(namespace: str) -> str:
    if not isinstance(namespace, str) or not 1 <= len(namespace) <= 128:
        raise InvalidNamespaceError("a namespace has 1 to 128 characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in namespace):
        raise InvalidNamespaceError("a namespace has no control characters")
    return namespace


async def create_pool(
    dsn: str,
    *,
    namespace: str,
    min_size: int = 1,
    max_size: int = 10,
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS,
    **kwargs: Any,
) -> asyncpg.Pool:
    """An asyncpg pool whose connections are scoped to ``namespace``.

    The namespace is a startup setting of each connection (``pgcortex.namespace``),
    so it survives the pool's ``RESET ALL`` and costs no round trip per call.
    """
    settings = {
        "pgcortex.namespace": _validate_namespace(namespace),
        "statement_timeout": str(statement_timeout_ms),
        "application_name": "pgcortex",
    }
    settings.update(kwargs.pop("server_settings", {}))
    with wrap_errors():
        pool = await asyncpg.create_pool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            init=init_connection,
            server_settings=settings,
            **kwargs,
        )
    assert pool is not None
    return pool


class ClientBase:
    """Pool handling, the version check and the call helpers shared by every area."""

    #: Retries of a failed idempotent pooled call (see :mod:`pgcortex.retry`).
    retry_attempts: int = retry.DEFAULT_RETRY_ATTEMPTS

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        namespace: str,
        owns_pool: bool,
        embedder: Any = None,
        acquire_timeout: float = DEFAULT_ACQUIRE_TIMEOUT,
    ) -> None:
        self.pool = pool
        self.namespace = namespace
        self.embedder = embedder
        self._owns_pool = owns_pool
        self._acquire_timeout = acquire_timeout

    # -- lifecycle -----------------------------------------------------------------

    async def close(self) -> None:
        if self._owns_pool:
            await self.pool.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def check_schema_version(self) -> int:
        """Refuse a database this client cannot use; return its version."""
        try:
            row = await self._fetchrow(q.SCHEMA_VERSION)
        except PgcortexError as exc:
            # Only "the schema or its function is missing" means "not deployed";
            # a lost connection or a timeout is raised as what it is.
            if exc.code not in _NOT_DEPLOYED_SQLSTATES:
                raise
            raise SchemaVersionError(
                "this database has no pgcortex schema",
                hint="deploy it: make deploy (or pgcortex deploy --dsn ...)",
            ) from exc
        assert row is not None
        version, min_client = row["version"], row["min_client_version"]
        if version not in SUPPORTED_SCHEMA_VERSIONS or min_client > CLIENT_SCHEMA_VERSION:
            newer = version > max(SUPPORTED_SCHEMA_VERSIONS) or min_client > CLIENT_SCHEMA_VERSION
            raise SchemaVersionError(
                f"database schema version {version} is not supported by this client "
                f"(supports {min(SUPPORTED_SCHEMA_VERSIONS)}..{max(SUPPORTED_SCHEMA_VERSIONS)})",
                hint="upgrade the pgcortex client"
                if newer
                else "deploy the newer schema: make deploy",
            )
        return int(version)

    # -- calls -----------------------------------------------------------------------

    async def _run(
        self,
        method: Callable[..., Awaitable[Any]],
        sql: str,
        args: Sequence[Any],
        conn: asyncpg.Connection | None,
    ) -> Any:
        """One call; on a pooled connection, idempotent calls retry (see :mod:`pgcortex.retry`)."""
        text = str(sql)  # the driver wants a plain str, not a marked one
        if conn is not None:
            with wrap_errors():
                return await getattr(conn, method.__name__)(text, *args)
        attempt = 0
        while True:
            try:
                return await self._run_pooled(method.__name__, text, args)
            except (ConcurrencyError, ConnectionLostError) as exc:
                if not retry.should_retry(sql, exc, attempt, self.retry_attempts):
                    raise
            await asyncio.sleep(retry.backoff(attempt))
            attempt += 1

    async def _run_pooled(self, name: str, sql: str, args: Sequence[Any]) -> Any:
        with wrap_errors():
            try:
                pooled = await self.pool.acquire(timeout=self._acquire_timeout)
            except TimeoutError as exc:
                raise QueryTimeoutError(
                    f"no free connection in the pool within {self._acquire_timeout} s",
                    hint="raise max_size or acquire_timeout, or look for calls that hold "
                    "connections",
                ) from exc
            try:
                return await getattr(pooled, name)(sql, *args)
            finally:
                await self.pool.release(pooled)

    async def _fetch(
        self, sql: str, *args: Any, conn: asyncpg.Connection | None = None
    ) -> list[asyncpg.Record]:
        result: list[asyncpg.Record] = await self._run(asyncpg.Connection.fetch, sql, args, conn)
        return result

    async def _fetchrow(
        self, sql: str, *args: Any, conn: asyncpg.Connection | None = None
    ) -> asyncpg.Record | None:
        result: asyncpg.Record | None = await self._run(
            asyncpg.Connection.fetchrow, sql, args, conn
        )
        return result

    async def _fetchval(self, sql: str, *args: Any, conn: asyncpg.Connection | None = None) -> Any:
        return await self._run(asyncpg.Connection.fetchval, sql, args, conn)


def _client_class() -> type[ClientBase]:
    from .api import Client

    return Client


async def connect(
    dsn: str | None = None,
    *,
    namespace: str | None = None,
    pool: asyncpg.Pool | None = None,
    embedder: Any = None,
    deploy: bool | None = None,
    min_size: int = 1,
    max_size: int = 10,
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS,
    acquire_timeout: float = DEFAULT_ACQUIRE_TIMEOUT,
) -> Any:
    """Connect to pgcortex and return a :class:`pgcortex.Client`.

    ``dsn=None`` uses PGCORTEX_DSN / DATABASE_URL, else the embedded server, which is
    started and deployed when needed (``deploy`` defaults to True only then). A
    ``pool`` made by :func:`create_pool` may be passed instead; it is not closed by
    the client. The schema version is checked before the client is returned.
    """
    ns = _validate_namespace(namespace or default_namespace())
    owns = pool is None
    if pool is None:
        resolved = configured_dsn(dsn)
        if resolved is None:
            from .server import EmbeddedServer

            resolved = await asyncio.to_thread(EmbeddedServer().start)
            deploy = True if deploy is None else deploy
        if deploy:
            from .migrate import deploy as run_deploy

            with wrap_errors():
                await asyncio.to_thread(run_deploy, resolved)
        pool = await create_pool(
            resolved,
            namespace=ns,
            min_size=min_size,
            max_size=max_size,
            statement_timeout_ms=statement_timeout_ms,
        )
    client = _client_class()(
        pool, namespace=ns, owns_pool=owns, embedder=embedder, acquire_timeout=acquire_timeout
    )
    try:
        await client.check_schema_version()
    except BaseException:
        await client.close()
        raise
    return client
