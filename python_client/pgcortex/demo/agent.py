"""The scripted demo: an AI co-founder agent through every pgcortex capability.

``python -m pgcortex.demo`` (``make demo``) connects (the embedded server unless
PGCORTEX_DSN / DATABASE_URL or ``--dsn`` names another PostgreSQL), clears its own
namespace, and walks through storing with dedup, recall by meaning with the score
breakdown, a keyword-only hit found by hybrid search, filters, preferences with a
conflicting update, patterns learned from a conversation, clusters, the context
bundle, forgetting with a moved clock and the summary. Every number printed comes
from the database; the scenario is in :mod:`pgcortex.demo.data`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any

from ..client import connect
from ..embedding import Embedder, MiniLMEmbedder, minilm_available
from ..errors import PgcortexError
from ..records import MemoryInput, SearchHit
from . import data
from .console import Console


@dataclass(slots=True)
class DemoReport:
    """What a run showed (the test checks it; the terminal shows the same)."""

    namespace: str
    embedder: str | None
    sections: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _short(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _breakdown_rows(hits: list[SearchHit]) -> list[list[Any]]:
    return [
        [
            h.rank,
            h.matched_by,
            h.similarity,
            h.keyword_overlap,
            h.relevance,
            h.fused_relevance,
            h.recency_factor,
            h.importance_factor,
            h.confidence_factor,
            h.access_factor,
            h.score,
            _short(h.content, 60),
        ]
        for h in hits
    ]


_BREAKDOWN_HEADERS = (
    "#",
    "via",
    "cosine",
    "keywords",
    "relevance",
    "fused",
    "recency",
    "import.",
    "confid.",
    "access",
    "score",
    "memory",
)
_BREAKDOWN_RIGHT = tuple(range(2, 11))


class Demo:
    """The scripted agent; each method is one section of the output."""

    def __init__(self, client: Any, console: Console, report: DemoReport) -> None:
        self.client = client
        self.c = console
        self.report = report
        self.ids: dict[str, Any] = {}
        self.session_id: Any = None

    def _section(self, key: str, title: str, subtitle: str = "") -> None:
        self.report.sections.append(key)
        self.c.section(title, subtitle)

    # -- 1. remember -------------------------------------------------------------------

    async def remember(self) -> None:
        self._section(
            "store",
            "Remember: facts, market intelligence, strategy, people",
            "One call stores the whole batch: the client embeds the texts in one batch, "
            "the database validates every item, dedups, clusters and records history.",
        )
        items = [
            MemoryInput(
                content=f.content,
                memory_type=f.memory_type,
                importance=f.importance,
                confidence=f.confidence,
                tags=list(f.tags),
                metadata=f.metadata,
            )
            for f in data.FACTS
        ]
        self.c.call(f"client.store_memories([{len(items)} MemoryInput])")
        with self.c.step(f"embedding and storing {len(items)} memories"):
            results = await self.client.store_memories(items)
        for fact, result in zip(data.FACTS, results, strict=True):
            self.ids[fact.key] = result.id
        self.c.table(
            ("type", "imp.", "conf.", "tags", "action", "content"),
            [
                [f.memory_type, f.importance, f.confidence, list(f.tags), r.action, f.content]
                for f, r in zip(data.FACTS, results, strict=True)
            ],
            max_widths={5: 58},
            align_right=(1, 2),
        )

        self.c.write()
        self.c.say("Storing the same things again, differently spelled:")
        self.c.call("client.store_memory(<same text, other case and spacing>, 'business_fact')")
        exact = await self.client.store_memory(
            data.DUPLICATE_SPELLING, "business_fact", importance=4, tags=["finance"]
        )
        self.c.call("client.store_memory(<a reworded sentence>, 'business_fact')")
        near = await self.client.store_memory(data.NEAR_DUPLICATE, "business_fact", importance=4)
        self.c.table(
            ("what was stored", "action", "same memory as"),
            [
                [repr(data.DUPLICATE_SPELLING), exact.action, _short(data.FACTS[1].content, 40)],
                [data.NEAR_DUPLICATE, near.action, _short(data.FACTS[2].content, 40)],
            ],
            max_widths={0: 60},
        )
        self.report.facts["exact_duplicate"] = (exact.action, exact.id == self.ids["mrr"])
        self.report.facts["near_duplicate"] = (
            near.action,
            (near.merged_into or near.id) == self.ids["runway"],
        )
        self.c.ok(
            "exact duplicate (case, spacing): one row, reinforced "
            "(importance, tags and metadata merged); near duplicate (cosine ≥ 0.95, same "
            "type): merged into the memory it repeats"
        )

    # -- 2. recall by meaning ----------------------------------------------------------

    async def recall_by_meaning(self) -> None:
        self._section(
            "semantic",
            "Recall by meaning, with the score breakdown",
            "score = fused relevance (cosine and BM25 evidence of every candidate) × recency × "
            "importance × confidence × access frequency; every factor comes back with the hit.",
        )
        query = data.SEMANTIC_QUERY
        self.c.say(f"The founder asks: “{query}”")
        self.c.call(f"client.search_memories({query!r}, k=4)")
        hits = await self.client.search_memories(query, k=4)
        self.c.table(
            _BREAKDOWN_HEADERS,
            _breakdown_rows(hits),
            align_right=_BREAKDOWN_RIGHT,
            max_widths={11: 48},
        )
        top = hits[0] if hits else None
        found = top is not None and top.id == self.ids["runway"]
        self.report.facts["semantic_top"] = found
        if top is not None:
            self.c.ok(
                f"the runway memory comes first (cosine {top.similarity:.2f}) although it "
                "shares no word with the question: matched by meaning only "
                f"(keyword overlap {top.keyword_overlap or 0:.0%})"
            )

    # -- 3. keyword-only hit -----------------------------------------------------------

    async def keyword_hit(self) -> None:
        self._section(
            "hybrid",
            "A keyword the model cannot understand: hybrid search",
            "A ticket number means little to an embedding model; the full-text side of the "
            "hybrid search finds it.",
        )
        query = data.KEYWORD_QUERY
        self.c.call(f"client.search_memories({query!r}, k=3, weights={{'text_weight': 0}})")
        vector_only = await self.client.search_memories(
            query, k=3, weights={"text_weight": 0}, track=False
        )
        self.c.say("Vector side alone (text weight 0), ranked by score:")
        self.c.table(
            ("#", "cosine", "import.", "score", "memory"),
            [
                [h.rank, h.similarity, h.importance_factor, h.score, _short(h.content, 70)]
                for h in vector_only
            ],
            align_right=(1, 2, 3),
        )
        self.c.call(f"client.recall_memories({query!r})   # min_relevance 0.5 by default")
        hits = await self.client.recall_memories(query)
        self.c.say("Hybrid recall:")
        self.c.table(
            ("#", "via", "cosine", "keywords", "relevance", "score", "memory"),
            [
                [
                    h.rank,
                    h.matched_by,
                    h.similarity,
                    h.keyword_overlap,
                    h.relevance,
                    h.score,
                    _short(h.content, 60),
                ]
                for h in hits
            ],
            align_right=(2, 3, 4, 5),
        )
        ticket = next((h for h in hits if h.id == self.ids["ticket"]), None)
        in_vector_top = any(h.id == self.ids["ticket"] for h in vector_only)
        self.report.facts["keyword_hit"] = ticket is not None and ticket.matched_by in (
            "text",
            "both",
        )
        self.report.facts["keyword_hit_in_vector_top3"] = in_vector_top
        if ticket is not None:
            self.c.ok(
                f"ticket found: cosine {ticket.similarity or 0:.2f} is below the 0.5 bar, "
                f"keyword overlap {ticket.keyword_overlap or 0:.0%} carries it"
                + ("" if in_vector_top else "; the vector side alone does not rank it top 3")
            )

    # -- 4. filters ----------------------------------------------------------------------

    async def filters(self) -> None:
        self._section(
            "filters",
            "Filters, applied inside the search",
            "Type, tags, importance, confidence, dates and metadata filter the candidates "
            "in SQL before ranking, so a selective filter never empties the top k.",
        )
        query = "how is the business doing"
        runs: list[tuple[str, dict[str, Any]]] = [
            ("(none)", {}),
            ("types=[market_intelligence]", {"memory_types": ["market_intelligence"]}),
            (
                "tags_any=[metrics], importance≥5",
                {"tags_any": ["metrics"], "min_importance": 5},
            ),
            (
                "metadata ⊇ {source: october board deck}",
                {"metadata_contains": {"source": "october board deck"}},
            ),
        ]
        rows: list[list[Any]] = []
        counts: dict[str, int] = {}
        for label, kwargs in runs:
            hits = await self.client.search_memories(query, k=3, track=False, **kwargs)
            counts[label] = len(hits)
            for n, h in enumerate(hits):
                rows.append(
                    [
                        label if n == 0 else "",
                        h.memory_type,
                        h.importance,
                        h.tags,
                        _short(h.content, 52),
                    ]
                )
            if not hits:
                rows.append([label, "—", None, None, "(nothing matches)"])
        self.c.say(f"Query: “{query}”, k=3")
        self.c.table(
            ("filter", "type", "imp.", "tags", "memory"),
            rows,
            align_right=(2,),
            max_widths={0: 46, 3: 26},
        )
        self.report.facts["filters"] = counts

    # -- 5. preferences --------------------------------------------------------------------

    async def preferences(self) -> None:
        self._section(
            "preferences",
            "Preferences, and a conflicting update of lower confidence",
            "A preference is any JSON value with a confidence and a source. An offer with "
            "lower confidence than the value held is recorded in the history but not applied.",
        )
        for key, value, confidence, source in data.PREFERENCES:
            await self.client.learn_user_preference(key, value, confidence, source)
        key, value, confidence, source = data.CONFLICTING_PREFERENCE
        self.c.call(f"client.learn_user_preference({key!r}, {value!r}, {confidence}, {source!r})")
        update = await self.client.learn_user_preference(key, value, confidence, source)
        self.report.facts["conflict_applied"] = update.applied
        self.report.facts["conflict_held"] = update.held_value
        prefs = await self.client.get_user_preferences()
        self.c.table(
            ("key", "value", "confidence", "source"),
            [[p.key, _json_text(p.value), p.confidence, p.source] for p in prefs.values()],
            align_right=(2,),
        )
        history = await self.client.get_preference_history(key)
        self.c.say(f"History of {key!r} (newest first):")
        self.c.table(
            ("value offered", "confidence", "source", "applied"),
            [
                [_json_text(h.value), h.confidence, h.source, "yes" if h.applied else "no"]
                for h in history
            ],
            align_right=(1,),
        )
        self.c.ok(
            f"the {confidence:.1f}-confidence offer was "
            f"{'applied' if update.applied else 'kept out'}: "
            f"{key} is still {_json_text(update.held_value)} "
            f"(confidence {update.held_confidence:.1f})"
        )

    # -- 6. conversation and patterns ------------------------------------------------------

    async def conversation(self) -> None:
        self._section(
            "patterns",
            "A conversation, and the patterns learned from it",
            "Every turn is kept; a substantial turn also becomes a conversation memory. "
            "Pattern detection runs in SQL over the turns' full-text vectors.",
        )
        session = await self.client.start_session({"channel": "demo", "topic": "pricing"})
        self.session_id = session.session_id
        with self.c.step(f"storing {len(data.CONVERSATION)} turns (each embedded if substantial)"):
            stored = [
                await self.client.store_conversation_turn(role, content, session.session_id)
                for role, content in data.CONVERSATION
            ]
        self.c.table(
            ("role", "turn", "became a memory"),
            [
                [role, content, "yes" if t.memory_id else "no"]
                for (role, content), t in zip(data.CONVERSATION, stored, strict=True)
            ],
            max_widths={1: 80},
        )
        self.c.call("client.identify_learning_patterns(session_id)")
        patterns = await self.client.identify_learning_patterns(session.session_id)
        self.c.table(
            ("type", "pattern", "seen", "confidence", "example"),
            [
                [
                    p.pattern_type,
                    p.description,
                    p.frequency,
                    p.confidence,
                    p.examples[0] if p.examples else None,
                ]
                for p in patterns
            ],
            align_right=(2, 3),
            max_widths={4: 50},
        )
        again = await self.client.identify_learning_patterns(session.session_id)
        self.report.facts["patterns"] = [p.description for p in patterns]
        self.report.facts["patterns_rerun_new_evidence"] = sum(p.new_evidence for p in again)
        ended = await self.client.end_session(
            session.session_id, "Planned a pricing experiment with ten bakeries.", 0.8
        )
        self.c.ok(
            f"{len(patterns)} patterns; running detection again adds "
            f"{self.report.facts['patterns_rerun_new_evidence']} evidence (each turn counts "
            f"once). Session ended: {ended.message_count} turns, topics {', '.join(ended.topics)}"
        )

    # -- 7. clusters -------------------------------------------------------------------------

    async def clusters(self) -> None:
        self._section(
            "clusters",
            "Knowledge clusters",
            "Kept up to date by a trigger on every store (nearest centroid, else a new "
            "cluster); maintenance merges close clusters and recomputes centroids, topics and "
            "importance.",
        )
        self.c.call("client.recluster()")
        report = await self.client.recluster()
        self.c.say(
            f"re-clustering: {report.clusters_before} clusters before, "
            f"{report.clusters_merged} merged, {report.members_moved} members moved, "
            f"{report.clusters_dissolved} dissolved, {report.clusters_after} after"
        )
        clusters = await self.client.get_knowledge_clusters(max_results=6)
        firsts = await self.client.get_memories(
            [c.top_memory_ids[0] for c in clusters if c.top_memory_ids], track=False
        )
        first_by_id = {m.id: m.content for m in firsts}
        self.c.say("The most important clusters:")
        self.c.table(
            ("members", "importance", "topics", "its most important memory"),
            [
                [
                    c.member_count,
                    c.importance_score,
                    list(c.topics[:4]),
                    first_by_id.get(c.top_memory_ids[0], "") if c.top_memory_ids else "",
                ]
                for c in clusters
            ],
            align_right=(0, 1),
            max_widths={2: 40, 3: 56},
        )
        query = "pricing"
        self.c.call(f"client.get_knowledge_clusters({query!r})")
        ranked = await self.client.get_knowledge_clusters(query, max_results=3)
        self.c.table(
            ("topics", "members", "similarity", "topic match", "relevance"),
            [
                [list(c.topics[:4]), c.member_count, c.similarity, c.topic_matches, c.relevance]
                for c in ranked
            ],
            align_right=(1, 2, 3, 4),
            max_widths={0: 50},
        )
        self.report.facts["clusters"] = len(clusters)
        self.report.facts["clusters_for_query"] = len(ranked)

    # -- 8. context bundle ------------------------------------------------------------------

    async def context(self) -> None:
        self._section(
            "context",
            "The context bundle for the agent's next prompt",
            "One call returns the top memories for the query, every preference, the recent "
            "turns, the relevant clusters and the active patterns, as one JSON document.",
        )
        query = data.CONTEXT_QUERY
        self.c.call(f"client.get_contextual_knowledge({query!r}, session_id=…)")
        bundle = await self.client.get_contextual_knowledge(
            query, session_id=self.session_id, max_memories=5
        )
        self.c.table(
            ("part", "count", "first items"),
            [
                [
                    "memories",
                    len(bundle.memories),
                    [_short(m.content, 40) for m in bundle.memories[:2]],
                ],
                ["preferences", len(bundle.preferences), list(bundle.preferences)[:3]],
                [
                    "recent turns",
                    len(bundle.recent_turns),
                    [_short(t.content, 40) for t in bundle.recent_turns[:1]],
                ],
                [
                    "clusters",
                    len(bundle.clusters),
                    [" / ".join(c.topics[:3]) for c in bundle.clusters[:2]],
                ],
                ["patterns", len(bundle.patterns), [p.description for p in bundle.patterns[:2]]],
            ],
            align_right=(1,),
            max_widths={2: 90},
        )
        self.report.facts["context_counts"] = {
            "memories": len(bundle.memories),
            "preferences": len(bundle.preferences),
            "recent_turns": len(bundle.recent_turns),
            "clusters": len(bundle.clusters),
            "patterns": len(bundle.patterns),
        }
        self.c.ok(
            f"bundle of {len(json.dumps(bundle.raw, default=str)):,} bytes of JSON, one round trip"
        )

    # -- forgetting ------------------------------------------------------------------------

    async def forgetting(self) -> None:
        self._section(
            "forget",
            "Forgetting, with the clock moved forward",
            f"Every time-dependent function takes as_of: here it is {data.FORGET_AFTER_DAYS} "
            "days from now. The rule: not accessed for 90 days, importance ≤ 2, "
            "accessed fewer than 3 times.",
        )
        later = datetime.now().astimezone() + timedelta(days=data.FORGET_AFTER_DAYS)
        self.c.call(
            f"client.forget_outdated_memories(90, as_of=now + {data.FORGET_AFTER_DAYS} days, "
            "dry_run=True)"
        )
        preview = await self.client.forget_outdated_memories(90, as_of=later, dry_run=True)
        doomed = await self.client.get_memories(list(preview.ids), track=False)
        self.c.table(
            ("would forget", "type", "imp."),
            [[_short(m.content, 70), m.memory_type, m.importance] for m in doomed],
            align_right=(2,),
        )
        self.c.say(
            "Then the maintenance a scheduler would run (forget, purge expired, fold the "
            "access log, re-cluster, detect patterns), on the moved clock:"
        )
        self.c.call("client.run_maintenance(forget_days=90, as_of=…)")
        steps = await self.client.run_maintenance(forget_days=90, as_of=later)
        self.c.table(
            ("step", "result", "ms"),
            [
                [
                    m.step,
                    _json_text({k: v for k, v in m.result.items() if k != "ids"}),
                    m.duration_ms,
                ]
                for m in steps
            ],
            align_right=(2,),
            max_widths={1: 84},
        )
        remaining = await self.client.get_memories(list(preview.ids), track=False)
        forgotten = len(preview.ids) - len(remaining)
        self.report.facts["forgotten"] = forgotten
        self.report.facts["maintenance_steps"] = [m.step for m in steps]
        self.c.ok(
            f"forgot {forgotten} memories unused for 90 days as seen from {later:%Y-%m-%d}; "
            "the important and often-used ones stay"
        )

    # -- 10. summary ----------------------------------------------------------------------

    async def summary(self) -> None:
        self._section(
            "summary", "What the agent knows now", "One row of pgcortex.memory_summary_v."
        )
        s = await self.client.get_memory_summary()
        self.c.table(
            (
                "memories",
                "with embedding",
                "preferences",
                "clusters",
                "patterns",
                "sessions",
                "turns",
            ),
            [
                [
                    s.memories,
                    s.memories_with_embedding,
                    s.preferences,
                    s.clusters,
                    s.patterns,
                    s.sessions,
                    s.turns,
                ]
            ],
            align_right=tuple(range(7)),
        )
        self.c.table(
            ("memory type", "memories"),
            sorted(([k, v] for k, v in s.memories_by_type.items()), key=lambda r: -int(r[1])),
            align_right=(1,),
        )
        self.report.facts["summary"] = {
            "memories": s.memories,
            "preferences": s.preferences,
            "clusters": s.clusters,
            "patterns": s.patterns,
        }


async def run_demo(
    dsn: str | None = None,
    *,
    namespace: str = data.DEMO_NAMESPACE,
    out: IO[str] | None = None,
    color: bool | None = None,
    embedder: Embedder | None = None,
) -> DemoReport:
    """Run the whole scenario in ``namespace`` (cleared first); return what it showed."""
    started = time.perf_counter()
    console = Console(out, color=color)
    if embedder is None and minilm_available():
        embedder = MiniLMEmbedder()
    report = DemoReport(namespace=namespace, embedder=getattr(embedder, "model_name", None))

    console.write(
        console.bold(" pgcortex demo: an AI co-founder's long-term memory, in PostgreSQL")
    )
    with console.step("connecting (and deploying the schema if needed)"):
        client = await connect(dsn, namespace=namespace, embedder=embedder)
    try:
        version = await client.check_schema_version()
        console.ok(f"schema version {version}; namespace {namespace!r}")
        erased = await client.erase_namespace(confirm=namespace)
        console.ok(f"cleared the demo namespace ({erased.rows_deleted} rows from an earlier run)")
        if isinstance(embedder, MiniLMEmbedder):
            with console.step(f"loading the embedding model {embedder.model_name} (offline, CPU)"):
                await asyncio.to_thread(embedder.load)
        elif embedder is None:
            console.say("No embedder installed (extra 'embed'): the demo runs text-only.")

        demo = Demo(client, console, report)
        await demo.remember()
        await demo.recall_by_meaning()
        await demo.keyword_hit()
        await demo.filters()
        await demo.preferences()
        await demo.conversation()
        await demo.clusters()
        await demo.context()
        await demo.forgetting()
        await demo.summary()
    finally:
        await client.close()
    report.seconds = time.perf_counter() - started
    console.write()
    console.ok(f"demo finished in {report.seconds:.1f}s")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="PostgreSQL to use (default: configured or embedded)")
    parser.add_argument(
        "--namespace", default=data.DEMO_NAMESPACE, help="namespace (cleared first)"
    )
    parser.add_argument("--no-color", action="store_true", help="plain output")
    args = parser.parse_args(argv)
    try:
        asyncio.run(
            run_demo(args.dsn, namespace=args.namespace, color=False if args.no_color else None)
        )
    except PgcortexError as exc:
        print(f"\npgcortex demo: error [{exc.code or '-'}]: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0
