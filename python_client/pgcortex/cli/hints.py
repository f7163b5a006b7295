"""Hints for the command line: what to type next, not which SQL argument to pass."""

from __future__ import annotations

import argparse

from .. import errors as e
from ..config import default_namespace


async def _memory_types(args: argparse.Namespace) -> str | None:
    """The valid memory types, read from the database (None when it cannot be read)."""
    from ..client import connect

    try:
        async with await connect(
            args.dsn, namespace=args.namespace or default_namespace()
        ) as client:
            names = await client.list_memory_types()
    except e.PgcortexError:
        return None
    return ", ".join(names)


def cli_message(exc: e.PgcortexError) -> str:
    """The error's message, reworded where it speaks of SQL arguments."""
    if isinstance(exc, e.ConfirmationRequiredError):
        return "erasing a namespace needs its name as confirmation"
    return exc.message


async def cli_hint(exc: e.PgcortexError, args: argparse.Namespace) -> str | None:
    """A hint for ``exc`` written for someone at the command line."""
    namespace = getattr(args, "namespace", None) or default_namespace()
    if isinstance(exc, e.UnknownMemoryTypeError):
        valid = await _memory_types(args)
        return f"valid memory types: {valid}" if valid else "see pgcortex.memory_types"
    if isinstance(exc, e.ConfirmationRequiredError):
        return f"repeat the namespace's name: pgcortex -n {namespace} erase --confirm {namespace}"
    if isinstance(exc, e.NotFoundError):
        return "list the memories with: pgcortex show"
    if isinstance(exc, e.InvalidIdError):
        return "give a full id or its first characters (pgcortex show lists the ids)"
    if isinstance(exc, e.SchemaVersionError):
        return exc.hint or "deploy the schema: pgcortex deploy"
    if isinstance(exc, e.ConnectionLostError):
        return "is the server running? pgcortex server start, or pass --dsn"
    if isinstance(exc, e.NamespaceNotPermittedError):
        return "this login may not use that namespace; pass another with -n"
    if isinstance(exc, e.MigrationDriftError):
        return "pgcortex status shows which file changed"
    if exc.hint and "=>" not in exc.hint:
        return exc.hint
    return None


__all__ = ["cli_hint", "cli_message"]
