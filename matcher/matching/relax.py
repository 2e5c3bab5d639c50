"""A way forward when nothing fits: the listings that fail exactly one hard constraint a person and
coordinator can change, and the change that would admit them, each verified with the plain-Python
reading of the constraints (oracle.failed) so that every count is exact."""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import psycopg

from matcher.config import Settings
from matcher.core.schedule import DAY_ORDER, SlotLike, TimeSlot, compact_label, merge_slots, minutes
from matcher.core.vocabulary import CONTACT_LEVELS, LABELS, PHYSICAL_LOADS, Accommodation, Day
from matcher.matching.model import Proposal
from matcher.matching.oracle import failed, listing_distance
from matcher.matching.reasons import km
from matcher.profiles.model import NeedsProfile
from matcher.registry.model import Resource
from matcher.registry.store import resources_by_ids
from matcher.sql import queries

# What a person and coordinator can change (and capacity, which frees up by itself); age,
# eligibility, inactive listings and the coordinator's own decisions are never suggested.
CHANGEABLE = ("distance", "schedule", "contact", "physical", "accommodation", "no_capacity")
DISTANCE_STEPS = 3  # larger travel limits suggested, nearest first
SCHEDULE_SUGGESTIONS = 5  # extra slots suggested, those admitting most listings first
MAX_TRAVEL_KM = 200  # the profile's own upper bound (NeedsProfile.max_travel_km)

SQL = queries("matching")


class Listing(NamedTuple):
    """A listing a relaxation would admit."""

    id: str
    name: str


@dataclass(frozen=True)
class Relaxation:
    """One change of one constraint, the Japanese text of it, and exactly the listings it admits."""

    code: str
    text: str
    listings: tuple[Listing, ...]
    field: str | None  # the profile field changed; None when only the listing can change (no_capacity)
    value: Any = None  # the field's new value

    @property
    def count(self) -> int:
        """How many listings the change admits."""
        return len(self.listings)

    def apply(self, profile: NeedsProfile) -> NeedsProfile:
        """A copy of the profile with the change made (the profile itself when nothing changes in it)."""
        if self.field is None:
            return profile
        return profile.model_copy(update={self.field: self.value})


@dataclass(frozen=True)
class NearlySection:
    """What the profile page shows under 「条件を少し変えると提案できる社会資源」."""

    relaxations: list[Relaxation] | None  # None: not worked out yet (the page loads it when opened)
    open: bool  # shown open: few or only weak proposals

    @property
    def count(self) -> int:
        """How many distinct listings some relaxation admits."""
        return len({listing.id for r in self.relaxations or [] for listing in r.listings})


def nearly_feasible(conn: psycopg.Connection, settings: Settings, profile: NeedsProfile) -> list[Relaxation]:
    """Every suggested change, grouped by constraint, each naming exactly the listings it admits."""
    min_overlap = settings.min_overlap_minutes
    pools = near_listings(conn, profile, min_overlap)
    return [
        *distance_steps(profile, pools["distance"], min_overlap),
        *schedule_additions(profile, pools["schedule"], min_overlap),
        *level_steps(profile, pools["contact"], min_overlap, "contact"),
        *level_steps(profile, pools["physical"], min_overlap, "physical"),
        *accommodation_removals(profile, pools["accommodation"], min_overlap),
        *capacity_waits(profile, pools["no_capacity"], min_overlap),
    ]


def near_listings(
    conn: psycopg.Connection, profile: NeedsProfile, min_overlap: int
) -> dict[str, list[Resource]]:
    """The listings failing exactly one changeable constraint for the stored profile (by SQL), by code."""
    params = {
        "profile_id": profile.id,
        "eligible": profile.eligible_programmes(),
        "min_overlap": min_overlap,
        "changeable": list(CHANGEABLE),
    }
    rows = conn.execute(SQL.nearly_feasible, params).fetchall()
    resources = resources_by_ids(conn, [rid for rid, _ in rows])
    pools: dict[str, list[Resource]] = {code: [] for code in CHANGEABLE}
    for rid, code in rows:
        if rid in resources:
            pools[code].append(resources[rid])
    return pools


def verified(
    code: str,
    profile: NeedsProfile,
    pool: Sequence[Resource],
    min_overlap: int,
    change: tuple[str, Any] | None,
    prefix: str,
) -> Relaxation | None:
    """The change naming the pool's listings that then pass every constraint; text: prefix + 「N件」."""
    field, value = change or (None, None)
    changed = profile.model_copy(update={field: value}) if field else profile
    admitted = tuple(Listing(r.id, r.name) for r in pool if not failed(r, changed, min_overlap))
    return Relaxation(code, f"{prefix}{len(admitted)}件", admitted, field, value) if admitted else None


def distance_steps(profile: NeedsProfile, pool: Sequence[Resource], min_overlap: int) -> list[Relaxation]:
    """The smallest whole-km limits that admit the nearest listings, each with the cumulative count."""
    limits = sorted(
        {
            math.ceil(d)
            for r in pool
            if (d := listing_distance(r, profile)) is not None and math.ceil(d) <= MAX_TRAVEL_KM
        }
    )
    found = [
        verified(
            "distance",
            profile,
            pool,
            min_overlap,
            ("max_travel_km", float(limit)),
            f"上限距離を{km(profile.max_travel_km)}→{km(limit)}にすると",
        )
        for limit in limits[:DISTANCE_STEPS]
    ]
    return [r for r in found if r is not None]


def with_slots(availability: Iterable[SlotLike], extra: Iterable[SlotLike]) -> list[TimeSlot]:
    """Availability with extra slots added, overlapping or touching slots of a day merged."""
    return [TimeSlot(day=Day(s.day), start=s.start, end=s.end) for s in merge_slots([*availability, *extra])]


def with_availability(profile: NeedsProfile, extra: Iterable[SlotLike]) -> NeedsProfile:
    """A copy of the profile able to take part in these slots too."""
    return profile.model_copy(update={"availability": with_slots(profile.availability, extra)})


SlotKey = tuple[tuple[str, str, str], ...]


def _key(slots: Iterable[SlotLike]) -> SlotKey:
    """A hashable, week-ordered form of some slots."""
    return tuple(sorted(((str(s.day), s.start, s.end) for s in slots), key=_week_order))


def _week_order(slot: tuple[str, str, str]) -> tuple[int, str]:
    """Sort key of a (day, start, end) slot."""
    return DAY_ORDER.index(slot[0]), slot[1]


def slot_options(profile: NeedsProfile, resource: Resource, min_overlap: int) -> list[SlotKey]:
    """The listing's own slots that, any one added to the availability, admit it; else all its slots."""
    single = [
        _key([slot])
        for slot in resource.schedule
        if not failed(resource, with_availability(profile, [slot]), min_overlap)
    ]
    return single or [_key(resource.schedule)]


def schedule_additions(profile: NeedsProfile, pool: Sequence[Resource], min_overlap: int) -> list[Relaxation]:
    """Extra availability from the listings' own slots: each time, the one admitting most still unnamed."""
    options = {r.id: slot_options(profile, r, min_overlap) for r in pool}
    uncovered = set(options)
    found: list[Relaxation] = []
    while uncovered and len(found) < SCHEDULE_SUGGESTIONS:
        best = most_shared(options, uncovered)
        relaxation = _slot_relaxation(profile, pool, min_overlap, best)
        admitted = {listing.id for listing in relaxation.listings} if relaxation else set()
        uncovered -= admitted | {rid for rid in uncovered if best in options[rid]}
        if relaxation:
            found.append(relaxation)
    return found


def most_shared(options: dict[str, list[SlotKey]], among: set[str]) -> SlotKey:
    """The slots that are an option of most of these listings; ties: the shortest, then the earliest."""
    counts: dict[SlotKey, int] = {}
    for rid in among:
        for key in options[rid]:
            counts[key] = counts.get(key, 0) + 1
    return min(counts, key=lambda k: (-counts[k], _minutes(k), [_week_order(slot) for slot in k]))


def _minutes(key: SlotKey) -> int:
    """Minutes a week these slots ask for."""
    return sum(minutes(end) - minutes(start) for _day, start, end in key)


def _slot_relaxation(
    profile: NeedsProfile, pool: Sequence[Resource], min_overlap: int, key: SlotKey
) -> Relaxation | None:
    """The relaxation adding these slots to the availability, verified on the whole pool."""
    slots = [TimeSlot(day=d, start=s, end=e) for d, s, e in key]  # type: ignore[arg-type]
    availability = with_slots(profile.availability, slots)
    label = compact_label(slots)
    return verified(
        "schedule",
        profile,
        pool,
        min_overlap,
        ("availability", availability),
        f"{label} にも参加できれば",
    )


LEVELS = {
    "contact": ("contact_tolerance", "contact_level", "対人接触", CONTACT_LEVELS),
    "physical": ("physical_capacity", "physical_load", "体力負荷", PHYSICAL_LOADS),
}


def level_steps(
    profile: NeedsProfile, pool: Sequence[Resource], min_overlap: int, code: str
) -> list[Relaxation]:
    """Each higher 対人接触 or 体力負荷 limit a listing needs, with the cumulative count."""
    field, attribute, name, labels = LEVELS[code]
    old = getattr(profile, field)
    found = [
        verified(
            code,
            profile,
            pool,
            min_overlap,
            (field, level),
            f"{name}の上限を{old}（{labels[old]}）→{level}（{labels[level]}）にすると",
        )
        for level in sorted({getattr(r, attribute) for r in pool})
    ]
    return [r for r in found if r is not None]


def accommodation_removals(
    profile: NeedsProfile, pool: Sequence[Resource], min_overlap: int
) -> list[Relaxation]:
    """Each needed accommodation whose removal admits listings lacking only it."""
    found = [
        verified(
            "accommodation",
            profile,
            pool,
            min_overlap,
            ("needs_accommodations", [a for a in profile.needs_accommodations if a != need]),
            f"必要な配慮（{LABELS[Accommodation][need]}）を外すと",
        )
        for need in profile.needs_accommodations
    ]
    return [r for r in found if r is not None]


def capacity_waits(profile: NeedsProfile, pool: Sequence[Resource], min_overlap: int) -> list[Relaxation]:
    """The listings that only lack an open place: no change to the profile, they fit once one frees up."""
    full = [r for r in pool if failed(r, profile, min_overlap) == {"no_capacity"}]
    relaxation = verified(
        "no_capacity",
        profile,
        [r.model_copy(update={"capacity_open": None}) for r in full],
        min_overlap,
        None,
        "受け入れ先に空きが出れば",
    )
    return [relaxation] if relaxation else []


def nearly_section(
    conn: psycopg.Connection, settings: Settings, profile: NeedsProfile, proposals: Sequence[Proposal]
) -> NearlySection:
    """The profile page's section: worked out and open when there are fewer than 3 proposals or all are
    weak; otherwise closed and worked out only when opened (it classifies every listing)."""
    weak = not proposals or max(p.score for p in proposals) < settings.gap_fit_threshold
    few = len(proposals) < 3
    if profile.status == "open" and (weak or few):
        return NearlySection(nearly_feasible(conn, settings, profile), True)
    return NearlySection(None, False)
