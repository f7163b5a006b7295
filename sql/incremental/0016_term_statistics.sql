-- name: 0016_term_statistics
-- Term statistics per namespace for BM25 text ranking: how many memories hold
-- each lexeme, how many memories there are and their total length.
-- Run-once file: never edit after release; add a new numbered file instead.

-- The folded statistics: one row per lexeme of the namespace's memories.
create table pgcortex.memory_terms (
    namespace pgcortex.namespace_name not null,
    lexeme text not null,
    doc_count bigint not null,
    constraint memory_terms_pkey primary key (namespace, lexeme)
);

comment on table pgcortex.memory_terms is
'Folded document frequency per lexeme of a namespace''s memories (content_tsv): doc_count memories hold the lexeme. The current value is doc_count plus the pending rows of pgcortex.memory_term_log (see pgcortex.maint_fold_terms).';

-- The folded totals: one row per namespace.
create table pgcortex.memory_term_totals (
    namespace pgcortex.namespace_name not null,
    doc_count bigint not null,
    total_length bigint not null,
    constraint memory_term_totals_pkey primary key (namespace)
);

comment on table pgcortex.memory_term_totals is
'Folded count of a namespace''s memories and the sum of their lengths (distinct lexemes of content_tsv), for BM25''s average length. Current value: this row plus the pending totals rows of pgcortex.memory_term_log.';

-- Writers append here instead of updating shared counter rows: concurrent
-- stores in one namespace never wait on each other for a common word. The log
-- is folded into the two tables above by one writer at a time (an advisory
-- lock tried, never waited for) every few hundred rows, and in maintenance.
create table pgcortex.memory_term_log (
    log_id bigint generated always as identity,
    namespace pgcortex.namespace_name not null,
    lexeme text,
    doc_delta bigint not null,
    length_delta bigint not null,
    constraint memory_term_log_pkey primary key (log_id)
);

comment on table pgcortex.memory_term_log is
'Pending changes of the term statistics, written by the memories triggers: per lexeme (doc_delta memories more or fewer hold it), or with lexeme null for the namespace''s totals (doc_delta memories, length_delta lexemes). Folded by pgcortex.maint_fold_terms.';

create index memory_term_log_lexeme_idx on pgcortex.memory_term_log (namespace, lexeme);

-- The statistics of what is already stored.
insert into pgcortex.memory_terms (namespace, lexeme, doc_count)
select
    m.namespace,
    u.lexeme,
    count(*) as doc_count
from pgcortex.memories as m
cross join lateral pg_catalog.unnest(m.content_tsv) as u
group by m.namespace, u.lexeme;

insert into pgcortex.memory_term_totals (namespace, doc_count, total_length)
select
    m.namespace,
    count(*) as doc_count,
    sum(pg_catalog.length(m.content_tsv)) as total_length
from pgcortex.memories as m
group by m.namespace;
