-- name: 0011_embedding_norm_bounds
-- PC011 also covers an embedding whose norm single-precision cosine arithmetic
-- cannot handle (pgcortex.embedding_problem): pgvector sums squares in float4,
-- so a squared norm outside the normal float4 range made the distance NaN or 0
-- and the near-duplicate test merged unrelated memories into such a row.
-- Run-once file: never edit after release; add a new numbered file instead.

update pgcortex.error_codes
set meaning = 'an embedding has NaN, infinite or all-zero values, or a norm outside 2^-60 .. 2^60 (its cosine cannot be computed in single precision)'
where sqlstate = 'PC011';
