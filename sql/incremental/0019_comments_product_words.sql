-- name: 0019_comments_product_words
-- Comments that DBAs read with \dt+ and \d+: they name the original memory
-- module where they compare with it.
-- Run-once file: never edit after release; add a new numbered file instead.

comment on table pgcortex.memory_links is
'Directed, typed, weighted relations between two memories of one namespace (the original memory module''s related_memories, with integrity).';
comment on table pgcortex.knowledge_clusters is
'Groups of related memories: by embedding centroid, or by the original memory module''s key (type and tags) for memories without an embedding.';
comment on column pgcortex.knowledge_clusters.cluster_key is
'For clusters of memories without embeddings: the original memory module''s key, memory type and sorted tags.';
comment on table pgcortex.cluster_members is
'Which memory belongs to which knowledge cluster (the original memory module''s knowledge_clusters.memories array, with integrity).';
comment on table pgcortex.conversation_turns is
'Every turn of every conversation (the original memory module kept only the last 50 in process memory).';
