-- name: 021_memories_write
-- Memories, writes: the change-history trigger, storing (exact dedup,
-- near-duplicate reinforcement, batches), partial update, and delete by id
-- and by filter. Re-applied on every deploy.
--
-- Reinforcement rule (storing content that is already remembered, exactly or
-- as a near duplicate): importance = the greater of the two, confidence = the
-- greater of the two, tags = the union, metadata = old || new for the same
-- content (a shallow merge in which the new keys win); a near duplicate keeps
-- the memory's metadata and appends the occurrence (its content, metadata and
-- time) to metadata.merged_occurrences (see add_merged_occurrences), expires_at = the later of the two (no expiry
-- wins), the stored embedding is kept (one is added when the memory had
-- none), the content is kept, and one access is counted. Taking the greater
-- value makes storing idempotent: a retried store changes nothing further.
-- Parameters are referenced as function_name.param (the house rule), which
-- the linter's RF01 would take for unknown tables.
-- noqa: disable=RF01

-- name: set_change_context
-- Tells the history trigger why and when the next changes are made (for the
-- rest of the transaction, or until set again; '' resets).
create or replace function pgcortex_internal.set_change_context(reason text, changed_at timestamptz)
returns void
language sql
volatile
security invoker
set search_path = pg_catalog, pg_temp
begin atomic
    select
        pg_catalog.set_config(
            'pgcortex.change_reason', coalesce(set_change_context.reason, ''), true
        ) as reason,
        pg_catalog.set_config(
            'pgcortex.change_at', coalesce(set_change_context.changed_at::text, ''), true
        ) as changed_at;
end;

comment on function pgcortex_internal.set_change_context(text, timestamptz) is
'Sets the reason and time the history trigger records for the following changes in this transaction (API functions set it; null resets).';

-- name: record_memory_history
-- Statement-level trigger function: writes pgcortex.memory_history from the
-- transition tables of an insert, update or delete on pgcortex.memories.
create or replace function pgcortex_internal.record_memory_history()
returns trigger
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex_internal.record_memory_history() is
'Trigger function: records inserts, deletes and changes of content, importance, confidence, tags or metadata of pgcortex.memories in pgcortex.memory_history.';

create or replace trigger memories_history_insert
after insert on pgcortex.memories
referencing new table as new_rows
for each statement execute function pgcortex_internal.record_memory_history();

create or replace trigger memories_history_update
after update on pgcortex.memories
referencing old table as old_rows new table as new_rows
for each statement execute function pgcortex_internal.record_memory_history();

create or replace trigger memories_history_delete
after delete on pgcortex.memories
referencing old table as old_rows
for each statement execute function pgcortex_internal.record_memory_history();

-- name: reinforce
-- The reinforcement rule (file header), one place for both ways a store
-- reinforces a memory: the same content again and a near duplicate.
create or replace function pgcortex_internal.reinforce(
    importance integer,
    confidence real,
    tags text[],
    expires_at timestamptz,
    new_importance integer,
    new_confidence real,
    new_tags text[],
    new_expires_at timestamptz,
    expired boolean default false
)
returns table (importance integer, confidence real, tags text[], expires_at timestamptz)
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
begin atomic
    select
        case
            when reinforce.expired then reinforce.new_importance
            else greatest(reinforce.importance, reinforce.new_importance)
        end as importance,
        case
            when reinforce.expired then reinforce.new_confidence
            else greatest(reinforce.confidence, reinforce.new_confidence)
        end as confidence,
        case
            when reinforce.expired then reinforce.new_tags
            else pgcortex_internal.normalize_tags(reinforce.tags || reinforce.new_tags)
        end as tags,
        case
            when reinforce.expired then reinforce.new_expires_at
            when reinforce.expires_at is null or reinforce.new_expires_at is null then null
            else greatest(reinforce.expires_at, reinforce.new_expires_at)
        end as expires_at;
end;

comment on function pgcortex_internal.reinforce(
    integer, real, text[], timestamptz, integer, real, text[], timestamptz, boolean
) is
'A memory''s importance, confidence, tags and expiry once a store reinforces it: the greater importance and confidence, the union of the tags, the later expiry (no expiry wins). A memory that has expired (expired true) takes the new values instead.';

-- name: add_merged_occurrences
-- A memory's metadata with near-duplicate occurrences appended to its
-- merged_occurrences list.
create or replace function pgcortex_internal.add_merged_occurrences(metadata jsonb, occurrences jsonb)
returns jsonb
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
begin atomic
    select add_merged_occurrences.metadata || pg_catalog.jsonb_build_object(
        'merged_occurrences',
        coalesce((
            select pg_catalog.jsonb_agg(x.e order by x.o)
            from (
                select
                    a.e,
                    a.o
                from (
                    select
                        e.e,
                        e.o,
                        -- The same occurrence again (a retried store) is kept once.
                        pg_catalog.row_number() over (
                            partition by e.e -> 'content', e.e -> 'metadata' order by e.o
                        ) as nth
                    from pg_catalog.jsonb_array_elements(
                            case
                                when pg_catalog.jsonb_typeof(
                                        add_merged_occurrences.metadata -> 'merged_occurrences'
                                    ) = 'array'
                                    then add_merged_occurrences.metadata -> 'merged_occurrences'
                                else '[]'::jsonb
                            end || add_merged_occurrences.occurrences
                        ) with ordinality as e (e, o)
                ) as a
                where a.nth = 1
                -- Bounded: the 20 latest occurrences.
                order by a.o desc
                limit 20
            ) as x
        ), '[]'::jsonb)
    );
end;

comment on function pgcortex_internal.add_merged_occurrences(jsonb, jsonb) is
'The metadata with the given occurrences (a JSON array of {content, metadata, stored_at}) appended to its merged_occurrences array, an occurrence already listed (same content and metadata) kept once, at most the 20 latest kept.';

-- name: store_memories
-- Stores a batch of memories in one call: validates every item first, then
-- inserts, reinforces exact duplicates and merges near duplicates.
create or replace function pgcortex.store_memories(
    contents text[],
    memory_types text[],
    importances integer[] default null,
    confidences real[] default null,
    tags jsonb default null,
    metadata jsonb default null,
    embeddings public.vector[] default null,
    ids uuid[] default null,
    expires_at timestamptz[] default null,
    embedding_model text default null,
    near_duplicate_threshold real default 0.95,
    dedup_near boolean default true,
    as_of timestamptz default now()
)
returns table (ordinality integer, id uuid, action text, merged_into uuid)
language plpgsql
volatile
security definer  -- uses memories: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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
$$;

comment on function pgcortex.store_memories(
    text[], text[], integer[], real[], jsonb, jsonb, public.vector[], uuid[],
    timestamptz[], text, real, boolean, timestamptz
) is
'Stores a batch of memories in one call. Arrays run in parallel with contents (null = defaults: importance 3, confidence 1.0, no tags, {} metadata, no embedding, a new id, no expiry); tags is a JSON array of string lists, metadata a JSON array of objects. Every item is checked before anything is written (PC003, PC004, PC010, PC011, PC012, PC020, PC021, PC023, PC024, PC026). The same content (normalised) already stored, or repeated in the batch, reinforces that memory (action updated, its id); a new content whose embedding is at least near_duplicate_threshold cosine-similar to a memory of the same type reinforces that one instead (action merged, merged_into), unless dedup_near is false. Reinforcement: importance and confidence the greater, tags united, the later expiry, one access counted; metadata merged (new keys win) for the same content, while a near duplicate leaves the memory''s metadata as it is and appends its occurrence (content, metadata, stored_at) to metadata.merged_occurrences (the 20 latest, each once). Returns one row per item in input order.';

-- name: store_memory
-- Stores one memory (the one-item form of store_memories).
create or replace function pgcortex.store_memory(
    content text,
    memory_type text,
    importance integer default 3,
    confidence real default 1.0,
    tags text[] default '{}',
    metadata jsonb default '{}',
    embedding public.vector default null,
    embedding_model text default null,
    memory_id uuid default null,
    expires_at timestamptz default null,
    near_duplicate_threshold real default 0.95,
    dedup_near boolean default true,
    as_of timestamptz default now()
)
returns table (id uuid, action text, merged_into uuid)
language plpgsql
volatile
security definer  -- calls pgcortex_internal.check_tags: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex.store_memory(
    text, text, integer, real, text[], jsonb, public.vector, text, uuid, timestamptz,
    real, boolean, timestamptz
) is
'Stores one memory; see pgcortex.store_memories for dedup, near-duplicate merging, the reinforcement rule and the error codes. Returns its id and what happened: inserted, updated (same content was already stored) or merged (merged_into: a near duplicate of the same type).';

-- name: update_memory
-- Changes the fields given of one memory; returns it as it is now.
create or replace function pgcortex.update_memory(
    memory_id uuid,
    content text default null,
    memory_type text default null,
    importance integer default null,
    confidence real default null,
    tags text[] default null,
    metadata jsonb default null,
    merge_metadata boolean default false,
    embedding public.vector default null,
    embedding_model text default null,
    expires_at timestamptz default null,
    clear_expiry boolean default false,
    as_of timestamptz default now()
)
returns setof pgcortex.memory_row
language plpgsql
volatile
security definer  -- uses memories: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex.update_memory(
    uuid, text, text, integer, real, text[], jsonb, boolean, public.vector, text, timestamptz,
    boolean, timestamptz
) is
'Partial update of one memory: only the fields given change (metadata replaced, or merged when merge_metadata; clear_expiry removes the expiry). A new content refreshes its hash and full-text vector (generated columns) and replaces the embedding with the one given, or clears it. Raises PC030 (unknown id), PC025 (another memory has that content) and the input codes of store_memories. Returns the memory as it is now; counts no access.';

-- name: forget_memories
-- Deletes the memories with these ids (history and log kept consistent);
-- the shared write path of every delete.
create or replace function pgcortex_internal.forget_memories(
    memory_ids uuid[],
    reason text default 'delete',
    as_of timestamptz default now()
)
returns uuid[]
language plpgsql
volatile
security definer  -- uses memories, memory_access_log: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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
$$;

comment on function pgcortex_internal.forget_memories(uuid[], text, timestamptz) is
'Deletes the memories with these ids in this namespace (links, cluster membership and access counts go with them; the history keeps a delete entry with the given reason) and returns the ids deleted.';

-- name: delete_memory
-- Deletes one memory by id.
create or replace function pgcortex.delete_memory(memory_id uuid, as_of timestamptz default now())
returns uuid
language plpgsql
volatile
security definer  -- calls pgcortex_internal.forget_memories: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex.delete_memory(uuid, timestamptz) is
'Deletes one memory (its links and cluster membership go with it) and returns its id; raises PC030 when there is no such memory in the namespace.';

-- name: delete_memories
-- Deletes the memories matching every filter given (at least one filter).
create or replace function pgcortex.delete_memories(
    memory_ids uuid[] default null,
    memory_types text[] default null,
    tags_any text[] default null,
    tags_all text[] default null,
    max_importance integer default null,
    created_before timestamptz default null,
    metadata_contains jsonb default null,
    as_of timestamptz default now()
)
returns table (deleted bigint, ids uuid[])
language plpgsql
volatile
security definer  -- uses memories: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex.delete_memories(
    uuid[], text[], text[], text[], integer, timestamptz, jsonb, timestamptz
) is
'Deletes the memories (expired or not) matching every filter given; at least one filter is required (PC003). Returns how many were deleted and their ids.';
