-- name: 033_clusters
-- Knowledge clusters: a statement-level trigger on pgcortex.memories queues
-- every memory stored or re-embedded (pgcortex.cluster_queue); the first call
-- that reads or changes clusters, or maintenance, clusters what is queued
-- (pgcortex_internal.cluster_pending). Re-clustered by maintenance, stored
-- explicitly by an agent, and ranked for a query.
-- Re-applied on every deploy.
--
-- Locking: assignment takes a shared, and pgcortex.maint_recluster an
-- exclusive, transaction advisory lock per namespace, so assignment never joins
-- a cluster that re-clustering is merging away; centroid rows are locked in id
-- order, so concurrent assignments touching the same clusters queue, never deadlock.
-- Parameters are referenced as function_name.param (the house rule), which
-- the linter's RF01 would take for unknown tables.
-- noqa: disable=RF01

-- name: cluster_key_of
-- The original memory module's key of a memory without an embedding: its type and sorted tags.
create or replace function pgcortex_internal.cluster_key_of(memory_type text, tags text[])
returns text
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
return cluster_key_of.memory_type || ':' || coalesce((
    select pg_catalog.string_agg(distinct t.tag, ',' order by t.tag)
    from unnest(cluster_key_of.tags) as t (tag)
), '');

comment on function pgcortex_internal.cluster_key_of(text, text[]) is
'Cluster key of a memory without an embedding: "<memory_type>:<sorted distinct tags, comma separated>".';

-- name: cluster_importance
-- The importance_score formula of a cluster.
create or replace function pgcortex_internal.cluster_importance(
    member_count integer,
    last_updated timestamptz,
    mean_member_importance numeric,
    as_of timestamptz
)
returns real
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
return least(
    5,
    0.1 * cluster_importance.member_count
    + case
        when cluster_importance.last_updated >= cluster_importance.as_of - interval '7 days' then 1.0
        else 0.5
    end
    + greatest(coalesce(cluster_importance.mean_member_importance, 1) - 1, 0) / 4
)::real;

comment on function pgcortex_internal.cluster_importance(integer, timestamptz, numeric, timestamptz) is
'Cluster importance_score = min(5, 0.1 x members + (1.0 if the cluster gained or changed members within 7 days of as_of, else 0.5) + (mean member importance - 1) / 4). The first two terms are the original memory module''s; the last adds 0 (all trivial) to 1 (all critical).';

-- name: cluster_memories
-- Assigns memories of the current namespace that belong to no automatic
-- cluster. With an embedding: the nearest automatic cluster of the same model
-- whose centroid is at least cluster_similarity alike, else a new cluster
-- founded by it (leader clustering in id order, so the rows of one batch that
-- resemble each other found one cluster together); centroids of the clusters
-- touched are then updated incrementally, once each. Without an embedding: the
-- cluster of its key (type and tags), created on first use.
create or replace function pgcortex_internal.cluster_memories(
    memory_ids uuid[],
    as_of timestamptz default pg_catalog.now()
)
returns table (assigned integer, founded integer)
language plpgsql
volatile
security definer  -- uses cluster_members, knowledge_clusters, memories: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex_internal.cluster_memories(uuid[], timestamptz) is
'Assigns the given memories of the namespace that are in no automatic cluster: by embedding to the nearest automatic cluster of the same model within cluster_similarity (else founds one), without embedding to the cluster of their type and tags; updates the touched centroids incrementally. Run by pgcortex_internal.cluster_pending (the memories the trigger on pgcortex.memories queued) and by pgcortex.maint_recluster.';

-- name: cluster_pending
-- Clusters the memories of the namespace that wait in pgcortex.cluster_queue;
-- every function that reads or changes clusters calls it first.
create or replace function pgcortex_internal.cluster_pending(as_of timestamptz default pg_catalog.now())
returns integer
language plpgsql
volatile
security definer  -- uses cluster_queue: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex_internal.cluster_pending(timestamptz) is
'Takes the namespace''s memories queued in pgcortex.cluster_queue (rows another session holds are skipped, never waited for) and clusters them with pgcortex_internal.cluster_memories, 100 at a time in id (store) order so that later ones join the centroids earlier ones founded; returns how many it took. Does nothing (no write, no error) when the queue is empty or the transaction is read-only (a hot standby reads what the primary clustered). Called first by every function that reads or changes clusters, and by pgcortex.maint_run.';

-- name: memories_cluster_trigger
-- Statement-level: queues for clustering the memories an INSERT created, or
-- those an UPDATE gave a new embedding (or, without one, a new type or tags),
-- which leave their automatic cluster at once. Clustering itself waits for
-- the next cluster read or maintenance (pgcortex_internal.cluster_pending):
-- it is not part of the store's cost.
create or replace function pgcortex_internal.memories_cluster_trigger()
returns trigger
language plpgsql
volatile
security definer  -- keeps clusters in step for whoever changes pgcortex.memories
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex_internal.memories_cluster_trigger() is
'Trigger function (statement level, transition tables) of pgcortex.memories: queues in pgcortex.cluster_queue the rows inserted, and those updated with a new embedding, type or tags (after taking them out of their automatic cluster); pgcortex_internal.cluster_pending clusters them at the next cluster read or maintenance. Does nothing while the setting pgcortex.cluster_on_insert is off (restores, the model switch).';

create or replace trigger memories_cluster_insert
after insert on pgcortex.memories
referencing new table as new_rows
for each statement execute function pgcortex_internal.memories_cluster_trigger();

-- PostgreSQL refuses transition tables on a trigger with a column list or with
-- more than one event, so UPDATE has its own trigger and the function filters
-- the rows whose embedding, type or tags changed.
create or replace trigger memories_cluster_update
after update on pgcortex.memories
referencing old table as old_rows new table as new_rows
for each statement execute function pgcortex_internal.memories_cluster_trigger();

-- name: cluster_result
-- One cluster of the namespace as pgcortex.knowledge_cluster_result.
create or replace function pgcortex_internal.cluster_result(
    cluster_id uuid,
    similarity real default null,
    topic_matches integer default null,
    relevance real default null
)
returns pgcortex.knowledge_cluster_result
language sql
stable
security definer  -- uses cluster_members, knowledge_clusters, memories: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
begin atomic
    select
        c.id,
        c.name,
        c.description,
        c.origin,
        c.cluster_key,
        c.topics,
        c.member_count,
        c.importance_score,
        c.confidence,
        cluster_result.similarity,
        cluster_result.topic_matches,
        cluster_result.relevance,
        (
            select coalesce(pg_catalog.array_agg(x.memory_id order by x.rn), '{}')
            from (
                select
                    cm.memory_id,
                    row_number() over (order by m.importance desc, m.created_at desc, m.id asc) as rn
                from pgcortex.cluster_members as cm
                inner join pgcortex.memories as m on cm.namespace = m.namespace and cm.memory_id = m.id
                where cm.namespace = c.namespace and cm.cluster_id = c.id
                order by rn
                limit 5
            ) as x
        ) as top_memory_ids,
        c.created_at,
        c.last_updated
    from pgcortex.knowledge_clusters as c
    where c.namespace = (select pgcortex.current_namespace()) and c.id = cluster_result.cluster_id;
end;

comment on function pgcortex_internal.cluster_result(uuid, real, integer, real) is
'One knowledge cluster of the namespace as pgcortex.knowledge_cluster_result, with its five most important members (internal helper).';

-- name: refresh_clusters
-- Recomputes centroid, member_count, importance_score and (for automatic
-- clusters, and explicit ones stored without topics) topics of the given
-- clusters from their members. Internal step of re-clustering and of
-- store_knowledge_cluster.
create or replace function pgcortex_internal.refresh_clusters(
    cluster_ids uuid[],
    max_topics integer default 5,
    as_of timestamptz default pg_catalog.now()
)
returns integer
language plpgsql
volatile
security definer  -- uses cluster_members, knowledge_clusters, memories: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex_internal.refresh_clusters(uuid[], integer, timestamptz) is
'Recomputes the given clusters from their members: centroid (normalised mean of the members'' embeddings of the cluster''s model), member_count, importance_score (pgcortex_internal.cluster_importance) and topics (tf-idf of member tags and terms; explicit clusters keep the topics they were stored with). Internal step.';

-- name: maint_recluster
-- Re-clusters the namespace: assigns memories left out, merges automatic
-- clusters whose centroids are close, moves each member to its nearest
-- centroid, recomputes centroids, dissolves empty automatic clusters, and
-- recomputes importance and topics.
create or replace function pgcortex.maint_recluster(
    merge_similarity real default null,
    max_topics integer default 5,
    as_of timestamptz default pg_catalog.now()
)
returns table (
    clusters_before integer,
    memories_assigned integer,
    clusters_merged integer,
    members_moved integer,
    clusters_dissolved integer,
    clusters_after integer
)
language plpgsql
volatile
security definer  -- uses cluster_members, knowledge_clusters, memories: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex.maint_recluster(real, integer, timestamptz) is
'Re-clusters the namespace and reports it: assigns memories in no automatic cluster, merges automatic clusters whose centroids are at least merge_similarity alike (default cluster_merge_similarity), moves members to their nearest centroid, dissolves empty automatic clusters, recomputes centroids, importance_score (pgcortex_internal.cluster_importance) and topics (max_topics). Clusters the queued memories first (pgcortex_internal.cluster_pending). Holds the namespace''s clustering lock: cluster reads and writes wait for it, stores do not.';

-- name: store_knowledge_cluster
-- Stores an explicit cluster (upsert by name) and adds the given memories to it.
create or replace function pgcortex.store_knowledge_cluster(
    name text,
    description text default null,
    topics text[] default null,
    memory_ids uuid[] default null,
    confidence real default 1.0,
    importance_score real default null,
    as_of timestamptz default pg_catalog.now()
)
returns pgcortex.knowledge_cluster_result
language plpgsql
volatile
security definer  -- uses cluster_members, knowledge_clusters, memories: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex.store_knowledge_cluster(text, text, text[], uuid[], real, real, timestamptz) is
'Stores an explicit knowledge cluster (upsert by name; an automatic cluster of that name becomes explicit) and adds memory_ids to it, after clustering the queued memories (pgcortex_internal.cluster_pending); its centroid, member count and (unless given) importance_score are computed from the members, topics from them when none are given. Explicit clusters are never merged or dissolved. PC003 bad name, PC004 confidence/importance out of range, PC024 bad topics, PC030 unknown memory.';

-- name: get_knowledge_clusters
-- Clusters relevant to a query (centroid similarity and topic match), or the
-- most important ones when no query is given.
create or replace function pgcortex.get_knowledge_clusters(
    query text default null,
    query_embedding public.vector default null,
    embedding_model text default null,
    min_relevance real default 0.3,
    max_results integer default 10
)
returns setof pgcortex.knowledge_cluster_result
language sql
volatile
security definer  -- uses knowledge_clusters: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
begin atomic
    -- The query vector, checked for its model first (PC010 dimensions, PC011
    -- values, PC013 unknown model), in a statement of its own so that it is
    -- checked even when the namespace has no cluster.
    select
        pgcortex_internal.model_vector(
            get_knowledge_clusters.query_embedding,
            pgcortex_internal.embedding_model_sql(
                coalesce(get_knowledge_clusters.embedding_model, pgcortex.namespace_embedding_model())
            )
        )
    where get_knowledge_clusters.query_embedding is not null;

    -- The memories queued since the last cluster read join their clusters
    -- (volatile for this: a read-only transaction reads the clusters as they are).
    select pgcortex_internal.cluster_pending();

    with q as (
        select
            pg_catalog.lower(get_knowledge_clusters.query) as text,
            array(
                select l.lexeme
                from unnest(pg_catalog.to_tsvector('english'::regconfig, coalesce(get_knowledge_clusters.query, ''))) as l
            ) as lexemes,
            get_knowledge_clusters.query_embedding as embedding
    ),

    scored as (
        select
            c.id,
            c.importance_score,
            case
                when q.embedding is not null and c.centroid_model = get_knowledge_clusters.embedding_model
                    then (1 - (c.centroid operator (public.<=>) q.embedding))::real
            end as similarity,
            (
                select count(*)::integer
                from unnest(c.topics) as t (topic)
                where
                    q.text is not null and (
                        pg_catalog.strpos(q.text, pg_catalog.lower(t.topic)) > 0
                        or (pg_catalog.ts_lexize('english_stem'::regdictionary, pg_catalog.lower(t.topic)))[1] = any(q.lexemes)
                    )
            ) as topic_matches
        from pgcortex.knowledge_clusters as c
        cross join q
        where c.namespace = (select pgcortex.current_namespace())
    ),

    ranked as (
        select
            s.*,
            greatest(
                coalesce(s.similarity, 0),
                case when s.topic_matches > 0 then least(1, 0.5 + 0.1 * (s.topic_matches - 1)) else 0 end
            )::real as relevance
        from scored as s
    )

    select r.*
    from ranked as rk
    cross join lateral pgcortex_internal.cluster_result(rk.id, rk.similarity, rk.topic_matches, rk.relevance) as r
    where
        (get_knowledge_clusters.query is null and get_knowledge_clusters.query_embedding is null)
        or rk.relevance >= coalesce(get_knowledge_clusters.min_relevance, 0)
    order by
        case
            when get_knowledge_clusters.query is null and get_knowledge_clusters.query_embedding is null
                then rk.importance_score
            else rk.relevance
        end desc,
        rk.importance_score desc,
        rk.id asc
    limit greatest(coalesce(get_knowledge_clusters.max_results, 10), 0);
end;

comment on function pgcortex.get_knowledge_clusters(text, public.vector, text, real, integer) is
'Knowledge clusters relevant to a query: relevance = max(centroid similarity to query_embedding (same model only), topic score (0.5 for one topic found in the query, +0.1 per further topic, at most 1)); those >= min_relevance, best first. With neither query nor embedding: the most important clusters. Clusters the queued memories first (pgcortex_internal.cluster_pending; not in a read-only transaction, which sees the clusters as they are).';
