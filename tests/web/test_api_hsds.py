"""The HSDS 3.0 API: every answer valid against the official openapi.json and schemas (additional
properties refused everywhere, as the specification's own check does), pages read in SQL equal to the
full export, and the filters equal to the same filter applied to the export."""

import json
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from matcher.config import Settings
from matcher.registry import hsds, hsds_api
from tests.conftest import Cli
from tests.web.conftest import api_token
from web.app import create_app

SCHEMAS = hsds.SCHEMA_PATH.parent
OPENAPI_URI = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json"
# Where openapi.json's $refs point, and the file of ours that holds each.
REFERENCED = {
    "compiled/service.json": "service.json",
    "compiled/service_list.json": "service_list.json",
    "taxonomy.json": "taxonomy.json",
    "taxonomy_term.json": "taxonomy_term.json",
    "metadata.json": "metadata.json",
}


@cache
def _registry() -> Registry:
    resources = [(OPENAPI_URI, json.loads((SCHEMAS / "openapi.json").read_text(encoding="utf-8")))]
    base = OPENAPI_URI.rsplit("/", 1)[0]
    for where, ours in REFERENCED.items():
        schema = hsds._strict(json.loads((SCHEMAS / ours).read_text(encoding="utf-8")))
        schema.pop("$id", None)  # known by the address openapi.json uses
        resources.append((f"{base}/{where}", schema))
    return Registry().with_resources(
        (uri, Resource.from_contents(doc, default_specification=DRAFT202012)) for uri, doc in resources
    )


def answer_errors(path: str, answer: Any) -> list[str]:
    """How an answer breaks the response schema openapi.json gives the path (its 200 answer)."""
    pointer = "/".join(
        [
            "#/paths",
            path.replace("~", "~0").replace("/", "~1"),
            "get/responses/200/content/application~1json/schema",
        ]
    )
    validator = Draft202012Validator(
        {"$ref": OPENAPI_URI + pointer},
        registry=_registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(answer)]


@pytest.fixture
def reader(api_client: TestClient, seeded_cli: Cli) -> dict[str, str]:
    return api_token(seeded_cli, "coordinator", "hsds-reader")


def every_page(client: TestClient, headers: dict[str, str], **params: Any) -> Iterator[dict[str, Any]]:
    page = 1
    while True:
        answer = client.get("/api/hsds/services", params=params | {"page": page}, headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        if params.get("full") == "true":  # the reference's schema is the list's; nested ones are services
            assert answer_errors("/services", body | {"contents": []}) == []
            assert all(hsds.schema_errors(s) == [] for s in body["contents"])
        else:
            assert answer_errors("/services", body) == []
        yield body
        if body["last_page"]:
            return
        page += 1


def without_modified(service: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in service.items() if k != "last_modified"}


def test_full_pages_read_in_sql_are_the_export_and_the_list_shape_is_its_one_to_one_part(
    api_client: TestClient, seeded_cli: Cli, reader: dict[str, str]
) -> None:
    exported = json.loads(seeded_cli("export", "hsds").stdout)
    assert len(exported) > 25

    full = [s for body in every_page(api_client, reader, per_page=7, full="true") for s in body["contents"]]
    assert [without_modified(s) for s in full] == exported

    listed = list(every_page(api_client, reader, per_page=10))
    assert [b["page_number"] for b in listed] == list(range(1, len(listed) + 1))
    assert all(b["total_items"] == len(exported) and b["total_pages"] == len(listed) for b in listed)
    items = [s for body in listed for s in body["contents"]]
    shape = json.loads((SCHEMAS / "service_list.json").read_text(encoding="utf-8"))["properties"]
    assert [without_modified(s) for s in items] == [
        {k: v for k, v in s.items() if k in shape} for s in exported
    ]
    assert all("schedules" not in s and "attributes" not in s and s["organization"] for s in items)

    beyond = api_client.get("/api/hsds/services", params={"page": 99, "per_page": 10}, headers=reader).json()
    assert beyond["empty"] and beyond["contents"] == [] and beyond["total_items"] == len(exported)
    assert answer_errors("/services", beyond) == []
    assert api_client.get("/api/hsds/services", params={"per_page": 0}, headers=reader).status_code == 422


def test_one_service_by_id_including_a_listing_added_after_the_ids_were_kept(
    api_client: TestClient, seeded_cli: Cli, seeded_conn: psycopg.Connection, reader: dict[str, str]
) -> None:
    exported = json.loads(seeded_cli("export", "hsds").stdout)
    one = api_client.get(f"/api/hsds/services/{exported[3]['id']}", headers=reader)
    assert one.status_code == 200 and without_modified(one.json()) == exported[3]
    assert answer_errors("/services/{id}", one.json()) == []

    seeded_conn.execute(
        "insert into resource (id, name, kind, description, area, schedule, contact_level, physical_load,"
        " reward, trial, status, source) select 'r-new', '新しい居場所', kind, description, area, schedule,"
        " contact_level, physical_load, reward, trial, status, 'admin' from resource where id = 'r01'"
    )
    seeded_conn.commit()
    added = api_client.get(f"/api/hsds/services/{hsds.service_id('r-new')}", headers=reader)
    assert added.status_code == 200 and added.json()["name"] == "新しい居場所"

    for unknown in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        missing = api_client.get(f"/api/hsds/services/{unknown}", headers=reader)
        assert missing.status_code == 404 and "ありません" in missing.json()["detail"]


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def test_search_and_taxonomy_term_filters_equal_the_same_filter_on_the_export(
    api_client: TestClient, seeded_cli: Cli, reader: dict[str, str]
) -> None:
    exported = json.loads(seeded_cli("export", "hsds").stdout)
    area = {s["id"]: s["service_areas"][0]["name"] for s in exported}

    def ids(**params: Any) -> list[str]:
        return [s["id"] for body in every_page(api_client, reader, **params) for s in body["contents"]]

    word = exported[0]["name"][:2]
    for search in (word, f"{word} {area[exported[0]['id']]}", "ｶﾌｪ"):
        expected = [
            s["id"]
            for s in exported
            if all(
                w in _folded(f"{s['name']} {s['description']} {area[s['id']]}")
                for w in _folded(search).split()
            )
        ]
        assert ids(search=search) == expected
    assert ids(search=word)  # the word is found somewhere

    for code in hsds.TERMS:
        term = hsds.term_id(code)
        carrying = [
            s["id"] for s in exported if any(a["taxonomy_term"]["id"] == term for a in s["attributes"])
        ]
        assert ids(taxonomy_term_id=term) == carrying, code
    assert ids(taxonomy_term_id=hsds.term_id("programme")) != ids()  # not every listing is a programme
    assert ids(taxonomy_term_id="00000000-0000-0000-0000-000000000000") == []
    assert ids(taxonomy_id=hsds.taxonomy()["id"]) == ids() and ids(taxonomy_id="other") == []


def test_modified_after_finds_the_listings_changed_since_in_any_zone(
    api_client: TestClient, seeded_conn: psycopg.Connection, reader: dict[str, str]
) -> None:
    since = datetime.now(UTC) + timedelta(seconds=1)
    assert list(every_page(api_client, reader, modified_after=since.isoformat()))[0]["empty"]
    seeded_conn.execute("update resource set capacity_open = 0, updated_at = %s where id = 'r05'", [since])
    seeded_conn.commit()
    japan = since.astimezone(hsds_api.JAPAN).replace(tzinfo=None)  # no zone written: Japan time
    for moment in (since.isoformat(), japan.isoformat()):
        (body,) = every_page(api_client, reader, modified_after=moment)
        assert [s["name"] for s in body["contents"]] == [
            api_client.get(f"/api/hsds/services/{hsds.service_id('r05')}", headers=reader).json()["name"]
        ]
        assert abs(datetime.fromisoformat(body["contents"][0]["last_modified"]) - since) < timedelta(
            milliseconds=1
        )
    assert (
        api_client.get(
            "/api/hsds/services", params={"modified_after": "yesterday"}, headers=reader
        ).status_code
        == 422
    )


def test_the_root_and_taxonomies_answer_as_the_reference_says(
    api_client: TestClient, reader: dict[str, str]
) -> None:
    root = api_client.get("/api/hsds/", headers=reader).json()
    assert answer_errors("/", root) == [] and root["version"] == "3.0"
    assert root["openapi_url"].endswith("/openapi.json")

    taxonomies = api_client.get("/api/hsds/taxonomies", headers=reader).json()
    assert answer_errors("/taxonomies", taxonomies) == [] and taxonomies["total_items"] == 1
    (ours,) = taxonomies["contents"]
    assert api_client.get(f"/api/hsds/taxonomies/{ours['id']}", headers=reader).json() == ours
    assert answer_errors("/taxonomies/{id}", ours) == []

    terms = api_client.get("/api/hsds/taxonomy_terms", params={"per_page": 5}, headers=reader).json()
    assert answer_errors("/taxonomy_terms", terms) == []
    assert terms["total_items"] == len(hsds.TERMS) and terms["size"] == 5 and not terms["last_page"]
    first = terms["contents"][0]
    assert api_client.get(f"/api/hsds/taxonomy_terms/{first['id']}", headers=reader).json() == first
    assert answer_errors("/taxonomy_terms/{id}", first) == []
    found = api_client.get("/api/hsds/taxonomy_terms", params={"search": "定員"}, headers=reader).json()
    assert [t["code"] for t in found["contents"]] == ["capacity_total"]
    assert api_client.get(
        "/api/hsds/taxonomy_terms", params={"parent_id": first["id"]}, headers=reader
    ).json()["empty"]
    assert api_client.get("/api/hsds/taxonomy_terms/unknown", headers=reader).status_code == 404


def test_the_api_needs_a_coordinators_token_unless_the_site_makes_it_public(
    api_client: TestClient, seeded_settings: Settings, seeded_cli: Cli
) -> None:
    assert api_client.get("/api/hsds/services").status_code == 401
    host = api_token(seeded_cli, "provider", "hsds-host", "r03")
    assert api_client.get("/api/hsds/", headers=host).status_code == 403

    with TestClient(create_app(seeded_settings.model_copy(update={"hsds_public": True}))) as public:
        for path in ("/api/hsds/", "/api/hsds/services", "/api/hsds/taxonomy_terms"):
            answer = public.get(path)
            assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == "*"
        assert public.get("/api/profiles/p02").status_code == 401  # nothing else opens
