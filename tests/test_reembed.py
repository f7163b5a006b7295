"""Re-embedding a namespace online, killed half-way and resumed.

The namespace holds memories of a 384-d model; ``pgcortex reembed --to`` a
1,536-d model runs as a process, rate-limited, and is killed with SIGKILL
half-way. Searches answer from the old model before, during (with half the
new vectors staged) and right up to the switch; the second run resumes, finishes
and switches; searches then answer from the new model, and ids, history,
access counts, links and cluster memberships are what they were.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest

import pgcortex
from pgcortex import Client, errors
from pgcortex.memories import MemoryInput
from pgcortex.reembed import reembed
from tests.embedders import WordsEmbedder, words_384, words_1536

ROOT = Path(__file__).resolve().parent.parent
TOPICS = [
    "apples", "harbour", "violin", "glacier", "invoice", "tennis", "saffron", "compiler",
    "lantern", "orchid", "pension", "volcano",
]  # fmt: skip
N = 120


def content(i: int) -> str:
    return f"note {i} about {TOPICS[i % len(TOPICS)]} and item{i} in batch{i // 10}"


def facts(db: psycopg.Connection) -> dict[str, Any]:
    """What must survive the switch, read as the superuser."""

    def rows(sql: str) -> list[tuple[Any, ...]]:
        return db.execute(sql).fetchall()

    return {
        "ids": rows("select id from pgcortex.memories where namespace = 'test' order by id"),
        "history": rows(
            "select history_id, memory_id, operation from pgcortex.memory_history"
            " where namespace = 'test' order by history_id"
        ),
        "access": rows(
            "select memory_id, access_count from pgcortex.memory_access_totals"
            " where namespace = 'test' order by memory_id"
        ),
        "links": rows(
            "select source_id, target_id, relation, weight from pgcortex.memory_links"
            " where namespace = 'test' order by 1, 2"
        ),
        "members": rows(
            "select cluster_id, memory_id from pgcortex.cluster_members"
            " where namespace = 'test' order by 1, 2"
        ),
        "content": rows(
            "select id, content, importance, updated_at from pgcortex.memories"
            " where namespace = 'test' order by id"
        ),
    }


async def top_ids(client: Client, embedder: WordsEmbedder, text: str, k: int = 3) -> list[UUID]:
    hits = await client.search_memories(
        query_embedding=embedder.embed([text])[0],
        embedding_model=embedder.model_name,
        k=k,
        track=False,
    )
    return [h.id for h in hits]


async def assert_answers_from(
    client: Client, embedder: WordsEmbedder, ids: list[UUID], other: WordsEmbedder
) -> None:
    """Searches with the embedder's vectors find the memory asked for; the other
    model's are refused (the namespace's model is the embedder's)."""
    for i in (3, 40, 77, 119):
        assert (await top_ids(client, embedder, content(i)))[0] == ids[i]
    # PC012 once the other model is registered, PC013 before.
    with pytest.raises((errors.EmbeddingModelMismatchError, errors.EmbeddingModelUnknownError)):
        await top_ids(client, other, content(3))
    assert await client.namespace_embedding_model() == embedder.model_name


def run_cli(db_dsn: str, *argv: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PGCORTEX_DSN": db_dsn,
        "PGCORTEX_NAMESPACE": "test",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "pgcortex.cli", *argv],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_reembed_killed_half_way_resumes_and_switches(
    client: Client, db: psycopg.Connection, db_dsn: str
) -> None:
    old, new = words_384(), words_1536()
    await client.register_embedding_model(old.model_name, old.dimensions)
    stored = await client.store_memories(
        [
            MemoryInput(content=content(i), memory_type="business_fact", embedding=v)
            for i, v in enumerate(old.embed([content(i) for i in range(N)]))
        ],
        embedding_model=old.model_name,
        dedup_near=False,
    )
    ids = [s.id for s in stored]
    assert all(s.action == "inserted" for s in stored)
    await client.link_memories(ids[1], ids[2], "supports")
    for _ in range(3):  # access counts to keep
        await client.search_memories(
            query_embedding=old.embed([content(5)])[0], embedding_model=old.model_name, k=2
        )
    await client.store_knowledge_cluster("kept cluster", memory_ids=ids[:5])
    before = facts(db)
    assert before["members"]
    assert before["access"]

    await assert_answers_from(client, old, ids, new)

    # Killed half-way: 10 a batch, at most 40 memories a second.
    proc = run_cli(
        db_dsn, "reembed", "--to", new.model_name, "--embedder", "tests.embedders:words_1536",
        "--batch-size", "10", "--rate", "40", "--quiet",
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            staged = db.execute(
                "select count(*) from pgcortex.memory_embeddings"
                " where namespace = 'test' and embedding_model = %s",
                (new.model_name,),
            ).fetchone()
            assert staged is not None
            if staged[0] >= 40:
                break
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the re-embed made no progress"
            await asyncio.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    status = await client.reembed_status(new.model_name)
    assert 40 <= status.staged < N
    assert status.remaining == N - status.staged
    assert status.current_model == old.model_name

    # During: the old model answers, with its full index; the switch is refused.
    await assert_answers_from(client, old, ids, new)
    with pytest.raises(errors.ReembedIncompleteError):
        await client.reembed_switch(new.model_name)
    # A memory stored meanwhile (old model) is embedded by the resumed run too.
    late = await client.store_memory(
        content(N), "business_fact", embedding=old.embed([content(N)])[0],
        embedding_model=old.model_name,
    )  # fmt: skip
    ids.append(late.id)

    # Resumed: only what was left is embedded, then the switch.
    proc = run_cli(
        db_dsn, "reembed", "--to", new.model_name, "--embedder", "tests.embedders:words_1536",
        "--batch-size", "25",
    )  # fmt: skip
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert f"embedded {N + 1 - status.staged:,} memories" in out
    assert f"namespace switched to {new.model_name}" in out

    # After: the new model answers; everything else is as it was.
    await assert_answers_from(client, new, ids, old)
    assert (await top_ids(client, new, content(N)))[0] == late.id
    after = facts(db)
    for key in ("history", "access", "links", "members"):
        assert after[key] == facts_with_late(before, key, after), key
    assert [r for r in after["content"] if r[0] != late.id] == before["content"]
    centroid = db.execute(
        "select distinct centroid_model, public.vector_dims(centroid)"
        " from pgcortex.knowledge_clusters where namespace = 'test' and centroid is not null"
    ).fetchall()
    assert centroid == [(new.model_name, 1536)]
    status = await client.reembed_status(new.model_name)
    assert (status.total, status.remaining, status.previous_model) == (N + 1, 0, old.model_name)

    # The old vectors, kept beside until now, are dropped by maintenance.
    assert await client.maint_drop_old_embeddings() == {old.model_name: N + 1}
    assert await client.maint_drop_old_embeddings() == {}
    await client.drop_embedding_model(old.model_name)


def facts_with_late(before: dict[str, Any], key: str, after: dict[str, Any]) -> Any:
    """The facts before, plus the rows of the memory stored during the re-embed
    (its insert history, its cluster membership)."""
    if key in ("history", "members"):
        extra = [r for r in after[key] if r not in before[key]]
        assert len(extra) <= 1
        return before[key] + extra if key == "history" else sorted(before[key] + extra)
    return before[key]


async def test_reembed_in_process_with_rate_and_no_switch(
    client: Client, db: psycopg.Connection
) -> None:
    old, new = words_384(), WordsEmbedder("words-768", 768)
    await client.register_embedding_model(old.model_name, old.dimensions)
    texts = [content(i) for i in range(30)]
    await client.store_memories(
        [
            MemoryInput(content=t, memory_type="business_fact", embedding=v)
            for t, v in zip(texts, old.embed(texts), strict=True)
        ],
        embedding_model=old.model_name,
        dedup_near=False,
    )
    seen: list[int] = []
    started = time.monotonic()
    report = await reembed(
        client, new, batch_size=7, max_rate=100.0, switch=False,
        progress=lambda _before, staged: seen.append(staged),
    )  # fmt: skip
    assert time.monotonic() - started >= 30 / 100.0 * 0.9  # rate-limited
    assert seen == [7, 14, 21, 28, 30]
    assert report.switch is None
    assert report.staged == 30
    assert report.status.remaining == 0
    assert await client.namespace_embedding_model() == old.model_name
    # No cluster read yet: the memories wait for clustering.
    assert db.execute("select count(*) from pgcortex.cluster_queue").fetchone() == (30,)
    # Switched later, in one call: it clusters them first (in the model they were
    # stored with), then moves every centroid to the new model.
    switched = await client.reembed_switch(new.model_name)
    assert db.execute("select count(*) from pgcortex.cluster_queue").fetchone() == (0,)
    assert db.execute(
        "select count(distinct memory_id) from pgcortex.cluster_members"
    ).fetchone() == (30,)
    centroid = db.execute(
        "select distinct centroid_model, public.vector_dims(centroid)"
        " from pgcortex.knowledge_clusters where centroid is not null"
    ).fetchall()
    assert centroid == [(new.model_name, 768)]
    assert (switched.current_model, switched.previous_model, switched.switched) == (
        new.model_name,
        old.model_name,
        30,
    )
    assert await client.reembed_switch(new.model_name) == type(switched)(new.model_name, None, 0)


async def test_connect_checks_the_embedder_against_the_registry(db_dsn: str) -> None:
    old = words_384()
    async with await pgcortex.connect(
        db_dsn, namespace="test", deploy=False, embedder=old
    ) as client:
        # Registered on connect, with the embedder's dimensions.
        model = await client.embedding_model_row(old.model_name)
        assert model is not None
        assert model.dimensions == 384
        await client.store_memory("something to remember", "business_fact")
    # Another model's embedder, while the namespace holds 384-d words-384 vectors.
    with pytest.raises(errors.EmbedderModelMismatchError, match="reembed"):
        await pgcortex.connect(db_dsn, namespace="test", deploy=False, embedder=words_1536())
    # The same name with other dimensions.
    with pytest.raises(errors.EmbedderModelMismatchError, match="384 dimensions"):
        await pgcortex.connect(
            db_dsn, namespace="other", deploy=False, embedder=WordsEmbedder("words-384", 512)
        )
