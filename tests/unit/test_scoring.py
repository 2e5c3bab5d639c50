"""The parts of the fit score, their weighted mean and the label a coordinator reads (no database)."""

from datetime import date, timedelta

import pytest

from matcher.config import ScoreWeights
from matcher.matching.scoring import (
    combine,
    distance_part,
    fit_label,
    freshness_part,
    reward_part,
    schedule_part,
    stage_part,
)
from tests.unit.factories import candidate, profile

PARTS = ("dense", "lexical", "schedule", "distance", "reward", "stage", "freshness")


# ---- distance ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("km", "limit", "expected"),
    [
        (0.0, 3, 1.0),  # next door
        (1.5, 3, 0.5),  # half way to the limit
        (0.75, 3, 0.75),
        (3.0, 3, 0.0),  # at the limit
        (6.2, 3, 0.0),  # beyond it: never negative
        (4.0, 10, 0.6),
    ],
)
def test_distance_part_falls_linearly_from_next_door_to_the_limit(
    km: float, limit: float, expected: float
) -> None:
    assert distance_part(candidate(distance_km=km), profile(max_travel_km=limit)) == pytest.approx(expected)


def test_distance_part_is_neutral_for_a_place_with_no_location() -> None:
    assert distance_part(candidate(distance_km=None), profile()) == 0.5


# ---- reward --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wanted", "offered", "expected"),
    [
        ("any", "paid", 1.0),
        ("any", "none", 1.0),
        ("paid", "paid", 1.0),
        ("stipend", "stipend", 1.0),
        ("none", "none", 1.0),
        ("paid", "stipend", 0.5),  # some money rather than the wage hoped for
        ("stipend", "paid", 0.5),
        ("paid", "none", 0.0),
        ("stipend", "none", 0.0),
        ("none", "paid", 0.0),
        ("none", "stipend", 0.0),
    ],
)
def test_reward_part(wanted: str, offered: str, expected: float) -> None:
    assert reward_part(candidate(reward=offered), profile(reward_preference=wanted)) == expected


# ---- stage ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "stage", "expected"),
    [
        ("cafe", 1, 1.0),  # a café serves 段階 1–2
        ("cafe", 2, 1.0),
        ("cafe", 3, 2 / 3),  # one step past what it serves
        ("cafe", 4, 1 / 3),
        ("cafe", 5, 0.0),
        ("cafe", 6, 0.0),  # 一般就労 is far from a 居場所
        ("workplace_a", 6, 1.0),  # A型 serves 4–6
        ("workplace_a", 1, 0.0),
        ("workplace_a", 2, 1 / 3),
        ("transition", 4, 2 / 3),  # 就労移行 serves 5–6
        ("unknown_kind", 1, 1.0),  # a kind with no known range fits every 段階
        ("unknown_kind", 6, 1.0),
    ],
)
def test_stage_part(kind: str, stage: int, expected: float) -> None:
    assert stage_part(candidate(kind=kind), profile(stage=stage)) == pytest.approx(expected)


def test_a_cafe_suits_stage_1_better_than_stage_6() -> None:
    cafe = candidate(kind="cafe")
    assert stage_part(cafe, profile(stage=1)) > stage_part(cafe, profile(stage=6))


# ---- freshness -----------------------------------------------------------------------------------

TODAY = date(2025, 6, 30)


@pytest.mark.parametrize(
    ("days_ago", "expected"),
    [
        (0, 1.0),
        (30, 1.0),  # fresh_days: still fresh
        (55, 0.75),  # a quarter of the way from fresh (30) to stale (130)
        (80, 0.5),  # half way
        (105, 0.25),
        (130, 0.0),  # stale_days
        (400, 0.0),
    ],
)
def test_freshness_is_linear_between_fresh_and_stale_days(days_ago: int, expected: float) -> None:
    confirmed = candidate(assured_at=TODAY - timedelta(days=days_ago))
    assert freshness_part(confirmed, TODAY, fresh_days=30, stale_days=130) == pytest.approx(expected)


def test_a_listing_never_confirmed_is_not_fresh() -> None:
    assert freshness_part(candidate(assured_at=None), TODAY, fresh_days=30, stale_days=130) == 0.0


# ---- schedule ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overlap", "available", "expected"),
    [(90, 180, 0.5), (180, 180, 1.0), (60, 240, 0.25), (300, 180, 1.0), (0, 180, 0.0), (30, 0, 0.0)],
)
def test_schedule_part_is_the_share_of_the_persons_time_covered(
    overlap: int, available: int, expected: float
) -> None:
    assert schedule_part(candidate(overlap_minutes=overlap), available) == pytest.approx(expected)


def test_schedule_part_is_neutral_when_the_listing_states_no_days() -> None:
    assert schedule_part(candidate(schedule=(), overlap_minutes=0), 180) == 0.5


# ---- combine and label ---------------------------------------------------------------------------


def test_combine_is_the_weighted_mean_of_the_parts() -> None:
    weights = ScoreWeights(dense=1, lexical=0, schedule=0, distance=3, reward=0, stage=0, freshness=0)
    parts = dict.fromkeys(PARTS, 0.9) | {"dense": 0.2, "distance": 0.6}
    # (1 × 0.2 + 3 × 0.6) / (1 + 3) = 2.0 / 4
    assert combine(parts, weights) == pytest.approx(0.5)


def test_combine_normalises_by_the_sum_of_the_weights() -> None:
    parts = dict(zip(PARTS, (1.0, 0.5, 0.0, 1.0, 0.0, 1.0, 0.5), strict=True))
    weights = ScoreWeights(**dict.fromkeys(PARTS, 2))
    # equal weights: the plain mean (1 + 0.5 + 0 + 1 + 0 + 1 + 0.5) / 7, whichever part is which
    assert combine(parts, weights) == pytest.approx(4.0 / 7)


def test_combine_with_default_weights_keeps_a_perfect_fit_at_one() -> None:
    assert combine(dict.fromkeys(PARTS, 1.0), ScoreWeights()) == pytest.approx(1.0)
    assert combine(dict.fromkeys(PARTS, 0.0), ScoreWeights()) == 0.0


def test_combine_with_default_weights_by_hand() -> None:
    # defaults: dense .15, lexical .44, schedule .03, distance .07, reward .27, stage .04, freshness .02
    parts = {
        "dense": 0.8,
        "lexical": 0.5,
        "schedule": 1.0,
        "distance": 0.5,
        "reward": 1.0,
        "stage": 1.0,
        "freshness": 0.0,
    }
    expected = (0.15 * 0.8 + 0.44 * 0.5 + 0.03 + 0.07 * 0.5 + 0.27 + 0.04) / 1.02  # = 0.715 / 1.02
    assert combine(parts, ScoreWeights()) == pytest.approx(expected)
    assert combine(parts, ScoreWeights()) == pytest.approx(0.70098, abs=1e-5)


def test_combine_with_every_weight_zero_is_zero() -> None:
    weights = ScoreWeights(**dict.fromkeys(PARTS, 0))
    assert combine(dict.fromkeys(PARTS, 1.0), weights) == 0.0


@pytest.mark.parametrize(
    ("score", "label"),
    [
        (1.0, "◎ とても合う"),
        (0.50, "◎ とても合う"),
        (0.4999, "○ 合う"),
        (0.43, "○ 合う"),
        (0.4299, "△ 条件は満たす"),
        (0.1, "△ 条件は満たす"),
        (0.0, "△ 条件は満たす"),
    ],
)
def test_fit_label_cuts(score: float, label: str) -> None:
    assert fit_label(score) == label


def test_every_code_users_see_has_one_japanese_label() -> None:
    from matcher.core.vocabulary import LABELS

    for enum, labels in LABELS.items():
        assert set(labels) == {str(member) for member in enum}, enum.__name__
        assert all(label and not label.isascii() for label in labels.values()), enum.__name__
