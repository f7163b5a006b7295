"""Where pgcortex finds its database, its SQL files and its embedded server's data."""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable naming the PostgreSQL to use instead of the embedded server.
DSN_ENV = "PGCORTEX_DSN"
#: Also honoured (after PGCORTEX_DSN), as many deploy tools set it.
DATABASE_URL_ENV = "DATABASE_URL"
#: Directory of the embedded server (its PGDATA lives below it).
DATA_DIR_ENV = "PGCORTEX_DATA_DIR"
#: Directory of the SQL files, when not the checkout's ``sql/``.
SQL_DIR_ENV = "PGCORTEX_SQL_DIR"
#: Namespace used when none is given.
NAMESPACE_ENV = "PGCORTEX_NAMESPACE"

DEFAULT_NAMESPACE = "default"
#: The database the embedded server creates and the client uses.
EMBEDDED_DBNAME = "pgcortex"


def configured_dsn(dsn: str | None = None) -> str | None:
    """The DSN given, else PGCORTEX_DSN, else DATABASE_URL, else None (the embedded server)."""
    if dsn:
        return dsn
    return os.environ.get(DSN_ENV) or os.environ.get(DATABASE_URL_ENV) or None


def default_namespace() -> str:
    return os.environ.get(NAMESPACE_ENV) or DEFAULT_NAMESPACE


def data_dir() -> Path:
    """The embedded server's directory: PGCORTEX_DATA_DIR, else ``.pgcortex`` in the cwd."""
    value = os.environ.get(DATA_DIR_ENV)
    return Path(value).expanduser().resolve() if value else Path.cwd().resolve() / ".pgcortex"


def sql_dir() -> Path:
    """The directory holding ``bootstrap.sql``, ``incremental/`` and ``idempotent/``."""
    value = os.environ.get(SQL_DIR_ENV)
    if value:
        return Path(value).expanduser().resolve()
    here = Path(__file__).resolve()
    for candidate in (here.parent / "sql", here.parents[2] / "sql"):
        if (candidate / "bootstrap.sql").is_file():
            return candidate
    raise FileNotFoundError(
        f"pgcortex SQL files not found; set {SQL_DIR_ENV} to the directory holding bootstrap.sql"
    )
