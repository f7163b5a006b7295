"""The leak matrix: calls of every SQL API function aimed at another namespace's data.

Each entry names a function of schema pgcortex and the calls that try to reach
namespace B's rows from a session scoped to namespace A: by B's ids, by B's
content (dedup collisions), by names and keys both namespaces use, and through
counts and summaries. tests/test_security_isolation.py runs every call twice,
with B's data present and after B is erased, and requires identical results:
then nothing A can observe depends on B. tests/test_security_isolation.py also
fails when a function of the schema has no entry here.

Placeholders (psycopg named parameters) are filled from the seeded ids.
"""

from __future__ import annotations

#: Functions that cannot be called directly, with the reason.
EXEMPT: dict[str, str] = {
    "memories_cluster_trigger": "trigger function (runs inside the store calls below)",
    "record_memory_history": "trigger function (runs inside the update calls below)",
    "restore_synchronous_commit": "trigger function (runs at the commit of tracked reads)",
    "record_memory_terms": "trigger function (runs inside the store and update calls below)",
}

_B_IDS = "array[%(b_m)s, %(b_private)s]::uuid[]"

MATRIX: dict[str, list[str]] = {
    # core and helpers: no table, same answer everywhere
    "current_namespace": ["select pgcortex.current_namespace()"],
    "schema_version": ["select version, min_client_version from pgcortex.schema_version()"],
    "check_embedding": ["select pgcortex.check_embedding(%(vec_b)s::public.vector)"],
    "content_hash": ["select pgcortex.content_hash('shared fact: the sky is blue')"],
    "new_id": ["select pgcortex.new_id()"],
    "xact_write_count": ["select pgcortex.xact_write_count() is not null"],
    "claim_commit_check": ["select pgcortex.claim_commit_check()"],
    "elapsed_ms": ["select pgcortex.elapsed_ms(%(t_now)s)"],
    "embedding_problem": ["select pgcortex.embedding_problem(%(vec_b)s::public.vector)"],
    "metadata_problem": ["select pgcortex.metadata_problem('{\"a\": 1}')"],
    "tags_problem": ["select pgcortex.tags_problem(array['beta', ''])"],
    "normalize_tags": ["select pgcortex.normalize_tags(array[' Beta ', 'beta'])"],
    "search_tsquery": ["select pgcortex.search_tsquery('launch code beta')"],
    "search_defaults": ["select pgcortex.search_defaults()"],
    "add_merged_occurrences": [
        'select pgcortex.add_merged_occurrences(\'{"a": 1}\', \'[{"content": "x"}]\')'
    ],
    "is_topic_term": ["select pgcortex.is_topic_term('launch')"],
    "term_surface": ["select pgcortex.term_surface('launch', array['Launch codes'])"],
    "top_terms": [
        "select pgcortex.top_terms(array[pg_catalog.to_tsvector('english', 'launch code beta')], 3)"
    ],
    "cluster_key_of": ["select pgcortex.cluster_key_of('business_fact', array['shared'])"],
    "cluster_importance": ["select pgcortex.cluster_importance(3, %(t_now)s, 3.0, %(t_now)s)"],
    "set_change_context": ["select pgcortex.set_change_context('test', %(t_now)s)"],
    "namespaced_tables": ["select table_name::text, depth from pgcortex.namespaced_tables()"],
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
    "memory_rows": [f"select * from pgcortex.memory_rows(memory_ids => {_B_IDS})"],
    "access_totals_of": [f"select * from pgcortex.access_totals_of({_B_IDS})"],
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
    "forget_memories": [f"select pgcortex.forget_memories(memory_ids => {_B_IDS})"],
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
    "check_embedding_model": [
        "select pgcortex.check_embedding_model('beta-model')",
        "select pgcortex.check_embedding_model('test-model')",
    ],
    "maint_flush_access": ["select * from pgcortex.maint_flush_access()"],
    "maint_fold_terms": ["select * from pgcortex.maint_fold_terms()"],
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
    "maint_run": ["select step, result from pgcortex.maint_run()"],
    # knowledge: sessions and turns
    "start_session": ["select message_count, topics from pgcortex.start_session()"],
    "store_conversation_turn": [
        "select * from pgcortex.store_conversation_turn(role => 'user', content => 'hi',"
        " session_id => %(b_session)s)"
    ],
    "conversation_turn_memory": [
        "select pgcortex.conversation_turn_memory(role => 'user',"
        " content => 'shared fact: the sky is blue', session_id => %(b_session)s,"
        " embedding => null, embedding_model => null, as_of => %(t_now)s)"
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
    "session_item_turn": [
        'select * from pgcortex.session_item_turn(\'{"role": "user", "content": "hi"}\')'
    ],
    "session_item_turns": [
        'select * from pgcortex.session_item_turns(\'[{"type": "reasoning"}]\')'
    ],
    "session_item_text": ['select pgcortex.session_item_text(\'[{"text": "hi"}]\')'],
    "session_item_jsonb": ['select pgcortex.session_item_jsonb(\'{"a": "\\u0000"}\')'],
    "check_session_items": ["select pgcortex.check_session_items('[{}]')"],
    "check_session_key": ["select pgcortex.check_session_key('shared-key')"],
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
    "record_learning_pattern": [
        "select * from pgcortex.record_learning_pattern(pattern_type => 'preference',"
        " description => 'shared: likes tea', confidence => 0.5, examples => array['x'],"
        " evidence_keys => array['k'], evidence_sessions => array[%(b_session)s]::uuid[],"
        " evidence_memories => array[%(b_private)s]::uuid[], evidence_turns => null,"
        " max_examples => 5, as_of => %(t_now)s)"
    ],
    "learning_pattern_row": [
        "select * from pgcortex.learning_pattern_row(pattern_id => %(b_pattern)s,"
        " new_evidence => 1)"
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
    "cluster_memories": [
        f"select * from pgcortex.cluster_memories(memory_ids => {_B_IDS})",
    ],
    "refresh_clusters": [
        "select pgcortex.refresh_clusters(cluster_ids => array[%(b_cluster)s]::uuid[])"
    ],
    "cluster_result": ["select * from pgcortex.cluster_result(cluster_id => %(b_cluster)s)"],
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
    "namespace_permitted": ["select pgcortex.namespace_permitted()"],
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
    "import_resolve": [
        "select pgcortex.import_resolve('matrix', 'memories', %(b_m)s::text)",
    ],
    "import_register_types": [
        "select * from pgcortex.import_register_types('memory', array['business_fact'])",
    ],
    "import_check_batch": [
        "select pgcortex.import_check_batch('matrix', '[]'::jsonb) is null",
    ],
    "import_strict_check": [
        "select pgcortex.import_strict_check(false, 'memories', 'x', null) is null",
    ],
    "import_vector": [
        "select pgcortex.import_vector('[1, 2, 3]'::jsonb)::text",
    ],
    "import_text_array": [
        'select pgcortex.import_text_array(\'["a", "b"]\'::jsonb)',
    ],
}
