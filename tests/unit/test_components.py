"""The assignment split into the connected components of the feasibility graph equals the one LP over
everything (no database): the split is what lets the batch solve independent pieces exactly."""

import numpy as np
import pytest

from matcher.batch.cells import pieces
from matcher.matching.assignment import Pair, assign, components, parts, solve, total


def instance(seed: int) -> tuple[list[Pair], dict[str, int]]:
    """Random people and listings in a few separate towns (pairs only within a town), with a few
    towns joined by one commuter so that components are not simply the towns."""
    rng = np.random.default_rng(seed)
    pairs: dict[tuple[str, str], Pair] = {}
    towns = int(rng.integers(1, 7))
    for town in range(towns):
        people = [f"t{town}p{n}" for n in range(int(rng.integers(1, 25)))]
        listings = [f"t{town}r{n}" for n in range(int(rng.integers(1, 12)))]
        for person in people:
            for listing in rng.choice(
                listings, size=min(len(listings), int(rng.integers(0, 6))), replace=False
            ):
                tier = 1 if rng.random() < 0.2 else 2
                pairs[(person, str(listing))] = Pair(person, str(listing), tier, float(rng.random()))
    if towns > 1 and rng.random() < 0.5:
        pairs[("t0p0", "t1r0")] = Pair("t0p0", "t1r0", 2, float(rng.random()))
    listings = sorted({p.resource_id for p in pairs.values()})
    capacity = {r: int(rng.integers(0, 4)) for r in listings}
    order = list(pairs.values())
    rng.shuffle(order)  # type: ignore[arg-type]
    return order, capacity


def taken(pairs: list[Pair]) -> set[tuple[str, str]]:
    return {(p.profile_id, p.resource_id) for p in pairs}


@pytest.mark.parametrize("seed", range(40))
def test_the_split_assignment_is_the_whole_lps(seed: int) -> None:
    pairs, capacity = instance(seed)
    whole = [pair for pair, x in zip(pairs, solve(pairs, capacity, 3), strict=True) if x]
    split = assign(pairs, capacity, 3)
    assert taken(split) == taken(whole)
    assert total(split) == pytest.approx(total(whole), abs=1e-9)
    # each component on its own (no gathering of small ones) gives the same again
    alone = [
        pairs[k] for part in parts(pairs, least=1) for k in part[solve([pairs[k] for k in part], capacity, 3)]
    ]
    assert taken(alone) == taken(whole)


@pytest.mark.parametrize("seed", range(20))
def test_components_share_no_person_or_listing_and_cover_every_pair(seed: int) -> None:
    pairs, _capacity = instance(seed)
    found = components(pairs)
    assert sorted(k for part in found for k in part.tolist()) == list(range(len(pairs)))
    people = [{pairs[k].profile_id for k in part} for part in found]
    listings = [{pairs[k].resource_id for k in part} for part in found]
    for i in range(len(found)):
        for j in range(i + 1, len(found)):
            assert not people[i] & people[j] and not listings[i] & listings[j]
    for part in parts(pairs, least=10):
        assert list(part) == sorted(part)


def test_joined_towns_are_one_component() -> None:
    pairs = [Pair("a", "X", 2, 0.5), Pair("b", "Y", 2, 0.5), Pair("c", "Z", 2, 0.5), Pair("a", "Y", 2, 0.1)]
    assert [part.tolist() for part in components(pairs)] == [[0, 1, 3], [2]]
    assert assign([], {}, 3) == []


def test_people_split_into_pieces_of_nearly_equal_size_covering_everyone_once() -> None:
    rng = np.random.default_rng(0)
    lat, lon = rng.uniform(35.0, 36.0, 1001), rng.uniform(132.5, 133.5, 1001)
    lat[:3] = np.nan  # a place unknown
    lon[:3] = np.nan
    found = pieces(lat, lon, 10.0, 4)
    assert sorted(k for part in found for k in part.tolist()) == list(range(1001))
    assert {len(part) for part in found} <= {250, 251} and all(list(p) == sorted(p) for p in found)
    assert len(pieces(lat[:2], lon[:2], 10.0, 4)) == 2 and pieces(lat[:0], lon[:0], 10.0, 4) == []
