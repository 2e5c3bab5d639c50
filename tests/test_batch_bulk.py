"""The batch's bulk scoring gives the candidates, tiers, scores and failed-constraint counts of the
per-profile path (Registry.nearest_feasible, then propose.rank), and the spatial cells lose no listing
within reach."""

from collections import Counter
from datetime import date

import numpy as np
import psycopg
import pytest

from matcher import embedding
from matcher.batch.cells import Grid, neighbourhoods
from matcher.batch.scoring import Fit, Gaps, People, blocks, score_block
from matcher.config import Settings
from matcher.core.geo import great_circle_km
from matcher.matching.propose import lexical_index, rank
from matcher.matching.rejections import reject
from matcher.matching.vectorized import Registry
from matcher.profiles.store import iter_profiles

TODAY = date(2026, 12, 4)


def per_profile(
    conn: psycopg.Connection, settings: Settings, registry: Registry, vectors: dict, skip: dict
) -> dict[str, tuple[list[tuple[str, int, float]], Counter[str], bool]]:
    """What the batch staged for each open profile before it scored in bulk."""
    index = lexical_index(conn)
    out = {}
    for profile in iter_profiles(conn, trusted=True):
        if profile.status != "open":
            continue
        eligible = set(profile.eligible_programmes())
        vector = vectors.get(profile.id)
        found, saturated = (
            registry.nearest_feasible(
                profile,
                eligible,
                vector,
                skip=skip.get(profile.id, set()),
                min_overlap=settings.min_overlap_minutes,
                pool=settings.batch_search_pool,
            )
            if vector is not None
            else ([], False)
        )
        proposals = rank(profile, found, index, settings, TODAY).proposals
        rows = [
            (p.candidate.id, p.tier, round(p.score, 6)) for p in proposals[: settings.batch_candidate_pool]
        ]
        failed: Counter[str] = Counter()
        if not proposals or max(p.score for p in proposals) < settings.gap_fit_threshold:
            failed = registry.failed_counts(profile, eligible, settings.min_overlap_minutes)
        out[profile.id] = (rows, failed, saturated)
    return out


def in_bulk(
    conn: psycopg.Connection, settings: Settings, registry: Registry, vectors: dict, skip: dict
) -> dict[str, tuple[list[tuple[str, int, float]], Counter[str], bool]]:
    profiles = [p for p in iter_profiles(conn, trusted=True) if p.status == "open"]
    people = People.of(profiles, vectors, settings.min_overlap_minutes)
    keys = np.unique(
        np.array(
            [n * len(registry.rows) + k for n, p in enumerate(profiles) for k in skip.get(p.id, set())],
            np.int64,
        )
    )
    fit, gaps = Fit(registry, lexical_index(conn), settings, TODAY), Gaps(registry, settings)
    out = {}
    for block, rows in blocks(registry, people, np.arange(len(profiles)), 7):
        for s in score_block(registry, people, block, rows, keys, fit, gaps, settings):
            out[s.profile_id] = (
                [(r["resource_id"], r["tier"], r["score"]) for r in s.rows],
                s.failed,
                s.saturated,
            )
    return out


@pytest.mark.parametrize("search_pool", [40, 3])
def test_bulk_scoring_stages_what_the_per_profile_path_staged(
    seeded_conn: psycopg.Connection, seeded_settings: Settings, search_pool: int
) -> None:
    reject(seeded_conn, profile_id="p19", resource_id="r04", reason="本人が見学後に辞退", by="c")
    seeded_conn.execute("update resource set lat = null, lon = null where id = 'r05'")  # reachable by all
    seeded_conn.commit()
    settings = seeded_settings.model_copy(
        update={"batch_search_pool": search_pool, "batch_candidate_pool": 5}
    )
    model = embedding.EmbeddingSpec.from_settings(settings).key
    registry = Registry.load(seeded_conn, model)
    vectors = {
        pid: v.to_numpy()
        for pid, v in seeded_conn.execute(
            "select profile_id, embedding from profile_embedding where model = %s", [model]
        )
    }
    vectors.pop("p03", None)  # a profile without a vector is staged with nothing, as before
    skip: dict[str, set[int]] = {}
    for pid, rid in seeded_conn.execute(
        "select profile_id, resource_id from rejection union select profile_id, resource_id from live_placement"
    ):
        skip.setdefault(pid, set()).add(registry.index[rid])
    before = per_profile(seeded_conn, settings, registry, vectors, skip)
    after = in_bulk(seeded_conn, settings, registry, vectors, skip)
    assert after == before
    assert sum(len(rows) for rows, _f, _s in after.values()) > 50
    assert any(failed for _r, failed, _s in after.values())
    assert (search_pool == 3) == any(saturated for _r, _f, saturated in after.values())


def test_every_listing_within_reach_is_in_the_neighbourhood() -> None:
    rng = np.random.default_rng(7)
    for centre_lat, centre_lon, spread in ((35.4, 133.0, 0.5), (70.0, 179.5, 1.0), (-10.0, -179.9, 0.3)):
        lat = np.clip(centre_lat + rng.uniform(-spread, spread, 3000), -89.9, 89.9)
        lon = (centre_lon + rng.uniform(-spread, spread, 3000) + 180.0) % 360.0 - 180.0
        people_lat, people_lon = lat[:300], lon[:300]
        radius = 12.0
        grid = Grid.around(radius, float(np.abs(lat).max()))
        reach = {}
        for members, rows in neighbourhoods(grid, lat, lon, people_lat, people_lon):
            for m in members.tolist():
                reach[m] = set(rows.tolist())
        for m in range(300):
            near = np.flatnonzero(great_circle_km(lat, lon, people_lat[m], people_lon[m]) <= radius)
            assert set(near.tolist()) <= reach[m]
        assert min(len(r) for r in reach.values()) < 3000  # the cells do narrow the search
