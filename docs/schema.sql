CREATE SCHEMA pgcortex;

COMMENT ON SCHEMA pgcortex IS 'pgcortex: long-term memory for AI agents. Tables, views and the SQL API live here.';

CREATE SCHEMA pgcortex_internal;

COMMENT ON SCHEMA pgcortex_internal IS 'pgcortex internals: checks, row builders, trigger functions and column defaults that the API functions call. The application role may use none of them.';

CREATE TYPE pgcortex.conversation_turn_result AS (
	turn_id bigint,
	session_id uuid,
	role text,
	content text,
	context jsonb,
	memory_id uuid,
	created_at timestamp with time zone
);

COMMENT ON TYPE pgcortex.conversation_turn_result IS 'A conversation turn as the API returns it.';

CREATE TYPE pgcortex.embedding_model_info AS (
	model_id integer,
	name text,
	dimensions integer,
	distance text,
	storage text,
	normalize_vectors boolean,
	is_default boolean,
	index_name text,
	index_state text,
	registered_at timestamp with time zone
);

COMMENT ON TYPE pgcortex.embedding_model_info IS 'A registered embedding model as the API returns it, with its HNSW index and the index''s state (valid, building, missing).';

CREATE TYPE pgcortex.knowledge_cluster_result AS (
	cluster_id uuid,
	name text,
	description text,
	origin text,
	cluster_key text,
	topics text[],
	member_count integer,
	importance_score real,
	confidence real,
	similarity real,
	topic_matches integer,
	relevance real,
	top_memory_ids uuid[],
	created_at timestamp with time zone,
	last_updated timestamp with time zone
);

COMMENT ON TYPE pgcortex.knowledge_cluster_result IS 'A knowledge cluster as the API returns it; similarity, topic_matches and relevance are set when clusters are ranked for a query.';

CREATE TYPE pgcortex.knowledge_settings_row AS (
	turn_memories boolean,
	turn_memory_min_chars integer,
	turn_memory_importance smallint,
	turn_memory_key_importance smallint,
	turn_memory_key_pattern text,
	cluster_similarity real,
	cluster_merge_similarity real,
	pattern_min_turns integer,
	pattern_min_term_turns integer,
	pattern_min_questions integer,
	pattern_max_topics integer,
	pattern_max_examples integer,
	pattern_active_days integer
);

COMMENT ON TYPE pgcortex.knowledge_settings_row IS 'The knowledge rules in force for a namespace: its stored overrides, else the defaults (pgcortex.knowledge_settings()).';

CREATE TYPE pgcortex.learning_pattern_result AS (
	pattern_id uuid,
	pattern_type text,
	description text,
	frequency integer,
	confidence real,
	examples text[],
	evidence_count integer,
	new_evidence integer,
	discovered_at timestamp with time zone,
	updated_at timestamp with time zone
);

COMMENT ON TYPE pgcortex.learning_pattern_result IS 'A learning pattern as the API returns it: its counts, and how many pieces of evidence the call added (new_evidence; 0 when everything was already counted).';

CREATE TYPE pgcortex.memory_link_row AS (
	source_id uuid,
	target_id uuid,
	relation text,
	weight real,
	created_at timestamp with time zone
);

COMMENT ON TYPE pgcortex.memory_link_row IS 'A link between two memories as the API returns it: pgcortex.memory_links without the namespace.';

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

COMMENT ON TYPE pgcortex.memory_search_row IS 'A search hit: the memory, its rank, and its score breakdown (similarity, text_rank, keyword_overlap, relevance, fused_relevance, the four factors, score), how it matched (vector, text, both, context, link), the hit it follows (linked_from: the conversation turn its context lifted it by, or the hit a link led from) and the ranking_version of the formula.';

CREATE DOMAIN pgcortex.namespace_name AS text
	CONSTRAINT namespace_name_check CHECK ((((length(VALUE) >= 1) AND (length(VALUE) <= 128)) AND (VALUE !~ '[[:cntrl:]]'::text)));

COMMENT ON DOMAIN pgcortex.namespace_name IS 'A namespace: the agent, user or tenant scope of every row. 1 to 128 characters, no control characters.';

CREATE TYPE pgcortex.session_row AS (
	session_id uuid,
	started_at timestamp with time zone,
	ended_at timestamp with time zone,
	message_count integer,
	topics text[],
	summary text,
	importance real,
	metadata jsonb,
	duration_seconds integer
);

COMMENT ON TYPE pgcortex.session_row IS 'A conversation session as the API returns it (start_session, end_session, list_sessions): pgcortex.conversation_sessions without the namespace.';

CREATE TYPE pgcortex_internal.embedding_model_sql AS (
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

COMMENT ON TYPE pgcortex_internal.embedding_model_sql IS 'A registered model with the SQL that uses its index (pgcortex_internal.embedding_model_sql()).';

CREATE FUNCTION pgcortex.add_session_items(session_key text, items json, embeddings public.vector[] DEFAULT NULL::public.vector[], embedding_model text DEFAULT NULL::text, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(ordinality integer, turn_id bigint, memory_id uuid, session_id uuid)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _n integer;
    _session pgcortex.conversation_sessions;
    _item record;
    _embedding public.vector;
    _memory uuid;
    _turn bigint;
begin
    perform pgcortex_internal.check_session_key(add_session_items.session_key);
    _n := pgcortex_internal.check_session_items(add_session_items.items);
    if add_session_items.as_of is null then
        raise exception using errcode = 'PC003', message = 'as_of is required';
    end if;
    if add_session_items.embeddings is not null
        and coalesce(pg_catalog.cardinality(add_session_items.embeddings), 0) <> _n then
        raise exception using
            errcode = 'PC003',
            message = pg_catalog.format(
                'embeddings has %s entries for %s items',
                coalesce(pg_catalog.cardinality(add_session_items.embeddings), 0), _n
            );
    end if;
    if (add_session_items.embeddings is null) <> (add_session_items.embedding_model is null) then
        raise exception using
            errcode = 'PC003', message = 'embeddings and embedding_model go together';
    end if;
    if _n = 0 then
        return;
    end if;

    -- One key, one session: concurrent first adds of a key wait for each other.
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
        'pgcortex.session_key:' || _ns || ':' || add_session_items.session_key, 0
    ));
    select s.* into _session
    from pgcortex.conversation_sessions as s
    where
        s.namespace = _ns
        and s.session_id = pgcortex.session_by_key(add_session_items.session_key)
    for update;
    if not found then
        insert into pgcortex.conversation_sessions as s (namespace, started_at, metadata)
        values (
            _ns,
            add_session_items.as_of,
            pg_catalog.jsonb_build_object('session_key', add_session_items.session_key)
        )
        returning s.* into _session;
    end if;
    if _session.ended_at is not null then
        raise exception using
            errcode = 'PC031',
            message = 'the session has ended',
            detail = pg_catalog.format('session %s ended at %s', _session.session_id, _session.ended_at),
            hint = 'use a new session key';
    end if;
    if add_session_items.as_of < _session.started_at then
        raise exception using
            errcode = 'PC032', message = 'a turn cannot come before its session started';
    end if;

    for _item in
        select
            e.ord::integer as ord,
            e.value::text as item_text,
            t.role,
            t.content,
            t.conversational
        from pg_catalog.json_array_elements(add_session_items.items) with ordinality as e (value, ord)
        cross join lateral pgcortex_internal.session_item_turn(pgcortex_internal.session_item_jsonb(e.value)) as t
        order by e.ord
    loop
        _memory := null;
        if _item.conversational then
            _embedding := add_session_items.embeddings[_item.ord];
            _memory := pgcortex_internal.conversation_turn_memory(
                role => _item.role,
                content => _item.content,
                session_id => _session.session_id,
                embedding => _embedding,
                embedding_model => case when _embedding is not null then add_session_items.embedding_model end,
                as_of => add_session_items.as_of
            );
        end if;
        insert into pgcortex.conversation_turns as t (
            namespace, session_id, role, content, context, memory_id, created_at
        ) values (
            _ns, _session.session_id, _item.role, _item.content,
            pg_catalog.jsonb_build_object('session_item', _item.item_text),
            _memory, add_session_items.as_of
        )
        returning t.turn_id into _turn;
        ordinality := _item.ord;
        turn_id := _turn;
        memory_id := _memory;
        session_id := _session.session_id;
        return next;
    end loop;

    update pgcortex.conversation_sessions as s
    set message_count = s.message_count + _n
    where s.namespace = _ns and s.session_id = _session.session_id;
end
$$;

COMMENT ON FUNCTION pgcortex.add_session_items(session_key text, items json, embeddings public.vector[], embedding_model text, as_of timestamp with time zone) IS 'Appends agent items (a JSON array of objects) to the session whose metadata has this session_key, starting one at as_of when there is none: one conversation turn per item, in order, keeping the item''s exact JSON text in context.session_item (see pgcortex_internal.session_item_turn for role and content). User and assistant messages with text may become conversation memories, with embeddings[i] (of embedding_model) for item i. Returns one row per item. PC003 bad key or embeddings, PC023 items not an array of objects, PC031 session ended, PC032 as_of before the session started.';

CREATE FUNCTION pgcortex.clear_session_items(session_key text) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _ns text := pgcortex.current_namespace();
    _session pgcortex.conversation_sessions;
    _n integer;
begin
    perform pgcortex_internal.check_session_key(clear_session_items.session_key);
    select s.* into _session
    from pgcortex.conversation_sessions as s
    where s.namespace = _ns and s.session_id = pgcortex.session_by_key(clear_session_items.session_key)
    for update;
    if not found then
        return 0;
    end if;
    if _session.ended_at is not null then
        raise exception using
            errcode = 'PC031',
            message = 'the session has ended',
            detail = pg_catalog.format('session %s ended at %s', _session.session_id, _session.ended_at);
    end if;
    delete from pgcortex.conversation_turns as t
    where t.namespace = _ns and t.session_id = _session.session_id;
    get diagnostics _n = row_count;
    update pgcortex.conversation_sessions as s
    set message_count = 0
    where s.namespace = _ns and s.session_id = _session.session_id;
    return _n;
end
$$;

COMMENT ON FUNCTION pgcortex.clear_session_items(session_key text) IS 'Removes every item (turn) of the session whose metadata has this session_key and returns how many; the session stays, empty. Conversation memories its turns became stay (forget them with pgcortex.delete_memories). PC003 bad key, PC031 session ended.';

CREATE FUNCTION pgcortex.current_namespace() RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
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
    -- Namespace bindings: a login role bound to other namespaces is refused
    -- here, so by every API function, whatever row-level security does
    -- (pgcortex.memories has it enabled, not forced: docs/performance.md).
    if not pgcortex_internal.namespace_permitted() then
        raise exception using
            errcode = 'PC051',
            message = 'this login role may not use this namespace',
            detail = pg_catalog.format('namespace %s', _ns),
            hint = 'the role is bound to other namespaces, or has no binding while unbound logins are refused (pgcortex.namespace_bindings, pgcortex.security_settings)';
    end if;
    return _ns;
end
$$;

COMMENT ON FUNCTION pgcortex.current_namespace() IS 'The namespace of the current call (setting pgcortex.namespace); raises PC001 when unset, PC002 when invalid, PC051 when the login role may not use it (bound to other namespaces in pgcortex.namespace_bindings, or unbound while pgcortex.security_settings refuses unbound logins).';

CREATE FUNCTION pgcortex.delete_memories(memory_ids uuid[] DEFAULT NULL::uuid[], memory_types text[] DEFAULT NULL::text[], tags_any text[] DEFAULT NULL::text[], tags_all text[] DEFAULT NULL::text[], max_importance integer DEFAULT NULL::integer, created_before timestamp with time zone DEFAULT NULL::timestamp with time zone, metadata_contains jsonb DEFAULT NULL::jsonb, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(deleted bigint, ids uuid[])
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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
    _ids := pgcortex_internal.forget_memories(_ids, 'delete', delete_memories.as_of);
    return query select pg_catalog.cardinality(_ids)::bigint, _ids;
end
$$;

COMMENT ON FUNCTION pgcortex.delete_memories(memory_ids uuid[], memory_types text[], tags_any text[], tags_all text[], max_importance integer, created_before timestamp with time zone, metadata_contains jsonb, as_of timestamp with time zone) IS 'Deletes the memories (expired or not) matching every filter given; at least one filter is required (PC003). Returns how many were deleted and their ids.';

CREATE FUNCTION pgcortex.delete_memory(memory_id uuid, as_of timestamp with time zone DEFAULT now()) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _deleted uuid [];
begin
    if delete_memory.memory_id is null then
        raise exception using errcode = 'PC003', message = 'memory_id is required';
    end if;
    _deleted := pgcortex_internal.forget_memories(array[delete_memory.memory_id], 'delete', delete_memory.as_of);
    if pg_catalog.cardinality(_deleted) = 0 then
        raise exception using
            errcode = 'PC030',
            message = pg_catalog.format('no memory %s in this namespace', delete_memory.memory_id);
    end if;
    return delete_memory.memory_id;
end
$$;

COMMENT ON FUNCTION pgcortex.delete_memory(memory_id uuid, as_of timestamp with time zone) IS 'Deletes one memory (its links and cluster membership go with it) and returns its id; raises PC030 when there is no such memory in the namespace.';

CREATE FUNCTION pgcortex.drop_embedding_model(embedding_model text) RETURNS SETOF pgcortex.embedding_model_info
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION pgcortex.drop_embedding_model(embedding_model text) IS 'Unregisters the model and drops its index, when no memory, staged or old vector, cluster centroid or namespace of any namespace uses it (else PC014, nothing changed); the deployment default cannot be dropped (PC014). Returns the model as it was. PC013 when not registered.';

CREATE FUNCTION pgcortex_internal.embedding_model_sql(embedding_model text) RETURNS pgcortex_internal.embedding_model_sql
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION pgcortex_internal.embedding_model_sql(embedding_model text) IS 'The registered model (PC013 when it is not) with the SQL that uses its index: vector_type (public.vector(1536) or public.halfvec(3072)), operator_sql (its distance as operator(public.<=>), <-> or <#>), opclass, name_literal (the name quoted as a constant) and index_name. A query uses the model''s index when it orders by (m.embedding::<vector_type>) <operator_sql> (<query>::<vector_type>) and filters m.embedding_model = <name_literal>, written into the statement text. Internal helper of the model-aware functions.';

CREATE FUNCTION pgcortex.embedding_model_index_sql(embedding_model text, "concurrently" boolean DEFAULT false) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT format('create index %s if not exists %I on pgcortex.memories using hnsw ((embedding::%s) %s) with (m = 16, ef_construction = 128) where embedding_model = %s'::text,
         CASE
             WHEN embedding_model_index_sql."concurrently" THEN 'concurrently'::text
             ELSE ''::text
         END, s.index_name, s.vector_type, s.opclass, s.name_literal) AS format
    FROM pgcortex_internal.embedding_model_sql(embedding_model_index_sql.embedding_model) s(model_id, name, dimensions, distance, storage, normalize_vectors, vector_type, operator_sql, opclass, name_literal, index_name);
END;

COMMENT ON FUNCTION pgcortex.embedding_model_index_sql(embedding_model text, "concurrently" boolean) IS 'The create index statement of the model''s HNSW index (m = 16, ef_construction = 128, partial on the model, over the embedding cast to the model''s dimensions and storage); with concurrently, the form that does not block writes, which must run outside a transaction block (the command pgcortex register-model runs it).';

CREATE FUNCTION pgcortex.embedding_model_row(embedding_model text) RETURNS pgcortex.embedding_model_info
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION pgcortex.embedding_model_row(embedding_model text) IS 'The registered model of that name as pgcortex.embedding_model_info (null when none).';

CREATE FUNCTION pgcortex.end_session(session_id uuid, summary text DEFAULT NULL::text, importance real DEFAULT NULL::real, max_topics integer DEFAULT 5, as_of timestamp with time zone DEFAULT now()) RETURNS pgcortex.session_row
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _ns text := pgcortex.current_namespace();
    _session pgcortex.conversation_sessions;
begin
    if end_session.importance is not null and end_session.importance not between 0 and 1 then
        raise exception using errcode = 'PC004', message = 'session importance must be between 0 and 1';
    end if;
    if end_session.max_topics is null or end_session.max_topics not between 0 and 100 then
        raise exception using errcode = 'PC004', message = 'max_topics must be between 0 and 100';
    end if;
    if end_session.summary is not null and pg_catalog.length(end_session.summary) > 100000 then
        raise exception using errcode = 'PC020', message = 'summary has more than 100000 characters';
    end if;
    select s.* into _session
    from pgcortex.conversation_sessions as s
    where s.namespace = _ns and s.session_id = end_session.session_id
    for update;
    if not found then
        raise exception using errcode = 'PC030', message = 'no such session in this namespace';
    end if;
    if _session.ended_at is not null then
        raise exception using
            errcode = 'PC031',
            message = 'the session has already ended',
            detail = pg_catalog.format('session %s ended at %s', _session.session_id, _session.ended_at);
    end if;
    if end_session.as_of is null or end_session.as_of < _session.started_at then
        raise exception using
            errcode = 'PC032',
            message = 'a session cannot end before it starts',
            detail = pg_catalog.format('started at %s, end given %s', _session.started_at, end_session.as_of);
    end if;

    update pgcortex.conversation_sessions as s set
        ended_at = end_session.as_of,
        summary = coalesce(end_session.summary, s.summary),
        importance = coalesce(end_session.importance, s.importance),
        topics = (
            select coalesce(pg_catalog.array_agg(pgcortex_internal.term_surface(tt.term, x.texts) order by tt.ord), '{}')
            from (
                select
                    pg_catalog.array_agg(t.content_tsv) as docs,
                    pg_catalog.array_agg(pg_catalog.left(t.content, 2000)) as texts
                from pgcortex.conversation_turns as t
                where t.namespace = _ns and t.session_id = end_session.session_id
            ) as x
            cross join lateral unnest(pgcortex_internal.top_terms(x.docs, end_session.max_topics)) with ordinality as tt (term, ord)
        )
    where s.namespace = _ns and s.session_id = end_session.session_id
    returning s.* into _session;
    return row(
        _session.session_id, _session.started_at, _session.ended_at, _session.message_count,
        _session.topics, _session.summary, _session.importance, _session.metadata,
        _session.duration_seconds
    )::pgcortex.session_row;
end
$$;

COMMENT ON FUNCTION pgcortex.end_session(session_id uuid, summary text, importance real, max_topics integer, as_of timestamp with time zone) IS 'Ends a session at as_of with a summary and importance (0..1); topics = the max_topics terms found in the most of its turns. duration_seconds follows (generated). PC030 unknown session, PC031 already ended, PC032 as_of before started_at, PC004 importance outside 0..1.';

CREATE FUNCTION pgcortex.erase_namespace(confirm text) RETURNS TABLE(namespace text, rows_deleted bigint, tables jsonb, audit_id bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
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
$_$;

COMMENT ON FUNCTION pgcortex.erase_namespace(confirm text) IS 'Deletes everything of the current namespace (every namespaced table, children first) in one call; confirm must equal the namespace name (PC050). Returns the rows deleted per table and the audit id; the audit log is kept.';

CREATE FUNCTION pgcortex.export_namespace() RETURNS SETOF jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
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
$_$;

COMMENT ON FUNCTION pgcortex.export_namespace() IS 'The current namespace as JSON lines (setof jsonb): a header, {"table", "row"} per row of every namespaced table in foreign-key order (a json column, such as a key-value store item''s value, as a string holding its exact text), then {"end": true, "rows": n}. Clusters the queued memories first (pgcortex_internal.cluster_pending). Audited in pgcortex.namespace_audit, so it runs on the primary (on a hot standby: the read-only error, 25006, before any row). Use a repeatable read transaction for a consistent snapshot.';

CREATE FUNCTION pgcortex.get_contextual_knowledge(query text DEFAULT NULL::text, query_embedding public.vector DEFAULT NULL::public.vector, embedding_model text DEFAULT NULL::text, session_id uuid DEFAULT NULL::uuid, max_memories integer DEFAULT 15, max_turns integer DEFAULT 5, max_clusters integer DEFAULT 5, max_patterns integer DEFAULT 10, min_relevance real DEFAULT NULL::real, cluster_min_relevance real DEFAULT 0.3, track boolean DEFAULT true, as_of timestamp with time zone DEFAULT now()) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _ns text := pgcortex.current_namespace();
    _memories jsonb;
    _prefs jsonb;
    _turns jsonb;
    _clusters jsonb;
    _patterns jsonb;
begin
    if nullif(pg_catalog.btrim(get_contextual_knowledge.query), '') is null
        and get_contextual_knowledge.query_embedding is null then
        raise exception using errcode = 'PC003', message = 'give query, query_embedding or both';
    end if;
    if least(
        get_contextual_knowledge.max_memories, get_contextual_knowledge.max_turns,
        get_contextual_knowledge.max_clusters, get_contextual_knowledge.max_patterns
    ) < 0 or greatest(
        get_contextual_knowledge.max_memories, get_contextual_knowledge.max_turns,
        get_contextual_knowledge.max_clusters, get_contextual_knowledge.max_patterns
    ) > 1000 then
        raise exception using errcode = 'PC004', message = 'the max_* limits must be in 0..1000';
    end if;
    if get_contextual_knowledge.session_id is not null and not exists (
        select from pgcortex.conversation_sessions as s
        where s.namespace = _ns and s.session_id = get_contextual_knowledge.session_id
    ) then
        raise exception using errcode = 'PC030', message = 'no such session in this namespace';
    end if;

    if get_contextual_knowledge.max_memories > 0 then
        select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(r) order by r.rank), '[]')
        into _memories
        from pgcortex.search_memories(
            query_embedding => get_contextual_knowledge.query_embedding,
            query_text => get_contextual_knowledge.query,
            k => get_contextual_knowledge.max_memories,
            min_relevance => get_contextual_knowledge.min_relevance,
            track => get_contextual_knowledge.track,
            embedding_model => get_contextual_knowledge.embedding_model,
            as_of => get_contextual_knowledge.as_of
        ) as r;
    end if;

    select coalesce(pg_catalog.jsonb_object_agg(
        p.key,
        pg_catalog.jsonb_build_object(
            'value', p.value, 'confidence', p.confidence, 'source', p.source,
            'updated_at', p.updated_at
        )
    ), '{}')
    into _prefs
    from pgcortex.get_user_preferences() as p;

    select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(t) order by t.created_at, t.turn_id), '[]')
    into _turns
    from pgcortex.get_conversation_context(
        session_id => get_contextual_knowledge.session_id,
        max_turns => get_contextual_knowledge.max_turns
    ) as t;

    select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(c) - 'ord' order by c.ord), '[]')
    into _clusters
    from (
        select k.*, row_number() over () as ord
        from pgcortex.get_knowledge_clusters(
            query => get_contextual_knowledge.query,
            query_embedding => get_contextual_knowledge.query_embedding,
            embedding_model => get_contextual_knowledge.embedding_model,
            min_relevance => get_contextual_knowledge.cluster_min_relevance,
            max_results => get_contextual_knowledge.max_clusters
        ) as k
    ) as c;

    select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(p) - 'ord' order by p.ord), '[]')
    into _patterns
    from (
        select g.*, row_number() over () as ord
        from pgcortex.get_learning_patterns(
            active_only => true,
            max_results => get_contextual_knowledge.max_patterns,
            as_of => get_contextual_knowledge.as_of
        ) as g
    ) as p;

    return pg_catalog.jsonb_build_object(
        'query', get_contextual_knowledge.query,
        'namespace', _ns,
        'session_id', get_contextual_knowledge.session_id,
        'generated_at', get_contextual_knowledge.as_of,
        'memories', coalesce(_memories, '[]'),
        'preferences', _prefs,
        'recent_turns', _turns,
        'clusters', _clusters,
        'patterns', _patterns,
        'counts', pg_catalog.jsonb_build_object(
            'memories', pg_catalog.jsonb_array_length(coalesce(_memories, '[]')),
            'preferences', (select count(*) from pg_catalog.jsonb_object_keys(_prefs)),
            'recent_turns', pg_catalog.jsonb_array_length(_turns),
            'clusters', pg_catalog.jsonb_array_length(_clusters),
            'patterns', pg_catalog.jsonb_array_length(_patterns)
        )
    );
end
$$;

COMMENT ON FUNCTION pgcortex.get_contextual_knowledge(query text, query_embedding public.vector, embedding_model text, session_id uuid, max_memories integer, max_turns integer, max_clusters integer, max_patterns integer, min_relevance real, cluster_min_relevance real, track boolean, as_of timestamp with time zone) IS 'One JSON document with what an agent needs for a query: memories (top max_memories by pgcortex.search_memories, accesses counted unless track is false), preferences (key -> value, confidence, source), recent_turns (last max_turns of the session or namespace, oldest first), clusters (relevant to the query, see get_knowledge_clusters), patterns (active, strongest first) and counts of each. PC003 with neither query nor embedding, PC004 limits outside 0..1000, PC030 unknown session; the search''s own codes (PC010, PC011, PC012) pass through.';

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

COMMENT ON TABLE pgcortex.conversation_turns IS 'Every turn of every conversation (the original memory module kept only the last 50 in process memory).';

COMMENT ON COLUMN pgcortex.conversation_turns.memory_id IS 'The conversation memory this turn became, if it was substantial enough.';

CREATE FUNCTION pgcortex.get_conversation_context(session_id uuid DEFAULT NULL::uuid, max_turns integer DEFAULT 10) RETURNS SETOF pgcortex.conversation_turn_result
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT r.turn_id,
     r.session_id,
     r.role,
     r.content,
     r.context,
     r.memory_id,
     r.created_at
    FROM ( SELECT t.turn_id,
             t.session_id,
             t.role,
             t.content,
             t.context,
             t.memory_id,
             t.created_at
            FROM pgcortex.conversation_turns t
           WHERE (((t.namespace)::text = ( SELECT pgcortex.current_namespace() AS current_namespace)) AND ((get_conversation_context.session_id IS NULL) OR (t.session_id = get_conversation_context.session_id)))
           ORDER BY t.created_at DESC, t.turn_id DESC
          LIMIT GREATEST(COALESCE(get_conversation_context.max_turns, 10), 0)) r
   ORDER BY r.created_at, r.turn_id;
END;

COMMENT ON FUNCTION pgcortex.get_conversation_context(session_id uuid, max_turns integer) IS 'The last max_turns conversation turns of a session, or of the whole namespace when session_id is null, in conversation order (oldest first).';

CREATE FUNCTION pgcortex.namespace_embedding_model() RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION pgcortex.namespace_embedding_model() IS 'The current embedding model of this namespace: the one its embeddings were stored with or it switched to, else the deployment default. Stores and searches with another model raise PC012.';

CREATE FUNCTION pgcortex_internal.cluster_pending(as_of timestamp with time zone DEFAULT now()) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _ns text := pgcortex.current_namespace();
    _ids uuid[];
    _i integer;
begin
    -- A read-only transaction (a hot standby's among them) reads the clusters
    -- as they are: what the primary has clustered so far.
    if pg_catalog.current_setting('transaction_read_only') = 'on' then
        return 0;
    end if;
    if not exists (select from pgcortex.cluster_queue as q where q.namespace = _ns) then
        return 0;
    end if;
    -- Claim what no other session has claimed: a memory is clustered once, and
    -- two sessions draining the queue never wait for each other. A rollback
    -- puts the claimed rows back.
    with claimed as (
        delete from pgcortex.cluster_queue as q
        where (q.namespace, q.memory_id) in (
            select p.namespace, p.memory_id
            from pgcortex.cluster_queue as p
            where p.namespace = _ns
            for update skip locked
        )
        returning q.memory_id
    )
    select pg_catalog.array_agg(c.memory_id order by c.memory_id) into _ids from claimed as c;
    if _ids is null then
        return 0;
    end if;
    -- In slices of 100 in id order (the order they were stored in): each slice
    -- joins the centroids the slices before it founded or moved, as batch
    -- stores of 100 did when clustering ran inside the store. One call over a
    -- long queue would compare later memories with single leaders instead of
    -- centroids and found more, smaller clusters.
    for _i in 1..cardinality(_ids) by 100 loop
        perform pgcortex_internal.cluster_memories(_ids[_i:_i + 99], cluster_pending.as_of);
    end loop;
    return cardinality(_ids);
end
$$;

COMMENT ON FUNCTION pgcortex_internal.cluster_pending(as_of timestamp with time zone) IS 'Takes the namespace''s memories queued in pgcortex.cluster_queue (rows another session holds are skipped, never waited for) and clusters them with pgcortex_internal.cluster_memories, 100 at a time in id (store) order so that later ones join the centroids earlier ones founded; returns how many it took. Does nothing (no write, no error) when the queue is empty or the transaction is read-only (a hot standby reads what the primary clustered). Called first by every function that reads or changes clusters, and by pgcortex.maint_run.';

CREATE FUNCTION pgcortex_internal.content_hash(content text) RETURNS bytea
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN sha256(convert_to(NORMALIZE(lower(btrim(regexp_replace(content, '\s+'::text, ' '::text, 'g'::text))), NFC), 'UTF8'::name));

COMMENT ON FUNCTION pgcortex_internal.content_hash(content text) IS 'Exact-dedup key: sha256 of the content lower-cased, NFC-normalised, trimmed, white space folded.';

CREATE FUNCTION pgcortex_internal.new_id() RETURNS uuid
    LANGUAGE sql PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN uuidv7();

COMMENT ON FUNCTION pgcortex_internal.new_id() IS 'A new time-ordered (version 7 layout) uuid: the default of every id column.';

CREATE TABLE pgcortex.cluster_members (
    namespace pgcortex.namespace_name NOT NULL,
    cluster_id uuid NOT NULL,
    memory_id uuid NOT NULL,
    similarity real,
    joined_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY pgcortex.cluster_members FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.cluster_members IS 'Which memory belongs to which knowledge cluster (the original memory module''s knowledge_clusters.memories array, with integrity).';

CREATE TABLE pgcortex.knowledge_clusters (
    id uuid DEFAULT pgcortex_internal.new_id() NOT NULL,
    namespace pgcortex.namespace_name DEFAULT 'default'::text NOT NULL,
    name text NOT NULL,
    description text,
    cluster_key text,
    confidence real DEFAULT 1.0 NOT NULL,
    importance_score real DEFAULT 1.0 NOT NULL,
    topics text[] DEFAULT '{}'::text[] NOT NULL,
    centroid public.vector,
    centroid_model text,
    member_count integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_updated timestamp with time zone DEFAULT now() NOT NULL,
    origin text DEFAULT 'auto'::text NOT NULL,
    CONSTRAINT knowledge_clusters_centroid_model_check CHECK (((centroid IS NULL) = (centroid_model IS NULL))),
    CONSTRAINT knowledge_clusters_confidence_check CHECK (((confidence >= (0)::double precision) AND (confidence <= (1)::double precision))),
    CONSTRAINT knowledge_clusters_importance_score_check CHECK (((importance_score >= (0)::double precision) AND (importance_score <= (5)::double precision))),
    CONSTRAINT knowledge_clusters_member_count_check CHECK ((member_count >= 0)),
    CONSTRAINT knowledge_clusters_name_check CHECK (((length(name) >= 1) AND (length(name) <= 255))),
    CONSTRAINT knowledge_clusters_origin_check CHECK ((origin = ANY (ARRAY['auto'::text, 'explicit'::text])))
);

ALTER TABLE ONLY pgcortex.knowledge_clusters FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.knowledge_clusters IS 'Groups of related memories: by embedding centroid, or by the original memory module''s key (type and tags) for memories without an embedding.';

COMMENT ON COLUMN pgcortex.knowledge_clusters.cluster_key IS 'For clusters of memories without embeddings: the original memory module''s key, memory type and sorted tags.';

COMMENT ON COLUMN pgcortex.knowledge_clusters.importance_score IS '0..5; see pgcortex.maint_recluster for the formula.';

COMMENT ON COLUMN pgcortex.knowledge_clusters.centroid IS 'Mean of the members'' embeddings of the model centroid_model (normalised).';

COMMENT ON COLUMN pgcortex.knowledge_clusters.origin IS 'auto: kept by the clustering trigger and pgcortex.maint_recluster (merged, dissolved when empty); explicit: stored by pgcortex.store_knowledge_cluster (membership is the caller''s, never merged or dissolved).';

CREATE TABLE pgcortex.memories (
    id uuid DEFAULT pgcortex_internal.new_id() NOT NULL,
    namespace pgcortex.namespace_name DEFAULT 'default'::text NOT NULL,
    content text NOT NULL,
    content_hash bytea GENERATED ALWAYS AS (pgcortex_internal.content_hash(content)) STORED,
    content_tsv tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, content)) STORED,
    memory_type text NOT NULL,
    importance smallint DEFAULT 3 NOT NULL,
    confidence real DEFAULT 1.0 NOT NULL,
    tags text[] DEFAULT '{}'::text[] NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    embedding public.vector,
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
WITH (fillfactor='90', toast_tuple_target='8160');
ALTER TABLE ONLY pgcortex.memories ALTER COLUMN embedding SET STORAGE MAIN;

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

COMMENT ON COLUMN pgcortex.memories.embedding IS 'Embedding of the content by the model embedding_model, of that model''s dimensions (null for text-only memories).';

COMMENT ON COLUMN pgcortex.memories.embedding_model IS 'The registered model (pgcortex.embedding_models) that made the embedding.';

COMMENT ON COLUMN pgcortex.memories.expires_at IS 'After this time the memory is invisible to every read and purged by maintenance.';

CREATE FUNCTION pgcortex_internal.cluster_result(cluster_id uuid, similarity real DEFAULT NULL::real, topic_matches integer DEFAULT NULL::integer, relevance real DEFAULT NULL::real) RETURNS pgcortex.knowledge_cluster_result
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT c.id,
     c.name,
     c.description,
     c.origin,
     c.cluster_key,
     c.topics,
     c.member_count,
     c.importance_score,
     c.confidence,
     cluster_result.similarity AS similarity,
     cluster_result.topic_matches AS topic_matches,
     cluster_result.relevance AS relevance,
     ( SELECT COALESCE(array_agg(x.memory_id ORDER BY x.rn), '{}'::uuid[]) AS "coalesce"
            FROM ( SELECT cm.memory_id,
                     row_number() OVER (ORDER BY m.importance DESC, m.created_at DESC, m.id) AS rn
                    FROM (pgcortex.cluster_members cm
                      JOIN pgcortex.memories m ON ((((cm.namespace)::text = (m.namespace)::text) AND (cm.memory_id = m.id))))
                   WHERE (((cm.namespace)::text = (c.namespace)::text) AND (cm.cluster_id = c.id))
                   ORDER BY (row_number() OVER (ORDER BY m.importance DESC, m.created_at DESC, m.id))
                  LIMIT 5) x) AS top_memory_ids,
     c.created_at,
     c.last_updated
    FROM pgcortex.knowledge_clusters c
   WHERE (((c.namespace)::text = ( SELECT pgcortex.current_namespace() AS current_namespace)) AND (c.id = cluster_result.cluster_id));
END;

COMMENT ON FUNCTION pgcortex_internal.cluster_result(cluster_id uuid, similarity real, topic_matches integer, relevance real) IS 'One knowledge cluster of the namespace as pgcortex.knowledge_cluster_result, with its five most important members (internal helper).';

CREATE FUNCTION pgcortex_internal.model_vector(embedding public.vector, model pgcortex_internal.embedding_model_sql, label text DEFAULT 'embedding'::text) RETURNS public.vector
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION pgcortex_internal.model_vector(embedding public.vector, model pgcortex_internal.embedding_model_sql, label text) IS 'The vector, checked for the model (PC010 dimensions, PC011 values) and scaled to length 1 when the model normalises. Internal helper.';

CREATE FUNCTION pgcortex.get_knowledge_clusters(query text DEFAULT NULL::text, query_embedding public.vector DEFAULT NULL::public.vector, embedding_model text DEFAULT NULL::text, min_relevance real DEFAULT 0.3, max_results integer DEFAULT 10) RETURNS SETOF pgcortex.knowledge_cluster_result
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT pgcortex_internal.model_vector(query_embedding, pgcortex_internal.embedding_model_sql(COALESCE(embedding_model, pgcortex.namespace_embedding_model()))) AS model_vector
   WHERE (query_embedding IS NOT NULL);
 SELECT pgcortex_internal.cluster_pending() AS cluster_pending;
 WITH q AS (
          SELECT lower(get_knowledge_clusters.query) AS text,
             ARRAY( SELECT l.lexeme
                    FROM unnest(to_tsvector('english'::regconfig, COALESCE(get_knowledge_clusters.query, ''::text))) l(lexeme, positions, weights)) AS lexemes,
             get_knowledge_clusters.query_embedding AS embedding
         ), scored AS (
          SELECT c.id,
             c.importance_score,
                 CASE
                     WHEN ((q.embedding IS NOT NULL) AND (c.centroid_model = get_knowledge_clusters.embedding_model)) THEN (((1)::double precision - (c.centroid OPERATOR(public.<=>) q.embedding)))::real
                     ELSE NULL::real
                 END AS similarity,
             ( SELECT (count(*))::integer AS count
                    FROM unnest(c.topics) t(topic)
                   WHERE ((q.text IS NOT NULL) AND ((strpos(q.text, lower(t.topic)) > 0) OR ((ts_lexize('english_stem'::regdictionary, lower(t.topic)))[1] = ANY (q.lexemes))))) AS topic_matches
            FROM (pgcortex.knowledge_clusters c
              CROSS JOIN q)
           WHERE ((c.namespace)::text = ( SELECT pgcortex.current_namespace() AS current_namespace))
         ), ranked AS (
          SELECT s.id,
             s.importance_score,
             s.similarity,
             s.topic_matches,
             GREATEST(COALESCE(s.similarity, (0)::real), (
                 CASE
                     WHEN (s.topic_matches > 0) THEN LEAST((1)::numeric, (0.5 + (0.1 * ((s.topic_matches - 1))::numeric)))
                     ELSE (0)::numeric
                 END)::real) AS relevance
            FROM scored s
         )
  SELECT r.cluster_id,
     r.name,
     r.description,
     r.origin,
     r.cluster_key,
     r.topics,
     r.member_count,
     r.importance_score,
     r.confidence,
     r.similarity,
     r.topic_matches,
     r.relevance,
     r.top_memory_ids,
     r.created_at,
     r.last_updated
    FROM (ranked rk
      CROSS JOIN LATERAL pgcortex_internal.cluster_result(rk.id, rk.similarity, rk.topic_matches, rk.relevance) r(cluster_id, name, description, origin, cluster_key, topics, member_count, importance_score, confidence, similarity, topic_matches, relevance, top_memory_ids, created_at, last_updated))
   WHERE (((get_knowledge_clusters.query IS NULL) AND (get_knowledge_clusters.query_embedding IS NULL)) OR (rk.relevance >= COALESCE(get_knowledge_clusters.min_relevance, (0)::real)))
   ORDER BY
         CASE
             WHEN ((get_knowledge_clusters.query IS NULL) AND (get_knowledge_clusters.query_embedding IS NULL)) THEN rk.importance_score
             ELSE rk.relevance
         END DESC, rk.importance_score DESC, rk.id
  LIMIT GREATEST(COALESCE(get_knowledge_clusters.max_results, 10), 0);
END;

COMMENT ON FUNCTION pgcortex.get_knowledge_clusters(query text, query_embedding public.vector, embedding_model text, min_relevance real, max_results integer) IS 'Knowledge clusters relevant to a query: relevance = max(centroid similarity to query_embedding (same model only), topic score (0.5 for one topic found in the query, +0.1 per further topic, at most 1)); those >= min_relevance, best first. With neither query nor embedding: the most important clusters. Clusters the queued memories first (pgcortex_internal.cluster_pending; not in a read-only transaction, which sees the clusters as they are).';

CREATE TABLE pgcortex.knowledge_settings (
    namespace pgcortex.namespace_name NOT NULL,
    turn_memories boolean,
    turn_memory_min_chars integer,
    turn_memory_importance smallint,
    turn_memory_key_importance smallint,
    turn_memory_key_pattern text,
    cluster_similarity real,
    cluster_merge_similarity real,
    pattern_min_turns integer,
    pattern_min_term_turns integer,
    pattern_min_questions integer,
    pattern_max_topics integer,
    pattern_max_examples integer,
    pattern_active_days integer,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT knowledge_settings_cluster_similarity_check CHECK ((((cluster_similarity >= ('-1'::integer)::double precision) AND (cluster_similarity <= (1)::double precision)) AND ((cluster_merge_similarity >= ('-1'::integer)::double precision) AND (cluster_merge_similarity <= (1)::double precision)))),
    CONSTRAINT knowledge_settings_pattern_check CHECK (((pattern_min_turns >= 1) AND (pattern_min_term_turns >= 1) AND (pattern_min_questions >= 1) AND ((pattern_max_topics >= 0) AND (pattern_max_topics <= 100)) AND ((pattern_max_examples >= 1) AND (pattern_max_examples <= 10)) AND (pattern_active_days >= 1))),
    CONSTRAINT knowledge_settings_turn_memory_importance_check CHECK ((((turn_memory_importance >= 1) AND (turn_memory_importance <= 5)) AND ((turn_memory_key_importance >= 1) AND (turn_memory_key_importance <= 5)))),
    CONSTRAINT knowledge_settings_turn_memory_min_chars_check CHECK (((turn_memory_min_chars >= 0) AND (turn_memory_min_chars <= 100000)))
);

ALTER TABLE ONLY pgcortex.knowledge_settings FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.knowledge_settings IS 'Per-namespace overrides of the knowledge rules (a null column takes the default of pgcortex.knowledge_settings()). Written by pgcortex.set_knowledge_settings().';

COMMENT ON COLUMN pgcortex.knowledge_settings.turn_memories IS 'Whether substantial conversation turns are also stored as conversation memories (default true).';

COMMENT ON COLUMN pgcortex.knowledge_settings.turn_memory_min_chars IS 'A turn longer than this many characters is substantial (default 50).';

COMMENT ON COLUMN pgcortex.knowledge_settings.turn_memory_key_pattern IS 'Case-insensitive regular expression; a substantial turn matching it gets turn_memory_key_importance (default: strategy, goals, priorities, plans, decisions).';

COMMENT ON COLUMN pgcortex.knowledge_settings.cluster_similarity IS 'Cosine similarity to a cluster centroid at or above which a new memory joins that cluster (default 0.35).';

COMMENT ON COLUMN pgcortex.knowledge_settings.cluster_merge_similarity IS 'Cosine similarity of two centroids at or above which re-clustering merges them (default 0.70).';

CREATE FUNCTION pgcortex.knowledge_settings() RETURNS pgcortex.knowledge_settings_row
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT COALESCE(s.turn_memories, true) AS turn_memories,
     COALESCE(s.turn_memory_min_chars, 50) AS turn_memory_min_chars,
     COALESCE(s.turn_memory_importance, (2)::smallint) AS turn_memory_importance,
     COALESCE(s.turn_memory_key_importance, (3)::smallint) AS turn_memory_key_importance,
     COALESCE(s.turn_memory_key_pattern, '\m(strateg|goal|priorit|plan|decision|decid)'::text) AS turn_memory_key_pattern,
     COALESCE(s.cluster_similarity, (0.35)::real) AS cluster_similarity,
     COALESCE(s.cluster_merge_similarity, (0.70)::real) AS cluster_merge_similarity,
     COALESCE(s.pattern_min_turns, 5) AS pattern_min_turns,
     COALESCE(s.pattern_min_term_turns, 3) AS pattern_min_term_turns,
     COALESCE(s.pattern_min_questions, 3) AS pattern_min_questions,
     COALESCE(s.pattern_max_topics, 5) AS pattern_max_topics,
     COALESCE(s.pattern_max_examples, 5) AS pattern_max_examples,
     COALESCE(s.pattern_active_days, 30) AS pattern_active_days
    FROM (( SELECT 1 AS "?column?") one
      LEFT JOIN pgcortex.knowledge_settings s ON (((s.namespace)::text = ( SELECT pgcortex.current_namespace() AS current_namespace))));
END;

COMMENT ON FUNCTION pgcortex.knowledge_settings() IS 'Knowledge rules in force for the namespace: stored overrides else defaults (turn memories on, > 50 characters, importance 2 or 3 on strategy/goal/priority/plan/decision words; cluster similarity 0.35, merge 0.70; patterns from >= 5 user turns, a term in >= 3 turns, >= 3 questions, 5 topics, 5 examples, active 30 days).';

CREATE TABLE pgcortex.learning_pattern_evidence (
    namespace pgcortex.namespace_name NOT NULL,
    pattern_id uuid NOT NULL,
    evidence_key text NOT NULL,
    session_id uuid,
    memory_id uuid,
    turn_id bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT learning_pattern_evidence_key_check CHECK (((length(evidence_key) >= 1) AND (length(evidence_key) <= 255)))
);

ALTER TABLE ONLY pgcortex.learning_pattern_evidence FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.learning_pattern_evidence IS 'What a learning pattern was learned from (a turn, a session, a memory or a caller-given key), one row per piece of evidence: a pattern''s frequency counts each piece once, so re-running detection never counts the same turns twice.';

CREATE TABLE pgcortex.learning_patterns (
    pattern_id uuid DEFAULT pgcortex_internal.new_id() NOT NULL,
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

CREATE FUNCTION pgcortex_internal.learning_pattern_row(pattern_id uuid, new_evidence integer) RETURNS pgcortex.learning_pattern_result
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT p.pattern_id,
     p.pattern_type,
     p.description,
     p.frequency,
     p.confidence,
     p.examples,
     ( SELECT (count(*))::integer AS count
            FROM pgcortex.learning_pattern_evidence e
           WHERE (((e.namespace)::text = (p.namespace)::text) AND (e.pattern_id = p.pattern_id))) AS evidence_count,
     learning_pattern_row.new_evidence AS new_evidence,
     p.discovered_at,
     p.updated_at
    FROM pgcortex.learning_patterns p
   WHERE (((p.namespace)::text = ( SELECT pgcortex.current_namespace() AS current_namespace)) AND (p.pattern_id = learning_pattern_row.pattern_id));
END;

COMMENT ON FUNCTION pgcortex_internal.learning_pattern_row(pattern_id uuid, new_evidence integer) IS 'One learning pattern of the namespace as pgcortex.learning_pattern_result (internal helper of the pattern functions).';

CREATE FUNCTION pgcortex.get_learning_patterns(pattern_type text DEFAULT NULL::text, active_only boolean DEFAULT false, max_results integer DEFAULT 50, as_of timestamp with time zone DEFAULT now()) RETURNS SETOF pgcortex.learning_pattern_result
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT r.pattern_id,
     r.pattern_type,
     r.description,
     r.frequency,
     r.confidence,
     r.examples,
     r.evidence_count,
     r.new_evidence,
     r.discovered_at,
     r.updated_at
    FROM (pgcortex.learning_patterns p
      CROSS JOIN LATERAL pgcortex_internal.learning_pattern_row(p.pattern_id, 0) r(pattern_id, pattern_type, description, frequency, confidence, examples, evidence_count, new_evidence, discovered_at, updated_at))
   WHERE (((p.namespace)::text = ( SELECT pgcortex.current_namespace() AS current_namespace)) AND ((get_learning_patterns.pattern_type IS NULL) OR (p.pattern_type = get_learning_patterns.pattern_type)) AND ((NOT get_learning_patterns.active_only) OR (p.updated_at >= (get_learning_patterns.as_of - make_interval(days => ( SELECT s.pattern_active_days
            FROM pgcortex.knowledge_settings() s(turn_memories, turn_memory_min_chars, turn_memory_importance, turn_memory_key_importance, turn_memory_key_pattern, cluster_similarity, cluster_merge_similarity, pattern_min_turns, pattern_min_term_turns, pattern_min_questions, pattern_max_topics, pattern_max_examples, pattern_active_days)))))))
   ORDER BY (p.confidence * (p.frequency)::double precision) DESC, p.updated_at DESC, p.pattern_id
  LIMIT GREATEST(COALESCE(get_learning_patterns.max_results, 50), 0);
END;

COMMENT ON FUNCTION pgcortex.get_learning_patterns(pattern_type text, active_only boolean, max_results integer, as_of timestamp with time zone) IS 'Learning patterns of the namespace, strongest (confidence x frequency) first; active_only keeps those updated within pattern_active_days of as_of.';

CREATE FUNCTION pgcortex.get_memories(memory_ids uuid[], track boolean DEFAULT true, include_embedding boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS SETOF pgcortex.memory_row
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
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
                m.namespace = (select pgcortex.current_namespace())
                and m.id = any(get_memories.memory_ids)
                and (m.expires_at is null or m.expires_at > get_memories.as_of)
        );
        if pg_catalog.cardinality(_found) > 0 then
            perform pgcortex_internal.log_access(pgcortex.current_namespace(), _found, get_memories.as_of);
        end if;
    end if;
    return query
    select * from pgcortex_internal.memory_rows(
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
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
begin
    if get_memory.memory_id is null then
        raise exception using errcode = 'PC003', message = 'memory_id is required';
    end if;
    if not exists (
        select from pgcortex.memories as m
        where
            m.namespace = (select pgcortex.current_namespace())
            and m.id = get_memory.memory_id
            and (m.expires_at is null or m.expires_at > get_memory.as_of)
    ) then
        raise exception using
            errcode = 'PC030',
            message = pg_catalog.format('no memory %s in this namespace', get_memory.memory_id);
    end if;
    if coalesce(get_memory.track, true) then
        perform pgcortex_internal.log_access(
            pgcortex.current_namespace(), array[get_memory.memory_id], get_memory.as_of
        );
    end if;
    return query
    select * from pgcortex_internal.memory_rows(
        array[get_memory.memory_id], get_memory.include_embedding, get_memory.as_of
    );
end
$$;

COMMENT ON FUNCTION pgcortex.get_memory(memory_id uuid, track boolean, include_embedding boolean, as_of timestamp with time zone) IS 'One memory by id, with its exact access count (this read included when track) and related ids. Raises PC030 when there is no such unexpired memory in the namespace.';

CREATE FUNCTION pgcortex_internal.pending_accesses() RETURNS TABLE(memory_id uuid, pending bigint, last_accessed timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    if pg_catalog.pg_is_in_recovery() then
        return;
    end if;
    return query
    select g.memory_id, count(*), max(g.accessed_at)
    from pgcortex.memory_access_log as g
    where g.namespace = _ns
    group by g.memory_id;
end
$$;

COMMENT ON FUNCTION pgcortex_internal.pending_accesses() IS 'The current namespace''s accesses still in the (unlogged) access log, one row per memory: how many and the last. Returns nothing on a hot standby, which cannot read unlogged tables (it has the folded counts of pgcortex.memory_access only). The views and the reads that show exact access counts of many memories join it.';

CREATE TABLE pgcortex.conversation_sessions (
    session_id uuid DEFAULT pgcortex_internal.new_id() NOT NULL,
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

CREATE VIEW pgcortex.memory_summary_v WITH (security_barrier='true') AS
 WITH namespaces AS (
         SELECT m.namespace
           FROM pgcortex.memories m
          WHERE ((m.namespace)::text = ( SELECT pgcortex.current_namespace() AS current_namespace))
        UNION
         SELECT p.namespace
           FROM pgcortex.user_preferences p
        UNION
         SELECT s.namespace
           FROM pgcortex.conversation_sessions s
        UNION
         SELECT t.namespace
           FROM pgcortex.conversation_turns t
        UNION
         SELECT l.namespace
           FROM pgcortex.learning_patterns l
        UNION
         SELECT c.namespace
           FROM pgcortex.knowledge_clusters c
        ), live AS (
         SELECT m.namespace,
            m.id,
            m.content,
            m.memory_type,
            m.importance,
            m.embedding_model,
            m.created_at
           FROM pgcortex.memories m
          WHERE (((m.namespace)::text = ( SELECT pgcortex.current_namespace() AS current_namespace)) AND ((m.expires_at IS NULL) OR (m.expires_at > now())))
        )
 SELECT (namespace)::text AS namespace,
    ( SELECT count(*) AS count
           FROM live m
          WHERE ((m.namespace)::text = (n.namespace)::text)) AS memories,
    ( SELECT COALESCE(jsonb_object_agg(x.memory_type, x.n ORDER BY x.memory_type), '{}'::jsonb) AS "coalesce"
           FROM ( SELECT m.memory_type,
                    count(*) AS n
                   FROM live m
                  WHERE ((m.namespace)::text = (n.namespace)::text)
                  GROUP BY m.memory_type) x) AS memories_by_type,
    ( SELECT count(*) AS count
           FROM live m
          WHERE (((m.namespace)::text = (n.namespace)::text) AND (m.embedding_model IS NOT NULL))) AS memories_with_embedding,
    ( SELECT count(*) AS count
           FROM pgcortex.user_preferences p
          WHERE ((p.namespace)::text = (n.namespace)::text)) AS preferences,
    ( SELECT count(*) AS count
           FROM pgcortex.knowledge_clusters c
          WHERE ((c.namespace)::text = (n.namespace)::text)) AS clusters,
    ( SELECT count(*) AS count
           FROM pgcortex.learning_patterns l
          WHERE ((l.namespace)::text = (n.namespace)::text)) AS patterns,
    ( SELECT count(*) AS count
           FROM pgcortex.conversation_sessions s
          WHERE ((s.namespace)::text = (n.namespace)::text)) AS sessions,
    ( SELECT count(*) AS count
           FROM pgcortex.conversation_sessions s
          WHERE (((s.namespace)::text = (n.namespace)::text) AND (s.ended_at IS NULL))) AS open_sessions,
    ( SELECT round(avg(s.duration_seconds), 1) AS round
           FROM pgcortex.conversation_sessions s
          WHERE ((s.namespace)::text = (n.namespace)::text)) AS avg_session_seconds,
    ( SELECT count(*) AS count
           FROM pgcortex.conversation_turns t
          WHERE ((t.namespace)::text = (n.namespace)::text)) AS turns,
    ( SELECT COALESCE(jsonb_agg(to_jsonb(x.*) ORDER BY x.access_count DESC, x.id), '[]'::jsonb) AS "coalesce"
           FROM ( SELECT m.id,
                    "left"(m.content, 200) AS content,
                    m.memory_type,
                    m.importance,
                    (COALESCE(a.access_count, (0)::bigint) + COALESCE(g.pending, (0)::bigint)) AS access_count,
                    GREATEST(a.last_accessed, g.last_accessed) AS last_accessed
                   FROM ((live m
                     LEFT JOIN pgcortex.memory_access a ON ((((m.namespace)::text = (a.namespace)::text) AND (m.id = a.memory_id))))
                     LEFT JOIN pgcortex_internal.pending_accesses() g(memory_id, pending, last_accessed) ON ((m.id = g.memory_id)))
                  WHERE (((m.namespace)::text = (n.namespace)::text) AND ((a.memory_id IS NOT NULL) OR (g.pending > 0)))
                  ORDER BY (COALESCE(a.access_count, (0)::bigint) + COALESCE(g.pending, (0)::bigint)) DESC, m.id
                 LIMIT 5) x) AS most_accessed,
    ( SELECT COALESCE(jsonb_agg(to_jsonb(x.*) ORDER BY x.importance DESC, x.created_at DESC, x.id), '[]'::jsonb) AS "coalesce"
           FROM ( SELECT m.id,
                    "left"(m.content, 200) AS content,
                    m.memory_type,
                    m.importance,
                    m.created_at
                   FROM live m
                  WHERE ((m.namespace)::text = (n.namespace)::text)
                  ORDER BY m.importance DESC, m.created_at DESC, m.id
                 LIMIT 5) x) AS most_important
   FROM namespaces n;

COMMENT ON VIEW pgcortex.memory_summary_v IS 'One row per namespace: unexpired memories (total, by type, with embedding), preferences, clusters (as clustered so far: memories still in pgcortex.cluster_queue count once a cluster read clusters them), patterns, sessions (total, open, average duration in seconds of ended ones), turns, and the five most accessed and five most important memories (JSON). Only the namespace set for the session (pgcortex.namespace), for every role.';

CREATE FUNCTION pgcortex.get_memory_summary() RETURNS SETOF pgcortex.memory_summary_v
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT pgcortex_internal.cluster_pending() AS cluster_pending;
 SELECT v.namespace,
     v.memories,
     v.memories_by_type,
     v.memories_with_embedding,
     v.preferences,
     v.clusters,
     v.patterns,
     v.sessions,
     v.open_sessions,
     v.avg_session_seconds,
     v.turns,
     v.most_accessed,
     v.most_important
    FROM pgcortex.memory_summary_v v
   WHERE (v.namespace = ( SELECT pgcortex.current_namespace() AS current_namespace))
 UNION ALL
  SELECT pgcortex.current_namespace() AS namespace,
     0 AS memories,
     '{}'::jsonb AS memories_by_type,
     0 AS memories_with_embedding,
     0 AS preferences,
     0 AS clusters,
     0 AS patterns,
     0 AS sessions,
     0 AS open_sessions,
     NULL::numeric AS avg_session_seconds,
     0 AS turns,
     '[]'::jsonb AS most_accessed,
     '[]'::jsonb AS most_important
   WHERE (NOT (EXISTS ( SELECT
            FROM pgcortex.memory_summary_v v
           WHERE (v.namespace = ( SELECT pgcortex.current_namespace() AS current_namespace)))));
END;

COMMENT ON FUNCTION pgcortex.get_memory_summary() IS 'The namespace''s row of pgcortex.memory_summary_v (memories by type, preferences, clusters, patterns, sessions and average duration, turns, most accessed and most important memories); a row of zeros when the namespace is empty. Clusters the queued memories first (pgcortex_internal.cluster_pending), so the count of clusters includes them.';

CREATE TABLE pgcortex.user_preference_history (
    change_id bigint NOT NULL,
    namespace pgcortex.namespace_name NOT NULL,
    key text NOT NULL,
    value jsonb NOT NULL,
    confidence real NOT NULL,
    source text NOT NULL,
    session_id uuid,
    memory_id uuid,
    applied boolean NOT NULL,
    previous_value jsonb,
    previous_confidence real,
    changed_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY pgcortex.user_preference_history FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.user_preference_history IS 'Every preference update offered to pgcortex.learn_user_preference, with its source, the session or memory it came from, and whether it replaced the value held (applied).';

CREATE FUNCTION pgcortex.get_preference_history(key text DEFAULT NULL::text, max_results integer DEFAULT 100) RETURNS TABLE(change_id bigint, preference_key text, value jsonb, confidence real, source text, session_id uuid, memory_id uuid, applied boolean, previous_value jsonb, previous_confidence real, changed_at timestamp with time zone)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT h.change_id,
     h.key,
     h.value,
     h.confidence,
     h.source,
     h.session_id,
     h.memory_id,
     h.applied,
     h.previous_value,
     h.previous_confidence,
     h.changed_at
    FROM pgcortex.user_preference_history h
   WHERE (((h.namespace)::text = ( SELECT pgcortex.current_namespace() AS current_namespace)) AND ((get_preference_history.key IS NULL) OR (h.key = get_preference_history.key)))
   ORDER BY h.change_id DESC
  LIMIT GREATEST(COALESCE(get_preference_history.max_results, 100), 0);
END;

COMMENT ON FUNCTION pgcortex.get_preference_history(key text, max_results integer) IS 'History of preference offers (value, confidence, source, session, memory, applied or not, what was held before), newest first.';

CREATE FUNCTION pgcortex.get_session_items(session_key text, max_items integer DEFAULT NULL::integer) RETURNS TABLE(turn_id bigint, role text, item json, created_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
declare
    _session uuid;
begin
    perform pgcortex_internal.check_session_key(get_session_items.session_key);
    if get_session_items.max_items < 0 then
        raise exception using errcode = 'PC004', message = 'max_items must not be negative';
    end if;
    _session := pgcortex.session_by_key(get_session_items.session_key);
    if _session is null then
        return;
    end if;
    return query
    select
        r.turn_id,
        r.role,
        r.item,
        r.created_at
    from (
        select
            t.turn_id,
            t.role,
            coalesce(
                (t.context ->> 'session_item')::json,
                pg_catalog.json_build_object(
                    'role', case t.role when 'tool' then 'assistant' else t.role end,
                    'content', t.content
                )
            ) as item,
            t.created_at
        from pgcortex.conversation_turns as t
        where t.namespace = (select pgcortex.current_namespace()) and t.session_id = _session
        order by t.turn_id desc
        limit get_session_items.max_items
    ) as r
    order by r.turn_id;
end
$$;

COMMENT ON FUNCTION pgcortex.get_session_items(session_key text, max_items integer) IS 'The items of the session whose metadata has this session_key: the newest max_items (all when null) in the order they were added, each as its exact stored JSON (a turn stored without one reads as {"role", "content"}). No rows when the key has no session. PC003 bad key, PC004 negative max_items.';

CREATE FUNCTION pgcortex.get_user_preferences(category text DEFAULT NULL::text) RETURNS TABLE(key text, value jsonb, confidence real, source text, created_at timestamp with time zone, updated_at timestamp with time zone)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT p.key,
     p.value,
     p.confidence,
     p.source,
     p.created_at,
     p.updated_at
    FROM pgcortex.user_preferences p
   WHERE (((p.namespace)::text = ( SELECT pgcortex.current_namespace() AS current_namespace)) AND ((get_user_preferences.category IS NULL) OR (strpos(lower(p.key), lower(get_user_preferences.category)) > 0)))
   ORDER BY p.key;
END;

COMMENT ON FUNCTION pgcortex.get_user_preferences(category text) IS 'Preferences of the namespace (key, value, confidence, source), all or those whose key contains category (case-insensitive), ordered by key.';

CREATE FUNCTION pgcortex.identify_learning_patterns(session_id uuid DEFAULT NULL::uuid, min_turns integer DEFAULT NULL::integer, min_term_turns integer DEFAULT NULL::integer, min_questions integer DEFAULT NULL::integer, max_topics integer DEFAULT NULL::integer, as_of timestamp with time zone DEFAULT now()) RETURNS SETOF pgcortex.learning_pattern_result
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _ns text := pgcortex.current_namespace();
    _s record;
    _n integer;
    _min_turns integer;
    _min_term integer;
    _min_q integer;
    _max_topics integer;
    _term record;
begin
    if identify_learning_patterns.session_id is not null and not exists (
        select from pgcortex.conversation_sessions as cs
        where cs.namespace = _ns and cs.session_id = identify_learning_patterns.session_id
    ) then
        raise exception using errcode = 'PC030', message = 'no such session in this namespace';
    end if;
    if least(
        identify_learning_patterns.min_turns, identify_learning_patterns.min_term_turns,
        identify_learning_patterns.min_questions
    ) < 1 or identify_learning_patterns.max_topics not between 0 and 100 then
        raise exception using
            errcode = 'PC004',
            message = 'thresholds must be >= 1 and max_topics between 0 and 100';
    end if;
    select * into _s from pgcortex.knowledge_settings();
    _min_turns := coalesce(identify_learning_patterns.min_turns, _s.pattern_min_turns);
    _min_term := coalesce(identify_learning_patterns.min_term_turns, _s.pattern_min_term_turns);
    _min_q := coalesce(identify_learning_patterns.min_questions, _s.pattern_min_questions);
    _max_topics := coalesce(identify_learning_patterns.max_topics, _s.pattern_max_topics);

    select count(*) into _n
    from pgcortex.conversation_turns as t
    where
        t.namespace = _ns and t.role = 'user' and t.created_at <= identify_learning_patterns.as_of
        and (identify_learning_patterns.session_id is null or t.session_id = identify_learning_patterns.session_id);
    if _n < _min_turns then
        return;
    end if;

    -- Recurring topics: document frequency of each lexeme over the turns'
    -- stored full-text vectors (what ts_stat counts as ndoc).
    for _term in
        select
            l.lexeme as term,
            count(distinct t.turn_id)::integer as ndoc,
            pg_catalog.array_agg(t.turn_id order by t.turn_id desc) as turns,
            pg_catalog.array_agg(t.session_id order by t.turn_id desc) as sessions,
            (pg_catalog.array_agg(pg_catalog.left(t.content, 200) order by t.turn_id desc)) as texts
        from pgcortex.conversation_turns as t
        cross join lateral unnest(t.content_tsv) as l
        where
            t.namespace = _ns and t.role = 'user' and t.created_at <= identify_learning_patterns.as_of
            and (identify_learning_patterns.session_id is null or t.session_id = identify_learning_patterns.session_id)
            and pgcortex_internal.is_topic_term(l.lexeme)
        group by l.lexeme
        having count(distinct t.turn_id) >= _min_term
        order by ndoc desc, l.lexeme
        limit _max_topics
    loop
        return next pgcortex_internal.record_learning_pattern(
            pattern_type => 'preference',
            description => 'user frequently discusses ' || pgcortex_internal.term_surface(_term.term, _term.texts),
            confidence => least(_term.ndoc::real / _n, 1)::real,
            examples => _term.texts,
            evidence_keys => array(select 'turn:' || x::text from unnest(_term.turns) as x),
            evidence_sessions => _term.sessions,
            evidence_memories => array(select null::uuid from unnest(_term.turns)),
            evidence_turns => _term.turns,
            max_examples => _s.pattern_max_examples,
            as_of => identify_learning_patterns.as_of
        );
    end loop;

    -- The question habit.
    for _term in
        select
            count(*)::integer as ndoc,
            pg_catalog.array_agg(t.turn_id order by t.turn_id desc) as turns,
            pg_catalog.array_agg(t.session_id order by t.turn_id desc) as sessions,
            pg_catalog.array_agg(pg_catalog.left(t.content, 200) order by t.turn_id desc) as texts
        from pgcortex.conversation_turns as t
        where
            t.namespace = _ns and t.role = 'user' and t.created_at <= identify_learning_patterns.as_of
            and (identify_learning_patterns.session_id is null or t.session_id = identify_learning_patterns.session_id)
            and (
                pg_catalog.strpos(t.content, '?') > 0
                or t.content ~* '^\s*(what|how|why|when|where|who|which|whose|can|could|should|would|is|are|do|does|did|will)\M'
            )
        having count(*) >= _min_q
    loop
        return next pgcortex_internal.record_learning_pattern(
            pattern_type => 'workflow',
            description => 'user asks many questions',
            confidence => least(_term.ndoc::real / _n, 1)::real,
            examples => _term.texts,
            evidence_keys => array(select 'turn:' || x::text from unnest(_term.turns) as x),
            evidence_sessions => _term.sessions,
            evidence_memories => array(select null::uuid from unnest(_term.turns)),
            evidence_turns => _term.turns,
            max_examples => _s.pattern_max_examples,
            as_of => identify_learning_patterns.as_of
        );
    end loop;
end
$$;

COMMENT ON FUNCTION pgcortex.identify_learning_patterns(session_id uuid, min_turns integer, min_term_turns integer, min_questions integer, max_topics integer, as_of timestamp with time zone) IS 'Detects learning patterns in the user turns of a session (or of the namespace when session_id is null), when there are at least min_turns of them: each term (english lexeme passing pgcortex_internal.is_topic_term) found in >= min_term_turns turns becomes a preference pattern "user frequently discusses <word>" (confidence = share of turns), >= min_questions questions a workflow pattern "user asks many questions". Thresholds default to pgcortex.knowledge_settings(). Evidence is per turn, so a second run over the same turns adds no frequency. Returns the patterns found with new_evidence.';

CREATE FUNCTION pgcortex.import_cluster_members(source text, items jsonb, strict boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(legacy_id text, outcome text, new_id text, reason text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(import_cluster_members.source, import_cluster_members.items);
    -- Memories queued for clustering join their automatic clusters before the
    -- import adds to clusters, as when they were clustered on store.
    perform pgcortex_internal.cluster_pending(import_cluster_members.as_of);
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_members') is not null then
        drop table pg_temp.pgcortex_import_members;
    end if;
    create temp table pgcortex_import_members on commit drop as
    select
        r.o::integer as o,
        (r.x ->> 'cluster_id') || ' ' || (r.x ->> 'memory_id') as legacy_id,
        r.x ->> 'cluster_id' as cluster_legacy,
        r.x ->> 'memory_id' as memory_legacy,
        (r.x ->> 'similarity')::real as similarity,
        coalesce((r.x ->> 'joined_at')::timestamptz, import_cluster_members.as_of) as joined_at,
        c.new_id::uuid as cluster_id,
        m.new_id::uuid as memory_id,
        null::text as reason,
        null::text as outcome
    from pg_catalog.jsonb_array_elements(import_cluster_members.items) with ordinality as r (x, o)
    left join pgcortex.import_ids as c
        on c.namespace = _ns and c.source = import_cluster_members.source
        and c.legacy_table = 'knowledge_clusters' and c.legacy_id = r.x ->> 'cluster_id'
    left join pgcortex.import_ids as m
        on m.namespace = _ns and m.source = import_cluster_members.source
        and m.legacy_table = 'memories' and m.legacy_id = r.x ->> 'memory_id';
    analyze pg_temp.pgcortex_import_members;

    update pg_temp.pgcortex_import_members as r
    set outcome = 'present'
    where exists (
        select from pgcortex.import_ids as i
        where i.namespace = _ns and i.source = import_cluster_members.source
            and i.legacy_table = 'cluster_members' and i.legacy_id = r.legacy_id
    );
    update pg_temp.pgcortex_import_members as r
    set reason = case
        when r.cluster_legacy is null or r.memory_legacy is null then 'cluster_id and memory_id are required'
        when r.cluster_id is null then pg_catalog.format('cluster %s was not imported', r.cluster_legacy)
        when r.memory_id is null then pg_catalog.format('memory %s was not imported', r.memory_legacy)
        when not exists (
            select from pgcortex.memories as x where x.namespace = _ns and x.id = r.memory_id
        ) then 'the memory no longer exists'
        when not exists (
            select from pgcortex.knowledge_clusters as x where x.namespace = _ns and x.id = r.cluster_id
        ) then 'the cluster no longer exists'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_members'::pg_catalog.regclass, import_cluster_members.strict, 'cluster_members'
    );
    update pg_temp.pgcortex_import_members as r
    set outcome = case when exists (
        select from pgcortex.cluster_members as x
        where x.namespace = _ns and x.cluster_id = r.cluster_id and x.memory_id = r.memory_id
    ) or exists (
        select from pg_temp.pgcortex_import_members as d
        where d.outcome is null and d.cluster_id = r.cluster_id and d.memory_id = r.memory_id and d.o < r.o
    ) then 'merged' else 'imported' end
    where r.outcome is null;

    insert into pgcortex.cluster_members (namespace, cluster_id, memory_id, similarity, joined_at)
    select _ns, r.cluster_id, r.memory_id, r.similarity, r.joined_at
    from pg_temp.pgcortex_import_members as r
    where r.outcome = 'imported'
    on conflict on constraint cluster_members_pkey do nothing;
    -- The member count follows the membership.
    update pgcortex.knowledge_clusters as c
    set member_count = (
        select count(*) from pgcortex.cluster_members as x
        where x.namespace = _ns and x.cluster_id = c.id
    )
    where c.namespace = _ns and c.id in (
        select r.cluster_id from pg_temp.pgcortex_import_members as r where r.outcome = 'imported'
    );

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select
        _ns, import_cluster_members.source, 'cluster_members', r.legacy_id,
        r.cluster_id || ' ' || r.memory_id, r.outcome, import_cluster_members.as_of
    from pg_temp.pgcortex_import_members as r
    where r.outcome in ('imported', 'merged')
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select
        r.legacy_id, r.outcome,
        case when r.outcome in ('imported', 'merged') then r.cluster_id || ' ' || r.memory_id end,
        r.reason
    from pg_temp.pgcortex_import_members as r order by r.o;
end
$$;

COMMENT ON FUNCTION pgcortex.import_cluster_members(source text, items jsonb, strict boolean, as_of timestamp with time zone) IS 'Imports a batch of cluster memberships ({cluster_id, memory_id, similarity, joined_at}, the ids of the source resolved through pgcortex.import_ids) and sets the member counts of the clusters touched, after clustering the queued memories (pgcortex_internal.cluster_pending). One result row per item (legacy_id "cluster memory"); strict raises PC003 on the first bad row.';

CREATE FUNCTION pgcortex.import_clusters(source text, items jsonb, strict boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(legacy_id text, outcome text, new_id text, reason text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(import_clusters.source, import_clusters.items);
    -- Memories queued for clustering join their automatic clusters before the
    -- import adds to clusters, as when they were clustered on store.
    perform pgcortex_internal.cluster_pending(import_clusters.as_of);
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_clusters') is not null then
        drop table pg_temp.pgcortex_import_clusters;
    end if;
    create temp table pgcortex_import_clusters on commit drop as
    select
        r.o::integer as o,
        nullif(r.x ->> 'legacy_id', '') as legacy_id,
        case when (r.x ->> 'id') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
            then (r.x ->> 'id')::uuid end as id,
        r.x ->> 'name' as name,
        r.x ->> 'description' as description,
        nullif(r.x ->> 'cluster_key', '') as cluster_key,
        coalesce(r.x ->> 'origin', 'explicit') as origin,
        coalesce((r.x ->> 'confidence')::real, 1.0) as confidence,
        coalesce((r.x ->> 'importance_score')::real, 1.0) as importance_score,
        coalesce(pgcortex_internal.import_text_array(r.x -> 'topics'), '{}') as topics,
        pgcortex_internal.import_vector(r.x -> 'centroid') as centroid,
        nullif(r.x ->> 'centroid_model', '') as centroid_model,
        coalesce((r.x ->> 'member_count')::integer, 0) as member_count,
        coalesce((r.x ->> 'created_at')::timestamptz, import_clusters.as_of) as created_at,
        coalesce((r.x ->> 'last_updated')::timestamptz, (r.x ->> 'created_at')::timestamptz, import_clusters.as_of)
            as last_updated,
        null::text as reason,
        null::text as outcome,
        null::uuid as target
    from pg_catalog.jsonb_array_elements(import_clusters.items) with ordinality as r (x, o);
    analyze pg_temp.pgcortex_import_clusters;

    update pg_temp.pgcortex_import_clusters as r
    set outcome = 'present', target = i.new_id::uuid
    from pgcortex.import_ids as i
    where i.namespace = _ns and i.source = import_clusters.source
        and i.legacy_table = 'knowledge_clusters' and i.legacy_id = r.legacy_id;
    update pg_temp.pgcortex_import_clusters as r
    set reason = case
        when r.legacy_id is null then 'legacy id is missing'
        when r.name is null or pg_catalog.length(pg_catalog.btrim(r.name)) = 0
            or pg_catalog.length(r.name) > 255 then 'name must have 1 to 255 characters'
        when r.origin not in ('auto', 'explicit') then pg_catalog.format('origin %L is not auto or explicit', r.origin)
        when r.confidence not between 0 and 1 then 'confidence is outside 0..1'
        when r.importance_score not between 0 and 5 then 'importance_score is outside 0..5'
        when pgcortex_internal.tags_problem(r.topics) is not null then 'topics: ' || pgcortex_internal.tags_problem(r.topics)
        when (r.centroid is null) <> (r.centroid_model is null) then 'centroid and centroid_model go together'
        when exists (
            select from pg_temp.pgcortex_import_clusters as d
            where (d.legacy_id = r.legacy_id or d.name = r.name) and d.o < r.o
        ) then 'cluster given twice in this batch'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_clusters'::pg_catalog.regclass, import_clusters.strict, 'knowledge_clusters'
    );

    -- A cluster of that name (or key) is there already: the import joins it.
    update pg_temp.pgcortex_import_clusters as r
    set outcome = 'merged', target = c.id
    from pgcortex.knowledge_clusters as c
    where r.outcome is null and c.namespace = _ns
        and (c.name = r.name or c.cluster_key = r.cluster_key);
    update pg_temp.pgcortex_import_clusters as r
    set outcome = 'imported', target = coalesce(
        case when not exists (
            select from pgcortex.knowledge_clusters as c where c.namespace = _ns and c.id = r.id
        ) then r.id end,
        pgcortex_internal.new_id()
    )
    where r.outcome is null;

    insert into pgcortex.knowledge_clusters (
        id, namespace, name, description, cluster_key, origin, confidence, importance_score,
        topics, centroid, centroid_model, member_count, created_at, last_updated
    )
    select
        r.target, _ns, r.name, r.description, r.cluster_key, r.origin, r.confidence,
        r.importance_score, pgcortex_internal.normalize_tags(r.topics), r.centroid, r.centroid_model,
        0, r.created_at, r.last_updated
    from pg_temp.pgcortex_import_clusters as r
    where r.outcome = 'imported';

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select _ns, import_clusters.source, 'knowledge_clusters', r.legacy_id, r.target::text, r.outcome, import_clusters.as_of
    from pg_temp.pgcortex_import_clusters as r
    where r.outcome in ('imported', 'merged')
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select r.legacy_id, r.outcome, r.target::text, r.reason
    from pg_temp.pgcortex_import_clusters as r order by r.o;
end
$_$;

COMMENT ON FUNCTION pgcortex.import_clusters(source text, items jsonb, strict boolean, as_of timestamp with time zone) IS 'Imports a batch of knowledge clusters ({legacy_id, id?, name, description, cluster_key, origin (default explicit), confidence, importance_score, topics, centroid, centroid_model, created_at, last_updated}) keeping their times; members come with pgcortex.import_cluster_members. A cluster whose name (or key) exists already is merged: the members join it. Clusters the queued memories first (pgcortex_internal.cluster_pending). One result row per item; strict raises PC003 on the first bad row.';

CREATE FUNCTION pgcortex.import_links(source text, items jsonb, strict boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(legacy_id text, outcome text, new_id text, reason text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(import_links.source, import_links.items);
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_links') is not null then
        drop table pg_temp.pgcortex_import_links;
    end if;
    create temp table pgcortex_import_links on commit drop as
    select
        r.o::integer as o,
        coalesce(
            nullif(r.x ->> 'legacy_id', ''),
            (r.x ->> 'source_id') || ' ' || (r.x ->> 'target_id') || ' '
            || coalesce(r.x ->> 'relation', 'related')
        ) as legacy_id,
        r.x ->> 'source_id' as source_legacy,
        r.x ->> 'target_id' as target_legacy,
        coalesce(r.x ->> 'relation', 'related') as relation,
        coalesce((r.x ->> 'weight')::real, 1.0) as weight,
        coalesce((r.x ->> 'created_at')::timestamptz, import_links.as_of) as created_at,
        s.new_id::uuid as source_id,
        t.new_id::uuid as target_id,
        null::text as reason,
        null::text as outcome
    from pg_catalog.jsonb_array_elements(import_links.items) with ordinality as r (x, o)
    left join pgcortex.import_ids as s
        on s.namespace = _ns and s.source = import_links.source
        and s.legacy_table = 'memories' and s.legacy_id = r.x ->> 'source_id'
    left join pgcortex.import_ids as t
        on t.namespace = _ns and t.source = import_links.source
        and t.legacy_table = 'memories' and t.legacy_id = r.x ->> 'target_id';
    analyze pg_temp.pgcortex_import_links;

    update pg_temp.pgcortex_import_links as r
    set outcome = 'present', reason = null
    where exists (
        select from pgcortex.import_ids as i
        where i.namespace = _ns and i.source = import_links.source
            and i.legacy_table = 'memory_links' and i.legacy_id = r.legacy_id
    );
    update pg_temp.pgcortex_import_links as r
    set reason = case
        when r.source_legacy is null or r.target_legacy is null then 'source_id and target_id are required'
        when r.source_id is null then pg_catalog.format('memory %s was not imported', r.source_legacy)
        when r.target_id is null then pg_catalog.format('memory %s was not imported', r.target_legacy)
        when r.relation !~ '^[a-z][a-z0-9_]{0,62}$' then pg_catalog.format('relation %L is not a lowercase name', r.relation)
        when r.weight is null or r.weight not between 0 and 1 then 'weight is outside 0..1'
        when r.source_id = r.target_id then 'both ends became the same memory (merged)'
        when exists (
            select from pg_temp.pgcortex_import_links as d
            where d.legacy_id = r.legacy_id and d.o < r.o
        ) then 'link given twice in this batch'
        when not exists (select from pgcortex.memories as m where m.namespace = _ns and m.id = r.source_id)
            or not exists (select from pgcortex.memories as m where m.namespace = _ns and m.id = r.target_id)
            then 'a linked memory no longer exists'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_links'::pg_catalog.regclass, import_links.strict, 'memory_links'
    );

    update pg_temp.pgcortex_import_links as r
    set outcome = 'merged'
    where r.outcome is null and (
        exists (
            select from pgcortex.memory_links as l
            where l.namespace = _ns and l.source_id = r.source_id
                and l.target_id = r.target_id and l.relation = r.relation
        )
        or exists (
            select from pg_temp.pgcortex_import_links as d
            where d.outcome is null and d.source_id = r.source_id and d.target_id = r.target_id
                and d.relation = r.relation and d.o < r.o
        )
    );
    update pg_temp.pgcortex_import_links as r set outcome = 'imported' where r.outcome is null;

    insert into pgcortex.memory_links (namespace, source_id, target_id, relation, weight, created_at)
    select _ns, r.source_id, r.target_id, r.relation, r.weight, r.created_at
    from pg_temp.pgcortex_import_links as r
    where r.outcome = 'imported'
    on conflict on constraint memory_links_pkey do nothing;

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select
        _ns, import_links.source, 'memory_links', r.legacy_id,
        r.source_id || ' ' || r.target_id || ' ' || r.relation, r.outcome, import_links.as_of
    from pg_temp.pgcortex_import_links as r
    where r.outcome in ('imported', 'merged')
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select
        r.legacy_id, r.outcome,
        case when r.outcome in ('imported', 'merged') then r.source_id || ' ' || r.target_id || ' ' || r.relation end,
        r.reason
    from pg_temp.pgcortex_import_links as r
    order by r.o;
end
$_$;

COMMENT ON FUNCTION pgcortex.import_links(source text, items jsonb, strict boolean, as_of timestamp with time zone) IS 'Imports a batch of memory links ({legacy_id?, source_id, target_id, relation, weight, created_at}; the ids are the memories'' ids in the source, resolved through pgcortex.import_ids). A link whose memory was not imported, or whose ends merged into one memory, is skipped with the reason. One result row per item; strict raises PC003 on the first bad row.';

CREATE FUNCTION pgcortex.import_memories(source text, items jsonb, near_dedup boolean DEFAULT false, near_duplicate_threshold real DEFAULT 0.95, cluster boolean DEFAULT true, strict boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(legacy_id text, outcome text, new_id text, reason text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    -- The namespace's model once it has one (not the deployment default: the
    -- first embedding imported into an empty namespace chooses it).
    _model text := (
        select n.embedding_model from pgcortex.namespace_embedding_models as n
        where n.namespace = pgcortex.current_namespace()
    );
begin
    perform pgcortex_internal.import_check_batch(import_memories.source, import_memories.items);
    if import_memories.near_duplicate_threshold is null
        or not (import_memories.near_duplicate_threshold > 0
            and import_memories.near_duplicate_threshold <= 1) then
        raise exception using errcode = 'PC004', message = 'near_duplicate_threshold must be in (0, 1]';
    end if;

    if pg_catalog.to_regclass('pg_temp.pgcortex_import_memories') is not null then
        drop table pg_temp.pgcortex_import_memories;
    end if;
    create temp table pgcortex_import_memories on commit drop as
    select
        r.o::integer as o,
        nullif(r.x ->> 'legacy_id', '') as legacy_id,
        case when (r.x ->> 'id') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
            then (r.x ->> 'id')::uuid end as id,
        r.x ->> 'content' as content,
        r.x ->> 'memory_type' as memory_type,
        case when pg_catalog.jsonb_typeof(r.x -> 'importance') = 'number'
            then (r.x ->> 'importance')::numeric end as importance,
        case when pg_catalog.jsonb_typeof(r.x -> 'confidence') = 'number'
            then (r.x ->> 'confidence')::numeric end as confidence,
        coalesce(pgcortex_internal.import_text_array(r.x -> 'tags'), '{}') as tags,
        coalesce(r.x -> 'metadata', '{}'::jsonb) as metadata,
        pgcortex_internal.import_vector(r.x -> 'embedding') as embedding,
        coalesce(pg_catalog.jsonb_typeof(r.x -> 'embedding'), 'null') <> 'null' as has_embedding,
        nullif(r.x ->> 'embedding_model', '') as embedding_model,
        coalesce((r.x ->> 'created_at')::timestamptz, import_memories.as_of) as created_at,
        (r.x ->> 'updated_at')::timestamptz as updated_at,
        (r.x ->> 'expires_at')::timestamptz as expires_at,
        (r.x ->> 'last_accessed')::timestamptz as last_accessed,
        coalesce((r.x ->> 'access_count')::bigint, 0) as access_count,
        null::bytea as hash,
        null::text as reason,
        null::text as outcome,
        null::uuid as target
    from pg_catalog.jsonb_array_elements(import_memories.items) with ordinality as r (x, o);
    analyze pg_temp.pgcortex_import_memories;

    -- Rows imported before.
    update pg_temp.pgcortex_import_memories as r
    set outcome = 'present', target = i.new_id::uuid
    from pgcortex.import_ids as i
    where
        i.namespace = _ns and i.source = import_memories.source
        and i.legacy_table = 'memories' and i.legacy_id = r.legacy_id;

    _model := coalesce(_model, (
        select r.embedding_model from pg_temp.pgcortex_import_memories as r
        where r.embedding is not null and r.embedding_model is not null and r.outcome is null
        order by r.o limit 1
    ));
    if _model is not null and exists (select from pgcortex.embedding_models as e where e.name = _model) then
        insert into pgcortex.namespace_embedding_models as n (namespace, embedding_model)
        values (_ns, _model)
        on conflict (namespace) do nothing;
    end if;
    update pg_temp.pgcortex_import_memories as r
    set reason = case
        when r.legacy_id is null then 'legacy id is missing'
        when r.content is null or pg_catalog.btrim(r.content, e' \t\r\n\f\v') = '' then 'content is empty'
        when pg_catalog.length(r.content) > 100000 then pg_catalog.format(
            'content has %s characters; at most 100000 are stored', pg_catalog.length(r.content))
        when r.memory_type is null then 'memory type is missing'
        when pgcortex_internal.memory_type_problem(r.memory_type) is not null
            then pgcortex_internal.memory_type_problem(r.memory_type)
        when r.importance is null or r.importance not between 1 and 5
            or r.importance <> pg_catalog.round(r.importance)
            then pg_catalog.format('importance %s is not one of 1..5', coalesce(r.importance::text, 'null'))
        when r.confidence is null or r.confidence not between 0 and 1
            then pg_catalog.format('confidence %s is outside 0..1', coalesce(r.confidence::text, 'null'))
        when pgcortex_internal.tags_problem(r.tags) is not null then pgcortex_internal.tags_problem(r.tags)
        when pgcortex_internal.metadata_problem(r.metadata) is not null then pgcortex_internal.metadata_problem(r.metadata)
        when r.has_embedding and r.embedding is null then 'embedding is not a list of numbers'
        when pgcortex_internal.embedding_problem(r.embedding) is not null then pgcortex_internal.embedding_problem(r.embedding)
        when r.embedding is not null and r.embedding_model is null then 'embedding without its model name'
        when r.embedding is not null and not exists (
            select from pgcortex.embedding_models as e where e.name = r.embedding_model
        ) then pg_catalog.format('embedding model %s is not registered', r.embedding_model)
        when r.embedding is not null and public.vector_dims(r.embedding) <> (
            select e.dimensions from pgcortex.embedding_models as e where e.name = r.embedding_model
        ) then pg_catalog.format(
            'embedding has %s dimensions; model %s has %s', public.vector_dims(r.embedding),
            r.embedding_model,
            (select e.dimensions from pgcortex.embedding_models as e where e.name = r.embedding_model)
        )
        when r.embedding is not null and r.embedding_model <> _model then pg_catalog.format(
            'embedding of model %s; this namespace holds embeddings of %s', r.embedding_model, _model)
        when r.expires_at is not null and r.expires_at <= r.created_at then 'expires_at is not later than created_at'
        when r.access_count < 0 then 'access_count is negative'
        when exists (
            select from pg_temp.pgcortex_import_memories as d
            where d.legacy_id = r.legacy_id and d.o < r.o
        ) then 'legacy id given twice in this batch'
        when r.id is not null and exists (
            select from pg_temp.pgcortex_import_memories as d
            where d.id = r.id and d.o < r.o and d.outcome is null
        ) then pg_catalog.format('id %s given twice in this batch', r.id)
        when r.id is not null and exists (
            select from pgcortex.memories as m
            where m.namespace = _ns and m.id = r.id and m.content_hash <> pgcortex_internal.content_hash(r.content)
        ) then pg_catalog.format('id %s is already used by another memory', r.id)
    end
    where r.outcome is null;

    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_memories'::pg_catalog.regclass, import_memories.strict, 'memories'
    );

    update pg_temp.pgcortex_import_memories as r
    set
        hash = pgcortex_internal.content_hash(r.content),
        tags = pgcortex_internal.normalize_tags(r.tags),
        updated_at = greatest(coalesce(r.updated_at, r.created_at), r.created_at),
        last_accessed = case when r.last_accessed < r.created_at then r.created_at else r.last_accessed end
    where r.outcome is null;
    analyze pg_temp.pgcortex_import_memories;

    -- Exact duplicates of a memory already stored.
    update pg_temp.pgcortex_import_memories as r
    set outcome = 'merged', target = m.id
    from pgcortex.memories as m
    where r.outcome is null and m.namespace = _ns and m.content_hash = r.hash;

    -- Near duplicates (on request): the nearest memory of the same type.
    if import_memories.near_dedup then
        perform pg_catalog.set_config('hnsw.iterative_scan', 'relaxed_order', true);
        update pg_temp.pgcortex_import_memories as r
        set outcome = 'merged', target = nn.id
        from pg_temp.pgcortex_import_memories as s
        cross join lateral (
            select m.id
            from pgcortex.memories as m
            where
                m.namespace = _ns and m.memory_type = s.memory_type and m.embedding is not null
                and m.embedding_model = s.embedding_model
            order by m.embedding operator(public.<=>) s.embedding
            limit 1
        ) as c
        inner join pgcortex.memories as nn on nn.namespace = _ns and nn.id = c.id
        where
            r.o = s.o and r.outcome is null and s.embedding is not null
            and 1 - (nn.embedding operator(public.<=>) s.embedding)
            >= import_memories.near_duplicate_threshold;
    end if;

    -- The first row of each content in the batch is imported; the others merge into it.
    update pg_temp.pgcortex_import_memories as r
    set outcome = 'imported', target = coalesce(
        case when not exists (
            select from pgcortex.memories as m where m.namespace = _ns and m.id = r.id
        ) then r.id end,
        pgcortex_internal.new_id()
    )
    where r.outcome is null and not exists (
        select from pg_temp.pgcortex_import_memories as d
        where d.outcome is null and d.hash = r.hash and d.o < r.o
    );
    update pg_temp.pgcortex_import_memories as r
    set outcome = 'merged', target = f.target
    from pg_temp.pgcortex_import_memories as f
    where r.outcome is null and f.outcome = 'imported' and f.hash = r.hash;

    -- Write. --------------------------------------------------------------------
    if not import_memories.cluster then
        perform pg_catalog.set_config('pgcortex.cluster_on_insert', 'off', true);
    end if;
    perform pgcortex_internal.set_change_context('import', import_memories.as_of);
    insert into pgcortex.memories (
        id, namespace, content, memory_type, importance, confidence, tags, metadata,
        embedding, embedding_model, created_at, updated_at, expires_at
    )
    select
        r.target, _ns, r.content, r.memory_type, r.importance::smallint, r.confidence::real,
        r.tags, r.metadata, r.embedding,
        case when r.embedding is not null then r.embedding_model end,
        r.created_at, r.updated_at, r.expires_at
    from pg_temp.pgcortex_import_memories as r
    where r.outcome = 'imported'
    order by r.hash;

    perform pgcortex_internal.set_change_context('merge', import_memories.as_of);
    with merged as (
        select r.o, r.target, r.importance, r.confidence, r.tags, r.metadata, r.created_at
        from pg_temp.pgcortex_import_memories as r
        where r.outcome = 'merged'
    ),
    per_tag as (
        select g.target, pg_catalog.array_agg(t.x) as tags
        from merged as g, pg_catalog.unnest(g.tags) as t (x)
        group by g.target
    ),
    per_key as (
        select g.target, pg_catalog.jsonb_object_agg(kv.key, kv.value order by g.o) as metadata
        from merged as g, pg_catalog.jsonb_each(g.metadata) as kv
        group by g.target
    ),
    per_target as (
        select
            g.target,
            max(g.importance)::smallint as importance,
            max(g.confidence)::real as confidence,
            pgcortex_internal.normalize_tags(coalesce(min(pt.tags), '{}')) as tags,
            coalesce(min(pk.metadata::text)::jsonb, '{}'::jsonb) as metadata,
            min(g.created_at) as created_at
        from merged as g
        left join per_tag as pt on pt.target = g.target
        left join per_key as pk on pk.target = g.target
        group by g.target
    )
    update pgcortex.memories as m
    set
        importance = greatest(m.importance, p.importance),
        confidence = greatest(m.confidence, p.confidence),
        tags = pgcortex_internal.normalize_tags(m.tags || p.tags),
        metadata = p.metadata || m.metadata,
        created_at = least(m.created_at, p.created_at)
    from per_target as p
    where m.namespace = _ns and m.id = p.target
        and (
            m.importance < p.importance or m.confidence < p.confidence
            or not (m.tags @> p.tags) or not (m.metadata @> p.metadata)
            or m.created_at > p.created_at
        );
    perform pgcortex_internal.set_change_context(null, null);
    perform pg_catalog.set_config('pgcortex.cluster_on_insert', '', true);

    -- Access counts and times: the source's, added up when rows merge.
    insert into pgcortex.memory_access as a (namespace, memory_id, access_count, last_accessed)
    select
        _ns,
        r.target,
        sum(r.access_count),
        max(coalesce(r.last_accessed, r.created_at))
    from pg_temp.pgcortex_import_memories as r
    where
        r.outcome in ('imported', 'merged')
        and (r.access_count > 0 or r.last_accessed <> r.created_at)
    group by r.target
    order by r.target
    on conflict on constraint memory_access_pkey do update
        set
            access_count = a.access_count + excluded.access_count,
            last_accessed = greatest(a.last_accessed, excluded.last_accessed);

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select _ns, import_memories.source, 'memories', r.legacy_id, r.target::text, r.outcome, import_memories.as_of
    from pg_temp.pgcortex_import_memories as r
    where r.outcome in ('imported', 'merged')
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select r.legacy_id, r.outcome, r.target::text, r.reason
    from pg_temp.pgcortex_import_memories as r
    order by r.o;
end
$_$;

COMMENT ON FUNCTION pgcortex.import_memories(source text, items jsonb, near_dedup boolean, near_duplicate_threshold real, cluster boolean, strict boolean, as_of timestamp with time zone) IS 'Imports a batch of memories (jsonb array of {legacy_id, id?, content, memory_type, importance, confidence, tags, metadata, embedding, embedding_model, created_at, updated_at, expires_at, last_accessed, access_count}) keeping their times and access counts. A row imported before from source is present; a content already stored (normalised, as pgcortex.store_memories) or repeated in the batch is merged (importance and confidence the greater, tags and metadata joined, access counts added); near duplicates merge only with near_dedup. cluster => false keeps the memories out of automatic clustering (a restore brings its clusters); with true they are queued for it (pgcortex.cluster_queue) like stored ones. One result row per item: imported, present, merged or skipped with the reason; strict raises PC003 on the first bad row instead.';

CREATE FUNCTION pgcortex.import_memory_access(source text, items jsonb, strict boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(legacy_id text, outcome text, new_id text, reason text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(import_memory_access.source, import_memory_access.items);
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_access') is not null then
        drop table pg_temp.pgcortex_import_access;
    end if;
    create temp table pgcortex_import_access on commit drop as
    select
        r.o::integer as o,
        -- A log row (one read) has its log_id; a folded row is keyed by its memory.
        case when r.x ? 'log_id' then 'memory_access_log' else 'memory_access' end as legacy_table,
        coalesce(r.x ->> 'log_id', r.x ->> 'memory_id') as legacy_id,
        r.x ->> 'memory_id' as memory_legacy,
        m.new_id::uuid as memory_id,
        case when r.x ? 'log_id' then 1 else (r.x ->> 'access_count')::bigint end as access_count,
        coalesce((r.x ->> 'accessed_at')::timestamptz, (r.x ->> 'last_accessed')::timestamptz) as at,
        null::text as reason,
        null::text as outcome
    from pg_catalog.jsonb_array_elements(import_memory_access.items) with ordinality as r (x, o)
    left join pgcortex.import_ids as m
        on m.namespace = _ns and m.source = import_memory_access.source
        and m.legacy_table = 'memories' and m.legacy_id = r.x ->> 'memory_id';
    analyze pg_temp.pgcortex_import_access;

    update pg_temp.pgcortex_import_access as r
    set outcome = 'present'
    where exists (
        select from pgcortex.import_ids as i
        where i.namespace = _ns and i.source = import_memory_access.source
            and i.legacy_table = r.legacy_table and i.legacy_id = r.legacy_id
    );
    update pg_temp.pgcortex_import_access as r
    set reason = case
        when r.legacy_id is null then 'memory_id is missing'
        when r.memory_id is null then pg_catalog.format('memory %s was not imported', r.memory_legacy)
        when not exists (select from pgcortex.memories as x where x.namespace = _ns and x.id = r.memory_id)
            then 'the memory no longer exists'
        when r.access_count is null or r.access_count < 0 then 'access_count is missing or negative'
        when r.at is null then 'the access time is missing'
        when exists (
            select from pg_temp.pgcortex_import_access as d
            where d.legacy_table = r.legacy_table and d.legacy_id = r.legacy_id and d.o < r.o
        ) then 'given twice in this batch'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_access'::pg_catalog.regclass, import_memory_access.strict, 'memory_access'
    );
    update pg_temp.pgcortex_import_access as r set outcome = 'imported' where r.outcome is null;

    insert into pgcortex.memory_access as a (namespace, memory_id, access_count, last_accessed)
    select _ns, r.memory_id, sum(r.access_count), max(r.at)
    from pg_temp.pgcortex_import_access as r
    where r.outcome = 'imported' and r.legacy_table = 'memory_access'
    group by r.memory_id
    order by r.memory_id
    on conflict on constraint memory_access_pkey do update
        set
            access_count = a.access_count + excluded.access_count,
            last_accessed = greatest(a.last_accessed, excluded.last_accessed);
    insert into pgcortex.memory_access_log (namespace, memory_id, accessed_at)
    select _ns, r.memory_id, r.at
    from pg_temp.pgcortex_import_access as r
    where r.outcome = 'imported' and r.legacy_table = 'memory_access_log'
    order by r.o;

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select _ns, import_memory_access.source, r.legacy_table, r.legacy_id, r.memory_id::text, r.outcome, import_memory_access.as_of
    from pg_temp.pgcortex_import_access as r
    where r.outcome = 'imported'
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select r.legacy_id, r.outcome, r.memory_id::text, r.reason
    from pg_temp.pgcortex_import_access as r order by r.o;
end
$$;

COMMENT ON FUNCTION pgcortex.import_memory_access(source text, items jsonb, strict boolean, as_of timestamp with time zone) IS 'Restores access counts of imported memories: rows of pgcortex.memory_access ({memory_id, access_count, last_accessed}, added to the count held) and of pgcortex.memory_access_log ({log_id, memory_id, accessed_at}, one read each). One result row per item; strict raises PC003 on the first bad row.';

CREATE FUNCTION pgcortex.import_pattern_evidence(source text, items jsonb, strict boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(legacy_id text, outcome text, new_id text, reason text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(import_pattern_evidence.source, import_pattern_evidence.items);
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_evidence') is not null then
        drop table pg_temp.pgcortex_import_evidence;
    end if;
    create temp table pgcortex_import_evidence on commit drop as
    select
        r.o::integer as o,
        (r.x ->> 'pattern_id') || ' ' || (r.x ->> 'evidence_key') as legacy_id,
        r.x ->> 'pattern_id' as pattern_legacy,
        r.x ->> 'evidence_key' as evidence_key,
        p.new_id::uuid as pattern_id,
        s.new_id::uuid as session_id,
        m.new_id::uuid as memory_id,
        t.new_id::bigint as turn_id,
        coalesce((r.x ->> 'created_at')::timestamptz, import_pattern_evidence.as_of) as created_at,
        null::text as reason,
        null::text as outcome
    from pg_catalog.jsonb_array_elements(import_pattern_evidence.items) with ordinality as r (x, o)
    left join pgcortex.import_ids as p
        on p.namespace = _ns and p.source = import_pattern_evidence.source
        and p.legacy_table = 'learning_patterns' and p.legacy_id = r.x ->> 'pattern_id'
    left join pgcortex.import_ids as s
        on s.namespace = _ns and s.source = import_pattern_evidence.source
        and s.legacy_table = 'conversation_sessions' and s.legacy_id = r.x ->> 'session_id'
    left join pgcortex.import_ids as m
        on m.namespace = _ns and m.source = import_pattern_evidence.source
        and m.legacy_table = 'memories' and m.legacy_id = r.x ->> 'memory_id'
    left join pgcortex.import_ids as t
        on t.namespace = _ns and t.source = import_pattern_evidence.source
        and t.legacy_table = 'conversation_turns' and t.legacy_id = r.x ->> 'turn_id';
    analyze pg_temp.pgcortex_import_evidence;

    update pg_temp.pgcortex_import_evidence as r
    set outcome = 'present'
    where exists (
        select from pgcortex.import_ids as i
        where i.namespace = _ns and i.source = import_pattern_evidence.source
            and i.legacy_table = 'learning_pattern_evidence' and i.legacy_id = r.legacy_id
    );
    update pg_temp.pgcortex_import_evidence as r
    set reason = case
        when r.pattern_legacy is null or r.evidence_key is null then 'pattern_id and evidence_key are required'
        when r.pattern_id is null then pg_catalog.format('pattern %s was not imported', r.pattern_legacy)
        when pg_catalog.length(r.evidence_key) not between 1 and 255 then 'evidence_key must have 1 to 255 characters'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_evidence'::pg_catalog.regclass, import_pattern_evidence.strict, 'learning_pattern_evidence'
    );
    update pg_temp.pgcortex_import_evidence as r
    set outcome = case when exists (
        select from pgcortex.learning_pattern_evidence as e
        where e.namespace = _ns and e.pattern_id = r.pattern_id and e.evidence_key = r.evidence_key
    ) then 'merged' else 'imported' end
    where r.outcome is null;

    insert into pgcortex.learning_pattern_evidence (
        namespace, pattern_id, evidence_key, session_id, memory_id, turn_id, created_at
    )
    select _ns, r.pattern_id, r.evidence_key, r.session_id, r.memory_id, r.turn_id, r.created_at
    from pg_temp.pgcortex_import_evidence as r
    where r.outcome = 'imported'
    on conflict on constraint learning_pattern_evidence_pkey do nothing;

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select
        _ns, import_pattern_evidence.source, 'learning_pattern_evidence', r.legacy_id,
        r.pattern_id || ' ' || r.evidence_key, r.outcome, import_pattern_evidence.as_of
    from pg_temp.pgcortex_import_evidence as r
    where r.outcome in ('imported', 'merged')
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select
        r.legacy_id, r.outcome,
        case when r.outcome in ('imported', 'merged') then r.pattern_id || ' ' || r.evidence_key end,
        r.reason
    from pg_temp.pgcortex_import_evidence as r order by r.o;
end
$$;

COMMENT ON FUNCTION pgcortex.import_pattern_evidence(source text, items jsonb, strict boolean, as_of timestamp with time zone) IS 'Imports a batch of learning pattern evidence ({pattern_id, evidence_key, session_id, memory_id, turn_id, created_at}; ids of the source resolved through pgcortex.import_ids, a reference that was not imported left null). One result row per item; strict raises PC003 on the first bad row.';

CREATE FUNCTION pgcortex.import_patterns(source text, items jsonb, strict boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(legacy_id text, outcome text, new_id text, reason text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(import_patterns.source, import_patterns.items);
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_patterns') is not null then
        drop table pg_temp.pgcortex_import_patterns;
    end if;
    create temp table pgcortex_import_patterns on commit drop as
    select
        r.o::integer as o,
        nullif(r.x ->> 'legacy_id', '') as legacy_id,
        case when (r.x ->> 'id') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
            then (r.x ->> 'id')::uuid end as id,
        r.x ->> 'pattern_type' as pattern_type,
        r.x ->> 'description' as description,
        coalesce((r.x ->> 'frequency')::numeric, 1) as frequency,
        coalesce((r.x ->> 'confidence')::real, 0.5) as confidence,
        coalesce(pgcortex_internal.import_text_array(r.x -> 'examples'), '{}') as examples,
        coalesce((r.x ->> 'discovered_at')::timestamptz, import_patterns.as_of) as discovered_at,
        (r.x ->> 'updated_at')::timestamptz as updated_at,
        null::text as reason,
        null::text as outcome,
        null::uuid as target
    from pg_catalog.jsonb_array_elements(import_patterns.items) with ordinality as r (x, o);
    analyze pg_temp.pgcortex_import_patterns;

    update pg_temp.pgcortex_import_patterns as r
    set outcome = 'present', target = i.new_id::uuid
    from pgcortex.import_ids as i
    where i.namespace = _ns and i.source = import_patterns.source
        and i.legacy_table = 'learning_patterns' and i.legacy_id = r.legacy_id;
    update pg_temp.pgcortex_import_patterns as r
    set reason = case
        when r.legacy_id is null then 'legacy id is missing'
        when r.pattern_type is null then 'pattern type is missing'
        when not exists (select from pgcortex.pattern_types as t where t.name = r.pattern_type)
            then pg_catalog.format('unknown pattern type %L', r.pattern_type)
        when r.description is null or pg_catalog.length(r.description) not between 1 and 1000
            then 'description must have 1 to 1000 characters'
        when r.frequency < 1 or r.frequency <> pg_catalog.round(r.frequency) then 'frequency must be a whole number >= 1'
        when r.confidence not between 0 and 1 then 'confidence is outside 0..1'
        when array_position(r.examples, null) is not null then 'examples must be strings'
        when exists (
            select from pg_temp.pgcortex_import_patterns as d
            where d.legacy_id = r.legacy_id and d.o < r.o
        ) then 'legacy id given twice in this batch'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_patterns'::pg_catalog.regclass, import_patterns.strict, 'learning_patterns'
    );

    update pg_temp.pgcortex_import_patterns as r
    set outcome = 'merged', target = p.pattern_id
    from pgcortex.learning_patterns as p
    where r.outcome is null and p.namespace = _ns
        and p.pattern_type = r.pattern_type and p.description = r.description;
    update pg_temp.pgcortex_import_patterns as r
    set outcome = 'imported', target = coalesce(
        case when not exists (
            select from pgcortex.learning_patterns as p where p.namespace = _ns and p.pattern_id = r.id
        ) then r.id end,
        pgcortex_internal.new_id()
    )
    where r.outcome is null and not exists (
        select from pg_temp.pgcortex_import_patterns as d
        where d.outcome is null and d.pattern_type = r.pattern_type
            and d.description = r.description and d.o < r.o
    );
    update pg_temp.pgcortex_import_patterns as r
    set outcome = 'merged', target = f.target
    from pg_temp.pgcortex_import_patterns as f
    where r.outcome is null and f.outcome = 'imported'
        and f.pattern_type = r.pattern_type and f.description = r.description;

    insert into pgcortex.learning_patterns (
        pattern_id, namespace, pattern_type, description, frequency, confidence, examples,
        discovered_at, updated_at
    )
    select
        r.target, _ns, r.pattern_type, r.description, r.frequency::integer, r.confidence,
        r.examples[1:10], r.discovered_at, greatest(coalesce(r.updated_at, r.discovered_at), r.discovered_at)
    from pg_temp.pgcortex_import_patterns as r
    where r.outcome = 'imported';
    -- Merged: the greater frequency and confidence, the earlier discovery, examples joined.
    update pgcortex.learning_patterns as p
    set
        frequency = greatest(p.frequency, g.frequency),
        confidence = greatest(p.confidence, g.confidence),
        discovered_at = least(p.discovered_at, g.discovered_at),
        examples = (array(
            select distinct e.x from pg_catalog.unnest(p.examples || g.examples) as e (x)
        ))[1:10]
    from (
        select
            r.target,
            max(r.frequency)::integer as frequency,
            max(r.confidence) as confidence,
            min(r.discovered_at) as discovered_at,
            array(
                select e.x from pg_temp.pgcortex_import_patterns as s, pg_catalog.unnest(s.examples) as e (x)
                where s.outcome = 'merged' and s.target = r.target
            ) as examples
        from pg_temp.pgcortex_import_patterns as r
        where r.outcome = 'merged'
        group by r.target
    ) as g
    where p.namespace = _ns and p.pattern_id = g.target
        and (p.frequency < g.frequency or p.confidence < g.confidence
            or p.discovered_at > g.discovered_at or not (p.examples @> g.examples));

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select _ns, import_patterns.source, 'learning_patterns', r.legacy_id, r.target::text, r.outcome, import_patterns.as_of
    from pg_temp.pgcortex_import_patterns as r
    where r.outcome in ('imported', 'merged')
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select r.legacy_id, r.outcome, r.target::text, r.reason
    from pg_temp.pgcortex_import_patterns as r order by r.o;
end
$_$;

COMMENT ON FUNCTION pgcortex.import_patterns(source text, items jsonb, strict boolean, as_of timestamp with time zone) IS 'Imports a batch of learning patterns ({legacy_id, id?, pattern_type, description, frequency, confidence, examples, discovered_at, updated_at}) as they were. A pattern of the same type and description is merged (greater frequency and confidence, earlier discovery, examples joined, at most 10). One result row per item; strict raises PC003 on the first bad row.';

CREATE FUNCTION pgcortex.import_preference_history(source text, items jsonb, strict boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(legacy_id text, outcome text, new_id text, reason text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(import_preference_history.source, import_preference_history.items);
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_prefhist') is not null then
        drop table pg_temp.pgcortex_import_prefhist;
    end if;
    create temp table pgcortex_import_prefhist on commit drop as
    select
        r.o::integer as o,
        nullif(r.x ->> 'legacy_id', '') as legacy_id,
        r.x ->> 'key' as key,
        r.x -> 'value' as value,
        (r.x ->> 'confidence')::real as confidence,
        r.x ->> 'source' as pref_source,
        s.new_id::uuid as session_id,
        m.new_id::uuid as memory_id,
        coalesce((r.x ->> 'applied')::boolean, true) as applied,
        r.x -> 'previous_value' as previous_value,
        (r.x ->> 'previous_confidence')::real as previous_confidence,
        coalesce((r.x ->> 'changed_at')::timestamptz, import_preference_history.as_of) as changed_at,
        null::text as reason,
        null::text as outcome,
        null::bigint as target
    from pg_catalog.jsonb_array_elements(import_preference_history.items) with ordinality as r (x, o)
    left join pgcortex.import_ids as s
        on s.namespace = _ns and s.source = import_preference_history.source
        and s.legacy_table = 'conversation_sessions' and s.legacy_id = r.x ->> 'session_id'
    left join pgcortex.import_ids as m
        on m.namespace = _ns and m.source = import_preference_history.source
        and m.legacy_table = 'memories' and m.legacy_id = r.x ->> 'memory_id';
    analyze pg_temp.pgcortex_import_prefhist;

    update pg_temp.pgcortex_import_prefhist as r
    set outcome = 'present', target = i.new_id::bigint
    from pgcortex.import_ids as i
    where i.namespace = _ns and i.source = import_preference_history.source
        and i.legacy_table = 'user_preference_history' and i.legacy_id = r.legacy_id;
    update pg_temp.pgcortex_import_prefhist as r
    set reason = case
        when r.legacy_id is null then 'legacy id is missing'
        when r.key is null then 'key is missing'
        when r.value is null then 'value is missing'
        when r.confidence is null then 'confidence is missing'
        when r.pref_source is null then 'source is missing'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_prefhist'::pg_catalog.regclass, import_preference_history.strict, 'user_preference_history'
    );

    with ins as (
        insert into pgcortex.user_preference_history as h (
            namespace, key, value, confidence, source, session_id, memory_id, applied,
            previous_value, previous_confidence, changed_at
        )
        select
            _ns, r.key, r.value, r.confidence, r.pref_source, r.session_id, r.memory_id, r.applied,
            r.previous_value, r.previous_confidence, r.changed_at
        from pg_temp.pgcortex_import_prefhist as r
        where r.outcome is null
        order by r.o
        returning h.change_id
    ),
    numbered as (
        select i.change_id, pg_catalog.row_number() over (order by i.change_id) as n from ins as i
    ),
    todo as (
        select r.o, pg_catalog.row_number() over (order by r.o) as n
        from pg_temp.pgcortex_import_prefhist as r where r.outcome is null
    )
    update pg_temp.pgcortex_import_prefhist as r
    set outcome = 'imported', target = nb.change_id
    from todo as t
    inner join numbered as nb on nb.n = t.n
    where r.o = t.o;

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select
        _ns, import_preference_history.source, 'user_preference_history', r.legacy_id, r.target::text,
        r.outcome, import_preference_history.as_of
    from pg_temp.pgcortex_import_prefhist as r
    where r.outcome = 'imported'
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select r.legacy_id, r.outcome, r.target::text, r.reason
    from pg_temp.pgcortex_import_prefhist as r order by r.o;
end
$$;

COMMENT ON FUNCTION pgcortex.import_preference_history(source text, items jsonb, strict boolean, as_of timestamp with time zone) IS 'Restores a batch of preference history rows ({legacy_id (the change id in the source), key, value, confidence, source, session_id, memory_id, applied, previous_value, previous_confidence, changed_at}) in their order, with new change ids. One result row per item; strict raises PC003 on the first bad row.';

CREATE FUNCTION pgcortex.import_preferences(source text, items jsonb, record_history boolean DEFAULT true, strict boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(legacy_id text, outcome text, new_id text, reason text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(import_preferences.source, import_preferences.items);
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_prefs') is not null then
        drop table pg_temp.pgcortex_import_prefs;
    end if;
    create temp table pgcortex_import_prefs on commit drop as
    select
        r.o::integer as o,
        coalesce(nullif(r.x ->> 'legacy_id', ''), r.x ->> 'key') as legacy_id,
        r.x ->> 'key' as key,
        r.x -> 'value' as value,
        coalesce((r.x ->> 'confidence')::real, 1.0) as confidence,
        coalesce(nullif(r.x ->> 'source', ''), 'conversation') as pref_source,
        coalesce((r.x ->> 'created_at')::timestamptz, (r.x ->> 'updated_at')::timestamptz, import_preferences.as_of)
            as created_at,
        coalesce((r.x ->> 'updated_at')::timestamptz, (r.x ->> 'created_at')::timestamptz, import_preferences.as_of)
            as updated_at,
        null::text as reason,
        null::text as outcome
    from pg_catalog.jsonb_array_elements(import_preferences.items) with ordinality as r (x, o);
    analyze pg_temp.pgcortex_import_prefs;

    update pg_temp.pgcortex_import_prefs as r
    set outcome = 'present'
    where exists (
        select from pgcortex.import_ids as i
        where i.namespace = _ns and i.source = import_preferences.source
            and i.legacy_table = 'user_preferences' and i.legacy_id = r.legacy_id
    );
    update pg_temp.pgcortex_import_prefs as r
    set reason = case
        when r.key is null or pg_catalog.length(r.key) not between 1 and 255 then 'key must have 1 to 255 characters'
        when r.value is null or r.value = 'null'::jsonb then 'value is missing'
        when pgcortex_internal.metadata_problem(pg_catalog.jsonb_build_object('v', r.value)) is not null
            then 'value: ' || pgcortex_internal.metadata_problem(pg_catalog.jsonb_build_object('v', r.value))
        when r.confidence not between 0 and 1 then 'confidence is outside 0..1'
        when pg_catalog.length(r.pref_source) > 255 then 'source has more than 255 characters'
        when exists (
            select from pg_temp.pgcortex_import_prefs as d where d.key = r.key and d.o < r.o
        ) then 'key given twice in this batch'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_prefs'::pg_catalog.regclass, import_preferences.strict, 'user_preferences'
    );

    -- A key held already keeps the newer value (merged); else the import's.
    update pg_temp.pgcortex_import_prefs as r
    set outcome = case when exists (
        select from pgcortex.user_preferences as p where p.namespace = _ns and p.key = r.key
    ) then 'merged' else 'imported' end
    where r.outcome is null;

    if import_preferences.record_history then
        insert into pgcortex.user_preference_history (
            namespace, key, value, confidence, source, applied, previous_value, previous_confidence,
            changed_at
        )
        select
            _ns, r.key, r.value, r.confidence, 'import',
            p.key is null or p.updated_at < r.updated_at,
            p.value, p.confidence, r.updated_at
        from pg_temp.pgcortex_import_prefs as r
        left join pgcortex.user_preferences as p on p.namespace = _ns and p.key = r.key
        where r.outcome in ('imported', 'merged')
        order by r.o;
    end if;
    insert into pgcortex.user_preferences as p (namespace, key, value, confidence, source, created_at, updated_at)
    select _ns, r.key, r.value, r.confidence, r.pref_source, r.created_at, r.updated_at
    from pg_temp.pgcortex_import_prefs as r
    where r.outcome in ('imported', 'merged')
    order by r.key
    on conflict on constraint user_preferences_pkey do update
        set
            value = excluded.value,
            confidence = excluded.confidence,
            source = excluded.source,
            created_at = least(p.created_at, excluded.created_at),
            updated_at = excluded.updated_at
        where p.updated_at < excluded.updated_at;

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select _ns, import_preferences.source, 'user_preferences', r.legacy_id, r.key, r.outcome, import_preferences.as_of
    from pg_temp.pgcortex_import_prefs as r
    where r.outcome in ('imported', 'merged')
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select r.legacy_id, r.outcome, case when r.outcome <> 'skipped' then r.key end, r.reason
    from pg_temp.pgcortex_import_prefs as r order by r.o;
end
$$;

COMMENT ON FUNCTION pgcortex.import_preferences(source text, items jsonb, record_history boolean, strict boolean, as_of timestamp with time zone) IS 'Imports a batch of user preferences ({key, value (any JSON), confidence, source, created_at, updated_at}) keeping their source and times. A key held already is merged: the newer value (by updated_at) wins. With record_history (default) each is also written to pgcortex.user_preference_history with source "import" at its updated_at (a restore brings its own history instead). One result row per item; strict raises PC003 on the first bad row.';

CREATE FUNCTION pgcortex.import_register_types(kind text, names text[]) RETURNS TABLE(name text, registered boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
#variable_conflict use_column
begin
    -- The types are shared by every namespace: only a login that may use the
    -- current namespace registers any (PC001 / PC051 otherwise).
    perform pgcortex.current_namespace();
    if import_register_types.kind not in ('memory', 'pattern') then
        raise exception using errcode = 'PC003', message = 'kind must be memory or pattern';
    end if;
    if import_register_types.kind = 'memory' then
        return query
        with wanted as (
            select distinct n.x as name
            from pg_catalog.unnest(import_register_types.names) as n (x)
            where n.x ~ '^[a-z][a-z0-9_]{0,62}$'
        ),
        added as (
            insert into pgcortex.memory_types as t (name, description)
            select w.name, 'imported memory type'
            from wanted as w
            order by w.name
            on conflict on constraint memory_types_pkey do nothing
            returning t.name
        )
        select w.name, exists (select from added as a where a.name = w.name)
        from wanted as w
        order by w.name;
    else
        return query
        with wanted as (
            select distinct n.x as name
            from pg_catalog.unnest(import_register_types.names) as n (x)
            where n.x ~ '^[a-z][a-z0-9_]{0,62}$'
        ),
        added as (
            insert into pgcortex.pattern_types as t (name, description)
            select w.name, 'imported pattern type'
            from wanted as w
            order by w.name
            on conflict on constraint pattern_types_pkey do nothing
            returning t.name
        )
        select w.name, exists (select from added as a where a.name = w.name)
        from wanted as w
        order by w.name;
    end if;
end
$_$;

COMMENT ON FUNCTION pgcortex.import_register_types(kind text, names text[]) IS 'Registers the given memory (kind => ''memory'') or pattern (kind => ''pattern'') types that are missing, with the description "imported ... type"; returns each valid name and whether it was added. Names that are not lowercase identifiers are left out (the import reports their rows).';

CREATE FUNCTION pgcortex.import_sessions(source text, items jsonb, strict boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(legacy_id text, outcome text, new_id text, reason text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(import_sessions.source, import_sessions.items);
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_sessions') is not null then
        drop table pg_temp.pgcortex_import_sessions;
    end if;
    create temp table pgcortex_import_sessions on commit drop as
    select
        r.o::integer as o,
        nullif(r.x ->> 'legacy_id', '') as legacy_id,
        case when (r.x ->> 'id') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
            then (r.x ->> 'id')::uuid end as id,
        (r.x ->> 'started_at')::timestamptz as started_at,
        (r.x ->> 'ended_at')::timestamptz as ended_at,
        coalesce((r.x ->> 'message_count')::integer, 0) as message_count,
        coalesce(pgcortex_internal.import_text_array(r.x -> 'topics'), '{}') as topics,
        r.x ->> 'summary' as summary,
        coalesce((r.x ->> 'importance')::real, 0.5) as importance,
        coalesce(r.x -> 'metadata', '{}'::jsonb) as metadata,
        null::text as reason,
        null::text as outcome,
        null::uuid as target
    from pg_catalog.jsonb_array_elements(import_sessions.items) with ordinality as r (x, o);
    analyze pg_temp.pgcortex_import_sessions;

    update pg_temp.pgcortex_import_sessions as r
    set outcome = 'present', target = i.new_id::uuid
    from pgcortex.import_ids as i
    where i.namespace = _ns and i.source = import_sessions.source
        and i.legacy_table = 'conversation_sessions' and i.legacy_id = r.legacy_id;
    update pg_temp.pgcortex_import_sessions as r
    set reason = case
        when r.legacy_id is null then 'legacy id is missing'
        when r.started_at is null then 'started_at is missing'
        when r.ended_at < r.started_at then 'ended_at is before started_at'
        when r.message_count < 0 then 'message_count is negative'
        when r.importance not between 0 and 1 then 'importance is outside 0..1'
        when array_position(r.topics, null) is not null then 'topics must be strings'
        when pg_catalog.jsonb_typeof(r.metadata) <> 'object' then 'metadata must be a JSON object'
        when exists (
            select from pg_temp.pgcortex_import_sessions as d where d.legacy_id = r.legacy_id and d.o < r.o
        ) then 'legacy id given twice in this batch'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_sessions'::pg_catalog.regclass, import_sessions.strict, 'conversation_sessions'
    );

    update pg_temp.pgcortex_import_sessions as r
    set outcome = 'imported', target = coalesce(
        case when not exists (
            select from pgcortex.conversation_sessions as s where s.namespace = _ns and s.session_id = r.id
        ) then r.id end,
        pgcortex_internal.new_id()
    )
    where r.outcome is null;

    insert into pgcortex.conversation_sessions (
        session_id, namespace, started_at, ended_at, message_count, topics, summary, importance, metadata
    )
    select
        r.target, _ns, r.started_at, r.ended_at, r.message_count, r.topics, r.summary, r.importance, r.metadata
    from pg_temp.pgcortex_import_sessions as r
    where r.outcome = 'imported';

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select _ns, import_sessions.source, 'conversation_sessions', r.legacy_id, r.target::text, r.outcome, import_sessions.as_of
    from pg_temp.pgcortex_import_sessions as r
    where r.outcome = 'imported'
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select r.legacy_id, r.outcome, r.target::text, r.reason
    from pg_temp.pgcortex_import_sessions as r order by r.o;
end
$_$;

COMMENT ON FUNCTION pgcortex.import_sessions(source text, items jsonb, strict boolean, as_of timestamp with time zone) IS 'Imports a batch of conversation sessions ({legacy_id, id?, started_at, ended_at, message_count, topics, summary, importance, metadata}) as they were, so duration_seconds is that of the source. One result row per item; strict raises PC003 on the first bad row.';

CREATE FUNCTION pgcortex.import_store_item_vectors(source text, items jsonb, strict boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(legacy_id text, outcome text, new_id text, reason text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(
        import_store_item_vectors.source, import_store_item_vectors.items
    );
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_store_vectors') is not null then
        drop table pg_temp.pgcortex_import_store_vectors;
    end if;
    create temp table pgcortex_import_store_vectors on commit drop as
    select
        r.o::integer as o,
        pg_catalog.jsonb_build_array(r.x -> 'path', r.x -> 'key', r.x -> 'field')::text as legacy_id,
        pg_catalog.jsonb_build_array(r.x -> 'path', r.x -> 'key')::text as item_id,
        r.x ->> 'field' as field,
        r.x ->> 'embedding_model' as embedding_model,
        pgcortex_internal.import_vector(r.x -> 'embedding') as embedding,
        s.path,
        s.key,
        e.dimensions,
        null::text as reason,
        null::text as outcome
    from pg_catalog.jsonb_array_elements(import_store_item_vectors.items) with ordinality as r (x, o)
    left join pgcortex.import_ids as i
        on i.namespace = _ns and i.source = import_store_item_vectors.source
        and i.legacy_table = 'store_items'
        and i.legacy_id = pg_catalog.jsonb_build_array(r.x -> 'path', r.x -> 'key')::text
    left join pgcortex.store_items as s
        on i.new_id is not null and s.namespace = _ns
        and s.path = array(
            select p.v
            from pg_catalog.jsonb_array_elements_text(r.x -> 'path') with ordinality as p (v, n)
            order by p.n
        )
        and s.key = r.x ->> 'key'
    left join pgcortex.embedding_models as e on e.name = r.x ->> 'embedding_model';
    analyze pg_temp.pgcortex_import_store_vectors;

    update pg_temp.pgcortex_import_store_vectors as r
    set outcome = 'present'
    where exists (
        select from pgcortex.import_ids as i
        where i.namespace = _ns and i.source = import_store_item_vectors.source
            and i.legacy_table = 'store_item_vectors' and i.legacy_id = r.legacy_id
    );
    update pg_temp.pgcortex_import_store_vectors as r
    set reason = case
        when r.path is null then pg_catalog.format('item %s was not imported', r.item_id)
        when r.field is null or pg_catalog.length(r.field) not between 1 and 1000
            then 'field must have 1 to 1000 characters'
        when r.dimensions is null
            then pg_catalog.format('embedding model %L is not registered', r.embedding_model)
        when r.embedding is null then 'embedding is not a vector'
        when public.vector_dims(r.embedding) <> r.dimensions
            then pg_catalog.format(
                'embedding has %s dimensions, model %L has %s',
                public.vector_dims(r.embedding), r.embedding_model, r.dimensions
            )
        when pgcortex_internal.embedding_problem(r.embedding) is not null
            then pgcortex_internal.embedding_problem(r.embedding)
        when exists (
            select from pg_temp.pgcortex_import_store_vectors as d
            where d.legacy_id = r.legacy_id and d.o < r.o
        ) then 'vector given twice in this batch'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_store_vectors'::pg_catalog.regclass, import_store_item_vectors.strict, 'store_item_vectors'
    );

    -- The item already has a vector of that field: it keeps it.
    update pg_temp.pgcortex_import_store_vectors as r
    set outcome = 'merged'
    where r.outcome is null and exists (
        select from pgcortex.store_item_vectors as v
        where v.namespace = _ns and v.path = r.path and v.key = r.key and v.field = r.field
    );
    update pg_temp.pgcortex_import_store_vectors as r set outcome = 'imported' where r.outcome is null;
    insert into pgcortex.store_item_vectors (namespace, path, key, field, embedding_model, embedding)
    select _ns, r.path, r.key, r.field, r.embedding_model, r.embedding
    from pg_temp.pgcortex_import_store_vectors as r
    where r.outcome = 'imported'
    order by r.o;

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select
        _ns, import_store_item_vectors.source, 'store_item_vectors', r.legacy_id, r.legacy_id,
        r.outcome, import_store_item_vectors.as_of
    from pg_temp.pgcortex_import_store_vectors as r
    where r.outcome in ('imported', 'merged')
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select
        r.legacy_id, r.outcome, case when r.outcome <> 'skipped' then r.legacy_id end, r.reason
    from pg_temp.pgcortex_import_store_vectors as r order by r.o;
end
$$;

COMMENT ON FUNCTION pgcortex.import_store_item_vectors(source text, items jsonb, strict boolean, as_of timestamp with time zone) IS 'Imports a batch of vectors of key-value store items ({path, key, field, embedding_model, embedding}: rows of pgcortex.store_item_vectors as an export holds them) for items this source imported (pgcortex.import_store_items), checked against their registered model. A vector of a field the item already has is not replaced (merged). One result row per item; strict raises PC003 on the first bad row.';

CREATE FUNCTION pgcortex.import_store_items(source text, items jsonb, strict boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(legacy_id text, outcome text, new_id text, reason text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(import_store_items.source, import_store_items.items);
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_store_items') is not null then
        drop table pg_temp.pgcortex_import_store_items;
    end if;
    create temp table pgcortex_import_store_items on commit drop as
    select
        r.o::integer as o,
        pg_catalog.jsonb_build_array(r.x -> 'path', r.x -> 'key')::text as legacy_id,
        case
            when pg_catalog.jsonb_typeof(r.x -> 'path') = 'array'
                and not exists (
                    select from pg_catalog.jsonb_array_elements(r.x -> 'path') as p (v)
                    where pg_catalog.jsonb_typeof(p.v) <> 'string'
                )
                then array(
                    select p.v
                    from pg_catalog.jsonb_array_elements_text(r.x -> 'path') with ordinality as p (v, n)
                    order by p.n
                )
        end as path,
        case when pg_catalog.jsonb_typeof(r.x -> 'key') = 'string' then r.x ->> 'key' end as key,
        -- The value's exact JSON text (an export holds it as a string), or a
        -- JSON object.
        case
            when pg_catalog.jsonb_typeof(r.x -> 'value') = 'string'
                then pgcortex_internal.import_json_text(r.x ->> 'value')
            else (r.x -> 'value')::text
        end as value,
        coalesce(
            (r.x ->> 'created_at')::timestamptz, (r.x ->> 'updated_at')::timestamptz,
            import_store_items.as_of
        ) as created_at,
        coalesce(
            (r.x ->> 'updated_at')::timestamptz, (r.x ->> 'created_at')::timestamptz,
            import_store_items.as_of
        ) as updated_at,
        (r.x ->> 'ttl_minutes')::float8 as ttl_minutes,
        (r.x ->> 'expires_at')::timestamptz as expires_at,
        null::text as reason,
        null::text as outcome
    from pg_catalog.jsonb_array_elements(import_store_items.items) with ordinality as r (x, o);
    analyze pg_temp.pgcortex_import_store_items;

    update pg_temp.pgcortex_import_store_items as r
    set outcome = 'present'
    where exists (
        select from pgcortex.import_ids as i
        where i.namespace = _ns and i.source = import_store_items.source
            and i.legacy_table = 'store_items' and i.legacy_id = r.legacy_id
    );
    update pg_temp.pgcortex_import_store_items as r
    set reason = case
        when r.path is null then 'path must be a JSON array of strings'
        when pg_catalog.cardinality(r.path) not between 1 and 64
            or pg_catalog.array_position(r.path, '') is not null
            then 'a path has 1 to 64 labels, none empty'
        when r.key is null then 'key must be a string'
        when pg_catalog.length(r.key) > 1000 then 'key must have at most 1000 characters'
        when pg_catalog.octet_length(pg_catalog.array_to_string(r.path, '/'))
            + pg_catalog.octet_length(r.key) > 2000
            then 'path and key together must take at most 2000 bytes'
        when r.value is null or pg_catalog.json_typeof(r.value::json) <> 'object'
            then 'value must be a JSON object'
        when (r.ttl_minutes is null) <> (r.expires_at is null)
            or r.ttl_minutes <= 0 or r.ttl_minutes > 5256000
            then 'ttl_minutes (over 0, at most 5256000) and expires_at go together'
        when r.updated_at < r.created_at then 'updated_at is before created_at'
        when exists (
            select from pg_temp.pgcortex_import_store_items as d
            where d.legacy_id = r.legacy_id and d.o < r.o
        ) then 'item given twice in this batch'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_store_items'::pg_catalog.regclass, import_store_items.strict, 'store_items'
    );

    -- An item already at that path and key: the newer write stays. A newer
    -- imported value replaces the item's vectors too, as a put does: they
    -- described the old value (the import's own follow with
    -- import_store_item_vectors).
    update pg_temp.pgcortex_import_store_items as r
    set outcome = 'merged'
    where r.outcome is null and exists (
        select from pgcortex.store_items as s
        where s.namespace = _ns and s.path = r.path and s.key = r.key
    );
    delete from pgcortex.store_item_vectors as v
    using pg_temp.pgcortex_import_store_items as r, pgcortex.store_items as s
    where
        r.outcome = 'merged' and s.namespace = _ns and s.path = r.path and s.key = r.key
        and r.updated_at > s.updated_at
        and v.namespace = _ns and v.path = r.path and v.key = r.key;
    update pgcortex.store_items as s
    set
        value = r.value::json,
        value_jsonb = pgcortex_internal.session_item_jsonb(r.value::json),
        created_at = least(s.created_at, r.created_at),
        updated_at = r.updated_at,
        ttl_minutes = r.ttl_minutes,
        expires_at = r.expires_at
    from pg_temp.pgcortex_import_store_items as r
    where
        r.outcome = 'merged' and s.namespace = _ns and s.path = r.path and s.key = r.key
        and r.updated_at > s.updated_at;
    update pg_temp.pgcortex_import_store_items as r set outcome = 'imported' where r.outcome is null;
    insert into pgcortex.store_items (
        namespace, path, key, value, value_jsonb, created_at, updated_at, ttl_minutes, expires_at
    )
    select
        _ns, r.path, r.key, r.value::json, pgcortex_internal.session_item_jsonb(r.value::json),
        r.created_at, r.updated_at, r.ttl_minutes, r.expires_at
    from pg_temp.pgcortex_import_store_items as r
    where r.outcome = 'imported'
    order by r.o;

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select
        _ns, import_store_items.source, 'store_items', r.legacy_id, r.legacy_id, r.outcome,
        import_store_items.as_of
    from pg_temp.pgcortex_import_store_items as r
    where r.outcome in ('imported', 'merged')
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select
        r.legacy_id, r.outcome, case when r.outcome <> 'skipped' then r.legacy_id end, r.reason
    from pg_temp.pgcortex_import_store_items as r order by r.o;
end
$$;

COMMENT ON FUNCTION pgcortex.import_store_items(source text, items jsonb, strict boolean, as_of timestamp with time zone) IS 'Imports a batch of key-value store items ({path, key, value (a JSON object, or a string holding its exact JSON text as an export has it), created_at, updated_at, ttl_minutes, expires_at}: rows of pgcortex.store_items as an export holds them) with their times and expiry; legacy and new id: the JSON array [path, key]. An item already at the same path and key keeps the newer write of the two (merged); a newer imported value drops the item''s vectors, which import_store_item_vectors then brings with it. One result row per item; strict raises PC003 on the first bad row.';

CREATE FUNCTION pgcortex.import_turns(source text, items jsonb, strict boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(legacy_id text, outcome text, new_id text, reason text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.import_check_batch(import_turns.source, import_turns.items);
    if pg_catalog.to_regclass('pg_temp.pgcortex_import_turns') is not null then
        drop table pg_temp.pgcortex_import_turns;
    end if;
    create temp table pgcortex_import_turns on commit drop as
    select
        r.o::integer as o,
        nullif(r.x ->> 'legacy_id', '') as legacy_id,
        r.x ->> 'session_id' as session_legacy,
        s.new_id::uuid as session_id,
        m.new_id::uuid as memory_id,
        r.x ->> 'role' as role,
        r.x ->> 'content' as content,
        coalesce(r.x -> 'context', '{}'::jsonb) as context,
        coalesce((r.x ->> 'created_at')::timestamptz, import_turns.as_of) as created_at,
        null::text as reason,
        null::text as outcome,
        null::bigint as target
    from pg_catalog.jsonb_array_elements(import_turns.items) with ordinality as r (x, o)
    left join pgcortex.import_ids as s
        on s.namespace = _ns and s.source = import_turns.source
        and s.legacy_table = 'conversation_sessions' and s.legacy_id = r.x ->> 'session_id'
    left join pgcortex.import_ids as m
        on m.namespace = _ns and m.source = import_turns.source
        and m.legacy_table = 'memories' and m.legacy_id = r.x ->> 'memory_id';
    analyze pg_temp.pgcortex_import_turns;

    update pg_temp.pgcortex_import_turns as r
    set outcome = 'present', target = i.new_id::bigint
    from pgcortex.import_ids as i
    where i.namespace = _ns and i.source = import_turns.source
        and i.legacy_table = 'conversation_turns' and i.legacy_id = r.legacy_id;
    update pg_temp.pgcortex_import_turns as r
    set reason = case
        when r.legacy_id is null then 'legacy id is missing'
        when r.session_legacy is not null and r.session_id is null
            then pg_catalog.format('session %s was not imported', r.session_legacy)
        when r.role is null or r.role not in ('user', 'assistant', 'system', 'tool')
            then pg_catalog.format('role %L is not user, assistant, system or tool', r.role)
        when r.content is null or pg_catalog.length(r.content) not between 1 and 100000
            then 'content must have 1 to 100000 characters'
        when pg_catalog.jsonb_typeof(r.context) <> 'object' then 'context must be a JSON object'
        when exists (
            select from pg_temp.pgcortex_import_turns as d where d.legacy_id = r.legacy_id and d.o < r.o
        ) then 'legacy id given twice in this batch'
    end
    where r.outcome is null;
    perform pgcortex_internal.import_settle(
        'pg_temp.pgcortex_import_turns'::pg_catalog.regclass, import_turns.strict, 'conversation_turns'
    );

    with ins as (
        insert into pgcortex.conversation_turns as t (namespace, session_id, role, content, context, memory_id, created_at)
        select _ns, r.session_id, r.role, r.content, r.context, r.memory_id, r.created_at
        from pg_temp.pgcortex_import_turns as r
        where r.outcome is null
        order by r.o
        returning t.turn_id
    ),
    numbered as (
        select i.turn_id, pg_catalog.row_number() over (order by i.turn_id) as n from ins as i
    ),
    todo as (
        select r.o, pg_catalog.row_number() over (order by r.o) as n
        from pg_temp.pgcortex_import_turns as r where r.outcome is null
    )
    update pg_temp.pgcortex_import_turns as r
    set outcome = 'imported', target = nb.turn_id
    from todo as t
    inner join numbered as nb on nb.n = t.n
    where r.o = t.o;

    insert into pgcortex.import_ids (namespace, source, legacy_table, legacy_id, new_id, outcome, imported_at)
    select _ns, import_turns.source, 'conversation_turns', r.legacy_id, r.target::text, r.outcome, import_turns.as_of
    from pg_temp.pgcortex_import_turns as r
    where r.outcome = 'imported'
    on conflict on constraint import_ids_pkey do nothing;

    return query
    select r.legacy_id, r.outcome, r.target::text, r.reason
    from pg_temp.pgcortex_import_turns as r order by r.o;
end
$$;

COMMENT ON FUNCTION pgcortex.import_turns(source text, items jsonb, strict boolean, as_of timestamp with time zone) IS 'Imports a batch of conversation turns ({legacy_id, session_id, role, content, context, memory_id, created_at}; session and memory ids of the source resolved through pgcortex.import_ids) in their order, with new turn ids. One result row per item; strict raises PC003 on the first bad row.';

CREATE FUNCTION pgcortex.learn_user_preference(key text, value jsonb, confidence real DEFAULT 1.0, source text DEFAULT 'conversation'::text, session_id uuid DEFAULT NULL::uuid, memory_id uuid DEFAULT NULL::uuid, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(preference_key text, held_value jsonb, held_confidence real, held_source text, applied boolean, previous_value jsonb, previous_confidence real, created_at timestamp with time zone, updated_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _ns text := pgcortex.current_namespace();
    _held pgcortex.user_preferences;
    _applied boolean;
begin
    if learn_user_preference.key is null or pg_catalog.length(pg_catalog.btrim(learn_user_preference.key)) = 0
        or pg_catalog.length(learn_user_preference.key) > 255 then
        raise exception using errcode = 'PC003', message = 'key must have 1 to 255 characters';
    end if;
    if learn_user_preference.value is null then
        raise exception using
            errcode = 'PC003', message = 'value is required',
            hint = 'pass the JSON value null (''null''::jsonb) to record an explicit null';
    end if;
    if learn_user_preference.confidence is null
        or learn_user_preference.confidence not between 0 and 1 then
        raise exception using errcode = 'PC004', message = 'confidence must be between 0 and 1';
    end if;
    if learn_user_preference.source is null or pg_catalog.length(learn_user_preference.source) not between 1 and 255 then
        raise exception using errcode = 'PC003', message = 'source must have 1 to 255 characters';
    end if;
    if learn_user_preference.session_id is not null and not exists (
        select from pgcortex.conversation_sessions as s
        where s.namespace = _ns and s.session_id = learn_user_preference.session_id
    ) then
        raise exception using errcode = 'PC030', message = 'no such session in this namespace';
    end if;
    if learn_user_preference.memory_id is not null and not exists (
        select from pgcortex.memories as m
        where m.namespace = _ns and m.id = learn_user_preference.memory_id
    ) then
        raise exception using errcode = 'PC030', message = 'no such memory in this namespace';
    end if;

    -- Serialise offers for one key so the rule sees the value really held.
    perform pg_catalog.pg_advisory_xact_lock(
        pg_catalog.hashtext('pgcortex.pref'), pg_catalog.hashtext(_ns || chr(31) || learn_user_preference.key)
    );
    select p.* into _held
    from pgcortex.user_preferences as p
    where p.namespace = _ns and p.key = learn_user_preference.key;

    if not found then
        _applied := true;
        insert into pgcortex.user_preferences (
            namespace, key, value, confidence, source, created_at, updated_at
        ) values (
            _ns, learn_user_preference.key, learn_user_preference.value,
            learn_user_preference.confidence, learn_user_preference.source,
            learn_user_preference.as_of, learn_user_preference.as_of
        );
    elsif learn_user_preference.confidence >= _held.confidence then
        _applied := true;
        update pgcortex.user_preferences as p set
            value = learn_user_preference.value,
            confidence = learn_user_preference.confidence,
            source = learn_user_preference.source,
            updated_at = learn_user_preference.as_of
        where p.namespace = _ns and p.key = learn_user_preference.key;
    else
        _applied := false;
    end if;

    insert into pgcortex.user_preference_history (
        namespace, key, value, confidence, source, session_id, memory_id, applied,
        previous_value, previous_confidence, changed_at
    ) values (
        _ns, learn_user_preference.key, learn_user_preference.value,
        learn_user_preference.confidence, learn_user_preference.source,
        learn_user_preference.session_id, learn_user_preference.memory_id, _applied,
        _held.value, _held.confidence, learn_user_preference.as_of
    );

    return query
    select p.key, p.value, p.confidence, p.source, _applied, _held.value, _held.confidence,
        p.created_at, p.updated_at
    from pgcortex.user_preferences as p
    where p.namespace = _ns and p.key = learn_user_preference.key;
end
$$;

COMMENT ON FUNCTION pgcortex.learn_user_preference(key text, value jsonb, confidence real, source text, session_id uuid, memory_id uuid, as_of timestamp with time zone) IS 'Upserts a user preference (any JSON value). An offer whose confidence is >= the held confidence replaces the value; a lower-confidence offer never overwrites (applied = false). Every offer is recorded in user_preference_history with its source, session and memory. PC003 bad key/value/source, PC004 confidence outside 0..1, PC030 unknown session or memory.';

CREATE FUNCTION pgcortex.link_memories(source_id uuid, target_id uuid, relation text DEFAULT 'related'::text, weight real DEFAULT 1.0, as_of timestamp with time zone DEFAULT now()) RETURNS SETOF pgcortex.memory_link_row
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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
    returning l.source_id, l.target_id, l.relation, l.weight, l.created_at;
end
$_$;

COMMENT ON FUNCTION pgcortex.link_memories(source_id uuid, target_id uuid, relation text, weight real, as_of timestamp with time zone) IS 'Links source to target with a relation (a lower-case word, default related) and a weight in 0..1; linking the same pair and relation again sets the new weight. Returns the link row. PC030 when either memory is not in the namespace, PC003 / PC004 on bad input.';

CREATE FUNCTION pgcortex.list_embedding_models() RETURNS SETOF pgcortex.embedding_model_info
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    return query
    select (pgcortex.embedding_model_row(e.name)).*
    from pgcortex.embedding_models as e
    order by e.model_id;
end
$$;

COMMENT ON FUNCTION pgcortex.list_embedding_models() IS 'Every registered embedding model: id, name, dimensions, distance, storage, normalize_vectors, whether it is the deployment default, its index and the index''s state (valid, building, missing).';

CREATE FUNCTION pgcortex.list_memories(memory_types text[] DEFAULT NULL::text[], tags_any text[] DEFAULT NULL::text[], tags_all text[] DEFAULT NULL::text[], min_importance integer DEFAULT NULL::integer, max_importance integer DEFAULT NULL::integer, min_confidence real DEFAULT NULL::real, created_after timestamp with time zone DEFAULT NULL::timestamp with time zone, created_before timestamp with time zone DEFAULT NULL::timestamp with time zone, metadata_contains jsonb DEFAULT NULL::jsonb, order_by text DEFAULT 'newest'::text, page_size integer DEFAULT 50, page_offset integer DEFAULT 0, include_embedding boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS SETOF pgcortex.memory_row
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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
            left join (
                select g.memory_id, g.pending, g.last_accessed
                from pgcortex_internal.pending_accesses() as g
                where list_memories.order_by in ('accessed', 'recent')
            ) as l on m.id = l.memory_id
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
    select * from pgcortex_internal.memory_rows(_ids, list_memories.include_embedding, list_memories.as_of);
end
$$;

COMMENT ON FUNCTION pgcortex.list_memories(memory_types text[], tags_any text[], tags_all text[], min_importance integer, max_importance integer, min_confidence real, created_after timestamp with time zone, created_before timestamp with time zone, metadata_contains jsonb, order_by text, page_size integer, page_offset integer, include_embedding boolean, as_of timestamp with time zone) IS 'A page (page_size 1..10000, page_offset) of the unexpired memories matching every filter given, ordered by order_by: newest (default), oldest, importance (most important first), accessed (most accessed first) or recent (last accessed first); ties newest first. Counts no access.';

CREATE TABLE pgcortex.memory_types (
    name text NOT NULL,
    description text NOT NULL,
    CONSTRAINT memory_types_name_check CHECK ((name ~ '^[a-z][a-z0-9_]{0,62}$'::text))
);

COMMENT ON TABLE pgcortex.memory_types IS 'The kinds of memory. A row here is all it takes to add a type (no migration).';

CREATE FUNCTION pgcortex.list_memory_types() RETURNS TABLE(name text, description text)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT t.name,
     t.description
    FROM pgcortex.memory_types t
   ORDER BY t.name;
END;

COMMENT ON FUNCTION pgcortex.list_memory_types() IS 'The kinds of memory (name, description), by name. Add one with a row in pgcortex.memory_types.';

CREATE FUNCTION pgcortex.list_sessions(open_only boolean DEFAULT false, max_results integer DEFAULT 20) RETURNS SETOF pgcortex.session_row
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT s.session_id,
     s.started_at,
     s.ended_at,
     s.message_count,
     s.topics,
     s.summary,
     s.importance,
     s.metadata,
     s.duration_seconds
    FROM pgcortex.conversation_sessions s
   WHERE (((s.namespace)::text = ( SELECT pgcortex.current_namespace() AS current_namespace)) AND ((NOT list_sessions.open_only) OR (s.ended_at IS NULL)))
   ORDER BY s.started_at DESC, s.session_id DESC
  LIMIT GREATEST(COALESCE(list_sessions.max_results, 20), 0);
END;

COMMENT ON FUNCTION pgcortex.list_sessions(open_only boolean, max_results integer) IS 'Conversation sessions of the namespace (all, or open ones only), newest first, with message_count, topics, summary and duration_seconds.';

CREATE FUNCTION pgcortex.maint_drop_old_embeddings(embedding_model text DEFAULT NULL::text) RETURNS TABLE(dropped_model text, dropped bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION pgcortex.maint_drop_old_embeddings(embedding_model text) IS 'Deletes this namespace''s vectors of the model kept beside the current ones (default: the previous model, left by the last switch; a model being re-embedded into: its staged vectors, which cancels that re-embed). Returns per model how many were dropped (no row when none). PC013 unknown model.';

CREATE FUNCTION pgcortex.maint_flush_access(max_rows integer DEFAULT 1000000) RETURNS TABLE(flushed_rows bigint, memories_updated bigint, remaining_rows bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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
    SET search_path TO 'pg_catalog', 'pg_temp'
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
        left join pgcortex_internal.pending_accesses() as l on m.id = l.memory_id
        where
            m.namespace = _ns
            and m.importance <= maint_forget.max_importance
            and coalesce(a.access_count, 0) + coalesce(l.pending, 0) < maint_forget.min_access_count
            and coalesce(greatest(a.last_accessed, l.last_accessed), m.created_at) < _cutoff
        order by m.id
    );
    if not maint_forget.dry_run then
        _deleted := pgcortex_internal.forget_memories(_ids, 'forget', maint_forget.as_of);
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

COMMENT ON FUNCTION pgcortex.maint_forget(days integer, max_importance integer, min_access_count integer, as_of timestamp with time zone, dry_run boolean) IS 'Maintenance, the original memory module''s forgetting policy: deletes the memories of this namespace not accessed (nor created) for more than days before as_of, whose importance is at most max_importance and that were accessed fewer than min_access_count times. dry_run reports the same without deleting. Returns whether it was a dry run (simulated), the cutoff, how many matched, how many were deleted and the ids (those matched on a dry run, else those deleted).';

CREATE FUNCTION pgcortex.maint_prune_history(keep_days integer DEFAULT 365, as_of timestamp with time zone DEFAULT now(), dry_run boolean DEFAULT false) RETURNS TABLE(simulated boolean, cutoff timestamp with time zone, matched bigint, deleted bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _ns text := pgcortex.current_namespace();
    _cutoff timestamptz;
    _matched bigint;
    _deleted bigint := 0;
begin
    if maint_prune_history.as_of is null then
        raise exception using errcode = 'PC003', message = 'as_of must not be null';
    end if;
    if maint_prune_history.keep_days is null or maint_prune_history.keep_days < 0 then
        raise exception using errcode = 'PC004', message = 'keep_days must be 0 or more';
    end if;
    _cutoff := maint_prune_history.as_of - pg_catalog.make_interval(days => maint_prune_history.keep_days);
    if coalesce(maint_prune_history.dry_run, false) then
        select count(*) into _matched
        from pgcortex.memory_history as h
        where h.namespace = _ns and h.changed_at < _cutoff;
    else
        delete from pgcortex.memory_history as h
        where h.namespace = _ns and h.changed_at < _cutoff;
        get diagnostics _deleted = row_count;
        _matched := _deleted;
    end if;
    return query select coalesce(maint_prune_history.dry_run, false), _cutoff, _matched, _deleted;
end
$$;

COMMENT ON FUNCTION pgcortex.maint_prune_history(keep_days integer, as_of timestamp with time zone, dry_run boolean) IS 'Maintenance, retention of pgcortex.memory_history: deletes the history rows of this namespace changed more than keep_days (default 365) before as_of; dry_run counts them without deleting. Returns whether it was a dry run (simulated), the cutoff, how many rows matched and how many were deleted. maint_run calls it (history_days).';

CREATE FUNCTION pgcortex.maint_purge_expired(as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(purged bigint, ids uuid[])
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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
            m.namespace = (select pgcortex.current_namespace())
            and m.expires_at <= maint_purge_expired.as_of
        order by m.id
    );
    _ids := pgcortex_internal.forget_memories(_ids, 'purge_expired', maint_purge_expired.as_of);
    return query select pg_catalog.cardinality(_ids)::bigint, _ids;
end
$$;

COMMENT ON FUNCTION pgcortex.maint_purge_expired(as_of timestamp with time zone) IS 'Maintenance: deletes the memories of this namespace whose expires_at is at or before as_of (they are already invisible to every read). Returns how many were purged and their ids.';

CREATE FUNCTION pgcortex.maint_rebuild_terms() RETURNS TABLE(terms bigint, terms_removed bigint, documents bigint, log_rows_dropped bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    -- The folder's lock: no fold of this namespace runs meanwhile.
    perform pg_catalog.pg_advisory_xact_lock(
        pg_catalog.hashtext('pgcortex.fold_terms'), pg_catalog.hashtext(_ns)
    );
    -- One statement, one snapshot: the pending log rows it drops are those of
    -- the memories it counts; a write committed after it keeps its log rows,
    -- which a later fold adds.
    return query
    with dropped as (
        delete from pgcortex.memory_term_log as l
        where l.namespace = _ns
        returning 1
    ),
    counted as (
        select u.lexeme, count(*) as n
        from pgcortex.memories as m
        cross join lateral pg_catalog.unnest(m.content_tsv) as u
        where m.namespace = _ns
        group by u.lexeme
    ),
    upserted as (
        -- Lexeme order, as the fold writes them.
        insert into pgcortex.memory_terms as t (namespace, lexeme, doc_count)
        select _ns, c.lexeme, c.n from counted as c
        order by c.lexeme
        on conflict (namespace, lexeme) do update set doc_count = excluded.doc_count
        returning 1
    ),
    gone as (
        delete from pgcortex.memory_terms as t
        where t.namespace = _ns and not exists (select from counted as c where c.lexeme = t.lexeme)
        returning 1
    ),
    totals as (
        insert into pgcortex.memory_term_totals as t (namespace, doc_count, total_length)
        select _ns, count(*), coalesce(sum(pg_catalog.length(m.content_tsv)), 0)
        from pgcortex.memories as m
        where m.namespace = _ns
        on conflict (namespace) do update
            set doc_count = excluded.doc_count, total_length = excluded.total_length
        returning t.doc_count
    )
    select
        (select count(*) from upserted),
        (select count(*) from gone),
        (select x.doc_count from totals as x),
        (select count(*) from dropped);
end
$$;

COMMENT ON FUNCTION pgcortex.maint_rebuild_terms() IS 'Maintenance: recounts the current namespace''s term statistics (pgcortex.memory_terms, memory_term_totals: what BM25 in pgcortex.search_memories reads) from its memories, and drops its pending term log. For a bulk load that bypassed the triggers on pgcortex.memories (COPY with session_replication_role replica), or a repair; stores keep the statistics by themselves. Returns the lexemes counted, the lexemes removed (no memory holds them), the memories and the log rows dropped.';

CREATE FUNCTION pgcortex.maint_recluster(merge_similarity real DEFAULT NULL::real, max_topics integer DEFAULT 5, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(clusters_before integer, memories_assigned integer, clusters_merged integer, members_moved integer, clusters_dissolved integer, clusters_after integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _ns text := pgcortex.current_namespace();
    _merge real;
    _before integer;
    _assigned integer := 0;
    _merged integer := 0;
    _moved integer := 0;
    _dissolved integer := 0;
    _ids uuid[];
    _pair record;
    _gone uuid[] := '{}';
    _big uuid;
    _small uuid;
    _pass integer;
    _pass_merged integer;
begin
    if maint_recluster.merge_similarity is not null and maint_recluster.merge_similarity not between -1 and 1 then
        raise exception using errcode = 'PC004', message = 'merge_similarity must be between -1 and 1';
    end if;
    if maint_recluster.max_topics is null or maint_recluster.max_topics not between 0 and 100 then
        raise exception using errcode = 'PC004', message = 'max_topics must be between 0 and 100';
    end if;
    perform pg_catalog.pg_advisory_xact_lock(
        pg_catalog.hashtext('pgcortex.clusters'), pg_catalog.hashtext(_ns)
    );
    -- The queued memories first (after the lock: taking the shared lock of
    -- assignment first and then this one could deadlock with another session
    -- doing the same), so that memories_assigned counts only those that were
    -- in no cluster for another reason, as before the queue.
    perform pgcortex_internal.cluster_pending(maint_recluster.as_of);
    select coalesce(maint_recluster.merge_similarity, s.cluster_merge_similarity)
    into _merge from pgcortex.knowledge_settings() as s;
    select count(*) into _before from pgcortex.knowledge_clusters as c where c.namespace = _ns;

    -- 1. Memories in no automatic cluster (stored before the trigger existed,
    --    restored without clustering, or whose cluster was removed) are
    --    assigned now.
    select pg_catalog.array_agg(m.id) into _ids
    from pgcortex.memories as m
    where
        m.namespace = _ns
        and not exists (
            select from pgcortex.cluster_members as cm
            inner join pgcortex.knowledge_clusters as c
                on c.namespace = cm.namespace and c.id = cm.cluster_id and c.origin = 'auto'
            where cm.namespace = _ns and cm.memory_id = m.id
        );
    if _ids is not null then
        select a.assigned into _assigned from pgcortex_internal.cluster_memories(_ids, maint_recluster.as_of) as a;
    end if;

    -- 2. Centroids from the members as they are.
    select pg_catalog.array_agg(c.id) into _ids
    from pgcortex.knowledge_clusters as c where c.namespace = _ns;
    perform pgcortex_internal.refresh_clusters(coalesce(_ids, '{}'), 0, maint_recluster.as_of);

    -- 3. Merge close automatic clusters, closest pairs first, the smaller into
    --    the larger; passes repeat (centroids recomputed in between) until a
    --    pass merges nothing, at most 20.
    for _pass in 1..20 loop
        _pass_merged := 0;
        _gone := '{}';
        for _pair in
            with cl as materialized (
                select k.id, k.member_count, k.centroid, k.centroid_model
                from pgcortex.knowledge_clusters as k
                where k.namespace = _ns and k.origin = 'auto' and k.centroid is not null
            )
            select a.id as a_id, a.member_count as a_n, n.id as b_id, n.member_count as b_n, n.sim
            from cl as a
            cross join lateral (
                select
                    b.id, b.member_count,
                    nullif((1 - (b.centroid operator(public.<=>) a.centroid))::real, 'NaN'::real) as sim
                from cl as b
                where b.id <> a.id and b.centroid_model = a.centroid_model
                order by b.centroid operator(public.<=>) a.centroid
                limit 1
            ) as n
            where n.sim >= _merge
            order by n.sim desc, a.id
        loop
            continue when _pair.a_id = any(_gone) or _pair.b_id = any(_gone);
            if _pair.a_n > _pair.b_n or (_pair.a_n = _pair.b_n and _pair.a_id < _pair.b_id) then
                _big := _pair.a_id; _small := _pair.b_id;
            else
                _big := _pair.b_id; _small := _pair.a_id;
            end if;
            update pgcortex.cluster_members as cm set cluster_id = _big
            where cm.namespace = _ns and cm.cluster_id = _small;
            delete from pgcortex.knowledge_clusters as c where c.namespace = _ns and c.id = _small;
            update pgcortex.knowledge_clusters as c set last_updated = maint_recluster.as_of
            where c.namespace = _ns and c.id = _big;
            _gone := _gone || _small;
            _merged := _merged + 1;
            _pass_merged := _pass_merged + 1;
        end loop;
        exit when _pass_merged = 0;
        select pg_catalog.array_agg(c.id) into _ids
        from pgcortex.knowledge_clusters as c where c.namespace = _ns;
        perform pgcortex_internal.refresh_clusters(coalesce(_ids, '{}'), 0, maint_recluster.as_of);
    end loop;

    -- 4. One k-means step: each member of an automatic embedding cluster moves
    --    to the nearest automatic centroid of its model when that is nearer.
    with cl as materialized (
        select k.id, k.centroid, k.centroid_model
        from pgcortex.knowledge_clusters as k
        where k.namespace = _ns and k.origin = 'auto' and k.centroid is not null
    ),
    cur as (
        select cm.memory_id, cm.cluster_id, m.embedding, m.embedding_model,
            nullif((1 - (c.centroid operator(public.<=>) m.embedding))::real, 'NaN'::real) as sim
        from pgcortex.cluster_members as cm
        inner join pgcortex.knowledge_clusters as c
            on c.namespace = cm.namespace and c.id = cm.cluster_id and c.origin = 'auto'
        inner join pgcortex.memories as m on m.namespace = cm.namespace and m.id = cm.memory_id
        where cm.namespace = _ns and c.centroid is not null and m.embedding_model = c.centroid_model
    ),
    best as (
        select cur.memory_id, cur.cluster_id as old_id, n.id as new_id
        from cur
        cross join lateral (
            select
                b.id,
                nullif((1 - (b.centroid operator(public.<=>) cur.embedding))::real, 'NaN'::real) as sim
            from cl as b
            where b.centroid_model = cur.embedding_model
            order by b.centroid operator(public.<=>) cur.embedding
            limit 1
        ) as n
        where n.id <> cur.cluster_id and n.sim > cur.sim + 0.0001
    )
    update pgcortex.cluster_members as cm set
        cluster_id = best.new_id, joined_at = maint_recluster.as_of
    from best
    where cm.namespace = _ns and cm.cluster_id = best.old_id and cm.memory_id = best.memory_id;
    get diagnostics _moved = row_count;

    -- 5. Dissolve automatic clusters left empty, then recompute everything.
    delete from pgcortex.knowledge_clusters as c
    where
        c.namespace = _ns and c.origin = 'auto'
        and not exists (
            select from pgcortex.cluster_members as cm
            where cm.namespace = c.namespace and cm.cluster_id = c.id
        );
    get diagnostics _dissolved = row_count;
    select pg_catalog.array_agg(c.id) into _ids
    from pgcortex.knowledge_clusters as c where c.namespace = _ns;
    perform pgcortex_internal.refresh_clusters(coalesce(_ids, '{}'), maint_recluster.max_topics, maint_recluster.as_of);
    update pgcortex.cluster_members as cm set
        similarity = (1 - (c.centroid operator(public.<=>) m.embedding))::real
    from pgcortex.knowledge_clusters as c, pgcortex.memories as m
    where
        cm.namespace = _ns and c.namespace = _ns and c.id = cm.cluster_id
        and m.namespace = _ns and m.id = cm.memory_id and m.embedding_model = c.centroid_model
        and cm.similarity is distinct from (1 - (c.centroid operator(public.<=>) m.embedding))::real;

    return query
    select _before, _assigned, _merged, _moved, _dissolved,
        (select count(*)::integer from pgcortex.knowledge_clusters as c where c.namespace = _ns);
end
$$;

COMMENT ON FUNCTION pgcortex.maint_recluster(merge_similarity real, max_topics integer, as_of timestamp with time zone) IS 'Re-clusters the namespace and reports it: assigns memories in no automatic cluster, merges automatic clusters whose centroids are at least merge_similarity alike (default cluster_merge_similarity), moves members to their nearest centroid, dissolves empty automatic clusters, recomputes centroids, importance_score (pgcortex_internal.cluster_importance) and topics (max_topics). Clusters the queued memories first (pgcortex_internal.cluster_pending). Holds the namespace''s clustering lock: cluster reads and writes wait for it, stores do not.';

CREATE FUNCTION pgcortex.maint_run(forget_days integer DEFAULT 90, forget boolean DEFAULT true, recluster boolean DEFAULT true, detect_patterns boolean DEFAULT true, as_of timestamp with time zone DEFAULT now(), history_days integer DEFAULT 365) RETURNS TABLE(step text, result jsonb, duration_ms numeric)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _t timestamptz;
    _r jsonb;
begin
    perform pgcortex.current_namespace();
    if maint_run.as_of is null then
        raise exception using errcode = 'PC003', message = 'as_of must not be null';
    end if;
    if maint_run.forget_days is null or maint_run.forget_days < 0 then
        raise exception using errcode = 'PC004', message = 'forget_days must be 0 or more';
    end if;
    if maint_run.history_days < 0 then
        raise exception using errcode = 'PC004', message = 'history_days must be 0 or more (null keeps all history)';
    end if;

    _t := pg_catalog.clock_timestamp();
    if maint_run.forget then
        select pg_catalog.to_jsonb(f) - 'ids' into _r
        from pgcortex.maint_forget(days => maint_run.forget_days, as_of => maint_run.as_of) as f;
    else
        _r := '{"skipped": true}';
    end if;
    return query select 'forget', _r, pgcortex_internal.elapsed_ms(_t);

    _t := pg_catalog.clock_timestamp();
    select pg_catalog.to_jsonb(f) - 'ids' into _r
    from pgcortex.maint_purge_expired(as_of => maint_run.as_of) as f;
    return query select 'purge_expired', _r, pgcortex_internal.elapsed_ms(_t);

    _t := pg_catalog.clock_timestamp();
    select pg_catalog.jsonb_build_object('items_deleted', f.items_deleted) into _r
    from pgcortex.maint_store_sweep(as_of => maint_run.as_of) as f;
    return query select 'store_sweep', _r, pgcortex_internal.elapsed_ms(_t);

    _t := pg_catalog.clock_timestamp();
    select pg_catalog.to_jsonb(f) into _r from pgcortex.maint_flush_access() as f;
    return query select 'flush_access', _r, pgcortex_internal.elapsed_ms(_t);

    _t := pg_catalog.clock_timestamp();
    select pg_catalog.to_jsonb(f) into _r from pgcortex_internal.maint_fold_terms() as f;
    return query select 'fold_terms', _r, pgcortex_internal.elapsed_ms(_t);

    _t := pg_catalog.clock_timestamp();
    if maint_run.history_days is not null then
        select pg_catalog.to_jsonb(f) into _r
        from pgcortex.maint_prune_history(keep_days => maint_run.history_days, as_of => maint_run.as_of) as f;
    else
        _r := '{"skipped": true}';
    end if;
    return query select 'prune_history', _r, pgcortex_internal.elapsed_ms(_t);

    _t := pg_catalog.clock_timestamp();
    _r := pg_catalog.jsonb_build_object('clustered', pgcortex_internal.cluster_pending(maint_run.as_of));
    return query select 'cluster_pending', _r, pgcortex_internal.elapsed_ms(_t);

    _t := pg_catalog.clock_timestamp();
    if maint_run.recluster then
        select pg_catalog.to_jsonb(f) into _r from pgcortex.maint_recluster(as_of => maint_run.as_of) as f;
    else
        _r := '{"skipped": true}';
    end if;
    return query select 'recluster', _r, pgcortex_internal.elapsed_ms(_t);

    _t := pg_catalog.clock_timestamp();
    if maint_run.detect_patterns then
        select pg_catalog.jsonb_build_object(
            'patterns_found', count(*),
            'new_evidence', coalesce(sum(p.new_evidence), 0),
            'patterns', coalesce(
                pg_catalog.jsonb_agg(p.pattern_type || ': ' || p.description order by p.pattern_type, p.description),
                '[]'
            )
        )
        into _r
        from pgcortex.identify_learning_patterns(as_of => maint_run.as_of) as p;
    else
        _r := '{"skipped": true}';
    end if;
    return query select 'detect_patterns', _r, pgcortex_internal.elapsed_ms(_t);
end
$$;

COMMENT ON FUNCTION pgcortex.maint_run(forget_days integer, forget boolean, recluster boolean, detect_patterns boolean, as_of timestamp with time zone, history_days integer) IS 'All maintenance of the namespace in one call, one row per step in this order: forget (pgcortex.maint_forget with forget_days), purge_expired (maint_purge_expired), store_sweep (maint_store_sweep: the key-value store''s expired items), flush_access (maint_flush_access: folds the access log, up to 1,000,000 rows), fold_terms (folds the pending term statistics of the text search: {folded_rows, terms_changed, remaining_rows}, pgcortex_internal.maint_fold_terms), prune_history (maint_prune_history with history_days, default 365; null keeps all history), cluster_pending (clusters the memories queued since the last cluster read: {"clustered": n}, pgcortex_internal.cluster_pending), recluster (maint_recluster), detect_patterns (identify_learning_patterns over the namespace); result is what the step reported, duration_ms how long it took. Steps can be switched off. Schedule it with pg_cron or cron (README).';

CREATE FUNCTION pgcortex.maint_store_sweep(as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(items_deleted bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION pgcortex.maint_store_sweep(as_of timestamp with time zone) IS 'Maintenance, the TTL sweeper of the key-value store: deletes the store items of the current namespace whose expiry is at or before as_of; returns how many.';

CREATE FUNCTION pgcortex.memory_history(memory_id uuid, max_rows integer DEFAULT 1000) RETURNS TABLE(history_id bigint, operation text, reason text, changed_at timestamp with time zone, changed_fields text[], old_content text, new_content text, old_importance smallint, new_importance smallint, old_confidence real, new_confidence real, old_tags text[], new_tags text[], old_metadata jsonb, new_metadata jsonb)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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
    where h.namespace = (select pgcortex.current_namespace()) and h.memory_id = memory_history.memory_id
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
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT a.audit_id,
     a.action,
     a.actor,
     a.details,
     a.at
    FROM pgcortex.namespace_audit a
   WHERE ((a.namespace)::text = ( SELECT pgcortex.current_namespace() AS current_namespace))
   ORDER BY a.at DESC, a.audit_id DESC
  LIMIT GREATEST(LEAST(namespace_audit_log.max_rows, 10000), 0);
END;

COMMENT ON FUNCTION pgcortex.namespace_audit_log(max_rows integer) IS 'Exports and erases of the current namespace (who, when, rows touched), newest first; at most 10000 rows.';

CREATE FUNCTION pgcortex.pop_session_item(session_key text) RETURNS TABLE(turn_id bigint, role text, item json, created_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _session pgcortex.conversation_sessions;
    _turn pgcortex.conversation_turns;
begin
    perform pgcortex_internal.check_session_key(pop_session_item.session_key);
    select s.* into _session
    from pgcortex.conversation_sessions as s
    where s.namespace = _ns and s.session_id = pgcortex.session_by_key(pop_session_item.session_key)
    for update;
    if not found then
        return;
    end if;
    if _session.ended_at is not null then
        raise exception using
            errcode = 'PC031',
            message = 'the session has ended',
            detail = pg_catalog.format('session %s ended at %s', _session.session_id, _session.ended_at);
    end if;
    delete from pgcortex.conversation_turns as t
    where t.turn_id = (
        select l.turn_id
        from pgcortex.conversation_turns as l
        where l.namespace = _ns and l.session_id = _session.session_id
        order by l.turn_id desc
        limit 1
    )
    returning t.* into _turn;
    if _turn.turn_id is null then
        return;
    end if;
    update pgcortex.conversation_sessions as s
    set message_count = greatest(s.message_count - 1, 0)
    where s.namespace = _ns and s.session_id = _session.session_id;
    turn_id := _turn.turn_id;
    role := _turn.role;
    item := coalesce(
        (_turn.context ->> 'session_item')::json,
        pg_catalog.json_build_object(
            'role', case _turn.role when 'tool' then 'assistant' else _turn.role end,
            'content', _turn.content
        )
    );
    created_at := _turn.created_at;
    return next;
end
$$;

COMMENT ON FUNCTION pgcortex.pop_session_item(session_key text) IS 'Removes the last item (turn) of the session whose metadata has this session_key and returns it as pgcortex.get_session_items would; no row when there is none. A conversation memory the turn became stays (forget it with pgcortex.delete_memory). PC003 bad key, PC031 session ended.';

CREATE FUNCTION pgcortex.search_memories(query_embedding public.vector DEFAULT NULL::public.vector, query_text text DEFAULT NULL::text, k integer DEFAULT 10, memory_types text[] DEFAULT NULL::text[], tags_any text[] DEFAULT NULL::text[], tags_all text[] DEFAULT NULL::text[], min_importance integer DEFAULT NULL::integer, min_confidence real DEFAULT NULL::real, created_after timestamp with time zone DEFAULT NULL::timestamp with time zone, created_before timestamp with time zone DEFAULT NULL::timestamp with time zone, accessed_after timestamp with time zone DEFAULT NULL::timestamp with time zone, accessed_before timestamp with time zone DEFAULT NULL::timestamp with time zone, metadata_contains jsonb DEFAULT NULL::jsonb, exclude_ids uuid[] DEFAULT NULL::uuid[], min_relevance real DEFAULT NULL::real, weights jsonb DEFAULT NULL::jsonb, ef_search integer DEFAULT NULL::integer, expand_links boolean DEFAULT false, track boolean DEFAULT true, embedding_model text DEFAULT NULL::text, as_of timestamp with time zone DEFAULT now()) RETURNS SETOF pgcortex.memory_search_row
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET random_page_cost TO '1.1'
    AS $_$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _defaults constant jsonb := pgcortex_internal.search_defaults();
    _w jsonb;
    _bad text;
    _n integer;
    _ef integer;
    _text text := nullif(pg_catalog.btrim(search_memories.query_text), '');
    _tsq tsquery;
    _qlex text [];
    _idf float8 [];
    _avglen float8;
    _ideal float8;
    _core text;
    _websearch boolean := false;
    _txt_more uuid [];
    _docs bigint;
    -- The text arm scores at most _scan memories: this share of the
    -- namespace's memories, or n when that is more (docs/performance.md).
    _scan_share constant float8 := 0.05;
    _scan bigint;
    _k1 float8;
    _b float8;
    _wv float8;
    _wt float8;
    _half float8;
    _rfloor float8;
    _iw float8;
    _cfloor float8;
    _aw float8;
    _asat float8;
    _tagb float8;
    _where text;
    -- The filter of a search with no filter given.
    _base_where constant text := pgcortex_internal.unfiltered_where();
    _vec_ids uuid [];
    _txt_ids uuid [];
    -- The text arm's BM25 and count of the query's words of each of its
    -- candidates (parallel to _txt_ids): the fusion reuses them.
    _txt_bm25 float8 [];
    _txt_matched bigint [];
    _vec_on boolean := false;
    _txt_on boolean := false;
    -- Conversation context: memories of the turns right after the arms' best
    -- hits (_ctx_child) and the hit each follows (_ctx_parent), in pairs.
    _ctx float8;
    _ctx_child uuid [];
    _ctx_parent uuid [];
    _ctx_keep uuid [];
    _rows pgcortex.memory_search_row [];
    _model pgcortex_internal.embedding_model_sql;
    _qvec public.vector;
    _plan jsonb;
    _exact boolean := false;
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
    if search_memories.query_embedding is not null then
        -- The namespace's current model (PC012 another one, PC013 unregistered:
        -- a primary-key read, no scan of the stored embeddings), then the
        -- vector against it (PC010, PC011), normalised when the model is.
        _model := pgcortex_internal.check_embedding_model(search_memories.embedding_model, false);
        _qvec := pgcortex_internal.model_vector(search_memories.query_embedding, _model, 'query_embedding');
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
    perform pgcortex_internal.check_memory_type(t.x)
    from pg_catalog.unnest(search_memories.memory_types) as t (x);
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
    if (_w ->> 'bm25_k1')::float8 not between 0 and 10
        or (_w ->> 'bm25_b')::float8 not between 0 and 1
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
        or (_w ->> 'min_candidates')::float8 not between 1 and 10000
        or (_w ->> 'context_weight')::float8 not between 0 and 1
    then
        raise exception using
            errcode = 'PC004',
            message = 'a weight is out of range',
            hint = 'bm25_k1 in 0..10; bm25_b in 0..1; vector_weight, text_weight >= 0; half_life_days > 0; '
            'recency_floor, importance_weight, confidence_floor, access_weight, tag_boost in 0..1; '
            'access_saturation >= 1; candidates_per_k in 1..100; min_candidates in 1..10000; '
            'context_weight in 0..1';
    end if;

    _k1 := (_w ->> 'bm25_k1')::float8;
    _b := (_w ->> 'bm25_b')::float8;
    -- The fusion's weights as numbers: read once, not per candidate.
    _wv := (_w ->> 'vector_weight')::float8;
    _wt := (_w ->> 'text_weight')::float8;
    _half := (_w ->> 'half_life_days')::float8;
    _rfloor := (_w ->> 'recency_floor')::float8;
    _iw := (_w ->> 'importance_weight')::float8;
    _cfloor := (_w ->> 'confidence_floor')::float8;
    _aw := (_w ->> 'access_weight')::float8;
    _asat := (_w ->> 'access_saturation')::float8;
    _tagb := (_w ->> 'tag_boost')::float8;
    _n := least(
        greatest(
            (_w ->> 'min_candidates')::float8,
            search_memories.k * (_w ->> 'candidates_per_k')::float8
        ),
        10000
    )::integer;
    -- The default search width for the table's size and the model, at least n.
    _ef := pgcortex_internal.default_ef_search(_model.dimensions);
    _ef := coalesce(search_memories.ef_search, least(greatest(_n, _ef), 1000));
    perform pg_catalog.set_config('hnsw.ef_search', _ef::text, true);
    perform pg_catalog.set_config('hnsw.iterative_scan', 'relaxed_order', true);

    -- The filters, as SQL over pgcortex.memories as m. Parameters:
    -- $1 namespace, $2 as_of, $3 memory_types, $4 tags_any, $5 tags_all,
    -- $6 min_importance, $7 min_confidence, $8 created_after, $9 created_before,
    -- $10 accessed_after, $11 accessed_before, $12 metadata_contains,
    -- $13 exclude_ids, $14 query_embedding, $15 tsquery, $16 candidate count.
    _where := _base_where;
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
        -- The pending log only where it can be read: not on a hot standby
        -- (an unlogged table; none of its rows are there).
        _where := _where || ' and coalesce(greatest('
            '(select a.last_accessed from pgcortex.memory_access as a'
            ' where a.namespace = m.namespace and a.memory_id = m.id)'
            || case when pg_catalog.pg_is_in_recovery() then '' else
                ', (select max(g.accessed_at) from pgcortex.memory_access_log as g'
                ' where g.namespace = m.namespace and g.memory_id = m.id)' end
            || '), m.created_at)'
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
        -- The model's HNSW index with pgvector's iterative scan: the statement
        -- names the model and its cast as constants (pgcortex_internal.vector_candidates_sql),
        -- so the model's partial index matches; it is planned per call with
        -- the call's filter values. Under a filter, when the planner expects
        -- few rows to pass it (at most 4,000 at 384 dimensions, fewer for
        -- longer vectors: an exact distance costs in proportion), an exact
        -- scan of them instead: HNSW visits several hundred tuples to find n
        -- under a selective filter, while the filter's own index and an exact
        -- sort of a few thousand rows is faster and exact (docs/performance.md).
        if _where <> _base_where then
            execute 'explain (format json) select 1 from pgcortex.memories as m where '
                || _where || ' and m.embedding_model = ' || _model.name_literal
            into _plan
            using _ns, search_memories.as_of, search_memories.memory_types,
                search_memories.tags_any, search_memories.tags_all, search_memories.min_importance,
                search_memories.min_confidence, search_memories.created_after,
                search_memories.created_before, search_memories.accessed_after,
                search_memories.accessed_before, search_memories.metadata_contains,
                search_memories.exclude_ids, _qvec, _tsq, _n;
            _exact := (_plan -> 0 -> 'Plan' ->> 'Plan Rows')::float8
                <= 4000.0 * 384 / greatest(_model.dimensions, 384);
        end if;
        -- No filter, and the namespace holds at least half of the model's
        -- vectors: the model's statement in pgcortex_internal.vector_nearest,
        -- whose plan the session keeps (null when the model is newer than it).
        -- Planning the statement here cost 0.3 ms a search. The kept plan
        -- always walks the model's HNSW index, which serves a namespace with
        -- a small share of the model's vectors badly (it passes over the
        -- other namespaces' ones); for those, planned with the namespace's
        -- own statistics, the statement reads the namespace's rows instead.
        if _where = _base_where and exists (
            select
            from pgcortex.memory_term_totals as t, pg_catalog.pg_class as c
            where
                t.namespace = _ns
                and c.oid = pg_catalog.to_regclass('pgcortex.' || pg_catalog.quote_ident(_model.index_name))
                and c.reltuples > 0
                and t.doc_count >= 0.5 * c.reltuples
        ) then
            _vec_ids := pgcortex_internal.vector_nearest(_ns, search_memories.as_of, _qvec, _n, _model.model_id);
        end if;
        if not _exact and _vec_ids is null then
            execute pgcortex_internal.vector_candidates_sql(_model, _where, false)
            into _vec_ids
            using _ns, search_memories.as_of, search_memories.memory_types,
                search_memories.tags_any, search_memories.tags_all, search_memories.min_importance,
                search_memories.min_confidence, search_memories.created_after,
                search_memories.created_before, search_memories.accessed_after,
                search_memories.accessed_before, search_memories.metadata_contains,
                search_memories.exclude_ids, _qvec, _tsq, _n;
        end if;
        if _exact or _vec_ids is null or pg_catalog.cardinality(_vec_ids) < _n then
            -- Exact: a small filtered set, or the index ran out before n (or
            -- fewer than n memories pass the filters), so k results come back
            -- whenever k exist.
            execute pgcortex_internal.vector_candidates_sql(_model, _where, true)
            into _vec_ids
            using _ns, search_memories.as_of, search_memories.memory_types,
                search_memories.tags_any, search_memories.tags_all, search_memories.min_importance,
                search_memories.min_confidence, search_memories.created_after,
                search_memories.created_before, search_memories.accessed_after,
                search_memories.accessed_before, search_memories.metadata_contains,
                search_memories.exclude_ids, _qvec, _tsq, _n;
        end if;
    end if;

    perform pg_catalog.set_config('hnsw.ef_search', _old_ef, true);
    perform pg_catalog.set_config('hnsw.iterative_scan', _old_scan, true);

    -- Text candidates ------------------------------------------------------------
    if _text is not null then
        _tsq := pgcortex_internal.search_tsquery(_text);
        _qlex := pg_catalog.tsvector_to_array(pg_catalog.to_tsvector('english'::regconfig, _text));
        if _tsq is not null and pg_catalog.numnode(_tsq) > 0 then
            _txt_on := true;
            -- BM25 over the namespace's term statistics; the query's words
            -- (plain lexemes, also of a websearch query) weigh by their idf.
            -- (Inline rather than a function call: this plan is kept for the
            -- session.) idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5)); folded
            -- statistics plus the pending log.
            with totals as (
                select
                    coalesce(sum(x.d), 0) as n,
                    coalesce(sum(x.len), 0) as len
                from (
                    select t.doc_count as d, t.total_length as len
                    from pgcortex.memory_term_totals as t
                    where t.namespace = _ns
                    union all
                    select l.doc_delta, l.length_delta
                    from pgcortex.memory_term_log as l
                    where l.namespace = _ns and l.lexeme is null
                ) as x
            ),
            df as (
                select
                    q.o,
                    q.x,
                    greatest(coalesce((
                        select t.doc_count from pgcortex.memory_terms as t
                        where t.namespace = _ns and t.lexeme = q.x
                    ), 0) + coalesce((
                        select sum(l.doc_delta) from pgcortex.memory_term_log as l
                        where l.namespace = _ns and l.lexeme = q.x
                    ), 0), 0) as d
                from pg_catalog.unnest(_qlex) with ordinality as q (x, o)
            )
            select
                array(
                    select pg_catalog.ln(1 + (greatest(totals.n, 0) - df.d + 0.5) / (df.d + 0.5))
                    from df order by df.o
                ),
                case when totals.n > 0 then greatest(totals.len::float8 / totals.n, 1) else 1 end,
                -- The words the candidates come from: the query's informative
                -- words (held by at most half of the memories, idf above ln 2),
                -- the rarest first, as many as together are held by at most
                -- _scan memories (the rarest one always); null when that is
                -- every word. A word most memories hold (a speaker's name)
                -- would make the arm score all of them.
                (
                    select case when pg_catalog.bool_and(c.kept) then null else
                        pg_catalog.string_agg(pg_catalog.quote_literal(c.x), ' | ' order by c.o)
                            filter (where c.kept) end
                    from (
                        select
                            df.x,
                            df.o,
                            df.d * 2 <= totals.n and pg_catalog.strpos(df.x, E'\\') = 0 and (
                                sum(df.d) over (order by df.d, df.o)
                                <= greatest(_n, _scan_share * totals.n)
                                or row_number() over (order by df.d, df.o) = 1
                            ) as kept
                        from df
                    ) as c
                ),
                totals.n
            into _idf, _avglen, _core, _docs
            from totals;
            -- A websearch query (quotes, -word, or; the test of search_tsquery)
            -- keeps its whole query: a word it excludes must not choose the
            -- candidates. The scan stays bounded.
            _websearch := _text ~* '("|(^|\s)-|(^|\s)or(\s|$))';
            if _websearch then
                _core := null;
            end if;
            _ideal := (select sum(x) from pg_catalog.unnest(_idf) as x);
            _scan := pg_catalog.ceil(greatest(_n, _scan_share * greatest(_docs, 0)))::bigint;
            -- The n best by BM25 among the memories that hold one of the
            -- query's rarest words (all its words when they all fit), at most
            -- _scan of them scored. With no filter, a static statement: its
            -- plan is kept for the session (planning the dynamic one took
            -- 0.18 ms a search; docs/performance.md). Not for a websearch
            -- query, whose words may match most memories: planned with its
            -- words, that scan stops after _scan rows instead of reading a
            -- bitmap of every match. The index reads the rarest words only:
            -- the whole query is checked on the rows it returns (as the
            -- operator's function, which no index serves), so a word every
            -- memory holds never reads its whole posting list (1 ms at
            -- 100,000 memories). Each candidate's words that are the query's:
            -- a join of its words with the query's (a look-up in the query's
            -- array measured slower in the search, docs/performance.md).
            if _where = _base_where and not _websearch then
                select
                    coalesce(pg_catalog.array_agg(s.id order by s.o), '{}'),
                    coalesce(pg_catalog.array_agg(s.bm25 order by s.o), '{}'),
                    coalesce(pg_catalog.array_agg(s.matched order by s.o), '{}')
                into _txt_ids, _txt_bm25, _txt_matched
                from (
                    select
                        c.id,
                        t.bm25,
                        t.matched,
                        row_number() over (order by t.bm25 desc nulls last, c.content_hash) as o
                    from (
                        select m.id, m.content_hash, m.content_tsv
                        from pgcortex.memories as m
                        where
                            m.namespace = _ns
                            and (m.expires_at is null or m.expires_at > search_memories.as_of)
                            and pg_catalog.ts_match_vq(m.content_tsv, _tsq)
                            and m.content_tsv operator(pg_catalog.@@) coalesce(_core::tsquery, _tsq)
                        limit _scan
                    ) as c
                    cross join lateral (
                        select
                            count(*) as matched,
                            sum(
                                q.idf * pg_catalog.cardinality(u.positions) * (_k1 + 1)
                                / (pg_catalog.cardinality(u.positions)
                                    + _k1 * (1 - _b + _b * pg_catalog.length(c.content_tsv) / _avglen))
                            ) as bm25
                        from pg_catalog.unnest(c.content_tsv) as u
                        inner join rows from (pg_catalog.unnest(_qlex), pg_catalog.unnest(_idf)) as q (lex, idf)
                            on u.lexeme = q.lex
                    ) as t
                    order by t.bm25 desc nulls last, c.content_hash
                    limit _n
                ) as s;
            else
                execute 'select coalesce(pg_catalog.array_agg(s.id order by s.o), ''{}''), '
                    'coalesce(pg_catalog.array_agg(s.bm25 order by s.o), ''{}''), '
                    'coalesce(pg_catalog.array_agg(s.matched order by s.o), ''{}'') from ('
                    'select c.id, t.bm25, t.matched, row_number() over '
                    '(order by t.bm25 desc nulls last, c.content_hash) as o from ('
                    'select m.id, m.content_hash, m.content_tsv from pgcortex.memories as m where '
                    || _where || ' and pg_catalog.ts_match_vq(m.content_tsv, $15)'
                    ' and m.content_tsv operator(pg_catalog.@@) $22 limit $24) as c '
                    'cross join lateral (select count(*) as matched, sum(q.idf * '
                    'pg_catalog.cardinality(u.positions) * ($19 + 1) / ('
                    'pg_catalog.cardinality(u.positions) + $19 * (1 - $20 + $20 * '
                    'pg_catalog.length(c.content_tsv) / $18))) as bm25 '
                    'from pg_catalog.unnest(c.content_tsv) as u '
                    'inner join rows from (pg_catalog.unnest($21::text []), pg_catalog.unnest($17::float8 [])) '
                    'as q (lex, idf) on u.lexeme = q.lex) as t '
                    'order by t.bm25 desc nulls last, c.content_hash limit $16) as s'
                into _txt_ids, _txt_bm25, _txt_matched
                using _ns, search_memories.as_of, search_memories.memory_types,
                    search_memories.tags_any, search_memories.tags_all, search_memories.min_importance,
                    search_memories.min_confidence, search_memories.created_after,
                    search_memories.created_before, search_memories.accessed_after,
                    search_memories.accessed_before, search_memories.metadata_contains,
                    search_memories.exclude_ids, search_memories.query_embedding, _tsq, _n,
                    _idf, _avglen, _k1, _b, _qlex, coalesce(_core::tsquery, _tsq), null::uuid [], _scan;
            end if;
            -- Fewer than n: then memories matching only through the query's
            -- commoner words (a speaker's name), in content-hash order (read
            -- from the index and the row, not the full-text vector). Their
            -- BM25 is small whatever their order (the fusion below measures
            -- each candidate exactly), and scoring the many of them read
            -- every one's full-text vector: the search cost twice as much.
            -- Not when the vector arm holds k candidates already: then these
            -- added nothing (LoCoMo recall equal or better without them).
            if _core is not null and pg_catalog.cardinality(_txt_ids) < _n
                and coalesce(pg_catalog.cardinality(_vec_ids), 0) < search_memories.k
            then
                execute 'select array(select m.id from pgcortex.memories as m where '
                    || _where || ' and m.content_tsv operator(pg_catalog.@@) $15'
                    ' and not (m.id = any($23)) '
                    'order by m.content_hash limit $16 - pg_catalog.cardinality($23))'
                into _txt_more
                using _ns, search_memories.as_of, search_memories.memory_types,
                    search_memories.tags_any, search_memories.tags_all, search_memories.min_importance,
                    search_memories.min_confidence, search_memories.created_after,
                    search_memories.created_before, search_memories.accessed_after,
                    search_memories.accessed_before, search_memories.metadata_contains,
                    search_memories.exclude_ids, search_memories.query_embedding, _tsq, _n,
                    _idf, _avglen, _k1, _b, _qlex, coalesce(_core::tsquery, _tsq), _txt_ids;
                _txt_ids := _txt_ids || _txt_more;
            end if;
        end if;
    end if;

    -- Conversation context --------------------------------------------------------
    -- A turn is often evidence only with the turn it answers ("Where did you
    -- go?" - "To Woodhaven"). The memories of the turns right after each arm's
    -- k best hits (pgcortex.conversation_turns: the next turn of the same
    -- session, or of the turns without a session) join the candidates, each
    -- with the hit it follows; the fusion lifts a memory's evidence by
    -- context_weight times that hit's, never above the hit's own
    -- (docs/architecture.md). They pass the search's filters like every
    -- candidate. Namespaces without turn memories skip this (one index probe).
    _ctx := (_w ->> 'context_weight')::float8;
    if _ctx > 0 and exists (
        select from pgcortex.conversation_turns as t
        where t.namespace = _ns and t.memory_id is not null
    ) then
        select
            coalesce(pg_catalog.array_agg(s.child order by s.child, s.parent), '{}'),
            coalesce(pg_catalog.array_agg(s.parent order by s.child, s.parent), '{}')
        into _ctx_child, _ctx_parent
        from (
            select distinct
                m.id as child,
                h.id as parent
            from pg_catalog.unnest(
                coalesce(_vec_ids[1:search_memories.k], '{}')
                || coalesce(_txt_ids[1:search_memories.k], '{}')
            ) as h (id)
            inner join pgcortex.conversation_turns as t
                on t.namespace = _ns and t.memory_id = h.id
            cross join lateral (
                (
                    select n.memory_id
                    from pgcortex.conversation_turns as n
                    where n.namespace = _ns and n.session_id = t.session_id and n.turn_id > t.turn_id
                    order by n.turn_id
                    limit 1
                )
                union all
                (
                    select n.memory_id
                    from pgcortex.conversation_turns as n
                    where
                        n.namespace = _ns and t.session_id is null and n.session_id is null
                        and n.turn_id > t.turn_id
                    order by n.turn_id
                    limit 1
                )
            ) as nx
            inner join pgcortex.memories as m
                on m.namespace = _ns and m.id = nx.memory_id
            where
                m.id <> h.id
                and (m.expires_at is null or m.expires_at > search_memories.as_of)
        ) as s;
        -- Under filters, only the memories that pass them.
        if _where <> _base_where and pg_catalog.cardinality(_ctx_child) > 0 then
            execute 'select array(select m.id from pgcortex.memories as m where '
                || _where || ' and m.id = any($14))'
            into _ctx_keep
            using _ns, search_memories.as_of, search_memories.memory_types,
                search_memories.tags_any, search_memories.tags_all, search_memories.min_importance,
                search_memories.min_confidence, search_memories.created_after,
                search_memories.created_before, search_memories.accessed_after,
                search_memories.accessed_before, search_memories.metadata_contains,
                search_memories.exclude_ids, _ctx_child;
            select
                coalesce(pg_catalog.array_agg(x.child order by x.o), '{}'),
                coalesce(pg_catalog.array_agg(x.parent order by x.o), '{}')
            into _ctx_child, _ctx_parent
            from rows from (
                pg_catalog.unnest(_ctx_child), pg_catalog.unnest(_ctx_parent)
            ) with ordinality as x (child, parent, o)
            where x.child = any(_ctx_keep);
        end if;
    end if;

    -- Fusion and ranking ------------------------------------------------------------
    -- Two statements, one formula. A search by embedding alone with no
    -- conversation context to add takes the first: its candidates need
    -- neither text scores nor the context step, and the full statement's plan
    -- cost 12-16 % of such a search's CPU to set up and run for nothing
    -- (docs/performance.md). Every expression it keeps is the full
    -- statement's, written the same way, so both give the same rows to the last
    -- bit (tests/test_ranking.py compares them).
    if _vec_on and _text is null and coalesce(pg_catalog.cardinality(_ctx_child), 0) = 0 then
    _rows := array(
    with facts as (
        select
            m.id,
            m.content_hash,
            m.content,
            m.memory_type,
            m.importance,
            m.confidence,
            m.tags,
            m.metadata,
            m.created_at,
            m.updated_at,
            m.expires_at,
            coalesce(acc.access_count, 0) as n_access,
            case when m.embedding_model = _model.name
                then (1 - (m.embedding operator(public.<=>) _qvec))::real end as sim
        from pgcortex.memories as m
        left join (
            select a.memory_id, a.access_count
            from pgcortex_internal.access_totals_of(_vec_ids) as a
            where _aw > 0
            offset 0
        ) as acc on m.id = acc.memory_id
        where m.namespace = _ns and m.id = any(_vec_ids)
    ),
    scored as (
        select
            f.*,
            (_wv * greatest(coalesce(f.sim, 0), 0)) / nullif(_wv, 0) as own,
            least(1, greatest(coalesce(f.sim, 0), 0))::real as rel,
            (
                _rfloor
                + (1 - _rfloor) * pg_catalog.power(
                    0.5,
                    greatest(extract(epoch from search_memories.as_of - f.updated_at), 0)
                    / 86400.0 / _half
                )
            )::real as f_rec,
            (1 + _iw * (f.importance - 3) / 2.0)::real as f_imp,
            (
                _cfloor
                + (1 - _cfloor) * f.confidence
            )::real as f_conf,
            (
                1 + _aw * least(
                    1, pg_catalog.ln(1 + f.n_access) / pg_catalog.ln(1 + _asat)
                )
            )::real as f_acc
        from facts as f
    ),
    top as (
        select
            s.*,
            (coalesce(s.own, 0) * s.f_rec * s.f_imp * s.f_conf * s.f_acc)::real as final
        from scored as s
        where search_memories.min_relevance is null or s.rel >= search_memories.min_relevance
        order by final desc, s.content_hash
        limit search_memories.k
    )
    select
        row(
            t.id, t.content, t.memory_type, t.importance, t.confidence, t.tags, t.metadata,
            t.created_at, t.updated_at, t.expires_at,
            coalesce(acc.last_accessed, t.created_at), coalesce(acc.access_count, 0),
            (row_number() over (order by t.final desc, t.content_hash))::integer,
            t.sim, null::real, null::real, t.rel, t.own::real,
            t.f_rec, t.f_imp, t.f_conf, t.f_acc, t.final,
            'vector', null::uuid, 4
        )::pgcortex.memory_search_row
    from top as t
    left join pgcortex_internal.access_totals_of(array(select x.id from top as x)) as acc
        on t.id = acc.memory_id
    order by t.final desc, t.content_hash
    );
    else
    _rows := array(
    with facts as (
        -- The candidates by primary key (an index scan of at most 2n rows),
        -- each list's rank from its array; their access counts only when the
        -- access factor weighs them (access_weight > 0).
        select
            m.id,
            m.content_hash,
            m.content,
            m.memory_type,
            m.importance,
            m.confidence,
            m.tags,
            m.metadata,
            m.created_at,
            m.updated_at,
            m.expires_at,
            pg_catalog.array_position(_vec_ids, m.id)::bigint as vr,
            pg_catalog.array_position(_txt_ids, m.id)::bigint as tr,
            coalesce(acc.access_count, 0) as n_access,
            -- Cosine similarity to the query, for memories of the query's model only.
            case when m.embedding_model = _model.name
                then (1 - (m.embedding operator(public.<=>) _qvec))::real end as sim,
            case when _txt_on
                then coalesce(_txt_bm25[pg_catalog.array_position(_txt_ids, m.id)], tm.bm25, 0) end as trank,
            case when pg_catalog.cardinality(_qlex) > 0
                then coalesce(_txt_matched[pg_catalog.array_position(_txt_ids, m.id)], tm.matched)::real
                / pg_catalog.cardinality(_qlex) end as overlap,
            _text is not null and exists (
                select from pg_catalog.unnest(m.tags) as t (x)
                where pg_catalog.strpos(pg_catalog.lower(_text), pg_catalog.lower(t.x)) > 0
            ) as tag_hit
        from pgcortex.memories as m
        left join (
            -- A one-time filter: at access_weight 0 the function is not called
            -- (offset 0 keeps the subquery, and so the filter, apart from the join).
            select a.memory_id, a.access_count
            from pgcortex_internal.access_totals_of(
                coalesce(_vec_ids, '{}') || coalesce(_txt_ids, '{}') || coalesce(_ctx_child, '{}')
            ) as a
            where _aw > 0
            offset 0
        ) as acc on m.id = acc.memory_id
        left join lateral (
            -- The query's words the memory holds: how many, and their BM25;
            -- measured here only for the candidates the text arm did not
            -- score (the vector arm's, and the text arm's filler).
            select
                count(*) as matched,
                sum(
                    q.idf * pg_catalog.cardinality(u.positions) * (_k1 + 1)
                    / (pg_catalog.cardinality(u.positions)
                        + _k1 * (1 - _b + _b * pg_catalog.length(m.content_tsv) / _avglen))
                ) as bm25
            from pg_catalog.unnest(m.content_tsv) as u
            inner join rows from (pg_catalog.unnest(_qlex), pg_catalog.unnest(_idf)) as q (lex, idf)
                on u.lexeme = q.lex
            where
                _qlex is not null  -- no query text: no full-text vector is read
                and _txt_bm25[pg_catalog.array_position(_txt_ids, m.id)] is null
        ) as tm on true
        where
            m.namespace = _ns
            and m.id = any(coalesce(_vec_ids, '{}') || coalesce(_txt_ids, '{}') || coalesce(_ctx_child, '{}'))
    ),
    measured as (
        select
            f.*,
            (
                case when _vec_on
                    then _wv * greatest(coalesce(f.sim, 0), 0)
                    else 0 end
                + case when _txt_on and _ideal > 0
                    then _wt * least(1, f.trank / _ideal)
                    else 0 end
            ) / nullif(
                case when _vec_on then _wv else 0 end
                + case when _txt_on then _wt else 0 end,
                0
            ) as own
        from facts as f
    ),
    best_parent as (
        -- Of the hits a candidate follows, the strongest.
        select distinct on (cp.child)
            cp.child,
            p.id as parent,
            p.own as parent_own
        from rows from (pg_catalog.unnest(_ctx_child), pg_catalog.unnest(_ctx_parent)) as cp (child, parent)
        inner join measured as p on cp.parent = p.id
        order by cp.child, p.own desc, p.id
    ),
    lifted as (
        -- Conversation context: a memory that follows one of the best hits
        -- gets context_weight times that hit's evidence added to its own,
        -- at most up to the hit's.
        select
            x.*,
            case when l.lift > coalesce(x.own, 0) then c.parent end as parent,
            case when l.lift > coalesce(x.own, 0) then l.lift else x.own end as fused
        from measured as x
        left join best_parent as c on x.id = c.child
        cross join lateral (
            select least(coalesce(x.own, 0) + _ctx * c.parent_own, c.parent_own) as lift
        ) as l
    ),
    factored as (
        select
            x.*,
            least(
                1, greatest(coalesce(x.sim, 0), coalesce(x.overlap, 0))
                + case when x.tag_hit then _tagb else 0 end
            )::real as rel,
            (
                _rfloor
                + (1 - _rfloor) * pg_catalog.power(
                    0.5,
                    greatest(extract(epoch from search_memories.as_of - x.updated_at), 0)
                    / 86400.0 / _half
                )
            )::real as f_rec,
            (1 + _iw * (x.importance - 3) / 2.0)::real as f_imp,
            (
                _cfloor
                + (1 - _cfloor) * x.confidence
            )::real as f_conf,
            (
                1 + _aw * least(
                    1, pg_catalog.ln(1 + x.n_access) / pg_catalog.ln(1 + _asat)
                )
            )::real as f_acc
        from lifted as x
    ),
    scored as (
        select
            s.*,
            (coalesce(s.fused, 0) * s.f_rec * s.f_imp * s.f_conf * s.f_acc)::real as product
        from factored as s
        where search_memories.min_relevance is null or s.rel >= search_memories.min_relevance
    ),
    top as (
        -- A memory lifted by context ranks after the hit it follows: its
        -- score is at most the hit's, and a tie goes to the memory not lifted.
        select
            s.*,
            coalesce(least(s.product, p.product), s.product) as final,
            s.parent is not null as lifted
        from scored as s
        left join scored as p on s.parent = p.id
        order by final desc, lifted, s.content_hash
        limit search_memories.k
    )
    select
        row(
            t.id, t.content, t.memory_type, t.importance, t.confidence, t.tags, t.metadata,
            t.created_at, t.updated_at, t.expires_at,
            -- Reported, not ranked by (at access_weight 0): the k hits' counts only.
            coalesce(acc.last_accessed, t.created_at), coalesce(acc.access_count, 0),
            (row_number() over (order by t.final desc, t.lifted, t.content_hash))::integer,
            t.sim, t.trank::real, t.overlap, t.rel, t.fused::real,
            t.f_rec, t.f_imp, t.f_conf, t.f_acc, t.final,
            case
                when t.vr is not null and t.tr is not null then 'both'
                when t.vr is not null then 'vector'
                when t.tr is not null then 'text'
                else 'context'
            end,
            t.parent,
            4
        )::pgcortex.memory_search_row
    from top as t
    left join pgcortex_internal.access_totals_of(array(select x.id from top as x)) as acc
        on t.id = acc.memory_id
    order by t.final desc, t.lifted, t.content_hash
    );

    end if;

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
                    coalesce(acc.last_accessed, m.created_at),
                    coalesce(acc.access_count, 0),
                    (pg_catalog.cardinality(_rows) + row_number() over (order by hop.s desc, m.id))::integer,
                    null::real, null::real, null::real, null::real, null::real,
                    null::real, null::real, null::real, null::real, hop.s,
                    'link', hop.parent, 4
                )::pgcortex.memory_search_row
            from hop
            inner join pgcortex.memories as m on m.namespace = _ns and m.id = hop.other
            left join pgcortex_internal.access_totals_of(
                array(select h.other from hop as h)
            ) as acc on m.id = acc.memory_id
            where m.expires_at is null or m.expires_at > search_memories.as_of
            order by hop.s desc, m.id
        );
    end if;

    -- The hits are this namespace's memories, read just now: logged directly.
    if search_memories.track and pg_catalog.cardinality(_rows) > 0 then
        perform pgcortex_internal.log_access(
            _ns, array(select r.id from pg_catalog.unnest(_rows) as r), search_memories.as_of
        );
    end if;
    return query select * from pg_catalog.unnest(_rows) as r order by r.rank;
end
$_$;

COMMENT ON FUNCTION pgcortex.search_memories(query_embedding public.vector, query_text text, k integer, memory_types text[], tags_any text[], tags_all text[], min_importance integer, min_confidence real, created_after timestamp with time zone, created_before timestamp with time zone, accessed_after timestamp with time zone, accessed_before timestamp with time zone, metadata_contains jsonb, exclude_ids uuid[], min_relevance real, weights jsonb, ef_search integer, expand_links boolean, track boolean, embedding_model text, as_of timestamp with time zone) IS 'Hybrid search of this namespace''s unexpired memories by query_embedding and/or query_text (websearch syntax), with every filter applied in SQL. Vector candidates come from one statement planned with the call''s filter values: the HNSW index of the query''s model (the namespace''s current model) (ef_search unless given: max(n, max(40, 64 x sqrt(rows of the table / 100,000)) x sqrt(dimensions / 384)), iterative scan) or, under a selective filter, the filter''s own index and an exact sort; when it returns fewer than the candidates wanted, an exact scan of the filtered memories; text candidates from full-text search ranked by BM25 over the namespace''s term statistics; every candidate measured by both arms (cosine similarity, the idf-weighted share of the query it holds), the two fused by their weights; the memory of the conversation turn right after one of either arm''s k best hits is a candidate too, lifted by context_weight times that hit''s evidence but never above it (matched_by context when no arm found it, linked_from the hit); ranked by the formula of ranking_version 4 (recency since the memory was stored or changed, importance, confidence and access multipliers; defaults in pgcortex_internal.search_defaults(), overridable by weights; ties broken by content hash). Returns exactly k rows when at least k memories pass the filters and match the query (have an embedding for a vector query, or match the text), fewer when min_relevance removes some; with expand_links, memories linked to the hits follow them (matched_by link, linked_from). Every row carries its score breakdown; access_count and last_accessed are as they were before this search''s own access. Counts one access of each returned memory unless track is false (track false writes nothing: for replicas and analytics). PC003, PC004, PC010, PC011, PC012, PC021, PC023 on bad input.';

CREATE FUNCTION pgcortex.recall_memories(query text, memory_types text[] DEFAULT NULL::text[], k integer DEFAULT 10, min_relevance real DEFAULT 0.5, query_embedding public.vector DEFAULT NULL::public.vector, embedding_model text DEFAULT NULL::text, track boolean DEFAULT true, as_of timestamp with time zone DEFAULT now()) RETURNS SETOF pgcortex.memory_search_row
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
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

COMMENT ON FUNCTION pgcortex.recall_memories(query text, memory_types text[], k integer, min_relevance real, query_embedding public.vector, embedding_model text, track boolean, as_of timestamp with time zone) IS 'The original memory module''s recall(query, memory_types, limit, min_relevance = 0.5): search_memories by the query text (and its embedding when given), keeping memories whose relevance (max of cosine similarity and keyword overlap, +0.2 when a tag occurs in the query) is at least min_relevance, best first; counts an access of each returned.';

CREATE FUNCTION pgcortex.reembed_pending(embedding_model text, max_rows integer DEFAULT 100) RETURNS TABLE(memory_id uuid, content text, content_hash bytea)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION pgcortex.reembed_pending(embedding_model text, max_rows integer) IS 'The next max_rows (1..10000) memories of this namespace, in id order, that have an embedding of another model and no staged vector of this model for their current content: what a re-embed into the model still has to embed (id, content, and the content_hash to hand back to pgcortex.reembed_stage). Empty when the re-embed can switch. PC013 unknown model.';

CREATE FUNCTION pgcortex.reembed_stage(embedding_model text, memory_ids uuid[], embeddings public.vector[], content_hashes bytea[], as_of timestamp with time zone DEFAULT now()) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION pgcortex.reembed_stage(embedding_model text, memory_ids uuid[], embeddings public.vector[], content_hashes bytea[], as_of timestamp with time zone) IS 'Stores the model''s vectors of these memories beside their current ones (pgcortex.memory_embeddings), each with the content_hash it was made from (from pgcortex.reembed_pending: a memory whose content changed since is listed as pending again); normalised when the model is. Memories deleted since, or already of this model, are left out. Returns how many were staged. PC003 arrays of unequal length or a null vector, PC010/PC011 a vector not of the model, PC013 unknown model.';

CREATE FUNCTION pgcortex.reembed_status(embedding_model text) RETURNS TABLE(target_model text, current_model text, previous_model text, total bigint, staged bigint, remaining bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION pgcortex.reembed_status(embedding_model text) IS 'A re-embed of this namespace into the model: the namespace''s current and previous model, the memories with an embedding (total), those with a vector of the model (staged, or already of the model) and those still to embed (remaining). PC013 unknown model.';

CREATE FUNCTION pgcortex.reembed_switch(embedding_model text) RETURNS TABLE(current_model text, previous_model text, switched bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION pgcortex.reembed_switch(embedding_model text) IS 'Switches this namespace to the model in one transaction, once every memory with an embedding has a vector of the model for its current content (else PC015, nothing changed): the current vectors are kept beside (pgcortex.memory_embeddings, until pgcortex.maint_drop_old_embeddings), the staged ones move into pgcortex.memories, cluster centroids are recomputed in the new model from the same members (the memories queued for clustering are clustered first), and the model becomes the namespace''s current one. Searches answer from the old model until the commit, from the new one after it; stores of the namespace wait for it. Ids, history, access counts, links and cluster memberships are unchanged. Switching to the current model changes nothing. Returns the model, the previous one and how many memories moved. PC013 unknown model.';

CREATE FUNCTION pgcortex.register_embedding_model(name text, dimensions integer, distance text DEFAULT 'cosine'::text, storage text DEFAULT NULL::text, normalize_vectors boolean DEFAULT false, create_index boolean DEFAULT true) RETURNS SETOF pgcortex.embedding_model_info
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION pgcortex.register_embedding_model(name text, dimensions integer, distance text, storage text, normalize_vectors boolean, create_index boolean) IS 'Registers an embedding model: name, dimensions, distance (cosine, l2, inner_product: the operator its index orders by), storage of its index (vector up to 2,000 dimensions, halfvec up to 4,000; default vector up to 1,024 dimensions, halfvec above), normalize_vectors (scale vectors to length 1 when stored and searched). Registering the same model again changes nothing; another specification under a registered name raises PC014. Builds the model''s HNSW index in this transaction unless create_index is false (then build it with pgcortex.embedding_model_index_sql(name, concurrently => true) outside a transaction, as the command pgcortex register-model does; until it is valid, searches of the model scan exactly). PC003 bad name, distance or storage, PC004 dimensions out of range.';

CREATE FUNCTION pgcortex.related_memories(memory_id uuid, depth integer DEFAULT 2, relations text[] DEFAULT NULL::text[], max_results integer DEFAULT 100, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(id uuid, distance integer, path uuid[], relation text, direction text, path_weight real, content text, memory_type text, importance smallint, confidence real, tags text[])
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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

CREATE FUNCTION pgcortex.resolve_memory_id(id_prefix text, as_of timestamp with time zone DEFAULT now()) RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
    _hex text := pg_catalog.replace(
        pg_catalog.lower(pg_catalog.btrim(coalesce(resolve_memory_id.id_prefix, ''))), '-', ''
    );
    _found uuid[];
begin
    if _hex !~ '^[0-9a-f]{1,32}$' then
        raise exception using
            errcode = 'PC003',
            message = pg_catalog.format(
                'not an id or the start of one: %s', pg_catalog.left(resolve_memory_id.id_prefix, 60)
            ),
            hint = 'an id is 32 hex digits (dashes allowed), e.g. 0190a4b2-7c3e-7d1f-9a2b-3c4d5e6f7a8b';
    end if;
    select pg_catalog.array_agg(f.id order by f.id)
    into _found
    from (
        select m.id
        from pgcortex.memories as m
        where
            m.namespace = (select pgcortex.current_namespace())
            and m.id between pg_catalog.rpad(_hex, 32, '0')::uuid
            and pg_catalog.rpad(_hex, 32, 'f')::uuid
            and (m.expires_at is null or m.expires_at > resolve_memory_id.as_of)
        order by m.id
        limit 2
    ) as f;
    if _found is null then
        raise exception using
            errcode = 'PC030',
            message = pg_catalog.format('no memory whose id starts with %s in this namespace', _hex);
    end if;
    if pg_catalog.cardinality(_found) > 1 then
        raise exception using
            errcode = 'PC003',
            message = pg_catalog.format('more than one memory has an id starting with %s', _hex),
            detail = pg_catalog.format('for example %s and %s', _found[1], _found[2]),
            hint = 'give more characters of the id';
    end if;
    return _found[1];
end
$_$;

COMMENT ON FUNCTION pgcortex.resolve_memory_id(id_prefix text, as_of timestamp with time zone) IS 'The id of the one unexpired memory of the namespace whose id starts with id_prefix (hex digits, dashes and case ignored). PC030 when none does, PC003 when more than one does or the prefix is not hex.';

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
    SET search_path TO 'pg_catalog', 'pg_temp'
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

CREATE FUNCTION pgcortex.session_by_key(session_key text) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT s.session_id
    FROM pgcortex.conversation_sessions s
   WHERE (((s.namespace)::text = ( SELECT pgcortex.current_namespace() AS current_namespace)) AND (s.metadata ? 'session_key'::text) AND ((s.metadata ->> 'session_key'::text) = session_by_key.session_key))
   ORDER BY s.started_at DESC, s.session_id DESC
  LIMIT 1;
END;

COMMENT ON FUNCTION pgcortex.session_by_key(session_key text) IS 'The id of the session of the current namespace whose metadata has this session_key (the latest started when several do), or null.';

CREATE FUNCTION pgcortex.session_item_turns(items json) RETURNS TABLE(ordinality integer, role text, content text, conversational boolean)
    LANGUAGE plpgsql IMMUTABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    perform pgcortex_internal.check_session_items(session_item_turns.items);
    return query
    select
        e.ord::integer,
        t.role,
        t.content,
        t.conversational
    from pg_catalog.json_array_elements(session_item_turns.items) with ordinality as e (value, ord)
    cross join lateral pgcortex_internal.session_item_turn(pgcortex_internal.session_item_jsonb(e.value)) as t
    order by e.ord;
end
$$;

COMMENT ON FUNCTION pgcortex.session_item_turns(items json) IS 'The turn each item of a JSON array would become (see pgcortex_internal.session_item_turn), in order; PC023 unless items is an array of objects.';

CREATE FUNCTION pgcortex.set_default_embedding_model(embedding_model text) RETURNS SETOF pgcortex.embedding_model_info
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION pgcortex.set_default_embedding_model(embedding_model text) IS 'Makes the model the deployment default: the current model of every namespace that has chosen none. PC013 when not registered.';

CREATE FUNCTION pgcortex.set_knowledge_settings(turn_memories boolean DEFAULT NULL::boolean, turn_memory_min_chars integer DEFAULT NULL::integer, turn_memory_importance smallint DEFAULT NULL::smallint, turn_memory_key_importance smallint DEFAULT NULL::smallint, turn_memory_key_pattern text DEFAULT NULL::text, cluster_similarity real DEFAULT NULL::real, cluster_merge_similarity real DEFAULT NULL::real, pattern_min_turns integer DEFAULT NULL::integer, pattern_min_term_turns integer DEFAULT NULL::integer, pattern_min_questions integer DEFAULT NULL::integer, pattern_max_topics integer DEFAULT NULL::integer, pattern_max_examples integer DEFAULT NULL::integer, pattern_active_days integer DEFAULT NULL::integer, reset boolean DEFAULT false) RETURNS pgcortex.knowledge_settings_row
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _ns text := pgcortex.current_namespace();
begin
    if set_knowledge_settings.turn_memory_key_pattern is not null then
        begin
            perform '' ~* set_knowledge_settings.turn_memory_key_pattern;
        exception when invalid_regular_expression then
            raise exception using
                errcode = 'PC003',
                message = 'turn_memory_key_pattern is not a valid regular expression';
        end;
    end if;
    if set_knowledge_settings.reset then
        delete from pgcortex.knowledge_settings as s where s.namespace = _ns;
    end if;
    begin
        insert into pgcortex.knowledge_settings as s (
            namespace, turn_memories, turn_memory_min_chars, turn_memory_importance,
            turn_memory_key_importance, turn_memory_key_pattern, cluster_similarity,
            cluster_merge_similarity, pattern_min_turns, pattern_min_term_turns,
            pattern_min_questions, pattern_max_topics, pattern_max_examples,
            pattern_active_days
        ) values (
            _ns,
            set_knowledge_settings.turn_memories,
            set_knowledge_settings.turn_memory_min_chars,
            set_knowledge_settings.turn_memory_importance,
            set_knowledge_settings.turn_memory_key_importance,
            set_knowledge_settings.turn_memory_key_pattern,
            set_knowledge_settings.cluster_similarity,
            set_knowledge_settings.cluster_merge_similarity,
            set_knowledge_settings.pattern_min_turns,
            set_knowledge_settings.pattern_min_term_turns,
            set_knowledge_settings.pattern_min_questions,
            set_knowledge_settings.pattern_max_topics,
            set_knowledge_settings.pattern_max_examples,
            set_knowledge_settings.pattern_active_days
        )
        on conflict on constraint knowledge_settings_pkey do update set
            turn_memories = coalesce(excluded.turn_memories, s.turn_memories),
            turn_memory_min_chars = coalesce(excluded.turn_memory_min_chars, s.turn_memory_min_chars),
            turn_memory_importance = coalesce(
                excluded.turn_memory_importance, s.turn_memory_importance
            ),
            turn_memory_key_importance = coalesce(
                excluded.turn_memory_key_importance, s.turn_memory_key_importance
            ),
            turn_memory_key_pattern = coalesce(
                excluded.turn_memory_key_pattern, s.turn_memory_key_pattern
            ),
            cluster_similarity = coalesce(excluded.cluster_similarity, s.cluster_similarity),
            cluster_merge_similarity = coalesce(
                excluded.cluster_merge_similarity, s.cluster_merge_similarity
            ),
            pattern_min_turns = coalesce(excluded.pattern_min_turns, s.pattern_min_turns),
            pattern_min_term_turns = coalesce(
                excluded.pattern_min_term_turns, s.pattern_min_term_turns
            ),
            pattern_min_questions = coalesce(excluded.pattern_min_questions, s.pattern_min_questions),
            pattern_max_topics = coalesce(excluded.pattern_max_topics, s.pattern_max_topics),
            pattern_max_examples = coalesce(excluded.pattern_max_examples, s.pattern_max_examples),
            pattern_active_days = coalesce(excluded.pattern_active_days, s.pattern_active_days),
            updated_at = pg_catalog.now();
    exception when check_violation then
        raise exception using
            errcode = 'PC004',
            message = 'a knowledge setting is out of range',
            detail = sqlerrm,
            hint = 'see comment on table pgcortex.knowledge_settings';
    end;
    return pgcortex.knowledge_settings();
end
$$;

COMMENT ON FUNCTION pgcortex.set_knowledge_settings(turn_memories boolean, turn_memory_min_chars integer, turn_memory_importance smallint, turn_memory_key_importance smallint, turn_memory_key_pattern text, cluster_similarity real, cluster_merge_similarity real, pattern_min_turns integer, pattern_min_term_turns integer, pattern_min_questions integer, pattern_max_topics integer, pattern_max_examples integer, pattern_active_days integer, reset boolean) IS 'Stores overrides of the knowledge rules for the namespace (null keeps the current value; reset => true drops all overrides first) and returns the rules now in force, as pgcortex.knowledge_settings() does. PC004 when a value is out of range, PC003 for a bad regular expression.';

CREATE FUNCTION pgcortex.set_namespace_embedding_model(embedding_model text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION pgcortex.set_namespace_embedding_model(embedding_model text) IS 'Makes the model the current one of this namespace, which must hold no embeddings of another model (else PC012: re-embed it instead). Returns the model. PC013 when not registered.';

CREATE FUNCTION pgcortex.start_session(metadata jsonb DEFAULT '{}'::jsonb, as_of timestamp with time zone DEFAULT now()) RETURNS pgcortex.session_row
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _row pgcortex.conversation_sessions;
begin
    if start_session.metadata is null or pg_catalog.jsonb_typeof(start_session.metadata) <> 'object' then
        raise exception using errcode = 'PC023', message = 'metadata must be a JSON object';
    end if;
    if start_session.as_of is null then
        raise exception using errcode = 'PC003', message = 'as_of is required';
    end if;
    insert into pgcortex.conversation_sessions (namespace, started_at, metadata)
    values (pgcortex.current_namespace(), start_session.as_of, start_session.metadata)
    returning * into _row;
    return row(
        _row.session_id, _row.started_at, _row.ended_at, _row.message_count, _row.topics,
        _row.summary, _row.importance, _row.metadata, _row.duration_seconds
    )::pgcortex.session_row;
end
$$;

COMMENT ON FUNCTION pgcortex.start_session(metadata jsonb, as_of timestamp with time zone) IS 'Opens a conversation session (started_at = as_of) and returns it. PC023 when metadata is not a JSON object.';

CREATE FUNCTION pgcortex.store_conversation_turn(role text, content text, session_id uuid DEFAULT NULL::uuid, context jsonb DEFAULT '{}'::jsonb, embedding public.vector DEFAULT NULL::public.vector, embedding_model text DEFAULT NULL::text, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(turn_id bigint, message_count integer, memory_id uuid, created_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _ns text := pgcortex.current_namespace();
    _session pgcortex.conversation_sessions;
    _turn bigint;
    _count integer;
    _memory uuid;
begin
    if store_conversation_turn.role is null
        or store_conversation_turn.role not in ('user', 'assistant', 'system', 'tool') then
        raise exception using
            errcode = 'PC003',
            message = pg_catalog.format('role must be user, assistant, system or tool, not %L', store_conversation_turn.role);
    end if;
    if store_conversation_turn.content is null
        or pg_catalog.length(pg_catalog.btrim(store_conversation_turn.content)) = 0
        or pg_catalog.length(store_conversation_turn.content) > 100000 then
        raise exception using errcode = 'PC020', message = 'content must have 1 to 100000 characters';
    end if;
    if store_conversation_turn.context is null
        or pg_catalog.jsonb_typeof(store_conversation_turn.context) <> 'object' then
        raise exception using errcode = 'PC023', message = 'context must be a JSON object';
    end if;
    if (store_conversation_turn.embedding is null) <> (store_conversation_turn.embedding_model is null) then
        raise exception using
            errcode = 'PC003', message = 'embedding and embedding_model go together';
    end if;
    perform pgcortex_internal.check_embedding(store_conversation_turn.embedding);
    if store_conversation_turn.embedding is not null then
        -- Registered (PC013), of its model's dimensions (PC010).
        perform pgcortex_internal.model_vector(
            store_conversation_turn.embedding,
            pgcortex_internal.embedding_model_sql(store_conversation_turn.embedding_model)
        );
    end if;

    if store_conversation_turn.session_id is not null then
        -- The row lock serialises turns of one session: message_count stays exact.
        select s.* into _session
        from pgcortex.conversation_sessions as s
        where s.namespace = _ns and s.session_id = store_conversation_turn.session_id
        for update;
        if not found then
            raise exception using errcode = 'PC030', message = 'no such session in this namespace';
        end if;
        if _session.ended_at is not null then
            raise exception using
                errcode = 'PC031',
                message = 'the session has ended',
                detail = pg_catalog.format('session %s ended at %s', _session.session_id, _session.ended_at),
                hint = 'start a new session';
        end if;
        if store_conversation_turn.as_of < _session.started_at then
            raise exception using
                errcode = 'PC032', message = 'a turn cannot come before its session started';
        end if;
    end if;

    _memory := pgcortex_internal.conversation_turn_memory(
        role => store_conversation_turn.role,
        content => store_conversation_turn.content,
        session_id => store_conversation_turn.session_id,
        embedding => store_conversation_turn.embedding,
        embedding_model => store_conversation_turn.embedding_model,
        as_of => store_conversation_turn.as_of
    );

    insert into pgcortex.conversation_turns as t (
        namespace, session_id, role, content, context, memory_id, created_at
    ) values (
        _ns, store_conversation_turn.session_id, store_conversation_turn.role,
        store_conversation_turn.content, store_conversation_turn.context, _memory,
        store_conversation_turn.as_of
    )
    returning t.turn_id into _turn;

    if store_conversation_turn.session_id is not null then
        update pgcortex.conversation_sessions as s
        set message_count = s.message_count + 1
        where s.namespace = _ns and s.session_id = store_conversation_turn.session_id
        returning s.message_count into _count;
    end if;

    return query select _turn, _count, _memory, store_conversation_turn.as_of;
end
$$;

COMMENT ON FUNCTION pgcortex.store_conversation_turn(role text, content text, session_id uuid, context jsonb, embedding public.vector, embedding_model text, as_of timestamp with time zone) IS 'Adds a conversation turn (role user/assistant/system/tool) to a session, or to the namespace when session_id is null, and returns its id, the session''s message_count and the conversation memory it became (if substantial: see pgcortex.knowledge_settings()). PC003 bad role, PC020 bad content, PC023 context not an object, PC030 unknown session, PC031 session ended, PC032 turn before the session started.';

CREATE FUNCTION pgcortex.store_delete(path text[], key text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _ns text := pgcortex.current_namespace();
    _n integer;
begin
    perform pgcortex_internal.check_store_path(store_delete.path);
    delete from pgcortex.store_items as i
    where i.namespace = _ns and i.path = store_delete.path and i.key = store_delete.key;
    get diagnostics _n = row_count;
    return _n > 0;
end
$$;

COMMENT ON FUNCTION pgcortex.store_delete(path text[], key text) IS 'Deletes the store item at (path, key) of the current namespace; true when there was one, false otherwise. PC003 bad path.';

CREATE FUNCTION pgcortex.store_embedding_model(dimensions integer, distance text DEFAULT 'cosine'::text, storage text DEFAULT 'vector'::text, embedding_model text DEFAULT NULL::text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _name text := coalesce(
        store_embedding_model.embedding_model,
        pg_catalog.format(
            'store-%s-%s-%s',
            store_embedding_model.storage, store_embedding_model.distance, store_embedding_model.dimensions
        )
    );
    _m pgcortex_internal.embedding_model_sql;
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
    _m := pgcortex_internal.embedding_model_sql(_name);
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

COMMENT ON FUNCTION pgcortex.store_embedding_model(dimensions integer, distance text, storage text, embedding_model text) IS 'The embedding model of a store''s index config: registers it in pgcortex.embedding_models (pgcortex.register_embedding_model: dimensions, distance cosine, inner_product or l2, storage vector or halfvec) under embedding_model, or by default store-<storage>-<distance>-<dimensions>, and creates the HNSW index of its vectors on pgcortex.store_item_vectors (store_item_vectors_m<model_id>_hnsw_idx) when missing. Returns the model''s name, to pass to pgcortex.store_put and pgcortex.store_search. PC003/PC004 bad specification, PC014 the name is registered with another one.';

CREATE FUNCTION pgcortex.store_get(path text[], key text, refresh_ttl boolean DEFAULT true, omit_expired boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(value json, created_at timestamp with time zone, updated_at timestamp with time zone, expires_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.check_store_path(store_get.path);
    if store_get.as_of is null then
        raise exception using errcode = 'PC003', message = 'as_of is required';
    end if;
    if coalesce(store_get.refresh_ttl, true) then
        update pgcortex.store_items as i
        set expires_at = pgcortex_internal.store_expiry(i.ttl_minutes, store_get.as_of)
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

COMMENT ON FUNCTION pgcortex.store_get(path text[], key text, refresh_ttl boolean, omit_expired boolean, as_of timestamp with time zone) IS 'The store item at (path, key) of the current namespace: its value (its exact JSON text), created_at, updated_at and expires_at; or no row. refresh_ttl (default true): an item with a ttl expires ttl_minutes after as_of again. omit_expired: an item past its expiry that the sweeper has not deleted yet is neither returned nor refreshed (by default it is returned). PC003 bad path.';

CREATE FUNCTION pgcortex.store_knowledge_cluster(name text, description text DEFAULT NULL::text, topics text[] DEFAULT NULL::text[], memory_ids uuid[] DEFAULT NULL::uuid[], confidence real DEFAULT 1.0, importance_score real DEFAULT NULL::real, as_of timestamp with time zone DEFAULT now()) RETURNS pgcortex.knowledge_cluster_result
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _ns text := pgcortex.current_namespace();
    _id uuid;
    _missing uuid[];
begin
    if store_knowledge_cluster.name is null
        or pg_catalog.length(pg_catalog.btrim(store_knowledge_cluster.name)) = 0
        or pg_catalog.length(store_knowledge_cluster.name) > 255 then
        raise exception using errcode = 'PC003', message = 'name must have 1 to 255 characters';
    end if;
    if store_knowledge_cluster.confidence is null or store_knowledge_cluster.confidence not between 0 and 1 then
        raise exception using errcode = 'PC004', message = 'confidence must be between 0 and 1';
    end if;
    if store_knowledge_cluster.importance_score is not null
        and store_knowledge_cluster.importance_score not between 0 and 5 then
        raise exception using errcode = 'PC004', message = 'importance_score must be between 0 and 5';
    end if;
    if store_knowledge_cluster.topics is not null and (
        cardinality(store_knowledge_cluster.topics) > 64
        or exists (
            select from unnest(store_knowledge_cluster.topics) as t (topic)
            where t.topic is null or pg_catalog.length(pg_catalog.btrim(t.topic)) not between 1 and 100
        )
    ) then
        raise exception using errcode = 'PC024', message = 'topics: at most 64, each 1 to 100 characters';
    end if;
    select pg_catalog.array_agg(x.id) into _missing
    from unnest(store_knowledge_cluster.memory_ids) as x (id)
    where not exists (select from pgcortex.memories as m where m.namespace = _ns and m.id = x.id);
    if _missing is not null then
        raise exception using
            errcode = 'PC030',
            message = 'no such memory in this namespace',
            detail = pg_catalog.array_to_string(_missing, ', ');
    end if;

    -- The queued memories join their automatic clusters first, as if they
    -- had been clustered when stored.
    perform pgcortex_internal.cluster_pending(store_knowledge_cluster.as_of);
    insert into pgcortex.knowledge_clusters as c (
        namespace, name, description, origin, topics, confidence, importance_score,
        created_at, last_updated
    ) values (
        _ns, store_knowledge_cluster.name, store_knowledge_cluster.description, 'explicit',
        coalesce(store_knowledge_cluster.topics, '{}'), store_knowledge_cluster.confidence,
        coalesce(store_knowledge_cluster.importance_score, 1.0),
        store_knowledge_cluster.as_of, store_knowledge_cluster.as_of
    )
    on conflict on constraint knowledge_clusters_namespace_name_key do update set
        description = coalesce(excluded.description, c.description),
        origin = 'explicit',
        topics = coalesce(store_knowledge_cluster.topics, c.topics),
        confidence = excluded.confidence,
        last_updated = greatest(c.last_updated, excluded.last_updated)
    returning c.id into _id;

    insert into pgcortex.cluster_members (namespace, cluster_id, memory_id, joined_at)
    select distinct _ns, _id, x.id, store_knowledge_cluster.as_of
    from unnest(store_knowledge_cluster.memory_ids) as x (id)
    on conflict on constraint cluster_members_pkey do nothing;

    perform pgcortex_internal.refresh_clusters(array[_id], 5, store_knowledge_cluster.as_of);
    if store_knowledge_cluster.importance_score is not null then
        update pgcortex.knowledge_clusters as c set importance_score = store_knowledge_cluster.importance_score
        where c.namespace = _ns and c.id = _id;
    end if;
    update pgcortex.cluster_members as cm set
        similarity = (1 - (c.centroid operator(public.<=>) m.embedding))::real
    from pgcortex.knowledge_clusters as c, pgcortex.memories as m
    where
        cm.namespace = _ns and cm.cluster_id = _id and c.namespace = _ns and c.id = _id
        and m.namespace = _ns and m.id = cm.memory_id and m.embedding_model = c.centroid_model;
    return pgcortex_internal.cluster_result(_id);
end
$$;

COMMENT ON FUNCTION pgcortex.store_knowledge_cluster(name text, description text, topics text[], memory_ids uuid[], confidence real, importance_score real, as_of timestamp with time zone) IS 'Stores an explicit knowledge cluster (upsert by name; an automatic cluster of that name becomes explicit) and adds memory_ids to it, after clustering the queued memories (pgcortex_internal.cluster_pending); its centroid, member count and (unless given) importance_score are computed from the members, topics from them when none are given. Explicit clusters are never merged or dissolved. PC003 bad name, PC004 confidence/importance out of range, PC024 bad topics, PC030 unknown memory.';

CREATE FUNCTION pgcortex.store_learning_pattern(pattern_type text, description text, example text DEFAULT NULL::text, confidence real DEFAULT 0.5, session_id uuid DEFAULT NULL::uuid, memory_id uuid DEFAULT NULL::uuid, evidence_key text DEFAULT NULL::text, as_of timestamp with time zone DEFAULT now()) RETURNS pgcortex.learning_pattern_result
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _ns text := pgcortex.current_namespace();
    _settings record;
    _key text;
begin
    if store_learning_pattern.pattern_type is null
        or not exists (
            select from pgcortex.pattern_types as t where t.name = store_learning_pattern.pattern_type
        ) then
        raise exception using
            errcode = 'PC022',
            message = pg_catalog.format('unknown pattern type %L', store_learning_pattern.pattern_type),
            hint = 'pattern types are listed in pgcortex.pattern_types';
    end if;
    if store_learning_pattern.description is null
        or pg_catalog.length(pg_catalog.btrim(store_learning_pattern.description)) = 0
        or pg_catalog.length(store_learning_pattern.description) > 1000 then
        raise exception using errcode = 'PC003', message = 'description must have 1 to 1000 characters';
    end if;
    if store_learning_pattern.confidence is null
        or store_learning_pattern.confidence not between 0 and 1 then
        raise exception using errcode = 'PC004', message = 'confidence must be between 0 and 1';
    end if;
    if store_learning_pattern.evidence_key is not null
        and pg_catalog.length(store_learning_pattern.evidence_key) not between 1 and 255 then
        raise exception using errcode = 'PC003', message = 'evidence_key must have 1 to 255 characters';
    end if;
    if store_learning_pattern.session_id is not null and not exists (
        select from pgcortex.conversation_sessions as s
        where s.namespace = _ns and s.session_id = store_learning_pattern.session_id
    ) then
        raise exception using errcode = 'PC030', message = 'no such session in this namespace';
    end if;
    if store_learning_pattern.memory_id is not null and not exists (
        select from pgcortex.memories as m
        where m.namespace = _ns and m.id = store_learning_pattern.memory_id
    ) then
        raise exception using errcode = 'PC030', message = 'no such memory in this namespace';
    end if;

    select * into _settings from pgcortex.knowledge_settings();
    _key := coalesce(
        store_learning_pattern.evidence_key,
        'memory:' || store_learning_pattern.memory_id::text,
        'session:' || store_learning_pattern.session_id::text,
        'call:' || pgcortex_internal.new_id()::text
    );
    return pgcortex_internal.record_learning_pattern(
        pattern_type => store_learning_pattern.pattern_type,
        description => store_learning_pattern.description,
        confidence => store_learning_pattern.confidence,
        examples => array[store_learning_pattern.example],
        evidence_keys => array[_key],
        evidence_sessions => array[store_learning_pattern.session_id],
        evidence_memories => array[store_learning_pattern.memory_id],
        evidence_turns => array[null::bigint],
        max_examples => _settings.pattern_max_examples,
        as_of => store_learning_pattern.as_of
    );
end
$$;

COMMENT ON FUNCTION pgcortex.store_learning_pattern(pattern_type text, description text, example text, confidence real, session_id uuid, memory_id uuid, evidence_key text, as_of timestamp with time zone) IS 'Records an observation of a learning pattern (upsert by type and description). Evidence = evidence_key, else the memory, else the session, else the call; evidence already linked changes nothing (new_evidence = 0). Frequency counts evidence; confidence is the frequency-weighted mean of the confidences reported; examples keep the most recent distinct ones (pattern_max_examples). PC022 unknown type, PC003 bad description, PC004 confidence outside 0..1, PC030 unknown session or memory.';

CREATE FUNCTION pgcortex.store_list_namespaces(prefix text[] DEFAULT NULL::text[], suffix text[] DEFAULT NULL::text[], max_depth integer DEFAULT NULL::integer, page_size integer DEFAULT 100, page_offset integer DEFAULT 0, omit_expired boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(path text[])
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    perform pgcortex_internal.check_store_path(coalesce(store_list_namespaces.prefix, '{}'), 'prefix', true);
    perform pgcortex_internal.check_store_path(coalesce(store_list_namespaces.suffix, '{}'), 'suffix', true);
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
            and pgcortex_internal.store_path_matches(i.path, store_list_namespaces.prefix, false)
            and pgcortex_internal.store_path_matches(i.path, store_list_namespaces.suffix, true)
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

COMMENT ON FUNCTION pgcortex.store_list_namespaces(prefix text[], suffix text[], max_depth integer, page_size integer, page_offset integer, omit_expired boolean, as_of timestamp with time zone) IS 'The distinct paths of the store items of the current namespace, sorted (C collation), a page of them (page_size 0..10000, page_offset): those starting with prefix and ending with suffix, label by label, where a ''*'' label matches any one label; each cut to its first max_depth labels (at least 1) when given. omit_expired: paths whose items have all expired (not swept yet) are left out. PC003 bad prefix or suffix, PC004 bad max_depth or page.';

CREATE FUNCTION pgcortex.store_memories(contents text[], memory_types text[], importances integer[] DEFAULT NULL::integer[], confidences real[] DEFAULT NULL::real[], tags jsonb DEFAULT NULL::jsonb, metadata jsonb DEFAULT NULL::jsonb, embeddings public.vector[] DEFAULT NULL::public.vector[], ids uuid[] DEFAULT NULL::uuid[], expires_at timestamp with time zone[] DEFAULT NULL::timestamp with time zone[], embedding_model text DEFAULT NULL::text, near_duplicate_threshold real DEFAULT 0.95, dedup_near boolean DEFAULT true, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(ordinality integer, id uuid, action text, merged_into uuid)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _n integer;
    _bad integer;
    _msg text;
    _has_emb boolean;
    _model pgcortex_internal.embedding_model_sql;
    -- per item, in input order
    _hash bytea [];
    _rep integer [];
    _near uuid [];
    _res_id uuid [];
    _res_action text [];
    _touched uuid [];
    _i integer;
    _old_scan text := coalesce(pg_catalog.current_setting('hnsw.iterative_scan', true), 'off');
    _old_ef text := coalesce(pg_catalog.current_setting('hnsw.ef_search', true), '40');
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

    for _i in 1 .. coalesce(pg_catalog.cardinality(store_memories.memory_types), 0) loop
        perform pgcortex_internal.check_memory_type(store_memories.memory_types[_i], 'item ' || _i);
    end loop;

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
        pgcortex_internal.tags_problem(array(
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
                or pgcortex_internal.tags_problem(array(
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

    for _i in 1 .. coalesce(pg_catalog.jsonb_array_length(store_memories.metadata), 0) loop
        perform pgcortex_internal.check_metadata(store_memories.metadata -> (_i - 1), 'item ' || _i);
    end loop;

    for _i in 1 .. coalesce(pg_catalog.cardinality(store_memories.embeddings), 0) loop
        perform pgcortex_internal.check_embedding(store_memories.embeddings[_i], 'item ' || _i);
    end loop;
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
        -- Registered (PC013), the namespace's current model (PC012); holds the
        -- namespace's model lock (shared) to the end of the transaction.
        _model := pgcortex_internal.check_embedding_model(store_memories.embedding_model, true);
        for _i in 1 .. coalesce(pg_catalog.cardinality(store_memories.embeddings), 0) loop
            perform pgcortex_internal.check_embedding_dimensions(
                store_memories.embeddings[_i], _model.dimensions, 'item ' || _i
            );
            if _model.storage = 'halfvec' then
                perform pgcortex_internal.check_embedding(store_memories.embeddings[_i], 'item ' || _i, 'halfvec');
            end if;
        end loop;
        if _model.normalize_vectors then
            embeddings := array(
                select public.l2_normalize(e.x)
                from pg_catalog.unnest(store_memories.embeddings) with ordinality as e (x, o)
                order by e.o
            );
        end if;
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
            and m.content_hash <> pgcortex_internal.content_hash(store_memories.contents[i.o])
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
        select pgcortex_internal.content_hash(c.x)
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
    -- The probe's search width grows with the graph
    -- (pgcortex_internal.default_ef_search, probe): 13 at 10,000 memories,
    -- 40 at 100,000, 126 at 1,000,000.
    perform pg_catalog.set_config(
        'hnsw.ef_search', pgcortex_internal.default_ef_search(_model.dimensions, true)::text, true
    );
    -- A representative whose content is new, that has an embedding, merges
    -- into the nearest memory of the same type when at least this similar.
    -- The probe takes the 10 nearest memories of the model, of any type, from
    -- the model's HNSW index (its expression and predicate written as
    -- constants), and applies type, expiry and threshold to those: with no
    -- type condition inside, no plan without the index exists (an exact scan
    -- per item on a table without statistics, docs/performance.md). It misses
    -- a same-type near duplicate only when 10 memories of other types are
    -- nearer still.
    if _has_emb and store_memories.dedup_near then
        execute pg_catalog.format(
            'select array(select case when $1[o.o] = o.o and $2[o.o] is not null and not exists ('
            'select from pgcortex.memories as x where x.namespace = $3 and x.content_hash = $4[o.o]'
            ') then (select nn.id from (select m.id, m.memory_type, m.expires_at, m.embedding, '
            'm.embedding operator(public.<=>) $2[o.o] as dist from pgcortex.memories as m '
            'where m.namespace = $3 and m.embedding_model = %3$s '
            'order by (m.embedding::%1$s) %2$s ($2[o.o]::%1$s) limit 10) as nn '
            -- Defence in depth: a NaN distance (NaN sorts above every number,
            -- so 1 - NaN >= threshold would hold) or one outside 0..2, or a
            -- candidate whose own stored embedding single precision cannot
            -- measure (distance 0 against anything), is never a duplicate.
            'where nn.memory_type = $5[o.o] and (nn.expires_at is null or nn.expires_at > $6) '
            'and nn.dist >= 0 and nn.dist <= 2 and 1 - nn.dist >= $7 '
            'and pgcortex_internal.embedding_problem(nn.embedding) is null '
            'order by nn.dist, nn.id limit 1) end '
            'from pg_catalog.generate_series(1, $8) as o (o) order by o.o)',
            _model.vector_type, _model.operator_sql, _model.name_literal
        )
        into _near
        using _rep, store_memories.embeddings, _ns, _hash, store_memories.memory_types,
            store_memories.as_of, store_memories.near_duplicate_threshold, _n;
    else
        _near := pg_catalog.array_fill(null::uuid, array[_n]);
    end if;

    perform pg_catalog.set_config('hnsw.iterative_scan', _old_scan, true);
    perform pg_catalog.set_config('hnsw.ef_search', _old_ef, true);

    -- Write: insert new contents, reinforce exact duplicates. -------------------
    perform pgcortex_internal.set_change_context('store', store_memories.as_of);
    with items as (
        select
            o.o,
            _rep[o.o] as rep,
            store_memories.contents[o.o] as content,
            store_memories.memory_types[o.o] as memory_type,
            coalesce(store_memories.importances[o.o], 3) as importance,
            coalesce(store_memories.confidences[o.o], 1.0) as confidence,
            pgcortex_internal.normalize_tags(array(
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
            pgcortex_internal.normalize_tags(pg_catalog.array_agg(t.tag)) as tags,
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
            coalesce(r.id, pgcortex_internal.new_id()),
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
        -- Key order, so that concurrent batches wait on each other in one
        -- order instead of deadlocking.
        order by _hash[g.rep]
        on conflict (namespace, content_hash) do update
            set
                (importance, confidence, tags, expires_at) = (
                    select r.importance, r.confidence, r.tags, r.expires_at
                    from pgcortex_internal.reinforce(
                        m.importance, m.confidence, m.tags, m.expires_at,
                        excluded.importance, excluded.confidence, excluded.tags, excluded.expires_at,
                        expired => m.expires_at <= store_memories.as_of
                    ) as r
                ),
                metadata = case when m.expires_at <= store_memories.as_of
                    then excluded.metadata
                    else m.metadata || excluded.metadata end,
                embedding_model = case when m.embedding is null
                    then excluded.embedding_model else m.embedding_model end,
                embedding = coalesce(m.embedding, excluded.embedding),
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
        perform pgcortex_internal.set_change_context('merge', store_memories.as_of);
        -- Lock the memories merged into in id order (no deadlock between batches).
        perform
        from pgcortex.memories as m
        where
            m.namespace = _ns
            and m.id = any(array(select x.id from pg_catalog.unnest(_near) as x (id)))
        order by m.id
        for no key update;
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
                store_memories.contents[o.o] as content,
                store_memories.expires_at[o.o] as expires_at
            from pg_catalog.generate_series(1, _n) as o (o)
            where _near[_rep[o.o]] is not null
        ),
        per_target as (
            select
                g.target,
                max(g.importance) as importance,
                max(g.confidence) as confidence,
                pgcortex_internal.normalize_tags(array(
                    select pg_catalog.jsonb_array_elements_text(h.tags)
                    from merges as h where h.target = g.target
                )) as tags,
                (
                    select pg_catalog.jsonb_agg(
                        pg_catalog.jsonb_build_object(
                            'content', h.content,
                            'metadata', h.metadata,
                            'stored_at', store_memories.as_of
                        )
                        order by h.o
                    )
                    from merges as h
                    where h.target = g.target
                ) as occurrences,
                case when bool_or(g.expires_at is null) then null else max(g.expires_at) end
                    as expires_at
            from merges as g
            group by g.target
        )
        update pgcortex.memories as m
        set
            (importance, confidence, tags, expires_at) = (
                select r.importance, r.confidence, r.tags, r.expires_at
                from pgcortex_internal.reinforce(
                    m.importance, m.confidence, m.tags, m.expires_at,
                    p.importance, p.confidence, p.tags, p.expires_at
                ) as r
            ),
            metadata = pgcortex_internal.add_merged_occurrences(m.metadata, p.occurrences),
            updated_at = greatest(m.updated_at, store_memories.as_of)
        from per_target as p
        where m.namespace = _ns and m.id = p.target;
        _res_id := array(
            select coalesce(_near[_rep[o.o]], _res_id[o.o])
            from pg_catalog.generate_series(1, _n) as o (o)
            order by o.o
        );
    end if;
    perform pgcortex_internal.set_change_context(null, null);

    -- Storing what is already remembered counts as an access of it.
    _touched := array(
        select _res_id[o.o] from pg_catalog.generate_series(1, _n) as o (o)
        where _res_action[o.o] <> 'inserted'
    );
    if pg_catalog.cardinality(_touched) > 0 then
        perform pgcortex_internal.log_access(_ns, _touched, store_memories.as_of);
    end if;

    return query
    select
        o.o::integer,
        _res_id[o.o],
        _res_action[o.o],
        case when _res_action[o.o] = 'merged' then _res_id[o.o] end
    from pg_catalog.generate_series(1, _n) as o (o)
    order by o.o;
end
$_$;

COMMENT ON FUNCTION pgcortex.store_memories(contents text[], memory_types text[], importances integer[], confidences real[], tags jsonb, metadata jsonb, embeddings public.vector[], ids uuid[], expires_at timestamp with time zone[], embedding_model text, near_duplicate_threshold real, dedup_near boolean, as_of timestamp with time zone) IS 'Stores a batch of memories in one call. Arrays run in parallel with contents (null = defaults: importance 3, confidence 1.0, no tags, {} metadata, no embedding, a new id, no expiry); tags is a JSON array of string lists, metadata a JSON array of objects. Every item is checked before anything is written (PC003, PC004, PC010, PC011, PC012, PC020, PC021, PC023, PC024, PC026). The same content (normalised) already stored, or repeated in the batch, reinforces that memory (action updated, its id); a new content whose embedding is at least near_duplicate_threshold cosine-similar to a memory of the same type reinforces that one instead (action merged, merged_into), unless dedup_near is false. Reinforcement: importance and confidence the greater, tags united, the later expiry, one access counted; metadata merged (new keys win) for the same content, while a near duplicate leaves the memory''s metadata as it is and appends its occurrence (content, metadata, stored_at) to metadata.merged_occurrences (the 20 latest, each once). Returns one row per item in input order.';

CREATE FUNCTION pgcortex.store_memory(content text, memory_type text, importance integer DEFAULT 3, confidence real DEFAULT 1.0, tags text[] DEFAULT '{}'::text[], metadata jsonb DEFAULT '{}'::jsonb, embedding public.vector DEFAULT NULL::public.vector, embedding_model text DEFAULT NULL::text, memory_id uuid DEFAULT NULL::uuid, expires_at timestamp with time zone DEFAULT NULL::timestamp with time zone, near_duplicate_threshold real DEFAULT 0.95, dedup_near boolean DEFAULT true, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(id uuid, action text, merged_into uuid)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    perform pgcortex_internal.check_tags(store_memory.tags);
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

CREATE FUNCTION pgcortex.store_put(path text[], key text, value json, ttl_minutes double precision DEFAULT NULL::double precision, index_fields text[] DEFAULT NULL::text[], embeddings public.vector[] DEFAULT NULL::public.vector[], embedding_model text DEFAULT NULL::text, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(created_at timestamp with time zone, updated_at timestamp with time zone, expires_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _value jsonb;
begin
    perform pgcortex_internal.check_store_path(store_put.path);
    perform pgcortex_internal.check_store_ttl(store_put.ttl_minutes);
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
    _value := pgcortex_internal.session_item_jsonb(store_put.value);
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
        store_put.ttl_minutes, pgcortex_internal.store_expiry(store_put.ttl_minutes, store_put.as_of)
    )
    on conflict on constraint store_items_pkey do update
    set
        value = excluded.value,
        value_jsonb = excluded.value_jsonb,
        updated_at = excluded.updated_at,
        ttl_minutes = excluded.ttl_minutes,
        expires_at = excluded.expires_at
    returning i.created_at, i.updated_at, i.expires_at;
    perform pgcortex_internal.store_put_vectors(
        store_put.path, store_put.key, store_put.index_fields, store_put.embeddings,
        store_put.embedding_model
    );
end
$$;

COMMENT ON FUNCTION pgcortex.store_put(path text[], key text, value json, ttl_minutes double precision, index_fields text[], embeddings public.vector[], embedding_model text, as_of timestamp with time zone) IS 'Puts an item of the key-value store (the LangGraph store) at (path, key) in the current namespace: a new item, or the whole value of the existing one replaced (created_at stays, updated_at becomes as_of). value: a JSON object, kept as its exact text. ttl_minutes (fractional): the item expires that long after as_of (and after each refreshing read); null: never. embeddings (of embedding_model, see pgcortex.store_embedding_model), one per name of index_fields (the part of the value each was made from), replace the item''s vectors; without them the item has none (a query search returns it after the items it ranks, score null). Returns created_at, updated_at, expires_at. PC003 bad path or key, PC004 ttl out of range, PC023 value not an object.';

CREATE FUNCTION pgcortex.store_search(path_prefix text[] DEFAULT '{}'::text[], filter jsonb DEFAULT NULL::jsonb, query text DEFAULT NULL::text, query_embedding public.vector DEFAULT NULL::public.vector, embedding_model text DEFAULT NULL::text, page_size integer DEFAULT 10, page_offset integer DEFAULT 0, refresh_ttl boolean DEFAULT true, omit_expired boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(path text[], key text, value json, created_at timestamp with time zone, updated_at timestamp with time zone, score double precision)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _prefix text[] := pgcortex_internal.check_store_path(
        coalesce(store_search.path_prefix, '{}'), 'path_prefix', true
    );
    _n integer := pg_catalog.cardinality(coalesce(store_search.path_prefix, '{}'));
    _filter jsonb := pgcortex_internal.check_store_filter(store_search.filter);
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
        _tsq := pgcortex_internal.search_tsquery(store_search.query);
    end if;
    if _vector_mode then
        _scored := pgcortex_internal.store_vector_candidates(
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
            and (_filter is null or pgcortex_internal.store_filter_matches(i.value_jsonb, _filter))
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
        set expires_at = pgcortex_internal.store_expiry(i.ttl_minutes, store_search.as_of)
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

COMMENT ON FUNCTION pgcortex.store_search(path_prefix text[], filter jsonb, query text, query_embedding public.vector, embedding_model text, page_size integer, page_offset integer, refresh_ttl boolean, omit_expired boolean, as_of timestamp with time zone) IS 'A page (page_size 0..10000, page_offset) of the store items of the current namespace whose path starts with path_prefix (empty: every path) and whose value meets filter: a JSON object of field conditions, each a value (equal), a nested object (matched field by field) or operators $eq, $ne, $gt, $gte, $lt, $lte (numbers compared as numbers, strings as strings). With query_embedding (of embedding_model): items ranked by their nearest vector through the model''s HNSW index, score = cosine similarity, inner product or minus the L2 distance (the model''s distance), then the items without a vector of the model (score null). With query text alone: the items whose string values match it as full text (english) first, score their text rank, then the rest (score null). Unscored items come text matches first, then newest first (updated_at). refresh_ttl and omit_expired as in pgcortex.store_get. PC003 bad prefix, filter, operator or embedding arguments, PC004 bad page, PC010/PC011 bad query embedding, PC013 unknown model.';

CREATE FUNCTION pgcortex.track_access(ids uuid[], as_of timestamp with time zone DEFAULT now()) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
declare
    _ns text := pgcortex.current_namespace();
begin
    if track_access.ids is null or pg_catalog.cardinality(track_access.ids) = 0 then
        return 0;
    end if;
    if pg_catalog.cardinality(track_access.ids) > 10000 then
        raise exception using
            errcode = 'PC004',
            message = pg_catalog.format(
                'track_access takes at most 10000 ids per call, not %s', pg_catalog.cardinality(track_access.ids)
            ),
            hint = 'split the ids into calls of at most 10000';
    end if;
    -- Only this namespace's memories: an unknown id would sit in the log,
    -- uncounted, until the next flush dropped it.
    return pgcortex_internal.log_access(
        _ns,
        array(
            select t.id
            from pg_catalog.unnest(track_access.ids) with ordinality as t (id, o)
            where exists (
                select from pgcortex.memories as m
                where m.namespace = _ns and m.id = t.id
            )
            order by t.o
        ),
        track_access.as_of
    );
end
$$;

COMMENT ON FUNCTION pgcortex.track_access(ids uuid[], as_of timestamp with time zone) IS 'Counts one access of each memory id given that is a memory of this namespace (unknown ids are ignored; repeats count again) at as_of; at most 10000 ids per call (PC004, nothing written): appends to the access log, takes no row lock, and now and then folds the log (see maint_flush_access). The log is unlogged: a transaction that writes nothing else writes no WAL and commits without waiting for a flush; a crash or failover loses the accesses not yet folded (folded counts stay). Returns how many accesses were counted.';

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

COMMENT ON TABLE pgcortex.memory_links IS 'Directed, typed, weighted relations between two memories of one namespace (the original memory module''s related_memories, with integrity).';

CREATE FUNCTION pgcortex.unlink_memories(source_id uuid, target_id uuid, relation text DEFAULT NULL::text) RETURNS bigint
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 WITH gone AS (
          DELETE FROM pgcortex.memory_links l
           WHERE (((l.namespace)::text = ( SELECT pgcortex.current_namespace() AS current_namespace)) AND (l.source_id = unlink_memories.source_id) AND (l.target_id = unlink_memories.target_id) AND ((unlink_memories.relation IS NULL) OR (l.relation = unlink_memories.relation)))
           RETURNING 1 AS "?column?"
         )
  SELECT count(*) AS count
    FROM gone;
END;

COMMENT ON FUNCTION pgcortex.unlink_memories(source_id uuid, target_id uuid, relation text) IS 'Removes the links from source to target with that relation (all relations when null); returns how many were removed.';

CREATE FUNCTION pgcortex.update_memory(memory_id uuid, content text DEFAULT NULL::text, memory_type text DEFAULT NULL::text, importance integer DEFAULT NULL::integer, confidence real DEFAULT NULL::real, tags text[] DEFAULT NULL::text[], metadata jsonb DEFAULT NULL::jsonb, merge_metadata boolean DEFAULT false, embedding public.vector DEFAULT NULL::public.vector, embedding_model text DEFAULT NULL::text, expires_at timestamp with time zone DEFAULT NULL::timestamp with time zone, clear_expiry boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS SETOF pgcortex.memory_row
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _cur pgcortex.memories;
    _other uuid;
    _content_changed boolean;
    _emb public.vector;
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
    if update_memory.memory_type is not null then
        perform pgcortex_internal.check_memory_type(update_memory.memory_type);
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
    perform pgcortex_internal.check_tags(update_memory.tags);
    perform pgcortex_internal.check_metadata(update_memory.metadata);
    perform pgcortex_internal.check_embedding(update_memory.embedding);
    if update_memory.embedding is not null then
        if update_memory.embedding_model is null
            or pg_catalog.btrim(update_memory.embedding_model) = ''
            or pg_catalog.length(update_memory.embedding_model) > 200
        then
            raise exception using
                errcode = 'PC003',
                message = 'embedding_model (1 to 200 characters) is required with an embedding';
        end if;
        -- The namespace's current model (PC012, PC013), its dimensions (PC010).
        _emb := pgcortex_internal.model_vector(
            update_memory.embedding,
            pgcortex_internal.check_embedding_model(update_memory.embedding_model, true)
        );
    end if;
    if update_memory.expires_at is not null and update_memory.expires_at <= update_memory.as_of then
        raise exception using errcode = 'PC004', message = 'expires_at is not later than as_of';
    end if;
    _content_changed := update_memory.content is not null and update_memory.content <> _cur.content;
    if _content_changed then
        select m.id into _other from pgcortex.memories as m
        where
            m.namespace = _ns
            and m.content_hash = pgcortex_internal.content_hash(update_memory.content)
            and m.id <> update_memory.memory_id;
        if _other is not null then
            raise exception using
                errcode = 'PC025',
                message = pg_catalog.format('memory %s already has this content', _other),
                hint = 'delete one of the two, or store the content to reinforce that memory';
        end if;
    end if;

    perform pgcortex_internal.set_change_context('update', update_memory.as_of);
    update pgcortex.memories as m
    set
        content = coalesce(update_memory.content, m.content),
        memory_type = coalesce(update_memory.memory_type, m.memory_type),
        importance = coalesce(update_memory.importance, m.importance),
        confidence = coalesce(update_memory.confidence, m.confidence),
        tags = case when update_memory.tags is not null
            then pgcortex_internal.normalize_tags(update_memory.tags) else m.tags end,
        metadata = case
            when update_memory.metadata is null
                or pg_catalog.jsonb_typeof(update_memory.metadata) = 'null' then m.metadata
            when update_memory.merge_metadata then m.metadata || update_memory.metadata
            else update_memory.metadata
        end,
        -- A new content makes the old embedding wrong: it is replaced by the
        -- one given, or cleared (the memory is text-only until re-embedded).
        embedding = case
            when update_memory.embedding is not null then _emb
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
    perform pgcortex_internal.set_change_context(null, null);
    return query
    select * from pgcortex_internal.memory_rows(
        array[update_memory.memory_id], update_memory.embedding is not null, update_memory.as_of
    );
end
$$;

COMMENT ON FUNCTION pgcortex.update_memory(memory_id uuid, content text, memory_type text, importance integer, confidence real, tags text[], metadata jsonb, merge_metadata boolean, embedding public.vector, embedding_model text, expires_at timestamp with time zone, clear_expiry boolean, as_of timestamp with time zone) IS 'Partial update of one memory: only the fields given change (metadata replaced, or merged when merge_metadata; clear_expiry removes the expiry). A new content refreshes its hash and full-text vector (generated columns) and replaces the embedding with the one given, or clears it. Raises PC030 (unknown id), PC025 (another memory has that content) and the input codes of store_memories. Returns the memory as it is now; counts no access.';

CREATE FUNCTION pgcortex_internal.access_totals_of(memory_ids uuid[]) RETURNS TABLE(memory_id uuid, access_count bigint, last_accessed timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
begin
    -- A hot standby cannot read the unlogged log (nor holds its rows): the
    -- folded counts only.
    if pg_catalog.pg_is_in_recovery() then
        return query
        select a.memory_id, a.access_count, a.last_accessed
        from pgcortex.memory_access as a
        where a.namespace = _ns and a.memory_id = any(access_totals_of.memory_ids);
        return;
    end if;
    return query
    select x.memory_id, sum(x.n)::bigint, max(x.at)
    from (
        select a.memory_id, a.access_count as n, a.last_accessed as at
        from pgcortex.memory_access as a
        where a.namespace = _ns and a.memory_id = any(access_totals_of.memory_ids)
        union all
        select g.memory_id, 1::bigint, g.accessed_at
        from pgcortex.memory_access_log as g
        where g.namespace = _ns and g.memory_id = any(access_totals_of.memory_ids)
    ) as x
    group by x.memory_id;
end
$$;

COMMENT ON FUNCTION pgcortex_internal.access_totals_of(memory_ids uuid[]) IS 'Internal helper: exact access count and last access (folded counts plus the pending log) of the given memories of the current namespace, read through the (namespace, memory_id) indexes only; memories never read have no row. On a hot standby, the folded counts (the unlogged log is empty there).';

CREATE FUNCTION pgcortex_internal.add_merged_occurrences(metadata jsonb, occurrences jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT (metadata || jsonb_build_object('merged_occurrences', COALESCE(( SELECT jsonb_agg(x.e ORDER BY x.o) AS jsonb_agg
            FROM ( SELECT a.e,
                     a.o
                    FROM ( SELECT e.e,
                             e.o,
                             row_number() OVER (PARTITION BY (e.e -> 'content'::text), (e.e -> 'metadata'::text) ORDER BY e.o) AS nth
                            FROM jsonb_array_elements((
                                 CASE
                                     WHEN (jsonb_typeof((add_merged_occurrences.metadata -> 'merged_occurrences'::text)) = 'array'::text) THEN (add_merged_occurrences.metadata -> 'merged_occurrences'::text)
                                     ELSE '[]'::jsonb
                                 END || add_merged_occurrences.occurrences)) WITH ORDINALITY e(e, o)) a
                   WHERE (a.nth = 1)
                   ORDER BY a.o DESC
                  LIMIT 20) x), '[]'::jsonb)));
END;

COMMENT ON FUNCTION pgcortex_internal.add_merged_occurrences(metadata jsonb, occurrences jsonb) IS 'The metadata with the given occurrences (a JSON array of {content, metadata, stored_at}) appended to its merged_occurrences array, an occurrence already listed (same content and metadata) kept once, at most the 20 latest kept.';

CREATE FUNCTION pgcortex_internal.build_vector_nearest() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
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
$_$;

COMMENT ON FUNCTION pgcortex_internal.build_vector_nearest() IS '(Re)creates pgcortex_internal.vector_nearest with one static vector-candidate statement per registered model (pgcortex_internal.vector_candidates_sql over pgcortex_internal.unfiltered_where()), so that a search without filters runs a plan its session keeps instead of planning its vector statement on every call (docs/performance.md). Run on every deploy and when a model is registered or dropped. Internal helper.';

CREATE FUNCTION pgcortex_internal.check_embedding(embedding public.vector, label text DEFAULT NULL::text, storage text DEFAULT 'vector'::text) RETURNS public.vector
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _problem text := coalesce(
        pgcortex_internal.embedding_problem(check_embedding.embedding),
        pgcortex_internal.halfvec_range_problem(check_embedding.embedding, check_embedding.storage)
    );
begin
    if _problem is not null then
        raise exception using
            errcode = 'PC011',
            message = coalesce(check_embedding.label || ': ', '') || _problem,
            hint = 'embeddings have finite values with a norm in 2^-60 .. 2^60; normalise to length 1';
    end if;
    return check_embedding.embedding;
end
$$;

COMMENT ON FUNCTION pgcortex_internal.check_embedding(embedding public.vector, label text, storage text) IS 'Returns the embedding if pgcortex_internal.embedding_problem (norm in 2^-60 .. 2^60 computed in double precision) and, for halfvec storage, pgcortex_internal.halfvec_range_problem find nothing wrong; else raises PC011 with a hint, the message prefixed with label when given. NaN and infinite elements are already refused by pgvector''s input (SQLSTATE 22000).';

CREATE FUNCTION pgcortex_internal.check_embedding_dimensions(embedding public.vector, dimensions integer, label text DEFAULT NULL::text) RETURNS public.vector
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _problem text := pgcortex_internal.embedding_dimensions_problem(
        check_embedding_dimensions.embedding, check_embedding_dimensions.dimensions
    );
begin
    if _problem is not null then
        raise exception using
            errcode = 'PC010',
            message = coalesce(check_embedding_dimensions.label || ': ', '') || _problem,
            hint = 'embed with the namespace''s model (pgcortex.namespace_embedding_model)';
    end if;
    return check_embedding_dimensions.embedding;
end
$$;

COMMENT ON FUNCTION pgcortex_internal.check_embedding_dimensions(embedding public.vector, dimensions integer, label text) IS 'Returns the embedding when pgcortex_internal.embedding_dimensions_problem finds nothing wrong; else raises PC010, the message prefixed with label (the argument or item it came from) when given.';

CREATE FUNCTION pgcortex_internal.check_embedding_model(embedding_model text, for_store boolean DEFAULT false) RETURNS pgcortex_internal.embedding_model_sql
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION pgcortex_internal.check_embedding_model(embedding_model text, for_store boolean) IS 'The model (pgcortex_internal.embedding_model_sql) that a store (for_store) or search of this namespace uses: the one given, which must be the namespace''s current model, else the current model (the deployment default for a namespace without one). A store of a namespace that holds no embeddings of another model makes the given model its current one. PC003 bad name, PC012 another model than the current one, PC013 not registered. Internal helper.';

CREATE FUNCTION pgcortex_internal.check_memory_type(memory_type text, label text DEFAULT NULL::text) RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _problem text := pgcortex_internal.memory_type_problem(check_memory_type.memory_type);
begin
    if _problem is not null then
        raise exception using
            errcode = 'PC021',
            message = coalesce(check_memory_type.label || ': ', '') || _problem,
            hint = 'the types are listed in pgcortex.memory_types';
    end if;
    return check_memory_type.memory_type;
end
$$;

COMMENT ON FUNCTION pgcortex_internal.check_memory_type(memory_type text, label text) IS 'Returns the memory type when pgcortex_internal.memory_type_problem finds nothing wrong; else raises PC021, the message prefixed with label (the argument or item) when given.';

CREATE FUNCTION pgcortex_internal.check_metadata(metadata jsonb, label text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _problem text := pgcortex_internal.metadata_problem(check_metadata.metadata);
begin
    if _problem is not null then
        raise exception using
            errcode = 'PC023',
            message = coalesce(check_metadata.label || ': ', '') || _problem;
    end if;
    return check_metadata.metadata;
end
$$;

COMMENT ON FUNCTION pgcortex_internal.check_metadata(metadata jsonb, label text) IS 'Returns the metadata when pgcortex_internal.metadata_problem finds nothing wrong; else raises PC023, the message prefixed with label when given.';

CREATE FUNCTION pgcortex_internal.check_session_items(items json) RETURNS integer
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _bad bigint;
begin
    if check_session_items.items is null
        or pg_catalog.json_typeof(check_session_items.items) <> 'array' then
        raise exception using
            errcode = 'PC023', message = 'items must be a JSON array of objects';
    end if;
    select e.ord into _bad
    from pg_catalog.json_array_elements(check_session_items.items) with ordinality as e (value, ord)
    where pg_catalog.json_typeof(e.value) <> 'object'
    order by e.ord
    limit 1;
    if _bad is not null then
        raise exception using
            errcode = 'PC023',
            message = pg_catalog.format('item %s is not a JSON object', _bad);
    end if;
    return pg_catalog.json_array_length(check_session_items.items);
end
$$;

COMMENT ON FUNCTION pgcortex_internal.check_session_items(items json) IS 'Returns the number of items; PC023 unless items is a JSON array of objects.';

CREATE FUNCTION pgcortex_internal.check_session_key(session_key text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    if check_session_key.session_key is null
        or pg_catalog.length(pg_catalog.btrim(check_session_key.session_key)) = 0
        or pg_catalog.length(check_session_key.session_key) > 256 then
        raise exception using
            errcode = 'PC003', message = 'session_key must have 1 to 256 characters, not all blank';
    end if;
    return check_session_key.session_key;
end
$$;

COMMENT ON FUNCTION pgcortex_internal.check_session_key(session_key text) IS 'Returns the key; PC003 unless it has 1 to 256 characters, not all blank.';

CREATE FUNCTION pgcortex_internal.check_store_filter(filter jsonb) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
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
$_$;

COMMENT ON FUNCTION pgcortex_internal.check_store_filter(filter jsonb) IS 'Helper of pgcortex.store_search: returns filter; PC003 unless it is null or a JSON object whose operators are $eq, $ne, $gt, $gte, $lt, $lte.';

CREATE FUNCTION pgcortex_internal.check_store_path(path text[], argument text DEFAULT 'path'::text, allow_empty boolean DEFAULT false) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION pgcortex_internal.check_store_path(path text[], argument text, allow_empty boolean) IS 'Helper of the store functions: returns path; PC003 (naming argument) unless it has 1 to 64 labels (0 to 64 with allow_empty), none empty or null.';

CREATE FUNCTION pgcortex_internal.check_store_ttl(ttl_minutes double precision) RETURNS double precision
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION pgcortex_internal.check_store_ttl(ttl_minutes double precision) IS 'Helper of pgcortex.store_put: returns ttl_minutes; PC004 unless it is null or greater than 0 and at most 5256000 (ten years).';

CREATE FUNCTION pgcortex_internal.check_tags(tags text[], label text DEFAULT NULL::text) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _problem text := pgcortex_internal.tags_problem(check_tags.tags);
begin
    if _problem is not null then
        raise exception using
            errcode = 'PC024',
            message = coalesce(check_tags.label || ': ', '') || _problem,
            hint = 'at most 64 tags, each 1 to 100 characters, no control characters';
    end if;
    return check_tags.tags;
end
$$;

COMMENT ON FUNCTION pgcortex_internal.check_tags(tags text[], label text) IS 'Returns the tags when pgcortex_internal.tags_problem finds nothing wrong; else raises PC024, the message prefixed with label (the argument or item) when given.';

CREATE FUNCTION pgcortex_internal.cluster_importance(member_count integer, last_updated timestamp with time zone, mean_member_importance numeric, as_of timestamp with time zone) RETURNS real
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN (LEAST((5)::numeric, (((0.1 * (member_count)::numeric) + CASE WHEN (last_updated >= (as_of - '7 days'::interval)) THEN 1.0 ELSE 0.5 END) + (GREATEST((COALESCE(mean_member_importance, (1)::numeric) - (1)::numeric), (0)::numeric) / (4)::numeric))))::real;

COMMENT ON FUNCTION pgcortex_internal.cluster_importance(member_count integer, last_updated timestamp with time zone, mean_member_importance numeric, as_of timestamp with time zone) IS 'Cluster importance_score = min(5, 0.1 x members + (1.0 if the cluster gained or changed members within 7 days of as_of, else 0.5) + (mean member importance - 1) / 4). The first two terms are the original memory module''s; the last adds 0 (all trivial) to 1 (all critical).';

CREATE FUNCTION pgcortex_internal.cluster_key_of(memory_type text, tags text[]) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN ((memory_type || ':'::text) || COALESCE((SELECT string_agg(DISTINCT t.tag, ','::text ORDER BY t.tag) AS string_agg FROM unnest(cluster_key_of.tags) t(tag)), ''::text));

COMMENT ON FUNCTION pgcortex_internal.cluster_key_of(memory_type text, tags text[]) IS 'Cluster key of a memory without an embedding: "<memory_type>:<sorted distinct tags, comma separated>".';

CREATE FUNCTION pgcortex_internal.cluster_memories(memory_ids uuid[], as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(assigned integer, founded integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _ns text := pgcortex.current_namespace();
    _thr real;
    _pairs_c uuid[] := '{}';
    _pairs_m uuid[] := '{}';
    _p_ids uuid[];
    _p_embs public.vector[];
    _p_models text[];
    _r_ids uuid[];
    _r_embs public.vector[];
    _r_models text[];
    _l_ids uuid[] := '{}';
    _l_embs public.vector[] := '{}';
    _l_models text[] := '{}';
    _pairs_s real[] := '{}';
    _i integer;
    _j integer;
    _m integer;
    _sims real[];
    _lead_idx integer[];
    _covered boolean;
    _cid uuid;
    _founded integer := 0;
    _assigned integer := 0;
    _n integer;
begin
    if cluster_memories.memory_ids is null or cardinality(cluster_memories.memory_ids) = 0 then
        return query select 0, 0;
        return;
    end if;
    perform pg_catalog.pg_advisory_xact_lock_shared(
        pg_catalog.hashtext('pgcortex.clusters'), pg_catalog.hashtext(_ns)
    );
    select s.cluster_similarity into _thr from pgcortex.knowledge_settings() as s;

    -- Without an embedding: the cluster of the key, one upsert per key, in key order.
    with src as (
        select
            m.id,
            pgcortex_internal.cluster_key_of(m.memory_type, m.tags) as k,
            array(select distinct x.t from unnest(m.memory_type || m.tags) as x (t) order by x.t) as topics
        from pgcortex.memories as m
        where
            m.namespace = _ns and m.id = any(cluster_memories.memory_ids) and m.embedding is null
            and not exists (
                select from pgcortex.cluster_members as cm
                inner join pgcortex.knowledge_clusters as c
                    on c.namespace = cm.namespace and c.id = cm.cluster_id and c.origin = 'auto'
                where cm.namespace = _ns and cm.memory_id = m.id
            )
    ),
    keys as (
        select
            src.k,
            count(*)::integer as n,
            min(src.topics) as topics
        from src group by src.k
    ),
    up as (
        insert into pgcortex.knowledge_clusters as kc (
            namespace, name, cluster_key, topics, member_count, importance_score,
            created_at, last_updated
        )
        select
            _ns,
            case
                when pg_catalog.length(keys.k) <= 240 then keys.k
                else pg_catalog.left(keys.k, 200) || ' #' || pg_catalog.md5(keys.k)
            end,
            keys.k,
            keys.topics,
            keys.n,
            pgcortex_internal.cluster_importance(keys.n, cluster_memories.as_of, 1, cluster_memories.as_of),
            cluster_memories.as_of,
            cluster_memories.as_of
        from keys
        order by keys.k
        on conflict (namespace, cluster_key) where cluster_key is not null do update set
            member_count = kc.member_count + excluded.member_count,
            last_updated = greatest(kc.last_updated, excluded.last_updated)
        returning kc.id, kc.cluster_key
    )
    insert into pgcortex.cluster_members (namespace, cluster_id, memory_id, similarity, joined_at)
    select _ns, up.id, src.id, null, cluster_memories.as_of
    from src inner join up on up.cluster_key = src.k
    on conflict on constraint cluster_members_pkey do nothing;
    get diagnostics _n = row_count;
    _assigned := _assigned + _n;

    -- With an embedding, pass 1 (set-based): the nearest existing automatic
    -- cluster. The clusters are read once into a materialised set, which is
    -- several times cheaper than probing the table once per memory.
    with src as materialized (
        select m.id, m.embedding, m.embedding_model
        from pgcortex.memories as m
        where
            m.namespace = _ns and m.id = any(cluster_memories.memory_ids) and m.embedding is not null
            -- An embedding single precision cannot measure (a row that did not
            -- come through the API's validation) joins no cluster.
            and pgcortex_internal.embedding_problem(m.embedding) is null
            and not exists (
                select from pgcortex.cluster_members as cm
                inner join pgcortex.knowledge_clusters as c
                    on c.namespace = cm.namespace and c.id = cm.cluster_id and c.origin = 'auto'
                where cm.namespace = _ns and cm.memory_id = m.id
            )
    ),
    cl as materialized (
        select c.id, c.centroid, c.centroid_model
        from pgcortex.knowledge_clusters as c
        where
            c.namespace = _ns and c.origin = 'auto' and c.centroid is not null
            and c.centroid_model in (select distinct src.embedding_model from src)
    ),
    near as (
        select src.id, src.embedding, src.embedding_model, n.cid, n.sim
        from src
        left join lateral (
            -- A NaN similarity (a zero centroid) is "not similar": NaN sorts
            -- above every number, so sim >= threshold would hold for it.
            select
                cl.id as cid,
                nullif((1 - (cl.centroid operator(public.<=>) src.embedding))::real, 'NaN'::real) as sim
            from cl
            where cl.centroid_model = src.embedding_model
            order by cl.centroid operator(public.<=>) src.embedding
            limit 1
        ) as n on true
    )
    select
        coalesce(pg_catalog.array_agg(near.cid) filter (where near.sim >= _thr), '{}'),
        coalesce(pg_catalog.array_agg(near.id) filter (where near.sim >= _thr), '{}'),
        coalesce(pg_catalog.array_agg(near.sim) filter (where near.sim >= _thr), '{}'),
        pg_catalog.array_agg(near.id order by near.id) filter (where near.sim is null or near.sim < _thr),
        pg_catalog.array_agg(near.embedding order by near.id) filter (
            where near.sim is null or near.sim < _thr
        ),
        pg_catalog.array_agg(near.embedding_model order by near.id) filter (
            where near.sim is null or near.sim < _thr
        )
    into _pairs_c, _pairs_m, _pairs_s, _p_ids, _p_embs, _p_models
    from near;

    -- Pass 2, leader clustering of the rest, in rounds: among the first 256
    -- memories left (in id order), each one that is not within the threshold
    -- of a leader already chosen becomes a leader and founds a cluster (the
    -- similarities among these 256 are computed in one statement); then every
    -- memory left joins the nearest of these leaders if within the threshold
    -- (one set-based statement), and the rest go to the next round.
    _r_ids := _p_ids;
    _r_embs := _p_embs;
    _r_models := _p_models;
    while coalesce(cardinality(_r_ids), 0) > 0 loop
        _m := least(cardinality(_r_ids), 256);
        select pg_catalog.array_agg(
            case
                when x.mdl = y.mdl then nullif((1 - (x.e operator(public.<=>) y.e))::real, 'NaN'::real)
                else -2::real
            end
            order by x.o, y.o
        )
        into _sims
        from unnest(_r_embs[1:_m], _r_models[1:_m]) with ordinality as x (e, mdl, o)
        cross join unnest(_r_embs[1:_m], _r_models[1:_m]) with ordinality as y (e, mdl, o);
        _lead_idx := '{}';
        for _i in 1.._m loop
            _covered := false;
            foreach _j in array _lead_idx loop
                if _sims[(_j - 1) * _m + _i] >= _thr then
                    _covered := true;
                    exit;
                end if;
            end loop;
            if not _covered then
                _lead_idx := _lead_idx || _i;
            end if;
        end loop;
        _l_ids := array(select pgcortex_internal.new_id() from unnest(_lead_idx));
        _l_embs := array(select _r_embs[x.i] from unnest(_lead_idx) with ordinality as x (i, o) order by x.o);
        _l_models := array(select _r_models[x.i] from unnest(_lead_idx) with ordinality as x (i, o) order by x.o);
        insert into pgcortex.knowledge_clusters (
            id, namespace, name, topics, centroid, centroid_model, member_count,
            importance_score, created_at, last_updated
        )
        select
            _l_ids[x.o], _ns, 'cluster ' || pg_catalog.right(_l_ids[x.o]::text, 12),
            array(select distinct t.t from unnest(m.memory_type || m.tags) as t (t) order by t.t),
            _l_embs[x.o], _l_models[x.o], 0, 1.0, cluster_memories.as_of, cluster_memories.as_of
        from unnest(_lead_idx) with ordinality as x (i, o)
        inner join pgcortex.memories as m on m.namespace = _ns and m.id = _r_ids[x.i]
        order by x.o;
        _founded := _founded + cardinality(_lead_idx);
        with l as materialized (
            select * from unnest(_l_ids, _l_embs, _l_models) as l (cid, e, mdl)
        ),
        a as (
            select p.id, p.e, p.mdl, p.ord, n.cid, n.sim
            from unnest(_r_ids, _r_embs, _r_models) with ordinality as p (id, e, mdl, ord)
            left join lateral (
                select
                    l.cid,
                    nullif((1 - (l.e operator(public.<=>) p.e))::real, 'NaN'::real) as sim
                from l
                where l.mdl = p.mdl
                order by l.e operator(public.<=>) p.e
                limit 1
            ) as n on true
        )
        select
            _pairs_c || coalesce(pg_catalog.array_agg(a.cid) filter (where a.sim >= _thr), '{}'),
            _pairs_m || coalesce(pg_catalog.array_agg(a.id) filter (where a.sim >= _thr), '{}'),
            _pairs_s || coalesce(pg_catalog.array_agg(a.sim) filter (where a.sim >= _thr), '{}'),
            pg_catalog.array_agg(a.id order by a.ord) filter (where a.sim is null or a.sim < _thr),
            pg_catalog.array_agg(a.e order by a.ord) filter (where a.sim is null or a.sim < _thr),
            pg_catalog.array_agg(a.mdl order by a.ord) filter (where a.sim is null or a.sim < _thr)
        into _pairs_c, _pairs_m, _pairs_s, _r_ids, _r_embs, _r_models
        from a;
    end loop;

    if cardinality(_pairs_m) > 0 then
        insert into pgcortex.cluster_members (namespace, cluster_id, memory_id, similarity, joined_at)
        select _ns, p.c, p.m, p.s, cluster_memories.as_of
        from unnest(_pairs_c, _pairs_m, _pairs_s) as p (c, m, s)
        on conflict on constraint cluster_members_pkey do nothing;
        get diagnostics _n = row_count;
        _assigned := _assigned + _n;

        -- Lock the clusters touched in id order, then move each centroid once:
        -- new = normalise(old x members + sum of the new embeddings).
        perform from pgcortex.knowledge_clusters as c
        where c.namespace = _ns and c.id = any(_pairs_c)
        order by c.id
        for no key update;
        update pgcortex.knowledge_clusters as c set
            centroid = public.l2_normalize(
                c.centroid operator(public.*) pg_catalog.array_fill(
                    c.member_count::real, array[public.vector_dims(c.centroid)]
                )::public.vector
                operator(public.+) a.s
            ),
            member_count = c.member_count + a.n,
            importance_score = least(5, c.importance_score + 0.1 * a.n),
            last_updated = greatest(c.last_updated, cluster_memories.as_of)
        from (
            select p.c, count(*)::integer as n, public.sum(m.embedding) as s
            from unnest(_pairs_c, _pairs_m) as p (c, m)
            inner join pgcortex.memories as m on m.namespace = _ns and m.id = p.m
            group by p.c
        ) as a
        where c.namespace = _ns and c.id = a.c;
    end if;
    return query select _assigned, _founded;
end
$$;

COMMENT ON FUNCTION pgcortex_internal.cluster_memories(memory_ids uuid[], as_of timestamp with time zone) IS 'Assigns the given memories of the namespace that are in no automatic cluster: by embedding to the nearest automatic cluster of the same model within cluster_similarity (else founds one), without embedding to the cluster of their type and tags; updates the touched centroids incrementally. Run by pgcortex_internal.cluster_pending (the memories the trigger on pgcortex.memories queued) and by pgcortex.maint_recluster.';

CREATE FUNCTION pgcortex_internal.conversation_turn_memory(role text, content text, session_id uuid, embedding public.vector, embedding_model text, as_of timestamp with time zone) RETURNS uuid
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _s record;
    _id uuid;
begin
    select * into _s from pgcortex.knowledge_settings();
    if not _s.turn_memories
        or pg_catalog.length(pg_catalog.btrim(conversation_turn_memory.content)) <= _s.turn_memory_min_chars then
        return null;
    end if;
    select coalesce(m.merged_into, m.id) into _id
    from pgcortex.store_memory(
        content => conversation_turn_memory.content,
        memory_type => 'conversation',
        importance => case
            when conversation_turn_memory.content ~* _s.turn_memory_key_pattern
                then _s.turn_memory_key_importance
            else _s.turn_memory_importance
        end,
        tags => array['conversation', conversation_turn_memory.role],
        metadata => pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'source', 'conversation_turn',
            'role', conversation_turn_memory.role,
            'session_id', conversation_turn_memory.session_id
        )),
        embedding => conversation_turn_memory.embedding,
        embedding_model => conversation_turn_memory.embedding_model,
        as_of => conversation_turn_memory.as_of
    ) as m;
    return _id;
end
$$;

COMMENT ON FUNCTION pgcortex_internal.conversation_turn_memory(role text, content text, session_id uuid, embedding public.vector, embedding_model text, as_of timestamp with time zone) IS 'Stores a substantial conversation turn as a conversation memory through pgcortex.store_memory (rule and switch in pgcortex.knowledge_settings()); returns its id or null.';

CREATE FUNCTION pgcortex_internal.default_ef_search(dimensions integer, probe boolean DEFAULT false) RETURNS integer
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    -- plpgsql keeps this plan for the session; a SQL body is planned per call.
    return (
        select
            least(
                (
                    case
                        when default_ef_search.probe
                            then greatest(10, 40 * pg_catalog.sqrt(greatest(c.reltuples, 0) / 100000.0))
                        else greatest(40, 64 * pg_catalog.sqrt(greatest(c.reltuples, 0) / 100000.0))
                    end
                    * pg_catalog.sqrt(greatest(coalesce(default_ef_search.dimensions, 384), 384) / 384.0)
                )::integer,
                1000
            )
        from pg_catalog.pg_class as c
        where c.oid = 'pgcortex.memories'::regclass
    );
end
$$;

COMMENT ON FUNCTION pgcortex_internal.default_ef_search(dimensions integer, probe boolean) IS 'The default HNSW search width (hnsw.ef_search) for vectors of these dimensions, at most 1000: for a search 64 x sqrt(rows of pgcortex.memories / 100,000), at least 40; for the near-duplicate probe of pgcortex.store_memories (probe) 40 x sqrt(rows / 100,000), at least 10; both times sqrt(dimensions / 384). Internal helper.';

CREATE FUNCTION pgcortex_internal.elapsed_ms(since timestamp with time zone) RETURNS numeric
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN round((EXTRACT(epoch FROM (clock_timestamp() - since)) * (1000)::numeric), 1);

COMMENT ON FUNCTION pgcortex_internal.elapsed_ms(since timestamp with time zone) IS 'Milliseconds elapsed since the given time, by the wall clock.';

CREATE FUNCTION pgcortex_internal.embedding_dimensions_problem(embedding public.vector, dimensions integer) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT
         CASE
             WHEN (public.vector_dims(embedding) <> dimensions) THEN format('embedding has %s dimensions; its model has %s'::text, public.vector_dims(embedding), dimensions)
             ELSE NULL::text
         END AS "case";
END;

COMMENT ON FUNCTION pgcortex_internal.embedding_dimensions_problem(embedding public.vector, dimensions integer) IS 'Null when the embedding has these dimensions (or is null), else what is wrong. The rule of SQLSTATE PC010.';

CREATE FUNCTION pgcortex_internal.embedding_model_index_state(model_id integer) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT COALESCE(( SELECT
                 CASE
                     WHEN (i.indisvalid AND i.indisready) THEN 'valid'::text
                     ELSE 'building'::text
                 END AS "case"
            FROM pg_index i
           WHERE (i.indexrelid = (to_regclass((('pgcortex.memories_embedding_m'::text || embedding_model_index_state.model_id) || '_hnsw_idx'::text)))::oid)), 'missing'::text) AS "coalesce";
END;

COMMENT ON FUNCTION pgcortex_internal.embedding_model_index_state(model_id integer) IS 'valid (queries use it), building (a concurrent build is running, or failed and left it invalid) or missing.';

CREATE FUNCTION pgcortex_internal.embedding_problem(embedding public.vector) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT
         CASE
             WHEN (embedding IS NULL) THEN NULL::text
             WHEN (public.vector_norm(embedding) = (0)::double precision) THEN 'embedding is all zeros'::text
             WHEN (public.vector_norm(embedding) = 'Infinity'::double precision) THEN 'embedding has infinite values'::text
             WHEN (NOT ((public.vector_norm(embedding) >= (0.0000000000000000008673617379884035)::double precision) AND (public.vector_norm(embedding) <= ('1152921504606847000'::numeric)::double precision))) THEN format('embedding norm %s is outside 2^-60 .. 2^60: its cosine distance cannot be computed in single precision'::text, to_char(public.vector_norm(embedding), '9.999EEEE'::text))
             ELSE NULL::text
         END AS "case";
END;

COMMENT ON FUNCTION pgcortex_internal.embedding_problem(embedding public.vector) IS 'Null when the embedding''s values are acceptable (Euclidean norm computed in double precision within 2^-60 .. 2^60, so single-precision cosine arithmetic neither overflows nor underflows), else what is wrong. The one rule behind pgcortex_internal.check_embedding and every function that accepts a vector.';

CREATE FUNCTION pgcortex_internal.embedding_vector_problem(embedding public.vector, dimensions integer, storage text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION pgcortex_internal.embedding_vector_problem(embedding public.vector, dimensions integer, storage text) IS 'Null when the vector suits a model of these dimensions and storage (pgcortex_internal.embedding_problem, the dimensions, and |value| <= 65504 for halfvec), else what is wrong, as text (import reports). Raising functions check each rule with its own function: pgcortex_internal.check_embedding_dimensions (PC010), pgcortex_internal.check_embedding (PC011).';

CREATE FUNCTION pgcortex_internal.forget_memories(memory_ids uuid[], reason text DEFAULT 'delete'::text, as_of timestamp with time zone DEFAULT now()) RETURNS uuid[]
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
    _ns text := pgcortex.current_namespace();
    _deleted uuid [];
begin
    if forget_memories.reason is null or forget_memories.reason !~ '^[a-z][a-z0-9_]{0,62}$' then
        raise exception using errcode = 'PC003', message = 'reason must be a lower-case word';
    end if;
    perform pgcortex_internal.set_change_context(forget_memories.reason, forget_memories.as_of);
    with gone as (
        delete from pgcortex.memories as m
        where m.namespace = _ns and m.id = any(forget_memories.memory_ids)
        returning m.id
    )
    select coalesce(pg_catalog.array_agg(gone.id order by gone.id), '{}'::uuid []) into _deleted
    from gone;
    delete from pgcortex.memory_access_log as l
    where l.namespace = _ns and l.memory_id = any(_deleted);
    perform pgcortex_internal.set_change_context(null, null);
    return _deleted;
end
$_$;

COMMENT ON FUNCTION pgcortex_internal.forget_memories(memory_ids uuid[], reason text, as_of timestamp with time zone) IS 'Deletes the memories with these ids in this namespace (links, cluster membership and access counts go with them; the history keeps a delete entry with the given reason) and returns the ids deleted.';

CREATE FUNCTION pgcortex_internal.halfvec_range_problem(embedding public.vector, storage text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT
         CASE
             WHEN ((storage = 'halfvec'::text) AND (EXISTS ( SELECT
                FROM unnest((halfvec_range_problem.embedding)::real[]) x(v)
               WHERE (abs(x.v) > (65504)::double precision)))) THEN 'embedding has a value beyond 65504, the range of its model''s halfvec index'::text
             ELSE NULL::text
         END AS "case";
END;

COMMENT ON FUNCTION pgcortex_internal.halfvec_range_problem(embedding public.vector, storage text) IS 'Null unless storage is halfvec and a value lies beyond 65504 (what half precision holds), else what is wrong. A rule of SQLSTATE PC011.';

CREATE FUNCTION pgcortex_internal.import_check_batch(source text, items jsonb) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    if import_check_batch.source is null
        or pg_catalog.length(import_check_batch.source) not between 1 and 200 then
        raise exception using
            errcode = 'PC003', message = 'source must have 1 to 200 characters';
    end if;
    if import_check_batch.items is null
        or pg_catalog.jsonb_typeof(import_check_batch.items) <> 'array' then
        raise exception using
            errcode = 'PC003', message = 'items must be a JSON array of row objects';
    end if;
end
$$;

COMMENT ON FUNCTION pgcortex_internal.import_check_batch(source text, items jsonb) IS 'Argument check shared by the import functions: PC003 unless source has 1 to 200 characters and items is a JSON array.';

CREATE FUNCTION pgcortex_internal.import_json_text(value text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    perform import_json_text.value::json;
    return import_json_text.value;
exception
    when invalid_text_representation then
        return null;
end
$$;

COMMENT ON FUNCTION pgcortex_internal.import_json_text(value text) IS 'Internal helper of the imports: the text given when it is valid JSON, else null.';

CREATE FUNCTION pgcortex_internal.import_resolve(source text, legacy_table text, legacy_id text) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    -- plpgsql, not begin atomic: this file is also applied at releases that
    -- predate pgcortex.import_ids (0014), where nothing calls it.
    return (
        select i.new_id
        from pgcortex.import_ids as i
        where
            i.namespace = (select pgcortex.current_namespace())
            and i.source = import_resolve.source
            and i.legacy_table = import_resolve.legacy_table
            and i.legacy_id = import_resolve.legacy_id
    );
end
$$;

COMMENT ON FUNCTION pgcortex_internal.import_resolve(source text, legacy_table text, legacy_id text) IS 'The id (as text) that the row legacy_id of legacy_table of source became in the current namespace, or null when it was not imported.';

CREATE FUNCTION pgcortex_internal.import_settle(work regclass, strict boolean, legacy_table text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _bad record;
begin
    execute pg_catalog.format(
        'select r.legacy_id, r.reason from %s as r where r.reason is not null order by r.o limit 1',
        import_settle.work
    ) into _bad;
    if import_settle.strict and _bad.reason is not null then
        raise exception using
            errcode = 'PC003',
            message = pg_catalog.format(
                '%s row %s: %s', import_settle.legacy_table,
                coalesce(pg_catalog.quote_literal(_bad.legacy_id), '(no id)'),
                _bad.reason
            ),
            hint = 'fix the row or import without strict to skip it';
    end if;
    execute pg_catalog.format(
        'update %s as r set outcome = ''skipped'' where r.reason is not null', import_settle.work
    );
end
$$;

COMMENT ON FUNCTION pgcortex_internal.import_settle(work regclass, strict boolean, legacy_table text) IS 'Internal helper of the import functions, over a batch''s work table (o, legacy_id, reason, outcome): with strict, raises PC003 "<legacy_table> row <id>: <reason>" for the first row with a reason; else marks every row with a reason skipped.';

CREATE FUNCTION pgcortex_internal.import_text_array(value jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN CASE WHEN (jsonb_typeof(value) = 'array'::text) THEN ARRAY(SELECT e.x FROM jsonb_array_elements_text(import_text_array.value) WITH ORDINALITY e(x, o) ORDER BY e.o) ELSE NULL::text[] END;

COMMENT ON FUNCTION pgcortex_internal.import_text_array(value jsonb) IS 'A JSON array of an import row as text[] (numbers and booleans as text, nulls kept); null when the value is not an array.';

CREATE FUNCTION pgcortex_internal.import_vector(embedding jsonb) RETURNS public.vector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN CASE WHEN ((jsonb_typeof(embedding) = 'array'::text) AND ((jsonb_array_length(embedding) >= 1) AND (jsonb_array_length(embedding) <= 16000)) AND ((embedding)::text ~ '^\[\s*-?[0-9.]+([eE][-+]?[0-9]+)?(\s*,\s*-?[0-9.]+([eE][-+]?[0-9]+)?)*\s*\]$'::text)) THEN ((embedding)::text)::public.vector WHEN ((jsonb_typeof(embedding) = 'string'::text) AND ((embedding #>> '{}'::text[]) ~ '^\[\s*-?[0-9.]+([eE][-+]?[0-9]+)?(\s*,\s*-?[0-9.]+([eE][-+]?[0-9]+)?)*\s*\]$'::text)) THEN ((embedding #>> '{}'::text[]))::public.vector ELSE NULL::public.vector END;

COMMENT ON FUNCTION pgcortex_internal.import_vector(embedding jsonb) IS 'Reads the embedding of an import row: a vector as text (''[1,2,3]'', as an export writes it) or a JSON array of numbers; null for null or anything else.';

CREATE FUNCTION pgcortex_internal.is_topic_term(term text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN ((length(term) >= 3) AND (term !~ '^[0-9]'::text) AND (term !~ '^[[:punct:]]'::text) AND (term <> ALL ('{also,anyth,can,could,did,do,doe,els,even,get,give,go,good,got,hello,help,hey,just,know,let,like,look,lot,make,mani,mayb,much,need,now,okay,one,pleas,realli,right,said,say,see,someth,still,sure,take,tell,thank,thing,think,tri,use,want,way,well,whi,will,would,yeah,yes}'::text[])));

COMMENT ON FUNCTION pgcortex_internal.is_topic_term(term text) IS 'True when an english lexeme may be a topic: >= 3 characters, not a number, not a filler word (like, want, need, think, please, thanks, ... as stems). Ordinary stop words never reach it: the english configuration drops them.';

CREATE FUNCTION pgcortex_internal.log_access(namespace text, ids uuid[], as_of timestamp with time zone) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _lo bigint;
    _hi bigint;
    _n bigint;
    -- A flush is attempted each time the log's id sequence crosses a multiple
    -- of this many rows.
    _flush_every constant bigint := 2000;
begin
    -- The log is unlogged: these rows write no WAL, so a transaction that
    -- does nothing else commits without waiting for a WAL flush (PostgreSQL
    -- waits only for a transaction that wrote WAL), and one that writes
    -- anything else commits as its synchronous_commit says.
    with ins as (
        insert into pgcortex.memory_access_log (namespace, memory_id, accessed_at)
        select log_access.namespace, t.id, coalesce(log_access.as_of, pg_catalog.now())
        from pg_catalog.unnest(log_access.ids) as t (id)
        returning log_id
    )
    select min(ins.log_id), max(ins.log_id), count(*) into _lo, _hi, _n from ins;
    if _n > 0
        and _hi / _flush_every > (_lo - 1) / _flush_every
        and pg_catalog.pg_try_advisory_xact_lock(
            pg_catalog.hashtext('pgcortex.flush_access'), pg_catalog.hashtext(log_access.namespace)
        )
    then
        perform pgcortex.maint_flush_access(100000);
    end if;
    return _n;
end
$$;

COMMENT ON FUNCTION pgcortex_internal.log_access(namespace text, ids uuid[], as_of timestamp with time zone) IS 'Internal helper of track_access and of the reads that count their own accesses: appends one access of each id (memories of the namespace given, which the caller has just read) to the unlogged access log at as_of (no WAL), and folds the log every 2000 rows. Returns how many accesses were logged.';

CREATE FUNCTION pgcortex_internal.maint_fold_terms() RETURNS TABLE(folded_rows bigint, terms_changed bigint, remaining_rows bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _folded bigint;
    _terms bigint;
    _gone text [];
begin
    -- One folder per namespace at a time (the trigger only tries the lock).
    perform pg_catalog.pg_advisory_xact_lock(
        pg_catalog.hashtext('pgcortex.fold_terms'), pg_catalog.hashtext(_ns)
    );
    with taken as (
        delete from pgcortex.memory_term_log as l
        where l.namespace = _ns
        returning l.lexeme, l.doc_delta, l.length_delta
    ),
    per_term as (
        select t.lexeme, sum(t.doc_delta) as delta
        from taken as t
        where t.lexeme is not null
        group by t.lexeme
        having sum(t.doc_delta) <> 0
    ),
    terms as (
        -- Lexeme order: any other writer of these rows waits in the same order.
        insert into pgcortex.memory_terms as m (namespace, lexeme, doc_count)
        select _ns, p.lexeme, p.delta from per_term as p
        order by p.lexeme
        on conflict (namespace, lexeme) do update
            set doc_count = m.doc_count + excluded.doc_count
        returning m.lexeme, m.doc_count
    ),
    totals as (
        insert into pgcortex.memory_term_totals as m (namespace, doc_count, total_length)
        select _ns, sum(t.doc_delta), sum(t.length_delta)
        from taken as t
        where t.lexeme is null
        having count(*) > 0
        on conflict (namespace) do update
            set
                doc_count = m.doc_count + excluded.doc_count,
                total_length = m.total_length + excluded.total_length
        returning 1
    )
    select
        (select count(*) from taken),
        (select count(*) from terms),
        array(select t.lexeme from terms as t where t.doc_count <= 0 order by t.lexeme)
    into _folded, _terms, _gone;
    if pg_catalog.cardinality(_gone) > 0 then
        delete from pgcortex.memory_terms as m
        where m.namespace = _ns and m.lexeme = any(_gone) and m.doc_count <= 0;
    end if;
    return query
    select _folded, _terms, (select count(*) from pgcortex.memory_term_log as l where l.namespace = _ns);
end
$$;

COMMENT ON FUNCTION pgcortex_internal.maint_fold_terms() IS 'Folds the current namespace''s pending rows of pgcortex.memory_term_log into pgcortex.memory_terms and pgcortex.memory_term_totals (lexemes no memory holds any more are removed). The store path does it by itself every few hundred log rows; returns the rows folded, the lexemes changed and the rows still pending (written by transactions not yet committed).';

CREATE FUNCTION pgcortex_internal.memories_cluster_trigger() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _prev text := pg_catalog.current_setting('pgcortex.namespace', true);
    _batch record;
begin
    -- A restore brings the clusters of its source back: it turns this off.
    if pg_catalog.current_setting('pgcortex.cluster_on_insert', true) = 'off' then return null; end if;
    if tg_op = 'INSERT' then
        -- One namespace per pass: the queue's row-level security admits the
        -- namespace set for the call only.
        for _batch in
            select distinct n.namespace::text as ns from new_rows as n
        loop
            if _batch.ns is distinct from pg_catalog.current_setting('pgcortex.namespace', true) then
                perform pg_catalog.set_config('pgcortex.namespace', _batch.ns, true);
            end if;
            insert into pgcortex.cluster_queue (namespace, memory_id)
            select n.namespace, n.id from new_rows as n
            where n.namespace = _batch.ns
            on conflict on constraint cluster_queue_pkey do nothing;
        end loop;
    else
        for _batch in
            select n.namespace::text as ns, pg_catalog.array_agg(n.id) as ids
            from new_rows as n
            inner join old_rows as o on o.namespace = n.namespace and o.id = n.id
            where
                coalesce(
                    n.embedding operator(public.<>) o.embedding,
                    (n.embedding is null) <> (o.embedding is null)
                )
                or n.embedding_model is distinct from o.embedding_model
                or (n.embedding is null and (n.memory_type <> o.memory_type or n.tags <> o.tags))
            group by n.namespace
        loop
            if _batch.ns is distinct from pg_catalog.current_setting('pgcortex.namespace', true) then
                perform pg_catalog.set_config('pgcortex.namespace', _batch.ns, true);
            end if;
            delete from pgcortex.cluster_members as cm
            using pgcortex.knowledge_clusters as c
            where
                cm.namespace = _batch.ns and cm.memory_id = any(_batch.ids)
                and c.namespace = cm.namespace and c.id = cm.cluster_id and c.origin = 'auto';
            insert into pgcortex.cluster_queue (namespace, memory_id)
            select _batch.ns, x.id from unnest(_batch.ids) as x (id)
            on conflict on constraint cluster_queue_pkey do nothing;
        end loop;
    end if;
    if pg_catalog.current_setting('pgcortex.namespace', true) is distinct from _prev then
        perform pg_catalog.set_config('pgcortex.namespace', coalesce(_prev, ''), true);
    end if;
    return null;
end
$$;

COMMENT ON FUNCTION pgcortex_internal.memories_cluster_trigger() IS 'Trigger function (statement level, transition tables) of pgcortex.memories: queues in pgcortex.cluster_queue the rows inserted, and those updated with a new embedding, type or tags (after taking them out of their automatic cluster); pgcortex_internal.cluster_pending clusters them at the next cluster read or maintenance. Does nothing while the setting pgcortex.cluster_on_insert is off (restores, the model switch).';

CREATE FUNCTION pgcortex_internal.memory_rows(memory_ids uuid[], include_embedding boolean DEFAULT false, as_of timestamp with time zone DEFAULT now()) RETURNS SETOF pgcortex.memory_row
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
begin
    -- plpgsql, not a SQL-standard body: plpgsql keeps this statement's plan
    -- for the session, a SQL function plans it on every call (0.4 ms of a
    -- 0.6 ms get_memory; docs/performance.md).
    return query
    select
        m.id,
        m.content,
        m.memory_type,
        m.importance,
        m.confidence,
        m.tags,
        m.metadata,
        case when memory_rows.include_embedding then m.embedding end as embedding,
        m.embedding_model,
        m.created_at,
        m.updated_at,
        m.expires_at,
        coalesce(acc.last_accessed, m.created_at) as last_accessed,
        coalesce(acc.access_count, 0) as access_count,
        coalesce(r.related_ids, '{}'::uuid[]) as related_memories
    from pg_catalog.unnest(memory_rows.memory_ids) with ordinality as w (id, o)
    inner join pgcortex.memories as m
        on m.namespace = (select pgcortex.current_namespace()) and w.id = m.id
    left join pgcortex_internal.access_totals_of(memory_rows.memory_ids) as acc on m.id = acc.memory_id
    left join lateral (  -- noqa: ST05
        select pg_catalog.array_agg(distinct x.other order by x.other) as related_ids
        from (
            select k.target_id as other from pgcortex.memory_links as k
            where k.namespace = m.namespace and k.source_id = m.id
            union all
            select k.source_id from pgcortex.memory_links as k
            where k.namespace = m.namespace and k.target_id = m.id
        ) as x
    ) as r on true
    where m.expires_at is null or m.expires_at > memory_rows.as_of
    order by w.o;
end
$$;

COMMENT ON FUNCTION pgcortex_internal.memory_rows(memory_ids uuid[], include_embedding boolean, as_of timestamp with time zone) IS 'The unexpired memories with these ids, in the order given (unknown ids left out), with exact access counts and related ids; the embedding only when include_embedding. Counts no access.';

CREATE FUNCTION pgcortex_internal.memory_type_problem(memory_type text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT
         CASE
             WHEN (NOT (EXISTS ( SELECT
                FROM pgcortex.memory_types t
               WHERE (t.name = memory_type_problem.memory_type)))) THEN format('unknown memory type %L'::text, memory_type)
             ELSE NULL::text
         END AS "case";
END;

COMMENT ON FUNCTION pgcortex_internal.memory_type_problem(memory_type text) IS 'Null when the memory type is one of pgcortex.memory_types, else what is wrong (a null type is unknown). The rule of SQLSTATE PC021.';

CREATE FUNCTION pgcortex_internal.metadata_problem(metadata jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
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

COMMENT ON FUNCTION pgcortex_internal.metadata_problem(metadata jsonb) IS 'Null when the metadata is acceptable (a JSON object, at most 16 levels deep, at most 100000 bytes as text), else what is wrong.';

CREATE FUNCTION pgcortex_internal.namespace_holds_other_embeddings(embedding_model text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT (EXISTS ( SELECT
            FROM pgcortex.memories m
           WHERE (((m.namespace)::text = ( SELECT pgcortex.current_namespace() AS current_namespace)) AND (m.embedding_model IS NOT NULL) AND (m.embedding_model IS DISTINCT FROM namespace_holds_other_embeddings.embedding_model)))) AS "exists";
END;

COMMENT ON FUNCTION pgcortex_internal.namespace_holds_other_embeddings(embedding_model text) IS 'True when a memory of the namespace has an embedding of a model other than the one given. Internal helper.';

CREATE FUNCTION pgcortex_internal.namespace_model_lock(exclusive boolean DEFAULT false) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION pgcortex_internal.namespace_model_lock(exclusive boolean) IS 'Transaction advisory lock on the namespace''s model: shared for a store that checks it, exclusive for a switch (pgcortex.reembed_switch, pgcortex.set_namespace_embedding_model), so no vector of the old model is stored after the switch. Internal helper.';

CREATE FUNCTION pgcortex_internal.namespace_permitted() RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION pgcortex_internal.namespace_permitted() IS 'True when the session may use the namespace it has set: its login role is bound to that namespace or to ''*'' in pgcortex.namespace_bindings; or it has no binding and pgcortex.security_settings.unbound_logins is allow, or it is a superuser or a member of pgcortex_owner. Checked by the row-level security policy of every namespaced table and by pgcortex.current_namespace() (PC051).';

CREATE FUNCTION pgcortex_internal.namespaced_tables() RETURNS TABLE(table_name regclass, depth integer)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
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

COMMENT ON FUNCTION pgcortex_internal.namespaced_tables() IS 'The namespaced tables (audit log excepted) with their depth in the foreign-key graph: export in that order, erase in reverse.';

CREATE FUNCTION pgcortex_internal.normalize_tags(tags text[]) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT COALESCE(array_agg(DISTINCT btrim(t.x) ORDER BY (btrim(t.x))), '{}'::text[]) AS "coalesce"
    FROM unnest(normalize_tags.tags) t(x)
   WHERE (t.x IS NOT NULL);
END;

COMMENT ON FUNCTION pgcortex_internal.normalize_tags(tags text[]) IS 'Tags as stored: trimmed, distinct, sorted, nulls dropped (an empty list for null).';

CREATE FUNCTION pgcortex_internal.record_learning_pattern(pattern_type text, description text, confidence real, examples text[], evidence_keys text[], evidence_sessions uuid[], evidence_memories uuid[], evidence_turns bigint[], max_examples integer, as_of timestamp with time zone) RETURNS pgcortex.learning_pattern_result
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _ns text := pgcortex.current_namespace();
    _id uuid;
    _new integer;
    _keep integer := least(greatest(coalesce(record_learning_pattern.max_examples, 5), 1), 10);
    _examples text[];
begin
    select coalesce(pg_catalog.array_agg(x.e order by x.ord), '{}') into _examples
    from (
        select distinct on (pg_catalog.left(u.e, 500)) pg_catalog.left(u.e, 500) as e, u.ord
        from unnest(record_learning_pattern.examples) with ordinality as u (e, ord)
        where u.e is not null and pg_catalog.btrim(u.e) <> ''
        order by pg_catalog.left(u.e, 500), u.ord
    ) as x;

    insert into pgcortex.learning_patterns as p (
        namespace, pattern_type, description, frequency, confidence, examples,
        discovered_at, updated_at
    ) values (
        _ns, record_learning_pattern.pattern_type, record_learning_pattern.description, 1,
        record_learning_pattern.confidence, _examples[1:_keep],
        record_learning_pattern.as_of, record_learning_pattern.as_of
    )
    on conflict on constraint learning_patterns_namespace_type_description_key do nothing
    returning p.pattern_id into _id;

    if _id is not null then
        -- A new pattern: every piece of evidence is new.
        insert into pgcortex.learning_pattern_evidence (
            namespace, pattern_id, evidence_key, session_id, memory_id, turn_id, created_at
        )
        select distinct on (ev.k)
            _ns, _id, ev.k, ev.s, ev.m, ev.t, record_learning_pattern.as_of
        from unnest(
            record_learning_pattern.evidence_keys, record_learning_pattern.evidence_sessions,
            record_learning_pattern.evidence_memories, record_learning_pattern.evidence_turns
        ) as ev (k, s, m, t)
        where ev.k is not null;
        get diagnostics _new = row_count;
        update pgcortex.learning_patterns as p set frequency = greatest(_new, 1)
        where p.namespace = _ns and p.pattern_id = _id;
        return pgcortex_internal.learning_pattern_row(_id, greatest(_new, 1));
    end if;

    select p.pattern_id into _id
    from pgcortex.learning_patterns as p
    where
        p.namespace = _ns
        and p.pattern_type = record_learning_pattern.pattern_type
        and p.description = record_learning_pattern.description
    for update;

    insert into pgcortex.learning_pattern_evidence (
        namespace, pattern_id, evidence_key, session_id, memory_id, turn_id, created_at
    )
    select distinct on (ev.k)
        _ns, _id, ev.k, ev.s, ev.m, ev.t, record_learning_pattern.as_of
    from unnest(
        record_learning_pattern.evidence_keys, record_learning_pattern.evidence_sessions,
        record_learning_pattern.evidence_memories, record_learning_pattern.evidence_turns
    ) as ev (k, s, m, t)
    where ev.k is not null
    on conflict on constraint learning_pattern_evidence_pkey do nothing;
    get diagnostics _new = row_count;

    if _new > 0 then
        update pgcortex.learning_patterns as p set
            confidence = (
                p.confidence * p.frequency + record_learning_pattern.confidence * _new
            ) / (p.frequency + _new),
            frequency = p.frequency + _new,
            examples = (
                select coalesce(pg_catalog.array_agg(x.e order by x.ord), '{}')
                from (
                    select distinct on (a.e) a.e, a.ord
                    from unnest(_examples || p.examples) with ordinality as a (e, ord)
                    order by a.e, a.ord
                ) as x
            )[1:_keep],
            updated_at = greatest(p.updated_at, record_learning_pattern.as_of)
        where p.namespace = _ns and p.pattern_id = _id;
    end if;
    return pgcortex_internal.learning_pattern_row(_id, _new);
end
$$;

COMMENT ON FUNCTION pgcortex_internal.record_learning_pattern(pattern_type text, description text, confidence real, examples text[], evidence_keys text[], evidence_sessions uuid[], evidence_memories uuid[], evidence_turns bigint[], max_examples integer, as_of timestamp with time zone) IS 'Internal writer of learning patterns: upsert by (type, description) counting only evidence not yet linked (frequency += new evidence, confidence = frequency-weighted mean, examples = most recent distinct, bounded).';

CREATE FUNCTION pgcortex_internal.record_memory_history() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
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

COMMENT ON FUNCTION pgcortex_internal.record_memory_history() IS 'Trigger function: records inserts, deletes and changes of content, importance, confidence, tags or metadata of pgcortex.memories in pgcortex.memory_history.';

CREATE FUNCTION pgcortex_internal.record_memory_terms() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _lo bigint;
    _hi bigint;
    _ns text;
    -- A fold is attempted each time the log's id sequence crosses a multiple
    -- of this many rows (so a namespace's pending rows stay few hundred).
    _fold_every constant bigint := 512;
begin
    -- The changed rows as (namespace, tsv, +1 or -1); only a changed content
    -- changes the statistics. One statement per kind of change (a transition
    -- table exists only for its own kind).
    if tg_op = 'INSERT' then
        with d as (
            select n.namespace, n.content_tsv as tsv, 1 as sign from new_rows as n
        ),
        ins as (
            insert into pgcortex.memory_term_log (namespace, lexeme, doc_delta, length_delta)
            select d.namespace, u.lexeme, sum(d.sign), 0
            from d
            cross join lateral pg_catalog.unnest(d.tsv) as u
            group by d.namespace, u.lexeme
            having sum(d.sign) <> 0
            union all
            select d.namespace, null, sum(d.sign), sum(d.sign * pg_catalog.length(d.tsv))
            from d
            group by d.namespace
            having sum(d.sign) <> 0 or sum(d.sign * pg_catalog.length(d.tsv)) <> 0
            returning log_id, namespace
        )
        select min(ins.log_id), max(ins.log_id), min(ins.namespace) into _lo, _hi, _ns from ins;
    elsif tg_op = 'DELETE' then
        with d as (
            select o.namespace, o.content_tsv as tsv, -1 as sign from old_rows as o
        ),
        ins as (
            insert into pgcortex.memory_term_log (namespace, lexeme, doc_delta, length_delta)
            select d.namespace, u.lexeme, sum(d.sign), 0
            from d
            cross join lateral pg_catalog.unnest(d.tsv) as u
            group by d.namespace, u.lexeme
            having sum(d.sign) <> 0
            union all
            select d.namespace, null, sum(d.sign), sum(d.sign * pg_catalog.length(d.tsv))
            from d
            group by d.namespace
            having sum(d.sign) <> 0 or sum(d.sign * pg_catalog.length(d.tsv)) <> 0
            returning log_id, namespace
        )
        select min(ins.log_id), max(ins.log_id), min(ins.namespace) into _lo, _hi, _ns from ins;
    else
        with d as (
            select x.namespace, x.tsv, x.sign
            from old_rows as o
            inner join new_rows as n on o.namespace = n.namespace and o.id = n.id
            cross join lateral (
                values (o.namespace, o.content_tsv, -1), (n.namespace, n.content_tsv, 1)
            ) as x (namespace, tsv, sign)
            where o.content_tsv is distinct from n.content_tsv
        ),
        ins as (
            insert into pgcortex.memory_term_log (namespace, lexeme, doc_delta, length_delta)
            select d.namespace, u.lexeme, sum(d.sign), 0
            from d
            cross join lateral pg_catalog.unnest(d.tsv) as u
            group by d.namespace, u.lexeme
            having sum(d.sign) <> 0
            union all
            select d.namespace, null, sum(d.sign), sum(d.sign * pg_catalog.length(d.tsv))
            from d
            group by d.namespace
            having sum(d.sign) <> 0 or sum(d.sign * pg_catalog.length(d.tsv)) <> 0
            returning log_id, namespace
        )
        select min(ins.log_id), max(ins.log_id), min(ins.namespace) into _lo, _hi, _ns from ins;
    end if;
    if _hi is not null
        and _hi / _fold_every > (_lo - 1) / _fold_every
        and _ns = pg_catalog.current_setting('pgcortex.namespace', true)
        and pg_catalog.pg_try_advisory_xact_lock(
            pg_catalog.hashtext('pgcortex.fold_terms'), pg_catalog.hashtext(_ns)
        )
    then
        perform pgcortex_internal.maint_fold_terms();
    end if;
    return null;
end
$$;

COMMENT ON FUNCTION pgcortex_internal.record_memory_terms() IS 'Trigger function: appends what an insert, delete or content change of pgcortex.memories changes in the term statistics to pgcortex.memory_term_log (one row per lexeme and namespace, one for the totals), and folds the namespace''s log every few hundred rows when no other session is folding it.';

CREATE FUNCTION pgcortex_internal.refresh_clusters(cluster_ids uuid[], max_topics integer DEFAULT 5, as_of timestamp with time zone DEFAULT now()) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _ns text := pgcortex.current_namespace();
    _n integer;
begin
    update pgcortex.knowledge_clusters as c set
        centroid = a.centroid,
        centroid_model = case when a.centroid is null then null else a.model end,
        member_count = a.n,
        importance_score = pgcortex_internal.cluster_importance(a.n, c.last_updated, a.mean_importance, refresh_clusters.as_of)
    from (
        select
            k.id,
            count(m.id)::integer as n,
            avg(m.importance) as mean_importance,
            mm.model,
            public.l2_normalize(public.sum(m.embedding) filter (where m.embedding_model = mm.model)) as centroid
        from pgcortex.knowledge_clusters as k
        left join pgcortex.cluster_members as cm on cm.namespace = k.namespace and cm.cluster_id = k.id
        left join pgcortex.memories as m on m.namespace = cm.namespace and m.id = cm.memory_id
        left join lateral (
            select coalesce(k.centroid_model, (
                select m2.embedding_model
                from pgcortex.cluster_members as cm2
                inner join pgcortex.memories as m2 on m2.namespace = cm2.namespace and m2.id = cm2.memory_id
                where cm2.namespace = k.namespace and cm2.cluster_id = k.id and m2.embedding_model is not null
                group by m2.embedding_model
                order by count(*) desc, m2.embedding_model
                limit 1
            )) as model
        ) as mm on true
        where k.namespace = _ns and k.id = any(refresh_clusters.cluster_ids)
        group by k.id, mm.model
    ) as a
    where c.namespace = _ns and c.id = a.id;
    get diagnostics _n = row_count;

    if refresh_clusters.max_topics = 0 then
        return _n;
    end if;
    -- Topics: member tags and terms ranked by tf-idf over clusters (share of
    -- members that have the item x ln(1 + clusters / clusters having it)), so
    -- a word every cluster shares does not name any of them.
    with items as (
        select cm.cluster_id, x.item, x.is_term, count(distinct cm.memory_id)::numeric as df
        from pgcortex.cluster_members as cm
        inner join pgcortex.memories as m on m.namespace = cm.namespace and m.id = cm.memory_id
        cross join lateral (
            select t.tag as item, false as is_term from unnest(m.tags) as t (tag)
            union
            select l.lexeme, true from unnest(m.content_tsv) as l
            where pgcortex_internal.is_topic_term(l.lexeme)
        ) as x
        where cm.namespace = _ns
        group by cm.cluster_id, x.item, x.is_term
    ),
    spread as (
        select items.item, count(*)::numeric as cdf from items group by items.item
    ),
    total as (
        select greatest(count(*), 1)::numeric as k
        from pgcortex.knowledge_clusters as c where c.namespace = _ns
    ),
    ranked as (
        select
            items.cluster_id, items.item, items.is_term,
            row_number() over (
                partition by items.cluster_id
                order by
                    items.df / greatest(c.member_count, 1) * ln(1 + total.k / spread.cdf) desc,
                    items.is_term, items.item
            ) as rn
        from items
        inner join spread on spread.item = items.item
        cross join total
        inner join pgcortex.knowledge_clusters as c on c.namespace = _ns and c.id = items.cluster_id
        where
            items.cluster_id = any(refresh_clusters.cluster_ids)
            and (c.origin = 'auto' or c.topics = '{}')
            and items.df >= least(2, c.member_count)
    ),
    -- Each stem shown as the word the members write most often ("pricing",
    -- not "price"): the words are split and stemmed once, set-based.
    words as (
        select w.word, count(*) as n
        from pgcortex.cluster_members as cm
        inner join pgcortex.memories as m on m.namespace = cm.namespace and m.id = cm.memory_id
        cross join lateral pg_catalog.regexp_split_to_table(
            pg_catalog.lower(pg_catalog.left(m.content, 2000)), '[^[:alnum:]]+'
        ) as w (word)
        where cm.namespace = _ns and cm.cluster_id = any(refresh_clusters.cluster_ids) and w.word <> ''
        group by w.word
    ),
    surface as (
        select distinct on (x.stem) x.stem, x.word
        from (
            select
                (pg_catalog.ts_lexize('english_stem'::regdictionary, words.word))[1] as stem,
                words.word,
                words.n
            from words
        ) as x
        where x.stem is not null
        order by x.stem, x.n desc, x.word
    )
    update pgcortex.knowledge_clusters as c set
        topics = t.topics
    from (
        -- A tag and a term often name the same thing ("pricing"): keep it once,
        -- at its best rank.
        select
            d.cluster_id,
            (pg_catalog.array_agg(d.topic order by d.rn))[1:refresh_clusters.max_topics] as topics
        from (
            select distinct on (s.cluster_id, s.topic) s.cluster_id, s.topic, s.rn
            from (
                select
                    r.cluster_id,
                    r.rn,
                    case when r.is_term then coalesce(sf.word, r.item) else r.item end as topic
                from ranked as r
                left join surface as sf on r.is_term and sf.stem = r.item
                where r.rn <= 2 * refresh_clusters.max_topics
            ) as s
            order by s.cluster_id, s.topic, s.rn
        ) as d
        group by d.cluster_id
    ) as t
    where c.namespace = _ns and c.id = t.cluster_id;
    return _n;
end
$$;

COMMENT ON FUNCTION pgcortex_internal.refresh_clusters(cluster_ids uuid[], max_topics integer, as_of timestamp with time zone) IS 'Recomputes the given clusters from their members: centroid (normalised mean of the members'' embeddings of the cluster''s model), member_count, importance_score (pgcortex_internal.cluster_importance) and topics (tf-idf of member tags and terms; explicit clusters keep the topics they were stored with). Internal step.';

CREATE FUNCTION pgcortex_internal.reinforce(importance integer, confidence real, tags text[], expires_at timestamp with time zone, new_importance integer, new_confidence real, new_tags text[], new_expires_at timestamp with time zone, expired boolean DEFAULT false) RETURNS TABLE(importance integer, confidence real, tags text[], expires_at timestamp with time zone)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT
         CASE
             WHEN expired THEN new_importance
             ELSE GREATEST(importance, new_importance)
         END AS importance,
         CASE
             WHEN expired THEN new_confidence
             ELSE GREATEST(confidence, new_confidence)
         END AS confidence,
         CASE
             WHEN expired THEN new_tags
             ELSE pgcortex_internal.normalize_tags((tags || new_tags))
         END AS tags,
         CASE
             WHEN expired THEN new_expires_at
             WHEN ((expires_at IS NULL) OR (new_expires_at IS NULL)) THEN NULL::timestamp with time zone
             ELSE GREATEST(expires_at, new_expires_at)
         END AS expires_at;
END;

COMMENT ON FUNCTION pgcortex_internal.reinforce(importance integer, confidence real, tags text[], expires_at timestamp with time zone, new_importance integer, new_confidence real, new_tags text[], new_expires_at timestamp with time zone, expired boolean) IS 'A memory''s importance, confidence, tags and expiry once a store reinforces it: the greater importance and confidence, the union of the tags, the later expiry (no expiry wins). A memory that has expired (expired true) takes the new values instead.';

CREATE FUNCTION pgcortex_internal.search_defaults() RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT '{"bm25_b": 0.75, "bm25_k1": 1.2, "tag_boost": 0.2, "text_weight": 1, "access_weight": 0, "recency_floor": 0.8, "vector_weight": 1, "context_weight": 0.3, "half_life_days": 30, "min_candidates": 20, "candidates_per_k": 2, "confidence_floor": 0.8, "access_saturation": 100, "importance_weight": 0.1}'::jsonb AS jsonb;
END;

COMMENT ON FUNCTION pgcortex_internal.search_defaults() IS 'The default weights of the ranking formula of pgcortex.search_memories (ranking_version 4), as a JSON object; the weights argument of a search overrides any of them.';

CREATE FUNCTION pgcortex_internal.search_tsquery(query_text text) RETURNS tsquery
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
    _q tsquery := pg_catalog.websearch_to_tsquery('english'::regconfig, search_tsquery.query_text);
begin
    if _q is null or pg_catalog.numnode(_q) = 0 then
        return _q;
    end if;
    -- A text of plain words (no quotes, -word or "or"; judged on the text, as a
    -- hyphenated word such as ZX-4471 becomes a phrase inside the tsquery):
    -- match any of its words.
    if search_tsquery.query_text !~* '("|(^|\s)-|(^|\s)or(\s|$))' then
        _q := pg_catalog.replace(_q::text, ' & ', ' | ')::tsquery;
    end if;
    return _q;
end
$_$;

COMMENT ON FUNCTION pgcortex_internal.search_tsquery(query_text text) IS 'The tsquery of a search text (english): websearch syntax ("a phrase", -word, or); a text of plain words matches memories with any of the words, and ranking puts those with more of them first.';

CREATE FUNCTION pgcortex_internal.session_item_jsonb(item json) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    return session_item_jsonb.item::jsonb;
exception when untranslatable_character or invalid_text_representation then
    return pg_catalog.regexp_replace(
        session_item_jsonb.item::text,
        '(?<![\\])((?:\\\\)*)\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})',
        '\1\\ufffd',
        'g'
    )::jsonb;
end
$$;

COMMENT ON FUNCTION pgcortex_internal.session_item_jsonb(item json) IS 'An agent item as jsonb, to read its role and text: escapes jsonb cannot hold (\u0000, lone surrogates) read as U+FFFD. The stored item keeps its exact text.';

CREATE FUNCTION pgcortex_internal.session_item_text(value jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT
         CASE jsonb_typeof(value)
             WHEN 'string'::text THEN (value #>> '{}'::text[])
             WHEN 'object'::text THEN COALESCE((value ->> 'text'::text), (value ->> 'refusal'::text), (value ->> 'transcript'::text))
             WHEN 'array'::text THEN ( SELECT string_agg(x.part, '
'::text ORDER BY x.ord) AS string_agg
                FROM ( SELECT e.ord,
                             CASE jsonb_typeof(e.value)
                                 WHEN 'string'::text THEN (e.value #>> '{}'::text[])
                                 WHEN 'object'::text THEN COALESCE((e.value ->> 'text'::text), (e.value ->> 'refusal'::text), (e.value ->> 'transcript'::text))
                                 ELSE NULL::text
                             END AS part
                        FROM jsonb_array_elements(session_item_text.value) WITH ORDINALITY e(value, ord)) x
               WHERE (x.part IS NOT NULL))
             ELSE NULL::text
         END AS "case";
END;

COMMENT ON FUNCTION pgcortex_internal.session_item_text(value jsonb) IS 'The readable text of an agent item''s content value: a string as it is; for an array, the text, refusal or transcript of each part, one per line; null when there is none.';

CREATE FUNCTION pgcortex_internal.session_item_turn(item jsonb) RETURNS TABLE(role text, content text, conversational boolean)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT
         CASE
             WHEN ((x.kind = 'message'::text) AND (x.item_role = ANY (ARRAY['user'::text, 'assistant'::text]))) THEN x.item_role
             WHEN (x.kind = 'message'::text) THEN 'system'::text
             WHEN (x.kind ~~ '%\_output'::text) THEN 'tool'::text
             ELSE 'assistant'::text
         END AS role,
     "left"(COALESCE(x.body, (('['::text || x.kind) || ']'::text)), 100000) AS content,
     ((x.kind = 'message'::text) AND (x.item_role = ANY (ARRAY['user'::text, 'assistant'::text])) AND (x.body IS NOT NULL)) AS conversational
    FROM ( SELECT y.kind,
             y.item_role,
             NULLIF(btrim(y.body, '
'::text), ''::text) AS body
            FROM ( SELECT COALESCE((session_item_turn.item ->> 'type'::text), 'message'::text) AS kind,
                     (session_item_turn.item ->> 'role'::text) AS item_role,
                         CASE
                             WHEN (COALESCE((session_item_turn.item ->> 'type'::text), 'message'::text) = 'message'::text) THEN pgcortex_internal.session_item_text((session_item_turn.item -> 'content'::text))
                             WHEN (session_item_turn.item ? 'output'::text) THEN COALESCE(pgcortex_internal.session_item_text((session_item_turn.item -> 'output'::text)), ((session_item_turn.item -> 'output'::text))::text)
                             WHEN ((session_item_turn.item ->> 'type'::text) = 'reasoning'::text) THEN pgcortex_internal.session_item_text((session_item_turn.item -> 'summary'::text))
                             WHEN (session_item_turn.item ? 'name'::text) THEN (((session_item_turn.item ->> 'name'::text) || ': '::text) || COALESCE((session_item_turn.item ->> 'arguments'::text), (session_item_turn.item ->> 'input'::text), ''::text))
                             ELSE NULL::text
                         END AS body) y) x;
END;

COMMENT ON FUNCTION pgcortex_internal.session_item_turn(item jsonb) IS 'How an agent item is kept as a conversation turn: role (user and assistant messages keep theirs, system and developer messages are system, tool outputs are tool, tool calls and reasoning are assistant), content (the item''s text, at most 100000 characters; [type] when it has none) and conversational (a user or assistant message with text: it may become a conversation memory).';

CREATE FUNCTION pgcortex_internal.set_change_context(reason text, changed_at timestamp with time zone) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT set_config('pgcortex.change_reason'::text, COALESCE(reason, ''::text), true) AS reason,
     set_config('pgcortex.change_at'::text, COALESCE((changed_at)::text, ''::text), true) AS changed_at;
END;

COMMENT ON FUNCTION pgcortex_internal.set_change_context(reason text, changed_at timestamp with time zone) IS 'Sets the reason and time the history trigger records for the following changes in this transaction (API functions set it; null resets).';

CREATE FUNCTION pgcortex_internal.store_expiry(ttl_minutes double precision, as_of timestamp with time zone) RETURNS timestamp with time zone
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT (as_of + make_interval(secs => (ttl_minutes * (60)::double precision)));
END;

COMMENT ON FUNCTION pgcortex_internal.store_expiry(ttl_minutes double precision, as_of timestamp with time zone) IS 'Helper of the store functions: as_of plus ttl_minutes (fractional minutes); null when ttl_minutes is null.';

CREATE FUNCTION pgcortex_internal.store_filter_matches(value jsonb, filter jsonb) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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
        if not pgcortex_internal.store_value_matches(store_filter_matches.value -> _field, _condition) then
            return false;
        end if;
    end loop;
    return true;
end
$$;

COMMENT ON FUNCTION pgcortex_internal.store_filter_matches(value jsonb, filter jsonb) IS 'Helper of pgcortex.store_search: whether value meets every field condition of filter (see pgcortex_internal.store_value_matches); a null filter matches every value.';

CREATE FUNCTION pgcortex_internal.store_path_matches(path text[], pattern text[], from_end boolean DEFAULT false) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT ((COALESCE(cardinality(path), 0) >= COALESCE(cardinality(pattern), 0)) AND (NOT (EXISTS ( SELECT
            FROM generate_subscripts(store_path_matches.pattern, 1) g(i)
           WHERE (((store_path_matches.pattern)[g.i] <> '*'::text) AND ((store_path_matches.pattern)[g.i] IS DISTINCT FROM (store_path_matches.path)[(g.i +
                 CASE
                     WHEN store_path_matches.from_end THEN (cardinality(store_path_matches.path) - cardinality(store_path_matches.pattern))
                     ELSE 0
                 END)]))))));
END;

COMMENT ON FUNCTION pgcortex_internal.store_path_matches(path text[], pattern text[], from_end boolean) IS 'Helper of pgcortex.store_list_namespaces: whether path starts with pattern (ends with it when from_end), label by label, a ''*'' label matching any one label; an empty or null pattern matches every path.';

CREATE FUNCTION pgcortex_internal.store_put_vectors(path text[], key text, index_fields text[], embeddings public.vector[], embedding_model text) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    _ns text := pgcortex.current_namespace();
    _m pgcortex_internal.embedding_model_sql;
    _n integer;
begin
    delete from pgcortex.store_item_vectors as v
    where v.namespace = _ns and v.path = store_put_vectors.path and v.key = store_put_vectors.key;
    if store_put_vectors.embeddings is null then
        return 0;
    end if;
    _m := pgcortex_internal.embedding_model_sql(store_put_vectors.embedding_model);
    insert into pgcortex.store_item_vectors (namespace, path, key, field, embedding_model, embedding)
    select
        _ns,
        store_put_vectors.path,
        store_put_vectors.key,
        f.field,
        _m.name,
        pgcortex_internal.model_vector(f.embedding, _m, pg_catalog.format('embeddings[%s]', f.ord))
    from rows from (
        pg_catalog.unnest(store_put_vectors.index_fields),
        pg_catalog.unnest(store_put_vectors.embeddings)
    ) with ordinality as f (field, embedding, ord);
    get diagnostics _n = row_count;
    return _n;
end
$$;

COMMENT ON FUNCTION pgcortex_internal.store_put_vectors(path text[], key text, index_fields text[], embeddings public.vector[], embedding_model text) IS 'Helper of pgcortex.store_put: replaces the vectors of the item at (path, key) with one per index_fields name (embeddings of embedding_model, checked for it: PC010, PC011, PC013); returns how many.';

CREATE FUNCTION pgcortex_internal.store_value_matches(item jsonb, condition jsonb) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
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
        return pgcortex_internal.store_filter_matches(store_value_matches.item, store_value_matches.condition);
    end if;
    return store_value_matches.item is not distinct from store_value_matches.condition;
end
$_$;

COMMENT ON FUNCTION pgcortex_internal.store_value_matches(item jsonb, condition jsonb) IS 'Helper of pgcortex_internal.store_filter_matches: whether a field''s value (null when missing) meets a condition: an operator object ($eq, $ne, $gt, $gte, $lt, $lte, all must hold; order comparisons take numbers as numbers and strings as strings, nothing else matches; $ne holds for a missing field), a plain object (its fields match recursively) or a JSON value (equal).';

CREATE FUNCTION pgcortex_internal.store_vector_candidates(query_embedding public.vector, embedding_model text, path_prefix text[], filter jsonb, wanted integer, omit_expired boolean, as_of timestamp with time zone) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
    _ns text := pgcortex.current_namespace();
    _m pgcortex_internal.embedding_model_sql := pgcortex_internal.embedding_model_sql(
        store_vector_candidates.embedding_model
    );
    _q public.vector;
    _k integer := greatest(store_vector_candidates.wanted * 2, 20);
    _rows bigint;
    _found jsonb;
    _sql text;
    _old_ef text := coalesce(pg_catalog.current_setting('hnsw.ef_search', true), '40');
    _old_scan text := coalesce(pg_catalog.current_setting('hnsw.iterative_scan', true), 'off');
begin
    _q := pgcortex_internal.model_vector(store_vector_candidates.query_embedding, _m, 'query_embedding');
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
        'and ($5::jsonb is null or pgcortex_internal.store_filter_matches(i.value_jsonb, $5)) '
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
$_$;

COMMENT ON FUNCTION pgcortex_internal.store_vector_candidates(query_embedding public.vector, embedding_model text, path_prefix text[], filter jsonb, wanted integer, omit_expired boolean, as_of timestamp with time zone) IS 'Helper of pgcortex.store_search: the items of the current namespace under path_prefix meeting filter (and live, with omit_expired) nearest to query_embedding by their nearest vector of embedding_model, read through the model''s HNSW index (iterative scan, widened until at least wanted distinct items, or all): a JSON array of [path, key, score], best first; score is cosine similarity, inner product or minus the L2 distance.';

CREATE FUNCTION pgcortex_internal.tags_problem(tags text[]) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
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

COMMENT ON FUNCTION pgcortex_internal.tags_problem(tags text[]) IS 'Null when the tags are acceptable (at most 64 distinct, each 1..100 characters after trimming, no control characters), else what is wrong.';

CREATE FUNCTION pgcortex_internal.term_surface(term text, texts text[]) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT COALESCE(( SELECT w.word
            FROM (unnest(term_surface.texts) x(txt)
              CROSS JOIN LATERAL regexp_split_to_table(lower(x.txt), '[^[:alnum:]]+'::text) w(word))
           WHERE ((ts_lexize('english_stem'::regdictionary, w.word))[1] = term_surface.term)
           GROUP BY w.word
           ORDER BY (count(*)) DESC, w.word
          LIMIT 1), term) AS "coalesce";
END;

COMMENT ON FUNCTION pgcortex_internal.term_surface(term text, texts text[]) IS 'The most frequent word of texts whose english stem is term (else term): turns a lexeme back into a readable word.';

CREATE FUNCTION pgcortex_internal.top_terms(docs tsvector[], k integer, min_docs integer DEFAULT 1) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT COALESCE(array_agg(x.lexeme ORDER BY x.ndoc DESC, x.nentry DESC, x.lexeme), '{}'::text[]) AS "coalesce"
    FROM ( SELECT l.lexeme,
             count(DISTINCT d.ord) AS ndoc,
             count(*) AS nentry
            FROM (unnest(top_terms.docs) WITH ORDINALITY d(doc, ord)
              CROSS JOIN LATERAL unnest(d.doc) l(lexeme, positions, weights))
           WHERE pgcortex_internal.is_topic_term(l.lexeme)
           GROUP BY l.lexeme
          HAVING (count(DISTINCT d.ord) >= top_terms.min_docs)
           ORDER BY (count(DISTINCT d.ord)) DESC, (count(*)) DESC, l.lexeme
          LIMIT GREATEST(top_terms.k, 0)) x;
END;

COMMENT ON FUNCTION pgcortex_internal.top_terms(docs tsvector[], k integer, min_docs integer) IS 'The k lexemes present in the most of docs (at least min_docs), filler words excluded; ties by occurrences then alphabetically.';

CREATE FUNCTION pgcortex_internal.unfiltered_where() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT 'm.namespace = $1 and (m.expires_at is null or m.expires_at > $2)'::text;
END;

COMMENT ON FUNCTION pgcortex_internal.unfiltered_where() IS 'The filter of a search with no filter given ($1 the namespace, $2 as_of), as SQL over pgcortex.memories as m: the one text pgcortex.search_memories and pgcortex_internal.vector_nearest share. Internal helper.';

CREATE FUNCTION pgcortex_internal.vector_candidates_sql(model pgcortex_internal.embedding_model_sql, where_sql text, exact boolean DEFAULT false, query_ref text DEFAULT '$14'::text, limit_ref text DEFAULT '$16'::text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT
         CASE
             WHEN exact THEN (((((((((((((('select array(select m.id from pgcortex.memories as m where '::text || where_sql) || ' and m.embedding_model = '::text) || (model).name_literal) || ' order by ((m.embedding::'::text) || (model).vector_type) || ') '::text) || (model).operator_sql) || ' ('::text) || query_ref) || '::'::text) || (model).vector_type) || ')) + 0, m.content_hash limit '::text) || limit_ref) || ')'::text)
             ELSE (((((((((((((((((((((('select array(select s.id from (select m.id, m.content_hash, (m.embedding::'::text || (model).vector_type) || ') '::text) || (model).operator_sql) || ' ('::text) || query_ref) || '::'::text) || (model).vector_type) || ') as dist from pgcortex.memories as m where '::text) || where_sql) || ' and m.embedding_model = '::text) || (model).name_literal) || ' order by (m.embedding::'::text) || (model).vector_type) || ') '::text) || (model).operator_sql) || ' ('::text) || query_ref) || '::'::text) || (model).vector_type) || ') limit '::text) || limit_ref) || ') as s order by s.dist, s.content_hash)'::text)
         END AS "case";
END;

COMMENT ON FUNCTION pgcortex_internal.vector_candidates_sql(model pgcortex_internal.embedding_model_sql, where_sql text, exact boolean, query_ref text, limit_ref text) IS 'The search''s vector-candidate statement for the model: the n (limit_ref, default $16) memories of the model nearest to the query (query_ref, default $14) among those matching where_sql, by the model''s HNSW index (its expression and predicate written as constants), or exactly (exact). Internal helper of pgcortex.search_memories and pgcortex_internal.build_vector_nearest.';

CREATE FUNCTION pgcortex_internal.vector_nearest(namespace text, as_of timestamp with time zone, query public.vector, n integer, model_id integer) RETURNS uuid[]
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    AS $_$begin
case $5
    when 1 then
        return (select array(select s.id from (select m.id, m.content_hash, (m.embedding::public.vector(384)) operator(public.<=>) ($3::public.vector(384)) as dist from pgcortex.memories as m where m.namespace = $1 and (m.expires_at is null or m.expires_at > $2) and m.embedding_model = 'all-MiniLM-L6-v2' order by (m.embedding::public.vector(384)) operator(public.<=>) ($3::public.vector(384)) limit $4) as s order by s.dist, s.content_hash));
    else null;
end case;
return null;
end$_$;

COMMENT ON FUNCTION pgcortex_internal.vector_nearest(namespace text, as_of timestamp with time zone, query public.vector, n integer, model_id integer) IS 'The n memories of the namespace, unexpired at as_of, of the registered model model_id nearest to the query, nearest first (the ids in an array), by the model''s HNSW index with a plan kept for the session; null when the model is not one of those registered when it was built (pgcortex_internal.build_vector_nearest, re-run by every deploy and registration). Internal helper of pgcortex.search_memories, for a search without filters.';

CREATE TABLE pgcortex.cluster_queue (
    namespace pgcortex.namespace_name NOT NULL,
    memory_id uuid NOT NULL,
    queued_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY pgcortex.cluster_queue FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.cluster_queue IS 'Memories waiting for automatic clustering: written by the trigger on pgcortex.memories (a memory stored, or given a new embedding, type or tags), drained by pgcortex_internal.cluster_pending, which the cluster reads and writes and maintenance run first. A memory deleted before it is clustered leaves the queue with it.';

COMMENT ON COLUMN pgcortex.cluster_queue.namespace IS 'The namespace of the memory.';

COMMENT ON COLUMN pgcortex.cluster_queue.memory_id IS 'The memory to cluster (pgcortex.memories.id).';

COMMENT ON COLUMN pgcortex.cluster_queue.queued_at IS 'When the write that queued the memory ran (the transaction''s time).';

ALTER TABLE pgcortex.conversation_turns ALTER COLUMN turn_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME pgcortex.conversation_turns_turn_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE pgcortex.embedding_models (
    model_id integer NOT NULL,
    name text NOT NULL,
    dimensions integer NOT NULL,
    distance text DEFAULT 'cosine'::text NOT NULL,
    storage text NOT NULL,
    normalize_vectors boolean DEFAULT false NOT NULL,
    is_default boolean DEFAULT false NOT NULL,
    registered_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT embedding_models_dimensions_check CHECK ((((storage = 'vector'::text) AND ((dimensions >= 1) AND (dimensions <= 2000))) OR ((storage = 'halfvec'::text) AND ((dimensions >= 1) AND (dimensions <= 4000))))),
    CONSTRAINT embedding_models_distance_check CHECK ((distance = ANY (ARRAY['cosine'::text, 'l2'::text, 'inner_product'::text]))),
    CONSTRAINT embedding_models_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200))),
    CONSTRAINT embedding_models_storage_check CHECK ((storage = ANY (ARRAY['vector'::text, 'halfvec'::text])))
);

COMMENT ON TABLE pgcortex.embedding_models IS 'The embedding models this deployment stores vectors of: dimensions, the distance its HNSW index orders by, the storage of that index (vector: 4-byte floats, up to 2,000 dimensions; halfvec: 2-byte floats, up to 4,000), whether vectors are normalised to length 1 on the way in, and the deployment default (the current model of a namespace that has chosen none). Each model has its own partial HNSW index on pgcortex.memories (pgcortex.embedding_model_index_sql).';

COMMENT ON COLUMN pgcortex.embedding_models.model_id IS 'Stable id: names the model''s index (memories_embedding_m<model_id>_hnsw_idx).';

COMMENT ON COLUMN pgcortex.embedding_models.name IS 'The model name callers pass as embedding_model, 1 to 200 characters.';

COMMENT ON COLUMN pgcortex.embedding_models.dimensions IS 'Dimensions of every vector of the model.';

COMMENT ON COLUMN pgcortex.embedding_models.distance IS 'cosine, l2 or inner_product: the operator the model''s HNSW index orders candidates by. Scores, near-duplicate and cluster similarities are cosine similarities whatever the distance.';

COMMENT ON COLUMN pgcortex.embedding_models.storage IS 'vector (4-byte floats, up to 2,000 dimensions) or halfvec (2-byte floats, up to 4,000): the type of the model''s HNSW index. The column keeps the full-precision vector either way.';

COMMENT ON COLUMN pgcortex.embedding_models.normalize_vectors IS 'Whether vectors of the model are scaled to length 1 when stored and searched.';

COMMENT ON COLUMN pgcortex.embedding_models.is_default IS 'The deployment default: the current model of every namespace that has not chosen one and holds no embeddings.';

ALTER TABLE pgcortex.embedding_models ALTER COLUMN model_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME pgcortex.embedding_models_model_id_seq
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

CREATE TABLE pgcortex.import_ids (
    namespace pgcortex.namespace_name NOT NULL,
    source text NOT NULL,
    legacy_table text NOT NULL,
    legacy_id text NOT NULL,
    new_id text NOT NULL,
    outcome text NOT NULL,
    imported_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT import_ids_legacy_id_check CHECK (((length(legacy_id) >= 1) AND (length(legacy_id) <= 1000))),
    CONSTRAINT import_ids_legacy_table_check CHECK ((legacy_table ~ '^[a-z][a-z0-9_]{0,62}$'::text)),
    CONSTRAINT import_ids_outcome_check CHECK ((outcome = ANY (ARRAY['imported'::text, 'merged'::text]))),
    CONSTRAINT import_ids_source_check CHECK (((length(source) >= 1) AND (length(source) <= 200)))
);

ALTER TABLE ONLY pgcortex.import_ids FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.import_ids IS 'Which row each imported row became: (source, table, id in the source) to the id of the row written (imported) or of the row it merged into (merged). Written by the pgcortex.import_* functions in the same transaction as the rows, so a re-run of the import adds nothing and an interrupted one resumes.';

COMMENT ON COLUMN pgcortex.import_ids.source IS 'Names the source: sqlite (or the name the caller gave) for a memory store file, pgcortex:<namespace> for an export of that namespace.';

COMMENT ON COLUMN pgcortex.import_ids.legacy_table IS 'The table of the source the row came from.';

COMMENT ON COLUMN pgcortex.import_ids.legacy_id IS 'The id (or key) of the row in the source, as text.';

COMMENT ON COLUMN pgcortex.import_ids.new_id IS 'The id (or key) of the row in this database, as text.';

COMMENT ON COLUMN pgcortex.import_ids.outcome IS 'imported: a new row; merged: folded into a row that was already there.';

CREATE VIEW pgcortex.memories_v WITH (security_barrier='true') AS
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
     LEFT JOIN pgcortex_internal.pending_accesses() l(memory_id, pending, last_accessed) ON ((m.id = l.memory_id)))
     LEFT JOIN LATERAL ( SELECT array_agg(DISTINCT x.other ORDER BY x.other) AS related_ids
           FROM ( SELECT k.target_id AS other
                   FROM pgcortex.memory_links k
                  WHERE (((k.namespace)::text = (m.namespace)::text) AND (k.source_id = m.id))
                UNION ALL
                 SELECT k.source_id
                   FROM pgcortex.memory_links k
                  WHERE (((k.namespace)::text = (m.namespace)::text) AND (k.target_id = m.id))) x) r ON (true))
  WHERE (((m.namespace)::text = ( SELECT pgcortex.current_namespace() AS current_namespace)) AND ((m.expires_at IS NULL) OR (m.expires_at > now())));

COMMENT ON VIEW pgcortex.memories_v IS 'The memories of the current namespace in the original memory module''s shape: with last_accessed and access_count (exact: folded counts plus the pending access log) and related_memories (ids linked either way). Expired memories are left out. Reading the view counts no access.';

CREATE UNLOGGED TABLE pgcortex.memory_access_log (
    log_id bigint NOT NULL,
    namespace pgcortex.namespace_name NOT NULL,
    memory_id uuid NOT NULL,
    accessed_at timestamp with time zone NOT NULL
);

ALTER TABLE ONLY pgcortex.memory_access_log FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.memory_access_log IS 'Append-only log of memory reads not yet folded into pgcortex.memory_access (see pgcortex.maint_flush_access). access_count = memory_access.access_count + the pending rows here. Unlogged: writing it costs no WAL, and a crash or failover empties it (the reads it held are lost; folded counts stay); a hot standby has it empty and the reads skip it there.';

ALTER TABLE pgcortex.memory_access_log ALTER COLUMN log_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME pgcortex.memory_access_log_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE VIEW pgcortex.memory_access_totals WITH (security_barrier='true') AS
 SELECT namespace,
    memory_id,
    (sum(n))::bigint AS access_count,
    max(at) AS last_accessed
   FROM ( SELECT a.namespace,
            a.memory_id,
            a.access_count AS n,
            a.last_accessed AS at
           FROM pgcortex.memory_access a
        UNION ALL
         SELECT (( SELECT pgcortex.current_namespace() AS current_namespace))::pgcortex.namespace_name AS namespace,
            g.memory_id,
            g.pending AS n,
            g.last_accessed AS at
           FROM pgcortex_internal.pending_accesses() g(memory_id, pending, last_accessed)) x
  GROUP BY namespace, memory_id;

COMMENT ON VIEW pgcortex.memory_access_totals IS 'Exact access count and last access of each accessed memory: pgcortex.memory_access plus the pending pgcortex.memory_access_log rows (pgcortex_internal.pending_accesses; none on a hot standby, which has the folded counts only). Row-level security limits it to the current namespace. Memories never read have no row.';

CREATE TABLE pgcortex.memory_embeddings (
    namespace pgcortex.namespace_name NOT NULL,
    memory_id uuid NOT NULL,
    embedding_model text NOT NULL,
    content_hash bytea NOT NULL,
    embedding public.vector NOT NULL,
    stored_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY pgcortex.memory_embeddings FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.memory_embeddings IS 'Embeddings of memories by a model other than the namespace''s current one: staged by a re-embed (pgcortex.reembed_stage) until the switch moves them into pgcortex.memories, and the previous model''s after the switch until pgcortex.maint_drop_old_embeddings. content_hash is the content the vector was made from: a memory whose content changed since is embedded again.';

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

CREATE TABLE pgcortex.memory_term_log (
    log_id bigint NOT NULL,
    namespace pgcortex.namespace_name NOT NULL,
    lexeme text,
    doc_delta bigint NOT NULL,
    length_delta bigint NOT NULL
);

ALTER TABLE ONLY pgcortex.memory_term_log FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.memory_term_log IS 'Pending changes of the term statistics, written by the memories triggers: per lexeme (doc_delta memories more or fewer hold it), or with lexeme null for the namespace''s totals (doc_delta memories, length_delta lexemes). Folded by pgcortex.maint_fold_terms.';

ALTER TABLE pgcortex.memory_term_log ALTER COLUMN log_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME pgcortex.memory_term_log_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE pgcortex.memory_term_totals (
    namespace pgcortex.namespace_name NOT NULL,
    doc_count bigint NOT NULL,
    total_length bigint NOT NULL
);

ALTER TABLE ONLY pgcortex.memory_term_totals FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.memory_term_totals IS 'Folded count of a namespace''s memories and the sum of their lengths (distinct lexemes of content_tsv), for BM25''s average length. Current value: this row plus the pending totals rows of pgcortex.memory_term_log.';

CREATE TABLE pgcortex.memory_terms (
    namespace pgcortex.namespace_name NOT NULL,
    lexeme text NOT NULL,
    doc_count bigint NOT NULL
);

ALTER TABLE ONLY pgcortex.memory_terms FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.memory_terms IS 'Folded document frequency per lexeme of a namespace''s memories (content_tsv): doc_count memories hold the lexeme. The current value is doc_count plus the pending rows of pgcortex.memory_term_log (see pgcortex.maint_fold_terms).';

ALTER TABLE pgcortex.namespace_audit ALTER COLUMN audit_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME pgcortex.namespace_audit_audit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE pgcortex.namespace_bindings (
    role_name name NOT NULL,
    bound_namespace pgcortex.namespace_name NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

COMMENT ON TABLE pgcortex.namespace_bindings IS 'Which namespaces a login role (session_user) may use. A role with rows here sees and writes nothing outside them: the row-level security policy of every namespaced table checks it. Roles without rows are unrestricted. Managed by the owner or a superuser; the application role cannot read or change it.';

COMMENT ON COLUMN pgcortex.namespace_bindings.role_name IS 'The login role (session_user), as in pg_roles.rolname.';

COMMENT ON COLUMN pgcortex.namespace_bindings.bound_namespace IS 'A namespace that role may use; ''*'' means every namespace (a trusted service serving many tenants).';

CREATE TABLE pgcortex.namespace_embedding_models (
    namespace pgcortex.namespace_name NOT NULL,
    embedding_model text NOT NULL,
    previous_model text,
    switched_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY pgcortex.namespace_embedding_models FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.namespace_embedding_models IS 'The current embedding model of a namespace: set by its first stored embedding, by pgcortex.set_namespace_embedding_model, or by a re-embed''s switch (pgcortex.reembed_switch). A namespace without a row uses the deployment default. Stores and searches with another model are refused (PC012).';

COMMENT ON COLUMN pgcortex.namespace_embedding_models.previous_model IS 'The model the last switch left; its vectors stay in pgcortex.memory_embeddings until pgcortex.maint_drop_old_embeddings.';

CREATE TABLE pgcortex.pattern_types (
    name text NOT NULL,
    description text NOT NULL,
    CONSTRAINT pattern_types_name_check CHECK ((name ~ '^[a-z][a-z0-9_]{0,62}$'::text))
);

COMMENT ON TABLE pgcortex.pattern_types IS 'The kinds of learning pattern. A row here is all it takes to add a type (no migration).';

CREATE TABLE pgcortex.security_settings (
    singleton boolean DEFAULT true NOT NULL,
    unbound_logins text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT security_settings_singleton_check CHECK (singleton),
    CONSTRAINT security_settings_unbound_logins_check CHECK ((unbound_logins = ANY (ARRAY['allow'::text, 'refuse'::text])))
);

COMMENT ON TABLE pgcortex.security_settings IS 'Security settings of the deployment, one row; changed only by the owner or a superuser. unbound_logins: refuse = a login role without a row in pgcortex.namespace_bindings may use no namespace (PC051), unless it is a superuser or a member of pgcortex_owner; allow = such a role may use every namespace.';

COMMENT ON COLUMN pgcortex.security_settings.singleton IS 'Always true: the table has one row.';

COMMENT ON COLUMN pgcortex.security_settings.unbound_logins IS 'refuse (fail-closed, the default of new deployments) or allow (the behaviour before this setting existed).';

COMMENT ON COLUMN pgcortex.security_settings.updated_at IS 'When the row was last changed.';

CREATE TABLE pgcortex.store_item_vectors (
    namespace pgcortex.namespace_name NOT NULL,
    path text[] NOT NULL,
    key text NOT NULL,
    field text NOT NULL,
    embedding_model text NOT NULL,
    embedding public.vector NOT NULL,
    CONSTRAINT store_item_vectors_field_check CHECK (((length(field) >= 1) AND (length(field) <= 1000)))
);
ALTER TABLE ONLY pgcortex.store_item_vectors ALTER COLUMN embedding SET STORAGE MAIN;

ALTER TABLE ONLY pgcortex.store_item_vectors FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.store_item_vectors IS 'The vectors of the store items (pgcortex.store_put): one per indexed field of an item''s value, all of the store''s embedding model. Each model has its own partial HNSW index over the vectors of that model, the vector cast to the model''s dimensions and storage (pgcortex.store_embedding_model creates it). Replaced with the item, deleted with it.';

COMMENT ON COLUMN pgcortex.store_item_vectors.field IS 'The part of the value the vector was made from: a field path such as text or meta.title ($ for the whole value), with .0, .1, ... when the path matched several texts.';

COMMENT ON COLUMN pgcortex.store_item_vectors.embedding_model IS 'The model of the vector.';

COMMENT ON COLUMN pgcortex.store_item_vectors.embedding IS 'The vector, any dimension (the model''s); its index casts it to the model''s dimensions and storage.';

CREATE TABLE pgcortex.store_items (
    namespace pgcortex.namespace_name NOT NULL,
    path text[] NOT NULL,
    key text NOT NULL,
    value json NOT NULL,
    value_jsonb jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    ttl_minutes double precision,
    expires_at timestamp with time zone,
    value_tsv tsvector GENERATED ALWAYS AS (jsonb_to_tsvector('english'::regconfig, value_jsonb, '["string"]'::jsonb)) STORED,
    CONSTRAINT store_items_key_check CHECK ((length(key) <= 1000)),
    CONSTRAINT store_items_path_check CHECK ((((cardinality(path) >= 1) AND (cardinality(path) <= 64)) AND (array_position(path, NULL::text) IS NULL) AND (array_position(path, ''::text) IS NULL))),
    CONSTRAINT store_items_size_check CHECK (((octet_length(array_to_string(path, '/'::text)) + octet_length(key)) <= 2000)),
    CONSTRAINT store_items_ttl_check CHECK ((((ttl_minutes IS NULL) AND (expires_at IS NULL)) OR ((ttl_minutes > (0)::double precision) AND (ttl_minutes <= (5256000)::double precision) AND (expires_at IS NOT NULL)))),
    CONSTRAINT store_items_value_check CHECK ((jsonb_typeof(value_jsonb) = 'object'::text))
);

ALTER TABLE ONLY pgcortex.store_items FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE pgcortex.store_items IS 'Items of the key-value store for agent frameworks (pgcortex.store_put and friends; the LangGraph store): one JSON object per (namespace, path, key). Replaced whole by a put of the same key.';

COMMENT ON COLUMN pgcortex.store_items.path IS 'Where the item lives inside the namespace: the framework''s namespace tuple, e.g. {users,alice,memories}. Searched by prefix, listed by prefix and suffix.';

COMMENT ON COLUMN pgcortex.store_items.key IS 'The item''s key, unique within its path.';

COMMENT ON COLUMN pgcortex.store_items.value IS 'The item''s value: a JSON object, its text exactly as it was put.';

COMMENT ON COLUMN pgcortex.store_items.value_jsonb IS 'The value as jsonb, for the value filters of pgcortex.store_search (written with value).';

COMMENT ON COLUMN pgcortex.store_items.ttl_minutes IS 'Time to live in minutes (fractional), null for an item that never expires: it expires ttl_minutes after its last write, or its last read when the read refreshes it.';

COMMENT ON COLUMN pgcortex.store_items.expires_at IS 'When the item expires: the sweeper (pgcortex.maint_store_sweep) deletes it after that; reads may omit it before.';

COMMENT ON COLUMN pgcortex.store_items.value_tsv IS 'Full-text form of the value''s string values (english): the text arm of pgcortex.store_search.';

COMMENT ON CONSTRAINT store_items_path_check ON pgcortex.store_items IS 'A path has 1 to 64 labels, none empty or null.';

ALTER TABLE pgcortex.user_preference_history ALTER COLUMN change_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME pgcortex.user_preference_history_change_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE ONLY pgcortex.cluster_members
    ADD CONSTRAINT cluster_members_pkey PRIMARY KEY (namespace, cluster_id, memory_id);

ALTER TABLE ONLY pgcortex.cluster_queue
    ADD CONSTRAINT cluster_queue_pkey PRIMARY KEY (namespace, memory_id);

ALTER TABLE ONLY pgcortex.conversation_sessions
    ADD CONSTRAINT conversation_sessions_pkey PRIMARY KEY (namespace, session_id);

ALTER TABLE ONLY pgcortex.conversation_turns
    ADD CONSTRAINT conversation_turns_pkey PRIMARY KEY (turn_id);

ALTER TABLE ONLY pgcortex.embedding_models
    ADD CONSTRAINT embedding_models_name_key UNIQUE (name);

ALTER TABLE ONLY pgcortex.embedding_models
    ADD CONSTRAINT embedding_models_pkey PRIMARY KEY (model_id);

ALTER TABLE ONLY pgcortex.error_codes
    ADD CONSTRAINT error_codes_name_key UNIQUE (name);

ALTER TABLE ONLY pgcortex.error_codes
    ADD CONSTRAINT error_codes_pkey PRIMARY KEY (sqlstate);

ALTER TABLE ONLY pgcortex.import_ids
    ADD CONSTRAINT import_ids_pkey PRIMARY KEY (namespace, source, legacy_table, legacy_id);

ALTER TABLE ONLY pgcortex.knowledge_clusters
    ADD CONSTRAINT knowledge_clusters_namespace_name_key UNIQUE (namespace, name);

ALTER TABLE ONLY pgcortex.knowledge_clusters
    ADD CONSTRAINT knowledge_clusters_pkey PRIMARY KEY (namespace, id);

ALTER TABLE ONLY pgcortex.knowledge_settings
    ADD CONSTRAINT knowledge_settings_pkey PRIMARY KEY (namespace);

ALTER TABLE ONLY pgcortex.learning_pattern_evidence
    ADD CONSTRAINT learning_pattern_evidence_pkey PRIMARY KEY (namespace, pattern_id, evidence_key);

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

ALTER TABLE ONLY pgcortex.memory_embeddings
    ADD CONSTRAINT memory_embeddings_pkey PRIMARY KEY (namespace, embedding_model, memory_id);

ALTER TABLE ONLY pgcortex.memory_history
    ADD CONSTRAINT memory_history_pkey PRIMARY KEY (history_id);

ALTER TABLE ONLY pgcortex.memory_links
    ADD CONSTRAINT memory_links_pkey PRIMARY KEY (namespace, source_id, target_id, relation);

ALTER TABLE ONLY pgcortex.memory_term_log
    ADD CONSTRAINT memory_term_log_pkey PRIMARY KEY (log_id);

ALTER TABLE ONLY pgcortex.memory_term_totals
    ADD CONSTRAINT memory_term_totals_pkey PRIMARY KEY (namespace);

ALTER TABLE ONLY pgcortex.memory_terms
    ADD CONSTRAINT memory_terms_pkey PRIMARY KEY (namespace, lexeme);

ALTER TABLE ONLY pgcortex.memory_types
    ADD CONSTRAINT memory_types_pkey PRIMARY KEY (name);

ALTER TABLE ONLY pgcortex.namespace_audit
    ADD CONSTRAINT namespace_audit_pkey PRIMARY KEY (audit_id);

ALTER TABLE ONLY pgcortex.namespace_bindings
    ADD CONSTRAINT namespace_bindings_pkey PRIMARY KEY (role_name, bound_namespace);

ALTER TABLE ONLY pgcortex.namespace_embedding_models
    ADD CONSTRAINT namespace_embedding_models_pkey PRIMARY KEY (namespace);

ALTER TABLE ONLY pgcortex.pattern_types
    ADD CONSTRAINT pattern_types_pkey PRIMARY KEY (name);

ALTER TABLE ONLY pgcortex.schema_info
    ADD CONSTRAINT schema_info_pkey PRIMARY KEY (singleton);

ALTER TABLE ONLY pgcortex.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (name);

ALTER TABLE ONLY pgcortex.security_settings
    ADD CONSTRAINT security_settings_pkey PRIMARY KEY (singleton);

ALTER TABLE ONLY pgcortex.store_item_vectors
    ADD CONSTRAINT store_item_vectors_pkey PRIMARY KEY (namespace, path, key, field);

ALTER TABLE ONLY pgcortex.store_items
    ADD CONSTRAINT store_items_pkey PRIMARY KEY (namespace, path, key);

ALTER TABLE ONLY pgcortex.user_preference_history
    ADD CONSTRAINT user_preference_history_pkey PRIMARY KEY (change_id);

ALTER TABLE ONLY pgcortex.user_preferences
    ADD CONSTRAINT user_preferences_pkey PRIMARY KEY (namespace, key);

CREATE INDEX cluster_members_memory_idx ON pgcortex.cluster_members USING btree (namespace, memory_id);

CREATE INDEX conversation_sessions_open_idx ON pgcortex.conversation_sessions USING btree (namespace) WHERE (ended_at IS NULL);

CREATE INDEX conversation_sessions_session_key_idx ON pgcortex.conversation_sessions USING btree (namespace, ((metadata ->> 'session_key'::text)), started_at DESC) WHERE (metadata ? 'session_key'::text);

COMMENT ON INDEX pgcortex.conversation_sessions_session_key_idx IS 'Sessions by their session_key (metadata), newest first: pgcortex.session_by_key.';

CREATE INDEX conversation_sessions_started_at_idx ON pgcortex.conversation_sessions USING btree (namespace, started_at);

CREATE INDEX conversation_turns_memory_idx ON pgcortex.conversation_turns USING btree (namespace, memory_id) WHERE (memory_id IS NOT NULL);

CREATE INDEX conversation_turns_namespace_created_idx ON pgcortex.conversation_turns USING btree (namespace, created_at, turn_id);

CREATE INDEX conversation_turns_session_idx ON pgcortex.conversation_turns USING btree (namespace, session_id, turn_id);

CREATE UNIQUE INDEX embedding_models_default_key ON pgcortex.embedding_models USING btree (is_default) WHERE is_default;

COMMENT ON INDEX pgcortex.embedding_models_default_key IS 'At most one deployment default model.';

CREATE INDEX import_ids_new_id_idx ON pgcortex.import_ids USING btree (namespace, legacy_table, new_id);

CREATE UNIQUE INDEX knowledge_clusters_namespace_cluster_key_key ON pgcortex.knowledge_clusters USING btree (namespace, cluster_key) WHERE (cluster_key IS NOT NULL);

CREATE INDEX learning_pattern_evidence_memory_idx ON pgcortex.learning_pattern_evidence USING btree (namespace, memory_id) WHERE (memory_id IS NOT NULL);

CREATE INDEX learning_pattern_evidence_session_idx ON pgcortex.learning_pattern_evidence USING btree (namespace, session_id) WHERE (session_id IS NOT NULL);

CREATE INDEX memories_content_tsv_gin_idx ON pgcortex.memories USING gin (content_tsv) WITH (fastupdate='false');

CREATE INDEX memories_embedding_m1_hnsw_idx ON pgcortex.memories USING hnsw (((embedding)::public.vector(384)) public.vector_cosine_ops) WITH (m='16', ef_construction='128') WHERE (embedding_model = 'all-MiniLM-L6-v2'::text);

CREATE INDEX memories_metadata_gin_idx ON pgcortex.memories USING gin (metadata jsonb_path_ops) WITH (fastupdate='false');

CREATE INDEX memories_namespace_created_at_idx ON pgcortex.memories USING btree (namespace, created_at);

CREATE INDEX memories_namespace_expires_at_idx ON pgcortex.memories USING btree (namespace, expires_at) WHERE (expires_at IS NOT NULL);

CREATE INDEX memories_namespace_type_importance_idx ON pgcortex.memories USING btree (namespace, memory_type, importance);

CREATE INDEX memories_tags_gin_idx ON pgcortex.memories USING gin (tags) WITH (fastupdate='false');

CREATE INDEX memory_access_log_memory_idx ON pgcortex.memory_access_log USING btree (namespace, memory_id);

CREATE INDEX memory_embeddings_memory_idx ON pgcortex.memory_embeddings USING btree (namespace, memory_id);

CREATE INDEX memory_history_memory_idx ON pgcortex.memory_history USING btree (namespace, memory_id, history_id);

CREATE INDEX memory_links_target_idx ON pgcortex.memory_links USING btree (namespace, target_id);

CREATE INDEX memory_term_log_lexeme_idx ON pgcortex.memory_term_log USING btree (namespace, lexeme);

CREATE INDEX namespace_audit_namespace_at_idx ON pgcortex.namespace_audit USING btree (namespace, at);

CREATE INDEX store_items_expires_idx ON pgcortex.store_items USING btree (namespace, expires_at) WHERE (expires_at IS NOT NULL);

COMMENT ON INDEX pgcortex.store_items_expires_idx IS 'Items that expire, by expiry: the sweeper (pgcortex.maint_store_sweep).';

CREATE INDEX store_items_updated_idx ON pgcortex.store_items USING btree (namespace, updated_at DESC);

COMMENT ON INDEX pgcortex.store_items_updated_idx IS 'Items of a namespace newest first: the order of pgcortex.store_search without a query.';

CREATE INDEX store_items_value_tsv_idx ON pgcortex.store_items USING gin (value_tsv);

COMMENT ON INDEX pgcortex.store_items_value_tsv_idx IS 'Full-text search of item values (pgcortex.store_search with a query text).';

CREATE INDEX user_preference_history_key_idx ON pgcortex.user_preference_history USING btree (namespace, key, change_id);

CREATE INDEX user_preference_history_memory_idx ON pgcortex.user_preference_history USING btree (namespace, memory_id) WHERE (memory_id IS NOT NULL);

CREATE INDEX user_preference_history_session_idx ON pgcortex.user_preference_history USING btree (namespace, session_id) WHERE (session_id IS NOT NULL);

CREATE TRIGGER memories_cluster_insert AFTER INSERT ON pgcortex.memories REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pgcortex_internal.memories_cluster_trigger();

CREATE TRIGGER memories_cluster_update AFTER UPDATE ON pgcortex.memories REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pgcortex_internal.memories_cluster_trigger();

CREATE TRIGGER memories_history_delete AFTER DELETE ON pgcortex.memories REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pgcortex_internal.record_memory_history();

CREATE TRIGGER memories_history_insert AFTER INSERT ON pgcortex.memories REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pgcortex_internal.record_memory_history();

CREATE TRIGGER memories_history_update AFTER UPDATE ON pgcortex.memories REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pgcortex_internal.record_memory_history();

CREATE TRIGGER memories_terms_delete AFTER DELETE ON pgcortex.memories REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pgcortex_internal.record_memory_terms();

CREATE TRIGGER memories_terms_insert AFTER INSERT ON pgcortex.memories REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pgcortex_internal.record_memory_terms();

CREATE TRIGGER memories_terms_update AFTER UPDATE ON pgcortex.memories REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pgcortex_internal.record_memory_terms();

ALTER TABLE ONLY pgcortex.cluster_members
    ADD CONSTRAINT cluster_members_cluster_fkey FOREIGN KEY (namespace, cluster_id) REFERENCES pgcortex.knowledge_clusters(namespace, id) ON DELETE CASCADE;

ALTER TABLE ONLY pgcortex.cluster_members
    ADD CONSTRAINT cluster_members_memory_fkey FOREIGN KEY (namespace, memory_id) REFERENCES pgcortex.memories(namespace, id) ON DELETE CASCADE;

ALTER TABLE ONLY pgcortex.cluster_queue
    ADD CONSTRAINT cluster_queue_memory_fkey FOREIGN KEY (namespace, memory_id) REFERENCES pgcortex.memories(namespace, id) ON DELETE CASCADE;

ALTER TABLE ONLY pgcortex.conversation_turns
    ADD CONSTRAINT conversation_turns_memory_fkey FOREIGN KEY (namespace, memory_id) REFERENCES pgcortex.memories(namespace, id) ON DELETE SET NULL (memory_id);

ALTER TABLE ONLY pgcortex.conversation_turns
    ADD CONSTRAINT conversation_turns_session_fkey FOREIGN KEY (namespace, session_id) REFERENCES pgcortex.conversation_sessions(namespace, session_id) ON DELETE CASCADE;

ALTER TABLE ONLY pgcortex.knowledge_clusters
    ADD CONSTRAINT knowledge_clusters_centroid_model_fkey FOREIGN KEY (centroid_model) REFERENCES pgcortex.embedding_models(name);

ALTER TABLE ONLY pgcortex.learning_pattern_evidence
    ADD CONSTRAINT learning_pattern_evidence_memory_fkey FOREIGN KEY (namespace, memory_id) REFERENCES pgcortex.memories(namespace, id) ON DELETE SET NULL (memory_id);

ALTER TABLE ONLY pgcortex.learning_pattern_evidence
    ADD CONSTRAINT learning_pattern_evidence_pattern_fkey FOREIGN KEY (namespace, pattern_id) REFERENCES pgcortex.learning_patterns(namespace, pattern_id) ON DELETE CASCADE;

ALTER TABLE ONLY pgcortex.learning_pattern_evidence
    ADD CONSTRAINT learning_pattern_evidence_session_fkey FOREIGN KEY (namespace, session_id) REFERENCES pgcortex.conversation_sessions(namespace, session_id) ON DELETE SET NULL (session_id);

ALTER TABLE ONLY pgcortex.learning_patterns
    ADD CONSTRAINT learning_patterns_pattern_type_fkey FOREIGN KEY (pattern_type) REFERENCES pgcortex.pattern_types(name) ON UPDATE CASCADE;

ALTER TABLE ONLY pgcortex.memories
    ADD CONSTRAINT memories_embedding_model_fkey FOREIGN KEY (embedding_model) REFERENCES pgcortex.embedding_models(name);

ALTER TABLE ONLY pgcortex.memories
    ADD CONSTRAINT memories_memory_type_fkey FOREIGN KEY (memory_type) REFERENCES pgcortex.memory_types(name) ON UPDATE CASCADE;

ALTER TABLE ONLY pgcortex.memory_access
    ADD CONSTRAINT memory_access_memory_fkey FOREIGN KEY (namespace, memory_id) REFERENCES pgcortex.memories(namespace, id) ON DELETE CASCADE;

ALTER TABLE ONLY pgcortex.memory_embeddings
    ADD CONSTRAINT memory_embeddings_memory_fkey FOREIGN KEY (namespace, memory_id) REFERENCES pgcortex.memories(namespace, id) ON DELETE CASCADE;

ALTER TABLE ONLY pgcortex.memory_embeddings
    ADD CONSTRAINT memory_embeddings_model_fkey FOREIGN KEY (embedding_model) REFERENCES pgcortex.embedding_models(name);

ALTER TABLE ONLY pgcortex.memory_links
    ADD CONSTRAINT memory_links_source_fkey FOREIGN KEY (namespace, source_id) REFERENCES pgcortex.memories(namespace, id) ON DELETE CASCADE;

ALTER TABLE ONLY pgcortex.memory_links
    ADD CONSTRAINT memory_links_target_fkey FOREIGN KEY (namespace, target_id) REFERENCES pgcortex.memories(namespace, id) ON DELETE CASCADE;

ALTER TABLE ONLY pgcortex.namespace_embedding_models
    ADD CONSTRAINT namespace_embedding_models_model_fkey FOREIGN KEY (embedding_model) REFERENCES pgcortex.embedding_models(name);

ALTER TABLE ONLY pgcortex.namespace_embedding_models
    ADD CONSTRAINT namespace_embedding_models_previous_fkey FOREIGN KEY (previous_model) REFERENCES pgcortex.embedding_models(name);

ALTER TABLE ONLY pgcortex.store_item_vectors
    ADD CONSTRAINT store_item_vectors_item_fkey FOREIGN KEY (namespace, path, key) REFERENCES pgcortex.store_items(namespace, path, key) ON DELETE CASCADE;

ALTER TABLE ONLY pgcortex.store_item_vectors
    ADD CONSTRAINT store_item_vectors_model_fkey FOREIGN KEY (embedding_model) REFERENCES pgcortex.embedding_models(name);

ALTER TABLE ONLY pgcortex.user_preference_history
    ADD CONSTRAINT user_preference_history_memory_fkey FOREIGN KEY (namespace, memory_id) REFERENCES pgcortex.memories(namespace, id) ON DELETE SET NULL (memory_id);

ALTER TABLE ONLY pgcortex.user_preference_history
    ADD CONSTRAINT user_preference_history_session_fkey FOREIGN KEY (namespace, session_id) REFERENCES pgcortex.conversation_sessions(namespace, session_id) ON DELETE SET NULL (session_id);

ALTER TABLE pgcortex.cluster_members ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.cluster_queue ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.conversation_sessions ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.conversation_turns ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.import_ids ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.knowledge_clusters ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.knowledge_settings ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.learning_pattern_evidence ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.learning_patterns ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.memories ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.memory_access ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.memory_access_log ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.memory_embeddings ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.memory_history ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.memory_links ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.memory_term_log ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.memory_term_totals ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.memory_terms ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.namespace_audit ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.namespace_embedding_models ENABLE ROW LEVEL SECURITY;

CREATE POLICY namespace_isolation ON pgcortex.cluster_members USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

CREATE POLICY namespace_isolation ON pgcortex.cluster_queue USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

CREATE POLICY namespace_isolation ON pgcortex.conversation_sessions USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

CREATE POLICY namespace_isolation ON pgcortex.conversation_turns USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

CREATE POLICY namespace_isolation ON pgcortex.import_ids USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

CREATE POLICY namespace_isolation ON pgcortex.knowledge_clusters USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

CREATE POLICY namespace_isolation ON pgcortex.knowledge_settings USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

CREATE POLICY namespace_isolation ON pgcortex.learning_pattern_evidence USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

CREATE POLICY namespace_isolation ON pgcortex.learning_patterns USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

CREATE POLICY namespace_isolation ON pgcortex.memories USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

CREATE POLICY namespace_isolation ON pgcortex.memory_access USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

CREATE POLICY namespace_isolation ON pgcortex.memory_access_log USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

CREATE POLICY namespace_isolation ON pgcortex.memory_embeddings USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

CREATE POLICY namespace_isolation ON pgcortex.memory_history USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

CREATE POLICY namespace_isolation ON pgcortex.memory_links USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

CREATE POLICY namespace_isolation ON pgcortex.memory_term_log USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

CREATE POLICY namespace_isolation ON pgcortex.memory_term_totals USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

CREATE POLICY namespace_isolation ON pgcortex.memory_terms USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

CREATE POLICY namespace_isolation ON pgcortex.namespace_audit USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

CREATE POLICY namespace_isolation ON pgcortex.namespace_embedding_models USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

CREATE POLICY namespace_isolation ON pgcortex.store_item_vectors USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

CREATE POLICY namespace_isolation ON pgcortex.store_items USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

CREATE POLICY namespace_isolation ON pgcortex.user_preference_history USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

CREATE POLICY namespace_isolation ON pgcortex.user_preferences USING ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))) WITH CHECK ((((namespace)::text = current_setting('pgcortex.namespace'::text, true)) AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted)));

ALTER TABLE pgcortex.store_item_vectors ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.store_items ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.user_preference_history ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.user_preferences ENABLE ROW LEVEL SECURITY;
