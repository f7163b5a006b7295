"""Knowledge commands: stats, maint, prefs, prefer, sessions, patterns, clusters, context."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .common import CliError, add_json, connect, note, num, print_json, run
from .output import kv, table


def _short(value: Any) -> str:
    return "" if value is None else str(value)


def _num(value: float | None, digits: int = 2) -> str:
    return num(value, digits)


def _run(coro: Any) -> int:
    return run(coro)


# -- stats ---------------------------------------------------------------------------------


async def _stats(args: argparse.Namespace) -> int:
    async with await connect(args) as client:
        s = await client.get_memory_summary()
    if args.json:
        print_json(s)
        return 0
    by_type = ", ".join(f"{k} {v}" for k, v in s.memories_by_type.items()) or "-"
    print(
        kv(
            [
                ("namespace", s.namespace),
                ("memories", s.memories),
                ("  by type", by_type),
                ("  with embedding", s.memories_with_embedding),
                ("preferences", s.preferences),
                ("knowledge clusters", s.clusters),
                ("learning patterns", s.patterns),
                ("sessions", f"{s.sessions} ({s.open_sessions} open)"),
                ("average session", _seconds(s.avg_session_seconds)),
                ("conversation turns", s.turns),
            ]
        )
    )
    if s.most_accessed:
        print("\nmost accessed")
        print(
            table(
                ["id", "type", "accesses", "content"],
                [
                    (_short(m["id"]), m["memory_type"], m["access_count"], m["content"])
                    for m in s.most_accessed
                ],
            )
        )
    if s.most_important:
        print("\nmost important")
        print(
            table(
                ["id", "type", "importance", "content"],
                [
                    (_short(m["id"]), m["memory_type"], m["importance"], m["content"])
                    for m in s.most_important
                ],
            )
        )
    return 0


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"


def cmd_stats(args: argparse.Namespace) -> int:
    return _run(_stats(args))


# -- maint ---------------------------------------------------------------------------------


async def _maint(args: argparse.Namespace) -> int:
    async with await connect(args) as client:
        steps = await client.maint_run(
            forget_days=args.forget_days,
            forget=False if args.no_forget else None,
            recluster=False if args.no_recluster else None,
            detect_patterns=False if args.no_patterns else None,
        )
    if args.json:
        print_json(steps)
        return 0
    print(
        table(
            ["step", "ms", "result"],
            [(s.step, f"{s.duration_ms:.1f}", json.dumps(s.result, sort_keys=True)) for s in steps],
            max_width=120,
        )
    )
    return 0


def cmd_maint(args: argparse.Namespace) -> int:
    return _run(_maint(args))


# -- preferences ------------------------------------------------------------------------------


async def _prefs(args: argparse.Namespace) -> int:
    async with await connect(args) as client:
        prefs = await client.get_user_preferences(args.category)
    if args.json:
        print_json(prefs)
        return 0
    print(
        table(
            ["key", "value", "confidence", "source", "updated"],
            [
                (
                    p.key,
                    json.dumps(p.value),
                    _num(p.confidence),
                    p.source,
                    p.updated_at.isoformat(timespec="seconds") if p.updated_at else "",
                )
                for p in prefs.values()
            ],
        )
    )
    return 0


def cmd_prefs(args: argparse.Namespace) -> int:
    return _run(_prefs(args))


async def _prefer(args: argparse.Namespace) -> int:
    try:
        value = json.loads(args.value)
    except json.JSONDecodeError:
        value = args.value  # plain text is stored as a JSON string
    async with await connect(args) as client:
        u = await client.learn_user_preference(
            args.key, value, confidence=args.confidence, source=args.source
        )
    if args.json:
        print_json(u)
        return 0
    if u.applied:
        print(f"{u.key} = {json.dumps(u.held_value)} (confidence {_num(u.held_confidence)})")
    else:
        print(
            f"kept {u.key} = {json.dumps(u.held_value)}: it is held with confidence "
            f"{_num(u.held_confidence)}, more than {_num(args.confidence or 1.0)} "
            "(offer recorded)"
        )
    return 0


def cmd_prefer(args: argparse.Namespace) -> int:
    return _run(_prefer(args))


# -- sessions, patterns, clusters ------------------------------------------------------------------


async def _sessions(args: argparse.Namespace) -> int:
    async with await connect(args) as client:
        sessions = await client.list_sessions(open_only=args.open, max_results=args.limit)
    if args.json:
        print_json(sessions)
        return 0
    print(
        table(
            ["session", "started", "turns", "seconds", "importance", "topics", "summary"],
            [
                (
                    _short(s.session_id),
                    s.started_at.isoformat(timespec="seconds"),
                    s.message_count,
                    "open" if s.ended_at is None else s.duration_seconds,
                    _num(s.importance),
                    ", ".join(s.topics),
                    s.summary or "",
                )
                for s in sessions
            ],
        )
    )
    return 0


def cmd_sessions(args: argparse.Namespace) -> int:
    return _run(_sessions(args))


async def _patterns(args: argparse.Namespace) -> int:
    async with await connect(args) as client:
        if args.detect:
            found = await client.identify_learning_patterns()
            note(
                f"detected {len(found)} pattern(s), "
                f"{sum(p.new_evidence for p in found)} new evidence"
            )
        patterns = await client.get_learning_patterns(
            args.type, active_only=args.active, max_results=args.limit
        )
    if args.json:
        print_json(patterns)
        return 0
    print(
        table(
            ["type", "description", "frequency", "confidence", "example"],
            [
                (
                    p.pattern_type,
                    p.description,
                    p.frequency,
                    _num(p.confidence),
                    p.examples[0] if p.examples else "",
                )
                for p in patterns
            ],
        )
    )
    return 0


def cmd_patterns(args: argparse.Namespace) -> int:
    return _run(_patterns(args))


async def _clusters(args: argparse.Namespace) -> int:
    embed = args.query is not None
    async with await connect(args, embed=embed, searches=embed) as client:
        clusters = await client.get_knowledge_clusters(
            args.query, min_relevance=args.min_relevance, max_results=args.limit
        )
    if args.json:
        print_json(clusters)
        return 0
    print(
        table(
            ["cluster", "origin", "members", "importance", "relevance", "topics"],
            [
                (
                    c.name,
                    c.origin,
                    c.member_count,
                    _num(c.importance_score),
                    _num(c.relevance),
                    ", ".join(c.topics),
                )
                for c in clusters
            ],
        )
    )
    return 0


def cmd_clusters(args: argparse.Namespace) -> int:
    return _run(_clusters(args))


async def _context(args: argparse.Namespace) -> int:
    if not args.query.strip():
        raise CliError("the query is empty", hint='give the task at hand: pgcortex context "..."')
    async with await connect(args, embed=True, searches=True) as client:
        bundle = await client.get_contextual_knowledge(
            args.query, max_memories=args.limit, track=False if args.no_track else None
        )
    if args.json:
        print_json(bundle.raw)
        return 0
    if bundle.preferences:
        print("preferences")
        print(
            table(
                ["key", "value", "confidence"],
                [
                    (k, json.dumps(p.value, ensure_ascii=False), _num(p.confidence))
                    for k, p in bundle.preferences.items()
                ],
            )
        )
        print()
    print("memories")
    print(
        table(
            ["id", "type", "imp", "score", "content"],
            [
                (m.id, m.memory_type, m.importance, _num(m.score, 3), m.content)
                for m in bundle.memories
            ],
        )
    )
    if bundle.recent_turns:
        print("\nrecent turns")
        print(table(["role", "content"], [(t.role, t.content) for t in bundle.recent_turns]))
    if bundle.clusters:
        print("\nclusters")
        print(
            table(["cluster", "topics"], [(c.name, ", ".join(c.topics)) for c in bundle.clusters])
        )
    if bundle.patterns:
        print("\npatterns")
        print(
            table(
                ["type", "description"],
                [(p.pattern_type, p.description) for p in bundle.patterns],
            )
        )
    return 0


def cmd_context(args: argparse.Namespace) -> int:
    return _run(_context(args))


def register(sub: Any) -> None:
    p = sub.add_parser("stats", help="what the namespace knows: counts, most read, most important")
    add_json(p)
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser(
        "maint", help="run all maintenance: forget, purge, flush, re-cluster, detect patterns"
    )
    p.add_argument("--forget-days", type=int, help="forget after this many days (default 90)")
    p.add_argument("--no-forget", action="store_true", help="skip forgetting")
    p.add_argument("--no-recluster", action="store_true", help="skip re-clustering")
    p.add_argument("--no-patterns", action="store_true", help="skip pattern detection")
    add_json(p)
    p.set_defaults(func=cmd_maint)

    p = sub.add_parser("prefs", help="list user preferences")
    p.add_argument("category", nargs="?", help="only keys containing this")
    add_json(p)
    p.set_defaults(func=cmd_prefs)

    p = sub.add_parser("prefer", help="learn a user preference (value as JSON or text)")
    p.add_argument("key")
    p.add_argument("value")
    p.add_argument("--confidence", type=float, help="0..1 (default 1)")
    p.add_argument("--source", default="cli")
    add_json(p)
    p.set_defaults(func=cmd_prefer)

    p = sub.add_parser("sessions", help="list conversation sessions")
    p.add_argument("--open", action="store_true", help="open sessions only")
    p.add_argument("--limit", type=int, default=20)
    add_json(p)
    p.set_defaults(func=cmd_sessions)

    p = sub.add_parser("patterns", help="list learning patterns (--detect first runs detection)")
    p.add_argument("--type", help="only this pattern type")
    p.add_argument("--active", action="store_true", help="only active patterns")
    p.add_argument(
        "--detect", action="store_true", help="detect patterns in the user's turns first"
    )
    p.add_argument("--limit", type=int, default=50)
    add_json(p)
    p.set_defaults(func=cmd_patterns)

    p = sub.add_parser("clusters", help="knowledge clusters, relevant to a query if given")
    p.add_argument("query", nargs="?")
    p.add_argument("--min-relevance", type=float, help="default 0.3")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument(
        "--text-only", action="store_true", help="do not embed the query (no embedder is loaded)"
    )
    add_json(p)
    p.set_defaults(func=cmd_clusters)

    p = sub.add_parser(
        "context", help="everything an agent gets for a query: memories, preferences, ..."
    )
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=15, help="memories at most")
    p.add_argument("--no-track", action="store_true", help="do not count accesses")
    p.add_argument(
        "--text-only", action="store_true", help="do not embed the query (no embedder is loaded)"
    )
    add_json(p)
    p.set_defaults(func=cmd_context)


__all__ = ["register"]
