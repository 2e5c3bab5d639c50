"""A listing's contact details: the organisation's business information, checked for its form (the PII
guard for text about a person does not refuse a place's own phone number), kept by every exchange."""

import json
from pathlib import Path

import psycopg
import pytest
from pydantic import ValidationError

from matcher import embedding
from matcher.accounts.users import create_user
from matcher.config import Settings
from matcher.profiles.pii import pii_error
from matcher.registry import hsds
from matcher.registry.contact import map_link
from matcher.registry.host import edit_listing
from matcher.registry.model import Resource
from matcher.registry.store import get_resource
from tests.conftest import TEST_DATA, Cli

BASE = {
    "id": "r1",
    "name": "まちの縁側",
    "kind": "cafe",
    "description": "お茶出しと片付け",
    "area": "中央圏域",
    "contact_level": 2,
    "physical_load": 1,
    "reward": "none",
}
CONTACT = {
    "contact_role": "サービス管理責任者",
    "phone": "0852-12-3456",
    "fax": "0852-12-3457",
    "email": "engawa@example.jp",
    "url": "https://engawa.example.jp/",
    "address": "松江市末次本町1番地",
}


def test_a_business_phone_is_kept_where_the_pii_guard_would_refuse_it_about_a_person() -> None:
    assert pii_error("連絡は0852-12-3456まで")  # in text about a person: refused
    listing = Resource.model_validate(BASE | CONTACT)
    assert listing.phone == "0852-12-3456" and listing.address == "松江市末次本町1番地"


def test_numbers_are_written_plainly_and_empty_means_none() -> None:
    listing = Resource.model_validate(BASE | {"phone": "（０８５２）１２ー３４５６", "fax": " ", "email": ""})
    assert listing.phone == "(0852)12-3456" and listing.fax is None and listing.email is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "担当者に聞いてください", "電話番号は数字とハイフン"),
        ("phone", "12-34", "電話番号は数字とハイフン"),
        ("email", "engawa.example.jp", "メールアドレスの形になっていません"),
        ("url", "javascript:alert(1)", "http:// か https:// で始まる"),
        ("url", "engawa.example.jp", "http:// か https:// で始まる"),
        ("contact_role", "長" * 101, "100"),
    ],
)
def test_what_is_not_a_contact_detail_is_refused_in_japanese(field: str, value: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Resource.model_validate(BASE | {field: value})


def test_the_database_holds_the_same_line_for_a_link(seeded_conn: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        seeded_conn.execute("update resource set url = 'javascript:alert(1)' where id = 'r01'")


def test_the_map_link_is_a_plain_openstreetmap_link() -> None:
    assert map_link(35.4681, 133.0484) == (
        "https://www.openstreetmap.org/?mlat=35.468100&mlon=133.048400#map=16/35.468100/133.048400"
    )
    assert map_link(None, None) is None


def test_csv_import_and_export_keep_the_contact_details(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "listings.csv"
    header = ",".join([*BASE, *CONTACT])
    values = ",".join(str(v) for v in [*BASE.values(), *CONTACT.values()])
    path.write_text(f"{header}\n{values}\n", encoding="utf-8")
    assert cli("import", "resources", str(path), "--no-embed").exit_code == 0
    (exported,) = [json.loads(line) for line in cli("export", "resources").stdout.splitlines()]
    assert {k: exported[k] for k in CONTACT} == CONTACT
    again = tmp_path / "again.jsonl"
    again.write_text(json.dumps(exported, ensure_ascii=False) + "\n", encoding="utf-8")
    assert "変更なし 1件" in cli("import", "resources", str(again), "--no-embed").stdout


def test_hsds_carries_them_in_its_own_places_and_back() -> None:
    listing = Resource.model_validate(BASE | CONTACT)
    service = hsds.to_service(listing)
    assert hsds.schema_errors(service) == []
    assert service["url"] == CONTACT["url"] and service["email"] == CONTACT["email"]
    assert [(p["type"], p["number"]) for p in service["phones"]] == [
        ("voice", "0852-12-3456"),
        ("fax", "0852-12-3457"),
    ]
    assert service["contacts"] == [
        {"id": service["contacts"][0]["id"], "service_id": service["id"], "title": "サービス管理責任者"}
    ]
    (back,), _defaulted = hsds.parse_services(json.dumps([service]).encode(), "x.json")
    assert back == listing


def test_hsds_written_elsewhere_gives_its_phone_and_role_but_not_the_contacts_name() -> None:
    example = json.loads((TEST_DATA / "hsds-service_full.json").read_text(encoding="utf-8"))
    example["service_at_locations"][0]["location"]["latitude"] = 51.5
    example["service_areas"][0]["name"] = "MyCity"
    (listing,), _defaulted = hsds.parse_services(json.dumps(example).encode(), "example.json")
    assert listing.phone == "+44 1234 234567"  # written there as '"+44 1234 234567"'
    assert listing.contact_role == "Reception Manager" and listing.email == "email@example.com"
    assert listing.address == "MyState MyCity 1-30 Main Street MyVillage"
    assert "Ann Persona" not in listing.model_dump_json()


def test_a_host_keeps_its_own_contact_details(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    user, _token = create_user(seeded_conn, name="engawa-host", role="provider", resource_ids=["r01"])
    spec = embedding.EmbeddingSpec.from_settings(seeded_settings)
    edit_listing(seeded_conn, user, "r01", {"phone": "0852-99-0000", "contact_role": "店主"}, spec)
    stored = get_resource(seeded_conn, resource_id="r01")
    assert stored is not None and (stored.phone, stored.contact_role) == ("0852-99-0000", "店主")
