"""Embedding models: the registry, a model's own index, several models at once.

A deployment registers a 1,536-d model (vector storage) and a 3,072-d one
(halfvec storage); two namespaces store and search in one each, every search
answered from its model's HNSW index, and a vector of the wrong dimensions or
an unregistered model is refused with its code, nothing written.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import numpy as np
import psycopg
import pytest

from tests.conftest import vector_literal

TURN = "We agreed that invoices go out on the first Monday of the month, in namespace "
SMALL = "openai/text-embedding-3-small"
LARGE = "openai/text-embedding-3-large"


def unit(seed: int, dims: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(dims)
    return (v / np.linalg.norm(v)).astype(np.float32)


def register(db: psycopg.Connection, name: str, dims: int, **kw: Any) -> dict[str, Any]:
    args = ", ".join(f"{k} => %({k})s" for k in kw)
    row = db.execute(
        "select to_jsonb(r) from pgcortex.register_embedding_model("
        f"name => %(name)s, dimensions => %(dims)s{', ' + args if args else ''}) as r",
        {"name": name, "dims": dims, **kw},
    ).fetchone()
    assert row is not None
    out: dict[str, Any] = row[0]
    return out


def store(db: psycopg.Connection, content: str, vec: np.ndarray, model: str) -> tuple[str, str]:
    row = db.execute(
        "select id::text, action from pgcortex.store_memory(content => %s,"
        " memory_type => 'business_fact', embedding => %s::public.vector, embedding_model => %s)",
        (content, vector_literal(vec), model),
    ).fetchone()
    assert row is not None
    return row[0], row[1]


def search_ids(db: psycopg.Connection, vec: np.ndarray, k: int = 5, **kw: Any) -> list[str]:
    extra = "".join(f", {k} => %({k})s" for k in kw)
    rows = db.execute(
        "select id::text from pgcortex.search_memories(query_embedding => %(q)s::public.vector,"
        f" k => %(k)s, track => false{extra})",
        {"q": vector_literal(vec), "k": k, **kw},
    ).fetchall()
    return [r[0] for r in rows]


def vector_plan(db: psycopg.Connection, model: str, vec: np.ndarray) -> str:
    """The plan of the search's own vector statement for the model."""
    sql = db.execute(
        "select pgcortex_internal.vector_candidates_sql(pgcortex_internal.embedding_model_sql(%s),"
        " 'm.namespace = $1 and (m.expires_at is null or m.expires_at > $2)', false)",
        (model,),
    ).fetchone()
    assert sql is not None
    values = {
        1: "current_setting('pgcortex.namespace')",
        2: "now()",
        14: f"'{vector_literal(vec)}'::public.vector",
        16: "10",
    }
    text = re.sub(r"\$(\d+)", lambda m: values.get(int(m.group(1)), "null"), sql[0])
    # Tiny tables: no sort, so the plan shows whether the model's index can serve it.
    db.execute("set enable_sort = off")
    try:
        plan = db.execute(f"explain (format json) {text}").fetchone()
    finally:
        db.execute("reset enable_sort")
    assert plan is not None
    return json.dumps(plan[0])


def test_register_list_and_the_default(db: psycopg.Connection) -> None:
    small = register(db, SMALL, 1536, storage="vector")
    assert small["storage"] == "vector"
    assert small["distance"] == "cosine"
    assert small["index_state"] == "valid"
    large = register(db, LARGE, 3072)
    assert large["storage"] == "halfvec"  # above 2,000 dimensions
    # Again alike: nothing changes; another specification: PC014.
    assert register(db, SMALL, 1536, storage="vector")["model_id"] == small["model_id"]
    # The default storage: vector up to 1,024 dimensions, halfvec above.
    assert register(db, "default-1024", 1024)["storage"] == "vector"
    assert register(db, "default-1536", 1536)["storage"] == "halfvec"
    with pytest.raises(psycopg.Error) as exc:
        register(db, SMALL, 1024)
    assert exc.value.sqlstate == "PC014"
    with pytest.raises(psycopg.Error) as exc:
        register(db, "too-long-for-vector", 2500, storage="vector")
    assert exc.value.sqlstate == "PC004"
    names = [r[0] for r in db.execute("select name from pgcortex.list_embedding_models()")]
    assert names[0] == "all-MiniLM-L6-v2"
    assert SMALL in names
    assert LARGE in names
    default = db.execute(
        "select name from pgcortex.list_embedding_models() where is_default"
    ).fetchall()
    assert default == [("all-MiniLM-L6-v2",)]
    # A namespace that chose nothing uses the default.
    db.execute("set pgcortex.namespace = 'fresh'")
    assert db.execute("select pgcortex.namespace_embedding_model()").fetchone() == (
        "all-MiniLM-L6-v2",
    )
    # Each model has its own partial index, over the cast to its dimensions.
    idx: dict[str, str] = dict(
        db.execute(
            "select indexname, indexdef from pg_indexes where schemaname = 'pgcortex'"
            " and indexname in (%s, %s)",
            (small["index_name"], large["index_name"]),
        ).fetchall()
    )
    assert "(embedding)::vector(1536)" in idx[small["index_name"]]
    assert "vector_cosine_ops" in idx[small["index_name"]]
    assert "(embedding)::halfvec(3072)" in idx[large["index_name"]]
    assert "halfvec_cosine_ops" in idx[large["index_name"]]


def test_two_models_in_two_namespaces(db: psycopg.Connection) -> None:
    register(db, SMALL, 1536, storage="vector")
    register(db, LARGE, 3072)
    stored: dict[str, dict[int, str]] = {SMALL: {}, LARGE: {}}
    for ns, model, dims in (("ns_small", SMALL, 1536), ("ns_large", LARGE, 3072)):
        db.execute("select set_config('pgcortex.namespace', %s, false)", (ns,))
        for i in range(30):
            mid, action = store(db, f"{ns} memory number {i}", unit(i, dims), model)
            assert action == "inserted"
            stored[model][i] = mid
        assert db.execute("select pgcortex.namespace_embedding_model()").fetchone() == (model,)
    for ns, model, dims in (("ns_small", SMALL, 1536), ("ns_large", LARGE, 3072)):
        db.execute("select set_config('pgcortex.namespace', %s, false)", (ns,))
        for i in (0, 7, 29):
            # A near copy of memory i finds it first, through the model's index.
            q = unit(i, dims) + 0.01 * unit(1000 + i, dims)
            assert search_ids(db, q)[0] == stored[model][i]
            assert search_ids(db, q, embedding_model=model)[0] == stored[model][i]
        plan = vector_plan(db, model, unit(3, dims))
        index = db.execute(
            "select (pgcortex_internal.embedding_model_sql(%s)).index_name", (model,)
        ).fetchone()
        assert index is not None
        assert index[0] in plan
        # A near duplicate of the same type merges, within the model.
        _, action = store(db, f"{ns} memory number 5, again", unit(5, dims), model)
        assert action == "merged"


def test_mismatched_vectors_are_refused(db: psycopg.Connection) -> None:
    register(db, SMALL, 1536, storage="vector")
    register(db, LARGE, 3072)
    db.execute("set pgcortex.namespace = 'ns_small'")
    store(db, "the first memory", unit(1, 1536), SMALL)
    before = db.execute("select count(*) from pgcortex.memories").fetchone()
    cases = [
        ("a 3,072-d vector for the 1,536-d model", unit(2, 3072), SMALL, "PC010"),
        ("a 384-d vector for the 1,536-d model", unit(2, 384), SMALL, "PC010"),
        ("another model than the namespace's", unit(2, 3072), LARGE, "PC012"),
        ("an unregistered model", unit(2, 1536), "no-such-model", "PC013"),
    ]
    for content, vec, model, code in cases:
        with pytest.raises(psycopg.Error) as exc:
            store(db, content, vec, model)
        assert exc.value.sqlstate == code, content
    with pytest.raises(psycopg.Error) as exc:
        search_ids(db, unit(3, 3072))
    assert exc.value.sqlstate == "PC010"
    with pytest.raises(psycopg.Error) as exc:
        search_ids(db, unit(3, 3072), embedding_model=LARGE)
    assert exc.value.sqlstate == "PC012"
    assert db.execute("select count(*) from pgcortex.memories").fetchone() == before
    # Text-only memories are stored and found as before.
    db.execute(
        "select pgcortex.store_memory(content => 'only words here, no vector',"
        " memory_type => 'business_fact')"
    )
    rows = db.execute(
        "select content from pgcortex.search_memories(query_text => 'words vector', track => false)"
    ).fetchall()
    assert rows == [("only words here, no vector",)]


def test_drop_a_model(db: psycopg.Connection) -> None:
    info = register(db, SMALL, 1536, storage="vector")
    db.execute("set pgcortex.namespace = 'ns_small'")
    store(db, "kept", unit(1, 1536), SMALL)
    with pytest.raises(psycopg.Error) as exc:
        db.execute("select pgcortex.drop_embedding_model(%s)", (SMALL,))
    assert exc.value.sqlstate == "PC014"
    with pytest.raises(psycopg.Error) as exc:
        db.execute("select pgcortex.drop_embedding_model('all-MiniLM-L6-v2')")
    assert exc.value.sqlstate == "PC014"
    register(db, "unused", 768)
    db.execute("select pgcortex.drop_embedding_model('unused')")
    names = [r[0] for r in db.execute("select name from pgcortex.list_embedding_models()")]
    assert "unused" not in names
    assert SMALL in names
    assert db.execute(
        "select to_regclass('pgcortex.' || %s)", (info["index_name"],)
    ).fetchone() != (None,)


def test_normalising_model_and_l2_distance(db: psycopg.Connection) -> None:
    register(db, "l2-model", 64, distance="l2", normalize_vectors=True)
    db.execute("set pgcortex.namespace = 'ns_l2'")
    ids = [store(db, f"memory {i}", 5.0 * unit(i, 64), "l2-model")[0] for i in range(20)]
    norm = db.execute(
        "select public.vector_norm(embedding) from pgcortex.memories where id = %s::uuid", (ids[0],)
    ).fetchone()
    assert norm is not None
    assert abs(norm[0] - 1.0) < 1e-5
    assert search_ids(db, 3.0 * unit(4, 64))[0] == ids[4]
    assert "memories_embedding_m" in vector_plan(db, "l2-model", unit(4, 64))


def test_register_model_command_builds_the_index_concurrently(
    db: psycopg.Connection, db_dsn: str
) -> None:
    env = {**os.environ, "PGCORTEX_DSN": db_dsn, "PGCORTEX_NAMESPACE": "test"}

    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pgcortex.cli", *argv],
            env=env, capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip

    # Rows to index, of an existing model, so the build has a table to scan.
    db.execute("set pgcortex.namespace = 'ns_small'")
    register(db, SMALL, 1536, storage="vector", create_index=False)
    for i in range(20):
        store(db, f"row {i}", unit(i, 1536), SMALL)
    assert db.execute(
        "select index_state from pgcortex.list_embedding_models() where name = %s", (SMALL,)
    ).fetchone() == ("missing",)
    done = cli("register-model", SMALL, "--dimensions", "1536", "--storage", "vector", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["index_state"] == "valid"
    assert "built memories_embedding_m" in done.stderr
    # The concurrent form: not inside a transaction block.
    ddl = db.execute("select pgcortex.embedding_model_index_sql(%s, true)", (SMALL,)).fetchone()
    assert ddl is not None
    assert ddl[0].startswith("create index concurrently if not exists")
    # A search of the model now uses its index.
    index = db.execute(
        "select (pgcortex_internal.embedding_model_sql(%s)).index_name", (SMALL,)
    ).fetchone()
    assert index is not None
    assert index[0] in vector_plan(db, SMALL, unit(3, 1536))

    done = cli("register-model", LARGE, "-d", "3072", "--json")
    assert done.returncode == 0, done.stderr
    listed = cli("models", "--json")
    models = {m["name"]: m for m in json.loads(listed.stdout)}
    assert models[LARGE]["storage"] == "halfvec"
    assert models[LARGE]["index_state"] == "valid"
    assert cli("drop-model", LARGE).returncode == 0
    refused = cli("drop-model", SMALL)
    assert refused.returncode == 2
    assert "PC014" in refused.stderr


def test_turns_clusters_and_context_per_model(db: psycopg.Connection) -> None:
    """Turns as memories, automatic clusters and the context bundle with a 3,072-d
    (halfvec) model in one namespace and a 1,536-d one in another."""
    register(db, SMALL, 1536, storage="vector")
    register(db, LARGE, 3072)
    for ns, model, dims in (("ns_small", SMALL, 1536), ("ns_large", LARGE, 3072)):
        db.execute("select set_config('pgcortex.namespace', %s, false)", (ns,))
        session = db.execute("select session_id from pgcortex.start_session()").fetchone()
        assert session is not None
        turn = db.execute(
            "select memory_id::text from pgcortex.store_conversation_turn(role => 'user',"
            " content => %s, session_id => %s, embedding => %s::public.vector,"
            " embedding_model => %s)",
            (TURN + ns, session[0], vector_literal(unit(7, dims)), model),
        ).fetchone()
        assert turn is not None
        assert turn[0] is not None
        # Near copies of one vector form one automatic cluster, centroid in the model.
        for i in range(3):
            store(db, f"{ns} cluster member {i}", unit(7, dims) + 0.05 * unit(50 + i, dims), model)
        db.execute("select count(*) from pgcortex.get_knowledge_clusters()")  # clusters the queue
        clusters = db.execute(
            "select centroid_model, public.vector_dims(centroid) from pgcortex.knowledge_clusters"
            " where namespace = %s and centroid is not null",
            (ns,),
        ).fetchall()
        assert clusters
        assert set(clusters) == {(model, dims)}
        bundle = db.execute(
            "select pgcortex.get_contextual_knowledge(query_embedding => %s::public.vector,"
            " embedding_model => %s, track => false)",
            (vector_literal(unit(7, dims)), model),
        ).fetchone()
        assert bundle is not None
        contents = [m["content"] for m in bundle[0]["memories"]]
        assert any("cluster member" in c for c in contents)
        assert TURN + ns in contents
        assert bundle[0]["clusters"]
        with pytest.raises(psycopg.Error) as exc:
            db.execute(
                "select pgcortex.get_contextual_knowledge(query_embedding => %s::public.vector)",
                (vector_literal(unit(7, 1536 if dims == 3072 else 3072)),),
            )
        assert exc.value.sqlstate == "PC010"


def nearest_kept(db: psycopg.Connection, model: str, vec: np.ndarray, n: int) -> list[str] | None:
    """The ids pgcortex_internal.vector_nearest returns for the model (None: no statement)."""
    row = db.execute(
        "select pgcortex_internal.vector_nearest(current_setting('pgcortex.namespace'), now(),"
        " %s::public.vector, %s, (pgcortex_internal.embedding_model_sql(%s)).model_id)::text[]",
        (vector_literal(vec), n, model),
    ).fetchone()
    assert row is not None
    return None if row[0] is None else list(row[0])


def test_an_unfiltered_search_runs_the_models_kept_statement(db: psycopg.Connection) -> None:
    """Each registered model has its static statement in vector_nearest (a plan the
    session keeps), built on registration and removed on drop; a search without
    filters answers from it exactly as the planned-per-call statement does."""
    # A name that would end a dollar-quoted body or a literal if pasted unquoted.
    odd = "odd'$f$ $$ model"
    register(db, SMALL, 1536, storage="vector")
    register(db, odd, 16, distance="l2")
    db.execute("set pgcortex.namespace = 'ns_small'")
    ids = {i: store(db, f"small memory number {i}", unit(i, 1536), SMALL)[0] for i in range(40)}
    db.execute("set pgcortex.namespace = 'ns_odd'")
    odd_ids = [store(db, f"odd memory {i}", 3.0 * unit(i, 16), odd)[0] for i in range(12)]

    # The odd model: nearest by l2 distance, computed here.
    q = 3.0 * unit(5, 16)
    vecs = {mid: 3.0 * unit(i, 16) for i, mid in enumerate(odd_ids)}
    by_l2 = sorted(odd_ids, key=lambda m: float(np.linalg.norm(vecs[m] - q)))
    assert nearest_kept(db, odd, q, 4) == by_l2[:4]
    assert search_ids(db, q, k=4) == by_l2[:4]

    db.execute("set pgcortex.namespace = 'ns_small'")
    for seed in (3, 17, 31):
        q = unit(seed, 1536) + 0.3 * unit(500 + seed, 1536)
        kept = nearest_kept(db, SMALL, q, 10)
        assert kept is not None
        assert kept[0] == ids[seed]
        # Unfiltered (the kept statement) and filtered by a condition every memory
        # meets (the statement planned per call): the same hits in the same order.
        assert search_ids(db, q, k=10) == search_ids(db, q, k=10, memory_types=["business_fact"])
    # The search takes the kept statement only for a namespace holding at least half
    # of the model's vectors (the kept plan walks the model's whole index); a small
    # namespace's statement is planned with its own statistics. Same hits either way.
    db.execute("set pgcortex.namespace = 'ns_tiny'")
    tiny = [store(db, f"tiny memory {i}", unit(900 + i, 1536), SMALL)[0] for i in range(5)]
    db.execute("vacuum analyze pgcortex.memories")  # the index's tuple count
    for ns in ("ns_small", "ns_tiny"):  # the namespaces' document counts
        db.execute("select set_config('pgcortex.namespace', %s, false)", (ns,))
        db.execute("select pgcortex_internal.maint_fold_terms()")
    for ns, q, first in (
        ("ns_small", unit(9, 1536), ids[9]),
        ("ns_tiny", unit(902, 1536), tiny[2]),
    ):
        db.execute("select set_config('pgcortex.namespace', %s, false)", (ns,))
        calls = (
            "select coalesce(sum(calls), 0)::integer from pg_stat_xact_user_functions"
            " where schemaname = 'pgcortex_internal' and funcname = 'vector_nearest'"
        )
        with db.transaction():
            db.execute("set local track_functions = 'pl'")
            before = db.execute(calls).fetchone()
            hits = search_ids(db, q, k=3)
            after = db.execute(calls).fetchone()
        assert before is not None
        assert after is not None
        assert hits[0] == first
        assert after[0] - before[0] == (1 if ns == "ns_small" else 0), ns
    db.execute("set pgcortex.namespace = 'ns_small'")
    # Expired memories stay out of the kept statement too.
    db.execute(
        "update pgcortex.memories set expires_at = created_at + interval '1 millisecond'"
        " where id = %s::uuid",
        (ids[3],),
    )
    kept = nearest_kept(db, SMALL, unit(3, 1536), 10)
    assert kept is not None
    assert ids[3] not in kept

    # Dropped, the model's statement is gone; another model keeps its own.
    db.execute("set pgcortex.namespace = 'ns_odd'")
    db.execute("select pgcortex.erase_namespace(confirm => 'ns_odd')")
    db.execute("select pgcortex.drop_embedding_model(%s)", (odd,))
    body = db.execute(
        "select prosrc from pg_proc where oid = 'pgcortex_internal.vector_nearest'::regproc"
    ).fetchone()
    assert body is not None
    assert "odd" not in body[0]
    assert SMALL in body[0]
    # The application role may not call it (internal, like every helper).
    assert db.execute(
        "select has_function_privilege('pgcortex_app', 'pgcortex_internal.vector_nearest"
        "(text, timestamptz, public.vector, integer, integer)', 'execute')"
    ).fetchone() == (False,)
