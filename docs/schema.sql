CREATE SCHEMA pgcortex;

COMMENT ON SCHEMA pgcortex IS 'pgcortex: long-term memory for AI agents. Tables, views and the SQL API live here.';

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

CREATE FUNCTION pgcortex.new_id() RETURNS uuid
    LANGUAGE sql PARALLEL SAFE
    SET search_path TO ''
    RETURN uuidv7();

COMMENT ON FUNCTION pgcortex.new_id() IS 'A new time-ordered (version 7 layout) uuid: the default of every id column.';

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

ALTER TABLE ONLY pgcortex.memory_access
    ADD CONSTRAINT memory_access_pkey PRIMARY KEY (namespace, memory_id);

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

CREATE INDEX memories_embedding_hnsw_idx ON pgcortex.memories USING hnsw (embedding public.vector_cosine_ops) WITH (m='16', ef_construction='64');

CREATE INDEX memories_metadata_gin_idx ON pgcortex.memories USING gin (metadata jsonb_path_ops);

CREATE INDEX memories_namespace_created_at_idx ON pgcortex.memories USING btree (namespace, created_at);

CREATE INDEX memories_namespace_expires_at_idx ON pgcortex.memories USING btree (namespace, expires_at) WHERE (expires_at IS NOT NULL);

CREATE INDEX memories_namespace_type_importance_idx ON pgcortex.memories USING btree (namespace, memory_type, importance);

CREATE INDEX memories_tags_gin_idx ON pgcortex.memories USING gin (tags);

CREATE INDEX memory_links_target_idx ON pgcortex.memory_links USING btree (namespace, target_id);

CREATE INDEX namespace_audit_namespace_at_idx ON pgcortex.namespace_audit USING btree (namespace, at);

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

ALTER TABLE pgcortex.memory_links ENABLE ROW LEVEL SECURITY;

ALTER TABLE pgcortex.namespace_audit ENABLE ROW LEVEL SECURITY;

CREATE POLICY namespace_isolation ON pgcortex.cluster_members USING (((namespace)::text = current_setting('pgcortex.namespace'::text, true))) WITH CHECK (((namespace)::text = current_setting('pgcortex.namespace'::text, true)));

CREATE POLICY namespace_isolation ON pgcortex.conversation_sessions USING (((namespace)::text = current_setting('pgcortex.namespace'::text, true))) WITH CHECK (((namespace)::text = current_setting('pgcortex.namespace'::text, true)));

CREATE POLICY namespace_isolation ON pgcortex.conversation_turns USING (((namespace)::text = current_setting('pgcortex.namespace'::text, true))) WITH CHECK (((namespace)::text = current_setting('pgcortex.namespace'::text, true)));

CREATE POLICY namespace_isolation ON pgcortex.knowledge_clusters USING (((namespace)::text = current_setting('pgcortex.namespace'::text, true))) WITH CHECK (((namespace)::text = current_setting('pgcortex.namespace'::text, true)));

CREATE POLICY namespace_isolation ON pgcortex.learning_patterns USING (((namespace)::text = current_setting('pgcortex.namespace'::text, true))) WITH CHECK (((namespace)::text = current_setting('pgcortex.namespace'::text, true)));

CREATE POLICY namespace_isolation ON pgcortex.memories USING (((namespace)::text = current_setting('pgcortex.namespace'::text, true))) WITH CHECK (((namespace)::text = current_setting('pgcortex.namespace'::text, true)));

CREATE POLICY namespace_isolation ON pgcortex.memory_access USING (((namespace)::text = current_setting('pgcortex.namespace'::text, true))) WITH CHECK (((namespace)::text = current_setting('pgcortex.namespace'::text, true)));

CREATE POLICY namespace_isolation ON pgcortex.memory_links USING (((namespace)::text = current_setting('pgcortex.namespace'::text, true))) WITH CHECK (((namespace)::text = current_setting('pgcortex.namespace'::text, true)));

CREATE POLICY namespace_isolation ON pgcortex.namespace_audit USING (((namespace)::text = current_setting('pgcortex.namespace'::text, true))) WITH CHECK (((namespace)::text = current_setting('pgcortex.namespace'::text, true)));

CREATE POLICY namespace_isolation ON pgcortex.user_preferences USING (((namespace)::text = current_setting('pgcortex.namespace'::text, true))) WITH CHECK (((namespace)::text = current_setting('pgcortex.namespace'::text, true)));

ALTER TABLE pgcortex.user_preferences ENABLE ROW LEVEL SECURITY;
