"""SQL of the key-value store for agent frameworks (``pgcortex.store_*``), called by
:mod:`pgcortex.integrations.langgraph`. Every argument by name; the optional ones a
caller does not set are left to their SQL defaults."""

from ..retry import idempotent

STORE_PUT = (
    "select * from pgcortex.store_put(path => $1, key => $2, value => $3, ttl_minutes => $4, "
    "index_fields => $5, embeddings => $6, embedding_model => $7)"
)
STORE_DELETE = "select pgcortex.store_delete(path => $1, key => $2)"
STORE_GET = (
    "select * from pgcortex.store_get(path => $1, key => $2, refresh_ttl => $3, omit_expired => $4)"
)
STORE_SEARCH = (
    "select * from pgcortex.store_search(path_prefix => $1, filter => $2, query => $3, "
    "query_embedding => $4, embedding_model => $5, page_size => $6, page_offset => $7, "
    "refresh_ttl => $8, omit_expired => $9)"
)
STORE_LIST_NAMESPACES = idempotent(
    "select * from pgcortex.store_list_namespaces(prefix => $1, suffix => $2, "
    "max_depth => $3, page_size => $4, page_offset => $5, omit_expired => $6)"
)
STORE_MODEL = (
    "select * from pgcortex.store_embedding_model(dimensions => $1, distance => $2, "
    "storage => $3, embedding_model => $4)"
)
MAINT_STORE_SWEEP = "select items_deleted from pgcortex.maint_store_sweep()"

__all__ = [
    "MAINT_STORE_SWEEP",
    "STORE_DELETE",
    "STORE_GET",
    "STORE_LIST_NAMESPACES",
    "STORE_MODEL",
    "STORE_PUT",
    "STORE_SEARCH",
]
