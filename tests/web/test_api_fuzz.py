"""Schemathesis fuzzes every JSON API operation of the live app, once per role (coordinator, provider,
admin, anonymous), with that role's real Bearer token: never a 500, and every answer (status code,
content type, body) as /openapi.json documents it; data the schema forbids is refused with a 4xx.

Each role gets its own `matcher serve` on its own copy of the demo database (so one role's writes do
not change what another sees), with a few placements made first so the placement and referral routes
have something to act on. Generation is derandomized: a failure reproduces on every run."""

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import psycopg
import pytest
import requests
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from matcher.accounts.users import create_user
from matcher.config import Settings
from tests.conftest import MATCHER_BIN, Cli, create_database, drop_database
from tests.web.conftest import api_token, free_port, wait_until_up
from web.app import create_app

ROLES = ("coordinator", "provider", "admin", "anonymous")
# Every operation under /api/, read from the app itself so a new route is fuzzed without editing this file.
OPERATIONS = sorted(
    (method.upper(), path)
    for path, methods in create_app(Settings()).openapi()["paths"].items()
    if path.startswith("/api/")
    for method in methods
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
FUZZ_SETTINGS = settings(
    max_examples=int(os.environ.get("MATCHER_FUZZ_EXAMPLES", "30")),
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)
# Profiles whose first proposal the fixture confirms, so that placements exist to fuzz.
PLACED_PROFILES = ("p01", "p02", "p03", "p04", "p05", "p06")


@dataclass
class Served:
    """One role's live server: its base URL, token and the ids that exist in its database."""

    role: str
    base_url: str
    token: str | None
    known: dict[str, list[Any]]
    session: requests.Session

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def _place(base: str, coordinator: dict[str, str]) -> list[tuple[int, str]]:
    """Confirms each listed profile's first proposal and refers most of them: (placement id, resource id)."""
    made: list[tuple[int, str]] = []
    with requests.Session() as http:
        for index, profile_id in enumerate(PLACED_PROFILES):
            proposals = http.get(f"{base}/api/profiles/{profile_id}/proposals", headers=coordinator).json()
            if not proposals.get("proposals"):
                continue
            resource_id = proposals["proposals"][0]["resource_id"]
            placed = http.post(
                f"{base}/api/placements",
                headers=coordinator,
                json={"profile_id": profile_id, "resource_id": resource_id, "gap_reason": "fuzz"},
            )
            if placed.status_code != 201:
                continue
            placement_id = placed.json()["id"]
            if index % 3:
                http.post(f"{base}/api/placements/{placement_id}/refer", headers=coordinator, json={})
            made.append((placement_id, resource_id))
    assert made, "the demo data should allow at least one placement"
    return made


@pytest.fixture(scope="module", params=ROLES)
def served(request: pytest.FixtureRequest, admin_url: str, seeded_template: str) -> Iterator[Served]:
    """A live server of this role's own, on a fresh copy of the demo database."""
    role: str = request.param
    name = f"fuzz_{role}_{uuid4().hex[:8]}"
    url = create_database(admin_url, name, seeded_template)
    with psycopg.connect(url) as conn:
        _, coordinator_token = create_user(conn, name="fuzz-setup", role="coordinator")
        conn.commit()
    base = f"http://127.0.0.1:{free_port()}"
    process = subprocess.Popen(
        [str(MATCHER_BIN), "serve", "--port", base.rsplit(":", 1)[1]],
        env=os.environ | {"MATCHER_DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        wait_until_up(base + "/openapi.json", process)
        placed = _place(base, {"Authorization": f"Bearer {coordinator_token}"})
        owned = sorted({"r01", "r02"} | {resource_id for _, resource_id in placed})
        token = None
        if role != "anonymous":
            with psycopg.connect(url) as conn:
                _, token = create_user(
                    conn,
                    name=f"fuzz-{role}",
                    role=role,
                    resource_ids=owned if role == "provider" else None,
                )
                conn.commit()
        known = {
            "profile_id": ["p01", "p02", "p07", "p999"],
            "resource_id": [*owned[:3], "r03", "r999"],
            "placement_id": [placement_id for placement_id, _ in placed] + [999999],
        }
        with requests.Session() as session:
            yield Served(role, base, token, known, session)
    finally:
        process.terminate()
        process.wait(timeout=20)
        drop_database(admin_url, name)


@pytest.fixture(scope="module")
def schema(served: Served) -> Any:
    """The schema exactly as the live server publishes it."""
    return schemathesis.openapi.from_url(f"{served.base_url}/openapi.json")


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _steer(case: Any, targets: dict[str, Any]) -> Any:
    """A positive case aimed at existing records: its body's ids agree with the path's or are known ones,
    each time slot starts before it ends, and lat and lon come together (rules a schema cannot state)."""
    if isinstance(case.body, dict):
        for key, value in targets.items():
            if key in case.body:
                case.body[key] = value
        for key in ("availability", "schedule"):
            for slot in case.body.get(key) or []:
                start, end = sorted((slot["start"], slot["end"]), key=_minutes)
                if _minutes(start) == _minutes(end):
                    start, end = "09:00", "12:00"
                slot["start"], slot["end"] = start, end
        if (case.body.get("lat") is None) != (case.body.get("lon") is None):
            case.body["lat"] = case.body["lon"] = None
    return case


def _strategy(operation: Any, served: Served) -> st.SearchStrategy[Any]:
    """Positive and negative cases: some with whatever ids the schema allows, some with ids that exist."""
    fixed = {"headers": served.headers} if served.token else {}
    parameters = [p.name for p in operation.path_parameters]
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(mode, **fixed))
    # Steered: path parameters drawn from existing ids; positive bodies refer to existing records too.
    choices: list[dict[str, Any]] = [{}]
    for name in parameters:
        choices = [dict(c, **{name: value}) for c in choices for value in served.known.get(name, [None])]
    for chosen in choices:
        path = {k: v for k, v in chosen.items() if v is not None}
        targets = {"profile_id": "p02", "resource_id": served.known["resource_id"][0]} | path
        if "profile_id" in path or "resource_id" in path:
            targets["id"] = path.get("profile_id", path.get("resource_id"))
        strategies.append(
            operation.as_strategy(GenerationMode.POSITIVE, path_parameters=path or None, **fixed).map(
                lambda case, targets=targets: _steer(case, targets)
            )
        )
        if path:
            strategies.append(operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=path, **fixed))
    return st.one_of(strategies)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_fuzz(served: Served, schema: Any, method: str, path: str) -> None:
    """One role, one operation: no 500, and every answer as documented."""
    operation = schema[path][method]

    @FUZZ_SETTINGS
    @given(case=_strategy(operation, served))
    def run(case: Any) -> None:
        case.call_and_validate(base_url=served.base_url, session=served.session, checks=CHECKS)

    run()


def test_an_unreadable_body_is_a_422_in_japanese(api_client: TestClient, seeded_cli: Cli) -> None:
    """Found by the fuzzing: a body that is not UTF-8 got FastAPI's English 400, which no route documented."""
    headers = api_token(seeded_cli, "coordinator", "fuzz-unreadable") | {"Content-Type": "application/json"}
    response = api_client.post("/api/profiles", headers=headers, content=b"(\xff\xfe\x08")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]
    assert "JSON として読めません" in response.json()["detail"][0]["msg"]
