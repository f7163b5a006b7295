-- name: 0012_unbound_logins
-- Fail-closed namespace bindings: a setting that makes a login role without a
-- binding refuse every namespace (superusers and members of pgcortex_owner
-- excepted), and a binding '*' for a trusted service that serves every tenant.
-- A new deployment starts fail-closed ('refuse'); a deployment upgraded from an
-- earlier release keeps its behaviour ('allow') until its owner opts in.
-- Run-once file: never edit after release; add a new numbered file instead.

create table pgcortex.security_settings (
    singleton boolean not null default true,
    unbound_logins text not null,
    updated_at timestamptz not null default now(),
    constraint security_settings_pkey primary key (singleton),
    constraint security_settings_singleton_check check (singleton),
    constraint security_settings_unbound_logins_check check (unbound_logins in ('allow', 'refuse'))
);

comment on table pgcortex.security_settings is
'Security settings of the deployment, one row; changed only by the owner or a superuser. unbound_logins: refuse = a login role without a row in pgcortex.namespace_bindings may use no namespace (PC051), unless it is a superuser or a member of pgcortex_owner; allow = such a role may use every namespace.';
comment on column pgcortex.security_settings.singleton is 'Always true: the table has one row.';
comment on column pgcortex.security_settings.unbound_logins is 'refuse (fail-closed, the default of new deployments) or allow (the behaviour before this setting existed).';
comment on column pgcortex.security_settings.updated_at is 'When the row was last changed.';

-- A fresh deployment applies every run-once file in this one transaction, so
-- 0001 is recorded with this transaction's start time; an upgrade recorded it
-- in an earlier transaction.
insert into pgcortex.security_settings (unbound_logins)
select
    case
        when exists (
                select from pgcortex.schema_migrations as m
                where m.name = '0001_schema_v1.sql' and m.applied_at = now()
            ) then 'refuse'
        else 'allow'
    end;

comment on column pgcortex.namespace_bindings.bound_namespace is
'A namespace that role may use; ''*'' means every namespace (a trusted service serving many tenants).';

update pgcortex.error_codes
set meaning = 'the login role may not use the namespace set in pgcortex.namespace: it is bound to other namespaces, or it has no binding while unbound logins are refused'
where sqlstate = 'PC051';
