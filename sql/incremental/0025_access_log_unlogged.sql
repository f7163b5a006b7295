-- name: 0025_access_log_unlogged
-- The access log (pgcortex.memory_access_log) is unlogged: a read that counts
-- its hits writes no WAL. A transaction that wrote no WAL commits without
-- waiting for a flush by PostgreSQL's own rule, and one that wrote anything
-- else, to any table, writes WAL and commits as its synchronous_commit says.
-- That replaces the commit rule of tracked reads (synchronous_commit turned off
-- for the transaction, a deferred trigger that turned it back on after any
-- other write): counting a search's hits cost 1.1 ms of CPU with it, 0.5 to
-- 0.7 ms without it (docs/performance.md). What it changes: a crash or a
-- failover empties the log, so the accesses not yet folded into
-- pgcortex.memory_access (maint_flush_access, maint_run, and every 2,000th
-- logged access) are lost; folded counts stay durable. A hot standby has the
-- folded counts only; the reads skip the log there (pgcortex_internal.pending_accesses).
-- Run-once file: never edit after release; add a new numbered file instead.

drop trigger if exists memory_access_log_commit_check on pgcortex.memory_access_log;
drop function if exists pgcortex_internal.restore_synchronous_commit();
drop function if exists pgcortex_internal.claim_commit_check();
drop function if exists pgcortex_internal.xact_write_count();

-- Rewrites the table (its pending rows are kept); its identity sequence and
-- indexes become unlogged with it.
alter table pgcortex.memory_access_log set unlogged;

comment on table pgcortex.memory_access_log is
'Append-only log of memory reads not yet folded into pgcortex.memory_access (see pgcortex.maint_flush_access). access_count = memory_access.access_count + the pending rows here. Unlogged: writing it costs no WAL, and a crash or failover empties it (the reads it held are lost; folded counts stay); a hot standby has it empty and the reads skip it there.';
