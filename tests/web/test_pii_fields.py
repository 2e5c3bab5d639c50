"""Issue 12 item 2: every free-text field that leaves the profile refuses identifiers, on the form and the API.

For each field a phone number or a name is refused with the guard's message beside the field (the
typed text kept) or as a 422 naming the field, and nothing is stored; clean text passes.
"""

import re

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Cli
from tests.web.conftest import WebUser, api_token, confirm_p02_at_r02, consent_p02

PHONE = "母親の携帯090-1234-5678に連絡"
NAME = "担当の佐藤花子さんが付き添う"
CLEAN = "午後の短時間から。大きな音が苦手"
MESSAGE = "個人を特定できる情報は書けません"


def count(conn: psycopg.Connection, sql: str, *params: object) -> int:
    row = conn.execute(sql, list(params)).fetchone()
    assert row is not None
    return int(row[0])


def tier1_first(coordinator: WebUser, profile_id: str) -> str:
    html = coordinator.get(f"/profiles/{profile_id}").text
    section = html[html.index("既存事業（優先）") : html.index('<h3 class="group">参加支援')]
    return re.findall(r'id="proposal-([^"]+)"', section)[0]


def placed(coordinator: WebUser, conn: psycopg.Connection, *steps: str) -> int:
    pid = confirm_p02_at_r02(coordinator, conn)
    for action in steps:  # going ahead of the host's answer needs a reason
        form = {"override_reason": "電話で調整済み"} if action in ("trial", "activate") else {}
        assert "記録しました" in coordinator.post(f"/placements/{pid}/{action}", form, htmx=True).text
    return int(pid)


# --- forms -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [PHONE, NAME])
def test_gap_reason_form(coordinator: WebUser, seeded_conn: psycopg.Connection, text: str) -> None:
    page = coordinator.post("/profiles/p19/confirm", {"resource_id": "r03", "gap_reason": text}, htmx=True)
    assert MESSAGE in page.text and 'name="gap_reason"' in page.text and text in page.text
    assert count(seeded_conn, "select count(*) from placement") == 0
    clean = coordinator.post("/profiles/p19/confirm", {"resource_id": "r03", "gap_reason": CLEAN}, htmx=True)
    assert "確定しました" in clean.text


@pytest.mark.parametrize("text", [PHONE, NAME])
def test_rejection_reason_form(coordinator: WebUser, seeded_conn: psycopg.Connection, text: str) -> None:
    first = tier1_first(coordinator, "p19")
    page = coordinator.post("/profiles/p19/reject", {"resource_id": first, "reason": text}, htmx=True)
    assert MESSAGE in page.text and f'value="{text}"' in page.text and 'class="field-error"' in page.text
    assert count(seeded_conn, "select count(*) from rejection") == 0
    clean = coordinator.post("/profiles/p19/reject", {"resource_id": first, "reason": CLEAN}, htmx=True)
    assert "見送りを記録しました" in clean.text


@pytest.mark.parametrize("text", [PHONE, NAME])
def test_host_note_form(coordinator: WebUser, seeded_conn: psycopg.Connection, text: str) -> None:
    pid = placed(coordinator, seeded_conn)
    page = coordinator.post(f"/placements/{pid}/refer", {"host_note": text}, htmx=True)
    assert MESSAGE in page.text and f">{text}</textarea>" in page.text
    row = seeded_conn.execute("select status, host_note from placement where id = %s", [pid]).fetchone()
    assert row == ("confirmed", "")
    assert "紹介済み" in coordinator.post(f"/placements/{pid}/refer", {"host_note": CLEAN}, htmx=True).text


@pytest.mark.parametrize("text", [PHONE, NAME])
def test_end_note_form(coordinator: WebUser, seeded_conn: psycopg.Connection, text: str) -> None:
    pid = placed(coordinator, seeded_conn, "refer", "activate")
    form = {"end_reason": "stepped_up", "end_note": text}
    page = coordinator.post(f"/placements/{pid}/end", form, htmx=True)
    assert MESSAGE in page.text and f'value="{text}"' in page.text
    assert seeded_conn.execute("select status from placement where id = %s", [pid]).fetchone()[0] == "active"
    coordinator.post(f"/placements/{pid}/end", form | {"end_note": CLEAN}, htmx=True)
    assert seeded_conn.execute("select end_note from placement where id = %s", [pid]).fetchone()[0] == CLEAN


@pytest.mark.parametrize("field", ["note", "frequency"])
@pytest.mark.parametrize("text", [PHONE, NAME])
def test_followup_form(coordinator: WebUser, seeded_conn: psycopg.Connection, field: str, text: str) -> None:
    pid = placed(coordinator, seeded_conn, "refer", "activate")
    seeded_conn.execute("update placement set started_at = now() - interval '35 days' where id = %s", [pid])
    seeded_conn.commit()
    form = {"month": "1", "still_participating": "yes", "frequency": "週2回", "rating": "4", "note": "元気"}
    page = coordinator.post(f"/placements/{pid}/followups/new", form | {field: text}, htmx=True)
    assert MESSAGE in page.text and f'value="{text}"' in page.text and 'class="field-error"' in page.text
    assert count(seeded_conn, "select count(*) from followup") == 0
    done = coordinator.post(f"/placements/{pid}/followups/new", form, htmx=True)
    assert "1か月目のフォローアップを記録しました" in done.text


# --- API ---------------------------------------------------------------------------------


def refused(response, field: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    (detail,) = response.json()["detail"]
    assert detail["loc"][-1] == field and MESSAGE in detail["msg"]


@pytest.fixture
def placing_coordinator(seeded_cli: Cli, seeded_conn: psycopg.Connection) -> dict[str, str]:
    """A coordinator's API token header, demo profile p02 having given the consent a placement needs."""
    consent_p02(seeded_conn)
    return api_token(seeded_cli, "coordinator", "coordinator-pii")


@pytest.mark.parametrize("text", [PHONE, NAME])
def test_api_placement_fields(
    api_client: TestClient, placing_coordinator: dict[str, str], seeded_conn: psycopg.Connection, text: str
) -> None:
    headers = placing_coordinator
    body = {"profile_id": "p02", "resource_id": "r02"}
    refused(
        api_client.post("/api/placements", headers=headers, json=body | {"gap_reason": text}), "gap_reason"
    )
    assert count(seeded_conn, "select count(*) from placement") == 0
    pid = api_client.post("/api/placements", headers=headers, json=body).json()["id"]
    refused(
        api_client.post(f"/api/placements/{pid}/refer", headers=headers, json={"host_note": text}),
        "host_note",
    )
    referred = api_client.post(f"/api/placements/{pid}/refer", headers=headers, json={"host_note": CLEAN})
    assert referred.status_code == 200 and referred.json()["host_note"] == CLEAN
    api_client.post(
        f"/api/placements/{pid}/steps",
        headers=headers,
        json={"action": "activate", "override_reason": "電話で調整済み"},
    )
    seeded_conn.execute("update placement set started_at = now() - interval '35 days' where id = %s", [pid])
    seeded_conn.commit()
    followup = {"month": 1, "still_participating": True, "frequency": "週2回", "note": "元気"}
    for field in ("frequency", "note"):
        response = api_client.post(
            f"/api/placements/{pid}/followups", headers=headers, json=followup | {field: text}
        )
        refused(response, field)
    assert count(seeded_conn, "select count(*) from followup") == 0
    assert (
        api_client.post(f"/api/placements/{pid}/followups", headers=headers, json=followup).status_code == 201
    )
    end = {"action": "end", "end_reason": "stepped_up", "end_note": text}
    refused(api_client.post(f"/api/placements/{pid}/steps", headers=headers, json=end), "end_note")
    assert seeded_conn.execute("select status from placement where id = %s", [pid]).fetchone()[0] == "active"
    ended = api_client.post(f"/api/placements/{pid}/steps", headers=headers, json=end | {"end_note": CLEAN})
    assert ended.status_code == 200


@pytest.mark.parametrize("text", [PHONE, NAME])
def test_api_host_decline_reason(
    api_client: TestClient,
    placing_coordinator: dict[str, str],
    seeded_cli: Cli,
    seeded_conn: psycopg.Connection,
    text: str,
) -> None:
    headers = placing_coordinator
    pid = api_client.post(
        "/api/placements", headers=headers, json={"profile_id": "p02", "resource_id": "r02"}
    )
    pid = pid.json()["id"]
    api_client.post(f"/api/placements/{pid}/refer", headers=headers, json={"host_note": CLEAN})
    host = api_token(seeded_cli, "provider", "host-pii", "r02")
    answer = f"/api/provider/referrals/{pid}/answer"
    refused(api_client.post(answer, headers=host, json={"accept": False, "reason": text}), "reason")
    assert (
        seeded_conn.execute("select host_response from placement where id = %s", [pid]).fetchone()[0] is None
    )
    assert api_client.post(answer, headers=host, json={"accept": False, "reason": CLEAN}).status_code == 204


@pytest.mark.parametrize("text", [PHONE, NAME])
def test_api_rejection_reason(
    api_client: TestClient, seeded_cli: Cli, seeded_conn: psycopg.Connection, text: str
) -> None:
    headers = api_token(seeded_cli, "coordinator", "coordinator-pii3")
    first = api_client.get("/api/profiles/p14/proposals", headers=headers).json()["proposals"][0]
    body = {"resource_id": first["resource_id"]}
    refused(
        api_client.post("/api/profiles/p14/rejections", headers=headers, json=body | {"reason": text}),
        "reason",
    )
    assert count(seeded_conn, "select count(*) from rejection") == 0
    ok = api_client.post("/api/profiles/p14/rejections", headers=headers, json=body | {"reason": CLEAN})
    assert ok.status_code == 201
