"""The records the client returns (and the one it takes, :class:`MemoryInput`).

Every record is a frozen, slotted dataclass made from a result row of the SQL
function named in its docstring by ``from_record``; they hold data only, the
client's methods live in the mixins (:mod:`pgcortex.memories`,
:mod:`pgcortex.knowledge`, :mod:`pgcortex.admin`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Self
from uuid import UUID

# -- memories ----------------------------------------------------------------------------


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
    what ``min_relevance`` filters. ``matched_by`` is vector, text, both, context (the
    next turn of a conversation after a hit, ``linked_from`` that hit) or link.
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
    """What :meth:`MemoriesMixin.maint_forget` did (or would do, simulated)."""

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
class TermsRebuild:
    """What recounting the term statistics of the text search did."""

    terms: int
    terms_removed: int
    documents: int
    log_rows_dropped: int

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            terms=int(record["terms"]),
            terms_removed=int(record["terms_removed"]),
            documents=int(record["documents"]),
            log_rows_dropped=int(record["log_rows_dropped"]),
        )


# -- knowledge ---------------------------------------------------------------------------


def _ts(value: Any) -> datetime | None:
    """A timestamp from a record (datetime) or from JSON (ISO 8601 text)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _id(value: Any) -> UUID | None:
    if value is None or isinstance(value, UUID):
        return value
    return UUID(str(value))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True, slots=True)
class KnowledgeSettings:
    """The knowledge rules in force for the namespace (``pgcortex.knowledge_settings()``)."""

    turn_memories: bool
    turn_memory_min_chars: int
    turn_memory_importance: int
    turn_memory_key_importance: int
    turn_memory_key_pattern: str
    cluster_similarity: float
    cluster_merge_similarity: float
    pattern_min_turns: int
    pattern_min_term_turns: int
    pattern_min_questions: int
    pattern_max_topics: int
    pattern_max_examples: int
    pattern_active_days: int

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            turn_memories=bool(record["turn_memories"]),
            turn_memory_min_chars=int(record["turn_memory_min_chars"]),
            turn_memory_importance=int(record["turn_memory_importance"]),
            turn_memory_key_importance=int(record["turn_memory_key_importance"]),
            turn_memory_key_pattern=record["turn_memory_key_pattern"],
            cluster_similarity=float(record["cluster_similarity"]),
            cluster_merge_similarity=float(record["cluster_merge_similarity"]),
            pattern_min_turns=int(record["pattern_min_turns"]),
            pattern_min_term_turns=int(record["pattern_min_term_turns"]),
            pattern_min_questions=int(record["pattern_min_questions"]),
            pattern_max_topics=int(record["pattern_max_topics"]),
            pattern_max_examples=int(record["pattern_max_examples"]),
            pattern_active_days=int(record["pattern_active_days"]),
        )


@dataclass(frozen=True, slots=True)
class PreferenceUpdate:
    """What :meth:`KnowledgeMixin.learn_user_preference` did.

    ``applied`` is False when the offer had lower confidence than the value held,
    which then stays (``held_*``); ``previous_*`` is what was held before the call.
    """

    key: str
    held_value: Any
    held_confidence: float
    held_source: str
    applied: bool
    previous_value: Any
    previous_confidence: float | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            key=record["preference_key"],
            held_value=record["held_value"],
            held_confidence=float(record["held_confidence"]),
            held_source=record["held_source"],
            applied=bool(record["applied"]),
            previous_value=record["previous_value"],
            previous_confidence=_float(record["previous_confidence"]),
            created_at=record["created_at"],
            updated_at=record["updated_at"],
        )


@dataclass(frozen=True, slots=True)
class Preference:
    """A user preference: any JSON value with its confidence and source."""

    key: str
    value: Any
    confidence: float
    source: str
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            key=record["key"],
            value=record["value"],
            confidence=float(record["confidence"]),
            source=record["source"],
            created_at=_ts(record.get("created_at")),
            updated_at=_ts(record.get("updated_at")),
        )


@dataclass(frozen=True, slots=True)
class PreferenceChange:
    """One offer made for a preference key, applied or not."""

    change_id: int
    key: str
    value: Any
    confidence: float
    source: str
    session_id: UUID | None
    memory_id: UUID | None
    applied: bool
    previous_value: Any
    previous_confidence: float | None
    changed_at: datetime

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            change_id=int(record["change_id"]),
            key=record["preference_key"],
            value=record["value"],
            confidence=float(record["confidence"]),
            source=record["source"],
            session_id=record["session_id"],
            memory_id=record["memory_id"],
            applied=bool(record["applied"]),
            previous_value=record["previous_value"],
            previous_confidence=_float(record["previous_confidence"]),
            changed_at=record["changed_at"],
        )


@dataclass(frozen=True, slots=True)
class LearningPattern:
    """A learned pattern. ``frequency`` counts distinct pieces of evidence;
    ``new_evidence`` is how many the call that returned it added (0: nothing new)."""

    pattern_id: UUID
    pattern_type: str
    description: str
    frequency: int
    confidence: float
    examples: tuple[str, ...]
    evidence_count: int
    new_evidence: int
    discovered_at: datetime
    updated_at: datetime

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        pattern_id = _id(record["pattern_id"])
        discovered_at = _ts(record["discovered_at"])
        updated_at = _ts(record["updated_at"])
        assert pattern_id is not None
        assert discovered_at is not None
        assert updated_at is not None
        return cls(
            pattern_id=pattern_id,
            pattern_type=record["pattern_type"],
            description=record["description"],
            frequency=int(record["frequency"]),
            confidence=float(record["confidence"]),
            examples=tuple(record["examples"] or ()),
            evidence_count=int(record["evidence_count"]),
            new_evidence=int(record["new_evidence"]),
            discovered_at=discovered_at,
            updated_at=updated_at,
        )


@dataclass(frozen=True, slots=True)
class Session:
    """A conversation session; ``duration_seconds`` is None while it is open."""

    session_id: UUID
    started_at: datetime
    ended_at: datetime | None
    message_count: int
    topics: tuple[str, ...]
    summary: str | None
    importance: float
    metadata: Mapping[str, Any]
    duration_seconds: int | None

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            session_id=record["session_id"],
            started_at=record["started_at"],
            ended_at=record["ended_at"],
            message_count=int(record["message_count"]),
            topics=tuple(record["topics"]),
            summary=record["summary"],
            importance=float(record["importance"]),
            metadata=record["metadata"],
            duration_seconds=record["duration_seconds"],
        )


@dataclass(frozen=True, slots=True)
class TurnStored:
    """A stored turn: the session's message_count after it, and the conversation
    memory it became (None when it was not substantial or turn memories are off)."""

    turn_id: int
    message_count: int | None
    memory_id: UUID | None
    created_at: datetime

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            turn_id=int(record["turn_id"]),
            message_count=record["message_count"],
            memory_id=record["memory_id"],
            created_at=record["created_at"],
        )


@dataclass(frozen=True, slots=True)
class Turn:
    """A conversation turn."""

    turn_id: int
    session_id: UUID | None
    role: str
    content: str
    context: Mapping[str, Any]
    memory_id: UUID | None
    created_at: datetime

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        created_at = _ts(record["created_at"])
        assert created_at is not None
        return cls(
            turn_id=int(record["turn_id"]),
            session_id=_id(record["session_id"]),
            role=record["role"],
            content=record["content"],
            context=record["context"],
            memory_id=_id(record["memory_id"]),
            created_at=created_at,
        )


@dataclass(frozen=True, slots=True)
class KnowledgeCluster:
    """A knowledge cluster. ``similarity``, ``topic_matches`` and ``relevance`` are
    set when clusters were ranked for a query; ``top_memory_ids`` are its five most
    important members."""

    cluster_id: UUID
    name: str
    description: str | None
    origin: str
    cluster_key: str | None
    topics: tuple[str, ...]
    member_count: int
    importance_score: float
    confidence: float
    similarity: float | None
    topic_matches: int | None
    relevance: float | None
    top_memory_ids: tuple[UUID, ...]
    created_at: datetime
    last_updated: datetime

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        cluster_id = _id(record["cluster_id"])
        created_at = _ts(record["created_at"])
        last_updated = _ts(record["last_updated"])
        assert cluster_id is not None
        assert created_at is not None
        assert last_updated is not None
        matches = record["topic_matches"]
        return cls(
            cluster_id=cluster_id,
            name=record["name"],
            description=record["description"],
            origin=record["origin"],
            cluster_key=record["cluster_key"],
            topics=tuple(record["topics"] or ()),
            member_count=int(record["member_count"]),
            importance_score=float(record["importance_score"]),
            confidence=float(record["confidence"]),
            similarity=_float(record["similarity"]),
            topic_matches=None if matches is None else int(matches),
            relevance=_float(record["relevance"]),
            top_memory_ids=tuple(
                m for m in (_id(x) for x in record["top_memory_ids"] or ()) if m is not None
            ),
            created_at=created_at,
            last_updated=last_updated,
        )


@dataclass(frozen=True, slots=True)
class ReclusterReport:
    """What :meth:`KnowledgeMixin.recluster` (``pgcortex.maint_recluster``) did."""

    clusters_before: int
    memories_assigned: int
    clusters_merged: int
    members_moved: int
    clusters_dissolved: int
    clusters_after: int

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            clusters_before=int(record["clusters_before"]),
            memories_assigned=int(record["memories_assigned"]),
            clusters_merged=int(record["clusters_merged"]),
            members_moved=int(record["members_moved"]),
            clusters_dissolved=int(record["clusters_dissolved"]),
            clusters_after=int(record["clusters_after"]),
        )


@dataclass(frozen=True, slots=True)
class ContextMemory:
    """A memory of the context bundle, with its rank and scores from the search."""

    id: UUID
    content: str
    memory_type: str
    importance: int
    confidence: float
    tags: tuple[str, ...]
    metadata: Mapping[str, Any]
    created_at: datetime
    rank: int
    relevance: float | None
    score: float
    similarity: float | None
    matched_by: str

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        memory_id = _id(record["id"])
        created_at = _ts(record["created_at"])
        assert memory_id is not None
        assert created_at is not None
        return cls(
            id=memory_id,
            content=record["content"],
            memory_type=record["memory_type"],
            importance=int(record["importance"]),
            confidence=float(record["confidence"]),
            tags=tuple(record["tags"] or ()),
            metadata=record["metadata"],
            created_at=created_at,
            rank=int(record["rank"]),
            relevance=_float(record["relevance"]),
            score=float(record["score"]),
            similarity=_float(record["similarity"]),
            matched_by=record["matched_by"],
        )


@dataclass(frozen=True, slots=True)
class ContextualKnowledge:
    """The context bundle of :meth:`KnowledgeMixin.get_contextual_knowledge`; ``raw``
    is the JSON document exactly as the database returned it."""

    query: str | None
    namespace: str
    session_id: UUID | None
    generated_at: datetime
    memories: tuple[ContextMemory, ...]
    preferences: Mapping[str, Preference]
    recent_turns: tuple[Turn, ...]
    clusters: tuple[KnowledgeCluster, ...]
    patterns: tuple[LearningPattern, ...]
    counts: Mapping[str, int]
    raw: Mapping[str, Any]

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        generated_at = _ts(record["generated_at"])
        assert generated_at is not None
        return cls(
            query=record["query"],
            namespace=record["namespace"],
            session_id=_id(record["session_id"]),
            generated_at=generated_at,
            memories=tuple(ContextMemory.from_record(m) for m in record["memories"]),
            preferences={
                key: Preference.from_record({"key": key, **value})
                for key, value in record["preferences"].items()
            },
            recent_turns=tuple(Turn.from_record(t) for t in record["recent_turns"]),
            clusters=tuple(KnowledgeCluster.from_record(c) for c in record["clusters"]),
            patterns=tuple(LearningPattern.from_record(p) for p in record["patterns"]),
            counts={k: int(v) for k, v in record["counts"].items()},
            raw=record,
        )


@dataclass(frozen=True, slots=True)
class MemorySummary:
    """What the namespace knows (a row of ``pgcortex.memory_summary_v``)."""

    namespace: str
    memories: int
    memories_by_type: Mapping[str, int]
    memories_with_embedding: int
    preferences: int
    clusters: int
    patterns: int
    sessions: int
    open_sessions: int
    avg_session_seconds: float | None
    turns: int
    most_accessed: tuple[Mapping[str, Any], ...]
    most_important: tuple[Mapping[str, Any], ...]

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            namespace=record["namespace"],
            memories=int(record["memories"]),
            memories_by_type={k: int(v) for k, v in record["memories_by_type"].items()},
            memories_with_embedding=int(record["memories_with_embedding"]),
            preferences=int(record["preferences"]),
            clusters=int(record["clusters"]),
            patterns=int(record["patterns"]),
            sessions=int(record["sessions"]),
            open_sessions=int(record["open_sessions"]),
            avg_session_seconds=_float(record["avg_session_seconds"]),
            turns=int(record["turns"]),
            most_accessed=tuple(record["most_accessed"]),
            most_important=tuple(record["most_important"]),
        )


@dataclass(frozen=True, slots=True)
class MaintenanceStep:
    """One step of :meth:`KnowledgeMixin.run_maintenance`: what it reported and how long it took."""

    step: str
    result: Mapping[str, Any]
    duration_ms: float

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            step=record["step"],
            result=record["result"],
            duration_ms=float(record["duration_ms"]),
        )


# -- the mixin ---------------------------------------------------------------------------


# -- namespace: export, erase, audit ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EraseResult:
    """What :meth:`AdminMixin.erase_namespace` deleted."""

    namespace: str
    rows_deleted: int
    tables: Mapping[str, int]
    audit_id: int

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            namespace=record["namespace"],
            rows_deleted=int(record["rows_deleted"]),
            tables={str(k): int(v) for k, v in record["tables"].items()},
            audit_id=int(record["audit_id"]),
        )


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One export or erase of the namespace."""

    audit_id: int
    action: str
    actor: str
    details: Mapping[str, Any]
    at: datetime

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            audit_id=int(record["audit_id"]),
            action=record["action"],
            actor=record["actor"],
            details=record["details"],
            at=record["at"],
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


# -- embedding models ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EmbeddingModel:
    """A registered embedding model (:meth:`ModelsMixin.list_embedding_models`):
    ``storage`` is the type of its HNSW index (vector, halfvec), ``index_state``
    valid, building or missing."""

    model_id: int
    name: str
    dimensions: int
    distance: str
    storage: str
    normalize_vectors: bool
    is_default: bool
    index_name: str
    index_state: str
    registered_at: datetime

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            model_id=int(record["model_id"]),
            name=record["name"],
            dimensions=int(record["dimensions"]),
            distance=record["distance"],
            storage=record["storage"],
            normalize_vectors=bool(record["normalize_vectors"]),
            is_default=bool(record["is_default"]),
            index_name=record["index_name"],
            index_state=record["index_state"],
            registered_at=record["registered_at"],
        )


@dataclass(frozen=True, slots=True)
class PendingEmbedding:
    """A memory a re-embed still has to embed (:meth:`ModelsMixin.reembed_pending`)."""

    memory_id: UUID
    content: str
    content_hash: bytes

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            memory_id=record["memory_id"],
            content=record["content"],
            content_hash=bytes(record["content_hash"]),
        )


@dataclass(frozen=True, slots=True)
class ReembedStatus:
    """How far a re-embed of the namespace is (:meth:`ModelsMixin.reembed_status`)."""

    target_model: str
    current_model: str | None
    previous_model: str | None
    total: int
    staged: int
    remaining: int

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            target_model=record["target_model"],
            current_model=record["current_model"],
            previous_model=record["previous_model"],
            total=int(record["total"]),
            staged=int(record["staged"]),
            remaining=int(record["remaining"]),
        )


@dataclass(frozen=True, slots=True)
class ReembedSwitch:
    """What :meth:`ModelsMixin.reembed_switch` did."""

    current_model: str
    previous_model: str | None
    switched: int

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            current_model=record["current_model"],
            previous_model=record["previous_model"],
            switched=int(record["switched"]),
        )


__all__ = [
    "AuditEntry",
    "ContextMemory",
    "ContextualKnowledge",
    "DeleteReport",
    "EmbeddingModel",
    "EraseResult",
    "FlushReport",
    "ForgetReport",
    "HistoryPruneReport",
    "KnowledgeCluster",
    "KnowledgeSettings",
    "LearningPattern",
    "MaintenanceStep",
    "Memory",
    "MemoryChange",
    "MemoryInput",
    "MemoryLink",
    "MemorySummary",
    "PendingEmbedding",
    "Preference",
    "PreferenceChange",
    "PreferenceUpdate",
    "ReclusterReport",
    "ReembedStatus",
    "ReembedSwitch",
    "RelatedMemory",
    "SearchHit",
    "Session",
    "StoreResult",
    "TermsRebuild",
    "Turn",
    "TurnStored",
]
