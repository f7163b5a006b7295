-- name: 065_langgraph_store
-- The key-value store for agent frameworks (the LangGraph store): JSON items
-- addressed by (path, key) inside the namespace of the connection, where path
-- is the framework's namespace tuple (text[]). Put replaces an item whole, get
-- reads one, search reads a path prefix with value filters, list_namespaces
-- lists the paths, items may expire (ttl in minutes), and the sweeper deletes
-- expired items. Re-applied on every deploy.
--
-- Two kinds of function live here, kept apart:
--   Helpers (validation, matching, filters): called by the API functions only.
--   API (pgcortex.store_*, pgcortex.maint_store_sweep): called by clients and
--   from psql.
-- Model rows are read into record variables, not pgcortex.embedding_model_sql
-- ones: this file is also applied at releases before the embedding models
-- exist, where nothing calls these functions.
-- Parameters are referenced as function_name.param (the house rule), which
-- the linter's RF01 would take for unknown tables.
-- noqa: disable=RF01

-- ===========================================================================
-- Helpers
-- ===========================================================================

-- name: check_store_path
-- Raises PC003 unless path has 1 to 64 labels (0 to 64 when it is a prefix),
-- none of them empty or null; returns the path.
create or replace function pgcortex.check_store_path(
    path text[],
    argument text default 'path',
    allow_empty boolean default false
)
returns text[]
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    if check_store_path.path is null
        or (pg_catalog.cardinality(check_store_path.path) = 0 and not check_store_path.allow_empty)
        or pg_catalog.cardinality(check_store_path.path) > 64
        or pg_catalog.array_position(check_store_path.path, null) is not null
        or pg_catalog.array_position(check_store_path.path, '') is not null
        or pg_catalog.array_ndims(check_store_path.path) > 1 then
        raise exception using
            errcode = 'PC003',
            message = pg_catalog.format(
                '%s must be an array of %s to 64 labels, none empty',
                check_store_path.argument,
                case when check_store_path.allow_empty then 0 else 1 end
            );
    end if;
    return check_store_path.path;
end
$$;

comment on function pgcortex.check_store_path(text[], text, boolean) is
'Helper of the store functions: returns path; PC003 (naming argument) unless it has 1 to 64 labels (0 to 64 with allow_empty), none empty or null.';

-- name: store_path_matches
-- Whether path starts (or, from_end, ends) with pattern, label by label; a
-- '*' label of the pattern matches any one label. An empty pattern matches.
create or replace function pgcortex.store_path_matches(
    path text[],
    pattern text[],
    from_end boolean default false
)
returns boolean
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
begin atomic
    select
        coalesce(pg_catalog.cardinality(store_path_matches.path), 0)
        >= coalesce(pg_catalog.cardinality(store_path_matches.pattern), 0)
        and not exists (
            select
            from pg_catalog.generate_subscripts(store_path_matches.pattern, 1) as g (i)
            where
                store_path_matches.pattern[g.i] <> '*'
                and store_path_matches.pattern[g.i] is distinct from store_path_matches.path[
                    g.i + case
                        when store_path_matches.from_end
                            then pg_catalog.cardinality(store_path_matches.path)
                                - pg_catalog.cardinality(store_path_matches.pattern)
                        else 0
                    end
                ]
        );
end;

comment on function pgcortex.store_path_matches(text[], text[], boolean) is
'Helper of pgcortex.store_list_namespaces: whether path starts with pattern (ends with it when from_end), label by label, a ''*'' label matching any one label; an empty or null pattern matches every path.';

-- name: check_store_filter
-- Raises PC003 unless filter is null or a JSON object whose operator objects
-- (objects with a key starting with $) use only $eq, $ne, $gt, $gte, $lt,
-- $lte; nested plain objects are checked the same way. Returns the filter.
create or replace function pgcortex.check_store_filter(filter jsonb)
returns jsonb
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    _bad text;
begin
    if check_store_filter.filter is null then
        return null;
    end if;
    if pg_catalog.jsonb_typeof(check_store_filter.filter) <> 'object' then
        raise exception using
            errcode = 'PC003', message = 'filter must be a JSON object of field conditions';
    end if;
    select o.key into _bad
    from pg_catalog.jsonb_path_query(check_store_filter.filter, 'strict $.**') as v (value)
    cross join lateral pg_catalog.jsonb_object_keys(
        case when pg_catalog.jsonb_typeof(v.value) = 'object' then v.value else '{}' end
    ) as o (key)
    where
        o.key like '$%'
        and o.key not in ('$eq', '$ne', '$gt', '$gte', '$lt', '$lte')
    limit 1;
    if _bad is not null then
        raise exception using
            errcode = 'PC003',
            message = pg_catalog.format('filter operator %s is not supported', _bad),
            hint = 'use $eq, $ne, $gt, $gte, $lt or $lte';
    end if;
    return check_store_filter.filter;
end
$$;

comment on function pgcortex.check_store_filter(jsonb) is
'Helper of pgcortex.store_search: returns filter; PC003 unless it is null or a JSON object whose operators are $eq, $ne, $gt, $gte, $lt, $lte.';

-- name: store_value_matches
-- Whether one value (null when the item lacks the field) meets one condition:
-- an operator object ({"$gt": 3}: every operator must hold), a plain object
-- (each of its fields must match, recursively), or a value (equal as JSON).
-- $gt/$gte/$lt/$lte compare numbers as numbers and strings as strings (C
-- collation); a number against a string, or a missing field, does not match.
-- $ne holds for a missing field.
create or replace function pgcortex.store_value_matches(item jsonb, condition jsonb)
returns boolean
language plpgsql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    _op text;
    _arg jsonb;
    _kind text := pg_catalog.jsonb_typeof(store_value_matches.item);
    _cmp integer;
begin
    if pg_catalog.jsonb_typeof(store_value_matches.condition) = 'object'
        and exists (
            select from pg_catalog.jsonb_object_keys(store_value_matches.condition) as k (key)
            where k.key like '$%'
        ) then
        for _op, _arg in select e.key, e.value from pg_catalog.jsonb_each(store_value_matches.condition) as e loop
            if _op = '$eq' then
                if store_value_matches.item is distinct from _arg then
                    return false;
                end if;
            elsif _op = '$ne' then
                if store_value_matches.item is not distinct from _arg then
                    return false;
                end if;
            elsif _op in ('$gt', '$gte', '$lt', '$lte') then
                if _kind = 'number' and pg_catalog.jsonb_typeof(_arg) = 'number' then
                    _cmp := pg_catalog.sign(
                        (store_value_matches.item #>> '{}')::numeric - (_arg #>> '{}')::numeric
                    )::integer;
                elsif _kind = 'string' and pg_catalog.jsonb_typeof(_arg) = 'string' then
                    _cmp := case
                        when (store_value_matches.item #>> '{}') collate "C" < (_arg #>> '{}') collate "C" then -1
                        when (store_value_matches.item #>> '{}') = (_arg #>> '{}') then 0
                        else 1
                    end;
                else
                    return false;
                end if;
                if not (
                    case _op
                        when '$gt' then _cmp > 0
                        when '$gte' then _cmp >= 0
                        when '$lt' then _cmp < 0
                        else _cmp <= 0
                    end
                ) then
                    return false;
                end if;
            else
                raise exception using
                    errcode = 'PC003',
                    message = pg_catalog.format('filter operator %s is not supported', _op),
                    hint = 'use $eq, $ne, $gt, $gte, $lt or $lte';
            end if;
        end loop;
        return true;
    end if;
    if pg_catalog.jsonb_typeof(store_value_matches.condition) = 'object' then
        if _kind is distinct from 'object' then
            return false;
        end if;
        return pgcortex.store_filter_matches(store_value_matches.item, store_value_matches.condition);
    end if;
    return store_value_matches.item is not distinct from store_value_matches.condition;
end
$$;

comment on function pgcortex.store_value_matches(jsonb, jsonb) is
'Helper of pgcortex.store_filter_matches: whether a field''s value (null when missing) meets a condition: an operator object ($eq, $ne, $gt, $gte, $lt, $lte, all must hold; order comparisons take numbers as numbers and strings as strings, nothing else matches; $ne holds for a missing field), a plain object (its fields match recursively) or a JSON value (equal).';

-- name: store_filter_matches
-- Whether a value (a JSON object) meets every field condition of filter.
create or replace function pgcortex.store_filter_matches(value jsonb, filter jsonb)
returns boolean
language plpgsql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    _field text;
    _condition jsonb;
begin
    if store_filter_matches.filter is null then
        return true;
    end if;
    for _field, _condition in
        select e.key, e.value from pg_catalog.jsonb_each(store_filter_matches.filter) as e
    loop
        if not pgcortex.store_value_matches(store_filter_matches.value -> _field, _condition) then
            return false;
        end if;
    end loop;
    return true;
end
$$;

comment on function pgcortex.store_filter_matches(jsonb, jsonb) is
'Helper of pgcortex.store_search: whether value meets every field condition of filter (see pgcortex.store_value_matches); a null filter matches every value.';

-- name: check_store_ttl
-- Raises PC004 unless ttl_minutes is null or in (0, 5256000] (ten years);
-- returns it.
create or replace function pgcortex.check_store_ttl(ttl_minutes double precision)
returns double precision
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    if check_store_ttl.ttl_minutes is not null
        and not (check_store_ttl.ttl_minutes > 0 and check_store_ttl.ttl_minutes <= 5256000) then
        raise exception using
            errcode = 'PC004',
            message = 'ttl_minutes must be greater than 0 and at most 5256000 (ten years)';
    end if;
    return check_store_ttl.ttl_minutes;
end
$$;

comment on function pgcortex.check_store_ttl(double precision) is
'Helper of pgcortex.store_put: returns ttl_minutes; PC004 unless it is null or greater than 0 and at most 5256000 (ten years).';

-- name: store_expiry
-- When an item with this ttl, written or read at as_of, expires (null: never).
create or replace function pgcortex.store_expiry(ttl_minutes double precision, as_of timestamptz)
returns timestamptz
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
begin atomic
    select store_expiry.as_of + pg_catalog.make_interval(secs => store_expiry.ttl_minutes * 60);
end;

comment on function pgcortex.store_expiry(double precision, timestamptz) is
'Helper of the store functions: as_of plus ttl_minutes (fractional minutes); null when ttl_minutes is null.';

-- name: store_put_vectors
-- Replaces the vectors of an item: one per field, of the model (checked and
-- normalised as the model says); none when embeddings is null.
create or replace function pgcortex.store_put_vectors(
    path text[],
    key text,
    index_fields text[],
    embeddings public.vector[],
    embedding_model text
)
returns integer
language plpgsql
volatile
security definer  -- writes store_item_vectors: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
declare
    _ns text := pgcortex.current_namespace();
    _n integer;
begin
    delete from pgcortex.store_item_vectors as v
    where v.namespace = _ns and v.path = store_put_vectors.path and v.key = store_put_vectors.key;
    if store_put_vectors.embeddings is null then
        return 0;
    end if;
    insert into pgcortex.store_item_vectors (namespace, path, key, field, embedding_model, embedding)
    select
        _ns,
        store_put_vectors.path,
        store_put_vectors.key,
        f.field,
        m.name,
        pgcortex.model_vector(f.embedding, m, pg_catalog.format('embeddings[%s]', f.ord))
    from rows from (
        pg_catalog.unnest(store_put_vectors.index_fields),
        pg_catalog.unnest(store_put_vectors.embeddings)
    ) with ordinality as f (field, embedding, ord)
    cross join pgcortex.embedding_model_sql(store_put_vectors.embedding_model) as m;
    get diagnostics _n = row_count;
    return _n;
end
$$;

comment on function pgcortex.store_put_vectors(text[], text, text[], public.vector[], text) is
'Helper of pgcortex.store_put: replaces the vectors of the item at (path, key) with one per index_fields name (embeddings of embedding_model, checked for it: PC010, PC011, PC013); returns how many.';

-- name: store_vector_candidates
-- The items nearest to the query embedding among those under the prefix that
-- meet the filter: at least wanted items (all there are when fewer), each
-- with the similarity of its nearest vector, as a JSON array of
-- [path, key, score]. Reads the model's HNSW index (iterative scan, filtered),
-- widening the candidate set until it holds wanted distinct items.
create or replace function pgcortex.store_vector_candidates(
    query_embedding public.vector,
    embedding_model text,
    path_prefix text[],
    filter jsonb,
    wanted integer,
    omit_expired boolean,
    as_of timestamptz
)
returns jsonb
language plpgsql
volatile
security definer  -- reads store_items, store_item_vectors: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
declare
    _ns text := pgcortex.current_namespace();
    _m record;
    _q public.vector;
    _k integer := greatest(store_vector_candidates.wanted * 2, 20);
    _rows bigint;
    _found jsonb;
    _sql text;
    _old_ef text := coalesce(pg_catalog.current_setting('hnsw.ef_search', true), '40');
    _old_scan text := coalesce(pg_catalog.current_setting('hnsw.iterative_scan', true), 'off');
begin
    select m.* into _m from pgcortex.embedding_model_sql(store_vector_candidates.embedding_model) as m;
    select pgcortex.model_vector(store_vector_candidates.query_embedding, m, 'query_embedding') into _q
    from pgcortex.embedding_model_sql(store_vector_candidates.embedding_model) as m;
    if store_vector_candidates.wanted <= 0 then
        return '[]';
    end if;
    -- The model's index is used when the statement names its expression and
    -- predicate as constants: (embedding::<type>) <op> ... where embedding_model = '<name>'.
    _sql := pg_catalog.format(
        'select coalesce(pg_catalog.sum(g.n), 0), coalesce(pg_catalog.jsonb_agg('
        'pg_catalog.jsonb_build_array(g.path, g.key, %s) order by g.dist, g.path, g.key), ''[]'') '
        'from (select s.path, s.key, pg_catalog.min(s.dist) as dist, pg_catalog.count(*) as n '
        'from (select v.path, v.key, (v.embedding::%2$s) %3$s ($1::%2$s) as dist '
        'from pgcortex.store_item_vectors as v '
        'inner join pgcortex.store_items as i '
        'on i.namespace = v.namespace and i.path = v.path and i.key = v.key '
        'where v.namespace = $2 and v.embedding_model = %4$s and v.path[1:$3] = $4 '
        'and ($5::jsonb is null or pgcortex.store_filter_matches(i.value_jsonb, $5)) '
        'and (not $6 or i.expires_at is null or i.expires_at > $7) '
        'order by (v.embedding::%2$s) %3$s ($1::%2$s) limit $8) as s '
        'group by s.path, s.key) as g',
        case _m.distance
            when 'cosine' then '1 - g.dist'
            when 'inner_product' then '-g.dist'
            else '-g.dist'
        end,
        _m.vector_type,
        _m.operator_sql,
        _m.name_literal
    );
    perform pg_catalog.set_config(
        'hnsw.ef_search', least(greatest(_k, 40), 1000)::text, true
    );
    perform pg_catalog.set_config('hnsw.iterative_scan', 'relaxed_order', true);
    loop
        execute _sql into _rows, _found
        using
            _q,
            _ns,
            pg_catalog.cardinality(store_vector_candidates.path_prefix),
            store_vector_candidates.path_prefix,
            store_vector_candidates.filter,
            store_vector_candidates.omit_expired,
            store_vector_candidates.as_of,
            _k;
        -- Fewer vector rows than asked: there are no more. Otherwise widen until
        -- the rows hold enough distinct items (items have several vectors).
        exit when _rows < _k or pg_catalog.jsonb_array_length(_found) >= store_vector_candidates.wanted;
        _k := _k * 4;
    end loop;
    perform pg_catalog.set_config('hnsw.ef_search', _old_ef, true);
    perform pg_catalog.set_config('hnsw.iterative_scan', _old_scan, true);
    return _found;
end
$$;

comment on function pgcortex.store_vector_candidates(
    public.vector, text, text[], jsonb, integer, boolean, timestamptz
) is
'Helper of pgcortex.store_search: the items of the current namespace under path_prefix meeting filter (and live, with omit_expired) nearest to query_embedding by their nearest vector of embedding_model, read through the model''s HNSW index (iterative scan, widened until at least wanted distinct items, or all): a JSON array of [path, key, score], best first; score is cosine similarity, inner product or minus the L2 distance.';

-- ===========================================================================
-- API
-- ===========================================================================

-- name: store_embedding_model
-- The embedding model of a store's index config: registered (dimensions,
-- distance, storage; under the name given, or one made of them), with the
-- store's HNSW index for it. Returns the model's name.
create or replace function pgcortex.store_embedding_model(
    dimensions integer,
    distance text default 'cosine',
    storage text default 'vector',
    embedding_model text default null
)
returns text
language plpgsql
volatile
security definer  -- creates the model's index on store_item_vectors: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
declare
    _name text := coalesce(
        store_embedding_model.embedding_model,
        pg_catalog.format(
            'store-%s-%s-%s',
            store_embedding_model.storage, store_embedding_model.distance, store_embedding_model.dimensions
        )
    );
    _m record;
    _index text;
begin
    perform pgcortex.register_embedding_model(
        name => _name,
        dimensions => store_embedding_model.dimensions,
        distance => store_embedding_model.distance,
        storage => store_embedding_model.storage,
        normalize_vectors => false,
        create_index => false
    );
    select m.* into _m from pgcortex.embedding_model_sql(_name) as m;
    _index := 'store_item_vectors_m' || _m.model_id || '_hnsw_idx';
    if pg_catalog.to_regclass('pgcortex.' || _index) is null then
        -- One builder at a time; the second finds it built.
        perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pgcortex.store_embedding_model'));
        execute pg_catalog.format(
            'create index if not exists %I on pgcortex.store_item_vectors using hnsw '
            '((embedding::%s) %s) with (m = 16, ef_construction = 128) where embedding_model = %s',
            _index, _m.vector_type, _m.opclass, _m.name_literal
        );
    end if;
    return _name;
end
$$;

comment on function pgcortex.store_embedding_model(integer, text, text, text) is
'The embedding model of a store''s index config: registers it in pgcortex.embedding_models (pgcortex.register_embedding_model: dimensions, distance cosine, inner_product or l2, storage vector or halfvec) under embedding_model, or by default store-<storage>-<distance>-<dimensions>, and creates the HNSW index of its vectors on pgcortex.store_item_vectors (store_item_vectors_m<model_id>_hnsw_idx) when missing. Returns the model''s name, to pass to pgcortex.store_put and pgcortex.store_search. PC003/PC004 bad specification, PC014 the name is registered with another one.';

-- name: store_put
-- Puts an item: inserts it, or replaces the value of the item with the same
-- path and key (its created_at stays). ttl_minutes (fractional) makes it expire
-- that long after as_of; null: it never expires.
create or replace function pgcortex.store_put(
    path text[],
    key text,
    value json,
    ttl_minutes double precision default null,
    index_fields text[] default null,
    embeddings public.vector[] default null,
    embedding_model text default null,
    as_of timestamptz default pg_catalog.now()
)
returns table (created_at timestamptz, updated_at timestamptz, expires_at timestamptz)
language plpgsql
volatile
security definer  -- writes store_items: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _value jsonb;
begin
    perform pgcortex.check_store_path(store_put.path);
    perform pgcortex.check_store_ttl(store_put.ttl_minutes);
    if store_put.key is null or pg_catalog.length(store_put.key) > 1000 then
        raise exception using errcode = 'PC003', message = 'key must be text of at most 1000 characters';
    end if;
    if store_put.as_of is null then
        raise exception using errcode = 'PC003', message = 'as_of is required';
    end if;
    if store_put.value is null or pg_catalog.json_typeof(store_put.value) <> 'object' then
        raise exception using
            errcode = 'PC023', message = 'value must be a JSON object',
            hint = 'delete an item with pgcortex.store_delete';
    end if;
    _value := pgcortex.session_item_jsonb(store_put.value);
    if coalesce(pg_catalog.cardinality(store_put.index_fields), 0)
        <> coalesce(pg_catalog.cardinality(store_put.embeddings), 0)
        or (store_put.embeddings is not null) <> (store_put.embedding_model is not null) then
        raise exception using
            errcode = 'PC003',
            message = 'index_fields, embeddings and embedding_model go together, one field per embedding';
    end if;
    if store_put.index_fields is not null and (
        pg_catalog.array_position(store_put.index_fields, null) is not null
        or (select pg_catalog.count(distinct f) from pg_catalog.unnest(store_put.index_fields) as f)
        <> pg_catalog.cardinality(store_put.index_fields)
    ) then
        raise exception using errcode = 'PC003', message = 'index_fields must be distinct, none null';
    end if;
    if pg_catalog.octet_length(pg_catalog.array_to_string(store_put.path, '/'))
        + pg_catalog.octet_length(store_put.key) > 2000 then
        raise exception using
            errcode = 'PC003', message = 'path and key together must take at most 2000 bytes';
    end if;
    return query
    insert into pgcortex.store_items as i (
        namespace, path, key, value, value_jsonb, created_at, updated_at, ttl_minutes, expires_at
    ) values (
        _ns, store_put.path, store_put.key, store_put.value, _value, store_put.as_of, store_put.as_of,
        store_put.ttl_minutes, pgcortex.store_expiry(store_put.ttl_minutes, store_put.as_of)
    )
    on conflict on constraint store_items_pkey do update
    set
        value = excluded.value,
        value_jsonb = excluded.value_jsonb,
        updated_at = excluded.updated_at,
        ttl_minutes = excluded.ttl_minutes,
        expires_at = excluded.expires_at
    returning i.created_at, i.updated_at, i.expires_at;
    perform pgcortex.store_put_vectors(
        store_put.path, store_put.key, store_put.index_fields, store_put.embeddings,
        store_put.embedding_model
    );
end
$$;

comment on function pgcortex.store_put(
    text[], text, json, double precision, text[], public.vector[], text, timestamptz
) is
'Puts an item of the key-value store (the LangGraph store) at (path, key) in the current namespace: a new item, or the whole value of the existing one replaced (created_at stays, updated_at becomes as_of). value: a JSON object, kept as its exact text. ttl_minutes (fractional): the item expires that long after as_of (and after each refreshing read); null: never. embeddings (of embedding_model, see pgcortex.store_embedding_model), one per name of index_fields (the part of the value each was made from), replace the item''s vectors; without them the item has none (a query search returns it after the items it ranks, score null). Returns created_at, updated_at, expires_at. PC003 bad path or key, PC004 ttl out of range, PC023 value not an object.';

-- name: store_delete
-- Deletes the item at (path, key); true when there was one.
create or replace function pgcortex.store_delete(path text[], key text)
returns boolean
language plpgsql
volatile
security definer  -- deletes from store_items: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
declare
    _ns text := pgcortex.current_namespace();
    _n integer;
begin
    perform pgcortex.check_store_path(store_delete.path);
    delete from pgcortex.store_items as i
    where i.namespace = _ns and i.path = store_delete.path and i.key = store_delete.key;
    get diagnostics _n = row_count;
    return _n > 0;
end
$$;

comment on function pgcortex.store_delete(text[], text) is
'Deletes the store item at (path, key) of the current namespace; true when there was one, false otherwise. PC003 bad path.';

-- name: store_get
-- The item at (path, key), or no row. With refresh_ttl, an item that has a
-- ttl expires ttl_minutes after as_of again. With omit_expired, an item past
-- its expiry (not swept yet) is not returned (nor refreshed).
create or replace function pgcortex.store_get(
    path text[],
    key text,
    refresh_ttl boolean default true,
    omit_expired boolean default false,
    as_of timestamptz default pg_catalog.now()
)
returns table (
    value json,
    created_at timestamptz,
    updated_at timestamptz,
    expires_at timestamptz
)
language plpgsql
volatile
security definer  -- reads and refreshes store_items: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex.check_store_path(store_get.path);
    if store_get.as_of is null then
        raise exception using errcode = 'PC003', message = 'as_of is required';
    end if;
    if coalesce(store_get.refresh_ttl, true) then
        update pgcortex.store_items as i
        set expires_at = pgcortex.store_expiry(i.ttl_minutes, store_get.as_of)
        where
            i.namespace = _ns
            and i.path = store_get.path
            and i.key = store_get.key
            and i.ttl_minutes is not null
            and (not coalesce(store_get.omit_expired, false) or i.expires_at > store_get.as_of);
    end if;
    return query
    select i.value, i.created_at, i.updated_at, i.expires_at
    from pgcortex.store_items as i
    where
        i.namespace = _ns
        and i.path = store_get.path
        and i.key = store_get.key
        and (
            not coalesce(store_get.omit_expired, false)
            or i.expires_at is null
            or i.expires_at > store_get.as_of
        );
end
$$;

comment on function pgcortex.store_get(text[], text, boolean, boolean, timestamptz) is
'The store item at (path, key) of the current namespace: its value (its exact JSON text), created_at, updated_at and expires_at; or no row. refresh_ttl (default true): an item with a ttl expires ttl_minutes after as_of again. omit_expired: an item past its expiry that the sweeper has not deleted yet is neither returned nor refreshed (by default it is returned). PC003 bad path.';

-- name: store_search
-- The items under a path prefix that meet the value filter, a page of them,
-- best first. With a query embedding (of the store's embedding model): the
-- items ranked by their nearest vector (the model's HNSW index, filtered),
-- score the similarity of the model's distance; then the items without a
-- vector of the model, score null. With query text alone: the items whose
-- string values match it as full text first (score: text rank), then the rest
-- (score null). Unscored items come newest first (text matches first when
-- there is query text). refresh_ttl and omit_expired as in pgcortex.store_get,
-- for the items returned.
create or replace function pgcortex.store_search(
    path_prefix text[] default '{}',
    filter jsonb default null,
    query text default null,
    query_embedding public.vector default null,
    embedding_model text default null,
    page_size integer default 10,
    page_offset integer default 0,
    refresh_ttl boolean default true,
    omit_expired boolean default false,
    as_of timestamptz default pg_catalog.now()
)
returns table (
    path text[],
    key text,
    value json,
    created_at timestamptz,
    updated_at timestamptz,
    score double precision
)
language plpgsql
volatile
security definer  -- reads and refreshes store_items, reads store_item_vectors: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _prefix text[] := pgcortex.check_store_path(
        coalesce(store_search.path_prefix, '{}'), 'path_prefix', true
    );
    _n integer := pg_catalog.cardinality(coalesce(store_search.path_prefix, '{}'));
    _filter jsonb := pgcortex.check_store_filter(store_search.filter);
    _omit boolean := coalesce(store_search.omit_expired, false);
    _tsq tsquery;
    _scored jsonb := '[]';
    _vector_mode boolean := store_search.query_embedding is not null;
begin
    if store_search.page_size is null or store_search.page_size < 0 or store_search.page_size > 10000 then
        raise exception using errcode = 'PC004', message = 'page_size must be between 0 and 10000';
    end if;
    if store_search.page_offset is null or store_search.page_offset < 0 then
        raise exception using errcode = 'PC004', message = 'page_offset must not be negative';
    end if;
    if store_search.as_of is null then
        raise exception using errcode = 'PC003', message = 'as_of is required';
    end if;
    if (store_search.query_embedding is null) <> (store_search.embedding_model is null) then
        raise exception using
            errcode = 'PC003', message = 'query_embedding and embedding_model go together';
    end if;
    if pg_catalog.length(pg_catalog.btrim(coalesce(store_search.query, ''))) > 0 then
        _tsq := pgcortex.search_tsquery(store_search.query);
    end if;
    if _vector_mode then
        _scored := pgcortex.store_vector_candidates(
            query_embedding => store_search.query_embedding,
            embedding_model => store_search.embedding_model,
            path_prefix => _prefix,
            filter => _filter,
            wanted => store_search.page_offset + store_search.page_size,
            omit_expired => _omit,
            as_of => store_search.as_of
        );
    end if;
    return query
    with scored as (
        select
            array(select pg_catalog.jsonb_array_elements_text(e.value -> 0)) as path,
            e.value ->> 1 as key,
            (e.value ->> 2)::double precision as score
        from pg_catalog.jsonb_array_elements(_scored) as e (value)
    ),

    ranked as (
        select
            i.path,
            i.key,
            i.value,
            i.created_at,
            i.updated_at,
            case
                when _vector_mode then s.score
                when _tsq is not null and i.value_tsv operator(pg_catalog.@@) _tsq
                    then pg_catalog.ts_rank_cd(i.value_tsv, _tsq)::double precision
            end as score,
            case
                when _tsq is not null and i.value_tsv operator(pg_catalog.@@) _tsq
                    then pg_catalog.ts_rank_cd(i.value_tsv, _tsq)
            end as text_rank
        from pgcortex.store_items as i
        left join scored as s on i.path = s.path and i.key = s.key
        where
            i.namespace = _ns
            and i.path[1:_n] = _prefix
            and (not _omit or i.expires_at is null or i.expires_at > store_search.as_of)
            and (_filter is null or pgcortex.store_filter_matches(i.value_jsonb, _filter))
            and (
                not _vector_mode
                or s.key is not null
                or not exists (
                    select from pgcortex.store_item_vectors as v
                    where
                        v.namespace = _ns
                        and v.path = i.path
                        and v.key = i.key
                        and v.embedding_model = store_search.embedding_model
                )
            )
    ),

    page as (
        select r.path, r.key, r.value, r.created_at, r.updated_at, r.score, r.text_rank
        from ranked as r
        order by r.score desc nulls last, r.text_rank desc nulls last, r.updated_at desc, r.path, r.key
        limit store_search.page_size
        offset store_search.page_offset
    ),

    refreshed as (
        update pgcortex.store_items as i
        set expires_at = pgcortex.store_expiry(i.ttl_minutes, store_search.as_of)
        from page
        where
            coalesce(store_search.refresh_ttl, true)
            and i.namespace = _ns
            and i.path = page.path
            and i.key = page.key
            and i.ttl_minutes is not null
        returning i.key
    )

    select page.path, page.key, page.value, page.created_at, page.updated_at, page.score
    from page
    order by
        page.score desc nulls last, page.text_rank desc nulls last, page.updated_at desc,
        page.path, page.key;
end
$$;

comment on function pgcortex.store_search(
    text[], jsonb, text, public.vector, text, integer, integer, boolean, boolean, timestamptz
) is
'A page (page_size 0..10000, page_offset) of the store items of the current namespace whose path starts with path_prefix (empty: every path) and whose value meets filter: a JSON object of field conditions, each a value (equal), a nested object (matched field by field) or operators $eq, $ne, $gt, $gte, $lt, $lte (numbers compared as numbers, strings as strings). With query_embedding (of embedding_model): items ranked by their nearest vector through the model''s HNSW index, score = cosine similarity, inner product or minus the L2 distance (the model''s distance), then the items without a vector of the model (score null). With query text alone: the items whose string values match it as full text (english) first, score their text rank, then the rest (score null). Unscored items come text matches first, then newest first (updated_at). refresh_ttl and omit_expired as in pgcortex.store_get. PC003 bad prefix, filter, operator or embedding arguments, PC004 bad page, PC010/PC011 bad query embedding, PC013 unknown model.';

-- name: store_list_namespaces
-- The distinct paths of the items, optionally those starting with prefix and
-- ending with suffix ('*' matches any one label), cut to max_depth labels,
-- sorted, a page of them.
create or replace function pgcortex.store_list_namespaces(
    prefix text[] default null,
    suffix text[] default null,
    max_depth integer default null,
    page_size integer default 100,
    page_offset integer default 0,
    omit_expired boolean default false,
    as_of timestamptz default pg_catalog.now()
)
returns table (path text[])
language plpgsql
stable
security definer  -- reads store_items: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex.check_store_path(coalesce(store_list_namespaces.prefix, '{}'), 'prefix', true);
    perform pgcortex.check_store_path(coalesce(store_list_namespaces.suffix, '{}'), 'suffix', true);
    if store_list_namespaces.max_depth is not null and store_list_namespaces.max_depth < 1 then
        raise exception using errcode = 'PC004', message = 'max_depth must be at least 1';
    end if;
    if store_list_namespaces.page_size is null or store_list_namespaces.page_size < 0
        or store_list_namespaces.page_size > 10000 then
        raise exception using errcode = 'PC004', message = 'page_size must be between 0 and 10000';
    end if;
    if store_list_namespaces.page_offset is null or store_list_namespaces.page_offset < 0 then
        raise exception using errcode = 'PC004', message = 'page_offset must not be negative';
    end if;
    return query
    select d.path
    from (
        select distinct i.path[1:coalesce(store_list_namespaces.max_depth, 64)] as path
        from pgcortex.store_items as i
        where
            i.namespace = _ns
            and pgcortex.store_path_matches(i.path, store_list_namespaces.prefix, false)
            and pgcortex.store_path_matches(i.path, store_list_namespaces.suffix, true)
            and (
                not coalesce(store_list_namespaces.omit_expired, false)
                or i.expires_at is null
                or i.expires_at > store_list_namespaces.as_of
            )
    ) as d
    order by d.path collate "C"
    limit store_list_namespaces.page_size
    offset store_list_namespaces.page_offset;
end
$$;

comment on function pgcortex.store_list_namespaces(text[], text[], integer, integer, integer, boolean, timestamptz) is
'The distinct paths of the store items of the current namespace, sorted (C collation), a page of them (page_size 0..10000, page_offset): those starting with prefix and ending with suffix, label by label, where a ''*'' label matches any one label; each cut to its first max_depth labels (at least 1) when given. omit_expired: paths whose items have all expired (not swept yet) are left out. PC003 bad prefix or suffix, PC004 bad max_depth or page.';

-- name: maint_store_sweep
-- Maintenance, the store's TTL sweeper: deletes the items of this namespace
-- that expired before as_of.
create or replace function pgcortex.maint_store_sweep(as_of timestamptz default pg_catalog.now())
returns table (items_deleted bigint)
language plpgsql
volatile
security definer  -- deletes from store_items: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
declare
    _ns text := pgcortex.current_namespace();
begin
    if maint_store_sweep.as_of is null then
        raise exception using errcode = 'PC003', message = 'as_of is required';
    end if;
    return query
    with gone as (
        delete from pgcortex.store_items as i
        where i.namespace = _ns and i.expires_at is not null and i.expires_at <= maint_store_sweep.as_of
        returning 1
    )
    select pg_catalog.count(*) from gone;
end
$$;

comment on function pgcortex.maint_store_sweep(timestamptz) is
'Maintenance, the TTL sweeper of the key-value store: deletes the store items of the current namespace whose expiry is at or before as_of; returns how many.';
