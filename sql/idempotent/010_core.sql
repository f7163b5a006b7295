-- name: 010_core
-- Core of the SQL API: the namespace of the current call and the schema
-- version. Re-applied on every deploy.
--
-- Conventions: names and rights in every function of the schema
-- ---------------------------------------------------------------
-- The caller of an API function may be a tenant's login running any SQL it
-- likes (a compromised agent), with TEMP on the database. Nothing it creates may
-- ever run inside a function, above all not inside a security definer one,
-- where it would run as pgcortex_owner.
--
-- 1. Every function: `set search_path = pg_catalog, pg_temp`, exactly (tested:
--    test_every_function_pins_pg_catalog_then_pg_temp). PostgreSQL looks up
--    type and relation names in the session's pg_temp FIRST unless pg_temp is
--    named in the path; `search_path = ''` did that, so a caller's
--    `create domain pg_temp.text ... check (pg_temp.mine())` ran inside the API.
--    With pg_catalog first, every built-in name (text, jsonb, uuid, int4, ...)
--    resolves there; pg_temp comes last and is never searched for functions
--    or operators.
-- 2. Every name outside pg_catalog is schema-qualified in bodies, casts,
--    declarations and dynamic SQL alike: pgcortex.memories,
--    pgcortex.current_namespace(), public.vector, public.halfvec,
--    public.vector_dims(), operator(public.<=>). A bare name that pg_catalog
--    lacks would be looked up in pg_temp (tested over every body:
--    test_no_function_body_names_a_non_catalog_object_without_its_schema).
--    pg_catalog names may stay bare; calls are written pg_catalog.f() anyway.
-- 3. `security definer` only where the body itself uses a table (or view) that
--    pgcortex_app may not use, or calls a function of pgcortex_internal (the
--    schema of helpers, closed to pgcortex_app), with the reason on the same
--    line; helpers and wrappers that only call API functions are `security
--    invoker` (test_security_definer_only_where_the_app_role_may_not_do_it_itself).
-- 4. The proof: the caller's pg_temp armed with spying domains, types, casts,
--    functions, operators, views and text search configurations named like
--    everything a body could use, and every API call run as an app login
--    (test_no_object_of_the_callers_temp_schema_runs_inside_the_api).

-- name: current_namespace
-- The namespace this call works in: the setting pgcortex.namespace (set by the
-- client at connect, or by `set pgcortex.namespace = '...'` in psql).
-- Fail-closed: raises PC001 when it is not set, PC051 when the login role may
-- not use it (bound to other namespaces, or unbound while unbound logins are
-- refused: pgcortex_internal.namespace_permitted, 040_security.sql).
create or replace function pgcortex.current_namespace()
returns text
language plpgsql
stable
parallel safe
security definer  -- calls pgcortex_internal.namespace_permitted: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
declare
    _ns text := pg_catalog.current_setting('pgcortex.namespace', true);
begin
    if _ns is null or _ns = '' then
        raise exception using
            errcode = 'PC001',
            message = 'pgcortex.namespace is not set',
            hint = 'the client sets it at connect; in psql run: set pgcortex.namespace = ''default''';
    end if;
    if pg_catalog.length(_ns) > 128 or _ns ~ '[[:cntrl:]]' then
        raise exception using
            errcode = 'PC002',
            message = 'invalid namespace',
            detail = 'a namespace has 1 to 128 characters and no control characters';
    end if;
    -- Namespace bindings: a login role bound to other namespaces is refused
    -- here, so by every API function, whatever row-level security does
    -- (pgcortex.memories has it enabled, not forced: docs/performance.md).
    if not pgcortex_internal.namespace_permitted() then
        raise exception using
            errcode = 'PC051',
            message = 'this login role may not use this namespace',
            detail = pg_catalog.format('namespace %s', _ns),
            hint = 'the role is bound to other namespaces, or has no binding while unbound logins are refused (pgcortex.namespace_bindings, pgcortex.security_settings)';
    end if;
    return _ns;
end
$$;

comment on function pgcortex.current_namespace() is
'The namespace of the current call (setting pgcortex.namespace); raises PC001 when unset, PC002 when invalid, PC051 when the login role may not use it (bound to other namespaces in pgcortex.namespace_bindings, or unbound while pgcortex.security_settings refuses unbound logins).';

-- name: schema_version
-- The schema version of this database and what has been deployed.
create or replace function pgcortex.schema_version()
returns table (
    version integer,
    min_client_version integer,
    migrations_applied bigint,
    last_deployed_at timestamptz
)
language sql
stable
security invoker
set search_path = pg_catalog, pg_temp
begin atomic
    select
        i.version,
        i.min_client_version,
        (
            select count(*) from pgcortex.schema_migrations as m
            where m.kind = 'incremental'
        ) as migrations_applied,
        (select max(m.applied_at) from pgcortex.schema_migrations as m) as last_deployed_at
    from pgcortex.schema_info as i;
end;

comment on function pgcortex.schema_version() is
'The schema version (compared by clients on connect), the oldest client version it accepts, and deploy facts.';
