-- name: 0003_knowledge
-- Agent knowledge: per-namespace settings, the history of preference changes,
-- the evidence behind learning patterns, explicit versus automatic clusters and
-- the index that finds the nearest cluster centroid.
-- Run-once file: never edit after release; add a new numbered file instead.

-- Settings ------------------------------------------------------------------------

create table pgcortex.knowledge_settings (
    namespace pgcortex.namespace_name not null,
    turn_memories boolean,
    turn_memory_min_chars integer,
    turn_memory_importance smallint,
    turn_memory_key_importance smallint,
    turn_memory_key_pattern text,
    cluster_similarity real,
    cluster_merge_similarity real,
    pattern_min_turns integer,
    pattern_min_term_turns integer,
    pattern_min_questions integer,
    pattern_max_topics integer,
    pattern_max_examples integer,
    pattern_active_days integer,
    updated_at timestamptz not null default now(),
    constraint knowledge_settings_pkey primary key (namespace),
    constraint knowledge_settings_turn_memory_min_chars_check check (
        turn_memory_min_chars between 0 and 100000
    ),
    constraint knowledge_settings_turn_memory_importance_check check (
        turn_memory_importance between 1 and 5 and turn_memory_key_importance between 1 and 5
    ),
    constraint knowledge_settings_cluster_similarity_check check (
        cluster_similarity between -1 and 1 and cluster_merge_similarity between -1 and 1
    ),
    constraint knowledge_settings_pattern_check check (
        pattern_min_turns >= 1
        and pattern_min_term_turns >= 1
        and pattern_min_questions >= 1
        and pattern_max_topics between 0 and 100
        and pattern_max_examples between 1 and 10
        and pattern_active_days >= 1
    )
);

comment on table pgcortex.knowledge_settings is
'Per-namespace overrides of the knowledge rules (a null column takes the default of pgcortex.knowledge_settings()). Written by pgcortex.set_knowledge_settings().';
comment on column pgcortex.knowledge_settings.turn_memories is
'Whether substantial conversation turns are also stored as conversation memories (default true).';
comment on column pgcortex.knowledge_settings.turn_memory_min_chars is
'A turn longer than this many characters is substantial (default 50).';
comment on column pgcortex.knowledge_settings.turn_memory_key_pattern is
'Case-insensitive regular expression; a substantial turn matching it gets turn_memory_key_importance (default: strategy, goals, priorities, plans, decisions).';
comment on column pgcortex.knowledge_settings.cluster_similarity is
'Cosine similarity to a cluster centroid at or above which a new memory joins that cluster (default 0.55).';
comment on column pgcortex.knowledge_settings.cluster_merge_similarity is
'Cosine similarity of two centroids at or above which re-clustering merges them (default 0.80).';

-- Preference history ------------------------------------------------------------------

create table pgcortex.user_preference_history (
    change_id bigint generated always as identity,
    namespace pgcortex.namespace_name not null,
    key text not null,
    value jsonb not null,
    confidence real not null,
    source text not null,
    session_id uuid,
    memory_id uuid,
    applied boolean not null,
    previous_value jsonb,
    previous_confidence real,
    changed_at timestamptz not null default now(),
    constraint user_preference_history_pkey primary key (change_id),
    constraint user_preference_history_session_fkey foreign key (namespace, session_id)
    references pgcortex.conversation_sessions (namespace, session_id) on delete set null (session_id),
    constraint user_preference_history_memory_fkey foreign key (namespace, memory_id)
    references pgcortex.memories (namespace, id) on delete set null (memory_id)
);

comment on table pgcortex.user_preference_history is
'Every preference update offered to pgcortex.learn_user_preference, with its source, the session or memory it came from, and whether it replaced the value held (applied).';

create index user_preference_history_key_idx on pgcortex.user_preference_history
(namespace, key, change_id);
create index user_preference_history_session_idx on pgcortex.user_preference_history
(namespace, session_id) where session_id is not null;
create index user_preference_history_memory_idx on pgcortex.user_preference_history
(namespace, memory_id) where memory_id is not null;

-- Learning pattern evidence ---------------------------------------------------------

create table pgcortex.learning_pattern_evidence (
    namespace pgcortex.namespace_name not null,
    pattern_id uuid not null,
    evidence_key text not null,
    session_id uuid,
    memory_id uuid,
    turn_id bigint,
    created_at timestamptz not null default now(),
    constraint learning_pattern_evidence_pkey primary key (namespace, pattern_id, evidence_key),
    constraint learning_pattern_evidence_pattern_fkey foreign key (namespace, pattern_id)
    references pgcortex.learning_patterns (namespace, pattern_id) on delete cascade,
    constraint learning_pattern_evidence_session_fkey foreign key (namespace, session_id)
    references pgcortex.conversation_sessions (namespace, session_id) on delete set null (session_id),
    constraint learning_pattern_evidence_memory_fkey foreign key (namespace, memory_id)
    references pgcortex.memories (namespace, id) on delete set null (memory_id),
    constraint learning_pattern_evidence_key_check check (length(evidence_key) between 1 and 255)
);

comment on table pgcortex.learning_pattern_evidence is
'What a learning pattern was learned from (a turn, a session, a memory or a caller-given key), one row per piece of evidence: a pattern''s frequency counts each piece once, so re-running detection never counts the same turns twice.';

create index learning_pattern_evidence_session_idx on pgcortex.learning_pattern_evidence
(namespace, session_id) where session_id is not null;
create index learning_pattern_evidence_memory_idx on pgcortex.learning_pattern_evidence
(namespace, memory_id) where memory_id is not null;

-- Clusters --------------------------------------------------------------------------

alter table pgcortex.knowledge_clusters
add column origin text not null default 'auto',
add constraint knowledge_clusters_origin_check check (origin in ('auto', 'explicit'));

comment on column pgcortex.knowledge_clusters.origin is
'auto: kept by the clustering trigger and pgcortex.maint_recluster (merged, dissolved when empty); explicit: stored by pgcortex.store_knowledge_cluster (membership is the caller''s, never merged or dissolved).';

create index knowledge_clusters_centroid_hnsw_idx on pgcortex.knowledge_clusters
using hnsw (centroid public.vector_cosine_ops) with (m = 16, ef_construction = 64);

create index conversation_sessions_open_idx on pgcortex.conversation_sessions (namespace)
where ended_at is null;

-- Result types ----------------------------------------------------------------------

create type pgcortex.learning_pattern_result as (
    pattern_id uuid,
    pattern_type text,
    description text,
    frequency integer,
    confidence real,
    examples text [],
    evidence_count integer,
    new_evidence integer,
    discovered_at timestamptz,
    updated_at timestamptz
);

comment on type pgcortex.learning_pattern_result is
'A learning pattern as the API returns it: its counts, and how many pieces of evidence the call added (new_evidence; 0 when everything was already counted).';

create type pgcortex.conversation_turn_result as (
    turn_id bigint,
    session_id uuid,
    role text,
    content text,
    context jsonb,
    memory_id uuid,
    created_at timestamptz
);

comment on type pgcortex.conversation_turn_result is
'A conversation turn as the API returns it.';

create type pgcortex.knowledge_cluster_result as (
    cluster_id uuid,
    name text,
    description text,
    origin text,
    cluster_key text,
    topics text [],
    member_count integer,
    importance_score real,
    confidence real,
    similarity real,
    topic_matches integer,
    relevance real,
    top_memory_ids uuid [],
    created_at timestamptz,
    last_updated timestamptz
);

comment on type pgcortex.knowledge_cluster_result is
'A knowledge cluster as the API returns it; similarity, topic_matches and relevance are set when clusters are ranked for a query.';
