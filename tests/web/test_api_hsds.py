"""GET /api/hsds/services: the same HSDS services as `matcher export hsds`, a page at a time."""

import json

from fastapi.testclient import TestClient

from matcher.registry import hsds
from tests.conftest import Cli
from tests.web.conftest import api_token


def test_the_api_serves_what_the_export_writes_in_hsds_pages(api_client: TestClient, seeded_cli: Cli) -> None:
    headers = api_token(seeded_cli, "coordinator", "hsds-reader")
    exported = json.loads(seeded_cli("export", "hsds").stdout)
    whole = api_client.get("/api/hsds/services", params={"per_page": 1000}, headers=headers).json()
    assert whole["contents"] == exported
    assert (whole["total_items"], whole["total_pages"], whole["last_page"]) == (len(exported), 1, True)

    second = api_client.get("/api/hsds/services", params={"page": 2, "per_page": 10}, headers=headers).json()
    assert second["contents"] == exported[10:20]
    assert second["page_number"] == 2 and not second["first_page"] and second["size"] == 10
    beyond = api_client.get("/api/hsds/services", params={"page": 99, "per_page": 10}, headers=headers).json()
    assert beyond["empty"] and beyond["contents"] == []

    one = api_client.get(f"/api/hsds/services/{exported[3]['id']}", headers=headers)
    assert one.status_code == 200 and one.json() == exported[3] and hsds.schema_errors(one.json()) == []
    missing = api_client.get("/api/hsds/services/00000000-0000-0000-0000-000000000000", headers=headers)
    assert missing.status_code == 404 and "ありません" in missing.json()["detail"]
    assert api_client.get("/api/hsds/services", params={"per_page": 0}, headers=headers).status_code == 422
