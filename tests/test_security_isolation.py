"""Tenant isolation through every API function, and search_path hijacking.

The leak matrix (tests/security_matrix.py) aims calls of every function of schema
pgcortex at namespace B from a session scoped to namespace A, as a non-superuser
login role that is a member of pgcortex_app. Each call runs in a rolled-back
transaction, twice: with B's data present, then after B is erased. Results
(rows, or SQLSTATE and message) must be identical once ids, clocks and sequence
values are normalised: then A cannot read, change, link, delete or detect B's
data, whether by ids, dedup collisions, counts or differing errors.

The same calls then run in a hostile session (a schema of decoy functions and
operators first on the search_path, temp tables named like every pgcortex table):
every result must be the same as in a clean session. And they run with the
caller's pg_temp armed with spying domains, types and casts, functions and
operators, views and text search configurations named like everything a body
could use: none may run inside an API call (as the owner or at all).

The leak matrix runs as a login without TEMP (what a tenant needs); the hostile
runs grant it, since the defence must hold with it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

from tests.security_matrix import EXEMPT, MATRIX
from tests.security_seed import (
    connect_as,
    login_role,
    namespace_row_counts,
    seed_namespace,
    unit_vector,
)

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
TS_RE = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d(:\d\d)?|Z)?")
#: Keys whose integer values come from global sequences or clocks, not from the data.
VOLATILE_KEY = re.compile(r"(^|_)(id|ms|seconds)$")


def _seed_api(conn: psycopg.Connection, namespace: str, tag: str) -> dict[str, Any]:
    """Rows through the API as well, so the tables of every area hold data of ``namespace``."""
    conn.execute("select pg_catalog.set_config('pgcortex.namespace', %s, false)", (namespace,))
    ids: dict[str, Any] = {}
    row = conn.execute("select session_id from pgcortex.start_session()").fetchone()
    assert row is not None
    ids["api_session"] = row[0]
    for content in (
        "shared question: what colour is the sky?",
        f"{tag} asks about launch codes again?",
    ):
        conn.execute(
            "select * from pgcortex.store_conversation_turn(role => 'user', content => %s,"
            " session_id => %s)",
            (content, ids["api_session"]),
        )
    conn.execute(
        "select * from pgcortex.learn_user_preference(key => 'theme', value => %s)",
        (psycopg.types.json.Jsonb(f"{tag}-api-theme"),),
    )
    conn.execute(
        "select * from pgcortex.store_learning_pattern(pattern_type => 'workflow',"
        " description => 'shared: asks many questions', example => %s)",
        (f"{tag} example",),
    )
    row = conn.execute(
        "select id from pgcortex.store_memory(content => %s, memory_type => 'business_fact',"
        " tags => array['shared', %s])",
        (f"{tag} api memory", tag),
    ).fetchone()
    assert row is not None
    ids["api_memory"] = row[0]
    conn.execute(
        "select * from pgcortex.update_memory(memory_id => %s, importance => 5)",
        (ids["api_memory"],),
    )
    conn.execute(
        "select * from pgcortex.store_knowledge_cluster(name => 'shared api cluster',"
        " memory_ids => array[%s]::uuid[])",
        (ids["api_memory"],),
    )
    conn.execute(
        "select * from pgcortex.store_put(path => '{shared}', key => 'k', value => %s,"
        " ttl_minutes => 1, index_fields => array['text'], embeddings => array[%s::public.vector],"
        " embedding_model => 'test-model')",
        (psycopg.types.json.Json({"text": f"{tag} store item", "n": 1}), unit_vector(7)),
    )
    conn.execute("reset pgcortex.namespace")
    return ids


@pytest.fixture
def world(db: psycopg.Connection) -> dict[str, Any]:
    """Namespaces a and b with colliding data; returns the named ids and values."""
    a = seed_namespace(db, "a", "alpha", model="test-model")
    b = seed_namespace(db, "b", "beta", model="beta-model")
    a_api = _seed_api(db, "a", "alpha")
    b_api = _seed_api(db, "b", "beta")
    now = dt.datetime.now(dt.UTC)
    return {
        "a_m": a["m_shared"],
        "a_private": a["m_private"],
        "a_text": a["m_text"],
        "a_cluster": a["cluster"],
        "a_pattern": a["pattern"],
        "a_session": a["session"],
        "a_api_session": a_api["api_session"],
        "a_api_memory": a_api["api_memory"],
        "b_m": b["m_shared"],
        "b_private": b["m_private"],
        "b_text": b["m_text"],
        "b_cluster": b["cluster"],
        "b_pattern": b["pattern"],
        "b_session": b["session"],
        "b_api_session": b_api["api_session"],
        "b_api_memory": b_api["api_memory"],
        "vec_b": b["vec_private"],
        "t_now": now,
        "t_later": now + dt.timedelta(days=1),
        "t_far": now + dt.timedelta(days=1000),
    }


def _normaliser(world: dict[str, Any]):
    names = {str(v): k for k, v in world.items() if isinstance(v, uuid.UUID)}

    def text(s: str) -> str:
        s = UUID_RE.sub(lambda m: f"<{names.get(m.group(0).lower(), 'new')}>", s)
        return TS_RE.sub("<time>", s)

    def norm(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: norm(v, k) for k, v in sorted(value.items())}
        if isinstance(value, list | tuple):
            return [norm(v, key) for v in value]
        if isinstance(value, uuid.UUID):
            return f"<{names.get(str(value), 'new')}>"
        if isinstance(value, dt.datetime | dt.date | dt.timedelta):
            return "<time>"
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int | decimal.Decimal) and VOLATILE_KEY.search(key):
            return "<seq>"
        if isinstance(value, float | decimal.Decimal):
            return round(float(value), 4)
        if isinstance(value, str):
            return text(value)
        return value

    return norm


def _run_calls(
    conn: psycopg.Connection, world: dict[str, Any], setup: list[str] | None = None
) -> dict[tuple[str, int], Any]:
    """Every matrix call of every existing function, each in a rolled-back transaction."""
    norm = _normaliser(world)
    existing = _functions(conn)
    out: dict[tuple[str, int], Any] = {}
    for name, calls in sorted(MATRIX.items()):
        if name not in existing:
            continue
        for i, call in enumerate(calls):
            try:
                with (
                    conn.transaction(force_rollback=True),
                    conn.cursor(row_factory=dict_row) as cur,
                ):
                    for stmt in setup or []:
                        cur.execute(stmt)
                    cur.execute(call, world)
                    rows = cur.fetchall() if cur.description else []
                    out[(name, i)] = ("rows", norm(rows))
            except psycopg.Error as exc:
                diag = exc.diag
                out[(name, i)] = (
                    "error",
                    exc.sqlstate,
                    norm(diag.message_primary or ""),
                    norm(diag.message_detail or ""),
                    norm(diag.message_hint or ""),
                )
    return out


def _functions(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute(
        "select distinct p.proname::text from pg_catalog.pg_proc as p"
        " where p.pronamespace = 'pgcortex'::regnamespace"
    ).fetchall()
    return {r[0] for r in rows}


def test_every_function_has_a_matrix_entry(db: psycopg.Connection) -> None:
    functions = _functions(db)
    assert len(functions) > 20
    missing = functions - set(MATRIX) - set(EXEMPT)
    assert missing == set(), "add these functions to tests/security_matrix.py"
    stale = set(MATRIX) - functions
    assert stale == set(), "no such API function (internal ones have no entry)"
    triggers = db.execute(
        "select p.proname::text from pg_catalog.pg_proc as p"
        " where p.pronamespace = 'pgcortex'::regnamespace"
        " and p.prorettype = 'pg_catalog.trigger'::regtype"
    ).fetchall()
    assert set(EXEMPT) & functions <= {r[0] for r in triggers}, "only triggers are exempt"


@pytest.fixture
def app_conn(db: psycopg.Connection) -> Iterator[psycopg.Connection]:
    with login_role(db) as (_, dsn), connect_as(dsn, "a") as conn:
        conn.autocommit = False
        yield conn
        conn.rollback()


def _erase_b(db: psycopg.Connection) -> None:
    db.execute("set pgcortex.namespace = 'b'")
    db.execute("select * from pgcortex.erase_namespace(confirm => 'b')")
    db.execute("set pgcortex.namespace = 'test'")
    left = {k: v for k, v in namespace_row_counts(db, "b").items() if v}
    assert left == {"namespace_audit": 1}


def test_leak_matrix_no_call_from_a_depends_on_b(
    db: psycopg.Connection, world: dict[str, Any], app_conn: psycopg.Connection
) -> None:
    with_b = _run_calls(app_conn, world)
    app_conn.rollback()
    _erase_b(db)
    without_b = _run_calls(app_conn, world)
    assert len(with_b) >= 80
    # The calls themselves are sound: no call failed for want of a function, column
    # or privilege (that would make both runs agree for the wrong reason).
    broken = {k: v for k, v in with_b.items() if v[0] == "error" and v[1].startswith("42")}
    assert broken == {}
    leaks = {k: (with_b[k], without_b.get(k)) for k in with_b if with_b[k] != without_b.get(k)}
    assert leaks == {}, f"{len(leaks)} calls from namespace a see namespace b"


def test_leak_harness_detects_a_leak(db: psycopg.Connection, world: dict[str, Any]) -> None:
    """The comparison is live: a query that does see b (as a superuser) differs."""
    norm = _normaliser(world)
    probe = "select content from pgcortex.memories order by content"
    before = norm(db.execute(probe).fetchall())
    _erase_b(db)
    assert norm(db.execute(probe).fetchall()) != before


HOSTILE_TYPES = (
    "text",
    "integer",
    "bigint",
    "smallint",
    "real",
    "double precision",
    "numeric",
    "boolean",
    "jsonb",
    "uuid",
    "timestamp with time zone",
    "text[]",
    "uuid[]",
    "public.vector",
    "tsvector",
    "tsquery",
    "interval",
    "bytea",
)


def _arm_hostile_schema(db: psycopg.Connection, role: str) -> int:
    """Schema hostile: a decoy of every pg_catalog/public function and operator the API uses.

    Each decoy raises 'hijacked'. Returns how many decoys were made.
    """
    db.execute("create schema hostile")
    db.execute(f"grant usage on schema hostile to {role}")
    bodies = db.execute(
        "select pg_catalog.string_agg(pg_catalog.pg_get_functiondef(p.oid), ' ')"
        " from pg_catalog.pg_proc as p"
        " where p.pronamespace "
        " in ('pgcortex'::regnamespace, 'pgcortex_internal'::regnamespace) and p.prokind = 'f'"
    ).fetchone()
    assert bodies is not None
    used = set(re.findall(r"\b([a-z_][a-z0-9_]*)\s*\(", bodies[0].lower()))
    _make_decoy_helper(db)
    db.execute(
        "select pg_temp.hostile_decoy(p.proname::text,"
        " pg_catalog.pg_get_function_identity_arguments(p.oid),"
        " pg_catalog.pg_get_function_result(p.oid))"
        " from pg_catalog.pg_proc as p"
        " where p.pronamespace in ('pg_catalog'::regnamespace, 'public'::regnamespace)"
        " and p.prokind = 'f' and p.proname::text = any(%s)",
        (sorted(used),),
    )
    functions = db.execute(
        "select count(*) from pg_catalog.pg_proc where pronamespace = 'hostile'::regnamespace"
    ).fetchone()
    assert functions is not None
    operators = _make_operator_decoys(db)
    db.execute(f"grant execute on all functions in schema hostile to {role}")
    return int(functions[0]) + operators


def _make_decoy_helper(db: psycopg.Connection) -> None:
    db.execute(
        """
        create function pg_temp.hostile_decoy(name text, args text, res text)
        returns boolean language plpgsql as $f$
        begin
            execute pg_catalog.format(
                'create function hostile.%I(%s) returns %s language plpgsql as '
                '$b$ begin raise exception ''hijacked by hostile.%s''; end $b$',
                name, args, res, name);
            return true;
        exception when others then
            return false;  -- not every catalog signature can be declared in plpgsql
        end $f$
        """
    )


def _make_operator_decoys(db: psycopg.Connection) -> int:
    rows = db.execute(
        """
        select o.oprname, o.oprleft::regtype::text, o.oprright::regtype::text,
            o.oprresult::regtype::text
        from pg_catalog.pg_operator as o
        where o.oprnamespace in ('pg_catalog'::regnamespace, 'public'::regnamespace)
            and o.oprleft <> 0 and o.oprright <> 0
            and o.oprleft::regtype::text = any(%(types)s)
            and o.oprright::regtype::text = any(%(types)s)
        """,
        {"types": [t.replace("public.", "") for t in HOSTILE_TYPES]},
    ).fetchall()
    made = 0
    for i, (name, left, right, result) in enumerate(rows):
        left_t = "public.vector" if left == "vector" else left
        right_t = "public.vector" if right == "vector" else right
        result_t = "public.vector" if result == "vector" else result
        db.execute(
            f"create function hostile.op_{i}(l {left_t}, r {right_t}) returns {result_t}"
            f" language plpgsql as $b$ begin raise exception 'hijacked by operator {i}';"
            " end $b$"
        )
        db.execute(
            f"create operator hostile.{name} (leftarg = {left_t}, rightarg = {right_t},"
            f" function = hostile.op_{i})"
        )
        made += 1
    return made


def _temp_decoys(conn: psycopg.Connection) -> list[str]:
    """Statements run inside the hostile session: temp tables shadowing every table name."""
    tables = [
        r[0]
        for r in conn.execute(
            "select c.relname::text from pg_catalog.pg_class as c"
            " where c.relnamespace = 'pgcortex'::regnamespace and c.relkind in ('r', 'v', 'p')"
        ).fetchall()
    ]
    stmts = []
    for t in tables:
        stmts.append(
            f'create temp table "{t}" (namespace text, id uuid, content text, key text,'
            " value jsonb, name text)"
        )
        stmts.append(
            f"insert into pg_temp.\"{t}\" values ('a', gen_random_uuid(), 'poison', 'theme',"
            " '\"poison\"', 'shared cluster')"
        )
    stmts.append("set local search_path = hostile, pg_temp, public, pg_catalog")
    return stmts


def test_search_path_hijack_changes_nothing(db: psycopg.Connection, world: dict[str, Any]) -> None:
    with login_role(db, temp=True) as (role, dsn):
        decoys = _arm_hostile_schema(db, role)
        assert decoys > 100
        with connect_as(dsn, "a") as conn:
            conn.autocommit = False
            clean = _run_calls(conn, world)
            conn.rollback()
            hostile = _run_calls(conn, world, setup=_temp_decoys(conn))
            conn.rollback()
            # The decoys are armed: an unqualified call in this session does hit one.
            with conn.transaction(force_rollback=True):
                for stmt in _temp_decoys(conn):
                    conn.execute(stmt)
                with pytest.raises(psycopg.Error, match="hijacked"), conn.transaction():
                    conn.execute("select length('x')")
        db.execute("drop schema hostile cascade")
    assert len(clean) >= 80
    diff = {k: (clean[k], hostile.get(k)) for k in clean if clean[k] != hostile.get(k)}
    assert diff == {}, f"{len(diff)} calls behave differently in a hostile session"


# Objects of the caller's temporary schema -----------------------------------------
#
# A login role with TEMP can create, in its own pg_temp, domains, types, casts,
# functions, operators, tables and views. None of them may ever be reached from
# inside an API function: there it would run with the function owner's rights
# (security definer). Every such object below calls pg_temp.spy(), which reports
# current_user through a warning; the test fails if any report arrives while the
# matrix runs.

SPY_TAG = "pgcortex-spy"

_SPY = f"""
create function pg_temp.spy(what text) returns boolean
language plpgsql volatile as $f$
begin
    raise warning '{SPY_TAG} % current_user=%', what, current_user;
    return true;
end
$f$
"""

#: Every type name a body might spell without a schema: each one of pg_catalog,
#: public (pgvector) and pgcortex that is not a pseudo-type, an array or a row type.
_TYPE_NAMES = """
select t.typname::text, t.oid::regtype::text, t.typtype::text
from pg_catalog.pg_type as t
where
    t.typnamespace in (
        'pg_catalog'::regnamespace, 'public'::regnamespace, 'pgcortex'::regnamespace
    )
    and t.typtype in ('b', 'd', 'e', 'r', 'm', 'c')
    and t.typcategory <> 'A'
    and (
        t.typrelid = 0
        or (select c.relkind from pg_catalog.pg_class as c where c.oid = t.typrelid) = 'c'
    )
    and t.typname !~ '^(cstring|unknown|internal)$'
order by 1
"""


def _arm_temp_domains(conn: psycopg.Connection) -> int:
    """pg_temp.<name> for every type name: a domain over the real type whose CHECK spies."""
    made = 0
    for name, real, _ in conn.execute(_TYPE_NAMES).fetchall():
        try:
            with conn.transaction():
                conn.execute(
                    sql.SQL(
                        "create domain pg_temp.{} as {} check (pg_temp.spy({}) or value is null)"
                    ).format(sql.Identifier(name), sql.SQL(real), sql.Literal(f"domain {name}"))
                )
            made += 1
        except psycopg.Error:
            pass  # a type a domain cannot be built on (a few catalog-internal ones)
    return made


def _arm_temp_types_and_casts(conn: psycopg.Connection) -> int:
    """pg_temp.<name> as a composite type for every type name, with spying implicit casts.

    A body that resolved the name into pg_temp would go through one of these casts
    (to or from the real type) or fail: the casts report, the failure differs.
    """
    made = 0
    for name, real, _ in conn.execute(_TYPE_NAMES).fetchall():
        ident = sql.Identifier(name)
        try:
            with conn.transaction():
                conn.execute(
                    sql.SQL("create type pg_temp.{} as (v {})").format(ident, sql.SQL(real))
                )
                for direction, arg, res, body in (
                    ("in", sql.SQL(real), sql.SQL("pg_temp.{}").format(ident), "row(x)"),
                    ("out", sql.SQL("pg_temp.{}").format(ident), sql.SQL(real), "x.v"),
                ):
                    fn = sql.Identifier(f"spy_cast_{direction}_{name}")
                    conn.execute(
                        sql.SQL(
                            "create function pg_temp.{fn}(x {arg}) returns {res}"
                            " language plpgsql as $b$ begin perform pg_temp.spy({what});"
                            " return {body}; end $b$"
                        ).format(
                            fn=fn,
                            arg=arg,
                            res=res,
                            what=sql.Literal(f"cast {direction} {name}"),
                            body=sql.SQL(body),
                        )
                    )
                    conn.execute(
                        sql.SQL(
                            "create cast ({} as {}) with function pg_temp.{}({}) as implicit"
                        ).format(arg, res, fn, arg)
                    )
            made += 1
        except psycopg.Error:
            pass  # pseudo or catalog-internal types
    return made


def _arm_temp_functions_and_operators(conn: psycopg.Connection) -> int:
    """pg_temp copies of every function and operator the bodies use, each one spying.

    PostgreSQL never looks in pg_temp for an unqualified function or operator; this
    holds the API to it.
    """
    bodies = conn.execute(
        "select pg_catalog.string_agg(pg_catalog.pg_get_functiondef(p.oid), ' ')"
        " from pg_catalog.pg_proc as p"
        " where p.pronamespace "
        " in ('pgcortex'::regnamespace, 'pgcortex_internal'::regnamespace) and p.prokind = 'f'"
    ).fetchone()
    assert bodies is not None
    used = set(re.findall(r"\b([a-z_][a-z0-9_]*)\s*\(", bodies[0].lower()))
    signatures = conn.execute(
        "select p.proname::text, pg_catalog.pg_get_function_identity_arguments(p.oid),"
        " pg_catalog.pg_get_function_result(p.oid)"
        " from pg_catalog.pg_proc as p"
        " where p.pronamespace in ('pg_catalog'::regnamespace, 'public'::regnamespace)"
        " and p.prokind = 'f' and p.proname::text = any(%s)"
        " and p.prorettype <> 'pg_catalog.trigger'::regtype",
        (sorted(used),),
    ).fetchall()
    made = 0
    for name, args, result in signatures:
        try:
            with conn.transaction():
                conn.execute(
                    sql.SQL(
                        "create function pg_temp.{}({}) returns {} language plpgsql as"
                        " $b$ begin perform pg_temp.spy({}); return null; end $b$"
                    ).format(
                        sql.Identifier(name),
                        sql.SQL(args),
                        sql.SQL(result),
                        sql.Literal(f"function {name}"),
                    )
                )
            made += 1
        except psycopg.Error:
            pass  # not every catalog signature can be declared in plpgsql
    operators = conn.execute(
        """
        select o.oprname::text, o.oprleft::regtype::text, o.oprright::regtype::text,
            o.oprresult::regtype::text
        from pg_catalog.pg_operator as o
        where o.oprnamespace in ('pg_catalog'::regnamespace, 'public'::regnamespace)
            and o.oprleft <> 0 and o.oprright <> 0
            and o.oprleft::regtype::text = any(%(types)s)
            and o.oprright::regtype::text = any(%(types)s)
        """,
        {"types": [t.replace("public.", "") for t in HOSTILE_TYPES]},
    ).fetchall()
    for i, (name, left, right, result) in enumerate(operators):
        left_t, right_t, result_t = (
            "public.vector" if t == "vector" else t for t in (left, right, result)
        )
        try:
            with conn.transaction():
                conn.execute(
                    f"create function pg_temp.spy_op_{i}(l {left_t}, r {right_t})"
                    f" returns {result_t} language plpgsql as $b$ begin"
                    f" perform pg_temp.spy('operator {name}'); return null; end $b$"
                )
                conn.execute(
                    f"create operator pg_temp.{name} (leftarg = {left_t}, rightarg = {right_t},"
                    f" function = pg_temp.spy_op_{i})"
                )
            made += 1
        except psycopg.Error:
            pass
    return made


def _arm_temp_relations(conn: psycopg.Connection) -> int:
    """Temp views named like every relation of schema pgcortex, reading through the spy."""
    made = 0
    for (name,) in conn.execute(
        "select c.relname::text from pg_catalog.pg_class as c"
        " where c.relnamespace = 'pgcortex'::regnamespace and c.relkind in ('r', 'v', 'p')"
    ).fetchall():
        conn.execute(
            sql.SQL(
                "create temp view {} as select * from (values (pg_temp.spy({}))) as v (spied)"
            ).format(sql.Identifier(name), sql.Literal(f"relation {name}"))
        )
        made += 1
    return made


def _arm_temp_text_search(conn: psycopg.Connection) -> int:
    """Text search configurations named like the built-in ones, that find no word.

    A body whose config name ('english', 'simple') resolved into pg_temp would index
    and search nothing: its results would differ.
    """
    made = 0
    for (name,) in conn.execute(
        "select c.cfgname::text from pg_catalog.pg_ts_config as c"
        " where c.cfgnamespace = 'pg_catalog'::regnamespace"
    ).fetchall():
        conn.execute(
            sql.SQL(
                "create text search configuration pg_temp.{} (parser = pg_catalog.default)"
            ).format(sql.Identifier(name))
        )
        made += 1
    return made


#: Per kind of object, statements that do reach one (each reports once): the spies
#: are armed, and the matrix run below would see them if a body could.
PROBES: dict[str, list[str]] = {
    "_arm_temp_domains": ["select 'x'::text", "select 'sky'::pgcortex.namespace_name::text"],
    "_arm_temp_types_and_casts": ["select ('x'::pg_catalog.text)::text"],
    "_arm_temp_functions_and_operators": [
        "select pg_temp.length('x'::pg_catalog.text)",
        "select 1::pg_catalog.int4 operator(pg_temp.=) 1::pg_catalog.int4",
    ],
    "_arm_temp_relations": ["select * from memories"],
    "_arm_temp_text_search": [
        "select pg_temp.spy('text search') where"
        " pg_catalog.to_tsvector('pg_temp.english', 'launch codes') = ''::pg_catalog.tsvector"
    ],
}


def _spy_reports(conn: psycopg.Connection) -> list[str]:
    reports: list[str] = []

    def on_notice(diag: psycopg.errors.Diagnostic) -> None:
        if diag.message_primary and diag.message_primary.startswith(SPY_TAG):
            reports.append(diag.message_primary)

    conn.add_notice_handler(on_notice)
    return reports


def _run_spied(
    dsn: str, world: dict[str, Any], arm: Any
) -> tuple[int, dict[tuple[str, int], Any], dict[str, set[str]]]:
    """A fresh session of the app login: arm its pg_temp, run the matrix, collect reports."""
    with connect_as(dsn, "a") as conn:
        # The caller's own statements resolve built-ins first, so the spies can
        # only fire inside the API functions.
        conn.execute("set search_path = pg_catalog, public, pg_temp")
        conn.execute(_SPY)
        made = arm(conn)
        # Armed: a statement that does look in pg_temp first reaches a spy.
        reports = _spy_reports(conn)
        for probe in PROBES[arm.__name__]:
            with conn.transaction(force_rollback=True):
                conn.execute("set local search_path = ''")
                conn.execute(probe)
        assert len(reports) == len(PROBES[arm.__name__]), "the temp objects are not armed"
        reports.clear()
        conn.autocommit = False
        seen: dict[str, set[str]] = {}
        results: dict[tuple[str, int], Any] = {}
        for name, calls in sorted(MATRIX.items()):
            for i, call in enumerate(calls):
                one = _run_calls_only(conn, world, name, i, call)
                results[(name, i)] = one
                for report in reports:
                    seen.setdefault(report.removeprefix(SPY_TAG).strip(), set()).add(name)
                reports.clear()
        conn.rollback()
    return made, results, seen


def _run_calls_only(
    conn: psycopg.Connection, world: dict[str, Any], name: str, i: int, call: str
) -> Any:
    norm = _normaliser(world)
    try:
        with conn.transaction(force_rollback=True), conn.cursor(row_factory=dict_row) as cur:
            cur.execute(call, world)
            return ("rows", norm(cur.fetchall() if cur.description else []))
    except psycopg.Error as exc:
        return ("error", exc.sqlstate, norm(exc.diag.message_primary or ""))


@pytest.mark.parametrize(
    "arm",
    [
        _arm_temp_domains,
        _arm_temp_types_and_casts,
        _arm_temp_functions_and_operators,
        _arm_temp_relations,
        _arm_temp_text_search,
    ],
    ids=["domains", "types-and-casts", "functions-and-operators", "relations", "text-search"],
)
def test_no_object_of_the_callers_temp_schema_runs_inside_the_api(
    db: psycopg.Connection, world: dict[str, Any], arm: Any
) -> None:
    """As a non-superuser app login with TEMP: every API call, with a spying object in
    pg_temp named like every type, function, operator and relation a body could use."""
    with login_role(db, temp=True) as (_, dsn):
        with connect_as(dsn, "a") as conn:
            conn.autocommit = False
            clean = {
                (name, i): _run_calls_only(conn, world, name, i, call)
                for name, calls in sorted(MATRIX.items())
                for i, call in enumerate(calls)
            }
            conn.rollback()
        made, hostile, seen = _run_spied(dsn, world, arm)
    assert made > 10
    assert len(clean) >= 80
    summary = {what: sorted(functions) for what, functions in sorted(seen.items())}
    assert summary == {}, (
        f"caller's temp objects ran inside {len({f for fs in seen.values() for f in fs})}"
        f" API functions: {summary}"
    )
    diff = {k: (clean[k], hostile.get(k)) for k in clean if clean[k] != hostile.get(k)}
    assert diff == {}, f"{len(diff)} calls behave differently with a hostile pg_temp"
