"""Weekly time counts each minute once (issue 11 item 6): Python's interval routine, the numpy path, the
oracle and the SQL `overlap_minutes` agree on overlapping slots, and the models store slots merged."""

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import psycopg
import pytest

from matcher import embedding
from matcher.config import Settings
from matcher.core.schedule import Slot, merge_slots, overlap, total_minutes, week_intervals
from matcher.matching import oracle
from matcher.matching.propose import propose
from matcher.matching.vectorized import Registry
from matcher.profiles.model import NeedsProfile
from matcher.profiles.store import get_profile, save_profiles
from matcher.registry.model import Resource
from matcher.registry.store import get_resource, save_resources
from tests.conftest import Cli
from tests.registry.test_import import CAFE, exported, write_jsonl


def slots(*spec: str) -> list[Slot]:
    """Slots from 'mon 09:00 12:00' strings."""
    return [Slot(*s.split()) for s in spec]


def as_json(value: list[Slot]) -> list[dict[str, str]]:
    return [s._asdict() for s in value]


MON_9_12_AND_10_11 = slots("mon 09:00 12:00", "mon 10:00 11:00")

# (listing schedule, profile availability, shared minutes)
CASES = [
    (MON_9_12_AND_10_11, slots("mon 00:00 24:00"), 180),
    (MON_9_12_AND_10_11, slots("mon 10:30 13:00"), 90),
    (MON_9_12_AND_10_11, MON_9_12_AND_10_11, 180),
    (slots("tue 09:00 10:00", "tue 10:00 12:00"), slots("tue 09:30 11:30", "tue 11:00 12:00"), 150),
    (
        slots("mon 22:00 24:00", "tue 00:00 02:00"),
        slots("mon 23:00 24:00", "tue 00:00 01:00", "wed 09:00 10:00"),
        120,
    ),
    (
        slots("wed 09:00 12:00", "wed 11:00 15:00", "fri 09:00 10:00"),
        slots("wed 10:00 14:00", "fri 09:30 10:00"),
        270,
    ),
    (slots("sun 13:00 24:00", "sun 20:00 22:00"), slots("sun 21:00 24:00"), 180),
    (slots("thu 09:00 12:00", "thu 09:00 12:00"), slots("fri 09:00 12:00"), 0),
]


# ---- database-free -------------------------------------------------------------------------------


def test_overlapping_slots_of_one_day_count_once() -> None:
    assert total_minutes(MON_9_12_AND_10_11) == 180
    assert week_intervals(MON_9_12_AND_10_11) == [(540, 720)]
    assert total_minutes(overlap(MON_9_12_AND_10_11, slots("mon 00:00 24:00"))) == 180


def test_overlap_is_the_merged_intersection_in_week_order() -> None:
    first = slots("wed 09:00 12:00", "mon 09:00 12:00", "mon 10:00 11:00", "wed 11:00 15:00")
    second = slots("wed 10:00 14:00", "mon 08:00 13:00")
    assert overlap(first, second) == slots("mon 09:00 12:00", "wed 10:00 14:00")
    assert overlap(second, first) == overlap(first, second)
    assert overlap(first, slots("sat 09:00 12:00")) == []


def test_overlap_keeps_one_slot_per_day_across_midnight() -> None:
    first = slots("mon 20:00 24:00", "tue 00:00 03:00")
    assert overlap(first, slots("mon 22:00 24:00", "tue 00:00 01:00")) == slots(
        "mon 22:00 24:00", "tue 00:00 01:00"
    )


def test_merge_slots_joins_overlapping_and_touching_slots_of_a_day_only() -> None:
    given = slots(
        "fri 13:00 15:00",
        "mon 10:00 11:00",
        "mon 09:00 12:00",
        "fri 15:00 16:00",
        "mon 20:00 24:00",
        "tue 00:00 02:00",
    )
    assert merge_slots(given) == slots(
        "mon 09:00 12:00", "mon 20:00 24:00", "tue 00:00 02:00", "fri 13:00 16:00"
    )
    assert merge_slots([]) == []


@pytest.mark.parametrize(("schedule", "availability", "shared"), CASES)
def test_python_readings_agree_on_hand_cases(
    schedule: list[Slot], availability: list[Slot], shared: int
) -> None:
    assert total_minutes(overlap(schedule, availability)) == shared
    assert total_minutes(overlap(availability, schedule)) == shared
    assert total_minutes(schedule) == total_minutes(merge_slots(schedule))
    listing, person = SimpleNamespace(schedule=schedule), SimpleNamespace(availability=availability)
    assert oracle.overlap_minutes(listing, person) == shared  # type: ignore[arg-type]


def test_the_models_store_merged_slots() -> None:
    resource = Resource.model_validate(
        CAFE | {"schedule": "mon 09:00-12:00; mon 10:00-11:00; sun 10:00-11:00"}
    )
    assert [(s.day, s.start, s.end) for s in resource.schedule] == [
        ("mon", "09:00", "12:00"),
        ("sun", "10:00", "11:00"),
    ]
    again = Resource.model_validate(resource.model_dump(mode="json"))
    assert again == resource
    schedule = [
        {"day": "tue", "start": "13:00", "end": "15:00"},
        {"day": "tue", "start": "10:00", "end": "13:00"},
    ]
    assert Resource.model_validate(CAFE | {"schedule": schedule}).model_dump(mode="json")["schedule"] == [
        {"day": "tue", "start": "10:00", "end": "15:00"}
    ]


# ---- against the database ------------------------------------------------------------------------


def sql_overlap(conn: psycopg.Connection, first: list[Slot], second: list[Slot]) -> int:
    row = conn.execute(
        "select overlap_minutes(week_minutes(%s::jsonb), week_minutes(%s::jsonb))",
        (json.dumps(as_json(first)), json.dumps(as_json(second))),
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_sql_numpy_and_python_agree_on_hand_cases(conn: psycopg.Connection, settings: Settings) -> None:
    for schedule, availability, shared in CASES:
        assert sql_overlap(conn, schedule, availability) == shared, (schedule, availability)
        row = conn.execute(
            "select bit_count(week_minutes(%s::jsonb))", (json.dumps(as_json(schedule)),)
        ).fetchone()
        assert row is not None and row[0] == total_minutes(schedule)
    # listings whose stored schedules overlap (as rows written before slots were merged on input)
    save_resources(
        conn, [Resource.model_validate(CAFE | {"id": f"r{k}"}) for k in range(len(CASES))], source="test"
    )
    for k, (schedule, _, _) in enumerate(CASES):
        conn.execute(
            "update resource set schedule = %s::jsonb where id = %s", (json.dumps(as_json(schedule)), f"r{k}")
        )
    arrays = Registry.load(conn, embedding.EmbeddingSpec.from_settings(settings).key)
    for k, (_, availability, shared) in enumerate(CASES):
        rows = np.array([arrays.index[f"r{k}"]], np.int64)
        assert int(arrays.overlaps(SimpleNamespace(availability=availability), rows)[0]) == shared  # type: ignore[arg-type]


def test_a_listing_imported_with_overlapping_slots_is_stored_merged(cli: Cli, tmp_path: Path) -> None:
    listing = CAFE | {
        "schedule": [
            {"day": "mon", "start": "10:00", "end": "11:00"},
            {"day": "mon", "start": "09:00", "end": "12:00"},
            {"day": "tue", "start": "10:00", "end": "15:00"},
        ]
    }
    result = cli("import", "resources", str(write_jsonl(tmp_path / "r.jsonl", [listing])))
    assert result.exit_code == 0, result.stderr
    (row,) = exported(cli)
    assert row["schedule"] == [
        {"day": "mon", "start": "09:00", "end": "12:00"},
        {"day": "tue", "start": "10:00", "end": "15:00"},
    ]
    # importing the same file, or the export, again changes nothing
    assert "変更なし 1件" in cli("import", "resources", str(tmp_path / "r.jsonl")).stdout
    (tmp_path / "export.jsonl").write_text(cli("export", "resources").stdout, encoding="utf-8")
    assert "変更なし 1件" in cli("import", "resources", str(tmp_path / "export.jsonl")).stdout


def schedule_proposal(conn: psycopg.Connection, settings: Settings, profile_id: str, resource_id: str) -> Any:
    result = propose(conn, settings, profile_id=profile_id, top=None)
    (proposal,) = [p for p in result.proposals if p.candidate.id == resource_id]
    (text,) = [r for r in proposal.reasons if r.startswith("参加できる日時と重なります")]
    return proposal, text


def test_the_reason_of_a_listing_with_overlapping_slots_says_three_hours(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    first = propose(seeded_conn, seeded_settings, profile_id="p14", top=5).proposals[0].candidate.id
    resource = get_resource(seeded_conn, resource_id=first)
    profile = get_profile(seeded_conn, profile_id="p14")
    assert resource is not None and profile is not None
    save_resources(
        seeded_conn,
        [Resource.model_validate(resource.model_dump() | {"schedule": as_json(MON_9_12_AND_10_11)})],
        source=None,
    )
    save_profiles(
        seeded_conn,
        [NeedsProfile.model_validate(profile.model_dump() | {"availability": "mon 08:00-13:00"})],
    )
    proposal, text = schedule_proposal(seeded_conn, seeded_settings, "p14", first)
    assert text == "参加できる日時と重なります: 月 9:00–12:00（週3時間）"
    assert proposal.candidate.overlap_minutes == 180
    assert proposal.parts["schedule"] == pytest.approx(180 / 300)
    # a schedule stored before slots were merged on input reads the same
    seeded_conn.execute(
        "update resource set schedule = %s::jsonb where id = %s",
        (json.dumps(as_json([*reversed(MON_9_12_AND_10_11)])), first),
    )
    proposal, text = schedule_proposal(seeded_conn, seeded_settings, "p14", first)
    assert text == "参加できる日時と重なります: 月 9:00–12:00（週3時間）"
    assert proposal.parts["schedule"] == pytest.approx(180 / 300)
