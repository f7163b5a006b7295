-- name: 023_memories_links
-- Memories, links: links between memories and related memories to a depth.
-- Re-applied on every deploy.
-- Parameters are referenced as function_name.param (the house rule), which
-- the linter's RF01 would take for unknown tables.
-- noqa: disable=RF01

-- name: memory_link_row
-- The row link_memories returns: a link without its namespace. Re-created on
-- each deploy (only the function below uses it; it is created after it).
drop type if exists pgcortex.memory_link_row cascade;
create type pgcortex.memory_link_row as (
    source_id uuid,
    target_id uuid,
    relation text,
    weight real,
    created_at timestamptz
);

comment on type pgcortex.memory_link_row is
'A link between two memories as the API returns it: pgcortex.memory_links without the namespace.';

-- name: link_memories
-- Links two memories (directed, typed, weighted); linking again updates the weight.
create or replace function pgcortex.link_memories(
    source_id uuid,
    target_id uuid,
    relation text default 'related',
    weight real default 1.0,
    as_of timestamptz default now()
)
returns setof pgcortex.memory_link_row
language plpgsql
volatile
security definer  -- uses memories, memory_links: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _missing uuid;
begin
    if link_memories.source_id is null or link_memories.target_id is null then
        raise exception using errcode = 'PC003', message = 'source_id and target_id are required';
    end if;
    if link_memories.source_id = link_memories.target_id then
        raise exception using errcode = 'PC003', message = 'a memory cannot be linked to itself';
    end if;
    if link_memories.relation is null or link_memories.relation !~ '^[a-z][a-z0-9_]{0,62}$' then
        raise exception using
            errcode = 'PC003',
            message = pg_catalog.format('invalid relation %L', link_memories.relation),
            hint = 'a relation is a lower-case word: a letter, then letters, digits or _ (63 at most)';
    end if;
    if link_memories.weight is null or not (link_memories.weight between 0 and 1) then
        raise exception using errcode = 'PC004', message = 'weight must be in 0..1';
    end if;
    select x.id into _missing
    from pg_catalog.unnest(array[link_memories.source_id, link_memories.target_id]) as x (id)
    where not exists (
        select from pgcortex.memories as m
        where
            m.namespace = _ns and m.id = x.id
            and (m.expires_at is null or m.expires_at > link_memories.as_of)
    )
    limit 1;
    if _missing is not null then
        raise exception using
            errcode = 'PC030',
            message = pg_catalog.format('no memory %s in this namespace', _missing);
    end if;
    return query
    insert into pgcortex.memory_links as l (namespace, source_id, target_id, relation, weight, created_at)
    values (
        _ns, link_memories.source_id, link_memories.target_id, link_memories.relation,
        link_memories.weight, link_memories.as_of
    )
    on conflict (namespace, source_id, target_id, relation) do update
        set weight = excluded.weight
    returning l.source_id, l.target_id, l.relation, l.weight, l.created_at;
end
$$;

comment on function pgcortex.link_memories(uuid, uuid, text, real, timestamptz) is
'Links source to target with a relation (a lower-case word, default related) and a weight in 0..1; linking the same pair and relation again sets the new weight. Returns the link row. PC030 when either memory is not in the namespace, PC003 / PC004 on bad input.';

-- name: unlink_memories
-- Removes links from source to target (one relation, or all).
create or replace function pgcortex.unlink_memories(
    source_id uuid,
    target_id uuid,
    relation text default null
)
returns bigint
language sql
volatile
security definer  -- uses memory_links: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
begin atomic
    with gone as (
        delete from pgcortex.memory_links as l
        where
            l.namespace = (select pgcortex.current_namespace())
            and l.source_id = unlink_memories.source_id
            and l.target_id = unlink_memories.target_id
            and (unlink_memories.relation is null or l.relation = unlink_memories.relation)
        returning 1
    )

    select count(*) from gone;
end;

comment on function pgcortex.unlink_memories(uuid, uuid, text) is
'Removes the links from source to target with that relation (all relations when null); returns how many were removed.';

-- name: related_memories
-- The memories reachable from one memory over links (either direction), up
-- to a depth, each once at its shortest distance.
create or replace function pgcortex.related_memories(
    memory_id uuid,
    depth integer default 2,
    relations text[] default null,
    max_results integer default 100,
    as_of timestamptz default now()
)
returns table (
    id uuid,
    distance integer,
    path uuid[],
    relation text,
    direction text,
    path_weight real,
    content text,
    memory_type text,
    importance smallint,
    confidence real,
    tags text[]
)
language plpgsql
stable
security definer  -- uses memories, memory_links: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    if related_memories.depth is null or related_memories.depth not between 1 and 5 then
        raise exception using errcode = 'PC004', message = 'depth must be in 1..5';
    end if;
    if related_memories.max_results is null or related_memories.max_results not between 1 and 10000 then
        raise exception using errcode = 'PC004', message = 'max_results must be in 1..10000';
    end if;
    if not exists (
        select from pgcortex.memories as m
        where
            m.namespace = _ns and m.id = related_memories.memory_id
            and (m.expires_at is null or m.expires_at > related_memories.as_of)
    ) then
        raise exception using
            errcode = 'PC030',
            message = pg_catalog.format('no memory %s in this namespace', related_memories.memory_id);
    end if;
    return query
    with recursive edges as (
        select l.source_id as a, l.target_id as b, l.relation, l.weight, 'out' as direction
        from pgcortex.memory_links as l
        where l.namespace = _ns
            and (related_memories.relations is null or l.relation = any(related_memories.relations))
        union all
        select l.target_id, l.source_id, l.relation, l.weight, 'in'
        from pgcortex.memory_links as l
        where l.namespace = _ns
            and (related_memories.relations is null or l.relation = any(related_memories.relations))
    ),
    walk (node, distance, path, relation, direction, path_weight) as (
        select
            related_memories.memory_id, 0, array[related_memories.memory_id],
            null::text, null::text, 1.0::float8
        union all
        select e.b, w.distance + 1, w.path || e.b, e.relation, e.direction, w.path_weight * e.weight
        from walk as w
        inner join edges as e on e.a = w.node
        where w.distance < related_memories.depth and e.b <> all(w.path)
    ),
    best as (
        select distinct on (w.node) w.*
        from walk as w
        where w.distance > 0
        order by w.node, w.distance, w.path_weight desc
    )
    select
        b.node, b.distance, b.path, b.relation, b.direction, b.path_weight::real,
        m.content, m.memory_type, m.importance, m.confidence, m.tags
    from best as b
    inner join pgcortex.memories as m on m.namespace = _ns and m.id = b.node
    where m.expires_at is null or m.expires_at > related_memories.as_of
    order by b.distance, b.path_weight desc, b.node
    limit related_memories.max_results;
end
$$;

comment on function pgcortex.related_memories(uuid, integer, text[], integer, timestamptz) is
'Memories linked to one memory, following links either way up to depth (1..5) hops, each listed once at its shortest distance with the path, the last link''s relation and direction (out: followed from source to target), and path_weight (product of the link weights). Cycle-safe (a path never revisits a memory). Raises PC030 for an unknown id. Counts no access.';
