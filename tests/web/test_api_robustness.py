"""Nothing an API client sends causes a 500: malformed, missing and oversized values get 4xx."""

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import api_token

GARBAGE = [
    None,
    [],
    "just a string",
    {"id": None},
    {"id": "x" * 10_000, "name": "n"},
    {"profile_id": 1, "resource_id": {"a": 1}},
    {"profile_id": "p19", "resource_id": "r03", "gap_reason": "あ" * 100_000},
    {"month": "soon", "still_participating": "maybe"},
    {"action": "explode"},
    {"resource_id": "r01", "reason": "\u0000"},
]
ROUTES = [
    ("post", "/api/profiles"),
    ("put", "/api/profiles/p19"),
    ("put", "/api/resources/r01"),
    ("post", "/api/placements"),
    ("post", "/api/placements/1/refer"),
    ("post", "/api/placements/1/steps"),
    ("post", "/api/placements/1/followups"),
    ("post", "/api/profiles/p19/rejections"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_malformed_bodies_are_client_errors(
    api_client: TestClient, seeded_cli, method: str, path: str
) -> None:
    headers = api_token(seeded_cli, "coordinator", f"robust-{method}-{path.replace('/', '-')}")
    for body in GARBAGE:
        response = getattr(api_client, method)(path, headers=headers, json=body)
        assert 400 <= response.status_code < 500, (body, response.status_code, response.text[:200])
    raw = getattr(api_client, method)(
        path, headers=headers | {"Content-Type": "application/json"}, content=b"\xff\xfe{"
    )
    assert 400 <= raw.status_code < 500


@pytest.mark.parametrize(
    "path",
    [
        "/api/profiles/%00",
        "/api/resources/" + "x" * 5000,
        "/api/placements/-1",
        "/api/placements/99999999999999999999",
    ],
)
def test_odd_paths_are_client_errors(api_client: TestClient, seeded_cli, path: str) -> None:
    headers = api_token(seeded_cli, "coordinator", f"odd-{len(path)}")
    assert 400 <= api_client.get(path, headers=headers).status_code < 500
