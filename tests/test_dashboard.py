"""The dashboard's proposal counts, taken in one query, agree with each person's own proposals."""

import psycopg

from matcher.config import Settings
from matcher.matching.propose import propose
from matcher.matching.rejections import reject
from matcher.placements.service import confirm
from matcher.reports import dashboard


def test_counts_per_tier_match_every_open_profiles_proposals(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    first = propose(seeded_conn, seeded_settings, profile_id="p03", top=None).proposals[0]
    reject(seeded_conn, profile_id="p03", resource_id=first.candidate.id, reason="本人が希望しない", by="t")
    placed = propose(seeded_conn, seeded_settings, profile_id="p04", top=None).proposals[0]
    confirm(seeded_conn, seeded_settings, profile_id="p04", resource_id=placed.candidate.id, actor="t")
    seeded_conn.commit()

    board = dashboard.build(seeded_conn, seeded_settings)
    checked = 0
    for line in board.profiles:
        if line.placements:
            assert line.profile.id != "p03"
            continue
        proposals = propose(seeded_conn, seeded_settings, profile_id=line.profile.id, top=None).proposals
        expected = (sum(p.tier == 1 for p in proposals), sum(p.tier == 2 for p in proposals))
        assert (line.tier1, line.tier2) == expected, line.profile.id
        checked += 1
    assert checked >= 25
    assert any(line.tier1 for line in board.profiles) and any(line.tier2 for line in board.profiles)
    assert "p04" in {line.profile.id for line in board.profiles if line.placements}
    assert "p04" not in {line.profile.id for line in board.awaiting}
