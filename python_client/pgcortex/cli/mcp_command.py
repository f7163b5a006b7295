"""``pgcortex mcp``: the Model Context Protocol server over stdio (extra 'mcp')."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def cmd_mcp(args: argparse.Namespace) -> int:
    try:
        from ..integrations import mcp
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith(("mcp", "pydantic")):
            raise
        print(
            "pgcortex: the MCP server needs the extra 'mcp': pip install 'pgcortex[mcp]'",
            file=sys.stderr,
        )
        return 2
    return mcp.main(
        args.dsn,
        namespace=args.namespace,
        text_only=args.text_only,
    )


def register(sub: Any) -> None:
    p = sub.add_parser(
        "mcp",
        help="serve the memory to MCP clients over stdio (extra 'mcp')",
        description="A Model Context Protocol server over stdin/stdout: remember, recall, "
        "forget, update_memory, get_context, set_preference, get_preferences, "
        "list_recent_memories, memory_summary. Logs go to stderr.",
    )
    # Also accepted after the command, as MCP client configurations list them.
    # -n/--namespace and --dsn are the global options, accepted after the command too.
    p.add_argument(
        "--text-only",
        action="store_true",
        help="no embedder: search by text only (default: MiniLM when installed)",
    )
    p.set_defaults(func=cmd_mcp)


__all__ = ["register"]
