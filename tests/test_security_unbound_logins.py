"""Fail-closed namespace bindings: an app login without a binding refuses every
namespace in a new deployment; a binding, '*', a superuser or an owner member work;
an upgraded deployment keeps allowing unbound logins until its owner opts in."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pgcortex import migrate
from pgcortex.config import sql_dir
from tests import test_security_isolation as iso
from tests.security_seed import OWNER_ROLE, connect_as, login_role

world = iso.world

#: Matrix functions that read or write no namespace's data, so they answer an
#: unbound login too (the helpers of pgcortex_internal are no API: not in the matrix).
NO_NAMESPACE_DATA = {
    # the deployment's registry of embedding models: read by anyone, changed by
    # bound logins only
    "embedding_model_index_sql",
    "embedding_model_row",
    "list_embedding_models",
    "list_memory_types",
    "schema_version",
    "session_item_turns",
}


def _mode(db: psycopg.Connection) -> str:
    row = db.execute("select unbound_logins from pgcortex.security_settings").fetchone()
    assert row is not None
    return str(row[0])


def test_a_new_deployment_refuses_an_unbound_app_login_everywhere(
    db: psycopg.Connection, world: dict[str, Any]
) -> None:
    assert _mode(db) == "refuse"
    with login_role(db, bind=None) as (_, dsn), connect_as(dsn, "a") as app:
        results = iso._run_calls(app, world)
    assert len(results) > 80
    answered = {
        name: result
        for (name, _), result in results.items()
        if not (result[0] == "error" and result[1] == "PC051")
    }
    assert set(answered) <= NO_NAMESPACE_DATA, answered
    # The namespace itself is refused (pgcortex_internal.namespace_permitted says no).
    assert results[("current_namespace", 0)][:2] == ("error", "PC051")


def test_bound_star_superuser_and_owner_members_are_served(
    db: psycopg.Connection, world: dict[str, Any]
) -> None:
    assert _mode(db) == "refuse"
    count = "select count(*) from pgcortex.list_memories()"
    with login_role(db, bind="a") as (_, dsn):
        with connect_as(dsn, "a") as app:
            row = app.execute(count).fetchone()
            assert row is not None
            assert row[0] > 0
        with connect_as(dsn, "b") as app, pytest.raises(psycopg.Error) as info:
            app.execute(count)
        assert info.value.sqlstate == "PC051"
    with login_role(db, bind="*") as (_, dsn):
        for ns in ("a", "b", "a-brand-new-tenant"):
            with connect_as(dsn, ns) as app:
                assert app.execute(count).fetchone() is not None
    with login_role(db, member_of=OWNER_ROLE, bind=None) as (_, dsn), connect_as(dsn, "b") as app:
        row = app.execute(count).fetchone()
        assert row is not None
        assert row[0] > 0
    # The embedded single-user default connects as the superuser, unbound.
    db.execute("set pgcortex.namespace = 'a'")
    row = db.execute(count).fetchone()
    assert row is not None
    assert row[0] > 0


def test_allow_mode_serves_unbound_logins_and_only_the_owner_can_switch(
    db: psycopg.Connection, world: dict[str, Any]
) -> None:
    with login_role(db, bind=None) as (_, dsn), connect_as(dsn, "a") as app:
        for stmt in (
            "update pgcortex.security_settings set unbound_logins = 'allow'",
            "delete from pgcortex.security_settings",
            "insert into pgcortex.namespace_bindings values (current_user, '*')",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(stmt)
        db.execute("update pgcortex.security_settings set unbound_logins = 'allow'")
        row = app.execute("select count(*) from pgcortex.list_memories()").fetchone()
        assert row is not None
        assert row[0] > 0
        db.execute("update pgcortex.security_settings set unbound_logins = 'refuse'")
        with pytest.raises(psycopg.Error) as info:
            app.execute("select count(*) from pgcortex.list_memories()")
        assert info.value.sqlstate == "PC051"
        assert "unbound logins are refused" in (info.value.diag.message_hint or "")
    with pytest.raises(psycopg.errors.CheckViolation):
        db.execute("update pgcortex.security_settings set unbound_logins = 'maybe'")


def test_upgrades_keep_allowing_unbound_logins_fresh_deploys_refuse(
    empty_dsn: str, tmp_path: Path
) -> None:
    """The setting's first value tells a fresh deployment from an upgrade."""
    older = tmp_path / "sql"
    shutil.copytree(sql_dir(), older)
    for f in (older / "incremental").glob("*.sql"):
        if f.name >= "0012":
            f.unlink()
    migrate.deploy(empty_dsn, directory=older)
    migrate.deploy(empty_dsn)
    with psycopg.connect(empty_dsn) as conn:
        row = conn.execute("select unbound_logins from pgcortex.security_settings").fetchone()
        assert row == ("allow",)
        conn.execute("drop schema pgcortex cascade")
        conn.commit()
    migrate.deploy(empty_dsn)
    with psycopg.connect(empty_dsn) as conn:
        row = conn.execute("select unbound_logins from pgcortex.security_settings").fetchone()
        assert row == ("refuse",)
