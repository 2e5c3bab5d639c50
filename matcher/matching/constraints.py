"""The hard constraints of domain.md §6 and the tier rule, each written once for numpy.

The same rules are read three ways, and a property test (tests/matching/test_properties.py) holds
them together: the SQL function `exclusion_codes` (migrations, used by every live page), this table
(the weekly batch's fast path, `vectorized.Registry`) and `oracle.failed` (plain Python, written from
the spec alone). Change a rule in all three or the property test fails.
"""

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from matcher.core.geo import great_circle_km
from matcher.core.schedule import SlotLike, week_intervals
from matcher.core.vocabulary import Accommodation, ExclusionCode, Programme
from matcher.profiles.model import NeedsProfile

if TYPE_CHECKING:
    from matcher.matching.vectorized import Registry

ACCOMMODATION_BITS = {str(a): 1 << i for i, a in enumerate(Accommodation)}
PROGRAMMES = [str(p) for p in Programme]


def accommodation_bits(codes: Collection[str]) -> int:
    """The accommodations as one integer, a bit each (a listing offers all a person needs when
    listing & needs == needs)."""
    return sum(ACCOMMODATION_BITS[str(c)] for c in codes)


def tier(programme: str | None, eligible: Collection[str]) -> int:
    """1 for a listing of an existing programme the person is eligible for (既存事業優先), 2 for every
    other listing that passed the constraints (参加支援, and programmes that host participation).
    SQL writes the same test as `r.programme = any(%(eligible)s)`."""
    return 1 if programme is not None and programme in eligible else 2


@dataclass(frozen=True)
class Asked:
    """What one profile asks of every listing, in the terms of the registry's arrays."""

    profile: NeedsProfile
    low: int
    high: int
    allowed: np.ndarray  # by programme index, with a last True for "no programme" (index -1)
    needs: int
    spans: np.ndarray  # the profile's week intervals, (n, 2) minutes from Monday 00:00
    min_overlap: int

    @classmethod
    def of(cls, profile: NeedsProfile, eligible: Collection[str], min_overlap: int) -> "Asked":
        low, high = profile.age_range()
        return cls(
            profile=profile,
            low=low,
            high=high,
            allowed=np.array([p in eligible for p in PROGRAMMES] + [True]),
            needs=accommodation_bits(profile.needs_accommodations),
            spans=week_spans(profile.availability),
            min_overlap=min_overlap,
        )


def week_spans(availability: Sequence[SlotLike]) -> np.ndarray:
    """Merged week intervals as an (n, 2) array of minutes from Monday 00:00."""
    return np.array(week_intervals(availability), np.int32).reshape(-1, 2)


def overlap_minutes(reg: "Registry", spans: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Minutes of the week each listing in `rows` shares with these intervals (each minute once:
    both sides are merged week intervals, as schedule.week_intervals makes them)."""
    s, e = reg.starts[rows][:, :, None], reg.ends[rows][:, :, None]
    shared = np.minimum(e, spans[None, None, :, 1]) - np.maximum(s, spans[None, None, :, 0])
    minutes: np.ndarray = np.clip(shared, 0, None).sum(axis=(1, 2))
    return minutes


def distance_km(reg: "Registry", profile: NeedsProfile, rows: np.ndarray | slice) -> np.ndarray:
    """Great-circle km from the profile's centroid to each listing (nan when the listing is not located,
    which no distance rule excludes)."""
    return great_circle_km(reg.lat[rows], reg.lon[rows], profile.lat or 0.0, profile.lon or 0.0)


Rule = Callable[["Registry", Asked, np.ndarray], np.ndarray]

# Each rule answers, for the listings in `rows`, which ones fail it. Cheap rules come first: `feasible`
# applies them in this order to a shrinking set, so the schedule rule only sees the survivors.
RULES: dict[str, Rule] = {
    ExclusionCode.inactive: lambda reg, a, rows: ~reg.active[rows],
    ExclusionCode.no_capacity: lambda reg, a, rows: reg.no_capacity[rows],
    ExclusionCode.contact: lambda reg, a, rows: reg.contact[rows] > a.profile.contact_tolerance,
    ExclusionCode.physical: lambda reg, a, rows: reg.physical[rows] > a.profile.physical_capacity,
    ExclusionCode.age: lambda reg, a, rows: (reg.min_age[rows] > a.low) | (reg.max_age[rows] < a.high),
    ExclusionCode.accommodation: lambda reg, a, rows: (reg.accommodations[rows] & a.needs) != a.needs,
    ExclusionCode.eligibility: lambda reg, a, rows: (
        (reg.programme[rows] >= 0) & ~a.allowed[reg.programme[rows]] & ~reg.hosts[rows]
    ),
    ExclusionCode.distance: lambda reg, a, rows: distance_km(reg, a.profile, rows) > a.profile.max_travel_km,
    ExclusionCode.schedule: lambda reg, a, rows: (
        reg.has_schedule[rows] & (overlap_minutes(reg, a.spans, rows) < a.min_overlap)
    ),
}
RULES = {str(code): rule for code, rule in RULES.items()}  # looked up by plain strings too


def failures(reg: "Registry", asked: Asked) -> dict[str, np.ndarray]:
    """For every constraint, which listings of the registry fail it."""
    rows = np.arange(len(reg.rows))
    with np.errstate(invalid="ignore"):  # nan ages and places fail no comparison, as in SQL
        return {code: rule(reg, asked, rows) for code, rule in RULES.items()}


def feasible(reg: "Registry", asked: Asked) -> np.ndarray:
    """Indices of the listings that pass every constraint."""
    rows = np.arange(len(reg.rows))
    with np.errstate(invalid="ignore"):
        for rule in RULES.values():
            rows = rows[~rule(reg, asked, rows)]
    return rows
