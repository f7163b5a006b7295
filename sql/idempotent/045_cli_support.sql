-- name: 045_cli_support
-- Look-ups the command line needs: a memory by the first characters of its id.
-- Re-applied on every deploy.
-- Parameters are referenced as function_name.param (the house rule), which
-- the linter's RF01 would take for unknown tables.
-- noqa: disable=RF01

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
