-- name: 015_checks
-- Input checks shared by every area, one function per rule, each raising its
-- own SQLSTATE (tags, metadata, embedding dimensions, embedding values, the
-- namespace's embedding model). Internal: the API functions call them.
-- Re-applied on every deploy.
-- Parameters are referenced as function_name.param (the house rule), which
-- the linter's RF01 would take for unknown tables.
-- noqa: disable=RF01

-- name: tags_problem
-- What is wrong with a list of tags, or null when it is acceptable.
create or replace function pgcortex_internal.tags_problem(tags text[])
returns text
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
begin atomic
    select
        case
            when tags_problem.tags is null then null
            when pg_catalog.array_ndims(tags_problem.tags) > 1 then 'tags must be a flat list'
            when exists (
                    select from pg_catalog.unnest(tags_problem.tags) as t (x)
                    where t.x is null
                )
                then 'a tag is null'
            when exists (
                    select from pg_catalog.unnest(tags_problem.tags) as t (x)
                    where pg_catalog.btrim(t.x) = ''
                ) then 'a tag is empty'
            when exists (
                    select from pg_catalog.unnest(tags_problem.tags) as t (x)
                    where pg_catalog.length(pg_catalog.btrim(t.x)) > 100
                ) then 'a tag is longer than 100 characters'
            when exists (
                    select from pg_catalog.unnest(tags_problem.tags) as t (x)
                    where t.x ~ '[[:cntrl:]]'
                ) then 'a tag has control characters'
            when (
                select count(distinct pg_catalog.btrim(t.x))
                from pg_catalog.unnest(tags_problem.tags) as t (x)
            ) > 64 then 'more than 64 tags'
        end;
end;

comment on function pgcortex_internal.tags_problem(text[]) is
'Null when the tags are acceptable (at most 64 distinct, each 1..100 characters after trimming, no control characters), else what is wrong.';

-- name: normalize_tags
-- Tags as stored: trimmed, distinct, sorted.
create or replace function pgcortex_internal.normalize_tags(tags text[])
returns text[]
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
begin atomic
    select
        coalesce(
            pg_catalog.array_agg(distinct pg_catalog.btrim(t.x) order by pg_catalog.btrim(t.x)),
            '{}'::text[]
        )
    from pg_catalog.unnest(normalize_tags.tags) as t (x)
    where t.x is not null;
end;

comment on function pgcortex_internal.normalize_tags(text[]) is
'Tags as stored: trimmed, distinct, sorted, nulls dropped (an empty list for null).';

-- name: metadata_problem
-- What is wrong with a metadata value, or null when it is acceptable.
create or replace function pgcortex_internal.metadata_problem(metadata jsonb)
returns text
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
begin atomic
    select
        case
            when metadata_problem.metadata is null then null
            when pg_catalog.jsonb_typeof(metadata_problem.metadata) = 'null' then null
            when pg_catalog.jsonb_typeof(metadata_problem.metadata) <> 'object'
                then 'metadata must be a JSON object, not '
                    || pg_catalog.jsonb_typeof(metadata_problem.metadata)
            when pg_catalog.jsonb_path_exists(metadata_problem.metadata, 'strict $.**{17}')
                then 'metadata is nested more than 16 levels deep'
            when pg_catalog.octet_length(metadata_problem.metadata::text) > 100000
                then 'metadata is larger than 100000 bytes'
        end;
end;

comment on function pgcortex_internal.metadata_problem(jsonb) is
'Null when the metadata is acceptable (a JSON object, at most 16 levels deep, at most 100000 bytes as text), else what is wrong.';

-- name: check_tags
-- Raises PC024 when pgcortex_internal.tags_problem finds something wrong; returns the tags.
create or replace function pgcortex_internal.check_tags(tags text[], label text default null)
returns text[]
language plpgsql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    _problem text := pgcortex_internal.tags_problem(check_tags.tags);
begin
    if _problem is not null then
        raise exception using
            errcode = 'PC024',
            message = coalesce(check_tags.label || ': ', '') || _problem,
            hint = 'at most 64 tags, each 1 to 100 characters, no control characters';
    end if;
    return check_tags.tags;
end
$$;

comment on function pgcortex_internal.check_tags(text[], text) is
'Returns the tags when pgcortex_internal.tags_problem finds nothing wrong; else raises PC024, the message prefixed with label (the argument or item) when given.';

-- name: check_metadata
-- Raises PC023 when pgcortex_internal.metadata_problem finds something wrong; returns the metadata.
create or replace function pgcortex_internal.check_metadata(metadata jsonb, label text default null)
returns jsonb
language plpgsql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    _problem text := pgcortex_internal.metadata_problem(check_metadata.metadata);
begin
    if _problem is not null then
        raise exception using
            errcode = 'PC023',
            message = coalesce(check_metadata.label || ': ', '') || _problem;
    end if;
    return check_metadata.metadata;
end
$$;

comment on function pgcortex_internal.check_metadata(jsonb, text) is
'Returns the metadata when pgcortex_internal.metadata_problem finds nothing wrong; else raises PC023, the message prefixed with label when given.';

-- name: embedding_problem
-- What is wrong with an embedding's values for storage or search, or null. The
-- one rule for every function that accepts a vector (pgcortex_internal.check_embedding
-- raises it); the dimensions are its model's (pgcortex_internal.embedding_vector_problem).
-- pgvector computes cosine distance in single precision: it sums the squares of
-- the components in float4, so a vector whose squared norm is outside the
-- normal float4 range (2^-126 .. 2^128) gives a NaN distance (overflow) or
-- divides by zero (underflow: distance 0 or 2 against anything), and the
-- near-duplicate test would merge unrelated memories into it. The norm is
-- computed here in double precision (public.vector_norm) and must lie in
-- [2^-60, 2^60], i.e. the squared norm in [2^-120, 2^120]: inside the normal
-- float4 range with a margin (64 below, 256 above) for the rounding of the
-- single-precision products and for dot products of two such vectors. The
-- normalised components are then within [-1, 1], so finite. NaN and infinite
-- components never get here: pgvector's input refuses them.
create or replace function pgcortex_internal.embedding_problem(embedding public.vector)
returns text
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
begin atomic
    select
        case
            when embedding_problem.embedding is null then null
            when public.vector_norm(embedding_problem.embedding) = 0 then 'embedding is all zeros'
            when public.vector_norm(embedding_problem.embedding) = 'Infinity'::float8
                then 'embedding has infinite values'
            when
                not public.vector_norm(embedding_problem.embedding)
                between 8.673617379884035e-19::float8 and 1.152921504606847e+18::float8
                then pg_catalog.format(
                        'embedding norm %s is outside 2^-60 .. 2^60: its cosine distance cannot be computed in single precision',
                        pg_catalog.to_char(public.vector_norm(embedding_problem.embedding), '9.999EEEE')
                    )
        end;
end;

comment on function pgcortex_internal.embedding_problem(public.vector) is
'Null when the embedding''s values are acceptable (Euclidean norm computed in double precision within 2^-60 .. 2^60, so single-precision cosine arithmetic neither overflows nor underflows), else what is wrong. The one rule behind pgcortex_internal.check_embedding and every function that accepts a vector.';

-- name: embedding_dimensions_problem
-- The dimension rule (PC010): what is wrong with an embedding's dimensions for
-- a model of these dimensions, or null.
create or replace function pgcortex_internal.embedding_dimensions_problem(
    embedding public.vector,
    dimensions integer
)
returns text
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
begin atomic
    select
        case
            when public.vector_dims(embedding_dimensions_problem.embedding)
                <> embedding_dimensions_problem.dimensions
                then pg_catalog.format(
                        'embedding has %s dimensions; its model has %s',
                        public.vector_dims(embedding_dimensions_problem.embedding),
                        embedding_dimensions_problem.dimensions
                    )
        end;
end;

comment on function pgcortex_internal.embedding_dimensions_problem(public.vector, integer) is
'Null when the embedding has these dimensions (or is null), else what is wrong. The rule of SQLSTATE PC010.';

-- name: halfvec_range_problem
-- The half-precision rule (PC011): a value a halfvec index cannot hold, or null.
create or replace function pgcortex_internal.halfvec_range_problem(embedding public.vector, storage text)
returns text
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
begin atomic
    select
        case
            when halfvec_range_problem.storage = 'halfvec' and exists (
                    select from pg_catalog.unnest(halfvec_range_problem.embedding::real[]) as x (v)
                    where pg_catalog.abs(x.v) > 65504
                ) then 'embedding has a value beyond 65504, the range of its model''s halfvec index'
        end;
end;

comment on function pgcortex_internal.halfvec_range_problem(public.vector, text) is
'Null unless storage is halfvec and a value lies beyond 65504 (what half precision holds), else what is wrong. A rule of SQLSTATE PC011.';

-- name: check_embedding_dimensions
-- Raises PC010 when the embedding breaks the dimension rule; returns it.
create or replace function pgcortex_internal.check_embedding_dimensions(
    embedding public.vector,
    dimensions integer,
    label text default null
)
returns public.vector
language plpgsql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    _problem text := pgcortex_internal.embedding_dimensions_problem(
        check_embedding_dimensions.embedding, check_embedding_dimensions.dimensions
    );
begin
    if _problem is not null then
        raise exception using
            errcode = 'PC010',
            message = coalesce(check_embedding_dimensions.label || ': ', '') || _problem,
            hint = 'embed with the namespace''s model (pgcortex.namespace_embedding_model)';
    end if;
    return check_embedding_dimensions.embedding;
end
$$;

comment on function pgcortex_internal.check_embedding_dimensions(public.vector, integer, text) is
'Returns the embedding when pgcortex_internal.embedding_dimensions_problem finds nothing wrong; else raises PC010, the message prefixed with label (the argument or item it came from) when given.';

-- name: check_embedding
-- Validates an embedding's values for storage or search (PC011): the norm rule
-- of pgcortex_internal.embedding_problem and, for a halfvec model, the range of
-- half precision. Returns the vector. The dimensions are the other rule
-- (pgcortex_internal.check_embedding_dimensions, PC010).
create or replace function pgcortex_internal.check_embedding(
    embedding public.vector,
    label text default null,
    storage text default 'vector'
)
returns public.vector
language plpgsql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    _problem text := coalesce(
        pgcortex_internal.embedding_problem(check_embedding.embedding),
        pgcortex_internal.halfvec_range_problem(check_embedding.embedding, check_embedding.storage)
    );
begin
    if _problem is not null then
        raise exception using
            errcode = 'PC011',
            message = coalesce(check_embedding.label || ': ', '') || _problem,
            hint = 'embeddings have finite values with a norm in 2^-60 .. 2^60; normalise to length 1';
    end if;
    return check_embedding.embedding;
end
$$;

comment on function pgcortex_internal.check_embedding(public.vector, text, text) is
'Returns the embedding if pgcortex_internal.embedding_problem (norm in 2^-60 .. 2^60 computed in double precision) and, for halfvec storage, pgcortex_internal.halfvec_range_problem find nothing wrong; else raises PC011 with a hint, the message prefixed with label when given. NaN and infinite elements are already refused by pgvector''s input (SQLSTATE 22000).';

-- name: memory_type_problem
-- The memory type rule (PC021): what is wrong with a memory type, or null.
create or replace function pgcortex_internal.memory_type_problem(memory_type text)
returns text
language sql
stable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
begin atomic
    select
        case
            when not exists (
                    select from pgcortex.memory_types as t
                    where t.name = memory_type_problem.memory_type
                )
                then pg_catalog.format('unknown memory type %L', memory_type_problem.memory_type)
        end;
end;

comment on function pgcortex_internal.memory_type_problem(text) is
'Null when the memory type is one of pgcortex.memory_types, else what is wrong (a null type is unknown). The rule of SQLSTATE PC021.';

-- name: check_memory_type
-- Raises PC021 when the memory type is not one of pgcortex.memory_types.
create or replace function pgcortex_internal.check_memory_type(memory_type text, label text default null)
returns text
language plpgsql
stable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    _problem text := pgcortex_internal.memory_type_problem(check_memory_type.memory_type);
begin
    if _problem is not null then
        raise exception using
            errcode = 'PC021',
            message = coalesce(check_memory_type.label || ': ', '') || _problem,
            hint = 'the types are listed in pgcortex.memory_types';
    end if;
    return check_memory_type.memory_type;
end
$$;

comment on function pgcortex_internal.check_memory_type(text, text) is
'Returns the memory type when pgcortex_internal.memory_type_problem finds nothing wrong; else raises PC021, the message prefixed with label (the argument or item) when given.';

-- namespace_embedding_model and check_embedding_model: 012_embedding_models.sql.
