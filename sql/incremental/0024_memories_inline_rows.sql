-- name: 0024_memories_inline_rows
-- A memory's row keeps its full-text vector and content in the heap page
-- beside its embedding. At the default toast_tuple_target (2,032 bytes) a
-- 384-d embedding (1,544 bytes) plus content and full-text vector crossed the
-- limit, so PostgreSQL moved every memory's full-text vector to the TOAST
-- table: each read of it by the search (BM25 of every text candidate, the
-- words of every vector candidate) fetched it from there, about three buffers
-- each time, and every store wrote a TOAST row and its index entry. Measured
-- at 100,000 memories: a hybrid search 9.6 ms -> 7.4 ms of CPU
-- (docs/performance.md, "Rows kept whole"). Rows larger than a page still go
-- to TOAST as before. Existing rows move when rewritten (any update, or
-- VACUUM FULL pgcortex.memories).
-- Run-once file: never edit after release; add a new numbered file instead.

alter table pgcortex.memories set (toast_tuple_target = 8160);
