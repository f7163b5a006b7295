-- name: 0023_cluster_queue
-- Automatic clustering leaves the store path: the trigger on pgcortex.memories
-- only queues the memories a write created or changed, and the first call that
-- reads or changes clusters (or maintenance) clusters them
-- (pgcortex_internal.cluster_pending). Clustering compared every new memory
-- with every automatic centroid inside the store call, a cost that grew with
-- the number of clusters.
-- Run-once file: never edit after release; add a new numbered file instead.

create table pgcortex.cluster_queue (
    namespace pgcortex.namespace_name not null,
    memory_id uuid not null,
    queued_at timestamptz not null default now(),
    constraint cluster_queue_pkey primary key (namespace, memory_id),
    constraint cluster_queue_memory_fkey foreign key (namespace, memory_id)
    references pgcortex.memories (namespace, id) on delete cascade
);

comment on table pgcortex.cluster_queue is
'Memories waiting for automatic clustering: written by the trigger on pgcortex.memories (a memory stored, or given a new embedding, type or tags), drained by pgcortex_internal.cluster_pending, which the cluster reads and writes and maintenance run first. A memory deleted before it is clustered leaves the queue with it.';
comment on column pgcortex.cluster_queue.namespace is 'The namespace of the memory.';
comment on column pgcortex.cluster_queue.memory_id is 'The memory to cluster (pgcortex.memories.id).';
comment on column pgcortex.cluster_queue.queued_at is
'When the write that queued the memory ran (the transaction''s time).';

-- Row-level security as on every namespaced table: enabled and forced here,
-- so the table is closed until the privileges file (re-applied on every
-- deploy, after this file) creates its namespace policy.
alter table pgcortex.cluster_queue enable row level security;
alter table pgcortex.cluster_queue force row level security;

-- Memories stored before this release are clustered already: nothing to queue.
