-- name: 034_context
-- The context bundle an agent puts in its prompt (one call, one JSON
-- document) and the summary of what a namespace knows (a view for DBAs and a
-- function for the client).
-- Re-applied on every deploy.
-- Parameters are referenced as function_name.param (the house rule), which
-- the linter's RF01 would take for unknown tables.
-- noqa: disable=RF01

-- name: get_contextual_knowledge
-- The original memory module's contextual knowledge for a query, as one JSON document.
create or replace function pgcortex.get_contextual_knowledge(
    query text default null,
    query_embedding public.vector default null,
    embedding_model text default null,
    session_id uuid default null,
    max_memories integer default 15,
    max_turns integer default 5,
    max_clusters integer default 5,
    max_patterns integer default 10,
    min_relevance real default null,
    cluster_min_relevance real default 0.3,
    track boolean default true,
    as_of timestamptz default pg_catalog.now()
)
returns jsonb
language plpgsql
volatile
security definer  -- uses conversation_sessions: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex.get_contextual_knowledge(
    text, public.vector, text, uuid, integer, integer, integer, integer, real, real, boolean,
    timestamptz
) is
'One JSON document with what an agent needs for a query: memories (top max_memories by pgcortex.search_memories, accesses counted unless track is false), preferences (key -> value, confidence, source), recent_turns (last max_turns of the session or namespace, oldest first), clusters (relevant to the query, see get_knowledge_clusters), patterns (active, strongest first) and counts of each. PC003 with neither query nor embedding, PC004 limits outside 0..1000, PC030 unknown session; the search''s own codes (PC010, PC011, PC012) pass through.';

-- name: memory_summary_v
-- What the current namespace knows, in one row. The view runs with its
-- owner's rights: the tables whose row-level security is forced limit
-- themselves, pgcortex.memories (enabled, not forced) is limited here.
create or replace view pgcortex.memory_summary_v with (security_barrier) as
with namespaces as (
    select m.namespace from pgcortex.memories as m
    where m.namespace = (select pgcortex.current_namespace())
    union
    select p.namespace from pgcortex.user_preferences as p
    union
    select s.namespace from pgcortex.conversation_sessions as s
    union
    select t.namespace from pgcortex.conversation_turns as t
    union
    select l.namespace from pgcortex.learning_patterns as l
    union
    select c.namespace from pgcortex.knowledge_clusters as c
),

live as (
    select
        m.namespace,
        m.id,
        m.content,
        m.memory_type,
        m.importance,
        m.embedding_model,
        m.created_at
    from pgcortex.memories as m
    where
        m.namespace = (select pgcortex.current_namespace())
        and (m.expires_at is null or m.expires_at > pg_catalog.now())
)

select
    n.namespace::text as namespace,
    (
        select count(*) from live as m
        where m.namespace = n.namespace
    ) as memories,
    (
        select coalesce(pg_catalog.jsonb_object_agg(x.memory_type, x.n order by x.memory_type), '{}')
        from (
            select
                m.memory_type,
                count(*) as n
            from live as m
            where m.namespace = n.namespace
            group by m.memory_type
        ) as x
    ) as memories_by_type,
    (
        select count(*) from live as m
        where m.namespace = n.namespace and m.embedding_model is not null
    ) as memories_with_embedding,
    (
        select count(*) from pgcortex.user_preferences as p
        where p.namespace = n.namespace
    ) as preferences,
    (
        select count(*) from pgcortex.knowledge_clusters as c
        where c.namespace = n.namespace
    ) as clusters,
    (
        select count(*) from pgcortex.learning_patterns as l
        where l.namespace = n.namespace
    ) as patterns,
    (
        select count(*) from pgcortex.conversation_sessions as s
        where s.namespace = n.namespace
    ) as sessions,
    (
        select count(*) from pgcortex.conversation_sessions as s
        where s.namespace = n.namespace and s.ended_at is null
    ) as open_sessions,
    (
        select round(avg(s.duration_seconds), 1) from pgcortex.conversation_sessions as s
        where s.namespace = n.namespace
    ) as avg_session_seconds,
    (
        select count(*) from pgcortex.conversation_turns as t
        where t.namespace = n.namespace
    ) as turns,
    (
        select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(x) order by x.access_count desc, x.id asc), '[]')
        from (
            select
                m.id,
                pg_catalog.left(m.content, 200) as content,
                m.memory_type,
                m.importance,
                coalesce(a.access_count, 0) + coalesce(g.pending, 0) as access_count,
                greatest(a.last_accessed, g.last_accessed) as last_accessed
            from live as m
            left join pgcortex.memory_access as a on m.namespace = a.namespace and m.id = a.memory_id
            left join pgcortex_internal.pending_accesses() as g on m.id = g.memory_id
            where m.namespace = n.namespace and (a.memory_id is not null or g.pending > 0)
            order by access_count desc, m.id asc
            limit 5
        ) as x
    ) as most_accessed,
    (
        select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(x) order by x.importance desc, x.created_at desc, x.id asc), '[]')
        from (
            select
                m.id,
                pg_catalog.left(m.content, 200) as content,
                m.memory_type,
                m.importance,
                m.created_at
            from live as m
            where m.namespace = n.namespace
            order by m.importance desc, m.created_at desc, m.id asc
            limit 5
        ) as x
    ) as most_important
from namespaces as n;

comment on view pgcortex.memory_summary_v is
'One row per namespace: unexpired memories (total, by type, with embedding), preferences, clusters (as clustered so far: memories still in pgcortex.cluster_queue count once a cluster read clusters them), patterns, sessions (total, open, average duration in seconds of ended ones), turns, and the five most accessed and five most important memories (JSON). Only the namespace set for the session (pgcortex.namespace), for every role.';

-- name: get_memory_summary
-- The summary of the current namespace (zeros when it knows nothing yet).
create or replace function pgcortex.get_memory_summary()
returns setof pgcortex.memory_summary_v
language sql
volatile
security definer  -- reads pgcortex.memory_summary_v over tables pgcortex_app may not read
set search_path = pg_catalog, pg_temp
begin atomic
    -- The clusters count the memories queued for clustering (volatile for
    -- this: a read-only transaction reads the clusters as they are).
    select pgcortex_internal.cluster_pending();

    select v.*
    from pgcortex.memory_summary_v as v
    where v.namespace = (select pgcortex.current_namespace())
    union all
    select
        pgcortex.current_namespace() as namespace,
        0 as memories,
        '{}'::jsonb as memories_by_type,
        0 as memories_with_embedding,
        0 as preferences,
        0 as clusters,
        0 as patterns,
        0 as sessions,
        0 as open_sessions,
        null::numeric as avg_session_seconds,
        0 as turns,
        '[]'::jsonb as most_accessed,
        '[]'::jsonb as most_important
    where not exists (
            select from pgcortex.memory_summary_v as v
            where v.namespace = (select pgcortex.current_namespace())
        );
end;

comment on function pgcortex.get_memory_summary() is
'The namespace''s row of pgcortex.memory_summary_v (memories by type, preferences, clusters, patterns, sessions and average duration, turns, most accessed and most important memories); a row of zeros when the namespace is empty. Clusters the queued memories first (pgcortex_internal.cluster_pending), so the count of clusters includes them.';
