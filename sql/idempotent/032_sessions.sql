-- name: 032_sessions
-- Conversation sessions and turns: start, add turns (the database keeps
-- message_count; substantial turns become conversation memories), end with a
-- summary and computed topics, and the recent turns as context.
-- Re-applied on every deploy.
-- Parameters are referenced as function_name.param (the house rule), which
-- the linter's RF01 would take for unknown tables.
-- noqa: disable=RF01

-- name: session_row
-- The row every session function returns: a session without its namespace.
-- Re-created on each deploy (only the functions below use it; they are created
-- after it).
drop type if exists pgcortex.session_row cascade;
create type pgcortex.session_row as (
    session_id uuid,
    started_at timestamptz,
    ended_at timestamptz,
    message_count integer,
    topics text [],
    summary text,
    importance real,
    metadata jsonb,
    duration_seconds integer
);

comment on type pgcortex.session_row is
'A conversation session as the API returns it (start_session, end_session, list_sessions): pgcortex.conversation_sessions without the namespace.';

-- name: start_session
-- Opens a conversation session at as_of.
create or replace function pgcortex.start_session(
    metadata jsonb default '{}',
    as_of timestamptz default pg_catalog.now()
)
returns pgcortex.session_row
language plpgsql
volatile
security definer  -- uses conversation_sessions: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex.start_session(jsonb, timestamptz) is
'Opens a conversation session (started_at = as_of) and returns it. PC023 when metadata is not a JSON object.';

-- name: conversation_turn_memory
-- The original memory module's rule, in SQL: a turn longer than turn_memory_min_chars becomes a
-- conversation memory of importance turn_memory_importance, or
-- turn_memory_key_importance when it matches turn_memory_key_pattern, tagged
-- 'conversation' and its role. Returns the memory id, or null when the turn is
-- not substantial or turn memories are switched off for the namespace.
create or replace function pgcortex_internal.conversation_turn_memory(
    role text,
    content text,
    session_id uuid,
    embedding public.vector,
    embedding_model text,
    as_of timestamptz
)
returns uuid
language plpgsql
volatile
security invoker  -- calls only API functions, which hold the rights they need
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex_internal.conversation_turn_memory(text, text, uuid, public.vector, text, timestamptz) is
'Stores a substantial conversation turn as a conversation memory through pgcortex.store_memory (rule and switch in pgcortex.knowledge_settings()); returns its id or null.';

-- name: store_conversation_turn
-- Adds a turn to a session (or to the namespace when session_id is null) and
-- counts it in the session's message_count. A turn longer than
-- turn_memory_min_chars also becomes a conversation memory (see
-- pgcortex.knowledge_settings()), linked by conversation_turns.memory_id.
create or replace function pgcortex.store_conversation_turn(
    role text,
    content text,
    session_id uuid default null,
    context jsonb default '{}',
    embedding public.vector default null,
    embedding_model text default null,
    as_of timestamptz default pg_catalog.now()
)
returns table (
    turn_id bigint,
    message_count integer,
    memory_id uuid,
    created_at timestamptz
)
language plpgsql
volatile
security definer  -- uses conversation_sessions, conversation_turns: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex.store_conversation_turn(
    text, text, uuid, jsonb, public.vector, text, timestamptz
) is
'Adds a conversation turn (role user/assistant/system/tool) to a session, or to the namespace when session_id is null, and returns its id, the session''s message_count and the conversation memory it became (if substantial: see pgcortex.knowledge_settings()). PC003 bad role, PC020 bad content, PC023 context not an object, PC030 unknown session, PC031 session ended, PC032 turn before the session started.';

-- name: end_session
-- Ends a session at as_of with a summary and importance; its topics are the
-- terms found in the most of its turns.
create or replace function pgcortex.end_session(
    session_id uuid,
    summary text default null,
    importance real default null,
    max_topics integer default 5,
    as_of timestamptz default pg_catalog.now()
)
returns pgcortex.session_row
language plpgsql
volatile
security definer  -- uses conversation_sessions, conversation_turns: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex.end_session(uuid, text, real, integer, timestamptz) is
'Ends a session at as_of with a summary and importance (0..1); topics = the max_topics terms found in the most of its turns. duration_seconds follows (generated). PC030 unknown session, PC031 already ended, PC032 as_of before started_at, PC004 importance outside 0..1.';

-- name: get_conversation_context
-- The last max_turns turns of a session (or of the namespace), oldest first.
create or replace function pgcortex.get_conversation_context(
    session_id uuid default null,
    max_turns integer default 10
)
returns setof pgcortex.conversation_turn_result
language sql
stable
security definer  -- uses conversation_turns: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
begin atomic
    select
        r.turn_id,
        r.session_id,
        r.role,
        r.content,
        r.context,
        r.memory_id,
        r.created_at
    from (
        select
            t.turn_id,
            t.session_id,
            t.role,
            t.content,
            t.context,
            t.memory_id,
            t.created_at
        from pgcortex.conversation_turns as t
        where
            t.namespace = (select pgcortex.current_namespace())
            and (get_conversation_context.session_id is null or t.session_id = get_conversation_context.session_id)
        order by t.created_at desc, t.turn_id desc
        limit greatest(coalesce(get_conversation_context.max_turns, 10), 0)
    ) as r
    order by r.created_at, r.turn_id;
end;

comment on function pgcortex.get_conversation_context(uuid, integer) is
'The last max_turns conversation turns of a session, or of the whole namespace when session_id is null, in conversation order (oldest first).';

-- name: list_sessions
-- Sessions of the namespace, newest first.
create or replace function pgcortex.list_sessions(
    open_only boolean default false,
    max_results integer default 20
)
returns setof pgcortex.session_row
language sql
stable
security definer  -- uses conversation_sessions: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
begin atomic
    select
        s.session_id,
        s.started_at,
        s.ended_at,
        s.message_count,
        s.topics,
        s.summary,
        s.importance,
        s.metadata,
        s.duration_seconds
    from pgcortex.conversation_sessions as s
    where
        s.namespace = (select pgcortex.current_namespace())
        and (not list_sessions.open_only or s.ended_at is null)
    order by s.started_at desc, s.session_id desc
    limit greatest(coalesce(list_sessions.max_results, 20), 0);
end;

comment on function pgcortex.list_sessions(boolean, integer) is
'Conversation sessions of the namespace (all, or open ones only), newest first, with message_count, topics, summary and duration_seconds.';
