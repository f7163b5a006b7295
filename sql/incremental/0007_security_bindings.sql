-- name: 0007_security_bindings
-- Namespace bindings: a login role listed here may work only in the namespaces
-- bound to it, whatever it sets pgcortex.namespace to. Roles not listed are not
-- restricted (trusted services that serve many tenants).
-- Run-once file: never edit after release; add a new numbered file instead.

create table pgcortex.namespace_bindings (
    role_name name not null,
    bound_namespace pgcortex.namespace_name not null,
    created_at timestamptz not null default now(),
    constraint namespace_bindings_pkey primary key (role_name, bound_namespace)
);

comment on table pgcortex.namespace_bindings is
'Which namespaces a login role (session_user) may use. A role with rows here sees and writes nothing outside them: the row-level security policy of every namespaced table checks it. Roles without rows are unrestricted. Managed by the owner or a superuser; the application role cannot read or change it.';
comment on column pgcortex.namespace_bindings.role_name is 'The login role (session_user), as in pg_roles.rolname.';
comment on column pgcortex.namespace_bindings.bound_namespace is 'A namespace that role may use.';
