"""The weekly batch's scoring in bulk: blocks of people against the listings of their neighbourhood.

The hard constraints are the table of constraints.RULES, applied to a whole block at once: a rule that
reads only the listing shrinks the block's columns, a cheap rule that reads the person gives a
(people × listings) mask, and the costly ones (distance, schedule) run on the pairs that are left.
The pool (the best `batch_search_pool` feasible listings of each tier by meaning), the parts of the fit
and the order are those of `Registry.nearest_feasible` and `propose.rank`, which the per-profile path
uses; tests/test_batch_bulk.py holds the two to the same candidates and scores.
"""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

import numpy as np

from matcher.batch.cells import Grid, neighbourhoods
from matcher.config import Settings
from matcher.core.geo import great_circle_km, reach_degrees
from matcher.core.schedule import total_minutes
from matcher.core.vocabulary import ExclusionCode
from matcher.matching import constraints, scoring
from matcher.matching.calibration import calibration
from matcher.matching.constraints import PROGRAMMES, RULES, tier
from matcher.matching.lexical import LexicalIndex, features
from matcher.matching.vectorized import Registry
from matcher.profiles.model import NeedsProfile

PAIRWISE = (str(ExclusionCode.distance), str(ExclusionCode.schedule))  # costly: run on survivors only
MARGIN = 1e-4  # above float32's error on a cosine of unit vectors (384 terms × 2⁻²⁴ ≈ 2.3e-5)
LISTING_FIELDS = [n for n in Registry.__dataclass_fields__ if n not in ("rows", "index", "vectors")]


class Truthy(np.ndarray):
    """A column of values that `x or default` keeps (constraints.distance_km writes `profile.lat or 0`)."""

    def __bool__(self) -> bool:
        return True


class ByProfile:
    """`allowed[programme]` of constraints.Asked for many people: a row each (a block, against every
    listing), or a value per pair."""

    def __init__(self, table: np.ndarray, people: np.ndarray, pairs: bool) -> None:
        self.table, self.pairs = table[people], pairs

    def __getitem__(self, programme: np.ndarray) -> np.ndarray:
        if self.pairs:
            return np.asarray(self.table[np.arange(len(self.table)), programme])
        return np.asarray(self.table[:, programme])


class PairSpans:
    """`spans[None, None, :, k]` of constraints.overlap_minutes for pairs: (pairs, 1, intervals)."""

    def __init__(self, spans: np.ndarray, people: np.ndarray) -> None:
        self.spans, self.people = spans, people

    def __getitem__(self, key: tuple[Any, ...]) -> np.ndarray:
        return np.asarray(self.spans[self.people][:, None, :, key[-1]])


_eligible: dict[tuple[Any, ...], set[str]] = {}


def eligible_programmes(profile: NeedsProfile) -> set[str]:
    """profile.eligible_programmes(), worked out once per (facts, age band): all that eligibility reads."""
    key = (tuple(profile.facts), profile.age_band)
    if key not in _eligible:
        _eligible[key] = set(profile.eligible_programmes())
    return _eligible[key]


def query_text(profile: NeedsProfile) -> str:
    """What the lexical part reads of a profile (store_profile_words hashes the same text)."""
    return f"{profile.interests}\n{profile.narrative}"


@dataclass
class People:
    """The people to score, with what the constraints and the fit read of them, as arrays."""

    profiles: list[NeedsProfile]
    vectors: np.ndarray
    has_vector: np.ndarray
    columns: dict[str, np.ndarray]
    allowed: np.ndarray  # (people, programmes + 1), as constraints.Asked.allowed
    tier1: np.ndarray  # (people, programmes + 1): is a listing of that programme tier 1 for them
    spans: np.ndarray  # (people, intervals, 2), padded with empty intervals
    queries: list[str]
    min_overlap: int

    @classmethod
    def of(cls, profiles: list[NeedsProfile], vectors: dict[str, np.ndarray], min_overlap: int) -> "People":
        eligible = [eligible_programmes(p) for p in profiles]
        asked = [constraints.Asked.of(p, e, min_overlap) for p, e in zip(profiles, eligible, strict=True)]
        dim = next((len(v) for v in vectors.values()), 1)
        matrix = np.zeros((len(profiles), dim), np.float32)
        for i, p in enumerate(profiles):
            if p.id in vectors:
                matrix[i] = vectors[p.id]
        width = max((len(a.spans) for a in asked), default=1) or 1
        spans = np.zeros((len(profiles), width, 2), np.int32)
        for i, a in enumerate(asked):
            spans[i, : len(a.spans)] = a.spans
        programmes = [*PROGRAMMES, None]
        return cls(
            profiles=profiles,
            vectors=matrix,
            has_vector=np.array([p.id in vectors for p in profiles], bool),
            columns={
                "lat": np.array([p.lat for p in profiles], float),
                "lon": np.array([p.lon for p in profiles], float),
                "max_travel_km": np.array([p.max_travel_km for p in profiles], float),
                "contact_tolerance": np.array([p.contact_tolerance for p in profiles]),
                "physical_capacity": np.array([p.physical_capacity for p in profiles]),
                "low": np.array([a.low for a in asked]),
                "high": np.array([a.high for a in asked]),
                "needs": np.array([a.needs for a in asked], np.int64),
                "available": np.array([total_minutes(p.availability) for p in profiles]),
            },
            allowed=np.array([a.allowed for a in asked], bool).reshape(len(profiles), -1),
            tier1=np.array([[tier(g, e) == 1 for g in programmes] for e in eligible], bool).reshape(
                len(profiles), -1
            ),
            spans=spans,
            queries=[query_text(p) for p in profiles],
            min_overlap=min_overlap,
        )

    def asked(self, people: np.ndarray, pairs: bool) -> SimpleNamespace:
        """constraints.Asked for these people: a column each (a block), or a value per pair."""

        def shape(name: str) -> np.ndarray:
            values: np.ndarray = self.columns[name][people]
            return values if pairs else values[:, None]

        profile = SimpleNamespace(
            lat=shape("lat").view(Truthy),
            lon=shape("lon").view(Truthy),
            max_travel_km=shape("max_travel_km"),
            contact_tolerance=shape("contact_tolerance"),
            physical_capacity=shape("physical_capacity"),
        )
        return SimpleNamespace(
            profile=profile,
            low=shape("low"),
            high=shape("high"),
            needs=shape("needs"),
            allowed=ByProfile(self.allowed, people, pairs),
            spans=PairSpans(self.spans, people) if pairs else None,
            min_overlap=self.min_overlap,
        )


@dataclass
class Pairs:
    """(person, listing) pairs: indices into People and the Registry, with values worked out for them."""

    person: np.ndarray
    listing: np.ndarray
    values: dict[str, np.ndarray] = field(default_factory=dict)

    def take(self, keep: np.ndarray) -> "Pairs":
        return Pairs(self.person[keep], self.listing[keep], {k: v[keep] for k, v in self.values.items()})

    def __len__(self) -> int:
        return len(self.person)


def listing_view(registry: Registry, rows: np.ndarray) -> SimpleNamespace:
    """The registry's constraint arrays for some listings only (what the rules read)."""
    return SimpleNamespace(**{name: getattr(registry, name)[rows] for name in LISTING_FIELDS})


def feasible_pairs(
    registry: Registry,
    people: People,
    block: np.ndarray,
    rows: np.ndarray,
    view: SimpleNamespace | None = None,
) -> Pairs:
    """Every (person of the block, listing of `rows`) that passes every rule of constraints.RULES
    (`view`: listing_view of those rows, when it is at hand)."""
    view = listing_view(registry, rows) if view is None else view
    columns = np.arange(len(rows))
    mask: np.ndarray | None = None
    with np.errstate(invalid="ignore"):  # nan ages and places fail no comparison, as in SQL
        dense = people.asked(block, pairs=False)
        for code, rule in RULES.items():
            if code in PAIRWISE:
                continue
            fails = rule(view, dense, columns)  # type: ignore[arg-type]
            if fails.ndim == 1:  # the rule reads the listing only
                columns, mask = columns[~fails], None if mask is None else mask[:, ~fails]
            else:
                mask = ~fails if mask is None else mask & ~fails
        if mask is None:
            mask = np.ones((len(block), len(columns)), bool)
        person, column = np.nonzero(mask)
        person, column = block[person], columns[column]
        for code in PAIRWISE:
            fails = RULES[code](view, people.asked(person, pairs=True), column)  # type: ignore[arg-type]
            person, column = person[~fails], column[~fails]
    return Pairs(person, rows[column])


def without(pairs: Pairs, registry: Registry, skip: np.ndarray) -> Pairs:
    """The pairs not ruled out by earlier decisions (`skip`: person × listings + listing, sorted) and
    whose listing has a vector."""
    keys = pairs.person.astype(np.int64) * len(registry.rows) + pairs.listing
    return pairs.take(registry.has_vector[pairs.listing] & ~np.isin(keys, skip))


def ranks(group: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Each pair's place within its group in this order (0 for the first)."""
    sorted_group = group[order]
    place = np.empty(len(order), np.int64)
    place[order] = np.arange(len(order)) - np.searchsorted(sorted_group, sorted_group)
    return place


def pool(
    pairs: Pairs, people: People, registry: Registry, block: np.ndarray, around: "Around", size: int
) -> tuple[Pairs, np.ndarray]:
    """The best `size` feasible listings of each tier per person by meaning (ties: the lower row, as a
    stable sort of the ascending feasible rows does), and per person whether a tier had more than `size`.

    A float32 product of the block against its listings finds each tier's cut; only the pairs within
    float32's error of it are measured again in float64, as Registry.similarity measures them."""
    tier1 = people.tier1[pairs.person, registry.programme[pairs.listing]]
    group = pairs.person.astype(np.int64) * 2 + (~tier1)
    rough = (people.vectors[block] @ around.vectors.T)[
        np.searchsorted(block, pairs.person), np.searchsorted(around.rows, pairs.listing)
    ]
    span = 1.0 + float(np.abs(rough).max(initial=0.0))
    order = np.argsort(group * (2 * span + 1) + (span - rough.astype(np.float64)))  # by group, nearest first
    counts = np.bincount(group, minlength=2 * len(people.profiles))
    full = counts > size
    cut = np.full(len(counts), -np.inf)
    at = ranks(group, order) == size - 1
    norms = np.linalg.norm(people.vectors[block], axis=1).max(initial=0.0) * around.norm
    cut[group[at]] = np.where(full[group[at]], rough[at] - MARGIN * max(1.0, float(norms)), -np.inf)
    near = pairs.take(rough >= cut[group])
    near.values["tier1"] = tier1[rough >= cut[group]]
    near.values["similarity"] = similarity(registry, people, near)
    group = near.person.astype(np.int64) * 2 + (~near.values["tier1"])
    order = np.lexsort((near.listing, -near.values["similarity"], group))
    saturated = np.zeros(len(people.profiles), bool)
    saturated[np.flatnonzero(full) // 2] = True
    return near.take(ranks(group, order) < size), saturated


@dataclass
class Around:
    """The listings of one neighbourhood: their rows, vectors and the largest vector length."""

    rows: np.ndarray
    vectors: np.ndarray
    norm: float
    view: SimpleNamespace
    _by_lat: tuple[np.ndarray, np.ndarray] | None = None

    def within(self, lat: float, lon: float, radius_km: float) -> int:
        """How many of these listings lie within `radius_km` of the point (those without a place
        never do): the great-circle distance measured, as the distance rule measures it, only for the
        listings in the box geo.reach_degrees bounds (no place outside it can be within reach)."""
        if self._by_lat is None:
            located = np.flatnonzero(~(np.isnan(self.view.lat) | np.isnan(self.view.lon)))
            order = located[np.argsort(self.view.lat[located], kind="stable")]
            self._by_lat = order, self.view.lat[order]
        order, lats = self._by_lat
        dlat, dlon = reach_degrees(radius_km, lat)
        low = int(np.searchsorted(lats, lat - dlat, side="left"))
        high = int(np.searchsorted(lats, lat + dlat, side="right"))
        band = order[low:high]
        if dlon is not None:
            apart = np.abs((self.view.lon[band] - lon + 180.0) % 360.0 - 180.0)
            band = band[apart <= dlon]
        km = great_circle_km(self.view.lat[band], self.view.lon[band], lat, lon)
        return int((km <= radius_km).sum())

    @classmethod
    def of(cls, registry: Registry, rows: np.ndarray, last: "Around | None") -> "Around":
        """The neighbourhood of these rows (the last one again when it is the same)."""
        if last is not None and last.rows is rows:
            return last
        vectors = registry.vectors[rows]
        norm = float(np.linalg.norm(vectors, axis=1).max(initial=0.0))
        return cls(rows, vectors, norm, listing_view(registry, rows))


def similarity(registry: Registry, people: People, pairs: Pairs) -> np.ndarray:
    """Cosines in float64, as Registry.similarity gives them."""
    out = np.empty(len(pairs), np.float64)
    for start in range(0, len(pairs), 65536):
        part = slice(start, start + 65536)
        out[part] = np.einsum(
            "ij,ij->i",
            registry.vectors[pairs.listing[part]].astype(np.float64),
            people.vectors[pairs.person[part]].astype(np.float64),
        )
    return out


class Fit:
    """The parts of the fit (scoring.py, propose.rank) for many pairs at once."""

    def __init__(
        self,
        registry: Registry,
        index: LexicalIndex,
        settings: Settings,
        today: date,
        words: dict[str, list[str]] | None = None,
    ) -> None:
        self.registry, self.index, self.settings = registry, index, settings
        self.words = words or {}  # query text → its features, when they were read already
        rows = registry.rows
        self.stated = np.array([bool(r["schedule"]) for r in rows], bool)
        self.freshness = np.array(
            [
                scoring.freshness_part(
                    SimpleNamespace(assured_at=r["assured_at"]),  # type: ignore[arg-type]
                    today,
                    settings.fresh_days,
                    settings.stale_days,
                )
                for r in rows
            ],
            np.float64,
        )
        self.kinds, self.kind = np.unique([r["kind"] for r in rows] or [""], return_inverse=True)
        self.rewards, self.reward = np.unique([r["reward"] for r in rows] or [""], return_inverse=True)
        self.lexical_row = np.array([index.row_of.get(r["id"], -1) for r in rows], np.int64)
        self.id_rank = np.empty(len(rows), np.int64)
        self.id_rank[sorted(range(len(rows)), key=lambda k: rows[k]["id"])] = np.arange(len(rows))
        self.dense = calibration(settings.embedding_model)
        self._queries: dict[str, Any] = {}
        self.around: Around | None = None  # the neighbourhood of the last block scored

    def scores(self, people: People, pairs: Pairs) -> np.ndarray:
        """The fit of each pair (the weighted mean of its parts)."""
        weight = self.settings.weights.as_dict()
        total = sum(weight.values())
        if not total:
            return np.zeros(len(pairs))
        parts = self.parts(people, pairs)
        combined: Any = 0
        for name in weight:
            combined = combined + weight[name] * parts[name]
        return np.asarray(combined / total, float)

    def parts(self, people: People, pairs: Pairs) -> dict[str, np.ndarray]:
        view = listing_view(self.registry, pairs.listing)
        asked = people.asked(pairs.person, pairs=True)
        rows = np.arange(len(pairs))
        km = constraints.distance_km(view, asked.profile, rows)  # type: ignore[arg-type]
        overlap = constraints.overlap_minutes(view, asked.spans, rows)  # type: ignore[arg-type]
        available = people.columns["available"][pairs.person]
        limit = people.columns["max_travel_km"][pairs.person]
        with np.errstate(divide="ignore", invalid="ignore"):
            schedule = np.where(available > 0, np.minimum(1.0, overlap / available), 0.0)
            distance = np.where(np.isnan(km), 0.5, np.maximum(0.0, 1.0 - km / limit))
        cosine = pairs.values["similarity"]
        return {
            "dense": np.minimum(
                1.0, np.maximum(0.0, (cosine - self.dense.floor) / (self.dense.ceiling - self.dense.floor))
            ),
            "lexical": self.lexical(people, pairs),
            "schedule": np.where(self.stated[pairs.listing], schedule, 0.5),
            "distance": distance,
            "reward": self.table(people, pairs, "reward"),
            "stage": self.table(people, pairs, "stage"),
            "freshness": self.freshness[pairs.listing],
        }

    def table(self, people: People, pairs: Pairs, part: str) -> np.ndarray:
        """reward_part or stage_part of each pair, from a table of each kind of person (by the value
        the part reads) against each kind of listing."""
        attribute, listing_values, listing_at = {
            "reward": ("reward_preference", self.rewards, self.reward),
            "stage": ("stage", self.kinds, self.kind),
        }[part]
        function = scoring.reward_part if part == "reward" else scoring.stage_part
        listing_key = "reward" if part == "reward" else "kind"
        if not len(pairs):
            return np.zeros(0)
        persons, person_of_pair = np.unique(pairs.person, return_inverse=True)
        values = [getattr(people.profiles[n], attribute) for n in persons.tolist()]
        kinds = list(dict.fromkeys(values))
        place = {v: n for n, v in enumerate(kinds)}
        person_at = np.array([place[v] for v in values], np.int64)[person_of_pair]
        table = np.array(
            [
                [
                    function(SimpleNamespace(**{listing_key: v}), SimpleNamespace(**{attribute: k}))  # type: ignore[arg-type]
                    for v in listing_values
                ]
                for k in kinds
            ],
            np.float64,
        ).reshape(len(kinds), -1)
        return np.asarray(table[person_at, listing_at[pairs.listing]])

    def lexical(self, people: People, pairs: Pairs) -> np.ndarray:
        """LexicalIndex.scores for each pair: the same sparse products, a column per person."""
        out = np.zeros(len(pairs))
        known = self.lexical_row[pairs.listing] >= 0
        if not known.any():
            return out
        persons, person_at = np.unique(pairs.person[known], return_inverse=True)
        listings, listing_at = np.unique(self.lexical_row[pairs.listing[known]], return_inverse=True)
        queries = self.query_matrix([people.queries[p] for p in persons])
        product = (self.index.matrix[listings] @ queries.T).toarray()
        out[known] = product[listing_at, person_at]
        return out

    def query_matrix(self, queries: list[str]) -> Any:
        """The TF-IDF vectors of these queries (each distinct text read once)."""
        import scipy.sparse

        missing = [q for q in dict.fromkeys(queries) if q not in self._queries]
        if missing:
            found = self.index.vectorizer.transform(
                [self.words[q] if q in self.words else features(q) for q in missing]
            )
            for n, q in enumerate(missing):
                self._queries[q] = found[n]
        return scipy.sparse.vstack([self._queries[q] for q in queries], format="csr")


@dataclass
class Staged:
    """One person's staged rows, the constraints that ruled listings out, and whether the pool was full."""

    profile_id: str
    rows: list[dict[str, Any]]
    failed: Counter[str]
    saturated: bool


def ranked(
    fit: Fit, people: People, pairs: Pairs, top: int
) -> tuple[dict[int, list[tuple[int, float]]], np.ndarray]:
    """Each person's best `top` scored pairs as (listing, score) in propose.rank's order (tier, fit,
    id), and each person's best fit (-inf without any)."""
    scores = fit.scores(people, pairs)
    tier_of = np.where(pairs.values["tier1"], 1, 2)
    order = np.lexsort((fit.id_rank[pairs.listing], -scores, tier_of, pairs.person))
    best = np.full(len(people.profiles), -np.inf)
    np.maximum.at(best, pairs.person, scores)
    order = order[ranks(pairs.person, order)[order] < top]
    out: dict[int, list[tuple[int, float]]] = {}
    for person, listing, score in zip(
        pairs.person[order].tolist(), pairs.listing[order].tolist(), scores[order].tolist(), strict=True
    ):
        out.setdefault(person, []).append((listing, score))
    return out, best


def rows_of(
    registry: Registry, people: People, person: int, scored: list[tuple[int, float]]
) -> list[dict[str, Any]]:
    """The staging rows of a person's scored listings."""
    tier1 = people.tier1[person]
    return [
        {
            "resource_id": registry.rows[k]["id"],
            "tier": 1 if tier1[registry.programme[k]] else 2,
            "score": round(score, 6),
        }
        for k, score in scored
    ]


class Gaps:
    """Registry.failed_counts for the people who fit nothing well, without a pass over every listing
    for each: the counts of the rules that do not read the place are kept per kind of person, and only
    the listings around a person can pass the distance rule."""

    def __init__(self, registry: Registry, settings: Settings) -> None:
        self.registry, self.settings = registry, settings
        self.located = int((~(np.isnan(registry.lat) | np.isnan(registry.lon))).sum())
        self._counts: dict[str, dict[str, int]] = {}  # by everything of a person but the place

    def counts(self, profile: NeedsProfile, around: Around) -> Counter[str]:
        """How many listings each constraint rules out for the profile (`around`: its neighbourhood)."""
        distance = str(ExclusionCode.distance)
        key = repr(
            [(k, v) for k, v in vars(profile).items() if k not in ("id", "lat", "lon", "max_travel_km")]
        )
        eligible = set(profile.eligible_programmes())
        if key not in self._counts:
            every = self.registry.failures(profile, eligible, self.settings.min_overlap_minutes)
            self._counts[key] = {code: int(mask.sum()) for code, mask in every.items() if code != distance}
        # every located listing fails the distance rule but those within reach, all in the neighbourhood
        within = around.within(profile.lat or 0.0, profile.lon or 0.0, profile.max_travel_km)
        counts = self._counts[key] | {distance: self.located - within}
        return Counter({code: counts[code] for code in RULES})


def score_block(
    registry: Registry,
    people: People,
    block: np.ndarray,
    rows: np.ndarray,
    skip: np.ndarray,
    fit: Fit,
    gaps: Gaps,
    settings: Settings,
) -> list[Staged]:
    """The staged rows of a block of people (ascending) whose reachable listings are `rows` (ascending)."""
    searched = block[people.has_vector[block]]
    fit.around = Around.of(registry, rows, fit.around)
    found = without(feasible_pairs(registry, people, searched, rows, fit.around.view), registry, skip)
    chosen, saturated = pool(found, people, registry, searched, fit.around, settings.batch_search_pool)
    scored, best = ranked(fit, people, chosen, settings.batch_candidate_pool)
    out = []
    for person in block.tolist():
        profile = people.profiles[person]
        failed: Counter[str] = Counter()
        if best[person] < settings.gap_fit_threshold:
            failed = gaps.counts(profile, fit.around)
        rows_ = rows_of(registry, people, person, scored.get(person, []))
        out.append(Staged(profile.id, rows_, failed, bool(saturated[person])))
    return out


def blocks(
    registry: Registry, people: People, members: np.ndarray, size: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(some of `members`, the listings they may reach), at most `size` people a block, by spatial cell;
    each array ascending."""
    if not len(members):
        return
    lat, lon = people.columns["lat"][members], people.columns["lon"][members]
    radius = float(people.columns["max_travel_km"][members].max())
    extreme = float(np.nanmax(np.abs(np.concatenate([lat, registry.lat, [0.0]]))))
    grid = Grid.around(radius, extreme)
    for local, rows in neighbourhoods(grid, registry.lat, registry.lon, lat, lon):
        for start in range(0, len(local), size):
            yield members[local[start : start + size]], rows
