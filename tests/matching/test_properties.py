"""Property test: over random registries and profiles, no proposal breaks a hard constraint,
every exclusion names every failed constraint, and tier order always holds."""

from collections import Counter

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher import embedding
from matcher.config import Settings
from matcher.core.vocabulary import Accommodation, Fact, Kind, Programme
from matcher.matching import oracle
from matcher.matching.propose import propose, propose_top
from matcher.matching.vectorized import Registry
from matcher.profiles.model import NeedsProfile
from matcher.profiles.store import save_profiles
from matcher.registry.model import Resource
from matcher.registry.store import save_resources

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@st.composite
def slots(draw: st.DrawFn, min_size: int = 0) -> list[dict[str, str]]:
    """Up to 4 slots, often several on one day that overlap or touch (the models merge them)."""
    result: list[dict[str, str]] = []
    for _ in range(draw(st.integers(min_size, 4))):
        start = draw(st.integers(12, 40)) * 30
        end = min(start + draw(st.integers(1, 12)) * 30, 1440)
        same_day = bool(result) and draw(st.booleans())
        result.append(
            {
                "day": result[-1]["day"] if same_day else draw(st.sampled_from(DAYS)),
                "start": f"{start // 60:02d}:{start % 60:02d}",
                "end": f"{end // 60:02d}:{end % 60:02d}",
            }
        )
    return result


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.none() | strategy


@st.composite
def resources(draw: st.DrawFn, index: int) -> Resource:
    total = draw(maybe(st.integers(0, 5)))
    open_ = draw(maybe(st.integers(0, total if total is not None else 5)))
    located = draw(st.booleans())
    min_age = draw(maybe(st.integers(15, 70)))
    return Resource.model_validate(
        {
            "id": f"h{index}",
            "name": f"資源{index}",
            "kind": draw(st.sampled_from(list(Kind))),
            "programme": draw(maybe(st.sampled_from(list(Programme)))),
            "hosts_participation": draw(st.booleans()),
            "description": draw(
                st.sampled_from(["畑で野菜を育てる", "古本の値付け", "カフェで皿洗い", "静かな軽作業"])
            ),
            "area": "中央",
            "lat": draw(st.floats(35.40, 35.50)) if located else None,
            "lon": draw(st.floats(133.00, 133.10)) if located else None,
            "schedule": draw(slots()),
            "capacity_total": total,
            "capacity_open": open_,
            "contact_level": draw(st.integers(1, 3)),
            "physical_load": draw(st.integers(1, 3)),
            "reward": draw(st.sampled_from(["paid", "stipend", "none"])),
            "min_age": min_age,
            "max_age": draw(maybe(st.integers(min_age or 15, 90))),
            "accommodations": draw(st.lists(st.sampled_from(list(Accommodation)), unique=True, max_size=4)),
            "status": draw(st.sampled_from(["active", "active", "active", "paused", "closed"])),
            "assured_at": draw(maybe(st.dates())),
        }
    )


@st.composite
def profiles(draw: st.DrawFn) -> NeedsProfile:
    low = draw(st.integers(3, 17)) * 5
    return NeedsProfile.model_validate(
        {
            "id": "hp",
            "age_band": f"{low}-{low + 4}",
            "area": "中央",
            "lat": draw(st.floats(35.40, 35.50)),
            "lon": draw(st.floats(133.00, 133.10)),
            "max_travel_km": draw(st.floats(0.5, 15)),
            "availability": draw(slots(min_size=1)),
            "contact_tolerance": draw(st.integers(1, 3)),
            "physical_capacity": draw(st.integers(1, 3)),
            "reward_preference": draw(st.sampled_from(["paid", "stipend", "none", "any"])),
            "needs_accommodations": draw(
                st.lists(st.sampled_from(list(Accommodation)), unique=True, max_size=2)
            ),
            "interests": "畑仕事と本",
            "narrative": "静かな場所で少しずつ",
            "stage": draw(st.integers(1, 6)),
            "facts": draw(st.lists(st.sampled_from(list(Fact)), unique=True, max_size=3)),
        }
    )


@st.composite
def registries(draw: st.DrawFn) -> list[Resource]:
    return [draw(resources(i)) for i in range(draw(st.integers(1, 8)))]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(registry=registries(), profile=profiles())
def test_proposals_never_break_constraints_and_keep_tier_order(
    conn: psycopg.Connection, settings: Settings, registry: list[Resource], profile: NeedsProfile
) -> None:
    with conn.transaction(force_rollback=True):
        save_resources(conn, registry, source="test")
        save_profiles(conn, [profile])
        embedding.sync(conn, embedding.EmbeddingSpec.from_settings(settings))
        result = propose(conn, settings, profile_id=profile.id, top=None)
        exact = propose_top(conn, settings, profile_id=profile.id, exact=True)
        hnsw = propose_top(conn, settings, profile_id=profile.id, exact=False)
        arrays = Registry.load(conn, embedding.EmbeddingSpec.from_settings(settings).key)
    by_id = {r.id: r for r in registry}
    proposed = [p.candidate.id for p in result.proposals]
    excluded = {e.candidate.id: {r.code for r in e.reasons} for e in result.excluded}
    assert sorted(proposed + list(excluded)) == sorted(by_id)
    for proposal in result.proposals:
        resource = by_id[proposal.candidate.id]
        assert oracle.failed(resource, profile, settings.min_overlap_minutes) == set()
        assert proposal.tier == oracle.tier(resource, profile)
    for resource_id, codes in excluded.items():
        assert codes == oracle.failed(by_id[resource_id], profile, settings.min_overlap_minutes)
    order = [(p.tier, -p.score) for p in result.proposals]
    assert order == sorted(order)
    # the top-N path finds the same feasible listings (the pool exceeds this registry) in the same order
    assert [p.candidate.id for p in exact.proposals] == proposed
    # the batch's vectorized constraints agree with the SQL and the plain-Python reading
    eligible = set(profile.eligible_programmes())
    fast = {arrays.rows[k]["id"] for k in arrays.feasible(profile, eligible, settings.min_overlap_minutes)}
    assert fast == set(proposed)
    counts = arrays.failed_counts(profile, eligible, settings.min_overlap_minutes)
    expected = Counter(
        code for r in registry for code in oracle.failed(r, profile, settings.min_overlap_minutes)
    )
    assert +counts == expected
    assert {p.candidate.id for p in hnsw.proposals} <= set(proposed)
