"""支援会議 and 重層的支援会議 (domain.md §9) through the API of interfaces.md and the pages: the kind of
meeting decides whose case may be discussed; a member sees a case only as a member of that meeting,
after acknowledging 守秘義務, while it is open; every showing is audited; minutes are PII-guarded."""

from datetime import date, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Cli
from tests.web.conftest import WebUser, api_token, audited_actions, signed_in

NARRATIVE_P02 = "大学卒業後に就職した会社を半年で辞めてから"  # p02: consent none
NARRATIVE_P09 = "80代の母親の介護のために仕事を辞め"  # p09: consent meeting_only
NARRATIVE_P01 = "高校を中退してから3年ほど自室で過ごしており"  # p01: consent full


@pytest.fixture
def organiser(seeded_cli: Cli) -> dict[str, str]:
    return api_token(seeded_cli, "coordinator", "会議の主催")


@pytest.fixture
def members(seeded_cli: Cli) -> tuple[dict[str, str], dict[str, str]]:
    """Two member accounts: one will belong to the meeting, the other not."""
    return api_token(seeded_cli, "member", "地域包括の職員"), api_token(seeded_cli, "member", "社協の職員")


def new_meeting(client: TestClient, organiser: dict[str, str], kind: str, held_on: date) -> int:
    response = client.post(
        "/api/meetings",
        json={"kind": kind, "held_on": held_on.isoformat(), "title": "北部圏域の会議"},
        headers=organiser,
    )
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == kind
    return int(response.json()["id"])


def test_a_jusoteki_meeting_refuses_a_person_without_full_consent_and_a_shien_kaigi_takes_anyone(
    anonymous: TestClient, organiser: dict[str, str]
) -> None:
    jusoteki = new_meeting(anonymous, organiser, "jusoteki_kaigi", date.today())
    for profile_id in ("p02", "p09"):  # consent none, meeting_only
        refused = anonymous.post(
            f"/api/meetings/{jusoteki}/cases", json={"profile_id": profile_id}, headers=organiser
        )
        assert refused.status_code == 409, refused.text
        assert "重層的支援会議" in refused.json()["detail"] and "同意" in refused.json()["detail"]
    taken = anonymous.post(f"/api/meetings/{jusoteki}/cases", json={"profile_id": "p01"}, headers=organiser)
    assert taken.status_code == 201 and taken.json()["consent"] == "full"

    shien = new_meeting(anonymous, organiser, "shien_kaigi", date.today())
    for profile_id in ("p01", "p02", "p09"):
        added = anonymous.post(
            f"/api/meetings/{shien}/cases", json={"profile_id": profile_id}, headers=organiser
        )
        assert added.status_code == 201, added.text
    missing = anonymous.post(f"/api/meetings/{shien}/cases", json={"profile_id": "nobody"}, headers=organiser)
    assert missing.status_code == 404
    wrong_kind = anonymous.post(
        "/api/meetings", json={"kind": "kaigi", "held_on": "2026-12-01", "title": "x"}, headers=organiser
    )
    assert wrong_kind.status_code == 422


def test_only_member_accounts_join_a_meeting(
    anonymous: TestClient, organiser: dict[str, str], members: tuple[dict[str, str], dict[str, str]]
) -> None:
    meeting = new_meeting(anonymous, organiser, "shien_kaigi", date.today())
    joined = anonymous.post(
        f"/api/meetings/{meeting}/members", json={"name": "地域包括の職員"}, headers=organiser
    )
    assert joined.status_code == 201 and joined.json()["acknowledged_at"] is None
    coordinator = anonymous.post(
        f"/api/meetings/{meeting}/members", json={"name": "会議の主催"}, headers=organiser
    )
    assert coordinator.status_code == 422 and "構成員" in coordinator.text
    nobody = anonymous.post(
        f"/api/meetings/{meeting}/members", json={"name": "だれでもない"}, headers=organiser
    )
    assert nobody.status_code == 404
    by_member = anonymous.post(
        f"/api/meetings/{meeting}/members", json={"name": "社協の職員"}, headers=members[0]
    )
    assert by_member.status_code == 403


def test_a_member_sees_the_agenda_only_after_acknowledging_and_every_showing_is_audited(
    anonymous: TestClient,
    organiser: dict[str, str],
    members: tuple[dict[str, str], dict[str, str]],
    seeded_conn: psycopg.Connection,
) -> None:
    inside, outside = members
    meeting = new_meeting(anonymous, organiser, "shien_kaigi", date.today())
    anonymous.post(f"/api/meetings/{meeting}/members", json={"name": "地域包括の職員"}, headers=organiser)
    for profile_id in ("p02", "p09"):
        anonymous.post(f"/api/meetings/{meeting}/cases", json={"profile_id": profile_id}, headers=organiser)

    before = anonymous.get(f"/api/meetings/{meeting}/cases", headers=inside)
    assert before.status_code == 403 and "守秘義務" in before.json()["detail"]
    assert NARRATIVE_P02 not in before.text
    assert anonymous.post(f"/api/meetings/{meeting}/acknowledge", headers=outside).status_code == 403
    assert anonymous.get(f"/api/meetings/{meeting}/cases", headers=outside).status_code == 403
    # a member sees nothing outside meetings: not the profile itself, not the registry
    assert anonymous.get("/api/profiles/p02", headers=inside).status_code == 403
    assert anonymous.get("/api/profiles/p02/proposals", headers=inside).status_code == 403

    acknowledged = anonymous.post(f"/api/meetings/{meeting}/acknowledge", headers=inside)
    assert acknowledged.status_code == 200 and acknowledged.json()["acknowledged_at"]
    shown = anonymous.get(f"/api/meetings/{meeting}/cases", headers=inside)
    assert shown.status_code == 200, shown.text
    cases = {case["id"]: case for case in shown.json()}
    assert set(cases) == {"p02", "p09"}  # shared without consent: that is what a 支援会議 is for
    assert cases["p02"]["narrative"].startswith(NARRATIVE_P02) and cases["p02"]["consent"] == "none"
    assert isinstance(cases["p02"]["proposals"], list) and cases["p02"]["proposals"]
    assert {"resource_id", "tier", "score", "reasons"} <= set(cases["p02"]["proposals"][0])
    for profile_id in ("p02", "p09"):
        assert "meeting_shown" in audited_actions(seeded_conn, "profile", profile_id, actor="地域包括の職員")


@pytest.mark.parametrize(
    ("held", "access_days", "open_"),
    [
        (date.today() + timedelta(days=1), 14, False),  # not yet held
        (date.today() - timedelta(days=14), 14, True),  # the last open day
        (date.today() - timedelta(days=15), 14, False),  # closed
        (date.today() - timedelta(days=3), 2, False),  # the window is a setting
    ],
)
def test_the_agenda_is_open_to_members_from_the_meeting_day_for_the_access_window(
    app,  # type: ignore[no-untyped-def]
    seeded_cli: Cli,
    held: date,
    access_days: int,
    open_: bool,
) -> None:
    app.state.settings.meeting_access_days = access_days
    organiser = api_token(seeded_cli, "coordinator", "主催")
    inside = api_token(seeded_cli, "member", "福祉事務所の職員")
    with TestClient(app) as client:
        meeting = new_meeting(client, organiser, "shien_kaigi", held)
        client.post(f"/api/meetings/{meeting}/members", json={"name": "福祉事務所の職員"}, headers=organiser)
        client.post(f"/api/meetings/{meeting}/cases", json={"profile_id": "p02"}, headers=organiser)
        assert client.post(f"/api/meetings/{meeting}/acknowledge", headers=inside).status_code == 200
        answer = client.get(f"/api/meetings/{meeting}/cases", headers=inside)
        assert (answer.status_code == 200) is open_, answer.text
        assert (NARRATIVE_P02 in answer.text) is open_
        # organisers always see it
        assert client.get(f"/api/meetings/{meeting}/cases", headers=organiser).status_code == 200


def test_consent_withdrawn_after_a_jusoteki_meeting_hides_the_case_there(
    anonymous: TestClient,
    organiser: dict[str, str],
    members: tuple[dict[str, str], dict[str, str]],
    seeded_conn: psycopg.Connection,
) -> None:
    meeting = new_meeting(anonymous, organiser, "jusoteki_kaigi", date.today())
    anonymous.post(f"/api/meetings/{meeting}/members", json={"name": "地域包括の職員"}, headers=organiser)
    anonymous.post(f"/api/meetings/{meeting}/cases", json={"profile_id": "p01"}, headers=organiser)
    anonymous.post(f"/api/meetings/{meeting}/acknowledge", headers=members[0])
    assert NARRATIVE_P01 in anonymous.get(f"/api/meetings/{meeting}/cases", headers=members[0]).text
    seeded_conn.execute("update needs_profile set consent = 'meeting_only' where id = 'p01'")
    seeded_conn.commit()
    answer = anonymous.get(f"/api/meetings/{meeting}/cases", headers=members[0])
    assert answer.status_code == 200 and answer.json() == []
    assert NARRATIVE_P01 not in anonymous.get(f"/api/meetings/{meeting}/cases", headers=organiser).text


def test_the_member_pages_ask_for_the_acknowledgement_then_show_the_cases(
    member: WebUser, coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    created = coordinator.post(
        "/meetings", {"kind": "shien_kaigi", "held_on": date.today().isoformat(), "title": "12月 支援会議"}
    )
    assert created.status_code == 303, created.text
    meeting_page = created.headers["location"]
    assert coordinator.post(meeting_page + "/members", {"name": "kaigi"}).status_code == 303
    assert coordinator.post(meeting_page + "/cases", {"profile_id": "p09"}).status_code == 303

    home = member.get("/")
    assert "12月 支援会議" in home.text and "守秘義務の確認がまだです" in home.text
    page = member.get(meeting_page)
    assert page.status_code == 200 and "守秘義務" in page.text and NARRATIVE_P09 not in page.text
    assert member.post(meeting_page + "/acknowledge").status_code == 303
    page = member.get(meeting_page)
    assert NARRATIVE_P09 in page.text and "提案" in page.text
    assert "meeting_acknowledged" in audited_actions(seeded_conn, "meeting", meeting_page.rsplit("/", 1)[1])
    # nothing outside meetings
    for path in ("/resources", "/profiles/p09", "/admin/users", "/meetings"):
        assert member.get(path, follow_redirects=False).status_code == 403, path


def test_minutes_are_pii_guarded_and_keep_what_was_typed(
    coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    created = coordinator.post(
        "/meetings", {"kind": "shien_kaigi", "held_on": date.today().isoformat(), "title": "支援会議"}
    )
    meeting_page = created.headers["location"]
    coordinator.post(meeting_page + "/cases", {"profile_id": "p02"})
    typed = "父親から相談あり。連絡先は090-1234-5678"
    refused = coordinator.post(
        meeting_page + "/cases/p02/minutes", {"shared": typed, "actions": "社協が訪問"}
    )
    assert refused.status_code == 422 and "電話番号" in refused.text and "社協が訪問" in refused.text
    assert seeded_conn.execute("select count(*) from meeting_minute").fetchone() == (0,)
    written = coordinator.post(
        meeting_page + "/cases/p02/minutes",
        {"shared": "父親から相談あり", "actions": "社協が訪問する", "next_review_on": "2099-01-10"},
    )
    assert written.status_code == 303
    page = coordinator.get(meeting_page)
    assert "社協が訪問する" in page.text and "2099-01-10" in page.text


def test_the_demo_has_a_shien_kaigi_for_its_member(seeded_cli: Cli, app) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):  # safe to run again: one demo meeting
        result = seeded_cli("demo-accounts")
        assert result.exit_code == 0, result.stderr
        assert "kaigi" in result.stdout and "demo-member-pass" in result.stdout
    session = signed_in(app, "member")  # signed in after the demo passwords were reset
    home = next(session).get("/")
    session.close()
    assert home.text.count("デモ: 支援会議（中央圏域）") == 1 and "守秘義務の確認がまだです" in home.text
