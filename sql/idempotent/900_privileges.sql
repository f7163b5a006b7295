-- name: 900_privileges
-- Roles, privileges and row-level security. Applied last on every deploy.
--
-- pgcortex_owner  owns nothing yet by default; deployers may own the objects.
-- pgcortex_app    the application role: executes the API functions and reads
--                 the views; no direct access to the tables.

do $roles$
begin
    if not exists (select from pg_catalog.pg_roles where rolname = 'pgcortex_app') then
        create role pgcortex_app nologin;
    end if;
end
$roles$;

revoke all on schema pgcortex from public;
grant usage on schema pgcortex to pgcortex_app;

revoke all on all tables in schema pgcortex from public;
revoke all on all sequences in schema pgcortex from public;
revoke all on all functions in schema pgcortex from public;

grant execute on all functions in schema pgcortex to pgcortex_app;

-- Row-level security on every table that has a namespace: a row is visible
-- only when its namespace is the one set for the call. Forced, so that the
-- tables' owner is held to it as well; fail-closed when the setting is unset.
do $rls$
declare
    _t regclass;
begin
    for _t in
        select c.oid::regclass
        from pg_catalog.pg_class as c
        inner join pg_catalog.pg_attribute as a
            on a.attrelid = c.oid and a.attname = 'namespace' and not a.attisdropped
        where c.relnamespace = 'pgcortex'::regnamespace and c.relkind in ('r', 'p')
    loop
        execute pg_catalog.format('alter table %s enable row level security', _t);
        execute pg_catalog.format('alter table %s force row level security', _t);
        execute pg_catalog.format('drop policy if exists namespace_isolation on %s', _t);
        execute pg_catalog.format(
            'create policy namespace_isolation on %s using '
            '(namespace = pg_catalog.current_setting(''pgcortex.namespace'', true)) '
            'with check (namespace = pg_catalog.current_setting(''pgcortex.namespace'', true))',
            _t
        );
    end loop;
end
$rls$;
