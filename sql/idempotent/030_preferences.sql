-- name: 030_preferences
-- Knowledge settings of a namespace, and user preferences: upsert with a
-- confidence rule, the history of every change with its source, and reads.
-- Re-applied on every deploy.
-- Parameters are referenced as function_name.param (the house rule), which
-- the linter's RF01 would take for unknown tables.
-- noqa: disable=RF01

-- name: knowledge_settings_row
-- The knowledge rules in force, as knowledge_settings and set_knowledge_settings
-- return them. Re-created on each deploy (only the functions below use it;
-- they are created after it).
drop type if exists pgcortex.knowledge_settings_row cascade;
create type pgcortex.knowledge_settings_row as (
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

comment on type pgcortex.knowledge_settings_row is
'The knowledge rules in force for a namespace: its stored overrides, else the defaults (pgcortex.knowledge_settings()).';

-- name: knowledge_settings
-- The knowledge rules in force for the current namespace: the stored
-- overrides (pgcortex.knowledge_settings), else the defaults written here.
create or replace function pgcortex.knowledge_settings()
returns pgcortex.knowledge_settings_row
language sql
stable
security definer  -- uses knowledge_settings: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
begin atomic
    select
        coalesce(s.turn_memories, true) as turn_memories,
        coalesce(s.turn_memory_min_chars, 50) as turn_memory_min_chars,
        coalesce(s.turn_memory_importance, 2::smallint) as turn_memory_importance,
        coalesce(s.turn_memory_key_importance, 3::smallint) as turn_memory_key_importance,
        coalesce(
            s.turn_memory_key_pattern,
            '\m(strateg|goal|priorit|plan|decision|decid)'
        ) as turn_memory_key_pattern,
        coalesce(s.cluster_similarity, 0.35::real) as cluster_similarity,
        coalesce(s.cluster_merge_similarity, 0.70::real) as cluster_merge_similarity,
        coalesce(s.pattern_min_turns, 5) as pattern_min_turns,
        coalesce(s.pattern_min_term_turns, 3) as pattern_min_term_turns,
        coalesce(s.pattern_min_questions, 3) as pattern_min_questions,
        coalesce(s.pattern_max_topics, 5) as pattern_max_topics,
        coalesce(s.pattern_max_examples, 5) as pattern_max_examples,
        coalesce(s.pattern_active_days, 30) as pattern_active_days
    from (select 1) as one
    left join pgcortex.knowledge_settings as s
        on s.namespace = (select pgcortex.current_namespace());
end;

comment on function pgcortex.knowledge_settings() is
'Knowledge rules in force for the namespace: stored overrides else defaults (turn memories on, > 50 characters, importance 2 or 3 on strategy/goal/priority/plan/decision words; cluster similarity 0.35, merge 0.70; patterns from >= 5 user turns, a term in >= 3 turns, >= 3 questions, 5 topics, 5 examples, active 30 days).';

-- name: set_knowledge_settings
-- Overrides knowledge rules for the current namespace; a null argument keeps
-- the current value, reset => true first drops every override. Returns the
-- rules now in force (one call for the client).
create or replace function pgcortex.set_knowledge_settings(
    turn_memories boolean default null,
    turn_memory_min_chars integer default null,
    turn_memory_importance smallint default null,
    turn_memory_key_importance smallint default null,
    turn_memory_key_pattern text default null,
    cluster_similarity real default null,
    cluster_merge_similarity real default null,
    pattern_min_turns integer default null,
    pattern_min_term_turns integer default null,
    pattern_min_questions integer default null,
    pattern_max_topics integer default null,
    pattern_max_examples integer default null,
    pattern_active_days integer default null,
    reset boolean default false
)
returns pgcortex.knowledge_settings_row
language plpgsql
volatile
security definer  -- uses knowledge_settings: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex.set_knowledge_settings(
    boolean, integer, smallint, smallint, text, real, real, integer, integer, integer,
    integer, integer, integer, boolean
) is
'Stores overrides of the knowledge rules for the namespace (null keeps the current value; reset => true drops all overrides first) and returns the rules now in force, as pgcortex.knowledge_settings() does. PC004 when a value is out of range, PC003 for a bad regular expression.';

-- name: learn_user_preference
-- Upserts a preference. Rule: a value offered with confidence at least the
-- held one replaces it; a lower-confidence offer of a different value does not
-- (the held value and confidence stay); a lower-confidence offer of the same
-- value changes nothing. Every offer is kept in user_preference_history with
-- its source and whether it was applied.
create or replace function pgcortex.learn_user_preference(
    key text,
    value jsonb,
    confidence real default 1.0,
    source text default 'conversation',
    session_id uuid default null,
    memory_id uuid default null,
    as_of timestamptz default pg_catalog.now()
)
returns table (
    preference_key text,
    held_value jsonb,
    held_confidence real,
    held_source text,
    applied boolean,
    previous_value jsonb,
    previous_confidence real,
    created_at timestamptz,
    updated_at timestamptz
)
language plpgsql
volatile
security definer  -- uses conversation_sessions, memories, user_preferences: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex.learn_user_preference(text, jsonb, real, text, uuid, uuid, timestamptz) is
'Upserts a user preference (any JSON value). An offer whose confidence is >= the held confidence replaces the value; a lower-confidence offer never overwrites (applied = false). Every offer is recorded in user_preference_history with its source, session and memory. PC003 bad key/value/source, PC004 confidence outside 0..1, PC030 unknown session or memory.';

-- name: get_user_preferences
-- All preferences of the namespace, or those whose key contains the category
-- (case-insensitive), by key.
create or replace function pgcortex.get_user_preferences(category text default null)
returns table (
    key text,
    value jsonb,
    confidence real,
    source text,
    created_at timestamptz,
    updated_at timestamptz
)
language sql
stable
security definer  -- uses user_preferences: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
begin atomic
    select
        p.key,
        p.value,
        p.confidence,
        p.source,
        p.created_at,
        p.updated_at
    from pgcortex.user_preferences as p
    where
        p.namespace = (select pgcortex.current_namespace())
        and (
            get_user_preferences.category is null
            or pg_catalog.strpos(pg_catalog.lower(p.key), pg_catalog.lower(get_user_preferences.category)) > 0
        )
    order by p.key;
end;

comment on function pgcortex.get_user_preferences(text) is
'Preferences of the namespace (key, value, confidence, source), all or those whose key contains category (case-insensitive), ordered by key.';

-- name: get_preference_history
-- The offers made for one key (or every key), newest first.
create or replace function pgcortex.get_preference_history(
    key text default null,
    max_results integer default 100
)
returns table (
    change_id bigint,
    preference_key text,
    value jsonb,
    confidence real,
    source text,
    session_id uuid,
    memory_id uuid,
    applied boolean,
    previous_value jsonb,
    previous_confidence real,
    changed_at timestamptz
)
language sql
stable
security definer  -- uses user_preference_history: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
begin atomic
    select
        h.change_id,
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
    from pgcortex.user_preference_history as h
    where
        h.namespace = (select pgcortex.current_namespace())
        and (get_preference_history.key is null or h.key = get_preference_history.key)
    order by h.change_id desc
    limit greatest(coalesce(get_preference_history.max_results, 100), 0);
end;

comment on function pgcortex.get_preference_history(text, integer) is
'History of preference offers (value, confidence, source, session, memory, applied or not, what was held before), newest first.';
