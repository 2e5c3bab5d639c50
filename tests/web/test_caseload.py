"""Caseloads in the browser's pages and the API: the 担当 of a profile (the creator by default, changed on
the profile's caseload control) and its 支援経過記録, for coordinators only, PII-guarded, keeping what was
typed when refused."""

import re
from datetime import date, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Cli
from tests.web.conftest import WebUser, api_token, audited_actions

NEW_PROFILE = {
    "id": "CL-1",
    "age_band": "35-39",
    "area": "中央圏域",
    "max_travel_km": "5",
    "stage": "1",
    "contact_tolerance": "2",
    "physical_capacity": "2",
    "reward_preference": "any",
    "consent": "none",
    "status": "open",
    "avail_mon_start": "09:00",
    "avail_mon_end": "12:00",
}


def coordinator_of(conn: psycopg.Connection, profile_id: str) -> str | None:
    row = conn.execute(
        "select u.name from needs_profile p left join app_user u on u.id = p.coordinator_id where p.id = %s",
        [profile_id],
    ).fetchone()
    return row[0] if row else None


def note_bodies(conn: psycopg.Connection, profile_id: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute("select body from case_note where profile_id = %s order by id", [profile_id])
    ]


def test_the_coordinator_who_registers_a_profile_is_its_coordinator(
    coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    created = coordinator.post("/profiles/new", NEW_PROFILE)
    assert created.status_code == 303, created.text
    assert coordinator_of(seeded_conn, "CL-1") == "coordinator"
    assert audited_actions(seeded_conn, "profile", "CL-1") == ["create", "assign"]
    control = coordinator.get("/profiles/CL-1/caseload", headers={"HX-Request": "true"}).text
    assert "<strong>coordinator</strong>（あなた）" in control


def test_taking_on_and_handing_over_a_case(
    coordinator: WebUser, seeded_conn: psycopg.Connection, seeded_cli: Cli
) -> None:
    api_token(seeded_cli, "coordinator", "colleague")
    colleague = seeded_conn.execute("select id from app_user where name = 'colleague'").fetchone()[0]

    taken = coordinator.post("/profiles/p02/caseload", {"coordinator": "me"}, htmx=True)
    assert taken.status_code == 200
    assert "担当をcoordinatorさんにしました" in taken.text and "（あなた）" in taken.text
    assert coordinator_of(seeded_conn, "p02") == "coordinator"

    handed = coordinator.post("/profiles/p02/caseload", {"coordinator": str(colleague)}, htmx=True)
    assert "担当をcolleagueさんにしました" in handed.text and "自分が担当する" in handed.text
    assert coordinator_of(seeded_conn, "p02") == "colleague"

    cleared = coordinator.post("/profiles/p02/caseload", {"coordinator": ""})
    assert cleared.status_code == 303 and cleared.headers["location"] == "/profiles/p02/notes#caseload"
    assert coordinator_of(seeded_conn, "p02") is None
    assert audited_actions(seeded_conn, "profile", "p02", actor="coordinator") == ["assign"] * 3


def test_only_a_coordinator_can_be_the_coordinator(
    coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    host_id = seeded_conn.execute("select id from app_user where name = 'host'").fetchone()[0]
    refused = coordinator.post("/profiles/p02/caseload", {"coordinator": str(host_id)}, htmx=True)
    assert "担当にできるのは、無効になっていないコーディネーターだけです" in refused.text
    plain = coordinator.post("/profiles/p02/caseload", {"coordinator": "hacker"})
    assert plain.status_code == 422 and "担当は一覧から選んでください" in plain.text
    assert coordinator_of(seeded_conn, "p02") is None


def test_writing_a_note_and_reading_it_back(coordinator: WebUser, seeded_conn: psycopg.Connection) -> None:
    last_week = (date.today() - timedelta(days=7)).isoformat()
    written = coordinator.post(
        "/profiles/p02/notes",
        {"written_on": last_week, "body": "本人と図書館を見学。\n次回は一人で行く。"},
        htmx=True,
    )
    assert written.status_code == 200
    assert "記録しました" in written.text and "本人と図書館を見学。\n次回は一人で行く。" in written.text
    assert f"<strong>{last_week}</strong>" in written.text
    assert 'name="body" rows="4" maxlength="4000" class="">' in written.text  # the form is empty again
    plain = coordinator.post("/profiles/p02/notes", {"written_on": "", "body": "電話で近況を確認"})
    assert plain.status_code == 303 and plain.headers["location"] == "/profiles/p02/notes#case-notes"
    page = coordinator.get("/profiles/p02/notes").text
    assert page.index("電話で近況を確認") < page.index("本人と図書館を見学")  # today's first
    assert "2件" in page and "<h1>担当と支援経過記録 <code>p02</code></h1>" in page
    assert audited_actions(seeded_conn, "profile", "p02").count("case_note") == 2


def test_a_refused_note_keeps_what_was_typed(coordinator: WebUser, seeded_conn: psycopg.Connection) -> None:
    text = "田中太郎さんと面談した。来週また会う"
    refused = coordinator.post(
        "/profiles/p02/notes", {"written_on": date.today().isoformat(), "body": text}, htmx=True
    )
    assert refused.status_code == 200  # htmx swaps the section with the message beside the field
    assert "個人を特定できる情報は書けません" in refused.text and f">{text}</textarea>" in refused.text
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    future = coordinator.post("/profiles/p02/notes", {"written_on": tomorrow, "body": "見学予定"})
    assert future.status_code == 422
    assert "未来の日は選べません" in future.text and ">見学予定</textarea>" in future.text
    assert f'value="{tomorrow}"' in future.text
    broken = coordinator.post("/profiles/p02/notes", {"written_on": "2026-13-45", "body": "見学"}, htmx=True)
    assert "日付は 2026-04-01 のように選んでください" in broken.text
    assert note_bodies(seeded_conn, "p02") == []


def test_the_profile_page_partials_load_themselves_or_link_without_javascript(coordinator: WebUser) -> None:
    notes = coordinator.get("/profiles/p02/notes", headers={"HX-Request": "true"})
    assert notes.text.lstrip().startswith("<section") and "<html" not in notes.text
    assert 'id="case-notes"' in notes.text and "まだ記録はありません" in notes.text
    assert coordinator.get("/profiles/nobody/notes").status_code == 404


@pytest.mark.parametrize("role", ["host", "admin"])
def test_hosts_and_admins_can_neither_read_nor_write_notes(
    role: str, request: pytest.FixtureRequest, coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    coordinator.post("/profiles/p02/notes", {"body": "就労の話を少しした"})
    visitor: WebUser = request.getfixturevalue(role)
    for path in ("/profiles/p02/notes", "/profiles/p02/caseload"):
        answer = visitor.get(path)
        assert answer.status_code == 403 and "就労の話を少しした" not in answer.text
    assert visitor.post("/profiles/p02/notes", {"body": "書き込み"}).status_code == 403
    assert visitor.post("/profiles/p02/caseload", {"coordinator": "me"}).status_code == 403
    assert note_bodies(seeded_conn, "p02") == ["就労の話を少しした"]
    assert coordinator_of(seeded_conn, "p02") is None


def test_the_notes_api(api_client: TestClient, seeded_conn: psycopg.Connection, seeded_cli: Cli) -> None:
    coordinator = api_token(seeded_cli, "coordinator", "api-coordinator")
    host = api_token(seeded_cli, "provider", "api-host", "r01")
    admin = api_token(seeded_cli, "admin", "api-admin")
    made = api_client.post(
        "/api/profiles/p02/notes", json={"body": "作業所の見学に同行"}, headers=coordinator
    )
    assert made.status_code == 201, made.text
    assert (
        made.json()["written_on"] == date.today().isoformat() and made.json()["author"] == "api-coordinator"
    )
    back = api_client.post(
        "/api/profiles/p02/notes", json={"body": "初回面談", "written_on": "2025-04-01"}, headers=coordinator
    )
    assert back.status_code == 201
    listed = api_client.get("/api/profiles/p02/notes", headers=coordinator)
    assert [n["body"] for n in listed.json()] == ["作業所の見学に同行", "初回面談"]

    pii = api_client.post("/api/profiles/p02/notes", json={"body": "電話 090-1234-5678"}, headers=coordinator)
    assert pii.status_code == 422 and pii.json()["detail"][0]["loc"] == ["body", "body"]
    future = (date.today() + timedelta(days=2)).isoformat()
    ahead = api_client.post(
        "/api/profiles/p02/notes", json={"body": "x", "written_on": future}, headers=coordinator
    )
    assert ahead.status_code == 422 and ahead.json()["detail"][0]["loc"] == ["body", "written_on"]
    missing = api_client.get("/api/profiles/nobody/notes", headers=coordinator)
    assert missing.status_code == 404
    for other in (host, admin):
        assert api_client.get("/api/profiles/p02/notes", headers=other).status_code == 403
        assert (
            api_client.post("/api/profiles/p02/notes", json={"body": "x"}, headers=other).status_code == 403
        )
    assert len(note_bodies(seeded_conn, "p02")) == 2


def test_the_dashboard_lists_my_cases_first(coordinator: WebUser, seeded_conn: psycopg.Connection) -> None:
    coordinator.post("/profiles/p20/caseload", {"coordinator": "me"})
    coordinator.post("/profiles/p20/notes", {"written_on": "2026-01-05", "body": "面談"})
    board = coordinator.get("/").text
    mine = re.search(r'<section id="my-cases".*?</section>', board, re.S)
    assert mine and "/profiles/p20" in mine[0] and "2026-01-05" in mine[0] and "/profiles/p02" not in mine[0]
    assert board.index('id="my-cases"') < board.index('id="open"')
    first_open = re.search(r'<section id="open">.*?<a href="/profiles/([^"]+)">', board, re.S)
    assert first_open and first_open[1] == "p20"  # mine first, although p01 comes before it by code
