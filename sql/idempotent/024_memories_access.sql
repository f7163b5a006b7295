-- name: 024_memories_access
-- Memories, access tracking: reads are counted in an append-only log (no lock
-- on the memory), folded into the counts by maint_flush_access, and committed
-- durably only when the transaction wrote something else.
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
    -- A transaction that does nothing but tracking commits without waiting for
    -- the WAL flush: a server crash may lose the last fraction of a second of
    -- access counts, never anything else. Only when nothing was written
    -- before (no transaction id yet) and the server counts tuple writes
    -- (track_counts); at commit the deferred trigger
    -- memory_access_log_commit_check restores the prior setting unless no
    -- table other than the tracking tables has a tuple write pending in the
    -- statistics (pgcortex_internal.xact_write_count = 0). A later change of
    -- pgcortex.memories restores it at once (record_memory_history).
    if pg_catalog.pg_current_xact_id_if_assigned() is null
        and pg_catalog.current_setting('synchronous_commit') <> 'off'
        and pg_catalog.current_setting('track_counts')::boolean
    then
        perform pg_catalog.set_config(
            'pgcortex.synchronous_commit_before', pg_catalog.current_setting('synchronous_commit'), true
        );
        perform pg_catalog.set_config('pgcortex.commit_check', 'pending', true);
        perform pg_catalog.set_config('synchronous_commit', 'off', true);
    end if;
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
'Internal helper of track_access and of the reads that count their own accesses: appends one access of each id (memories of the namespace given, which the caller has just read) to the access log at as_of, with the tracking-only commit rule of track_access, and folds the log every 2000 rows. Returns how many accesses were logged.';

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
'Counts one access of each memory id given that is a memory of this namespace (unknown ids are ignored; repeats count again) at as_of; at most 10000 ids per call (PC004, nothing written): appends to the access log, takes no row lock, and now and then folds the log (see maint_flush_access). When the transaction has written nothing before and writes nothing else until its commit (any table, checked at commit by a deferred trigger), it commits with synchronous_commit off: a crash may lose the last fraction of a second of access counts, never anything else. Returns how many accesses were counted.';

-- name: xact_write_count
-- Tuples inserted, updated or deleted so far by this backend in every table
-- (catalogs and the caller's own tables included) except the two tracking
-- tables, from the statistics of the current transaction. It also includes
-- writes of this backend's earlier transactions not yet reported to the
-- statistics (they are reported at most once a second, when the session is
-- idle): 0 proves the transaction wrote nothing else; more than 0 may be an
-- earlier transaction's, and is taken as a write (the safe side). Toast tables
-- are left out: they are written only together with their table.
create or replace function pgcortex_internal.xact_write_count()
returns bigint
language sql
volatile
parallel restricted
security invoker
set search_path = pg_catalog, pg_temp
begin atomic
    select
        coalesce(
            sum(
                pg_catalog.pg_stat_get_xact_tuples_inserted(c.oid)
                + pg_catalog.pg_stat_get_xact_tuples_updated(c.oid)
                + pg_catalog.pg_stat_get_xact_tuples_deleted(c.oid)
            ),
            0
        )::bigint
    from pg_catalog.pg_class as c
    where
        c.relkind in ('r', 'm')
        and c.oid <> 'pgcortex.memory_access_log'::regclass
        and c.oid <> 'pgcortex.memory_access'::regclass;
end;

comment on function pgcortex_internal.xact_write_count() is
'Tuple writes (inserts, updates, deletes) of this backend''s transaction so far in every table but memory_access_log and memory_access, plus writes of its earlier transactions not yet reported to the statistics: 0 proves the transaction wrote nothing but access tracking.';

-- name: claim_commit_check
-- True once per transaction (for the first access-log row of a tracking-only
-- transaction): queues one commit-time check instead of one per row.
create or replace function pgcortex_internal.claim_commit_check()
returns boolean
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    perform pg_catalog.set_config('pgcortex.commit_check', 'queued', true);
    return true;
end
$$;

comment on function pgcortex_internal.claim_commit_check() is
'Marks the commit-time check of a tracking-only transaction as queued (used in the WHEN condition of the trigger memory_access_log_commit_check); returns true.';

-- name: restore_synchronous_commit
-- At commit (deferred trigger): a transaction in which track_access turned
-- synchronous_commit off gets its prior setting back when it wrote anything
-- besides access tracking, to any table (or may have: xact_write_count > 0).
-- The setting is read when the commit record is written, after the deferred
-- triggers have run.
create or replace function pgcortex_internal.restore_synchronous_commit()
returns trigger
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    _before text := pg_catalog.current_setting('pgcortex.synchronous_commit_before', true);
begin
    perform pg_catalog.set_config('pgcortex.commit_check', 'done', true);
    if coalesce(_before, '') <> '' and pgcortex_internal.xact_write_count() > 0 then
        perform pg_catalog.set_config('synchronous_commit', _before, true);
        perform pg_catalog.set_config('pgcortex.synchronous_commit_before', '', true);
    end if;
    return null;
end
$$;

comment on function pgcortex_internal.restore_synchronous_commit() is
'Trigger function (deferred, at commit): restores synchronous_commit when a transaction in which track_access turned it off wrote, or may have written, anything but access tracking (pgcortex_internal.xact_write_count above 0).';

drop trigger if exists memory_access_log_commit_check on pgcortex.memory_access_log;
create constraint trigger memory_access_log_commit_check
after insert on pgcortex.memory_access_log
deferrable initially deferred
for each row
when (
    pg_catalog.current_setting('pgcortex.commit_check', true) = 'pending'
    and pgcortex_internal.claim_commit_check()
)
execute function pgcortex_internal.restore_synchronous_commit();
