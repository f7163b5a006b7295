"""Agent knowledge: settings, preferences, learning patterns, sessions and turns,
knowledge clusters, the context bundle, the summary and maintenance.

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
    ContextMemory,
    ContextualKnowledge,
    KnowledgeCluster,
    KnowledgeSettings,
    LearningPattern,
    MaintenanceStep,
    MemorySummary,
    Preference,
    PreferenceChange,
    PreferenceUpdate,
    ReclusterReport,
    Session,
    Turn,
    TurnStored,
)


class KnowledgeMixin(ClientBase):
    """Preferences, learning patterns, sessions, clusters, context, summary, maintenance."""

    async def _embed_text(self, text: str | None, embedding_model: str | None) -> tuple[Any, Any]:
        """(embedding, model) of ``text`` from the client's embedder, or (None, None)."""
        if self.embedder is None or text is None or not text.strip():
            return None, None
        vectors = await embed_texts(self.embedder, [text])
        return vectors[0], embedding_model or str(self.embedder.model_name)

    # -- settings ------------------------------------------------------------------------

    async def knowledge_settings(self, *, conn: Connection | None = None) -> KnowledgeSettings:
        """The knowledge rules in force for the namespace."""
        record = await self._call(q.KNOWLEDGE_SETTINGS, conn=conn)
        return KnowledgeSettings.from_record(record)

    #: The earlier name of :meth:`knowledge_settings`.
    get_knowledge_settings = knowledge_settings

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
        reset: bool | None = None,
        conn: Connection | None = None,
    ) -> KnowledgeSettings:
        """Override knowledge rules for the namespace (None keeps the current value;
        ``reset`` first drops every override) and return the rules now in force."""
        record = await self._call(
            q.SET_KNOWLEDGE_SETTINGS,
            conn=conn,
            turn_memories=turn_memories,
            turn_memory_min_chars=turn_memory_min_chars,
            turn_memory_importance=turn_memory_importance,
            turn_memory_key_importance=turn_memory_key_importance,
            turn_memory_key_pattern=turn_memory_key_pattern,
            cluster_similarity=cluster_similarity,
            cluster_merge_similarity=cluster_merge_similarity,
            pattern_min_turns=pattern_min_turns,
            pattern_min_term_turns=pattern_min_term_turns,
            pattern_min_questions=pattern_min_questions,
            pattern_max_topics=pattern_max_topics,
            pattern_max_examples=pattern_max_examples,
            pattern_active_days=pattern_active_days,
            reset=reset,
        )
        return KnowledgeSettings.from_record(record)

    # -- preferences -----------------------------------------------------------------------

    async def learn_user_preference(
        self,
        key: str,
        value: Any,
        confidence: float | None = None,
        source: str | None = None,
        *,
        session_id: UUID | str | None = None,
        memory_id: UUID | str | None = None,
        as_of: datetime | None = None,
        conn: Connection | None = None,
    ) -> PreferenceUpdate:
        """Offer a preference value (any JSON value). It replaces the held value only
        when its confidence (1.0 by default) is at least the held one; every offer is
        kept in the history with its source ('conversation'), session and memory."""
        record = await self._call(
            q.LEARN_USER_PREFERENCE,
            conn=conn,
            key=key,
            value=value,
            confidence=confidence,
            source=source,
            session_id=args.uuid(session_id, "session_id"),
            memory_id=args.uuid(memory_id, "memory_id"),
            as_of=as_of,
        )
        return PreferenceUpdate.from_record(record)

    async def get_user_preferences(
        self, category: str | None = None, *, conn: Connection | None = None
    ) -> dict[str, Preference]:
        """Preferences by key: all, or those whose key contains ``category``."""
        records = await self._call(q.GET_USER_PREFERENCES, conn=conn, category=category)
        return {r["key"]: Preference.from_record(r) for r in records}

    async def get_preference_history(
        self,
        key: str | None = None,
        *,
        max_results: int | None = None,
        conn: Connection | None = None,
    ) -> list[PreferenceChange]:
        """The offers made for ``key`` (or every key), newest first."""
        records = await self._call(
            q.GET_PREFERENCE_HISTORY, conn=conn, key=key, max_results=max_results
        )
        return [PreferenceChange.from_record(r) for r in records]

    # -- learning patterns -------------------------------------------------------------------

    async def store_learning_pattern(
        self,
        pattern_type: str,
        description: str,
        example: str | None = None,
        confidence: float | None = None,
        *,
        session_id: UUID | str | None = None,
        memory_id: UUID | str | None = None,
        evidence_key: str | None = None,
        as_of: datetime | None = None,
        conn: Connection | None = None,
    ) -> LearningPattern:
        """Record an observation of a pattern. Its evidence is ``evidence_key``, else
        the memory, else the session, else the call; evidence already counted for the
        pattern changes nothing (``new_evidence == 0``)."""
        record = await self._call(
            q.STORE_LEARNING_PATTERN,
            conn=conn,
            pattern_type=pattern_type,
            description=description,
            example=example,
            confidence=confidence,
            session_id=args.uuid(session_id, "session_id"),
            memory_id=args.uuid(memory_id, "memory_id"),
            evidence_key=evidence_key,
            as_of=as_of,
        )
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
        conn: Connection | None = None,
    ) -> list[LearningPattern]:
        """Detect patterns in the user's turns of a session (or of the namespace) and
        store them; thresholds default to the namespace's settings."""
        records = await self._call(
            q.IDENTIFY_LEARNING_PATTERNS,
            conn=conn,
            session_id=args.uuid(session_id, "session_id"),
            min_turns=min_turns,
            min_term_turns=min_term_turns,
            min_questions=min_questions,
            max_topics=max_topics,
            as_of=as_of,
        )
        return [LearningPattern.from_record(r) for r in records]

    async def get_learning_patterns(
        self,
        pattern_type: str | None = None,
        *,
        active_only: bool | None = None,
        max_results: int | None = None,
        as_of: datetime | None = None,
        conn: Connection | None = None,
    ) -> list[LearningPattern]:
        """Patterns of the namespace, strongest (confidence x frequency) first."""
        records = await self._call(
            q.GET_LEARNING_PATTERNS,
            conn=conn,
            pattern_type=pattern_type,
            active_only=active_only,
            max_results=max_results,
            as_of=as_of,
        )
        return [LearningPattern.from_record(r) for r in records]

    # -- sessions and turns ------------------------------------------------------------------

    async def start_session(
        self,
        metadata: Mapping[str, Any] | None = None,
        *,
        as_of: datetime | None = None,
        conn: Connection | None = None,
    ) -> Session:
        """Open a conversation session."""
        record = await self._call(
            q.START_SESSION, conn=conn, metadata=args.json(metadata), as_of=as_of
        )
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
        conn: Connection | None = None,
    ) -> TurnStored:
        """Add a turn to a session (or to the namespace). A substantial turn also
        becomes a conversation memory, with the embedding given or made by the
        client's embedder."""
        if embedding is None:
            embedding, embedding_model = await self._embed_text(content, embedding_model)
        vec = args.vector(embedding)
        record = await self._call(
            q.STORE_CONVERSATION_TURN,
            conn=conn,
            role=role,
            content=content,
            session_id=args.uuid(session_id, "session_id"),
            context=args.json(context),
            embedding=vec,
            embedding_model=embedding_model if vec is not None else None,
            as_of=as_of,
        )
        return TurnStored.from_record(record)

    async def end_session(
        self,
        session_id: UUID | str,
        summary: str | None = None,
        importance: float | None = None,
        *,
        max_topics: int | None = None,
        as_of: datetime | None = None,
        conn: Connection | None = None,
    ) -> Session:
        """End a session with a summary and importance (0..1); topics come from its turns."""
        record = await self._call(
            q.END_SESSION,
            conn=conn,
            session_id=args.uuid(session_id, "session_id"),
            summary=summary,
            importance=importance,
            max_topics=max_topics,
            as_of=as_of,
        )
        return Session.from_record(record)

    async def get_conversation_context(
        self,
        session_id: UUID | str | None = None,
        limit: int | None = None,
        *,
        conn: Connection | None = None,
    ) -> list[Turn]:
        """The last ``limit`` turns (10) of a session (or of the namespace), oldest first."""
        records = await self._call(
            q.GET_CONVERSATION_CONTEXT,
            conn=conn,
            session_id=args.uuid(session_id, "session_id"),
            max_turns=limit,
        )
        return [Turn.from_record(r) for r in records]

    async def list_sessions(
        self,
        *,
        open_only: bool | None = None,
        max_results: int | None = None,
        conn: Connection | None = None,
    ) -> list[Session]:
        """Sessions of the namespace, newest first."""
        records = await self._call(
            q.LIST_SESSIONS, conn=conn, open_only=open_only, max_results=max_results
        )
        return [Session.from_record(r) for r in records]

    # -- clusters ------------------------------------------------------------------------------

    async def store_knowledge_cluster(
        self,
        name: str,
        description: str | None = None,
        topics: Sequence[str] | None = None,
        memory_ids: Sequence[UUID | str] | None = None,
        confidence: float | None = None,
        importance_score: float | None = None,
        *,
        as_of: datetime | None = None,
        conn: Connection | None = None,
    ) -> KnowledgeCluster:
        """Store an explicit cluster (upsert by name) and add ``memory_ids`` to it."""
        record = await self._call(
            q.STORE_KNOWLEDGE_CLUSTER,
            conn=conn,
            name=name,
            description=description,
            topics=args.texts(topics),
            memory_ids=args.uuids(memory_ids, "memory_ids"),
            confidence=confidence,
            importance_score=importance_score,
            as_of=as_of,
        )
        return KnowledgeCluster.from_record(record)

    async def get_knowledge_clusters(
        self,
        query: str | None = None,
        *,
        query_embedding: Any = None,
        embedding_model: str | None = None,
        min_relevance: float | None = None,
        max_results: int | None = None,
        conn: Connection | None = None,
    ) -> list[KnowledgeCluster]:
        """Clusters relevant to a query (centroid similarity, topic match), or the most
        important ones when no query is given. Memories stored since the last cluster
        read are clustered first (not in a read-only transaction)."""
        if query_embedding is None:
            query_embedding, embedding_model = await self._embed_text(query, embedding_model)
        vec = args.vector(query_embedding, "query_embedding")
        records = await self._call(
            q.GET_KNOWLEDGE_CLUSTERS,
            conn=conn,
            query=query,
            query_embedding=vec,
            embedding_model=embedding_model if vec is not None else None,
            min_relevance=min_relevance,
            max_results=max_results,
        )
        return [KnowledgeCluster.from_record(r) for r in records]

    async def maint_recluster(
        self,
        *,
        merge_similarity: float | None = None,
        max_topics: int | None = None,
        as_of: datetime | None = None,
        conn: Connection | None = None,
    ) -> ReclusterReport:
        """Re-cluster the namespace and report it."""
        record = await self._call(
            q.MAINT_RECLUSTER,
            conn=conn,
            merge_similarity=merge_similarity,
            max_topics=max_topics,
            as_of=as_of,
        )
        return ReclusterReport.from_record(record)

    #: The earlier name of :meth:`maint_recluster`.
    recluster = maint_recluster

    # -- context, summary, maintenance -----------------------------------------------------------

    async def get_contextual_knowledge(
        self,
        query: str | None = None,
        *,
        query_embedding: Any = None,
        embedding_model: str | None = None,
        session_id: UUID | str | None = None,
        max_memories: int | None = None,
        max_turns: int | None = None,
        max_clusters: int | None = None,
        max_patterns: int | None = None,
        min_relevance: float | None = None,
        cluster_min_relevance: float | None = None,
        track: bool | None = None,
        as_of: datetime | None = None,
        conn: Connection | None = None,
    ) -> ContextualKnowledge:
        """Everything an agent needs for a query in one call: top memories (search,
        accesses counted unless ``track`` is False), preferences, recent turns,
        relevant clusters, active patterns and counts."""
        if query_embedding is None:
            query_embedding, embedding_model = await self._embed_text(query, embedding_model)
        vec = args.vector(query_embedding, "query_embedding")
        document = await self._call(
            q.GET_CONTEXTUAL_KNOWLEDGE,
            conn=conn,
            query=query,
            query_embedding=vec,
            embedding_model=embedding_model if vec is not None else None,
            session_id=args.uuid(session_id, "session_id"),
            max_memories=max_memories,
            max_turns=max_turns,
            max_clusters=max_clusters,
            max_patterns=max_patterns,
            min_relevance=min_relevance,
            cluster_min_relevance=cluster_min_relevance,
            track=track,
            as_of=as_of,
        )
        return ContextualKnowledge.from_record(document)

    async def get_memory_summary(self, *, conn: Connection | None = None) -> MemorySummary:
        """Totals of the namespace: memories by type, preferences, clusters, patterns,
        sessions (and their average duration), most accessed and most important."""
        record = await self._call(q.GET_MEMORY_SUMMARY, conn=conn)
        return MemorySummary.from_record(record)

    async def maint_run(
        self,
        *,
        forget_days: int | None = None,
        forget: bool | None = None,
        recluster: bool | None = None,
        detect_patterns: bool | None = None,
        as_of: datetime | None = None,
        history_days: int | None = None,
        conn: Connection | None = None,
    ) -> list[MaintenanceStep]:
        """Run all maintenance of the namespace: forget (after 90 days), purge
        expired, flush access tracking, prune change history older than
        ``history_days`` (365 by default), re-cluster, detect patterns."""
        records = await self._call(
            q.MAINT_RUN,
            conn=conn,
            forget_days=forget_days,
            forget=forget,
            recluster=recluster,
            detect_patterns=detect_patterns,
            as_of=as_of,
            history_days=history_days,
        )
        return [MaintenanceStep.from_record(r) for r in records]

    #: The earlier name of :meth:`maint_run`.
    run_maintenance = maint_run


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
