"""SQL of the memories area: store, read, search, update, delete, links, forgetting.

Every time-dependent call passes ``as_of`` as ``coalesce($n, now())`` so that
``None`` means the server's clock.
"""

from ..retry import idempotent

# Stores are keyed by content (exact dedup) and reinforce by taking the greater
# value, so a repeated store leaves what one store does (apart from the access
# it counts): safe to retry.
STORE_MEMORY = idempotent(
    "select * from pgcortex.store_memory("
    "content => $1, memory_type => $2, importance => $3, confidence => $4, tags => $5, "
    "metadata => $6, embedding => $7, embedding_model => $8, memory_id => $9, "
    "expires_at => $10, near_duplicate_threshold => $11, dedup_near => $12, "
    "as_of => coalesce($13::timestamptz, now()))"
)
STORE_MEMORIES = idempotent(
    "select * from pgcortex.store_memories("
    "contents => $1, memory_types => $2, importances => $3, confidences => $4, tags => $5, "
    "metadata => $6, embeddings => $7, ids => $8, expires_at => $9, embedding_model => $10, "
    "near_duplicate_threshold => $11, dedup_near => $12, "
    "as_of => coalesce($13::timestamptz, now()))"
)
# Tracked reads count an access: not repeated blindly.
GET_MEMORY = (
    "select * from pgcortex.get_memory(memory_id => $1, track => $2, include_embedding => $3, "
    "as_of => coalesce($4::timestamptz, now()))"
)
GET_MEMORIES = (
    "select * from pgcortex.get_memories(memory_ids => $1, track => $2, "
    "include_embedding => $3, as_of => coalesce($4::timestamptz, now()))"
)
LIST_MEMORIES = idempotent(
    "select * from pgcortex.list_memories("
    "memory_types => $1, tags_any => $2, tags_all => $3, min_importance => $4, "
    "max_importance => $5, min_confidence => $6, created_after => $7, created_before => $8, "
    "metadata_contains => $9, order_by => $10, page_size => $11, page_offset => $12, "
    "include_embedding => $13, as_of => coalesce($14::timestamptz, now()))"
)
SEARCH_MEMORIES = (
    "select * from pgcortex.search_memories("
    "query_embedding => $1, query_text => $2, k => $3, memory_types => $4, tags_any => $5, "
    "tags_all => $6, min_importance => $7, min_confidence => $8, created_after => $9, "
    "created_before => $10, accessed_after => $11, accessed_before => $12, "
    "metadata_contains => $13, exclude_ids => $14, min_relevance => $15, weights => $16, "
    "ef_search => $17, expand_links => $18, track => $19, embedding_model => $20, "
    "as_of => coalesce($21::timestamptz, now()))"
)
RECALL_MEMORIES = (
    "select * from pgcortex.recall_memories("
    "query => $1, memory_types => $2, k => $3, min_relevance => $4, query_embedding => $5, "
    "embedding_model => $6, track => $7, as_of => coalesce($8::timestamptz, now()))"
)
UPDATE_MEMORY = (
    "select * from pgcortex.update_memory("
    "memory_id => $1, content => $2, memory_type => $3, importance => $4, confidence => $5, "
    "tags => $6, metadata => $7, merge_metadata => $8, embedding => $9, "
    "embedding_model => $10, expires_at => $11, clear_expiry => $12, "
    "as_of => coalesce($13::timestamptz, now()))"
)
DELETE_MEMORY = (
    "select pgcortex.delete_memory(memory_id => $1, as_of => coalesce($2::timestamptz, now()))"
)
DELETE_MEMORIES = (
    "select * from pgcortex.delete_memories("
    "memory_ids => $1, memory_types => $2, tags_any => $3, tags_all => $4, "
    "max_importance => $5, created_before => $6, metadata_contains => $7, "
    "as_of => coalesce($8::timestamptz, now()))"
)
MEMORY_HISTORY = idempotent(
    "select * from pgcortex.memory_history(memory_id => $1, max_rows => $2)"
)
LINK_MEMORIES = idempotent(
    "select * from pgcortex.link_memories(source_id => $1, target_id => $2, relation => $3, "
    "weight => $4, as_of => coalesce($5::timestamptz, now()))"
)
UNLINK_MEMORIES = idempotent(
    "select pgcortex.unlink_memories(source_id => $1, target_id => $2, relation => $3)"
)
RELATED_MEMORIES = idempotent(
    "select * from pgcortex.related_memories(memory_id => $1, depth => $2, relations => $3, "
    "max_results => $4, as_of => coalesce($5::timestamptz, now()))"
)
MAINT_FORGET = (
    "select * from pgcortex.maint_forget(days => $1, max_importance => $2, "
    "min_access_count => $3, as_of => coalesce($4::timestamptz, now()), dry_run => $5)"
)
MAINT_PURGE_EXPIRED = idempotent(
    "select * from pgcortex.maint_purge_expired(as_of => coalesce($1::timestamptz, now()))"
)
MAINT_FLUSH_ACCESS = idempotent("select * from pgcortex.maint_flush_access(max_rows => $1)")
MAINT_PRUNE_HISTORY = (
    "select * from pgcortex.maint_prune_history(keep_days => $1, "
    "as_of => coalesce($2::timestamptz, now()), dry_run => $3)"
)
TRACK_ACCESS = "select pgcortex.track_access(ids => $1, as_of => coalesce($2::timestamptz, now()))"
NAMESPACE_EMBEDDING_MODEL = idempotent("select pgcortex.namespace_embedding_model()")

__all__ = [
    "DELETE_MEMORIES",
    "DELETE_MEMORY",
    "GET_MEMORIES",
    "GET_MEMORY",
    "LINK_MEMORIES",
    "LIST_MEMORIES",
    "MAINT_FLUSH_ACCESS",
    "MAINT_FORGET",
    "MAINT_PRUNE_HISTORY",
    "MAINT_PURGE_EXPIRED",
    "MEMORY_HISTORY",
    "NAMESPACE_EMBEDDING_MODEL",
    "RECALL_MEMORIES",
    "RELATED_MEMORIES",
    "SEARCH_MEMORIES",
    "STORE_MEMORIES",
    "STORE_MEMORY",
    "TRACK_ACCESS",
    "UNLINK_MEMORIES",
    "UPDATE_MEMORY",
]
