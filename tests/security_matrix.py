"""The leak matrix: calls of every SQL API function aimed at another namespace's data.

Each entry names a function of schema pgcortex and the calls that try to reach
namespace B's rows from a session scoped to namespace A: by B's ids, by B's
content (dedup collisions), by names and keys both namespaces use, and through
counts and summaries. tests/test_security_isolation.py runs every call twice,
with B's data present and after B is erased, and requires identical results:
then nothing A can observe depends on B. tests/test_security_isolation.py also
fails when a function of the schema has no entry here, or an entry names no
function of it. The helpers in schema pgcortex_internal have no entry: the
application role cannot call them (tests/test_security_privileges.py); they run
inside the calls below.

Placeholders (psycopg named parameters) are filled from the seeded ids.
"""

from __future__ import annotations

#: Functions of schema pgcortex that cannot be called directly, with the reason
#: (none: trigger functions live in pgcortex_internal).
EXEMPT: dict[str, str] = {}

_B_IDS = "array[%(b_m)s, %(b_private)s]::uuid[]"

MATRIX: dict[str, list[str]] = {
    # core: no table, same answer everywhere
    "current_namespace": ["select pgcortex.current_namespace()"],
    "schema_version": ["select version, min_client_version from pgcortex.schema_version()"],
    # memories: by B's ids
    "get_memory": ["select * from pgcortex.get_memory(memory_id => %(b_private)s)"],
    "list_memory_types": ["select name from pgcortex.list_memory_types()"],
    "resolve_memory_id": [
        "select pgcortex.resolve_memory_id(id_prefix => %(b_private)s::text)",
        "select pgcortex.resolve_memory_id(id_prefix => pg_catalog.left(%(b_m)s::text, 13))",
    ],
    "get_memories": [
        "select * from pgcortex.get_memories("
        "memory_ids => array[%(b_m)s, %(b_private)s, %(a_m)s]::uuid[])"
    ],
    "update_memory": [
        "select * from pgcortex.update_memory(memory_id => %(b_private)s, content => 'mine')",
        "select * from pgcortex.update_memory(memory_id => %(a_m)s,"
        " content => 'private fact of beta: the launch code is beta-1234')",
    ],
    "delete_memory": ["select pgcortex.delete_memory(memory_id => %(b_private)s)"],
    "delete_memories": [
        f"select * from pgcortex.delete_memories(memory_ids => {_B_IDS})",
        "select deleted from pgcortex.delete_memories(tags_any => array['beta'])",
    ],
    "memory_history": ["select * from pgcortex.memory_history(memory_id => %(b_private)s)"],
    "track_access": [f"select pgcortex.track_access(ids => {_B_IDS})"],
    "link_memories": [
        "select * from pgcortex.link_memories(source_id => %(a_m)s, target_id => %(b_private)s)",
        "select * from pgcortex.link_memories(source_id => %(b_m)s, target_id => %(a_m)s)",
    ],
    "unlink_memories": [
        "select pgcortex.unlink_memories(source_id => %(b_m)s, target_id => %(b_private)s)"
    ],
    "related_memories": [
        "select * from pgcortex.related_memories(memory_id => %(b_m)s)",
        "select id, distance from pgcortex.related_memories(memory_id => %(a_m)s)",
    ],
    # memories: by B's content (dedup and near-duplicate collisions) and ids
    "store_memory": [
        "select action from pgcortex.store_memory(content => 'shared fact: the sky is blue',"
        " memory_type => 'business_fact')",
        "select action from pgcortex.store_memory("
        "content => 'private fact of beta: the launch code is beta-1234',"
        " memory_type => 'technical_knowledge', embedding => %(vec_b)s::public.vector,"
        " embedding_model => 'test-model')",
        "select * from pgcortex.store_memory(content => 'planted with a known id',"
        " memory_type => 'business_fact', memory_id => %(b_private)s)",
        "select action from pgcortex.store_memory(content => 'near copy of beta',"
        " memory_type => 'technical_knowledge', embedding => %(vec_b)s::public.vector,"
        " embedding_model => 'beta-model')",
    ],
    "store_memories": [
        "select ordinality, action from pgcortex.store_memories("
        "contents => array['shared fact: the sky is blue', 'beta prefers concise answers'],"
        " memory_types => array['business_fact', 'user_preference'])",
        "select * from pgcortex.store_memories(contents => array['id clash'],"
        " memory_types => array['business_fact'], ids => array[%(b_m)s]::uuid[])",
    ],
    # memories: listings, searches, counts
    "list_memories": ["select id, content from pgcortex.list_memories()"],
    "search_memories": [
        "select id, content, rank from pgcortex.search_memories("
        "query_embedding => %(vec_b)s::public.vector, query_text => 'launch code beta',"
        " embedding_model => 'test-model')",
        "select id from pgcortex.search_memories(query_text => 'sky blue shared')",
    ],
    "recall_memories": [
        "select id from pgcortex.recall_memories(query => 'launch code beta', min_relevance => 0)"
    ],
    "get_memory_summary": ["select * from pgcortex.get_memory_summary()"],
    "namespace_embedding_model": ["select pgcortex.namespace_embedding_model()"],
    # embedding models: the registry is the deployment's (no namespace); what a
    # namespace reaches through it is its own memories and vectors only
    "embedding_model_index_sql": ["select pgcortex.embedding_model_index_sql('beta-model')"],
    "embedding_model_row": [
        "select name, dimensions from pgcortex.embedding_model_row('beta-model')"
    ],
    "list_embedding_models": ["select name, dimensions from pgcortex.list_embedding_models()"],
    "register_embedding_model": [
        "select name from pgcortex.register_embedding_model(name => 'matrix-model',"
        " dimensions => 8)"
    ],
    "drop_embedding_model": [
        "select name from pgcortex.register_embedding_model(name => 'matrix-drop',"
        " dimensions => 8)",
        "select name from pgcortex.drop_embedding_model('matrix-drop')",
    ],
    "set_default_embedding_model": [
        "select name from pgcortex.set_default_embedding_model('all-MiniLM-L6-v2')"
    ],
    "set_namespace_embedding_model": [
        "select pgcortex.set_namespace_embedding_model('beta-model')"
    ],
    "reembed_pending": ["select memory_id from pgcortex.reembed_pending('beta-model')"],
    "reembed_status": ["select total, staged from pgcortex.reembed_status('beta-model')"],
    "reembed_stage": [
        "select pgcortex.reembed_stage('beta-model', " + _B_IDS + ","
        " array[%(vec_b)s::public.vector, %(vec_b)s::public.vector],"
        " array['\\x00'::bytea, '\\x00'::bytea])"
    ],
    "reembed_switch": ["select switched from pgcortex.reembed_switch('beta-model')"],
    "maint_drop_old_embeddings": ["select * from pgcortex.maint_drop_old_embeddings('beta-model')"],
    "maint_flush_access": ["select * from pgcortex.maint_flush_access()"],
    "maint_forget": [
        "select simulated, matched, deleted from pgcortex.maint_forget(days => 0,"
        " max_importance => 5, min_access_count => 1000, dry_run => true,"
        " as_of => %(t_later)s)"
    ],
    "maint_purge_expired": ["select * from pgcortex.maint_purge_expired(as_of => %(t_far)s)"],
    "maint_prune_history": [
        "select simulated, matched, deleted from pgcortex.maint_prune_history(keep_days => 0,"
        " as_of => %(t_far)s, dry_run => true)",
        "select simulated, matched, deleted from pgcortex.maint_prune_history(keep_days => 0,"
        " as_of => %(t_far)s)",
    ],
    "maint_recluster": ["select * from pgcortex.maint_recluster()"],
    "maint_rebuild_terms": ["select * from pgcortex.maint_rebuild_terms()"],
    "maint_run": ["select step, result from pgcortex.maint_run()"],
    # knowledge: sessions and turns
    "start_session": ["select message_count, topics from pgcortex.start_session()"],
    "store_conversation_turn": [
        "select * from pgcortex.store_conversation_turn(role => 'user', content => 'hi',"
        " session_id => %(b_session)s)"
    ],
    "end_session": ["select * from pgcortex.end_session(session_id => %(b_session)s)"],
    "get_conversation_context": [
        "select * from pgcortex.get_conversation_context(session_id => %(b_session)s)",
        "select * from pgcortex.get_conversation_context()",
    ],
    "list_sessions": ["select session_id, message_count from pgcortex.list_sessions()"],
    # integrations: agent sessions by key (both namespaces use the key 'shared-key')
    "session_by_key": ["select pgcortex.session_by_key(session_key => 'shared-key')"],
    "get_session_items": [
        "select role, item::text from pgcortex.get_session_items(session_key => 'shared-key')"
    ],
    "add_session_items": [
        "select ordinality, memory_id from pgcortex.add_session_items(session_key => 'shared-key',"
        ' items => \'[{"role": "user", "content": "shared fact: the sky is blue"}]\')',
        "select ordinality, memory_id from pgcortex.add_session_items(session_key => 'beta-only',"
        ' items => \'[{"role": "user", "content": "hi"}]\')',
    ],
    "pop_session_item": [
        "select role, item::text from pgcortex.pop_session_item(session_key => 'shared-key')"
    ],
    "clear_session_items": ["select pgcortex.clear_session_items(session_key => 'shared-key')"],
    "session_item_turns": [
        'select * from pgcortex.session_item_turns(\'[{"type": "reasoning"}]\')'
    ],
    # integrations: the key-value store (both namespaces hold path {shared}, key k)
    "store_put": [
        "select created_at is not null from pgcortex.store_put(path => '{shared}', key => 'k',"
        ' value => \'{"owner": "a"}\')',
        "select expires_at is not null from pgcortex.store_put(path => '{beta-only}', key => 'k',"
        " value => '{}', ttl_minutes => 1, index_fields => array['text'],"
        " embeddings => array[%(vec_b)s::public.vector], embedding_model => 'test-model')",
    ],
    "store_get": [
        "select value::text from pgcortex.store_get(path => '{shared}', key => 'k',"
        " refresh_ttl => false)",
        "select value::text from pgcortex.store_get(path => '{shared}', key => 'k',"
        " omit_expired => true, as_of => %(t_far)s)",
    ],
    "store_delete": ["select pgcortex.store_delete(path => '{shared}', key => 'k')"],
    "store_search": [
        "select path, key, value::text, score from pgcortex.store_search("
        "query => 'store item beta', filter => '{\"n\": {\"$gte\": 1}}')",
        "select path, key, score from pgcortex.store_search(path_prefix => '{shared}',"
        " query_embedding => %(vec_b)s::public.vector, embedding_model => 'test-model')",
    ],
    "store_list_namespaces": [
        "select path from pgcortex.store_list_namespaces()",
        "select path from pgcortex.store_list_namespaces(suffix => '{*}', omit_expired => true,"
        " as_of => %(t_far)s)",
    ],
    "store_embedding_model": [
        "select pgcortex.store_embedding_model(dimensions => 384, embedding_model => 'test-model')"
    ],
    "maint_store_sweep": ["select * from pgcortex.maint_store_sweep(as_of => %(t_far)s)"],
    # knowledge: preferences (same key in both namespaces)
    "learn_user_preference": [
        "select * from pgcortex.learn_user_preference(key => 'theme', value => '\"dark\"',"
        " confidence => 0.1)",
        "select * from pgcortex.learn_user_preference(key => 'beta-only', value => '1',"
        " session_id => %(b_session)s, memory_id => %(b_private)s)",
    ],
    "get_user_preferences": ["select * from pgcortex.get_user_preferences()"],
    "get_preference_history": ["select * from pgcortex.get_preference_history(key => 'theme')"],
    # knowledge: patterns (same description in both namespaces)
    "store_learning_pattern": [
        "select * from pgcortex.store_learning_pattern(pattern_type => 'preference',"
        " description => 'shared: likes tea', session_id => %(b_session)s,"
        " memory_id => %(b_private)s)"
    ],
    "get_learning_patterns": ["select * from pgcortex.get_learning_patterns()"],
    "identify_learning_patterns": [
        "select * from pgcortex.identify_learning_patterns(session_id => %(b_session)s)",
        "select * from pgcortex.identify_learning_patterns(min_turns => 1,"
        " min_term_turns => 1, min_questions => 1)",
    ],
    # knowledge: clusters (same name in both namespaces)
    "store_knowledge_cluster": [
        "select * from pgcortex.store_knowledge_cluster(name => 'shared cluster',"
        " memory_ids => array[%(b_private)s]::uuid[])",
        "select * from pgcortex.store_knowledge_cluster(name => 'another cluster',"
        " memory_ids => array[%(a_m)s]::uuid[])",
    ],
    "get_knowledge_clusters": [
        "select name, member_count from pgcortex.get_knowledge_clusters(query => 'sky',"
        " min_relevance => 0)",
        "select name from pgcortex.get_knowledge_clusters(query_embedding => "
        "%(vec_b)s::public.vector, embedding_model => 'test-model', min_relevance => 0)",
    ],
    "get_contextual_knowledge": [
        "select pgcortex.get_contextual_knowledge(query => 'launch code beta sky',"
        " session_id => %(b_session)s, min_relevance => 0, cluster_min_relevance => 0)"
    ],
    "knowledge_settings": ["select * from pgcortex.knowledge_settings()"],
    "set_knowledge_settings": [
        "select * from pgcortex.set_knowledge_settings(pattern_min_turns => 7)"
    ],
    # security
    "export_namespace": ["select * from pgcortex.export_namespace()"],
    "erase_namespace": [
        "select namespace, rows_deleted, tables from pgcortex.erase_namespace(confirm => 'a')",
        "select * from pgcortex.erase_namespace(confirm => 'b')",
    ],
    "namespace_audit_log": ["select action, details from pgcortex.namespace_audit_log()"],
    # import: B's ids as legacy ids and references, B's content as a dedup collision
    "import_memories": [
        "select outcome, reason from pgcortex.import_memories(source => 'matrix', items "
        "=> pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('legacy_id', "
        "%(b_m)s::text, 'id', %(b_m)s::text, 'content', 'shared fact: the sky is blue', "
        "'memory_type', 'business_fact')))",
        "select outcome, reason from pgcortex.import_memories(source => 'matrix', items "
        "=> pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('legacy_id', 'm2', "
        "'id', %(b_private)s::text, 'content', 'a matrix memory', 'memory_type', "
        "'business_fact')))",
    ],
    "import_links": [
        "select outcome, reason from pgcortex.import_links(source => 'matrix', items => "
        "pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('legacy_id', 'l1', "
        "'source_id', %(b_m)s::text, 'target_id', %(b_private)s::text)))",
    ],
    "import_clusters": [
        "select outcome, reason from pgcortex.import_clusters(source => 'matrix', items "
        "=> pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('legacy_id', 'c1', "
        "'id', %(b_cluster)s::text, 'name', 'shared cluster')))",
    ],
    "import_cluster_members": [
        "select outcome, reason from pgcortex.import_cluster_members(source => 'matrix', "
        "items => "
        "pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('cluster_id', "
        "%(b_cluster)s::text, 'memory_id', %(b_m)s::text)))",
    ],
    "import_patterns": [
        "select outcome, reason from pgcortex.import_patterns(source => 'matrix', items "
        "=> pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('legacy_id', 'p1', "
        "'id', %(b_m)s::text, 'pattern_type', 'topic_interest', 'description', 'shared "
        "pattern')))",
    ],
    "import_pattern_evidence": [
        "select outcome, reason from pgcortex.import_pattern_evidence(source => 'matrix', "
        "items => "
        "pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('pattern_id', "
        "%(b_m)s::text, 'memory_id', %(b_m)s::text, 'evidence_key', 'k')))",
    ],
    "import_preferences": [
        "select outcome, reason from pgcortex.import_preferences(source => 'matrix', "
        "items => pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('legacy_id', "
        "'theme', 'key', 'theme', 'value', 'matrix')))",
    ],
    "import_preference_history": [
        "select outcome, reason from pgcortex.import_preference_history(source => "
        "'matrix', items => "
        "pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('legacy_id', 'h1', "
        "'key', 'theme', 'value', 'matrix', 'memory_id', %(b_m)s::text)))",
    ],
    "import_sessions": [
        "select outcome, reason from pgcortex.import_sessions(source => 'matrix', items "
        "=> pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('legacy_id', 's1', "
        "'id', %(b_session)s::text, 'started_at', '2025-01-01T00:00:00Z')))",
    ],
    "import_turns": [
        "select outcome, reason from pgcortex.import_turns(source => 'matrix', items => "
        "pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('legacy_id', 't1', "
        "'session_id', %(b_session)s::text, 'role', 'user', 'content', 'shared question: "
        "what colour is the sky?')))",
    ],
    "import_memory_access": [
        "select count(*) from pgcortex.import_memory_access(source => 'matrix', items => "
        "pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('memory_id', "
        "%(b_m)s::text, 'access_count', 3)))",
    ],
    "import_store_items": [
        "select outcome, reason from pgcortex.import_store_items(source => 'matrix', items => "
        "pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('path', "
        "pg_catalog.jsonb_build_array('matrix'), 'key', 'k1', 'value', "
        "pg_catalog.jsonb_build_object('v', 1))))",
    ],
    "import_store_item_vectors": [
        "select outcome, reason from pgcortex.import_store_item_vectors(source => 'matrix', "
        "items => pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('path', "
        "pg_catalog.jsonb_build_array('matrix'), 'key', 'k1', 'field', 'v', "
        "'embedding_model', 'test-model', 'embedding', '[1,2,3]')))",
    ],
    "import_register_types": [
        "select * from pgcortex.import_register_types('memory', array['business_fact'])",
    ],
}
