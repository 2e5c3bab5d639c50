"""The JSON API for proposals and rejections, with Bearer tokens and roles enforced on the server."""

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from matcher.config import Settings
from tests.conftest import Cli
from web.app import create_app


@pytest.fixture
def client(seeded_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(seeded_settings)) as test_client:
        yield test_client


def token(cli: Cli, role: str, name: str, *resources: str) -> dict[str, str]:
    args = ["user", "create", "--role", role, "--name", name]
    for resource_id in resources:
        args += ["--resource", resource_id]
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    return {"Authorization": f"Bearer {result.stdout.strip()}"}


def test_proposals_are_the_same_document_as_the_cli(client: TestClient, seeded_cli: Cli) -> None:
    headers = token(seeded_cli, "coordinator", "coordinator-1")
    response = client.get("/api/profiles/p14/proposals?top=3", headers=headers)
    assert response.status_code == 200
    from_cli = json.loads(seeded_cli("propose", "p14", "--top", "3", "--json").stdout)
    assert response.json() == from_cli


def test_tokens_and_roles_are_enforced(client: TestClient, seeded_cli: Cli) -> None:
    assert client.get("/api/profiles/p14/proposals").status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert client.get("/api/profiles/p14/proposals", headers=bad).status_code == 401
    host = token(seeded_cli, "provider", "host-1", "r01")
    response = client.get("/api/profiles/p14/proposals", headers=host)
    assert response.status_code == 403
    assert "p14" not in response.text and "proposals" not in response.text
    admin = token(seeded_cli, "admin", "admin-1")
    assert client.get("/api/profiles/p14/proposals", headers=admin).status_code == 403


def test_unknown_profile_and_bad_top_are_client_errors(client: TestClient, seeded_cli: Cli) -> None:
    headers = token(seeded_cli, "coordinator", "coordinator-2")
    missing = client.get("/api/profiles/nobody/proposals", headers=headers)
    assert missing.status_code == 404 and "nobody" in missing.json()["detail"]
    for bad_top in ("0", "-1", "abc", "100000"):
        response = client.get(f"/api/profiles/p14/proposals?top={bad_top}", headers=headers)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["query", "top"]


def test_a_rejection_is_recorded_and_not_proposed_again(client: TestClient, seeded_cli: Cli) -> None:
    headers = token(seeded_cli, "coordinator", "coordinator-3")
    first = client.get("/api/profiles/p14/proposals", headers=headers).json()["proposals"][0]["resource_id"]
    response = client.post(
        "/api/profiles/p14/rejections",
        headers=headers,
        json={"resource_id": first, "reason": "本人が見学を辞退"},
    )
    assert response.status_code == 201
    document = client.get("/api/profiles/p14/proposals?top=100", headers=headers).json()
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
    client: TestClient, seeded_cli: Cli, body: dict, field: str
) -> None:
    headers = token(seeded_cli, "coordinator", "coordinator-4")
    response = client.post("/api/profiles/p14/rejections", headers=headers, json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == field


def test_rejecting_an_unknown_listing_or_profile_is_404(client: TestClient, seeded_cli: Cli) -> None:
    headers = token(seeded_cli, "coordinator", "coordinator-5")
    body = {"resource_id": "nothing", "reason": "理由"}
    assert client.post("/api/profiles/p14/rejections", headers=headers, json=body).status_code == 404
    body = {"resource_id": "r01", "reason": "理由"}
    assert client.post("/api/profiles/nobody/rejections", headers=headers, json=body).status_code == 404


def test_malformed_json_is_a_client_error(client: TestClient, seeded_cli: Cli) -> None:
    headers = token(seeded_cli, "coordinator", "coordinator-6") | {"Content-Type": "application/json"}
    response = client.post("/api/profiles/p14/rejections", headers=headers, content=b"{not json")
    assert response.status_code == 422
