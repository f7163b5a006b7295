-- name: 040_security
-- Namespace-wide operations: export a namespace as JSON lines, erase it in one
-- call, and read the audit log of both. Re-applied on every deploy.

-- name: namespaced_tables
-- Every table of schema pgcortex with a namespace column (except the audit
-- log), with its depth in the foreign-key graph: a table comes after every
-- table it references, so export in depth order and erase in reverse.
create or replace function pgcortex_internal.namespaced_tables()
returns table (table_name regclass, depth integer)
language sql
stable
security invoker
set search_path = pg_catalog, pg_temp
begin atomic
    with recursive tabs as (
        select c.oid
        from pg_catalog.pg_class as c
        inner join pg_catalog.pg_attribute as a
            on c.oid = a.attrelid and a.attname = 'namespace' and not a.attisdropped
        where
            c.relnamespace = 'pgcortex'::regnamespace
            and c.relkind in ('r', 'p')
            and c.relname <> 'namespace_audit'
    ),

    refs as (
        select distinct
            k.conrelid as child,
            k.confrelid as parent
        from pg_catalog.pg_constraint as k
        where
            k.contype = 'f'
            and k.conrelid in (select tabs.oid from tabs)
            and k.confrelid in (select tabs.oid from tabs)
            and k.conrelid <> k.confrelid
    ),

    walk (oid, depth) as (
        select
            tabs.oid,
            0
        from tabs
        union all
        select
            refs.child,
            walk.depth + 1
        from walk
        inner join refs on walk.oid = refs.parent
        where walk.depth < 32
    )

    select
        walk.oid::regclass as table_name,
        max(walk.depth)::integer as depth
    from walk
    group by walk.oid
    order by max(walk.depth), walk.oid::regclass::text;
end;

comment on function pgcortex_internal.namespaced_tables() is
'The namespaced tables (audit log excepted) with their depth in the foreign-key graph: export in that order, erase in reverse.';

-- name: namespace_permitted
-- Whether this session may use the namespace it has set. A login role
-- (session_user) with bindings in pgcortex.namespace_bindings may use those
-- namespaces ('*': every one). A role without bindings: every namespace when
-- pgcortex.security_settings.unbound_logins is 'allow'; when it is 'refuse'
-- (fail-closed, the default of new deployments) none, unless the role is a
-- superuser or a member of pgcortex_owner (the embedded single-user default
-- connects as the superuser). Every row-level security policy checks it (once
-- per query), and so does pgcortex.current_namespace().
create or replace function pgcortex_internal.namespace_permitted()
returns boolean
language plpgsql
stable
security definer  -- reads pgcortex.namespace_bindings, which pgcortex_app may not read
set search_path = pg_catalog, pg_temp
as $$
declare
    _ns text := pg_catalog.current_setting('pgcortex.namespace', true);
    _bound boolean;
begin
    -- plpgsql, not begin atomic: this file is also applied at releases that
    -- predate the bindings table (0007) and the settings table (0012), where
    -- nothing calls it.
    -- One look-up: no binding rows for the role (null) means unbound.
    select
        pg_catalog.bool_or(
            b.bound_namespace::text = '*' or coalesce(b.bound_namespace::text = _ns, false)
        )
    into _bound
    from pgcortex.namespace_bindings as b
    where b.role_name = session_user;
    if _bound is not null then
        return _bound;
    end if;
    if coalesce((select s.unbound_logins from pgcortex.security_settings as s), 'allow') = 'allow' then
        return true;
    end if;
    return coalesce((select r.rolsuper from pg_catalog.pg_roles as r where r.rolname = session_user), false)
    or pg_catalog.pg_has_role(session_user, 'pgcortex_owner', 'member');
end
$$;

comment on function pgcortex_internal.namespace_permitted() is
'True when the session may use the namespace it has set: its login role is bound to that namespace or to ''*'' in pgcortex.namespace_bindings; or it has no binding and pgcortex.security_settings.unbound_logins is allow, or it is a superuser or a member of pgcortex_owner. Checked by the row-level security policy of every namespaced table and by pgcortex.current_namespace() (PC051).';

-- name: export_namespace
-- The whole current namespace as JSON lines: a header, one line per row of
-- every namespaced table (parents before children), and an end line with the
-- row count, so a reader can tell a complete export from a cut one. Audited.
-- Run it in a repeatable read transaction for one consistent snapshot.
create or replace function pgcortex.export_namespace()
returns setof jsonb
language plpgsql
volatile
security definer  -- reads every namespaced table: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
declare
    _ns text := pgcortex.current_namespace();
    _t record;
    _skip text[];
    _order text;
    _json_text text;
    _n bigint;
    _total bigint := 0;
    _counts jsonb := '{}';
begin
    -- Audited, so it writes: refused on a hot standby before any row, as any
    -- write is there (the server's read-only error code).
    if pg_catalog.pg_is_in_recovery() then
        raise exception using
            errcode = 'read_only_sql_transaction',
            message = 'export_namespace writes its audit row: run it on the primary, not on a hot standby';
    end if;
    -- The queued memories join their clusters first, so the export holds them
    -- in their clusters (a read-only transaction exports the queue as it is).
    perform pgcortex_internal.cluster_pending();
    return next pg_catalog.jsonb_build_object(
        'pgcortex_export', 1,
        'namespace', _ns,
        'schema_version', (select i.version from pgcortex.schema_info as i),
        'exported_at', pg_catalog.now(),
        'tables', (
            select pg_catalog.jsonb_agg(c.relname::text order by t.depth, c.relname)
            from pgcortex_internal.namespaced_tables() as t
            inner join pg_catalog.pg_class as c on t.table_name = c.oid
        )
    );
    for _t in
        select
            t.table_name,
            c.relname::text as name
        from pgcortex_internal.namespaced_tables() as t
        inner join pg_catalog.pg_class as c on t.table_name = c.oid
        order by t.depth, c.relname
    loop
        -- Generated columns and the namespace itself are not data of the row.
        select coalesce(pg_catalog.array_agg(a.attname::text), '{}')
        into _skip
        from pg_catalog.pg_attribute as a
        where
            a.attrelid = _t.table_name
            and a.attnum > 0
            and not a.attisdropped
            and (a.attgenerated <> '' or a.attname = 'namespace');
        select
            coalesce(
                pg_catalog.string_agg(pg_catalog.format('t.%I', a.attname), ', ' order by k.ord),
                't.ctid'
            )
        into _order
        from pg_catalog.pg_index as i
        cross join lateral pg_catalog.unnest(i.indkey) with ordinality as k (attnum, ord)
        inner join pg_catalog.pg_attribute as a
            on a.attrelid = i.indrelid and a.attnum = k.attnum
        where i.indrelid = _t.table_name and i.indisprimary;
        -- A json column (not jsonb) keeps its exact text: exported as a string.
        select coalesce(
            pg_catalog.string_agg(
                pg_catalog.format(
                    ' operator(pg_catalog.||) pg_catalog.jsonb_build_object(%L, t.%I::text)',
                    a.attname, a.attname
                ),
                '' order by a.attnum
            ),
            ''
        )
        into _json_text
        from pg_catalog.pg_attribute as a
        where
            a.attrelid = _t.table_name
            and a.attnum > 0
            and not a.attisdropped
            and a.atttypid = 'pg_catalog.json'::pg_catalog.regtype;
        return query execute pg_catalog.format(
            'select pg_catalog.jsonb_build_object(''table'', %L, ''row'', '
            'pg_catalog.to_jsonb(t) operator(pg_catalog.-) $2%s) '
            'from %s as t where t.namespace operator(pg_catalog.=) $1 order by %s',
            _t.name, _json_text, _t.table_name, coalesce(_order, 't.ctid')
        ) using _ns, _skip;
        get diagnostics _n = row_count;
        _total := _total + _n;
        _counts := _counts || pg_catalog.jsonb_build_object(_t.name, _n);
    end loop;
    insert into pgcortex.namespace_audit (namespace, action, details)
    values (_ns, 'export', pg_catalog.jsonb_build_object('rows', _counts, 'total', _total));
    return next pg_catalog.jsonb_build_object('end', true, 'rows', _total);
end
$$;

comment on function pgcortex.export_namespace() is
'The current namespace as JSON lines (setof jsonb): a header, {"table", "row"} per row of every namespaced table in foreign-key order (a json column, such as a key-value store item''s value, as a string holding its exact text), then {"end": true, "rows": n}. Clusters the queued memories first (pgcortex_internal.cluster_pending). Audited in pgcortex.namespace_audit, so it runs on the primary (on a hot standby: the read-only error, 25006, before any row). Use a repeatable read transaction for a consistent snapshot.';

-- name: erase_namespace
-- Deletes every row of the current namespace from every namespaced table in one
-- call (children first) and records what it deleted in the audit log, which is
-- kept. confirm must be the name of the current namespace (PC050 otherwise).
create or replace function pgcortex.erase_namespace(confirm text)
returns table (namespace text, rows_deleted bigint, tables jsonb, audit_id bigint)
language plpgsql
volatile
security definer  -- deletes from every namespaced table: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _t record;
    _n bigint;
    _total bigint := 0;
    _counts jsonb := '{}';
    _pass integer;
    _pass_total bigint;
    _audit bigint;
begin
    if erase_namespace.confirm is distinct from _ns then
        raise exception using
            errcode = 'PC050',
            message = 'erase_namespace needs confirm => the name of the current namespace',
            hint = 'pass confirm => pgcortex.current_namespace() once you are sure';
    end if;
    -- Triggers may write rows while rows are deleted (a history of the deletes):
    -- repeat the pass until one deletes nothing.
    for _pass in 1..5 loop
        _pass_total := 0;
        for _t in
            select
                t.table_name,
                c.relname::text as name
            from pgcortex_internal.namespaced_tables() as t
            inner join pg_catalog.pg_class as c on t.table_name = c.oid
            order by t.depth desc, c.relname desc
        loop
            execute pg_catalog.format(
                'delete from %s as t where t.namespace operator(pg_catalog.=) $1', _t.table_name
            ) using _ns;
            get diagnostics _n = row_count;
            _pass_total := _pass_total + _n;
            _counts := _counts || pg_catalog.jsonb_build_object(
                _t.name, coalesce((_counts ->> _t.name)::bigint, 0) + _n
            );
        end loop;
        _total := _total + _pass_total;
        exit when _pass_total = 0;
    end loop;
    insert into pgcortex.namespace_audit as na (namespace, action, details)
    values (_ns, 'erase', pg_catalog.jsonb_build_object('rows', _counts, 'total', _total))
    returning na.audit_id into _audit;
    return query select _ns, _total, _counts, _audit;
end
$$;

comment on function pgcortex.erase_namespace(text) is
'Deletes everything of the current namespace (every namespaced table, children first) in one call; confirm must equal the namespace name (PC050). Returns the rows deleted per table and the audit id; the audit log is kept.';

-- name: namespace_audit_log
-- The audit log of the current namespace, newest first.
create or replace function pgcortex.namespace_audit_log(max_rows integer default 100)
returns table (audit_id bigint, action text, actor text, details jsonb, at timestamptz)
language sql
stable
security definer  -- uses namespace_audit: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
begin atomic
    select
        a.audit_id,
        a.action,
        a.actor,
        a.details,
        a.at
    from pgcortex.namespace_audit as a
    where a.namespace = (select pgcortex.current_namespace())
    order by a.at desc, a.audit_id desc
    limit greatest(least(namespace_audit_log.max_rows, 10000), 0);
end;

comment on function pgcortex.namespace_audit_log(integer) is
'Exports and erases of the current namespace (who, when, rows touched), newest first; at most 10000 rows.';
