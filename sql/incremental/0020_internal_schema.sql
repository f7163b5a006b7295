-- name: 0020_internal_schema
-- The functions that tables depend on (column defaults, the generated
-- content_hash column, triggers, the row-level security policies) move to the
-- schema of internals, pgcortex_internal, where the re-runnable files now
-- create them: altered in place, so every default, trigger and policy keeps
-- pointing at them. The other internal functions are dropped from pgcortex and
-- re-created in pgcortex_internal by the re-runnable files.
-- Run-once file: never edit after release; add a new numbered file instead.

create schema if not exists pgcortex_internal;

do $do$
declare
    _fn text;
begin
    foreach _fn in array array[
        'new_id()',
        'content_hash(text)',
        'record_memory_history()',
        'record_memory_terms()',
        'memories_cluster_trigger()',
        'claim_commit_check()',
        'restore_synchronous_commit()',
        'namespace_permitted()'
    ] loop
        if pg_catalog.to_regprocedure('pgcortex.' || _fn) is not null then
            -- A copy left in pgcortex_internal (schema pgcortex dropped and
            -- deployed again) goes first; the re-runnable files re-create
            -- whatever depended on it.
            execute pg_catalog.format(
                'drop function if exists %s cascade', 'pgcortex_internal.' || _fn
            );
            execute pg_catalog.format(
                'alter function %s set schema pgcortex_internal',
                pg_catalog.to_regprocedure('pgcortex.' || _fn)
            );
        end if;
    end loop;
end
$do$;
