CREATE SCHEMA pgcortex;

COMMENT ON SCHEMA pgcortex IS 'pgcortex: long-term memory for AI agents. Tables, views and the SQL API live here.';

CREATE TYPE pgcortex.memory_row AS (
	id uuid,
	content text,
	memory_type text,
	importance smallint,
	confidence real,
	tags text[],
	metadata jsonb,
	embedding public.vector,
	embedding_model text,
	created_at timestamp with time zone,
	updated_at timestamp with time zone,
	expires_at timestamp with time zone,
	last_accessed timestamp with time zone,
	access_count bigint,
	related_memories uuid[]
);

COMMENT ON TYPE pgcortex.memory_row IS 'A memory as the read functions return it: its fields (the embedding only when asked for), exact last_accessed and access_count, and the ids it is linked with either way.';

CREATE TYPE pgcortex.memory_search_row AS (
	id uuid,
	content text,
	memory_type text,
	importance smallint,
	confidence real,
	tags text[],
	metadata jsonb,
	created_at timestamp with time zone,
	updated_at timestamp with time zone,
	expires_at timestamp with time zone,
	last_accessed timestamp with time zone,
	access_count bigint,
	rank integer,
	similarity real,
	text_rank real,
	keyword_overlap real,
	relevance real,
	fused_relevance real,
	recency_factor real,
	importance_factor real,
	confidence_factor real,
	access_factor real,
	score real,
	matched_by text,
	linked_from uuid,
	ranking_version integer
);

COMMENT ON TYPE pgcortex.memory_search_row IS 'A search hit: the memory, its rank, and its score breakdown (similarity, text_rank, keyword_overlap, relevance, fused_relevance, the four factors, score), how it matched (vector, text, both, link) and the ranking_version of the formula.';

CREATE DOMAIN pgcortex.namespace_name AS text
	CONSTRAINT namespace_name_check CHECK ((((length(VALUE) >= 1) AND (length(VALUE) <= 128)) AND (VALUE !~ '[[:cntrl:]]'::text)));

COMMENT ON DOMAIN pgcortex.namespace_name IS 'A namespace: the agent, user or tenant scope of every row. 1 to 128 characters, no control characters.';

CREATE FUNCTION pgcortex.check_embedding(embedding public.vector) RETURNS public.vector
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
begin
    if embedding is null then
        return null;
    end if;
    if public.vector_dims(embedding) <> 384 then
        raise exception using
            errcode = 'PC010',
            message = pg_catalog.format(
                'embedding has %s dimensions; pgcortex stores 384', public.vector_dims(embedding)
            ),
            hint = 'embed with all-MiniLM-L6-v2 or another 384-dimension model';
    end if;
    if public.vector_norm(embedding) = 0 then
        raise exception using
            errcode = 'PC011',
            message = 'embedding is all zeros',
            detail = 'a zero vector has no direction, so cosine similarity is undefined';
    end if;
    if public.vector_norm(embedding) = 'Infinity'::float8 then
        raise exception using
            errcode = 'PC011',
            message = 'embedding has infinite values';
    end if;
    return embedding;
end
$$;

COMMENT ON FUNCTION pgcortex.check_embedding(embedding public.vector) IS 'Returns the embedding if it has 384 finite, not all-zero values; else raises PC010 (dimensions) or PC011 (values). NaN and infinite elements are already refused by pgvector''s input (SQLSTATE 22000).';

CREATE FUNCTION pgcortex.check_embedding_model(embedding_model text) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    _other text;
begin
    if check_embedding_model.embedding_model is null then
        return null;
    end if;
    select m.embedding_model into _other
    from pgcortex.memories as m
    where
        m.namespace = pgcortex.current_namespace()
        and m.embedding_model is not null
        and m.embedding_model <> check_embedding_model.embedding_model
    limit 1;
    if _other is not null then
        raise exception using
            errcode = 'PC012',
            message = pg_catalog.format(
                'this namespace holds embeddings of model %s, not %s',
                _other, check_embedding_model.embedding_model
            ),
            hint = 'embed with the namespace''s model, or re-embed the namespace first';
    end if;
    return check_embedding_model.embedding_model;
end
$$;

COMMENT ON FUNCTION pgcortex.check_embedding_model(embedding_model text) IS 'Returns the model name when the namespace holds no embeddings of another model; else raises PC012.';

CREATE FUNCTION pgcortex.content_hash(content text) RETURNS bytea
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO ''
    RETURN sha256(convert_to(NORMALIZE(lower(btrim(regexp_replace(content, '\s+'::text, ' '::text, 'g'::text))), NFC), 'UTF8'::name));

COMMENT ON FUNCTION pgcortex.content_hash(content text) IS 'Exact-dedup key: sha256 of the content lower-cased, NFC-normalised, trimmed, white space folded.';

CREATE FUNCTION pgcortex.current_namespace() RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
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
    return _ns;
end
$$;

COMMENT ON FUNCTION pgcortex.current_namespace() IS 'The namespace of the current call (setting pgcortex.namespace); raises PC001 when unset.';

CREATE FUNCTION pgcortex.delete_memories(memory_ids uuid[] DEFAULT NULL::uuid[], memory_types text[] DEFAULT NULL::text[], tags_any text[] DEFAULT NULL::text[], tags_all text[] DEFAULT NULL::text[], max_importance integer DEFAULT NULL::integer, created_before timestamp with time zone DEFAULT NULL::timestamp with time zone, metadata_contains jsonb DEFAULT NULL::jsonb, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(deleted bigint, ids uuid[])
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    _ns text := pgcortex.current_namespace();
    _ids uuid [];
begin
    if delete_memories.memory_ids is null and delete_memories.memory_types is null
        and delete_memories.tags_any is null and delete_memories.tags_all is null
        and delete_memories.max_importance is null and delete_memories.created_before is null
        and delete_memories.metadata_contains is null
    then
        raise exception using
            errcode = 'PC003',
            message = 'give at least one filter',
            hint = 'to delete everything, filter on memory_types with all the types';
    end if;
    if delete_memories.metadata_contains is not null
        and pg_catalog.jsonb_typeof(delete_memories.metadata_contains) <> 'object'
    then
        raise exception using errcode = 'PC023', message = 'metadata_contains must be a JSON object';
    end if;
    _ids := array(
        select m.id from pgcortex.memories as m
        where
            m.namespace = _ns
            and (delete_memories.memory_ids is null or m.id = any(delete_memories.memory_ids))
            and (delete_memories.memory_types is null or m.memory_type = any(delete_memories.memory_types))
            and (delete_memories.tags_any is null or m.tags && delete_memories.tags_any)
            and (delete_memories.tags_all is null or m.tags @> delete_memories.tags_all)
            and (delete_memories.max_importance is null or m.importance <= delete_memories.max_importance)
            and (delete_memories.created_before is null or m.created_at < delete_memories.created_before)
            and (
                delete_memories.metadata_contains is null
                or m.metadata @> delete_memories.metadata_contains
            )
    );
    _ids := pgcortex.forget_memories(_ids, 'delete', delete_memories.as_of);
    return query select pg_catalog.cardinality(_ids)::bigint, _ids;
end
$$;

COMMENT ON FUNCTION pgcortex.delete_memories(memory_ids uuid[], memory_types text[], tags_any text[], tags_all text[], max_importance integer, created_before timestamp with time zone, metadata_contains jsonb, as_of timestamp with time zone) IS 'Deletes the memories (expired or not) matching every filter given; at least one filter is required (PC003). Returns how many were deleted and their ids.';

CREATE FUNCTION pgcortex.delete_memory(memory_id uuid, as_of timestamp with time zone DEFAULT now()) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    _deleted uuid [];
begin
    if delete_memory.memory_id is null then
        raise exception using errcode = 'PC003', message = 'memory_id is required';
    end if;
    _deleted := pgcortex.forget_memories(array[delete_memory.memory_id], 'delete', delete_memory.as_of);
    if pg_catalog.cardinality(_deleted) = 0 then
        raise exception using
            errcode = 'PC030',
            message = pg_catalog.format('no memory %s in this namespace', delete_memory.memory_id);
    end if;
    return delete_memory.memory_id;
end
$$;

COMMENT ON FUNCTION pgcortex.delete_memory(memory_id uuid, as_of timestamp with time zone) IS 'Deletes one memory (its links and cluster membership go with it) and returns its id; raises PC030 when there is no such memory in the namespace.';

CREATE FUNCTION pgcortex.embedding_problem(embedding public.vector) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    BEGIN ATOMIC
 SELECT
         CASE
             WHEN (embedding IS NULL) THEN NULL::text
             WHEN (public.vector_dims(embedding) <> 384) THEN format('embedding has %s dimensions; pgcortex stores 384'::text, public.vector_dims(embedding))
             WHEN (public.vector_norm(embedding) = (0)::double precision) THEN 'embedding is all zeros'::text
             WHEN (public.vector_norm(embedding) = 'Infinity'::double precision) THEN 'embedding has infinite values'::text
             ELSE NULL::text
         END AS "case";
END;

COMMENT ON FUNCTION pgcortex.embedding_problem(embedding public.vector) IS 'Null when the embedding is acceptable, else what is wrong (same rules as pgcortex.check_embedding).';

CREATE FUNCTION pgcortex.erase_namespace(confirm text) RETURNS TABLE(namespace text, rows_deleted bigint, tables jsonb, audit_id bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _t record;
    _n bigint;
    _total bigint := 0;
    _counts jsonb := '{}';
    _audit bigint;
begin
    if erase_namespace.confirm is distinct from _ns then
        raise exception using
            errcode = 'PC050',
            message = 'erase_namespace needs confirm => the name of the current namespace',
            hint = 'pass confirm => pgcortex.current_namespace() once you are sure';
    end if;
    for _t in
        select
            t.table_name,
            c.relname::text as name
        from pgcortex.namespaced_tables() as t
        inner join pg_catalog.pg_class as c on t.table_name = c.oid
        order by t.depth desc, c.relname desc
    loop
        execute pg_catalog.format(
            'delete from %s as t where t.namespace operator(pg_catalog.=) $1', _t.table_name
        ) using _ns;
        get diagnostics _n = row_count;
        _total := _total + _n;
        _counts := _counts || pg_catalog.jsonb_build_object(_t.name, _n);
    end loop;
    insert into pgcortex.namespace_audit as na (namespace, action, details)
    values (_ns, 'erase', pg_catalog.jsonb_build_object('rows', _counts, 'total', _total))
    returning na.audit_id into _audit;
    return query select _ns, _total, _counts, _audit;
end
$_$;

COMMENT ON FUNCTION pgcortex.erase_namespace(confirm text) IS 'Deletes everything of the current namespace (every namespaced table, children first) in one call; confirm must equal the namespace name (PC050). Returns the rows deleted per table and the audit id; the audit log is kept.';

CREATE FUNCTION pgcortex.export_namespace() RETURNS SETOF jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
    _ns text := pgcortex.current_namespace();
    _t record;
    _skip text[];
    _order text;
    _n bigint;
    _total bigint := 0;
    _counts jsonb := '{}';
begin
    return next pg_catalog.jsonb_build_object(
        'pgcortex_export', 1,
        'namespace', _ns,
        'schema_version', (select i.version from pgcortex.schema_info as i),
        'exported_at', pg_catalog.now(),
        'tables', (
            select pg_catalog.jsonb_agg(c.relname::text order by t.depth, c.relname)
            from pgcortex.namespaced_tables() as t
            inner join pg_catalog.pg_class as c on t.table_name = c.oid
        )
    );
    for _t in
        select
            t.table_name,
            c.relname::text as name
        from pgcortex.namespaced_tables() as t
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
        return query execute pg_catalog.format(
            'select pg_catalog.jsonb_build_object(''table'', %L, ''row'', '
            'pg_catalog.to_jsonb(t) operator(pg_catalog.-) $2) '
            'from %s as t where t.namespace operator(pg_catalog.=) $1 order by %s',
            _t.name, _t.table_name, coalesce(_order, 't.ctid')
        ) using _ns, _skip;
        get diagnostics _n = row_count;
        _total := _total + _n;
        _counts := _counts || pg_catalog.jsonb_build_object(_t.name, _n);
    end loop;
    insert into pgcortex.namespace_audit (namespace, action, details)
    values (_ns, 'export', pg_catalog.jsonb_build_object('rows', _counts, 'total', _total));
    return next pg_catalog.jsonb_build_object('end', true, 'rows', _total);
end
$_$;

COMMENT ON FUNCTION pgcortex.export_namespace() IS 'The current namespace as JSON lines (setof jsonb): a header, {"table", "row"} per row of every namespaced table in foreign-key order, then {"end": true, "rows": n}. Audited in pgcortex.namespace_audit. Use a repeatable read transaction for a consistent snapshot.';

CREATE FUNCTION pgcortex.forget_memories(memory_ids uuid[], reason text DEFAULT 'delete'::text, as_of timestamp with time zone DEFAULT now()) RETURNS uuid[]
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
    _ns text := pgcortex.current_namespace();
    _deleted uuid [];
begin
    if forget_memories.reason is null or forget_memories.reason !~ '^[a-z][a-z0-9_]{0,62}$' then
        raise exception using errcode = 'PC003', message = 'reason must be a lower-case word';
    end if;
    perform pgcortex.set_change_context(forget_memories.reason, forget_memories.as_of);
    with gone as (
        delete from pgcortex.memories as m
        where m.namespace = _ns and m.id = any(forget_memories.memory_ids)
        returning m.id
    )
    select coalesce(pg_catalog.array_agg(gone.id order by gone.id), '{}'::uuid []) into _deleted
    from gone;
    delete from pgcortex.memory_access_log as l
    where l.namespace = _ns and l.memory_id = any(_deleted);
    perform pgcortex.set_change_context(null, null);
    return _deleted;
end
$_$;

COMMENT ON FUNCTION pgcortex.forget_memories(memory_ids uuid[], reason text, as_of timestamp with time zone) IS 'Deletes the memories with these ids in this namespace (links, cluster membership and access counts go with them; the history keeps a delete entry with the given reason) and returns the ids deleted.';

CREATE FUNCTION pgcortex.get_memories(memory_ids uuid[], track boolean DEFAULT true, include_embedding boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS SETOF pgcortex.memory_row
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    _found uuid [];
begin
    if get_memories.memory_ids is null then
        raise exception using errcode = 'PC003', message = 'memory_ids is required';
    end if;
    if pg_catalog.cardinality(get_memories.memory_ids) > 10000 then
        raise exception using errcode = 'PC004', message = 'at most 10000 ids per call';
    end if;
    if coalesce(get_memories.track, true) then
        _found := array(
            select distinct m.id from pgcortex.memories as m
            where
                m.namespace = pgcortex.current_namespace()
                and m.id = any(get_memories.memory_ids)
                and (m.expires_at is null or m.expires_at > get_memories.as_of)
        );
        perform pgcortex.track_access(_found, get_memories.as_of);
    end if;
    return query
    select * from pgcortex.memory_rows(
        array(
            select f.id from (
                select w.id, min(w.o) as o
                from pg_catalog.unnest(get_memories.memory_ids) with ordinality as w (id, o)
                group by w.id
            ) as f
            order by f.o
        ),
        get_memories.include_embedding,
        get_memories.as_of
    );
end
$$;

COMMENT ON FUNCTION pgcortex.get_memories(memory_ids uuid[], track boolean, include_embedding boolean, as_of timestamp with time zone) IS 'The unexpired memories with these ids (at most 10000; unknown ids left out; each returned once), counting one access of each when track.';

CREATE FUNCTION pgcortex.get_memory(memory_id uuid, track boolean DEFAULT true, include_embedding boolean DEFAULT true, as_of timestamp with time zone DEFAULT now()) RETURNS SETOF pgcortex.memory_row
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    if get_memory.memory_id is null then
        raise exception using errcode = 'PC003', message = 'memory_id is required';
    end if;
    if not exists (
        select from pgcortex.memories as m
        where
            m.namespace = pgcortex.current_namespace()
            and m.id = get_memory.memory_id
            and (m.expires_at is null or m.expires_at > get_memory.as_of)
    ) then
        raise exception using
            errcode = 'PC030',
            message = pg_catalog.format('no memory %s in this namespace', get_memory.memory_id);
    end if;
    if coalesce(get_memory.track, true) then
        perform pgcortex.track_access(array[get_memory.memory_id], get_memory.as_of);
    end if;
    return query
    select * from pgcortex.memory_rows(
        array[get_memory.memory_id], get_memory.include_embedding, get_memory.as_of
    );
end
$$;

COMMENT ON FUNCTION pgcortex.get_memory(memory_id uuid, track boolean, include_embedding boolean, as_of timestamp with time zone) IS 'One memory by id, with its exact access count (this read included when track) and related ids. Raises PC030 when there is no such unexpired memory in the namespace.';

CREATE TABLE pgcortex.memory_links (
    namespace pgcortex.namespace_name NOT NULL,
    source_id uuid NOT NULL,
    target_id uuid NOT NULL,
    relation text DEFAULT 'related'::text NOT NULL,
    weight real DEFAULT 1.0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT memory_links_not_self_check CHECK ((source_id <> target_id)),
    CONSTRAINT memory_links_relation_check CHECK ((relation ~ '^[a-z][a-z0-9_]{0,62}$'::text)),
    CONSTRAINT memory_links_weight_check CHECK (((weight >= (0)::double precision) AND (weight <= (1)::double precision)))
);

ALTER TABLE ONLY pgcortex.memory_links FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.memory_links IS 'Directed, typed, weighted relations between two memories of one namespace (the seed''s related_memories, with integrity).';

CREATE FUNCTION pgcortex.link_memories(source_id uuid, target_id uuid, relation text DEFAULT 'related'::text, weight real DEFAULT 1.0, as_of timestamp with time zone DEFAULT now()) RETURNS SETOF pgcortex.memory_links
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _missing uuid;
begin
    if link_memories.source_id is null or link_memories.target_id is null then
        raise exception using errcode = 'PC003', message = 'source_id and target_id are required';
    end if;
    if link_memories.source_id = link_memories.target_id then
        raise exception using errcode = 'PC003', message = 'a memory cannot be linked to itself';
    end if;
    if link_memories.relation is null or link_memories.relation !~ '^[a-z][a-z0-9_]{0,62}$' then
        raise exception using
            errcode = 'PC003',
            message = pg_catalog.format('invalid relation %L', link_memories.relation),
            hint = 'a relation is a lower-case word: a letter, then letters, digits or _ (63 at most)';
    end if;
    if link_memories.weight is null or not (link_memories.weight between 0 and 1) then
        raise exception using errcode = 'PC004', message = 'weight must be in 0..1';
    end if;
    select x.id into _missing
    from pg_catalog.unnest(array[link_memories.source_id, link_memories.target_id]) as x (id)
    where not exists (
        select from pgcortex.memories as m
        where
            m.namespace = _ns and m.id = x.id
            and (m.expires_at is null or m.expires_at > link_memories.as_of)
    )
    limit 1;
    if _missing is not null then
        raise exception using
            errcode = 'PC030',
            message = pg_catalog.format('no memory %s in this namespace', _missing);
    end if;
    return query
    insert into pgcortex.memory_links as l (namespace, source_id, target_id, relation, weight, created_at)
    values (
        _ns, link_memories.source_id, link_memories.target_id, link_memories.relation,
        link_memories.weight, link_memories.as_of
    )
    on conflict (namespace, source_id, target_id, relation) do update
        set weight = excluded.weight
    returning l.*;
end
$_$;

COMMENT ON FUNCTION pgcortex.link_memories(source_id uuid, target_id uuid, relation text, weight real, as_of timestamp with time zone) IS 'Links source to target with a relation (a lower-case word, default related) and a weight in 0..1; linking the same pair and relation again sets the new weight. Returns the link row. PC030 when either memory is not in the namespace, PC003 / PC004 on bad input.';

CREATE FUNCTION pgcortex.list_memories(memory_types text[] DEFAULT NULL::text[], tags_any text[] DEFAULT NULL::text[], tags_all text[] DEFAULT NULL::text[], min_importance integer DEFAULT NULL::integer, max_importance integer DEFAULT NULL::integer, min_confidence real DEFAULT NULL::real, created_after timestamp with time zone DEFAULT NULL::timestamp with time zone, created_before timestamp with time zone DEFAULT NULL::timestamp with time zone, metadata_contains jsonb DEFAULT NULL::jsonb, order_by text DEFAULT 'newest'::text, page_size integer DEFAULT 50, page_offset integer DEFAULT 0, include_embedding boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS SETOF pgcortex.memory_row
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    _ns text := pgcortex.current_namespace();
    _ids uuid [];
begin
    if list_memories.order_by is null
        or list_memories.order_by not in ('newest', 'oldest', 'importance', 'accessed', 'recent')
    then
        raise exception using
            errcode = 'PC003',
            message = pg_catalog.format('unknown order_by %L', list_memories.order_by),
            hint = 'newest, oldest, importance, accessed (most accessed) or recent (last accessed)';
    end if;
    if list_memories.page_size is null or list_memories.page_size not between 1 and 10000 then
        raise exception using errcode = 'PC004', message = 'page_size must be in 1..10000';
    end if;
    if list_memories.page_offset is null or list_memories.page_offset < 0 then
        raise exception using errcode = 'PC004', message = 'page_offset must be 0 or more';
    end if;
    if list_memories.metadata_contains is not null
        and pg_catalog.jsonb_typeof(list_memories.metadata_contains) <> 'object'
    then
        raise exception using errcode = 'PC023', message = 'metadata_contains must be a JSON object';
    end if;
    _ids := array(
        select f.id
        from (
            select
                m.id,
                m.created_at,
                m.importance,
                coalesce(a.access_count, 0) + coalesce(l.pending, 0) as access_count,
                coalesce(greatest(a.last_accessed, l.last_accessed), m.created_at) as last_accessed
            from pgcortex.memories as m
            left join pgcortex.memory_access as a
                on m.namespace = a.namespace and m.id = a.memory_id
            left join lateral (
                select
                    count(*) as pending,
                    max(g.accessed_at) as last_accessed
                from pgcortex.memory_access_log as g
                where
                    list_memories.order_by in ('accessed', 'recent')
                    and g.namespace = m.namespace and g.memory_id = m.id
            ) as l on true
            where
                m.namespace = _ns
                and (m.expires_at is null or m.expires_at > list_memories.as_of)
                and (list_memories.memory_types is null or m.memory_type = any(list_memories.memory_types))
                and (list_memories.tags_any is null or m.tags && list_memories.tags_any)
                and (list_memories.tags_all is null or m.tags @> list_memories.tags_all)
                and (list_memories.min_importance is null or m.importance >= list_memories.min_importance)
                and (list_memories.max_importance is null or m.importance <= list_memories.max_importance)
                and (list_memories.min_confidence is null or m.confidence >= list_memories.min_confidence)
                and (list_memories.created_after is null or m.created_at >= list_memories.created_after)
                and (list_memories.created_before is null or m.created_at < list_memories.created_before)
                and (
                    list_memories.metadata_contains is null
                    or m.metadata @> list_memories.metadata_contains
                )
        ) as f
        order by
            case when list_memories.order_by = 'importance' then f.importance end desc,
            case when list_memories.order_by = 'accessed' then f.access_count end desc,
            case when list_memories.order_by = 'recent' then f.last_accessed end desc,
            case when list_memories.order_by = 'oldest' then f.created_at end asc,
            f.created_at desc,
            f.id desc
        limit list_memories.page_size
        offset list_memories.page_offset
    );
    return query
    select * from pgcortex.memory_rows(_ids, list_memories.include_embedding, list_memories.as_of);
end
$$;

COMMENT ON FUNCTION pgcortex.list_memories(memory_types text[], tags_any text[], tags_all text[], min_importance integer, max_importance integer, min_confidence real, created_after timestamp with time zone, created_before timestamp with time zone, metadata_contains jsonb, order_by text, page_size integer, page_offset integer, include_embedding boolean, as_of timestamp with time zone) IS 'A page (page_size 1..10000, page_offset) of the unexpired memories matching every filter given, ordered by order_by: newest (default), oldest, importance (most important first), accessed (most accessed first) or recent (last accessed first); ties newest first. Counts no access.';

CREATE FUNCTION pgcortex.maint_flush_access(max_rows integer DEFAULT 1000000) RETURNS TABLE(flushed_rows bigint, memories_updated bigint, remaining_rows bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _batch bigint[];
    _ids uuid[];
    _live uuid[];
    _flushed bigint;
    _updated bigint;
begin
    if maint_flush_access.max_rows is null or maint_flush_access.max_rows < 1 then
        raise exception using errcode = 'PC004', message = 'max_rows must be at least 1';
    end if;
    -- One flusher per namespace at a time; readers never take this lock
    -- (they try it and skip the flush when it is held).
    perform pg_catalog.pg_advisory_xact_lock(
        pg_catalog.hashtext('pgcortex.flush_access'), pg_catalog.hashtext(_ns)
    );
    select pg_catalog.array_agg(g.log_id), pg_catalog.array_agg(distinct g.memory_id)
    into _batch, _ids
    from (
        select l.log_id, l.memory_id
        from pgcortex.memory_access_log as l
        where l.namespace = _ns
        order by l.log_id
        limit maint_flush_access.max_rows
    ) as g;
    if _batch is null then
        return query select 0::bigint, 0::bigint, 0::bigint;
        return;
    end if;
    -- Key-share lock the memories still there, so that a concurrent delete
    -- either finishes first (its log rows are dropped) or waits for us.
    select pg_catalog.array_agg(m.id) into _live
    from (
        select m.id from pgcortex.memories as m
        where m.namespace = _ns and m.id = any(_ids)
        order by m.id
        for key share
    ) as m;
    with moved as (
        delete from pgcortex.memory_access_log as l
        where l.namespace = _ns and l.log_id = any(_batch)
        returning l.memory_id, l.accessed_at
    ),
    agg as (
        select
            mv.memory_id,
            count(*) as n,
            max(mv.accessed_at) as last_at
        from moved as mv
        where mv.memory_id = any(_live)
        group by mv.memory_id
    ),
    up as (
        insert into pgcortex.memory_access as a (namespace, memory_id, access_count, last_accessed)
        select _ns, agg.memory_id, agg.n, agg.last_at from agg
        order by agg.memory_id
        on conflict (namespace, memory_id) do update
            set
                access_count = a.access_count + excluded.access_count,
                last_accessed = greatest(a.last_accessed, excluded.last_accessed)
        returning 1
    )
    select (select count(*) from moved), (select count(*) from up) into _flushed, _updated;
    return query
    select
        _flushed,
        _updated,
        (select count(*) from pgcortex.memory_access_log as l where l.namespace = _ns);
end
$$;

COMMENT ON FUNCTION pgcortex.maint_flush_access(max_rows integer) IS 'Maintenance: folds up to max_rows pending rows of the access log of this namespace into pgcortex.memory_access (counts stay exact before and after). Runs by itself every 2000 logged reads (the reader that crosses the mark and gets the lock flushes); call it in maintenance too. Returns the rows folded, the memories updated and the rows still pending.';

CREATE FUNCTION pgcortex.maint_forget(days integer DEFAULT 90, max_importance integer DEFAULT 2, min_access_count integer DEFAULT 3, as_of timestamp with time zone DEFAULT now(), dry_run boolean DEFAULT false) RETURNS TABLE(simulated boolean, cutoff timestamp with time zone, matched bigint, deleted bigint, ids uuid[])
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _cutoff timestamptz;
    _ids uuid [];
    _deleted uuid [] := '{}';
begin
    if maint_forget.days is null or maint_forget.days < 0 then
        raise exception using errcode = 'PC004', message = 'days must be 0 or more';
    end if;
    if maint_forget.max_importance is null or maint_forget.max_importance not between 1 and 5 then
        raise exception using errcode = 'PC004', message = 'max_importance must be in 1..5';
    end if;
    if maint_forget.min_access_count is null or maint_forget.min_access_count < 0 then
        raise exception using errcode = 'PC004', message = 'min_access_count must be 0 or more';
    end if;
    if maint_forget.as_of is null then
        raise exception using errcode = 'PC003', message = 'as_of must not be null';
    end if;
    _cutoff := maint_forget.as_of - pg_catalog.make_interval(days => maint_forget.days);
    _ids := array(
        select m.id
        from pgcortex.memories as m
        left join pgcortex.memory_access as a
            on m.namespace = a.namespace and m.id = a.memory_id
        left join lateral (
            select
                count(*) as pending,
                max(g.accessed_at) as last_accessed
            from pgcortex.memory_access_log as g
            where g.namespace = m.namespace and g.memory_id = m.id
        ) as l on true
        where
            m.namespace = _ns
            and m.importance <= maint_forget.max_importance
            and coalesce(a.access_count, 0) + coalesce(l.pending, 0) < maint_forget.min_access_count
            and coalesce(greatest(a.last_accessed, l.last_accessed), m.created_at) < _cutoff
        order by m.id
    );
    if not maint_forget.dry_run then
        _deleted := pgcortex.forget_memories(_ids, 'forget', maint_forget.as_of);
    end if;
    return query
    select
        maint_forget.dry_run,
        _cutoff,
        pg_catalog.cardinality(_ids)::bigint,
        pg_catalog.cardinality(_deleted)::bigint,
        case when maint_forget.dry_run then _ids else _deleted end;
end
$$;

COMMENT ON FUNCTION pgcortex.maint_forget(days integer, max_importance integer, min_access_count integer, as_of timestamp with time zone, dry_run boolean) IS 'Maintenance, the seed''s forgetting policy: deletes the memories of this namespace not accessed (nor created) for more than days before as_of, whose importance is at most max_importance and that were accessed fewer than min_access_count times. dry_run reports the same without deleting. Returns whether it was a dry run (simulated), the cutoff, how many matched, how many were deleted and the ids (those matched on a dry run, else those deleted).';

CREATE FUNCTION pgcortex.maint_purge_expired(as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(purged bigint, ids uuid[])
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
#variable_conflict use_column
declare
    _ids uuid [];
begin
    if maint_purge_expired.as_of is null then
        raise exception using errcode = 'PC003', message = 'as_of must not be null';
    end if;
    _ids := array(
        select m.id from pgcortex.memories as m
        where
            m.namespace = pgcortex.current_namespace()
            and m.expires_at <= maint_purge_expired.as_of
        order by m.id
    );
    _ids := pgcortex.forget_memories(_ids, 'purge_expired', maint_purge_expired.as_of);
    return query select pg_catalog.cardinality(_ids)::bigint, _ids;
end
$$;

COMMENT ON FUNCTION pgcortex.maint_purge_expired(as_of timestamp with time zone) IS 'Maintenance: deletes the memories of this namespace whose expires_at is at or before as_of (they are already invisible to every read). Returns how many were purged and their ids.';

CREATE FUNCTION pgcortex.memory_history(memory_id uuid, max_rows integer DEFAULT 1000) RETURNS TABLE(history_id bigint, operation text, reason text, changed_at timestamp with time zone, changed_fields text[], old_content text, new_content text, old_importance smallint, new_importance smallint, old_confidence real, new_confidence real, old_tags text[], new_tags text[], old_metadata jsonb, new_metadata jsonb)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
    if memory_history.memory_id is null then
        raise exception using errcode = 'PC003', message = 'memory_id is required';
    end if;
    if memory_history.max_rows is null or memory_history.max_rows < 1 then
        raise exception using errcode = 'PC004', message = 'max_rows must be at least 1';
    end if;
    return query
    select
        h.history_id, h.operation, h.reason, h.changed_at, h.changed_fields,
        h.old_content, h.new_content, h.old_importance, h.new_importance,
        h.old_confidence, h.new_confidence, h.old_tags, h.new_tags, h.old_metadata, h.new_metadata
    from pgcortex.memory_history as h
    where h.namespace = pgcortex.current_namespace() and h.memory_id = memory_history.memory_id
    order by h.history_id
    limit memory_history.max_rows;
    if not found then
        raise exception using
            errcode = 'PC030',
            message = pg_catalog.format('no history of memory %s in this namespace', memory_history.memory_id);
    end if;
end
$$;

COMMENT ON FUNCTION pgcortex.memory_history(memory_id uuid, max_rows integer) IS 'What was believed before: the changes recorded for one memory (also after it was deleted), oldest first, at most max_rows. Raises PC030 when nothing was ever recorded for that id in this namespace.';

CREATE FUNCTION pgcortex.new_id() RETURNS uuid
    LANGUAGE sql PARALLEL SAFE
    SET search_path TO ''
    RETURN uuidv7();

COMMENT ON FUNCTION pgcortex.new_id() IS 'A new time-ordered (version 7 layout) uuid: the default of every id column.';

CREATE TABLE pgcortex.memories (
    id uuid DEFAULT pgcortex.new_id() NOT NULL,
    namespace pgcortex.namespace_name DEFAULT 'default'::text NOT NULL,
    content text NOT NULL,
    content_hash bytea GENERATED ALWAYS AS (pgcortex.content_hash(content)) STORED,
    content_tsv tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, content)) STORED,
    memory_type text NOT NULL,
    importance smallint DEFAULT 3 NOT NULL,
    confidence real DEFAULT 1.0 NOT NULL,
    tags text[] DEFAULT '{}'::text[] NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    embedding public.vector(384),
    embedding_model text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone,
    CONSTRAINT memories_confidence_check CHECK (((confidence >= (0)::double precision) AND (confidence <= (1)::double precision))),
    CONSTRAINT memories_content_check CHECK (((length(content) >= 1) AND (length(content) <= 100000))),
    CONSTRAINT memories_embedding_model_check CHECK (((embedding IS NULL) = (embedding_model IS NULL))),
    CONSTRAINT memories_expires_at_check CHECK (((expires_at IS NULL) OR (expires_at > created_at))),
    CONSTRAINT memories_importance_check CHECK (((importance >= 1) AND (importance <= 5))),
    CONSTRAINT memories_metadata_check CHECK ((jsonb_typeof(metadata) = 'object'::text)),
    CONSTRAINT memories_tags_check CHECK (((cardinality(tags) <= 64) AND (array_position(tags, NULL::text) IS NULL)))
)
WITH (fillfactor='90');
ALTER TABLE ONLY pgcortex.memories ALTER COLUMN embedding SET STORAGE PLAIN;

ALTER TABLE ONLY pgcortex.memories FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.memories IS 'What an agent remembers: one row per distinct content (normalised) in a namespace, with its type, importance, confidence, tags, metadata and optional embedding. Read access counts through pgcortex.memories_v.';

COMMENT ON COLUMN pgcortex.memories.id IS 'Time-ordered uuid (pgcortex.new_id()) unless the caller gave one.';

COMMENT ON COLUMN pgcortex.memories.namespace IS 'The agent, user or tenant scope.';

COMMENT ON COLUMN pgcortex.memories.content IS 'The remembered text, 1 to 100000 characters.';

COMMENT ON COLUMN pgcortex.memories.content_hash IS 'sha256 of the content lower-cased, NFC-normalised, trimmed and with runs of white space folded: the exact-dedup key.';

COMMENT ON COLUMN pgcortex.memories.content_tsv IS 'Full-text vector of the content (english), for hybrid search.';

COMMENT ON COLUMN pgcortex.memories.memory_type IS 'One of pgcortex.memory_types.';

COMMENT ON COLUMN pgcortex.memories.importance IS '1 trivial, 2 low, 3 medium, 4 high, 5 critical.';

COMMENT ON COLUMN pgcortex.memories.confidence IS 'How sure the agent is, 0..1.';

COMMENT ON COLUMN pgcortex.memories.tags IS 'Free tags, at most 64.';

COMMENT ON COLUMN pgcortex.memories.metadata IS 'Any JSON object.';

COMMENT ON COLUMN pgcortex.memories.embedding IS '384-d embedding of the content (null for text-only memories).';

COMMENT ON COLUMN pgcortex.memories.embedding_model IS 'Name of the model that made the embedding.';

COMMENT ON COLUMN pgcortex.memories.expires_at IS 'After this time the memory is invisible to every read and purged by maintenance.';

CREATE TABLE pgcortex.memory_access (
    namespace pgcortex.namespace_name NOT NULL,
    memory_id uuid NOT NULL,
    access_count bigint DEFAULT 0 NOT NULL,
    last_accessed timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT memory_access_access_count_check CHECK ((access_count >= 0))
)
WITH (fillfactor='70');

ALTER TABLE ONLY pgcortex.memory_access FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.memory_access IS 'Access tracking of memories (last_accessed, access_count), kept apart from pgcortex.memories so that reads never rewrite a memory row or its index entries.';

CREATE TABLE pgcortex.memory_access_log (
    log_id bigint NOT NULL,
    namespace pgcortex.namespace_name NOT NULL,
    memory_id uuid NOT NULL,
    accessed_at timestamp with time zone NOT NULL
);

ALTER TABLE ONLY pgcortex.memory_access_log FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.memory_access_log IS 'Append-only log of memory reads not yet folded into pgcortex.memory_access (see pgcortex.maint_flush_access). access_count = memory_access.access_count + the pending rows here.';

CREATE FUNCTION pgcortex.memory_rows(memory_ids uuid[], include_embedding boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS SETOF pgcortex.memory_row
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    BEGIN ATOMIC
 SELECT m.id,
     m.content,
     m.memory_type,
     m.importance,
     m.confidence,
     m.tags,
     m.metadata,
         CASE
             WHEN memory_rows.include_embedding THEN m.embedding
             ELSE NULL::public.vector
         END AS embedding,
     m.embedding_model,
     m.created_at,
     m.updated_at,
     m.expires_at,
     COALESCE(GREATEST(a.last_accessed, l.last_accessed), m.created_at) AS last_accessed,
     (COALESCE(a.access_count, (0)::bigint) + COALESCE(l.pending, (0)::bigint)) AS access_count,
     COALESCE(r.related_ids, '{}'::uuid[]) AS related_memories
    FROM ((((unnest(memory_rows.memory_ids) WITH ORDINALITY w(id, o)
      JOIN pgcortex.memories m ON ((((m.namespace)::text = pgcortex.current_namespace()) AND (w.id = m.id))))
      LEFT JOIN pgcortex.memory_access a ON ((((m.namespace)::text = (a.namespace)::text) AND (m.id = a.memory_id))))
      LEFT JOIN LATERAL ( SELECT count(*) AS pending,
             max(g.accessed_at) AS last_accessed
            FROM pgcortex.memory_access_log g
           WHERE (((g.namespace)::text = (m.namespace)::text) AND (g.memory_id = m.id))) l ON (true))
      LEFT JOIN LATERAL ( SELECT array_agg(DISTINCT x.other ORDER BY x.other) AS related_ids
            FROM ( SELECT k.target_id AS other
                    FROM pgcortex.memory_links k
                   WHERE (((k.namespace)::text = (m.namespace)::text) AND (k.source_id = m.id))
                 UNION ALL
                  SELECT k.source_id
                    FROM pgcortex.memory_links k
                   WHERE (((k.namespace)::text = (m.namespace)::text) AND (k.target_id = m.id))) x) r ON (true))
   WHERE ((m.expires_at IS NULL) OR (m.expires_at > memory_rows.as_of))
   ORDER BY w.o;
END;

COMMENT ON FUNCTION pgcortex.memory_rows(memory_ids uuid[], include_embedding boolean, as_of timestamp with time zone) IS 'The unexpired memories with these ids, in the order given (unknown ids left out), with exact access counts and related ids; the embedding only when include_embedding. Counts no access.';

CREATE FUNCTION pgcortex.metadata_problem(metadata jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    BEGIN ATOMIC
 SELECT
         CASE
             WHEN (metadata IS NULL) THEN NULL::text
             WHEN (jsonb_typeof(metadata) = 'null'::text) THEN NULL::text
             WHEN (jsonb_typeof(metadata) <> 'object'::text) THEN ('metadata must be a JSON object, not '::text || jsonb_typeof(metadata))
             WHEN jsonb_path_exists(metadata, 'strict $.**{17}'::jsonpath) THEN 'metadata is nested more than 16 levels deep'::text
             WHEN (octet_length((metadata)::text) > 100000) THEN 'metadata is larger than 100000 bytes'::text
             ELSE NULL::text
         END AS "case";
END;

COMMENT ON FUNCTION pgcortex.metadata_problem(metadata jsonb) IS 'Null when the metadata is acceptable (a JSON object, at most 16 levels deep, at most 100000 bytes as text), else what is wrong.';

CREATE TABLE pgcortex.namespace_audit (
    audit_id bigint NOT NULL,
    namespace pgcortex.namespace_name NOT NULL,
    action text NOT NULL,
    actor text DEFAULT SESSION_USER NOT NULL,
    details jsonb DEFAULT '{}'::jsonb NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT namespace_audit_action_check CHECK ((action = ANY (ARRAY['export'::text, 'erase'::text]))),
    CONSTRAINT namespace_audit_details_check CHECK ((jsonb_typeof(details) = 'object'::text))
);

ALTER TABLE ONLY pgcortex.namespace_audit FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.namespace_audit IS 'Audit log of namespace-wide operations (export, erase): who ran them, when, and what they touched. Never erased with the namespace; readable per namespace through pgcortex.namespace_audit_log().';

COMMENT ON COLUMN pgcortex.namespace_audit.actor IS 'The session user that ran the operation (the login role, not the function owner).';

COMMENT ON COLUMN pgcortex.namespace_audit.details IS 'What the operation touched, for example the rows exported or deleted per table.';

CREATE FUNCTION pgcortex.namespace_audit_log(max_rows integer DEFAULT 100) RETURNS TABLE(audit_id bigint, action text, actor text, details jsonb, at timestamp with time zone)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    BEGIN ATOMIC
 SELECT a.audit_id,
     a.action,
     a.actor,
     a.details,
     a.at
    FROM pgcortex.namespace_audit a
   WHERE ((a.namespace)::text = pgcortex.current_namespace())
   ORDER BY a.at DESC, a.audit_id DESC
  LIMIT GREATEST(LEAST(namespace_audit_log.max_rows, 10000), 0);
END;

COMMENT ON FUNCTION pgcortex.namespace_audit_log(max_rows integer) IS 'Exports and erases of the current namespace (who, when, rows touched), newest first; at most 10000 rows.';

CREATE FUNCTION pgcortex.namespace_embedding_model() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    BEGIN ATOMIC
 SELECT m.embedding_model
    FROM pgcortex.memories m
   WHERE (((m.namespace)::text = pgcortex.current_namespace()) AND (m.embedding_model IS NOT NULL))
   ORDER BY m.embedding_model
  LIMIT 1;
END;

COMMENT ON FUNCTION pgcortex.namespace_embedding_model() IS 'The model that made the embeddings stored in this namespace (null when it has none). One namespace holds one model''s embeddings: storing or searching with another raises PC012.';

CREATE FUNCTION pgcortex.namespaced_tables() RETURNS TABLE(table_name regclass, depth integer)
    LANGUAGE sql STABLE
    SET search_path TO ''
    BEGIN ATOMIC
 WITH RECURSIVE tabs AS (
          SELECT c.oid
            FROM (pg_class c
              JOIN pg_attribute a ON (((c.oid = a.attrelid) AND (a.attname = 'namespace'::name) AND (NOT a.attisdropped))))
           WHERE ((c.relnamespace = ('pgcortex'::regnamespace)::oid) AND (c.relkind = ANY (ARRAY['r'::"char", 'p'::"char"])) AND (c.relname <> 'namespace_audit'::name))
         ), refs AS (
          SELECT DISTINCT k.conrelid AS child,
             k.confrelid AS parent
            FROM pg_constraint k
           WHERE ((k.contype = 'f'::"char") AND (k.conrelid IN ( SELECT tabs.oid
                    FROM tabs)) AND (k.confrelid IN ( SELECT tabs.oid
                    FROM tabs)) AND (k.conrelid <> k.confrelid))
         ), walk(oid, depth) AS (
          SELECT tabs.oid,
             0 AS "?column?"
            FROM tabs
         UNION ALL
          SELECT refs.child,
             (walk_1.depth + 1)
            FROM (walk walk_1
              JOIN refs ON ((walk_1.oid = refs.parent)))
           WHERE (walk_1.depth < 32)
         )
  SELECT (walk.oid)::regclass AS table_name,
     max(walk.depth) AS depth
    FROM walk
   GROUP BY walk.oid
   ORDER BY (max(walk.depth)), ((walk.oid)::regclass)::text;
END;

COMMENT ON FUNCTION pgcortex.namespaced_tables() IS 'The namespaced tables (audit log excepted) with their depth in the foreign-key graph: export in that order, erase in reverse.';

CREATE FUNCTION pgcortex.normalize_tags(tags text[]) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    BEGIN ATOMIC
 SELECT COALESCE(array_agg(DISTINCT btrim(t.x) ORDER BY (btrim(t.x))), '{}'::text[]) AS "coalesce"
    FROM unnest(normalize_tags.tags) t(x)
   WHERE (t.x IS NOT NULL);
END;

COMMENT ON FUNCTION pgcortex.normalize_tags(tags text[]) IS 'Tags as stored: trimmed, distinct, sorted, nulls dropped (an empty list for null).';

CREATE FUNCTION pgcortex.search_memories(query_embedding public.vector DEFAULT NULL::public.vector, query_text text DEFAULT NULL::text, k integer DEFAULT 10, memory_types text[] DEFAULT NULL::text[], tags_any text[] DEFAULT NULL::text[], tags_all text[] DEFAULT NULL::text[], min_importance integer DEFAULT NULL::integer, min_confidence real DEFAULT NULL::real, created_after timestamp with time zone DEFAULT NULL::timestamp with time zone, created_before timestamp with time zone DEFAULT NULL::timestamp with time zone, accessed_after timestamp with time zone DEFAULT NULL::timestamp with time zone, accessed_before timestamp with time zone DEFAULT NULL::timestamp with time zone, metadata_contains jsonb DEFAULT NULL::jsonb, exclude_ids uuid[] DEFAULT NULL::uuid[], min_relevance real DEFAULT NULL::real, weights jsonb DEFAULT NULL::jsonb, ef_search integer DEFAULT NULL::integer, expand_links boolean DEFAULT false, track boolean DEFAULT true, embedding_model text DEFAULT NULL::text, as_of timestamp with time zone DEFAULT now()) RETURNS SETOF pgcortex.memory_search_row
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _defaults constant jsonb := '{
        "rrf_k": 60, "vector_weight": 1, "text_weight": 1, "half_life_days": 30,
        "recency_floor": 0.5, "importance_weight": 0.2, "confidence_floor": 0.5,
        "access_weight": 0.1, "access_saturation": 100, "tag_boost": 0.2,
        "candidates_per_k": 4
    }';
    -- A filtered set of at most this many memories (or the candidate count
    -- when larger) is scanned exactly instead of through the HNSW index.
    _exact_limit constant integer := 2000;
    _w jsonb;
    _bad text;
    _n integer;
    _ef integer;
    _text text := nullif(pg_catalog.btrim(search_memories.query_text), '');
    _tsq tsquery;
    _qlex text [];
    _where text;
    _count integer;
    _vec_ids uuid [];
    _txt_ids uuid [];
    _vec_on boolean := false;
    _txt_on boolean := false;
    _rows pgcortex.memory_search_row [];
    -- pgvector settings of the caller, restored before returning.
    _old_ef text := coalesce(pg_catalog.current_setting('hnsw.ef_search', true), '40');
    _old_scan text := coalesce(pg_catalog.current_setting('hnsw.iterative_scan', true), 'off');
begin
    -- Checks --------------------------------------------------------------------
    if search_memories.as_of is null then
        raise exception using errcode = 'PC003', message = 'as_of must not be null';
    end if;
    if search_memories.query_embedding is null and _text is null then
        raise exception using
            errcode = 'PC003',
            message = 'give query_embedding, query_text or both';
    end if;
    if search_memories.k is null or search_memories.k not between 1 and 1000 then
        raise exception using errcode = 'PC004', message = 'k must be in 1..1000';
    end if;
    if pg_catalog.length(search_memories.query_text) > 100000 then
        raise exception using errcode = 'PC020', message = 'query_text is longer than 100000 characters';
    end if;
    _bad := pgcortex.embedding_problem(search_memories.query_embedding);
    if _bad is not null then
        raise exception using
            errcode = case when _bad like '%dimensions%' then 'PC010' else 'PC011' end,
            message = 'query_embedding: ' || _bad;
    end if;
    if search_memories.query_embedding is not null then
        perform pgcortex.check_embedding_model(search_memories.embedding_model);
    end if;
    if search_memories.min_relevance is not null
        and not (search_memories.min_relevance between 0 and 1)
    then
        raise exception using errcode = 'PC004', message = 'min_relevance must be in 0..1';
    end if;
    if search_memories.ef_search is not null and search_memories.ef_search not between 1 and 1000 then
        raise exception using errcode = 'PC004', message = 'ef_search must be in 1..1000';
    end if;
    if search_memories.metadata_contains is not null
        and pg_catalog.jsonb_typeof(search_memories.metadata_contains) <> 'object'
    then
        raise exception using errcode = 'PC023', message = 'metadata_contains must be a JSON object';
    end if;
    select t.x into _bad
    from pg_catalog.unnest(search_memories.memory_types) as t (x)
    where not exists (select from pgcortex.memory_types as mt where mt.name = t.x)
    limit 1;
    if found then
        raise exception using
            errcode = 'PC021',
            message = pg_catalog.format('unknown memory type %L', _bad),
            hint = 'the types are listed in pgcortex.memory_types';
    end if;
    if search_memories.weights is not null then
        if pg_catalog.jsonb_typeof(search_memories.weights) <> 'object' then
            raise exception using errcode = 'PC003', message = 'weights must be a JSON object';
        end if;
        select w.key into _bad
        from pg_catalog.jsonb_each(search_memories.weights) as w
        where not (_defaults ? w.key) or pg_catalog.jsonb_typeof(w.value) <> 'number'
        limit 1;
        if found then
            raise exception using
                errcode = 'PC003',
                message = pg_catalog.format('weights: %L is not a known weight with a number', _bad),
                hint = 'known weights: ' || (
                    select pg_catalog.string_agg(x, ', ' order by x)
                    from pg_catalog.jsonb_object_keys(_defaults) as x
                );
        end if;
    end if;
    _w := _defaults || coalesce(search_memories.weights, '{}'::jsonb);
    if (_w ->> 'rrf_k')::float8 <= 0
        or (_w ->> 'vector_weight')::float8 < 0
        or (_w ->> 'text_weight')::float8 < 0
        or (_w ->> 'half_life_days')::float8 <= 0
        or (_w ->> 'recency_floor')::float8 not between 0 and 1
        or (_w ->> 'importance_weight')::float8 not between 0 and 1
        or (_w ->> 'confidence_floor')::float8 not between 0 and 1
        or (_w ->> 'access_weight')::float8 not between 0 and 1
        or (_w ->> 'access_saturation')::float8 < 1
        or (_w ->> 'tag_boost')::float8 not between 0 and 1
        or (_w ->> 'candidates_per_k')::float8 not between 1 and 100
    then
        raise exception using
            errcode = 'PC004',
            message = 'a weight is out of range',
            hint = 'rrf_k > 0; vector_weight, text_weight >= 0; half_life_days > 0; '
            'recency_floor, importance_weight, confidence_floor, access_weight, tag_boost in 0..1; '
            'access_saturation >= 1; candidates_per_k in 1..100';
    end if;

    _n := least(greatest(40, search_memories.k * (_w ->> 'candidates_per_k')::float8), 10000)::integer;
    _ef := coalesce(search_memories.ef_search, least(greatest(_n, 40), 1000));
    perform pg_catalog.set_config('hnsw.ef_search', _ef::text, true);
    perform pg_catalog.set_config('hnsw.iterative_scan', 'relaxed_order', true);

    -- The filters, as SQL over pgcortex.memories as m. Parameters:
    -- $1 namespace, $2 as_of, $3 memory_types, $4 tags_any, $5 tags_all,
    -- $6 min_importance, $7 min_confidence, $8 created_after, $9 created_before,
    -- $10 accessed_after, $11 accessed_before, $12 metadata_contains,
    -- $13 exclude_ids, $14 query_embedding, $15 tsquery, $16 candidate count.
    _where := 'm.namespace = $1 and (m.expires_at is null or m.expires_at > $2)';
    if search_memories.memory_types is not null then
        _where := _where || ' and m.memory_type = any($3)';
    end if;
    if search_memories.tags_any is not null then
        _where := _where || ' and m.tags operator(pg_catalog.&&) $4';
    end if;
    if search_memories.tags_all is not null then
        _where := _where || ' and m.tags operator(pg_catalog.@>) $5';
    end if;
    if search_memories.min_importance is not null then
        _where := _where || ' and m.importance >= $6';
    end if;
    if search_memories.min_confidence is not null then
        _where := _where || ' and m.confidence >= $7';
    end if;
    if search_memories.created_after is not null then
        _where := _where || ' and m.created_at >= $8';
    end if;
    if search_memories.created_before is not null then
        _where := _where || ' and m.created_at < $9';
    end if;
    if search_memories.accessed_after is not null or search_memories.accessed_before is not null then
        _where := _where || ' and coalesce(greatest('
            '(select a.last_accessed from pgcortex.memory_access as a'
            ' where a.namespace = m.namespace and a.memory_id = m.id),'
            ' (select max(g.accessed_at) from pgcortex.memory_access_log as g'
            ' where g.namespace = m.namespace and g.memory_id = m.id)), m.created_at)'
            || case
                when search_memories.accessed_after is not null
                    and search_memories.accessed_before is not null
                    then ' between $10 and $11'
                when search_memories.accessed_after is not null then ' >= $10'
                else ' < $11'
            end;
    end if;
    if search_memories.metadata_contains is not null then
        _where := _where || ' and m.metadata operator(pg_catalog.@>) $12';
    end if;
    if search_memories.exclude_ids is not null then
        _where := _where || ' and not (m.id = any($13))';
    end if;

    -- Vector candidates -------------------------------------------------------
    if search_memories.query_embedding is not null then
        _vec_on := true;
        execute 'select count(*) from (select from pgcortex.memories as m where '
            || _where || ' and m.embedding is not null limit '
            || (greatest(_exact_limit, _n) + 1) || ') as s'
        into _count
        using _ns, search_memories.as_of, search_memories.memory_types,
            search_memories.tags_any, search_memories.tags_all, search_memories.min_importance,
            search_memories.min_confidence, search_memories.created_after,
            search_memories.created_before, search_memories.accessed_after,
            search_memories.accessed_before, search_memories.metadata_contains,
            search_memories.exclude_ids, search_memories.query_embedding, _tsq, _n;
        if _count > greatest(_exact_limit, _n) then
            -- Large filtered set: HNSW with pgvector's iterative scan.
            execute 'select array(select s.id from (select m.id, m.embedding '
                'operator(public.<=>) $14 as dist from pgcortex.memories as m where '
                || _where || ' and m.embedding is not null order by m.embedding '
                'operator(public.<=>) $14 limit $16) as s order by s.dist, s.id)'
            into _vec_ids
            using _ns, search_memories.as_of, search_memories.memory_types,
                search_memories.tags_any, search_memories.tags_all, search_memories.min_importance,
                search_memories.min_confidence, search_memories.created_after,
                search_memories.created_before, search_memories.accessed_after,
                search_memories.accessed_before, search_memories.metadata_contains,
                search_memories.exclude_ids, search_memories.query_embedding, _tsq, _n;
        end if;
        if _vec_ids is null or pg_catalog.cardinality(_vec_ids) < least(_n, _count) then
            -- Small filtered set, or the index ran out before n: exact scan
            -- (the + 0 keeps the planner off the index).
            execute 'select array(select m.id from pgcortex.memories as m where '
                || _where || ' and m.embedding is not null order by (m.embedding '
                'operator(public.<=>) $14) + 0, m.id limit $16)'
            into _vec_ids
            using _ns, search_memories.as_of, search_memories.memory_types,
                search_memories.tags_any, search_memories.tags_all, search_memories.min_importance,
                search_memories.min_confidence, search_memories.created_after,
                search_memories.created_before, search_memories.accessed_after,
                search_memories.accessed_before, search_memories.metadata_contains,
                search_memories.exclude_ids, search_memories.query_embedding, _tsq, _n;
        end if;
    end if;

    perform pg_catalog.set_config('hnsw.ef_search', _old_ef, true);
    perform pg_catalog.set_config('hnsw.iterative_scan', _old_scan, true);

    -- Text candidates ------------------------------------------------------------
    if _text is not null then
        _tsq := pgcortex.search_tsquery(_text);
        _qlex := pg_catalog.tsvector_to_array(pg_catalog.to_tsvector('english'::regconfig, _text));
        if _tsq is not null and pg_catalog.numnode(_tsq) > 0 then
            _txt_on := true;
            execute 'select array(select m.id from pgcortex.memories as m where '
                || _where || ' and m.content_tsv operator(pg_catalog.@@) $15 order by '
                'pg_catalog.ts_rank_cd(m.content_tsv, $15, 32) desc, m.id limit $16)'
            into _txt_ids
            using _ns, search_memories.as_of, search_memories.memory_types,
                search_memories.tags_any, search_memories.tags_all, search_memories.min_importance,
                search_memories.min_confidence, search_memories.created_after,
                search_memories.created_before, search_memories.accessed_after,
                search_memories.accessed_before, search_memories.metadata_contains,
                search_memories.exclude_ids, search_memories.query_embedding, _tsq, _n;
        end if;
    end if;

    -- Fusion and ranking ------------------------------------------------------------
    _rows := array(
    with vec as (
        select v.id, v.o as r from pg_catalog.unnest(_vec_ids) with ordinality as v (id, o)
    ),
    txt as (
        select t.id, t.o as r from pg_catalog.unnest(_txt_ids) with ordinality as t (id, o)
    ),
    cand as (
        select
            coalesce(vec.id, txt.id) as id,
            vec.r as vr,
            txt.r as tr
        from vec full join txt on vec.id = txt.id
    ),
    facts as (
        select
            m.*,
            c.vr,
            c.tr,
            coalesce(a.access_count, 0) + coalesce(l.pending, 0) as n_access,
            coalesce(greatest(a.last_accessed, l.last_accessed), m.created_at) as last_at
        from cand as c
        inner join pgcortex.memories as m on m.namespace = _ns and c.id = m.id
        left join pgcortex.memory_access as a
            on m.namespace = a.namespace and m.id = a.memory_id
        left join lateral (
            select
                count(*) as pending,
                max(g.accessed_at) as last_accessed
            from pgcortex.memory_access_log as g
            where g.namespace = m.namespace and g.memory_id = m.id
        ) as l on true
    ),
    measured as (
        select
            f.*,
            (1 - (f.embedding operator(public.<=>) search_memories.query_embedding))::real as sim,
            case when _txt_on
                then pg_catalog.ts_rank_cd(f.content_tsv, _tsq, 32) end as trank,
            case when pg_catalog.cardinality(_qlex) > 0 then (
                select count(*)::real from pg_catalog.unnest(_qlex) as q (x)
                where q.x = any(pg_catalog.tsvector_to_array(f.content_tsv))
            ) / pg_catalog.cardinality(_qlex) end as overlap,
            _text is not null and exists (
                select from pg_catalog.unnest(f.tags) as t (x)
                where pg_catalog.strpos(pg_catalog.lower(_text), pg_catalog.lower(t.x)) > 0
            ) as tag_hit,
            (
                coalesce((_w ->> 'vector_weight')::float8 / ((_w ->> 'rrf_k')::float8 + f.vr), 0)
                + coalesce((_w ->> 'text_weight')::float8 / ((_w ->> 'rrf_k')::float8 + f.tr), 0)
            ) / nullif(
                (
                    case when _vec_on then (_w ->> 'vector_weight')::float8 else 0 end
                    + case when _txt_on then (_w ->> 'text_weight')::float8 else 0 end
                ) / ((_w ->> 'rrf_k')::float8 + 1),
                0
            ) as fused
        from facts as f
    ),
    factored as (
        select
            x.*,
            least(
                1, greatest(coalesce(x.sim, 0), coalesce(x.overlap, 0))
                + case when x.tag_hit then (_w ->> 'tag_boost')::float8 else 0 end
            )::real as rel,
            (
                (_w ->> 'recency_floor')::float8
                + (1 - (_w ->> 'recency_floor')::float8) * pg_catalog.power(
                    0.5,
                    greatest(extract(epoch from search_memories.as_of - x.last_at), 0)
                    / 86400.0 / (_w ->> 'half_life_days')::float8
                )
            )::real as f_rec,
            (1 + (_w ->> 'importance_weight')::float8 * (x.importance - 3) / 2.0)::real as f_imp,
            (
                (_w ->> 'confidence_floor')::float8
                + (1 - (_w ->> 'confidence_floor')::float8) * x.confidence
            )::real as f_conf,
            (
                1 + (_w ->> 'access_weight')::float8 * least(
                    1, pg_catalog.ln(1 + x.n_access) / pg_catalog.ln(1 + (_w ->> 'access_saturation')::float8)
                )
            )::real as f_acc
        from measured as x
    ),
    top as (
        select
            s.*,
            (coalesce(s.fused, 0) * s.f_rec * s.f_imp * s.f_conf * s.f_acc)::real as final
        from factored as s
        where search_memories.min_relevance is null or s.rel >= search_memories.min_relevance
        order by final desc, s.id
        limit search_memories.k
    )
    select
        row(
            t.id, t.content, t.memory_type, t.importance, t.confidence, t.tags, t.metadata,
            t.created_at, t.updated_at, t.expires_at, t.last_at, t.n_access,
            (row_number() over (order by t.final desc, t.id))::integer,
            t.sim, t.trank::real, t.overlap, t.rel, t.fused::real,
            t.f_rec, t.f_imp, t.f_conf, t.f_acc, t.final,
            case
                when t.vr is not null and t.tr is not null then 'both'
                when t.vr is not null then 'vector'
                else 'text'
            end,
            null::uuid,
            1
        )::pgcortex.memory_search_row
    from top as t
    order by t.final desc, t.id
    );

    -- One hop along links from the hits, on request ------------------------------
    if search_memories.expand_links and pg_catalog.cardinality(_rows) > 0 then
        _rows := _rows || array(
            with hits as (
                select r.id, r.score from pg_catalog.unnest(_rows) as r
            ),
            hop as (
                select distinct on (x.other)
                    x.other,
                    x.parent,
                    (x.parent_score * x.weight)::real as s
                from (
                    select h.id as parent, h.score as parent_score, k.target_id as other, k.weight
                    from hits as h
                    inner join pgcortex.memory_links as k
                        on k.namespace = _ns and k.source_id = h.id
                    union all
                    select h.id, h.score, k.source_id, k.weight
                    from hits as h
                    inner join pgcortex.memory_links as k
                        on k.namespace = _ns and k.target_id = h.id
                ) as x
                where
                    x.other <> all(array(select hits.id from hits))
                    and (search_memories.exclude_ids is null or x.other <> all(search_memories.exclude_ids))
                order by x.other, (x.parent_score * x.weight) desc, x.parent
            )
            select
                row(
                    m.id, m.content, m.memory_type, m.importance, m.confidence, m.tags, m.metadata,
                    m.created_at, m.updated_at, m.expires_at,
                    coalesce(greatest(a.last_accessed, l.last_accessed), m.created_at),
                    coalesce(a.access_count, 0) + coalesce(l.pending, 0),
                    (pg_catalog.cardinality(_rows) + row_number() over (order by hop.s desc, m.id))::integer,
                    null::real, null::real, null::real, null::real, null::real,
                    null::real, null::real, null::real, null::real, hop.s,
                    'link', hop.parent, 1
                )::pgcortex.memory_search_row
            from hop
            inner join pgcortex.memories as m on m.namespace = _ns and m.id = hop.other
            left join pgcortex.memory_access as a
                on m.namespace = a.namespace and m.id = a.memory_id
            left join lateral (
                select
                    count(*) as pending,
                    max(g.accessed_at) as last_accessed
                from pgcortex.memory_access_log as g
                where g.namespace = m.namespace and g.memory_id = m.id
            ) as l on true
            where m.expires_at is null or m.expires_at > search_memories.as_of
            order by hop.s desc, m.id
        );
    end if;

    if search_memories.track then
        perform pgcortex.track_access(
            array(select r.id from pg_catalog.unnest(_rows) as r), search_memories.as_of
        );
    end if;
    return query select * from pg_catalog.unnest(_rows) as r order by r.rank;
end
$_$;

COMMENT ON FUNCTION pgcortex.search_memories(query_embedding public.vector, query_text text, k integer, memory_types text[], tags_any text[], tags_all text[], min_importance integer, min_confidence real, created_after timestamp with time zone, created_before timestamp with time zone, accessed_after timestamp with time zone, accessed_before timestamp with time zone, metadata_contains jsonb, exclude_ids uuid[], min_relevance real, weights jsonb, ef_search integer, expand_links boolean, track boolean, embedding_model text, as_of timestamp with time zone) IS 'Hybrid search of this namespace''s unexpired memories by query_embedding and/or query_text (websearch syntax), with every filter applied in SQL. Vector candidates come from the HNSW index (ef_search set for the call, iterative scan) or, when the filters leave at most 2000 memories (or fewer than the candidates wanted), from an exact scan of them; text candidates from full-text search; the two fused by reciprocal rank fusion and ranked by the formula of ranking_version 1 (recency, importance, confidence and access multipliers; weights overridable, see the file header). Returns exactly k rows when at least k memories pass the filters and match the query (have an embedding for a vector query, or match the text), fewer when min_relevance removes some; with expand_links, memories linked to the hits follow them (matched_by link, linked_from). Every row carries its score breakdown; access_count and last_accessed are as ranked (before this search''s own access). Counts one access of each returned memory unless track is false (track false writes nothing: for replicas and analytics). PC003, PC004, PC010, PC011, PC012, PC021, PC023 on bad input.';

CREATE FUNCTION pgcortex.recall_memories(query text, memory_types text[] DEFAULT NULL::text[], k integer DEFAULT 10, min_relevance real DEFAULT 0.5, query_embedding public.vector DEFAULT NULL::public.vector, embedding_model text DEFAULT NULL::text, track boolean DEFAULT true, as_of timestamp with time zone DEFAULT now()) RETURNS SETOF pgcortex.memory_search_row
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO ''
    BEGIN ATOMIC
 SELECT search_memories.id,
     search_memories.content,
     search_memories.memory_type,
     search_memories.importance,
     search_memories.confidence,
     search_memories.tags,
     search_memories.metadata,
     search_memories.created_at,
     search_memories.updated_at,
     search_memories.expires_at,
     search_memories.last_accessed,
     search_memories.access_count,
     search_memories.rank,
     search_memories.similarity,
     search_memories.text_rank,
     search_memories.keyword_overlap,
     search_memories.relevance,
     search_memories.fused_relevance,
     search_memories.recency_factor,
     search_memories.importance_factor,
     search_memories.confidence_factor,
     search_memories.access_factor,
     search_memories.score,
     search_memories.matched_by,
     search_memories.linked_from,
     search_memories.ranking_version
    FROM pgcortex.search_memories(query_embedding => recall_memories.query_embedding, query_text => recall_memories.query, k => recall_memories.k, memory_types => recall_memories.memory_types, min_relevance => recall_memories.min_relevance, track => recall_memories.track, embedding_model => recall_memories.embedding_model, as_of => recall_memories.as_of) search_memories(id, content, memory_type, importance, confidence, tags, metadata, created_at, updated_at, expires_at, last_accessed, access_count, rank, similarity, text_rank, keyword_overlap, relevance, fused_relevance, recency_factor, importance_factor, confidence_factor, access_factor, score, matched_by, linked_from, ranking_version);
END;

COMMENT ON FUNCTION pgcortex.recall_memories(query text, memory_types text[], k integer, min_relevance real, query_embedding public.vector, embedding_model text, track boolean, as_of timestamp with time zone) IS 'The seed''s recall(query, memory_types, limit, min_relevance = 0.5): search_memories by the query text (and its embedding when given), keeping memories whose relevance (max of cosine similarity and keyword overlap, +0.2 when a tag occurs in the query) is at least min_relevance, best first; counts an access of each returned.';

CREATE FUNCTION pgcortex.record_memory_history() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
    _reason text := coalesce(nullif(pg_catalog.current_setting('pgcortex.change_reason', true), ''), 'direct');
    _at timestamptz := coalesce(
        nullif(pg_catalog.current_setting('pgcortex.change_at', true), '')::timestamptz,
        pg_catalog.now()
    );
    _all text [] := array['content', 'importance', 'confidence', 'tags', 'metadata'];
begin
    -- A store that finds its content already there reinforces it.
    if tg_op = 'UPDATE' and _reason = 'store' then
        _reason := 'reinforce';
    end if;
    if tg_op = 'INSERT' then
        insert into pgcortex.memory_history (
            namespace, memory_id, operation, reason, changed_at, changed_fields,
            new_content, new_importance, new_confidence, new_tags, new_metadata
        )
        select
            n.namespace, n.id, 'insert', _reason, _at, _all,
            n.content, n.importance, n.confidence, n.tags, n.metadata
        from new_rows as n;
    elsif tg_op = 'DELETE' then
        insert into pgcortex.memory_history (
            namespace, memory_id, operation, reason, changed_at, changed_fields,
            old_content, old_importance, old_confidence, old_tags, old_metadata
        )
        select
            o.namespace, o.id, 'delete', _reason, _at, _all,
            o.content, o.importance, o.confidence, o.tags, o.metadata
        from old_rows as o;
    else
        insert into pgcortex.memory_history (
            namespace, memory_id, operation, reason, changed_at, changed_fields,
            old_content, new_content, old_importance, new_importance,
            old_confidence, new_confidence, old_tags, new_tags, old_metadata, new_metadata
        )
        select
            c.namespace, c.id, 'update', _reason, _at, c.fields,
            case when 'content' = any(c.fields) then c.old_content end,
            case when 'content' = any(c.fields) then c.new_content end,
            case when 'importance' = any(c.fields) then c.old_importance end,
            case when 'importance' = any(c.fields) then c.new_importance end,
            case when 'confidence' = any(c.fields) then c.old_confidence end,
            case when 'confidence' = any(c.fields) then c.new_confidence end,
            case when 'tags' = any(c.fields) then c.old_tags end,
            case when 'tags' = any(c.fields) then c.new_tags end,
            case when 'metadata' = any(c.fields) then c.old_metadata end,
            case when 'metadata' = any(c.fields) then c.new_metadata end
        from (
            select
                n.namespace,
                n.id,
                array_remove(array[
                    case when o.content is distinct from n.content then 'content' end,
                    case when o.importance is distinct from n.importance then 'importance' end,
                    case when o.confidence is distinct from n.confidence then 'confidence' end,
                    case when o.tags is distinct from n.tags then 'tags' end,
                    case when o.metadata is distinct from n.metadata then 'metadata' end
                ], null) as fields,
                o.content as old_content,
                n.content as new_content,
                o.importance as old_importance,
                n.importance as new_importance,
                o.confidence as old_confidence,
                n.confidence as new_confidence,
                o.tags as old_tags,
                n.tags as new_tags,
                o.metadata as old_metadata,
                n.metadata as new_metadata
            from new_rows as n
            inner join old_rows as o on n.namespace = o.namespace and n.id = o.id
        ) as c
        where c.fields <> '{}';
    end if;
    return null;
end
$$;

COMMENT ON FUNCTION pgcortex.record_memory_history() IS 'Trigger function: records inserts, deletes and changes of content, importance, confidence, tags or metadata of pgcortex.memories in pgcortex.memory_history.';

CREATE FUNCTION pgcortex.related_memories(memory_id uuid, depth integer DEFAULT 2, relations text[] DEFAULT NULL::text[], max_results integer DEFAULT 100, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(id uuid, distance integer, path uuid[], relation text, direction text, path_weight real, content text, memory_type text, importance smallint, confidence real, tags text[])
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    if related_memories.depth is null or related_memories.depth not between 1 and 5 then
        raise exception using errcode = 'PC004', message = 'depth must be in 1..5';
    end if;
    if related_memories.max_results is null or related_memories.max_results not between 1 and 10000 then
        raise exception using errcode = 'PC004', message = 'max_results must be in 1..10000';
    end if;
    if not exists (
        select from pgcortex.memories as m
        where
            m.namespace = _ns and m.id = related_memories.memory_id
            and (m.expires_at is null or m.expires_at > related_memories.as_of)
    ) then
        raise exception using
            errcode = 'PC030',
            message = pg_catalog.format('no memory %s in this namespace', related_memories.memory_id);
    end if;
    return query
    with recursive edges as (
        select l.source_id as a, l.target_id as b, l.relation, l.weight, 'out' as direction
        from pgcortex.memory_links as l
        where l.namespace = _ns
            and (related_memories.relations is null or l.relation = any(related_memories.relations))
        union all
        select l.target_id, l.source_id, l.relation, l.weight, 'in'
        from pgcortex.memory_links as l
        where l.namespace = _ns
            and (related_memories.relations is null or l.relation = any(related_memories.relations))
    ),
    walk (node, distance, path, relation, direction, path_weight) as (
        select
            related_memories.memory_id, 0, array[related_memories.memory_id],
            null::text, null::text, 1.0::float8
        union all
        select e.b, w.distance + 1, w.path || e.b, e.relation, e.direction, w.path_weight * e.weight
        from walk as w
        inner join edges as e on e.a = w.node
        where w.distance < related_memories.depth and e.b <> all(w.path)
    ),
    best as (
        select distinct on (w.node) w.*
        from walk as w
        where w.distance > 0
        order by w.node, w.distance, w.path_weight desc
    )
    select
        b.node, b.distance, b.path, b.relation, b.direction, b.path_weight::real,
        m.content, m.memory_type, m.importance, m.confidence, m.tags
    from best as b
    inner join pgcortex.memories as m on m.namespace = _ns and m.id = b.node
    where m.expires_at is null or m.expires_at > related_memories.as_of
    order by b.distance, b.path_weight desc, b.node
    limit related_memories.max_results;
end
$$;

COMMENT ON FUNCTION pgcortex.related_memories(memory_id uuid, depth integer, relations text[], max_results integer, as_of timestamp with time zone) IS 'Memories linked to one memory, following links either way up to depth (1..5) hops, each listed once at its shortest distance with the path, the last link''s relation and direction (out: followed from source to target), and path_weight (product of the link weights). Cycle-safe (a path never revisits a memory). Raises PC030 for an unknown id. Counts no access.';

CREATE TABLE pgcortex.schema_info (
    singleton boolean DEFAULT true NOT NULL,
    version integer NOT NULL,
    min_client_version integer NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT schema_info_singleton_check CHECK (singleton)
);

COMMENT ON TABLE pgcortex.schema_info IS 'The schema version of this database (one row). Bumped by a migration that breaks older clients; a client refuses a database outside its supported range.';

COMMENT ON COLUMN pgcortex.schema_info.version IS 'Schema version: the number a client compares with the versions it supports.';

COMMENT ON COLUMN pgcortex.schema_info.min_client_version IS 'The oldest client schema version that can still use this database.';

CREATE TABLE pgcortex.schema_migrations (
    name text NOT NULL,
    kind text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT schema_migrations_kind_check CHECK ((kind = ANY (ARRAY['incremental'::text, 'idempotent'::text])))
);

COMMENT ON TABLE pgcortex.schema_migrations IS 'One row per SQL file deployed: run-once (incremental) files once, re-runnable (idempotent) files with the checksum last applied.';

CREATE FUNCTION pgcortex.schema_version() RETURNS TABLE(version integer, min_client_version integer, migrations_applied bigint, last_deployed_at timestamp with time zone)
    LANGUAGE sql STABLE
    SET search_path TO ''
    BEGIN ATOMIC
 SELECT i.version,
     i.min_client_version,
     ( SELECT count(*) AS count
            FROM pgcortex.schema_migrations m
           WHERE (m.kind = 'incremental'::text)) AS migrations_applied,
     ( SELECT max(m.applied_at) AS max
            FROM pgcortex.schema_migrations m) AS last_deployed_at
    FROM pgcortex.schema_info i;
END;

COMMENT ON FUNCTION pgcortex.schema_version() IS 'The schema version (compared by clients on connect), the oldest client version it accepts, and deploy facts.';

CREATE FUNCTION pgcortex.search_tsquery(query_text text) RETURNS tsquery
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
declare
    _q tsquery := pg_catalog.websearch_to_tsquery('english'::regconfig, search_tsquery.query_text);
begin
    if _q is null or pg_catalog.numnode(_q) = 0 then
        return _q;
    end if;
    -- Only words joined by AND (no quotes, -word or "or"): match any word.
    if _q::text !~ '[|!<]' then
        _q := pg_catalog.replace(_q::text, ' & ', ' | ')::tsquery;
    end if;
    return _q;
end
$$;

COMMENT ON FUNCTION pgcortex.search_tsquery(query_text text) IS 'The tsquery of a search text (english): websearch syntax ("a phrase", -word, or); a text of plain words matches memories with any of the words, and ranking puts those with more of them first.';

CREATE FUNCTION pgcortex.set_change_context(reason text, changed_at timestamp with time zone) RETURNS void
    LANGUAGE sql
    SET search_path TO ''
    BEGIN ATOMIC
 SELECT set_config('pgcortex.change_reason'::text, COALESCE(reason, ''::text), true) AS reason,
     set_config('pgcortex.change_at'::text, COALESCE((changed_at)::text, ''::text), true) AS changed_at;
END;

COMMENT ON FUNCTION pgcortex.set_change_context(reason text, changed_at timestamp with time zone) IS 'Sets the reason and time the history trigger records for the following changes in this transaction (API functions set it; null resets).';

CREATE FUNCTION pgcortex.store_memories(contents text[], memory_types text[], importances integer[] DEFAULT NULL::integer[], confidences real[] DEFAULT NULL::real[], tags jsonb DEFAULT NULL::jsonb, metadata jsonb DEFAULT NULL::jsonb, embeddings public.vector[] DEFAULT NULL::public.vector[], ids uuid[] DEFAULT NULL::uuid[], expires_at timestamp with time zone[] DEFAULT NULL::timestamp with time zone[], embedding_model text DEFAULT NULL::text, near_duplicate_threshold real DEFAULT 0.95, dedup_near boolean DEFAULT true, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(ordinality integer, id uuid, action text, merged_into uuid)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _n integer;
    _bad integer;
    _msg text;
    _has_emb boolean;
    -- per item, in input order
    _hash bytea [];
    _rep integer [];
    _near uuid [];
    _res_id uuid [];
    _res_action text [];
    _touched uuid [];
    _old_scan text := coalesce(pg_catalog.current_setting('hnsw.iterative_scan', true), 'off');
begin
    -- Validation: every check runs before anything is written. -----------------
    if store_memories.as_of is null then
        raise exception using errcode = 'PC003', message = 'as_of must not be null';
    end if;
    if store_memories.contents is null then
        raise exception using errcode = 'PC003', message = 'contents is required';
    end if;
    if pg_catalog.array_ndims(store_memories.contents) > 1 then
        raise exception using errcode = 'PC003', message = 'contents must be a one-dimensional array';
    end if;
    _n := coalesce(pg_catalog.cardinality(store_memories.contents), 0);
    if _n = 0 then
        return;
    end if;
    if store_memories.memory_types is null then
        raise exception using errcode = 'PC021', message = 'memory_types is required';
    end if;
    if pg_catalog.cardinality(store_memories.memory_types) <> _n
        or pg_catalog.cardinality(store_memories.importances) <> _n
        or pg_catalog.cardinality(store_memories.confidences) <> _n
        or pg_catalog.cardinality(store_memories.embeddings) <> _n
        or pg_catalog.cardinality(store_memories.ids) <> _n
        or pg_catalog.cardinality(store_memories.expires_at) <> _n
    then
        raise exception using
            errcode = 'PC003',
            message = pg_catalog.format(
                'every array argument must have %s items, one per content', _n
            );
    end if;
    if store_memories.tags is not null and (
        pg_catalog.jsonb_typeof(store_memories.tags) <> 'array'
        or pg_catalog.jsonb_array_length(store_memories.tags) <> _n
    ) then
        raise exception using
            errcode = 'PC024',
            message = pg_catalog.format('tags must be a JSON array of %s lists of strings', _n);
    end if;
    if store_memories.metadata is not null and (
        pg_catalog.jsonb_typeof(store_memories.metadata) <> 'array'
        or pg_catalog.jsonb_array_length(store_memories.metadata) <> _n
    ) then
        raise exception using
            errcode = 'PC023',
            message = pg_catalog.format('metadata must be a JSON array of %s objects', _n);
    end if;

    select c.o, case
        when c.x is null then 'content is null'
        when pg_catalog.length(c.x) > 100000 then pg_catalog.format(
            'content has %s characters; at most 100000 are stored', pg_catalog.length(c.x)
        )
        else 'content is empty'
    end
    into _bad, _msg
    from pg_catalog.unnest(store_memories.contents) with ordinality as c (x, o)
    where
        c.x is null
        or pg_catalog.length(c.x) > 100000
        or pg_catalog.btrim(c.x, e' \t\r\n\f\v') = ''
    order by c.o
    limit 1;
    if _bad is not null then
        raise exception using
            errcode = 'PC020',
            message = pg_catalog.format('item %s: %s', _bad, _msg),
            hint = 'content is 1 to 100000 characters of text, not only white space';
    end if;

    select t.o, t.x into _bad, _msg
    from pg_catalog.unnest(store_memories.memory_types) with ordinality as t (x, o)
    where not exists (select from pgcortex.memory_types as mt where mt.name = t.x)
    order by t.o
    limit 1;
    if _bad is not null then
        raise exception using
            errcode = 'PC021',
            message = pg_catalog.format('item %s: unknown memory type %L', _bad, _msg),
            hint = 'the types are listed in pgcortex.memory_types';
    end if;

    select i.o into _bad
    from pg_catalog.unnest(store_memories.importances) with ordinality as i (x, o)
    where i.x is not null and i.x not between 1 and 5
    order by i.o
    limit 1;
    if _bad is not null then
        raise exception using
            errcode = 'PC004',
            message = pg_catalog.format(
                'item %s: importance %s is outside 1..5', _bad, store_memories.importances[_bad]
            );
    end if;

    select c.o into _bad
    from pg_catalog.unnest(store_memories.confidences) with ordinality as c (x, o)
    where c.x is not null and (c.x not between 0 and 1 or c.x = 'NaN'::real)
    order by c.o
    limit 1;
    if _bad is not null then
        raise exception using
            errcode = 'PC004',
            message = pg_catalog.format(
                'item %s: confidence %s is outside 0..1', _bad, store_memories.confidences[_bad]
            );
    end if;

    select t.o, coalesce(
        case when pg_catalog.jsonb_typeof(t.x) not in ('array', 'null')
            then 'tags must be a list of strings' end,
        case when exists (
            select from pg_catalog.jsonb_array_elements(t.x) as e (v)
            where pg_catalog.jsonb_typeof(e.v) <> 'string'
        ) then 'tags must be strings' end,
        pgcortex.tags_problem(array(
            select pg_catalog.jsonb_array_elements_text(t.x)
        ))
    )
    into _bad, _msg
    from pg_catalog.jsonb_array_elements(store_memories.tags) with ordinality as t (x, o)
    where
        pg_catalog.jsonb_typeof(t.x) not in ('array', 'null')
        or (
            pg_catalog.jsonb_typeof(t.x) = 'array'
            and (
                exists (
                    select from pg_catalog.jsonb_array_elements(t.x) as e (v)
                    where pg_catalog.jsonb_typeof(e.v) <> 'string'
                )
                or pgcortex.tags_problem(array(
                    select pg_catalog.jsonb_array_elements_text(t.x)
                )) is not null
            )
        )
    order by t.o
    limit 1;
    if _bad is not null then
        raise exception using
            errcode = 'PC024',
            message = pg_catalog.format('item %s: %s', _bad, _msg),
            hint = 'at most 64 tags, each 1 to 100 characters, no control characters';
    end if;

    select m.o, pgcortex.metadata_problem(m.x) into _bad, _msg
    from pg_catalog.jsonb_array_elements(store_memories.metadata) with ordinality as m (x, o)
    where pgcortex.metadata_problem(m.x) is not null
    order by m.o
    limit 1;
    if _bad is not null then
        raise exception using
            errcode = 'PC023',
            message = pg_catalog.format('item %s: %s', _bad, _msg);
    end if;

    select e.o, pgcortex.embedding_problem(e.x) into _bad, _msg
    from pg_catalog.unnest(store_memories.embeddings) with ordinality as e (x, o)
    where pgcortex.embedding_problem(e.x) is not null
    order by e.o
    limit 1;
    if _bad is not null then
        raise exception using
            errcode = case when _msg like '%dimensions%' then 'PC010' else 'PC011' end,
            message = pg_catalog.format('item %s: %s', _bad, _msg),
            hint = 'embeddings have 384 finite values, not all zero';
    end if;
    _has_emb := exists (
        select from pg_catalog.unnest(store_memories.embeddings) as e (x) where e.x is not null
    );
    if _has_emb then
        if store_memories.embedding_model is null
            or pg_catalog.btrim(store_memories.embedding_model) = ''
            or pg_catalog.length(store_memories.embedding_model) > 200
        then
            raise exception using
                errcode = 'PC003',
                message = 'embedding_model (1 to 200 characters) is required with embeddings';
        end if;
        perform pgcortex.check_embedding_model(store_memories.embedding_model);
    end if;

    select i.o into _bad
    from pg_catalog.unnest(store_memories.ids) with ordinality as i (x, o)
    where i.x is not null
        and exists (
            select from pg_catalog.unnest(store_memories.ids) with ordinality as j (x, o)
            where j.x = i.x and j.o < i.o
        )
    order by i.o
    limit 1;
    if _bad is not null then
        raise exception using
            errcode = 'PC003',
            message = pg_catalog.format('item %s: id %s is given twice', _bad, store_memories.ids[_bad]);
    end if;

    select i.o into _bad
    from pg_catalog.unnest(store_memories.ids) with ordinality as i (x, o)
    where exists (
        select from pgcortex.memories as m
        where
            m.namespace = _ns
            and m.id = i.x
            and m.content_hash <> pgcortex.content_hash(store_memories.contents[i.o])
    )
    order by i.o
    limit 1;
    if _bad is not null then
        raise exception using
            errcode = 'PC026',
            message = pg_catalog.format(
                'item %s: id %s is already used by another memory', _bad, store_memories.ids[_bad]
            );
    end if;

    select e.o into _bad
    from pg_catalog.unnest(store_memories.expires_at) with ordinality as e (x, o)
    where e.x <= store_memories.as_of
    order by e.o
    limit 1;
    if _bad is not null then
        raise exception using
            errcode = 'PC004',
            message = pg_catalog.format('item %s: expires_at is not later than as_of', _bad);
    end if;

    if store_memories.near_duplicate_threshold is null
        or not (store_memories.near_duplicate_threshold > 0
            and store_memories.near_duplicate_threshold <= 1)
    then
        raise exception using
            errcode = 'PC004',
            message = 'near_duplicate_threshold must be in (0, 1]';
    end if;

    -- Plan: exact keys, duplicates inside the batch, near duplicates. ----------
    _hash := array(
        select pgcortex.content_hash(c.x)
        from pg_catalog.unnest(store_memories.contents) with ordinality as c (x, o)
        order by c.o
    );
    -- The first item of each distinct content represents it.
    _rep := array(
        select min(h.o) over (partition by h.x)
        from pg_catalog.unnest(_hash) with ordinality as h (x, o)
        order by h.o
    );
    perform pg_catalog.set_config('hnsw.iterative_scan', 'relaxed_order', true);
    -- A representative whose content is new, that has an embedding, merges
    -- into the nearest memory of the same type when at least this similar.
    _near := array(
        select case when
            store_memories.dedup_near
            and _rep[o.o] = o.o
            and store_memories.embeddings[o.o] is not null
            and not exists (
                select from pgcortex.memories as x
                where x.namespace = _ns and x.content_hash = _hash[o.o]
            )
        then (
            select nn.id
            from (
                select
                    m.id,
                    m.embedding operator(public.<=>) store_memories.embeddings[o.o] as dist
                from pgcortex.memories as m
                where
                    m.namespace = _ns
                    and m.memory_type = store_memories.memory_types[o.o]
                    and m.embedding is not null
                    and (m.expires_at is null or m.expires_at > store_memories.as_of)
                order by m.embedding operator(public.<=>) store_memories.embeddings[o.o]
                limit 1
            ) as nn
            where 1 - nn.dist >= store_memories.near_duplicate_threshold
        ) end
        from pg_catalog.generate_series(1, _n) as o (o)
        order by o.o
    );

    perform pg_catalog.set_config('hnsw.iterative_scan', _old_scan, true);

    -- Write: insert new contents, reinforce exact duplicates. -------------------
    perform pgcortex.set_change_context('store', store_memories.as_of);
    with items as (
        select
            o.o,
            _rep[o.o] as rep,
            store_memories.contents[o.o] as content,
            store_memories.memory_types[o.o] as memory_type,
            coalesce(store_memories.importances[o.o], 3) as importance,
            coalesce(store_memories.confidences[o.o], 1.0) as confidence,
            pgcortex.normalize_tags(array(
                select pg_catalog.jsonb_array_elements_text(
                    case when pg_catalog.jsonb_typeof(store_memories.tags -> (o.o - 1)) = 'array'
                        then store_memories.tags -> (o.o - 1) else '[]'::jsonb end
                )
            )) as tags,
            coalesce(
                case when pg_catalog.jsonb_typeof(store_memories.metadata -> (o.o - 1)) = 'object'
                    then store_memories.metadata -> (o.o - 1) end,
                '{}'::jsonb
            ) as metadata,
            store_memories.embeddings[o.o] as embedding,
            store_memories.ids[o.o] as id,
            store_memories.expires_at[o.o] as expires_at
        from pg_catalog.generate_series(1, _n) as o (o)
        where _near[_rep[o.o]] is null
    ),
    groups as (
        select
            i.rep,
            max(i.importance) as importance,
            max(i.confidence) as confidence,
            pgcortex.normalize_tags(pg_catalog.array_agg(t.tag)) as tags,
            (
                select coalesce(pg_catalog.jsonb_object_agg(kv.key, kv.value order by j.o), '{}'::jsonb)
                from items as j, pg_catalog.jsonb_each(j.metadata) as kv
                where j.rep = i.rep
            ) as metadata,
            case when bool_or(i.expires_at is null) then null else max(i.expires_at) end
                as expires_at
        from items as i
        left join lateral pg_catalog.unnest(i.tags) as t (tag) on true
        group by i.rep
    ),
    up as (
        insert into pgcortex.memories as m (
            id, namespace, content, memory_type, importance, confidence, tags, metadata,
            embedding, embedding_model, created_at, updated_at, expires_at
        )
        select
            coalesce(r.id, pgcortex.new_id()),
            _ns,
            r.content,
            r.memory_type,
            g.importance,
            g.confidence,
            g.tags,
            g.metadata,
            r.embedding,
            case when r.embedding is not null then store_memories.embedding_model end,
            store_memories.as_of,
            store_memories.as_of,
            g.expires_at
        from groups as g
        inner join items as r on r.o = g.rep
        order by g.rep
        on conflict (namespace, content_hash) do update
            set
                importance = case when m.expires_at <= store_memories.as_of
                    then excluded.importance
                    else greatest(m.importance, excluded.importance) end,
                confidence = case when m.expires_at <= store_memories.as_of
                    then excluded.confidence
                    else greatest(m.confidence, excluded.confidence) end,
                tags = case when m.expires_at <= store_memories.as_of
                    then excluded.tags
                    else pgcortex.normalize_tags(m.tags || excluded.tags) end,
                metadata = case when m.expires_at <= store_memories.as_of
                    then excluded.metadata
                    else m.metadata || excluded.metadata end,
                embedding_model = case when m.embedding is null
                    then excluded.embedding_model else m.embedding_model end,
                embedding = coalesce(m.embedding, excluded.embedding),
                expires_at = case
                    when m.expires_at <= store_memories.as_of then excluded.expires_at
                    when m.expires_at is null or excluded.expires_at is null then null
                    else greatest(m.expires_at, excluded.expires_at)
                end,
                updated_at = greatest(m.updated_at, store_memories.as_of)
        returning m.id, m.content_hash, (m.xmax = 0) as inserted
    )
    select
        array(
            select u.id from pg_catalog.generate_series(1, _n) as o (o)
            left join up as u on u.content_hash = _hash[o.o]
            order by o.o
        ),
        array(
            select case
                when _near[_rep[o.o]] is not null then 'merged'
                when u.inserted and _rep[o.o] = o.o then 'inserted'
                else 'updated'
            end
            from pg_catalog.generate_series(1, _n) as o (o)
            left join up as u on u.content_hash = _hash[o.o]
            order by o.o
        )
    into _res_id, _res_action;

    -- Near duplicates: reinforce the memory each one merges into. ---------------
    if exists (select from pg_catalog.unnest(_near) as x (id) where x.id is not null) then
        perform pgcortex.set_change_context('merge', store_memories.as_of);
        with merges as (
            select
                _near[_rep[o.o]] as target,
                o.o,
                coalesce(store_memories.importances[o.o], 3) as importance,
                coalesce(store_memories.confidences[o.o], 1.0) as confidence,
                case when pg_catalog.jsonb_typeof(store_memories.tags -> (o.o - 1)) = 'array'
                    then store_memories.tags -> (o.o - 1) else '[]'::jsonb end as tags,
                coalesce(
                    case when pg_catalog.jsonb_typeof(store_memories.metadata -> (o.o - 1)) = 'object'
                        then store_memories.metadata -> (o.o - 1) end,
                    '{}'::jsonb
                ) as metadata,
                store_memories.expires_at[o.o] as expires_at
            from pg_catalog.generate_series(1, _n) as o (o)
            where _near[_rep[o.o]] is not null
        ),
        per_target as (
            select
                g.target,
                max(g.importance) as importance,
                max(g.confidence) as confidence,
                pgcortex.normalize_tags(array(
                    select pg_catalog.jsonb_array_elements_text(h.tags)
                    from merges as h where h.target = g.target
                )) as tags,
                (
                    select coalesce(pg_catalog.jsonb_object_agg(kv.key, kv.value order by h.o), '{}'::jsonb)
                    from merges as h, pg_catalog.jsonb_each(h.metadata) as kv
                    where h.target = g.target
                ) as metadata,
                case when bool_or(g.expires_at is null) then null else max(g.expires_at) end
                    as expires_at
            from merges as g
            group by g.target
        )
        update pgcortex.memories as m
        set
            importance = greatest(m.importance, p.importance),
            confidence = greatest(m.confidence, p.confidence),
            tags = pgcortex.normalize_tags(m.tags || p.tags),
            metadata = m.metadata || p.metadata,
            expires_at = case
                when m.expires_at is null or p.expires_at is null then null
                else greatest(m.expires_at, p.expires_at)
            end,
            updated_at = greatest(m.updated_at, store_memories.as_of)
        from per_target as p
        where m.namespace = _ns and m.id = p.target;
        _res_id := array(
            select coalesce(_near[_rep[o.o]], _res_id[o.o])
            from pg_catalog.generate_series(1, _n) as o (o)
            order by o.o
        );
    end if;
    perform pgcortex.set_change_context(null, null);

    -- Storing what is already remembered counts as an access of it.
    _touched := array(
        select _res_id[o.o] from pg_catalog.generate_series(1, _n) as o (o)
        where _res_action[o.o] <> 'inserted'
    );
    perform pgcortex.track_access(_touched, store_memories.as_of);

    return query
    select
        o.o::integer,
        _res_id[o.o],
        _res_action[o.o],
        case when _res_action[o.o] = 'merged' then _res_id[o.o] end
    from pg_catalog.generate_series(1, _n) as o (o)
    order by o.o;
end
$$;

COMMENT ON FUNCTION pgcortex.store_memories(contents text[], memory_types text[], importances integer[], confidences real[], tags jsonb, metadata jsonb, embeddings public.vector[], ids uuid[], expires_at timestamp with time zone[], embedding_model text, near_duplicate_threshold real, dedup_near boolean, as_of timestamp with time zone) IS 'Stores a batch of memories in one call. Arrays run in parallel with contents (null = defaults: importance 3, confidence 1.0, no tags, {} metadata, no embedding, a new id, no expiry); tags is a JSON array of string lists, metadata a JSON array of objects. Every item is checked before anything is written (PC003, PC004, PC010, PC011, PC012, PC020, PC021, PC023, PC024, PC026). The same content (normalised) already stored, or repeated in the batch, reinforces that memory (action updated, its id); a new content whose embedding is at least near_duplicate_threshold cosine-similar to a memory of the same type reinforces that one instead (action merged, merged_into), unless dedup_near is false. Reinforcement: importance and confidence the greater, tags united, metadata merged (new keys win), the later expiry, one access counted. Returns one row per item in input order.';

CREATE FUNCTION pgcortex.store_memory(content text, memory_type text, importance integer DEFAULT 3, confidence real DEFAULT 1.0, tags text[] DEFAULT '{}'::text[], metadata jsonb DEFAULT '{}'::jsonb, embedding public.vector DEFAULT NULL::public.vector, embedding_model text DEFAULT NULL::text, memory_id uuid DEFAULT NULL::uuid, expires_at timestamp with time zone DEFAULT NULL::timestamp with time zone, near_duplicate_threshold real DEFAULT 0.95, dedup_near boolean DEFAULT true, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(id uuid, action text, merged_into uuid)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    _problem text := pgcortex.tags_problem(store_memory.tags);
begin
    if _problem is not null then
        raise exception using errcode = 'PC024', message = _problem;
    end if;
    return query
    select s.id, s.action, s.merged_into
    from pgcortex.store_memories(
        contents => array[store_memory.content],
        memory_types => array[store_memory.memory_type],
        importances => array[store_memory.importance],
        confidences => array[store_memory.confidence],
        tags => pg_catalog.jsonb_build_array(pg_catalog.to_jsonb(coalesce(store_memory.tags, '{}'))),
        metadata => pg_catalog.jsonb_build_array(coalesce(store_memory.metadata, '{}'::jsonb)),
        embeddings => array[store_memory.embedding],
        ids => array[store_memory.memory_id],
        expires_at => array[store_memory.expires_at],
        embedding_model => store_memory.embedding_model,
        near_duplicate_threshold => store_memory.near_duplicate_threshold,
        dedup_near => store_memory.dedup_near,
        as_of => store_memory.as_of
    ) as s;
end
$$;

COMMENT ON FUNCTION pgcortex.store_memory(content text, memory_type text, importance integer, confidence real, tags text[], metadata jsonb, embedding public.vector, embedding_model text, memory_id uuid, expires_at timestamp with time zone, near_duplicate_threshold real, dedup_near boolean, as_of timestamp with time zone) IS 'Stores one memory; see pgcortex.store_memories for dedup, near-duplicate merging, the reinforcement rule and the error codes. Returns its id and what happened: inserted, updated (same content was already stored) or merged (merged_into: a near duplicate of the same type).';

CREATE FUNCTION pgcortex.tags_problem(tags text[]) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    BEGIN ATOMIC
 SELECT
         CASE
             WHEN (tags IS NULL) THEN NULL::text
             WHEN (array_ndims(tags) > 1) THEN 'tags must be a flat list'::text
             WHEN (EXISTS ( SELECT
                FROM unnest(tags_problem.tags) t(x)
               WHERE (t.x IS NULL))) THEN 'a tag is null'::text
             WHEN (EXISTS ( SELECT
                FROM unnest(tags_problem.tags) t(x)
               WHERE (btrim(t.x) = ''::text))) THEN 'a tag is empty'::text
             WHEN (EXISTS ( SELECT
                FROM unnest(tags_problem.tags) t(x)
               WHERE (length(btrim(t.x)) > 100))) THEN 'a tag is longer than 100 characters'::text
             WHEN (EXISTS ( SELECT
                FROM unnest(tags_problem.tags) t(x)
               WHERE (t.x ~ '[[:cntrl:]]'::text))) THEN 'a tag has control characters'::text
             WHEN (( SELECT count(DISTINCT btrim(t.x)) AS count
                FROM unnest(tags_problem.tags) t(x)) > 64) THEN 'more than 64 tags'::text
             ELSE NULL::text
         END AS "case";
END;

COMMENT ON FUNCTION pgcortex.tags_problem(tags text[]) IS 'Null when the tags are acceptable (at most 64 distinct, each 1..100 characters after trimming, no control characters), else what is wrong.';

CREATE FUNCTION pgcortex.track_access(ids uuid[], as_of timestamp with time zone DEFAULT now()) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
    _ns text := pgcortex.current_namespace();
    _lo bigint;
    _hi bigint;
    _n bigint;
    -- A flush is attempted each time the log's id sequence crosses a multiple
    -- of this many rows.
    _flush_every constant bigint := 2000;
begin
    if track_access.ids is null or pg_catalog.cardinality(track_access.ids) = 0 then
        return 0;
    end if;
    with ins as (
        insert into pgcortex.memory_access_log (namespace, memory_id, accessed_at)
        select _ns, t.id, coalesce(track_access.as_of, pg_catalog.now())
        from pg_catalog.unnest(track_access.ids) as t (id)
        where t.id is not null
        returning log_id
    )
    select min(ins.log_id), max(ins.log_id), count(*) into _lo, _hi, _n from ins;
    if _n > 0
        and _hi / _flush_every > (_lo - 1) / _flush_every
        and pg_catalog.pg_try_advisory_xact_lock(
            pg_catalog.hashtext('pgcortex.flush_access'), pg_catalog.hashtext(_ns)
        )
    then
        perform pgcortex.maint_flush_access(100000);
    end if;
    return _n;
end
$$;

COMMENT ON FUNCTION pgcortex.track_access(ids uuid[], as_of timestamp with time zone) IS 'Counts one access of each memory id given (repeats count again) at as_of: appends to the access log, takes no row lock, and now and then folds the log (see maint_flush_access). Returns how many accesses were counted.';

CREATE FUNCTION pgcortex.unlink_memories(source_id uuid, target_id uuid, relation text DEFAULT NULL::text) RETURNS bigint
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO ''
    BEGIN ATOMIC
 WITH gone AS (
          DELETE FROM pgcortex.memory_links l
           WHERE (((l.namespace)::text = pgcortex.current_namespace()) AND (l.source_id = unlink_memories.source_id) AND (l.target_id = unlink_memories.target_id) AND ((unlink_memories.relation IS NULL) OR (l.relation = unlink_memories.relation)))
           RETURNING 1 AS "?column?"
         )
  SELECT count(*) AS count
    FROM gone;
END;

COMMENT ON FUNCTION pgcortex.unlink_memories(source_id uuid, target_id uuid, relation text) IS 'Removes the links from source to target with that relation (all relations when null); returns how many were removed.';

CREATE FUNCTION pgcortex.update_memory(memory_id uuid, content text DEFAULT NULL::text, memory_type text DEFAULT NULL::text, importance integer DEFAULT NULL::integer, confidence real DEFAULT NULL::real, tags text[] DEFAULT NULL::text[], metadata jsonb DEFAULT NULL::jsonb, merge_metadata boolean DEFAULT false, embedding public.vector DEFAULT NULL::public.vector, embedding_model text DEFAULT NULL::text, expires_at timestamp with time zone DEFAULT NULL::timestamp with time zone, clear_expiry boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS SETOF pgcortex.memory_row
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _cur pgcortex.memories;
    _problem text;
    _other uuid;
    _content_changed boolean;
begin
    if update_memory.memory_id is null then
        raise exception using errcode = 'PC003', message = 'memory_id is required';
    end if;
    select * into _cur from pgcortex.memories as m
    where
        m.namespace = _ns and m.id = update_memory.memory_id
        and (m.expires_at is null or m.expires_at > update_memory.as_of)
    for no key update;
    if not found then
        raise exception using
            errcode = 'PC030',
            message = pg_catalog.format('no memory %s in this namespace', update_memory.memory_id);
    end if;
    if update_memory.content is not null and (
        pg_catalog.length(update_memory.content) > 100000
        or pg_catalog.btrim(update_memory.content, e' \t\r\n\f\v') = ''
    ) then
        raise exception using
            errcode = 'PC020',
            message = case when pg_catalog.length(update_memory.content) > 100000
                then pg_catalog.format(
                    'content has %s characters; at most 100000 are stored',
                    pg_catalog.length(update_memory.content)
                )
                else 'content is empty' end;
    end if;
    if update_memory.memory_type is not null and not exists (
        select from pgcortex.memory_types as t where t.name = update_memory.memory_type
    ) then
        raise exception using
            errcode = 'PC021',
            message = pg_catalog.format('unknown memory type %L', update_memory.memory_type),
            hint = 'the types are listed in pgcortex.memory_types';
    end if;
    if update_memory.importance is not null and update_memory.importance not between 1 and 5 then
        raise exception using
            errcode = 'PC004',
            message = pg_catalog.format('importance %s is outside 1..5', update_memory.importance);
    end if;
    if update_memory.confidence is not null
        and (update_memory.confidence not between 0 and 1 or update_memory.confidence = 'NaN'::real)
    then
        raise exception using
            errcode = 'PC004',
            message = pg_catalog.format('confidence %s is outside 0..1', update_memory.confidence);
    end if;
    _problem := pgcortex.tags_problem(update_memory.tags);
    if _problem is not null then
        raise exception using errcode = 'PC024', message = _problem;
    end if;
    _problem := pgcortex.metadata_problem(update_memory.metadata);
    if _problem is not null then
        raise exception using errcode = 'PC023', message = _problem;
    end if;
    _problem := pgcortex.embedding_problem(update_memory.embedding);
    if _problem is not null then
        raise exception using
            errcode = case when _problem like '%dimensions%' then 'PC010' else 'PC011' end,
            message = _problem;
    end if;
    if update_memory.embedding is not null then
        if update_memory.embedding_model is null
            or pg_catalog.btrim(update_memory.embedding_model) = ''
            or pg_catalog.length(update_memory.embedding_model) > 200
        then
            raise exception using
                errcode = 'PC003',
                message = 'embedding_model (1 to 200 characters) is required with an embedding';
        end if;
        perform pgcortex.check_embedding_model(update_memory.embedding_model);
    end if;
    if update_memory.expires_at is not null and update_memory.expires_at <= update_memory.as_of then
        raise exception using errcode = 'PC004', message = 'expires_at is not later than as_of';
    end if;
    _content_changed := update_memory.content is not null and update_memory.content <> _cur.content;
    if _content_changed then
        select m.id into _other from pgcortex.memories as m
        where
            m.namespace = _ns
            and m.content_hash = pgcortex.content_hash(update_memory.content)
            and m.id <> update_memory.memory_id;
        if _other is not null then
            raise exception using
                errcode = 'PC025',
                message = pg_catalog.format('memory %s already has this content', _other),
                hint = 'delete one of the two, or store the content to reinforce that memory';
        end if;
    end if;

    perform pgcortex.set_change_context('update', update_memory.as_of);
    update pgcortex.memories as m
    set
        content = coalesce(update_memory.content, m.content),
        memory_type = coalesce(update_memory.memory_type, m.memory_type),
        importance = coalesce(update_memory.importance, m.importance),
        confidence = coalesce(update_memory.confidence, m.confidence),
        tags = case when update_memory.tags is not null
            then pgcortex.normalize_tags(update_memory.tags) else m.tags end,
        metadata = case
            when update_memory.metadata is null
                or pg_catalog.jsonb_typeof(update_memory.metadata) = 'null' then m.metadata
            when update_memory.merge_metadata then m.metadata || update_memory.metadata
            else update_memory.metadata
        end,
        -- A new content makes the old embedding wrong: it is replaced by the
        -- one given, or cleared (the memory is text-only until re-embedded).
        embedding = case
            when update_memory.embedding is not null then update_memory.embedding
            when _content_changed then null
            else m.embedding
        end,
        embedding_model = case
            when update_memory.embedding is not null then update_memory.embedding_model
            when _content_changed then null
            else m.embedding_model
        end,
        expires_at = case
            when update_memory.clear_expiry then null
            else coalesce(update_memory.expires_at, m.expires_at)
        end,
        updated_at = update_memory.as_of
    where m.namespace = _ns and m.id = update_memory.memory_id;
    perform pgcortex.set_change_context(null, null);
    return query
    select * from pgcortex.memory_rows(
        array[update_memory.memory_id], update_memory.embedding is not null, update_memory.as_of
    );
end
$$;

COMMENT ON FUNCTION pgcortex.update_memory(memory_id uuid, content text, memory_type text, importance integer, confidence real, tags text[], metadata jsonb, merge_metadata boolean, embedding public.vector, embedding_model text, expires_at timestamp with time zone, clear_expiry boolean, as_of timestamp with time zone) IS 'Partial update of one memory: only the fields given change (metadata replaced, or merged when merge_metadata; clear_expiry removes the expiry). A new content refreshes its hash and full-text vector (generated columns) and replaces the embedding with the one given, or clears it. Raises PC030 (unknown id), PC025 (another memory has that content) and the input codes of store_memories. Returns the memory as it is now; counts no access.';

CREATE TABLE pgcortex.cluster_members (
    namespace pgcortex.namespace_name NOT NULL,
    cluster_id uuid NOT NULL,
    memory_id uuid NOT NULL,
    similarity real,
    joined_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY pgcortex.cluster_members FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.cluster_members IS 'Which memory belongs to which knowledge cluster (the seed''s knowledge_clusters.memories array, with integrity).';

CREATE TABLE pgcortex.conversation_sessions (
    session_id uuid DEFAULT pgcortex.new_id() NOT NULL,
    namespace pgcortex.namespace_name DEFAULT 'default'::text NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    ended_at timestamp with time zone,
    message_count integer DEFAULT 0 NOT NULL,
    topics text[] DEFAULT '{}'::text[] NOT NULL,
    summary text,
    importance real DEFAULT 0.5 NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    duration_seconds integer GENERATED ALWAYS AS ((EXTRACT(epoch FROM (ended_at - started_at)))::integer) STORED,
    CONSTRAINT conversation_sessions_ended_at_check CHECK (((ended_at IS NULL) OR (ended_at >= started_at))),
    CONSTRAINT conversation_sessions_importance_check CHECK (((importance >= (0)::double precision) AND (importance <= (1)::double precision))),
    CONSTRAINT conversation_sessions_message_count_check CHECK ((message_count >= 0)),
    CONSTRAINT conversation_sessions_metadata_check CHECK ((jsonb_typeof(metadata) = 'object'::text))
);

ALTER TABLE ONLY pgcortex.conversation_sessions FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.conversation_sessions IS 'A conversation: when it started and ended, how many turns it had, its topics and summary.';

COMMENT ON COLUMN pgcortex.conversation_sessions.duration_seconds IS 'Generated: whole seconds from started_at to ended_at (null while the session is open).';

CREATE TABLE pgcortex.conversation_turns (
    turn_id bigint NOT NULL,
    namespace pgcortex.namespace_name DEFAULT 'default'::text NOT NULL,
    session_id uuid,
    role text NOT NULL,
    content text NOT NULL,
    content_tsv tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, content)) STORED,
    context jsonb DEFAULT '{}'::jsonb NOT NULL,
    memory_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT conversation_turns_content_check CHECK (((length(content) >= 1) AND (length(content) <= 100000))),
    CONSTRAINT conversation_turns_context_check CHECK ((jsonb_typeof(context) = 'object'::text)),
    CONSTRAINT conversation_turns_role_check CHECK ((role = ANY (ARRAY['user'::text, 'assistant'::text, 'system'::text, 'tool'::text])))
);

ALTER TABLE ONLY pgcortex.conversation_turns FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.conversation_turns IS 'Every turn of every conversation (the seed kept only the last 50 in process memory).';

COMMENT ON COLUMN pgcortex.conversation_turns.memory_id IS 'The conversation memory this turn became, if it was substantial enough.';

ALTER TABLE pgcortex.conversation_turns ALTER COLUMN turn_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME pgcortex.conversation_turns_turn_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE pgcortex.error_codes (
    sqlstate text NOT NULL,
    name text NOT NULL,
    meaning text NOT NULL,
    CONSTRAINT error_codes_sqlstate_check CHECK ((sqlstate ~ '^PC[0-9A-Z]{3}$'::text))
);

COMMENT ON TABLE pgcortex.error_codes IS 'The documented error codes raised by the pgcortex SQL API (class PC). The Python client maps each to one exception class; a test keeps the two in step.';

CREATE TABLE pgcortex.knowledge_clusters (
    id uuid DEFAULT pgcortex.new_id() NOT NULL,
    namespace pgcortex.namespace_name DEFAULT 'default'::text NOT NULL,
    name text NOT NULL,
    description text,
    cluster_key text,
    confidence real DEFAULT 1.0 NOT NULL,
    importance_score real DEFAULT 1.0 NOT NULL,
    topics text[] DEFAULT '{}'::text[] NOT NULL,
    centroid public.vector(384),
    centroid_model text,
    member_count integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_updated timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT knowledge_clusters_centroid_model_check CHECK (((centroid IS NULL) = (centroid_model IS NULL))),
    CONSTRAINT knowledge_clusters_confidence_check CHECK (((confidence >= (0)::double precision) AND (confidence <= (1)::double precision))),
    CONSTRAINT knowledge_clusters_importance_score_check CHECK (((importance_score >= (0)::double precision) AND (importance_score <= (5)::double precision))),
    CONSTRAINT knowledge_clusters_member_count_check CHECK ((member_count >= 0)),
    CONSTRAINT knowledge_clusters_name_check CHECK (((length(name) >= 1) AND (length(name) <= 255)))
);

ALTER TABLE ONLY pgcortex.knowledge_clusters FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.knowledge_clusters IS 'Groups of related memories: by embedding centroid, or by the seed''s key (type and tags) for memories without an embedding.';

COMMENT ON COLUMN pgcortex.knowledge_clusters.cluster_key IS 'For clusters of memories without embeddings: the seed''s key, memory type and sorted tags.';

COMMENT ON COLUMN pgcortex.knowledge_clusters.importance_score IS '0..5; see pgcortex.maint_recluster for the formula.';

COMMENT ON COLUMN pgcortex.knowledge_clusters.centroid IS 'Mean of the members'' embeddings (normalised).';

CREATE TABLE pgcortex.learning_patterns (
    pattern_id uuid DEFAULT pgcortex.new_id() NOT NULL,
    namespace pgcortex.namespace_name DEFAULT 'default'::text NOT NULL,
    pattern_type text NOT NULL,
    description text NOT NULL,
    frequency integer DEFAULT 1 NOT NULL,
    confidence real DEFAULT 0.5 NOT NULL,
    examples text[] DEFAULT '{}'::text[] NOT NULL,
    discovered_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT learning_patterns_confidence_check CHECK (((confidence >= (0)::double precision) AND (confidence <= (1)::double precision))),
    CONSTRAINT learning_patterns_description_check CHECK (((length(description) >= 1) AND (length(description) <= 1000))),
    CONSTRAINT learning_patterns_examples_check CHECK ((cardinality(examples) <= 10)),
    CONSTRAINT learning_patterns_frequency_check CHECK ((frequency >= 1))
);

ALTER TABLE ONLY pgcortex.learning_patterns FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.learning_patterns IS 'Patterns learned about the user (recurring topics, workflows, decision habits) with how often they were seen and a few recent examples.';

CREATE VIEW pgcortex.memories_v AS
 SELECT m.id,
    m.content,
    m.memory_type,
    m.importance,
    m.confidence,
    m.created_at,
    COALESCE(GREATEST(a.last_accessed, l.last_accessed), m.created_at) AS last_accessed,
    (COALESCE(a.access_count, (0)::bigint) + COALESCE(l.pending, (0)::bigint)) AS access_count,
    m.tags,
    COALESCE(r.related_ids, '{}'::uuid[]) AS related_memories,
    m.metadata,
    m.embedding,
    m.embedding_model,
    m.updated_at,
    m.expires_at
   FROM (((pgcortex.memories m
     LEFT JOIN pgcortex.memory_access a ON ((((m.namespace)::text = (a.namespace)::text) AND (m.id = a.memory_id))))
     LEFT JOIN LATERAL ( SELECT count(*) AS pending,
            max(g.accessed_at) AS last_accessed
           FROM pgcortex.memory_access_log g
          WHERE (((g.namespace)::text = (m.namespace)::text) AND (g.memory_id = m.id))) l ON (true))
     LEFT JOIN LATERAL ( SELECT array_agg(DISTINCT x.other ORDER BY x.other) AS related_ids
           FROM ( SELECT k.target_id AS other
                   FROM pgcortex.memory_links k
                  WHERE (((k.namespace)::text = (m.namespace)::text) AND (k.source_id = m.id))
                UNION ALL
                 SELECT k.source_id
                   FROM pgcortex.memory_links k
                  WHERE (((k.namespace)::text = (m.namespace)::text) AND (k.target_id = m.id))) x) r ON (true))
  WHERE (((m.namespace)::text = pgcortex.current_namespace()) AND ((m.expires_at IS NULL) OR (m.expires_at > now())));

COMMENT ON VIEW pgcortex.memories_v IS 'The memories of the current namespace in the seed''s shape: with last_accessed and access_count (exact: folded counts plus the pending access log) and related_memories (ids linked either way). Expired memories are left out. Reading the view counts no access.';

ALTER TABLE pgcortex.memory_access_log ALTER COLUMN log_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME pgcortex.memory_access_log_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE pgcortex.memory_history (
    history_id bigint NOT NULL,
    namespace pgcortex.namespace_name NOT NULL,
    memory_id uuid NOT NULL,
    operation text NOT NULL,
    reason text NOT NULL,
    changed_at timestamp with time zone NOT NULL,
    changed_fields text[] NOT NULL,
    old_content text,
    new_content text,
    old_importance smallint,
    new_importance smallint,
    old_confidence real,
    new_confidence real,
    old_tags text[],
    new_tags text[],
    old_metadata jsonb,
    new_metadata jsonb,
    CONSTRAINT memory_history_operation_check CHECK ((operation = ANY (ARRAY['insert'::text, 'update'::text, 'delete'::text]))),
    CONSTRAINT memory_history_reason_check CHECK ((reason ~ '^[a-z][a-z0-9_]{0,62}$'::text))
);

ALTER TABLE ONLY pgcortex.memory_history FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.memory_history IS 'Every change to the content, importance, confidence, tags or metadata of a memory, written by a trigger on pgcortex.memories: which operation, why (reason), when, which fields changed, and their old and new values (only the changed fields are filled on update). Kept after the memory is deleted, so "what did we believe before" stays answerable.';

COMMENT ON COLUMN pgcortex.memory_history.operation IS 'insert, update or delete (the SQL operation).';

COMMENT ON COLUMN pgcortex.memory_history.reason IS 'Why: store, reinforce, merge, update, delete, forget, purge_expired, or direct (a statement outside the API).';

COMMENT ON COLUMN pgcortex.memory_history.changed_at IS 'The as_of of the API call that made the change (else the transaction time).';

COMMENT ON COLUMN pgcortex.memory_history.changed_fields IS 'The fields whose value changed (all five for insert and delete).';

ALTER TABLE pgcortex.memory_history ALTER COLUMN history_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME pgcortex.memory_history_history_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE pgcortex.memory_types (
    name text NOT NULL,
    description text NOT NULL,
    CONSTRAINT memory_types_name_check CHECK ((name ~ '^[a-z][a-z0-9_]{0,62}$'::text))
);

COMMENT ON TABLE pgcortex.memory_types IS 'The kinds of memory. A row here is all it takes to add a type (no migration).';

ALTER TABLE pgcortex.namespace_audit ALTER COLUMN audit_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME pgcortex.namespace_audit_audit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE pgcortex.pattern_types (
    name text NOT NULL,
    description text NOT NULL,
    CONSTRAINT pattern_types_name_check CHECK ((name ~ '^[a-z][a-z0-9_]{0,62}$'::text))
);

COMMENT ON TABLE pgcortex.pattern_types IS 'The kinds of learning pattern. A row here is all it takes to add a type (no migration).';

CREATE TABLE pgcortex.user_preferences (
    namespace pgcortex.namespace_name DEFAULT 'default'::text NOT NULL,
    key text NOT NULL,
    value jsonb NOT NULL,
    confidence real DEFAULT 1.0 NOT NULL,
    source text DEFAULT 'conversation'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT user_preferences_confidence_check CHECK (((confidence >= (0)::double precision) AND (confidence <= (1)::double precision))),
    CONSTRAINT user_preferences_key_check CHECK (((length(key) >= 1) AND (length(key) <= 255))),
    CONSTRAINT user_preferences_source_check CHECK (((length(source) >= 1) AND (length(source) <= 255)))
);

ALTER TABLE ONLY pgcortex.user_preferences FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.user_preferences IS 'What the user prefers: one JSON value per key in a namespace, with the confidence and source of the value held.';

ALTER TABLE ONLY pgcortex.cluster_members
    ADD CONSTRAINT cluster_members_pkey PRIMARY KEY (namespace, cluster_id, memory_id);

ALTER TABLE ONLY pgcortex.conversation_sessions
    ADD CONSTRAINT conversation_sessions_pkey PRIMARY KEY (namespace, session_id);

ALTER TABLE ONLY pgcortex.conversation_turns
    ADD CONSTRAINT conversation_turns_pkey PRIMARY KEY (turn_id);

ALTER TABLE ONLY pgcortex.error_codes
    ADD CONSTRAINT error_codes_name_key UNIQUE (name);

ALTER TABLE ONLY pgcortex.error_codes
    ADD CONSTRAINT error_codes_pkey PRIMARY KEY (sqlstate);

ALTER TABLE ONLY pgcortex.knowledge_clusters
    ADD CONSTRAINT knowledge_clusters_namespace_name_key UNIQUE (namespace, name);

ALTER TABLE ONLY pgcortex.knowledge_clusters
    ADD CONSTRAINT knowledge_clusters_pkey PRIMARY KEY (namespace, id);

ALTER TABLE ONLY pgcortex.learning_patterns
    ADD CONSTRAINT learning_patterns_namespace_type_description_key UNIQUE (namespace, pattern_type, description);

ALTER TABLE ONLY pgcortex.learning_patterns
    ADD CONSTRAINT learning_patterns_pkey PRIMARY KEY (namespace, pattern_id);

ALTER TABLE ONLY pgcortex.memories
    ADD CONSTRAINT memories_namespace_content_hash_key UNIQUE (namespace, content_hash);

ALTER TABLE ONLY pgcortex.memories
    ADD CONSTRAINT memories_pkey PRIMARY KEY (namespace, id);

ALTER TABLE ONLY pgcortex.memory_access_log
    ADD CONSTRAINT memory_access_log_pkey PRIMARY KEY (log_id);

ALTER TABLE ONLY pgcortex.memory_access
    ADD CONSTRAINT memory_access_pkey PRIMARY KEY (namespace, memory_id);

ALTER TABLE ONLY pgcortex.memory_history
    ADD CONSTRAINT memory_history_pkey PRIMARY KEY (history_id);

ALTER TABLE ONLY pgcortex.memory_links
    ADD CONSTRAINT memory_links_pkey PRIMARY KEY (namespace, source_id, target_id, relation);

ALTER TABLE ONLY pgcortex.memory_types
    ADD CONSTRAINT memory_types_pkey PRIMARY KEY (name);

ALTER TABLE ONLY pgcortex.namespace_audit
    ADD CONSTRAINT namespace_audit_pkey PRIMARY KEY (audit_id);

ALTER TABLE ONLY pgcortex.pattern_types
    ADD CONSTRAINT pattern_types_pkey PRIMARY KEY (name);

ALTER TABLE ONLY pgcortex.schema_info
    ADD CONSTRAINT schema_info_pkey PRIMARY KEY (singleton);

ALTER TABLE ONLY pgcortex.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (name);

ALTER TABLE ONLY pgcortex.user_preferences
    ADD CONSTRAINT user_preferences_pkey PRIMARY KEY (namespace, key);

CREATE INDEX cluster_members_memory_idx ON pgcortex.cluster_members USING btree (namespace, memory_id);

CREATE INDEX conversation_sessions_started_at_idx ON pgcortex.conversation_sessions USING btree (namespace, started_at);

CREATE INDEX conversation_turns_memory_idx ON pgcortex.conversation_turns USING btree (namespace, memory_id) WHERE (memory_id IS NOT NULL);

CREATE INDEX conversation_turns_namespace_created_idx ON pgcortex.conversation_turns USING btree (namespace, created_at, turn_id);

CREATE INDEX conversation_turns_session_idx ON pgcortex.conversation_turns USING btree (namespace, session_id, turn_id);

CREATE UNIQUE INDEX knowledge_clusters_namespace_cluster_key_key ON pgcortex.knowledge_clusters USING btree (namespace, cluster_key) WHERE (cluster_key IS NOT NULL);

CREATE INDEX memories_content_tsv_gin_idx ON pgcortex.memories USING gin (content_tsv);

CREATE INDEX memories_embedding_hnsw_idx ON pgcortex.memories USING hnsw (embedding public.vector_cosine_ops) WITH (m='16', ef_construction='128');

CREATE INDEX memories_metadata_gin_idx ON pgcortex.memories USING gin (metadata jsonb_path_ops);

CREATE INDEX memories_namespace_created_at_idx ON pgcortex.memories USING btree (namespace, created_at);

CREATE INDEX memories_namespace_embedding_model_idx ON pgcortex.memories USING btree (namespace, embedding_model) WHERE (embedding_model IS NOT NULL);

CREATE INDEX memories_namespace_expires_at_idx ON pgcortex.memories USING btree (namespace, expires_at) WHERE (expires_at IS NOT NULL);

CREATE INDEX memories_namespace_type_importance_idx ON pgcortex.memories USING btree (namespace, memory_type, importance);

CREATE INDEX memories_tags_gin_idx ON pgcortex.memories USING gin (tags);

CREATE INDEX memory_access_log_memory_idx ON pgcortex.memory_access_log USING btree (namespace, memory_id);

CREATE INDEX memory_history_memory_idx ON pgcortex.memory_history USING btree (namespace, memory_id, history_id);

CREATE INDEX memory_links_target_idx ON pgcortex.memory_links USING btree (namespace, target_id);

CREATE INDEX namespace_audit_namespace_at_idx ON pgcortex.namespace_audit USING btree (namespace, at);

CREATE TRIGGER memories_history_delete AFTER DELETE ON pgcortex.memories REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pgcortex.record_memory_history();

CREATE TRIGGER memories_history_insert AFTER INSERT ON pgcortex.memories REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pgcortex.record_memory_history();

CREATE TRIGGER memories_history_update AFTER UPDATE ON pgcortex.memories REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pgcortex.record_memory_history();

ALTER TABLE ONLY pgcortex.cluster_members
    ADD CONSTRAINT cluster_members_cluster_fkey FOREIGN KEY (namespace, cluster_id) REFERENCES pgcortex.knowledge_clusters(namespace, id) ON DELETE CASCADE;

ALTER TABLE ONLY pgcortex.cluster_members
    ADD CONSTRAINT cluster_members_memory_fkey FOREIGN KEY (namespace, memory_id) REFERENCES pgcortex.memories(namespace, id) ON DELETE CASCADE;

ALTER TABLE ONLY pgcortex.conversation_turns
    ADD CONSTRAINT conversation_turns_memory_fkey FOREIGN KEY (namespace, memory_id) REFERENCES pgcortex.memories(namespace, id) ON DELETE SET NULL (memory_id);

ALTER TABLE ONLY pgcortex.conversation_turns
    ADD CONSTRAINT conversation_turns_session_fkey FOREIGN KEY (namespace, session_id) REFERENCES pgcortex.conversation_sessions(namespace, session_id) ON DELETE CASCADE;

ALTER TABLE ONLY pgcortex.learning_patterns
    ADD CONSTRAINT learning_patterns_pattern_type_fkey FOREIGN KEY (pattern_type) REFERENCES pgcortex.pattern_types(name) ON UPDATE CASCADE;

ALTER TABLE ONLY pgcortex.memories
    ADD CONSTRAINT memories_memory_type_fkey FOREIGN KEY (memory_type) REFERENCES pgcortex.memory_types(name) ON UPDATE CASCADE;

ALTER TABLE ONLY pgcortex.memory_access
    ADD CONSTRAINT memory_access_memory_fkey FOREIGN KEY (namespace, memory_id) REFERENCES pgcortex.memories(namespace, id) ON DELETE CASCADE;

ALTER TABLE ONLY pgcortex.memory_links
    ADD CONSTRAINT memory_links_source_fkey FOREIGN KEY (namespace, source_id) REFERENCES pgcortex.memories(namespace, id) ON DELETE CASCADE;

ALTER TABLE ONLY pgcortex.memory_links
    ADD CONSTRAINT memory_links_target_fkey FOREIGN KEY (namespace, target_id) REFERENCES pgcortex.memories(namespace, id) ON DELETE CASCADE;

ALTER TABLE pgcortex.cluster_members ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.conversation_sessions ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.conversation_turns ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.knowledge_clusters ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.learning_patterns ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.memories ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.memory_access ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.memory_access_log ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.memory_history ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.memory_links ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.namespace_audit ENABLE ROW LEVEL SECURITY;

CREATE POLICY namespace_isolation ON pgcortex.cluster_members USING (((namespace)::text = current_setting('pgcortex.namespace'::text, true))) WITH CHECK (((namespace)::text = current_setting('pgcortex.namespace'::text, true)));

CREATE POLICY namespace_isolation ON pgcortex.conversation_sessions USING (((namespace)::text = current_setting('pgcortex.namespace'::text, true))) WITH CHECK (((namespace)::text = current_setting('pgcortex.namespace'::text, true)));

CREATE POLICY namespace_isolation ON pgcortex.conversation_turns USING (((namespace)::text = current_setting('pgcortex.namespace'::text, true))) WITH CHECK (((namespace)::text = current_setting('pgcortex.namespace'::text, true)));

CREATE POLICY namespace_isolation ON pgcortex.knowledge_clusters USING (((namespace)::text = current_setting('pgcortex.namespace'::text, true))) WITH CHECK (((namespace)::text = current_setting('pgcortex.namespace'::text, true)));

CREATE POLICY namespace_isolation ON pgcortex.learning_patterns USING (((namespace)::text = current_setting('pgcortex.namespace'::text, true))) WITH CHECK (((namespace)::text = current_setting('pgcortex.namespace'::text, true)));

CREATE POLICY namespace_isolation ON pgcortex.memories USING (((namespace)::text = current_setting('pgcortex.namespace'::text, true))) WITH CHECK (((namespace)::text = current_setting('pgcortex.namespace'::text, true)));

CREATE POLICY namespace_isolation ON pgcortex.memory_access USING (((namespace)::text = current_setting('pgcortex.namespace'::text, true))) WITH CHECK (((namespace)::text = current_setting('pgcortex.namespace'::text, true)));

CREATE POLICY namespace_isolation ON pgcortex.memory_access_log USING (((namespace)::text = current_setting('pgcortex.namespace'::text, true))) WITH CHECK (((namespace)::text = current_setting('pgcortex.namespace'::text, true)));

CREATE POLICY namespace_isolation ON pgcortex.memory_history USING (((namespace)::text = current_setting('pgcortex.namespace'::text, true))) WITH CHECK (((namespace)::text = current_setting('pgcortex.namespace'::text, true)));

CREATE POLICY namespace_isolation ON pgcortex.memory_links USING (((namespace)::text = current_setting('pgcortex.namespace'::text, true))) WITH CHECK (((namespace)::text = current_setting('pgcortex.namespace'::text, true)));

CREATE POLICY namespace_isolation ON pgcortex.namespace_audit USING (((namespace)::text = current_setting('pgcortex.namespace'::text, true))) WITH CHECK (((namespace)::text = current_setting('pgcortex.namespace'::text, true)));

CREATE POLICY namespace_isolation ON pgcortex.user_preferences USING (((namespace)::text = current_setting('pgcortex.namespace'::text, true))) WITH CHECK (((namespace)::text = current_setting('pgcortex.namespace'::text, true)));

ALTER TABLE pgcortex.user_preferences ENABLE ROW LEVEL SECURITY;
