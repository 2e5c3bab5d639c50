"""Capacity-aware assignment for the weekly batch, solved as a linear program (SciPy / HiGHS).

Each person gets at most `per_profile` proposals and each listing is proposed to at most as many
people as it has open places. The objective is the total fit, with a bonus on 既存事業 pairs so that
tier 1 is served first (§6). The constraint matrix is that of a bipartite b-matching — totally
unimodular — so the LP optimum is integral: the solver's answer is the true optimum.

The problem falls apart into the connected components of the feasibility graph (people and listings,
joined by their feasible pairs): no limit spans two components, so each is solved on its own and the
union of their optima is the optimum of the whole. `parts` makes that split, the same for a single
process and for the batch's workers, so both publish the same assignment.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

TIER1_BONUS = 1.0  # larger than any fit (fits lie in [0, 1]): a tier-1 pair always outranks a tier-2 one
# Components smaller than this many pairs are solved together in one LP: a LP per lone pair of a
# sparse countryside would cost more in set-up than solving them all at once.
PART_PAIRS = 2_000


@dataclass(frozen=True)
class Pair:
    """A feasible (person, listing) with its tier and fit."""

    profile_id: str
    resource_id: str
    tier: int
    score: float

    @property
    def value(self) -> float:
        """What the assignment maximises for this pair."""
        return self.score + (TIER1_BONUS if self.tier == 1 else 0.0)


def assign(pairs: Sequence[Pair], capacity: dict[str, int], per_profile: int) -> list[Pair]:
    """The set of pairs with the greatest total value that respects both limits, in the pairs' order."""
    taken = np.zeros(len(pairs), bool)
    for part in parts(pairs):
        taken[part] = solve([pairs[k] for k in part.tolist()], capacity, per_profile)
    return [pair for pair, x in zip(pairs, taken.tolist(), strict=True) if x]


def components(pairs: Sequence[Pair]) -> list[np.ndarray]:
    """The positions of the pairs in each connected component of the people–listings graph, each
    ascending, the components in the order of their first pair."""
    if not pairs:
        return []
    people = {p: i for i, p in enumerate(dict.fromkeys(pair.profile_id for pair in pairs))}
    listings = {r: i for i, r in enumerate(dict.fromkeys(pair.resource_id for pair in pairs))}
    person = np.array([people[pair.profile_id] for pair in pairs], np.int64)
    listing = len(people) + np.array([listings[pair.resource_id] for pair in pairs], np.int64)
    size = len(people) + len(listings)
    graph = coo_matrix((np.ones(len(pairs)), (person, listing)), shape=(size, size))
    _count, label = connected_components(graph, directed=False)
    of_pair = label[person]
    order = np.argsort(of_pair, kind="stable")
    cuts = np.flatnonzero(np.diff(of_pair[order])) + 1
    found = np.split(order, cuts)
    return sorted(found, key=lambda part: int(part[0]))


def parts(pairs: Sequence[Pair], least: int = PART_PAIRS) -> list[np.ndarray]:
    """The components, small ones gathered (in order) until a part holds at least `least` pairs: each
    part is an independent LP."""
    out: list[np.ndarray] = []
    gathering: list[np.ndarray] = []
    held = 0
    for part in components(pairs):
        if len(part) >= least:
            out.append(part)
            continue
        gathering.append(part)
        held += len(part)
        if held >= least:
            out.append(np.sort(np.concatenate(gathering)))
            gathering, held = [], 0
    if gathering:
        out.append(np.sort(np.concatenate(gathering)))
    return out


def solve(pairs: Sequence[Pair], capacity: dict[str, int], per_profile: int) -> np.ndarray:
    """Which of the pairs the LP takes (one linear program over all of them)."""
    if not pairs:
        return np.zeros(0, bool)
    profiles = {p: i for i, p in enumerate(sorted({pair.profile_id for pair in pairs}))}
    resources = {r: i for i, r in enumerate(sorted({pair.resource_id for pair in pairs}))}
    n = len(pairs)
    rows = np.concatenate(
        [[profiles[p.profile_id] for p in pairs], [len(profiles) + resources[p.resource_id] for p in pairs]]
    )
    matrix = csr_matrix(
        (np.ones(2 * n), (rows, np.concatenate([np.arange(n), np.arange(n)]))),
        shape=(len(profiles) + len(resources), n),
    )
    resource_order = sorted(resources, key=lambda r: resources[r])
    limits: np.ndarray = np.array(
        [per_profile] * len(profiles) + [capacity.get(r, 0) for r in resource_order]
    )
    result = linprog(
        -np.array([p.value for p in pairs]), A_ub=matrix, b_ub=limits, bounds=(0, 1), method="highs"
    )
    if result.status != 0:
        raise RuntimeError(f"割り当ての計算に失敗しました: {result.message}")
    return np.asarray(result.x > 0.5)


def greedy(pairs: Sequence[Pair], capacity: dict[str, int], per_profile: int) -> list[Pair]:
    """A baseline: take pairs by value while both limits allow."""
    used: dict[str, int] = defaultdict(int)
    given: dict[str, int] = defaultdict(int)
    chosen = []
    for pair in sorted(pairs, key=lambda p: (-p.value, p.profile_id, p.resource_id)):
        if given[pair.profile_id] < per_profile and used[pair.resource_id] < capacity.get(
            pair.resource_id, 0
        ):
            chosen.append(pair)
            given[pair.profile_id] += 1
            used[pair.resource_id] += 1
    return chosen


def total(pairs: Sequence[Pair]) -> float:
    """The objective of a set of pairs."""
    return float(sum(p.value for p in pairs))
