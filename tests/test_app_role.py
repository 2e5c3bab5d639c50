"""The application runs as a role that owns nothing: the audit log's trigger cannot be switched off."""

import subprocess
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from matcher import db, embedding
from matcher.config import Settings
from matcher.seed import load_seeds
from tests.conftest import MATCHER_BIN, ROOT, create_database, drop_database

ATTACKS = [
    "set session_replication_role = replica",
    "alter table audit_log disable trigger all",
    "drop trigger audit_log_append_only on audit_log",
    "alter table audit_log owner to matcher_app",
    "truncate audit_log",
    "update audit_log set actor = 'someone else'",
    "delete from audit_log",
    "set role matcher_owner",
    "create table stolen (x int)",
]


def matcher(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Runs the installed `matcher` in a subprocess that sees only these variables (and a bare PATH)."""
    return subprocess.run(
        [str(MATCHER_BIN), *args],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def roles(admin_url: str) -> Iterator[tuple[str, str]]:
    """A fresh database with the owner and application roles, as `matcher db create-roles` makes them."""
    name = "app_role_test"
    drop_database(admin_url, name)
    url = create_database(admin_url, name)
    yield db.create_roles(url)
    drop_database(admin_url, name)


def test_the_application_role_cannot_switch_off_or_rewrite_the_audit_log(roles: tuple[str, str]) -> None:
    _owner, app = roles
    with psycopg.connect(app, autocommit=True) as conn:
        assert conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone() == (
            False,
        )
        conn.execute(
            "insert into audit_log (actor, action, entity, entity_id) values ('t', 'test', 'x', '1')"
        )
    for attack in ATTACKS:
        with (
            psycopg.connect(app, autocommit=True) as conn,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            conn.execute(attack)  # type: ignore[arg-type]
    with psycopg.connect(app) as conn:
        assert conn.execute("select count(*) from audit_log").fetchone() == (1,)
        owners = {
            row[0] for row in conn.execute("select tableowner from pg_tables where schemaname = 'public'")
        }
        assert owners == {db.OWNER_ROLE}


def test_the_whole_product_works_as_the_application_role(roles: tuple[str, str]) -> None:
    from matcher.matching.propose import propose
    from matcher.placements.service import confirm

    _owner, app = roles
    settings = Settings(database_url=app)
    with db.connect(settings) as conn:
        load_seeds(conn, ROOT / "seeds")
        assert embedding.sync(conn, embedding.EmbeddingSpec.from_settings(settings)) > 0  # and the HNSW index
        result = propose(conn, settings, profile_id="p19", top=3)
        assert result.proposals
        confirm(conn, settings, profile_id="p19", resource_id=result.proposals[0].candidate.id, actor="test")
        conn.commit()
        assert conn.execute("select count(*) from audit_log where action <> ''").fetchone()[0] > 0
        indexes = [
            r[0]
            for r in conn.execute("select indexname from pg_indexes where tablename = 'resource_embedding'")
        ]
        assert any(name.startswith("resource_embedding_hnsw_") for name in indexes)
        assert embedding.sync(conn, embedding.EmbeddingSpec.from_settings(settings)) == 0


def test_pending_migrations_with_the_application_role_fail_clearly(roles: tuple[str, str]) -> None:
    owner, app = roles
    with psycopg.connect(owner) as conn:
        conn.execute("delete from schema_migration where name = '0012_app_role.sql'")
        conn.execute("drop function ensure_embedding_index(integer)")
    result = matcher("db", "migrate", MATCHER_DATABASE_URL=app)
    assert result.returncode == 1
    assert "権限がありません" in result.stderr and "matcher db migrate" in result.stderr
    migrated = matcher("db", "migrate", MATCHER_DATABASE_URL=app, MATCHER_MIGRATION_DATABASE_URL=owner)
    assert migrated.returncode == 0 and "0012_app_role.sql" in migrated.stdout


def test_create_roles_prints_both_urls_and_can_run_again(admin_url: str, roles: tuple[str, str]) -> None:
    owner, _app = roles
    url = owner.replace(
        f"user={db.OWNER_ROLE}", f"user={conninfo_to_dict(admin_url).get('user', 'postgres')}"
    )
    for _ in range(2):
        result = matcher("db", "create-roles", MATCHER_DATABASE_URL=url)
        assert result.returncode == 0, result.stderr
        assert "MATCHER_MIGRATION_DATABASE_URL=" in result.stdout and "user=matcher_app" in result.stdout
