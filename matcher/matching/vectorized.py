"""The hard constraints for one profile against every listing at once (numpy): the weekly batch's
fast path. The rules themselves are one table in constraints.py."""

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
from psycopg.rows import dict_row

from matcher.core.schedule import Slot, week_intervals
from matcher.matching import constraints
from matcher.matching.constraints import PROGRAMMES, accommodation_bits, tier
from matcher.matching.model import Candidate
from matcher.profiles.model import NeedsProfile
from matcher.sql import queries

SQL = queries("vectorized")
# The listing's columns a Candidate carries as they are (the rest are worked out per profile).
LISTING_COLUMNS = (
    "id",
    "name",
    "kind",
    "programme",
    "hosts_participation",
    "status",
    "capacity_total",
    "capacity_open",
    "contact_level",
    "physical_load",
    "min_age",
    "max_age",
    "accommodations",
    "reward",
    "assured_at",
)


@dataclass
class Registry:
    """Every listing's constraint fields as arrays, with its vector."""

    rows: list[dict[str, Any]]
    active: np.ndarray
    no_capacity: np.ndarray
    contact: np.ndarray
    physical: np.ndarray
    min_age: np.ndarray
    max_age: np.ndarray
    accommodations: np.ndarray
    programme: np.ndarray
    hosts: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    has_schedule: np.ndarray
    vectors: np.ndarray
    has_vector: np.ndarray
    index: dict[str, int]

    @classmethod
    def load(cls, conn: psycopg.Connection, model: str) -> "Registry":
        """Reads every listing once."""
        with conn.cursor(row_factory=dict_row, binary=True) as cur:  # vectors as bytes, not decimal text
            rows = cur.execute(SQL.listings, {"model": model}).fetchall()
        n = len(rows)
        intervals = [
            week_intervals([Slot(s["day"], s["start"], s["end"]) for s in r["schedule"]]) for r in rows
        ]
        width = max((len(i) for i in intervals), default=1) or 1
        starts, ends = np.zeros((n, width), np.int32), np.zeros((n, width), np.int32)
        for k, spans in enumerate(intervals):
            for j, (start, end) in enumerate(spans):
                starts[k, j], ends[k, j] = start, end
        dim = next((len(r["embedding"].to_list()) for r in rows if r["embedding"] is not None), 1)
        vectors = np.zeros((n, dim), np.float32)
        for k, r in enumerate(rows):
            if r["embedding"] is not None:
                vectors[k] = r["embedding"].to_numpy()
        nan = float("nan")
        return cls(
            rows=rows,
            active=np.array([r["status"] == "active" for r in rows], bool),
            no_capacity=np.array([r["capacity_open"] == 0 for r in rows], bool),
            contact=np.array([r["contact_level"] for r in rows], np.int8),
            physical=np.array([r["physical_load"] for r in rows], np.int8),
            min_age=np.array([nan if r["min_age"] is None else r["min_age"] for r in rows], float),
            max_age=np.array([nan if r["max_age"] is None else r["max_age"] for r in rows], float),
            accommodations=np.array([accommodation_bits(r["accommodations"]) for r in rows], np.int64),
            programme=np.array(
                [-1 if r["programme"] is None else PROGRAMMES.index(r["programme"]) for r in rows]
            ),
            hosts=np.array([r["hosts_participation"] for r in rows], bool),
            lat=np.array([nan if r["lat"] is None else r["lat"] for r in rows], float),
            lon=np.array([nan if r["lon"] is None else r["lon"] for r in rows], float),
            starts=starts,
            ends=ends,
            has_schedule=np.array([bool(i) for i in intervals], bool),
            vectors=vectors,
            has_vector=np.array([r["embedding"] is not None for r in rows], bool),
            index={r["id"]: k for k, r in enumerate(rows)},
        )

    def subset(self, keep: np.ndarray) -> "Registry":
        """The same arrays for some listings only."""
        fields = {
            name: getattr(self, name)[keep]
            for name in self.__dataclass_fields__
            if name not in ("rows", "index")
        }
        rows = [self.rows[k] for k in keep]
        return Registry(rows=rows, index={r["id"]: n for n, r in enumerate(rows)}, **fields)

    def distances(self, profile: NeedsProfile) -> np.ndarray:
        """Great-circle km from the profile's centroid to every listing (nan when not located)."""
        return constraints.distance_km(self, profile, slice(None))

    def overlaps(self, profile: NeedsProfile, rows: np.ndarray) -> np.ndarray:
        """Minutes of the week each listing in `rows` shares with the profile's availability."""
        return constraints.overlap_minutes(self, constraints.week_spans(profile.availability), rows)

    def failures(self, profile: NeedsProfile, eligible: set[str], min_overlap: int) -> dict[str, np.ndarray]:
        """For every constraint, which listings fail it (the rules of constraints.RULES)."""
        return constraints.failures(self, constraints.Asked.of(profile, eligible, min_overlap))

    def feasible(self, profile: NeedsProfile, eligible: set[str], min_overlap: int) -> np.ndarray:
        """Indices of the listings that pass every constraint (constraints.RULES, cheap ones first)."""
        return constraints.feasible(self, constraints.Asked.of(profile, eligible, min_overlap))

    def failed_counts(self, profile: NeedsProfile, eligible: set[str], min_overlap: int) -> Counter[str]:
        """How many listings each constraint rules out for the profile."""
        return Counter(
            {code: int(mask.sum()) for code, mask in self.failures(profile, eligible, min_overlap).items()}
        )

    def similarity(self, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """Cosines of these listings to a profile's vector, in float64 so that any subset gives the same
        value for a listing (the calibrated dense part magnifies float32 rounding)."""
        cosines: np.ndarray = self.vectors[rows].astype(np.float64) @ np.asarray(vector, dtype=np.float64)
        return cosines

    def candidate(self, k: int, distance: float, overlap: int, dense: float) -> Candidate:
        """Listing k as a feasible Candidate (with the values reasons quote)."""
        r = self.rows[k]
        return Candidate(
            **{name: r[name] for name in LISTING_COLUMNS},
            schedule=tuple(Slot(s["day"], s["start"], s["end"]) for s in r["schedule"]),
            codes=[],
            rejection_reason=None,
            distance_km=None if np.isnan(distance) else distance,
            overlap_minutes=overlap,
            dense=dense,
        )

    def nearest_feasible(
        self,
        profile: NeedsProfile,
        eligible: set[str],
        vector: np.ndarray,
        *,
        skip: set[int],
        min_overlap: int,
        pool: int,
    ) -> tuple[list[Candidate], bool]:
        """As the SQL `nearest_feasible_exact`: the best `pool` feasible listings of each tier by meaning,
        and whether a tier had more than `pool` (so that some feasible listings were not scored)."""
        rows = np.array([k for k in self.feasible(profile, eligible, min_overlap) if k not in skip], np.int64)
        if not len(rows):
            return [], False
        rows = rows[self.has_vector[rows]]
        tier1 = np.array([tier(self.rows[k]["programme"], eligible) == 1 for k in rows], bool)
        similarity = self.similarity(rows, vector)
        distance = self.distances(profile)
        chosen: list[tuple[int, float]] = []
        saturated = bool(tier1.sum() > pool or (~tier1).sum() > pool)
        for group in (tier1, ~tier1):
            members, scores = rows[group], similarity[group]
            chosen += [(int(members[i]), float(scores[i])) for i in np.argsort(-scores, kind="stable")[:pool]]
        return self.candidates(profile, chosen, distance), saturated

    def candidates(
        self, profile: NeedsProfile, chosen: list[tuple[int, float]], distance: np.ndarray | None = None
    ) -> list[Candidate]:
        """Candidates for (row, similarity) pairs that passed the constraints."""
        if not chosen:
            return []
        distance = self.distances(profile) if distance is None else distance
        overlap = self.overlaps(profile, np.array([k for k, _ in chosen], np.int64))
        return [
            self.candidate(k, float(distance[k]), int(o), d)
            for (k, d), o in zip(chosen, overlap, strict=True)
        ]
