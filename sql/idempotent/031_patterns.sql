-- name: 031_patterns
-- Learning patterns: recorded with evidence (so nothing is counted twice),
-- detected in SQL from the user's turns, and read back.
-- Re-applied on every deploy.
-- Parameters are referenced as function_name.param (the house rule), which
-- the linter's RF01 would take for unknown tables.
-- noqa: disable=RF01

-- name: is_topic_term
-- Whether a lexeme of the english configuration can be a topic: at least three
-- characters, not a number, not a conversational filler word. The english
-- configuration has already dropped the ordinary stop words.
create or replace function pgcortex_internal.is_topic_term(term text)
returns boolean
language sql
immutable
strict
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
return
pg_catalog.length(term) >= 3
and term !~ '^[0-9]'
and term !~ '^[[:punct:]]'
and term <> all('{
        also,anyth,can,could,did,do,doe,els,even,get,give,go,good,got,hello,help,
        hey,just,know,let,like,look,lot,make,mani,mayb,much,need,now,okay,one,
        pleas,realli,right,said,say,see,someth,still,sure,take,tell,thank,thing,
        think,tri,use,want,way,well,whi,will,would,yeah,yes
    }'::text[]);

comment on function pgcortex_internal.is_topic_term(text) is
'True when an english lexeme may be a topic: >= 3 characters, not a number, not a filler word (like, want, need, think, please, thanks, ... as stems). Ordinary stop words never reach it: the english configuration drops them.';

-- name: term_surface
-- The word, as written most often in texts, whose english stem is term (the
-- term itself when none is found): shows "pricing" rather than "price".
create or replace function pgcortex_internal.term_surface(term text, texts text[])
returns text
language sql
stable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
begin atomic
    select coalesce((
        select w.word
        from unnest(term_surface.texts) as x (txt)
        cross join lateral pg_catalog.regexp_split_to_table(pg_catalog.lower(x.txt), '[^[:alnum:]]+') as w (word)
        where (pg_catalog.ts_lexize('english_stem'::regdictionary, w.word))[1] = term_surface.term
        group by w.word
        order by count(*) desc, w.word
        limit 1
    ), term_surface.term);
end;

comment on function pgcortex_internal.term_surface(text, text[]) is
'The most frequent word of texts whose english stem is term (else term): turns a lexeme back into a readable word.';

-- name: top_terms
-- The k terms found in the most documents of a set of full-text vectors
-- (document frequency, as ts_stat's ndoc), filler words excluded.
create or replace function pgcortex_internal.top_terms(docs tsvector[], k integer, min_docs integer default 1)
returns text[]
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
begin atomic
    select coalesce(pg_catalog.array_agg(x.lexeme order by x.ndoc desc, x.nentry desc, x.lexeme asc), '{}')
    from (
        select
            l.lexeme,
            count(distinct d.ord) as ndoc,
            count(*) as nentry
        from unnest(top_terms.docs) with ordinality as d (doc, ord)
        cross join lateral unnest(d.doc) as l
        where pgcortex_internal.is_topic_term(l.lexeme)
        group by l.lexeme
        having count(distinct d.ord) >= top_terms.min_docs
        order by ndoc desc, nentry desc, l.lexeme asc
        limit greatest(top_terms.k, 0)
    ) as x;
end;

comment on function pgcortex_internal.top_terms(tsvector[], integer, integer) is
'The k lexemes present in the most of docs (at least min_docs), filler words excluded; ties by occurrences then alphabetically.';

-- name: learning_pattern_row
-- A pattern of the current namespace as a learning_pattern_result.
create or replace function pgcortex_internal.learning_pattern_row(pattern_id uuid, new_evidence integer)
returns pgcortex.learning_pattern_result
language sql
stable
security definer  -- uses learning_pattern_evidence, learning_patterns: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
begin atomic
    select
        p.pattern_id,
        p.pattern_type,
        p.description,
        p.frequency,
        p.confidence,
        p.examples,
        (
            select count(*)::integer from pgcortex.learning_pattern_evidence as e
            where e.namespace = p.namespace and e.pattern_id = p.pattern_id
        ) as evidence_count,
        learning_pattern_row.new_evidence,
        p.discovered_at,
        p.updated_at
    from pgcortex.learning_patterns as p
    where
        p.namespace = (select pgcortex.current_namespace())
        and p.pattern_id = learning_pattern_row.pattern_id;
end;

comment on function pgcortex_internal.learning_pattern_row(uuid, integer) is
'One learning pattern of the namespace as pgcortex.learning_pattern_result (internal helper of the pattern functions).';

-- name: record_learning_pattern
-- The one writer of learning_patterns: upserts by (type, description) and adds
-- the evidence not yet linked. Only new evidence changes the pattern:
-- frequency += pieces of new evidence; confidence becomes the
-- frequency-weighted mean (old x old frequency + given x new) / new frequency;
-- the given examples go first in the list of distinct examples, which keeps the
-- max_examples most recent.
create or replace function pgcortex_internal.record_learning_pattern(
    pattern_type text,
    description text,
    confidence real,
    examples text[],
    evidence_keys text[],
    evidence_sessions uuid[],
    evidence_memories uuid[],
    evidence_turns bigint[],
    max_examples integer,
    as_of timestamptz
)
returns pgcortex.learning_pattern_result
language plpgsql
volatile
security definer  -- uses learning_patterns: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex_internal.record_learning_pattern(
    text, text, real, text[], text[], uuid[], uuid[], bigint[], integer, timestamptz
) is
'Internal writer of learning patterns: upsert by (type, description) counting only evidence not yet linked (frequency += new evidence, confidence = frequency-weighted mean, examples = most recent distinct, bounded).';

-- name: store_learning_pattern
-- Records one observation of a pattern. Its evidence is evidence_key if given,
-- else the memory, else the session it came from, else the call itself (always
-- new). Evidence already counted for the pattern changes nothing.
create or replace function pgcortex.store_learning_pattern(
    pattern_type text,
    description text,
    example text default null,
    confidence real default 0.5,
    session_id uuid default null,
    memory_id uuid default null,
    evidence_key text default null,
    as_of timestamptz default pg_catalog.now()
)
returns pgcortex.learning_pattern_result
language plpgsql
volatile
security definer  -- uses conversation_sessions, memories: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex.store_learning_pattern(
    text, text, text, real, uuid, uuid, text, timestamptz
) is
'Records an observation of a learning pattern (upsert by type and description). Evidence = evidence_key, else the memory, else the session, else the call; evidence already linked changes nothing (new_evidence = 0). Frequency counts evidence; confidence is the frequency-weighted mean of the confidences reported; examples keep the most recent distinct ones (pattern_max_examples). PC022 unknown type, PC003 bad description, PC004 confidence outside 0..1, PC030 unknown session or memory.';

-- name: identify_learning_patterns
-- Detects patterns in the user's turns of one session (or of the namespace):
-- terms found in at least min_term_turns turns become `preference` patterns
-- ("user frequently discusses <term>"), at least min_questions questions a
-- `workflow` pattern ("user asks many questions"). Each turn is evidence once.
create or replace function pgcortex.identify_learning_patterns(
    session_id uuid default null,
    min_turns integer default null,
    min_term_turns integer default null,
    min_questions integer default null,
    max_topics integer default null,
    as_of timestamptz default pg_catalog.now()
)
returns setof pgcortex.learning_pattern_result
language plpgsql
volatile
security definer  -- uses conversation_sessions, conversation_turns: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex.identify_learning_patterns(
    uuid, integer, integer, integer, integer, timestamptz
) is
'Detects learning patterns in the user turns of a session (or of the namespace when session_id is null), when there are at least min_turns of them: each term (english lexeme passing pgcortex_internal.is_topic_term) found in >= min_term_turns turns becomes a preference pattern "user frequently discusses <word>" (confidence = share of turns), >= min_questions questions a workflow pattern "user asks many questions". Thresholds default to pgcortex.knowledge_settings(). Evidence is per turn, so a second run over the same turns adds no frequency. Returns the patterns found with new_evidence.';

-- name: get_learning_patterns
-- The namespace's patterns, strongest first; active_only keeps those updated
-- within pattern_active_days.
create or replace function pgcortex.get_learning_patterns(
    pattern_type text default null,
    active_only boolean default false,
    max_results integer default 50,
    as_of timestamptz default pg_catalog.now()
)
returns setof pgcortex.learning_pattern_result
language sql
stable
security definer  -- uses learning_patterns: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
begin atomic
    select r.*
    from pgcortex.learning_patterns as p
    cross join lateral pgcortex_internal.learning_pattern_row(p.pattern_id, 0) as r
    where
        p.namespace = (select pgcortex.current_namespace())
        and (get_learning_patterns.pattern_type is null or p.pattern_type = get_learning_patterns.pattern_type)
        and (
            not get_learning_patterns.active_only
            or p.updated_at >= get_learning_patterns.as_of - pg_catalog.make_interval(
                days => (select s.pattern_active_days from pgcortex.knowledge_settings() as s)
            )
        )
    order by p.confidence * p.frequency desc, p.updated_at desc, p.pattern_id asc
    limit greatest(coalesce(get_learning_patterns.max_results, 50), 0);
end;

comment on function pgcortex.get_learning_patterns(text, boolean, integer, timestamptz) is
'Learning patterns of the namespace, strongest (confidence x frequency) first; active_only keeps those updated within pattern_active_days of as_of.';
