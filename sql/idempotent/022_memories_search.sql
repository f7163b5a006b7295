-- name: 022_memories_search
-- Memories, part 3: hybrid search (HNSW or exact vector candidates, BM25
-- full-text candidates over per-namespace term statistics, fusion of the two
-- arms' evidence, bounded ranking multipliers) and the original memory module's recall on top
-- of it. Re-applied on every deploy.
--
-- Ranking formula, version 4 (ranking_version = 4). The defaults of every
-- weight are pgcortex_internal.search_defaults(); a caller overrides any of them with
-- the weights argument. docs/architecture.md shows the same formula (a test
-- compares its table of defaults with pgcortex_internal.search_defaults()).
--   candidates   vector: the n nearest memories matching the filters, where
--                n = max(min_candidates, k * candidates_per_k);
--                text: the n best by BM25 among those matching the query's
--                full-text form (see search_tsquery) that hold one of its
--                rarest words (the rarest first, while together they are held
--                by at most max(n, 5 % of the memories), and each by at most
--                half; a websearch query keeps all its words), at most that
--                many scored; then, when fewer than n
--                and the vector arm has fewer than k, the other matches by
--                content_hash.
--   Every candidate of either list is then measured by both arms:
--   vector_evidence = max(0, cosine similarity to the query embedding)
--   bm25            = sum over the query's lexemes t that the memory holds of
--                     idf(t) * tf * (bm25_k1 + 1)
--                     / (tf + bm25_k1 * (1 - bm25_b + bm25_b * length / average length))
--                     idf(t) = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5)), N and
--                     df from the namespace's term statistics (memory_terms),
--                     length = distinct lexemes of the memory
--   text_evidence   = min(1, bm25 / sum of idf(t) over the query's lexemes):
--                     the idf-weighted share of the query the memory holds
--                     (1 = every word, once, at average length)
--   own evidence    = (vector_weight * vector_evidence + text_weight * text_evidence)
--                     / (sum of the active arms' weights)          0..1
--   context         a conversation memory whose turn comes right after the
--                   turn of one of either arm's k best hits h
--                   (pgcortex.conversation_turns, same session) is a candidate
--                   too, and:
--   fused_relevance = max(own evidence,
--                         min(own evidence + context_weight * own evidence of h,
--                             own evidence of h))
--                     (the best such h; linked_from = h), else own evidence
--   recency_factor    = recency_floor + (1 - recency_floor)
--                       * 0.5 ^ (days since updated_at / half_life_days)
--                       updated_at: when the memory was stored, stored again
--                       (reinforced, merged into) or changed; reads leave it
--   importance_factor = 1 + importance_weight * (importance - 3) / 2
--   confidence_factor = confidence_floor + (1 - confidence_floor) * confidence
--   access_factor     = 1 + access_weight
--                       * min(1, ln(1 + access_count) / ln(1 + access_saturation))
--   score = fused_relevance * recency * importance * confidence * access factors,
--           for a memory lifted by context at most the score of the hit h
--           (it ranks after h: ties go to the memory not lifted)
--   Ties (equal score) are broken by content_hash: deterministic, and
--   unrelated to when a memory was stored.
-- Both evidences are absolute (a cosine, a share of the query), so a score
-- means the same in every query and a memory that matches neither arm scores
-- near 0 wherever it came from. The multipliers are mild, and none of them
-- moves when a memory is read: a search's own tracking must not reorder the
-- ranks of the next one. So recency counts from the memory's own time, not
-- from its last access (version 3 did, and every tracked search lifted what
-- it returned by up to 1 / recency_floor), and the access factor, the one
-- that reads the access counts, is off by default.
-- relevance (what min_relevance filters, as in the original memory module) is absolute too:
-- max(cosine similarity, keyword_overlap) + tag_boost when one of the
-- memory's tags occurs in the query text, at most 1. keyword_overlap is the
-- share of the query's words (stemmed) that the memory contains.
-- Parameters are referenced as function_name.param (the house rule), which
-- the linter's RF01 would take for unknown tables.
-- noqa: disable=RF01

-- name: search_tsquery
-- The full-text query of a search text: websearch syntax; plain words match
-- any of them (rows with more of them rank higher).
create or replace function pgcortex_internal.search_tsquery(query_text text)
returns tsquery
language plpgsql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
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
$$;

comment on function pgcortex_internal.search_tsquery(text) is
'The tsquery of a search text (english): websearch syntax ("a phrase", -word, or); a text of plain words matches memories with any of the words, and ranking puts those with more of them first.';

-- name: search_defaults
-- The default weights of the ranking formula (the one place they are set).
create or replace function pgcortex_internal.search_defaults()
returns jsonb
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
begin atomic
    select '{
        "vector_weight": 1, "text_weight": 1, "bm25_k1": 1.2, "bm25_b": 0.75,
        "half_life_days": 30, "recency_floor": 0.8, "importance_weight": 0.1,
        "confidence_floor": 0.8, "access_weight": 0, "access_saturation": 100,
        "tag_boost": 0.2, "candidates_per_k": 2, "min_candidates": 20,
        "context_weight": 0.3
    }'::jsonb;
end;

comment on function pgcortex_internal.search_defaults() is
'The default weights of the ranking formula of pgcortex.search_memories (ranking_version 4), as a JSON object; the weights argument of a search overrides any of them.';

-- name: record_memory_terms
-- Statement-level trigger function: appends the change of the term
-- statistics (per lexeme, and the namespace's totals) to
-- pgcortex.memory_term_log; folds the log now and then.
create or replace function pgcortex_internal.record_memory_terms()
returns trigger
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex_internal.record_memory_terms() is
'Trigger function: appends what an insert, delete or content change of pgcortex.memories changes in the term statistics to pgcortex.memory_term_log (one row per lexeme and namespace, one for the totals), and folds the namespace''s log every few hundred rows when no other session is folding it.';

create or replace trigger memories_terms_insert
after insert on pgcortex.memories
referencing new table as new_rows
for each statement execute function pgcortex_internal.record_memory_terms();

create or replace trigger memories_terms_update
after update on pgcortex.memories
referencing old table as old_rows new table as new_rows
for each statement execute function pgcortex_internal.record_memory_terms();

create or replace trigger memories_terms_delete
after delete on pgcortex.memories
referencing old table as old_rows
for each statement execute function pgcortex_internal.record_memory_terms();

-- name: maint_fold_terms
-- Folds the namespace's pending term-statistics log into memory_terms and
-- memory_term_totals.
create or replace function pgcortex_internal.maint_fold_terms()
returns table (folded_rows bigint, terms_changed bigint, remaining_rows bigint)
language plpgsql
volatile
security definer  -- uses memory_terms, memory_term_totals, memory_term_log: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex_internal.maint_fold_terms() is
'Folds the current namespace''s pending rows of pgcortex.memory_term_log into pgcortex.memory_terms and pgcortex.memory_term_totals (lexemes no memory holds any more are removed). The store path does it by itself every few hundred log rows; returns the rows folded, the lexemes changed and the rows still pending (written by transactions not yet committed).';

-- name: maint_rebuild_terms
-- Recounts the namespace's term statistics from its memories: after a bulk
-- load that bypassed the triggers on pgcortex.memories, or to repair them.
create or replace function pgcortex.maint_rebuild_terms()
returns table (terms bigint, terms_removed bigint, documents bigint, log_rows_dropped bigint)
language plpgsql
volatile
security definer  -- uses memory_terms, memory_term_totals, memory_term_log: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex.maint_rebuild_terms() is
'Maintenance: recounts the current namespace''s term statistics (pgcortex.memory_terms, memory_term_totals: what BM25 in pgcortex.search_memories reads) from its memories, and drops its pending term log. For a bulk load that bypassed the triggers on pgcortex.memories (COPY with session_replication_role replica), or a repair; stores keep the statistics by themselves. Returns the lexemes counted, the lexemes removed (no memory holds them), the memories and the log rows dropped.';

-- The row a search returns. Re-created on each deploy (only the functions
-- below use it; they are created after it).
drop type if exists pgcortex.memory_search_row cascade;
create type pgcortex.memory_search_row as (
    id uuid,
    content text,
    memory_type text,
    importance smallint,
    confidence real,
    tags text [],
    metadata jsonb,
    created_at timestamptz,
    updated_at timestamptz,
    expires_at timestamptz,
    last_accessed timestamptz,
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

comment on type pgcortex.memory_search_row is
'A search hit: the memory, its rank, and its score breakdown (similarity, text_rank, keyword_overlap, relevance, fused_relevance, the four factors, score), how it matched (vector, text, both, context, link), the hit it follows (linked_from: the conversation turn its context lifted it by, or the hit a link led from) and the ranking_version of the formula.';

-- name: default_ef_search
-- The HNSW search width (hnsw.ef_search) a search, or the store's
-- near-duplicate probe, uses unless told otherwise. It grows with the graph:
-- at a fixed ef_search, recall falls as the index grows (benchmark, 384-d:
-- ef_search 64 gives recall@10 0.99 at 100,000 memories but 0.80 at
-- 1,000,000, where 200 gives 0.96), so w x sqrt(rows / 100,000) (the
-- planner's row estimate, all namespaces: they share one graph), at least a
-- floor. Longer vectors need a wider search for the same recall: times
-- sqrt(dimensions / 384) (benchmark, 1,536-d at 100,000: recall@10 0.98 at
-- ef_search 64, 1.00 at 100 and 128; docs/performance.md, "Embedding
-- models"), so 128 at 1,536-d. At most 1000.
-- * A search: w 64, floor 40 (pgvector's default): 40 up to 39,000 rows, 64
--   at 100,000, 202 at 1,000,000. A floor of 64 cost 30 % more index pages
--   at 10,000 rows for recall@10 0.998 either way (docs/performance.md).
-- * The near-duplicate probe (probe true): w 40, floor 10: 13 at 10,000, 40
--   (what the probe used at every size before) at 100,000, 126 at 1,000,000.
--   It wants the nearest memory only, and a near duplicate (cosine 0.95 or
--   more) lies far closer than the rest. Measured with 1,000 planted copies
--   (cosine 0.951 to 0.99): at 10,000 memories ef_search 10 finds all 1,000
--   (as 40 does); at 100,000, 20 finds 977, 32 finds 996, 40 finds 997, 100
--   finds 1,000.
create or replace function pgcortex_internal.default_ef_search(
    dimensions integer,
    probe boolean default false
)
returns integer
language plpgsql
stable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex_internal.default_ef_search(integer, boolean) is
'The default HNSW search width (hnsw.ef_search) for vectors of these dimensions, at most 1000: for a search 64 x sqrt(rows of pgcortex.memories / 100,000), at least 40; for the near-duplicate probe of pgcortex.store_memories (probe) 40 x sqrt(rows / 100,000), at least 10; both times sqrt(dimensions / 384). Internal helper.';

-- name: search_memories
-- Hybrid search of the namespace's memories; see the formula at the top of
-- this file.
create or replace function pgcortex.search_memories(
    query_embedding public.vector default null,
    query_text text default null,
    k integer default 10,
    memory_types text[] default null,
    tags_any text[] default null,
    tags_all text[] default null,
    min_importance integer default null,
    min_confidence real default null,
    created_after timestamptz default null,
    created_before timestamptz default null,
    accessed_after timestamptz default null,
    accessed_before timestamptz default null,
    metadata_contains jsonb default null,
    exclude_ids uuid[] default null,
    min_relevance real default null,
    weights jsonb default null,
    ef_search integer default null,
    expand_links boolean default false,
    track boolean default true,
    embedding_model text default null,
    as_of timestamptz default now()
)
returns setof pgcortex.memory_search_row
language plpgsql
volatile
security definer  -- uses memories, memory_access, memory_access_log, ...: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
-- The static statements (fusion, links) look rows up by key: one plan for
-- the session. The filter statements are dynamic SQL, planned per call
-- with the call's values, on the cost of cached pages (random_page_cost
-- 1.1): at the default 4 the planner ANDs a 50 % tag bitmap into a
-- 200-row text match, 8 ms instead of 1 (docs/performance.md).
set plan_cache_mode = force_generic_plan
set random_page_cost = 1.1
as $$
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
$$;

comment on function pgcortex.search_memories(
    public.vector, text, integer, text[], text[], text[], integer, real, timestamptz,
    timestamptz, timestamptz, timestamptz, jsonb, uuid[], real, jsonb, integer, boolean,
    boolean, text, timestamptz
) is
'Hybrid search of this namespace''s unexpired memories by query_embedding and/or query_text (websearch syntax), with every filter applied in SQL. Vector candidates come from one statement planned with the call''s filter values: the HNSW index of the query''s model (the namespace''s current model) (ef_search unless given: max(n, max(40, 64 x sqrt(rows of the table / 100,000)) x sqrt(dimensions / 384)), iterative scan) or, under a selective filter, the filter''s own index and an exact sort; when it returns fewer than the candidates wanted, an exact scan of the filtered memories; text candidates from full-text search ranked by BM25 over the namespace''s term statistics; every candidate measured by both arms (cosine similarity, the idf-weighted share of the query it holds), the two fused by their weights; the memory of the conversation turn right after one of either arm''s k best hits is a candidate too, lifted by context_weight times that hit''s evidence but never above it (matched_by context when no arm found it, linked_from the hit); ranked by the formula of ranking_version 4 (recency since the memory was stored or changed, importance, confidence and access multipliers; defaults in pgcortex_internal.search_defaults(), overridable by weights; ties broken by content hash). Returns exactly k rows when at least k memories pass the filters and match the query (have an embedding for a vector query, or match the text), fewer when min_relevance removes some; with expand_links, memories linked to the hits follow them (matched_by link, linked_from). Every row carries its score breakdown; access_count and last_accessed are as they were before this search''s own access. Counts one access of each returned memory unless track is false (track false writes nothing: for replicas and analytics). PC003, PC004, PC010, PC011, PC012, PC021, PC023 on bad input.';

-- name: recall_memories
-- The original memory module's recall: memories relevant to a query, best first.
create or replace function pgcortex.recall_memories(
    query text,
    memory_types text[] default null,
    k integer default 10,
    min_relevance real default 0.5,
    query_embedding public.vector default null,
    embedding_model text default null,
    track boolean default true,
    as_of timestamptz default now()
)
returns setof pgcortex.memory_search_row
language sql
volatile
security invoker  -- calls only API functions, which hold the rights they need
set search_path = pg_catalog, pg_temp
begin atomic
    select *
    from pgcortex.search_memories(
            query_embedding => recall_memories.query_embedding,
            query_text => recall_memories.query,
            k => recall_memories.k,
            memory_types => recall_memories.memory_types,
            min_relevance => recall_memories.min_relevance,
            track => recall_memories.track,
            embedding_model => recall_memories.embedding_model,
            as_of => recall_memories.as_of
        );
end;

comment on function pgcortex.recall_memories(
    text, text[], integer, real, public.vector, text, boolean, timestamptz
) is
'The original memory module''s recall(query, memory_types, limit, min_relevance = 0.5): search_memories by the query text (and its embedding when given), keeping memories whose relevance (max of cosine similarity and keyword overlap, +0.2 when a tag occurs in the query) is at least min_relevance, best first; counts an access of each returned.';
