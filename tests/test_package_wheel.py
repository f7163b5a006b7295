"""The package as a user gets it: build the wheel, install it, use it away from the checkout.

The wheel is built from a copy of the files the build reads, installed (not
editable) with the extra 'server' into a fresh virtual environment in a temporary
directory, and used from another temporary directory: a fresh embedded server,
``pgcortex deploy``, a store and a search through :func:`pgcortex.connect`, then the
server is stopped. The wheel's contents and metadata are checked against the
checkout: every SQL file, every module, ``py.typed``, the license, absolute links.
"""

from __future__ import annotations

import email
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from email.message import Message
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: What the build reads: everything else in the checkout stays out of it.
BUILD_INPUTS = ("pyproject.toml", "README.md", "LICENSE", "python_client", "sql")
#: Environment variables that would point the installed package back at the checkout
#: or at another database.
CLEARED_ENV = ("PGCORTEX_DSN", "DATABASE_URL", "PGCORTEX_SQL_DIR", "PYTHONPATH", "VIRTUAL_ENV")

pytestmark = pytest.mark.slow

#: Run inside the installed package: store and search through connect() (embedded
#: server, deployed if pending), and the embedder's error without the extra 'embed'.
USE_SCRIPT = """
import asyncio, json
import pgcortex
from pgcortex.config import sql_dir
from pgcortex.embedding import MiniLMEmbedder

async def main() -> dict:
    out = {"package": pgcortex.__file__, "sql_dir": str(sql_dir())}
    async with await pgcortex.connect(namespace="wheel") as memory:
        stored = await memory.store_memory(
            "The installed wheel carries its own SQL files.", "technical_knowledge"
        )
        hits = await memory.search_memories("wheel SQL files", k=3)
        out["stored"] = str(stored.id)
        out["found"] = [str(h.id) for h in hits]
    try:
        MiniLMEmbedder()
    except pgcortex.PgcortexError as exc:
        out["embedder_error"] = type(exc).__name__
        out["embedder_hint"] = exc.hint
    return out

print(json.dumps(asyncio.run(main())))
"""


def _run(cmd: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, f"{cmd} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for name in BUILD_INPUTS:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    dist = tmp_path_factory.mktemp("dist")
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
        cwd=source,
    )
    (built,) = dist.glob("pgcortex-*.whl")
    return built


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    """A directory outside pytest's own temporary root.

    The embedded server runs as another user when run as root, so the venv's server
    binaries and the data directory must be reachable by it; pytest resets its root
    (``/tmp/pytest-of-<user>``) to mode 700 whenever a pytest session starts, which
    would close that path under a running test.
    """
    path = Path(tempfile.mkdtemp(prefix="pgcortex-wheel-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def installed(wheel: Path, scratch: Path) -> Path:
    """A fresh virtual environment with the wheel and its extra 'server' (not editable)."""
    venv = scratch / "venv"
    venv.mkdir()
    _run([sys.executable, "-m", "venv", str(venv)], cwd=venv)
    _run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", f"{wheel}[server]"],
        cwd=venv,
    )
    return venv


@pytest.fixture
def user_env(scratch: Path) -> tuple[Path, dict[str, str]]:
    """A working directory outside the checkout, and an environment that knows nothing of it."""
    workdir = Path(tempfile.mkdtemp(prefix="elsewhere-", dir=scratch))
    env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
    env["PGCORTEX_DATA_DIR"] = str(workdir / "server")
    return workdir, env


def _names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def _metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        return email.message_from_bytes(zf.read(name))


def test_wheel_holds_every_sql_file_and_module(wheel: Path) -> None:
    names = _names(wheel)
    sql_files = {
        "pgcortex/sql/" + p.relative_to(ROOT / "sql").as_posix()
        for p in (ROOT / "sql").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert any(n.endswith(".sql") for n in sql_files)
    assert sql_files == {n for n in names if n.startswith("pgcortex/sql/")}
    modules = {
        p.relative_to(ROOT / "python_client").as_posix()
        for p in (ROOT / "python_client" / "pgcortex").rglob("*.py")
    }
    assert modules <= names, f"modules missing from the wheel: {sorted(modules - names)}"
    assert "pgcortex/py.typed" in names
    assert any(re.fullmatch(r"pgcortex-[^/]+\.dist-info/licenses/LICENSE", n) for n in names)


def test_wheel_metadata_is_what_an_index_shows(wheel: Path) -> None:
    meta = _metadata(wheel)
    assert meta["Name"] == "pgcortex"
    assert meta["Version"] == version("pgcortex")
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta["Summary"]
    assert meta["Description-Content-Type"] == "text/markdown"
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    assert {"Homepage", "Documentation", "Repository", "Issues"} <= set(urls)
    assert all(u.startswith("https://") for u in urls.values())
    assert any(
        c.startswith("Programming Language :: Python :: 3")
        for c in meta.get_all("Classifier") or []
    )
    # The description is README.md; its links must work on an index page too.
    description = meta.get_payload()
    assert isinstance(description, str)
    assert "## Installing the package" in description
    targets = re.findall(r"\]\(([^)\s]+)\)", description)
    assert targets
    relative = [t for t in targets if not t.startswith(("https://", "http://", "#"))]
    assert relative == []


def test_installed_wheel_deploys_stores_and_searches_outside_the_checkout(
    installed: Path, user_env: tuple[Path, dict[str, str]]
) -> None:
    workdir, env = user_env
    pgcortex = str(installed / "bin" / "pgcortex")
    assert _run([pgcortex, "--version"], cwd=workdir, env=env).strip() == (
        f"pgcortex {version('pgcortex')}"
    )
    try:
        started = _run([pgcortex, "server", "start"], cwd=workdir, env=env)
        assert "embedded server running" in started
        deployed = _run([pgcortex, "deploy"], cwd=workdir, env=env)
        assert "applied run-once: 0001_schema_v1.sql" in deployed
        assert "nothing to apply" in _run([pgcortex, "deploy"], cwd=workdir, env=env)
        out = json.loads(
            _run([str(installed / "bin" / "python"), "-c", USE_SCRIPT], cwd=workdir, env=env)
        )
    finally:
        _run([pgcortex, "server", "stop"], cwd=workdir, env=env)
    # The package and its SQL files come from the environment, not the checkout.
    site = str(installed.resolve())
    assert out["package"].startswith(site)
    assert out["sql_dir"].startswith(site)
    assert out["sql_dir"].endswith("/pgcortex/sql")
    assert out["found"][0] == out["stored"]
    # Without the extra 'embed' (no numpy, no torch): the project's own error.
    assert out["embedder_error"] == "EmbedderUnavailableError"
    assert "pgcortex[embed]" in out["embedder_hint"]
