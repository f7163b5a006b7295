"""Agent knowledge: preferences, learning patterns, sessions and turns, knowledge
clusters, the context bundle, the summary and maintenance.

Each method is one call of the SQL function of the same name (see docs/sql-api.md);
the client only embeds text when it has an embedder and no embedding was given.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self
from uuid import UUID

import asyncpg

from . import queries as q
from .client import ClientBase
from .memories import _json, _list, _uuids, _vector


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


# -- results ---------------------------------------------------------------------------


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


class KnowledgeMixin(ClientBase):
    """Preferences, learning patterns, sessions, clusters, context, summary, maintenance."""

    async def _embed_text(self, text: str | None, embedding_model: str | None) -> tuple[Any, Any]:
        """(embedding, model) of ``text`` from the client's embedder, or (None, None)."""
        if self.embedder is None or text is None or not text.strip():
            return None, None
        vectors = await asyncio.to_thread(self.embedder.embed, [text])
        return _vector(vectors[0]), embedding_model or str(self.embedder.model_name)

    # -- settings ------------------------------------------------------------------------

    async def get_knowledge_settings(
        self, *, conn: asyncpg.Connection | None = None
    ) -> KnowledgeSettings:
        """The knowledge rules in force for the namespace."""
        record = await self._fetchrow(q.KNOWLEDGE_SETTINGS, conn=conn)
        assert record is not None
        return KnowledgeSettings.from_record(record)

    async def set_knowledge_settings(
        self,
        *,
        turn_memories: bool | None = None,
        turn_memory_min_chars: int | None = None,
        turn_memory_importance: int | None = None,
        turn_memory_key_importance: int | None = None,
        turn_memory_key_pattern: str | None = None,
        cluster_similarity: float | None = None,
        cluster_merge_similarity: float | None = None,
        pattern_min_turns: int | None = None,
        pattern_min_term_turns: int | None = None,
        pattern_min_questions: int | None = None,
        pattern_max_topics: int | None = None,
        pattern_max_examples: int | None = None,
        pattern_active_days: int | None = None,
        reset: bool = False,
        conn: asyncpg.Connection | None = None,
    ) -> KnowledgeSettings:
        """Override knowledge rules for the namespace (None keeps the current value;
        ``reset`` first drops every override) and return the rules now in force."""
        await self._fetch(
            q.SET_KNOWLEDGE_SETTINGS,
            turn_memories,
            turn_memory_min_chars,
            turn_memory_importance,
            turn_memory_key_importance,
            turn_memory_key_pattern,
            cluster_similarity,
            cluster_merge_similarity,
            pattern_min_turns,
            pattern_min_term_turns,
            pattern_min_questions,
            pattern_max_topics,
            pattern_max_examples,
            pattern_active_days,
            reset,
            conn=conn,
        )
        return await self.get_knowledge_settings(conn=conn)

    # -- preferences -----------------------------------------------------------------------

    async def learn_user_preference(
        self,
        key: str,
        value: Any,
        confidence: float = 1.0,
        source: str = "conversation",
        *,
        session_id: UUID | str | None = None,
        memory_id: UUID | str | None = None,
        as_of: datetime | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> PreferenceUpdate:
        """Offer a preference value (any JSON value). It replaces the held value only
        when its confidence is at least the held one; every offer is kept in the
        history with its source, session and memory."""
        record = await self._fetchrow(
            q.LEARN_USER_PREFERENCE,
            key,
            value,
            confidence,
            source,
            session_id,
            memory_id,
            as_of,
            conn=conn,
        )
        assert record is not None
        return PreferenceUpdate.from_record(record)

    async def get_user_preferences(
        self, category: str | None = None, *, conn: asyncpg.Connection | None = None
    ) -> dict[str, Preference]:
        """Preferences by key: all, or those whose key contains ``category``."""
        records = await self._fetch(q.GET_USER_PREFERENCES, category, conn=conn)
        return {r["key"]: Preference.from_record(r) for r in records}

    async def get_preference_history(
        self,
        key: str | None = None,
        *,
        max_results: int = 100,
        conn: asyncpg.Connection | None = None,
    ) -> list[PreferenceChange]:
        """The offers made for ``key`` (or every key), newest first."""
        records = await self._fetch(q.GET_PREFERENCE_HISTORY, key, max_results, conn=conn)
        return [PreferenceChange.from_record(r) for r in records]

    # -- learning patterns -------------------------------------------------------------------

    async def store_learning_pattern(
        self,
        pattern_type: str,
        description: str,
        example: str | None = None,
        confidence: float = 0.5,
        *,
        session_id: UUID | str | None = None,
        memory_id: UUID | str | None = None,
        evidence_key: str | None = None,
        as_of: datetime | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> LearningPattern:
        """Record an observation of a pattern. Its evidence is ``evidence_key``, else
        the memory, else the session, else the call; evidence already counted for the
        pattern changes nothing (``new_evidence == 0``)."""
        record = await self._fetchrow(
            q.STORE_LEARNING_PATTERN,
            pattern_type,
            description,
            example,
            confidence,
            session_id,
            memory_id,
            evidence_key,
            as_of,
            conn=conn,
        )
        assert record is not None
        return LearningPattern.from_record(record)

    async def identify_learning_patterns(
        self,
        session_id: UUID | str | None = None,
        *,
        min_turns: int | None = None,
        min_term_turns: int | None = None,
        min_questions: int | None = None,
        max_topics: int | None = None,
        as_of: datetime | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> list[LearningPattern]:
        """Detect patterns in the user's turns of a session (or of the namespace) and
        store them; thresholds default to the namespace's settings."""
        records = await self._fetch(
            q.IDENTIFY_LEARNING_PATTERNS,
            session_id,
            min_turns,
            min_term_turns,
            min_questions,
            max_topics,
            as_of,
            conn=conn,
        )
        return [LearningPattern.from_record(r) for r in records]

    async def get_learning_patterns(
        self,
        pattern_type: str | None = None,
        *,
        active_only: bool = False,
        max_results: int = 50,
        as_of: datetime | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> list[LearningPattern]:
        """Patterns of the namespace, strongest (confidence x frequency) first."""
        records = await self._fetch(
            q.GET_LEARNING_PATTERNS, pattern_type, active_only, max_results, as_of, conn=conn
        )
        return [LearningPattern.from_record(r) for r in records]

    # -- sessions and turns ------------------------------------------------------------------

    async def start_session(
        self,
        metadata: Mapping[str, Any] | None = None,
        *,
        as_of: datetime | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> Session:
        """Open a conversation session."""
        record = await self._fetchrow(
            q.START_SESSION, _json(metadata) if metadata is not None else {}, as_of, conn=conn
        )
        assert record is not None
        return Session.from_record(record)

    async def store_conversation_turn(
        self,
        role: str,
        content: str,
        session_id: UUID | str | None = None,
        context: Mapping[str, Any] | None = None,
        *,
        embedding: Any = None,
        embedding_model: str | None = None,
        as_of: datetime | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> TurnStored:
        """Add a turn to a session (or to the namespace). A substantial turn also
        becomes a conversation memory, with the embedding given or made by the
        client's embedder."""
        if embedding is None:
            embedding, embedding_model = await self._embed_text(content, embedding_model)
        record = await self._fetchrow(
            q.STORE_CONVERSATION_TURN,
            role,
            content,
            session_id,
            _json(context) if context is not None else {},
            _vector(embedding),
            embedding_model if embedding is not None else None,
            as_of,
            conn=conn,
        )
        assert record is not None
        return TurnStored.from_record(record)

    async def end_session(
        self,
        session_id: UUID | str,
        summary: str | None = None,
        importance: float | None = None,
        *,
        max_topics: int = 5,
        as_of: datetime | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> Session:
        """End a session with a summary and importance (0..1); topics come from its turns."""
        record = await self._fetchrow(
            q.END_SESSION, session_id, summary, importance, max_topics, as_of, conn=conn
        )
        assert record is not None
        return Session.from_record(record)

    async def get_conversation_context(
        self,
        session_id: UUID | str | None = None,
        limit: int = 10,
        *,
        conn: asyncpg.Connection | None = None,
    ) -> list[Turn]:
        """The last ``limit`` turns of a session (or of the namespace), oldest first."""
        records = await self._fetch(q.GET_CONVERSATION_CONTEXT, session_id, limit, conn=conn)
        return [Turn.from_record(r) for r in records]

    async def list_sessions(
        self,
        *,
        open_only: bool = False,
        max_results: int = 20,
        conn: asyncpg.Connection | None = None,
    ) -> list[Session]:
        """Sessions of the namespace, newest first."""
        records = await self._fetch(q.LIST_SESSIONS, open_only, max_results, conn=conn)
        return [Session.from_record(r) for r in records]

    # -- clusters ------------------------------------------------------------------------------

    async def store_knowledge_cluster(
        self,
        name: str,
        description: str | None = None,
        topics: Sequence[str] | None = None,
        memory_ids: Sequence[UUID | str] | None = None,
        confidence: float = 1.0,
        importance_score: float | None = None,
        *,
        as_of: datetime | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> KnowledgeCluster:
        """Store an explicit cluster (upsert by name) and add ``memory_ids`` to it."""
        record = await self._fetchrow(
            q.STORE_KNOWLEDGE_CLUSTER,
            name,
            description,
            _list(topics),
            _uuids(memory_ids),
            confidence,
            importance_score,
            as_of,
            conn=conn,
        )
        assert record is not None
        return KnowledgeCluster.from_record(record)

    async def get_knowledge_clusters(
        self,
        query: str | None = None,
        *,
        query_embedding: Any = None,
        embedding_model: str | None = None,
        min_relevance: float = 0.3,
        max_results: int = 10,
        conn: asyncpg.Connection | None = None,
    ) -> list[KnowledgeCluster]:
        """Clusters relevant to a query (centroid similarity, topic match), or the most
        important ones when no query is given."""
        if query_embedding is None:
            query_embedding, embedding_model = await self._embed_text(query, embedding_model)
        records = await self._fetch(
            q.GET_KNOWLEDGE_CLUSTERS,
            query,
            _vector(query_embedding),
            embedding_model if query_embedding is not None else None,
            min_relevance,
            max_results,
            conn=conn,
        )
        return [KnowledgeCluster.from_record(r) for r in records]

    async def recluster(
        self,
        *,
        merge_similarity: float | None = None,
        max_topics: int = 5,
        as_of: datetime | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> ReclusterReport:
        """Re-cluster the namespace (``pgcortex.maint_recluster``) and report it."""
        record = await self._fetchrow(
            q.MAINT_RECLUSTER, merge_similarity, max_topics, as_of, conn=conn
        )
        assert record is not None
        return ReclusterReport.from_record(record)

    # -- context, summary, maintenance -----------------------------------------------------------

    async def get_contextual_knowledge(
        self,
        query: str | None = None,
        *,
        query_embedding: Any = None,
        embedding_model: str | None = None,
        session_id: UUID | str | None = None,
        max_memories: int = 15,
        max_turns: int = 5,
        max_clusters: int = 5,
        max_patterns: int = 10,
        min_relevance: float | None = None,
        cluster_min_relevance: float = 0.3,
        track: bool = True,
        as_of: datetime | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> ContextualKnowledge:
        """Everything an agent needs for a query in one call: top memories (search,
        accesses counted unless ``track`` is False), preferences, recent turns,
        relevant clusters, active patterns and counts."""
        if query_embedding is None:
            query_embedding, embedding_model = await self._embed_text(query, embedding_model)
        document = await self._fetchval(
            q.GET_CONTEXTUAL_KNOWLEDGE,
            query,
            _vector(query_embedding),
            embedding_model if query_embedding is not None else None,
            session_id,
            max_memories,
            max_turns,
            max_clusters,
            max_patterns,
            min_relevance,
            cluster_min_relevance,
            track,
            as_of,
            conn=conn,
        )
        return ContextualKnowledge.from_record(document)

    async def get_memory_summary(self, *, conn: asyncpg.Connection | None = None) -> MemorySummary:
        """Totals of the namespace: memories by type, preferences, clusters, patterns,
        sessions (and their average duration), most accessed and most important."""
        record = await self._fetchrow(q.GET_MEMORY_SUMMARY, conn=conn)
        assert record is not None
        return MemorySummary.from_record(record)

    async def run_maintenance(
        self,
        *,
        forget_days: int = 90,
        forget: bool = True,
        recluster: bool = True,
        detect_patterns: bool = True,
        as_of: datetime | None = None,
        history_days: int | None = 365,
        conn: asyncpg.Connection | None = None,
    ) -> list[MaintenanceStep]:
        """Run all maintenance of the namespace (``pgcortex.maint_run``): forget,
        purge expired, flush access tracking, prune history older than
        ``history_days`` (None keeps it all), re-cluster, detect patterns."""
        records = await self._fetch(
            q.MAINT_RUN,
            forget_days,
            forget,
            recluster,
            detect_patterns,
            as_of,
            history_days,
            conn=conn,
        )
        return [MaintenanceStep.from_record(r) for r in records]


__all__ = [
    "ContextMemory",
    "ContextualKnowledge",
    "KnowledgeCluster",
    "KnowledgeMixin",
    "KnowledgeSettings",
    "LearningPattern",
    "MaintenanceStep",
    "MemorySummary",
    "Preference",
    "PreferenceChange",
    "PreferenceUpdate",
    "ReclusterReport",
    "Session",
    "Turn",
    "TurnStored",
]
