-- name: 012_embedding_models
-- Embedding models: the registry (pgcortex.embedding_models), each model's
-- HNSW index on pgcortex.memories, each namespace's current model, and the
-- online re-embed of a namespace into another model. Re-applied on every deploy.
--
-- How a caller gets a model's index used: the index is partial and over an
-- expression,
--   ((embedding::public.vector(1536)) public.vector_cosine_ops)
--   where embedding_model = 'text-embedding-3-small'
-- so a query must order by the same expression with the model's operator and
-- filter by the same predicate, both as constants in the statement text (a
-- parameter in their place, or a generic plan, cannot prove the predicate).
-- pgcortex_internal.embedding_model_sql(name) returns those pieces; the search builds
-- its vector statement from them (pgcortex_internal.vector_candidates_sql) and runs it
-- with execute.
--
-- Functions that read this area's tables are plpgsql (their bodies are
-- resolved when called): the files of earlier areas, deployed before the
-- registry migration when a database is upgraded release by release, call them.
-- Sections: internal helpers first (not part of the API, called by the API
-- functions of this file and of the memories, clusters and sessions areas),
-- then the API.
-- Parameters are referenced as function_name.param (the house rule), which
-- the linter's RF01 would take for unknown tables.
-- noqa: disable=RF01

-- Types, re-created on each deploy (only the functions below and the
-- model-aware functions of later files use them; they are created after it).
drop type if exists pgcortex_internal.embedding_model_sql cascade;
create type pgcortex_internal.embedding_model_sql as (
    model_id integer,
    name text,
    dimensions integer,
    distance text,
    storage text,
    normalize_vectors boolean,
    vector_type text,
    operator_sql text,
    opclass text,
    name_literal text,
    index_name text
);

comment on type pgcortex_internal.embedding_model_sql is
'A registered model with the SQL that uses its index (pgcortex_internal.embedding_model_sql()).';

drop type if exists pgcortex.embedding_model_info cascade;
create type pgcortex.embedding_model_info as (
    model_id integer,
    name text,
    dimensions integer,
    distance text,
    storage text,
    normalize_vectors boolean,
    is_default boolean,
    index_name text,
    index_state text,
    registered_at timestamptz
);

comment on type pgcortex.embedding_model_info is
'A registered embedding model as the API returns it, with its HNSW index and the index''s state (valid, building, missing).';

-- Internal helpers ===================================================================

-- name: embedding_model_sql
-- The pieces of SQL that use a model's index, and the model's facts.
create or replace function pgcortex_internal.embedding_model_sql(embedding_model text)
returns pgcortex_internal.embedding_model_sql
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    _m record;
begin
    select e.* into _m from pgcortex.embedding_models as e where e.name = embedding_model_sql.embedding_model;
    if not found then
        raise exception using
            errcode = 'PC013',
            message = pg_catalog.format(
                'embedding model %L is not registered', embedding_model_sql.embedding_model
            ),
            hint = 'register it first: pgcortex.register_embedding_model(name => ..., dimensions => ...), '
            'or the command pgcortex register-model';
    end if;
    return row(
        _m.model_id,
        _m.name,
        _m.dimensions,
        _m.distance,
        _m.storage,
        _m.normalize_vectors,
        pg_catalog.format('public.%s(%s)', _m.storage, _m.dimensions),
        case _m.distance
            when 'cosine' then 'operator(public.<=>)'
            when 'l2' then 'operator(public.<->)'
            else 'operator(public.<#>)'
        end,
        pg_catalog.format(
            'public.%s_%s_ops', _m.storage,
            case _m.distance when 'cosine' then 'cosine' when 'l2' then 'l2' else 'ip' end
        ),
        pg_catalog.quote_literal(_m.name),
        'memories_embedding_m' || _m.model_id || '_hnsw_idx'
    )::pgcortex_internal.embedding_model_sql;
end
$$;

comment on function pgcortex_internal.embedding_model_sql(text) is
'The registered model (PC013 when it is not) with the SQL that uses its index: vector_type (public.vector(1536) or public.halfvec(3072)), operator_sql (its distance as operator(public.<=>), <-> or <#>), opclass, name_literal (the name quoted as a constant) and index_name. A query uses the model''s index when it orders by (m.embedding::<vector_type>) <operator_sql> (<query>::<vector_type>) and filters m.embedding_model = <name_literal>, written into the statement text. Internal helper of the model-aware functions.';

-- name: embedding_model_index_sql
-- The statement that builds a model's HNSW index.
create or replace function pgcortex.embedding_model_index_sql(
    embedding_model text,
    concurrently boolean default false
)
returns text
language sql
stable
security definer  -- calls pgcortex_internal.embedding_model_sql: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
begin atomic
    select
        pg_catalog.format(
            'create index %s if not exists %I on pgcortex.memories using hnsw '
            '((embedding::%s) %s) with (m = 16, ef_construction = 128) where embedding_model = %s',
            case when embedding_model_index_sql.concurrently then 'concurrently' else '' end,
            s.index_name, s.vector_type, s.opclass, s.name_literal
        )
    from pgcortex_internal.embedding_model_sql(embedding_model_index_sql.embedding_model) as s;
end;

comment on function pgcortex.embedding_model_index_sql(text, boolean) is
'The create index statement of the model''s HNSW index (m = 16, ef_construction = 128, partial on the model, over the embedding cast to the model''s dimensions and storage); with concurrently, the form that does not block writes, which must run outside a transaction block (the command pgcortex register-model runs it).';

-- name: embedding_model_index_state
-- Whether a model's index exists and is valid (usable by queries).
create or replace function pgcortex_internal.embedding_model_index_state(model_id integer)
returns text
language sql
stable
security invoker
set search_path = pg_catalog, pg_temp
begin atomic
    select coalesce((
        select case when i.indisvalid and i.indisready then 'valid' else 'building' end
        from pg_catalog.pg_index as i
        where i.indexrelid = pg_catalog.to_regclass(
                'pgcortex.memories_embedding_m' || embedding_model_index_state.model_id || '_hnsw_idx'
            )
    ), 'missing');
end;

comment on function pgcortex_internal.embedding_model_index_state(integer) is
'valid (queries use it), building (a concurrent build is running, or failed and left it invalid) or missing.';

-- name: embedding_vector_problem
-- What is wrong with a vector for a model, or null (pgcortex_internal.embedding_problem
-- plus the model's dimensions and, for halfvec, its range).
create or replace function pgcortex_internal.embedding_vector_problem(
    embedding public.vector,
    dimensions integer,
    storage text
)
returns text
language plpgsql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    if embedding_vector_problem.embedding is null then
        return null;
    end if;
    return coalesce(
        pgcortex_internal.embedding_dimensions_problem(
            embedding_vector_problem.embedding, embedding_vector_problem.dimensions
        ),
        pgcortex_internal.embedding_problem(embedding_vector_problem.embedding),
        pgcortex_internal.halfvec_range_problem(
            embedding_vector_problem.embedding, embedding_vector_problem.storage
        )
    );
end
$$;

comment on function pgcortex_internal.embedding_vector_problem(public.vector, integer, text) is
'Null when the vector suits a model of these dimensions and storage (pgcortex_internal.embedding_problem, the dimensions, and |value| <= 65504 for halfvec), else what is wrong, as text (import reports). Raising functions check each rule with its own function: pgcortex_internal.check_embedding_dimensions (PC010), pgcortex_internal.check_embedding (PC011).';

-- name: namespace_model_lock
-- Stores and searches take it shared, a switch of the namespace's model exclusive.
create or replace function pgcortex_internal.namespace_model_lock(exclusive boolean default false)
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    if namespace_model_lock.exclusive then
        perform pg_catalog.pg_advisory_xact_lock(
            pg_catalog.hashtext('pgcortex.embedding_model'), pg_catalog.hashtext(pgcortex.current_namespace())
        );
    else
        perform pg_catalog.pg_advisory_xact_lock_shared(
            pg_catalog.hashtext('pgcortex.embedding_model'), pg_catalog.hashtext(pgcortex.current_namespace())
        );
    end if;
end
$$;

comment on function pgcortex_internal.namespace_model_lock(boolean) is
'Transaction advisory lock on the namespace''s model: shared for a store that checks it, exclusive for a switch (pgcortex.reembed_switch, pgcortex.set_namespace_embedding_model), so no vector of the old model is stored after the switch. Internal helper.';

-- name: namespace_holds_embeddings
-- Whether the namespace holds embeddings of another model than the given one.
create or replace function pgcortex_internal.namespace_holds_other_embeddings(embedding_model text)
returns boolean
language sql
stable
security definer  -- uses memories: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
begin atomic
    select exists(
        select from pgcortex.memories as m
        where
            m.namespace = (select pgcortex.current_namespace())
            and m.embedding_model is not null
            and m.embedding_model is distinct from namespace_holds_other_embeddings.embedding_model
    );
end;

comment on function pgcortex_internal.namespace_holds_other_embeddings(text) is
'True when a memory of the namespace has an embedding of a model other than the one given. Internal helper.';

-- name: check_embedding_model
-- The model a store or search of this namespace uses, checked (PC003, PC012, PC013).
create or replace function pgcortex_internal.check_embedding_model(embedding_model text, for_store boolean default false)
returns pgcortex_internal.embedding_model_sql
language plpgsql
volatile
security definer  -- uses namespace_embedding_models: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _current text;
    _m pgcortex_internal.embedding_model_sql;
begin
    if check_embedding_model.embedding_model is not null and (
        pg_catalog.btrim(check_embedding_model.embedding_model) = ''
        or pg_catalog.length(check_embedding_model.embedding_model) > 200
    ) then
        raise exception using
            errcode = 'PC003', message = 'embedding_model must be 1 to 200 characters';
    end if;
    if check_embedding_model.for_store then
        perform pgcortex_internal.namespace_model_lock(false);
    end if;
    select n.embedding_model into _current
    from pgcortex.namespace_embedding_models as n
    where n.namespace = _ns;
    if _current is null then
        if check_embedding_model.embedding_model is null then
            select e.name into _current from pgcortex.embedding_models as e where e.is_default;
            if _current is null then
                raise exception using
                    errcode = 'PC013',
                    message = 'the namespace has no embedding model and the deployment has no default',
                    hint = 'pass embedding_model, or pgcortex.set_default_embedding_model(...)';
            end if;
            return pgcortex_internal.embedding_model_sql(_current);
        end if;
        _m := pgcortex_internal.embedding_model_sql(check_embedding_model.embedding_model);
        if check_embedding_model.for_store then
            -- The namespace's first embedding chooses its model.
            insert into pgcortex.namespace_embedding_models as n (namespace, embedding_model)
            values (_ns, _m.name)
            on conflict (namespace) do nothing;
            select n.embedding_model into _current
            from pgcortex.namespace_embedding_models as n
            where n.namespace = _ns;
        else
            return _m;
        end if;
    end if;
    if check_embedding_model.embedding_model is null
        or check_embedding_model.embedding_model = _current
    then
        return pgcortex_internal.embedding_model_sql(_current);
    end if;
    _m := pgcortex_internal.embedding_model_sql(check_embedding_model.embedding_model);
    -- A namespace that holds no embeddings adopts the model of its next store.
    if check_embedding_model.for_store and not pgcortex_internal.namespace_holds_other_embeddings(_m.name) then
        update pgcortex.namespace_embedding_models as n
        set embedding_model = _m.name, switched_at = now()
        where n.namespace = _ns;
        return _m;
    end if;
    raise exception using
        errcode = 'PC012',
        message = pg_catalog.format(
            'this namespace''s embedding model is %s, not %s', _current, check_embedding_model.embedding_model
        ),
        hint = 'embed with the namespace''s model, or re-embed the namespace (pgcortex reembed --to MODEL)';
end
$$;

comment on function pgcortex_internal.check_embedding_model(text, boolean) is
'The model (pgcortex_internal.embedding_model_sql) that a store (for_store) or search of this namespace uses: the one given, which must be the namespace''s current model, else the current model (the deployment default for a namespace without one). A store of a namespace that holds no embeddings of another model makes the given model its current one. PC003 bad name, PC012 another model than the current one, PC013 not registered. Internal helper.';

-- name: model_vector
-- A vector checked for its model and normalised when the model asks for it.
create or replace function pgcortex_internal.model_vector(
    embedding public.vector,
    model pgcortex_internal.embedding_model_sql,
    label text default 'embedding'
)
returns public.vector
language plpgsql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    perform pgcortex_internal.check_embedding_dimensions(
        model_vector.embedding, (model_vector.model).dimensions, model_vector.label
    );
    perform pgcortex_internal.check_embedding(
        model_vector.embedding, model_vector.label, (model_vector.model).storage
    );
    if (model_vector.model).normalize_vectors and model_vector.embedding is not null then
        return public.l2_normalize(model_vector.embedding);
    end if;
    return model_vector.embedding;
end
$$;

comment on function pgcortex_internal.model_vector(public.vector, pgcortex_internal.embedding_model_sql, text) is
'The vector, checked for the model (PC010 dimensions, PC011 values) and scaled to length 1 when the model normalises. Internal helper.';

-- name: vector_candidates_sql
-- The statement of a search's vector candidates for one model.
create or replace function pgcortex_internal.vector_candidates_sql(
    model pgcortex_internal.embedding_model_sql,
    where_sql text,
    exact boolean default false,
    query_ref text default '$14',
    limit_ref text default '$16'
)
returns text
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
begin atomic
    select
        case when vector_candidates_sql.exact
                then
                    -- Exact: the + 0 keeps the planner off the index.
                    'select array(select m.id from pgcortex.memories as m where '
                    || vector_candidates_sql.where_sql
                    || ' and m.embedding_model = ' || (vector_candidates_sql.model).name_literal
                    || ' order by ((m.embedding::' || (vector_candidates_sql.model).vector_type || ') '
                    || (vector_candidates_sql.model).operator_sql || ' (' || vector_candidates_sql.query_ref || '::'
                    || (vector_candidates_sql.model).vector_type || ')) + 0, m.content_hash limit ' || vector_candidates_sql.limit_ref || ')'
            else
                'select array(select s.id from (select m.id, m.content_hash, (m.embedding::'
                || (vector_candidates_sql.model).vector_type || ') '
                || (vector_candidates_sql.model).operator_sql || ' (' || vector_candidates_sql.query_ref || '::'
                || (vector_candidates_sql.model).vector_type || ') as dist from pgcortex.memories as m where '
                || vector_candidates_sql.where_sql
                || ' and m.embedding_model = ' || (vector_candidates_sql.model).name_literal
                || ' order by (m.embedding::' || (vector_candidates_sql.model).vector_type || ') '
                || (vector_candidates_sql.model).operator_sql || ' (' || vector_candidates_sql.query_ref || '::'
                || (vector_candidates_sql.model).vector_type || ') limit ' || vector_candidates_sql.limit_ref || ') as s order by s.dist, s.content_hash)'
        end;
end;

comment on function pgcortex_internal.vector_candidates_sql(pgcortex_internal.embedding_model_sql, text, boolean, text, text) is
'The search''s vector-candidate statement for the model: the n (limit_ref, default $16) memories of the model nearest to the query (query_ref, default $14) among those matching where_sql, by the model''s HNSW index (its expression and predicate written as constants), or exactly (exact). Internal helper of pgcortex.search_memories and pgcortex_internal.build_vector_nearest.';

-- name: unfiltered_where
-- The filter of a search with no filter given, as SQL over pgcortex.memories
-- as m ($1 the namespace, $2 as_of).
create or replace function pgcortex_internal.unfiltered_where()
returns text
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
begin atomic
    select 'm.namespace = $1 and (m.expires_at is null or m.expires_at > $2)';
end;

comment on function pgcortex_internal.unfiltered_where() is
'The filter of a search with no filter given ($1 the namespace, $2 as_of), as SQL over pgcortex.memories as m: the one text pgcortex.search_memories and pgcortex_internal.vector_nearest share. Internal helper.';

-- name: build_vector_nearest
-- (Re)creates pgcortex_internal.vector_nearest with one static statement per
-- registered model. Run by this file on every deploy and by registering or
-- dropping a model.
create or replace function pgcortex_internal.build_vector_nearest()
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    _branches text;
begin
    -- A model's statement names its index's expression and predicate as
    -- constants (pgcortex_internal.vector_candidates_sql), so a plan kept for
    -- the session can use the partial index; the model's name only ever
    -- reaches the body as a quoted literal, and the body as a quoted literal.
    -- (A database upgraded release by release applies this file before the
    -- registry exists: no model, no statement.)
    if pg_catalog.to_regclass('pgcortex.embedding_models') is not null then
        select pg_catalog.string_agg(
            pg_catalog.format(
                E'    when %s then\n        return (%s);\n',
                e.model_id,
                pgcortex_internal.vector_candidates_sql(
                    pgcortex_internal.embedding_model_sql(e.name),
                    pgcortex_internal.unfiltered_where(),
                    false,
                    '$3',
                    '$4'
                )
            ),
            '' order by e.model_id
        )
        into _branches
        from pgcortex.embedding_models as e;
    end if;
    execute pg_catalog.format(
        $f$create or replace function pgcortex_internal.vector_nearest(
            namespace text, as_of timestamptz, query public.vector, n integer, model_id integer
        )
        returns uuid []
        language plpgsql
        stable
        security invoker
        set search_path = pg_catalog, pg_temp
        set plan_cache_mode = force_generic_plan
        set enable_seqscan = off
        as %L$f$,
        E'begin\n'
        || case when _branches is null then '' else E'case $5\n' || _branches || E'    else null;\nend case;\n' end
        || E'return null;\nend'
    );
    revoke all on function pgcortex_internal.vector_nearest(
        text, timestamptz, public.vector, integer, integer
    ) from public;
    comment on function pgcortex_internal.vector_nearest(text, timestamptz, public.vector, integer, integer) is
    'The n memories of the namespace, unexpired at as_of, of the registered model model_id nearest to the query, nearest first (the ids in an array), by the model''s HNSW index with a plan kept for the session; null when the model is not one of those registered when it was built (pgcortex_internal.build_vector_nearest, re-run by every deploy and registration). Internal helper of pgcortex.search_memories, for a search without filters.';
end
$$;

comment on function pgcortex_internal.build_vector_nearest() is
'(Re)creates pgcortex_internal.vector_nearest with one static vector-candidate statement per registered model (pgcortex_internal.vector_candidates_sql over pgcortex_internal.unfiltered_where()), so that a search without filters runs a plan its session keeps instead of planning its vector statement on every call (docs/performance.md). Run on every deploy and when a model is registered or dropped. Internal helper.';

select pgcortex_internal.build_vector_nearest();

-- API ================================================================================

-- name: embedding_model_row
-- One registered model as the API returns it.
create or replace function pgcortex.embedding_model_row(embedding_model text)
returns pgcortex.embedding_model_info
language plpgsql
stable
security definer  -- calls pgcortex_internal.embedding_model_index_state: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
declare
    _r pgcortex.embedding_model_info;
begin
    select
        e.model_id, e.name, e.dimensions, e.distance, e.storage, e.normalize_vectors, e.is_default,
        'memories_embedding_m' || e.model_id || '_hnsw_idx',
        pgcortex_internal.embedding_model_index_state(e.model_id),
        e.registered_at
    into _r
    from pgcortex.embedding_models as e
    where e.name = embedding_model_row.embedding_model;
    return _r;
end
$$;

comment on function pgcortex.embedding_model_row(text) is
'The registered model of that name as pgcortex.embedding_model_info (null when none).';

-- name: list_embedding_models
-- The registered models, with their index state.
create or replace function pgcortex.list_embedding_models()
returns setof pgcortex.embedding_model_info
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    return query
    select (pgcortex.embedding_model_row(e.name)).*
    from pgcortex.embedding_models as e
    order by e.model_id;
end
$$;

comment on function pgcortex.list_embedding_models() is
'Every registered embedding model: id, name, dimensions, distance, storage, normalize_vectors, whether it is the deployment default, its index and the index''s state (valid, building, missing).';

-- name: register_embedding_model
-- Registers a model (or finds it registered alike) and builds its index.
create or replace function pgcortex.register_embedding_model(
    name text,
    dimensions integer,
    distance text default 'cosine',
    storage text default null,
    normalize_vectors boolean default false,
    create_index boolean default true
)
returns setof pgcortex.embedding_model_info
language plpgsql
volatile
security definer  -- creates the model's index on memories: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
declare
    _storage text;
    _max integer;
    _old record;
begin
    -- The registry is the deployment's: the owner (a deploy, a DBA) changes it
    -- freely; an application login only when bound to a namespace (else PC051).
    if not pg_catalog.pg_has_role(session_user, 'pgcortex_owner', 'member') then
        perform pgcortex.current_namespace();
    end if;
    -- The default storage, measured (docs/performance.md, "Embedding models"):
    -- at 1,536-d the halfvec index is half the size and searched faster at the
    -- same recall; up to 1,024 the float4 index stays (384-d is measured on it).
    _storage := coalesce(
        register_embedding_model.storage,
        case when register_embedding_model.dimensions <= 1024 then 'vector' else 'halfvec' end
    );
    _max := case when _storage = 'halfvec' then 4000 else 2000 end;
    if register_embedding_model.name is null
        or pg_catalog.btrim(register_embedding_model.name) = ''
        or pg_catalog.btrim(register_embedding_model.name) <> register_embedding_model.name
        or pg_catalog.length(register_embedding_model.name) > 200
        or register_embedding_model.name ~ '[[:cntrl:]]'
    then
        raise exception using
            errcode = 'PC003',
            message = 'name must be 1 to 200 characters, no control characters, no surrounding spaces';
    end if;
    if register_embedding_model.distance is null
        or register_embedding_model.distance not in ('cosine', 'l2', 'inner_product')
    then
        raise exception using
            errcode = 'PC003', message = 'distance must be cosine, l2 or inner_product';
    end if;
    if _storage not in ('vector', 'halfvec') then
        raise exception using errcode = 'PC003', message = 'storage must be vector or halfvec';
    end if;
    if register_embedding_model.dimensions is null
        or register_embedding_model.dimensions < 1
        or register_embedding_model.dimensions > _max
    then
        raise exception using
            errcode = 'PC004',
            message = pg_catalog.format(
                'dimensions must be in 1..%s for %s storage', _max, _storage
            ),
            hint = 'HNSW indexes vector up to 2,000 dimensions and halfvec up to 4,000';
    end if;
    if register_embedding_model.normalize_vectors is null or register_embedding_model.create_index is null then
        raise exception using errcode = 'PC003', message = 'normalize_vectors and create_index must not be null';
    end if;
    -- One registration at a time (two callers registering one name agree).
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pgcortex.register_embedding_model'));
    select e.* into _old from pgcortex.embedding_models as e where e.name = register_embedding_model.name;
    if found then
        if (_old.dimensions, _old.distance, _old.storage, _old.normalize_vectors)
            is distinct from (
                register_embedding_model.dimensions, register_embedding_model.distance,
                _storage, register_embedding_model.normalize_vectors
            )
        then
            raise exception using
                errcode = 'PC014',
                message = pg_catalog.format(
                    'model %s is registered with %s dimensions, %s distance, %s storage, normalize_vectors %s',
                    _old.name, _old.dimensions, _old.distance, _old.storage, _old.normalize_vectors
                ),
                hint = 'register the other variant under another name';
        end if;
    else
        insert into pgcortex.embedding_models (name, dimensions, distance, storage, normalize_vectors)
        values (
            register_embedding_model.name, register_embedding_model.dimensions,
            register_embedding_model.distance, _storage, register_embedding_model.normalize_vectors
        );
        perform pgcortex_internal.build_vector_nearest();
    end if;
    if register_embedding_model.create_index then
        execute pgcortex.embedding_model_index_sql(register_embedding_model.name, false);
    end if;
    return query select (pgcortex.embedding_model_row(register_embedding_model.name)).*;
end
$$;

comment on function pgcortex.register_embedding_model(text, integer, text, text, boolean, boolean) is
'Registers an embedding model: name, dimensions, distance (cosine, l2, inner_product: the operator its index orders by), storage of its index (vector up to 2,000 dimensions, halfvec up to 4,000; default vector up to 1,024 dimensions, halfvec above), normalize_vectors (scale vectors to length 1 when stored and searched). Registering the same model again changes nothing; another specification under a registered name raises PC014. Builds the model''s HNSW index in this transaction unless create_index is false (then build it with pgcortex.embedding_model_index_sql(name, concurrently => true) outside a transaction, as the command pgcortex register-model does; until it is valid, searches of the model scan exactly). PC003 bad name, distance or storage, PC004 dimensions out of range.';

-- name: set_default_embedding_model
-- Makes a registered model the deployment default.
create or replace function pgcortex.set_default_embedding_model(embedding_model text)
returns setof pgcortex.embedding_model_info
language plpgsql
volatile
security definer  -- writes embedding_models: read-only to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
declare
    _m pgcortex_internal.embedding_model_sql := pgcortex_internal.embedding_model_sql(set_default_embedding_model.embedding_model);
begin
    -- The registry is the deployment's: the owner (a deploy, a DBA) changes it
    -- freely; an application login only when bound to a namespace (else PC051).
    if not pg_catalog.pg_has_role(session_user, 'pgcortex_owner', 'member') then
        perform pgcortex.current_namespace();
    end if;
    update pgcortex.embedding_models as e set is_default = false where e.is_default and e.name <> _m.name;
    update pgcortex.embedding_models as e set is_default = true where e.name = _m.name and not e.is_default;
    return query select (pgcortex.embedding_model_row(_m.name)).*;
end
$$;

comment on function pgcortex.set_default_embedding_model(text) is
'Makes the model the deployment default: the current model of every namespace that has chosen none. PC013 when not registered.';

-- name: drop_embedding_model
-- Unregisters a model no vector uses, and drops its index.
create or replace function pgcortex.drop_embedding_model(embedding_model text)
returns setof pgcortex.embedding_model_info
language plpgsql
volatile
security definer  -- reads every namespace's vectors of the model: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
declare
    _m pgcortex_internal.embedding_model_sql;
    _info pgcortex.embedding_model_info;
    _use text;
begin
    -- The registry is the deployment's: the owner (a deploy, a DBA) changes it
    -- freely; an application login only when bound to a namespace (else PC051).
    if not pg_catalog.pg_has_role(session_user, 'pgcortex_owner', 'member') then
        perform pgcortex.current_namespace();
    end if;
    _m := pgcortex_internal.embedding_model_sql(drop_embedding_model.embedding_model);
    _info := pgcortex.embedding_model_row(drop_embedding_model.embedding_model);
    -- Row-level security would hide other namespaces' rows from this check:
    -- the foreign keys below are the check that sees them all.
    if (select e.is_default from pgcortex.embedding_models as e where e.model_id = _m.model_id) then
        raise exception using
            errcode = 'PC014', message = pg_catalog.format('model %s is the deployment default', _m.name),
            hint = 'make another model the default first (pgcortex.set_default_embedding_model)';
    end if;
    begin
        execute pg_catalog.format('drop index if exists pgcortex.%I', _m.index_name);
        delete from pgcortex.embedding_models as e where e.model_id = _m.model_id;
        perform pgcortex_internal.build_vector_nearest();
    exception when foreign_key_violation then
        get stacked diagnostics _use = constraint_name;
        raise exception using
            errcode = 'PC014',
            message = pg_catalog.format('model %s is still used (%s)', _m.name, _use),
            hint = 're-embed the namespaces that use it, and drop old vectors (pgcortex.maint_drop_old_embeddings)';
    end;
    return query select _info.*;
end
$$;

comment on function pgcortex.drop_embedding_model(text) is
'Unregisters the model and drops its index, when no memory, staged or old vector, cluster centroid or namespace of any namespace uses it (else PC014, nothing changed); the deployment default cannot be dropped (PC014). Returns the model as it was. PC013 when not registered.';

-- name: namespace_embedding_model
-- The namespace's current embedding model.
create or replace function pgcortex.namespace_embedding_model()
returns text
language plpgsql
stable
security definer  -- uses namespace_embedding_models: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
begin
    return coalesce(
        (
            select n.embedding_model from pgcortex.namespace_embedding_models as n
            where n.namespace = (select pgcortex.current_namespace())
        ),
        (select e.name from pgcortex.embedding_models as e where e.is_default)
    );
end
$$;

comment on function pgcortex.namespace_embedding_model() is
'The current embedding model of this namespace: the one its embeddings were stored with or it switched to, else the deployment default. Stores and searches with another model raise PC012.';

-- name: set_namespace_embedding_model
-- Chooses the namespace's model while it holds no embeddings of another.
create or replace function pgcortex.set_namespace_embedding_model(embedding_model text)
returns text
language plpgsql
volatile
security definer  -- uses namespace_embedding_models: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _m pgcortex_internal.embedding_model_sql := pgcortex_internal.embedding_model_sql(set_namespace_embedding_model.embedding_model);
begin
    perform pgcortex_internal.namespace_model_lock(true);
    if pgcortex_internal.namespace_holds_other_embeddings(_m.name) then
        raise exception using
            errcode = 'PC012',
            message = pg_catalog.format(
                'this namespace holds embeddings of model %s', pgcortex.namespace_embedding_model()
            ),
            hint = 're-embed it instead: pgcortex reembed --to MODEL';
    end if;
    insert into pgcortex.namespace_embedding_models as n (namespace, embedding_model)
    values (pgcortex.current_namespace(), _m.name)
    on conflict (namespace) do update set embedding_model = excluded.embedding_model, switched_at = now()
    where n.embedding_model <> excluded.embedding_model;
    return _m.name;
end
$$;

comment on function pgcortex.set_namespace_embedding_model(text) is
'Makes the model the current one of this namespace, which must hold no embeddings of another model (else PC012: re-embed it instead). Returns the model. PC013 when not registered.';

-- Re-embedding a namespace online ====================================================
-- A re-embed embeds every memory of the namespace that has an embedding with
-- the new model, in batches, beside the current vectors
-- (pgcortex.memory_embeddings), while searches keep answering from the
-- current model; pgcortex.reembed_switch then moves the new vectors in and
-- makes the new model current in one transaction. Resumable at any point:
-- what is staged stays staged, and pgcortex.reembed_pending lists what is not.

-- name: reembed_pending
-- The next memories a re-embed into the model still has to embed.
create or replace function pgcortex.reembed_pending(embedding_model text, max_rows integer default 100)
returns table (memory_id uuid, content text, content_hash bytea)
language plpgsql
stable
security definer  -- uses memories: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _m pgcortex_internal.embedding_model_sql := pgcortex_internal.embedding_model_sql(reembed_pending.embedding_model);
begin
    if reembed_pending.max_rows is null or reembed_pending.max_rows not between 1 and 10000 then
        raise exception using errcode = 'PC004', message = 'max_rows must be in 1..10000';
    end if;
    return query
    select m.id, m.content, m.content_hash
    from pgcortex.memories as m
    where
        m.namespace = _ns
        and m.embedding_model is not null
        and m.embedding_model <> _m.name
        and not exists (
            select from pgcortex.memory_embeddings as e
            where
                e.namespace = _ns and e.embedding_model = _m.name and e.memory_id = m.id
                and e.content_hash = m.content_hash
        )
    order by m.id
    limit reembed_pending.max_rows;
end
$$;

comment on function pgcortex.reembed_pending(text, integer) is
'The next max_rows (1..10000) memories of this namespace, in id order, that have an embedding of another model and no staged vector of this model for their current content: what a re-embed into the model still has to embed (id, content, and the content_hash to hand back to pgcortex.reembed_stage). Empty when the re-embed can switch. PC013 unknown model.';

-- name: reembed_stage
-- Stores vectors of the new model beside the current ones.
create or replace function pgcortex.reembed_stage(
    embedding_model text,
    memory_ids uuid[],
    embeddings public.vector[],
    content_hashes bytea[],
    as_of timestamptz default now()
)
returns integer
language plpgsql
volatile
security definer  -- uses memories, memory_embeddings: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _m pgcortex_internal.embedding_model_sql := pgcortex_internal.embedding_model_sql(reembed_stage.embedding_model);
    _n integer := coalesce(pg_catalog.cardinality(reembed_stage.memory_ids), 0);
    _i integer;
    _count integer;
begin
    if pg_catalog.cardinality(reembed_stage.embeddings) is distinct from _n
        or pg_catalog.cardinality(reembed_stage.content_hashes) is distinct from _n
    then
        raise exception using
            errcode = 'PC003',
            message = 'memory_ids, embeddings and content_hashes must have one item each per memory';
    end if;
    if _n = 0 then
        return 0;
    end if;
    for _i in 1 .. _n loop
        if reembed_stage.embeddings[_i] is null then
            raise exception using
                errcode = 'PC003', message = pg_catalog.format('item %s: embedding is null', _i);
        end if;
        perform pgcortex_internal.check_embedding_dimensions(
            reembed_stage.embeddings[_i], _m.dimensions, 'item ' || _i
        );
        perform pgcortex_internal.check_embedding(reembed_stage.embeddings[_i], 'item ' || _i, _m.storage);
    end loop;
    insert into pgcortex.memory_embeddings as e (
        namespace, memory_id, embedding_model, content_hash, embedding, stored_at
    )
    select
        _ns, m.id, _m.name, x.h,
        case when _m.normalize_vectors then public.l2_normalize(x.v) else x.v end,
        reembed_stage.as_of
    from rows from (
            pg_catalog.unnest(reembed_stage.memory_ids),
            pg_catalog.unnest(reembed_stage.embeddings),
            pg_catalog.unnest(reembed_stage.content_hashes)
        ) as x (id, v, h)
    -- A memory deleted since, or already of this model, is left out.
    inner join pgcortex.memories as m
        on m.namespace = _ns and m.id = x.id and m.embedding_model is distinct from _m.name
    order by m.id
    on conflict (namespace, embedding_model, memory_id) do update
        set content_hash = excluded.content_hash, embedding = excluded.embedding, stored_at = excluded.stored_at;
    get diagnostics _count = row_count;
    return _count;
end
$$;

comment on function pgcortex.reembed_stage(text, uuid[], public.vector[], bytea[], timestamptz) is
'Stores the model''s vectors of these memories beside their current ones (pgcortex.memory_embeddings), each with the content_hash it was made from (from pgcortex.reembed_pending: a memory whose content changed since is listed as pending again); normalised when the model is. Memories deleted since, or already of this model, are left out. Returns how many were staged. PC003 arrays of unequal length or a null vector, PC010/PC011 a vector not of the model, PC013 unknown model.';

-- name: reembed_status
-- How far a re-embed of the namespace into the model is.
create or replace function pgcortex.reembed_status(embedding_model text)
returns table (
    target_model text, current_model text, previous_model text,
    total bigint, staged bigint, remaining bigint
)
language plpgsql
stable
security definer  -- uses memories, memory_embeddings: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _m pgcortex_internal.embedding_model_sql := pgcortex_internal.embedding_model_sql(reembed_status.embedding_model);
begin
    return query
    select
        _m.name,
        pgcortex.namespace_embedding_model(),
        (select n.previous_model from pgcortex.namespace_embedding_models as n where n.namespace = _ns),
        count(*),
        count(*) filter (where s.ok),
        count(*) filter (where not s.ok)
    from (
        select
            m.embedding_model = _m.name or exists (
                select from pgcortex.memory_embeddings as e
                where
                    e.namespace = _ns and e.embedding_model = _m.name and e.memory_id = m.id
                    and e.content_hash = m.content_hash
            ) as ok
        from pgcortex.memories as m
        where m.namespace = _ns and m.embedding_model is not null
    ) as s;
end
$$;

comment on function pgcortex.reembed_status(text) is
'A re-embed of this namespace into the model: the namespace''s current and previous model, the memories with an embedding (total), those with a vector of the model (staged, or already of the model) and those still to embed (remaining). PC013 unknown model.';

-- name: reembed_switch
-- Makes the model the namespace's current one, once every memory has its vector.
create or replace function pgcortex.reembed_switch(embedding_model text)
returns table (current_model text, previous_model text, switched bigint)
language plpgsql
volatile
security definer  -- uses memories, memory_embeddings, knowledge_clusters: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _m pgcortex_internal.embedding_model_sql := pgcortex_internal.embedding_model_sql(reembed_switch.embedding_model);
    _cur text;
    _missing bigint;
    _moved bigint;
    _cluster_setting text := pg_catalog.current_setting('pgcortex.cluster_on_insert', true);
begin
    -- Stores of the namespace wait from here to the commit, so none stores a
    -- vector of the old model after the switch.
    perform pgcortex_internal.namespace_model_lock(true);
    _cur := pgcortex.namespace_embedding_model();
    select count(*) into _missing
    from pgcortex.memories as m
    where
        m.namespace = _ns and m.embedding_model is not null and m.embedding_model <> _m.name
        and not exists (
            select from pgcortex.memory_embeddings as e
            where
                e.namespace = _ns and e.embedding_model = _m.name and e.memory_id = m.id
                and e.content_hash = m.content_hash
        );
    if _missing > 0 then
        raise exception using
            errcode = 'PC015',
            message = pg_catalog.format(
                '%s memories of this namespace are not yet embedded with %s', _missing, _m.name
            ),
            hint = 'embed them first (pgcortex.reembed_pending, pgcortex.reembed_stage; or pgcortex reembed --to MODEL)';
    end if;
    -- The memories queued for clustering join their clusters in the model
    -- they were stored with, so that every membership is there when the
    -- centroids are recomputed below.
    perform pgcortex_internal.cluster_pending();
    -- The current vectors go beside, the new ones in: ids, history, access
    -- counts, links and cluster memberships stay as they are (the clustering
    -- trigger is held off; the centroids are recomputed below).
    insert into pgcortex.memory_embeddings as e (
        namespace, memory_id, embedding_model, content_hash, embedding, stored_at
    )
    select m.namespace, m.id, m.embedding_model, m.content_hash, m.embedding, now()
    from pgcortex.memories as m
    where m.namespace = _ns and m.embedding_model is not null and m.embedding_model <> _m.name
    order by m.id
    on conflict (namespace, embedding_model, memory_id) do update
        set content_hash = excluded.content_hash, embedding = excluded.embedding, stored_at = excluded.stored_at;
    perform pg_catalog.set_config('pgcortex.cluster_on_insert', 'off', true);
    update pgcortex.memories as m
    set embedding = e.embedding, embedding_model = e.embedding_model
    from pgcortex.memory_embeddings as e
    where
        m.namespace = _ns and m.embedding_model is not null and m.embedding_model <> _m.name
        and e.namespace = _ns and e.embedding_model = _m.name and e.memory_id = m.id;
    get diagnostics _moved = row_count;
    perform pg_catalog.set_config('pgcortex.cluster_on_insert', coalesce(_cluster_setting, ''), true);
    delete from pgcortex.memory_embeddings as e where e.namespace = _ns and e.embedding_model = _m.name;
    -- Every cluster's centroid in the new model, from the same members.
    update pgcortex.knowledge_clusters as c
    set centroid = x.centroid, centroid_model = _m.name
    from (
        select cm.cluster_id, public.l2_normalize(public.sum(m.embedding)) as centroid
        from pgcortex.cluster_members as cm
        inner join pgcortex.memories as m on m.namespace = cm.namespace and m.id = cm.memory_id
        where cm.namespace = _ns and m.embedding_model = _m.name
        group by cm.cluster_id
    ) as x
    where c.namespace = _ns and c.id = x.cluster_id and c.centroid is not null;
    update pgcortex.cluster_members as cm
    set similarity = (1 - (c.centroid operator(public.<=>) m.embedding))::real
    from pgcortex.knowledge_clusters as c, pgcortex.memories as m
    where
        cm.namespace = _ns and c.namespace = _ns and c.id = cm.cluster_id and c.centroid_model = _m.name
        and m.namespace = _ns and m.id = cm.memory_id and m.embedding_model = _m.name;
    insert into pgcortex.namespace_embedding_models as n (namespace, embedding_model, previous_model, switched_at)
    values (_ns, _m.name, nullif(_cur, _m.name), now())
    on conflict (namespace) do update
        set embedding_model = excluded.embedding_model, previous_model = excluded.previous_model,
            switched_at = excluded.switched_at
    where n.embedding_model <> excluded.embedding_model;
    return query select _m.name, nullif(_cur, _m.name), _moved;
end
$$;

comment on function pgcortex.reembed_switch(text) is
'Switches this namespace to the model in one transaction, once every memory with an embedding has a vector of the model for its current content (else PC015, nothing changed): the current vectors are kept beside (pgcortex.memory_embeddings, until pgcortex.maint_drop_old_embeddings), the staged ones move into pgcortex.memories, cluster centroids are recomputed in the new model from the same members (the memories queued for clustering are clustered first), and the model becomes the namespace''s current one. Searches answer from the old model until the commit, from the new one after it; stores of the namespace wait for it. Ids, history, access counts, links and cluster memberships are unchanged. Switching to the current model changes nothing. Returns the model, the previous one and how many memories moved. PC013 unknown model.';

-- name: maint_drop_old_embeddings
-- Drops vectors kept beside the current ones (the previous model's by default).
create or replace function pgcortex.maint_drop_old_embeddings(embedding_model text default null)
returns table (dropped_model text, dropped bigint)
language plpgsql
volatile
security definer  -- uses memory_embeddings: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _previous text;
begin
    select n.previous_model into _previous
    from pgcortex.namespace_embedding_models as n
    where n.namespace = _ns;
    if maint_drop_old_embeddings.embedding_model is not null then
        perform pgcortex_internal.embedding_model_sql(maint_drop_old_embeddings.embedding_model);
    end if;
    -- The previous model's vectors gone, the namespace no longer names it.
    update pgcortex.namespace_embedding_models as n
    set previous_model = null
    where
        n.namespace = _ns and n.previous_model is not null
        and n.previous_model = coalesce(maint_drop_old_embeddings.embedding_model, n.previous_model);
    return query
    with gone as (
        delete from pgcortex.memory_embeddings as e
        where
            e.namespace = _ns
            and e.embedding_model = coalesce(maint_drop_old_embeddings.embedding_model, _previous)
        returning e.embedding_model
    )
    select g.embedding_model, count(*) from gone as g group by g.embedding_model;
end
$$;

comment on function pgcortex.maint_drop_old_embeddings(text) is
'Deletes this namespace''s vectors of the model kept beside the current ones (default: the previous model, left by the last switch; a model being re-embedded into: its staged vectors, which cancels that re-embed). Returns per model how many were dropped (no row when none). PC013 unknown model.';
