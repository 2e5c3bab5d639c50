"""Reasons in Japanese a coordinator can check against the data: for proposals and for exclusions."""

from collections.abc import Callable, Sequence
from functools import lru_cache

from matcher.core.schedule import SlotLike, compact_label, overlap, total_minutes
from matcher.core.vocabulary import CONTACT_LEVELS, LABELS, PHYSICAL_LOADS, Accommodation, Programme
from matcher.matching.eligibility import check
from matcher.matching.lexical import shared_phrases
from matcher.matching.model import Candidate, ExclusionReason
from matcher.profiles.model import NeedsProfile


def km(value: float) -> str:
    """'6.2km', '3km'."""
    return f"{value:.1f}km".replace(".0km", "km")


def _accommodations(codes: Sequence[str]) -> str:
    return "・".join(LABELS[Accommodation][c] for c in codes)


def _age_rule(candidate: Candidate) -> str:
    parts = []
    if candidate.min_age is not None:
        parts.append(f"{candidate.min_age}歳以上")
    if candidate.max_age is not None:
        parts.append(f"{candidate.max_age}歳以下")
    return "・".join(parts)


@lru_cache(maxsize=8192)
def _label(slots: tuple[SlotLike, ...]) -> str:
    return compact_label(slots)


@lru_cache(maxsize=4096)
def _eligibility(programme: str, facts: tuple[str, ...], age_band: str) -> str:
    return check(Programme(programme), facts=list(facts), age_band=age_band).reason


def _no_capacity(c: Candidate, _p: NeedsProfile, _m: int) -> str:
    total = f"（定員 {c.capacity_total}名）" if c.capacity_total else ""
    return f"受け入れ可能数が 0 です{total}"


def _schedule(c: Candidate, p: NeedsProfile, min_overlap: int) -> str:
    where = f"活動日（{_label(tuple(c.schedule))}）と参加可能日（{_label(tuple(p.availability))}）"
    if c.overlap_minutes:
        return f"{where}の重なりが週{c.overlap_minutes}分で、{min_overlap}分に足りません"
    return f"{where}が重なりません"


def _contact(c: Candidate, p: NeedsProfile, _m: int) -> str:
    return (
        f"対人接触 {c.contact_level}（{CONTACT_LEVELS[c.contact_level]}）が本人の上限 "
        f"{p.contact_tolerance}（{CONTACT_LEVELS[p.contact_tolerance]}）を超えます"
    )


def _physical(c: Candidate, p: NeedsProfile, _m: int) -> str:
    return (
        f"体力負荷 {c.physical_load}（{PHYSICAL_LOADS[c.physical_load]}）が本人の上限 "
        f"{p.physical_capacity}（{PHYSICAL_LOADS[p.physical_capacity]}）を超えます"
    )


@lru_cache(maxsize=1024)
def _missing(needed: tuple[str, ...], offered: tuple[str, ...]) -> str:
    return f"必要な配慮（{_accommodations([a for a in needed if a not in offered])}）がありません"


def _accommodation(c: Candidate, p: NeedsProfile, _m: int) -> str:
    return _missing(tuple(map(str, p.needs_accommodations)), tuple(c.accommodations))


def _eligibility_text(c: Candidate, p: NeedsProfile, _m: int) -> str:
    reason = _eligibility(c.programme or "", tuple(p.facts), p.age_band)
    return f"{reason}。参加支援としての受け入れもしていません"


# One text per code of matcher.core.vocabulary.ExclusionCode (a test checks that none is missing).
EXCLUSION_TEXTS: dict[str, Callable[[Candidate, NeedsProfile, int], str]] = {
    "inactive": lambda c, _p, _m: "休止中です" if c.status == "paused" else "受け入れを終了しています",
    "no_capacity": _no_capacity,
    "schedule": _schedule,
    "distance": lambda c, p, _m: f"距離 {km(c.distance_km or 0)}（上限 {km(p.max_travel_km)}）",
    "age": lambda c, p, _m: f"年齢帯 {p.age_band}歳 が年齢要件（{_age_rule(c)}）に収まりません",
    "contact": _contact,
    "physical": _physical,
    "accommodation": _accommodation,
    "eligibility": _eligibility_text,
    "rejected": lambda c, _p, _m: f"この方には見送り済みです（理由: {c.rejection_reason}）",
    "placed": lambda c, _p, _m: "この方のつなぎ先として確定済みです",
}


def exclusion_text(code: str, c: Candidate, profile: NeedsProfile, min_overlap: int) -> str:
    """The Japanese text for one failed constraint, naming the concrete values."""
    return EXCLUSION_TEXTS[code](c, profile, min_overlap)


def exclusion_reasons(c: Candidate, profile: NeedsProfile, min_overlap: int) -> list[ExclusionReason]:
    """Every failed constraint of a listing, each with its text."""
    return [
        ExclusionReason(code=code, text=exclusion_text(code, c, profile, min_overlap)) for code in c.codes
    ]


def tier_reason(c: Candidate, profile: NeedsProfile, tier: int) -> str:
    """Why the proposal is 既存事業 (tier 1) or 参加支援 (tier 2)."""
    if tier == 1 and c.programme:
        return (
            check(Programme(c.programme), facts=profile.facts, age_band=profile.age_band).reason
            + "（既存事業）"
        )
    if c.programme:
        name = LABELS[Programme][c.programme]
        return f"{name}の対象要件には当てはまりませんが、参加支援の受け入れ先として受け入れています"
    return "参加支援の受け入れ先です（既存事業ではありません）"


def interest_reason(
    c: Candidate, profile: NeedsProfile, description: str, dense_threshold: float | None
) -> str | None:
    """Which of the person's content words met the activity's, or that the texts are close in meaning.

    The meaning is claimed only above the model's calibrated threshold (none for an uncalibrated model).
    """
    phrases = shared_phrases(f"{profile.interests}\n{profile.narrative}", f"{c.name}。{description}")
    if phrases:
        quoted = "".join(f"「{p}」" for p in phrases)
        return f"興味・希望の{quoted}が活動内容と重なります"
    if dense_threshold is not None and c.dense is not None and c.dense >= dense_threshold:
        return "興味・希望と活動内容の意味が近いと判定しました"
    return None


def schedule_reason(c: Candidate, profile: NeedsProfile) -> str:
    """The days and hours both share, or that the listing states none."""
    if not c.schedule:
        return "活動日時が未登録です（受け入れ先に確認してください）"
    shared = overlap(c.schedule, profile.availability)
    hours = total_minutes(shared) / 60
    return f"参加できる日時と重なります: {compact_label(shared)}（週{hours:g}時間）"


def distance_reason(c: Candidate, profile: NeedsProfile) -> str:
    """How far it is, against the person's limit."""
    if c.distance_km is None:
        return "所在地が未登録のため距離は未確認です"
    return f"距離 {km(c.distance_km)}（上限 {km(profile.max_travel_km)}）"


def capacity_reason(c: Candidate) -> str:
    """Open places, or that they are unknown (an unknown capacity never excludes)."""
    if c.capacity_total is None and c.capacity_open is None:
        return "定員が不明です（空き状況は受け入れ先に確認してください）"
    if c.capacity_open is None:
        return f"空き状況は未確認です（定員 {c.capacity_total}名）"
    total = f"（定員 {c.capacity_total}名）" if c.capacity_total is not None else ""
    return f"受け入れ可能 {c.capacity_open}名{total}"


def proposal_reasons(
    c: Candidate, profile: NeedsProfile, tier: int, description: str, dense_threshold: float | None = None
) -> list[str]:
    """2–6 reasons: tier, interests, days and hours, capacity when unknown, distance, accommodations
    needed; the open places only while there are fewer than 6 (a needed accommodation is never dropped)."""
    reasons = [tier_reason(c, profile, tier)]
    interest = interest_reason(c, profile, description, dense_threshold)
    if interest:
        reasons.append(interest)
    reasons.append(schedule_reason(c, profile))
    unknown_capacity = c.capacity_open is None
    if unknown_capacity:
        reasons.append(capacity_reason(c))
    reasons.append(distance_reason(c, profile))
    if profile.needs_accommodations:
        reasons.append(f"必要な配慮（{_accommodations(profile.needs_accommodations)}）があります")
    if not unknown_capacity and len(reasons) < 6:
        reasons.append(capacity_reason(c))
    return reasons
