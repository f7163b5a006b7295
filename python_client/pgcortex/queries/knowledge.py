"""SQL of the knowledge area: settings, preferences, learning patterns, sessions and
turns, knowledge clusters, the context bundle, the summary and maintenance.

Every time-dependent call passes ``as_of`` as ``coalesce($n, now())`` so that
``None`` means the server's clock.
"""

from ..retry import idempotent

# Settings ---------------------------------------------------------------------------
KNOWLEDGE_SETTINGS = idempotent("select * from pgcortex.knowledge_settings()")
SET_KNOWLEDGE_SETTINGS = idempotent(
    "select * from pgcortex.set_knowledge_settings("
    "turn_memories => $1, turn_memory_min_chars => $2, turn_memory_importance => $3, "
    "turn_memory_key_importance => $4, turn_memory_key_pattern => $5, "
    "cluster_similarity => $6, cluster_merge_similarity => $7, pattern_min_turns => $8, "
    "pattern_min_term_turns => $9, pattern_min_questions => $10, pattern_max_topics => $11, "
    "pattern_max_examples => $12, pattern_active_days => $13, reset => $14)"
)

# Preferences ------------------------------------------------------------------------
# Each offer is recorded in the history: not repeated blindly.
LEARN_USER_PREFERENCE = (
    "select * from pgcortex.learn_user_preference("
    "key => $1, value => $2, confidence => $3, source => $4, session_id => $5, "
    "memory_id => $6, as_of => coalesce($7::timestamptz, now()))"
)
GET_USER_PREFERENCES = idempotent("select * from pgcortex.get_user_preferences(category => $1)")
GET_PREFERENCE_HISTORY = idempotent(
    "select * from pgcortex.get_preference_history(key => $1, max_results => $2)"
)

# Learning patterns --------------------------------------------------------------------
# Counted once per piece of evidence: a repeat with the same evidence changes nothing,
# but a call without evidence counts again, so neither is marked idempotent.
STORE_LEARNING_PATTERN = (
    "select * from pgcortex.store_learning_pattern("
    "pattern_type => $1, description => $2, example => $3, confidence => $4, "
    "session_id => $5, memory_id => $6, evidence_key => $7, "
    "as_of => coalesce($8::timestamptz, now()))"
)
# Evidence is per turn: running detection again adds nothing for the same turns.
IDENTIFY_LEARNING_PATTERNS = idempotent(
    "select * from pgcortex.identify_learning_patterns("
    "session_id => $1, min_turns => $2, min_term_turns => $3, min_questions => $4, "
    "max_topics => $5, as_of => coalesce($6::timestamptz, now()))"
)
GET_LEARNING_PATTERNS = idempotent(
    "select * from pgcortex.get_learning_patterns("
    "pattern_type => $1, active_only => $2, max_results => $3, "
    "as_of => coalesce($4::timestamptz, now()))"
)

# Sessions and turns -----------------------------------------------------------------
START_SESSION = (
    "select * from pgcortex.start_session("
    "metadata => $1, as_of => coalesce($2::timestamptz, now()))"
)
STORE_CONVERSATION_TURN = (
    "select * from pgcortex.store_conversation_turn("
    "role => $1, content => $2, session_id => $3, context => $4, embedding => $5, "
    "embedding_model => $6, as_of => coalesce($7::timestamptz, now()))"
)
END_SESSION = (
    "select * from pgcortex.end_session("
    "session_id => $1, summary => $2, importance => $3, max_topics => $4, "
    "as_of => coalesce($5::timestamptz, now()))"
)
GET_CONVERSATION_CONTEXT = idempotent(
    "select * from pgcortex.get_conversation_context(session_id => $1, max_turns => $2)"
)
LIST_SESSIONS = idempotent(
    "select * from pgcortex.list_sessions(open_only => $1, max_results => $2)"
)

# Knowledge clusters -------------------------------------------------------------------
STORE_KNOWLEDGE_CLUSTER = idempotent(
    "select * from pgcortex.store_knowledge_cluster("
    "name => $1, description => $2, topics => $3, memory_ids => $4, confidence => $5, "
    "importance_score => $6, as_of => coalesce($7::timestamptz, now()))"
)
GET_KNOWLEDGE_CLUSTERS = idempotent(
    "select * from pgcortex.get_knowledge_clusters("
    "query => $1, query_embedding => $2, embedding_model => $3, min_relevance => $4, "
    "max_results => $5)"
)
MAINT_RECLUSTER = idempotent(
    "select * from pgcortex.maint_recluster("
    "merge_similarity => $1, max_topics => $2, as_of => coalesce($3::timestamptz, now()))"
)

# Context bundle, summary, maintenance ------------------------------------------------------
# Tracked: counts an access of every memory it returns.
GET_CONTEXTUAL_KNOWLEDGE = (
    "select pgcortex.get_contextual_knowledge("
    "query => $1, query_embedding => $2, embedding_model => $3, session_id => $4, "
    "max_memories => $5, max_turns => $6, max_clusters => $7, max_patterns => $8, "
    "min_relevance => $9, cluster_min_relevance => $10, track => $11, "
    "as_of => coalesce($12::timestamptz, now()))"
)
GET_MEMORY_SUMMARY = idempotent("select * from pgcortex.get_memory_summary()")
MAINT_RUN = (
    "select * from pgcortex.maint_run("
    "forget_days => $1, forget => $2, recluster => $3, detect_patterns => $4, "
    "as_of => coalesce($5::timestamptz, now()), history_days => $6)"
)

__all__ = [
    "END_SESSION",
    "GET_CONTEXTUAL_KNOWLEDGE",
    "GET_CONVERSATION_CONTEXT",
    "GET_KNOWLEDGE_CLUSTERS",
    "GET_LEARNING_PATTERNS",
    "GET_MEMORY_SUMMARY",
    "GET_PREFERENCE_HISTORY",
    "GET_USER_PREFERENCES",
    "IDENTIFY_LEARNING_PATTERNS",
    "KNOWLEDGE_SETTINGS",
    "LEARN_USER_PREFERENCE",
    "LIST_SESSIONS",
    "MAINT_RECLUSTER",
    "MAINT_RUN",
    "SET_KNOWLEDGE_SETTINGS",
    "START_SESSION",
    "STORE_CONVERSATION_TURN",
    "STORE_KNOWLEDGE_CLUSTER",
    "STORE_LEARNING_PATTERN",
]
