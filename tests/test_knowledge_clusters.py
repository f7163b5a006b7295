"""Knowledge clusters: every store queued by the trigger and clustered by the first
cluster read (nearest centroid or a new cluster; the type-and-tags key without an
embedding), the queue drained once by concurrent sessions and left alone by read-only
transactions, re-clustering three well-separated topics into three clusters with the right
members and topics, explicit clusters, clusters relevant to a query, and bad input."""

from __future__ import annotations

import math
import random
from collections.abc import Awaitable, Callable

import numpy as np
import psycopg
import pytest

from pgcortex import Client, errors
from pgcortex.memories import MemoryInput

MODEL = "test-model"
TOPICS = {
    "pricing": ["pricing", "discount", "invoice"],
    "hiring": ["hiring", "candidate", "interview"],
    "database": ["database", "index", "replica"],
}


def unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
    return v / np.linalg.norm(v)


def near(v: np.ndarray, similarity: float, seed: int) -> np.ndarray:
    """A unit vector with exactly ``similarity`` cosine to unit vector ``v``."""
    r = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
    r -= r.dot(v) * v
    r /= np.linalg.norm(r)
    out = similarity * v + math.sqrt(1 - similarity**2) * r
    result: np.ndarray = (out / np.linalg.norm(out)).astype(np.float32)
    return result


def topic_items(per_topic: int = 8) -> list[tuple[str, MemoryInput]]:
    centres = {name: unit(i) for i, name in enumerate(TOPICS)}
    items = []
    for t, (name, words) in enumerate(TOPICS.items()):
        for i in range(per_topic):
            text = f"Note {i} on {words[0]}: the {words[1 + i % 2]} of {words[0]} matters ({t}{i})"
            items.append(
                (
                    name,
                    MemoryInput(
                        text,
                        "business_fact",
                        tags=[words[0]],
                        embedding=near(centres[name], 0.85, 100 * t + i),
                    ),
                )
            )
    random.Random(5).shuffle(items)
    return items


def drain(db: psycopg.Connection) -> int:
    """Clusters what the stores queued, as the first cluster read of a session does."""
    row = db.execute("select pgcortex_internal.cluster_pending()").fetchone()
    assert row is not None
    return int(row[0])


def queued(db: psycopg.Connection) -> set[str]:
    rows = db.execute("select memory_id::text from pgcortex.cluster_queue").fetchall()
    return {r[0] for r in rows}


def memberships(db: psycopg.Connection) -> dict[str, int]:
    """Automatic cluster memberships per memory."""
    rows = db.execute(
        "select cm.memory_id::text, count(*) from pgcortex.cluster_members cm "
        "join pgcortex.knowledge_clusters c on c.namespace = cm.namespace and c.id = cm.cluster_id "
        "where c.origin = 'auto' group by cm.memory_id"
    ).fetchall()
    return {m: int(n) for m, n in rows}


def auto_clusters(db: psycopg.Connection) -> dict[str, set[str]]:
    """The automatic clusters and their members, once the queue is clustered."""
    drain(db)
    rows = db.execute(
        "select c.name, array_agg(cm.memory_id::text) from pgcortex.knowledge_clusters c "
        "join pgcortex.cluster_members cm on cm.namespace = c.namespace and cm.cluster_id = c.id "
        "where c.origin = 'auto' group by c.name"
    ).fetchall()
    return {name: set(members) for name, members in rows}


async def test_three_topics_recluster_into_three_clusters(
    client: Client, db: psycopg.Connection
) -> None:
    # A strict threshold first: every memory founds its own cluster when clustered.
    await client.set_knowledge_settings(cluster_similarity=0.99)
    items = topic_items()
    results = await client.store_memories([m for _, m in items], embedding_model=MODEL)
    truth: dict[str, set[str]] = {name: set() for name in TOPICS}
    for (name, _), r in zip(items, results, strict=True):
        truth[name].add(str(r.id))
    assert len(auto_clusters(db)) == 24

    report = await client.recluster(merge_similarity=0.6)
    assert report.clusters_before == 24
    assert report.clusters_after == 3
    assert report.clusters_merged == 21
    clusters = auto_clusters(db)
    assert sorted(map(frozenset, clusters.values()), key=sorted) == sorted(
        map(frozenset, truth.values()), key=sorted
    )
    listed = await client.get_knowledge_clusters()
    assert len(listed) == 3
    for c in listed:
        assert c.member_count == 8
        name = next(n for n, ids in truth.items() if {str(i) for i in c.top_memory_ids} <= ids)
        assert c.topics[0] == name  # the topic word, as tag and term, ranks first
        assert "business_fact" not in c.topics  # shared by every cluster: names none
        assert 0 < c.importance_score <= 5

    # Re-clustering a clean state changes nothing.
    again = await client.recluster(merge_similarity=0.6)
    assert (again.clusters_merged, again.members_moved, again.clusters_after) == (0, 0, 3)


async def test_store_joins_nearest_cluster_or_founds_one(
    client: Client, db: psycopg.Connection
) -> None:
    await client.set_knowledge_settings(cluster_similarity=0.6)
    items = topic_items(per_topic=4)
    await client.store_memories([m for _, m in items], embedding_model=MODEL)
    clusters = auto_clusters(db)
    assert len(clusters) == 3  # one batch: similar rows found one cluster together
    assert sorted(len(v) for v in clusters.values()) == [4, 4, 4]

    one_more = await client.store_memory(
        "A new pricing rule for resellers",
        "business_fact",
        embedding=near(unit(0), 0.85, 999),
        embedding_model=MODEL,
    )
    clusters = auto_clusters(db)
    assert len(clusters) == 3
    assert any(str(one_more.id) in m and len(m) == 5 for m in clusters.values())
    centroid_ok = db.execute(
        "select bool_and(abs(public.vector_norm(centroid) - 1) < 1e-4), sum(member_count) "
        "from pgcortex.knowledge_clusters"
    ).fetchone()
    assert centroid_ok == (True, 13)

    far = await client.store_memory(
        "Something else entirely", "business_fact", embedding=unit(77), embedding_model=MODEL
    )
    clusters = auto_clusters(db)
    assert len(clusters) == 4
    assert {str(far.id)} in clusters.values()


async def test_text_only_memories_cluster_by_type_and_tags(
    client: Client, db: psycopg.Connection
) -> None:
    a = await client.store_memory("Alice runs sales", "relationship", tags=["sales", "alice"])
    b = await client.store_memory("Alice reports to Bob", "relationship", tags=["alice", "sales"])
    c = await client.store_memory("Bob runs ops", "relationship", tags=["ops"])
    await client.get_knowledge_clusters()  # the cluster read clusters what was queued
    rows = db.execute(
        "select c.cluster_key, array_agg(cm.memory_id order by cm.memory_id) "
        "from pgcortex.knowledge_clusters c join pgcortex.cluster_members cm "
        "on cm.namespace = c.namespace and cm.cluster_id = c.id group by c.cluster_key "
        "order by c.cluster_key"
    ).fetchall()
    assert rows == [
        ("relationship:alice,sales", sorted([a.id, b.id])),
        ("relationship:ops", [c.id]),
    ]
    # New tags move it to the cluster of its new key.
    await client.update_memory(c.id, tags=["alice", "sales"])
    # It leaves its automatic cluster at once and waits in the queue for the next.
    assert queued(db) == {str(c.id)}
    assert str(c.id) not in memberships(db)
    await client.get_knowledge_clusters()
    members = db.execute(
        "select count(*) from pgcortex.cluster_members cm join pgcortex.knowledge_clusters c "
        "on c.id = cm.cluster_id where c.cluster_key = 'relationship:alice,sales'"
    ).fetchone()
    assert members == (3,)
    left = db.execute(
        "select count(*) from pgcortex.cluster_members cm join pgcortex.knowledge_clusters c "
        "on c.id = cm.cluster_id where c.cluster_key = 'relationship:ops'"
    ).fetchone()
    assert left == (0,)


async def test_explicit_cluster_and_relevance(client: Client) -> None:
    await client.set_knowledge_settings(cluster_similarity=0.6)
    items = topic_items(per_topic=3)
    stored = await client.store_memories([m for _, m in items], embedding_model=MODEL)
    await client.recluster()
    pricing_ids = [r.id for (name, _), r in zip(items, stored, strict=True) if name == "pricing"]

    explicit = await client.store_knowledge_cluster(
        "Q3 pricing review",
        "what we decided about prices",
        topics=["pricing review", "margins"],
        memory_ids=pricing_ids[:2],
        confidence=0.8,
    )
    assert explicit.origin == "explicit"
    assert explicit.member_count == 2
    assert explicit.topics == ("pricing review", "margins")
    assert set(explicit.top_memory_ids) == set(pricing_ids[:2])
    again = await client.store_knowledge_cluster("Q3 pricing review", memory_ids=pricing_ids)
    assert again.cluster_id == explicit.cluster_id
    assert again.member_count == 3
    assert again.description == "what we decided about prices"

    by_text = await client.get_knowledge_clusters("how are our margins doing?")
    assert [c.name for c in by_text] == ["Q3 pricing review"]
    assert by_text[0].topic_matches == 1
    by_vector = await client.get_knowledge_clusters(
        query_embedding=near(unit(1), 0.9, 4242), embedding_model=MODEL, max_results=1
    )
    assert by_vector[0].topics[0] == "hiring"
    assert by_vector[0].similarity is not None
    assert by_vector[0].similarity > 0.8

    report = await client.recluster(merge_similarity=0.0)  # merges every auto cluster
    assert report.clusters_after == 2  # explicit clusters are never merged or dissolved
    kept = await client.get_knowledge_clusters(max_results=10)
    assert {c.origin for c in kept} == {"auto", "explicit"}


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"name": ""}, errors.InvalidArgumentError),
        ({"name": "x" * 256}, errors.InvalidArgumentError),
        ({"name": "c", "confidence": 1.5}, errors.OutOfRangeError),
        ({"name": "c", "importance_score": 6}, errors.OutOfRangeError),
        ({"name": "c", "topics": [""]}, errors.InvalidTagsError),
        (
            {"name": "c", "memory_ids": ["01a20a74-431a-7c42-8b5a-f7fd5505090a"]},
            errors.NotFoundError,
        ),
    ],
)
async def test_bad_cluster_writes_nothing(
    client: Client, db: psycopg.Connection, kwargs: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        await client.store_knowledge_cluster(**kwargs)  # type: ignore[arg-type]
    assert db.execute("select count(*) from pgcortex.knowledge_clusters").fetchone() == (0,)


async def test_bad_recluster_arguments(client: Client) -> None:
    with pytest.raises(errors.OutOfRangeError):
        await client.recluster(merge_similarity=2)
    with pytest.raises(errors.EmbeddingDimensionError):
        await client.get_knowledge_clusters(query_embedding=[1.0, 2.0], embedding_model=MODEL)


# -- The queue: clustering is off the store path ------------------------------------------


async def test_store_queues_and_the_first_cluster_read_clusters(
    client: Client, db: psycopg.Connection
) -> None:
    await client.set_knowledge_settings(cluster_similarity=0.6)
    items = topic_items(per_topic=2)
    stored = await client.store_memories([m for _, m in items], embedding_model=MODEL)
    text_only = await client.store_memory("Alice runs sales", "relationship", tags=["sales"])
    ids = {str(r.id) for r in stored} | {str(text_only.id)}
    # The store call clustered nothing: the memories wait in the queue.
    assert queued(db) == ids
    assert memberships(db) == {}
    assert db.execute("select count(*) from pgcortex.knowledge_clusters").fetchone() == (0,)

    listed = await client.get_knowledge_clusters(max_results=10)
    assert queued(db) == set()
    assert memberships(db) == dict.fromkeys(ids, 1)
    assert sum(c.member_count for c in listed) == len(ids)
    assert len(listed) == 4  # three topics and the type-and-tags key
    # A second read finds nothing to do and answers the same.
    assert drain(db) == 0
    again = await client.get_knowledge_clusters(max_results=10)
    assert [c.cluster_id for c in again] == [c.cluster_id for c in listed]


async def test_each_cluster_api_clusters_the_queue_first(
    client: Client, db: psycopg.Connection
) -> None:
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "summary": lambda: client.get_memory_summary(),
        "context": lambda: client.get_contextual_knowledge("pricing"),
        "explicit": lambda: client.store_knowledge_cluster("hand made"),
        "recluster": lambda: client.maint_recluster(),
    }
    for n, (name, call) in enumerate(calls.items()):
        m = await client.store_memory(
            f"Memory {n} for {name}",
            "business_fact",
            embedding=unit(500 + n),
            embedding_model=MODEL,
        )
        assert queued(db) == {str(m.id)}, name
        await call()
        assert queued(db) == set(), name
        assert memberships(db).get(str(m.id)) == 1, name
    summary = await client.get_memory_summary()
    assert summary.clusters == len(calls) + 1  # one automatic cluster each, and the explicit one


async def test_recluster_reports_only_memories_outside_the_queue(
    client: Client, db: psycopg.Connection
) -> None:
    await client.store_memory("Alice runs sales", "relationship", tags=["sales"])
    report = await client.recluster()
    # The queued memory was clustered as on store, before re-clustering counted.
    assert report.memories_assigned == 0
    assert report.clusters_after == 1
    assert queued(db) == set()


def _session(dsn: str) -> psycopg.Connection:
    conn = psycopg.connect(dsn)
    conn.execute("set pgcortex.namespace = 'test'")
    conn.execute("set lock_timeout = '2s'")  # waiting for the other session fails the test
    conn.commit()
    return conn


async def test_two_sessions_drain_the_queue_once_without_waiting(
    client: Client, db: psycopg.Connection, db_dsn: str
) -> None:
    first = await client.store_memories(
        [
            MemoryInput(f"first batch {i}", "business_fact", embedding=unit(700 + i))
            for i in range(6)
        ],
        embedding_model=MODEL,
    )
    a, b = _session(db_dsn), _session(db_dsn)
    try:
        # A claims the queue and holds it (its transaction stays open).
        n_a = a.execute("select pgcortex_internal.cluster_pending()").fetchone()
        assert n_a == (6,)
        second = await client.store_memories(
            [
                MemoryInput(f"second batch {i}", "business_fact", embedding=unit(800 + i))
                for i in range(4)
            ],
            embedding_model=MODEL,
        )
        # B skips what A holds (no wait: lock_timeout would fail it) and takes the rest.
        n_b = b.execute("select pgcortex_internal.cluster_pending()").fetchone()
        assert n_b == (4,)
        assert b.execute("select pgcortex_internal.cluster_pending()").fetchone() == (0,)
        b.commit()
        a.commit()
    finally:
        a.close()
        b.close()
    ids = {str(r.id) for r in (*first, *second)}
    assert queued(db) == set()
    assert memberships(db) == dict.fromkeys(ids, 1)  # each memory clustered exactly once
    total = db.execute("select sum(member_count) from pgcortex.knowledge_clusters").fetchone()
    assert total == (10,)


async def test_a_rolled_back_drain_leaves_the_queue_as_it_was(
    client: Client, db: psycopg.Connection, db_dsn: str
) -> None:
    m = await client.store_memory("Alice runs sales", "relationship", tags=["sales"])
    a = _session(db_dsn)
    try:
        assert a.execute("select pgcortex_internal.cluster_pending()").fetchone() == (1,)
        a.rollback()
    finally:
        a.close()
    assert queued(db) == {str(m.id)}
    assert memberships(db) == {}


async def test_a_read_only_transaction_reads_clusters_without_writing(
    client: Client, db: psycopg.Connection, db_dsn: str
) -> None:
    await client.store_memory("Alice runs sales", "relationship", tags=["sales"])
    await client.get_knowledge_clusters()
    late = await client.store_memory("Bob runs ops", "relationship", tags=["ops"])
    ro = _session(db_dsn)
    try:
        ro.execute("begin transaction read only")
        names = ro.execute("select name from pgcortex.get_knowledge_clusters()").fetchall()
        summary = ro.execute("select clusters from pgcortex.get_memory_summary()").fetchone()
        assert ro.execute("select pgcortex_internal.cluster_pending()").fetchone() == (0,)
        # No write at all: the transaction never got an id.
        assert ro.execute("select pg_current_xact_id_if_assigned()").fetchone() == (None,)
        ro.rollback()
    finally:
        ro.close()
    assert names == [("relationship:sales",)]  # what is clustered so far
    assert summary == (1,)
    assert queued(db) == {str(late.id)}


async def test_a_memory_deleted_before_clustering_leaves_no_queue_row(
    client: Client, db: psycopg.Connection
) -> None:
    kept = await client.store_memory("Alice runs sales", "relationship", tags=["sales"])
    gone = await client.store_memory("Bob runs ops", "relationship", tags=["ops"])
    await client.delete_memory(gone.id)
    assert queued(db) == {str(kept.id)}
    listed = await client.get_knowledge_clusters()
    assert [(c.name, c.member_count) for c in listed] == [("relationship:sales", 1)]
    assert memberships(db) == {str(kept.id): 1}


async def test_clustering_off_queues_nothing(db: psycopg.Connection) -> None:
    db.execute("set pgcortex.cluster_on_insert = off")
    db.execute(
        "select * from pgcortex.store_memory(content => 'restored', memory_type => 'business_fact')"
    )
    db.execute("reset pgcortex.cluster_on_insert")
    assert queued(db) == set()


def _spread_topics(n: int, similarity: float) -> list[MemoryInput]:
    """n memories of three topics, each ``similarity`` alike to its topic's centre
    (about similarity squared to each other), in a fixed shuffled order."""
    items = [
        MemoryInput(
            f"spread note {i} on topic {i % 3}",
            "business_fact",
            embedding=near(unit(i % 3), similarity, 3000 + i),
        )
        for i in range(n)
    ]
    random.Random(11).shuffle(items)
    return items


def _partition(db: psycopg.Connection) -> list[list[str]]:
    drain(db)
    rows = db.execute(
        "select array_agg(m.content order by m.content) from pgcortex.cluster_members cm "
        "join pgcortex.memories m on m.namespace = cm.namespace and m.id = cm.memory_id "
        "group by cm.cluster_id"
    ).fetchall()
    return sorted(r[0] for r in rows)


async def test_a_long_queue_clusters_as_batch_stores_of_100_did(
    client: Client, db: psycopg.Connection
) -> None:
    """Members are less alike to each other than to their topic's centroid: clustered
    100 at a time, later memories join the centroids earlier ones founded."""
    await client.set_knowledge_settings(cluster_similarity=0.45)
    items = _spread_topics(300, 0.6)
    # Clustered after every batch of 100, as clustering inside the store did.
    for lo in range(0, 300, 100):
        await client.store_memories(items[lo : lo + 100], embedding_model=MODEL)
        drain(db)
    per_batch = _partition(db)
    db.execute("delete from pgcortex.knowledge_clusters")
    db.execute("delete from pgcortex.memories")
    # The same stores, one drain of the whole queue.
    for lo in range(0, 300, 100):
        await client.store_memories(items[lo : lo + 100], embedding_model=MODEL)
    assert len(queued(db)) == 300
    assert _partition(db) == per_batch


async def test_imports_of_clusters_cluster_the_queue_first(
    client: Client, db: psycopg.Connection
) -> None:
    first = await client.store_memory("Alice runs sales", "relationship", tags=["sales"])
    db.execute(
        "select * from pgcortex.import_clusters(source => 'file',"
        """ items => '[{"legacy_id": "c1", "name": "imported"}]'::jsonb)"""
    )
    assert queued(db) == set()
    assert memberships(db) == {str(first.id): 1}
    second = await client.store_memory("Bob runs ops", "relationship", tags=["ops"])
    db.execute(
        "select * from pgcortex.import_cluster_members(source => 'file',"
        """ items => '[{"cluster_id": "c1", "memory_id": "m1"}]'::jsonb)"""
    )
    assert queued(db) == set()
    assert memberships(db) == {str(first.id): 1, str(second.id): 1}
