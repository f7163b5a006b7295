-- name: bootstrap
-- Creates what the migration runner needs before the first migration: the
-- pgvector extension, the pgcortex schema (the public API, tables and views),
-- the pgcortex_internal schema (helpers the API calls: closed to the
-- application) and the migrations table.
-- Safe to run any number of times; both the Python runner and the psql-only
-- deploy script run it first, inside the deploy transaction.

create extension if not exists vector with schema public;

create schema if not exists pgcortex;

comment on schema pgcortex is
'pgcortex: long-term memory for AI agents. Tables, views and the SQL API live here.';

create schema if not exists pgcortex_internal;

comment on schema pgcortex_internal is
'pgcortex internals: checks, row builders, trigger functions and column defaults that the API functions call. The application role may use none of them.';

create table if not exists pgcortex.schema_migrations (
    name text not null,
    kind text not null,
    checksum text not null,
    applied_at timestamptz not null default now(),
    constraint schema_migrations_pkey primary key (name),
    constraint schema_migrations_kind_check check (kind in ('incremental', 'idempotent'))
);

comment on table pgcortex.schema_migrations is
'One row per SQL file deployed: run-once (incremental) files once, re-runnable (idempotent) files with the checksum last applied.';
