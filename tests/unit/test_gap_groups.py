"""The gap report's groups within an area (no database): people with the same kind of need end up
together, groups stay about five people, and nobody is lost or counted twice."""

import numpy as np

from matcher.reports.gaps import PER_CLUSTER, _groups


def members(
    kinds: int, each: int, seed: int = 0
) -> tuple[list[tuple[str, str, np.ndarray | None]], list[int]]:
    """`kinds` clearly different needs, `each` people with a noisy copy of each; the kind of each."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((kinds, 384))
    out: list[tuple[str, str, np.ndarray | None]] = []
    kind_of: list[int] = []
    for kind in range(kinds):
        for n in range(each):
            vector = centres[kind] + 0.05 * rng.standard_normal(384)
            out.append((f"k{kind}p{n}", "text", (vector / np.linalg.norm(vector)).astype(np.float32)))
            kind_of.append(kind)
    return out, kind_of


def test_people_with_the_same_need_are_grouped_together_in_groups_of_about_five() -> None:
    people, kind_of = members(kinds=6, each=10)
    groups = _groups(people)
    assert sorted(i for g in groups for i in g) == list(range(len(people)))
    for group in groups:
        assert len({kind_of[i] for i in group}) == 1, "a group mixes two different needs"
        assert 1 <= len(group) <= 2 * PER_CLUSTER
    assert len(groups) == len(people) // PER_CLUSTER


def test_people_without_a_vector_form_their_own_group_and_the_result_is_repeatable() -> None:
    people, _ = members(kinds=2, each=6, seed=1)
    people += [("nov1", "text", None), ("nov2", "text", None)]
    groups = _groups(people)
    assert groups[-1] == [len(people) - 2, len(people) - 1]
    assert _groups(people) == groups


def test_a_thousand_people_are_split_without_giant_groups() -> None:
    people, kind_of = members(kinds=4, each=250, seed=2)
    groups = _groups(people)
    assert sorted(i for g in groups for i in g) == list(range(1000))
    assert max(len(g) for g in groups) <= 2 * PER_CLUSTER
    assert all(len({kind_of[i] for i in g}) == 1 for g in groups)
