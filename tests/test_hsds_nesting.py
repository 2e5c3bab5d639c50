"""`matcher import hsds` on deeply nested JSON fails with a clear Japanese error (file and reason) and
exit code 1, never a RecursionError traceback; nothing is written."""

import json
from pathlib import Path

import psycopg
import pytest

from matcher.config import Settings
from matcher.core.importing import ImportRejected
from matcher.registry.hsds import MAX_NESTING, nesting_too_deep, parse_services
from tests.conftest import TEST_DATA, run_matcher


def test_a_file_of_100000_nested_lists_is_refused_by_the_cli(
    seeded_settings: Settings, seeded_conn: psycopg.Connection, tmp_path: Path
) -> None:
    before = seeded_conn.execute("select count(*), max(updated_at) from resource").fetchone()
    seeded_conn.rollback()
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = run_matcher(
        "import", "hsds", str(deep), env={"MATCHER_DATABASE_URL": str(seeded_settings.database_url)}
    )
    assert result.returncode == 1
    assert "deep.json" in result.stderr and "入れ子" in result.stderr and "深すぎます" in result.stderr
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
    assert seeded_conn.execute("select count(*), max(updated_at) from resource").fetchone() == before


@pytest.mark.parametrize(
    "text",
    [
        "{" + '"a":{' * 100_000 + "}" * 100_001,  # nested objects
        json.dumps([{"name": "x", "attributes": [[[[0]]]]}])[:-2] + "[" * 5_000 + "]" * 5_000 + "]]",
    ],
)
def test_deep_nesting_anywhere_is_refused_with_its_line(text: str) -> None:
    with pytest.raises(ImportRejected) as refused:
        parse_services(text.encode(), "deep.json")
    (line,) = refused.value.lines()
    assert line.startswith("deep.json") and "深すぎます" in line


def test_nesting_as_deep_as_allowed_is_read_as_usual_and_strings_do_not_count() -> None:
    assert nesting_too_deep("[" * MAX_NESTING + "]" * MAX_NESTING) is None
    assert nesting_too_deep("\n\n" + "[" * (MAX_NESTING + 1)) == 3
    assert nesting_too_deep(json.dumps({"description": "[" * 1000 + '\\"{{{'})) is None
    real = (TEST_DATA / "hsds-service_full.json").read_bytes()
    assert nesting_too_deep(real.decode()) is None
