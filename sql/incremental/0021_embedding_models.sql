-- name: 0021_embedding_models
-- Any embedding model, any dimension: a registry of models, each with its own
-- HNSW index on pgcortex.memories; each namespace's current model; the vectors
-- a re-embed stages beside the current ones until it switches the namespace.
-- Run-once file: never edit after release; add a new numbered file instead.
--
-- Layout (measured in docs/performance.md, "Embedding models"): the embedding
-- column holds a vector of any dimension, and each registered model has a
-- partial expression index over the rows of that model, the vector cast to the
-- model's dimensions and storage:
--   create index ... using hnsw ((embedding::public.vector(1536)) public.vector_cosine_ops)
--   where embedding_model = 'text-embedding-3-small'
-- A query uses it when it names the same expression and the same predicate
-- with constants (pgcortex.embedding_model_sql builds them).

insert into pgcortex.error_codes (sqlstate, name, meaning) values
(
    'PC013', 'embedding_model_unknown',
    'the embedding model is not registered (pgcortex.register_embedding_model)'
),
(
    'PC014', 'embedding_model_conflict',
    'a model is registered under that name with other dimensions, distance, storage or normalisation, or cannot be dropped while vectors use it'
),
(
    'PC015', 'reembed_incomplete',
    'the namespace cannot switch to the model: memories are not yet embedded with it'
);

update pgcortex.error_codes
set meaning = 'an embedding does not have the dimensions of its model (pgcortex.embedding_models)'
where sqlstate = 'PC010';

update pgcortex.error_codes
set meaning = 'a vector comes from another model than the namespace''s current model (pgcortex.namespace_embedding_model)'
where sqlstate = 'PC012';

-- The registry ---------------------------------------------------------------------

create table pgcortex.embedding_models (
    model_id integer generated always as identity,
    name text not null,
    dimensions integer not null,
    distance text not null default 'cosine',
    storage text not null,
    normalize_vectors boolean not null default false,
    is_default boolean not null default false,
    registered_at timestamptz not null default now(),
    constraint embedding_models_pkey primary key (model_id),
    constraint embedding_models_name_key unique (name),
    constraint embedding_models_name_check check (length(name) between 1 and 200),
    constraint embedding_models_distance_check check (distance in ('cosine', 'l2', 'inner_product')),
    constraint embedding_models_storage_check check (storage in ('vector', 'halfvec')),
    constraint embedding_models_dimensions_check check (
        (storage = 'vector' and dimensions between 1 and 2000)
        or (storage = 'halfvec' and dimensions between 1 and 4000)
    )
);

comment on table pgcortex.embedding_models is
'The embedding models this deployment stores vectors of: dimensions, the distance its HNSW index orders by, the storage of that index (vector: 4-byte floats, up to 2,000 dimensions; halfvec: 2-byte floats, up to 4,000), whether vectors are normalised to length 1 on the way in, and the deployment default (the current model of a namespace that has chosen none). Each model has its own partial HNSW index on pgcortex.memories (pgcortex.embedding_model_index_sql).';
comment on column pgcortex.embedding_models.model_id is 'Stable id: names the model''s index (memories_embedding_m<model_id>_hnsw_idx).';
comment on column pgcortex.embedding_models.name is 'The model name callers pass as embedding_model, 1 to 200 characters.';
comment on column pgcortex.embedding_models.dimensions is 'Dimensions of every vector of the model.';
comment on column pgcortex.embedding_models.distance is
'cosine, l2 or inner_product: the operator the model''s HNSW index orders candidates by. Scores, near-duplicate and cluster similarities are cosine similarities whatever the distance.';
comment on column pgcortex.embedding_models.storage is
'vector (4-byte floats, up to 2,000 dimensions) or halfvec (2-byte floats, up to 4,000): the type of the model''s HNSW index. The column keeps the full-precision vector either way.';
comment on column pgcortex.embedding_models.normalize_vectors is 'Whether vectors of the model are scaled to length 1 when stored and searched.';
comment on column pgcortex.embedding_models.is_default is
'The deployment default: the current model of every namespace that has not chosen one and holds no embeddings.';

create unique index embedding_models_default_key on pgcortex.embedding_models (is_default)
where is_default;

comment on index pgcortex.embedding_models_default_key is 'At most one deployment default model.';

insert into pgcortex.embedding_models (name, dimensions, distance, storage, is_default)
values ('all-MiniLM-L6-v2', 384, 'cosine', 'vector', true);

-- Models already used by stored memories and clusters: the 384-d vectors of
-- the previous schema, cosine.
insert into pgcortex.embedding_models (name, dimensions, distance, storage)
select distinct x.model, 384, 'cosine', 'vector'
from (
    select m.embedding_model as model from pgcortex.memories as m where m.embedding_model is not null
    union
    select c.centroid_model from pgcortex.knowledge_clusters as c where c.centroid_model is not null
) as x
where x.model <> 'all-MiniLM-L6-v2'
order by x.model;

-- Each namespace's current model ----------------------------------------------------

create table pgcortex.namespace_embedding_models (
    namespace pgcortex.namespace_name not null,
    embedding_model text not null,
    previous_model text,
    switched_at timestamptz not null default now(),
    constraint namespace_embedding_models_pkey primary key (namespace),
    constraint namespace_embedding_models_model_fkey foreign key (embedding_model)
    references pgcortex.embedding_models (name),
    constraint namespace_embedding_models_previous_fkey foreign key (previous_model)
    references pgcortex.embedding_models (name)
);

comment on table pgcortex.namespace_embedding_models is
'The current embedding model of a namespace: set by its first stored embedding, by pgcortex.set_namespace_embedding_model, or by a re-embed''s switch (pgcortex.reembed_switch). A namespace without a row uses the deployment default. Stores and searches with another model are refused (PC012).';
comment on column pgcortex.namespace_embedding_models.previous_model is
'The model the last switch left; its vectors stay in pgcortex.memory_embeddings until pgcortex.maint_drop_old_embeddings.';

insert into pgcortex.namespace_embedding_models (namespace, embedding_model)
select distinct on (m.namespace) m.namespace, m.embedding_model
from pgcortex.memories as m
where m.embedding_model is not null
order by m.namespace, m.embedding_model;

-- Vectors beside the current ones ---------------------------------------------------

create table pgcortex.memory_embeddings (
    namespace pgcortex.namespace_name not null,
    memory_id uuid not null,
    embedding_model text not null,
    content_hash bytea not null,
    embedding public.vector not null,
    stored_at timestamptz not null default now(),
    constraint memory_embeddings_pkey primary key (namespace, embedding_model, memory_id),
    constraint memory_embeddings_memory_fkey foreign key (namespace, memory_id)
    references pgcortex.memories (namespace, id) on delete cascade,
    constraint memory_embeddings_model_fkey foreign key (embedding_model)
    references pgcortex.embedding_models (name)
);

comment on table pgcortex.memory_embeddings is
'Embeddings of memories by a model other than the namespace''s current one: staged by a re-embed (pgcortex.reembed_stage) until the switch moves them into pgcortex.memories, and the previous model''s after the switch until pgcortex.maint_drop_old_embeddings. content_hash is the content the vector was made from: a memory whose content changed since is embedded again.';

create index memory_embeddings_memory_idx on pgcortex.memory_embeddings (namespace, memory_id);

-- The embedding column: any dimension, one index per model ---------------------------

-- Views over the column are re-created by the deploy's re-runnable files.
drop view if exists pgcortex.memories_v cascade;
drop index pgcortex.memories_embedding_hnsw_idx;
-- The per-search model check read this index; the per-model indexes replace it.
drop index pgcortex.memories_namespace_embedding_model_idx;
alter table pgcortex.memories alter column embedding type public.vector;
alter table pgcortex.knowledge_clusters alter column centroid type public.vector;
-- main, not plain: a 3,072-d vector is 12 kB, more than a page, so it must be
-- able to leave the row. main keeps it inline while the row fits a page (a
-- 384-d or 1,536-d vector stays beside its row as before; the content and
-- full-text vector leave first) and moves it out only when it cannot fit.
alter table pgcortex.memories alter column embedding set storage main;

comment on column pgcortex.memories.embedding is
'Embedding of the content by the model embedding_model, of that model''s dimensions (null for text-only memories).';
comment on column pgcortex.memories.embedding_model is
'The registered model (pgcortex.embedding_models) that made the embedding.';
comment on column pgcortex.knowledge_clusters.centroid is
'Mean of the members'' embeddings of the model centroid_model (normalised).';

alter table pgcortex.memories
add constraint memories_embedding_model_fkey foreign key (embedding_model)
references pgcortex.embedding_models (name);
alter table pgcortex.knowledge_clusters
add constraint knowledge_clusters_centroid_model_fkey foreign key (centroid_model)
references pgcortex.embedding_models (name);

-- The index of every model registered above (a deploy on a live database
-- builds them here; pgcortex register-model builds new ones concurrently).
do $indexes$
declare
    _m record;
begin
    for _m in select e.model_id, e.name from pgcortex.embedding_models as e order by e.model_id loop
        execute pg_catalog.format(
            'create index %I on pgcortex.memories using hnsw '
            '((embedding::public.vector(384)) public.vector_cosine_ops) '
            'with (m = 16, ef_construction = 128) where embedding_model = %L',
            'memories_embedding_m' || _m.model_id || '_hnsw_idx', _m.name
        );
    end loop;
end
$indexes$;
