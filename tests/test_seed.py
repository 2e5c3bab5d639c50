"""The demo municipality: `matcher seed` loads it, again and again to the same result."""

import json

import psycopg

from matcher.core.vocabulary import Kind
from tests.conftest import Cli


def test_seed_loads_the_demo_data_and_is_idempotent(cli: Cli, conn: psycopg.Connection) -> None:
    first = cli("seed")
    assert first.exit_code == 0, first.stderr
    resources = [json.loads(line) for line in cli("export", "resources").stdout.splitlines()]
    profiles = cli("export", "profiles").stdout
    again = cli("seed")
    assert again.exit_code == 0
    assert "追加 0件、更新 0件" in again.stdout
    assert [json.loads(line) for line in cli("export", "resources").stdout.splitlines()] == resources
    assert cli("export", "profiles").stdout == profiles


def test_demo_registry_covers_every_kind_and_a_real_city(seeded_conn: psycopg.Connection) -> None:
    kinds = {row[0] for row in seeded_conn.execute("select kind from resource where source = 'seed'")}
    assert kinds == {kind.value for kind in Kind}
    own = seeded_conn.execute("select count(*) from resource where source = 'seed'").fetchone()[0]
    wam = seeded_conn.execute("select count(*) from resource where source = 'wamnet'").fetchone()[0]
    profiles = seeded_conn.execute("select count(*) from needs_profile").fetchone()[0]
    assert own >= 40 and profiles >= 30 and wam >= 10
    areas = {
        row[0] for row in seeded_conn.execute("select distinct area from resource where source = 'wamnet'")
    }
    assert areas == {"松江市"}


def test_demo_profiles_cover_the_situations_of_the_spec(seeded_conn: psycopg.Connection) -> None:
    facts = [set(row[0]) for row in seeded_conn.execute("select facts from needs_profile")]
    assert sum("hikikomori" in f for f in facts) >= 5
    assert sum("welfare" in f for f in facts) >= 2
    assert sum("certificate" in f for f in facts) >= 3
    bands = [row[0] for row in seeded_conn.execute("select age_band from needs_profile")]
    assert sum(int(b.split("-")[0]) >= 65 for b in bands) >= 3
