"""SQL of the knowledge area: settings, preferences, learning patterns, sessions and
turns, knowledge clusters, the context bundle, the summary and maintenance."""

from .call import Call

# Settings ---------------------------------------------------------------------------
KNOWLEDGE_SETTINGS = Call("knowledge_settings", returns="row", idempotent=True)
#: Returns the rules in force once the overrides are stored.
SET_KNOWLEDGE_SETTINGS = Call(
    "set_knowledge_settings",
    (),
    (
        "turn_memories",
        "turn_memory_min_chars",
        "turn_memory_importance",
        "turn_memory_key_importance",
        "turn_memory_key_pattern",
        "cluster_similarity",
        "cluster_merge_similarity",
        "pattern_min_turns",
        "pattern_min_term_turns",
        "pattern_min_questions",
        "pattern_max_topics",
        "pattern_max_examples",
        "pattern_active_days",
        "reset",
    ),
    returns="row",
    idempotent=True,
)

# Preferences ------------------------------------------------------------------------
# Each offer is recorded in the history: not repeated blindly.
LEARN_USER_PREFERENCE = Call(
    "learn_user_preference",
    ("key", "value"),
    ("confidence", "source", "session_id", "memory_id", "as_of"),
    returns="row",
)
GET_USER_PREFERENCES = Call("get_user_preferences", (), ("category",), idempotent=True)
GET_PREFERENCE_HISTORY = Call("get_preference_history", (), ("key", "max_results"), idempotent=True)

# Learning patterns --------------------------------------------------------------------
# Counted once per piece of evidence: a repeat with the same evidence changes nothing,
# but a call without evidence counts again, so neither is marked idempotent.
STORE_LEARNING_PATTERN = Call(
    "store_learning_pattern",
    ("pattern_type", "description"),
    ("example", "confidence", "session_id", "memory_id", "evidence_key", "as_of"),
    returns="row",
)
# Evidence is per turn: running detection again adds nothing for the same turns.
IDENTIFY_LEARNING_PATTERNS = Call(
    "identify_learning_patterns",
    (),
    ("session_id", "min_turns", "min_term_turns", "min_questions", "max_topics", "as_of"),
    idempotent=True,
)
GET_LEARNING_PATTERNS = Call(
    "get_learning_patterns",
    (),
    ("pattern_type", "active_only", "max_results", "as_of"),
    idempotent=True,
)

# Sessions and turns -----------------------------------------------------------------
START_SESSION = Call("start_session", (), ("metadata", "as_of"), returns="row")
STORE_CONVERSATION_TURN = Call(
    "store_conversation_turn",
    ("role", "content"),
    ("session_id", "context", "embedding", "embedding_model", "as_of"),
    returns="row",
)
END_SESSION = Call(
    "end_session",
    ("session_id",),
    ("summary", "importance", "max_topics", "as_of"),
    returns="row",
)
GET_CONVERSATION_CONTEXT = Call(
    "get_conversation_context", (), ("session_id", "max_turns"), idempotent=True
)
LIST_SESSIONS = Call("list_sessions", (), ("open_only", "max_results"), idempotent=True)

# Knowledge clusters -------------------------------------------------------------------
STORE_KNOWLEDGE_CLUSTER = Call(
    "store_knowledge_cluster",
    ("name",),
    ("description", "topics", "memory_ids", "confidence", "importance_score", "as_of"),
    returns="row",
    idempotent=True,
)
GET_KNOWLEDGE_CLUSTERS = Call(
    "get_knowledge_clusters",
    (),
    ("query", "query_embedding", "embedding_model", "min_relevance", "max_results"),
    idempotent=True,
)
MAINT_RECLUSTER = Call(
    "maint_recluster",
    (),
    ("merge_similarity", "max_topics", "as_of"),
    returns="row",
    idempotent=True,
)

# Context bundle, summary, maintenance ------------------------------------------------------
# Tracked: counts an access of every memory it returns.
GET_CONTEXTUAL_KNOWLEDGE = Call(
    "get_contextual_knowledge",
    (),
    (
        "query",
        "query_embedding",
        "embedding_model",
        "session_id",
        "max_memories",
        "max_turns",
        "max_clusters",
        "max_patterns",
        "min_relevance",
        "cluster_min_relevance",
        "track",
        "as_of",
    ),
    returns="value",
)
GET_MEMORY_SUMMARY = Call("get_memory_summary", returns="row", idempotent=True)
MAINT_RUN = Call(
    "maint_run",
    (),
    ("forget_days", "forget", "recluster", "detect_patterns", "as_of", "history_days"),
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
