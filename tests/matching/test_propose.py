"""Proposals on the demo municipality: tiers, reasons a coordinator can check, complete exclusions."""

import json
import re

import psycopg
import pytest

from matcher import embedding
from matcher.config import Settings
from matcher.core.geo import great_circle_km
from matcher.core.schedule import minutes
from matcher.matching.propose import ProfileNotFound, nearest_feasible, propose
from matcher.matching.rejections import reject
from matcher.profiles.store import get_profile
from matcher.registry.model import Resource
from matcher.registry.store import iter_resources, save_resources
from tests.conftest import Cli, add_night_owl
from tests.unit.test_geo_box import destination

DAY_LABELS = {"月": "mon", "火": "tue", "水": "wed", "木": "thu", "金": "fri", "土": "sat", "日": "sun"}


def open_profiles(conn: psycopg.Connection) -> list[str]:
    return [row[0] for row in conn.execute("select id from needs_profile where status = 'open' order by id")]


def test_existing_programme_comes_first_with_its_requirement_named(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    result = propose(seeded_conn, seeded_settings, profile_id="p14", top=5)
    first = result.proposals[0]
    assert first.candidate.programme == "shuro_junbi" and first.tier == 1
    assert "就労準備支援事業の対象要件（生活困窮）を満たします" in first.reasons[0]


def test_tier_order_and_reason_counts_hold_for_every_demo_profile(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    for profile_id in open_profiles(seeded_conn):
        result = propose(seeded_conn, seeded_settings, profile_id=profile_id, top=5)
        tiers = [p.tier for p in result.proposals]
        assert tiers == sorted(tiers), profile_id
        for proposal in result.proposals[:5]:
            assert 2 <= len(proposal.reasons) <= 6, (profile_id, proposal.reasons)
            expected = "既存事業" if proposal.tier == 1 else "参加支援"
            assert expected in proposal.reasons[0]


def slot_set(label: str) -> set[tuple[str, int, int]]:
    """{(day, start, end)} from 「火・木 10:00–12:00、土 9:00–11:00」."""
    found = set()
    for days, start, end in re.findall(r"([月火水木金土日・]+) (\d+:\d\d)–(\d+:\d\d)", label):
        for day in days.split("・"):
            found.add((DAY_LABELS[day], minutes(start.zfill(5)), minutes(end.zfill(5))))
    return found


def test_the_days_and_hours_in_the_reasons_are_in_both_schedules(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    checked = 0
    for profile_id in open_profiles(seeded_conn):
        profile = get_profile(seeded_conn, profile_id=profile_id)
        result = propose(seeded_conn, seeded_settings, profile_id=profile_id, top=5)
        for proposal in result.proposals[:5]:
            (text,) = [r for r in proposal.reasons if r.startswith("参加できる日時と重なります")]
            for day, start, end in slot_set(text):
                assert any(
                    s.day == day and minutes(s.start) <= start and end <= minutes(s.end)
                    for s in proposal.candidate.schedule
                )
                assert any(
                    s.day == day and minutes(s.start) <= start and end <= minutes(s.end)
                    for s in profile.availability
                )
                checked += 1
    assert checked > 20


def test_matched_words_appear_in_both_texts(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    result = propose(seeded_conn, seeded_settings, profile_id="p02", top=3)
    profile = get_profile(seeded_conn, profile_id="p02")
    (listing,) = seeded_conn.execute(
        "select name || description from resource where id = %s", [result.proposals[0].candidate.id]
    ).fetchone()
    (text,) = [r for r in result.proposals[0].reasons if r.startswith("興味・希望の")]
    words = re.findall(r"「([^」]+)」", text)
    assert words
    for word in words:
        assert word in profile.interests + profile.narrative and word in listing


FAR_AND_BUSY = {
    "id": "x-many",
    "name": "遠くのにぎやかな食堂",
    "kind": "shop",
    "description": "接客中心の大衆食堂",
    "area": "東部圏域",
    "lat": 35.43,
    "lon": 133.16,
    "schedule": [
        {"day": "tue", "start": "09:00", "end": "12:00"},
        {"day": "thu", "start": "09:00", "end": "12:00"},
    ],
    "contact_level": 3,
    "physical_load": 3,
    "reward": "paid",
    "min_age": 18,
    "max_age": 39,
    "capacity_total": 4,
    "capacity_open": 0,
}


def test_an_exclusion_names_every_failed_constraint_with_its_values(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    save_resources(seeded_conn, [Resource.model_validate(FAR_AND_BUSY)], source="test")
    result = propose(
        seeded_conn, seeded_settings, profile_id="p02", top=5
    )  # 40-44, 中央, 3km, 月水金 午後, 接触1
    (exclusion,) = [e for e in result.excluded if e.candidate.id == "x-many"]
    texts = {r.code: r.text for r in exclusion.reasons}
    assert set(texts) == {
        "no_capacity",
        "schedule",
        "distance",
        "age",
        "contact",
        "physical",
        "accommodation",
    }
    assert (
        texts["schedule"] == "活動日（火・木 9:00–12:00）と参加可能日（月・水・金 13:00–17:00）が重なりません"
    )
    assert re.fullmatch(r"距離 \d+\.\dkm（上限 3km）", texts["distance"])
    assert texts["age"] == "年齢帯 40-44歳 が年齢要件（18歳以上・39歳以下）に収まりません"
    assert texts["contact"] == "対人接触 3（接客・大人数）が本人の上限 1（一人作業中心）を超えます"
    assert texts["no_capacity"] == "受け入れ可能数が 0 です（定員 4名）"
    assert texts["accommodation"] == "必要な配慮（静かな環境）がありません"


def test_paused_and_closed_listings_are_excluded_as_inactive(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    result = propose(seeded_conn, seeded_settings, profile_id="p02", top=5)
    inactive = {e.candidate.id for e in result.excluded if any(r.code == "inactive" for r in e.reasons)}
    statuses = dict(
        seeded_conn.execute("select id, status from resource where status <> 'active'").fetchall()
    )
    assert inactive == set(statuses)


def test_a_profile_nothing_fits_gets_no_proposals_and_every_listing_excluded(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    add_night_owl(seeded_conn)
    result = propose(seeded_conn, seeded_settings, profile_id="p-night", top=5)
    assert result.proposals == []
    total = seeded_conn.execute("select count(*) from resource").fetchone()[0]
    assert len(result.excluded) == total


def test_unknown_capacity_is_not_excluded_and_the_reasons_say_so(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    unknown = FAR_AND_BUSY | {
        "id": "x-unknown",
        "name": "近くの古本倉庫",
        "description": "古本の値付けと棚出しを静かに黙々と",
        "area": "中央圏域",
        "lat": 35.467,
        "lon": 133.061,
        "schedule": [{"day": "mon", "start": "13:00", "end": "16:00"}],
        "contact_level": 1,
        "physical_load": 1,
        "min_age": None,
        "max_age": None,
        "capacity_total": None,
        "capacity_open": None,
        "accommodations": ["quiet_space"],
    }
    save_resources(seeded_conn, [Resource.model_validate(unknown)], source="test")
    result = propose(seeded_conn, seeded_settings, profile_id="p02", top=50)
    (proposal,) = [p for p in result.proposals if p.candidate.id == "x-unknown"]
    assert "定員が不明です（空き状況は受け入れ先に確認してください）" in proposal.reasons


def test_a_rejected_listing_is_not_proposed_again(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    first = propose(seeded_conn, seeded_settings, profile_id="p14", top=5).proposals[0].candidate.id
    reject(seeded_conn, profile_id="p14", resource_id=first, reason="本人が別の場所を希望", by="test")
    result = propose(seeded_conn, seeded_settings, profile_id="p14", top=50)
    assert first not in [p.candidate.id for p in result.proposals]
    (exclusion,) = [e for e in result.excluded if e.candidate.id == first]
    assert exclusion.reasons[-1].code == "rejected" and "本人が別の場所を希望" in exclusion.reasons[-1].text


def test_unknown_profile_is_a_clear_error(seeded_conn: psycopg.Connection, seeded_settings: Settings) -> None:
    with pytest.raises(ProfileNotFound, match="ニーズプロファイル「nobody」はありません"):
        propose(seeded_conn, seeded_settings, profile_id="nobody")


def test_cli_prints_the_documented_json(seeded_cli: Cli) -> None:
    result = seeded_cli("propose", "p14", "--top", "3", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == {"profile_id", "proposals", "excluded"}
    assert document["profile_id"] == "p14" and 1 <= len(document["proposals"]) <= 3
    assert set(document["proposals"][0]) == {"resource_id", "tier", "score", "reasons"}
    assert set(document["excluded"][0]) == {"resource_id", "reasons"}
    assert set(document["excluded"][0]["reasons"][0]) == {"code", "text"}
    missing = seeded_cli("propose", "nobody", "--json")
    assert missing.exit_code != 0 and "nobody" in missing.stderr


def test_cli_prints_readable_japanese_without_json(seeded_cli: Cli) -> None:
    result = seeded_cli("propose", "p14", "--top", "2")
    assert result.exit_code == 0
    assert "[既存事業]" in result.stdout and "除外" in result.stdout


def test_reading_only_the_box_around_a_person_loses_no_listing_they_can_reach(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    # Listings placed at the edge of one person's travel radius, north, east and beyond it: the box
    # must keep the first two, and the hard constraints alone must decide the rest.
    person = get_profile(seeded_conn, profile_id=open_profiles(seeded_conn)[0])
    assert person is not None
    template = next(r for r in iter_resources(seeded_conn) if r.lat is not None and r.status == "active")
    edge = []
    for n, (bearing, share) in enumerate([(0, 0.99), (90, 0.99), (45, 0.98), (0, 1.02), (270, 1.05)]):
        lat, lon = destination(person.lat, person.lon, bearing, person.max_travel_km * share)
        edge.append(template.model_copy(update={"id": f"edge{n}", "lat": lat, "lon": lon}))
    save_resources(seeded_conn, edge, source="admin")
    embedding.sync(seeded_conn, embedding.EmbeddingSpec.from_settings(seeded_settings))
    seeded_conn.commit()
    for pid in open_profiles(seeded_conn):
        every = propose(seeded_conn, seeded_settings, profile_id=pid, top=None)  # every listing classified
        shown = propose(seeded_conn, seeded_settings, profile_id=pid, top=None, every_exclusion=False)
        feasible = {p.candidate.id for p in every.proposals}
        assert {p.candidate.id for p in shown.proposals} == feasible, pid
        nearest = nearest_feasible(
            seeded_conn,
            get_profile(seeded_conn, profile_id=pid),
            model=seeded_settings.embedding_model,  # type: ignore[arg-type]
            min_overlap=seeded_settings.min_overlap_minutes,
            pool=100_000,
            exact=True,
        )
        assert {c.id for c in nearest} == feasible, pid
    own = {
        p.candidate.id
        for p in propose(seeded_conn, seeded_settings, profile_id=person.id, top=None).proposals
    }
    reached = {
        e.id for e in edge if great_circle_km(person.lat, person.lon, e.lat, e.lon) <= person.max_travel_km
    }
    assert {"edge0", "edge1"} <= reached and "edge3" not in reached
    assert own & {e.id for e in edge} <= reached  # beyond the radius: never
