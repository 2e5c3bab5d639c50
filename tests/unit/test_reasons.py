"""Exclusion texts and proposal reasons name the concrete values a coordinator can check (no database)."""

import pytest

from matcher.matching.model import ExclusionReason
from matcher.matching.reasons import (
    capacity_reason,
    distance_reason,
    exclusion_reasons,
    exclusion_text,
    km,
    proposal_reasons,
    schedule_reason,
    tier_reason,
)
from tests.unit.factories import candidate, profile, slots

MIN_OVERLAP = 60


def text(code: str, **changes: object) -> str:
    """The exclusion text for `code`, the profile's fields given as profile__name."""
    mine = {k.removeprefix("profile__"): v for k, v in changes.items() if k.startswith("profile__")}
    theirs = {k: v for k, v in changes.items() if not k.startswith("profile__")}
    return exclusion_text(code, candidate(**theirs), profile(**mine), MIN_OVERLAP)


# ---- exclusions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [(6.2, "6.2km"), (3.0, "3km"), (3, "3km"), (0.0, "0km"), (12.04, "12km"), (2.5, "2.5km")],
)
def test_km(value: float, shown: str) -> None:
    assert km(value) == shown


def test_distance_text_names_the_distance_and_the_limit() -> None:
    assert text("distance", distance_km=6.2, profile__max_travel_km=3) == "距離 6.2km（上限 3km）"
    assert text("distance", distance_km=12.0, profile__max_travel_km=7.5) == "距離 12km（上限 7.5km）"


def test_contact_text_names_both_levels_with_their_meaning() -> None:
    assert text("contact", contact_level=3, profile__contact_tolerance=1) == (
        "対人接触 3（接客・大人数）が本人の上限 1（一人作業中心）を超えます"
    )
    assert text("contact", contact_level=2, profile__contact_tolerance=1) == (
        "対人接触 2（少人数）が本人の上限 1（一人作業中心）を超えます"
    )


def test_physical_text_names_both_levels_with_their_meaning() -> None:
    assert text("physical", physical_load=3, profile__physical_capacity=2) == (
        "体力負荷 3（重い）が本人の上限 2（普通）を超えます"
    )
    assert text("physical", physical_load=2, profile__physical_capacity=1) == (
        "体力負荷 2（普通）が本人の上限 1（軽い）を超えます"
    )


def test_accommodation_text_names_only_what_is_missing() -> None:
    assert text(
        "accommodation",
        accommodations=["quiet_space"],
        profile__needs_accommodations=["pickup", "quiet_space", "short_hours"],
    ) == ("必要な配慮（送迎あり・短時間可）がありません")


@pytest.mark.parametrize(
    ("band", "min_age", "max_age", "expected"),
    [
        ("60-64", 65, None, "年齢帯 60-64歳 が年齢要件（65歳以上）に収まりません"),
        ("40-44", None, 39, "年齢帯 40-44歳 が年齢要件（39歳以下）に収まりません"),
        ("40-44", 18, 39, "年齢帯 40-44歳 が年齢要件（18歳以上・39歳以下）に収まりません"),
    ],
)
def test_age_text_names_the_band_and_the_rule(
    band: str, min_age: int | None, max_age: int | None, expected: str
) -> None:
    assert text("age", min_age=min_age, max_age=max_age, profile__age_band=band) == expected


def test_inactive_text_tells_paused_from_closed() -> None:
    assert text("inactive", status="paused") == "休止中です"
    assert text("inactive", status="closed") == "受け入れを終了しています"


def test_no_capacity_text_names_the_total_when_known() -> None:
    assert text("no_capacity", capacity_open=0, capacity_total=5) == "受け入れ可能数が 0 です（定員 5名）"
    assert text("no_capacity", capacity_open=0, capacity_total=None) == "受け入れ可能数が 0 です"


def test_schedule_text_shows_both_weeks_when_nothing_is_shared() -> None:
    assert (
        text(
            "schedule",
            schedule=slots("thu 09:00 12:00", "tue 09:00 12:00"),
            overlap_minutes=0,
            profile__availability=[{"day": "mon", "start": "13:00", "end": "15:00"}],
        )
        == "活動日（火・木 9:00–12:00）と参加可能日（月 13:00–15:00）が重なりません"
    )


def test_schedule_text_names_the_shared_minutes_against_the_minimum() -> None:
    assert (
        text(
            "schedule",
            schedule=slots("tue 09:00 12:00"),
            overlap_minutes=30,
            profile__availability=[{"day": "tue", "start": "11:30", "end": "15:00"}],
        )
        == "活動日（火 9:00–12:00）と参加可能日（火 11:30–15:00）の重なりが週30分で、60分に足りません"
    )


def test_eligibility_text_names_the_programme_requirement() -> None:
    assert text("eligibility", programme="shuro_b", hosts_participation=False, profile__facts=[]) == (
        "就労継続支援B型の対象要件（障害福祉サービス受給者証）に当てはまりません。"
        "参加支援としての受け入れもしていません"
    )
    assert text(
        "eligibility", programme="kaigo_yobo", hosts_participation=False, profile__age_band="60-64"
    ) == (
        "年齢帯 60-64歳 は一般介護予防事業（通いの場）の年齢要件（65歳以上）を満たしません。"
        "参加支援としての受け入れもしていません"
    )


def test_rejected_and_placed_texts() -> None:
    assert (
        text("rejected", rejection_reason="通所手段がない")
        == "この方には見送り済みです（理由: 通所手段がない）"
    )
    assert text("placed") == "この方のつなぎ先として確定済みです"


def test_exclusion_reasons_give_every_failed_constraint_in_order() -> None:
    far_and_crowded = candidate(codes=["distance", "contact"], distance_km=6.2, contact_level=3)
    assert exclusion_reasons(far_and_crowded, profile(contact_tolerance=1, max_travel_km=3), MIN_OVERLAP) == [
        ExclusionReason(code="distance", text="距離 6.2km（上限 3km）"),
        ExclusionReason(
            code="contact", text="対人接触 3（接客・大人数）が本人の上限 1（一人作業中心）を超えます"
        ),
    ]


# ---- proposals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "open_", "expected"),
    [
        (None, None, "定員が不明です（空き状況は受け入れ先に確認してください）"),
        (10, None, "空き状況は未確認です（定員 10名）"),
        (10, 2, "受け入れ可能 2名（定員 10名）"),
        (None, 2, "受け入れ可能 2名"),
    ],
)
def test_capacity_reason(total: int | None, open_: int | None, expected: str) -> None:
    assert capacity_reason(candidate(capacity_total=total, capacity_open=open_)) == expected


def test_schedule_reason_names_the_shared_days_and_weekly_hours() -> None:
    listing = candidate(schedule=slots("tue 09:00 12:00", "thu 09:00 12:00"))
    person = profile(
        availability=[
            {"day": "tue", "start": "10:00", "end": "13:00"},
            {"day": "thu", "start": "08:00", "end": "10:00"},
        ]
    )
    # 火 10–12 (120 min) + 木 9–10 (60 min) = 3 hours
    assert (
        schedule_reason(listing, person)
        == "参加できる日時と重なります: 火 10:00–12:00、木 9:00–10:00（週3時間）"
    )


def test_schedule_reason_shows_half_hours() -> None:
    listing = candidate(schedule=slots("wed 13:00 16:00"))
    person = profile(availability=[{"day": "wed", "start": "14:30", "end": "18:00"}])
    assert schedule_reason(listing, person) == "参加できる日時と重なります: 水 14:30–16:00（週1.5時間）"


def test_schedule_reason_for_a_listing_without_days() -> None:
    assert (
        schedule_reason(candidate(schedule=()), profile())
        == "活動日時が未登録です（受け入れ先に確認してください）"
    )


def test_distance_reason() -> None:
    assert distance_reason(candidate(distance_km=1.0), profile(max_travel_km=2.5)) == "距離 1km（上限 2.5km）"
    assert distance_reason(candidate(distance_km=None), profile()) == "所在地が未登録のため距離は未確認です"


def test_tier_reason() -> None:
    elder = profile(age_band="60-64")
    assert tier_reason(candidate(programme="silver"), elder, 1) == (
        "シルバー人材センターの対象要件（年齢帯 60-64歳）を満たします（既存事業）"
    )
    assert tier_reason(candidate(programme="shuro_b"), elder, 2) == (
        "就労継続支援B型の対象要件には当てはまりませんが、参加支援の受け入れ先として受け入れています"
    )
    assert (
        tier_reason(candidate(programme=None), elder, 2)
        == "参加支援の受け入れ先です（既存事業ではありません）"
    )


def test_proposal_reasons_say_when_the_capacity_is_unknown() -> None:
    unknown = candidate(capacity_total=None, capacity_open=None, distance_km=1.0)
    assert proposal_reasons(unknown, profile(), tier=2, description="") == [
        "参加支援の受け入れ先です（既存事業ではありません）",
        "参加できる日時と重なります: 火 9:00–12:00（週3時間）",
        "定員が不明です（空き状況は受け入れ先に確認してください）",
        "距離 1km（上限 3km）",
    ]


def test_proposal_reasons_put_a_known_capacity_last() -> None:
    known = candidate(capacity_total=5, capacity_open=2, distance_km=1.0, accommodations=["pickup"])
    assert proposal_reasons(known, profile(needs_accommodations=["pickup"]), tier=2, description="") == [
        "参加支援の受け入れ先です（既存事業ではありません）",
        "参加できる日時と重なります: 火 9:00–12:00（週3時間）",
        "距離 1km（上限 3km）",
        "必要な配慮（送迎あり）があります",
        "受け入れ可能 2名（定員 5名）",
    ]


def test_a_needed_accommodation_is_never_dropped_from_the_reasons() -> None:
    busy = candidate(capacity_total=None, capacity_open=None, dense=0.9)
    reasons = proposal_reasons(
        busy, profile(needs_accommodations=["pickup"]), tier=2, description="", dense_threshold=0.5
    )
    assert len(reasons) == 6
    assert "必要な配慮（送迎あり）があります" in reasons
    assert reasons[1] == "興味・希望と活動内容の意味が近いと判定しました"
    assert "定員が不明です（空き状況は受け入れ先に確認してください）" in reasons
