"""Access tracking: exact counts under concurrency, no row locks between readers, no
rewrite of the memory row, the flush that runs by itself, read-only searches."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from pgcortex import Client
from tests.test_memories_store import MODEL, unit


async def test_exact_counts_after_16_concurrent_searches(
    client: Client, db: psycopg.Connection
) -> None:
    target = await client.store_memory(
        "The quarterly board meeting is in Lisbon",
        "business_fact",
        embedding=unit(1),
        embedding_model=MODEL,
    )
    other = await client.store_memory(
        "Unrelated fact about parking",
        "business_fact",
        embedding=unit(2),
        embedding_model=MODEL,
    )
    ctid_before = db.execute(
        "select ctid, xmin::text from pgcortex.memories where id = %s", (target.id,)
    ).fetchone()

    async def search() -> list[object]:
        hits = await client.search_memories(
            "board meeting Lisbon", query_embedding=unit(1), embedding_model=MODEL, k=1
        )
        assert [h.id for h in hits] == [target.id]
        return list(hits)

    await asyncio.gather(*(search() for _ in range(16)))
    m = await client.retrieve_memory(target.id)  # a get counts too: 17
    assert m.access_count == 17
    assert (await client.retrieve_memory(other.id, track=False)).access_count == 0
    # Reads rewrote nothing in the memory row (no new version, no index entries).
    ctid_after = db.execute(
        "select ctid, xmin::text from pgcortex.memories where id = %s", (target.id,)
    ).fetchone()
    assert ctid_after == ctid_before
    # Folding the log changes no count.
    report = await client.flush_memory_access()
    assert report.flushed_rows == 17
    assert report.remaining_rows == 0
    after = await client.retrieve_memory(target.id, track=False)
    assert after.access_count == 17
    assert after.last_accessed >= m.last_accessed
    view = db.execute(
        "select access_count from pgcortex.memories_v where id = %s", (target.id,)
    ).fetchone()
    assert view == (17,)


async def test_read_only_search_writes_nothing(client: Client, db: psycopg.Connection) -> None:
    stored = await client.store_memory("Read me without a trace", "business_fact")
    for _ in range(3):
        assert await client.search_memories("trace", k=5, track=False)
        await client.retrieve_memory(stored.id, track=False)
    assert db.execute("select count(*) from pgcortex.memory_access_log").fetchone() == (0,)
    assert (await client.retrieve_memory(stored.id, track=False)).access_count == 0


def test_concurrent_readers_take_no_row_locks(db: psycopg.Connection, db_dsn: str) -> None:
    """A tracked search in an open transaction does not make another one wait."""
    db.execute(
        "select * from pgcortex.store_memory(content => 'Shared memory', "
        "memory_type => 'business_fact')"
    )
    with psycopg.connect(db_dsn) as first, psycopg.connect(db_dsn) as second:
        for conn in (first, second):
            conn.execute("set pgcortex.namespace = 'test'")
            conn.execute("set lock_timeout = '2s'")
        first.execute("select * from pgcortex.search_memories(query_text => 'shared', k => 1)")
        # first's transaction is still open; second reads and counts the same memory.
        rows = second.execute(
            "select * from pgcortex.search_memories(query_text => 'shared', k => 1)"
        ).fetchall()
        assert len(rows) == 1
        second.commit()
        first.commit()
    row = db.execute("select access_count from pgcortex.memories_v").fetchone()
    assert row == (2,)


def test_flush_runs_by_itself(db: psycopg.Connection) -> None:
    """Every 2000 logged reads, the reader that crosses the mark folds the log."""
    db.execute(
        "select * from pgcortex.store_memory(content => 'Popular memory', "
        "memory_type => 'business_fact')"
    )
    mid = db.execute("select id from pgcortex.memories").fetchone()
    assert mid is not None
    for _ in range(3):
        db.execute("select pgcortex.track_access(array_fill(%s::uuid, array[900]))", (mid[0],))
    folded = db.execute("select access_count from pgcortex.memory_access").fetchone()
    pending = db.execute("select count(*) from pgcortex.memory_access_log").fetchone()
    assert folded is not None
    assert pending is not None
    assert folded[0] > 0  # a flush happened without anyone calling it
    assert folded[0] + pending[0] == 2700
    row = db.execute("select access_count from pgcortex.memories_v").fetchone()
    assert row == (2700,)


def test_unknown_ids_are_not_logged(db: psycopg.Connection) -> None:
    """track_access counts this namespace's memories only: an unknown id adds no
    log row (it could only sit there until a flush dropped it)."""
    db.execute(
        "select * from pgcortex.store_memory(content => 'Known memory', "
        "memory_type => 'business_fact')"
    )
    mid = db.execute("select id from pgcortex.memories").fetchone()
    assert mid is not None
    row = db.execute(
        "select pgcortex.track_access(array[%s::uuid, gen_random_uuid(), gen_random_uuid()])",
        (mid[0],),
    ).fetchone()
    assert row == (1,)
    assert db.execute("select count(*) from pgcortex.memory_access_log").fetchone() == (1,)


def test_other_namespace_counts_apart(db: psycopg.Connection, db_dsn: str) -> None:
    db.execute(
        "select * from pgcortex.store_memory(content => 'Namespaced', "
        "memory_type => 'business_fact')"
    )
    with psycopg.connect(db_dsn) as other:
        other.execute("set pgcortex.namespace = 'other'")
        assert other.execute(
            "select count(*) from pgcortex.search_memories(query_text => 'namespaced', k => 5)"
        ).fetchone() == (0,)
        other.commit()
    assert db.execute("select access_count from pgcortex.memories_v").fetchone() == (0,)


def wal_records_of(db: psycopg.Connection, start_lsn: str, xid: str | None) -> int:
    """WAL records of data the transaction ``xid`` wrote since ``start_lsn``
    (pg_walinspect): its commit record left out, and what any read may write (a page
    pruned on access, a page image for hint bits). PostgreSQL commits a transaction
    that wrote no WAL without waiting for a flush, and waits (synchronous_commit on)
    for one that wrote any."""
    if xid is None:
        return 0
    db.execute("create extension if not exists pg_walinspect")
    row = db.execute(
        "select count(*) from pg_get_wal_records_info(%s::pg_lsn, pg_current_wal_insert_lsn())"
        " where xid::text::bigint = %s::bigint %% 4294967296"
        " and resource_manager <> 'Transaction'"
        " and (resource_manager, record_type) not in (('Heap2', 'PRUNE_ON_ACCESS'),"
        " ('XLOG', 'FPI_FOR_HINT'))",
        (start_lsn, xid),
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_tracked_reads_write_no_wal_and_leave_synchronous_commit_alone(
    db: psycopg.Connection, db_dsn: str
) -> None:
    """The access log is unlogged: a transaction that only counts accesses writes no WAL
    (so it commits without a flush wait, by PostgreSQL's own rule); a store in the same
    transaction writes WAL (so it commits durably); synchronous_commit is never touched."""
    row = db.execute(
        "select relpersistence from pg_class where oid = 'pgcortex.memory_access_log'::regclass"
    ).fetchone()
    assert row == ("u",)
    with psycopg.connect(db_dsn) as conn:
        conn.execute("set pgcortex.namespace = 'test'")
        stored = conn.execute(
            "select id from pgcortex.store_memory(content => 'Durable fact', "
            "memory_type => 'business_fact')"
        ).fetchone()
        assert stored is not None
        conn.commit()
        for then_store, wrote in ((False, False), (True, True)):
            lsn = conn.execute("select pg_current_wal_insert_lsn()::text").fetchone()
            assert lsn is not None
            conn.execute(
                "select * from pgcortex.get_memory(memory_id => %s, track => true)", (stored[0],)
            )
            if then_store:
                conn.execute(
                    "select * from pgcortex.store_memory(content => 'Another durable fact', "
                    "memory_type => 'business_fact')"
                )
            assert conn.execute("show synchronous_commit").fetchone() == ("on",)
            xid = conn.execute("select pg_current_xact_id_if_assigned()::text").fetchone()
            assert xid is not None
            assert xid[0] is not None  # the log insert took one
            conn.commit()
            assert (wal_records_of(db, lsn[0], xid[0]) > 0) is wrote
        assert conn.execute("show synchronous_commit").fetchone() == ("on",)
        row = conn.execute(
            "select access_count from pgcortex.get_memory(memory_id => %s, track => false)",
            (stored[0],),
        ).fetchone()
        assert row == (2,)
        conn.rollback()


def test_track_access_takes_at_most_10000_ids(db: psycopg.Connection) -> None:
    """One call cannot write a flood of log rows: over 10000 ids is PC004, nothing logged."""
    db.execute(
        "select * from pgcortex.store_memory(content => 'Capped memory', "
        "memory_type => 'business_fact')"
    )
    mid = db.execute("select id from pgcortex.memories").fetchone()
    assert mid is not None
    with pytest.raises(psycopg.Error) as info:
        db.execute("select pgcortex.track_access(array_fill(%s::uuid, array[10001]))", (mid[0],))
    assert info.value.sqlstate == "PC004"
    assert "at most 10000" in str(info.value)
    assert db.execute("select count(*) from pgcortex.memory_access_log").fetchone() == (0,)
    assert db.execute("select count(*) from pgcortex.memory_access").fetchone() == (0,)
    row = db.execute(
        "select pgcortex.track_access(array_fill(%s::uuid, array[10000]))", (mid[0],)
    ).fetchone()
    assert row == (10000,)


def test_a_batch_reinforcing_more_than_10000_memories_still_counts_each(
    db: psycopg.Connection,
) -> None:
    """store_memories counts an access of every memory it reinforces, in slices of
    10000 (the cap of track_access)."""
    db.execute(
        "select count(*) from pgcortex.store_memories("
        " contents => array(select 'fact ' || g from generate_series(1, 10050) as g),"
        " memory_types => array_fill('business_fact'::text, array[10050]), dedup_near => false)"
    )
    row = db.execute(
        "select count(*) filter (where s.action = 'updated')"
        " from pgcortex.store_memories("
        " contents => array(select 'fact ' || g from generate_series(1, 10050) as g),"
        " memory_types => array_fill('business_fact'::text, array[10050]), dedup_near => false)"
        " as s"
    ).fetchone()
    assert row == (10050,)
    total = db.execute("select sum(access_count) from pgcortex.memories_v").fetchone()
    assert total == (10050,)


# What each transaction does after a tracked get_memory, before its commit.
AFTER_TRACKED_READ = {
    "nothing (tracking only)": [],
    "a second tracked read": [
        "select count(*) from pgcortex.get_memory(memory_id => %(m)s, track => true)"
    ],
    "learn_user_preference": [
        "select count(*) from pgcortex.learn_user_preference(key => 'theme', value => '\"dark\"')"
    ],
    "link_memories": [
        "select count(*) from pgcortex.link_memories(source_id => %(m)s, target_id => %(m2)s)"
    ],
    "start_session": ["select count(*) from pgcortex.start_session()"],
    "end_session": ["select count(*) from pgcortex.end_session(session_id => %(s)s)"],
    "store_memory": [
        "select count(*) from pgcortex.store_memory(content => 'new fact',"
        " memory_type => 'business_fact')"
    ],
    "an insert into the caller's own table": ["insert into user_audit values ('read')"],
    "an update of the caller's own table": ["update user_audit set what = what"],
    "a delete from the caller's own table": ["delete from user_audit"],
    "a temp table write": ["create temp table scratch (x int)", "insert into scratch values (1)"],
    "DDL only": ["create table user_later (x int)"],
    "a truncate of the caller's own table": ["truncate user_audit"],
    "a write in the same statement": [
        "insert into user_audit"
        " select g.content from pgcortex.get_memory(memory_id => %(m)s, track => true) as g"
    ],
}


@pytest.mark.parametrize("then", list(AFTER_TRACKED_READ), ids=list(AFTER_TRACKED_READ))
def test_only_a_tracking_only_transaction_commits_asynchronously(
    db: psycopg.Connection, db_dsn: str, then: str
) -> None:
    """What a transaction writes to the WAL decides how PostgreSQL commits it: counting
    accesses writes none (the log is unlogged), any other write to any table (pgcortex
    functions, the caller's own tables, temp tables and DDL through the catalogs,
    truncate, the same statement) writes some. A probe (a deferred trigger on the
    access log) reads synchronous_commit at commit: never turned off."""
    ids = [
        db.execute(
            "select id from pgcortex.store_memory(content => %s, memory_type => 'business_fact')",
            (text,),
        ).fetchone()
        for text in ("First fact", "Second fact")
    ]
    session = db.execute("select session_id from pgcortex.start_session()").fetchone()
    assert ids[0] is not None
    assert ids[1] is not None
    assert session is not None
    db.execute("create table user_audit (what text)")
    db.execute("insert into user_audit values ('seed')")
    db.execute(
        "create function zz_probe() returns trigger language plpgsql as $$ begin"
        " raise notice 'probe synchronous_commit=%', current_setting('synchronous_commit');"
        " return null; end $$"
    )
    db.execute(
        "create constraint trigger zz_probe after insert on pgcortex.memory_access_log"
        " deferrable initially deferred for each row execute function zz_probe()"
    )
    params = {"m": ids[0][0], "m2": ids[1][0], "s": session[0]}
    seen: list[str] = []
    with psycopg.connect(db_dsn, options="-c pgcortex.namespace=test") as conn:
        conn.add_notice_handler(lambda d: seen.append(d.message_primary or ""))
        lsn = conn.execute("select pg_current_wal_insert_lsn()::text").fetchone()
        assert lsn is not None
        conn.execute(
            "select count(*) from pgcortex.get_memory(memory_id => %(m)s, track => true)", params
        )
        for stmt in AFTER_TRACKED_READ[then]:
            conn.execute(stmt, params)
        xid = conn.execute("select pg_current_xact_id_if_assigned()::text").fetchone()
        assert xid is not None
        conn.commit()
        assert conn.execute("show synchronous_commit").fetchone() == ("on",)
    at_commit = {m.removeprefix("probe synchronous_commit=") for m in seen if "probe" in m}
    assert at_commit == {"on"}
    tracking_only = then in ("nothing (tracking only)", "a second tracked read")
    assert (wal_records_of(db, lsn[0], xid[0]) == 0) is tracking_only
