-- name: 0002_memories
-- Memories area, run-once part: the change history of memories, the
-- append-only access log that makes read tracking lock-free, an index for the
-- per-namespace embedding model check, and the area's error codes.
-- Run-once file: never edit after release; add a new numbered file instead.

insert into pgcortex.error_codes (sqlstate, name, meaning) values
(
    'PC025', 'duplicate_content',
    'another memory of this namespace already has this content (normalised)'
),
(
    'PC026', 'id_conflict',
    'the id given for a new memory is already used by another memory of this namespace'
);

-- Change history ------------------------------------------------------------------

create table pgcortex.memory_history (
    history_id bigint generated always as identity,
    namespace pgcortex.namespace_name not null,
    memory_id uuid not null,
    operation text not null,
    reason text not null,
    changed_at timestamptz not null,
    changed_fields text[] not null,
    old_content text,
    new_content text,
    old_importance smallint,
    new_importance smallint,
    old_confidence real,
    new_confidence real,
    old_tags text[],
    new_tags text[],
    old_metadata jsonb,
    new_metadata jsonb,
    constraint memory_history_pkey primary key (history_id),
    constraint memory_history_operation_check check (operation in ('insert', 'update', 'delete')),
    constraint memory_history_reason_check check (reason ~ '^[a-z][a-z0-9_]{0,62}$')
);

comment on table pgcortex.memory_history is
'Every change to the content, importance, confidence, tags or metadata of a memory, written by a trigger on pgcortex.memories: which operation, why (reason), when, which fields changed, and their old and new values (only the changed fields are filled on update). Kept after the memory is deleted, so "what did we believe before" stays answerable.';
comment on column pgcortex.memory_history.operation is 'insert, update or delete (the SQL operation).';
comment on column pgcortex.memory_history.reason is
'Why: store, reinforce, merge, update, delete, forget, purge_expired, or direct (a statement outside the API).';
comment on column pgcortex.memory_history.changed_at is
'The as_of of the API call that made the change (else the transaction time).';
comment on column pgcortex.memory_history.changed_fields is
'The fields whose value changed (all five for insert and delete).';

create index memory_history_memory_idx on pgcortex.memory_history (namespace, memory_id, history_id);

-- Access log ---------------------------------------------------------------------

-- Reads append here instead of updating a counter row: concurrent searches of
-- the same memory never wait on each other's row locks, and reads rewrite no
-- memory row. pgcortex.maint_flush_access folds the log into
-- pgcortex.memory_access (by itself every few thousand reads, and in
-- maintenance); counts are read as memory_access plus the pending log rows, so
-- they are exact at any time. No foreign key: its check would lock the memory
-- row on every read.
create table pgcortex.memory_access_log (
    log_id bigint generated always as identity,
    namespace pgcortex.namespace_name not null,
    memory_id uuid not null,
    accessed_at timestamptz not null,
    constraint memory_access_log_pkey primary key (log_id)
);

comment on table pgcortex.memory_access_log is
'Append-only log of memory reads not yet folded into pgcortex.memory_access (see pgcortex.maint_flush_access). access_count = memory_access.access_count + the pending rows here.';

create index memory_access_log_memory_idx on pgcortex.memory_access_log (namespace, memory_id);

-- The embedding model of a namespace is checked on every store and search.
create index memories_namespace_embedding_model_idx on pgcortex.memories
(namespace, embedding_model) where embedding_model is not null;
