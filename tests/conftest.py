"""Real PostgreSQL for every test: one server per session, a template database cloned per test."""

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo
from typer.testing import CliRunner

from matcher import db, embedding
from matcher.cli import app
from matcher.config import Settings, get_settings
from matcher.seed import load_seeds

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = ROOT / "tests" / "data"
MATCHER_BIN = Path(sys.executable).parent / "matcher"
pytest_plugins = ["tests.smtp"]  # the `smtp` fixture: a real SMTP server in-process


@pytest.fixture(scope="session")
def admin_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A maintenance URL: MATCHER_TEST_DATABASE_URL's server, or an embedded one for this session."""
    given = os.environ.get("MATCHER_TEST_DATABASE_URL")
    if given:
        return given
    return db.start_embedded(tmp_path_factory.mktemp("pg"))


def create_database(admin: str, name: str, template: str | None = None) -> str:
    """Creates a database (optionally cloned from a template) and returns its URL."""
    with psycopg.connect(make_conninfo(admin, dbname="postgres"), autocommit=True) as conn:
        query = sql.SQL("create database {}").format(sql.Identifier(name))
        if template:
            query = sql.SQL("create database {} template {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        conn.execute(query)
    return make_conninfo(admin, dbname=name)


def drop_database(admin: str, name: str) -> None:
    """Drops a database, closing whatever is still connected."""
    with psycopg.connect(make_conninfo(admin, dbname="postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def _template(admin: str, name: str, seeded: bool) -> Iterator[str]:
    drop_database(admin, name)
    url = create_database(admin, name)
    db.ensure_vector_extension(url)
    with psycopg.connect(url) as conn:
        db.migrate(conn)
        if seeded:
            db.configure_connection(conn)
            load_seeds(conn, ROOT / "seeds")
            embedding.sync(conn, embedding.EmbeddingSpec.from_settings(Settings()))
    yield name
    drop_database(admin, name)


@pytest.fixture(scope="session")
def empty_template(admin_url: str) -> Iterator[str]:
    """A migrated, empty database to clone."""
    yield from _template(admin_url, f"tmpl_empty_{os.getpid()}", seeded=False)


@pytest.fixture(scope="session")
def seeded_template(admin_url: str) -> Iterator[str]:
    """A migrated database holding the demo data, to clone."""
    yield from _template(admin_url, f"tmpl_seeded_{os.getpid()}", seeded=True)


def _clone(admin: str, template: str) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = create_database(admin, name, template)
    yield url
    drop_database(admin, name)


@pytest.fixture
def database_url(admin_url: str, empty_template: str) -> Iterator[str]:
    """A fresh, migrated, empty database of this test's own."""
    yield from _clone(admin_url, empty_template)


@pytest.fixture
def seeded_database_url(admin_url: str, seeded_template: str) -> Iterator[str]:
    """A fresh database of this test's own holding the demo data."""
    yield from _clone(admin_url, seeded_template)


def _settings(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("MATCHER_DATABASE_URL", url)
    monkeypatch.setenv("MATCHER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MATCHER_DEMO", "1")  # the test databases hold the demo and its accounts
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings pointing at this test's empty database (also seen by the CLI)."""
    yield from _settings(database_url, tmp_path, monkeypatch)


@pytest.fixture
def seeded_settings(
    seeded_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """Settings pointing at this test's demo database (also seen by the CLI)."""
    yield from _settings(seeded_database_url, tmp_path, monkeypatch)


@pytest.fixture
def conn(settings: Settings) -> Iterator[psycopg.Connection]:
    """A connection to this test's empty database."""
    with db.connect(settings) as connection:
        yield connection


@pytest.fixture
def seeded_conn(seeded_settings: Settings) -> Iterator[psycopg.Connection]:
    """A connection to this test's demo database."""
    with db.connect(seeded_settings) as connection:
        yield connection


class Cli:
    """Runs `matcher` in-process, as a user would type it."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str) -> "CliResult":
        result = self.runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)


class CliResult:
    """Exit code and output of one command."""

    def __init__(self, exit_code: int, stdout: str, stderr: str) -> None:
        self.exit_code, self.stdout, self.stderr = exit_code, stdout, stderr


@pytest.fixture
def cli(settings: Settings) -> Cli:
    """The CLI against this test's empty database."""
    return Cli()


@pytest.fixture
def seeded_cli(seeded_settings: Settings) -> Cli:
    """The CLI against this test's demo database."""
    return Cli()


def run_matcher(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Runs the installed `matcher` console script in a real subprocess."""
    return subprocess.run(
        [str(MATCHER_BIN), *args], env=os.environ | env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def wamnet_file() -> Path:
    """The directory of the real WAM NET open-data files."""
    path = TEST_DATA / "wamnet-202503"
    assert path.is_dir(), f"WAM NET data not found at {path}"
    return path


def copy_to(tmp_path: Path, source: Path) -> Path:
    """A copy of a file under tmp_path."""
    target = tmp_path / source.name
    shutil.copy(source, target)
    return target


def active_placement(
    conn: psycopg.Connection,
    settings: Settings,
    *,
    actor: str,
    consent_date: date,
    host_note: str,
    frequency: str,
    rating: int,
    note: str,
) -> int:
    """Demo profile p02 consents, is placed at r02, referred and taken to 利用中 with a 1-month follow-up,
    every step through the services (so written to the audit log); the placement's id. Not committed."""
    from matcher.core.vocabulary import Consent
    from matcher.placements.service import advance, confirm, record_followup
    from matcher.profiles.service import set_consent

    set_consent(conn, profile_id="p02", consent=Consent.full, consent_date=consent_date, actor=actor)
    placement = confirm(conn, settings, profile_id="p02", resource_id="r02", actor=actor)
    advance(conn, placement_id=placement.id, action="refer", actor=actor, host_note=host_note)
    advance(conn, placement_id=placement.id, action="activate", actor=actor, override_reason="電話で調整済み")
    conn.execute("update placement set started_at = now() - interval '35 days' where id = %s", [placement.id])
    record_followup(
        conn,
        placement_id=placement.id,
        month=1,
        still_participating=True,
        frequency=frequency,
        rating=rating,
        note=note,
        actor=actor,
    )
    return placement.id


def add_night_owl(conn: psycopg.Connection) -> str:
    """Adds a copy of demo profile p02 free only on Sundays 2:00–4:00, whom every listing fails on the
    schedule; returns its id."""
    from matcher.profiles.model import NeedsProfile
    from matcher.profiles.store import get_profile, save_profiles

    night_owl = get_profile(conn, profile_id="p02").model_dump() | {  # type: ignore[union-attr]
        "id": "p-night",
        "availability": [{"day": "sun", "start": "02:00", "end": "04:00"}],
    }
    save_profiles(conn, [NeedsProfile.model_validate(night_owl)])
    return "p-night"
