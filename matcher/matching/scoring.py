"""The fit score: parts in [0, 1], combined with the weights in settings (ScoreWeights)."""

from datetime import date

from matcher.config import ScoreWeights
from matcher.matching.model import Candidate
from matcher.profiles.model import NeedsProfile

# The 段階 (domain.md §4) each kind of place usually serves.
KIND_STAGES: dict[str, tuple[int, int]] = {
    "cafe": (1, 2),
    "library": (1, 2),
    "care_prevention": (1, 2),
    "activity_center": (1, 3),
    "shelter": (1, 3),
    "volunteer_center": (2, 4),
    "farm": (2, 4),
    "shop": (3, 4),
    "silver": (3, 5),
    "workplace_b": (2, 4),
    "life_training": (2, 4),
    "employment_prep": (3, 5),
    "youth_support": (3, 5),
    "workplace_a": (4, 6),
    "transition": (5, 6),
    "other": (1, 4),
}


def schedule_part(candidate: Candidate, available: int) -> float:
    """Share of the person's `available` weekly minutes the schedule covers (0.5 when not stated)."""
    if not candidate.schedule:
        return 0.5
    return min(1.0, candidate.overlap_minutes / available) if available else 0.0


def distance_part(candidate: Candidate, profile: NeedsProfile) -> float:
    """1 next door, falling linearly to 0 at the person's limit (0.5 when the place is not located)."""
    if candidate.distance_km is None:
        return 0.5
    return max(0.0, 1.0 - candidate.distance_km / profile.max_travel_km)


def reward_part(candidate: Candidate, profile: NeedsProfile) -> float:
    """1 when the reward is what the person hopes for, 0.5 for paid vs. stipend, else 0."""
    wanted = profile.reward_preference
    if wanted == "any" or wanted == candidate.reward:
        return 1.0
    return 0.5 if {wanted, candidate.reward} == {"paid", "stipend"} else 0.0


def stage_part(candidate: Candidate, profile: NeedsProfile) -> float:
    """1 when the kind of place serves the person's 段階, less the further away it is."""
    low, high = KIND_STAGES.get(candidate.kind, (1, 6))
    gap = max(low - profile.stage, profile.stage - high, 0)
    return max(0.0, 1.0 - gap / 3)


def freshness_part(candidate: Candidate, today: date, fresh_days: int, stale_days: int) -> float:
    """1 if confirmed within fresh_days, 0 after stale_days or never, linear between."""
    if candidate.assured_at is None:
        return 0.0
    age = (today - candidate.assured_at).days
    if age <= fresh_days:
        return 1.0
    return max(0.0, 1.0 - (age - fresh_days) / max(1, stale_days - fresh_days))


# What a fit means to a coordinator. The cuts are the fit scores above which most labelled pairs were
# graded excellent (◎) and good or better (○) with the default weights (matching.evaluation.fit_label_cuts
# on notebooks/data; the notebook prints them again for the weights in force).
FIT_LABELS = ((0.50, "◎", "とても合う"), (0.43, "○", "合う"), (0.0, "△", "条件は満たす"))
PART_LABELS = {
    "dense": "意味の近さ",
    "lexical": "共通する言葉",
    "schedule": "日時の重なり",
    "distance": "距離",
    "reward": "報酬の希望",
    "stage": "段階に合う",
    "freshness": "掲載の確認日",
}


def fit_label(score: float) -> str:
    """「◎ とても合う」「○ 合う」「△ 条件は満たす」 for a fit score."""
    for cut, mark, text in FIT_LABELS:
        if score >= cut:
            return f"{mark} {text}"
    return f"{FIT_LABELS[-1][1]} {FIT_LABELS[-1][2]}"


def combine(parts: dict[str, float], weights: ScoreWeights) -> float:
    """The weighted mean of the parts."""
    weight = weights.as_dict()
    total = sum(weight.values())
    return sum(weight[name] * parts[name] for name in weight) / total if total else 0.0
