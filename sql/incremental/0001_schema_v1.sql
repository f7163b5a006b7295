-- name: 0001_schema_v1
-- Schema v1: the original memory module's five tables (memories, knowledge_clusters,
-- learning_patterns, user_preferences, conversation_sessions) typed for
-- PostgreSQL, plus conversation turns, memory links, cluster membership,
-- access tracking, the lookup tables and the error-code table.
-- Run-once file: never edit after release; add a new numbered file instead.

-- Ids -------------------------------------------------------------------------

-- Time-ordered uuids: uuidv7() where the server has it (PostgreSQL 18), else the
-- same layout built from gen_random_uuid() and the clock (PostgreSQL 16, 17).
do $do$
begin
    if to_regprocedure('pg_catalog.uuidv7()') is not null then
        create function pgcortex.new_id() returns uuid
        language sql volatile parallel safe
        set search_path = ''
        return pg_catalog.uuidv7();
    else
        create function pgcortex.new_id() returns uuid
        language sql volatile parallel safe
        set search_path = ''
        return pg_catalog.encode(
            pg_catalog.set_bit(
                pg_catalog.set_bit(
                    overlay(
                        pg_catalog.uuid_send(pg_catalog.gen_random_uuid())
                        placing substring(
                            pg_catalog.int8send(
                                floor(extract(epoch from pg_catalog.clock_timestamp()) * 1000)::bigint
                            ) from 3
                        ) from 1 for 6
                    ), 52, 1
                ), 53, 1
            ), 'hex'
        )::uuid;
    end if;
end
$do$;

comment on function pgcortex.new_id() is
'A new time-ordered (version 7 layout) uuid: the default of every id column.';

-- name: content_hash
-- The exact-dedup key of a content: sha256 of the text lower-cased,
-- NFC-normalised, trimmed and with runs of white space folded to one space.
-- Declared immutable: convert_to() is only stable because of its source
-- encoding, which is fixed for a database.
create function pgcortex.content_hash(content text) returns bytea
language sql immutable strict parallel safe
set search_path = ''
return pg_catalog.sha256(
    pg_catalog.convert_to(
        normalize(
            pg_catalog.lower(pg_catalog.btrim(pg_catalog.regexp_replace(content, '\s+', ' ', 'g'))),
            nfc
        ),
        'UTF8'
    )
);

comment on function pgcortex.content_hash(text) is
'Exact-dedup key: sha256 of the content lower-cased, NFC-normalised, trimmed, white space folded.';

-- Schema version -------------------------------------------------------------

create table pgcortex.schema_info (
    singleton boolean not null default true,
    version integer not null,
    min_client_version integer not null,
    updated_at timestamptz not null default now(),
    constraint schema_info_pkey primary key (singleton),
    constraint schema_info_singleton_check check (singleton)
);

comment on table pgcortex.schema_info is
'The schema version of this database (one row). Bumped by a migration that breaks older clients; a client refuses a database outside its supported range.';
comment on column pgcortex.schema_info.version is
'Schema version: the number a client compares with the versions it supports.';
comment on column pgcortex.schema_info.min_client_version is
'The oldest client schema version that can still use this database.';

insert into pgcortex.schema_info (version, min_client_version) values (1, 1);

-- Error codes ----------------------------------------------------------------

create table pgcortex.error_codes (
    sqlstate text not null,
    name text not null,
    meaning text not null,
    constraint error_codes_pkey primary key (sqlstate),
    constraint error_codes_name_key unique (name),
    constraint error_codes_sqlstate_check check (sqlstate ~ '^PC[0-9A-Z]{3}$')
);

comment on table pgcortex.error_codes is
'The documented error codes raised by the pgcortex SQL API (class PC). The Python client maps each to one exception class; a test keeps the two in step.';

insert into pgcortex.error_codes (sqlstate, name, meaning) values
('PC001', 'namespace_not_set', 'pgcortex.namespace is not set for this session or transaction'),
('PC002', 'invalid_namespace', 'namespace is empty, longer than 128 characters or has control characters'),
('PC003', 'invalid_argument', 'an argument is missing or malformed (the message names it)'),
('PC004', 'out_of_range', 'a number is outside its documented range (importance 1..5, confidence 0..1, limits)'),
('PC010', 'embedding_dimension', 'an embedding does not have the 384 dimensions the schema stores'),
('PC011', 'embedding_value', 'an embedding has NaN, infinite or all-zero values'),
('PC012', 'embedding_model_mismatch', 'a query vector comes from another model than the stored embeddings'),
('PC020', 'invalid_content', 'content is empty, too long (100000 characters at most) or not valid text'),
('PC021', 'unknown_memory_type', 'memory_type is not in pgcortex.memory_types'),
('PC022', 'unknown_pattern_type', 'pattern_type is not in pgcortex.pattern_types'),
('PC023', 'invalid_metadata', 'metadata or a JSON value is not of the accepted shape or is nested too deeply'),
('PC024', 'invalid_tags', 'tags are empty strings, too long or too many'),
('PC030', 'not_found', 'no row with that id in this namespace'),
('PC031', 'session_closed', 'the conversation session has ended'),
('PC032', 'invalid_session_time', 'a session cannot end before it starts'),
('PC040', 'schema_version', 'the database schema is older or newer than this client supports'),
('PC041', 'migration_drift', 'an applied run-once migration file was edited after it was applied');

-- Lookup tables ---------------------------------------------------------------

create table pgcortex.memory_types (
    name text not null,
    description text not null,
    constraint memory_types_pkey primary key (name),
    constraint memory_types_name_check check (name ~ '^[a-z][a-z0-9_]{0,62}$')
);

comment on table pgcortex.memory_types is
'The kinds of memory. A row here is all it takes to add a type (no migration).';

insert into pgcortex.memory_types (name, description) values
('conversation', 'a substantial turn of a conversation'),
('business_fact', 'a fact about the business'),
('strategic_insight', 'an insight about strategy'),
('user_preference', 'something the user prefers'),
('process_knowledge', 'how something is done'),
('market_intelligence', 'what is known about the market'),
('technical_knowledge', 'technical know-how'),
('relationship', 'a relationship between people or organisations');

create table pgcortex.pattern_types (
    name text not null,
    description text not null,
    constraint pattern_types_pkey primary key (name),
    constraint pattern_types_name_check check (name ~ '^[a-z][a-z0-9_]{0,62}$')
);

comment on table pgcortex.pattern_types is
'The kinds of learning pattern. A row here is all it takes to add a type (no migration).';

insert into pgcortex.pattern_types (name, description) values
('preference', 'a recurring topic or stated preference of the user'),
('workflow', 'a habit in how the user works (for example asking many questions)'),
('decision_pattern', 'a recurring way the user decides');

-- Domains -------------------------------------------------------------------

create domain pgcortex.namespace_name as text
constraint namespace_name_check check (
    length(value) between 1 and 128 and value !~ '[[:cntrl:]]'
);

comment on domain pgcortex.namespace_name is
'A namespace: the agent, user or tenant scope of every row. 1 to 128 characters, no control characters.';

-- Memories ------------------------------------------------------------------

create table pgcortex.memories (
    id uuid not null default pgcortex.new_id(),
    namespace pgcortex.namespace_name not null default 'default',
    content text not null,
    content_hash bytea generated always as (pgcortex.content_hash(content)) stored,
    content_tsv tsvector generated always as (to_tsvector('english'::regconfig, content)) stored,
    memory_type text not null,
    importance smallint not null default 3,
    confidence real not null default 1.0,
    tags text[] not null default '{}',
    metadata jsonb not null default '{}',
    embedding public.vector(384),
    embedding_model text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    expires_at timestamptz,
    constraint memories_pkey primary key (namespace, id),
    constraint memories_namespace_content_hash_key unique (namespace, content_hash),
    constraint memories_memory_type_fkey foreign key (memory_type)
    references pgcortex.memory_types (name) on update cascade,
    constraint memories_content_check check (length(content) between 1 and 100000),
    constraint memories_importance_check check (importance between 1 and 5),
    constraint memories_confidence_check check (confidence between 0 and 1),
    constraint memories_tags_check check (
        cardinality(tags) <= 64 and array_position(tags, null) is null
    ),
    constraint memories_metadata_check check (jsonb_typeof(metadata) = 'object'),
    constraint memories_embedding_model_check check (
        (embedding is null) = (embedding_model is null)
    ),
    constraint memories_expires_at_check check (expires_at is null or expires_at > created_at)
) with (fillfactor = 90);

comment on table pgcortex.memories is
'What an agent remembers: one row per distinct content (normalised) in a namespace, with its type, importance, confidence, tags, metadata and optional embedding. Read access counts through pgcortex.memories_v.';
comment on column pgcortex.memories.id is 'Time-ordered uuid (pgcortex.new_id()) unless the caller gave one.';
comment on column pgcortex.memories.namespace is 'The agent, user or tenant scope.';
comment on column pgcortex.memories.content is 'The remembered text, 1 to 100000 characters.';
comment on column pgcortex.memories.content_hash is
'sha256 of the content lower-cased, NFC-normalised, trimmed and with runs of white space folded: the exact-dedup key.';
comment on column pgcortex.memories.content_tsv is 'Full-text vector of the content (english), for hybrid search.';
comment on column pgcortex.memories.memory_type is 'One of pgcortex.memory_types.';
comment on column pgcortex.memories.importance is '1 trivial, 2 low, 3 medium, 4 high, 5 critical.';
comment on column pgcortex.memories.confidence is 'How sure the agent is, 0..1.';
comment on column pgcortex.memories.tags is 'Free tags, at most 64.';
comment on column pgcortex.memories.metadata is 'Any JSON object.';
comment on column pgcortex.memories.embedding is '384-d embedding of the content (null for text-only memories).';
comment on column pgcortex.memories.embedding_model is 'Name of the model that made the embedding.';
comment on column pgcortex.memories.expires_at is 'After this time the memory is invisible to every read and purged by maintenance.';

create index memories_embedding_hnsw_idx on pgcortex.memories
using hnsw (embedding public.vector_cosine_ops) with (m = 16, ef_construction = 64);
create index memories_tags_gin_idx on pgcortex.memories using gin (tags);
create index memories_metadata_gin_idx on pgcortex.memories using gin (metadata jsonb_path_ops);
create index memories_content_tsv_gin_idx on pgcortex.memories using gin (content_tsv);
create index memories_namespace_type_importance_idx on pgcortex.memories
(namespace, memory_type, importance);
create index memories_namespace_created_at_idx on pgcortex.memories (namespace, created_at);
create index memories_namespace_expires_at_idx on pgcortex.memories (namespace, expires_at)
where expires_at is not null;

-- Access tracking lives beside the memory, in a narrow table with no index on
-- the columns reads update, so tracking never rewrites a memory row or any of
-- its indexes (HNSW included) and its own updates stay HOT.
create table pgcortex.memory_access (
    namespace pgcortex.namespace_name not null,
    memory_id uuid not null,
    access_count bigint not null default 0,
    last_accessed timestamptz not null default now(),
    constraint memory_access_pkey primary key (namespace, memory_id),
    constraint memory_access_memory_fkey foreign key (namespace, memory_id)
    references pgcortex.memories (namespace, id) on delete cascade,
    constraint memory_access_access_count_check check (access_count >= 0)
) with (fillfactor = 70);

comment on table pgcortex.memory_access is
'Access tracking of memories (last_accessed, access_count), kept apart from pgcortex.memories so that reads never rewrite a memory row or its index entries.';

create table pgcortex.memory_links (
    namespace pgcortex.namespace_name not null,
    source_id uuid not null,
    target_id uuid not null,
    relation text not null default 'related',
    weight real not null default 1.0,
    created_at timestamptz not null default now(),
    constraint memory_links_pkey primary key (namespace, source_id, target_id, relation),
    constraint memory_links_source_fkey foreign key (namespace, source_id)
    references pgcortex.memories (namespace, id) on delete cascade,
    constraint memory_links_target_fkey foreign key (namespace, target_id)
    references pgcortex.memories (namespace, id) on delete cascade,
    constraint memory_links_relation_check check (relation ~ '^[a-z][a-z0-9_]{0,62}$'),
    constraint memory_links_weight_check check (weight between 0 and 1),
    constraint memory_links_not_self_check check (source_id <> target_id)
);

comment on table pgcortex.memory_links is
'Directed, typed, weighted relations between two memories of one namespace (the original memory module''s related_memories, with integrity).';

create index memory_links_target_idx on pgcortex.memory_links (namespace, target_id);

-- Knowledge clusters ----------------------------------------------------------

create table pgcortex.knowledge_clusters (
    id uuid not null default pgcortex.new_id(),
    namespace pgcortex.namespace_name not null default 'default',
    name text not null,
    description text,
    cluster_key text,
    confidence real not null default 1.0,
    importance_score real not null default 1.0,
    topics text[] not null default '{}',
    centroid public.vector(384),
    centroid_model text,
    member_count integer not null default 0,
    created_at timestamptz not null default now(),
    last_updated timestamptz not null default now(),
    constraint knowledge_clusters_pkey primary key (namespace, id),
    constraint knowledge_clusters_namespace_name_key unique (namespace, name),
    constraint knowledge_clusters_name_check check (length(name) between 1 and 255),
    constraint knowledge_clusters_confidence_check check (confidence between 0 and 1),
    constraint knowledge_clusters_importance_score_check check (importance_score between 0 and 5),
    constraint knowledge_clusters_member_count_check check (member_count >= 0),
    constraint knowledge_clusters_centroid_model_check check (
        (centroid is null) = (centroid_model is null)
    )
);

comment on table pgcortex.knowledge_clusters is
'Groups of related memories: by embedding centroid, or by the original memory module''s key (type and tags) for memories without an embedding.';
comment on column pgcortex.knowledge_clusters.cluster_key is
'For clusters of memories without embeddings: the original memory module''s key, memory type and sorted tags.';
comment on column pgcortex.knowledge_clusters.importance_score is
'0..5; see pgcortex.maint_recluster for the formula.';
comment on column pgcortex.knowledge_clusters.centroid is 'Mean of the members'' embeddings (normalised).';

create unique index knowledge_clusters_namespace_cluster_key_key on pgcortex.knowledge_clusters
(namespace, cluster_key) where cluster_key is not null;

create table pgcortex.cluster_members (
    namespace pgcortex.namespace_name not null,
    cluster_id uuid not null,
    memory_id uuid not null,
    similarity real,
    joined_at timestamptz not null default now(),
    constraint cluster_members_pkey primary key (namespace, cluster_id, memory_id),
    constraint cluster_members_cluster_fkey foreign key (namespace, cluster_id)
    references pgcortex.knowledge_clusters (namespace, id) on delete cascade,
    constraint cluster_members_memory_fkey foreign key (namespace, memory_id)
    references pgcortex.memories (namespace, id) on delete cascade
);

comment on table pgcortex.cluster_members is
'Which memory belongs to which knowledge cluster (the original memory module''s knowledge_clusters.memories array, with integrity).';

create index cluster_members_memory_idx on pgcortex.cluster_members (namespace, memory_id);

-- Learning patterns -----------------------------------------------------------

create table pgcortex.learning_patterns (
    pattern_id uuid not null default pgcortex.new_id(),
    namespace pgcortex.namespace_name not null default 'default',
    pattern_type text not null,
    description text not null,
    frequency integer not null default 1,
    confidence real not null default 0.5,
    examples text[] not null default '{}',
    discovered_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint learning_patterns_pkey primary key (namespace, pattern_id),
    constraint learning_patterns_namespace_type_description_key unique (
        namespace, pattern_type, description
    ),
    constraint learning_patterns_pattern_type_fkey foreign key (pattern_type)
    references pgcortex.pattern_types (name) on update cascade,
    constraint learning_patterns_description_check check (length(description) between 1 and 1000),
    constraint learning_patterns_frequency_check check (frequency >= 1),
    constraint learning_patterns_confidence_check check (confidence between 0 and 1),
    constraint learning_patterns_examples_check check (cardinality(examples) <= 10)
);

comment on table pgcortex.learning_patterns is
'Patterns learned about the user (recurring topics, workflows, decision habits) with how often they were seen and a few recent examples.';

-- User preferences ------------------------------------------------------------

create table pgcortex.user_preferences (
    namespace pgcortex.namespace_name not null default 'default',
    key text not null,
    value jsonb not null,
    confidence real not null default 1.0,
    source text not null default 'conversation',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint user_preferences_pkey primary key (namespace, key),
    constraint user_preferences_key_check check (length(key) between 1 and 255),
    constraint user_preferences_confidence_check check (confidence between 0 and 1),
    constraint user_preferences_source_check check (length(source) between 1 and 255)
);

comment on table pgcortex.user_preferences is
'What the user prefers: one JSON value per key in a namespace, with the confidence and source of the value held.';

-- Conversation sessions and turns ------------------------------------------------

create table pgcortex.conversation_sessions (
    session_id uuid not null default pgcortex.new_id(),
    namespace pgcortex.namespace_name not null default 'default',
    started_at timestamptz not null default now(),
    ended_at timestamptz,
    message_count integer not null default 0,
    topics text[] not null default '{}',
    summary text,
    importance real not null default 0.5,
    metadata jsonb not null default '{}',
    duration_seconds integer generated always as (
        extract(epoch from (ended_at - started_at))::integer
    ) stored,
    constraint conversation_sessions_pkey primary key (namespace, session_id),
    constraint conversation_sessions_ended_at_check check (ended_at is null or ended_at >= started_at),
    constraint conversation_sessions_message_count_check check (message_count >= 0),
    constraint conversation_sessions_importance_check check (importance between 0 and 1),
    constraint conversation_sessions_metadata_check check (jsonb_typeof(metadata) = 'object')
);

comment on table pgcortex.conversation_sessions is
'A conversation: when it started and ended, how many turns it had, its topics and summary.';
comment on column pgcortex.conversation_sessions.duration_seconds is
'Generated: whole seconds from started_at to ended_at (null while the session is open).';

create index conversation_sessions_started_at_idx on pgcortex.conversation_sessions
(namespace, started_at);

create table pgcortex.conversation_turns (
    turn_id bigint generated always as identity,
    namespace pgcortex.namespace_name not null default 'default',
    session_id uuid,
    role text not null,
    content text not null,
    content_tsv tsvector generated always as (to_tsvector('english'::regconfig, content)) stored,
    context jsonb not null default '{}',
    memory_id uuid,
    created_at timestamptz not null default now(),
    constraint conversation_turns_pkey primary key (turn_id),
    constraint conversation_turns_session_fkey foreign key (namespace, session_id)
    references pgcortex.conversation_sessions (namespace, session_id) on delete cascade,
    constraint conversation_turns_memory_fkey foreign key (namespace, memory_id)
    references pgcortex.memories (namespace, id) on delete set null (memory_id),
    constraint conversation_turns_role_check check (role in ('user', 'assistant', 'system', 'tool')),
    constraint conversation_turns_content_check check (length(content) between 1 and 100000),
    constraint conversation_turns_context_check check (jsonb_typeof(context) = 'object')
);

comment on table pgcortex.conversation_turns is
'Every turn of every conversation (the original memory module kept only the last 50 in process memory).';
comment on column pgcortex.conversation_turns.memory_id is
'The conversation memory this turn became, if it was substantial enough.';

create index conversation_turns_namespace_created_idx on pgcortex.conversation_turns
(namespace, created_at, turn_id);
create index conversation_turns_session_idx on pgcortex.conversation_turns
(namespace, session_id, turn_id);
create index conversation_turns_memory_idx on pgcortex.conversation_turns (namespace, memory_id)
where memory_id is not null;
