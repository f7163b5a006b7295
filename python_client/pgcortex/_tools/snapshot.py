"""Normalised schema dumps: the committed snapshot (docs/schema.sql) and schema comparisons.

``python -m pgcortex._tools.snapshot --write docs/schema.sql`` deploys the schema into a
scratch database on the configured server (embedded by default), dumps it with
``pg_dump --schema-only`` and writes the normalised text.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import conninfo, sql

from ..migrate import deploy
from ..server import ServerError, bin_path


def _pg_dump() -> str:
    try:
        path = bin_path("pg_dump")
        if path.exists():
            return str(path)
    except ServerError:  # the server extra is not installed: use PATH's pg_dump
        pass
    found = shutil.which("pg_dump")
    if found is None:
        raise FileNotFoundError("pg_dump not found")
    return found


_DROP_LINE = re.compile(r"^(--|SET |SELECT pg_catalog\.set_config|\\restrict|\\unrestrict)")


def normalise(dump: str) -> str:
    """Drop comments, session settings and pg_dump's random restrict keys; fold blank lines."""
    lines = [line.rstrip() for line in dump.splitlines() if not _DROP_LINE.match(line)]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text + "\n"


def dump_schema(dsn: str) -> str:
    """Normalised ``pg_dump --schema-only`` of the schemas pgcortex and pgcortex_internal."""
    proc = subprocess.run(
        [
            _pg_dump(),
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "-n",
            "pgcortex",
            "-n",
            "pgcortex_internal",
            dsn,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"pg_dump failed: {proc.stderr.strip()}")
    return normalise(proc.stdout)


@contextmanager
def scratch_database(dsn: str) -> Iterator[str]:
    """Create an empty database on the server of ``dsn``; yield its DSN; drop it."""
    name = f"pgcortex_scratch_{uuid.uuid4().hex[:10]}"
    params = conninfo.conninfo_to_dict(dsn)
    admin = conninfo.make_conninfo("", **{**params, "dbname": "postgres"})
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        yield conninfo.make_conninfo("", **{**params, "dbname": name})
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


def fresh_snapshot(dsn: str, directory: Path | None = None) -> str:
    """The normalised schema of a fresh deploy (into a scratch database)."""
    with scratch_database(dsn) as scratch:
        deploy(scratch, directory=directory)
        return dump_schema(scratch)


def main(argv: list[str] | None = None) -> int:
    from ..server import ensure_dsn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dsn", help="server to use (default: configured or embedded)")
    parser.add_argument("--write", metavar="FILE", help="write the snapshot to FILE")
    args = parser.parse_args(argv)
    text = fresh_snapshot(ensure_dsn(args.dsn))
    if args.write:
        Path(args.write).write_text(text)
        print(f"wrote {args.write}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
