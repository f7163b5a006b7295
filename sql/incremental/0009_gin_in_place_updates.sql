-- name: 0009_gin_in_place_updates
-- The GIN indexes of pgcortex.memories (tags, metadata, full-text) update in
-- place instead of through a pending list (docs/performance.md).
-- Run-once file: never edit after release; add a new numbered file instead.

-- With fastupdate (the default) a new row's GIN entries go to an unsorted
-- pending list that every search using the index reads in full until a vacuum
-- or a 4 MB overflow folds it in. Agents store continuously, so searches paid
-- for it: measured on 100,000 memories after 4,000 stores, the full-text
-- bitmap scan read 176 pages instead of 19 (1.4 ms instead of 0.26 ms) and the
-- hybrid search mix was 2 ms slower at p50 until a vacuum. In-place updates
-- cost the insert a few GIN page updates, small beside its HNSW insert.
alter index pgcortex.memories_tags_gin_idx set (fastupdate = false);
alter index pgcortex.memories_metadata_gin_idx set (fastupdate = false);
alter index pgcortex.memories_content_tsv_gin_idx set (fastupdate = false);

-- Turning fastupdate off leaves what is already pending: fold it in now.
select pg_catalog.gin_clean_pending_list('pgcortex.memories_tags_gin_idx'::regclass);
select pg_catalog.gin_clean_pending_list('pgcortex.memories_metadata_gin_idx'::regclass);
select pg_catalog.gin_clean_pending_list('pgcortex.memories_content_tsv_gin_idx'::regclass);
