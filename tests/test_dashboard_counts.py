"""The dashboard's stored proposal counts (migration 0023) equal a count from scratch after every kind
of change that moves them, folded or not, and with a change committed while another view folds."""

from itertools import combinations

import psycopg
import pytest

from matcher import db
from matcher.batch.weekly import run_batch
from matcher.config import Settings
from matcher.core.vocabulary import Fact
from matcher.matching.eligibility import eligible_programmes
from matcher.matching.propose import propose
from matcher.matching.rejections import reject, restore
from matcher.placements.service import advance, confirm
from matcher.profiles.service import update_profile
from matcher.profiles.store import get_profile, iter_profiles
from matcher.registry.service import update_resource
from matcher.reports import dashboard

# The count from scratch: the one query the dashboard ran on every view before the counts were kept.
RECOUNT = """
with wanted as (
    select u.profile_id, coalesce(string_to_array(nullif(u.eligible, ''), ','), '{}'::text[]) as eligible
    from unnest(%(ids)s::text[], %(eligible)s::text[]) as u(profile_id, eligible)
)
select w.profile_id, r.id,
       case when coalesce(r.programme = any(w.eligible), false) then 1 else 2 end
from wanted w
join needs_profile p on p.id = w.profile_id
join resource r on is_feasible(r, p, w.eligible, %(min_overlap)s)
where not exists (select 1 from rejection rj where rj.profile_id = p.id and rj.resource_id = r.id)
  and not exists (select 1 from live_placement pl where pl.profile_id = p.id and pl.resource_id = r.id)
"""


def recount_pairs(conn: psycopg.Connection, settings: Settings) -> set[tuple[str, str, int]]:
    """Every (profile not closed, listing, tier) a proposal could be made for, counted from scratch."""
    profiles = [p for p in iter_profiles(conn, trusted=True) if p.status != "closed"]
    params = {
        "ids": [p.id for p in profiles],
        "eligible": [",".join(p.eligible_programmes()) for p in profiles],
        "min_overlap": settings.min_overlap_minutes,
    }
    return {(row[0], row[1], row[2]) for row in conn.execute(RECOUNT, params)}  # type: ignore[arg-type]


def totals(pairs: set[tuple[str, str, int]]) -> dict[str, tuple[int, int]]:
    counted: dict[str, tuple[int, int]] = {}
    for profile_id, _, tier in pairs:
        one, two = counted.get(profile_id, (0, 0))
        counted[profile_id] = (one + (tier == 1), two + (tier == 2))
    return counted


def nonzero(counts: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    return {profile_id: pair for profile_id, pair in counts.items() if pair != (0, 0)}


def assert_current(conn: psycopg.Connection, settings: Settings) -> dashboard.Dashboard:
    """The dashboard's figures, and the stored pairs once folded, equal the count from scratch."""
    board = dashboard.build(conn, settings)
    expected = totals(recount_pairs(conn, settings))
    for line in board.profiles:
        want = (0, 0) if line.placements else expected.get(line.profile.id, (0, 0))
        assert (line.tier1, line.tier2) == want, line.profile.id
    assert nonzero(dashboard.proposal_counts(conn, settings)) == expected
    stored = conn.execute("select profile_id, resource_id, tier from proposal_pair").fetchall()
    if not conn.execute("select 1 from proposal_change").fetchone():  # folded: the store itself is exact
        assert set(stored) == recount_pairs(conn, settings)
        kept = {row[0]: (row[1], row[2]) for row in conn.execute("select * from proposal_count")}
        assert kept == expected
    conn.commit()
    return board


def test_programme_eligibility_in_sql_equals_the_python_rules(conn: psycopg.Connection) -> None:
    """programme_eligibility (SQL, rules from eligibility.RULES) against eligible_programmes (Python)."""
    rules = dashboard.eligibility_rules()
    facts = [str(f) for f in Fact]
    for size in range(len(facts) + 1):
        for chosen in combinations(facts, size):
            for low in range(0, 100, 5):
                band = f"{low}-{low + 4}"
                row = conn.execute(
                    "select programme_eligibility(%s, %s, %s)", [list(chosen), band, rules]
                ).fetchone()
                assert row is not None
                assert sorted(row[0]) == sorted(eligible_programmes(facts=list(chosen), age_band=band))


def test_every_change_that_moves_a_count_keeps_the_dashboard_exact(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    conn, settings = seeded_conn, seeded_settings
    assert_current(conn, settings)  # the first view builds the store

    # a profile edited: farther travel, and a fact that changes its eligible programmes
    profile = get_profile(conn, profile_id="p03")
    assert profile is not None
    edited = profile.model_copy(
        update={"max_travel_km": profile.max_travel_km + 15, "facts": [*profile.facts, Fact.certificate]}
    )
    update_profile(conn, edited, actor="t")
    conn.commit()
    assert_current(conn, settings)

    # a profile closed, then opened again
    conn.execute("update needs_profile set status = 'closed' where id = 'p05'")
    conn.commit()
    assert_current(conn, settings)
    conn.execute("update needs_profile set status = 'open' where id = 'p05'")
    conn.commit()
    assert_current(conn, settings)

    # listings: edited through the registry, no place left, places again, closed, new, deleted
    counted = sorted(recount_pairs(conn, settings))
    listing = counted[0][1]
    update_resource(conn, listing, lambda r: r.model_copy(update={"contact_level": 3}), actor="t")
    conn.commit()
    assert_current(conn, settings)
    conn.execute("update resource set capacity_open = 0 where id = %s", [counted[-1][1]])
    conn.commit()
    assert_current(conn, settings)
    conn.execute("update resource set capacity_open = 1 where id = %s", [counted[-1][1]])
    conn.execute("update resource set capacity_open = capacity_open where id = %s", [counted[-1][1]])
    conn.commit()
    assert_current(conn, settings)
    conn.execute("update resource set status = 'closed' where id = %s", [counted[len(counted) // 2][1]])
    conn.commit()
    assert_current(conn, settings)
    conn.execute(
        "insert into resource (id, name, kind, area, lat, lon, contact_level, physical_load, reward)"
        " select 'new-1', '新しい居場所', 'cafe', area, lat, lon, 1, 1, 'none' from needs_profile where id = 'p03'"
    )
    conn.commit()
    assert_current(conn, settings)
    conn.execute("delete from resource where id = 'new-1'")
    conn.commit()
    assert_current(conn, settings)

    # a rejection and its restore
    first = propose(conn, settings, profile_id="p03", top=None).proposals[0]
    reject(conn, profile_id="p03", resource_id=first.candidate.id, reason="本人が希望しない", by="t")
    conn.commit()
    assert_current(conn, settings)
    restore(conn, profile_id="p03", resource_id=first.candidate.id, by="t")
    conn.commit()
    assert_current(conn, settings)

    # a confirmation (which may take a listing's last place), its cancellation, another one ended
    for profile_id in ("p04", "p06"):
        chosen = propose(conn, settings, profile_id=profile_id, top=None).proposals[0]
        placed = confirm(conn, settings, profile_id=profile_id, resource_id=chosen.candidate.id, actor="t")
        conn.commit()
        assert_current(conn, settings)
        if profile_id == "p04":
            advance(conn, placement_id=placed.id, action="cancel", actor="t")
        else:
            conn.execute(
                "update placement set status = 'ended', end_reason = 'other', ended_at = now() where id = %s",
                [placed.id],
            )
        conn.commit()
        assert_current(conn, settings)

    # the weekly batch published (it moves no count; the figures stay exact)
    run_batch(conn, settings)
    assert_current(conn, settings)

    # another minimum overlap: the store is rebuilt for it
    assert_current(conn, settings.model_copy(update={"min_overlap_minutes": 240}))
    assert_current(conn, settings)


def test_a_view_while_another_folds_counts_the_changes_itself(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    """One transaction holds the fold; a change commits meanwhile; a third view is still exact, and so
    is every view after the folder commits."""
    assert_current(seeded_conn, seeded_settings)
    with db.connect(seeded_settings) as folder, db.connect(seeded_settings) as writer:
        seeded_conn.execute("update resource set capacity_open = 0 where id = 'r01'")
        seeded_conn.commit()
        dashboard.proposal_counts(folder, seeded_settings)  # folds and keeps its lock, uncommitted
        assert folder.execute("select count(*) from proposal_change").fetchone() == (0,)
        writer.execute("update needs_profile set max_travel_km = max_travel_km + 20 where id = 'p07'")
        writer.execute("update resource set capacity_open = null where id = 'r01'")
        writer.commit()
        assert_current(seeded_conn, seeded_settings)  # could not fold: counted the changes itself
        assert seeded_conn.execute("select count(*) from proposal_change").fetchone() != (0,)
        folder.commit()
        assert_current(seeded_conn, seeded_settings)
        assert seeded_conn.execute("select count(*) from proposal_change").fetchone() == (0,)


@pytest.mark.parametrize("isolation", [psycopg.IsolationLevel.REPEATABLE_READ])
def test_a_repeatable_read_view_never_folds(
    seeded_conn: psycopg.Connection, seeded_settings: Settings, isolation: psycopg.IsolationLevel
) -> None:
    seeded_conn.execute("update resource set capacity_open = 0 where id = 'r02'")
    seeded_conn.commit()
    seeded_conn.isolation_level = isolation
    expected = totals(recount_pairs(seeded_conn, seeded_settings))
    assert nonzero(dashboard.proposal_counts(seeded_conn, seeded_settings)) == expected
    assert seeded_conn.execute("select count(*) from proposal_change").fetchone() != (0,)
    seeded_conn.commit()
