"""Conversation context in search (ranking_version 4): the memory of the turn right
after one of the best hits inherits part of that hit's evidence, never ranks above
it, passes the search's filters, and follows only its own session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import numpy as np
import psycopg
import pytest

from pgcortex import Client, errors
from pgcortex.memories import MemoryInput
from tests.test_memories_store import MODEL, near, unit

Q = unit(41)


async def _background(client: Client) -> None:
    """12 plain memories at cosine 0.15 to Q and 50 at 0.10: more than the vector
    arm's 40 candidates, so a memory at cosine 0 is no candidate of its own."""
    await client.store_memories(
        [
            *(
                MemoryInput(f"Distractor remark {i}", "business_fact", embedding=near(Q, 0.15, i))
                for i in range(12)
            ),
            *(
                MemoryInput(f"Filler remark {i}", "business_fact", embedding=near(Q, 0.10, 50 + i))
                for i in range(50)
            ),
        ],
        embedding_model=MODEL,
        dedup_near=False,
    )


async def _turn(
    client: Client, role: str, text: str, vec: np.ndarray, session: UUID | None
) -> UUID:
    stored = await client.store_conversation_turn(
        role, text, session, embedding=vec, embedding_model=MODEL
    )
    assert stored.memory_id is not None
    return stored.memory_id


async def _dialogue(
    client: Client, question_sim: float, answer_sim: float, *, sessions: int = 1
) -> tuple[UUID, UUID]:
    """A question turn (cosine question_sim to Q) and its answer (answer_sim), in one
    session, in two sessions (sessions=2), or without one (sessions=0)."""
    await client.set_knowledge_settings(turn_memory_min_chars=0)
    first = (await client.start_session()).session_id if sessions else None
    await _turn(client, "user", "Hi, good to see you again!", near(Q, 0.02, 900), first)
    question = await _turn(
        client,
        "user",
        "Where did you go with the kids last weekend?",
        near(Q, question_sim, 901),
        first,
    )
    second = (await client.start_session()).session_id if sessions == 2 else first
    answer = await _turn(
        client,
        "assistant",
        "To Woodhaven, we camped by the lake.",
        near(Q, answer_sim, 902),
        second,
    )
    await _turn(client, "user", "Sounds lovely.", near(Q, 0.03, 903), second)
    return question, answer


async def test_the_answer_follows_the_question_it_answers(client: Client) -> None:
    await _background(client)
    question, answer = await _dialogue(client, 0.6, 0.0)
    hits = await client.search_memories(query_embedding=Q, embedding_model=MODEL, k=5, track=False)
    assert [h.id for h in hits[:2]] == [question, answer]
    lifted = hits[1]
    assert lifted.matched_by == "context"
    assert lifted.linked_from == question
    assert lifted.similarity == pytest.approx(0.0, abs=1e-5)
    # own evidence 0 + context_weight 0.3 x the question's 0.6
    assert lifted.fused_relevance == pytest.approx(0.18, abs=1e-4)
    assert hits[0].linked_from is None
    assert hits[0].matched_by == "vector"
    assert all(h.ranking_version == 4 for h in hits)
    # Off: the answer is no candidate, the distractors (0.15) fill the top 5.
    off = await client.search_memories(
        query_embedding=Q, embedding_model=MODEL, k=5, track=False, weights={"context_weight": 0}
    )
    assert off[0].id == question
    assert answer not in {h.id for h in off}
    assert all(h.content.startswith("Distractor") for h in off[1:])


async def test_a_lifted_memory_never_ranks_above_its_hit(client: Client) -> None:
    await _background(client)
    # Own 0.5 + 0.3 x 0.55 would pass the question's 0.55: held to it, ranked after it.
    question, answer = await _dialogue(client, 0.55, 0.5)
    hits = await client.search_memories(query_embedding=Q, embedding_model=MODEL, k=3, track=False)
    assert [h.id for h in hits[:2]] == [question, answer]
    assert hits[1].score <= hits[0].score
    assert hits[1].fused_relevance == pytest.approx(hits[0].fused_relevance, abs=1e-4)
    assert hits[1].linked_from == question
    assert hits[1].matched_by == "vector"


async def test_a_stronger_answer_keeps_its_own_evidence(client: Client) -> None:
    question, answer = await _dialogue(client, 0.4, 0.7)
    hits = await client.search_memories(query_embedding=Q, embedding_model=MODEL, k=2, track=False)
    assert [h.id for h in hits] == [answer, question]
    assert hits[0].linked_from is None
    assert hits[0].fused_relevance == pytest.approx(0.7, abs=1e-4)


async def test_context_follows_the_session_only(client: Client) -> None:
    await _background(client)
    # The answer is the first turn of another session: it does not follow the question.
    question, answer = await _dialogue(client, 0.6, 0.0, sessions=2)
    hits = await client.search_memories(query_embedding=Q, embedding_model=MODEL, k=5, track=False)
    assert hits[0].id == question
    assert answer not in {h.id for h in hits}


async def test_turns_without_a_session_follow_each_other(client: Client) -> None:
    await _background(client)
    question, answer = await _dialogue(client, 0.6, 0.0, sessions=0)
    hits = await client.search_memories(query_embedding=Q, embedding_model=MODEL, k=5, track=False)
    assert [h.id for h in hits[:2]] == [question, answer]
    assert hits[1].matched_by == "context"


async def test_a_lifted_memory_passes_the_filters(client: Client, db: psycopg.Connection) -> None:
    await _background(client)
    question, answer = await _dialogue(client, 0.6, 0.0)
    kw = {"query_embedding": Q, "embedding_model": MODEL, "k": 5, "track": False}
    excluded = await client.search_memories(exclude_ids=[answer], **kw)  # type: ignore[arg-type]
    assert excluded[0].id == question
    assert answer not in {h.id for h in excluded}
    db.execute("update pgcortex.memories set tags = '{kept}' where id = %s", (question,))
    tagged = await client.search_memories(tags_any=["kept"], **kw)  # type: ignore[arg-type]
    assert [h.id for h in tagged] == [question]
    db.execute("update pgcortex.memories set tags = '{kept}' where id = %s", (answer,))
    both = await client.search_memories(tags_any=["kept"], **kw)  # type: ignore[arg-type]
    assert [h.id for h in both] == [question, answer]
    db.execute(
        "update pgcortex.memories set expires_at = created_at + interval '1 hour' where id = %s",
        (answer,),
    )
    later = datetime.now(UTC) + timedelta(hours=2)
    expired = await client.search_memories(as_of=later, **kw)  # type: ignore[arg-type]
    assert expired[0].id == question
    assert answer not in {h.id for h in expired}


async def test_context_weight_is_checked(client: Client) -> None:
    with pytest.raises(errors.OutOfRangeError):
        await client.search_memories("x", weights={"context_weight": 1.5}, k=1)
    with pytest.raises(errors.OutOfRangeError):
        await client.search_memories("x", weights={"context_weight": -0.1}, k=1)
