"""The ``pgcortex`` command line: one module per area registers its subcommands.

Global options (``--dsn``, ``-n/--namespace``) are taken before or after the
subcommand. A mistake prints one line with the error's code and a hint for the
command line, never a traceback; so does a file that cannot be read or written. A
closed pipe (``pgcortex export | head``) ends the command quietly.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
from collections.abc import Sequence
from importlib.metadata import version

from ..errors import PgcortexError
from .common import CliError
from .hints import cli_hint, cli_message

#: Modules that add subcommands (each has ``register(subparsers)``).
AREAS = (
    "pgcortex.cli.admin",
    "pgcortex.cli.security",
    "pgcortex.cli.memories",
    "pgcortex.cli.knowledge",
    "pgcortex.cli.importing",
    "pgcortex.cli.models",
    "pgcortex.cli.mcp_command",
)

#: Exit codes: a refused call or a mistake on the command line; interrupted.
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


def _global_options(parser: argparse.ArgumentParser, *, default: object) -> None:
    parser.add_argument(
        "--dsn",
        default=default,
        help="PostgreSQL to use (default: PGCORTEX_DSN, DATABASE_URL, else the embedded server)",
    )
    parser.add_argument(
        "--namespace",
        "-n",
        default=default,
        help="namespace to work in (default: PGCORTEX_NAMESPACE or 'default')",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pgcortex", description="Long-term memory for AI agents, in PostgreSQL."
    )
    # Options of the program itself (such as --version) go here, before the
    # subcommands.
    parser.add_argument("--version", action="version", version=f"pgcortex {version('pgcortex')}")
    _global_options(parser, default=None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in AREAS:
        importlib.import_module(name).register(sub)
    # The global options again on every subcommand, so they may follow it; a value
    # given there wins, one given before the subcommand is kept otherwise.
    for command in sub.choices.values():
        _global_options(command, default=argparse.SUPPRESS)
    return parser


def _error(message: str, code: str | None, hint: str | None) -> None:
    tag = f" [{code}]" if code else ""
    line = f"pgcortex: error{tag}: {' '.join(message.split())}"
    if hint:
        line += f" (hint: {' '.join(hint.split())})"
    print(line, file=sys.stderr)


def _quiet_closed_pipe() -> None:
    """Whatever is still buffered for a reader that went away goes nowhere."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    if not words:
        parser.print_help()
        return 0
    passed: list[str] = []
    if "psql" in words:  # everything after `psql` goes to psql untouched
        at = words.index("psql")
        words, passed = words[: at + 1], words[at + 1 :]
    args = parser.parse_args(words)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "psql":
        args.psql_args = passed
    try:
        code: int = args.func(args)
        sys.stdout.flush()
    except PgcortexError as exc:
        _error(cli_message(exc), exc.code, asyncio.run(cli_hint(exc, args)))
        return EXIT_ERROR
    except CliError as exc:
        _error(exc.message, None, exc.hint)
        return EXIT_ERROR
    except BrokenPipeError:
        _quiet_closed_pipe()
        return 0
    except OSError as exc:
        if exc.filename is None:
            raise
        # A file named on the command line that cannot be read or written.
        _error(f"{exc.strerror or exc}: {exc.filename}", None, "check the path and its permissions")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
