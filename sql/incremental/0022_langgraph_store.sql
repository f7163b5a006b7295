-- name: 0022_langgraph_store
-- A key-value store of JSON items for agent frameworks (the LangGraph store):
-- an item is addressed by its path (a namespace tuple such as
-- {users,alice,memories}, inside the tenant namespace of the connection) and
-- its key. Values keep their exact JSON text; a jsonb copy serves the value
-- filters and the full-text index. Items may expire (ttl in minutes,
-- fractional; refreshed on read when asked).
-- Run-once file: never edit after release; add a new numbered file instead.

create table pgcortex.store_items (
    namespace pgcortex.namespace_name not null,
    path text[] not null,
    key text not null,
    value json not null,
    value_jsonb jsonb not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    ttl_minutes double precision,
    expires_at timestamptz,
    value_tsv tsvector generated always as (
        jsonb_to_tsvector('english'::regconfig, value_jsonb, '["string"]')
    ) stored,
    constraint store_items_pkey primary key (namespace, path, key),
    constraint store_items_path_check check (
        cardinality(path) between 1 and 64
        and array_position(path, null) is null
        and array_position(path, '') is null
    ),
    constraint store_items_key_check check (length(key) <= 1000),
    constraint store_items_size_check check (octet_length(array_to_string(path, '/')) + octet_length(key) <= 2000),
    constraint store_items_value_check check (jsonb_typeof(value_jsonb) = 'object'),
    constraint store_items_ttl_check check (
        (ttl_minutes is null and expires_at is null)
        or (ttl_minutes > 0 and ttl_minutes <= 5256000 and expires_at is not null)
    )
);

comment on table pgcortex.store_items is
'Items of the key-value store for agent frameworks (pgcortex.store_put and friends; the LangGraph store): one JSON object per (namespace, path, key). Replaced whole by a put of the same key.';
comment on column pgcortex.store_items.path is
'Where the item lives inside the namespace: the framework''s namespace tuple, e.g. {users,alice,memories}. Searched by prefix, listed by prefix and suffix.';
comment on column pgcortex.store_items.key is 'The item''s key, unique within its path.';
comment on column pgcortex.store_items.value is 'The item''s value: a JSON object, its text exactly as it was put.';
comment on column pgcortex.store_items.value_jsonb is
'The value as jsonb, for the value filters of pgcortex.store_search (written with value).';
comment on column pgcortex.store_items.ttl_minutes is
'Time to live in minutes (fractional), null for an item that never expires: it expires ttl_minutes after its last write, or its last read when the read refreshes it.';
comment on column pgcortex.store_items.expires_at is
'When the item expires: the sweeper (pgcortex.maint_store_sweep) deletes it after that; reads may omit it before.';
comment on column pgcortex.store_items.value_tsv is
'Full-text form of the value''s string values (english): the text arm of pgcortex.store_search.';
comment on constraint store_items_path_check on pgcortex.store_items is
'A path has 1 to 64 labels, none empty or null.';

create index store_items_updated_idx on pgcortex.store_items (namespace, updated_at desc);
comment on index pgcortex.store_items_updated_idx is
'Items of a namespace newest first: the order of pgcortex.store_search without a query.';

create index store_items_expires_idx on pgcortex.store_items (namespace, expires_at)
where expires_at is not null;
comment on index pgcortex.store_items_expires_idx is
'Items that expire, by expiry: the sweeper (pgcortex.maint_store_sweep).';

create index store_items_value_tsv_idx on pgcortex.store_items using gin (value_tsv);
comment on index pgcortex.store_items_value_tsv_idx is
'Full-text search of item values (pgcortex.store_search with a query text).';

create table pgcortex.store_item_vectors (
    namespace pgcortex.namespace_name not null,
    path text[] not null,
    key text not null,
    field text not null,
    embedding_model text not null,
    embedding public.vector not null,
    constraint store_item_vectors_pkey primary key (namespace, path, key, field),
    constraint store_item_vectors_item_fkey foreign key (namespace, path, key)
    references pgcortex.store_items (namespace, path, key) on delete cascade,
    constraint store_item_vectors_model_fkey foreign key (embedding_model)
    references pgcortex.embedding_models (name),
    constraint store_item_vectors_field_check check (length(field) between 1 and 1000)
);

comment on table pgcortex.store_item_vectors is
'The vectors of the store items (pgcortex.store_put): one per indexed field of an item''s value, all of the store''s embedding model. Each model has its own partial HNSW index over the vectors of that model, the vector cast to the model''s dimensions and storage (pgcortex.store_embedding_model creates it). Replaced with the item, deleted with it.';
comment on column pgcortex.store_item_vectors.field is
'The part of the value the vector was made from: a field path such as text or meta.title ($ for the whole value), with .0, .1, ... when the path matched several texts.';
comment on column pgcortex.store_item_vectors.embedding_model is 'The model of the vector.';
comment on column pgcortex.store_item_vectors.embedding is
'The vector, any dimension (the model''s); its index casts it to the model''s dimensions and storage.';

alter table pgcortex.store_item_vectors alter column embedding set storage main;
