-- name: 050_import
-- Import and restore: batches of rows from a SQLite memory store or from a
-- pgcortex export (JSON lines) written with their own times and counts. Every
-- function takes one batch (a jsonb array of row objects, each with its
-- legacy_id, the id or key it had in the source), checks every row first, writes
-- the good ones in one go and returns one result row per input row:
-- imported (a new row), present (imported before: pgcortex.import_ids knows it),
-- merged (folded into a row that was already there) or skipped (with the reason).
-- With strict => true a bad row raises PC003 naming it, and nothing is written.
-- Re-applied on every deploy.
-- Parameters are referenced as function_name.param (the house rule), which
-- the linter's RF01 would take for unknown tables.
-- noqa: disable=RF01

-- name: import_check_batch
-- Raises PC003 unless source names a source and items is a JSON array.
create or replace function pgcortex_internal.import_check_batch(source text, items jsonb)
returns void
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    if import_check_batch.source is null
        or pg_catalog.length(import_check_batch.source) not between 1 and 200 then
        raise exception using
            errcode = 'PC003', message = 'source must have 1 to 200 characters';
    end if;
    if import_check_batch.items is null
        or pg_catalog.jsonb_typeof(import_check_batch.items) <> 'array' then
        raise exception using
            errcode = 'PC003', message = 'items must be a JSON array of row objects';
    end if;
end
$$;

comment on function pgcortex_internal.import_check_batch(text, jsonb) is
'Argument check shared by the import functions: PC003 unless source has 1 to 200 characters and items is a JSON array.';

-- name: import_settle
-- The checked rows of an import batch (its work table: o, legacy_id, reason,
-- outcome): in strict mode the first bad row raises PC003 naming it; else the
-- bad rows become skipped.
drop function if exists pgcortex_internal.import_strict_check(boolean, text, text, text);
create or replace function pgcortex_internal.import_settle(
    work regclass, strict boolean, legacy_table text
)
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    _bad record;
begin
    execute pg_catalog.format(
        'select r.legacy_id, r.reason from %s as r where r.reason is not null order by r.o limit 1',
        import_settle.work
    ) into _bad;
    if import_settle.strict and _bad.reason is not null then
        raise exception using
            errcode = 'PC003',
            message = pg_catalog.format(
                '%s row %s: %s', import_settle.legacy_table,
                coalesce(pg_catalog.quote_literal(_bad.legacy_id), '(no id)'),
                _bad.reason
            ),
            hint = 'fix the row or import without strict to skip it';
    end if;
    execute pg_catalog.format(
        'update %s as r set outcome = ''skipped'' where r.reason is not null', import_settle.work
    );
end
$$;

comment on function pgcortex_internal.import_settle(regclass, boolean, text) is
'Internal helper of the import functions, over a batch''s work table (o, legacy_id, reason, outcome): with strict, raises PC003 "<legacy_table> row <id>: <reason>" for the first row with a reason; else marks every row with a reason skipped.';

-- name: import_vector
-- The embedding of an import row: a vector text ('[1,2,...]'), a JSON array of
-- numbers, or null; null as well for anything else (the caller reports it).
create or replace function pgcortex_internal.import_vector(embedding jsonb)
returns public.vector
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
return case
    when pg_catalog.jsonb_typeof(import_vector.embedding) = 'array'
        and pg_catalog.jsonb_array_length(import_vector.embedding) between 1 and 16000
        and import_vector.embedding::text ~ '^\[\s*-?[0-9.]+([eE][-+]?[0-9]+)?(\s*,\s*-?[0-9.]+([eE][-+]?[0-9]+)?)*\s*\]$'
        then import_vector.embedding::text::public.vector
    when pg_catalog.jsonb_typeof(import_vector.embedding) = 'string'
        and (import_vector.embedding #>> '{}')
        ~ '^\[\s*-?[0-9.]+([eE][-+]?[0-9]+)?(\s*,\s*-?[0-9.]+([eE][-+]?[0-9]+)?)*\s*\]$'
        then (import_vector.embedding #>> '{}')::public.vector
end;

comment on function pgcortex_internal.import_vector(jsonb) is
'Reads the embedding of an import row: a vector as text (''[1,2,3]'', as an export writes it) or a JSON array of numbers; null for null or anything else.';

-- name: import_text_array
-- A JSON array as text[] (numbers and booleans as their text); null otherwise.
create or replace function pgcortex_internal.import_text_array(value jsonb)
returns text[]
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
return case
    when pg_catalog.jsonb_typeof(import_text_array.value) = 'array'
        then array(
                select e.x
                from pg_catalog.jsonb_array_elements_text(import_text_array.value) with ordinality as e (x, o)
                order by e.o
            )
end;

comment on function pgcortex_internal.import_text_array(jsonb) is
'A JSON array of an import row as text[] (numbers and booleans as text, nulls kept); null when the value is not an array.';

-- name: import_resolve
-- The id in this database of a row imported from source: its pgcortex.import_ids entry.
create or replace function pgcortex_internal.import_resolve(source text, legacy_table text, legacy_id text)
returns text
language plpgsql
stable
security definer  -- reads import_ids: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
begin
    -- plpgsql, not begin atomic: this file is also applied at releases that
    -- predate pgcortex.import_ids (0014), where nothing calls it.
    return (
        select i.new_id
        from pgcortex.import_ids as i
        where
            i.namespace = (select pgcortex.current_namespace())
            and i.source = import_resolve.source
            and i.legacy_table = import_resolve.legacy_table
            and i.legacy_id = import_resolve.legacy_id
    );
end
$$;

comment on function pgcortex_internal.import_resolve(text, text, text) is
'The id (as text) that the row legacy_id of legacy_table of source became in the current namespace, or null when it was not imported.';

-- name: import_register_types
-- Adds the memory or pattern types an import needs that this database lacks.
create or replace function pgcortex.import_register_types(kind text, names text[])
returns table (name text, registered boolean)
language plpgsql
volatile
security definer  -- inserts into memory_types, pattern_types: read-only to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
    -- The types are shared by every namespace: only a login that may use the
    -- current namespace registers any (PC001 / PC051 otherwise).
    perform pgcortex.current_namespace();
    if import_register_types.kind not in ('memory', 'pattern') then
        raise exception using errcode = 'PC003', message = 'kind must be memory or pattern';
    end if;
    if import_register_types.kind = 'memory' then
        return query
        with wanted as (
            select distinct n.x as name
            from pg_catalog.unnest(import_register_types.names) as n (x)
            where n.x ~ '^[a-z][a-z0-9_]{0,62}$'
        ),
        added as (
            insert into pgcortex.memory_types as t (name, description)
            select w.name, 'imported memory type'
            from wanted as w
            order by w.name
            on conflict on constraint memory_types_pkey do nothing
            returning t.name
        )
        select w.name, exists (select from added as a where a.name = w.name)
        from wanted as w
        order by w.name;
    else
        return query
        with wanted as (
            select distinct n.x as name
            from pg_catalog.unnest(import_register_types.names) as n (x)
            where n.x ~ '^[a-z][a-z0-9_]{0,62}$'
        ),
        added as (
            insert into pgcortex.pattern_types as t (name, description)
            select w.name, 'imported pattern type'
            from wanted as w
            order by w.name
            on conflict on constraint pattern_types_pkey do nothing
            returning t.name
        )
        select w.name, exists (select from added as a where a.name = w.name)
        from wanted as w
        order by w.name;
    end if;
end
$$;

comment on function pgcortex.import_register_types(text, text[]) is
'Registers the given memory (kind => ''memory'') or pattern (kind => ''pattern'') types that are missing, with the description "imported ... type"; returns each valid name and whether it was added. Names that are not lowercase identifiers are left out (the import reports their rows).';

-- name: import_memories
-- Imports a batch of memories with their own times and access counts.
create or replace function pgcortex.import_memories(
    source text,
    items jsonb,
    near_dedup boolean default false,
    near_duplicate_threshold real default 0.95,
    cluster boolean default true,
    strict boolean default false,
    as_of timestamptz default now()
)
returns table (legacy_id text, outcome text, new_id text, reason text)
language plpgsql
volatile
security definer  -- writes memories, import_ids, memory_access: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    -- The namespace's model once it has one (not the deployment default: the
    -- first embedding imported into an empty namespace chooses it).
    _model text := (
        select n.embedding_model from pgcortex.namespace_embedding_models as n
        where n.namespace = pgcortex.current_namespace()
    );
begin
    perform pgcortex_internal.import_check_batch(import_memories.source, import_memories.items);
    if import_memories.near_duplicate_threshold is null
        or not (import_memories.near_duplicate_threshold > 0
            and import_memories.near_duplicate_threshold <= 1) then
        raise exception using errcode = 'PC004', message = 'near_duplicate_threshold must be in (0, 1]';
    end if;

    if pg_catalog.to_regclass('pg_temp.pgcortex_import_memories') is not null then
        drop table pg_temp.pgcortex_import_memories;
    end if;
    create temp table pgcortex_import_memories on commit drop as
    select
        r.o::integer as o,
        nullif(r.x ->> 'legacy_id', '') as legacy_id,
        case when (r.x ->> 'id') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
            then (r.x ->> 'id')::uuid end as id,
        r.x ->> 'content' as content,
        r.x ->> 'memory_type' as memory_type,
        case when pg_catalog.jsonb_typeof(r.x -> 'importance') = 'number'
            then (r.x ->> 'importance')::numeric end as importance,
        case when pg_catalog.jsonb_typeof(r.x -> 'confidence') = 'number'
            then (r.x ->> 'confidence')::numeric end as confidence,
        coalesce(pgcortex_internal.import_text_array(r.x -> 'tags'), '{}') as tags,
        coalesce(r.x -> 'metadata', '{}'::jsonb) as metadata,
        pgcortex_internal.import_vector(r.x -> 'embedding') as embedding,
        coalesce(pg_catalog.jsonb_typeof(r.x -> 'embedding'), 'null') <> 'null' as has_embedding,
        nullif(r.x ->> 'embedding_model', '') as embedding_model,
        coalesce((r.x ->> 'created_at')::timestamptz, import_memories.as_of) as created_at,
        (r.x ->> 'updated_at')::timestamptz as updated_at,
        (r.x ->> 'expires_at')::timestamptz as expires_at,
        (r.x ->> 'last_accessed')::timestamptz as last_accessed,
        coalesce((r.x ->> 'access_count')::bigint, 0) as access_count,
        null::bytea as hash,
        null::text as reason,
        null::text as outcome,
        null::uuid as target
    from pg_catalog.jsonb_array_elements(import_memories.items) with ordinality as r (x, o);
    analyze pg_temp.pgcortex_import_memories;

    -- Rows imported before.
    update pg_temp.pgcortex_import_memories as r
    set outcome = 'present', target = i.new_id::uuid
    from pgcortex.import_ids as i
    where
        i.namespace = _ns and i.source = import_memories.source
        and i.legacy_table = 'memories' and i.legacy_id = r.legacy_id;

    _model := coalesce(_model, (
        select r.embedding_model from pg_temp.pgcortex_import_memories as r
        where r.embedding is not null and r.embedding_model is not null and r.outcome is null
        order by r.o limit 1
    ));
    if _model is not null and exists (select from pgcortex.embedding_models as e where e.name = _model) then
        insert into pgcortex.namespace_embedding_models as n (namespace, embedding_model)
        values (_ns, _model)
        on conflict (namespace) do nothing;
    end if;
    update pg_temp.pgcortex_import_memories as r
    set reason = case
        when r.legacy_id is null then 'legacy id is missing'
        when r.content is null or pg_catalog.btrim(r.content, e' \t\r\n\f\v') = '' then 'content is empty'
        when pg_catalog.length(r.content) > 100000 then pg_catalog.format(
            'content has %s characters; at most 100000 are stored', pg_catalog.length(r.content))
        when r.memory_type is null then 'memory type is missing'
        when pgcortex_internal.memory_type_problem(r.memory_type) is not null
            then pgcortex_internal.memory_type_problem(r.memory_type)
        when r.importance is null or r.importance not between 1 and 5
            or r.importance <> pg_catalog.round(r.importance)
            then pg_catalog.format('importance %s is not one of 1..5', coalesce(r.importance::text, 'null'))
        when r.confidence is null or r.confidence not between 0 and 1
            then pg_catalog.format('confidence %s is outside 0..1', coalesce(r.confidence::text, 'null'))
        when pgcortex_internal.tags_problem(r.tags) is not null then pgcortex_internal.tags_problem(r.tags)
        when pgcortex_internal.metadata_problem(r.metadata) is not null then pgcortex_internal.metadata_problem(r.metadata)
        when r.has_embedding and r.embedding is null then 'embedding is not a list of numbers'
        when pgcortex_internal.embedding_problem(r.embedding) is not null then pgcortex_internal.embedding_problem(r.embedding)
        when r.embedding is not null and r.embedding_model is null then 'embedding without its model name'
        when r.embedding is not null and not exists (
            select from pgcortex.embedding_models as e where e.name = r.embedding_model
        ) then pg_catalog.format('embedding model %s is not registered', r.embedding_model)
        when r.embedding is not null and public.vector_dims(r.embedding) <> (
            select e.dimensions from pgcortex.embedding_models as e where e.name = r.embedding_model
        ) then pg_catalog.format(
            'embedding has %s dimensions; model %s has %s', public.vector_dims(r.embedding),
            r.embedding_model,
            (select e.dimensions from pgcortex.embedding_models as e where e.name = r.embedding_model)
        )
        when r.embedding is not null and r.embedding_model <> _model then pg_catalog.format(
            'embedding of model %s; this namespace holds embeddings of %s', r.embedding_model, _model)
        when r.expires_at is not null and r.expires_at <= r.created_at then 'expires_at is not later than created_at'
        when r.access_count < 0 then 'access_count is negative'
        when exists (
            select from pg_temp.pgcortex_import_memories as d
            where d.legacy_id = r.legacy_id and d.o < r.o
        ) then 'legacy id given twice in this batch'
        when r.id is not null and exists (
            select from pg_temp.pgcortex_import_memories as d
            where d.id = r.id and d.o < r.o and d.outcome is null
        ) then pg_catalog.format('id %s given twice in this batch', r.id)
        when r.id is not null and exists (
            select from pgcortex.memories as m
            where m.namespace = _ns and m.id = r.id and m.content_hash <> pgcortex_internal.content_hash(r.content)
        ) then pg_catalog.format('id %s is already used by another memory', r.id)
    end
    where r.outcome is null;

    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_memories'::pg_catalog.regclass, import_memories.strict, 'memories'
    );

    update pg_temp.pgcortex_import_memories as r
    set
        hash = pgcortex_internal.content_hash(r.content),
        tags = pgcortex_internal.normalize_tags(r.tags),
        updated_at = greatest(coalesce(r.updated_at, r.created_at), r.created_at),
        last_accessed = case when r.last_accessed < r.created_at then r.created_at else r.last_accessed end
    where r.outcome is null;
    analyze pg_temp.pgcortex_import_memories;

    -- Exact duplicates of a memory already stored.
    update pg_temp.pgcortex_import_memories as r
    set outcome = 'merged', target = m.id
    from pgcortex.memories as m
    where r.outcome is null and m.namespace = _ns and m.content_hash = r.hash;

    -- Near duplicates (on request): the nearest memory of the same type.
    if import_memories.near_dedup then
        perform pg_catalog.set_config('hnsw.iterative_scan', 'relaxed_order', true);
        update pg_temp.pgcortex_import_memories as r
        set outcome = 'merged', target = nn.id
        from pg_temp.pgcortex_import_memories as s
        cross join lateral (
            select m.id
            from pgcortex.memories as m
            where
                m.namespace = _ns and m.memory_type = s.memory_type and m.embedding is not null
                and m.embedding_model = s.embedding_model
            order by m.embedding operator(public.<=>) s.embedding
            limit 1
        ) as c
        inner join pgcortex.memories as nn on nn.namespace = _ns and nn.id = c.id
        where
            r.o = s.o and r.outcome is null and s.embedding is not null
            and 1 - (nn.embedding operator(public.<=>) s.embedding)
            >= import_memories.near_duplicate_threshold;
    end if;

    -- The first row of each content in the batch is imported; the others merge into it.
    update pg_temp.pgcortex_import_memories as r
    set outcome = 'imported', target = coalesce(
        case when not exists (
            select from pgcortex.memories as m where m.namespace = _ns and m.id = r.id
        ) then r.id end,
        pgcortex_internal.new_id()
    )
    where r.outcome is null and not exists (
        select from pg_temp.pgcortex_import_memories as d
        where d.outcome is null and d.hash = r.hash and d.o < r.o
    );
    update pg_temp.pgcortex_import_memories as r
    set outcome = 'merged', target = f.target
    from pg_temp.pgcortex_import_memories as f
    where r.outcome is null and f.outcome = 'imported' and f.hash = r.hash;

    -- Write. --------------------------------------------------------------------
    if not import_memories.cluster then
        perform pg_catalog.set_config('pgcortex.cluster_on_insert', 'off', true);
    end if;
    perform pgcortex_internal.set_change_context('import', import_memories.as_of);
    insert into pgcortex.memories (
        id, namespace, content, memory_type, importance, confidence, tags, metadata,
        embedding, embedding_model, created_at, updated_at, expires_at
    )
    select
        r.target, _ns, r.content, r.memory_type, r.importance::smallint, r.confidence::real,
        r.tags, r.metadata, r.embedding,
        case when r.embedding is not null then r.embedding_model end,
        r.created_at, r.updated_at, r.expires_at
    from pg_temp.pgcortex_import_memories as r
    where r.outcome = 'imported'
    order by r.hash;

    perform pgcortex_internal.set_change_context('merge', import_memories.as_of);
    with merged as (
        select r.o, r.target, r.importance, r.confidence, r.tags, r.metadata, r.created_at
        from pg_temp.pgcortex_import_memories as r
        where r.outcome = 'merged'
    ),
    per_tag as (
        select g.target, pg_catalog.array_agg(t.x) as tags
        from merged as g, pg_catalog.unnest(g.tags) as t (x)
        group by g.target
    ),
    per_key as (
        select g.target, pg_catalog.jsonb_object_agg(kv.key, kv.value order by g.o) as metadata
        from merged as g, pg_catalog.jsonb_each(g.metadata) as kv
        group by g.target
    ),
    per_target as (
        select
            g.target,
            max(g.importance)::smallint as importance,
            max(g.confidence)::real as confidence,
            pgcortex_internal.normalize_tags(coalesce(min(pt.tags), '{}')) as tags,
            coalesce(min(pk.metadata::text)::jsonb, '{}'::jsonb) as metadata,
            min(g.created_at) as created_at
        from merged as g
        left join per_tag as pt on pt.target = g.target
        left join per_key as pk on pk.target = g.target
        group by g.target
    )
    update pgcortex.memories as m
    set
        importance = greatest(m.importance, p.importance),
        confidence = greatest(m.confidence, p.confidence),
        tags = pgcortex_internal.normalize_tags(m.tags || p.tags),
        metadata = p.metadata || m.metadata,
        created_at = least(m.created_at, p.created_at)
    from per_target as p
    where m.namespace = _ns and m.id = p.target
        and (
            m.importance < p.importance or m.confidence < p.confidence
            or not (m.tags @> p.tags) or not (m.metadata @> p.metadata)
            or m.created_at > p.created_at
        );
    perform pgcortex_internal.set_change_context(null, null);
    perform pg_catalog.set_config('pgcortex.cluster_on_insert', '', true);

    -- Access counts and times: the source's, added up when rows merge.
    insert into pgcortex.memory_access as a (namespace, memory_id, access_count, last_accessed)
    select
        _ns,
        r.target,
        sum(r.access_count),
        max(coalesce(r.last_accessed, r.created_at))
    from pg_temp.pgcortex_import_memories as r
    where
        r.outcome in ('imported', 'merged')
        and (r.access_count > 0 or r.last_accessed <> r.created_at)
    group by r.target
    order by r.target
    on conflict on constraint memory_access_pkey do update
        set
            access_count = a.access_count + excluded.access_count,
            last_accessed = greatest(a.last_accessed, excluded.last_accessed);

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select _ns, import_memories.source, 'memories', r.legacy_id, r.target::text, r.outcome, import_memories.as_of
    from pg_temp.pgcortex_import_memories as r
    where r.outcome in ('imported', 'merged')
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select r.legacy_id, r.outcome, r.target::text, r.reason
    from pg_temp.pgcortex_import_memories as r
    order by r.o;
end
$$;

comment on function pgcortex.import_memories(text, jsonb, boolean, real, boolean, boolean, timestamptz) is
'Imports a batch of memories (jsonb array of {legacy_id, id?, content, memory_type, importance, confidence, tags, metadata, embedding, embedding_model, created_at, updated_at, expires_at, last_accessed, access_count}) keeping their times and access counts. A row imported before from source is present; a content already stored (normalised, as pgcortex.store_memories) or repeated in the batch is merged (importance and confidence the greater, tags and metadata joined, access counts added); near duplicates merge only with near_dedup. cluster => false keeps the memories out of automatic clustering (a restore brings its clusters); with true they are queued for it (pgcortex.cluster_queue) like stored ones. One result row per item: imported, present, merged or skipped with the reason; strict raises PC003 on the first bad row instead.';

-- name: import_links
-- Imports links between imported memories (resolved through pgcortex.import_ids).
create or replace function pgcortex.import_links(
    source text,
    items jsonb,
    strict boolean default false,
    as_of timestamptz default now()
)
returns table (legacy_id text, outcome text, new_id text, reason text)
language plpgsql
volatile
security definer  -- writes memory_links, import_ids: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(import_links.source, import_links.items);
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_links') is not null then
        drop table pg_temp.pgcortex_import_links;
    end if;
    create temp table pgcortex_import_links on commit drop as
    select
        r.o::integer as o,
        coalesce(
            nullif(r.x ->> 'legacy_id', ''),
            (r.x ->> 'source_id') || ' ' || (r.x ->> 'target_id') || ' '
            || coalesce(r.x ->> 'relation', 'related')
        ) as legacy_id,
        r.x ->> 'source_id' as source_legacy,
        r.x ->> 'target_id' as target_legacy,
        coalesce(r.x ->> 'relation', 'related') as relation,
        coalesce((r.x ->> 'weight')::real, 1.0) as weight,
        coalesce((r.x ->> 'created_at')::timestamptz, import_links.as_of) as created_at,
        s.new_id::uuid as source_id,
        t.new_id::uuid as target_id,
        null::text as reason,
        null::text as outcome
    from pg_catalog.jsonb_array_elements(import_links.items) with ordinality as r (x, o)
    left join pgcortex.import_ids as s
        on s.namespace = _ns and s.source = import_links.source
        and s.legacy_table = 'memories' and s.legacy_id = r.x ->> 'source_id'
    left join pgcortex.import_ids as t
        on t.namespace = _ns and t.source = import_links.source
        and t.legacy_table = 'memories' and t.legacy_id = r.x ->> 'target_id';
    analyze pg_temp.pgcortex_import_links;

    update pg_temp.pgcortex_import_links as r
    set outcome = 'present', reason = null
    where exists (
        select from pgcortex.import_ids as i
        where i.namespace = _ns and i.source = import_links.source
            and i.legacy_table = 'memory_links' and i.legacy_id = r.legacy_id
    );
    update pg_temp.pgcortex_import_links as r
    set reason = case
        when r.source_legacy is null or r.target_legacy is null then 'source_id and target_id are required'
        when r.source_id is null then pg_catalog.format('memory %s was not imported', r.source_legacy)
        when r.target_id is null then pg_catalog.format('memory %s was not imported', r.target_legacy)
        when r.relation !~ '^[a-z][a-z0-9_]{0,62}$' then pg_catalog.format('relation %L is not a lowercase name', r.relation)
        when r.weight is null or r.weight not between 0 and 1 then 'weight is outside 0..1'
        when r.source_id = r.target_id then 'both ends became the same memory (merged)'
        when exists (
            select from pg_temp.pgcortex_import_links as d
            where d.legacy_id = r.legacy_id and d.o < r.o
        ) then 'link given twice in this batch'
        when not exists (select from pgcortex.memories as m where m.namespace = _ns and m.id = r.source_id)
            or not exists (select from pgcortex.memories as m where m.namespace = _ns and m.id = r.target_id)
            then 'a linked memory no longer exists'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_links'::pg_catalog.regclass, import_links.strict, 'memory_links'
    );

    update pg_temp.pgcortex_import_links as r
    set outcome = 'merged'
    where r.outcome is null and (
        exists (
            select from pgcortex.memory_links as l
            where l.namespace = _ns and l.source_id = r.source_id
                and l.target_id = r.target_id and l.relation = r.relation
        )
        or exists (
            select from pg_temp.pgcortex_import_links as d
            where d.outcome is null and d.source_id = r.source_id and d.target_id = r.target_id
                and d.relation = r.relation and d.o < r.o
        )
    );
    update pg_temp.pgcortex_import_links as r set outcome = 'imported' where r.outcome is null;

    insert into pgcortex.memory_links (namespace, source_id, target_id, relation, weight, created_at)
    select _ns, r.source_id, r.target_id, r.relation, r.weight, r.created_at
    from pg_temp.pgcortex_import_links as r
    where r.outcome = 'imported'
    on conflict on constraint memory_links_pkey do nothing;

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select
        _ns, import_links.source, 'memory_links', r.legacy_id,
        r.source_id || ' ' || r.target_id || ' ' || r.relation, r.outcome, import_links.as_of
    from pg_temp.pgcortex_import_links as r
    where r.outcome in ('imported', 'merged')
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select
        r.legacy_id, r.outcome,
        case when r.outcome in ('imported', 'merged') then r.source_id || ' ' || r.target_id || ' ' || r.relation end,
        r.reason
    from pg_temp.pgcortex_import_links as r
    order by r.o;
end
$$;

comment on function pgcortex.import_links(text, jsonb, boolean, timestamptz) is
'Imports a batch of memory links ({legacy_id?, source_id, target_id, relation, weight, created_at}; the ids are the memories'' ids in the source, resolved through pgcortex.import_ids). A link whose memory was not imported, or whose ends merged into one memory, is skipped with the reason. One result row per item; strict raises PC003 on the first bad row.';

-- name: import_clusters
-- Imports knowledge clusters (without members: see import_cluster_members).
create or replace function pgcortex.import_clusters(
    source text,
    items jsonb,
    strict boolean default false,
    as_of timestamptz default now()
)
returns table (legacy_id text, outcome text, new_id text, reason text)
language plpgsql
volatile
security definer  -- writes knowledge_clusters, import_ids: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(import_clusters.source, import_clusters.items);
    -- Memories queued for clustering join their automatic clusters before the
    -- import adds to clusters, as when they were clustered on store.
    perform pgcortex_internal.cluster_pending(import_clusters.as_of);
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_clusters') is not null then
        drop table pg_temp.pgcortex_import_clusters;
    end if;
    create temp table pgcortex_import_clusters on commit drop as
    select
        r.o::integer as o,
        nullif(r.x ->> 'legacy_id', '') as legacy_id,
        case when (r.x ->> 'id') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
            then (r.x ->> 'id')::uuid end as id,
        r.x ->> 'name' as name,
        r.x ->> 'description' as description,
        nullif(r.x ->> 'cluster_key', '') as cluster_key,
        coalesce(r.x ->> 'origin', 'explicit') as origin,
        coalesce((r.x ->> 'confidence')::real, 1.0) as confidence,
        coalesce((r.x ->> 'importance_score')::real, 1.0) as importance_score,
        coalesce(pgcortex_internal.import_text_array(r.x -> 'topics'), '{}') as topics,
        pgcortex_internal.import_vector(r.x -> 'centroid') as centroid,
        nullif(r.x ->> 'centroid_model', '') as centroid_model,
        coalesce((r.x ->> 'member_count')::integer, 0) as member_count,
        coalesce((r.x ->> 'created_at')::timestamptz, import_clusters.as_of) as created_at,
        coalesce((r.x ->> 'last_updated')::timestamptz, (r.x ->> 'created_at')::timestamptz, import_clusters.as_of)
            as last_updated,
        null::text as reason,
        null::text as outcome,
        null::uuid as target
    from pg_catalog.jsonb_array_elements(import_clusters.items) with ordinality as r (x, o);
    analyze pg_temp.pgcortex_import_clusters;

    update pg_temp.pgcortex_import_clusters as r
    set outcome = 'present', target = i.new_id::uuid
    from pgcortex.import_ids as i
    where i.namespace = _ns and i.source = import_clusters.source
        and i.legacy_table = 'knowledge_clusters' and i.legacy_id = r.legacy_id;
    update pg_temp.pgcortex_import_clusters as r
    set reason = case
        when r.legacy_id is null then 'legacy id is missing'
        when r.name is null or pg_catalog.length(pg_catalog.btrim(r.name)) = 0
            or pg_catalog.length(r.name) > 255 then 'name must have 1 to 255 characters'
        when r.origin not in ('auto', 'explicit') then pg_catalog.format('origin %L is not auto or explicit', r.origin)
        when r.confidence not between 0 and 1 then 'confidence is outside 0..1'
        when r.importance_score not between 0 and 5 then 'importance_score is outside 0..5'
        when pgcortex_internal.tags_problem(r.topics) is not null then 'topics: ' || pgcortex_internal.tags_problem(r.topics)
        when (r.centroid is null) <> (r.centroid_model is null) then 'centroid and centroid_model go together'
        when exists (
            select from pg_temp.pgcortex_import_clusters as d
            where (d.legacy_id = r.legacy_id or d.name = r.name) and d.o < r.o
        ) then 'cluster given twice in this batch'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_clusters'::pg_catalog.regclass, import_clusters.strict, 'knowledge_clusters'
    );

    -- A cluster of that name (or key) is there already: the import joins it.
    update pg_temp.pgcortex_import_clusters as r
    set outcome = 'merged', target = c.id
    from pgcortex.knowledge_clusters as c
    where r.outcome is null and c.namespace = _ns
        and (c.name = r.name or c.cluster_key = r.cluster_key);
    update pg_temp.pgcortex_import_clusters as r
    set outcome = 'imported', target = coalesce(
        case when not exists (
            select from pgcortex.knowledge_clusters as c where c.namespace = _ns and c.id = r.id
        ) then r.id end,
        pgcortex_internal.new_id()
    )
    where r.outcome is null;

    insert into pgcortex.knowledge_clusters (
        id, namespace, name, description, cluster_key, origin, confidence, importance_score,
        topics, centroid, centroid_model, member_count, created_at, last_updated
    )
    select
        r.target, _ns, r.name, r.description, r.cluster_key, r.origin, r.confidence,
        r.importance_score, pgcortex_internal.normalize_tags(r.topics), r.centroid, r.centroid_model,
        0, r.created_at, r.last_updated
    from pg_temp.pgcortex_import_clusters as r
    where r.outcome = 'imported';

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select _ns, import_clusters.source, 'knowledge_clusters', r.legacy_id, r.target::text, r.outcome, import_clusters.as_of
    from pg_temp.pgcortex_import_clusters as r
    where r.outcome in ('imported', 'merged')
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select r.legacy_id, r.outcome, r.target::text, r.reason
    from pg_temp.pgcortex_import_clusters as r order by r.o;
end
$$;

comment on function pgcortex.import_clusters(text, jsonb, boolean, timestamptz) is
'Imports a batch of knowledge clusters ({legacy_id, id?, name, description, cluster_key, origin (default explicit), confidence, importance_score, topics, centroid, centroid_model, created_at, last_updated}) keeping their times; members come with pgcortex.import_cluster_members. A cluster whose name (or key) exists already is merged: the members join it. Clusters the queued memories first (pgcortex_internal.cluster_pending). One result row per item; strict raises PC003 on the first bad row.';

-- name: import_cluster_members
-- Imports cluster memberships (cluster and memory resolved through pgcortex.import_ids).
create or replace function pgcortex.import_cluster_members(
    source text,
    items jsonb,
    strict boolean default false,
    as_of timestamptz default now()
)
returns table (legacy_id text, outcome text, new_id text, reason text)
language plpgsql
volatile
security definer  -- writes cluster_members, import_ids: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(import_cluster_members.source, import_cluster_members.items);
    -- Memories queued for clustering join their automatic clusters before the
    -- import adds to clusters, as when they were clustered on store.
    perform pgcortex_internal.cluster_pending(import_cluster_members.as_of);
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_members') is not null then
        drop table pg_temp.pgcortex_import_members;
    end if;
    create temp table pgcortex_import_members on commit drop as
    select
        r.o::integer as o,
        (r.x ->> 'cluster_id') || ' ' || (r.x ->> 'memory_id') as legacy_id,
        r.x ->> 'cluster_id' as cluster_legacy,
        r.x ->> 'memory_id' as memory_legacy,
        (r.x ->> 'similarity')::real as similarity,
        coalesce((r.x ->> 'joined_at')::timestamptz, import_cluster_members.as_of) as joined_at,
        c.new_id::uuid as cluster_id,
        m.new_id::uuid as memory_id,
        null::text as reason,
        null::text as outcome
    from pg_catalog.jsonb_array_elements(import_cluster_members.items) with ordinality as r (x, o)
    left join pgcortex.import_ids as c
        on c.namespace = _ns and c.source = import_cluster_members.source
        and c.legacy_table = 'knowledge_clusters' and c.legacy_id = r.x ->> 'cluster_id'
    left join pgcortex.import_ids as m
        on m.namespace = _ns and m.source = import_cluster_members.source
        and m.legacy_table = 'memories' and m.legacy_id = r.x ->> 'memory_id';
    analyze pg_temp.pgcortex_import_members;

    update pg_temp.pgcortex_import_members as r
    set outcome = 'present'
    where exists (
        select from pgcortex.import_ids as i
        where i.namespace = _ns and i.source = import_cluster_members.source
            and i.legacy_table = 'cluster_members' and i.legacy_id = r.legacy_id
    );
    update pg_temp.pgcortex_import_members as r
    set reason = case
        when r.cluster_legacy is null or r.memory_legacy is null then 'cluster_id and memory_id are required'
        when r.cluster_id is null then pg_catalog.format('cluster %s was not imported', r.cluster_legacy)
        when r.memory_id is null then pg_catalog.format('memory %s was not imported', r.memory_legacy)
        when not exists (
            select from pgcortex.memories as x where x.namespace = _ns and x.id = r.memory_id
        ) then 'the memory no longer exists'
        when not exists (
            select from pgcortex.knowledge_clusters as x where x.namespace = _ns and x.id = r.cluster_id
        ) then 'the cluster no longer exists'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_members'::pg_catalog.regclass, import_cluster_members.strict, 'cluster_members'
    );
    update pg_temp.pgcortex_import_members as r
    set outcome = case when exists (
        select from pgcortex.cluster_members as x
        where x.namespace = _ns and x.cluster_id = r.cluster_id and x.memory_id = r.memory_id
    ) or exists (
        select from pg_temp.pgcortex_import_members as d
        where d.outcome is null and d.cluster_id = r.cluster_id and d.memory_id = r.memory_id and d.o < r.o
    ) then 'merged' else 'imported' end
    where r.outcome is null;

    insert into pgcortex.cluster_members (namespace, cluster_id, memory_id, similarity, joined_at)
    select _ns, r.cluster_id, r.memory_id, r.similarity, r.joined_at
    from pg_temp.pgcortex_import_members as r
    where r.outcome = 'imported'
    on conflict on constraint cluster_members_pkey do nothing;
    -- The member count follows the membership.
    update pgcortex.knowledge_clusters as c
    set member_count = (
        select count(*) from pgcortex.cluster_members as x
        where x.namespace = _ns and x.cluster_id = c.id
    )
    where c.namespace = _ns and c.id in (
        select r.cluster_id from pg_temp.pgcortex_import_members as r where r.outcome = 'imported'
    );

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select
        _ns, import_cluster_members.source, 'cluster_members', r.legacy_id,
        r.cluster_id || ' ' || r.memory_id, r.outcome, import_cluster_members.as_of
    from pg_temp.pgcortex_import_members as r
    where r.outcome in ('imported', 'merged')
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select
        r.legacy_id, r.outcome,
        case when r.outcome in ('imported', 'merged') then r.cluster_id || ' ' || r.memory_id end,
        r.reason
    from pg_temp.pgcortex_import_members as r order by r.o;
end
$$;

comment on function pgcortex.import_cluster_members(text, jsonb, boolean, timestamptz) is
'Imports a batch of cluster memberships ({cluster_id, memory_id, similarity, joined_at}, the ids of the source resolved through pgcortex.import_ids) and sets the member counts of the clusters touched, after clustering the queued memories (pgcortex_internal.cluster_pending). One result row per item (legacy_id "cluster memory"); strict raises PC003 on the first bad row.';

-- name: import_patterns
-- Imports learning patterns with their frequency, confidence, examples and times.
create or replace function pgcortex.import_patterns(
    source text,
    items jsonb,
    strict boolean default false,
    as_of timestamptz default now()
)
returns table (legacy_id text, outcome text, new_id text, reason text)
language plpgsql
volatile
security definer  -- writes learning_patterns, import_ids: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(import_patterns.source, import_patterns.items);
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_patterns') is not null then
        drop table pg_temp.pgcortex_import_patterns;
    end if;
    create temp table pgcortex_import_patterns on commit drop as
    select
        r.o::integer as o,
        nullif(r.x ->> 'legacy_id', '') as legacy_id,
        case when (r.x ->> 'id') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
            then (r.x ->> 'id')::uuid end as id,
        r.x ->> 'pattern_type' as pattern_type,
        r.x ->> 'description' as description,
        coalesce((r.x ->> 'frequency')::numeric, 1) as frequency,
        coalesce((r.x ->> 'confidence')::real, 0.5) as confidence,
        coalesce(pgcortex_internal.import_text_array(r.x -> 'examples'), '{}') as examples,
        coalesce((r.x ->> 'discovered_at')::timestamptz, import_patterns.as_of) as discovered_at,
        (r.x ->> 'updated_at')::timestamptz as updated_at,
        null::text as reason,
        null::text as outcome,
        null::uuid as target
    from pg_catalog.jsonb_array_elements(import_patterns.items) with ordinality as r (x, o);
    analyze pg_temp.pgcortex_import_patterns;

    update pg_temp.pgcortex_import_patterns as r
    set outcome = 'present', target = i.new_id::uuid
    from pgcortex.import_ids as i
    where i.namespace = _ns and i.source = import_patterns.source
        and i.legacy_table = 'learning_patterns' and i.legacy_id = r.legacy_id;
    update pg_temp.pgcortex_import_patterns as r
    set reason = case
        when r.legacy_id is null then 'legacy id is missing'
        when r.pattern_type is null then 'pattern type is missing'
        when not exists (select from pgcortex.pattern_types as t where t.name = r.pattern_type)
            then pg_catalog.format('unknown pattern type %L', r.pattern_type)
        when r.description is null or pg_catalog.length(r.description) not between 1 and 1000
            then 'description must have 1 to 1000 characters'
        when r.frequency < 1 or r.frequency <> pg_catalog.round(r.frequency) then 'frequency must be a whole number >= 1'
        when r.confidence not between 0 and 1 then 'confidence is outside 0..1'
        when array_position(r.examples, null) is not null then 'examples must be strings'
        when exists (
            select from pg_temp.pgcortex_import_patterns as d
            where d.legacy_id = r.legacy_id and d.o < r.o
        ) then 'legacy id given twice in this batch'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_patterns'::pg_catalog.regclass, import_patterns.strict, 'learning_patterns'
    );

    update pg_temp.pgcortex_import_patterns as r
    set outcome = 'merged', target = p.pattern_id
    from pgcortex.learning_patterns as p
    where r.outcome is null and p.namespace = _ns
        and p.pattern_type = r.pattern_type and p.description = r.description;
    update pg_temp.pgcortex_import_patterns as r
    set outcome = 'imported', target = coalesce(
        case when not exists (
            select from pgcortex.learning_patterns as p where p.namespace = _ns and p.pattern_id = r.id
        ) then r.id end,
        pgcortex_internal.new_id()
    )
    where r.outcome is null and not exists (
        select from pg_temp.pgcortex_import_patterns as d
        where d.outcome is null and d.pattern_type = r.pattern_type
            and d.description = r.description and d.o < r.o
    );
    update pg_temp.pgcortex_import_patterns as r
    set outcome = 'merged', target = f.target
    from pg_temp.pgcortex_import_patterns as f
    where r.outcome is null and f.outcome = 'imported'
        and f.pattern_type = r.pattern_type and f.description = r.description;

    insert into pgcortex.learning_patterns (
        pattern_id, namespace, pattern_type, description, frequency, confidence, examples,
        discovered_at, updated_at
    )
    select
        r.target, _ns, r.pattern_type, r.description, r.frequency::integer, r.confidence,
        r.examples[1:10], r.discovered_at, greatest(coalesce(r.updated_at, r.discovered_at), r.discovered_at)
    from pg_temp.pgcortex_import_patterns as r
    where r.outcome = 'imported';
    -- Merged: the greater frequency and confidence, the earlier discovery, examples joined.
    update pgcortex.learning_patterns as p
    set
        frequency = greatest(p.frequency, g.frequency),
        confidence = greatest(p.confidence, g.confidence),
        discovered_at = least(p.discovered_at, g.discovered_at),
        examples = (array(
            select distinct e.x from pg_catalog.unnest(p.examples || g.examples) as e (x)
        ))[1:10]
    from (
        select
            r.target,
            max(r.frequency)::integer as frequency,
            max(r.confidence) as confidence,
            min(r.discovered_at) as discovered_at,
            array(
                select e.x from pg_temp.pgcortex_import_patterns as s, pg_catalog.unnest(s.examples) as e (x)
                where s.outcome = 'merged' and s.target = r.target
            ) as examples
        from pg_temp.pgcortex_import_patterns as r
        where r.outcome = 'merged'
        group by r.target
    ) as g
    where p.namespace = _ns and p.pattern_id = g.target
        and (p.frequency < g.frequency or p.confidence < g.confidence
            or p.discovered_at > g.discovered_at or not (p.examples @> g.examples));

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select _ns, import_patterns.source, 'learning_patterns', r.legacy_id, r.target::text, r.outcome, import_patterns.as_of
    from pg_temp.pgcortex_import_patterns as r
    where r.outcome in ('imported', 'merged')
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select r.legacy_id, r.outcome, r.target::text, r.reason
    from pg_temp.pgcortex_import_patterns as r order by r.o;
end
$$;

comment on function pgcortex.import_patterns(text, jsonb, boolean, timestamptz) is
'Imports a batch of learning patterns ({legacy_id, id?, pattern_type, description, frequency, confidence, examples, discovered_at, updated_at}) as they were. A pattern of the same type and description is merged (greater frequency and confidence, earlier discovery, examples joined, at most 10). One result row per item; strict raises PC003 on the first bad row.';

-- name: import_pattern_evidence
-- Imports the evidence of learning patterns (pattern, session, memory, turn resolved).
create or replace function pgcortex.import_pattern_evidence(
    source text,
    items jsonb,
    strict boolean default false,
    as_of timestamptz default now()
)
returns table (legacy_id text, outcome text, new_id text, reason text)
language plpgsql
volatile
security definer  -- writes pattern evidence, import_ids: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(import_pattern_evidence.source, import_pattern_evidence.items);
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_evidence') is not null then
        drop table pg_temp.pgcortex_import_evidence;
    end if;
    create temp table pgcortex_import_evidence on commit drop as
    select
        r.o::integer as o,
        (r.x ->> 'pattern_id') || ' ' || (r.x ->> 'evidence_key') as legacy_id,
        r.x ->> 'pattern_id' as pattern_legacy,
        r.x ->> 'evidence_key' as evidence_key,
        p.new_id::uuid as pattern_id,
        s.new_id::uuid as session_id,
        m.new_id::uuid as memory_id,
        t.new_id::bigint as turn_id,
        coalesce((r.x ->> 'created_at')::timestamptz, import_pattern_evidence.as_of) as created_at,
        null::text as reason,
        null::text as outcome
    from pg_catalog.jsonb_array_elements(import_pattern_evidence.items) with ordinality as r (x, o)
    left join pgcortex.import_ids as p
        on p.namespace = _ns and p.source = import_pattern_evidence.source
        and p.legacy_table = 'learning_patterns' and p.legacy_id = r.x ->> 'pattern_id'
    left join pgcortex.import_ids as s
        on s.namespace = _ns and s.source = import_pattern_evidence.source
        and s.legacy_table = 'conversation_sessions' and s.legacy_id = r.x ->> 'session_id'
    left join pgcortex.import_ids as m
        on m.namespace = _ns and m.source = import_pattern_evidence.source
        and m.legacy_table = 'memories' and m.legacy_id = r.x ->> 'memory_id'
    left join pgcortex.import_ids as t
        on t.namespace = _ns and t.source = import_pattern_evidence.source
        and t.legacy_table = 'conversation_turns' and t.legacy_id = r.x ->> 'turn_id';
    analyze pg_temp.pgcortex_import_evidence;

    update pg_temp.pgcortex_import_evidence as r
    set outcome = 'present'
    where exists (
        select from pgcortex.import_ids as i
        where i.namespace = _ns and i.source = import_pattern_evidence.source
            and i.legacy_table = 'learning_pattern_evidence' and i.legacy_id = r.legacy_id
    );
    update pg_temp.pgcortex_import_evidence as r
    set reason = case
        when r.pattern_legacy is null or r.evidence_key is null then 'pattern_id and evidence_key are required'
        when r.pattern_id is null then pg_catalog.format('pattern %s was not imported', r.pattern_legacy)
        when pg_catalog.length(r.evidence_key) not between 1 and 255 then 'evidence_key must have 1 to 255 characters'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_evidence'::pg_catalog.regclass, import_pattern_evidence.strict, 'learning_pattern_evidence'
    );
    update pg_temp.pgcortex_import_evidence as r
    set outcome = case when exists (
        select from pgcortex.learning_pattern_evidence as e
        where e.namespace = _ns and e.pattern_id = r.pattern_id and e.evidence_key = r.evidence_key
    ) then 'merged' else 'imported' end
    where r.outcome is null;

    insert into pgcortex.learning_pattern_evidence (
        namespace, pattern_id, evidence_key, session_id, memory_id, turn_id, created_at
    )
    select _ns, r.pattern_id, r.evidence_key, r.session_id, r.memory_id, r.turn_id, r.created_at
    from pg_temp.pgcortex_import_evidence as r
    where r.outcome = 'imported'
    on conflict on constraint learning_pattern_evidence_pkey do nothing;

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select
        _ns, import_pattern_evidence.source, 'learning_pattern_evidence', r.legacy_id,
        r.pattern_id || ' ' || r.evidence_key, r.outcome, import_pattern_evidence.as_of
    from pg_temp.pgcortex_import_evidence as r
    where r.outcome in ('imported', 'merged')
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select
        r.legacy_id, r.outcome,
        case when r.outcome in ('imported', 'merged') then r.pattern_id || ' ' || r.evidence_key end,
        r.reason
    from pg_temp.pgcortex_import_evidence as r order by r.o;
end
$$;

comment on function pgcortex.import_pattern_evidence(text, jsonb, boolean, timestamptz) is
'Imports a batch of learning pattern evidence ({pattern_id, evidence_key, session_id, memory_id, turn_id, created_at}; ids of the source resolved through pgcortex.import_ids, a reference that was not imported left null). One result row per item; strict raises PC003 on the first bad row.';

-- name: import_preferences
-- Imports user preferences (value, confidence, source, times), recorded in the history.
create or replace function pgcortex.import_preferences(
    source text,
    items jsonb,
    record_history boolean default true,
    strict boolean default false,
    as_of timestamptz default now()
)
returns table (legacy_id text, outcome text, new_id text, reason text)
language plpgsql
volatile
security definer  -- writes user_preferences, import_ids: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(import_preferences.source, import_preferences.items);
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_prefs') is not null then
        drop table pg_temp.pgcortex_import_prefs;
    end if;
    create temp table pgcortex_import_prefs on commit drop as
    select
        r.o::integer as o,
        coalesce(nullif(r.x ->> 'legacy_id', ''), r.x ->> 'key') as legacy_id,
        r.x ->> 'key' as key,
        r.x -> 'value' as value,
        coalesce((r.x ->> 'confidence')::real, 1.0) as confidence,
        coalesce(nullif(r.x ->> 'source', ''), 'conversation') as pref_source,
        coalesce((r.x ->> 'created_at')::timestamptz, (r.x ->> 'updated_at')::timestamptz, import_preferences.as_of)
            as created_at,
        coalesce((r.x ->> 'updated_at')::timestamptz, (r.x ->> 'created_at')::timestamptz, import_preferences.as_of)
            as updated_at,
        null::text as reason,
        null::text as outcome
    from pg_catalog.jsonb_array_elements(import_preferences.items) with ordinality as r (x, o);
    analyze pg_temp.pgcortex_import_prefs;

    update pg_temp.pgcortex_import_prefs as r
    set outcome = 'present'
    where exists (
        select from pgcortex.import_ids as i
        where i.namespace = _ns and i.source = import_preferences.source
            and i.legacy_table = 'user_preferences' and i.legacy_id = r.legacy_id
    );
    update pg_temp.pgcortex_import_prefs as r
    set reason = case
        when r.key is null or pg_catalog.length(r.key) not between 1 and 255 then 'key must have 1 to 255 characters'
        when r.value is null or r.value = 'null'::jsonb then 'value is missing'
        when pgcortex_internal.metadata_problem(pg_catalog.jsonb_build_object('v', r.value)) is not null
            then 'value: ' || pgcortex_internal.metadata_problem(pg_catalog.jsonb_build_object('v', r.value))
        when r.confidence not between 0 and 1 then 'confidence is outside 0..1'
        when pg_catalog.length(r.pref_source) > 255 then 'source has more than 255 characters'
        when exists (
            select from pg_temp.pgcortex_import_prefs as d where d.key = r.key and d.o < r.o
        ) then 'key given twice in this batch'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_prefs'::pg_catalog.regclass, import_preferences.strict, 'user_preferences'
    );

    -- A key held already keeps the newer value (merged); else the import's.
    update pg_temp.pgcortex_import_prefs as r
    set outcome = case when exists (
        select from pgcortex.user_preferences as p where p.namespace = _ns and p.key = r.key
    ) then 'merged' else 'imported' end
    where r.outcome is null;

    if import_preferences.record_history then
        insert into pgcortex.user_preference_history (
            namespace, key, value, confidence, source, applied, previous_value, previous_confidence,
            changed_at
        )
        select
            _ns, r.key, r.value, r.confidence, 'import',
            p.key is null or p.updated_at < r.updated_at,
            p.value, p.confidence, r.updated_at
        from pg_temp.pgcortex_import_prefs as r
        left join pgcortex.user_preferences as p on p.namespace = _ns and p.key = r.key
        where r.outcome in ('imported', 'merged')
        order by r.o;
    end if;
    insert into pgcortex.user_preferences as p (namespace, key, value, confidence, source, created_at, updated_at)
    select _ns, r.key, r.value, r.confidence, r.pref_source, r.created_at, r.updated_at
    from pg_temp.pgcortex_import_prefs as r
    where r.outcome in ('imported', 'merged')
    order by r.key
    on conflict on constraint user_preferences_pkey do update
        set
            value = excluded.value,
            confidence = excluded.confidence,
            source = excluded.source,
            created_at = least(p.created_at, excluded.created_at),
            updated_at = excluded.updated_at
        where p.updated_at < excluded.updated_at;

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select _ns, import_preferences.source, 'user_preferences', r.legacy_id, r.key, r.outcome, import_preferences.as_of
    from pg_temp.pgcortex_import_prefs as r
    where r.outcome in ('imported', 'merged')
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select r.legacy_id, r.outcome, case when r.outcome <> 'skipped' then r.key end, r.reason
    from pg_temp.pgcortex_import_prefs as r order by r.o;
end
$$;

comment on function pgcortex.import_preferences(text, jsonb, boolean, boolean, timestamptz) is
'Imports a batch of user preferences ({key, value (any JSON), confidence, source, created_at, updated_at}) keeping their source and times. A key held already is merged: the newer value (by updated_at) wins. With record_history (default) each is also written to pgcortex.user_preference_history with source "import" at its updated_at (a restore brings its own history instead). One result row per item; strict raises PC003 on the first bad row.';

-- name: import_preference_history
-- Restores rows of the preference history (session and memory resolved).
create or replace function pgcortex.import_preference_history(
    source text,
    items jsonb,
    strict boolean default false,
    as_of timestamptz default now()
)
returns table (legacy_id text, outcome text, new_id text, reason text)
language plpgsql
volatile
security definer  -- writes preference history, import_ids: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(import_preference_history.source, import_preference_history.items);
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_prefhist') is not null then
        drop table pg_temp.pgcortex_import_prefhist;
    end if;
    create temp table pgcortex_import_prefhist on commit drop as
    select
        r.o::integer as o,
        nullif(r.x ->> 'legacy_id', '') as legacy_id,
        r.x ->> 'key' as key,
        r.x -> 'value' as value,
        (r.x ->> 'confidence')::real as confidence,
        r.x ->> 'source' as pref_source,
        s.new_id::uuid as session_id,
        m.new_id::uuid as memory_id,
        coalesce((r.x ->> 'applied')::boolean, true) as applied,
        r.x -> 'previous_value' as previous_value,
        (r.x ->> 'previous_confidence')::real as previous_confidence,
        coalesce((r.x ->> 'changed_at')::timestamptz, import_preference_history.as_of) as changed_at,
        null::text as reason,
        null::text as outcome,
        null::bigint as target
    from pg_catalog.jsonb_array_elements(import_preference_history.items) with ordinality as r (x, o)
    left join pgcortex.import_ids as s
        on s.namespace = _ns and s.source = import_preference_history.source
        and s.legacy_table = 'conversation_sessions' and s.legacy_id = r.x ->> 'session_id'
    left join pgcortex.import_ids as m
        on m.namespace = _ns and m.source = import_preference_history.source
        and m.legacy_table = 'memories' and m.legacy_id = r.x ->> 'memory_id';
    analyze pg_temp.pgcortex_import_prefhist;

    update pg_temp.pgcortex_import_prefhist as r
    set outcome = 'present', target = i.new_id::bigint
    from pgcortex.import_ids as i
    where i.namespace = _ns and i.source = import_preference_history.source
        and i.legacy_table = 'user_preference_history' and i.legacy_id = r.legacy_id;
    update pg_temp.pgcortex_import_prefhist as r
    set reason = case
        when r.legacy_id is null then 'legacy id is missing'
        when r.key is null then 'key is missing'
        when r.value is null then 'value is missing'
        when r.confidence is null then 'confidence is missing'
        when r.pref_source is null then 'source is missing'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_prefhist'::pg_catalog.regclass, import_preference_history.strict, 'user_preference_history'
    );

    with ins as (
        insert into pgcortex.user_preference_history as h (
            namespace, key, value, confidence, source, session_id, memory_id, applied,
            previous_value, previous_confidence, changed_at
        )
        select
            _ns, r.key, r.value, r.confidence, r.pref_source, r.session_id, r.memory_id, r.applied,
            r.previous_value, r.previous_confidence, r.changed_at
        from pg_temp.pgcortex_import_prefhist as r
        where r.outcome is null
        order by r.o
        returning h.change_id
    ),
    numbered as (
        select i.change_id, pg_catalog.row_number() over (order by i.change_id) as n from ins as i
    ),
    todo as (
        select r.o, pg_catalog.row_number() over (order by r.o) as n
        from pg_temp.pgcortex_import_prefhist as r where r.outcome is null
    )
    update pg_temp.pgcortex_import_prefhist as r
    set outcome = 'imported', target = nb.change_id
    from todo as t
    inner join numbered as nb on nb.n = t.n
    where r.o = t.o;

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select
        _ns, import_preference_history.source, 'user_preference_history', r.legacy_id, r.target::text,
        r.outcome, import_preference_history.as_of
    from pg_temp.pgcortex_import_prefhist as r
    where r.outcome = 'imported'
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select r.legacy_id, r.outcome, r.target::text, r.reason
    from pg_temp.pgcortex_import_prefhist as r order by r.o;
end
$$;

comment on function pgcortex.import_preference_history(text, jsonb, boolean, timestamptz) is
'Restores a batch of preference history rows ({legacy_id (the change id in the source), key, value, confidence, source, session_id, memory_id, applied, previous_value, previous_confidence, changed_at}) in their order, with new change ids. One result row per item; strict raises PC003 on the first bad row.';

-- name: import_sessions
-- Imports conversation sessions with their times, counts, topics and summary.
create or replace function pgcortex.import_sessions(
    source text,
    items jsonb,
    strict boolean default false,
    as_of timestamptz default now()
)
returns table (legacy_id text, outcome text, new_id text, reason text)
language plpgsql
volatile
security definer  -- writes conversation_sessions, import_ids: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(import_sessions.source, import_sessions.items);
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_sessions') is not null then
        drop table pg_temp.pgcortex_import_sessions;
    end if;
    create temp table pgcortex_import_sessions on commit drop as
    select
        r.o::integer as o,
        nullif(r.x ->> 'legacy_id', '') as legacy_id,
        case when (r.x ->> 'id') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
            then (r.x ->> 'id')::uuid end as id,
        (r.x ->> 'started_at')::timestamptz as started_at,
        (r.x ->> 'ended_at')::timestamptz as ended_at,
        coalesce((r.x ->> 'message_count')::integer, 0) as message_count,
        coalesce(pgcortex_internal.import_text_array(r.x -> 'topics'), '{}') as topics,
        r.x ->> 'summary' as summary,
        coalesce((r.x ->> 'importance')::real, 0.5) as importance,
        coalesce(r.x -> 'metadata', '{}'::jsonb) as metadata,
        null::text as reason,
        null::text as outcome,
        null::uuid as target
    from pg_catalog.jsonb_array_elements(import_sessions.items) with ordinality as r (x, o);
    analyze pg_temp.pgcortex_import_sessions;

    update pg_temp.pgcortex_import_sessions as r
    set outcome = 'present', target = i.new_id::uuid
    from pgcortex.import_ids as i
    where i.namespace = _ns and i.source = import_sessions.source
        and i.legacy_table = 'conversation_sessions' and i.legacy_id = r.legacy_id;
    update pg_temp.pgcortex_import_sessions as r
    set reason = case
        when r.legacy_id is null then 'legacy id is missing'
        when r.started_at is null then 'started_at is missing'
        when r.ended_at < r.started_at then 'ended_at is before started_at'
        when r.message_count < 0 then 'message_count is negative'
        when r.importance not between 0 and 1 then 'importance is outside 0..1'
        when array_position(r.topics, null) is not null then 'topics must be strings'
        when pg_catalog.jsonb_typeof(r.metadata) <> 'object' then 'metadata must be a JSON object'
        when exists (
            select from pg_temp.pgcortex_import_sessions as d where d.legacy_id = r.legacy_id and d.o < r.o
        ) then 'legacy id given twice in this batch'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_sessions'::pg_catalog.regclass, import_sessions.strict, 'conversation_sessions'
    );

    update pg_temp.pgcortex_import_sessions as r
    set outcome = 'imported', target = coalesce(
        case when not exists (
            select from pgcortex.conversation_sessions as s where s.namespace = _ns and s.session_id = r.id
        ) then r.id end,
        pgcortex_internal.new_id()
    )
    where r.outcome is null;

    insert into pgcortex.conversation_sessions (
        session_id, namespace, started_at, ended_at, message_count, topics, summary, importance, metadata
    )
    select
        r.target, _ns, r.started_at, r.ended_at, r.message_count, r.topics, r.summary, r.importance, r.metadata
    from pg_temp.pgcortex_import_sessions as r
    where r.outcome = 'imported';

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select _ns, import_sessions.source, 'conversation_sessions', r.legacy_id, r.target::text, r.outcome, import_sessions.as_of
    from pg_temp.pgcortex_import_sessions as r
    where r.outcome = 'imported'
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select r.legacy_id, r.outcome, r.target::text, r.reason
    from pg_temp.pgcortex_import_sessions as r order by r.o;
end
$$;

comment on function pgcortex.import_sessions(text, jsonb, boolean, timestamptz) is
'Imports a batch of conversation sessions ({legacy_id, id?, started_at, ended_at, message_count, topics, summary, importance, metadata}) as they were, so duration_seconds is that of the source. One result row per item; strict raises PC003 on the first bad row.';

-- name: import_turns
-- Imports conversation turns (session and memory resolved), in their order.
create or replace function pgcortex.import_turns(
    source text,
    items jsonb,
    strict boolean default false,
    as_of timestamptz default now()
)
returns table (legacy_id text, outcome text, new_id text, reason text)
language plpgsql
volatile
security definer  -- writes conversation_turns, import_ids: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(import_turns.source, import_turns.items);
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_turns') is not null then
        drop table pg_temp.pgcortex_import_turns;
    end if;
    create temp table pgcortex_import_turns on commit drop as
    select
        r.o::integer as o,
        nullif(r.x ->> 'legacy_id', '') as legacy_id,
        r.x ->> 'session_id' as session_legacy,
        s.new_id::uuid as session_id,
        m.new_id::uuid as memory_id,
        r.x ->> 'role' as role,
        r.x ->> 'content' as content,
        coalesce(r.x -> 'context', '{}'::jsonb) as context,
        coalesce((r.x ->> 'created_at')::timestamptz, import_turns.as_of) as created_at,
        null::text as reason,
        null::text as outcome,
        null::bigint as target
    from pg_catalog.jsonb_array_elements(import_turns.items) with ordinality as r (x, o)
    left join pgcortex.import_ids as s
        on s.namespace = _ns and s.source = import_turns.source
        and s.legacy_table = 'conversation_sessions' and s.legacy_id = r.x ->> 'session_id'
    left join pgcortex.import_ids as m
        on m.namespace = _ns and m.source = import_turns.source
        and m.legacy_table = 'memories' and m.legacy_id = r.x ->> 'memory_id';
    analyze pg_temp.pgcortex_import_turns;

    update pg_temp.pgcortex_import_turns as r
    set outcome = 'present', target = i.new_id::bigint
    from pgcortex.import_ids as i
    where i.namespace = _ns and i.source = import_turns.source
        and i.legacy_table = 'conversation_turns' and i.legacy_id = r.legacy_id;
    update pg_temp.pgcortex_import_turns as r
    set reason = case
        when r.legacy_id is null then 'legacy id is missing'
        when r.session_legacy is not null and r.session_id is null
            then pg_catalog.format('session %s was not imported', r.session_legacy)
        when r.role is null or r.role not in ('user', 'assistant', 'system', 'tool')
            then pg_catalog.format('role %L is not user, assistant, system or tool', r.role)
        when r.content is null or pg_catalog.length(r.content) not between 1 and 100000
            then 'content must have 1 to 100000 characters'
        when pg_catalog.jsonb_typeof(r.context) <> 'object' then 'context must be a JSON object'
        when exists (
            select from pg_temp.pgcortex_import_turns as d where d.legacy_id = r.legacy_id and d.o < r.o
        ) then 'legacy id given twice in this batch'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_turns'::pg_catalog.regclass, import_turns.strict, 'conversation_turns'
    );

    with ins as (
        insert into pgcortex.conversation_turns as t (namespace, session_id, role, content, context, memory_id, created_at)
        select _ns, r.session_id, r.role, r.content, r.context, r.memory_id, r.created_at
        from pg_temp.pgcortex_import_turns as r
        where r.outcome is null
        order by r.o
        returning t.turn_id
    ),
    numbered as (
        select i.turn_id, pg_catalog.row_number() over (order by i.turn_id) as n from ins as i
    ),
    todo as (
        select r.o, pg_catalog.row_number() over (order by r.o) as n
        from pg_temp.pgcortex_import_turns as r where r.outcome is null
    )
    update pg_temp.pgcortex_import_turns as r
    set outcome = 'imported', target = nb.turn_id
    from todo as t
    inner join numbered as nb on nb.n = t.n
    where r.o = t.o;

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select _ns, import_turns.source, 'conversation_turns', r.legacy_id, r.target::text, r.outcome, import_turns.as_of
    from pg_temp.pgcortex_import_turns as r
    where r.outcome = 'imported'
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select r.legacy_id, r.outcome, r.target::text, r.reason
    from pg_temp.pgcortex_import_turns as r order by r.o;
end
$$;

comment on function pgcortex.import_turns(text, jsonb, boolean, timestamptz) is
'Imports a batch of conversation turns ({legacy_id, session_id, role, content, context, memory_id, created_at}; session and memory ids of the source resolved through pgcortex.import_ids) in their order, with new turn ids. One result row per item; strict raises PC003 on the first bad row.';

-- name: import_memory_access
-- Restores access counts: folded rows (memory_access) and pending log rows.
create or replace function pgcortex.import_memory_access(
    source text,
    items jsonb,
    strict boolean default false,
    as_of timestamptz default now()
)
returns table (legacy_id text, outcome text, new_id text, reason text)
language plpgsql
volatile
security definer  -- writes memory_access, memory_access_log: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(import_memory_access.source, import_memory_access.items);
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_access') is not null then
        drop table pg_temp.pgcortex_import_access;
    end if;
    create temp table pgcortex_import_access on commit drop as
    select
        r.o::integer as o,
        -- A log row (one read) has its log_id; a folded row is keyed by its memory.
        case when r.x ? 'log_id' then 'memory_access_log' else 'memory_access' end as legacy_table,
        coalesce(r.x ->> 'log_id', r.x ->> 'memory_id') as legacy_id,
        r.x ->> 'memory_id' as memory_legacy,
        m.new_id::uuid as memory_id,
        case when r.x ? 'log_id' then 1 else (r.x ->> 'access_count')::bigint end as access_count,
        coalesce((r.x ->> 'accessed_at')::timestamptz, (r.x ->> 'last_accessed')::timestamptz) as at,
        null::text as reason,
        null::text as outcome
    from pg_catalog.jsonb_array_elements(import_memory_access.items) with ordinality as r (x, o)
    left join pgcortex.import_ids as m
        on m.namespace = _ns and m.source = import_memory_access.source
        and m.legacy_table = 'memories' and m.legacy_id = r.x ->> 'memory_id';
    analyze pg_temp.pgcortex_import_access;

    update pg_temp.pgcortex_import_access as r
    set outcome = 'present'
    where exists (
        select from pgcortex.import_ids as i
        where i.namespace = _ns and i.source = import_memory_access.source
            and i.legacy_table = r.legacy_table and i.legacy_id = r.legacy_id
    );
    update pg_temp.pgcortex_import_access as r
    set reason = case
        when r.legacy_id is null then 'memory_id is missing'
        when r.memory_id is null then pg_catalog.format('memory %s was not imported', r.memory_legacy)
        when not exists (select from pgcortex.memories as x where x.namespace = _ns and x.id = r.memory_id)
            then 'the memory no longer exists'
        when r.access_count is null or r.access_count < 0 then 'access_count is missing or negative'
        when r.at is null then 'the access time is missing'
        when exists (
            select from pg_temp.pgcortex_import_access as d
            where d.legacy_table = r.legacy_table and d.legacy_id = r.legacy_id and d.o < r.o
        ) then 'given twice in this batch'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_access'::pg_catalog.regclass, import_memory_access.strict, 'memory_access'
    );
    update pg_temp.pgcortex_import_access as r set outcome = 'imported' where r.outcome is null;

    insert into pgcortex.memory_access as a (namespace, memory_id, access_count, last_accessed)
    select _ns, r.memory_id, sum(r.access_count), max(r.at)
    from pg_temp.pgcortex_import_access as r
    where r.outcome = 'imported' and r.legacy_table = 'memory_access'
    group by r.memory_id
    order by r.memory_id
    on conflict on constraint memory_access_pkey do update
        set
            access_count = a.access_count + excluded.access_count,
            last_accessed = greatest(a.last_accessed, excluded.last_accessed);
    insert into pgcortex.memory_access_log (namespace, memory_id, accessed_at)
    select _ns, r.memory_id, r.at
    from pg_temp.pgcortex_import_access as r
    where r.outcome = 'imported' and r.legacy_table = 'memory_access_log'
    order by r.o;

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select _ns, import_memory_access.source, r.legacy_table, r.legacy_id, r.memory_id::text, r.outcome, import_memory_access.as_of
    from pg_temp.pgcortex_import_access as r
    where r.outcome = 'imported'
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select r.legacy_id, r.outcome, r.memory_id::text, r.reason
    from pg_temp.pgcortex_import_access as r order by r.o;
end
$$;

comment on function pgcortex.import_memory_access(text, jsonb, boolean, timestamptz) is
'Restores access counts of imported memories: rows of pgcortex.memory_access ({memory_id, access_count, last_accessed}, added to the count held) and of pgcortex.memory_access_log ({log_id, memory_id, accessed_at}, one read each). One result row per item; strict raises PC003 on the first bad row.';

-- name: import_json_text
-- The JSON text of an import row's string value when it parses as JSON, else
-- null (the caller reports it).
create or replace function pgcortex_internal.import_json_text(value text)
returns text
language plpgsql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    perform import_json_text.value::json;
    return import_json_text.value;
exception
    when invalid_text_representation then
        return null;
end
$$;

comment on function pgcortex_internal.import_json_text(text) is
'Internal helper of the imports: the text given when it is valid JSON, else null.';

-- name: import_store_items
-- Restores items of the key-value store (the LangGraph store) with their
-- times and expiry. An item already at the same path and key keeps the newer
-- write of the two.
create or replace function pgcortex.import_store_items(
    source text,
    items jsonb,
    strict boolean default false,
    as_of timestamptz default now()
)
returns table (legacy_id text, outcome text, new_id text, reason text)
language plpgsql
volatile
security definer  -- writes store_items, import_ids: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(import_store_items.source, import_store_items.items);
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_store_items') is not null then
        drop table pg_temp.pgcortex_import_store_items;
    end if;
    create temp table pgcortex_import_store_items on commit drop as
    select
        r.o::integer as o,
        pg_catalog.jsonb_build_array(r.x -> 'path', r.x -> 'key')::text as legacy_id,
        case
            when pg_catalog.jsonb_typeof(r.x -> 'path') = 'array'
                and not exists (
                    select from pg_catalog.jsonb_array_elements(r.x -> 'path') as p (v)
                    where pg_catalog.jsonb_typeof(p.v) <> 'string'
                )
                then array(
                    select p.v
                    from pg_catalog.jsonb_array_elements_text(r.x -> 'path') with ordinality as p (v, n)
                    order by p.n
                )
        end as path,
        case when pg_catalog.jsonb_typeof(r.x -> 'key') = 'string' then r.x ->> 'key' end as key,
        -- The value's exact JSON text (an export holds it as a string), or a
        -- JSON object.
        case
            when pg_catalog.jsonb_typeof(r.x -> 'value') = 'string'
                then pgcortex_internal.import_json_text(r.x ->> 'value')
            else (r.x -> 'value')::text
        end as value,
        coalesce(
            (r.x ->> 'created_at')::timestamptz, (r.x ->> 'updated_at')::timestamptz,
            import_store_items.as_of
        ) as created_at,
        coalesce(
            (r.x ->> 'updated_at')::timestamptz, (r.x ->> 'created_at')::timestamptz,
            import_store_items.as_of
        ) as updated_at,
        (r.x ->> 'ttl_minutes')::float8 as ttl_minutes,
        (r.x ->> 'expires_at')::timestamptz as expires_at,
        null::text as reason,
        null::text as outcome
    from pg_catalog.jsonb_array_elements(import_store_items.items) with ordinality as r (x, o);
    analyze pg_temp.pgcortex_import_store_items;

    update pg_temp.pgcortex_import_store_items as r
    set outcome = 'present'
    where exists (
        select from pgcortex.import_ids as i
        where i.namespace = _ns and i.source = import_store_items.source
            and i.legacy_table = 'store_items' and i.legacy_id = r.legacy_id
    );
    update pg_temp.pgcortex_import_store_items as r
    set reason = case
        when r.path is null then 'path must be a JSON array of strings'
        when pg_catalog.cardinality(r.path) not between 1 and 64
            or pg_catalog.array_position(r.path, '') is not null
            then 'a path has 1 to 64 labels, none empty'
        when r.key is null then 'key must be a string'
        when pg_catalog.length(r.key) > 1000 then 'key must have at most 1000 characters'
        when pg_catalog.octet_length(pg_catalog.array_to_string(r.path, '/'))
            + pg_catalog.octet_length(r.key) > 2000
            then 'path and key together must take at most 2000 bytes'
        when r.value is null or pg_catalog.json_typeof(r.value::json) <> 'object'
            then 'value must be a JSON object'
        when (r.ttl_minutes is null) <> (r.expires_at is null)
            or r.ttl_minutes <= 0 or r.ttl_minutes > 5256000
            then 'ttl_minutes (over 0, at most 5256000) and expires_at go together'
        when r.updated_at < r.created_at then 'updated_at is before created_at'
        when exists (
            select from pg_temp.pgcortex_import_store_items as d
            where d.legacy_id = r.legacy_id and d.o < r.o
        ) then 'item given twice in this batch'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_store_items'::pg_catalog.regclass, import_store_items.strict, 'store_items'
    );

    -- An item already at that path and key: the newer write stays. A newer
    -- imported value replaces the item's vectors too, as a put does: they
    -- described the old value (the import's own follow with
    -- import_store_item_vectors).
    update pg_temp.pgcortex_import_store_items as r
    set outcome = 'merged'
    where r.outcome is null and exists (
        select from pgcortex.store_items as s
        where s.namespace = _ns and s.path = r.path and s.key = r.key
    );
    delete from pgcortex.store_item_vectors as v
    using pg_temp.pgcortex_import_store_items as r, pgcortex.store_items as s
    where
        r.outcome = 'merged' and s.namespace = _ns and s.path = r.path and s.key = r.key
        and r.updated_at > s.updated_at
        and v.namespace = _ns and v.path = r.path and v.key = r.key;
    update pgcortex.store_items as s
    set
        value = r.value::json,
        value_jsonb = pgcortex_internal.session_item_jsonb(r.value::json),
        created_at = least(s.created_at, r.created_at),
        updated_at = r.updated_at,
        ttl_minutes = r.ttl_minutes,
        expires_at = r.expires_at
    from pg_temp.pgcortex_import_store_items as r
    where
        r.outcome = 'merged' and s.namespace = _ns and s.path = r.path and s.key = r.key
        and r.updated_at > s.updated_at;
    update pg_temp.pgcortex_import_store_items as r set outcome = 'imported' where r.outcome is null;
    insert into pgcortex.store_items (
        namespace, path, key, value, value_jsonb, created_at, updated_at, ttl_minutes, expires_at
    )
    select
        _ns, r.path, r.key, r.value::json, pgcortex_internal.session_item_jsonb(r.value::json),
        r.created_at, r.updated_at, r.ttl_minutes, r.expires_at
    from pg_temp.pgcortex_import_store_items as r
    where r.outcome = 'imported'
    order by r.o;

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select
        _ns, import_store_items.source, 'store_items', r.legacy_id, r.legacy_id, r.outcome,
        import_store_items.as_of
    from pg_temp.pgcortex_import_store_items as r
    where r.outcome in ('imported', 'merged')
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select
        r.legacy_id, r.outcome, case when r.outcome <> 'skipped' then r.legacy_id end, r.reason
    from pg_temp.pgcortex_import_store_items as r order by r.o;
end
$$;

comment on function pgcortex.import_store_items(text, jsonb, boolean, timestamptz) is
'Imports a batch of key-value store items ({path, key, value (a JSON object, or a string holding its exact JSON text as an export has it), created_at, updated_at, ttl_minutes, expires_at}: rows of pgcortex.store_items as an export holds them) with their times and expiry; legacy and new id: the JSON array [path, key]. An item already at the same path and key keeps the newer write of the two (merged); a newer imported value drops the item''s vectors, which import_store_item_vectors then brings with it. One result row per item; strict raises PC003 on the first bad row.';

-- name: import_store_item_vectors
-- Restores the vectors of imported key-value store items.
create or replace function pgcortex.import_store_item_vectors(
    source text,
    items jsonb,
    strict boolean default false,
    as_of timestamptz default now()
)
returns table (legacy_id text, outcome text, new_id text, reason text)
language plpgsql
volatile
security definer  -- writes store_item_vectors, import_ids: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(
        import_store_item_vectors.source, import_store_item_vectors.items
    );
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_store_vectors') is not null then
        drop table pg_temp.pgcortex_import_store_vectors;
    end if;
    create temp table pgcortex_import_store_vectors on commit drop as
    select
        r.o::integer as o,
        pg_catalog.jsonb_build_array(r.x -> 'path', r.x -> 'key', r.x -> 'field')::text as legacy_id,
        pg_catalog.jsonb_build_array(r.x -> 'path', r.x -> 'key')::text as item_id,
        r.x ->> 'field' as field,
        r.x ->> 'embedding_model' as embedding_model,
        pgcortex_internal.import_vector(r.x -> 'embedding') as embedding,
        s.path,
        s.key,
        e.dimensions,
        null::text as reason,
        null::text as outcome
    from pg_catalog.jsonb_array_elements(import_store_item_vectors.items) with ordinality as r (x, o)
    left join pgcortex.import_ids as i
        on i.namespace = _ns and i.source = import_store_item_vectors.source
        and i.legacy_table = 'store_items'
        and i.legacy_id = pg_catalog.jsonb_build_array(r.x -> 'path', r.x -> 'key')::text
    left join pgcortex.store_items as s
        on i.new_id is not null and s.namespace = _ns
        and s.path = array(
            select p.v
            from pg_catalog.jsonb_array_elements_text(r.x -> 'path') with ordinality as p (v, n)
            order by p.n
        )
        and s.key = r.x ->> 'key'
    left join pgcortex.embedding_models as e on e.name = r.x ->> 'embedding_model';
    analyze pg_temp.pgcortex_import_store_vectors;

    update pg_temp.pgcortex_import_store_vectors as r
    set outcome = 'present'
    where exists (
        select from pgcortex.import_ids as i
        where i.namespace = _ns and i.source = import_store_item_vectors.source
            and i.legacy_table = 'store_item_vectors' and i.legacy_id = r.legacy_id
    );
    update pg_temp.pgcortex_import_store_vectors as r
    set reason = case
        when r.path is null then pg_catalog.format('item %s was not imported', r.item_id)
        when r.field is null or pg_catalog.length(r.field) not between 1 and 1000
            then 'field must have 1 to 1000 characters'
        when r.dimensions is null
            then pg_catalog.format('embedding model %L is not registered', r.embedding_model)
        when r.embedding is null then 'embedding is not a vector'
        when public.vector_dims(r.embedding) <> r.dimensions
            then pg_catalog.format(
                'embedding has %s dimensions, model %L has %s',
                public.vector_dims(r.embedding), r.embedding_model, r.dimensions
            )
        when pgcortex_internal.embedding_problem(r.embedding) is not null
            then pgcortex_internal.embedding_problem(r.embedding)
        when exists (
            select from pg_temp.pgcortex_import_store_vectors as d
            where d.legacy_id = r.legacy_id and d.o < r.o
        ) then 'vector given twice in this batch'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_store_vectors'::pg_catalog.regclass, import_store_item_vectors.strict, 'store_item_vectors'
    );

    -- The item already has a vector of that field: it keeps it.
    update pg_temp.pgcortex_import_store_vectors as r
    set outcome = 'merged'
    where r.outcome is null and exists (
        select from pgcortex.store_item_vectors as v
        where v.namespace = _ns and v.path = r.path and v.key = r.key and v.field = r.field
    );
    update pg_temp.pgcortex_import_store_vectors as r set outcome = 'imported' where r.outcome is null;
    insert into pgcortex.store_item_vectors (namespace, path, key, field, embedding_model, embedding)
    select _ns, r.path, r.key, r.field, r.embedding_model, r.embedding
    from pg_temp.pgcortex_import_store_vectors as r
    where r.outcome = 'imported'
    order by r.o;

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select
        _ns, import_store_item_vectors.source, 'store_item_vectors', r.legacy_id, r.legacy_id,
        r.outcome, import_store_item_vectors.as_of
    from pg_temp.pgcortex_import_store_vectors as r
    where r.outcome in ('imported', 'merged')
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select
        r.legacy_id, r.outcome, case when r.outcome <> 'skipped' then r.legacy_id end, r.reason
    from pg_temp.pgcortex_import_store_vectors as r order by r.o;
end
$$;

comment on function pgcortex.import_store_item_vectors(text, jsonb, boolean, timestamptz) is
'Imports a batch of vectors of key-value store items ({path, key, field, embedding_model, embedding}: rows of pgcortex.store_item_vectors as an export holds them) for items this source imported (pgcortex.import_store_items), checked against their registered model. A vector of a field the item already has is not replaced (merged). One result row per item; strict raises PC003 on the first bad row.';
