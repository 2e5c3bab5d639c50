"""The embedded database: created on first use under MATCHER_DATA_DIR, one per directory."""

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_matcher

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def embedded_env(data_dir: Path) -> dict[str, str]:
    return {"MATCHER_DATABASE_URL": "", "MATCHER_DATA_DIR": str(data_dir)}


def test_embedded_database_is_created_migrated_and_independent_per_directory(tmp_path: Path) -> None:
    first, second = embedded_env(tmp_path / "a"), embedded_env(tmp_path / "b")
    created = run_matcher("db", "migrate", env=first)
    assert created.returncode == 0, created.stderr
    assert "0001_registry_and_profiles.sql" in created.stdout
    again = run_matcher("db", "migrate", env=first)
    assert again.returncode == 0 and "最新" in again.stdout
    loaded = run_matcher("import", "resources", str(ROOT / "seeds" / "resources.jsonl"), env=first)
    assert loaded.returncode == 0, loaded.stderr
    in_first = run_matcher("export", "resources", env=first).stdout.splitlines()
    in_second = run_matcher("export", "resources", env=second).stdout.splitlines()
    assert len(in_first) >= 40 and json.loads(in_first[0])["id"]
    assert in_second == []


def test_a_database_url_without_a_server_is_a_clear_error(tmp_path: Path) -> None:
    env = {"MATCHER_DATABASE_URL": f"postgresql://nobody@/none?host={tmp_path}&connect_timeout=2"}
    result = run_matcher("db", "migrate", env=env)
    assert result.returncode != 0
    assert "データベースに接続できません" in result.stderr
    assert "Traceback" not in result.stderr


def test_settings_that_contradict_each_other_are_refused_at_start_up() -> None:
    import pydantic

    from matcher.config import Settings

    with pytest.raises(pydantic.ValidationError, match="MATCHER_STALE_DAYS"):
        Settings(fresh_days=100, stale_days=50)
    with pytest.raises(pydantic.ValidationError, match="MATCHER_POOL_MIN_SIZE"):
        Settings(pool_min_size=5, pool_max_size=2)
