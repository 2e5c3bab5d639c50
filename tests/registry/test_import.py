"""Importing and exporting listings through the `matcher` command."""

import json
from pathlib import Path

import pytest

from tests.conftest import Cli

CAFE = {
    "id": "r-cafe",
    "name": "まちなか縁側カフェ",
    "kind": "cafe",
    "description": "古民家の縁側カフェで茶碗洗いと盛り付けをします。",
    "area": "中央圏域",
    "lat": 35.4745,
    "lon": 133.0558,
    "schedule": [{"day": "tue", "start": "10:00", "end": "15:00"}],
    "capacity_total": 4,
    "capacity_open": 2,
    "contact_level": 2,
    "physical_load": 1,
    "reward": "stipend",
    "accommodations": ["short_hours"],
    "assured_at": "2026-09-12",
}
FARM = CAFE | {"id": "r-farm", "name": "湖北ねぎ農園", "kind": "farm", "programme": None, "reward": "paid"}
B_TYPE = CAFE | {
    "id": "r-b",
    "name": "木工所",
    "kind": "workplace_b",
    "programme": "shuro_b",
    "hosts_participation": True,
}

CSV_HEADER = ",".join(
    [
        *("id", "name", "kind", "description", "area", "lat", "lon", "schedule"),
        *("contact_level", "physical_load", "reward", "accommodations", "capacity_total"),
    ]
)


def write_jsonl(path: Path, rows: list[dict | str]) -> Path:
    lines = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def exported(cli: Cli) -> list[dict]:
    result = cli("export", "resources")
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_jsonl_import_stores_every_field_and_export_reads_back(cli: Cli, tmp_path: Path) -> None:
    result = cli("import", "resources", write_jsonl(tmp_path / "r.jsonl", [CAFE, FARM, B_TYPE]))
    assert result.exit_code == 0, result.stderr
    assert "追加 3件" in result.stdout
    rows = {row["id"]: row for row in exported(cli)}
    assert rows["r-cafe"]["schedule"] == [{"day": "tue", "start": "10:00", "end": "15:00"}]
    assert rows["r-cafe"]["capacity_open"] == 2
    assert rows["r-b"]["programme"] == "shuro_b" and rows["r-b"]["hosts_participation"] is True
    assert rows["r-farm"]["status"] == "active"  # the default


def test_export_imports_again_unchanged(cli: Cli, tmp_path: Path) -> None:
    cli("import", "resources", write_jsonl(tmp_path / "r.jsonl", [CAFE, FARM, B_TYPE]))
    first = cli("export", "resources").stdout
    (tmp_path / "export.jsonl").write_text(first, encoding="utf-8")
    again = cli("import", "resources", tmp_path / "export.jsonl")
    assert again.exit_code == 0
    assert "変更なし 3件" in again.stdout
    assert cli("export", "resources").stdout == first


def test_import_upserts_by_id(cli: Cli, tmp_path: Path) -> None:
    cli("import", "resources", write_jsonl(tmp_path / "a.jsonl", [CAFE, FARM]))
    changed = CAFE | {"capacity_open": 0, "description": "冬季は縁側を閉めて室内で作業します。"}
    result = cli("import", "resources", write_jsonl(tmp_path / "b.jsonl", [changed]))
    assert "更新 1件" in result.stdout
    rows = {row["id"]: row for row in exported(cli)}
    assert len(rows) == 2
    assert rows["r-cafe"]["capacity_open"] == 0
    assert rows["r-cafe"]["description"].startswith("冬季は")


def test_csv_import_reads_lists_and_schedules(cli: Cli, tmp_path: Path) -> None:
    csv_file = tmp_path / "r.csv"
    csv_file.write_text(
        CSV_HEADER + "\n"
        'r-csv,湖北ねぎ農園,farm,ねぎの収穫と出荷調整,西部圏域,35.49,132.99,"mon 09:00-12:00; 木 9:00-11:30",'
        '1,2,paid,"quiet_space;step_by_step",\n',
        encoding="utf-8",
    )
    result = cli("import", "resources", csv_file)
    assert result.exit_code == 0, result.stderr
    (row,) = exported(cli)
    assert row["schedule"] == [
        {"day": "mon", "start": "09:00", "end": "12:00"},
        {"day": "thu", "start": "09:00", "end": "11:30"},
    ]
    assert row["accommodations"] == ["quiet_space", "step_by_step"]
    assert row["capacity_total"] is None  # an empty cell is unknown, not 0


def bad_cafe(changes: dict[str, object], where: str, reason: str, case: str) -> object:
    """A case of BAD_INPUTS: bad.jsonl holding CAFE with these changes."""
    return pytest.param("bad.jsonl", json.dumps(CAFE | changes), where, reason, id=case)


BAD_INPUTS = [
    pytest.param("bad.jsonl", '{"id": "r1", "name": ', "bad.jsonl:1:", "JSON", id="malformed-json"),
    bad_cafe({"kind": "caffe"}, "bad.jsonl:1: kind:", "caffe", "wrong-enum"),
    pytest.param(
        "bad.jsonl",
        json.dumps({k: v for k, v in CAFE.items() if k != "reward"}),
        "bad.jsonl:1: reward:",
        "必須",
        id="missing-field",
    ),
    bad_cafe(
        {"schedule": [{"day": "tue", "start": "15:00", "end": "10:00"}]},
        "bad.jsonl:1: schedule[1]:",
        "開始（15:00）は終了（10:00）より前",
        "start-after-end",
    ),
    bad_cafe(
        {"schedule": [{"day": "tue", "start": "25:00", "end": "26:00"}]},
        "bad.jsonl:1: schedule[1].start:",
        "HH:MM",
        "bad-time",
    ),
    bad_cafe({"capacity_open": 9}, "bad.jsonl:1:", "定員（capacity_total=4）を超えて", "open-over-total"),
    bad_cafe({"lat": 135.2}, "bad.jsonl:1: lat:", "90 以下", "lat-range"),
    bad_cafe({"contact_level": 4}, "bad.jsonl:1: contact_level:", "3 以下", "level"),
    bad_cafe({"programme": "shuro_c"}, "bad.jsonl:1: programme:", "shuro_b", "programme"),
    pytest.param(
        "bad.csv", "id,name,colour\nr1,x,red\n", "bad.csv:1: colour:", "知らない列名", id="csv-wrong-header"
    ),
    pytest.param("bad.jsonl", "", "bad.jsonl", "空です", id="empty-file"),
    pytest.param("bad.txt", "{}", "bad.txt", ".jsonl か .csv", id="unknown-extension"),
]


@pytest.mark.parametrize(("name", "content", "where", "reason"), BAD_INPUTS)
def test_bad_input_is_reported_and_changes_nothing(
    cli: Cli, tmp_path: Path, name: str, content: str, where: str, reason: str
) -> None:
    cli("import", "resources", write_jsonl(tmp_path / "good.jsonl", [CAFE]))
    before = exported(cli)
    bad = tmp_path / name
    bad.write_text(content, encoding="utf-8")
    result = cli("import", "resources", bad)
    assert result.exit_code != 0
    assert where in result.stderr and reason in result.stderr, result.stderr
    assert exported(cli) == before


def test_a_file_that_is_not_utf8_is_refused(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "sjis.csv"
    bad.write_bytes((CSV_HEADER + "\nr1,湖北ねぎ農園,farm,x,西部,,,,1,1,paid,,\n").encode("cp932"))
    result = cli("import", "resources", bad)
    assert result.exit_code != 0
    assert "sjis.csv:2" in result.stderr and "UTF-8 ではありません" in result.stderr
    assert exported(cli) == []


def test_every_bad_row_is_reported_in_one_run_and_nothing_is_written(cli: Cli, tmp_path: Path) -> None:
    rows = [
        CAFE,
        FARM | {"kind": "orchard"},
        "not json",
        B_TYPE | {"contact_level": 0, "reward": "cash"},
        CAFE | {"id": "r-other", "schedule": [{"day": "mon", "start": "9時", "end": "12:00"}]},
        CAFE,  # the same id again
    ]
    result = cli("import", "resources", write_jsonl(tmp_path / "mixed.jsonl", rows))
    assert result.exit_code != 0
    for expected in (
        "mixed.jsonl:2: kind:",
        "mixed.jsonl:3:",
        "mixed.jsonl:4: contact_level:",
        "mixed.jsonl:4: reward:",
        "mixed.jsonl:5: schedule[1].start:",
        "mixed.jsonl:6: id: 「r-cafe」は 1行目にもあります",
    ):
        assert expected in result.stderr, result.stderr
    assert "mixed.jsonl:1:" not in result.stderr
    assert exported(cli) == []


def test_csv_errors_carry_the_csv_line_number(cli: Cli, tmp_path: Path) -> None:
    csv_file = tmp_path / "r.csv"
    csv_file.write_text(
        CSV_HEADER + "\n"
        "r1,カフェ,cafe,x,中央,,,mon 10:00-12:00,1,1,none,,\n"
        'r2,農園,farm,"二行に\nわたる説明",西部,,,mon 10:00-12:00,1,1,none,,\n'
        "r3,店,shopp,x,中央,,,mon 10:00-12:00,1,1,none,,\n",
        encoding="utf-8",
    )
    result = cli("import", "resources", csv_file)
    assert result.exit_code != 0
    assert "r.csv:5: kind:" in result.stderr, result.stderr


def test_a_missing_file_is_a_clear_error(cli: Cli, tmp_path: Path) -> None:
    result = cli("import", "resources", tmp_path / "nothing.jsonl")
    assert result.exit_code != 0
    assert "nothing.jsonl" in result.stderr and "読めません" in result.stderr


def test_imports_audit_every_listing_they_add_or_change(cli: Cli, tmp_path: Path, conn) -> None:  # type: ignore[no-untyped-def]
    cli("import", "resources", write_jsonl(tmp_path / "a.jsonl", [CAFE, FARM]), "--no-embed")
    cli(
        "import",
        "resources",
        write_jsonl(tmp_path / "b.jsonl", [CAFE | {"capacity_open": 0}, FARM]),
        "--no-embed",
    )
    rows = conn.execute(
        "select entity_id, actor, before ->> 'capacity_open', after ->> 'capacity_open' from audit_log"
        " where action = 'import' order by id"
    ).fetchall()
    actor = rows[0][1]
    assert actor.startswith("cli:")
    assert rows == [("r-cafe", actor, None, "2"), ("r-farm", actor, None, "2"), ("r-cafe", actor, "2", "0")]
