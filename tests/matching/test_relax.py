"""Nearly feasible listings: every suggested change, made to the profile and run through the SQL
matching, admits exactly the listings it names; only changeable constraints are suggested; the
profile page shows them."""

from collections.abc import Iterator

import psycopg
import pytest

from matcher.accounts.users import ensure_demo_accounts
from matcher.config import Settings
from matcher.matching.propose import propose
from matcher.matching.rejections import reject
from matcher.matching.relax import CHANGEABLE, Relaxation, nearly_feasible, nearly_section
from matcher.profiles.model import NeedsProfile
from matcher.profiles.store import get_profile, iter_profiles, save_profiles
from tests.web.conftest import WebUser, signed_in
from web.app import create_app

FIELDS = {
    "distance": "max_travel_km",
    "schedule": "availability",
    "contact": "contact_tolerance",
    "physical": "physical_capacity",
    "accommodation": "needs_accommodations",
    "no_capacity": None,
}


def proposed(conn: psycopg.Connection, settings: Settings, profile_id: str) -> set[str]:
    """The listings the SQL path proposes to the profile as it is stored now."""
    result = propose(conn, settings, profile_id=profile_id, top=0, every_exclusion=False)
    return {p.candidate.id for p in result.proposals}


def admitted_by_sql(
    conn: psycopg.Connection, settings: Settings, profile: NeedsProfile, relaxation: Relaxation
) -> set[str]:
    """The listings the change adds to the proposals, by the SQL path; the database is restored after."""
    before = proposed(conn, settings, profile.id)
    named = [listing.id for listing in relaxation.listings]
    if relaxation.field is None:  # no_capacity: a place frees up at each listing named
        conn.execute("update resource set capacity_open = 1 where id = any(%s)", [named])
    else:
        save_profiles(conn, [NeedsProfile.model_validate(relaxation.apply(profile).model_dump())])
    after = proposed(conn, settings, profile.id)
    if relaxation.field is None:
        conn.execute("update resource set capacity_open = 0 where id = any(%s)", [named])
    else:
        save_profiles(conn, [profile])
    assert proposed(conn, settings, profile.id) == before
    return after - before


@pytest.mark.parametrize("profile_id", ["p07", "p02", "p14", "p18", "p31", "p37"])
def test_each_suggestion_admits_exactly_the_listings_it_names(
    seeded_conn: psycopg.Connection, seeded_settings: Settings, profile_id: str
) -> None:
    profile = get_profile(seeded_conn, profile_id=profile_id)
    assert profile is not None
    relaxations = nearly_feasible(seeded_conn, seeded_settings, profile)
    assert relaxations, f"{profile_id}: no suggestion"
    for relaxation in relaxations:
        named = {listing.id for listing in relaxation.listings}
        assert len(named) == relaxation.count and relaxation.text.endswith(f"{relaxation.count}件")
        assert admitted_by_sql(seeded_conn, seeded_settings, profile, relaxation) == named, relaxation.text


def test_the_demo_profiles_exercise_every_changeable_constraint(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    codes = set()
    for profile_id in ("p07", "p02", "p14", "p18", "p31", "p37"):
        profile = get_profile(seeded_conn, profile_id=profile_id)
        assert profile is not None
        codes |= {r.code for r in nearly_feasible(seeded_conn, seeded_settings, profile)}
    assert codes == set(CHANGEABLE)


def test_only_changeable_constraints_are_suggested_each_with_its_own_field(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    for profile in iter_profiles(seeded_conn):
        for relaxation in nearly_feasible(seeded_conn, seeded_settings, profile):
            assert relaxation.code in CHANGEABLE
            assert relaxation.code not in {"age", "eligibility", "inactive", "rejected", "placed"}
            assert relaxation.field == FIELDS[relaxation.code], relaxation
            assert relaxation.listings


def test_distance_steps_are_at_most_three_whole_km_limits_counted_cumulatively(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    profile = get_profile(seeded_conn, profile_id="p29")  # 西部圏域, 3 km: many places just too far
    assert profile is not None
    steps = [r for r in nearly_feasible(seeded_conn, seeded_settings, profile) if r.code == "distance"]
    assert 1 <= len(steps) <= 3
    limits = [r.value for r in steps]
    assert limits == sorted(limits) and all(limit == int(limit) > 3 for limit in limits)
    for smaller, larger in zip(steps, steps[1:], strict=False):
        assert set(smaller.listings) < set(larger.listings)
    assert steps[0].text == f"上限距離を3km→{int(limits[0])}kmにすると{steps[0].count}件"


def test_texts_name_the_change_in_japanese(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    texts = {}
    for profile_id in ("p02", "p14", "p07"):
        profile = get_profile(seeded_conn, profile_id=profile_id)
        assert profile is not None
        texts[profile_id] = [r.text for r in nearly_feasible(seeded_conn, seeded_settings, profile)]
    assert "対人接触の上限を1（一人作業中心）→2（少人数）にすると1件" in texts["p02"]
    assert "水 10:00–12:00 にも参加できれば2件" in texts["p02"]  # one slot shared by two listings
    assert "上限距離を3km→6kmにすると1件" in texts["p02"]
    assert "必要な配慮（女性スタッフ対応）を外すと5件" in texts["p14"]
    assert "受け入れ先に空きが出れば1件" in texts["p07"]


def test_a_listing_turned_down_is_not_suggested(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    profile = get_profile(seeded_conn, profile_id="p14")
    assert profile is not None
    reject(seeded_conn, profile_id="p14", resource_id="r13", reason="本人が希望しない", by="test")
    named = {
        listing.id for r in nearly_feasible(seeded_conn, seeded_settings, profile) for listing in r.listings
    }
    assert "r13" not in named and "r01" in named


def test_the_section_is_open_when_proposals_are_few_or_weak(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    profile = get_profile(seeded_conn, profile_id="p37")  # 20 feasible listings
    assert profile is not None
    proposals = propose(seeded_conn, seeded_settings, profile_id="p37", top=0).proposals
    assert len(proposals) >= 3
    strong = seeded_settings.model_copy(update={"gap_fit_threshold": 0.0})
    weak = seeded_settings.model_copy(update={"gap_fit_threshold": 1.0})
    assert not nearly_section(seeded_conn, strong, profile, proposals).open
    assert nearly_section(seeded_conn, weak, profile, proposals).open
    assert nearly_section(seeded_conn, strong, profile, proposals[:2]).open
    assert nearly_section(seeded_conn, strong, profile, []).open


@pytest.fixture
def coordinator(seeded_settings: Settings, seeded_conn: psycopg.Connection) -> Iterator[WebUser]:
    """The demo coordinator, signed in (as tests/web/conftest.py signs in)."""
    ensure_demo_accounts(seeded_conn)
    seeded_conn.commit()
    yield from signed_in(create_app(seeded_settings), "coordinator")


def test_the_profile_page_shows_the_way_forward(coordinator: WebUser) -> None:
    page = coordinator.get("/profiles/p07").text  # 西部圏域: nothing fits
    start = page.index('id="nearly"')
    section = page[page.rindex("<details", 0, start) : page.index("</details>", start)]
    assert "条件を少し変えると提案できる社会資源" in section
    assert " open>" in section.split("\n")[0]  # no proposal: shown open
    assert "上限距離を" in section and "にすると" in section
    assert "受け入れ先に空きが出れば1件" in section
    assert "不足の集計" in section and "社会資源の開拓" in section
    assert page.index('id="proposals"') < start < page.index('id="excluded"')


def test_a_closed_section_is_worked_out_only_when_opened(coordinator: WebUser) -> None:
    page = coordinator.get("/profiles/p37").text  # many good proposals: closed, not yet worked out
    start = page.index('id="nearly"')
    section = page[page.rindex("<details", 0, start) : page.index("</details>", start)]
    assert " open>" not in section.split("\n")[0]
    assert 'hx-get="/profiles/p37?nearly=1"' in section and "件）" not in section.split("\n")[1]
    opened = coordinator.get("/profiles/p37?nearly=1", headers={"HX-Request": "true"}).text
    assert 'id="nearly-list"' in opened and "<html" not in opened
    alone = coordinator.get("/profiles/p37?nearly=1").text
    assert "<html" in alone and 'id="nearly-list"' in alone
