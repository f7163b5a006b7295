"""The ``pgcortex`` command line: one module per area registers its subcommands."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ..errors import PgcortexError

#: Modules that add subcommands (each has ``register(subparsers)``).
AREAS = (
    "pgcortex.cli.admin",
    "pgcortex.cli.security",
    "pgcortex.cli.memories",
    "pgcortex.cli.knowledge",
    "pgcortex.cli.mcp_command",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pgcortex", description="Long-term memory for AI agents, in PostgreSQL."
    )
    parser.add_argument(
        "--dsn", help="PostgreSQL to use (default: PGCORTEX_DSN, DATABASE_URL, else embedded)"
    )
    parser.add_argument(
        "--namespace", "-n", help="namespace to work in (default: PGCORTEX_NAMESPACE or 'default')"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in AREAS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    passed: list[str] = []
    if "psql" in words:  # everything after `psql` goes to psql untouched
        at = words.index("psql")
        words, passed = words[: at + 1], words[at + 1 :]
    args = parser.parse_args(words)
    if args.command == "psql":
        args.psql_args = passed
    try:
        code: int = args.func(args)
    except PgcortexError as exc:
        print(f"pgcortex: error [{exc.code or '-'}]: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
