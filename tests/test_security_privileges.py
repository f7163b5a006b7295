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
        from pg_catalog.pg_namespace as n where n.nspname in ('pgcortex', 'pgcortex_internal')
        union all
        select 'relation', c.oid::regclass::text, c.relowner::regrole::text
        from pg_catalog.pg_class as c where c.relnamespace = 'pgcortex'::regnamespace
        union all
        select 'function', p.oid::regprocedure::text, p.proowner::regrole::text
        from pg_catalog.pg_proc as p where p.pronamespace
            in ('pgcortex'::regnamespace, 'pgcortex_internal'::regnamespace)
        union all
        select 'type', t.oid::regtype::text, t.typowner::regrole::text
        from pg_catalog.pg_type as t where t.typnamespace = 'pgcortex'::regnamespace
        """
    ).fetchall()
    assert len(rows) > 50
    wrong = [r for r in rows if r[2] != OWNER_ROLE]
    assert wrong == []


def _all_grants(db: psycopg.Connection) -> set[tuple[str, str, str, str]]:
    """(kind, object, grantee, privilege) for every non-owner grant in schemas pgcortex
    and pgcortex_internal (where the expected set is empty).

    Null ACLs are expanded to the built-in defaults (acldefault), so a default
    PUBLIC privilege (EXECUTE on a new function, USAGE on a new type) shows up.
    """
    rows = db.execute(
        """
        with acl as (
            select 'schema' as kind, n.nspname::text as obj, n.nspowner as owner,
                coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner)) as acl
            from pg_catalog.pg_namespace as n where n.nspname in ('pgcortex', 'pgcortex_internal')
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
            from pg_catalog.pg_proc as p where p.pronamespace
                in ('pgcortex'::regnamespace, 'pgcortex_internal'::regnamespace)
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
    for fn in INTERNAL_EXECUTABLE:
        expected.add(("function", f"pgcortex_internal.{fn}()", APP_ROLE, "EXECUTE"))
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
    # Nor create on schema public (not granted to PUBLIC since PostgreSQL 15): an
    # object of the app role's there could match a call an API body makes.
    row = db.execute(
        "select pg_catalog.has_schema_privilege(%s, 'public', 'create')", (APP_ROLE,)
    ).fetchone()
    assert row == (False,)
    # No default privileges that would grant something behind this file's back.
    row = db.execute(
        "select count(*) from pg_catalog.pg_default_acl"
        " where defaclnamespace in (0, 'pgcortex'::regnamespace, 'pgcortex_internal'::regnamespace)"
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
        " AND ( SELECT pgcortex_internal.namespace_permitted() AS namespace_permitted))"
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


LEAK_SCHEMA = "pgcortex_leak_probe"


@pytest.mark.parametrize("index_scans", [True, False], ids=["default-plans", "no-index-scans"])
def test_no_view_hands_another_namespace_to_a_leaky_function(
    db: psycopg.Connection, index_scans: bool
) -> None:
    """A caller's cheap function in a where clause over a view must never see a row
    of another namespace: the planner may run a cheap qual before the view's own
    namespace filter unless the view is a security barrier. Every column of every
    view readable by the app role is probed, with and without index scans."""
    seed_namespace(db, "a", "alpha")
    b = seed_namespace(db, "b", "bravo")
    b_values = {str(v) for v in b.values() if isinstance(v, uuid.UUID)} | {"bravo", "b"}
    views = [
        r[0]
        for r in db.execute(
            "select c.oid::regclass::text from pg_catalog.pg_class as c"
            " where c.relnamespace = 'pgcortex'::regnamespace and c.relkind in ('v', 'm')"
            " and pg_catalog.has_table_privilege(%s, c.oid, 'select')",
            (APP_ROLE,),
        ).fetchall()
    ]
    assert {"pgcortex.memories_v", "pgcortex.memory_summary_v"} <= set(views)
    with login_role(db) as (name, dsn):
        # The probe lives in a schema of the login role itself (it works the same
        # from pg_temp; a schema keeps the test valid where TEMP is revoked).
        db.execute(
            sql.SQL("create schema {} authorization {}").format(
                sql.Identifier(LEAK_SCHEMA), sql.Identifier(name)
            )
        )
        try:
            with connect_as(dsn, "a") as app:
                app.execute(
                    f"create function {LEAK_SCHEMA}.leak(v text) returns boolean"
                    " language plpgsql immutable cost 0.0000001"
                    " as $$ begin raise notice 'leak:%', v; return true; end $$"
                )
                seen: list[str] = []
                leaks: list[tuple[str, str, list[str]]] = []
                app.add_notice_handler(lambda d: seen.append(d.message_primary or ""))
                if not index_scans:
                    app.execute("set enable_indexscan = off")
                    app.execute("set enable_bitmapscan = off")
                    app.execute("set enable_indexonlyscan = off")
                for view in views:
                    cols = [
                        r[0]
                        for r in db.execute(
                            "select a.attname from pg_catalog.pg_attribute as a"
                            " where a.attrelid = %s::regclass and a.attnum > 0"
                            " and not a.attisdropped order by a.attnum",
                            (view,),
                        ).fetchall()
                    ]
                    for col in cols:
                        seen.clear()
                        app.execute(
                            sql.SQL("select * from {} as v where {}.leak(v.{}::text)").format(
                                sql.SQL(view), sql.Identifier(LEAK_SCHEMA), sql.Identifier(col)
                            )
                        ).fetchall()
                        leaked = [
                            m for m in seen if m.removeprefix("leak:") in b_values or "bravo" in m
                        ]
                        if leaked:
                            leaks.append((view, col, sorted(set(leaked))[:3]))
                assert not leaks
        finally:
            db.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(LEAK_SCHEMA)))


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


def test_app_login_can_create_nothing_but_what_temp_allows(db: psycopg.Connection) -> None:
    """No schema of the database takes the app role's objects (public included: a
    function or operator of the caller's there could match a call of the API better);
    without TEMP (the tests' default login) not even pg_temp does."""
    with login_role(db) as (name, dsn), connect_as(dsn, "a") as app:
        creatable = db.execute(
            "select n.nspname::text from pg_catalog.pg_namespace as n"
            " where pg_catalog.has_schema_privilege(%s, n.oid, 'create')"
            " or pg_catalog.has_schema_privilege(%s, n.oid, 'create')",
            (name, APP_ROLE),
        ).fetchall()
        assert creatable == []
        for stmt in (
            "create function public.length(text) returns int language sql return 0",
            "create operator public.=== (leftarg = int, rightarg = int, function = int4eq)",
            "create table public.mine (x int)",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(stmt)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("create temp table mine (x int)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("create domain pg_temp.text as pg_catalog.text")
        # Yet the API works without TEMP (the leak matrix runs every call this way).
        assert app.execute("select count(*) from pgcortex.list_memories()").fetchone() == (0,)


def _public_has_temp(db: psycopg.Connection) -> bool:
    row = db.execute(
        "select exists (select from pg_catalog.pg_database as d,"
        " pg_catalog.aclexplode(coalesce(d.datacl, pg_catalog.acldefault('d', d.datdba))) as e"
        " where d.datname = pg_catalog.current_database() and e.grantee = 0"
        " and e.privilege_type = 'TEMPORARY')"
    ).fetchone()
    assert row is not None
    return bool(row[0])


def test_deploy_revokes_temp_from_public_only_when_asked(db: psycopg.Connection) -> None:
    privileges = (sql_dir() / "idempotent" / "900_privileges.sql").read_text()
    assert _public_has_temp(db)
    db.execute(privileges)  # the default: TEMP left as it is (shared databases)
    assert _public_has_temp(db)
    db.execute("set pgcortex.revoke_temp = on")
    db.execute(privileges)
    db.execute("reset pgcortex.revoke_temp")
    assert not _public_has_temp(db)
    with (
        login_role(db, temp=False) as (_, dsn),
        connect_as(dsn, "a") as app,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        app.execute("create temp table mine (x int)")


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


def test_every_function_pins_pg_catalog_then_pg_temp(db: psycopg.Connection) -> None:
    """The one rule (sql/idempotent/010_core.sql): built-in names resolve in pg_catalog
    before anything else, and the caller's pg_temp comes last, never first."""
    rows = db.execute(
        "select p.oid::regprocedure::text, p.proconfig"
        " from pg_catalog.pg_proc as p"
        " where p.pronamespace in ('pgcortex'::regnamespace, 'pgcortex_internal'::regnamespace)"
    ).fetchall()
    assert len(rows) > 50
    wrong = {
        name: config
        for name, config in rows
        if [c for c in config or [] if c.startswith("search_path=")]
        != ["search_path=pg_catalog, pg_temp"]
    }
    assert wrong == {}


#: Type names the grammar itself maps to pg_catalog (never looked up by name).
SQL_TYPE_KEYWORDS = frozenset(
    {
        *("int", "integer", "smallint", "bigint", "real", "float", "double", "precision"),
        *("numeric", "decimal", "dec", "boolean", "char", "character", "varchar", "nchar"),
        *("national", "varying", "bit", "time", "timestamp", "interval", "with", "without"),
        *("zone", "setof"),
    }
)
#: pgvector's operators: reachable only as operator(public.<op>) with pg_catalog first.
VECTOR_OPERATORS = ("<=>", "<#>", "<->", "<+>", "<~>", "<%>")


def unqualified_names(
    body: str, catalog_types: set[str], schema_objects: dict[str, set[str]]
) -> list[str]:
    """What a function body names without a schema that pg_catalog does not hold.

    Under `search_path = pg_catalog, pg_temp` such a name would be looked up in the
    caller's pg_temp (types and relations), or not found (functions, operators).
    Checks casts (`::t`), plpgsql declarations, relations after from/join/update/
    into/table, calls of functions of schema pgcortex or public, and pgvector's
    operators; dynamic SQL in string literals is checked alike.
    """
    text = re.sub(r"--[^\n]*", "", body.lower())
    found: list[str] = []

    def is_catalog_type(name: str) -> bool:
        return name in catalog_types or name in SQL_TYPE_KEYWORDS

    for m in re.finditer(r"::\s*\"?([a-z_][a-z0-9_]*)\b\"?(?!\s*\.)", text):
        if not is_catalog_type(m.group(1)):
            found.append(f"cast to {m.group(1)}")
    for section in re.findall(r"\bdeclare\b(.*?)\bbegin\b", text, re.S):
        for m in re.finditer(
            r"(?:^|;)\s*[a-z_][a-z0-9_]*\s+(?:constant\s+)?\"?([a-z_][a-z0-9_]*)\"?(\s*\.)?",
            section,
            re.M,
        ):
            if (
                m.group(2) is None
                and not is_catalog_type(m.group(1))
                and m.group(1) not in {"alias", "cursor", "scroll", "no"}
            ):
                found.append(f"declared type {m.group(1)}")
    relations = schema_objects["relation"]
    for m in re.finditer(
        r"\b(?:from|join|update|into|table)\s+\"?([a-z_][a-z0-9_]*)\b\"?(?!\s*[.(])", text
    ):
        if m.group(1) in relations:
            found.append(f"relation {m.group(1)}")
    functions = schema_objects["function"]
    for m in re.finditer(r"(?<![\w.\"$])(?<!\)\s)(?<!\bas\s)([a-z_][a-z0-9_]*)\s*\(", text):
        if m.group(1) in functions:
            found.append(f"function {m.group(1)}")
    stripped = re.sub(r"operator\s*\(\s*public\.(<=>|<#>|<->|<\+>|<~>|<%>)\s*\)", "", text)
    for op in VECTOR_OPERATORS:
        if op in stripped and op != "<->":
            found.append(f"operator {op}")
    return sorted(set(found))


def _name_sets(db: psycopg.Connection) -> tuple[set[str], dict[str, set[str]]]:
    catalog = {
        r[0]
        for r in db.execute(
            "select t.typname::text from pg_catalog.pg_type as t"
            " where t.typnamespace = 'pg_catalog'::regnamespace"
        ).fetchall()
    }
    objects: dict[str, set[str]] = {"relation": set(), "function": set()}
    for kind, name in db.execute(
        """
        select 'relation', c.relname::text from pg_catalog.pg_class as c
        where c.relnamespace in ('pgcortex'::regnamespace, 'public'::regnamespace)
            and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f', 'c')
        union
        select 'function', p.proname::text from pg_catalog.pg_proc as p
        where p.pronamespace in (
                'pgcortex'::regnamespace, 'pgcortex_internal'::regnamespace, 'public'::regnamespace
            )
            and not exists (
                select from pg_catalog.pg_proc as q
                where q.pronamespace = 'pg_catalog'::regnamespace and q.proname = p.proname
            )
        """
    ).fetchall():
        objects[kind].add(name)
    # A type name of pgcortex or public spelled bare is a relation-like lookup too.
    objects["relation"] |= {
        r[0]
        for r in db.execute(
            "select t.typname::text from pg_catalog.pg_type as t"
            " where t.typnamespace in ('pgcortex'::regnamespace, 'public'::regnamespace)"
            " and t.typcategory <> 'A'"
        ).fetchall()
    }
    return catalog, objects


def test_no_function_body_names_a_non_catalog_object_without_its_schema(
    db: psycopg.Connection,
) -> None:
    """Every body, as stored (plpgsql source, and begin atomic bodies as PostgreSQL
    prints them with an empty search path), qualifies every name outside pg_catalog."""
    db.execute("set search_path = ''")
    catalog, objects = _name_sets(db)
    rows = db.execute(
        "select p.oid::regprocedure::text, pg_catalog.pg_get_functiondef(p.oid)"
        " from pg_catalog.pg_proc as p where p.pronamespace "
        " in ('pgcortex'::regnamespace, 'pgcortex_internal'::regnamespace)"
    ).fetchall()
    assert len(rows) > 50
    found = {name: unqualified_names(body, catalog, objects) for name, body in rows}
    assert {k: v for k, v in found.items() if v} == {}


def test_the_body_check_finds_unqualified_names(db: psycopg.Connection) -> None:
    """The check above is live: each kind of bare name in a body is reported."""
    db.execute("set search_path = ''")
    catalog, objects = _name_sets(db)
    body = """
    declare
        _v vector;
        _ok text;
        _row pgcortex.memories%rowtype;
    begin
        select e::halfvec, x::pg_catalog.text, y::text from memories;
        perform current_namespace();
        perform pgcortex.current_namespace();
        select a.embedding <=> b.embedding, a.embedding operator(public.<#>) b.embedding;
    end
    """
    assert unqualified_names(body, catalog, objects) == [
        "cast to halfvec",
        "declared type vector",
        "function current_namespace",
        "operator <=>",
        "relation memories",
    ]


_CLOSED = """
select c.relname::text from pg_catalog.pg_class as c
where c.relnamespace = 'pgcortex'::regnamespace
    and (
        c.relkind in ('v', 'm')
        or not pg_catalog.has_table_privilege('pgcortex_app', c.oid, 'select')
    )
    and c.relkind in ('r', 'p', 'v', 'm')
"""

#: Definer functions whose tables are named in dynamic SQL only.
DYNAMIC_TABLES = {"export_namespace", "erase_namespace"}
#: Definer functions that write reference tables the application role may only read.
WRITES_READ_ONLY_TABLES = {
    "import_register_types",  # memory_types, pattern_types
    # embedding_models, and the model's index on memories
    "register_embedding_model",
    "set_default_embedding_model",
    "drop_embedding_model",
}


def test_security_definer_only_where_the_app_role_may_not_do_it_itself(
    db: psycopg.Connection,
) -> None:
    """A function runs with the owner's rights only when its own body uses a table the
    application role may not read (or a view over such tables) or calls a function of
    pgcortex_internal (closed to it); the rest, helpers and wrappers that only call API
    functions, run with the caller's rights."""
    closed = {r[0] for r in db.execute(_CLOSED).fetchall()}
    assert {"memories", "namespace_bindings", "memory_summary_v"} <= closed
    rows = db.execute(
        "select p.proname::text, p.prosecdef, pg_catalog.pg_get_functiondef(p.oid)"
        " from pg_catalog.pg_proc as p where p.pronamespace "
        " in ('pgcortex'::regnamespace, 'pgcortex_internal'::regnamespace)"
    ).fetchall()
    needless = []
    for name, definer, body in rows:
        text = re.sub(r"--[^\n]*", "", body)
        uses = set(re.findall(r"pgcortex\.([a-z_]+)\b(?!\s*\()", text)) & closed
        uses |= set(re.findall(r"pgcortex_internal\.([a-z_]+)\s*\(", text))
        if definer and not uses and name not in DYNAMIC_TABLES | WRITES_READ_ONLY_TABLES:
            needless.append(name)
    assert needless == []
    counts = {d: sum(1 for r in rows if r[1] == d) for d in (True, False)}
    assert counts[True] > 30
    assert counts[False] > 15
    # The source says why, beside every security definer.
    for path in sorted(sql_dir().rglob("*.sql")):
        for line in path.read_text().splitlines():
            if re.match(r"\s*security definer\b", line):
                assert "--" in line, f"{path.name}: {line.strip()}"


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
        " where p.pronamespace "
        " in ('pgcortex'::regnamespace, 'pgcortex_internal'::regnamespace) and p.prosecdef"
    ).fetchall()
    assert rows
    assert {owner for _, owner in rows} == {OWNER_ROLE}
    # ... and that owner cannot bypass row-level security.
    assert _role(db, OWNER_ROLE)["bypassrls"] is False


def test_a_bound_login_role_cannot_switch_to_another_namespace(db: psycopg.Connection) -> None:
    """With bindings, setting pgcortex.namespace to another tenant's name gains nothing."""
    seed_namespace(db, "a", "alpha")
    b = seed_namespace(db, "b", "beta")
    with login_role(db, bind="a") as (name, dsn):
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
        # A role bound to '*' is not restricted (a trusted service serving many tenants).
        db.execute("delete from pgcortex.namespace_bindings where role_name = %s", (name,))
        db.execute("insert into pgcortex.namespace_bindings values (%s, '*')", (name,))
        with connect_as(dsn, "b") as app:
            rows = app.execute("select count(*) from pgcortex.list_memories()").fetchone()
            assert rows is not None
            assert rows[0] > 0


#: The public SQL API, by area: every function of schema pgcortex, and all the
#: application role may execute. Everything else lives in pgcortex_internal.
API: dict[str, list[str]] = {
    "admin and security": [
        "current_namespace",
        "schema_version",
        "export_namespace",
        "erase_namespace",
        "namespace_audit_log",
    ],
    "memories: writes": [
        "store_memory",
        "store_memories",
        "update_memory",
        "delete_memory",
        "delete_memories",
    ],
    "memories: reads": [
        "get_memory",
        "get_memories",
        "list_memories",
        "memory_history",
        "resolve_memory_id",
        "list_memory_types",
    ],
    "embedding models": [
        "namespace_embedding_model",
        "list_embedding_models",
        "embedding_model_row",
        "embedding_model_index_sql",
        "register_embedding_model",
        "set_default_embedding_model",
        "drop_embedding_model",
        "set_namespace_embedding_model",
        "reembed_pending",
        "reembed_stage",
        "reembed_status",
        "reembed_switch",
        "maint_drop_old_embeddings",
    ],
    "memories: search": ["search_memories", "recall_memories"],
    "memories: links": ["link_memories", "unlink_memories", "related_memories"],
    "memories: access tracking": ["track_access", "maint_flush_access"],
    "knowledge": [
        "knowledge_settings",
        "set_knowledge_settings",
        "learn_user_preference",
        "get_user_preferences",
        "get_preference_history",
        "identify_learning_patterns",
        "store_learning_pattern",
        "get_learning_patterns",
        "store_knowledge_cluster",
        "get_knowledge_clusters",
        "get_contextual_knowledge",
        "get_memory_summary",
    ],
    "sessions": [
        "start_session",
        "store_conversation_turn",
        "end_session",
        "get_conversation_context",
        "list_sessions",
    ],
    "maintenance": [
        "maint_forget",
        "maint_purge_expired",
        "maint_prune_history",
        "maint_recluster",
        "maint_rebuild_terms",
        "maint_run",
    ],
    "import": [
        "import_register_types",
        "import_memories",
        "import_links",
        "import_clusters",
        "import_cluster_members",
        "import_patterns",
        "import_pattern_evidence",
        "import_preferences",
        "import_preference_history",
        "import_sessions",
        "import_turns",
        "import_memory_access",
        "import_store_items",
        "import_store_item_vectors",
    ],
    "integrations": [
        "session_by_key",
        "session_item_turns",
        "add_session_items",
        "get_session_items",
        "pop_session_item",
        "clear_session_items",
    ],
    "key-value store": [
        "store_put",
        "store_get",
        "store_delete",
        "store_search",
        "store_list_namespaces",
        "store_embedding_model",
        "maint_store_sweep",
    ],
}


#: Functions of pgcortex_internal the application role may execute, with the reason.
#: Not by name: it has no usage on the schema.
INTERNAL_EXECUTABLE: dict[str, str] = {
    "namespace_permitted": "called by the row-level security policies, which run it as"
    " the role querying a view (memories_v, memory_summary_v, memory_access_totals)",
    "pending_accesses": "the pending access counts of those views: a function, as a hot"
    " standby cannot plan a view naming the unlogged access log; run as the querying role",
}


def test_the_app_role_executes_exactly_the_api(db: psycopg.Connection) -> None:
    api = [name for names in API.values() for name in names]
    assert len(api) == len(set(api))
    executable = db.execute(
        "select p.pronamespace::regnamespace::text, p.proname::text"
        " from pg_catalog.pg_proc as p"
        " where p.pronamespace not in ('pg_catalog'::regnamespace,"
        "     'information_schema'::regnamespace, 'public'::regnamespace)"
        " and pg_catalog.has_function_privilege(%s, p.oid, 'execute')",
        (APP_ROLE,),
    ).fetchall()
    assert sorted(executable) == sorted(
        [("pgcortex", name) for name in api]
        + [("pgcortex_internal", name) for name in INTERNAL_EXECUTABLE]
    )
    in_schema = db.execute(
        "select p.proname::text from pg_catalog.pg_proc as p"
        " where p.pronamespace = 'pgcortex'::regnamespace"
    ).fetchall()
    assert sorted(r[0] for r in in_schema) == sorted(api)


def test_no_function_of_the_api_schema_is_an_internal(db: psycopg.Connection) -> None:
    """Trigger functions, column defaults, generated columns and policies use only
    functions of pgcortex_internal; the views may call the API (current_namespace)."""
    rows = db.execute(
        "select pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), p.proname::text"
        " from pg_catalog.pg_depend as d"
        " inner join pg_catalog.pg_proc as p"
        "     on d.refclassid = 'pg_catalog.pg_proc'::regclass and d.refobjid = p.oid"
        " where p.pronamespace = 'pgcortex'::regnamespace"
        " and d.classid not in ('pg_catalog.pg_proc'::regclass, 'pg_catalog.pg_rewrite'::regclass)"
    ).fetchall()
    assert rows == []
    triggers = db.execute(
        "select p.proname::text from pg_catalog.pg_proc as p"
        " where p.pronamespace = 'pgcortex'::regnamespace"
        " and p.prorettype = 'pg_catalog.trigger'::regtype"
    ).fetchall()
    assert triggers == []
    # ... and the internals are used: each is a trigger, default or policy function,
    # or is called by another function.
    internal = db.execute(
        "select p.proname::text from pg_catalog.pg_proc as p"
        " where p.pronamespace = 'pgcortex_internal'::regnamespace"
    ).fetchall()
    assert len(internal) > 30
    bodies = db.execute(
        "select pg_catalog.string_agg(pg_catalog.pg_get_functiondef(p.oid), ' ')"
        " from pg_catalog.pg_proc as p"
        " where p.pronamespace in ('pgcortex'::regnamespace, 'pgcortex_internal'::regnamespace)"
    ).fetchone()
    assert bodies is not None
    depended = {
        r[0]
        for r in db.execute(
            "select p.proname::text from pg_catalog.pg_depend as d"
            " inner join pg_catalog.pg_proc as p"
            "     on d.refclassid = 'pg_catalog.pg_proc'::regclass and d.refobjid = p.oid"
            " where p.pronamespace = 'pgcortex_internal'::regnamespace"
        ).fetchall()
    }
    unused = [
        name
        for (name,) in internal
        if name not in depended and f"pgcortex_internal.{name}(" not in bodies[0]
    ]
    assert unused == []


def test_the_app_role_has_nothing_in_the_internal_schema(db: psycopg.Connection) -> None:
    row = db.execute(
        "select pg_catalog.has_schema_privilege(%s, 'pgcortex_internal', 'usage'),"
        " pg_catalog.has_schema_privilege(%s, 'pgcortex_internal', 'create'),"
        " pg_catalog.obj_description('pgcortex_internal'::regnamespace, 'pg_namespace')",
        (APP_ROLE, APP_ROLE),
    ).fetchone()
    assert row is not None
    assert row[:2] == (False, False)
    assert row[2]
    # Every internal function says what it is for.
    missing = db.execute(
        "select p.oid::regprocedure::text from pg_catalog.pg_proc as p"
        " where p.pronamespace = 'pgcortex_internal'::regnamespace"
        " and pg_catalog.obj_description(p.oid, 'pg_proc') is null"
    ).fetchall()
    assert missing == []
    # An app login that calls a helper directly is refused (and the API still works).
    with login_role(db) as (_, dsn), connect_as(dsn, "a") as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select pgcortex_internal.tags_problem(array['x'])")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select pgcortex_internal.namespace_permitted()")
        stored = conn.execute(
            "select action from pgcortex.store_memory(content => 'internals stay apart',"
            " memory_type => 'business_fact', tags => array['x'])"
        ).fetchone()
        assert stored == ("inserted",)
        conn.rollback()
