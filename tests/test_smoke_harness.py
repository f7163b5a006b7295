import psycopg


def test_clone_has_schema(db: psycopg.Connection) -> None:
    row = db.execute("select version from pgcortex.schema_version()").fetchone()
    assert row == (1,)


async def test_client_connects(client) -> None:
    assert client.namespace == "test"
    assert await client.check_schema_version() == 1
