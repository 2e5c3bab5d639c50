"""Learning the weights from decisions: defaults stay with too little data; a model that ranks later
decisions better is adopted and stored with its metrics and size; one that does not is stored unadopted."""

import random
from datetime import datetime, timedelta

import psycopg
from psycopg.types.json import Jsonb

from matcher.batch.learning import PARTS, adopted_weights, effective_settings, learn
from matcher.config import ScoreWeights, Settings

START = datetime(2026, 1, 5, 10, 0)


def simulate(conn: psycopg.Connection, decisions: int, *, truth: dict[str, float], seed: int = 3) -> None:
    """Coordinators who, unknown to the software, care mostly about the parts in `truth`."""
    rng = random.Random(seed)
    profiles = [row[0] for row in conn.execute("select id from needs_profile order by id")]
    listings = [row[0] for row in conn.execute("select id from resource where source = 'seed' order by id")]
    used = set()
    for n in range(decisions):
        parts = {p: rng.random() for p in PARTS}
        utility = sum(truth.get(p, 0.0) * v for p, v in parts.items()) + rng.gauss(0, 0.05)
        while True:
            key = (rng.choice(profiles), rng.choice(listings))
            if key not in used:
                used.add(key)
                break
        at = START + timedelta(hours=n)
        if utility > sum(truth.values()) / 2:
            conn.execute(
                "insert into placement (profile_id, resource_id, tier, status, confirmed_at, features)"
                " values (%s, %s, 2, 'cancelled', %s, %s)",
                [*key, at, Jsonb(parts)],
            )
        else:
            conn.execute(
                "insert into rejection (profile_id, resource_id, reason, rejected_at, features)"
                " values (%s, %s, 'sim', %s, %s)",
                [*key, at, Jsonb(parts)],
            )
    conn.commit()


def test_with_too_little_data_the_defaults_stay_and_the_run_says_so(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    simulate(seeded_conn, 10, truth={"lexical": 1.0})
    result = learn(seeded_conn, seeded_settings)
    assert not result.adopted and result.version is None
    assert "足りないため、重みは今のままです" in result.note
    assert seeded_conn.execute("select count(*) from scoring_model").fetchone()[0] == 0
    assert effective_settings(seeded_conn, seeded_settings).weights == ScoreWeights()


def test_weights_that_rank_later_decisions_better_are_adopted(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    simulate(seeded_conn, 300, truth={"distance": 1.0, "schedule": 0.6})
    result = learn(seeded_conn, seeded_settings)
    assert result.adopted and result.version == 1
    assert result.metrics["auc_new"] > result.metrics["auc_current"]
    assert result.weights.distance > result.weights.dense and result.weights.schedule > result.weights.lexical
    version, weights = adopted_weights(seeded_conn)
    assert version == 1 and weights == result.weights
    stored = seeded_conn.execute("select training_size, adopted, metrics from scoring_model").fetchone()
    assert stored[0] == 300 and stored[1] is True and stored[2]["held_out"] == 90


def test_weights_that_do_not_beat_the_current_ones_are_stored_but_not_adopted(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    defaults = ScoreWeights().as_dict()
    simulate(seeded_conn, 300, truth=defaults)  # coordinators already decide as the defaults rank
    result = learn(seeded_conn, seeded_settings)
    assert not result.adopted and result.version == 1
    assert "採用しません" in result.note
    assert adopted_weights(seeded_conn) is None
