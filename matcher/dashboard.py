"""What a coordinator should look at today: open profiles, undecided proposals, follow-ups, stale listings."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import psycopg
from psycopg.rows import dict_row

from matcher.config import Settings
from matcher.matching.propose import propose_top
from matcher.profiles.model import NeedsProfile
from matcher.profiles.store import iter_profiles
from matcher.sql import queries

SQL = queries("dashboard")


@dataclass
class ProfileLine:
    """One open profile on the dashboard."""

    profile: NeedsProfile
    tier1: int = 0
    tier2: int = 0
    placements: list[dict[str, Any]] = field(default_factory=list)

    @property
    def awaiting(self) -> bool:
        """Proposals are waiting for a decision: some exist and nothing is confirmed yet."""
        return (self.tier1 + self.tier2) > 0 and not self.placements


@dataclass
class Dashboard:
    """Everything the dashboard shows."""

    profiles: list[ProfileLine]
    followups_due: list[dict[str, Any]]
    stale: list[dict[str, Any]]
    stale_count: int
    host_answers: list[dict[str, Any]] = field(default_factory=list)

    @property
    def awaiting(self) -> list[ProfileLine]:
        """Open profiles whose proposals wait for a decision."""
        return [line for line in self.profiles if line.awaiting]


def build(conn: psycopg.Connection, settings: Settings, *, today: date | None = None) -> Dashboard:
    """The dashboard as of now."""
    live: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with conn.cursor(row_factory=dict_row) as cur:
        for row in cur.execute(SQL.live_placements):
            live[row["profile_id"]].append(row)
        due = cur.execute(SQL.followups_due, {"ahead_days": 7}).fetchall()
        stale = cur.execute(SQL.stale_listings, {"days": settings.fresh_days, "limit": 8}).fetchall()
        answers = cur.execute(SQL.host_answers, {"days": 14}).fetchall()
    stale_count_row = conn.execute(SQL.stale_count, {"days": settings.fresh_days}).fetchone()
    lines = []
    for profile in iter_profiles(conn):
        if profile.status == "closed":
            continue
        line = ProfileLine(profile, placements=live.get(profile.id, []))
        if not line.placements:
            proposals = propose_top(conn, settings, profile_id=profile.id, top=0, today=today).proposals
            line.tier1 = sum(p.tier == 1 for p in proposals)
            line.tier2 = len(proposals) - line.tier1
        lines.append(line)
    return Dashboard(lines, due, stale, int(stale_count_row[0]) if stale_count_row else 0, answers)
