"""A LangGraph store kept in pgcortex (extra ``langgraph``).

:class:`AsyncPgcortexStore` implements LangGraph's ``BaseStore`` (through its batched
async base, so the synchronous methods work from other threads too) over the
pgcortex key-value store: ``pgcortex.store_put``, ``store_get``, ``store_search``,
``store_list_namespaces``, ``store_delete`` and the sweeper ``maint_store_sweep``.
A LangGraph namespace tuple is a path inside the client's pgcortex namespace (the
tenant), so two tenants never see each other's items. Each operation is one SQL
call; a batch runs in one transaction on one connection. The adapter only embeds:
it takes the texts to embed out of a value with LangGraph's own path rules and
sends the vectors with the item::

    import pgcortex
    from pgcortex.integrations.langgraph import AsyncPgcortexStore

    client = await pgcortex.connect(namespace="alice")
    store = AsyncPgcortexStore(client, index={"dims": 1536, "embed": embed_texts})
    await store.aput(("memories",), "m1", {"text": "likes green tea"})
    hits = await store.asearch(("memories",), query="what does she drink?")
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, cast

from langgraph.store.base import (
    GetOp,
    IndexConfig,
    Item,
    ListNamespacesOp,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    TTLConfig,
    ensure_embeddings,
    get_text_at_path,
    tokenize_path,
)
from langgraph.store.base.batch import AsyncBatchedBaseStore

from .. import args
from ..queries import store as q

if TYPE_CHECKING:
    import asyncpg
    from langchain_core.embeddings import Embeddings

    from ..client import Client

__all__ = ["AsyncPgcortexStore", "PgcortexIndexConfig"]

logger = logging.getLogger(__name__)

Distance = Literal["cosine", "inner_product", "l2"]


class PgcortexIndexConfig(IndexConfig, total=False):
    """LangGraph's index config plus what ``AsyncPostgresStore`` adds to it.

    ``distance_type`` (cosine by default, inner_product or l2) orders the search and
    makes the score: cosine similarity, inner product, or minus the L2 distance.
    ``ann_index_config.vector_type`` (vector or halfvec) is the storage of the HNSW
    index. ``embedding_model`` names the pgcortex embedding model the vectors are
    registered under (by default one named after dimensions, distance and storage).
    """

    distance_type: Distance
    ann_index_config: dict[str, Any]
    embedding_model: str


class AsyncPgcortexStore(AsyncBatchedBaseStore):
    """LangGraph's store over the pgcortex key-value store of ``client``'s namespace.

    ``index``: LangGraph's index config (``dims``, ``embed``, ``fields``) plus
    ``distance_type`` and ``ann_index_config`` as ``AsyncPostgresStore`` takes them.
    ``ttl``: LangGraph's TTL config (``default_ttl`` and ``sweep_interval_minutes`` in
    minutes, fractions allowed; ``refresh_on_read``; ``omit_expired``). Create it
    inside a running event loop; the synchronous methods are for other threads.
    """

    supports_ttl: bool = True

    def __init__(
        self,
        client: Client,
        *,
        index: PgcortexIndexConfig | None = None,
        ttl: TTLConfig | None = None,
        owns_client: bool = False,
    ) -> None:
        super().__init__()
        self.client = client
        self.ttl_config = ttl
        self.index_config: dict[str, Any] | None = dict(index) if index else None
        self.embeddings: Embeddings | None = None
        self._fields: list[tuple[str, str | list[str]]] = []
        self._distance: Distance = "cosine"
        self._storage = "vector"
        self._model: str | None = None
        if index:
            self.embeddings = ensure_embeddings(index.get("embed"))
            fields = index.get("fields") or ["$"]
            if isinstance(fields, str):
                fields = [fields]
            self._fields = [(f, "$" if f == "$" else tokenize_path(f)) for f in fields]
            self._distance = index.get("distance_type", "cosine")
            self._storage = (index.get("ann_index_config") or {}).get("vector_type", "vector")
            if self._distance not in ("cosine", "inner_product", "l2"):
                raise ValueError(
                    f"distance_type must be cosine, inner_product or l2, not {self._distance!r}"
                )
            if self._storage not in ("vector", "halfvec"):
                raise ValueError(f"vector_type must be vector or halfvec, not {self._storage!r}")
        self._owns_client = owns_client
        self._sweeper: asyncio.Task[None] | None = None
        self._sweeper_stop = asyncio.Event()

    # -- construction and lifecycle -----------------------------------------------------

    @classmethod
    @asynccontextmanager
    async def from_conn_string(
        cls,
        conn_string: str | None = None,
        *,
        namespace: str | None = None,
        index: PgcortexIndexConfig | None = None,
        ttl: TTLConfig | None = None,
    ) -> AsyncIterator[AsyncPgcortexStore]:
        """A store on a client of its own (see :func:`pgcortex.connect`: the embedded
        server when ``conn_string`` is None), closed on exit with its sweeper."""
        from ..client import connect

        client = await connect(conn_string, namespace=namespace)
        store = cls(client, index=index, ttl=ttl, owns_client=True)
        try:
            yield store
        finally:
            await store.close()

    async def setup(self) -> None:
        """Check the database's schema and, with an index config, make sure its
        embedding model is registered and indexed. pgcortex's deploy creates the
        tables: there is nothing else to migrate."""
        await self.client.check_schema_version()
        if self.index_config:
            await self._embedding_model()

    async def close(self) -> None:
        """Stop the sweeper; close the client when the store made it."""
        await self.stop_ttl_sweeper()
        if self._owns_client:
            await self.client.close()

    async def __aenter__(self) -> AsyncPgcortexStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- TTL ---------------------------------------------------------------------------

    async def sweep_ttl(self) -> int:
        """Delete the expired items of the namespace now; return how many."""
        deleted = await self.client._fetchval(q.MAINT_STORE_SWEEP)
        return int(deleted)

    async def start_ttl_sweeper(
        self, sweep_interval_minutes: float | None = None
    ) -> asyncio.Task[None]:
        """Sweep expired items every ``sweep_interval_minutes`` (the TTL config's, else
        5) until :meth:`stop_ttl_sweeper`. Without a TTL config there is nothing to do."""
        if not self.ttl_config:
            return asyncio.create_task(asyncio.sleep(0))
        if self._sweeper is not None and not self._sweeper.done():
            return self._sweeper
        self._sweeper_stop.clear()
        interval = float(
            sweep_interval_minutes or self.ttl_config.get("sweep_interval_minutes") or 5
        )

        async def sweep_loop() -> None:
            while not self._sweeper_stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._sweeper_stop.wait(), timeout=interval * 60)
                    break
                try:
                    deleted = await self.sweep_ttl()
                except Exception:
                    # A failed sweep is logged and retried at the next interval: the
                    # expired items stay until a sweep succeeds.
                    logger.exception("pgcortex store TTL sweep failed")
                else:
                    if deleted:
                        logger.info("pgcortex store swept %d expired items", deleted)

        self._sweeper = asyncio.create_task(sweep_loop(), name="pgcortex-store-ttl-sweeper")
        return self._sweeper

    # ``timeout`` is the parameter of AsyncPostgresStore.stop_ttl_sweeper, kept for a drop-in.
    async def stop_ttl_sweeper(self, timeout: float | None = None) -> bool:  # noqa: ASYNC109
        """Stop the sweeper; False when it did not stop within ``timeout`` seconds."""
        if self._sweeper is None or self._sweeper.done():
            return True
        self._sweeper_stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._sweeper), timeout=timeout)
        except TimeoutError:
            return False
        self._sweeper = None
        return True

    # -- the batch -------------------------------------------------------------------------

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """Run ``ops`` in order in one transaction on one connection (each sees the
        writes of those before it); one result per op."""
        ops = list(ops)
        put_vectors = await self._put_vectors(ops)
        query_vectors = await self._query_vectors(ops)
        model = await self._embedding_model() if (put_vectors or query_vectors) else None
        omit = bool(self.ttl_config and self.ttl_config.get("omit_expired"))
        results: list[Result] = []
        pool = self.client.pool
        async with (
            pool.acquire(timeout=self.client._acquire_timeout) as conn,
            conn.transaction(),
        ):
            for n, op in enumerate(ops):
                results.append(
                    await self._run(conn, op, omit, put_vectors.get(n), query_vectors.get(n), model)
                )
        return results

    async def _run(
        self,
        conn: asyncpg.Connection,
        op: Op,
        omit: bool,
        vectors: tuple[list[str], list[Any]] | None,
        query_vector: Any,
        model: str | None,
    ) -> Result:
        call = self.client
        if isinstance(op, GetOp):
            row = await call._fetchrow(
                q.STORE_GET, list(op.namespace), str(op.key), op.refresh_ttl, omit, conn=conn
            )
            if row is None:
                return None
            return Item(
                value=row["value"],
                key=str(op.key),
                namespace=tuple(op.namespace),
                created_at=row["created_at"],
                updated_at=row["updated_at"],
            )
        if isinstance(op, PutOp):
            if op.value is None:
                await call._fetchval(q.STORE_DELETE, list(op.namespace), str(op.key), conn=conn)
                return None
            fields, embeddings = vectors if vectors else (None, None)
            await call._fetch(
                q.STORE_PUT,
                list(op.namespace),
                str(op.key),
                op.value,
                None if op.ttl is None else float(op.ttl),
                fields,
                args.vectors(embeddings),
                model if vectors else None,
                conn=conn,
            )
            return None
        if isinstance(op, SearchOp):
            rows = await call._fetch(
                q.STORE_SEARCH,
                list(op.namespace_prefix),
                op.filter,
                op.query,
                args.vector(query_vector, "query embedding"),
                model if query_vector is not None else None,
                op.limit,
                op.offset,
                op.refresh_ttl,
                omit,
                conn=conn,
            )
            return [_search_item(r) for r in rows]
        if isinstance(op, ListNamespacesOp):
            prefix: list[str] | None = None
            suffix: list[str] | None = None
            for condition in op.match_conditions or ():
                if condition.match_type == "prefix":
                    prefix = list(condition.path)
                elif condition.match_type == "suffix":
                    suffix = list(condition.path)
                else:
                    raise ValueError(f"unknown match type {condition.match_type!r}")
            rows = await call._fetch(
                q.STORE_LIST_NAMESPACES,
                prefix,
                suffix,
                op.max_depth,
                op.limit,
                op.offset,
                omit,
                conn=conn,
            )
            return [tuple(r["path"]) for r in rows]
        raise ValueError(f"unknown operation {type(op).__name__}")

    # -- embeddings -----------------------------------------------------------------------

    async def _embedding_model(self) -> str:
        """The registered embedding model of the index config (registered, with its
        index, on first use)."""
        if self._model is None:
            assert self.index_config is not None
            self._model = cast(
                str,
                await self.client._fetchval(
                    q.STORE_MODEL,
                    int(self.index_config["dims"]),
                    self._distance,
                    self._storage,
                    self.index_config.get("embedding_model"),
                ),
            )
        return self._model

    async def _put_vectors(self, ops: Sequence[Op]) -> dict[int, tuple[list[str], list[Any]]]:
        """For each put to index: the field name and vector of every text of its value
        (LangGraph's field paths; a path matching several texts gives ``path.0``,
        ``path.1``, ...). One embedding call for the whole batch."""
        if self.embeddings is None:
            return {}
        wanted: list[tuple[int, str, str]] = []
        for n, op in enumerate(ops):
            if not isinstance(op, PutOp) or op.value is None or op.index is False:
                continue
            paths = (
                self._fields
                if op.index is None
                else [(f, "$" if f == "$" else tokenize_path(f)) for f in op.index]
            )
            for name, tokens in paths:
                texts = get_text_at_path(op.value, tokens)
                for i, text in enumerate(texts):
                    wanted.append((n, f"{name}.{i}" if len(texts) > 1 else name, text))
        if not wanted:
            return {}
        vectors = await self.embeddings.aembed_documents([text for _, _, text in wanted])
        out: dict[int, tuple[list[str], list[Any]]] = {}
        for (n, field, _), vector in zip(wanted, vectors, strict=True):
            fields, vecs = out.setdefault(n, ([], []))
            fields.append(field)
            vecs.append(vector)
        return out

    async def _query_vectors(self, ops: Sequence[Op]) -> dict[int, Any]:
        """The embedding of each search's query text (when the store has an index)."""
        if self.embeddings is None:
            return {}
        wanted = [
            (n, op.query) for n, op in enumerate(ops) if isinstance(op, SearchOp) and op.query
        ]
        if not wanted:
            return {}
        vectors = await asyncio.gather(*(self.embeddings.aembed_query(t) for _, t in wanted))
        return {n: v for (n, _), v in zip(wanted, vectors, strict=True)}


def _search_item(row: Any) -> SearchItem:
    score = row["score"]
    created: datetime = row["created_at"]
    updated: datetime = row["updated_at"]
    return SearchItem(
        namespace=tuple(row["path"]),
        key=row["key"],
        value=row["value"],
        created_at=created,
        updated_at=updated,
        score=None if score is None else float(score),
    )
