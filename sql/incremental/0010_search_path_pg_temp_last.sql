-- name: 0010_search_path_pg_temp_last
-- The two functions created by the first run-once file (new_id, content_hash)
-- get the search path every function of the schema has: pg_catalog first, the
-- session's temporary schema explicitly last, so that no name in a body can
-- resolve to an object the caller created in pg_temp (010_core.sql,
-- "Conventions"). Their bodies are parsed at creation and hold no name looked
-- up at run time; this keeps the one rule true of every function.
-- Run-once file: never edit after release; add a new numbered file instead.
-- (In a do block: the SQL linter does not parse a list in alter function ... set.)
do $do$
begin
    execute 'alter function pgcortex.new_id() set search_path = pg_catalog, pg_temp';
    execute 'alter function pgcortex.content_hash(text) set search_path = pg_catalog, pg_temp';
end
$do$;
