"""What every area of the client shares: the pool, the version check, the call helpers.

Each area (memories, knowledge, admin) is a mixin over :class:`ClientBase`; its
methods call the SQL API through :meth:`ClientBase._call`, with the calls
described in :mod:`pgcortex.queries` only. :mod:`pgcortex.client` assembles them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import asyncpg
from pgvector.asyncpg import register_vector

from . import queries as q
from . import retry
from .errors import (
    ConcurrencyError,
    ConnectionLostError,
    InvalidContentError,
    InvalidNamespaceError,
    OutOfRangeError,
    PgcortexError,
    QueryTimeoutError,
    SchemaVersionError,
    wrap_errors,
)

if TYPE_CHECKING:
    from .embedding import Embedder

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
    for name in ("jsonb", "json"):
        await conn.set_type_codec(
            name, encoder=_json_text, decoder=json.loads, schema="pg_catalog", format="text"
        )


def _json_text(value: Any) -> str:
    """JSON as sent: UTF-8 text as is, so a lone surrogate fails to encode (PC020) instead
    of reaching the server as an escape it refuses."""
    return json.dumps(value, ensure_ascii=False)


def validate_namespace(namespace: str) -> str:
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
        "pgcortex.namespace": validate_namespace(namespace),
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
        embedder: Embedder | None = None,
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
            row = await self._call(q.SCHEMA_VERSION)
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

    async def current_namespace(self, *, conn: asyncpg.Connection | None = None) -> str:
        """The namespace the database sees for this client's connections."""
        name: str = await self._call(q.CURRENT_NAMESPACE, conn=conn)
        return name

    # -- calls -----------------------------------------------------------------------

    async def _call(
        self, call: q.Call, /, *, conn: asyncpg.Connection | None = None, **arguments: Any
    ) -> Any:
        """Call one SQL function by name with the arguments given (``None`` optionals
        left out, see :class:`~pgcortex.queries.Call`); rows, a row or a value back.

        An argument the driver cannot encode (nothing was sent) raises the error of
        the rule it breaks, naming the argument: text that is not valid Unicode is
        :class:`~pgcortex.errors.InvalidContentError`, a number too large for its
        SQL type :class:`~pgcortex.errors.OutOfRangeError`.
        """
        sql, values = call.bind(arguments)
        method = _METHODS[call.returns]
        try:
            result = await self._run(method, sql, values, conn)
        except (InvalidContentError, OutOfRangeError) as exc:
            raise _name_argument(exc, call, arguments) from exc.__cause__
        if call.returns == "row" and result is None:
            raise PgcortexError(f"pgcortex.{call.function}() returned no row")
        return result

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


_METHODS: dict[str, Callable[..., Awaitable[Any]]] = {
    "rows": asyncpg.Connection.fetch,
    "row": asyncpg.Connection.fetchrow,
    "value": asyncpg.Connection.fetchval,
}


def _name_argument(
    exc: InvalidContentError | OutOfRangeError, call: q.Call, arguments: dict[str, Any]
) -> PgcortexError:
    """``exc`` naming the argument the driver could not encode, when it was that."""
    if not exc.client_side:
        return exc  # raised by the server, which names what it refused
    for name in call.parameters:
        value = arguments.get(name)
        if value is None:
            continue
        named: PgcortexError | None = None
        if isinstance(exc, InvalidContentError) and not _encodable(value):
            named = InvalidContentError(
                f"{name} is not valid text: it holds a lone surrogate or another "
                "character that has no UTF-8 form",
                hint="pass text that is valid Unicode",
            )
        elif isinstance(exc, OutOfRangeError) and not _in_range(value):
            named = OutOfRangeError(
                f"{name} is out of range for its SQL type",
                hint=f"see the documented range of {name} (comment on function "
                f"pgcortex.{call.function})",
            )
        if named is not None:
            named.client_side = True
            return named
    return exc


def _encodable(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_encodable(k) and _encodable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_encodable(v) for v in value)
    return True


#: The widest integer the API's integer and smallint parameters take.
_INT4 = range(-(2**31), 2**31)


def _in_range(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return value in _INT4
    if isinstance(value, list | tuple):
        return all(_in_range(v) for v in value)
    return True
