"""Roles, ownership, every grant, row-level security and pinned search paths."""

from __future__ import annotations

import re
import uuid

import psycopg
import pytest
from psycopg import sql

from pgcortex.config import sql_dir
from tests.security_seed import (
    APP_ROLE,
    OWNER_ROLE,
    all_tables,
    connect_as,
    login_role,
    namespaced_tables,
    seed_namespace,
)


def _role(db: psycopg.Connection, name: str) -> dict[str, object]:
    row = db.execute(
        "select rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication"
        " from pg_catalog.pg_roles where rolname = %s",
        (name,),
    ).fetchone()
    assert row is not None, f"role {name} missing"
    keys = ("super", "bypassrls", "createrole", "createdb", "login", "replication")
    return dict(zip(keys, row, strict=True))


def test_roles_exist_without_any_power(db: psycopg.Connection) -> None:
    for name in (OWNER_ROLE, APP_ROLE):
        assert set(_role(db, name).values()) == {False}, name
    # The application role cannot become the owner (and so cannot dodge the grants).
    row = db.execute(
        "select pg_catalog.pg_has_role(%s, %s, 'member'), pg_catalog.pg_has_role(%s, %s, 'member')",
        (APP_ROLE, OWNER_ROLE, OWNER_ROLE, APP_ROLE),
    ).fetchone()
    assert row == (False, False)


def test_everything_in_the_schema_is_owned_by_the_owner_role(db: psycopg.Connection) -> None:
    rows = db.execute(
        """
        select 'schema', n.nspname, n.nspowner::regrole::text
        from pg_catalog.pg_namespace as n where n.nspname = 'pgcortex'
        union all
        select 'relation', c.oid::regclass::text, c.relowner::regrole::text
        from pg_catalog.pg_class as c where c.relnamespace = 'pgcortex'::regnamespace
        union all
        select 'function', p.oid::regprocedure::text, p.proowner::regrole::text
        from pg_catalog.pg_proc as p where p.pronamespace = 'pgcortex'::regnamespace
        union all
        select 'type', t.oid::regtype::text, t.typowner::regrole::text
        from pg_catalog.pg_type as t where t.typnamespace = 'pgcortex'::regnamespace
        """
    ).fetchall()
    assert len(rows) > 50
    wrong = [r for r in rows if r[2] != OWNER_ROLE]
    assert wrong == []


def _all_grants(db: psycopg.Connection) -> set[tuple[str, str, str, str]]:
    """(kind, object, grantee, privilege) for every non-owner grant in schema pgcortex.

    Null ACLs are expanded to the built-in defaults (acldefault), so a default
    PUBLIC privilege (EXECUTE on a new function, USAGE on a new type) shows up.
    """
    rows = db.execute(
        """
        with acl as (
            select 'schema' as kind, n.nspname::text as obj, n.nspowner as owner,
                coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner)) as acl
            from pg_catalog.pg_namespace as n where n.nspname = 'pgcortex'
            union all
            select case c.relkind when 'r' then 'table' when 'p' then 'table'
                    when 'v' then 'view' when 'm' then 'view' when 'S' then 'sequence'
                    else 'relation:' || c.relkind::text end,
                c.oid::regclass::text, c.relowner,
                coalesce(c.relacl, pg_catalog.acldefault(
                    (case c.relkind when 'S' then 's' else 'r' end)::"char", c.relowner))
            from pg_catalog.pg_class as c
            where c.relnamespace = 'pgcortex'::regnamespace
                and c.relkind not in ('i', 'I', 'c', 't')
            union all
            select 'column', a.attrelid::regclass::text || '.' || a.attname, c.relowner, a.attacl
            from pg_catalog.pg_attribute as a
            join pg_catalog.pg_class as c on c.oid = a.attrelid
            where c.relnamespace = 'pgcortex'::regnamespace and a.attacl is not null
            union all
            select 'function', p.oid::regprocedure::text, p.proowner,
                coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))
            from pg_catalog.pg_proc as p where p.pronamespace = 'pgcortex'::regnamespace
            union all
            select 'type', t.oid::regtype::text, t.typowner,
                coalesce(t.typacl, pg_catalog.acldefault('T', t.typowner))
            from pg_catalog.pg_type as t
            where t.typnamespace = 'pgcortex'::regnamespace and t.typcategory <> 'A'
                and (t.typrelid = 0 or exists (select from pg_catalog.pg_class as c
                     where c.oid = t.typrelid and c.relkind = 'c'))
        )
        select acl.kind, acl.obj,
            case e.grantee when 0 then 'PUBLIC' else e.grantee::regrole::text end,
            e.privilege_type
        from acl cross join lateral pg_catalog.aclexplode(acl.acl) as e
        where e.grantee <> acl.owner
        """
    ).fetchall()
    return {(r[0], r[1], r[2], r[3]) for r in rows}


def _expected_grants(db: psycopg.Connection) -> set[tuple[str, str, str, str]]:
    expected = {("schema", "pgcortex", APP_ROLE, "USAGE")}
    namespaced = set(namespaced_tables(db))
    for name in all_tables(db):
        if name not in namespaced and name != "namespace_bindings":  # reference data
            expected.add(("table", f"pgcortex.{name}", APP_ROLE, "SELECT"))
    for (view,) in db.execute(
        "select c.oid::regclass::text from pg_catalog.pg_class as c"
        " where c.relnamespace = 'pgcortex'::regnamespace and c.relkind in ('v', 'm')"
    ).fetchall():
        expected.add(("view", view, APP_ROLE, "SELECT"))
    for (fn,) in db.execute(
        "select p.oid::regprocedure::text from pg_catalog.pg_proc as p"
        " where p.pronamespace = 'pgcortex'::regnamespace"
    ).fetchall():
        expected.add(("function", fn, APP_ROLE, "EXECUTE"))
    for (typ,) in db.execute(
        "select t.oid::regtype::text from pg_catalog.pg_type as t"
        " where t.typnamespace = 'pgcortex'::regnamespace and t.typcategory <> 'A'"
        " and (t.typrelid = 0 or exists (select from pg_catalog.pg_class as c"
        "      where c.oid = t.typrelid and c.relkind = 'c'))"
    ).fetchall():
        expected.add(("type", typ, APP_ROLE, "USAGE"))
    return expected


def test_privilege_audit_every_grant_is_expected(db: psycopg.Connection) -> None:
    """Lists every grant in the schema; anything not in the expected set fails."""
    grants = _all_grants(db)
    expected = _expected_grants(db)
    assert grants - expected == set(), "unexpected grants"
    assert expected - grants == set(), "missing grants"
    # No grant to PUBLIC anywhere, and nothing on a namespaced table for anyone.
    assert not [g for g in grants if g[2] == "PUBLIC"]
    namespaced = {f"pgcortex.{t}" for t in namespaced_tables(db)}
    assert not [g for g in grants if g[1] in namespaced]
    # No default privileges that would grant something behind this file's back.
    row = db.execute(
        "select count(*) from pg_catalog.pg_default_acl"
        " where defaclnamespace in (0, 'pgcortex'::regnamespace)"
    ).fetchone()
    assert row == (0,)


def test_privilege_audit_notices_a_stray_grant(db: psycopg.Connection) -> None:
    """The audit is live: one extra grant makes it differ."""
    db.execute(f"grant insert on pgcortex.memories to {APP_ROLE}")
    assert ("table", "pgcortex.memories", APP_ROLE, "INSERT") in _all_grants(db) - (
        _expected_grants(db)
    )


def test_rls_enabled_forced_and_the_only_policy_on_every_namespaced_table(
    db: psycopg.Connection,
) -> None:
    """Forced on every namespaced table except memories, where it is enabled only.

    Forced RLS on memories kept the planner from using its tag, full-text and metadata
    indexes inside the API functions (docs/performance.md); those functions filter the
    namespace themselves and current_namespace() refuses a bound role.
    """
    rows = db.execute(
        """
        select c.relname, c.relrowsecurity, c.relforcerowsecurity,
            (select array_agg(p.polname::text || ':' || p.polcmd::text
                    || ':' || pg_catalog.pg_get_expr(p.polqual, p.polrelid)
                    || ':' || pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)
                    || ':' || p.polpermissive::text || ':' || p.polroles::text)
             from pg_catalog.pg_policy as p where p.polrelid = c.oid)
        from pg_catalog.pg_class as c
        where c.relnamespace = 'pgcortex'::regnamespace and c.relkind in ('r', 'p')
        """
    ).fetchall()
    namespaced = set(namespaced_tables(db))
    assert len(namespaced) >= 10
    expr = (
        "(((namespace)::text = current_setting('pgcortex.namespace'::text, true))"
        " AND ( SELECT pgcortex.namespace_permitted() AS namespace_permitted))"
    )
    for name, enabled, forced, policies in rows:
        if name in namespaced:
            assert (enabled, forced) == (True, name != "memories"), name
            assert policies == [f"namespace_isolation:*:{expr}:{expr}:true:{{0}}"], name
        else:
            assert policies is None, name


def test_every_view_shows_the_app_role_only_its_namespace(db: psycopg.Connection) -> None:
    """The views run with their owner's rights; row-level security (forced on the
    tables they read, or their own namespace filter) must still hide namespace b."""
    seed_namespace(db, "a", "alpha")
    b = seed_namespace(db, "b", "bravo")
    b_ids = {str(v) for v in b.values() if isinstance(v, uuid.UUID)}
    assert b_ids
    views = [
        r[0]
        for r in db.execute(
            "select c.oid::regclass::text from pg_catalog.pg_class as c"
            " where c.relnamespace = 'pgcortex'::regnamespace and c.relkind in ('v', 'm')"
        ).fetchall()
    ]
    assert {"pgcortex.memory_summary_v", "pgcortex.memory_access_totals"} <= set(views)
    with login_role(db) as (_, dsn), connect_as(dsn, "a") as app:
        for view in views:
            rows = app.execute(sql.SQL("select * from {}").format(sql.SQL(view))).fetchall()
            text = repr(rows)
            assert not any(i in text for i in b_ids), view
            assert "bravo" not in text, view
        own = app.execute("select memories from pgcortex.memory_summary_v").fetchall()
        assert len(own) == 1  # a's own row is there
        assert own[0][0] > 0
        totals = app.execute("select count(*) from pgcortex.memory_access_totals").fetchone()
        assert totals is not None
        assert totals[0] > 0  # a's own counts are there


def test_app_role_cannot_touch_namespaced_tables_directly(db: psycopg.Connection) -> None:
    seed_namespace(db, "a", "alpha")
    with login_role(db) as (_, dsn), connect_as(dsn, "a") as app:
        for table in namespaced_tables(db):
            ident = sql.Identifier("pgcortex", table)
            for stmt in (
                sql.SQL("select * from {}").format(ident),
                sql.SQL("delete from {}").format(ident),
                sql.SQL("update {} set namespace = namespace").format(ident),
                sql.SQL("insert into {} (namespace) values ('a')").format(ident),
                sql.SQL("truncate {}").format(ident),
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    app.execute(stmt)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("select * from pgcortex.namespace_bindings")
        for table in set(all_tables(db)) - set(namespaced_tables(db)) - {"namespace_bindings"}:
            ident = sql.Identifier("pgcortex", table)
            app.execute(sql.SQL("select * from {} limit 1").format(ident))
            for stmt in (
                sql.SQL("delete from {}").format(ident),
                sql.SQL("truncate {}").format(ident),
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    app.execute(stmt)
        # Nor create anything in the schema, nor become the owner.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("create table pgcortex.mine (x int)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute(f"set role {OWNER_ROLE}")


def _owner_session(db: psycopg.Connection, namespace: str | None) -> None:
    db.execute(f"set role {OWNER_ROLE}")
    if namespace is None:
        db.execute("reset pgcortex.namespace")
    else:
        db.execute("select pg_catalog.set_config('pgcortex.namespace', %s, false)", (namespace,))


def test_forced_rls_binds_the_owner(db: psycopg.Connection) -> None:
    """The owner (whom every API function runs as) sees and changes only its namespace.

    On every namespaced table but memories, whose RLS is enabled and not forced.
    """
    seed_namespace(db, "a", "alpha")
    b = seed_namespace(db, "b", "beta")
    tables = [t for t in namespaced_tables(db) if t != "memories"]
    _owner_session(db, "a")
    for table in tables:
        ident = sql.Identifier("pgcortex", table)
        row = db.execute(
            sql.SQL("select count(*), count(*) filter (where namespace <> 'a') from {}").format(
                ident
            )
        ).fetchone()
        assert row is not None
        assert row[1] == 0, table
        for stmt in (
            sql.SQL("update {} set namespace = namespace where namespace = 'b'"),
            sql.SQL("delete from {} where namespace = 'b'"),
        ):
            assert db.execute(stmt.format(ident)).rowcount == 0, table
    # Writing a row into b, or moving a row from a to b, is refused.
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        db.execute("insert into pgcortex.conversation_sessions (namespace) values ('b')")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        db.execute("update pgcortex.user_preferences set namespace = 'b'")
    # A link from a to b's memory fails exactly as a link to a memory that does not exist.
    a_id = db.execute("select id from pgcortex.memories limit 1").fetchone()
    assert a_id is not None
    errors = []
    for target in (b["m_private"], "00000000-0000-7000-8000-000000000000"):
        with pytest.raises(psycopg.errors.ForeignKeyViolation) as info:
            db.execute(
                "insert into pgcortex.memory_links (namespace, source_id, target_id)"
                " values ('a', %s, %s)",
                (a_id[0], target),
            )
        errors.append(str(info.value.diag.message_primary))
    assert errors[0] == errors[1]
    # Fail-closed: with no namespace set, nothing is visible or writable.
    _owner_session(db, None)
    for table in tables:
        ident = sql.Identifier("pgcortex", table)
        assert db.execute(sql.SQL("select count(*) from {}").format(ident)).fetchone() == (0,)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("insert into pgcortex.conversation_sessions (namespace) values ('a')")
    # The exception: memories is not forced, so the owner itself sees every namespace
    # there; the API functions filter on current_namespace() explicitly.
    _owner_session(db, "a")
    seen = db.execute("select count(distinct namespace) from pgcortex.memories").fetchone()
    assert seen == (2,)
    db.execute("reset role")


def test_every_function_pins_an_empty_search_path(db: psycopg.Connection) -> None:
    rows = db.execute(
        "select p.oid::regprocedure::text, p.proconfig, p.prolang::regproc"
        " from pg_catalog.pg_proc as p"
        " join pg_catalog.pg_language as l on l.oid = p.prolang"
        " where p.pronamespace = 'pgcortex'::regnamespace"
    ).fetchall()
    assert rows
    # Empty, or pg_catalog then pg_temp explicitly last.
    pinned = ('search_path=""', "search_path=pg_catalog, pg_temp")
    unpinned = [name for name, config, _ in rows if not set(pinned) & set(config or [])]
    assert unpinned == []


def _function_headers() -> list[tuple[str, str]]:
    """(file, header) of every create function in the SQL files: text up to the body."""
    out = []
    pattern = re.compile(
        r"create\s+(?:or\s+replace\s+)?function\s+(.*?)(?:\bas\s+\$|\bbegin\s+atomic\b|\breturn\b\s)",
        re.S | re.I,
    )
    for path in sorted(sql_dir().rglob("*.sql")):
        text = re.sub(r"--[^\n]*", "", path.read_text())
        out += [(path.name, m.group(1)) for m in pattern.finditer(text)]
    return out


def test_every_function_declares_its_volatility_in_the_source() -> None:
    headers = _function_headers()
    assert len(headers) >= 5
    missing = [
        (f, h.split("(")[0].strip())
        for f, h in headers
        if not re.search(r"\b(immutable|stable|volatile)\b", h, re.I)
    ]
    assert missing == []


def test_security_definer_functions_are_owned_by_the_bound_owner(db: psycopg.Connection) -> None:
    rows = db.execute(
        "select p.oid::regprocedure::text, p.proowner::regrole::text"
        " from pg_catalog.pg_proc as p"
        " where p.pronamespace = 'pgcortex'::regnamespace and p.prosecdef"
    ).fetchall()
    assert rows
    assert {owner for _, owner in rows} == {OWNER_ROLE}
    # ... and that owner cannot bypass row-level security.
    assert _role(db, OWNER_ROLE)["bypassrls"] is False


def test_a_bound_login_role_cannot_switch_to_another_namespace(db: psycopg.Connection) -> None:
    """With bindings, setting pgcortex.namespace to another tenant's name gains nothing."""
    seed_namespace(db, "a", "alpha")
    b = seed_namespace(db, "b", "beta")
    with login_role(db) as (name, dsn):
        db.execute("insert into pgcortex.namespace_bindings values (%s, 'a')", (name,))
        with connect_as(dsn, "a") as app:
            own = app.execute("select count(*) from pgcortex.list_memories()").fetchone()
            assert own is not None
            assert own[0] > 0
            lines = app.execute("select * from pgcortex.export_namespace()").fetchall()
            assert len(lines) > 2
            # Switch to b: refused everywhere, b untouched.
            before = db.execute(
                "select count(*) from pgcortex.memories where namespace = 'b'"
            ).fetchone()
            app.execute("set pgcortex.namespace = 'b'")
            # Every API function refuses it (current_namespace() checks the bindings),
            # reads and writes alike, memories included (their RLS is not forced).
            for query in (
                "select * from pgcortex.list_memories()",
                "select * from pgcortex.search_memories(query_text => 'launch code beta')",
                "select * from pgcortex.get_memory("
                f"memory_id => '{b['m_private']}'::uuid, track => false)",
                "select * from pgcortex.get_user_preferences()",
                "select * from pgcortex.store_memory(content => 'planted in b',"
                " memory_type => 'business_fact')",
                "select * from pgcortex.erase_namespace(confirm => 'b')",
            ):
                with pytest.raises(psycopg.Error) as info:
                    app.execute(query)
                assert info.value.sqlstate == "PC051", query
            # By direct SQL (given select on memories) it sees no memory of b: the
            # policy, enabled on memories, binds every role but the owner.
            db.execute(f"grant select on pgcortex.memories to {name}")
            assert app.execute("select count(*) from pgcortex.memories").fetchone() == (0,)
            app.execute("set pgcortex.namespace = 'a'")
            seen = app.execute(
                "select count(*), count(*) filter (where namespace <> 'a') from pgcortex.memories"
            ).fetchone()
            assert seen is not None
            assert seen[0] > 0
            assert seen[1] == 0
            db.execute(f"revoke select on pgcortex.memories from {name}")
            app.execute("set pgcortex.namespace = 'b'")
            after = db.execute(
                "select count(*) from pgcortex.memories where namespace = 'b'"
            ).fetchone()
            assert after == before
            # Nor can it bind itself to b.
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(f"insert into pgcortex.namespace_bindings values ('{name}', 'b')")
        # An unbound role is not restricted (a trusted service serving many tenants).
        db.execute("delete from pgcortex.namespace_bindings where role_name = %s", (name,))
        with connect_as(dsn, "b") as app:
            rows = app.execute("select count(*) from pgcortex.list_memories()").fetchone()
            assert rows is not None
            assert rows[0] > 0
