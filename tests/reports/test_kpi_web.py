"""実績 on the web: the API, the page with its chart and targets, and the CSV and Excel exports, on the demo
database plus the constructed history of history.py (the demo data is all registered after FY2025, so the
FY2025 figures are those worked out by hand in test_kpi.py)."""

import csv
import io
import re

import psycopg
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.conftest import Cli
from tests.reports.history import build_history
from tests.reports.test_kpi import FY2025, KEYS, MAY_2025
from tests.web.conftest import WebUser, api_token


@pytest.fixture
def history(seeded_conn: psycopg.Connection) -> psycopg.Connection:
    build_history(seeded_conn)
    return seeded_conn


def cells(html: str, key: str) -> list[str]:
    """The text of a figure's row in the year's table (label, value, target, progress)."""
    row = re.search(rf'<table class="table" id="figures">.*?<tr data-key="{key}">(.*?)</tr>', html, re.S)
    assert row, html
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row[1], re.S)
    ]


def test_the_api_gives_the_document_to_coordinators_and_admins(
    history: psycopg.Connection, api_client: TestClient, seeded_cli: Cli
) -> None:
    for role in ("coordinator", "admin"):
        token = api_token(seeded_cli, role, f"kpi-{role}")
        response = api_client.get("/api/reports/kpi?fiscal_year=2025", headers=token)
        assert response.status_code == 200, response.text
        document = response.json()
        assert list(document) == ["fiscal_year", "from", "to", *KEYS, "monthly"]
        assert (document["fiscal_year"], document["from"], document["to"]) == (
            2025,
            "2025-04-01",
            "2026-03-31",
        )
        assert {key: document[key] for key in KEYS} == FY2025
        assert document["monthly"][1] == {"month": "2025-05"} | MAY_2025


def test_the_api_refuses_hosts_strangers_and_bad_years(
    history: psycopg.Connection, api_client: TestClient, seeded_cli: Cli
) -> None:
    host = api_token(seeded_cli, "provider", "kpi-host", "r01")
    assert api_client.get("/api/reports/kpi?fiscal_year=2025", headers=host).status_code == 403
    assert api_client.get("/api/reports/kpi?fiscal_year=2025").status_code == 401
    coordinator = api_token(seeded_cli, "coordinator", "kpi-coordinator")
    for year in ("1999", "2101", "abc"):
        response = api_client.get(f"/api/reports/kpi?fiscal_year={year}", headers=coordinator)
        assert response.status_code == 422, year
        assert response.json()["detail"][0]["loc"] == ["query", "fiscal_year"]


def test_the_api_defaults_to_this_fiscal_year(api_client: TestClient, seeded_cli: Cli) -> None:
    from datetime import datetime

    from matcher.reports.kpi import JST, fiscal_year_of

    token = api_token(seeded_cli, "admin", "kpi-admin")
    document = api_client.get("/api/reports/kpi", headers=token).json()
    assert document["fiscal_year"] == fiscal_year_of(datetime.now(JST))


def test_the_page_shows_the_year_the_months_and_a_chart(
    history: psycopg.Connection, coordinator: WebUser
) -> None:
    page = coordinator.get("/reports/kpi?fiscal_year=2025")
    assert page.status_code == 200
    html = page.text
    assert "2025年度の実績" in html
    assert cells(html, "people_supported") == ["支援対象者数", "5人", "未設定", "—"]
    assert cells(html, "median_days_to_first_activity")[1] == "24.5日"
    assert cells(html, "retention_3m")[1] == "66.7%"
    assert cells(html, "listings_confirmed_12m_share")[1] == "50.0%"
    monthly = re.search(r'id="monthly-table">.*?<tr data-key="people_supported">(.*?)</tr>', html, re.S)
    assert monthly
    assert re.findall(r"<td>(.*?)</td>", monthly[1]) == [
        "3人",
        "4人",
        "4人",
        "3人",
        "3人",
        "3人",
        "3人",
        "3人",
        "3人",
        "2人",
        "2人",
        "3人",
    ]
    assert re.search(r'<svg [^>]*role="img" aria-labelledby="chart-title chart-desc"', html)
    assert "<title>5月 支援対象者数 4</title>" in html  # one bar per month and series, each with its value
    assert (
        'href="/reports/kpi.xlsx?fiscal_year=2025"' in html
        and 'href="/reports/kpi.csv?fiscal_year=2025"' in html
    )
    assert 'class="table-wrap" tabindex="0" role="region" aria-label="月別の内訳"' in html
    assert "目標は管理者が設定します" in html
    assert 'action="/reports/kpi/targets"' not in html  # a coordinator sees targets but cannot set them


def test_who_may_open_the_page(app, host: WebUser, anonymous: TestClient) -> None:  # type: ignore[no-untyped-def]
    assert host.get("/reports/kpi").status_code == 403
    response = anonymous.get("/reports/kpi?fiscal_year=2025", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_the_page_refuses_a_year_out_of_range_in_japanese(coordinator: WebUser) -> None:
    page = coordinator.get("/reports/kpi?fiscal_year=1999")
    assert page.status_code == 422
    assert "年度は 2000〜2100 の西暦で指定してください" in page.text


def test_an_admin_sets_targets_and_sees_progress(
    history: psycopg.Connection, admin: WebUser, coordinator: WebUser
) -> None:
    form = {
        "fiscal_year": "2025",
        "people_supported": "8",
        "median_days_to_first_activity": "30",
        "retention_3m": "70",
    }
    saved = admin.post("/reports/kpi/targets", form)
    assert saved.status_code == 303
    assert saved.headers["location"] == "/reports/kpi?fiscal_year=2025&saved=1"
    page = admin.get(saved.headers["location"]).text
    assert "2025年度の目標を保存しました" in page
    assert cells(page, "people_supported") == ["支援対象者数", "5人", "8人", "62.5%"]  # 5 / 8
    assert cells(page, "median_days_to_first_activity")[2:] == ["30日", "122.4% 達成"]  # 30 / 24.5
    assert cells(page, "retention_3m")[2:] == ["70.0%", "95.3%"]  # 0.667 / 0.7
    assert 'name="retention_3m" value="70"' in page  # the form shows a share in %
    # the coordinator sees the same targets and progress, without the form
    theirs = coordinator.get("/reports/kpi?fiscal_year=2025").text
    assert cells(theirs, "people_supported") == ["支援対象者数", "5人", "8人", "62.5%"]
    assert history.execute("select count(*) from audit_log where action = 'set_kpi_target'").fetchone() == (
        3,
    )


def test_a_coordinator_cannot_set_targets(history: psycopg.Connection, coordinator: WebUser) -> None:
    response = coordinator.post("/reports/kpi/targets", {"fiscal_year": "2025", "people_supported": "8"})
    assert response.status_code == 403
    assert history.execute("select count(*) from kpi_target").fetchone() == (0,)


def test_setting_targets_needs_the_form_token(admin: WebUser, seeded_conn: psycopg.Connection) -> None:
    response = admin.post(
        "/reports/kpi/targets", {"fiscal_year": "2025", "people_supported": "8"}, csrf=False
    )
    assert response.status_code == 403
    assert seeded_conn.execute("select count(*) from kpi_target").fetchone() == (0,)


def test_bad_targets_are_shown_in_japanese_and_nothing_typed_is_lost(
    history: psycopg.Connection, admin: WebUser
) -> None:
    form = {"fiscal_year": "2025", "people_supported": "12", "retention_6m": "150", "new_resources": "-1"}
    page = admin.post("/reports/kpi/targets", form)
    assert page.status_code == 422
    assert "定着率（6か月）の目標は 100% までで入力してください" in page.text
    assert "新たに開拓した社会資源の目標は0以上の数で入力してください" in page.text
    for key, typed in form.items():
        if key != "fiscal_year":
            assert f'name="{key}" value="{typed}"' in page.text
    assert history.execute("select count(*) from kpi_target").fetchone() == (0,)


def test_the_csv(history: psycopg.Connection, admin: WebUser, coordinator: WebUser) -> None:
    admin.post("/reports/kpi/targets", {"fiscal_year": "2025", "people_supported": "10"})
    response = coordinator.get("/reports/kpi.csv?fiscal_year=2025")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="kpi-2025.csv"'
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text.removeprefix("\ufeff"))))
    assert rows[0][:7] == ["年度", "指標", "キー", "単位", "年度の値", "目標", "達成率"]
    assert rows[0][7:] == [f"2025-{m:02d}" for m in range(4, 13)] + ["2026-01", "2026-02", "2026-03"]
    by_key = {row[2]: row for row in rows[1:]}
    assert list(by_key) == KEYS
    assert by_key["people_supported"][4:10] == ["5", "10", "0.5", "3", "4", "4"]
    assert by_key["retention_3m"][4:9] == ["0.667", "", "", "1.0", ""]  # April 1.0, May none
    assert by_key["retention_6m"][3] == "割合"


def test_the_workbook(history: psycopg.Connection, admin: WebUser) -> None:
    admin.post(
        "/reports/kpi/targets", {"fiscal_year": "2025", "people_supported": "10", "retention_3m": "70"}
    )
    response = admin.get("/reports/kpi.xlsx?fiscal_year=2025")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="kpi-2025.xlsx"'
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["実績", "定義"]
    sheet = book["実績"]
    assert "2025年度" in sheet["A1"].value
    header = [cell.value for cell in sheet[4]]
    assert header == [
        "指標",
        "キー",
        "年度の値",
        "目標",
        "達成率",
        "4月",
        "5月",
        "6月",
        "7月",
        "8月",
        "9月",
        "10月",
        "11月",
        "12月",
        "1月",
        "2月",
        "3月",
    ]
    rows = {row[1].value: row for row in sheet.iter_rows(min_row=5, max_row=12)}
    assert list(rows) == KEYS
    people = [cell.value for cell in rows["people_supported"]]
    assert people[:7] == ["支援対象者数", "people_supported", 5, 10, 0.5, 3, 4]
    retention = rows["retention_3m"]
    assert [c.value for c in retention[2:7]] == [0.667, 0.7, 0.953, 1.0, "—"]
    assert retention[2].number_format == "0.0%"
    assert rows["median_days_to_first_activity"][2].value == 24.5
    assert sheet.column_dimensions["A"].width >= 30
    assert sheet["A4"].font.bold
    definitions = book["定義"]
    assert [c.value for c in definitions[1]] == ["指標", "キー", "定義"]
    defined = {row[1].value: row[2].value for row in definitions.iter_rows(min_row=2) if row[1].value}
    assert list(defined) == KEYS
    assert "365日以内" in defined["listings_confirmed_12m_share"]


def test_exports_are_refused_to_hosts(host: WebUser) -> None:
    assert host.get("/reports/kpi.csv?fiscal_year=2025").status_code == 403
    assert host.get("/reports/kpi.xlsx?fiscal_year=2025").status_code == 403
