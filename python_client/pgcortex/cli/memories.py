"""Memory commands: remember, recall, show, forget, history."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from ..config import default_namespace
from .output import kv, table


async def _client(args: argparse.Namespace) -> Any:
    from ..client import connect

    embedder = None
    if not getattr(args, "text_only", False):
        from ..embedding import default_embedder

        embedder = default_embedder()
    return await connect(
        args.dsn, namespace=args.namespace or default_namespace(), embedder=embedder
    )


def _short(value: Any) -> str:
    return str(value)[:8] if value is not None else ""


def _num(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


async def _remember(args: argparse.Namespace) -> int:
    metadata = json.loads(args.metadata) if args.metadata else None
    async with await _client(args) as client:
        result = await client.store_memory(
            args.content,
            args.type,
            importance=args.importance,
            confidence=args.confidence,
            tags=args.tag or None,
            metadata=metadata,
        )
    merged = f" into {result.merged_into}" if result.merged_into else ""
    print(f"{result.action}{merged}: {result.id}")
    return 0


def cmd_remember(args: argparse.Namespace) -> int:
    return asyncio.run(_remember(args))


async def _recall(args: argparse.Namespace) -> int:
    async with await _client(args) as client:
        hits = await client.search_memories(
            args.query,
            k=args.limit,
            memory_types=args.type or None,
            tags_any=args.tag or None,
            min_relevance=args.min_relevance,
            track=not args.no_track,
        )
    rows = [
        (
            h.rank,
            _short(h.id),
            h.memory_type,
            h.importance,
            h.content,
            _num(h.similarity),
            _num(h.text_rank),
            _num(h.relevance),
            _num(h.fused_relevance),
            _num(h.recency_factor),
            _num(h.importance_factor),
            _num(h.confidence_factor),
            _num(h.access_factor),
            _num(h.score, 4),
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
    return asyncio.run(_recall(args))


async def _show(args: argparse.Namespace) -> int:
    async with await _client(args) as client:
        if args.id:
            m = await client.retrieve_memory(
                args.id, track=not args.no_track, include_embedding=False
            )
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
                        ("created", m.created_at.isoformat(timespec="seconds")),
                        ("updated", m.updated_at.isoformat(timespec="seconds")),
                        (
                            "expires",
                            m.expires_at.isoformat(timespec="seconds") if m.expires_at else "never",
                        ),
                        ("last accessed", m.last_accessed.isoformat(timespec="seconds")),
                        ("access count", m.access_count),
                        ("related", ", ".join(str(r) for r in m.related_memories)),
                        ("content", m.content),
                    ]
                )
            )
            return 0
        memories = await client.list_memories(
            memory_types=args.type or None,
            tags_any=args.tag or None,
            order_by=args.order,
            page_size=args.limit,
        )
    rows = [
        (
            _short(m.id),
            m.memory_type,
            m.importance,
            f"{m.confidence:.2f}",
            m.access_count,
            m.created_at.isoformat(timespec="seconds"),
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
    return asyncio.run(_show(args))


async def _forget(args: argparse.Namespace) -> int:
    async with await _client(args) as client:
        if args.id:
            deleted = await client.delete_memory(args.id)
            print(f"deleted {deleted}")
            return 0
        report = await client.forget_outdated_memories(
            args.days,
            max_importance=args.max_importance,
            min_access_count=args.min_access_count,
            dry_run=args.dry_run,
        )
        purged = None if args.dry_run else await client.purge_expired_memories()
    verb = "would forget" if report.simulated else "forgot"
    print(
        f"{verb} {report.matched} memories not accessed since "
        f"{report.cutoff.isoformat(timespec='seconds')} "
        f"(importance <= {args.max_importance}, fewer than {args.min_access_count} reads)"
    )
    for memory_id in report.ids:
        print(f"  {memory_id}")
    if purged is not None:
        print(f"purged {purged.deleted} expired memories")
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    return asyncio.run(_forget(args))


async def _history(args: argparse.Namespace) -> int:
    async with await _client(args) as client:
        changes = await client.memory_history(args.id)

    def change(c: Any) -> str:
        parts = []
        for name in c.changed_fields:
            old = getattr(c, f"old_{name}")
            new = getattr(c, f"new_{name}")
            if c.operation == "insert":
                parts.append(f"{name}={new}")
            elif c.operation == "delete":
                parts.append(f"{name}={old}")
            else:
                parts.append(f"{name}: {old} -> {new}")
        return "; ".join(parts)

    rows = [
        (c.changed_at.isoformat(timespec="seconds"), c.operation, c.reason, change(c))
        for c in changes
    ]
    print(table(["when", "operation", "reason", "change"], rows, max_width=args.width))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    return asyncio.run(_history(args))


def register(sub: Any) -> None:
    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--text-only", action="store_true", help="do not embed (no embedder is loaded)"
        )
        p.add_argument("--width", type=int, default=60, help="cut cells at this many characters")

    p = sub.add_parser("remember", help="store a memory (dedup and near-duplicate merge)")
    p.add_argument("content")
    p.add_argument("--type", "-t", default="business_fact", help="memory type")
    p.add_argument("--importance", "-i", type=int, default=3, help="1..5 (default 3)")
    p.add_argument("--confidence", "-c", type=float, default=1.0, help="0..1 (default 1)")
    p.add_argument("--tag", action="append", help="a tag (repeatable)")
    p.add_argument("--metadata", help="a JSON object")
    common(p)
    p.set_defaults(func=cmd_remember)

    p = sub.add_parser("recall", help="hybrid search, with the score breakdown")
    p.add_argument("query")
    p.add_argument("--limit", "-k", type=int, default=10)
    p.add_argument("--type", "-t", action="append", help="memory type (repeatable)")
    p.add_argument("--tag", action="append", help="any of these tags (repeatable)")
    p.add_argument("--min-relevance", type=float, default=None)
    p.add_argument("--no-track", action="store_true", help="do not count the reads")
    common(p)
    p.set_defaults(func=cmd_recall)

    p = sub.add_parser("show", help="one memory by id, or a list")
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
    p.set_defaults(func=cmd_show, text_only=True)

    p = sub.add_parser("forget", help="delete one memory, or apply the forgetting policy")
    p.add_argument("id", nargs="?", help="delete this memory (else: the policy)")
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--max-importance", type=int, default=2)
    p.add_argument("--min-access-count", type=int, default=3)
    p.add_argument("--dry-run", action="store_true", help="only report")
    common(p)
    p.set_defaults(func=cmd_forget, text_only=True)

    p = sub.add_parser("history", help="the recorded changes of a memory")
    p.add_argument("id")
    common(p)
    p.set_defaults(func=cmd_history, text_only=True)


__all__ = ["register"]
