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
