"""Importing and exporting needs profiles, the PII guard included."""

import json
from pathlib import Path

from tests.conftest import Cli
from tests.profiles.test_pii import PROFILE
from tests.registry.test_import import write_jsonl


def exported(cli: Cli) -> list[dict]:
    result = cli("export", "profiles")
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_profiles_import_and_export_round_trip(cli: Cli, tmp_path: Path) -> None:
    second = PROFILE | {"id": "p-two", "facts": ["welfare", "hardship"], "consent": "full"}
    result = cli("import", "profiles", write_jsonl(tmp_path / "p.jsonl", [PROFILE, second]))
    assert result.exit_code == 0, result.stderr
    first_export = cli("export", "profiles").stdout
    rows = {row["id"]: row for row in exported(cli)}
    assert rows["p-two"]["facts"] == ["welfare", "hardship"]
    assert rows["p-test"]["consent"] == "none" and rows["p-test"]["reward_preference"] == "any"
    (tmp_path / "again.jsonl").write_text(first_export, encoding="utf-8")
    assert "変更なし 2件" in cli("import", "profiles", tmp_path / "again.jsonl").stdout
    assert cli("export", "profiles").stdout == first_export


def test_profile_with_pii_is_refused_naming_line_field_and_finding(cli: Cli, tmp_path: Path) -> None:
    cli("import", "profiles", write_jsonl(tmp_path / "ok.jsonl", [PROFILE]))
    before = exported(cli)
    rows = [
        PROFILE | {"narrative": "本人の希望で週2回。"},
        PROFILE | {"id": "p-pii", "narrative": "1985年4月12日生まれ。連絡は〒690-0049の自宅へ。"},
    ]
    result = cli("import", "profiles", write_jsonl(tmp_path / "pii.jsonl", rows))
    assert result.exit_code != 0
    assert "pii.jsonl:2: narrative:" in result.stderr
    assert "生年月日「1985年4月12日生まれ」（1文字目）" in result.stderr
    assert "郵便番号「〒690-0049」" in result.stderr
    assert exported(cli) == before


def test_bad_age_band_and_missing_availability_are_reported(cli: Cli, tmp_path: Path) -> None:
    rows = [PROFILE | {"age_band": "41-45"}, {k: v for k, v in PROFILE.items() if k != "availability"}]
    result = cli("import", "profiles", write_jsonl(tmp_path / "bad.jsonl", rows))
    assert result.exit_code != 0
    assert "bad.jsonl:1: age_band: 年齢帯は「40-44」のように5歳刻み" in result.stderr
    assert "bad.jsonl:2: availability: 必須項目がありません" in result.stderr
    assert exported(cli) == []


def test_profile_id_cannot_hold_a_name_in_japanese(cli: Cli, tmp_path: Path) -> None:
    result = cli("import", "profiles", write_jsonl(tmp_path / "id.jsonl", [PROFILE | {"id": "山田太郎"}]))
    assert result.exit_code != 0
    assert "id.jsonl:1: id: 仮名コード" in result.stderr
