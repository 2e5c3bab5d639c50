"""`matcher backup` and `matcher restore`: a real round trip into a brand-new embedded server,
refusals that leave the database as it was, and the in-place restore a restricted role gets."""

import os
import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import psutil
import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from matcher import backup, db
from matcher.accounts import audit
from matcher.config import Settings
from tests.conftest import active_placement, create_database, drop_database, run_matcher

AUDITED_ACTIONS = {"consent", "confirm", "reserve", "refer", "activate", "followup"}


def make_history(conn: psycopg.Connection, settings: Settings) -> int:
    """A placement taken to 利用中 with a follow-up, every step written to the audit log by the services."""
    placement_id = active_placement(
        conn,
        settings,
        actor="c1",
        consent_date=date(2026, 4, 1),
        host_note="火曜の午後から",
        frequency="週1回",
        rating=4,
        note="続いている",
    )
    conn.commit()
    return placement_id


def contents(url: str) -> dict[str, Any]:
    """Every row of every table (vectors as text), sequence positions and the triggers, to compare."""
    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute("select tablename from pg_tables where schemaname = 'public'")]
        found: dict[str, Any] = {}
        for name in tables:
            rows = conn.execute(sql.SQL("select * from public.{}").format(sql.Identifier(name))).fetchall()
            found[name] = sorted(rows, key=repr)
        for (name,) in conn.execute("select sequencename from pg_sequences where schemaname = 'public'"):
            found[f"sequence {name}"] = conn.execute(
                sql.SQL("select last_value, is_called from public.{}").format(sql.Identifier(name))
            ).fetchone()
        found["triggers"] = sorted(
            conn.execute("select tgrelid::regclass::text, tgname from pg_trigger where not tgisinternal")
        )
        found["extensions"] = sorted(r[0] for r in conn.execute("select extname from pg_extension"))
    return found


def stop_embedded(data_dir: Path) -> None:
    """Stops an embedded server left running under data_dir (fast shutdown), waiting until it has gone."""
    pid_file = data_dir / "pgdata" / "postmaster.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text().split()[0])
    try:
        postmaster = psutil.Process(pid)
        os.kill(pid, signal.SIGINT)
        postmaster.wait(timeout=60)
    except (ProcessLookupError, psutil.NoSuchProcess):
        pass


@contextmanager
def embedded_server_under(data_dir: Path) -> Iterator[Path]:
    """A data directory whose embedded server, whoever started it, is stopped at the end."""
    try:
        yield data_dir
    finally:
        stop_embedded(data_dir)


def leftover_databases(admin_url: str, name: str) -> list[str]:
    with psycopg.connect(make_conninfo(admin_url, dbname="postgres")) as conn:
        pattern = f"{name}\\_restore\\_%"
        return [
            r[0] for r in conn.execute("select datname from pg_database where datname like %s", [pattern])
        ]


def test_a_backup_restores_into_a_fresh_data_directory_with_everything_intact(
    seeded_conn: psycopg.Connection,
    seeded_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    placement_id = make_history(seeded_conn, seeded_settings)
    assert seeded_settings.database_url
    before = contents(seeded_settings.database_url)
    assert {row[3] for row in before["audit_log"]} >= AUDITED_ACTIONS  # (id, at, actor, action, …)
    for table in ("resource", "resource_embedding", "needs_profile", "profile_embedding", "placement"):
        assert before[table], f"{table} is empty: nothing would be compared"
    file = tmp_path / "backups" / "matcher.dump"
    file.parent.mkdir()

    made = run_matcher("backup", str(file), env={})
    assert made.returncode == 0, made.stderr
    assert "バックアップを書き出しました" in made.stdout and "つなぎ先 1件" in made.stdout
    assert f"監査ログ {len(before['audit_log'])}件" in made.stdout
    assert file.read_bytes()[:5] == b"PGDMP"
    assert file.stat().st_mode & 0o777 == 0o600  # it holds personal data
    assert [p.name for p in file.parent.iterdir()] == ["matcher.dump"]  # no partial file left behind

    monkeypatch.delenv("MATCHER_DATABASE_URL")
    with embedded_server_under(tmp_path / "fresh") as fresh:
        env = {"MATCHER_DATA_DIR": str(fresh)}
        restored = run_matcher("restore", str(file), env=env, timeout=300)
        assert restored.returncode == 0, restored.stderr
        assert "新しいデータベースに復元してから入れ替え" in restored.stderr
        assert "復元しました" in restored.stdout and "つなぎ先 1件" in restored.stdout
        assert f"監査ログ {len(before['audit_log'])}件" in restored.stdout

        migrated = run_matcher("db", "migrate", env=env)
        assert (migrated.returncode, migrated.stdout.strip()) == (0, "スキーマは最新です"), migrated.stderr

        url = make_conninfo(db.start_embedded(fresh), dbname="matcher")
        after = contents(url)
        assert after.keys() == before.keys()
        for key in before:
            assert after[key] == before[key], key

        with psycopg.connect(url) as conn:
            # The audit log is still append-only, and new rows carry on after the restored ones.
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="監査ログは追記のみです"):
                conn.execute("delete from audit_log")
            conn.rollback()
            audit.record(conn, actor="c2", action="test", entity="placement", entity_id=str(placement_id))
            newest = conn.execute("select max(id) from audit_log").fetchone()
            assert newest is not None and newest[0] > max(row[0] for row in before["audit_log"])
        assert leftover_databases(url, "matcher") == []


@pytest.fixture
def backup_file(seeded_conn: psycopg.Connection, seeded_settings: Settings, tmp_path: Path) -> Path:
    """A backup of the demo database with a placement and its audit rows."""
    make_history(seeded_conn, seeded_settings)
    path = tmp_path / "matcher.dump"
    backup.backup(seeded_settings, path)
    return path


def not_ours_files(tmp_path: Path, admin_url: str, backup_file: Path) -> dict[str, Path]:
    text = tmp_path / "notes.txt"
    text.write_text("これはバックアップではありません\n", encoding="utf-8")
    other = tmp_path / "other.dump"
    name = f"other_{uuid.uuid4().hex[:8]}"
    url = create_database(admin_url, name)
    try:
        with psycopg.connect(url) as conn:
            conn.execute("create table resource (id text primary key)")
            major = conn.info.server_version // 10000
        tools = [t for t in backup.candidate_tools() if t.major >= major][0]
        conninfo, env = backup.libpq(url)
        backup.run_tool(
            [str(tools.pg_dump), "-Fc", "-f", str(other), "--dbname", conninfo], env=env, what="pg_dump"
        )
    finally:
        drop_database(admin_url, name)
    truncated = tmp_path / "truncated.dump"
    data = backup_file.read_bytes()
    truncated.write_bytes(data[: len(data) * 3 // 4])
    return {"text": text, "other": other, "truncated": truncated}


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        (
            "text",
            "matcher backup で作ったバックアップではありません（pg_dump のカスタム形式のファイルではありません）",
        ),
        ("other", "matcher backup で作ったバックアップではありません（テーブル schema_migration"),
        ("truncated", "truncated.dump は壊れています（途中で切れているか、書き換えられています）"),
    ],
)
def test_a_file_that_is_not_a_good_backup_is_refused_and_the_database_is_unchanged(
    seeded_settings: Settings, backup_file: Path, tmp_path: Path, admin_url: str, kind: str, message: str
) -> None:
    assert seeded_settings.database_url
    bad = not_ours_files(tmp_path, admin_url, backup_file)[kind]
    before = contents(seeded_settings.database_url)

    result = run_matcher("restore", "--yes", str(bad), env={})

    assert result.returncode == 1
    assert message in result.stderr, result.stderr
    assert result.stdout == ""
    assert contents(seeded_settings.database_url) == before
    name = str(conninfo_to_dict(seeded_settings.database_url)["dbname"])
    assert leftover_databases(admin_url, name) == []


def test_a_restore_that_fails_after_loading_drops_its_copy_and_changes_nothing(
    seeded_settings: Settings, backup_file: Path, admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert seeded_settings.database_url
    before = contents(seeded_settings.database_url)
    real_run_tool = backup.run_tool

    def fails_after_loading(args: list[str], **kwargs: Any) -> str:
        out = real_run_tool(args, **kwargs)
        if any(arg.startswith("--use-list=") for arg in args):
            raise backup.BackupError("pg_restore による復元に失敗しました:\n（試験のための失敗）")
        return out

    monkeypatch.setattr(backup, "run_tool", fails_after_loading)
    with pytest.raises(backup.BackupError, match="試験のための失敗）\nデータベースは変わっていません"):
        backup.restore(seeded_settings, backup_file)

    assert contents(seeded_settings.database_url) == before
    name = str(conninfo_to_dict(seeded_settings.database_url)["dbname"])
    assert leftover_databases(admin_url, name) == []


def test_a_restore_while_the_database_is_in_use_is_refused_at_the_swap(
    seeded_settings: Settings, backup_file: Path, admin_url: str
) -> None:
    assert seeded_settings.database_url
    before = contents(seeded_settings.database_url)
    with psycopg.connect(seeded_settings.database_url):  # as `matcher serve` would hold one
        result = run_matcher("restore", "--yes", str(backup_file), env={})
    assert result.returncode == 1
    assert "を使っている接続があります（matcher serve など）" in result.stderr
    assert "データベースは変わっていません" in result.stderr
    assert contents(seeded_settings.database_url) == before
    name = str(conninfo_to_dict(seeded_settings.database_url)["dbname"])
    assert leftover_databases(admin_url, name) == []


def test_restore_asks_before_replacing_data_and_stops_without_yes(
    seeded_settings: Settings, backup_file: Path
) -> None:
    result = run_matcher("restore", str(backup_file), env={})
    assert result.returncode == 1
    assert "今のデータをすべて置き換えます。よければ --yes を付けてください" in result.stderr


@pytest.fixture
def restricted_url(admin_url: str, tmp_path: Path) -> Iterator[str]:
    """A database owned by a role that may not create databases, schema migrated by that role."""
    role, name = f"app_{uuid.uuid4().hex[:8]}", f"restricted_{uuid.uuid4().hex[:8]}"
    maintenance = make_conninfo(admin_url, dbname="postgres")
    try:
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(sql.SQL("create role {} login nocreatedb nosuperuser").format(sql.Identifier(role)))
            conn.execute(
                sql.SQL("create database {} owner {}").format(sql.Identifier(name), sql.Identifier(role))
            )
    except psycopg.errors.InsufficientPrivilege:
        pytest.skip("the test server does not let us create roles")
    admin_side = make_conninfo(admin_url, dbname=name)
    db.ensure_vector_extension(admin_side)  # installed by the administrator, as on a managed server
    url = make_conninfo(admin_url, dbname=name, user=role)
    try:
        with psycopg.connect(url) as conn:
            db.migrate(conn)
    except psycopg.OperationalError:
        drop_database(admin_url, name)
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))
        pytest.skip("cannot log in as a new role on the test server")
    yield url
    drop_database(admin_url, name)
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))


def test_a_restricted_role_restores_in_place_in_one_transaction(
    seeded_settings: Settings, backup_file: Path, restricted_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert seeded_settings.database_url
    expected = contents(seeded_settings.database_url)
    with psycopg.connect(restricted_url) as conn:
        audit.record(conn, actor="someone", action="test", entity="profile", entity_id="x")
    monkeypatch.setenv("MATCHER_DATABASE_URL", restricted_url)

    result = run_matcher("restore", "--yes", str(backup_file), env={})

    assert result.returncode == 0, result.stderr
    assert "1つのトランザクションで置き換え" in result.stderr
    after = contents(restricted_url)
    for key in expected:
        assert after[key] == expected[key], key  # the audit row written before is gone with the old table
    migrated = run_matcher("db", "migrate", env={})
    assert (migrated.returncode, migrated.stdout.strip()) == (0, "スキーマは最新です"), migrated.stderr


def test_an_in_place_restore_that_fails_midway_changes_nothing(
    seeded_settings: Settings, backup_file: Path, restricted_url: str
) -> None:
    with psycopg.connect(restricted_url) as conn:
        audit.record(conn, actor="someone", action="test", entity="profile", entity_id="x")
        # Someone's report view: dropping the resource table (late in the clean-up) now fails.
        conn.execute("create view report_resources as select id from resource")
    before = contents(restricted_url)

    with pytest.raises(backup.BackupError, match="すべて取り消しました。データベースは変わっていません"):
        backup.restore(Settings(database_url=restricted_url, data_dir=Path("/nonexistent")), backup_file)

    assert contents(restricted_url) == before
