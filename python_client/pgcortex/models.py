"""Embedding models: the registry, the namespace's current model, re-embedding.

One method, one SQL function call. :func:`pgcortex.reembed.reembed` runs the
re-embed loop on top of :meth:`ModelsMixin.reembed_pending`,
:meth:`ModelsMixin.reembed_stage` and :meth:`ModelsMixin.reembed_switch`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from . import args
from . import queries as q
from .base import ClientBase
from .errors import EmbedderModelMismatchError
from .records import EmbeddingModel, PendingEmbedding, ReembedStatus, ReembedSwitch


class ModelsMixin(ClientBase):
    """Register embedding models, choose a namespace's model, re-embed a namespace."""

    async def register_embedding_model(
        self,
        name: str,
        dimensions: int,
        *,
        distance: str | None = None,
        storage: str | None = None,
        normalize_vectors: bool | None = None,
        create_index: bool | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> EmbeddingModel:
        """Register a model (idempotent; EmbeddingModelConflictError when the name is
        registered otherwise) and build its HNSW index unless ``create_index`` is False
        (``pgcortex register-model`` builds it concurrently instead)."""
        record = await self._call(
            q.REGISTER_EMBEDDING_MODEL,
            conn=conn,
            name=name,
            dimensions=dimensions,
            distance=distance,
            storage=storage,
            normalize_vectors=normalize_vectors,
            create_index=create_index,
        )
        return EmbeddingModel.from_record(record)

    async def list_embedding_models(
        self, *, conn: asyncpg.Connection | None = None
    ) -> list[EmbeddingModel]:
        """Every registered model, with its index's state."""
        records = await self._call(q.LIST_EMBEDDING_MODELS, conn=conn)
        return [EmbeddingModel.from_record(r) for r in records]

    async def embedding_model_row(
        self, embedding_model: str, *, conn: asyncpg.Connection | None = None
    ) -> EmbeddingModel | None:
        """The registered model of that name (None when there is none)."""
        record = await self._call(q.EMBEDDING_MODEL_ROW, conn=conn, embedding_model=embedding_model)
        if record is None or record["model_id"] is None:
            return None
        return EmbeddingModel.from_record(record)

    async def drop_embedding_model(
        self, embedding_model: str, *, conn: asyncpg.Connection | None = None
    ) -> EmbeddingModel:
        """Unregister a model no vector uses, and drop its index."""
        record = await self._call(
            q.DROP_EMBEDDING_MODEL, conn=conn, embedding_model=embedding_model
        )
        return EmbeddingModel.from_record(record)

    async def set_default_embedding_model(
        self, embedding_model: str, *, conn: asyncpg.Connection | None = None
    ) -> EmbeddingModel:
        """Make a registered model the deployment default."""
        record = await self._call(
            q.SET_DEFAULT_EMBEDDING_MODEL, conn=conn, embedding_model=embedding_model
        )
        return EmbeddingModel.from_record(record)

    async def set_namespace_embedding_model(
        self, embedding_model: str, *, conn: asyncpg.Connection | None = None
    ) -> str:
        """Choose the namespace's model while it holds no embeddings of another."""
        name: str = await self._call(
            q.SET_NAMESPACE_EMBEDDING_MODEL, conn=conn, embedding_model=embedding_model
        )
        return name

    async def embedding_model_index_sql(
        self,
        embedding_model: str,
        *,
        concurrently: bool | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> str:
        """The statement that builds the model's index (``concurrently``: outside a
        transaction, without blocking writes)."""
        text: str = await self._call(
            q.EMBEDDING_MODEL_INDEX_SQL,
            conn=conn,
            embedding_model=embedding_model,
            concurrently=concurrently,
        )
        return text

    async def reembed_pending(
        self,
        embedding_model: str,
        max_rows: int | None = None,
        *,
        conn: asyncpg.Connection | None = None,
    ) -> list[PendingEmbedding]:
        """The next memories a re-embed into the model still has to embed."""
        records = await self._call(
            q.REEMBED_PENDING, conn=conn, embedding_model=embedding_model, max_rows=max_rows
        )
        return [PendingEmbedding.from_record(r) for r in records]

    async def reembed_stage(
        self,
        embedding_model: str,
        memory_ids: Sequence[UUID],
        embeddings: Sequence[Any],
        content_hashes: Sequence[bytes],
        *,
        as_of: datetime | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> int:
        """Store the model's vectors of these memories beside their current ones."""
        staged: int = await self._call(
            q.REEMBED_STAGE,
            conn=conn,
            embedding_model=embedding_model,
            memory_ids=args.uuids(memory_ids, "memory_ids"),
            embeddings=args.vectors(embeddings),
            content_hashes=list(content_hashes),
            as_of=as_of,
        )
        return staged

    async def reembed_status(
        self, embedding_model: str, *, conn: asyncpg.Connection | None = None
    ) -> ReembedStatus:
        """How far a re-embed of the namespace into the model is."""
        record = await self._call(q.REEMBED_STATUS, conn=conn, embedding_model=embedding_model)
        return ReembedStatus.from_record(record)

    async def reembed_switch(
        self, embedding_model: str, *, conn: asyncpg.Connection | None = None
    ) -> ReembedSwitch:
        """Make the model the namespace's current one (ReembedIncompleteError while
        memories are not yet embedded with it)."""
        record = await self._call(q.REEMBED_SWITCH, conn=conn, embedding_model=embedding_model)
        return ReembedSwitch.from_record(record)

    async def maint_drop_old_embeddings(
        self, embedding_model: str | None = None, *, conn: asyncpg.Connection | None = None
    ) -> dict[str, int]:
        """Drop the vectors kept beside the current ones (the previous model's by
        default): model -> how many were dropped."""
        records = await self._call(
            q.MAINT_DROP_OLD_EMBEDDINGS, conn=conn, embedding_model=embedding_model
        )
        return {r["dropped_model"]: int(r["dropped"]) for r in records}

    async def check_embedder(self, *, conn: asyncpg.Connection | None = None) -> None:
        """Check the client's embedder against the registry: its model registered with
        its dimensions (registered here when it is not), and the namespace's current
        model. Raises :class:`~pgcortex.errors.EmbedderModelMismatchError` on
        disagreement. :func:`pgcortex.connect` calls it."""
        embedder = self.embedder
        if embedder is None:
            return
        name, dims = embedder.model_name, int(embedder.dimensions)
        model = await self.embedding_model_row(name, conn=conn)
        if model is None:
            model = await self.register_embedding_model(name, dims, conn=conn)
        if model.dimensions != dims:
            raise EmbedderModelMismatchError(
                f"the embedder's model {name} makes {dims}-d vectors; "
                f"the registry has {name} with {model.dimensions} dimensions",
                hint="use the registered model's dimensions, or register the variant "
                "under another name (pgcortex register-model)",
            )
        current: str | None = await self._call(q.NAMESPACE_EMBEDDING_MODEL, conn=conn)
        if current is not None and current != name:
            holds = await self.reembed_status(current, conn=conn)
            if holds.total > 0:
                raise EmbedderModelMismatchError(
                    f"namespace {self.namespace!r} holds embeddings of model {current}; "
                    f"the embedder makes {name}",
                    hint=f"connect with an embedder of {current}, or re-embed the namespace: "
                    f"pgcortex --namespace {self.namespace} reembed --to {name}",
                )
