-- name: 0004_security
-- Security and reliability: the audit log of namespace-wide operations
-- (export, erase) and the error code of an erase without confirmation.
-- Run-once file: never edit after release; add a new numbered file instead.

create table pgcortex.namespace_audit (
    audit_id bigint generated always as identity,
    namespace pgcortex.namespace_name not null,
    action text not null,
    actor text not null default session_user,
    details jsonb not null default '{}',
    at timestamptz not null default now(),
    constraint namespace_audit_pkey primary key (audit_id),
    constraint namespace_audit_action_check check (action in ('export', 'erase')),
    constraint namespace_audit_details_check check (jsonb_typeof(details) = 'object')
);

comment on table pgcortex.namespace_audit is
'Audit log of namespace-wide operations (export, erase): who ran them, when, and what they touched. Never erased with the namespace; readable per namespace through pgcortex.namespace_audit_log().';
comment on column pgcortex.namespace_audit.actor is
'The session user that ran the operation (the login role, not the function owner).';
comment on column pgcortex.namespace_audit.details is
'What the operation touched, for example the rows exported or deleted per table.';

create index namespace_audit_namespace_at_idx on pgcortex.namespace_audit (namespace, at);

insert into pgcortex.error_codes (sqlstate, name, meaning) values
('PC050', 'confirmation_required', 'a destructive call was not confirmed with the name of the current namespace');
