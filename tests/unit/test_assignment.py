"""The weekly assignment: an LP b-matching that respects places and the per-person limit (no database)."""

from collections import Counter

import pytest

from matcher.matching.assignment import TIER1_BONUS, Pair, assign, greedy, total


def pair(person: str, listing: str, score: float, tier: int = 2) -> Pair:
    return Pair(profile_id=person, resource_id=listing, tier=tier, score=score)


def chosen(pairs: list[Pair]) -> set[tuple[str, str]]:
    return {(p.profile_id, p.resource_id) for p in pairs}


# Two people, two listings with one place each. A fits X best, but B can only go to X.
SCARCE = [pair("A", "X", 0.9), pair("A", "Y", 0.8), pair("B", "X", 0.7)]
SCARCE_CAPACITY = {"X": 1, "Y": 1}


def test_lp_beats_greedy_on_a_scarce_case() -> None:
    # greedy takes A–X (0.9) first, then neither A–Y (A is served) nor B–X (X is full): 0.9 in all
    taken = greedy(SCARCE, SCARCE_CAPACITY, per_profile=1)
    assert chosen(taken) == {("A", "X")}
    assert total(taken) == pytest.approx(0.9)
    # the optimum sends A to Y and B to X: 0.8 + 0.7 = 1.5, and both people get a proposal
    best = assign(SCARCE, SCARCE_CAPACITY, per_profile=1)
    assert chosen(best) == {("A", "Y"), ("B", "X")}
    assert total(best) == pytest.approx(1.5)


def test_lp_finds_the_optimum_enumerated_by_hand() -> None:
    # every person may take one listing, every listing has one place
    pairs = [
        pair("A", "X", 0.9),
        pair("A", "Y", 0.6),
        pair("B", "X", 0.8),
        pair("B", "Z", 0.3),
        pair("C", "X", 0.7),
        pair("C", "Y", 0.5),
    ]
    capacity = {"X": 1, "Y": 1, "Z": 1}
    # by who gets X:  A → A–X 0.9 + B–Z 0.3 + C–Y 0.5 = 1.7
    #                 B → B–X 0.8 + A–Y 0.6 (C left out) = 1.4
    #                 C → C–X 0.7 + A–Y 0.6 + B–Z 0.3 = 1.6
    best = assign(pairs, capacity, 1)
    assert chosen(best) == {("A", "X"), ("B", "Z"), ("C", "Y")}
    assert total(best) == pytest.approx(1.7)
    assert total(greedy(pairs, capacity, 1)) == pytest.approx(1.7)  # here greedy happens to be optimal


def test_a_listing_never_gets_more_people_than_its_places() -> None:
    people = "ABCDEF"
    pairs = [pair(p, "X", 0.9 - i / 100) for i, p in enumerate(people)] + [
        pair(p, "Y", 0.5 - i / 100) for i, p in enumerate(people)
    ]
    best = assign(pairs, {"X": 2, "Y": 3}, per_profile=2)
    per_listing = Counter(p.resource_id for p in best)
    assert per_listing["X"] == 2
    assert per_listing["Y"] == 3


def test_each_person_gets_at_most_n() -> None:
    listings = "UVWXYZ"
    pairs = [pair("A", r, 0.9 - i / 10) for i, r in enumerate(listings)]
    best = assign(pairs, dict.fromkeys(listings, 5), per_profile=3)
    # the three best listings for A: U 0.9, V 0.8, W 0.7
    assert chosen(best) == {("A", "U"), ("A", "V"), ("A", "W")}
    assert total(best) == pytest.approx(2.4)


def test_limits_hold_on_a_crowded_case() -> None:
    people = [f"p{i}" for i in range(8)]
    listings = [f"r{j}" for j in range(5)]
    pairs = [
        pair(p, r, ((7 * i + 3 * j) % 11) / 10, tier=1 if (i + j) % 4 == 0 else 2)
        for i, p in enumerate(people)
        for j, r in enumerate(listings)
    ]
    capacity = {"r0": 3, "r1": 1, "r2": 0, "r3": 2, "r4": 4}
    best = assign(pairs, capacity, per_profile=2)
    assert all(n <= capacity[r] for r, n in Counter(p.resource_id for p in best).items())
    assert all(n <= 2 for n in Counter(p.profile_id for p in best).values())
    assert total(best) >= total(greedy(pairs, capacity, per_profile=2)) - 1e-9


def test_a_listing_without_stated_places_takes_no_one() -> None:
    # the batch fills unknown capacities in before calling assign; a listing left out has no places
    assert assign([pair("A", "X", 0.9), pair("A", "Y", 0.4)], {"Y": 1}, per_profile=2) == [
        pair("A", "Y", 0.4)
    ]
    assert assign([pair("A", "X", 0.9)], {"X": 0}, per_profile=1) == []


def test_tier_1_is_served_before_a_better_tier_2_fit() -> None:
    # one place at X: B's 既存事業 pair (fit 0.2) goes before A's 参加支援 pair (fit 0.9)
    pairs = [pair("A", "X", 0.9, tier=2), pair("B", "X", 0.2, tier=1)]
    assert chosen(assign(pairs, {"X": 1}, per_profile=1)) == {("B", "X")}
    # and for one person with one slot, the tier-1 listing wins
    pairs = [pair("A", "X", 0.1, tier=1), pair("A", "Y", 0.95, tier=2)]
    assert chosen(assign(pairs, {"X": 1, "Y": 1}, per_profile=1)) == {("A", "X")}


def test_total_counts_the_tier_1_bonus() -> None:
    assert TIER1_BONUS == 1.0
    assert total([pair("A", "X", 0.25, tier=1), pair("B", "Y", 0.5)]) == pytest.approx(1.75)


def test_nothing_to_assign() -> None:
    assert assign([], {"X": 3}, per_profile=2) == []
    assert greedy([], {"X": 3}, per_profile=2) == []
