-- name: 0008_namespace_not_permitted
-- The error of a login role bound to other namespaces (pgcortex.namespace_bindings)
-- that calls an API function: pgcortex.current_namespace() refuses it, so every
-- function refuses it whatever row-level security does (pgcortex.memories has
-- row-level security enabled but not forced; see docs/performance.md).
-- Run-once file: never edit after release; add a new numbered file instead.

insert into pgcortex.error_codes (sqlstate, name, meaning) values
('PC051', 'namespace_not_permitted', 'the login role is bound to other namespaces than the one set in pgcortex.namespace');
