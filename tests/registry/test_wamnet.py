"""WAM NET open data: the real files import whole, and every row is accounted for."""

import csv
import json
import re
from pathlib import Path

import psycopg
import pytest

from matcher.registry import wamnet
from matcher.registry.wamnet import closed_days, nfkc, parse_hours
from tests.conftest import Cli


def summary_counts(stdout: str) -> tuple[int, int, int]:
    rows, imported, skipped = re.search(r"行数 (\d+): 取り込み (\d+)件、対象外 (\d+)件", stdout).groups()
    return int(rows), int(imported), int(skipped)


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("filename", ["csvdownload045.csv", "csvdownload060.csv", "csvdownload042.csv"])
def test_whole_file_imports_and_the_summary_accounts_for_every_row(
    cli: Cli, conn: psycopg.Connection, wamnet_file: Path, filename: str
) -> None:
    path = wamnet_file / filename
    result = cli("import", "wamnet", path, "--no-embed")
    assert result.exit_code == 0, result.stderr
    rows, imported, skipped = summary_counts(result.stdout)
    assert rows == len(csv_rows(path))
    assert imported + skipped == rows
    skipped_listed = sum(int(n) for n in re.findall(r"対象外: .* (\d+)件", result.stdout))
    assert skipped_listed == skipped
    stored = conn.execute("select count(*) from resource where source = 'wamnet'").fetchone()[0]
    assert stored == imported
    assert imported >= rows - 5


def test_employment_retention_support_is_skipped_with_a_count(cli: Cli, wamnet_file: Path) -> None:
    path = wamnet_file / "csvdownload062.csv"
    result = cli("import", "wamnet", path, "--no-embed")
    assert result.exit_code == 0, result.stderr
    rows, imported, skipped = summary_counts(result.stdout)
    assert (imported, skipped) == (0, rows)
    assert f"就労定着支援は配置先ではないため対象外 {rows}件" in result.stdout


def test_rows_become_programme_listings(cli: Cli, wamnet_file: Path) -> None:
    cli("import", "wamnet", wamnet_file / "csvdownload045.csv", "--no-embed")
    listings = {row["id"]: row for row in map(json.loads, cli("export", "resources").stdout.splitlines())}
    first = listings["wam-A0000003583"]  # ｈｉｂｉｎｏ−ｓｈｉｇｏｔｏ in the file
    assert first["name"] == "hibino−shigoto"
    assert first["programme"] == "shuro_a" and first["kind"] == "workplace_a"
    assert first["area"] == "札幌市中央区"
    assert first["capacity_total"] == 20 and first["capacity_open"] is None
    assert (first["lat"], first["lon"]) == (43.0521082, 141.3583382)
    assert len(first["schedule"]) == 7  # hours every day, 定休日 なし
    for row in csv_rows(wamnet_file / "csvdownload045.csv"):
        listing = listings[f"wam-{row['NO（※システム内の固有の番号、連番）']}"]
        if not row["定員"].strip():
            assert listing["capacity_total"] is None  # unknown, not 0
        assert "　" not in listing["name"]


def test_closing_days_remove_weekdays_from_the_schedule(cli: Cli, wamnet_file: Path) -> None:
    cli("import", "wamnet", wamnet_file / "csvdownload045.csv", "--city", "32201")
    listings = {row["id"]: row for row in map(json.loads, cli("export", "resources").stdout.splitlines())}
    assert len(listings) == 12  # 松江市's A型 rows
    bistro = listings["wam-E0000137091"]  # 定休日: 水曜日及び法人が指定する日
    assert [slot["day"] for slot in bistro["schedule"]] == ["mon", "tue", "thu", "fri", "sat", "sun"]
    weekdays_only = listings["wam-A0000061965"]  # 平日 09:00-17:00, 定休日: 土、日、祝日
    assert [slot["day"] for slot in weekdays_only["schedule"]] == ["mon", "tue", "wed", "thu", "fri"]
    assert weekdays_only["schedule"][0] == {"day": "mon", "start": "09:00", "end": "17:00"}


def test_city_filter_by_name_counts_the_rest(cli: Cli, wamnet_file: Path) -> None:
    result = cli("import", "wamnet", wamnet_file / "csvdownload060.csv", "--city", "松江市", "--no-embed")
    rows, imported, skipped = summary_counts(result.stdout)
    assert imported == 5 and skipped == rows - 5
    assert "指定の市区町村ではない" in result.stdout


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("土日祝", {"sat", "sun"}),
        ("日曜日", {"sun"}),
        ("土・日・祝日", {"sat", "sun"}),
        ("水曜日及び法人が指定する日（夏季休業2日間、12/29〜1/4等）", {"wed"}),
        ("原則として毎週日曜、年末年始（12月29日から1月3日まで）、会社が指定する日", {"sun"}),
        ("祝祭日", set()),
        ("シフトによる", set()),
        ("", set()),
    ],
)
def test_closed_days_are_read_from_japanese_text(text: str, days: set[str]) -> None:
    assert closed_days(text) == days


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("09:00-17:00", ("09:00", "17:00")),
        ("９:３０-１５:００", ("09:30", "15:00")),
        ("00:00-00:00", None),
        ("", None),
    ],
)
def test_hours_are_parsed_or_unknown(text: str, hours: tuple[str, str] | None) -> None:
    assert parse_hours(text) == hours


def test_a_file_with_the_wrong_header_is_refused(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "not-wamnet.csv"
    bad.write_text("id,name\nr1,x\n", encoding="utf-8")
    result = cli("import", "wamnet", bad)
    assert result.exit_code != 0
    assert "not-wamnet.csv:1: サービス種別: WAM NET の列がありません" in result.stderr


def test_the_places_phone_fax_url_and_address_are_kept(
    cli: Cli, conn: psycopg.Connection, wamnet_file: Path
) -> None:
    result = cli("import", "wamnet", wamnet_file / "csvdownload060.csv", "--city", "01100", "--no-embed")
    assert result.exit_code == 0, result.stderr
    stored = conn.execute(
        "select phone, fax, url, address from resource where id = 'wam-A0000105598'"
    ).fetchone()  # キャリアエディション: the place has no URL of its own, its 法人 has one
    assert stored == (
        "011-215-0440",
        "011-215-0441",
        "https://career-edition.info/",
        "北海道札幌市中央区大通西1丁目13番地ル・トロワ8階",
    )
    exported = {row["id"]: row for row in map(json.loads, cli("export", "resources").stdout.splitlines())}
    assert exported["wam-A0000105598"]["fax"] == "011-215-0441"  # and the export carries them on


def test_numbers_and_urls_as_the_real_data_writes_them(wamnet_file: Path) -> None:
    path = wamnet_file / "csvdownload045.csv"
    report = wamnet.convert(path.read_bytes(), path.name)
    by_id = {r.id: r for r in report.resources}
    assert by_id["wam-E0000141377"].url == "https://i-harmony.or.jp/"  # 「https:// i-harmony.or.jp/」
    assert by_id["wam-E0000146958"].fax is None  # 「-」: no FAX, not a number to refuse
    assert not any("読めない" in line for line in report.lines())
    written = {nfkc(row["事業所電話番号"]) for row in csv_rows(path)} - {""}
    assert {r.phone for r in report.resources} - {None} <= written  # only what the file says


def test_a_url_written_twice_is_kept_once() -> None:
    doubled = "https://www.cocorport.co.jp/\t\t\thttps://www.cocorport.co.jp/\t\t"
    assert wamnet.web_address(doubled) == "https://www.cocorport.co.jp/"
    assert wamnet.web_address("https://www.atd-fukuoka .com/") == "https://www.atd-fukuoka.com/"
