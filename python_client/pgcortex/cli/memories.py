"""Memory commands: remember, recall, show, forget, history, types."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .common import CliError, add_json, connect, num, print_json, resolve_id, run, when
from .output import kv, table


def _metadata(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(
            f"--metadata is not JSON: {exc.msg}",
            hint="""give an object, e.g. '{"source": "cli"}'""",
        ) from None
    if not isinstance(value, dict):
        raise CliError("--metadata must be a JSON object", hint="""e.g. '{"source": "cli"}'""")
    return value


async def _remember(args: argparse.Namespace) -> int:
    metadata = _metadata(args.metadata)
    async with await connect(args, embed=True) as client:
        result = await client.store_memory(
            args.content,
            args.type,
            importance=args.importance,
            confidence=args.confidence,
            tags=args.tag,
            metadata=metadata,
        )
    if args.json:
        print_json(result)
        return 0
    merged = f" into {result.merged_into}" if result.merged_into else ""
    print(f"{result.action}{merged}: {result.id}")
    return 0


def cmd_remember(args: argparse.Namespace) -> int:
    return run(_remember(args))


async def _recall(args: argparse.Namespace) -> int:
    if not args.query.strip():
        raise CliError("the query is empty", hint='give words to search for: pgcortex recall "..."')
    async with await connect(args, embed=True, searches=True) as client:
        hits = await client.search_memories(
            args.query,
            k=args.limit,
            memory_types=args.type,
            tags_any=args.tag,
            min_relevance=args.min_relevance,
            track=False if args.no_track else None,
        )
    if args.json:
        print_json(hits)
        return 0
    rows = [
        (
            h.rank,
            h.id,
            h.memory_type,
            h.importance,
            h.content,
            num(h.similarity),
            num(h.text_rank),
            num(h.relevance),
            num(h.fused_relevance),
            num(h.recency_factor),
            num(h.importance_factor),
            num(h.confidence_factor),
            num(h.access_factor),
            num(h.score, 4),
            h.matched_by,
        )
        for h in hits
    ]
    headers = [
        "#",
        "id",
        "type",
        "imp",
        "content",
        "sim",
        "text",
        "rel",
        "fused",
        "recency",
        "imp_f",
        "conf_f",
        "acc_f",
        "score",
        "by",
    ]
    print(table(headers, rows, max_width=args.width))
    return 0


def cmd_recall(args: argparse.Namespace) -> int:
    return run(_recall(args))


async def _show(args: argparse.Namespace) -> int:
    async with await connect(args) as client:
        if args.id:
            memory_id = await resolve_id(client, args.id)
            m = await client.get_memory(
                memory_id, track=False if args.no_track else None, include_embedding=False
            )
            if args.json:
                print_json(m)
                return 0
            print(
                kv(
                    [
                        ("id", m.id),
                        ("type", m.memory_type),
                        ("importance", m.importance),
                        ("confidence", m.confidence),
                        ("tags", ", ".join(m.tags)),
                        ("metadata", json.dumps(m.metadata, ensure_ascii=False)),
                        ("embedding model", m.embedding_model or "(text only)"),
                        ("created", when(m.created_at)),
                        ("updated", when(m.updated_at)),
                        ("expires", when(m.expires_at) or "never"),
                        ("last accessed", when(m.last_accessed)),
                        ("access count", m.access_count),
                        ("related", ", ".join(str(r) for r in m.related_memories)),
                        ("content", m.content),
                    ]
                )
            )
            return 0
        memories = await client.list_memories(
            memory_types=args.type,
            tags_any=args.tag,
            order_by=args.order,
            page_size=args.limit,
        )
    if args.json:
        print_json(memories)
        return 0
    rows = [
        (
            m.id,
            m.memory_type,
            m.importance,
            f"{m.confidence:.2f}",
            m.access_count,
            when(m.created_at),
            ", ".join(m.tags),
            m.content,
        )
        for m in memories
    ]
    print(
        table(
            ["id", "type", "imp", "conf", "reads", "created", "tags", "content"],
            rows,
            max_width=args.width,
        )
    )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    return run(_show(args))


async def _forget(args: argparse.Namespace) -> int:
    async with await connect(args) as client:
        if args.id:
            deleted = await client.delete_memory(await resolve_id(client, args.id))
            if args.json:
                print_json({"deleted": deleted})
            else:
                print(f"deleted {deleted}")
            return 0
        report = await client.maint_forget(
            args.days,
            max_importance=args.max_importance,
            min_access_count=args.min_access_count,
            dry_run=args.dry_run or None,
        )
        purged = None if args.dry_run else await client.maint_purge_expired()
    if args.json:
        print_json({"forgotten": report, "expired": purged})
        return 0
    verb = "would forget" if report.simulated else "forgot"
    rules = []
    if args.max_importance is not None:
        rules.append(f"importance <= {args.max_importance}")
    if args.min_access_count is not None:
        rules.append(f"fewer than {args.min_access_count} reads")
    detail = f" ({', '.join(rules)})" if rules else ""
    print(f"{verb} {report.matched} memories not accessed since {when(report.cutoff)}{detail}")
    for memory_id in report.ids:
        print(f"  {memory_id}")
    if purged is not None:
        print(f"purged {purged.deleted} expired memories")
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    return run(_forget(args))


def _change(c: Any) -> str:
    parts = []
    for name in c.changed_fields:
        old = getattr(c, f"old_{name}", None)
        new = getattr(c, f"new_{name}", None)
        if c.operation == "insert":
            parts.append(f"{name}={new}")
        elif c.operation == "delete":
            parts.append(f"{name}={old}")
        else:
            parts.append(f"{name}: {old} -> {new}")
    return "; ".join(parts)


async def _history(args: argparse.Namespace) -> int:
    async with await connect(args) as client:
        changes = await client.memory_history(await resolve_id(client, args.id))
    if args.json:
        print_json(changes)
        return 0
    rows = [(when(c.changed_at), c.operation, c.reason, _change(c)) for c in changes]
    print(table(["when", "operation", "reason", "change"], rows, max_width=args.width))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    return run(_history(args))


async def _types(args: argparse.Namespace) -> int:
    async with await connect(args) as client:
        types = await client.list_memory_types()
    if args.json:
        print_json(types)
        return 0
    print(table(["type", "description"], sorted(types.items()), max_width=100))
    return 0


def cmd_types(args: argparse.Namespace) -> int:
    return run(_types(args))


def register(sub: Any) -> None:
    def common(p: argparse.ArgumentParser, *, embeds: bool = False) -> None:
        add_json(p)
        if embeds:
            p.add_argument(
                "--text-only", action="store_true", help="do not embed (no embedder is loaded)"
            )
        p.add_argument("--width", type=int, default=60, help="cut cells at this many characters")

    p = sub.add_parser("remember", help="store a memory (dedup and near-duplicate merge)")
    p.add_argument("content")
    p.add_argument("--type", "-t", default="business_fact", help="memory type (see: types)")
    p.add_argument("--importance", "-i", type=int, help="1..5 (default 3)")
    p.add_argument("--confidence", "-c", type=float, help="0..1 (default 1)")
    p.add_argument("--tag", action="append", help="a tag (repeatable)")
    p.add_argument("--metadata", help="a JSON object")
    common(p, embeds=True)
    p.set_defaults(func=cmd_remember)

    p = sub.add_parser("recall", help="hybrid search, with the score breakdown")
    p.add_argument("query")
    p.add_argument("--limit", "-k", type=int, default=10)
    p.add_argument("--type", "-t", action="append", help="memory type (repeatable)")
    p.add_argument("--tag", action="append", help="any of these tags (repeatable)")
    p.add_argument("--min-relevance", type=float, default=None)
    p.add_argument("--no-track", action="store_true", help="do not count the reads")
    common(p, embeds=True)
    p.set_defaults(func=cmd_recall)

    p = sub.add_parser("show", help="one memory by id (or a unique prefix of it), or a list")
    p.add_argument("id", nargs="?")
    p.add_argument("--type", "-t", action="append", help="memory type (repeatable)")
    p.add_argument("--tag", action="append", help="any of these tags (repeatable)")
    p.add_argument(
        "--order",
        default="newest",
        choices=["newest", "oldest", "importance", "accessed", "recent"],
    )
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--no-track", action="store_true", help="do not count the read")
    common(p)
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("forget", help="delete one memory, or apply the forgetting policy")
    p.add_argument("id", nargs="?", help="delete this memory (id or unique prefix)")
    p.add_argument("--days", type=int, help="not accessed for this many days (default 90)")
    p.add_argument("--max-importance", type=int, help="importance at most (default 2)")
    p.add_argument("--min-access-count", type=int, help="read fewer times than (default 3)")
    p.add_argument("--dry-run", action="store_true", help="only report")
    common(p)
    p.set_defaults(func=cmd_forget)

    p = sub.add_parser("history", help="the recorded changes of a memory")
    p.add_argument("id", help="id or unique prefix")
    common(p)
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("types", help="the memory types")
    add_json(p)
    p.set_defaults(func=cmd_types)


__all__ = ["register"]
