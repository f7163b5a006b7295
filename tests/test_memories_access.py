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


def test_tracked_read_commits_without_flush_wait_and_stores_stay_durable(
    db_dsn: str,
) -> None:
    """A tracked read that wrote nothing else turns synchronous_commit off for its own
    transaction; a store in the same transaction turns it back on; a store never has it
    off; after commit the session setting is untouched."""
    with psycopg.connect(db_dsn) as conn:
        conn.execute("set pgcortex.namespace = 'default'")
        stored = conn.execute(
            "select id from pgcortex.store_memory(content => 'Durable fact', "
            "memory_type => 'business_fact')"
        ).fetchone()
        assert stored is not None
        # A store tracks its duplicates' access, but it has written first: still on.
        assert conn.execute("show synchronous_commit").fetchone() == ("on",)
        conn.commit()
        conn.execute(
            "select * from pgcortex.get_memory(memory_id => %s, track => true)", (stored[0],)
        )
        assert conn.execute("show synchronous_commit").fetchone() == ("off",)
        conn.execute(
            "select * from pgcortex.store_memory(content => 'Another durable fact', "
            "memory_type => 'business_fact')"
        )
        assert conn.execute("show synchronous_commit").fetchone() == ("on",)
        conn.commit()
        assert conn.execute("show synchronous_commit").fetchone() == ("on",)
        conn.commit()
        # Untracked reads write nothing and change nothing.
        conn.execute(
            "select * from pgcortex.get_memory(memory_id => %s, track => false)", (stored[0],)
        )
        assert conn.execute("show synchronous_commit").fetchone() == ("on",)
        conn.rollback()
        # A session that chose off keeps off.
        conn.execute("set synchronous_commit = off")
        conn.commit()
        conn.execute(
            "select * from pgcortex.store_memory(content => 'Third fact', "
            "memory_type => 'business_fact')"
        )
        assert conn.execute("show synchronous_commit").fetchone() == ("off",)
        conn.commit()


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
    """A probe (a deferred trigger on the access log that fires after pgcortex's own
    commit-time check) reports synchronous_commit as the commit record will see it:
    off only when the transaction did nothing but tracking, on after any other write
    to any table."""
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
        conn.execute(
            "select count(*) from pgcortex.get_memory(memory_id => %(m)s, track => true)", params
        )
        for stmt in AFTER_TRACKED_READ[then]:
            conn.execute(stmt, params)
        conn.commit()
        assert conn.execute("show synchronous_commit").fetchone() == ("on",)
    at_commit = {m.removeprefix("probe synchronous_commit=") for m in seen if "probe" in m}
    expected = "off" if then in ("nothing (tracking only)", "a second tracked read") else "on"
    assert at_commit == {expected}
