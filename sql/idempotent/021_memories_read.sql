-- name: 021_memories_read
-- Memories, part 2: the memories_v view, get by id (tracked), get many, list
-- with filters and paging, partial update, delete by id and by filter, and the
-- change history of a memory. Re-applied on every deploy.
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
left join lateral (
    select
        count(*) as pending,
        max(g.accessed_at) as last_accessed
    from pgcortex.memory_access_log as g
    where g.namespace = m.namespace and g.memory_id = m.id
) as l on true
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
        g.namespace,
        g.memory_id,
        1 as n,
        g.accessed_at as at
    from pgcortex.memory_access_log as g
) as x
group by x.namespace, x.memory_id;

comment on view pgcortex.memory_access_totals is
'Exact access count and last access of each accessed memory: pgcortex.memory_access plus the pending pgcortex.memory_access_log rows. Row-level security of both tables limits it to the current namespace. Memories never read have no row.';

-- name: access_totals_of
-- Internal helper of the read and search functions (not part of the API):
-- the exact access counts of the given memories of the namespace, as
-- pgcortex.memory_access_totals gives them, in one statement whose plan
-- cannot turn into sequential scans. A session's cached plan of a look-up
-- made while the access tables were empty (a fresh database, before the
-- first ANALYZE) read both tables whole for every candidate of every later
-- search (docs/performance.md): here the index on (namespace, memory_id) is
-- the only way in (enable_seqscan off, for this function only).
create or replace function pgcortex.access_totals_of(memory_ids uuid[])
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

comment on function pgcortex.access_totals_of(uuid[]) is
'Internal helper: exact access count and last access (folded counts plus the pending log) of the given memories of the current namespace, read through the (namespace, memory_id) indexes only; memories never read have no row.';

-- name: memory_rows
-- The memories with these ids, in the order given, as every read returns them.
create or replace function pgcortex.memory_rows(
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
    left join pgcortex.access_totals_of(memory_rows.memory_ids) as acc on m.id = acc.memory_id
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

comment on function pgcortex.memory_rows(uuid[], boolean, timestamptz) is
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
        perform pgcortex.track_access(array[get_memory.memory_id], get_memory.as_of);
    end if;
    return query
    select * from pgcortex.memory_rows(
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
        perform pgcortex.track_access(_found, get_memories.as_of);
    end if;
    return query
    select * from pgcortex.memory_rows(
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
            left join lateral (
                select
                    count(*) as pending,
                    max(g.accessed_at) as last_accessed
                from pgcortex.memory_access_log as g
                where
                    list_memories.order_by in ('accessed', 'recent')
                    and g.namespace = m.namespace and g.memory_id = m.id
            ) as l on true
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
    select * from pgcortex.memory_rows(_ids, list_memories.include_embedding, list_memories.as_of);
end
$$;

comment on function pgcortex.list_memories(
    text[], text[], text[], integer, integer, real, timestamptz, timestamptz, jsonb, text,
    integer, integer, boolean, timestamptz
) is
'A page (page_size 1..10000, page_offset) of the unexpired memories matching every filter given, ordered by order_by: newest (default), oldest, importance (most important first), accessed (most accessed first) or recent (last accessed first); ties newest first. Counts no access.';

-- name: update_memory
-- Changes the fields given of one memory; returns it as it is now.
create or replace function pgcortex.update_memory(
    memory_id uuid,
    content text default null,
    memory_type text default null,
    importance integer default null,
    confidence real default null,
    tags text[] default null,
    metadata jsonb default null,
    merge_metadata boolean default false,
    embedding public.vector default null,
    embedding_model text default null,
    expires_at timestamptz default null,
    clear_expiry boolean default false,
    as_of timestamptz default now()
)
returns setof pgcortex.memory_row
language plpgsql
volatile
security definer  -- uses memories: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _cur pgcortex.memories;
    _problem text;
    _other uuid;
    _content_changed boolean;
begin
    if update_memory.memory_id is null then
        raise exception using errcode = 'PC003', message = 'memory_id is required';
    end if;
    select * into _cur from pgcortex.memories as m
    where
        m.namespace = _ns and m.id = update_memory.memory_id
        and (m.expires_at is null or m.expires_at > update_memory.as_of)
    for no key update;
    if not found then
        raise exception using
            errcode = 'PC030',
            message = pg_catalog.format('no memory %s in this namespace', update_memory.memory_id);
    end if;
    if update_memory.content is not null and (
        pg_catalog.length(update_memory.content) > 100000
        or pg_catalog.btrim(update_memory.content, e' \t\r\n\f\v') = ''
    ) then
        raise exception using
            errcode = 'PC020',
            message = case when pg_catalog.length(update_memory.content) > 100000
                then pg_catalog.format(
                    'content has %s characters; at most 100000 are stored',
                    pg_catalog.length(update_memory.content)
                )
                else 'content is empty' end;
    end if;
    if update_memory.memory_type is not null and not exists (
        select from pgcortex.memory_types as t where t.name = update_memory.memory_type
    ) then
        raise exception using
            errcode = 'PC021',
            message = pg_catalog.format('unknown memory type %L', update_memory.memory_type),
            hint = 'the types are listed in pgcortex.memory_types';
    end if;
    if update_memory.importance is not null and update_memory.importance not between 1 and 5 then
        raise exception using
            errcode = 'PC004',
            message = pg_catalog.format('importance %s is outside 1..5', update_memory.importance);
    end if;
    if update_memory.confidence is not null
        and (update_memory.confidence not between 0 and 1 or update_memory.confidence = 'NaN'::real)
    then
        raise exception using
            errcode = 'PC004',
            message = pg_catalog.format('confidence %s is outside 0..1', update_memory.confidence);
    end if;
    _problem := pgcortex.tags_problem(update_memory.tags);
    if _problem is not null then
        raise exception using errcode = 'PC024', message = _problem;
    end if;
    _problem := pgcortex.metadata_problem(update_memory.metadata);
    if _problem is not null then
        raise exception using errcode = 'PC023', message = _problem;
    end if;
    _problem := pgcortex.embedding_problem(update_memory.embedding);
    if _problem is not null then
        raise exception using
            errcode = case when _problem like '%dimensions%' then 'PC010' else 'PC011' end,
            message = _problem,
            hint = 'embeddings have 384 finite values with a norm in 2^-60 .. 2^60; normalise to length 1';
    end if;
    if update_memory.embedding is not null then
        if update_memory.embedding_model is null
            or pg_catalog.btrim(update_memory.embedding_model) = ''
            or pg_catalog.length(update_memory.embedding_model) > 200
        then
            raise exception using
                errcode = 'PC003',
                message = 'embedding_model (1 to 200 characters) is required with an embedding';
        end if;
        perform pgcortex.check_embedding_model(update_memory.embedding_model);
    end if;
    if update_memory.expires_at is not null and update_memory.expires_at <= update_memory.as_of then
        raise exception using errcode = 'PC004', message = 'expires_at is not later than as_of';
    end if;
    _content_changed := update_memory.content is not null and update_memory.content <> _cur.content;
    if _content_changed then
        select m.id into _other from pgcortex.memories as m
        where
            m.namespace = _ns
            and m.content_hash = pgcortex.content_hash(update_memory.content)
            and m.id <> update_memory.memory_id;
        if _other is not null then
            raise exception using
                errcode = 'PC025',
                message = pg_catalog.format('memory %s already has this content', _other),
                hint = 'delete one of the two, or store the content to reinforce that memory';
        end if;
    end if;

    perform pgcortex.set_change_context('update', update_memory.as_of);
    update pgcortex.memories as m
    set
        content = coalesce(update_memory.content, m.content),
        memory_type = coalesce(update_memory.memory_type, m.memory_type),
        importance = coalesce(update_memory.importance, m.importance),
        confidence = coalesce(update_memory.confidence, m.confidence),
        tags = case when update_memory.tags is not null
            then pgcortex.normalize_tags(update_memory.tags) else m.tags end,
        metadata = case
            when update_memory.metadata is null
                or pg_catalog.jsonb_typeof(update_memory.metadata) = 'null' then m.metadata
            when update_memory.merge_metadata then m.metadata || update_memory.metadata
            else update_memory.metadata
        end,
        -- A new content makes the old embedding wrong: it is replaced by the
        -- one given, or cleared (the memory is text-only until re-embedded).
        embedding = case
            when update_memory.embedding is not null then update_memory.embedding
            when _content_changed then null
            else m.embedding
        end,
        embedding_model = case
            when update_memory.embedding is not null then update_memory.embedding_model
            when _content_changed then null
            else m.embedding_model
        end,
        expires_at = case
            when update_memory.clear_expiry then null
            else coalesce(update_memory.expires_at, m.expires_at)
        end,
        updated_at = update_memory.as_of
    where m.namespace = _ns and m.id = update_memory.memory_id;
    perform pgcortex.set_change_context(null, null);
    return query
    select * from pgcortex.memory_rows(
        array[update_memory.memory_id], update_memory.embedding is not null, update_memory.as_of
    );
end
$$;

comment on function pgcortex.update_memory(
    uuid, text, text, integer, real, text[], jsonb, boolean, public.vector, text, timestamptz,
    boolean, timestamptz
) is
'Partial update of one memory: only the fields given change (metadata replaced, or merged when merge_metadata; clear_expiry removes the expiry). A new content refreshes its hash and full-text vector (generated columns) and replaces the embedding with the one given, or clears it. Raises PC030 (unknown id), PC025 (another memory has that content) and the input codes of store_memories. Returns the memory as it is now; counts no access.';

-- name: forget_memories
-- Deletes the memories with these ids (history and log kept consistent);
-- the shared write path of every delete.
create or replace function pgcortex.forget_memories(
    memory_ids uuid[],
    reason text default 'delete',
    as_of timestamptz default now()
)
returns uuid[]
language plpgsql
volatile
security definer  -- uses memories, memory_access_log: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
declare
    _ns text := pgcortex.current_namespace();
    _deleted uuid [];
begin
    if forget_memories.reason is null or forget_memories.reason !~ '^[a-z][a-z0-9_]{0,62}$' then
        raise exception using errcode = 'PC003', message = 'reason must be a lower-case word';
    end if;
    perform pgcortex.set_change_context(forget_memories.reason, forget_memories.as_of);
    with gone as (
        delete from pgcortex.memories as m
        where m.namespace = _ns and m.id = any(forget_memories.memory_ids)
        returning m.id
    )
    select coalesce(pg_catalog.array_agg(gone.id order by gone.id), '{}'::uuid []) into _deleted
    from gone;
    delete from pgcortex.memory_access_log as l
    where l.namespace = _ns and l.memory_id = any(_deleted);
    perform pgcortex.set_change_context(null, null);
    return _deleted;
end
$$;

comment on function pgcortex.forget_memories(uuid[], text, timestamptz) is
'Deletes the memories with these ids in this namespace (links, cluster membership and access counts go with them; the history keeps a delete entry with the given reason) and returns the ids deleted.';

-- name: delete_memory
-- Deletes one memory by id.
create or replace function pgcortex.delete_memory(memory_id uuid, as_of timestamptz default now())
returns uuid
language plpgsql
volatile
security invoker  -- calls only API functions, which hold the rights they need
set search_path = pg_catalog, pg_temp
as $$
declare
    _deleted uuid [];
begin
    if delete_memory.memory_id is null then
        raise exception using errcode = 'PC003', message = 'memory_id is required';
    end if;
    _deleted := pgcortex.forget_memories(array[delete_memory.memory_id], 'delete', delete_memory.as_of);
    if pg_catalog.cardinality(_deleted) = 0 then
        raise exception using
            errcode = 'PC030',
            message = pg_catalog.format('no memory %s in this namespace', delete_memory.memory_id);
    end if;
    return delete_memory.memory_id;
end
$$;

comment on function pgcortex.delete_memory(uuid, timestamptz) is
'Deletes one memory (its links and cluster membership go with it) and returns its id; raises PC030 when there is no such memory in the namespace.';

-- name: delete_memories
-- Deletes the memories matching every filter given (at least one filter).
create or replace function pgcortex.delete_memories(
    memory_ids uuid[] default null,
    memory_types text[] default null,
    tags_any text[] default null,
    tags_all text[] default null,
    max_importance integer default null,
    created_before timestamptz default null,
    metadata_contains jsonb default null,
    as_of timestamptz default now()
)
returns table (deleted bigint, ids uuid[])
language plpgsql
volatile
security definer  -- uses memories: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
declare
    _ns text := pgcortex.current_namespace();
    _ids uuid [];
begin
    if delete_memories.memory_ids is null and delete_memories.memory_types is null
        and delete_memories.tags_any is null and delete_memories.tags_all is null
        and delete_memories.max_importance is null and delete_memories.created_before is null
        and delete_memories.metadata_contains is null
    then
        raise exception using
            errcode = 'PC003',
            message = 'give at least one filter',
            hint = 'to delete everything, filter on memory_types with all the types';
    end if;
    if delete_memories.metadata_contains is not null
        and pg_catalog.jsonb_typeof(delete_memories.metadata_contains) <> 'object'
    then
        raise exception using errcode = 'PC023', message = 'metadata_contains must be a JSON object';
    end if;
    _ids := array(
        select m.id from pgcortex.memories as m
        where
            m.namespace = _ns
            and (delete_memories.memory_ids is null or m.id = any(delete_memories.memory_ids))
            and (delete_memories.memory_types is null or m.memory_type = any(delete_memories.memory_types))
            and (delete_memories.tags_any is null or m.tags && delete_memories.tags_any)
            and (delete_memories.tags_all is null or m.tags @> delete_memories.tags_all)
            and (delete_memories.max_importance is null or m.importance <= delete_memories.max_importance)
            and (delete_memories.created_before is null or m.created_at < delete_memories.created_before)
            and (
                delete_memories.metadata_contains is null
                or m.metadata @> delete_memories.metadata_contains
            )
    );
    _ids := pgcortex.forget_memories(_ids, 'delete', delete_memories.as_of);
    return query select pg_catalog.cardinality(_ids)::bigint, _ids;
end
$$;

comment on function pgcortex.delete_memories(
    uuid[], text[], text[], text[], integer, timestamptz, jsonb, timestamptz
) is
'Deletes the memories (expired or not) matching every filter given; at least one filter is required (PC003). Returns how many were deleted and their ids.';

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
