"""Every API route of interfaces.md answers as documented: roles, 404, 422 with the field, 409."""

from datetime import date, timedelta

import psycopg
from fastapi.testclient import TestClient

from tests.profiles.test_pii import PROFILE
from tests.web.conftest import api_token, consent_p02


def test_resources_read_and_replace_with_hosts_limited_to_their_own(
    api_client: TestClient,
    seeded_cli,
    seeded_conn: psycopg.Connection,
) -> None:
    coordinator = api_token(seeded_cli, "coordinator", "c1")
    host = api_token(seeded_cli, "provider", "h1", "r01")
    admin = api_token(seeded_cli, "admin", "a1")
    listing = api_client.get("/api/resources/r01", headers=coordinator).json()
    assert listing["id"] == "r01" and listing["kind"] == "cafe"
    assert api_client.get("/api/resources/r01", headers=admin).status_code == 200
    assert api_client.get("/api/resources/r01", headers=host).status_code == 200
    other = api_client.get("/api/resources/r03", headers=host)
    assert other.status_code == 403 and "r03" not in other.text and "菓子" not in other.text
    changed = listing | {"capacity_open": 1, "description": "冬は室内で干し柿づくりをします。"}
    response = api_client.put("/api/resources/r01", headers=host, json=changed)
    assert response.status_code == 200 and response.json()["capacity_open"] == 1
    assert api_client.put("/api/resources/r03", headers=host, json=changed | {"id": "r03"}).status_code == 403
    assert (
        api_client.put("/api/resources/r01", headers=coordinator, json=changed | {"id": "r09"}).status_code
        == 422
    )
    assert api_client.get("/api/resources/nothing", headers=coordinator).status_code == 404
    bad = api_client.put("/api/resources/r01", headers=coordinator, json=changed | {"capacity_open": 99})
    assert bad.status_code == 422
    (before, after) = seeded_conn.execute(
        "select before, after from audit_log where entity = 'resource' and entity_id = 'r01' and action = 'update'"
    ).fetchone()
    assert after["capacity_open"] == 1 and before["capacity_open"] != 1
    stored = seeded_conn.execute("select source from resource where id = 'r01'").fetchone()[0]
    assert stored == "seed"  # replacing a listing keeps where it came from


def test_profiles_create_read_replace_with_the_pii_guard(api_client: TestClient, seeded_cli) -> None:
    headers = api_token(seeded_cli, "coordinator", "c2")
    created = api_client.post("/api/profiles", headers=headers, json=PROFILE)
    assert created.status_code == 201
    assert api_client.post("/api/profiles", headers=headers, json=PROFILE).status_code == 409
    assert api_client.get("/api/profiles/p-test", headers=headers).json()["narrative"] == PROFILE["narrative"]
    pii = api_client.put(
        "/api/profiles/p-test",
        headers=headers,
        json=PROFILE | {"narrative": "山田太郎さん、携帯090-1111-2222"},
    )
    assert pii.status_code == 422
    detail = pii.json()["detail"][0]
    assert detail["loc"] == ["body", "narrative"] and "敬称付きの氏名" in detail["msg"]
    replaced = api_client.put("/api/profiles/p-test", headers=headers, json=PROFILE | {"stage": 2})
    assert replaced.status_code == 200 and replaced.json()["stage"] == 2
    assert api_client.get("/api/profiles/nobody", headers=headers).status_code == 404
    host = api_token(seeded_cli, "provider", "h2", "r01")
    assert api_client.get("/api/profiles/p-test", headers=host).status_code == 403


def test_placements_conflicts_and_the_hosts_referrals(
    api_client: TestClient,
    seeded_cli,
    seeded_conn: psycopg.Connection,
) -> None:
    headers = api_token(seeded_cli, "coordinator", "c3")
    no_reason = api_client.post(
        "/api/placements", headers=headers, json={"profile_id": "p19", "resource_id": "r03"}
    )
    assert no_reason.status_code == 409 and "狭間の理由" in no_reason.json()["detail"]
    excluded = api_client.post(
        "/api/placements", headers=headers, json={"profile_id": "p19", "resource_id": "r01x"}
    )
    assert excluded.status_code == 404
    body = {"profile_id": "p19", "resource_id": "r03", "gap_reason": "本人が障害福祉サービスを望まない"}
    placed = api_client.post("/api/placements", headers=headers, json=body)
    assert placed.status_code == 201 and placed.json()["tier"] == 2 and placed.json()["reserved"] is True
    assert api_client.post("/api/placements", headers=headers, json=body).status_code == 409
    pid = placed.json()["id"]
    seeded_conn.execute("update needs_profile set consent = 'meeting_only' where id = 'p19'")
    seeded_conn.commit()
    refused = api_client.post(f"/api/placements/{pid}/refer", headers=headers, json={"host_note": "x"})
    assert refused.status_code == 409 and "本人同意" in refused.json()["detail"]
    seeded_conn.execute("update needs_profile set consent = 'full' where id = 'p19'")
    seeded_conn.commit()
    referred = api_client.post(
        f"/api/placements/{pid}/refer", headers=headers, json={"host_note": "静かな席を"}
    )
    assert referred.status_code == 200 and referred.json()["status"] == "referred"
    assert (
        api_client.post(f"/api/placements/{pid}/steps", headers=headers, json={"action": "end"}).status_code
        == 409
    )
    host = api_token(seeded_cli, "provider", "h3", "r03")
    (referral,) = api_client.get("/api/provider/referrals", headers=host).json()
    assert set(referral) == {
        "placement_id",
        "resource_id",
        "resource_name",
        "status",
        "referred_at",
        "answer_due",
        "trial_planned_on",
        "coordinator",
        "coordinator_email",
        "withdrawn",
        "age_band",
        "availability",
        "needs_accommodations",
        "stage",
        "host_note",
        "host_response",
        "host_response_reason",
        "host_responded_at",
    }
    assert referral["host_note"] == "静かな席を" and referral["age_band"] == "25-29"
    everything = str(referral)
    assert "p19" not in everything and "受給者証" not in everything and "certificate" not in everything
    assert (
        api_client.get(
            "/api/provider/referrals", headers=api_token(seeded_cli, "provider", "h4", "r01")
        ).json()
        == []
    )
    assert api_client.get("/api/provider/referrals", headers=headers).status_code == 403
    shown = seeded_conn.execute("select actor from audit_log where action = 'shown_to_host'").fetchall()
    assert shown == [("h3",)]


def test_api_lifecycle_and_follow_ups(api_client: TestClient, seeded_cli, seeded_conn) -> None:
    headers = api_token(seeded_cli, "coordinator", "c4")
    consent_p02(seeded_conn)
    pid = api_client.post(
        "/api/placements", headers=headers, json={"profile_id": "p02", "resource_id": "r02"}
    ).json()["id"]
    assert api_client.post(f"/api/placements/{pid}/refer", headers=headers).status_code == 200
    future = (date.today() + timedelta(days=1)).isoformat()
    ahead = api_client.post(
        f"/api/placements/{pid}/steps", headers=headers, json={"action": "trial", "on": future}
    )
    assert ahead.status_code == 409 and "未来の日付" in ahead.json()["detail"]
    yesterday = date.today() - timedelta(days=1)
    seeded_conn.execute(
        "update placement set confirmed_at = now() - interval '3 days', referred_at = now() - interval '2 days' where id = %s",
        [pid],
    )
    seeded_conn.commit()
    trial = api_client.post(
        f"/api/placements/{pid}/steps", headers=headers, json={"action": "trial", "on": yesterday.isoformat()}
    ).json()
    assert trial["status"] == "trial" and trial["trial_at"].startswith(yesterday.isoformat())
    assert trial["override_reason"] and trial["dated_reason"]  # a script's step still says why
    assert (
        api_client.post(f"/api/placements/{pid}/steps", headers=headers, json={"action": "activate"}).json()[
            "status"
        ]
        == "active"
    )
    follow = {"month": 1, "still_participating": True, "frequency": "週1回", "rating": 5}
    too_early = api_client.post(f"/api/placements/{pid}/followups", headers=headers, json=follow)
    assert too_early.status_code == 409 and "7日前から記録できます" in too_early.json()["detail"]
    seeded_conn.execute("update placement set started_at = now() - interval '30 days' where id = %s", [pid])
    seeded_conn.commit()
    assert (
        api_client.post(f"/api/placements/{pid}/followups", headers=headers, json=follow).status_code == 201
    )
    assert (
        api_client.post(f"/api/placements/{pid}/followups", headers=headers, json=follow).status_code == 409
    )
    bad = api_client.post(
        f"/api/placements/{pid}/followups", headers=headers, json=follow | {"month": 2, "rating": 9}
    )
    assert bad.status_code == 422
    end = api_client.post(
        f"/api/placements/{pid}/steps", headers=headers, json={"action": "end", "end_reason": "completed"}
    )
    assert end.json()["status"] == "ended" and end.json()["reserved"] is False
    assert api_client.get("/api/placements/999999", headers=headers).status_code == 404


def test_openapi_documents_every_route(api_client: TestClient) -> None:
    paths = api_client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/resources/{resource_id}",
        "/api/profiles",
        "/api/profiles/{profile_id}",
        "/api/profiles/{profile_id}/proposals",
        "/api/placements",
        "/api/profiles/{profile_id}/rejections",
        "/api/placements/{placement_id}/refer",
        "/api/provider/referrals",
    ):
        assert path in paths, path
