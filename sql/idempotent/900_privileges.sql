-- name: 900_privileges
-- Roles, ownership, privileges and row-level security. Applied last on every
-- deploy, so whatever the files before it created is covered.
--
-- pgcortex_owner  owns the schemas pgcortex and pgcortex_internal and every
--                 table, view, function, sequence and type in them. Not a superuser and without BYPASSRLS, so forced
--                 row-level security binds it too: the API functions, which are
--                 security definer and owned by it, see one namespace only.
--                 Except on pgcortex.memories (enabled, not forced, for index
--                 use), where the functions' explicit namespace filter and
--                 current_namespace()'s binding check do that alone.
-- pgcortex_app    the application role (grant it to your login role): executes
--                 the API functions (every function of schema pgcortex), reads
--                 the views and the reference tables that have no namespace;
--                 nothing on any namespaced table, and nothing in schema
--                 pgcortex_internal (not even usage: the API functions that
--                 call an internal function are security definer) but execute
--                 on namespace_permitted(), which the policies call.
--
-- Deploy as a superuser, or as a role that is a member of pgcortex_owner.

-- Roles -----------------------------------------------------------------------

-- Roles are cluster-wide while the deploy lock is per database, so two deploys
-- into two databases may race here: the loser of the race finds the role made.
do $roles$
declare
    _role text;
begin
    foreach _role in array array['pgcortex_owner', 'pgcortex_app'] loop
        if not exists (select from pg_catalog.pg_roles where rolname = _role) then
            begin
                execute pg_catalog.format(
                    'create role %I nologin nosuperuser nocreatedb nocreaterole noinherit '
                    'nobypassrls',
                    _role
                );
            exception when duplicate_object or unique_violation then
                null;  -- made by a concurrent deploy into another database
            end;
        end if;
    end loop;
end
$roles$;

-- Ownership -------------------------------------------------------------------

-- Everything in schemas pgcortex and pgcortex_internal goes to pgcortex_owner. Objects that belong to an
-- extension, identity sequences (they follow their table) and implicit types
-- (row types of tables, array types) are left to follow their parent.
do $owner$
declare
    _obj record;
begin
    execute 'alter schema pgcortex owner to pgcortex_owner';
    execute 'alter schema pgcortex_internal owner to pgcortex_owner';
    for _obj in
        select
            pg_catalog.format(
                'alter %s %s owner to pgcortex_owner',
                case c.relkind
                    when 'v' then 'view'
                    when 'm' then 'materialized view'
                    when 'S' then 'sequence'
                    when 'f' then 'foreign table'
                    else 'table'
                end,
                c.oid::regclass
            ) as stmt
        from pg_catalog.pg_class as c
        where
            c.relnamespace = 'pgcortex'::regnamespace
            and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
            and c.relowner <> 'pgcortex_owner'::regrole
            and not exists (
                select from pg_catalog.pg_depend as d
                where
                    d.classid = 'pg_catalog.pg_class'::regclass
                    and d.objid = c.oid
                    and d.deptype in ('e', 'i', 'a')
            )
        union all
        select
            pg_catalog.format(
                'alter %s %s owner to pgcortex_owner',
                case p.prokind
                    when 'p' then 'procedure'
                    when 'a' then 'aggregate'
                    else 'function'
                end,
                p.oid::regprocedure
            )
        from pg_catalog.pg_proc as p
        where
            p.pronamespace in ('pgcortex'::regnamespace, 'pgcortex_internal'::regnamespace)
            and p.proowner <> 'pgcortex_owner'::regrole
            and not exists (
                select from pg_catalog.pg_depend as d
                where
                    d.classid = 'pg_catalog.pg_proc'::regclass
                    and d.objid = p.oid
                    and d.deptype = 'e'
            )
        union all
        select
            pg_catalog.format(
                'alter %s %s owner to pgcortex_owner',
                case t.typtype when 'd' then 'domain' else 'type' end,
                t.oid::regtype
            )
        from pg_catalog.pg_type as t
        where
            t.typnamespace = 'pgcortex'::regnamespace
            and t.typowner <> 'pgcortex_owner'::regrole
            and t.typcategory <> 'A'
            and (
                t.typrelid = 0
                or (select c.relkind from pg_catalog.pg_class as c where c.oid = t.typrelid) = 'c'
            )
            and not exists (
                select from pg_catalog.pg_depend as d
                where
                    d.classid = 'pg_catalog.pg_type'::regclass
                    and d.objid = t.oid
                    and d.deptype = 'e'
            )
    loop
        execute _obj.stmt;
    end loop;
end
$owner$;

-- Privileges ------------------------------------------------------------------

-- Start from nothing for PUBLIC and the application role, then grant exactly
-- what the application needs, so a grant dropped from this file disappears.
revoke all on schema pgcortex from public;
revoke all on schema pgcortex from pgcortex_app;
grant usage on schema pgcortex to pgcortex_app;

revoke all on all tables in schema pgcortex from public;
revoke all on all tables in schema pgcortex from pgcortex_app;
revoke all on all sequences in schema pgcortex from public;
revoke all on all sequences in schema pgcortex from pgcortex_app;
revoke all on all functions in schema pgcortex from public;
revoke all on all functions in schema pgcortex from pgcortex_app;

grant execute on all functions in schema pgcortex to pgcortex_app;

-- The internals: nothing for PUBLIC or the application role. Functions are
-- created executable by PUBLIC, so this revoke runs after every deploy.
revoke all on schema pgcortex_internal from public;
revoke all on schema pgcortex_internal from pgcortex_app;
revoke all on all functions in schema pgcortex_internal from public;
revoke all on all functions in schema pgcortex_internal from pgcortex_app;
-- One exception: the row-level security policies (below) call
-- namespace_permitted(), and a policy's functions are checked against the role
-- that runs the query, which for the views (memories_v, memory_summary_v, ...)
-- is the application role. Without usage on the schema it still cannot call
-- the function by name: only the policies reach it.
do $permitted$
begin
    -- Releases before the bindings (security area) have no such function.
    if pg_catalog.to_regprocedure('pgcortex_internal.namespace_permitted()') is not null then
        execute 'grant execute on function pgcortex_internal.namespace_permitted() to pgcortex_app';
    end if;
    -- The views' pending access counts (memories_v, memory_access_totals,
    -- memory_summary_v): a function, since a hot standby cannot plan a view
    -- that names the unlogged access log; run as the role querying the view.
    if pg_catalog.to_regprocedure('pgcortex_internal.pending_accesses()') is not null then
        execute 'grant execute on function pgcortex_internal.pending_accesses() to pgcortex_app';
    end if;
end
$permitted$;

do $grants$
declare
    _obj record;
begin
    -- Views, and tables without a namespace column (reference data such as
    -- memory_types, error_codes, schema_info): read-only. Not the namespace
    -- bindings: which role may use which tenant is not the application's to read.
    for _obj in
        select c.oid::regclass as name
        from pg_catalog.pg_class as c
        where
            c.relnamespace = 'pgcortex'::regnamespace
            and (
                c.relkind in ('v', 'm')
                or (
                    c.relkind in ('r', 'p')
                    and c.relname <> 'namespace_bindings'
                    and not exists (
                        select from pg_catalog.pg_attribute as a
                        where a.attrelid = c.oid and a.attname = 'namespace' and not a.attisdropped
                    )
                )
            )
    loop
        execute pg_catalog.format('grant select on %s to pgcortex_app', _obj.name);
    end loop;
    -- Types and domains: usage for the application role, not for PUBLIC.
    for _obj in
        select
            t.oid::regtype as name,
            case t.typtype when 'd' then 'domain' else 'type' end as kind
        from pg_catalog.pg_type as t
        where
            t.typnamespace = 'pgcortex'::regnamespace
            and t.typcategory <> 'A'
            and (
                t.typrelid = 0
                or (select c.relkind from pg_catalog.pg_class as c where c.oid = t.typrelid) = 'c'
            )
    loop
        execute pg_catalog.format('revoke all on %s %s from public', _obj.kind, _obj.name);
        execute pg_catalog.format('grant usage on %s %s to pgcortex_app', _obj.kind, _obj.name);
    end loop;
end
$grants$;

-- Temporary objects -----------------------------------------------------------

-- No API function needs TEMP for the application's login roles. The import
-- functions (050_import.sql) stage each batch in a temporary table of their own
-- (created fresh, dropped at commit), so the owner role is granted TEMP on this
-- database directly, whatever PUBLIC has. Every function also resolves names as if the caller's temporary
-- schema did not exist (010_core.sql, "Conventions"), so a tenant with TEMP
-- gains nothing from it; without it, it cannot even try. TEMP is a privilege of
-- PUBLIC on every database by default, and other applications sharing this
-- database may rely on it, so the deploy revokes it only when asked: with the
-- setting pgcortex.revoke_temp = on (`alter database ... set
-- pgcortex.revoke_temp = on`, or PGOPTIONS='-c pgcortex.revoke_temp=on' for one
-- deploy) it revokes TEMP on this database from PUBLIC; grant it back to the
-- roles that need it. Nothing is granted back when the setting is off.
do $temp$
begin
    execute pg_catalog.format(
        'grant temporary on database %I to pgcortex_owner', pg_catalog.current_database()
    );
    if pg_catalog.lower(pg_catalog.current_setting('pgcortex.revoke_temp', true))
        in ('on', 'true', 'yes', '1') then
        execute pg_catalog.format(
            'revoke temporary on database %I from public', pg_catalog.current_database()
        );
    end if;
end
$temp$;

-- Row-level security ----------------------------------------------------------

-- On every table that has a namespace: a row is visible and writable only when
-- its namespace is the one set for the call, and the session's login role may
-- use that namespace (pgcortex.namespace_bindings; checked once per query).
-- Forced, so that the tables' owner (and so every security definer function) is
-- held to it as well; fail-closed: with the setting unset or empty no row matches.
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
        -- Forced everywhere except pgcortex.memories: a policy keeps the
        -- planner from pushing non-leakproof operators (tags @>, &&, full-text
        -- @@, jsonb @>) into index scans, which turned every filtered search
        -- into a sequential scan (320 ms vs 0.3 ms, docs/performance.md). The
        -- API functions filter the namespace explicitly and current_namespace()
        -- refuses bound roles; other roles are still held to the policy.
        if _t = 'pgcortex.memories'::regclass then
            execute pg_catalog.format('alter table %s no force row level security', _t);
        else
            execute pg_catalog.format('alter table %s force row level security', _t);
        end if;
        execute pg_catalog.format('drop policy if exists namespace_isolation on %s', _t);
        execute pg_catalog.format(
            'create policy namespace_isolation on %1$s using (%2$s) with check (%2$s)',
            _t,
            'namespace = pg_catalog.current_setting(''pgcortex.namespace'', true)'
            -- Releases before the bindings (security area) have no such check.
            || case
                when pg_catalog.to_regprocedure('pgcortex_internal.namespace_permitted()') is not null
                    then ' and (select pgcortex_internal.namespace_permitted())'
                else ''
            end
        );
    end loop;
end
$rls$;
