-- name: 060_integrations
-- Agent framework sessions over conversation sessions and turns: a session
-- addressed by a caller's key (the key is kept in the session's metadata as
-- session_key), its items stored as turns with the exact JSON text of each item,
-- read back newest N in order, popped and cleared. An item's text becomes the
-- turn's searchable content; user and assistant messages become conversation
-- turns in the full sense (substantial ones become conversation memories).
-- Re-applied on every deploy.
-- Parameters are referenced as function_name.param (the house rule), which
-- the linter's RF01 would take for unknown tables.
-- noqa: disable=RF01

-- name: session_item_text
-- The readable text of an item's content value: a string as it is, the text,
-- refusal or transcript of each part of an array (one per line), of an object.
create or replace function pgcortex_internal.session_item_text(value jsonb)
returns text
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
begin atomic
    select case pg_catalog.jsonb_typeof(session_item_text.value)
        when 'string' then session_item_text.value #>> '{}'
        when 'object'
            then coalesce(
                    session_item_text.value ->> 'text',
                    session_item_text.value ->> 'refusal',
                    session_item_text.value ->> 'transcript'
                )
        when 'array' then (
            select pg_catalog.string_agg(x.part, e'\n' order by x.ord)
            from (
                select
                    e.ord,
                    case pg_catalog.jsonb_typeof(e.value)
                        when 'string' then e.value #>> '{}'
                        when 'object' then coalesce(
                                e.value ->> 'text', e.value ->> 'refusal', e.value ->> 'transcript'
                            )
                    end as part
                from pg_catalog.jsonb_array_elements(session_item_text.value)
                    with ordinality as e (value, ord)
            ) as x
            where x.part is not null
        )
    end;
end;

comment on function pgcortex_internal.session_item_text(jsonb) is
'The readable text of an agent item''s content value: a string as it is; for an array, the text, refusal or transcript of each part, one per line; null when there is none.';

-- name: session_item_turn
-- How an agent item (an OpenAI Responses input item: a message, a tool call, a
-- tool output, a reasoning item) is kept as a conversation turn: its role, its
-- searchable content and whether it is conversation (a user or assistant
-- message with text, which may become a conversation memory).
create or replace function pgcortex_internal.session_item_turn(item jsonb)
returns table (role text, content text, conversational boolean)
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
begin atomic
    select
        case
            when x.kind = 'message' and x.item_role in ('user', 'assistant') then x.item_role
            when x.kind = 'message' then 'system'
            when x.kind like '%\_output' then 'tool'
            else 'assistant'
        end as role,
        pg_catalog.left(coalesce(x.body, '[' || x.kind || ']'), 100000) as content,
        x.kind = 'message' and x.item_role in ('user', 'assistant') and x.body is not null
            as conversational
    from (
        select
            y.kind,
            y.item_role,
            nullif(pg_catalog.btrim(y.body, e' \t\r\n'), '') as body
        from (
            select
                coalesce(session_item_turn.item ->> 'type', 'message') as kind,
                session_item_turn.item ->> 'role' as item_role,
                case
                    when coalesce(session_item_turn.item ->> 'type', 'message') = 'message'
                        then pgcortex_internal.session_item_text(session_item_turn.item -> 'content')
                    when session_item_turn.item ? 'output'
                        then coalesce(
                                pgcortex_internal.session_item_text(session_item_turn.item -> 'output'),
                                (session_item_turn.item -> 'output')::text
                            )
                    when session_item_turn.item ->> 'type' = 'reasoning'
                        then pgcortex_internal.session_item_text(session_item_turn.item -> 'summary')
                    when session_item_turn.item ? 'name'
                        then (session_item_turn.item ->> 'name') || ': ' || coalesce(
                                session_item_turn.item ->> 'arguments',
                                session_item_turn.item ->> 'input',
                                ''
                            )
                end as body
        ) as y
    ) as x;
end;

comment on function pgcortex_internal.session_item_turn(jsonb) is
'How an agent item is kept as a conversation turn: role (user and assistant messages keep theirs, system and developer messages are system, tool outputs are tool, tool calls and reasoning are assistant), content (the item''s text, at most 100000 characters; [type] when it has none) and conversational (a user or assistant message with text: it may become a conversation memory).';

-- name: session_item_jsonb
-- An item as jsonb for reading its role and text. JSON text that jsonb cannot
-- hold (a \u0000 escape, a lone surrogate) has those escapes read as U+FFFD;
-- the item itself is always kept as its exact text.
create or replace function pgcortex_internal.session_item_jsonb(item json)
returns jsonb
language plpgsql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex_internal.session_item_jsonb(json) is
'An agent item as jsonb, to read its role and text: escapes jsonb cannot hold (\u0000, lone surrogates) read as U+FFFD. The stored item keeps its exact text.';

-- name: check_session_items
-- Raises PC023 unless items is a JSON array of objects; returns its length.
create or replace function pgcortex_internal.check_session_items(items json)
returns integer
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex_internal.check_session_items(json) is
'Returns the number of items; PC023 unless items is a JSON array of objects.';

-- name: session_item_turns
-- The turns a batch of items would become, in order: for a client that embeds
-- the conversational ones before it stores them.
create or replace function pgcortex.session_item_turns(items json)
returns table (ordinality integer, role text, content text, conversational boolean)
language plpgsql
immutable
security definer  -- calls pgcortex_internal.session_item_turn: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex.session_item_turns(json) is
'The turn each item of a JSON array would become (see pgcortex_internal.session_item_turn), in order; PC023 unless items is an array of objects.';

-- name: check_session_key
-- Raises PC003 unless the key has 1 to 256 characters, not all blank.
create or replace function pgcortex_internal.check_session_key(session_key text)
returns text
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex_internal.check_session_key(text) is
'Returns the key; PC003 unless it has 1 to 256 characters, not all blank.';

-- name: session_by_key
-- The session of the namespace whose metadata names this key (the latest
-- started, should several), or null.
create or replace function pgcortex.session_by_key(session_key text)
returns uuid
language sql
stable
security definer  -- reads conversation_sessions: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
begin atomic
    select s.session_id
    from pgcortex.conversation_sessions as s
    where
        s.namespace = (select pgcortex.current_namespace())
        and s.metadata ? 'session_key'
        and s.metadata ->> 'session_key' = session_by_key.session_key
    order by s.started_at desc, s.session_id desc
    limit 1;
end;

comment on function pgcortex.session_by_key(text) is
'The id of the session of the current namespace whose metadata has this session_key (the latest started when several do), or null.';

-- name: add_session_items
-- Appends items to the session of a key (started at as_of when the key has
-- none), one turn per item, in order, in one transaction. Each turn keeps the
-- item's exact JSON text in context.session_item; conversational items (see
-- pgcortex_internal.session_item_turn) may become conversation memories, with the
-- embedding given at the same position of embeddings.
create or replace function pgcortex.add_session_items(
    session_key text,
    items json,
    embeddings public.vector[] default null,
    embedding_model text default null,
    as_of timestamptz default pg_catalog.now()
)
returns table (ordinality integer, turn_id bigint, memory_id uuid, session_id uuid)
language plpgsql
volatile
security definer  -- writes conversation_sessions, conversation_turns: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex.add_session_items(text, json, public.vector[], text, timestamptz) is
'Appends agent items (a JSON array of objects) to the session whose metadata has this session_key, starting one at as_of when there is none: one conversation turn per item, in order, keeping the item''s exact JSON text in context.session_item (see pgcortex_internal.session_item_turn for role and content). User and assistant messages with text may become conversation memories, with embeddings[i] (of embedding_model) for item i. Returns one row per item. PC003 bad key or embeddings, PC023 items not an array of objects, PC031 session ended, PC032 as_of before the session started.';

-- name: get_session_items
-- The items of the session of a key: the newest max_items (all when null), in
-- the order they were added.
create or replace function pgcortex.get_session_items(
    session_key text,
    max_items integer default null
)
returns table (turn_id bigint, role text, item json, created_at timestamptz)
language plpgsql
stable
security definer  -- reads conversation_turns: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex.get_session_items(text, integer) is
'The items of the session whose metadata has this session_key: the newest max_items (all when null) in the order they were added, each as its exact stored JSON (a turn stored without one reads as {"role", "content"}). No rows when the key has no session. PC003 bad key, PC004 negative max_items.';

-- name: pop_session_item
-- Removes the last item (turn) of the session of a key and returns it; no row
-- when the session is empty or missing.
create or replace function pgcortex.pop_session_item(session_key text)
returns table (turn_id bigint, role text, item json, created_at timestamptz)
language plpgsql
volatile
security definer  -- deletes from conversation_turns: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex.pop_session_item(text) is
'Removes the last item (turn) of the session whose metadata has this session_key and returns it as pgcortex.get_session_items would; no row when there is none. A conversation memory the turn became stays (forget it with pgcortex.delete_memory). PC003 bad key, PC031 session ended.';

-- name: clear_session_items
-- Removes every item (turn) of the session of a key; returns how many.
create or replace function pgcortex.clear_session_items(session_key text)
returns integer
language plpgsql
volatile
security definer  -- deletes from conversation_turns: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex.clear_session_items(text) is
'Removes every item (turn) of the session whose metadata has this session_key and returns how many; the session stays, empty. Conversation memories its turns became stay (forget them with pgcortex.delete_memories). PC003 bad key, PC031 session ended.';
