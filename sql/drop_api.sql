-- name: drop_api
-- Run by every deploy that re-applies the idempotent files, just before them:
-- drops the views and the functions those files create (in pgcortex and in
-- pgcortex_internal), so that a function renamed, removed from a file or moved
-- from one schema to the other does not linger. Functions that other objects
-- depend on (column defaults, triggers, policies, domain checks) and extension
-- members are kept; `create or replace` updates them in place.
do $drop$
declare
    _obj record;
begin
    for _obj in
        select c.oid::regclass as name
        from pg_catalog.pg_class as c
        where c.relnamespace = 'pgcortex'::regnamespace and c.relkind = 'v'
    loop
        execute pg_catalog.format('drop view if exists %s cascade', _obj.name);
    end loop;
    for _obj in
        select
            p.oid,
            p.oid::regprocedure as name,
            p.prokind
        from pg_catalog.pg_proc as p
        where
            p.pronamespace in (
                'pgcortex'::regnamespace, pg_catalog.to_regnamespace('pgcortex_internal')
            )
            and not exists (
                select from pg_catalog.pg_depend as d
                where
                    d.refclassid = 'pg_catalog.pg_proc'::regclass
                    and d.refobjid = p.oid
                    and d.classid not in (
                        'pg_catalog.pg_proc'::regclass, 'pg_catalog.pg_rewrite'::regclass
                    )
            )
            and not exists (
                select from pg_catalog.pg_depend as e
                where
                    e.classid = 'pg_catalog.pg_proc'::regclass
                    and e.objid = p.oid
                    and e.deptype = 'e'
            )
    loop
        -- An earlier drop may have cascaded to this function (a begin atomic
        -- body that calls a dropped one): nothing left to drop then.
        continue when not exists (select from pg_catalog.pg_proc as q where q.oid = _obj.oid);
        execute pg_catalog.format(
            'drop %s if exists %s cascade',
            case _obj.prokind
                when 'p' then 'procedure'
                when 'a' then 'aggregate'
                else 'function'
            end,
            _obj.name
        );
    end loop;
end
$drop$;
