"""Shared helpers of the security and reliability tests: seed data, checksums, a login role.

Not a test module: imported by tests/test_security_*.py and tests/test_reliability_*.py.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from tests.conftest import make_dsn

APP_ROLE = "pgcortex_app"
OWNER_ROLE = "pgcortex_owner"


def unit_vector(seed: int, dims: int = 384) -> str:
    """A deterministic unit vector as pgvector text."""
    rnd = random.Random(seed)
    values = [rnd.gauss(0.0, 1.0) for _ in range(dims)]
    norm = math.sqrt(sum(v * v for v in values))
    return "[" + ",".join(f"{v / norm:.6f}" for v in values) + "]"


def seed_namespace(
    conn: psycopg.Connection, namespace: str, tag: str, model: str = "test-model"
) -> dict[str, Any]:
    """Rows in every v1 table of ``namespace``, written as a superuser (RLS bypassed).

    Some values are the same in every namespace ("shared ..."): dedup keys, cluster
    names, preference keys and pattern descriptions that collide across tenants.
    """
    ids: dict[str, Any] = {}

    def one(query: str, *params: Any) -> Any:
        row = conn.execute(query, params).fetchone()
        assert row is not None
        return row[0]

    ids["m_shared"] = one(
        "insert into pgcortex.memories (namespace, content, memory_type, tags, metadata,"
        " embedding, embedding_model) values (%s, 'shared fact: the sky is blue',"
        " 'business_fact', '{shared}', '{\"k\": 1}', %s, %s) returning id",
        namespace,
        unit_vector(1),
        model,
    )
    ids["m_private"] = one(
        "insert into pgcortex.memories (namespace, content, memory_type, tags, embedding,"
        " embedding_model) values (%s, %s, 'technical_knowledge', %s, %s, %s)"
        " returning id",
        namespace,
        f"private fact of {tag}: the launch code is {tag}-1234",
        [tag, "private"],
        unit_vector(len(tag) * 7 + 10),
        model,
    )
    ids["vec_private"] = unit_vector(len(tag) * 7 + 10)
    ids["m_text"] = one(
        "insert into pgcortex.memories (namespace, content, memory_type, importance)"
        " values (%s, %s, 'user_preference', 5) returning id",
        namespace,
        f"{tag} prefers concise answers",
    )
    conn.execute(
        "insert into pgcortex.memory_access (namespace, memory_id, access_count)"
        " values (%s, %s, 7)",
        (namespace, ids["m_shared"]),
    )
    conn.execute(
        "insert into pgcortex.memory_links (namespace, source_id, target_id, relation, weight)"
        " values (%s, %s, %s, 'supports', 0.5)",
        (namespace, ids["m_shared"], ids["m_private"]),
    )
    ids["cluster"] = one(
        "insert into pgcortex.knowledge_clusters (namespace, name, topics, member_count)"
        " values (%s, 'shared cluster', '{sky}', 1) returning id",
        namespace,
    )
    conn.execute(
        "insert into pgcortex.cluster_members (namespace, cluster_id, memory_id, similarity)"
        " values (%s, %s, %s, 0.9)",
        (namespace, ids["cluster"], ids["m_shared"]),
    )
    ids["pattern"] = one(
        "insert into pgcortex.learning_patterns (namespace, pattern_type, description,"
        " frequency) values (%s, 'preference', 'shared: likes tea', 3) returning pattern_id",
        namespace,
    )
    conn.execute(
        "insert into pgcortex.user_preferences (namespace, key, value, confidence)"
        " values (%s, 'theme', %s, 0.8)",
        (namespace, Jsonb(f"{tag}-theme")),
    )
    ids["session"] = one(
        "insert into pgcortex.conversation_sessions (namespace, topics, message_count, metadata)"
        " values (%s, '{sky}', 2, '{\"session_key\": \"shared-key\"}') returning session_id",
        namespace,
    )
    for role, content in (("user", "what colour is the sky?"), ("assistant", f"blue, {tag}")):
        conn.execute(
            "insert into pgcortex.conversation_turns (namespace, session_id, role, content)"
            " values (%s, %s, %s, %s)",
            (namespace, ids["session"], role, content),
        )
    return ids


def namespaced_tables(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "select c.relname from pg_catalog.pg_class as c"
        " join pg_catalog.pg_attribute as a on a.attrelid = c.oid and a.attname = 'namespace'"
        " where c.relnamespace = 'pgcortex'::regnamespace and c.relkind in ('r', 'p')"
        " order by 1"
    ).fetchall()
    return [r[0] for r in rows]


def all_tables(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "select c.relname from pg_catalog.pg_class as c"
        " where c.relnamespace = 'pgcortex'::regnamespace and c.relkind in ('r', 'p')"
        " order by 1"
    ).fetchall()
    return [r[0] for r in rows]


def table_checksums(conn: psycopg.Connection) -> dict[str, tuple[int, str]]:
    """Row count and md5 of every row (sorted) of every pgcortex table, as a superuser."""
    out: dict[str, tuple[int, str]] = {}
    for name in all_tables(conn):
        query = sql.SQL(
            "select count(*), coalesce(md5(string_agg(t::text, E'\\n' order by t::text)), '')"
            " from pgcortex.{} as t"
        ).format(sql.Identifier(name))
        row = conn.execute(query).fetchone()
        assert row is not None
        out[name] = (int(row[0]), str(row[1]))
    return out


def namespace_row_counts(conn: psycopg.Connection, namespace: str) -> dict[str, int]:
    """Rows of ``namespace`` per namespaced table, as a superuser."""
    out: dict[str, int] = {}
    for name in namespaced_tables(conn):
        query = sql.SQL("select count(*) from pgcortex.{} where namespace = %s").format(
            sql.Identifier(name)
        )
        row = conn.execute(query, (namespace,)).fetchone()
        assert row is not None
        out[name] = int(row[0])
    return out


@contextmanager
def login_role(
    conn: psycopg.Connection,
    member_of: str = APP_ROLE,
    bind: str | None = "*",
    *,
    temp: bool = False,
) -> Iterator[tuple[str, str]]:
    """A throwaway non-superuser login role, member of ``member_of``: yields (name, dsn).

    It is bound to ``bind`` ('*': every namespace, a trusted multi-tenant service;
    None: no binding, which a fail-closed deployment refuses). Without TEMP on the
    test's database unless ``temp`` (the least privilege a tenant's login needs,
    docs/reliability.md): TEMP is revoked from PUBLIC on this test's clone and
    granted to the role only when asked for.
    """
    name = f"pgcortex_t_{uuid.uuid4().hex[:10]}"
    conn.execute(
        sql.SQL("create role {} login nosuperuser nobypassrls in role {}").format(
            sql.Identifier(name), sql.Identifier(member_of)
        )
    )
    if bind is not None:
        conn.execute(
            "insert into pgcortex.namespace_bindings (role_name, bound_namespace) values (%s, %s)",
            (name, bind),
        )
    dbname = conn.info.dbname
    conn.execute(
        sql.SQL("revoke temporary on database {} from public").format(sql.Identifier(dbname))
    )
    # What the deploy grants the owner (900_privileges.sql): database privileges are
    # not copied from the template into this test's clone.
    conn.execute(
        sql.SQL("grant temporary on database {} to pgcortex_owner").format(sql.Identifier(dbname))
    )
    if temp:
        conn.execute(
            sql.SQL("grant temporary on database {} to {}").format(
                sql.Identifier(dbname), sql.Identifier(name)
            )
        )
    try:
        yield name, make_dsn(dbname, user=name)
    finally:
        conn.execute("delete from pgcortex.namespace_bindings where role_name = %s", (name,))
        conn.execute(
            "select pg_catalog.pg_terminate_backend(pid) from pg_catalog.pg_stat_activity"
            " where usename = %s",
            (name,),
        )
        conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("drop role {}").format(sql.Identifier(name)))


def connect_as(dsn: str, namespace: str | None) -> psycopg.Connection:
    """An autocommit psycopg connection with ``pgcortex.namespace`` set (or not)."""
    options = f"-c pgcortex.namespace={namespace}" if namespace else ""
    return psycopg.connect(dsn, autocommit=True, options=options)
