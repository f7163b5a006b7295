-- name: 010_core
-- Core helpers of the SQL API: the namespace of the current call, the schema
-- version, and validation shared by every area. Re-applied on every deploy.

-- name: current_namespace
-- The namespace this call works in: the setting pgcortex.namespace (set by the
-- client at connect, or by `set pgcortex.namespace = '...'` in psql).
-- Fail-closed: raises PC001 when it is not set, PC051 when the login role may
-- not use it (bound to other namespaces, or unbound while unbound logins are
-- refused: pgcortex.namespace_permitted, 040_security.sql).
create or replace function pgcortex.current_namespace()
returns text
language plpgsql
stable
parallel safe
security invoker
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
    if not pgcortex.namespace_permitted() then
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
set search_path = ''
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

-- name: check_embedding
-- Validates an embedding for storage or search by the one rule of
-- pgcortex.embedding_problem (384 dimensions, a norm that single-precision
-- cosine arithmetic can handle). Raises PC010 / PC011; returns the vector.
create or replace function pgcortex.check_embedding(embedding public.vector)
returns public.vector
language plpgsql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    _problem text := pgcortex.embedding_problem(check_embedding.embedding);
begin
    if _problem is not null then
        raise exception using
            errcode = case when _problem like '%dimensions%' then 'PC010' else 'PC011' end,
            message = _problem,
            hint = case
                when _problem like '%dimensions%'
                    then 'embed with all-MiniLM-L6-v2 or another 384-dimension model'
                else 'embeddings have 384 finite values with a norm in 2^-60 .. 2^60; normalise to length 1'
            end;
    end if;
    return check_embedding.embedding;
end
$$;

comment on function pgcortex.check_embedding(public.vector) is
'Returns the embedding if pgcortex.embedding_problem finds nothing wrong (384 dimensions, norm in 2^-60 .. 2^60 computed in double precision); else raises PC010 (dimensions) or PC011 (values, with a hint). NaN and infinite elements are already refused by pgvector''s input (SQLSTATE 22000).';
