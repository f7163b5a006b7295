-- name: 035_maintenance
-- Maintenance of a namespace: forgetting (the original memory module's
-- policy), purging expired memories, pruning the change history, and one
-- entry point for all of it, reporting every step. Re-applied on every deploy.
-- Parameters are referenced as function_name.param (the house rule), which
-- the linter's RF01 would take for unknown tables.
-- noqa: disable=RF01

-- name: maint_prune_history
-- Retention of the change history: deletes the history rows of this namespace
-- older than keep_days before as_of (dry_run: only counts them).
create or replace function pgcortex.maint_prune_history(
    keep_days integer default 365,
    as_of timestamptz default pg_catalog.now(),
    dry_run boolean default false
)
returns table (simulated boolean, cutoff timestamptz, matched bigint, deleted bigint)
language plpgsql
volatile
security definer  -- uses memory_history: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
declare
    _ns text := pgcortex.current_namespace();
    _cutoff timestamptz;
    _matched bigint;
    _deleted bigint := 0;
begin
    if maint_prune_history.as_of is null then
        raise exception using errcode = 'PC003', message = 'as_of must not be null';
    end if;
    if maint_prune_history.keep_days is null or maint_prune_history.keep_days < 0 then
        raise exception using errcode = 'PC004', message = 'keep_days must be 0 or more';
    end if;
    _cutoff := maint_prune_history.as_of - pg_catalog.make_interval(days => maint_prune_history.keep_days);
    if coalesce(maint_prune_history.dry_run, false) then
        select count(*) into _matched
        from pgcortex.memory_history as h
        where h.namespace = _ns and h.changed_at < _cutoff;
    else
        delete from pgcortex.memory_history as h
        where h.namespace = _ns and h.changed_at < _cutoff;
        get diagnostics _deleted = row_count;
        _matched := _deleted;
    end if;
    return query select coalesce(maint_prune_history.dry_run, false), _cutoff, _matched, _deleted;
end
$$;

comment on function pgcortex.maint_prune_history(integer, timestamptz, boolean) is
'Maintenance, retention of pgcortex.memory_history: deletes the history rows of this namespace changed more than keep_days (default 365) before as_of; dry_run counts them without deleting. Returns whether it was a dry run (simulated), the cutoff, how many rows matched and how many were deleted. maint_run calls it (history_days).';

-- name: maint_run
-- Runs, in order: forget (the original memory module's policy), purge expired memories, flush
-- the deferred access log, prune the change history, cluster the queued
-- memories, re-cluster, detect
-- learning patterns; one row per step with what it did and how long it took.
-- (history_days was added after the first release: drop the old signature.)
drop function if exists pgcortex.maint_run(integer, boolean, boolean, boolean, timestamptz);
create or replace function pgcortex.maint_run(
    forget_days integer default 90,
    forget boolean default true,
    recluster boolean default true,
    detect_patterns boolean default true,
    as_of timestamptz default pg_catalog.now(),
    history_days integer default 365
)
returns table (step text, result jsonb, duration_ms numeric)
language plpgsql
volatile
security definer  -- calls pgcortex_internal.elapsed_ms: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
declare
    _t timestamptz;
    _r jsonb;
begin
    perform pgcortex.current_namespace();
    if maint_run.as_of is null then
        raise exception using errcode = 'PC003', message = 'as_of must not be null';
    end if;
    if maint_run.forget_days is null or maint_run.forget_days < 0 then
        raise exception using errcode = 'PC004', message = 'forget_days must be 0 or more';
    end if;
    if maint_run.history_days < 0 then
        raise exception using errcode = 'PC004', message = 'history_days must be 0 or more (null keeps all history)';
    end if;

    _t := pg_catalog.clock_timestamp();
    if maint_run.forget then
        select pg_catalog.to_jsonb(f) - 'ids' into _r
        from pgcortex.maint_forget(days => maint_run.forget_days, as_of => maint_run.as_of) as f;
    else
        _r := '{"skipped": true}';
    end if;
    return query select 'forget', _r, pgcortex_internal.elapsed_ms(_t);

    _t := pg_catalog.clock_timestamp();
    select pg_catalog.to_jsonb(f) - 'ids' into _r
    from pgcortex.maint_purge_expired(as_of => maint_run.as_of) as f;
    return query select 'purge_expired', _r, pgcortex_internal.elapsed_ms(_t);

    _t := pg_catalog.clock_timestamp();
    select pg_catalog.jsonb_build_object('items_deleted', f.items_deleted) into _r
    from pgcortex.maint_store_sweep(as_of => maint_run.as_of) as f;
    return query select 'store_sweep', _r, pgcortex_internal.elapsed_ms(_t);

    _t := pg_catalog.clock_timestamp();
    select pg_catalog.to_jsonb(f) into _r from pgcortex.maint_flush_access() as f;
    return query select 'flush_access', _r, pgcortex_internal.elapsed_ms(_t);

    _t := pg_catalog.clock_timestamp();
    select pg_catalog.to_jsonb(f) into _r from pgcortex_internal.maint_fold_terms() as f;
    return query select 'fold_terms', _r, pgcortex_internal.elapsed_ms(_t);

    _t := pg_catalog.clock_timestamp();
    if maint_run.history_days is not null then
        select pg_catalog.to_jsonb(f) into _r
        from pgcortex.maint_prune_history(keep_days => maint_run.history_days, as_of => maint_run.as_of) as f;
    else
        _r := '{"skipped": true}';
    end if;
    return query select 'prune_history', _r, pgcortex_internal.elapsed_ms(_t);

    _t := pg_catalog.clock_timestamp();
    _r := pg_catalog.jsonb_build_object('clustered', pgcortex_internal.cluster_pending(maint_run.as_of));
    return query select 'cluster_pending', _r, pgcortex_internal.elapsed_ms(_t);

    _t := pg_catalog.clock_timestamp();
    if maint_run.recluster then
        select pg_catalog.to_jsonb(f) into _r from pgcortex.maint_recluster(as_of => maint_run.as_of) as f;
    else
        _r := '{"skipped": true}';
    end if;
    return query select 'recluster', _r, pgcortex_internal.elapsed_ms(_t);

    _t := pg_catalog.clock_timestamp();
    if maint_run.detect_patterns then
        select pg_catalog.jsonb_build_object(
            'patterns_found', count(*),
            'new_evidence', coalesce(sum(p.new_evidence), 0),
            'patterns', coalesce(
                pg_catalog.jsonb_agg(p.pattern_type || ': ' || p.description order by p.pattern_type, p.description),
                '[]'
            )
        )
        into _r
        from pgcortex.identify_learning_patterns(as_of => maint_run.as_of) as p;
    else
        _r := '{"skipped": true}';
    end if;
    return query select 'detect_patterns', _r, pgcortex_internal.elapsed_ms(_t);
end
$$;

comment on function pgcortex.maint_run(integer, boolean, boolean, boolean, timestamptz, integer) is
'All maintenance of the namespace in one call, one row per step in this order: forget (pgcortex.maint_forget with forget_days), purge_expired (maint_purge_expired), store_sweep (maint_store_sweep: the key-value store''s expired items), flush_access (maint_flush_access: folds the access log, up to 1,000,000 rows), fold_terms (folds the pending term statistics of the text search: {folded_rows, terms_changed, remaining_rows}, pgcortex_internal.maint_fold_terms), prune_history (maint_prune_history with history_days, default 365; null keeps all history), cluster_pending (clusters the memories queued since the last cluster read: {"clustered": n}, pgcortex_internal.cluster_pending), recluster (maint_recluster), detect_patterns (identify_learning_patterns over the namespace); result is what the step reported, duration_ms how long it took. Steps can be switched off. Schedule it with pg_cron or cron (README).';

-- name: elapsed_ms
-- Milliseconds since a start time (for maintenance reports).
create or replace function pgcortex_internal.elapsed_ms(since timestamptz)
returns numeric
language sql
volatile
security invoker
set search_path = pg_catalog, pg_temp
return round(extract(epoch from (pg_catalog.clock_timestamp() - elapsed_ms.since)) * 1000, 1);

comment on function pgcortex_internal.elapsed_ms(timestamptz) is
'Milliseconds elapsed since the given time, by the wall clock.';

-- name: maint_forget
-- The original memory module's forgetting policy: deletes memories not accessed for days,
-- unimportant and rarely accessed.
create or replace function pgcortex.maint_forget(
    days integer default 90,
    max_importance integer default 2,
    min_access_count integer default 3,
    as_of timestamptz default now(),
    dry_run boolean default false
)
returns table (
    simulated boolean,
    cutoff timestamptz,
    matched bigint,
    deleted bigint,
    ids uuid[]
)
language plpgsql
volatile
security definer  -- uses memories, memory_access, memory_access_log: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ns text := pgcortex.current_namespace();
    _cutoff timestamptz;
    _ids uuid [];
    _deleted uuid [] := '{}';
begin
    if maint_forget.days is null or maint_forget.days < 0 then
        raise exception using errcode = 'PC004', message = 'days must be 0 or more';
    end if;
    if maint_forget.max_importance is null or maint_forget.max_importance not between 1 and 5 then
        raise exception using errcode = 'PC004', message = 'max_importance must be in 1..5';
    end if;
    if maint_forget.min_access_count is null or maint_forget.min_access_count < 0 then
        raise exception using errcode = 'PC004', message = 'min_access_count must be 0 or more';
    end if;
    if maint_forget.as_of is null then
        raise exception using errcode = 'PC003', message = 'as_of must not be null';
    end if;
    _cutoff := maint_forget.as_of - pg_catalog.make_interval(days => maint_forget.days);
    _ids := array(
        select m.id
        from pgcortex.memories as m
        left join pgcortex.memory_access as a
            on m.namespace = a.namespace and m.id = a.memory_id
        left join pgcortex_internal.pending_accesses() as l on m.id = l.memory_id
        where
            m.namespace = _ns
            and m.importance <= maint_forget.max_importance
            and coalesce(a.access_count, 0) + coalesce(l.pending, 0) < maint_forget.min_access_count
            and coalesce(greatest(a.last_accessed, l.last_accessed), m.created_at) < _cutoff
        order by m.id
    );
    if not maint_forget.dry_run then
        _deleted := pgcortex_internal.forget_memories(_ids, 'forget', maint_forget.as_of);
    end if;
    return query
    select
        maint_forget.dry_run,
        _cutoff,
        pg_catalog.cardinality(_ids)::bigint,
        pg_catalog.cardinality(_deleted)::bigint,
        case when maint_forget.dry_run then _ids else _deleted end;
end
$$;

comment on function pgcortex.maint_forget(integer, integer, integer, timestamptz, boolean) is
'Maintenance, the original memory module''s forgetting policy: deletes the memories of this namespace not accessed (nor created) for more than days before as_of, whose importance is at most max_importance and that were accessed fewer than min_access_count times. dry_run reports the same without deleting. Returns whether it was a dry run (simulated), the cutoff, how many matched, how many were deleted and the ids (those matched on a dry run, else those deleted).';

-- name: maint_purge_expired
-- Deletes the memories whose expiry has passed.
create or replace function pgcortex.maint_purge_expired(as_of timestamptz default now())
returns table (purged bigint, ids uuid[])
language plpgsql
volatile
security definer  -- uses memories: closed to pgcortex_app
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    _ids uuid [];
begin
    if maint_purge_expired.as_of is null then
        raise exception using errcode = 'PC003', message = 'as_of must not be null';
    end if;
    _ids := array(
        select m.id from pgcortex.memories as m
        where
            m.namespace = (select pgcortex.current_namespace())
            and m.expires_at <= maint_purge_expired.as_of
        order by m.id
    );
    _ids := pgcortex_internal.forget_memories(_ids, 'purge_expired', maint_purge_expired.as_of);
    return query select pg_catalog.cardinality(_ids)::bigint, _ids;
end
$$;

comment on function pgcortex.maint_purge_expired(timestamptz) is
'Maintenance: deletes the memories of this namespace whose expires_at is at or before as_of (they are already invisible to every read). Returns how many were purged and their ids.';
