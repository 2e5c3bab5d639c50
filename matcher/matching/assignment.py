"""Capacity-aware assignment for the weekly batch, solved as a linear program (SciPy / HiGHS).

Each person gets at most `per_profile` proposals and each listing is proposed to at most as many
people as it has open places. The objective is the total fit, with a bonus on 既存事業 pairs so that
tier 1 is served first (§6). The constraint matrix is that of a bipartite b-matching — totally
unimodular — so the LP optimum is integral: the solver's answer is the true optimum.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

TIER1_BONUS = 1.0  # larger than any fit (fits lie in [0, 1]): a tier-1 pair always outranks a tier-2 one


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
    """The set of pairs with the greatest total value that respects both limits."""
    if not pairs:
        return []
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
    return [pair for pair, x in zip(pairs, result.x, strict=True) if x > 0.5]


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
