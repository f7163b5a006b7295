-- name: 024_memories_access
-- Memories, access tracking: reads are counted in an append-only, unlogged
-- log (no lock on the memory, no WAL), folded into the durable counts by
-- maint_flush_access.
-- Re-applied on every deploy.
-- Parameters are referenced as function_name.param (the house rule), which
-- the linter's RF01 would take for unknown tables.
-- noqa: disable=RF01

-- name: maint_flush_access
-- Folds the pending access log of the namespace into pgcortex.memory_access.
create or replace function pgcortex.maint_flush_access(max_rows integer default 1000000)
returns table (flushed_rows bigint, memories_updated bigint, remaining_rows bigint)
language plpgsql
volatile
security definer  -- uses memories, memory_access, memory_access_log: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex.maint_flush_access(integer) is
'Maintenance: folds up to max_rows pending rows of the access log of this namespace into pgcortex.memory_access (counts stay exact before and after). Runs by itself every 2000 logged reads (the reader that crosses the mark and gets the lock flushes); call it in maintenance too. Returns the rows folded, the memories updated and the rows still pending.';

-- name: log_access
-- Appends one access of each id to the log: the write behind track_access,
-- called directly by the reads that have just read the memories (get,
-- search, store), whose ids are this namespace's by construction. One
-- statement and no checks: tracking a search cost 0.25 ms through
-- track_access, most of it the checks and the call (docs/performance.md).
create or replace function pgcortex_internal.log_access(
    namespace text, ids uuid[], as_of timestamptz
)
returns bigint
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
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

comment on function pgcortex_internal.log_access(text, uuid[], timestamptz) is
'Internal helper of track_access and of the reads that count their own accesses: appends one access of each id (memories of the namespace given, which the caller has just read) to the unlogged access log at as_of (no WAL), and folds the log every 2000 rows. Returns how many accesses were logged.';

-- name: track_access
-- Counts one read of each memory given (an id may repeat) at as_of; at most
-- 10000 ids per call (as get_memories), so one call cannot flood the log.
create or replace function pgcortex.track_access(ids uuid[], as_of timestamptz default now())
returns bigint
language plpgsql
volatile
security definer  -- uses memories, memory_access_log: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
-- Its statements look rows up by key: one plan for the session instead of
-- planning each call anew (docs/performance.md, generic plans).
set plan_cache_mode = force_generic_plan
as $$
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

comment on function pgcortex.track_access(uuid[], timestamptz) is
'Counts one access of each memory id given that is a memory of this namespace (unknown ids are ignored; repeats count again) at as_of; at most 10000 ids per call (PC004, nothing written): appends to the access log, takes no row lock, and now and then folds the log (see maint_flush_access). The log is unlogged: a transaction that writes nothing else writes no WAL and commits without waiting for a flush; a crash or failover loses the accesses not yet folded (folded counts stay). Returns how many accesses were counted.';
