"""SQL of the import area: one call per batch of rows of one table."""

_COLS = "select t.legacy_id, t.outcome, t.new_id, t.reason from "

IMPORT_MEMORIES = (
    _COLS + "pgcortex.import_memories(source => $1, items => $2, near_dedup => $3, "
    "cluster => $4, strict => $5) as t"
)
IMPORT_PREFERENCES = (
    _COLS + "pgcortex.import_preferences(source => $1, items => $2, record_history => $3, "
    "strict => $4) as t"
)
IMPORT_LINKS = _COLS + "pgcortex.import_links(source => $1, items => $2, strict => $3) as t"
IMPORT_CLUSTERS = _COLS + "pgcortex.import_clusters(source => $1, items => $2, strict => $3) as t"
IMPORT_CLUSTER_MEMBERS = (
    _COLS + "pgcortex.import_cluster_members(source => $1, items => $2, strict => $3) as t"
)
IMPORT_PATTERNS = _COLS + "pgcortex.import_patterns(source => $1, items => $2, strict => $3) as t"
IMPORT_PATTERN_EVIDENCE = (
    _COLS + "pgcortex.import_pattern_evidence(source => $1, items => $2, strict => $3) as t"
)
IMPORT_PREFERENCE_HISTORY = (
    _COLS + "pgcortex.import_preference_history(source => $1, items => $2, strict => $3) as t"
)
IMPORT_SESSIONS = _COLS + "pgcortex.import_sessions(source => $1, items => $2, strict => $3) as t"
IMPORT_TURNS = _COLS + "pgcortex.import_turns(source => $1, items => $2, strict => $3) as t"
IMPORT_MEMORY_ACCESS = (
    _COLS + "pgcortex.import_memory_access(source => $1, items => $2, strict => $3) as t"
)
IMPORT_STORE_ITEMS = (
    _COLS + "pgcortex.import_store_items(source => $1, items => $2, strict => $3) as t"
)
IMPORT_STORE_ITEM_VECTORS = (
    _COLS + "pgcortex.import_store_item_vectors(source => $1, items => $2, strict => $3) as t"
)
#: For the current transaction only: one batch may take longer than a usual call.
IMPORT_BATCH_TIMEOUT = "select pg_catalog.set_config('statement_timeout', $1, true)"
IMPORT_REGISTER_TYPES = (
    "select t.name, t.registered from pgcortex.import_register_types(kind => $1, names => $2) as t"
)

__all__ = [
    "IMPORT_BATCH_TIMEOUT",
    "IMPORT_CLUSTERS",
    "IMPORT_CLUSTER_MEMBERS",
    "IMPORT_LINKS",
    "IMPORT_MEMORIES",
    "IMPORT_MEMORY_ACCESS",
    "IMPORT_PATTERNS",
    "IMPORT_PATTERN_EVIDENCE",
    "IMPORT_PREFERENCES",
    "IMPORT_PREFERENCE_HISTORY",
    "IMPORT_REGISTER_TYPES",
    "IMPORT_SESSIONS",
    "IMPORT_STORE_ITEMS",
    "IMPORT_STORE_ITEM_VECTORS",
    "IMPORT_TURNS",
]
