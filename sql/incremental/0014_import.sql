-- name: 0014_import
-- Import and restore: the map from the ids of imported rows (a SQLite memory
-- store, or a pgcortex export) to the rows they became, so that importing the
-- same source again adds nothing, an interrupted import resumes where it
-- stopped, and links, cluster members, turns and history resolve through it.
-- Run-once file: never edit after release; add a new numbered file instead.

create table pgcortex.import_ids (
    namespace pgcortex.namespace_name not null,
    source text not null,
    legacy_table text not null,
    legacy_id text not null,
    new_id text not null,
    outcome text not null,
    imported_at timestamptz not null default now(),
    constraint import_ids_pkey primary key (namespace, source, legacy_table, legacy_id),
    constraint import_ids_source_check check (length(source) between 1 and 200),
    constraint import_ids_legacy_table_check check (legacy_table ~ '^[a-z][a-z0-9_]{0,62}$'),
    constraint import_ids_legacy_id_check check (length(legacy_id) between 1 and 1000),
    constraint import_ids_outcome_check check (outcome in ('imported', 'merged'))
);

comment on table pgcortex.import_ids is
'Which row each imported row became: (source, table, id in the source) to the id of the row written (imported) or of the row it merged into (merged). Written by the pgcortex.import_* functions in the same transaction as the rows, so a re-run of the import adds nothing and an interrupted one resumes.';
comment on column pgcortex.import_ids.source is
'Names the source: sqlite (or the name the caller gave) for a memory store file, pgcortex:<namespace> for an export of that namespace.';
comment on column pgcortex.import_ids.legacy_table is 'The table of the source the row came from.';
comment on column pgcortex.import_ids.legacy_id is 'The id (or key) of the row in the source, as text.';
comment on column pgcortex.import_ids.new_id is 'The id (or key) of the row in this database, as text.';
comment on column pgcortex.import_ids.outcome is 'imported: a new row; merged: folded into a row that was already there.';

create index import_ids_new_id_idx on pgcortex.import_ids (namespace, legacy_table, new_id);
