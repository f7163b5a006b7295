"""Memories: store (one or a batch), retrieve, search and recall, update, delete,
links, history and forgetting. Each method is one call of the SQL function of the
same name (see docs/sql-api.md); the client only embeds text when it has an
embedder and no embedding was given.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self
from uuid import UUID

import asyncpg
from pgvector import Vector

from . import queries as q
from .client import ClientBase

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Embedding = npt.NDArray[np.float32] | Sequence[float]
else:
    Embedding = Any

#: Default cosine similarity at or above which a new memory merges into one of its type.
NEAR_DUPLICATE_THRESHOLD = 0.95


def _vector(value: Any) -> Any:
    """An embedding as the driver sends it (``None`` stays ``None``)."""
    if value is None or isinstance(value, Vector):
        return value
    return Vector(value)


def _uuid(value: UUID | str) -> UUID | str:
    """An id as sent: a malformed string is refused by the driver (InvalidIdError)."""
    return value


def _uuids(values: Sequence[UUID | str] | None) -> list[UUID | str] | None:
    return None if values is None else list(values)


def _list(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else list(values)


def _json(value: Any) -> Any:
    """A JSON argument as sent (a mapping as a dict; anything else as given, for SQL to judge)."""
    return dict(value) if isinstance(value, Mapping) else value


@dataclass(frozen=True, slots=True)
class MemoryInput:
    """One memory to store with :meth:`MemoriesMixin.store_memories`.

    ``None`` fields take the SQL defaults: importance 3, confidence 1.0, no tags,
    ``{}`` metadata, a new id, no expiry; no embedding means the client's embedder
    embeds ``content`` (or the memory is text-only when there is no embedder).
    """

    content: str
    memory_type: str
    importance: int | None = None
    confidence: float | None = None
    tags: Sequence[str] | None = None
    metadata: Mapping[str, Any] | None = None
    embedding: Any = None
    id: UUID | str | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoreResult:
    """What storing one item did: ``inserted``, ``updated`` (the same content was
    already stored: ``id`` is that memory) or ``merged`` (a near duplicate of the
    same type: ``merged_into`` is the memory reinforced)."""

    ordinality: int
    id: UUID
    action: str
    merged_into: UUID | None

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            ordinality=int(record.get("ordinality") or 1),
            id=record["id"],
            action=record["action"],
            merged_into=record["merged_into"],
        )


@dataclass(frozen=True, slots=True)
class Memory:
    """A memory as the read functions return it (``pgcortex.memory_row``)."""

    id: UUID
    content: str
    memory_type: str
    importance: int
    confidence: float
    tags: tuple[str, ...]
    metadata: Mapping[str, Any]
    embedding: Any
    embedding_model: str | None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None
    last_accessed: datetime
    access_count: int
    related_memories: tuple[UUID, ...]

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            id=record["id"],
            content=record["content"],
            memory_type=record["memory_type"],
            importance=int(record["importance"]),
            confidence=float(record["confidence"]),
            tags=tuple(record["tags"]),
            metadata=record["metadata"],
            embedding=record["embedding"],
            embedding_model=record["embedding_model"],
            created_at=record["created_at"],
            updated_at=record["updated_at"],
            expires_at=record["expires_at"],
            last_accessed=record["last_accessed"],
            access_count=int(record["access_count"]),
            related_memories=tuple(record["related_memories"]),
        )


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A search result with its score breakdown (``pgcortex.memory_search_row``).

    ``score`` = ``fused_relevance`` x ``recency_factor`` x ``importance_factor`` x
    ``confidence_factor`` x ``access_factor`` (formula version ``ranking_version``);
    ``relevance`` (max of similarity and keyword overlap, plus the tag boost) is
    what ``min_relevance`` filters. ``matched_by`` is vector, text, both or link.
    """

    id: UUID
    content: str
    memory_type: str
    importance: int
    confidence: float
    tags: tuple[str, ...]
    metadata: Mapping[str, Any]
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None
    last_accessed: datetime
    access_count: int
    rank: int
    similarity: float | None
    text_rank: float | None
    keyword_overlap: float | None
    relevance: float | None
    fused_relevance: float | None
    recency_factor: float | None
    importance_factor: float | None
    confidence_factor: float | None
    access_factor: float | None
    score: float
    matched_by: str
    linked_from: UUID | None
    ranking_version: int

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        def opt(name: str) -> float | None:
            value = record[name]
            return None if value is None else float(value)

        return cls(
            id=record["id"],
            content=record["content"],
            memory_type=record["memory_type"],
            importance=int(record["importance"]),
            confidence=float(record["confidence"]),
            tags=tuple(record["tags"]),
            metadata=record["metadata"],
            created_at=record["created_at"],
            updated_at=record["updated_at"],
            expires_at=record["expires_at"],
            last_accessed=record["last_accessed"],
            access_count=int(record["access_count"]),
            rank=int(record["rank"]),
            similarity=opt("similarity"),
            text_rank=opt("text_rank"),
            keyword_overlap=opt("keyword_overlap"),
            relevance=opt("relevance"),
            fused_relevance=opt("fused_relevance"),
            recency_factor=opt("recency_factor"),
            importance_factor=opt("importance_factor"),
            confidence_factor=opt("confidence_factor"),
            access_factor=opt("access_factor"),
            score=float(record["score"]),
            matched_by=record["matched_by"],
            linked_from=record["linked_from"],
            ranking_version=int(record["ranking_version"]),
        )


@dataclass(frozen=True, slots=True)
class MemoryChange:
    """One entry of a memory's history: only the changed fields carry values on update."""

    history_id: int
    operation: str
    reason: str
    changed_at: datetime
    changed_fields: tuple[str, ...]
    old_content: str | None
    new_content: str | None
    old_importance: int | None
    new_importance: int | None
    old_confidence: float | None
    new_confidence: float | None
    old_tags: tuple[str, ...] | None
    new_tags: tuple[str, ...] | None
    old_metadata: Mapping[str, Any] | None
    new_metadata: Mapping[str, Any] | None

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        def tags(name: str) -> tuple[str, ...] | None:
            value = record[name]
            return None if value is None else tuple(value)

        return cls(
            history_id=int(record["history_id"]),
            operation=record["operation"],
            reason=record["reason"],
            changed_at=record["changed_at"],
            changed_fields=tuple(record["changed_fields"]),
            old_content=record["old_content"],
            new_content=record["new_content"],
            old_importance=record["old_importance"],
            new_importance=record["new_importance"],
            old_confidence=record["old_confidence"],
            new_confidence=record["new_confidence"],
            old_tags=tags("old_tags"),
            new_tags=tags("new_tags"),
            old_metadata=record["old_metadata"],
            new_metadata=record["new_metadata"],
        )


@dataclass(frozen=True, slots=True)
class MemoryLink:
    """A directed, typed, weighted link between two memories."""

    source_id: UUID
    target_id: UUID
    relation: str
    weight: float
    created_at: datetime

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            source_id=record["source_id"],
            target_id=record["target_id"],
            relation=record["relation"],
            weight=float(record["weight"]),
            created_at=record["created_at"],
        )


@dataclass(frozen=True, slots=True)
class RelatedMemory:
    """A memory reachable over links, at its shortest distance."""

    id: UUID
    distance: int
    path: tuple[UUID, ...]
    relation: str
    direction: str
    path_weight: float
    content: str
    memory_type: str
    importance: int
    confidence: float
    tags: tuple[str, ...]

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            id=record["id"],
            distance=int(record["distance"]),
            path=tuple(record["path"]),
            relation=record["relation"],
            direction=record["direction"],
            path_weight=float(record["path_weight"]),
            content=record["content"],
            memory_type=record["memory_type"],
            importance=int(record["importance"]),
            confidence=float(record["confidence"]),
            tags=tuple(record["tags"]),
        )


@dataclass(frozen=True, slots=True)
class ForgetReport:
    """What :meth:`MemoriesMixin.forget_outdated_memories` did (or would do, simulated)."""

    simulated: bool
    cutoff: datetime
    matched: int
    deleted: int
    ids: tuple[UUID, ...] = field(default=())

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            simulated=bool(record["simulated"]),
            cutoff=record["cutoff"],
            matched=int(record["matched"]),
            deleted=int(record["deleted"]),
            ids=tuple(record["ids"]),
        )


@dataclass(frozen=True, slots=True)
class DeleteReport:
    """How many memories a delete (by filter, or purge of expired ones) removed, and which."""

    deleted: int
    ids: tuple[UUID, ...]

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        count = record.get("deleted")
        if count is None:
            count = record["purged"]
        return cls(deleted=int(count), ids=tuple(record["ids"]))


@dataclass(frozen=True, slots=True)
class FlushReport:
    """What folding the access log into the access counts did."""

    flushed_rows: int
    memories_updated: int
    remaining_rows: int

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            flushed_rows=int(record["flushed_rows"]),
            memories_updated=int(record["memories_updated"]),
            remaining_rows=int(record["remaining_rows"]),
        )


@dataclass(frozen=True, slots=True)
class HistoryPruneReport:
    """What :meth:`MemoriesMixin.prune_memory_history` did (or would do, simulated)."""

    simulated: bool
    cutoff: datetime
    matched: int
    deleted: int

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            simulated=bool(record["simulated"]),
            cutoff=record["cutoff"],
            matched=int(record["matched"]),
            deleted=int(record["deleted"]),
        )


class MemoriesMixin(ClientBase):
    """Store, find and forget memories."""

    # -- embedding -------------------------------------------------------------------

    async def _embed(self, texts: Sequence[str]) -> list[Any] | None:
        """Embeddings of ``texts`` from the client's embedder (one batch), or None."""
        if self.embedder is None or not texts:
            return None
        vectors = await asyncio.to_thread(self.embedder.embed, list(texts))
        return [Vector(v) for v in vectors]

    def _model(self, given: str | None) -> str | None:
        if given is not None:
            return given
        return None if self.embedder is None else str(self.embedder.model_name)

    # -- store -------------------------------------------------------------------------

    async def store_memory(
        self,
        content: str,
        memory_type: str,
        importance: int = 3,
        confidence: float = 1.0,
        tags: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        embedding: Any = None,
        embedding_model: str | None = None,
        memory_id: UUID | str | None = None,
        expires_at: datetime | None = None,
        near_duplicate_threshold: float = NEAR_DUPLICATE_THRESHOLD,
        dedup_near: bool = True,
        as_of: datetime | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> StoreResult:
        """Store one memory; returns its id and whether it was inserted, updated
        (same content already stored) or merged into a near duplicate."""
        if embedding is None:
            embedded = await self._embed([content])
            if embedded is not None:
                embedding = embedded[0]
                embedding_model = self._model(embedding_model)
        record = await self._fetchrow(
            q.STORE_MEMORY,
            content,
            memory_type,
            importance,
            confidence,
            _list(tags),
            _json(metadata),
            _vector(embedding),
            embedding_model if embedding is not None else None,
            None if memory_id is None else _uuid(memory_id),
            expires_at,
            near_duplicate_threshold,
            dedup_near,
            as_of,
            conn=conn,
        )
        assert record is not None
        return StoreResult.from_record(record)

    async def store_memories(
        self,
        items: Sequence[MemoryInput],
        *,
        embedding_model: str | None = None,
        near_duplicate_threshold: float = NEAR_DUPLICATE_THRESHOLD,
        dedup_near: bool = True,
        as_of: datetime | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> list[StoreResult]:
        """Store a batch in one call (items missing an embedding are embedded in one
        batch when the client has an embedder); one result per item, in order."""
        if not items:
            return []
        embeddings: list[Any] = [_vector(i.embedding) for i in items]
        missing = [n for n, e in enumerate(embeddings) if e is None]
        if missing:
            embedded = await self._embed([items[n].content for n in missing])
            if embedded is not None:
                for n, vec in zip(missing, embedded, strict=True):
                    embeddings[n] = vec
                embedding_model = self._model(embedding_model)
        has_embedding = any(e is not None for e in embeddings)
        records = await self._fetch(
            q.STORE_MEMORIES,
            [i.content for i in items],
            [i.memory_type for i in items],
            [i.importance for i in items],
            [i.confidence for i in items],
            [None if i.tags is None else list(i.tags) for i in items],
            [_json(i.metadata) for i in items],
            embeddings if has_embedding else None,
            [None if i.id is None else _uuid(i.id) for i in items],
            [i.expires_at for i in items],
            embedding_model if has_embedding else None,
            near_duplicate_threshold,
            dedup_near,
            as_of,
            conn=conn,
        )
        return [StoreResult.from_record(r) for r in records]

    # -- read --------------------------------------------------------------------------

    async def retrieve_memory(
        self,
        memory_id: UUID | str,
        *,
        track: bool = True,
        include_embedding: bool = True,
        as_of: datetime | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> Memory:
        """One memory by id (raises NotFoundError); counts the access unless ``track=False``."""
        record = await self._fetchrow(
            q.GET_MEMORY, _uuid(memory_id), track, include_embedding, as_of, conn=conn
        )
        assert record is not None
        return Memory.from_record(record)

    async def get_memories(
        self,
        memory_ids: Sequence[UUID | str],
        *,
        track: bool = True,
        include_embedding: bool = False,
        as_of: datetime | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> list[Memory]:
        """The memories with these ids, in the order given (unknown ids left out)."""
        records = await self._fetch(
            q.GET_MEMORIES, _uuids(memory_ids), track, include_embedding, as_of, conn=conn
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
        order_by: str = "newest",
        page_size: int = 50,
        page_offset: int = 0,
        include_embedding: bool = False,
        as_of: datetime | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> list[Memory]:
        """A page of memories matching the filters; ``order_by`` is newest, oldest,
        importance, accessed (most accessed) or recent (last accessed). Counts no access."""
        records = await self._fetch(
            q.LIST_MEMORIES,
            _list(memory_types),
            _list(tags_any),
            _list(tags_all),
            min_importance,
            max_importance,
            min_confidence,
            created_after,
            created_before,
            _json(metadata_contains),
            order_by,
            page_size,
            page_offset,
            include_embedding,
            as_of,
            conn=conn,
        )
        return [Memory.from_record(r) for r in records]

    # -- search ------------------------------------------------------------------------

    async def search_memories(
        self,
        query: str | None = None,
        *,
        query_embedding: Any = None,
        k: int = 10,
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
        expand_links: bool = False,
        track: bool = True,
        embedding_model: str | None = None,
        as_of: datetime | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> list[SearchHit]:
        """Hybrid search by text and/or embedding with filters in SQL (see
        ``pgcortex.search_memories``). Text without an embedding is embedded by the
        client's embedder when there is one; ``track=False`` writes nothing."""
        if query_embedding is None and query is not None and query.strip():
            embedded = await self._embed([query])
            if embedded is not None:
                query_embedding = embedded[0]
                embedding_model = self._model(embedding_model)
        records = await self._fetch(
            q.SEARCH_MEMORIES,
            _vector(query_embedding),
            query,
            k,
            _list(memory_types),
            _list(tags_any),
            _list(tags_all),
            min_importance,
            min_confidence,
            created_after,
            created_before,
            accessed_after,
            accessed_before,
            _json(metadata_contains),
            _uuids(exclude_ids),
            min_relevance,
            _json(weights),
            ef_search,
            expand_links,
            track,
            embedding_model if query_embedding is not None else None,
            as_of,
            conn=conn,
        )
        return [SearchHit.from_record(r) for r in records]

    async def recall_memories(
        self,
        query: str,
        memory_types: Sequence[str] | None = None,
        limit: int = 10,
        min_relevance: float = 0.5,
        *,
        track: bool = True,
        as_of: datetime | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> list[SearchHit]:
        """The seed's recall: memories relevant to ``query`` (relevance = max of cosine
        similarity and keyword overlap, +0.2 for a tag in the query) at least
        ``min_relevance``, best first; counts an access of each."""
        embedding = None
        model = None
        if query.strip():
            embedded = await self._embed([query])
            if embedded is not None:
                embedding = embedded[0]
                model = self._model(None)
        records = await self._fetch(
            q.RECALL_MEMORIES,
            query,
            _list(memory_types),
            limit,
            min_relevance,
            embedding,
            model,
            track,
            as_of,
            conn=conn,
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
        merge_metadata: bool = False,
        embedding: Any = None,
        embedding_model: str | None = None,
        expires_at: datetime | None = None,
        clear_expiry: bool = False,
        as_of: datetime | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> Memory:
        """Change the fields given; a new content is embedded by the client's embedder
        (when there is one and no embedding is given), else its embedding is cleared."""
        if content is not None and embedding is None:
            embedded = await self._embed([content])
            if embedded is not None:
                embedding = embedded[0]
                embedding_model = self._model(embedding_model)
        record = await self._fetchrow(
            q.UPDATE_MEMORY,
            _uuid(memory_id),
            content,
            memory_type,
            importance,
            confidence,
            _list(tags),
            _json(metadata),
            merge_metadata,
            _vector(embedding),
            embedding_model if embedding is not None else None,
            expires_at,
            clear_expiry,
            as_of,
            conn=conn,
        )
        assert record is not None
        return Memory.from_record(record)

    async def delete_memory(
        self,
        memory_id: UUID | str,
        *,
        as_of: datetime | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> UUID:
        """Delete one memory (raises NotFoundError); links and cluster membership go too."""
        result: UUID = await self._fetchval(q.DELETE_MEMORY, _uuid(memory_id), as_of, conn=conn)
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
        conn: asyncpg.Connection | None = None,
    ) -> DeleteReport:
        """Delete the memories matching every filter given (at least one)."""
        record = await self._fetchrow(
            q.DELETE_MEMORIES,
            _uuids(memory_ids),
            _list(memory_types),
            _list(tags_any),
            _list(tags_all),
            max_importance,
            created_before,
            _json(metadata_contains),
            as_of,
            conn=conn,
        )
        assert record is not None
        return DeleteReport.from_record(record)

    async def memory_history(
        self,
        memory_id: UUID | str,
        *,
        max_rows: int = 1000,
        conn: asyncpg.Connection | None = None,
    ) -> list[MemoryChange]:
        """What was believed before: the recorded changes of a memory, oldest first."""
        records = await self._fetch(q.MEMORY_HISTORY, _uuid(memory_id), max_rows, conn=conn)
        return [MemoryChange.from_record(r) for r in records]

    # -- links -------------------------------------------------------------------------

    async def link_memories(
        self,
        source_id: UUID | str,
        target_id: UUID | str,
        relation: str = "related",
        weight: float = 1.0,
        *,
        as_of: datetime | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> MemoryLink:
        """Link source to target (linking again sets the new weight)."""
        record = await self._fetchrow(
            q.LINK_MEMORIES, _uuid(source_id), _uuid(target_id), relation, weight, as_of, conn=conn
        )
        assert record is not None
        return MemoryLink.from_record(record)

    async def unlink_memories(
        self,
        source_id: UUID | str,
        target_id: UUID | str,
        relation: str | None = None,
        *,
        conn: asyncpg.Connection | None = None,
    ) -> int:
        """Remove the links from source to target (of one relation, or all); how many."""
        count: int = await self._fetchval(
            q.UNLINK_MEMORIES, _uuid(source_id), _uuid(target_id), relation, conn=conn
        )
        return int(count)

    async def related_memories(
        self,
        memory_id: UUID | str,
        depth: int = 2,
        *,
        relations: Sequence[str] | None = None,
        max_results: int = 100,
        as_of: datetime | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> list[RelatedMemory]:
        """Memories linked to this one, either way, up to ``depth`` hops."""
        records = await self._fetch(
            q.RELATED_MEMORIES,
            _uuid(memory_id),
            depth,
            _list(relations),
            max_results,
            as_of,
            conn=conn,
        )
        return [RelatedMemory.from_record(r) for r in records]

    # -- maintenance -------------------------------------------------------------------

    async def forget_outdated_memories(
        self,
        days: int = 90,
        *,
        max_importance: int = 2,
        min_access_count: int = 3,
        as_of: datetime | None = None,
        dry_run: bool = False,
        conn: asyncpg.Connection | None = None,
    ) -> ForgetReport:
        """The seed's forgetting: delete memories not accessed for ``days`` whose
        importance is at most ``max_importance`` and that were accessed fewer than
        ``min_access_count`` times (``dry_run`` only reports)."""
        record = await self._fetchrow(
            q.MAINT_FORGET, days, max_importance, min_access_count, as_of, dry_run, conn=conn
        )
        assert record is not None
        return ForgetReport.from_record(record)

    async def purge_expired_memories(
        self, *, as_of: datetime | None = None, conn: asyncpg.Connection | None = None
    ) -> DeleteReport:
        """Delete the memories whose expiry has passed."""
        record = await self._fetchrow(q.MAINT_PURGE_EXPIRED, as_of, conn=conn)
        assert record is not None
        return DeleteReport.from_record(record)

    async def flush_memory_access(
        self, *, max_rows: int = 1_000_000, conn: asyncpg.Connection | None = None
    ) -> FlushReport:
        """Fold the pending access log into the access counts (also runs by itself)."""
        record = await self._fetchrow(q.MAINT_FLUSH_ACCESS, max_rows, conn=conn)
        assert record is not None
        return FlushReport.from_record(record)

    async def prune_memory_history(
        self,
        keep_days: int = 365,
        *,
        as_of: datetime | None = None,
        dry_run: bool = False,
        conn: asyncpg.Connection | None = None,
    ) -> HistoryPruneReport:
        """Delete change-history rows older than ``keep_days`` (``dry_run`` only counts)."""
        record = await self._fetchrow(q.MAINT_PRUNE_HISTORY, keep_days, as_of, dry_run, conn=conn)
        assert record is not None
        return HistoryPruneReport.from_record(record)


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
]
