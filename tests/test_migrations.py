"""Migrations: every one applies to an empty database, and applying again changes nothing."""

import psycopg

from matcher import db
from tests.conftest import create_database, drop_database

SCHEMA = """
select table_name, column_name, data_type, is_nullable
from information_schema.columns where table_schema = 'public'
order by table_name, column_name
"""


def test_every_migration_applies_to_an_empty_database(admin_url: str) -> None:
    url = create_database(admin_url, "migration_test_empty")
    try:
        db.ensure_vector_extension(url)
        with psycopg.connect(url) as conn:
            applied = db.migrate(conn)
            assert applied == [path.name for _version, path in db.migration_files()]
            tables = {row[0] for row in conn.execute(SCHEMA)}
            assert {"resource", "needs_profile", "schema_migration"} <= tables
            schema = conn.execute(SCHEMA).fetchall()
            assert db.migrate(conn) == []
            assert conn.execute(SCHEMA).fetchall() == schema
            versions = [row[0] for row in conn.execute("select version from schema_migration order by 1")]
            assert versions == [version for version, _path in db.migration_files()]
    finally:
        drop_database(admin_url, "migration_test_empty")


def test_migration_files_are_numbered_without_gaps() -> None:
    versions = [version for version, _path in db.migration_files()]
    assert versions == list(range(1, len(versions) + 1))
