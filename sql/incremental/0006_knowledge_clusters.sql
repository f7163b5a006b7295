-- name: 0006_knowledge_clusters
-- Clustering, measured: the HNSW index on knowledge_clusters.centroid is
-- dropped. Assignment reads a namespace's centroids once per statement into a
-- materialised set (far cheaper than one index probe per memory), so the index
-- served no query, while every centroid move added an HNSW entry to it: with
-- it, a batch founding thousands of clusters spent seconds inserting into it.
-- The default thresholds moved (0.35 to join, 0.70 to merge) after measuring
-- clustered embeddings whose same-topic pairs sit near 0.4 cosine.
-- Run-once file: never edit after release; add a new numbered file instead.

drop index pgcortex.knowledge_clusters_centroid_hnsw_idx;

comment on column pgcortex.knowledge_settings.cluster_similarity is
'Cosine similarity to a cluster centroid at or above which a new memory joins that cluster (default 0.35).';
comment on column pgcortex.knowledge_settings.cluster_merge_similarity is
'Cosine similarity of two centroids at or above which re-clustering merges them (default 0.70).';
