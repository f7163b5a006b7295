"""Memories: store (one or a batch), read, search and recall, update, delete, links,
history, forgetting and access tracking.

Each method is one call of the SQL function of the same name (see
docs/sql-api.md); an argument left ``None`` is not sent, so the SQL default
applies. The client only embeds text when it has an embedder and no embedding
was given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from asyncpg import Connection

from . import args
from . import queries as q
from .base import ClientBase
from .embedding import embed_texts
from .records import (
    DeleteReport,
    FlushReport,
    ForgetReport,
    HistoryPruneReport,
    Memory,
    MemoryChange,
    MemoryInput,
    MemoryLink,
    RelatedMemory,
    SearchHit,
    StoreResult,
    TermsRebuild,
)


class MemoriesMixin(ClientBase):
    """Store, find and forget memories."""

    # -- embedding -------------------------------------------------------------------

    async def _embed(self, texts: Sequence[str]) -> list[Any] | None:
        """Embeddings of ``texts`` from the client's embedder (one batch), or None."""
        if self.embedder is None or not texts:
            return None
        return list(await embed_texts(self.embedder, list(texts)))

    def _model(self, given: str | None) -> str | None:
        if given is not None:
            return given
        return None if self.embedder is None else str(self.embedder.model_name)

    # -- store -------------------------------------------------------------------------

    async def store_memory(
        self,
        content: str,
        memory_type: str,
        importance: int | None = None,
        confidence: float | None = None,
        tags: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        embedding: Any = None,
        embedding_model: str | None = None,
        memory_id: UUID | str | None = None,
        expires_at: datetime | None = None,
        near_duplicate_threshold: float | None = None,
        dedup_near: bool | None = None,
        as_of: datetime | None = None,
        conn: Connection | None = None,
    ) -> StoreResult:
        """Store one memory; returns its id and whether it was inserted, updated
        (same content already stored) or merged into a near duplicate."""
        if embedding is None:
            embedded = await self._embed([content])
            if embedded is not None:
                embedding = embedded[0]
                embedding_model = self._model(embedding_model)
        vec = args.vector(embedding)
        record = await self._call(
            q.STORE_MEMORY,
            conn=conn,
            content=content,
            memory_type=memory_type,
            importance=importance,
            confidence=confidence,
            tags=args.texts(tags),
            metadata=args.json(metadata),
            embedding=vec,
            embedding_model=embedding_model if vec is not None else None,
            memory_id=args.uuid(memory_id, "memory_id"),
            expires_at=expires_at,
            near_duplicate_threshold=near_duplicate_threshold,
            dedup_near=dedup_near,
            as_of=as_of,
        )
        return StoreResult.from_record(record)

    async def store_memories(
        self,
        items: Sequence[MemoryInput],
        *,
        embedding_model: str | None = None,
        near_duplicate_threshold: float | None = None,
        dedup_near: bool | None = None,
        as_of: datetime | None = None,
        conn: Connection | None = None,
    ) -> list[StoreResult]:
        """Store a batch in one call (items missing an embedding are embedded in one
        batch when the client has an embedder); one result per item, in order."""
        if not items:
            return []
        embeddings: list[Any] = [i.embedding for i in items]
        missing = [n for n, e in enumerate(embeddings) if e is None]
        if missing:
            embedded = await self._embed([items[n].content for n in missing])
            if embedded is not None:
                for n, vec in zip(missing, embedded, strict=True):
                    embeddings[n] = vec
                embedding_model = self._model(embedding_model)
        has_embedding = any(e is not None for e in embeddings)
        records = await self._call(
            q.STORE_MEMORIES,
            conn=conn,
            contents=[i.content for i in items],
            memory_types=[i.memory_type for i in items],
            importances=[i.importance for i in items],
            confidences=[i.confidence for i in items],
            tags=[args.texts(i.tags) for i in items],
            metadata=[args.json(i.metadata) for i in items],
            embeddings=args.vectors(embeddings) if has_embedding else None,
            ids=args.uuids([i.id for i in items], "ids"),
            expires_at=[i.expires_at for i in items],
            embedding_model=embedding_model if has_embedding else None,
            near_duplicate_threshold=near_duplicate_threshold,
            dedup_near=dedup_near,
            as_of=as_of,
        )
        return [StoreResult.from_record(r) for r in records]

    # -- read --------------------------------------------------------------------------

    async def get_memory(
        self,
        memory_id: UUID | str,
        *,
        track: bool | None = None,
        include_embedding: bool | None = None,
        as_of: datetime | None = None,
        conn: Connection | None = None,
    ) -> Memory:
        """One memory by id (raises NotFoundError); counts the access unless ``track=False``."""
        record = await self._call(
            q.GET_MEMORY,
            conn=conn,
            memory_id=args.uuid(memory_id, "memory_id"),
            track=track,
            include_embedding=include_embedding,
            as_of=as_of,
        )
        return Memory.from_record(record)

    #: The earlier name of :meth:`get_memory`.
    retrieve_memory = get_memory

    async def get_memories(
        self,
        memory_ids: Sequence[UUID | str],
        *,
        track: bool | None = None,
        include_embedding: bool | None = None,
        as_of: datetime | None = None,
        conn: Connection | None = None,
    ) -> list[Memory]:
        """The memories with these ids, in the order given (unknown ids left out)."""
        records = await self._call(
            q.GET_MEMORIES,
            conn=conn,
            memory_ids=args.uuids(memory_ids, "memory_ids"),
            track=track,
            include_embedding=include_embedding,
            as_of=as_of,
        )
        return [Memory.from_record(r) for r in records]

    async def list_memories(
        self,
        *,
        memory_types: Sequence[str] | None = None,
        tags_any: Sequence[str] | None = None,
        tags_all: Sequence[str] | None = None,
        min_importance: int | None = None,
        max_importance: int | None = None,
        min_confidence: float | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        metadata_contains: Mapping[str, Any] | None = None,
        order_by: str | None = None,
        page_size: int | None = None,
        page_offset: int | None = None,
        include_embedding: bool | None = None,
        as_of: datetime | None = None,
        conn: Connection | None = None,
    ) -> list[Memory]:
        """A page of memories matching the filters; ``order_by`` is newest (the
        default), oldest, importance, accessed (most accessed) or recent (last
        accessed). Counts no access."""
        records = await self._call(
            q.LIST_MEMORIES,
            conn=conn,
            memory_types=args.texts(memory_types),
            tags_any=args.texts(tags_any),
            tags_all=args.texts(tags_all),
            min_importance=min_importance,
            max_importance=max_importance,
            min_confidence=min_confidence,
            created_after=created_after,
            created_before=created_before,
            metadata_contains=args.json(metadata_contains),
            order_by=order_by,
            page_size=page_size,
            page_offset=page_offset,
            include_embedding=include_embedding,
            as_of=as_of,
        )
        return [Memory.from_record(r) for r in records]

    # -- search ------------------------------------------------------------------------

    async def search_memories(
        self,
        query: str | None = None,
        *,
        query_embedding: Any = None,
        k: int | None = None,
        memory_types: Sequence[str] | None = None,
        tags_any: Sequence[str] | None = None,
        tags_all: Sequence[str] | None = None,
        min_importance: int | None = None,
        min_confidence: float | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        accessed_after: datetime | None = None,
        accessed_before: datetime | None = None,
        metadata_contains: Mapping[str, Any] | None = None,
        exclude_ids: Sequence[UUID | str] | None = None,
        min_relevance: float | None = None,
        weights: Mapping[str, float] | None = None,
        ef_search: int | None = None,
        expand_links: bool | None = None,
        track: bool | None = None,
        embedding_model: str | None = None,
        as_of: datetime | None = None,
        conn: Connection | None = None,
    ) -> list[SearchHit]:
        """Hybrid search by text and/or embedding with filters in SQL (see
        ``pgcortex.search_memories``). Text without an embedding is embedded by the
        client's embedder when there is one; ``track=False`` writes nothing."""
        if query_embedding is None and query is not None and query.strip():
            embedded = await self._embed([query])
            if embedded is not None:
                query_embedding = embedded[0]
                embedding_model = self._model(embedding_model)
        vec = args.vector(query_embedding, "query_embedding")
        records = await self._call(
            q.SEARCH_MEMORIES,
            conn=conn,
            query_embedding=vec,
            query_text=query,
            k=k,
            memory_types=args.texts(memory_types),
            tags_any=args.texts(tags_any),
            tags_all=args.texts(tags_all),
            min_importance=min_importance,
            min_confidence=min_confidence,
            created_after=created_after,
            created_before=created_before,
            accessed_after=accessed_after,
            accessed_before=accessed_before,
            metadata_contains=args.json(metadata_contains),
            exclude_ids=args.uuids(exclude_ids, "exclude_ids"),
            min_relevance=min_relevance,
            weights=args.json(weights),
            ef_search=ef_search,
            expand_links=expand_links,
            track=track,
            embedding_model=embedding_model if vec is not None else None,
            as_of=as_of,
        )
        return [SearchHit.from_record(r) for r in records]

    async def recall_memories(
        self,
        query: str,
        memory_types: Sequence[str] | None = None,
        limit: int | None = None,
        min_relevance: float | None = None,
        *,
        track: bool | None = None,
        as_of: datetime | None = None,
        conn: Connection | None = None,
    ) -> list[SearchHit]:
        """Memories relevant to ``query`` (relevance = max of cosine similarity and
        keyword overlap, +0.2 for a tag in the query) at least ``min_relevance``
        (0.5 by default), best first; counts an access of each."""
        embedding = None
        model = None
        if query.strip():
            embedded = await self._embed([query])
            if embedded is not None:
                embedding = embedded[0]
                model = self._model(None)
        records = await self._call(
            q.RECALL_MEMORIES,
            conn=conn,
            query=query,
            memory_types=args.texts(memory_types),
            k=limit,
            min_relevance=min_relevance,
            query_embedding=args.vector(embedding, "query_embedding"),
            embedding_model=model,
            track=track,
            as_of=as_of,
        )
        return [SearchHit.from_record(r) for r in records]

    # -- change ------------------------------------------------------------------------

    async def update_memory(
        self,
        memory_id: UUID | str,
        *,
        content: str | None = None,
        memory_type: str | None = None,
        importance: int | None = None,
        confidence: float | None = None,
        tags: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        merge_metadata: bool | None = None,
        embedding: Any = None,
        embedding_model: str | None = None,
        expires_at: datetime | None = None,
        clear_expiry: bool | None = None,
        as_of: datetime | None = None,
        conn: Connection | None = None,
    ) -> Memory:
        """Change the fields given; a new content is embedded by the client's embedder
        (when there is one and no embedding is given), else its embedding is cleared."""
        if content is not None and embedding is None:
            embedded = await self._embed([content])
            if embedded is not None:
                embedding = embedded[0]
                embedding_model = self._model(embedding_model)
        vec = args.vector(embedding)
        record = await self._call(
            q.UPDATE_MEMORY,
            conn=conn,
            memory_id=args.uuid(memory_id, "memory_id"),
            content=content,
            memory_type=memory_type,
            importance=importance,
            confidence=confidence,
            tags=args.texts(tags),
            metadata=args.json(metadata),
            merge_metadata=merge_metadata,
            embedding=vec,
            embedding_model=embedding_model if vec is not None else None,
            expires_at=expires_at,
            clear_expiry=clear_expiry,
            as_of=as_of,
        )
        return Memory.from_record(record)

    async def delete_memory(
        self,
        memory_id: UUID | str,
        *,
        as_of: datetime | None = None,
        conn: Connection | None = None,
    ) -> UUID:
        """Delete one memory (raises NotFoundError); links and cluster membership go too."""
        result: UUID = await self._call(
            q.DELETE_MEMORY, conn=conn, memory_id=args.uuid(memory_id, "memory_id"), as_of=as_of
        )
        return result

    async def delete_memories(
        self,
        *,
        memory_ids: Sequence[UUID | str] | None = None,
        memory_types: Sequence[str] | None = None,
        tags_any: Sequence[str] | None = None,
        tags_all: Sequence[str] | None = None,
        max_importance: int | None = None,
        created_before: datetime | None = None,
        metadata_contains: Mapping[str, Any] | None = None,
        as_of: datetime | None = None,
        conn: Connection | None = None,
    ) -> DeleteReport:
        """Delete the memories matching every filter given (at least one)."""
        record = await self._call(
            q.DELETE_MEMORIES,
            conn=conn,
            memory_ids=args.uuids(memory_ids, "memory_ids"),
            memory_types=args.texts(memory_types),
            tags_any=args.texts(tags_any),
            tags_all=args.texts(tags_all),
            max_importance=max_importance,
            created_before=created_before,
            metadata_contains=args.json(metadata_contains),
            as_of=as_of,
        )
        return DeleteReport.from_record(record)

    async def memory_history(
        self,
        memory_id: UUID | str,
        *,
        max_rows: int | None = None,
        conn: Connection | None = None,
    ) -> list[MemoryChange]:
        """What was believed before: the recorded changes of a memory, oldest first."""
        records = await self._call(
            q.MEMORY_HISTORY,
            conn=conn,
            memory_id=args.uuid(memory_id, "memory_id"),
            max_rows=max_rows,
        )
        return [MemoryChange.from_record(r) for r in records]

    # -- links -------------------------------------------------------------------------

    async def link_memories(
        self,
        source_id: UUID | str,
        target_id: UUID | str,
        relation: str | None = None,
        weight: float | None = None,
        *,
        as_of: datetime | None = None,
        conn: Connection | None = None,
    ) -> MemoryLink:
        """Link source to target (relation 'related' and weight 1 by default; linking
        again sets the new weight)."""
        record = await self._call(
            q.LINK_MEMORIES,
            conn=conn,
            source_id=args.uuid(source_id, "source_id"),
            target_id=args.uuid(target_id, "target_id"),
            relation=relation,
            weight=weight,
            as_of=as_of,
        )
        return MemoryLink.from_record(record)

    async def unlink_memories(
        self,
        source_id: UUID | str,
        target_id: UUID | str,
        relation: str | None = None,
        *,
        conn: Connection | None = None,
    ) -> int:
        """Remove the links from source to target (of one relation, or all); how many."""
        count: int = await self._call(
            q.UNLINK_MEMORIES,
            conn=conn,
            source_id=args.uuid(source_id, "source_id"),
            target_id=args.uuid(target_id, "target_id"),
            relation=relation,
        )
        return int(count)

    async def related_memories(
        self,
        memory_id: UUID | str,
        depth: int | None = None,
        *,
        relations: Sequence[str] | None = None,
        max_results: int | None = None,
        as_of: datetime | None = None,
        conn: Connection | None = None,
    ) -> list[RelatedMemory]:
        """Memories linked to this one, either way, up to ``depth`` hops (2 by default)."""
        records = await self._call(
            q.RELATED_MEMORIES,
            conn=conn,
            memory_id=args.uuid(memory_id, "memory_id"),
            depth=depth,
            relations=args.texts(relations),
            max_results=max_results,
            as_of=as_of,
        )
        return [RelatedMemory.from_record(r) for r in records]

    # -- maintenance and access tracking -----------------------------------------------

    async def maint_forget(
        self,
        days: int | None = None,
        *,
        max_importance: int | None = None,
        min_access_count: int | None = None,
        as_of: datetime | None = None,
        dry_run: bool | None = None,
        conn: Connection | None = None,
    ) -> ForgetReport:
        """The forgetting policy: delete memories not accessed for ``days`` (90) whose
        importance is at most ``max_importance`` (2) and that were accessed fewer
        than ``min_access_count`` (3) times (``dry_run`` only reports)."""
        record = await self._call(
            q.MAINT_FORGET,
            conn=conn,
            days=days,
            max_importance=max_importance,
            min_access_count=min_access_count,
            as_of=as_of,
            dry_run=dry_run,
        )
        return ForgetReport.from_record(record)

    #: The earlier name of :meth:`maint_forget`.
    forget_outdated_memories = maint_forget

    async def maint_purge_expired(
        self, *, as_of: datetime | None = None, conn: Connection | None = None
    ) -> DeleteReport:
        """Delete the memories whose expiry has passed."""
        record = await self._call(q.MAINT_PURGE_EXPIRED, conn=conn, as_of=as_of)
        return DeleteReport.from_record(record)

    #: The earlier name of :meth:`maint_purge_expired`.
    purge_expired_memories = maint_purge_expired

    async def maint_flush_access(
        self, *, max_rows: int | None = None, conn: Connection | None = None
    ) -> FlushReport:
        """Fold the pending access log into the access counts (also runs by itself)."""
        record = await self._call(q.MAINT_FLUSH_ACCESS, conn=conn, max_rows=max_rows)
        return FlushReport.from_record(record)

    #: The earlier name of :meth:`maint_flush_access`.
    flush_memory_access = maint_flush_access

    async def track_access(
        self,
        ids: Sequence[UUID | str],
        *,
        as_of: datetime | None = None,
        conn: Connection | None = None,
    ) -> int:
        """Count one access of each memory (for reads made without tracking); how many."""
        count = await self._call(q.TRACK_ACCESS, conn=conn, ids=args.uuids(ids, "ids"), as_of=as_of)
        return int(count or 0)

    async def resolve_memory_id(
        self,
        id_prefix: str,
        *,
        as_of: datetime | None = None,
        conn: Connection | None = None,
    ) -> UUID:
        """The id of the one memory whose id starts with ``id_prefix`` (hex digits,
        dashes ignored); NotFoundError when none does, InvalidArgumentError when more
        than one does."""
        found: UUID = await self._call(
            q.RESOLVE_MEMORY_ID, conn=conn, id_prefix=id_prefix, as_of=as_of
        )
        return found

    async def list_memory_types(self, *, conn: Connection | None = None) -> dict[str, str]:
        """The kinds of memory: name -> description."""
        records = await self._call(q.LIST_MEMORY_TYPES, conn=conn)
        return {r["name"]: r["description"] for r in records}

    async def namespace_embedding_model(self, *, conn: Connection | None = None) -> str | None:
        """The namespace's current embedding model: the one its embeddings were stored
        with or it switched to, else the deployment default (None when there is none)."""
        model: str | None = await self._call(q.NAMESPACE_EMBEDDING_MODEL, conn=conn)
        return model

    async def maint_prune_history(
        self,
        keep_days: int | None = None,
        *,
        as_of: datetime | None = None,
        dry_run: bool | None = None,
        conn: Connection | None = None,
    ) -> HistoryPruneReport:
        """Delete change-history rows older than ``keep_days`` (365 by default;
        ``dry_run`` only counts)."""
        record = await self._call(
            q.MAINT_PRUNE_HISTORY, conn=conn, keep_days=keep_days, as_of=as_of, dry_run=dry_run
        )
        return HistoryPruneReport.from_record(record)

    #: The earlier name of :meth:`maint_prune_history`.
    prune_memory_history = maint_prune_history

    async def maint_rebuild_terms(self, *, conn: Connection | None = None) -> TermsRebuild:
        """Recount the text search's term statistics from the memories (after a bulk
        load that bypassed the triggers, or a repair); stores keep them by themselves."""
        record = await self._call(q.MAINT_REBUILD_TERMS, conn=conn)
        return TermsRebuild.from_record(record)


__all__ = [
    "DeleteReport",
    "FlushReport",
    "ForgetReport",
    "HistoryPruneReport",
    "MemoriesMixin",
    "Memory",
    "MemoryChange",
    "MemoryInput",
    "MemoryLink",
    "RelatedMemory",
    "SearchHit",
    "StoreResult",
    "TermsRebuild",
]
