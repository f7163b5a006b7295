"""SQL of the embedding-models area: the registry, a namespace's model, re-embedding."""

from .call import Call

REGISTER_EMBEDDING_MODEL = Call(
    "register_embedding_model",
    ("name", "dimensions"),
    ("distance", "storage", "normalize_vectors", "create_index"),
    returns="row",
    idempotent=True,
)
LIST_EMBEDDING_MODELS = Call("list_embedding_models", idempotent=True)
EMBEDDING_MODEL_ROW = Call(
    "embedding_model_row", ("embedding_model",), returns="row", idempotent=True
)
DROP_EMBEDDING_MODEL = Call("drop_embedding_model", ("embedding_model",), returns="row")
SET_DEFAULT_EMBEDDING_MODEL = Call(
    "set_default_embedding_model", ("embedding_model",), returns="row", idempotent=True
)
SET_NAMESPACE_EMBEDDING_MODEL = Call(
    "set_namespace_embedding_model", ("embedding_model",), returns="value", idempotent=True
)
EMBEDDING_MODEL_INDEX_SQL = Call(
    "embedding_model_index_sql",
    ("embedding_model",),
    ("concurrently",),
    returns="value",
    idempotent=True,
)
REEMBED_PENDING = Call("reembed_pending", ("embedding_model",), ("max_rows",), idempotent=True)
#: Staging the same vectors again leaves what staging them once does.
REEMBED_STAGE = Call(
    "reembed_stage",
    ("embedding_model", "memory_ids", "embeddings", "content_hashes"),
    ("as_of",),
    returns="value",
    idempotent=True,
)
REEMBED_STATUS = Call("reembed_status", ("embedding_model",), returns="row", idempotent=True)
#: A second switch to the current model changes nothing.
REEMBED_SWITCH = Call("reembed_switch", ("embedding_model",), returns="row", idempotent=True)
MAINT_DROP_OLD_EMBEDDINGS = Call(
    "maint_drop_old_embeddings", (), ("embedding_model",), idempotent=True
)

__all__ = [
    "DROP_EMBEDDING_MODEL",
    "EMBEDDING_MODEL_INDEX_SQL",
    "EMBEDDING_MODEL_ROW",
    "LIST_EMBEDDING_MODELS",
    "MAINT_DROP_OLD_EMBEDDINGS",
    "REEMBED_PENDING",
    "REEMBED_STAGE",
    "REEMBED_STATUS",
    "REEMBED_SWITCH",
    "REGISTER_EMBEDDING_MODEL",
    "SET_DEFAULT_EMBEDDING_MODEL",
    "SET_NAMESPACE_EMBEDDING_MODEL",
]

#: Progress of a concurrent build of a model's index (PostgreSQL's own view, read
#: by the command line while ``create index concurrently`` runs on another connection).
INDEX_BUILD_PROGRESS = (
    "select p.phase, p.blocks_done, p.blocks_total, p.tuples_done, p.tuples_total"
    " from pg_catalog.pg_stat_progress_create_index as p"
    " where p.relid = 'pgcortex.memories'::regclass and p.index_relid = $1::regclass"
)
