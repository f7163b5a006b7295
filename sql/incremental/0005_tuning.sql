-- name: 0005_tuning
-- Storage tuning measured by the benchmark (docs/performance.md).
-- Run-once file: never edit after release; add a new numbered file instead.

-- Keep the embedding inside the row. A 384-d vector is 1,540 bytes, so a memory
-- row with its text and full-text vector passes the 2 kB TOAST threshold and
-- pgvector's default (extended) storage moved the vector out of line: every
-- exact scan, every similarity computed for a result and every near-duplicate
-- check then read it back from the TOAST table. Measured on 100,000 memories:
-- an exact scan of the table went from 270 ms to 67 ms. Plain storage never
-- compresses or moves the vector (compression gains nothing on floats); the
-- content, full-text vector and metadata are still moved out of line first when
-- a row is large. Rows stored before this migration move inline at the next
-- rewrite of the table (VACUUM FULL).
alter table pgcortex.memories alter column embedding set storage plain;

-- Build the HNSW graph with ef_construction = 128 (m stays 16). Measured on the
-- benchmark's 100,000 clustered memories at the search's default ef_search of
-- 40: recall@10 of the index 0.912 with ef_construction = 64, 0.994 with 128
-- (m = 24 with 100 gave 0.995 for a larger graph to maintain). The price is a
-- build about twice as long and more work per insert; see docs/performance.md.
-- On an existing database this rebuilds the index inside the deploy.
drop index pgcortex.memories_embedding_hnsw_idx;
create index memories_embedding_hnsw_idx on pgcortex.memories
using hnsw (embedding public.vector_cosine_ops) with (m = 16, ef_construction = 128);
