-- name: 0018_integrations
-- Agent framework sessions find their conversation session by the key in its
-- metadata (pgcortex.session_by_key, on every read and write of their items):
-- an index on that key, so the lookup does not read every session of the
-- namespace.
-- Run-once file: never edit after release; add a new numbered file instead.
create index conversation_sessions_session_key_idx on pgcortex.conversation_sessions
(namespace, (metadata ->> 'session_key'), started_at desc)
where metadata ? 'session_key';

comment on index pgcortex.conversation_sessions_session_key_idx is
'Sessions by their session_key (metadata), newest first: pgcortex.session_by_key.';
