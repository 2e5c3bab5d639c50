"""What a coordinator should look at today: their own cases first, then open profiles, undecided
proposals, follow-ups and stale listings."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from matcher.config import Settings
from matcher.matching.eligibility import RULES
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
    coordinator: str | None = None  # the 担当's account name
    mine: bool = False  # the signed-in coordinator is the 担当
    last_note: date | None = None  # the date of the newest 支援経過記録

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

    @property
    def my_cases(self) -> list[ProfileLine]:
        """The open profiles the signed-in coordinator is 担当 of."""
        return [line for line in self.profiles if line.mine]


def build(conn: psycopg.Connection, settings: Settings, *, me: int | None = None) -> Dashboard:
    """The dashboard as of now; `me` (an account id) sees the profiles they are 担当 of first."""
    live: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with conn.cursor(row_factory=dict_row) as cur:
        for row in cur.execute(SQL.live_placements):
            live[row["profile_id"]].append(row)
        due = cur.execute(SQL.followups_due, {"ahead_days": 7}).fetchall()
        stale = cur.execute(SQL.stale_listings, {"days": settings.fresh_days, "limit": 8}).fetchall()
        answers = cur.execute(SQL.host_answers, {"days": 14}).fetchall()
    stale_count_row = conn.execute(SQL.stale_count, {"days": settings.fresh_days}).fetchone()
    lines = [
        ProfileLine(profile, placements=live.get(profile.id, []))
        for profile in iter_profiles(conn, trusted=True)
        if profile.status != "closed"
    ]
    counts = proposal_counts(conn, settings)
    for line in lines:
        if not line.placements:
            line.tier1, line.tier2 = counts.get(line.profile.id, (0, 0))
    add_caseload(conn, lines, me)
    return Dashboard(lines, due, stale, int(stale_count_row[0]) if stale_count_row else 0, answers)


def proposal_counts(conn: psycopg.Connection, settings: Settings) -> dict[str, tuple[int, int]]:
    """How many listings each profile not closed could be proposed, (tier 1, tier 2).

    The same hard constraints and tiers as its proposals (domain.md §6), without scoring them. Kept
    between views and exact (migration 0023_dashboard_counts): the logged changes are folded in first
    (by one transaction at a time; the others recount the changed pairs themselves)."""
    params = {"rules": eligibility_rules(), "min_overlap": settings.min_overlap_minutes}
    conn.execute(SQL.fold_proposal_changes, params)
    return {row[0]: (int(row[1]), int(row[2])) for row in conn.execute(SQL.proposal_counts, params)}


def eligibility_rules() -> Jsonb:
    """eligibility.RULES as the JSON the database's programme_eligibility applies."""
    rules = [
        {"programme": str(p), "facts": sorted(map(str, r.facts)), "min_age": r.min_age, "max_age": r.max_age}
        for p, r in sorted(RULES.items())
    ]
    return Jsonb(rules)


def add_caseload(conn: psycopg.Connection, lines: list[ProfileLine], me: int | None) -> None:
    """Fills in each line's 担当 and newest note, and puts `me`'s own cases first (keeping the order)."""
    with conn.cursor(row_factory=dict_row) as cur:
        caseload = {row["profile_id"]: row for row in cur.execute(SQL.caseload)}
    for line in lines:
        row = caseload.get(line.profile.id)
        if row:
            line.coordinator = row["coordinator_name"]
            line.mine = me is not None and row["coordinator_id"] == me
            line.last_note = row["last_note"]
    lines.sort(key=lambda line: not line.mine)
