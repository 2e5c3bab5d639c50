"""The figures of domain.md §10, counted on the constructed history of history.py; every expected value is
worked out by hand below, from the table in that module's docstring."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import psycopg
import pytest

from matcher.errors import Invalid
from matcher.reports import kpi
from tests.conftest import Cli
from tests.reports.history import build_history

JST = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=JST)  # FY2025 is over; FY2026 is under way
KEYS = [
    "people_supported",
    "cooperating_hosts",
    "new_resources",
    "placements_started",
    "median_days_to_first_activity",
    "retention_3m",
    "retention_6m",
    "listings_confirmed_12m_share",
]

# FY2025, 2025-04-01 00:00 JST to 2026-04-01 00:00 JST.
FY2025 = {
    # spans overlapping the year: P1 pA, P2 pB, P3 pC, P5 pD (confirmed 2025-04-01 00:30 JST), P7 pF.
    # Not P4 (ended 2025-03-31 23:00 JST), P8 (ended 2025-02), P6 (cancelled: pE).
    "people_supported": 5,
    # at 見学・体験 or later during the year: r1 (P1), r2 (P2 started 05-10), r3 (P3 trial 05-20),
    # r6 (P7 trial 2026-03-31 23:30 JST). Not r5 (P6 cancelled); P5 never reached 見学.
    "cooperating_hosts": 4,
    # 参加支援 listings created in the year: r3 (2025-04-01 00:30 JST), r5 (paused still counts),
    # r7 (2026-03-31 23:30 JST, closed still counts). Not r4 (2026-04-01 00:30 JST), not r2/r6 (programmes).
    "new_resources": 3,
    # started in the year: P1 (04-20), P2 (05-10). Not P7 (2026-04-01 00:30 JST), not P6 (cancelled).
    "placements_started": 2,
    # first 見学・体験 or 利用中 in the year: pA 2025-03-20 → 04-05 = 16 days (17 if counted in UTC dates),
    # pB 04-10 → 05-10 = 30, pC 05-01 → 05-20 = 19, pF 2026-03-01 → 03-31 = 30. pD's first was 2024-12-01.
    # Sorted 16, 19, 30, 30 → median (19 + 30) / 2 = 24.5 (pE's cancelled 5 days would make it 19).
    "median_days_to_first_activity": 24.5,
    # 3-month follow-ups recorded in the year: P4 yes (2025-04-01 00:30 JST), P1 yes, P2 no → 2/3.
    "retention_3m": 0.667,
    # 6-month: P1 yes, P2 yes (P6's "no" belongs to a cancelled placement; P8's is FY2024) → 2/2.
    "retention_6m": 1.0,
    # active listings existing on 2026-03-31: r1, r2, r3, r6 (r4 only from 2026-04-01 JST; r5 paused; r7
    # closed). 確認日 within 2025-03-31..2026-03-31: r1 (2025-06-01), r3 (2026-01-15) → 2/4.
    "listings_confirmed_12m_share": 0.5,
}

APRIL_2025 = {
    # pA (P1), pB (P2 confirmed 04-15), pD (P5 from 04-01 00:30 JST; P4 ended the night before).
    "people_supported": 3,
    "cooperating_hosts": 1,  # r1 (P1 trial 04-05); P2 starts in May
    "new_resources": 1,  # r3
    "placements_started": 1,  # P1
    "median_days_to_first_activity": 16.0,  # pA only
    "retention_3m": 1.0,  # P4's, recorded 2025-04-01 00:30 JST
    "retention_6m": None,
    # listings existing on 04-30: r1, r2, r3. Only r2's 確認日 (2024-12-01) lies in 2024-04-30..2025-04-30:
    # r1's and r3's latest 確認日 come later (the rule reads the latest 確認日) → 1/3.
    "listings_confirmed_12m_share": 0.333,
}

MAY_2025 = {
    "people_supported": 4,  # pA, pB, pC (confirmed 05-05), pD; not pE (cancelled)
    "cooperating_hosts": 3,  # r1, r2 (P2 started 05-10), r3 (P3 trial 05-20)
    "new_resources": 0,
    "placements_started": 1,  # P2
    "median_days_to_first_activity": 24.5,  # pB 30, pC 19
    "retention_3m": None,
    "retention_6m": None,
    "listings_confirmed_12m_share": 0.333,  # as in April: r2 of r1, r2, r3
}

MARCH_2026 = {
    "people_supported": 3,  # pA (P1), pD (P5 still referred), pF (P7 confirmed 03-20); P2 ended 2025-12
    "cooperating_hosts": 2,  # r1 (P1), r6 (P7 trial 03-31 23:30 JST)
    "new_resources": 1,  # r7 (03-31 23:30 JST); r4 is April's
    "placements_started": 0,  # P7 started 2026-04-01 00:30 JST
    "median_days_to_first_activity": 30.0,  # pF
    "retention_3m": None,
    "retention_6m": None,
    "listings_confirmed_12m_share": 0.5,  # at 2026-03-31, as for the year
}

# FY2026 counted on 2026-06-15 12:00 JST: the year so far.
FY2026_SO_FAR = {
    "people_supported": 3,  # pA (P1), pD (P5), pF (P7)
    "cooperating_hosts": 2,  # r1 (P1), r6 (P7)
    "new_resources": 1,  # r4 (2026-04-01 00:30 JST)
    "placements_started": 1,  # P7 (2026-04-01 00:30 JST)
    "median_days_to_first_activity": None,  # pF's first activity was in FY2025
    "retention_3m": None,
    "retention_6m": None,
    # on 2026-06-15 the active listings are r1, r2, r3, r4, r6; 確認日 within 2025-06-15..2026-06-15:
    # r3 (2026-01-15), r4 (2026-04-02) → 2/5 (r1's 2025-06-01 is just too old).
    "listings_confirmed_12m_share": 0.4,
}


@pytest.fixture
def history(conn: psycopg.Connection) -> psycopg.Connection:
    build_history(conn)
    return conn


def month(report: kpi.KpiReport, name: str) -> dict[str, object]:
    return next(m for m in report.document()["monthly"] if m["month"] == name)


def test_every_figure_of_a_finished_year(history: psycopg.Connection) -> None:
    document = kpi.report(history, fiscal_year=2025, now=NOW).document()
    assert document["fiscal_year"] == 2025
    assert (document["from"], document["to"]) == ("2025-04-01", "2026-03-31")
    assert {key: document[key] for key in KEYS} == FY2025


def test_the_monthly_breakdown(history: psycopg.Connection) -> None:
    report = kpi.report(history, fiscal_year=2025, now=NOW)
    months = [m["month"] for m in report.document()["monthly"]]
    assert months == [f"2025-{m:02d}" for m in range(4, 13)] + ["2026-01", "2026-02", "2026-03"]
    assert {k: v for k, v in month(report, "2025-04").items() if k != "month"} == APRIL_2025
    assert {k: v for k, v in month(report, "2025-05").items() if k != "month"} == MAY_2025
    assert {k: v for k, v in month(report, "2026-03").items() if k != "month"} == MARCH_2026


def test_a_year_under_way_counts_up_to_now_and_leaves_the_months_to_come_empty(
    history: psycopg.Connection,
) -> None:
    report = kpi.report(history, fiscal_year=2026, now=NOW)
    document = report.document()
    assert {key: document[key] for key in KEYS} == FY2026_SO_FAR
    april = month(report, "2026-04")
    assert (april["people_supported"], april["new_resources"], april["placements_started"]) == (3, 1, 1)
    june = month(report, "2026-06")  # half gone: counted up to the 15th
    assert june["people_supported"] == 3
    assert june["listings_confirmed_12m_share"] == 0.4
    for later in ("2026-07", "2026-12", "2027-03"):
        assert all(value is None for key, value in month(report, later).items() if key != "month")


def test_a_year_with_nothing_to_count(history: psycopg.Connection) -> None:
    document = kpi.report(history, fiscal_year=2010, now=NOW).document()
    assert {key: document[key] for key in KEYS} == {
        "people_supported": 0,
        "cooperating_hosts": 0,
        "new_resources": 0,
        "placements_started": 0,
        "median_days_to_first_activity": None,
        "retention_3m": None,
        "retention_6m": None,
        "listings_confirmed_12m_share": None,  # no listing existed yet
    }
    assert document["monthly"][0] == {"month": "2010-04"} | {key: document[key] for key in KEYS}


def test_a_year_not_yet_begun_has_no_figures(history: psycopg.Connection) -> None:
    document = kpi.report(history, fiscal_year=2027, now=NOW).document()
    assert all(document[key] is None for key in KEYS)
    assert len(document["monthly"]) == 12


def test_the_fiscal_year_is_reckoned_in_japan_time() -> None:
    assert kpi.fiscal_year_of(datetime.fromisoformat("2026-03-31T15:30:00+00:00")) == 2026
    assert kpi.fiscal_year_of(datetime.fromisoformat("2026-03-31T14:59:59+00:00")) == 2025
    assert kpi.fiscal_year_of(datetime(2027, 1, 5, tzinfo=JST)) == 2026


@pytest.mark.parametrize("year", [1999, 2101, "２０２６年度x", "", "-1"])
def test_a_year_out_of_range_is_refused_in_japanese(conn: psycopg.Connection, year: object) -> None:
    with pytest.raises(Invalid, match="年度は 2000〜2100"):
        kpi.report(conn, fiscal_year=year, now=NOW)  # type: ignore[arg-type]


def test_targets_are_set_cleared_and_give_progress(history: psycopg.Connection) -> None:
    kpi.set_targets(
        history,
        fiscal_year=2025,
        typed={"people_supported": "８", "median_days_to_first_activity": "30", "retention_3m": "70%"},
        actor="admin",
    )
    goals = kpi.targets(history, fiscal_year=2025)
    assert {key: t.value for key, t in goals.items()} == {
        "people_supported": 8.0,
        "median_days_to_first_activity": 30.0,
        "retention_3m": 0.7,
    }
    lines = {
        line.figure.key: line for line in kpi.lines(kpi.report(history, fiscal_year=2025, now=NOW), goals)
    }
    assert lines["people_supported"].progress == 0.625  # 5 of 8
    assert lines["median_days_to_first_activity"].progress == 1.224  # fewer is better: 30 / 24.5
    assert lines["retention_3m"].progress == 0.953  # 0.667 / 0.7 = 0.9529
    assert lines["cooperating_hosts"].progress is None  # no target
    assert kpi.targets(history, fiscal_year=2026) == {}  # a target belongs to its year

    kpi.set_targets(history, fiscal_year=2025, typed={"people_supported": ""}, actor="admin")
    assert set(kpi.targets(history, fiscal_year=2025)) == {"median_days_to_first_activity", "retention_3m"}
    changes = history.execute(
        "select entity_id, after->>'target' from audit_log where action = 'set_kpi_target' order by id"
    ).fetchall()
    assert changes == [
        ("2025:people_supported", "8"),
        ("2025:median_days_to_first_activity", "30.0"),
        ("2025:retention_3m", "0.7000"),
        ("2025:people_supported", None),
    ]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ({"people_supported": "-3"}, "支援対象者数の目標は0以上の数で入力してください"),
        ({"people_supported": "たくさん"}, "支援対象者数の目標は数字で入力してください"),
        ({"people_supported": "2.5"}, "支援対象者数の目標は整数で入力してください"),
        ({"people_supported": "1000000"}, "支援対象者数の目標は 100000人 までで入力してください"),
        ({"retention_6m": "120"}, "定着率（6か月）の目標は 100% までで入力してください"),
        (
            {"median_days_to_first_activity": "NaN"},
            "初回活動までの日数（中央値）の目標は0以上の数で入力してください",
        ),
    ],
)
def test_bad_targets_are_refused_and_nothing_is_stored(
    history: psycopg.Connection, typed: dict[str, str], message: str
) -> None:
    with pytest.raises(kpi.TargetsInvalid) as refused:
        kpi.set_targets(history, fiscal_year=2025, typed={"new_resources": "5"} | typed, actor="admin")
    assert list(refused.value.errors.values()) == [message]
    assert kpi.targets(history, fiscal_year=2025) == {}  # all or nothing: the good one was not kept either


def test_an_unknown_figure_is_refused(history: psycopg.Connection) -> None:
    with pytest.raises(Invalid, match="「happiness」という指標はありません"):
        kpi.set_targets(history, fiscal_year=2025, typed={"happiness": "1"}, actor="admin")


def test_the_cli_prints_the_document_of_the_interface(history: psycopg.Connection, cli: Cli) -> None:
    result = cli("report", "kpi", "--fiscal-year", "2025", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert list(document) == ["fiscal_year", "from", "to", *KEYS, "monthly"]
    assert {key: document[key] for key in KEYS} == FY2025
    assert [list(m) for m in document["monthly"]] == [["month", *KEYS]] * 12


def test_the_cli_prints_a_japanese_table(history: psycopg.Connection, cli: Cli) -> None:
    kpi.set_targets(history, fiscal_year=2025, typed={"people_supported": "10"}, actor="admin")
    result = cli("report", "kpi", "--fiscal-year", "2025")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("2025年度（2025-04-01〜2026-03-31）の実績")
    people = next(line for line in lines if line.startswith("支援対象者数 "))
    assert people.split() == ["支援対象者数", "5人", "10人", "50.0%"]
    share = next(line for line in lines if line.startswith("12か月以内に確認された掲載の割合"))
    assert share.split()[1:] == ["50.0%", "—", "—"]
    assert "月別" in lines


def test_the_cli_refuses_a_year_out_of_range(cli: Cli) -> None:
    result = cli("report", "kpi", "--fiscal-year", "1999")
    assert result.exit_code != 0
