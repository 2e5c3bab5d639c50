"""The JSON API for proposals and rejections, with Bearer tokens and roles enforced on the server."""

import json

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Cli
from tests.web.conftest import api_token


def test_proposals_are_the_same_document_as_the_cli(api_client: TestClient, seeded_cli: Cli) -> None:
    headers = api_token(seeded_cli, "coordinator", "coordinator-1")
    response = api_client.get("/api/profiles/p14/proposals?top=3", headers=headers)
    assert response.status_code == 200
    from_cli = json.loads(seeded_cli("propose", "p14", "--top", "3", "--json").stdout)
    assert response.json() == from_cli


def test_tokens_and_roles_are_enforced(api_client: TestClient, seeded_cli: Cli) -> None:
    assert api_client.get("/api/profiles/p14/proposals").status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert api_client.get("/api/profiles/p14/proposals", headers=bad).status_code == 401
    host = api_token(seeded_cli, "provider", "host-1", "r01")
    response = api_client.get("/api/profiles/p14/proposals", headers=host)
    assert response.status_code == 403
    assert "p14" not in response.text and "proposals" not in response.text
    admin = api_token(seeded_cli, "admin", "admin-1")
    assert api_client.get("/api/profiles/p14/proposals", headers=admin).status_code == 403


def test_unknown_profile_and_bad_top_are_client_errors(api_client: TestClient, seeded_cli: Cli) -> None:
    headers = api_token(seeded_cli, "coordinator", "coordinator-2")
    missing = api_client.get("/api/profiles/nobody/proposals", headers=headers)
    assert missing.status_code == 404 and "nobody" in missing.json()["detail"]
    for bad_top in ("0", "-1", "abc", "100000"):
        response = api_client.get(f"/api/profiles/p14/proposals?top={bad_top}", headers=headers)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["query", "top"]


def test_a_rejection_is_recorded_and_not_proposed_again(api_client: TestClient, seeded_cli: Cli) -> None:
    headers = api_token(seeded_cli, "coordinator", "coordinator-3")
    first = api_client.get("/api/profiles/p14/proposals", headers=headers).json()["proposals"][0][
        "resource_id"
    ]
    response = api_client.post(
        "/api/profiles/p14/rejections",
        headers=headers,
        json={"resource_id": first, "reason": "本人が見学を辞退"},
    )
    assert response.status_code == 201
    document = api_client.get("/api/profiles/p14/proposals?top=100", headers=headers).json()
    assert first not in [p["resource_id"] for p in document["proposals"]]
    (excluded,) = [e for e in document["excluded"] if e["resource_id"] == first]
    assert excluded["reasons"][-1]["code"] == "rejected"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"resource_id": "r01"}, "reason"),
        ({"resource_id": "r01", "reason": "   "}, "reason"),
        ({"reason": "理由"}, "resource_id"),
        ({"resource_id": "r01", "reason": "x" * 5000}, "reason"),
        ({"resource_id": ["r01"], "reason": "理由"}, "resource_id"),
    ],
)
def test_bad_rejections_are_refused_with_the_field(
    api_client: TestClient, seeded_cli: Cli, body: dict, field: str
) -> None:
    headers = api_token(seeded_cli, "coordinator", "coordinator-4")
    response = api_client.post("/api/profiles/p14/rejections", headers=headers, json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == field


def test_rejecting_an_unknown_listing_or_profile_is_404(api_client: TestClient, seeded_cli: Cli) -> None:
    headers = api_token(seeded_cli, "coordinator", "coordinator-5")
    body = {"resource_id": "nothing", "reason": "理由"}
    assert api_client.post("/api/profiles/p14/rejections", headers=headers, json=body).status_code == 404
    body = {"resource_id": "r01", "reason": "理由"}
    assert api_client.post("/api/profiles/nobody/rejections", headers=headers, json=body).status_code == 404


def test_malformed_json_is_a_client_error(api_client: TestClient, seeded_cli: Cli) -> None:
    headers = api_token(seeded_cli, "coordinator", "coordinator-6") | {"Content-Type": "application/json"}
    response = api_client.post("/api/profiles/p14/rejections", headers=headers, content=b"{not json")
    assert response.status_code == 422
