"""Open Referral HSDS 3 exchange: valid against the official schema, and nothing of ours lost."""

import copy
import json
import uuid
from pathlib import Path

import psycopg
from hypothesis import given
from hypothesis import strategies as st

from matcher.registry import hsds
from matcher.registry.store import get_resource
from tests.conftest import TEST_DATA, Cli, run_matcher


def services_of(cli: Cli) -> list[dict]:
    result = cli("export", "hsds")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def attribute_values(service: dict, code: str) -> list[str]:
    return [
        a["value"]
        for a in service["attributes"]
        if a["taxonomy_term"]["taxonomy"] == hsds.TAXONOMY and a["taxonomy_term"]["code"] == code
    ]


@given(st.lists(st.one_of(st.text(), st.integers(), st.booleans()), min_size=1, max_size=4))
def test_our_written_out_ids_are_the_standard_uuid5(parts: list[object]) -> None:
    # the ids other systems hold stay what uuid.uuid5 gave them
    assert hsds._id(*parts) == str(uuid.uuid5(hsds.NAMESPACE, "/".join(map(str, parts))))


def test_every_exported_service_validates_against_the_strict_official_schema(seeded_cli: Cli) -> None:
    services = services_of(seeded_cli)
    assert len(services) >= 60  # the demo listings and the WAM NET rows of one city
    for service in services:
        assert hsds.schema_errors(service) == [], service["name"]


def test_the_strict_check_refuses_what_the_schema_does_not_define(seeded_cli: Cli) -> None:
    service = services_of(seeded_cli)[0]
    extra = copy.deepcopy(service)
    extra["service_capacity"] = [{"maximum": 5}]  # HSDS 3.0 has no such table
    nested = copy.deepcopy(service)
    nested["schedules"][0]["opening"] = "9:00"
    bad_id = copy.deepcopy(service)
    bad_id["id"] = "r01"
    assert "'service_capacity' was unexpected" in hsds.schema_errors(extra)[0]
    assert hsds.schema_errors(nested)[0].startswith("schedules[0]: Additional properties")
    assert "is not a 'uuid'" in hsds.schema_errors(bad_id)[0]


def test_hsds_places_and_our_own_taxonomy_carry_each_field(
    seeded_cli: Cli, seeded_conn: psycopg.Connection
) -> None:
    services = {s["name"]: s for s in services_of(seeded_cli)}
    listing = get_resource(seeded_conn, resource_id="r01")
    service = services[listing.name]
    assert service["languages"][0]["code"] == "ja"
    assert service["service_areas"][0]["name"] == listing.area
    location = service["service_at_locations"][0]["location"]
    assert (location["latitude"], location["longitude"]) == (listing.lat, listing.lon)
    assert attribute_values(service, "resource_id") == [listing.id]
    assert attribute_values(service, "contact_level") == [str(listing.contact_level)]
    assert attribute_values(service, "physical_load") == [str(listing.physical_load)]
    assert sorted(attribute_values(service, "accommodation")) == sorted(
        a.value for a in listing.accommodations
    )
    opening = {
        (d, s["opens_at"][:5], s["closes_at"][:5])
        for s in service["schedules"]
        for d in s["byday"].split(",")
    }
    days = {"mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR", "sat": "SA", "sun": "SU"}
    assert opening == {(days[slot.day], slot.start, slot.end) for slot in listing.schedule}
    programme = next(s for s in services.values() if attribute_values(s, "programme") == ["shuro_a"])
    assert programme["program"]["name"] == "就労継続支援A型"
    assert "障害福祉サービス受給者証" in programme["eligibility_description"]


def test_export_import_export_is_identical(seeded_cli: Cli, database_url: str, tmp_path: Path) -> None:
    first = seeded_cli("export", "hsds").stdout
    exported = tmp_path / "registry-hsds.json"
    exported.write_text(first, encoding="utf-8")
    env = {"MATCHER_DATABASE_URL": database_url, "MATCHER_DATA_DIR": str(tmp_path / "other")}
    imported = run_matcher("import", "hsds", str(exported), "--no-embed", env=env)
    assert imported.returncode == 0, imported.stderr
    assert f"HSDS のサービス {len(json.loads(first))}件を読み込みました" in imported.stdout
    assert "既定値" not in imported.stdout
    again = run_matcher("export", "hsds", env=env)
    assert again.stdout == first

    def listings(text: str) -> list[dict]:
        rows = [json.loads(line) for line in text.splitlines()]
        for row in rows:
            row["schedule"] = sorted(row["schedule"], key=lambda s: (s["day"], s["start"]))
        return sorted(rows, key=lambda r: r["id"])

    ours = seeded_cli("export", "resources").stdout
    assert listings(run_matcher("export", "resources", env=env).stdout) == listings(ours)


def test_a_bad_file_is_reported_service_by_service_and_nothing_is_written(
    seeded_cli: Cli, tmp_path: Path
) -> None:
    services = services_of(seeded_cli)[:3]
    services[0]["status"] = "open"  # not an HSDS status
    services[2]["attributes"] = [
        a if a["taxonomy_term"]["code"] != "contact_level" else a | {"value": "9"}
        for a in services[2]["attributes"]
    ]
    services[1]["name"] = "名前を変えたサービス"  # valid, but the file is refused as a whole
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(services, ensure_ascii=False), encoding="utf-8")
    result = seeded_cli("import", "hsds", str(path), "--no-embed")
    assert result.exit_code != 0
    assert "1件目のサービス" in result.stderr and "status" in result.stderr
    assert "3件目のサービス" in result.stderr and "contact_level" in result.stderr
    assert "名前を変えたサービス" not in seeded_cli("export", "hsds").stdout
    path.write_text("{not json", encoding="utf-8")
    broken = seeded_cli("import", "hsds", str(path))
    assert broken.exit_code != 0 and "JSON として読めません" in broken.stderr


def test_hsds_written_elsewhere_imports_with_defaults_the_admin_is_told_about(
    cli: Cli, conn: psycopg.Connection, tmp_path: Path
) -> None:
    example = json.loads((TEST_DATA / "hsds-service_full.json").read_text(encoding="utf-8"))
    path = tmp_path / "example.json"
    path.write_text(json.dumps(example), encoding="utf-8")
    refused = cli("import", "hsds", str(path), "--no-embed")
    assert refused.exit_code != 0 and ".lat:" in refused.stderr  # the example's latitude is 100
    example["service_at_locations"][0]["location"]["latitude"] = 51.5
    example["service_areas"][0]["name"] = "MyCity"
    path.write_text(json.dumps(example), encoding="utf-8")
    result = cli("import", "hsds", str(path), "--no-embed")
    assert result.exit_code == 0, result.stderr
    assert "既定値を入れました" in result.stdout
    listing = get_resource(conn, resource_id=f"hsds-{example['id']}")
    assert listing.name == example["name"] and listing.area == "MyCity"
    assert listing.kind == "other" and listing.contact_level == 2
    assert listing.lat == 51.5 and {s.day for s in listing.schedule} == {"thu", "fri"}


def test_schedules_our_weekly_slots_cannot_hold_are_refused_not_misread(
    seeded_cli: Cli, tmp_path: Path
) -> None:
    service = services_of(seeded_cli)[0]
    service["schedules"][0] |= {"freq": "MONTHLY", "byday": "1MO", "opens_at": "09:00:00Z"}
    path = tmp_path / "monthly.json"
    path.write_text(json.dumps([service], ensure_ascii=False), encoding="utf-8")
    result = seeded_cli("import", "hsds", str(path), "--no-embed")
    assert result.exit_code != 0
    assert "WEEKLY" in result.stderr and "'1MO'" in result.stderr and "日本時間でない時刻" in result.stderr
