"""Where pgcortex finds its database, its SQL files and its embedded server's data."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from .errors import SqlFilesNotFoundError

#: Environment variable naming the PostgreSQL to use instead of the embedded server.
DSN_ENV = "PGCORTEX_DSN"
#: Also honoured (after PGCORTEX_DSN), as many deploy tools set it.
DATABASE_URL_ENV = "DATABASE_URL"
#: Directory of the embedded server (its PGDATA lives below it).
DATA_DIR_ENV = "PGCORTEX_DATA_DIR"
#: Directory of the SQL files, instead of the ones shipped in the package.
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


#: The package that holds the SQL files (the repository's ``sql/``, mapped by the build).
SQL_PACKAGE = "pgcortex.sql"


def sql_dir() -> Path:
    """The directory holding ``bootstrap.sql``, ``incremental/`` and ``idempotent/``.

    The one place that decides where the SQL comes from: ``PGCORTEX_SQL_DIR`` when
    set, else the files shipped in the package (:data:`SQL_PACKAGE`, read with
    :mod:`importlib.resources`: the wheel's copy, or the checkout's ``sql/`` in an
    editable install).
    """
    value = os.environ.get(SQL_DIR_ENV)
    if value:
        root = Path(value).expanduser().resolve()
        where = f"{SQL_DIR_ENV}={value}"
    else:
        try:
            bootstrap = resources.files(SQL_PACKAGE).joinpath("bootstrap.sql")
        except ModuleNotFoundError as exc:
            raise SqlFilesNotFoundError(
                f"the package {SQL_PACKAGE} (pgcortex's SQL files) is not installed",
                hint="reinstall pgcortex, or set PGCORTEX_SQL_DIR to a directory of SQL files",
            ) from exc
        if not isinstance(bootstrap, Path):
            raise SqlFilesNotFoundError(
                f"pgcortex's SQL files are not on the file system ({bootstrap})",
                hint="install pgcortex unzipped (pip does), or set PGCORTEX_SQL_DIR",
            )
        root = bootstrap.parent
        where = f"the package {SQL_PACKAGE}"
    if not (root / "bootstrap.sql").is_file():
        raise SqlFilesNotFoundError(
            f"pgcortex SQL files not found in {root} ({where})",
            hint=f"{SQL_DIR_ENV} must name a directory holding bootstrap.sql, "
            "incremental/ and idempotent/",
        )
    return root
