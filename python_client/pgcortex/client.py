"""The client: :class:`Client`, assembled from one mixin per area, and :func:`connect`.

One method, one SQL function call, one round trip. The areas (memories,
knowledge, admin) each extend :class:`~pgcortex.base.ClientBase`, which holds the
pool and the call helpers.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import asyncpg

from .admin import AdminMixin
from .base import (
    CLIENT_SCHEMA_VERSION,
    DEFAULT_ACQUIRE_TIMEOUT,
    DEFAULT_STATEMENT_TIMEOUT_MS,
    SUPPORTED_SCHEMA_VERSIONS,
    ClientBase,
    create_pool,
    validate_namespace,
)
from .config import configured_dsn, default_namespace
from .errors import wrap_errors
from .importing import ImportMixin
from .knowledge import KnowledgeMixin
from .memories import MemoriesMixin
from .models import ModelsMixin

if TYPE_CHECKING:
    from .embedding import Embedder


class Client(MemoriesMixin, KnowledgeMixin, AdminMixin, ImportMixin, ModelsMixin, ClientBase):
    """Async pgcortex client; make one with :func:`pgcortex.connect`."""


async def connect(
    dsn: str | None = None,
    *,
    namespace: str | None = None,
    pool: asyncpg.Pool | None = None,
    embedder: Embedder | None = None,
    deploy: bool | None = None,
    min_size: int = 1,
    max_size: int = 10,
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS,
    acquire_timeout: float = DEFAULT_ACQUIRE_TIMEOUT,
) -> Client:
    """Connect to pgcortex and return a :class:`pgcortex.Client`.

    ``dsn=None`` uses PGCORTEX_DSN / DATABASE_URL, else the embedded server, which is
    started and deployed when needed (``deploy`` defaults to True only then). A
    ``pool`` made by :func:`create_pool` may be passed instead; it is not closed by
    the client. The schema version is checked before the client is returned, and
    the embedder's ``model_name`` and ``dimensions`` against the registry of
    embedding models (its model registered when it is not;
    :class:`~pgcortex.errors.EmbedderModelMismatchError` when the registry has it
    with other dimensions, or the namespace holds embeddings of another model).
    """
    ns = validate_namespace(namespace or default_namespace())
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
    client = Client(
        pool, namespace=ns, owns_pool=owns, embedder=embedder, acquire_timeout=acquire_timeout
    )
    try:
        await client.check_schema_version()
        await client.check_embedder()
    except BaseException:
        await client.close()
        raise
    return client


__all__ = [
    "CLIENT_SCHEMA_VERSION",
    "DEFAULT_ACQUIRE_TIMEOUT",
    "DEFAULT_STATEMENT_TIMEOUT_MS",
    "SUPPORTED_SCHEMA_VERSIONS",
    "Client",
    "ClientBase",
    "connect",
    "create_pool",
]
