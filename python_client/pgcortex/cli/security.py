"""Namespace-wide commands: export (JSON Lines), erase (confirmed), audit."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import add_json, connect, print_json, run, when
from .output import table


async def _export(args: argparse.Namespace) -> int:
    async with await connect(args) as client:
        if args.output == "-":
            lines: int = await client.export_to(sys.stdout)
        else:
            lines = await client.export_to(args.output)
    if args.output != "-":
        print(f"wrote {lines} lines to {args.output}", file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    return run(_export(args))


async def _erase(args: argparse.Namespace) -> int:
    async with await connect(args) as client:
        result = await client.erase_namespace(confirm=args.confirm)
    if args.json:
        print_json(result)
        return 0
    print(
        f"erased namespace {result.namespace!r}: {result.rows_deleted} rows "
        f"(audit id {result.audit_id})"
    )
    for name, count in sorted(result.tables.items()):
        if count:
            print(f"  {name}: {count}")
    return 0


def cmd_erase(args: argparse.Namespace) -> int:
    return run(_erase(args))


async def _audit(args: argparse.Namespace) -> int:
    async with await connect(args) as client:
        entries = await client.namespace_audit_log(args.limit)
    if args.json:
        print_json(entries)
        return 0
    rows = [(e.audit_id, when(e.at), e.action, e.actor, e.details.get("total")) for e in entries]
    print(table(["id", "at", "action", "actor", "rows"], rows))
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    return run(_audit(args))


def register(sub: Any) -> None:
    p = sub.add_parser("export", help="write the namespace as JSON Lines (streamed)")
    p.add_argument("--output", "-o", default="-", help="file to write (default stdout)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("erase", help="delete everything of the namespace (audited)")
    p.add_argument(
        "--confirm",
        required=True,
        metavar="NAMESPACE",
        help="the namespace's name again, to confirm",
    )
    add_json(p)
    p.set_defaults(func=cmd_erase)

    p = sub.add_parser("audit", help="exports and erases of the namespace, newest first")
    p.add_argument("--limit", type=int, default=20)
    add_json(p)
    p.set_defaults(func=cmd_audit)


__all__ = ["register"]
