"""SQL of the memories area: store, read, search, update, delete, links, forgetting,
access tracking."""

from .call import Call

# Stores are keyed by content (exact dedup) and reinforce by taking the greater
# value, so a repeated store leaves what one store does (apart from the access
# it counts): safe to retry.
STORE_MEMORY = Call(
    "store_memory",
    ("content", "memory_type"),
    (
        "importance",
        "confidence",
        "tags",
        "metadata",
        "embedding",
        "embedding_model",
        "memory_id",
        "expires_at",
        "near_duplicate_threshold",
        "dedup_near",
        "as_of",
    ),
    returns="row",
    idempotent=True,
)
STORE_MEMORIES = Call(
    "store_memories",
    ("contents", "memory_types"),
    (
        "importances",
        "confidences",
        "tags",
        "metadata",
        "embeddings",
        "ids",
        "expires_at",
        "embedding_model",
        "near_duplicate_threshold",
        "dedup_near",
        "as_of",
    ),
    idempotent=True,
)
# Tracked reads count an access: not repeated blindly.
GET_MEMORY = Call(
    "get_memory", ("memory_id",), ("track", "include_embedding", "as_of"), returns="row"
)
GET_MEMORIES = Call("get_memories", ("memory_ids",), ("track", "include_embedding", "as_of"))
_FILTERS = (
    "memory_types",
    "tags_any",
    "tags_all",
    "min_importance",
)
LIST_MEMORIES = Call(
    "list_memories",
    (),
    (
        *_FILTERS,
        "max_importance",
        "min_confidence",
        "created_after",
        "created_before",
        "metadata_contains",
        "order_by",
        "page_size",
        "page_offset",
        "include_embedding",
        "as_of",
    ),
    idempotent=True,
)
SEARCH_MEMORIES = Call(
    "search_memories",
    (),
    (
        "query_embedding",
        "query_text",
        "k",
        *_FILTERS,
        "min_confidence",
        "created_after",
        "created_before",
        "accessed_after",
        "accessed_before",
        "metadata_contains",
        "exclude_ids",
        "min_relevance",
        "weights",
        "ef_search",
        "expand_links",
        "track",
        "embedding_model",
        "as_of",
    ),
)
RECALL_MEMORIES = Call(
    "recall_memories",
    ("query",),
    (
        "memory_types",
        "k",
        "min_relevance",
        "query_embedding",
        "embedding_model",
        "track",
        "as_of",
    ),
)
UPDATE_MEMORY = Call(
    "update_memory",
    ("memory_id",),
    (
        "content",
        "memory_type",
        "importance",
        "confidence",
        "tags",
        "metadata",
        "merge_metadata",
        "embedding",
        "embedding_model",
        "expires_at",
        "clear_expiry",
        "as_of",
    ),
    returns="row",
)
DELETE_MEMORY = Call("delete_memory", ("memory_id",), ("as_of",), returns="value")
DELETE_MEMORIES = Call(
    "delete_memories",
    (),
    (
        "memory_ids",
        "memory_types",
        "tags_any",
        "tags_all",
        "max_importance",
        "created_before",
        "metadata_contains",
        "as_of",
    ),
    returns="row",
)
MEMORY_HISTORY = Call("memory_history", ("memory_id",), ("max_rows",), idempotent=True)
LINK_MEMORIES = Call(
    "link_memories",
    ("source_id", "target_id"),
    ("relation", "weight", "as_of"),
    returns="row",
    idempotent=True,
)
UNLINK_MEMORIES = Call(
    "unlink_memories",
    ("source_id", "target_id"),
    ("relation",),
    returns="value",
    idempotent=True,
)
RELATED_MEMORIES = Call(
    "related_memories",
    ("memory_id",),
    ("depth", "relations", "max_results", "as_of"),
    idempotent=True,
)
MAINT_FORGET = Call(
    "maint_forget",
    (),
    ("days", "max_importance", "min_access_count", "as_of", "dry_run"),
    returns="row",
)
MAINT_PURGE_EXPIRED = Call("maint_purge_expired", (), ("as_of",), returns="row", idempotent=True)
MAINT_FLUSH_ACCESS = Call("maint_flush_access", (), ("max_rows",), returns="row", idempotent=True)
# Counts one access per id: not repeated blindly.
TRACK_ACCESS = Call("track_access", ("ids",), ("as_of",), returns="value")
RESOLVE_MEMORY_ID = Call(
    "resolve_memory_id", ("id_prefix",), ("as_of",), returns="value", idempotent=True
)
LIST_MEMORY_TYPES = Call("list_memory_types", idempotent=True)
NAMESPACE_EMBEDDING_MODEL = Call("namespace_embedding_model", returns="value", idempotent=True)
MAINT_REBUILD_TERMS = Call("maint_rebuild_terms", (), (), returns="row", idempotent=True)
MAINT_PRUNE_HISTORY = Call(
    "maint_prune_history", (), ("keep_days", "as_of", "dry_run"), returns="row"
)

__all__ = [
    "DELETE_MEMORIES",
    "DELETE_MEMORY",
    "GET_MEMORIES",
    "GET_MEMORY",
    "LINK_MEMORIES",
    "LIST_MEMORIES",
    "LIST_MEMORY_TYPES",
    "MAINT_FLUSH_ACCESS",
    "MAINT_FORGET",
    "MAINT_PRUNE_HISTORY",
    "MAINT_PURGE_EXPIRED",
    "MAINT_REBUILD_TERMS",
    "MEMORY_HISTORY",
    "NAMESPACE_EMBEDDING_MODEL",
    "RECALL_MEMORIES",
    "RELATED_MEMORIES",
    "RESOLVE_MEMORY_ID",
    "SEARCH_MEMORIES",
    "STORE_MEMORIES",
    "STORE_MEMORY",
    "TRACK_ACCESS",
    "UNLINK_MEMORIES",
    "UPDATE_MEMORY",
]
