-- name: 020_memories_read
-- Memories, reads: the memories_v view, get by id (tracked), get many, list
-- with filters and paging, the change history of a memory, a memory by the
-- first characters of its id, the memory types, and the namespace's embedding
-- model. Re-applied on every deploy.
-- Parameters are referenced as function_name.param (the house rule), which
-- the linter's RF01 would take for unknown tables.
-- noqa: disable=RF01

-- The row every memory read returns. Re-created on each deploy (only the
-- functions below use it; they are created after it).
drop type if exists pgcortex.memory_row cascade;
create type pgcortex.memory_row as (
    id uuid,
    content text,
    memory_type text,
    importance smallint,
    confidence real,
    tags text [],
    metadata jsonb,
    embedding public.vector,
    embedding_model text,
    created_at timestamptz,
    updated_at timestamptz,
    expires_at timestamptz,
    last_accessed timestamptz,
    access_count bigint,
    related_memories uuid []
);

comment on type pgcortex.memory_row is
'A memory as the read functions return it: its fields (the embedding only when asked for), exact last_accessed and access_count, and the ids it is linked with either way.';

-- name: pending_accesses
-- The current namespace's accesses still in the access log, per memory.
-- Nothing on a hot standby, which cannot plan a statement naming an unlogged
-- table (and holds none of its rows): the views below read the log through
-- this function.
create or replace function pgcortex_internal.pending_accesses()
returns table (memory_id uuid, pending bigint, last_accessed timestamptz)
language plpgsql
stable
security definer  -- reads memory_access_log: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    if pg_catalog.pg_is_in_recovery() then
        return;
    end if;
    return query
    select g.memory_id, count(*), max(g.accessed_at)
    from pgcortex.memory_access_log as g
    where g.namespace = _ns
    group by g.memory_id;
end
$$;

comment on function pgcortex_internal.pending_accesses() is
'The current namespace''s accesses still in the (unlogged) access log, one row per memory: how many and the last. Returns nothing on a hot standby, which cannot read unlogged tables (it has the folded counts of pgcortex.memory_access only). The views and the reads that show exact access counts of many memories join it.';

-- name: memories_v
create or replace view pgcortex.memories_v with (security_barrier) as
select
    m.id,
    m.content,
    m.memory_type,
    m.importance,
    m.confidence,
    m.created_at,
    coalesce(greatest(a.last_accessed, l.last_accessed), m.created_at) as last_accessed,
    coalesce(a.access_count, 0) + coalesce(l.pending, 0) as access_count,
    m.tags,
    coalesce(r.related_ids, '{}'::uuid[]) as related_memories,
    m.metadata,
    m.embedding,
    m.embedding_model,
    m.updated_at,
    m.expires_at
from pgcortex.memories as m
left join pgcortex.memory_access as a
    on m.namespace = a.namespace and m.id = a.memory_id
-- The pending accesses (the unlogged log) through a function: a hot standby
-- cannot plan a statement that names an unlogged table.
left join pgcortex_internal.pending_accesses() as l on m.id = l.memory_id
left join lateral (  -- noqa: ST05
    select pg_catalog.array_agg(distinct x.other order by x.other) as related_ids
    from (
        select k.target_id as other from pgcortex.memory_links as k
        where k.namespace = m.namespace and k.source_id = m.id
        union all
        select k.source_id from pgcortex.memory_links as k
        where k.namespace = m.namespace and k.target_id = m.id
    ) as x
) as r on true
where
    m.namespace = (select pgcortex.current_namespace())
    and (m.expires_at is null or m.expires_at > pg_catalog.now());

comment on view pgcortex.memories_v is
'The memories of the current namespace in the original memory module''s shape: with last_accessed and access_count (exact: folded counts plus the pending access log) and related_memories (ids linked either way). Expired memories are left out. Reading the view counts no access.';

-- name: memory_access_totals
-- Exact access counts: the folded count plus the pending log. Read it by key
-- from a lateral subquery with offset 0 (see memory_rows): a plain join or a
-- flattened lateral makes the planner aggregate the whole namespace's counts
-- (3,887 rows hashed to price 2 memories, docs/performance.md).
create or replace view pgcortex.memory_access_totals with (security_barrier) as
select
    x.namespace,
    x.memory_id,
    sum(x.n)::bigint as access_count,
    max(x.at) as last_accessed
from (
    select
        a.namespace,
        a.memory_id,
        a.access_count as n,
        a.last_accessed as at
    from pgcortex.memory_access as a
    union all
    select
        (select pgcortex.current_namespace())::pgcortex.namespace_name as namespace,
        g.memory_id,
        g.pending as n,
        g.last_accessed as at
    from pgcortex_internal.pending_accesses() as g
) as x
group by x.namespace, x.memory_id;

comment on view pgcortex.memory_access_totals is
'Exact access count and last access of each accessed memory: pgcortex.memory_access plus the pending pgcortex.memory_access_log rows (pgcortex_internal.pending_accesses; none on a hot standby, which has the folded counts only). Row-level security limits it to the current namespace. Memories never read have no row.';

-- name: access_totals_of
-- Internal helper of the read and search functions (not part of the API):
-- the exact access counts of the given memories of the namespace, as
-- pgcortex.memory_access_totals gives them, in one statement whose plan
-- cannot turn into sequential scans. A session's cached plan of a look-up
-- made while the access tables were empty (a fresh database, before the
-- first ANALYZE) read both tables whole for every candidate of every later
-- search (docs/performance.md): here the index on (namespace, memory_id) is
-- the only way in (enable_seqscan off, for this function only).
create or replace function pgcortex_internal.access_totals_of(memory_ids uuid[])
returns table (memory_id uuid, access_count bigint, last_accessed timestamptz)
language plpgsql
stable
security definer  -- uses memory_access, memory_access_log: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    -- A hot standby cannot read the unlogged log (nor holds its rows): the
    -- folded counts only.
    if pg_catalog.pg_is_in_recovery() then
        return query
        select a.memory_id, a.access_count, a.last_accessed
        from pgcortex.memory_access as a
        where a.namespace = _ns and a.memory_id = any(access_totals_of.memory_ids);
        return;
    end if;
    return query
    select x.memory_id, sum(x.n)::bigint, max(x.at)
    from (
        select a.memory_id, a.access_count as n, a.last_accessed as at
        from pgcortex.memory_access as a
        where a.namespace = _ns and a.memory_id = any(access_totals_of.memory_ids)
        union all
        select g.memory_id, 1::bigint, g.accessed_at
        from pgcortex.memory_access_log as g
        where g.namespace = _ns and g.memory_id = any(access_totals_of.memory_ids)
    ) as x
    group by x.memory_id;
end
$$;

comment on function pgcortex_internal.access_totals_of(uuid[]) is
'Internal helper: exact access count and last access (folded counts plus the pending log) of the given memories of the current namespace, read through the (namespace, memory_id) indexes only; memories never read have no row. On a hot standby, the folded counts (the unlogged log is empty there).';

-- name: memory_rows
-- The memories with these ids, in the order given, as every read returns them.
create or replace function pgcortex_internal.memory_rows(
    memory_ids uuid[],
    include_embedding boolean default false,
    as_of timestamptz default now()
)
returns setof pgcortex.memory_row
language plpgsql
stable
security definer  -- uses memories, memory_links: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
-- Its statements look rows up by key: one plan for the session instead of
-- planning each call anew (docs/performance.md, generic plans).
set plan_cache_mode = force_generic_plan
as $$
begin
    -- plpgsql, not a SQL-standard body: plpgsql keeps this statement's plan
    -- for the session, a SQL function plans it on every call (0.4 ms of a
    -- 0.6 ms get_memory; docs/performance.md).
    return query
    select
        m.id,
        m.content,
        m.memory_type,
        m.importance,
        m.confidence,
        m.tags,
        m.metadata,
        case when memory_rows.include_embedding then m.embedding end as embedding,
        m.embedding_model,
        m.created_at,
        m.updated_at,
        m.expires_at,
        coalesce(acc.last_accessed, m.created_at) as last_accessed,
        coalesce(acc.access_count, 0) as access_count,
        coalesce(r.related_ids, '{}'::uuid[]) as related_memories
    from pg_catalog.unnest(memory_rows.memory_ids) with ordinality as w (id, o)
    inner join pgcortex.memories as m
        on m.namespace = (select pgcortex.current_namespace()) and w.id = m.id
    left join pgcortex_internal.access_totals_of(memory_rows.memory_ids) as acc on m.id = acc.memory_id
    left join lateral (  -- noqa: ST05
        select pg_catalog.array_agg(distinct x.other order by x.other) as related_ids
        from (
            select k.target_id as other from pgcortex.memory_links as k
            where k.namespace = m.namespace and k.source_id = m.id
            union all
            select k.source_id from pgcortex.memory_links as k
            where k.namespace = m.namespace and k.target_id = m.id
        ) as x
    ) as r on true
    where m.expires_at is null or m.expires_at > memory_rows.as_of
    order by w.o;
end
$$;

comment on function pgcortex_internal.memory_rows(uuid[], boolean, timestamptz) is
'The unexpired memories with these ids, in the order given (unknown ids left out), with exact access counts and related ids; the embedding only when include_embedding. Counts no access.';

-- name: get_memory
-- One memory by id; counts the access unless track is false.
create or replace function pgcortex.get_memory(
    memory_id uuid,
    track boolean default true,
    include_embedding boolean default true,
    as_of timestamptz default now()
)
returns setof pgcortex.memory_row
language plpgsql
volatile
security definer  -- uses memories: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
-- Its statements look rows up by key: one plan for the session instead of
-- planning each call anew (docs/performance.md, generic plans).
set plan_cache_mode = force_generic_plan
as $$
begin
    if get_memory.memory_id is null then
        raise exception using errcode = 'PC003', message = 'memory_id is required';
    end if;
    if not exists (
        select from pgcortex.memories as m
        where
            m.namespace = (select pgcortex.current_namespace())
            and m.id = get_memory.memory_id
            and (m.expires_at is null or m.expires_at > get_memory.as_of)
    ) then
        raise exception using
            errcode = 'PC030',
            message = pg_catalog.format('no memory %s in this namespace', get_memory.memory_id);
    end if;
    if coalesce(get_memory.track, true) then
        perform pgcortex_internal.log_access(
            pgcortex.current_namespace(), array[get_memory.memory_id], get_memory.as_of
        );
    end if;
    return query
    select * from pgcortex_internal.memory_rows(
        array[get_memory.memory_id], get_memory.include_embedding, get_memory.as_of
    );
end
$$;

comment on function pgcortex.get_memory(uuid, boolean, boolean, timestamptz) is
'One memory by id, with its exact access count (this read included when track) and related ids. Raises PC030 when there is no such unexpired memory in the namespace.';

-- name: get_memories
-- Many memories by id (unknown ids left out); counts an access of each found.
create or replace function pgcortex.get_memories(
    memory_ids uuid[],
    track boolean default true,
    include_embedding boolean default false,
    as_of timestamptz default now()
)
returns setof pgcortex.memory_row
language plpgsql
volatile
security definer  -- uses memories: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
-- Its statements look rows up by key: one plan for the session instead of
-- planning each call anew (docs/performance.md, generic plans).
set plan_cache_mode = force_generic_plan
as $$
declare
    _found uuid [];
begin
    if get_memories.memory_ids is null then
        raise exception using errcode = 'PC003', message = 'memory_ids is required';
    end if;
    if pg_catalog.cardinality(get_memories.memory_ids) > 10000 then
        raise exception using errcode = 'PC004', message = 'at most 10000 ids per call';
    end if;
    if coalesce(get_memories.track, true) then
        _found := array(
            select distinct m.id from pgcortex.memories as m
            where
                m.namespace = (select pgcortex.current_namespace())
                and m.id = any(get_memories.memory_ids)
                and (m.expires_at is null or m.expires_at > get_memories.as_of)
        );
        if pg_catalog.cardinality(_found) > 0 then
            perform pgcortex_internal.log_access(pgcortex.current_namespace(), _found, get_memories.as_of);
        end if;
    end if;
    return query
    select * from pgcortex_internal.memory_rows(
        array(
            select f.id from (
                select w.id, min(w.o) as o
                from pg_catalog.unnest(get_memories.memory_ids) with ordinality as w (id, o)
                group by w.id
            ) as f
            order by f.o
        ),
        get_memories.include_embedding,
        get_memories.as_of
    );
end
$$;

comment on function pgcortex.get_memories(uuid[], boolean, boolean, timestamptz) is
'The unexpired memories with these ids (at most 10000; unknown ids left out; each returned once), counting one access of each when track.';

-- name: list_memories
-- A page of memories matching filters, newest, most important or most
-- accessed first. Counts no access.
create or replace function pgcortex.list_memories(
    memory_types text[] default null,
    tags_any text[] default null,
    tags_all text[] default null,
    min_importance integer default null,
    max_importance integer default null,
    min_confidence real default null,
    created_after timestamptz default null,
    created_before timestamptz default null,
    metadata_contains jsonb default null,
    order_by text default 'newest',
    page_size integer default 50,
    page_offset integer default 0,
    include_embedding boolean default false,
    as_of timestamptz default now()
)
returns setof pgcortex.memory_row
language plpgsql
stable
security definer  -- uses memories, memory_access, memory_access_log: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
declare
    _ns text := pgcortex.current_namespace();
    _ids uuid [];
begin
    if list_memories.order_by is null
        or list_memories.order_by not in ('newest', 'oldest', 'importance', 'accessed', 'recent')
    then
        raise exception using
            errcode = 'PC003',
            message = pg_catalog.format('unknown order_by %L', list_memories.order_by),
            hint = 'newest, oldest, importance, accessed (most accessed) or recent (last accessed)';
    end if;
    if list_memories.page_size is null or list_memories.page_size not between 1 and 10000 then
        raise exception using errcode = 'PC004', message = 'page_size must be in 1..10000';
    end if;
    if list_memories.page_offset is null or list_memories.page_offset < 0 then
        raise exception using errcode = 'PC004', message = 'page_offset must be 0 or more';
    end if;
    if list_memories.metadata_contains is not null
        and pg_catalog.jsonb_typeof(list_memories.metadata_contains) <> 'object'
    then
        raise exception using errcode = 'PC023', message = 'metadata_contains must be a JSON object';
    end if;
    _ids := array(
        select f.id
        from (
            select
                m.id,
                m.created_at,
                m.importance,
                coalesce(a.access_count, 0) + coalesce(l.pending, 0) as access_count,
                coalesce(greatest(a.last_accessed, l.last_accessed), m.created_at) as last_accessed
            from pgcortex.memories as m
            left join pgcortex.memory_access as a
                on m.namespace = a.namespace and m.id = a.memory_id
            left join (
                select g.memory_id, g.pending, g.last_accessed
                from pgcortex_internal.pending_accesses() as g
                where list_memories.order_by in ('accessed', 'recent')
            ) as l on m.id = l.memory_id
            where
                m.namespace = _ns
                and (m.expires_at is null or m.expires_at > list_memories.as_of)
                and (list_memories.memory_types is null or m.memory_type = any(list_memories.memory_types))
                and (list_memories.tags_any is null or m.tags && list_memories.tags_any)
                and (list_memories.tags_all is null or m.tags @> list_memories.tags_all)
                and (list_memories.min_importance is null or m.importance >= list_memories.min_importance)
                and (list_memories.max_importance is null or m.importance <= list_memories.max_importance)
                and (list_memories.min_confidence is null or m.confidence >= list_memories.min_confidence)
                and (list_memories.created_after is null or m.created_at >= list_memories.created_after)
                and (list_memories.created_before is null or m.created_at < list_memories.created_before)
                and (
                    list_memories.metadata_contains is null
                    or m.metadata @> list_memories.metadata_contains
                )
        ) as f
        order by
            case when list_memories.order_by = 'importance' then f.importance end desc,
            case when list_memories.order_by = 'accessed' then f.access_count end desc,
            case when list_memories.order_by = 'recent' then f.last_accessed end desc,
            case when list_memories.order_by = 'oldest' then f.created_at end asc,
            f.created_at desc,
            f.id desc
        limit list_memories.page_size
        offset list_memories.page_offset
    );
    return query
    select * from pgcortex_internal.memory_rows(_ids, list_memories.include_embedding, list_memories.as_of);
end
$$;

comment on function pgcortex.list_memories(
    text[], text[], text[], integer, integer, real, timestamptz, timestamptz, jsonb, text,
    integer, integer, boolean, timestamptz
) is
'A page (page_size 1..10000, page_offset) of the unexpired memories matching every filter given, ordered by order_by: newest (default), oldest, importance (most important first), accessed (most accessed first) or recent (last accessed first); ties newest first. Counts no access.';

-- name: memory_history
-- The recorded changes of one memory, oldest first.
create or replace function pgcortex.memory_history(
    memory_id uuid,
    max_rows integer default 1000
)
returns table (
    history_id bigint,
    operation text,
    reason text,
    changed_at timestamptz,
    changed_fields text[],
    old_content text,
    new_content text,
    old_importance smallint,
    new_importance smallint,
    old_confidence real,
    new_confidence real,
    old_tags text[],
    new_tags text[],
    old_metadata jsonb,
    new_metadata jsonb
)
language plpgsql
stable
security definer  -- uses memory_history: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
begin
    if memory_history.memory_id is null then
        raise exception using errcode = 'PC003', message = 'memory_id is required';
    end if;
    if memory_history.max_rows is null or memory_history.max_rows < 1 then
        raise exception using errcode = 'PC004', message = 'max_rows must be at least 1';
    end if;
    return query
    select
        h.history_id, h.operation, h.reason, h.changed_at, h.changed_fields,
        h.old_content, h.new_content, h.old_importance, h.new_importance,
        h.old_confidence, h.new_confidence, h.old_tags, h.new_tags, h.old_metadata, h.new_metadata
    from pgcortex.memory_history as h
    where h.namespace = (select pgcortex.current_namespace()) and h.memory_id = memory_history.memory_id
    order by h.history_id
    limit memory_history.max_rows;
    if not found then
        raise exception using
            errcode = 'PC030',
            message = pg_catalog.format('no history of memory %s in this namespace', memory_history.memory_id);
    end if;
end
$$;

comment on function pgcortex.memory_history(uuid, integer) is
'What was believed before: the changes recorded for one memory (also after it was deleted), oldest first, at most max_rows. Raises PC030 when nothing was ever recorded for that id in this namespace.';

-- name: resolve_memory_id
-- The one unexpired memory of the current namespace whose id starts with the
-- given characters (hex digits; dashes and case ignored). Ids are time-ordered
-- (uuid v7), so the first 8 digits are shared by every memory made in the same
-- minute or so: a prefix must be long enough to name one memory.
-- Security definer: the application role has no privilege on pgcortex.memories;
-- like every API read it sees the current namespace only (explicit filter).
create or replace function pgcortex.resolve_memory_id(
    id_prefix text,
    as_of timestamptz default pg_catalog.now()
)
returns uuid
language plpgsql
stable
security definer  -- uses memories: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
declare
    _hex text := pg_catalog.replace(
        pg_catalog.lower(pg_catalog.btrim(coalesce(resolve_memory_id.id_prefix, ''))), '-', ''
    );
    _found uuid[];
begin
    if _hex !~ '^[0-9a-f]{1,32}$' then
        raise exception using
            errcode = 'PC003',
            message = pg_catalog.format(
                'not an id or the start of one: %s', pg_catalog.left(resolve_memory_id.id_prefix, 60)
            ),
            hint = 'an id is 32 hex digits (dashes allowed), e.g. 0190a4b2-7c3e-7d1f-9a2b-3c4d5e6f7a8b';
    end if;
    select pg_catalog.array_agg(f.id order by f.id)
    into _found
    from (
        select m.id
        from pgcortex.memories as m
        where
            m.namespace = (select pgcortex.current_namespace())
            and m.id between pg_catalog.rpad(_hex, 32, '0')::uuid
            and pg_catalog.rpad(_hex, 32, 'f')::uuid
            and (m.expires_at is null or m.expires_at > resolve_memory_id.as_of)
        order by m.id
        limit 2
    ) as f;
    if _found is null then
        raise exception using
            errcode = 'PC030',
            message = pg_catalog.format('no memory whose id starts with %s in this namespace', _hex);
    end if;
    if pg_catalog.cardinality(_found) > 1 then
        raise exception using
            errcode = 'PC003',
            message = pg_catalog.format('more than one memory has an id starting with %s', _hex),
            detail = pg_catalog.format('for example %s and %s', _found[1], _found[2]),
            hint = 'give more characters of the id';
    end if;
    return _found[1];
end
$$;

comment on function pgcortex.resolve_memory_id(text, timestamptz) is
'The id of the one unexpired memory of the namespace whose id starts with id_prefix (hex digits, dashes and case ignored). PC030 when none does, PC003 when more than one does or the prefix is not hex.';

-- name: list_memory_types
-- The kinds of memory, for a caller that offers them (the command line lists
-- them when a type is unknown). Invoker rights: pgcortex.memory_types is
-- reference data the application role may read.
create or replace function pgcortex.list_memory_types()
returns table (name text, description text)
language sql
stable
set search_path = pg_catalog, pg_temp
begin atomic
    select
        t.name,
        t.description
    from pgcortex.memory_types as t
    order by t.name;
end;

comment on function pgcortex.list_memory_types() is
'The kinds of memory (name, description), by name. Add one with a row in pgcortex.memory_types.';
