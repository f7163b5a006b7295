"""Schema v1: each table constraint rejects bad rows, the generated columns, the namespace guard."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

MEM = (
    "insert into pgcortex.memories (namespace, content, memory_type{cols}) values ('test', {vals})"
)
GOOD_VEC = "('[' || array_to_string(array_fill(0.05::real, array[384]), ',') || ']')::public.vector"


def _mem(content: str = "'a fact'", mtype: str = "'business_fact'", **extra: str) -> str:
    cols = "".join(f", {k}" for k in extra)
    vals = ", ".join([content, mtype, *extra.values()])
    return MEM.format(cols=cols, vals=vals)


BAD_ROWS = [
    (_mem(content="''"), "memories_content_check"),
    (_mem(content="repeat('x', 100001)"), "memories_content_check"),
    (_mem(mtype="'no_such_type'"), "memories_memory_type_fkey"),
    (_mem(importance="0"), "memories_importance_check"),
    (_mem(importance="6"), "memories_importance_check"),
    (_mem(confidence="1.5"), "memories_confidence_check"),
    (_mem(confidence="-0.1"), "memories_confidence_check"),
    (_mem(metadata="'[1, 2]'"), "memories_metadata_check"),
    (_mem(tags="array[null]::text[]"), "memories_tags_check"),
    (_mem(embedding=GOOD_VEC), "memories_embedding_model_check"),
    (_mem(expires_at="'2000-01-01'"), "memories_expires_at_check"),
    (
        "insert into pgcortex.memories (namespace, content, memory_type) "
        "values ('', 'x', 'business_fact')",
        "namespace_name_check",
    ),
    (
        "insert into pgcortex.user_preferences (namespace, key, value, confidence) "
        "values ('test', 'k', '1', 2)",
        "user_preferences_confidence_check",
    ),
    (
        "insert into pgcortex.user_preferences (namespace, key, value) values ('test', '', '1')",
        "user_preferences_key_check",
    ),
    (
        "insert into pgcortex.learning_patterns (namespace, pattern_type, description) "
        "values ('test', 'nope', 'd')",
        "learning_patterns_pattern_type_fkey",
    ),
    (
        "insert into pgcortex.learning_patterns (namespace, pattern_type, description, frequency) "
        "values ('test', 'workflow', 'd', 0)",
        "learning_patterns_frequency_check",
    ),
    (
        "insert into pgcortex.conversation_sessions (namespace, started_at, ended_at) "
        "values ('test', now(), now() - interval '1 second')",
        "conversation_sessions_ended_at_check",
    ),
    (
        "insert into pgcortex.conversation_sessions (namespace, importance) values ('test', 2)",
        "conversation_sessions_importance_check",
    ),
    (
        "insert into pgcortex.conversation_turns (namespace, role, content) "
        "values ('test', 'robot', 'hi')",
        "conversation_turns_role_check",
    ),
    (
        "insert into pgcortex.knowledge_clusters (namespace, name, importance_score) "
        "values ('test', 'c', 9)",
        "knowledge_clusters_importance_score_check",
    ),
    (
        "insert into pgcortex.memory_types (name, description) values ('Bad Name', 'x')",
        "memory_types_name_check",
    ),
]


@pytest.mark.parametrize(("statement", "constraint"), BAD_ROWS, ids=[c for _, c in BAD_ROWS])
def test_constraint_rejects_bad_row(
    db: psycopg.Connection, statement: str, constraint: str
) -> None:
    with pytest.raises(psycopg.errors.IntegrityError) as info:
        db.execute(statement)
    assert info.value.diag.constraint_name == constraint


def test_wrong_dimension_vector_rejected_by_column(db: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.DataException, match="expected 384 dimensions"):
        db.execute(
            _mem(embedding="'[1,2,3]'::public.vector", embedding_model="'m'"),
        )


def test_same_content_unique_per_namespace_not_across(db: psycopg.Connection) -> None:
    db.execute(_mem(content="'Hello   World'"))
    with pytest.raises(psycopg.errors.UniqueViolation) as info:
        db.execute(_mem(content="'  hello world '"))  # same after normalisation
    assert info.value.diag.constraint_name == "memories_namespace_content_hash_key"
    db.execute(
        "insert into pgcortex.memories (namespace, content, memory_type) "
        "values ('other', 'Hello World', 'business_fact')"
    )


def test_ids_are_time_ordered_uuids(db: psycopg.Connection) -> None:
    rows = db.execute(
        "select pgcortex_internal.new_id() from generate_series(1, 50) order by 1"
    ).fetchall()
    ids = [r[0] for r in rows]
    assert all(u.version == 7 for u in ids)


def test_generated_duration_and_text_columns(db: psycopg.Connection) -> None:
    started = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    row = db.execute(
        "insert into pgcortex.conversation_sessions (namespace, started_at) values ('test', %s) "
        "returning session_id, duration_seconds",
        (started,),
    ).fetchone()
    assert row is not None
    session_id, duration = row
    assert duration is None
    ended = started + dt.timedelta(minutes=42, seconds=7)
    (duration,) = db.execute(
        "update pgcortex.conversation_sessions set ended_at = %s where session_id = %s "
        "returning duration_seconds",
        (ended, session_id),
    ).fetchone() or (None,)
    assert duration == 42 * 60 + 7
    with pytest.raises(psycopg.errors.GeneratedAlways):
        db.execute(
            "update pgcortex.conversation_sessions set duration_seconds = 1 where session_id = %s",
            (session_id,),
        )
    (tsv,) = db.execute(
        "insert into pgcortex.memories (namespace, content, memory_type) "
        "values ('test', 'Runners were running', 'business_fact') returning content_tsv::text"
    ).fetchone() or (None,)
    assert tsv == "'run':3 'runner':1"  # english stemming, stop word 'were' dropped


def test_deleting_a_memory_takes_its_links_and_memberships(db: psycopg.Connection) -> None:
    a, b = (
        db.execute(
            "insert into pgcortex.memories (namespace, content, memory_type) "
            f"values ('test', '{name}', 'business_fact') returning id"
        ).fetchone()
        or (None,)
        for name in ("first", "second")
    )
    db.execute(
        "insert into pgcortex.memory_links (namespace, source_id, target_id) "
        "values ('test', %s, %s)",
        (a[0], b[0]),
    )
    (cluster,) = db.execute(
        "insert into pgcortex.knowledge_clusters (namespace, name) "
        "values ('test', 'c') returning id"
    ).fetchone() or (None,)
    db.execute(
        "insert into pgcortex.cluster_members (namespace, cluster_id, memory_id) "
        "values ('test', %s, %s)",
        (cluster, a[0]),
    )
    db.execute("delete from pgcortex.memories where id = %s", (a[0],))
    assert db.execute("select count(*) from pgcortex.memory_links").fetchone() == (0,)
    # (b stays in the cluster the clustering trigger gave it: count a's rows only)
    assert db.execute(
        "select count(*) from pgcortex.cluster_members where memory_id = %s", (a[0],)
    ).fetchone() == (0,)


def test_links_cannot_cross_namespaces(db: psycopg.Connection) -> None:
    (a,) = db.execute(
        "insert into pgcortex.memories (namespace, content, memory_type) "
        "values ('test', 'mine', 'business_fact') returning id"
    ).fetchone() or (None,)
    (b,) = db.execute(
        "insert into pgcortex.memories (namespace, content, memory_type) "
        "values ('other', 'theirs', 'business_fact') returning id"
    ).fetchone() or (None,)
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        db.execute(
            "insert into pgcortex.memory_links (namespace, source_id, target_id) "
            "values ('test', %s, %s)",
            (a, b),
        )


def test_current_namespace_fails_closed(db: psycopg.Connection) -> None:
    assert db.execute("select pgcortex.current_namespace()").fetchone() == ("test",)
    db.execute("reset pgcortex.namespace")
    with pytest.raises(psycopg.Error) as info:
        db.execute("select pgcortex.current_namespace()")
    assert info.value.sqlstate == "PC001"
