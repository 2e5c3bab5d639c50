"""The coordinator's workspace for one person, as one typed value: what the profile page shows
(proposals by tier, the weekly batch's view, placements and their follow-ups, what nearly fits) and
what it says about the action just taken. The web layer renders it; it holds no HTML."""

from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

import psycopg

from matcher.batch import weekly as batch
from matcher.config import Settings
from matcher.matching.model import Exclusion, Proposal
from matcher.matching.propose import describe, propose
from matcher.matching.relax import NearlySection, nearly_section
from matcher.placements.model import FOLLOWUP_MONTHS, FollowUp, Placement
from matcher.placements.service import followups_of, placements_of
from matcher.profiles.model import NeedsProfile
from matcher.registry.store import count_resources, resource_summaries

PAGE_PROPOSALS = 20  # proposals shown per tier, best first; the rest behind 「残り N 件を表示」


@dataclass(frozen=True)
class Feedback:
    """What the workspace says about the action just taken, next to where it was taken.

    The names are those the template reads: a message for the whole page (flash_ok, or flash with no
    place), or beside one proposal (flash_for, gap_for, reject_for) or one placement (flash_placement);
    a field the PII guard refused (pii_field, pii_month) with what the coordinator had typed, so that
    nothing typed is lost."""

    flash_ok: str | None = None
    flash: str | None = None
    flash_for: str | None = None
    flash_placement: int | None = None
    gap_for: str | None = None
    gap_message: str | None = None
    gap_text: str = ""
    reject_for: str | None = None
    undo_for: str | None = None  # a listing just turned down: offer 「元に戻す」
    pii_field: str | None = None
    pii_message: str | None = None
    pii_month: int | None = None
    typed: dict[str, str] = field(default_factory=dict)

    @property
    def acted_on(self) -> set[str]:
        """The listings an action was just taken on (always shown, however far down they rank)."""
        return {r for r in (self.gap_for, self.flash_for, self.reject_for) if r is not None}


@dataclass(frozen=True)
class WeeklySummary:
    """This person's part of the latest published weekly batch, and what changed since the week before."""

    week: str
    previous: str | None
    proposals: list[dict[str, Any]]
    changes: list[batch.Change]
    unassigned: str | None


@dataclass(frozen=True)
class Workspace:
    """Everything the profile page's workspace shows."""

    profile: NeedsProfile
    tier1: list[Proposal]
    tier2: list[Proposal]
    hidden: dict[int, int]  # proposals of each tier not shown (behind 「残り N 件」)
    excluded: list[Exclusion]  # this person's own exclusions (turned down, placed)
    excluded_count: int  # every listing not proposed, whatever the reason
    placements: list[Placement]
    followups: dict[tuple[int, int], FollowUp]  # by (placement, month)
    months: tuple[int, ...]
    today: date
    fresh_days: int
    weekly: WeeklySummary | None
    live: dict[str, tuple[int, Proposal]]  # the live rank of each proposed listing
    names: dict[str, str]  # listing names for the weekly changes
    nearly: NearlySection
    feedback: Feedback

    def context(self) -> dict[str, Any]:
        """The names the template reads."""
        own = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "feedback"}
        return own | {f.name: getattr(self.feedback, f.name) for f in fields(self.feedback)}


def weekly_summary(conn: psycopg.Connection, profile_id: str) -> WeeklySummary | None:
    """The person's proposals in the newest published week (None before the first batch)."""
    week = batch.latest_week(conn)
    if week is None:
        return None
    previous, changed = batch.changes(conn, week, profile_id)
    return WeeklySummary(
        week=week,
        previous=previous,
        proposals=batch.proposals_of(conn, week=week, profile_id=profile_id),
        changes=changed,
        unassigned=batch.unassigned_reason(conn, week=week, profile_id=profile_id),
    )


def build_workspace(
    conn: psycopg.Connection,
    settings: Settings,
    profile: NeedsProfile,
    *,
    every_proposal: bool = False,
    feedback: Feedback | None = None,
) -> Workspace:
    """Proposals, this profile's own exclusions (turned down, placed), placements and follow-ups.

    Each tier shows its best PAGE_PROPOSALS proposals (all of them with every_proposal), and always
    the one an action was just taken on. The other exclusions (every listing that fails a hard
    constraint, with every reason: thousands in a large registry) are only counted here; the page's
    disclosure lists them when asked."""
    feedback = feedback or Feedback()
    result = propose(conn, settings, profile_id=profile.id, top=0, every_exclusion=False, profile=profile)
    tiers = {tier: [p for p in result.proposals if p.tier == tier] for tier in (1, 2)}
    shown = {
        tier: [
            p
            for n, p in enumerate(group)
            if every_proposal or n < PAGE_PROPOSALS or p.candidate.id in feedback.acted_on
        ]
        for tier, group in tiers.items()
    }
    describe(conn, shown[1] + shown[2], profile, settings.embedding_model)
    weekly = weekly_summary(conn, profile.id)
    names = {c.candidate.id: c.candidate.name for c in result.excluded} | {
        p.candidate.id: p.candidate.name for p in result.proposals
    }
    unnamed = sorted({c.resource_id for c in weekly.changes} - names.keys()) if weekly else []
    if unnamed:
        names |= {row["id"]: row["name"] for row in resource_summaries(conn, only=unnamed)}
    return Workspace(
        profile=profile,
        tier1=shown[1],
        tier2=shown[2],
        hidden={tier: len(tiers[tier]) - len(shown[tier]) for tier in (1, 2)},
        excluded=result.excluded,
        excluded_count=count_resources(conn) - len(result.proposals),
        placements=placements_of(conn, profile_id=profile.id),
        followups={(f.placement_id, f.month): f for f in followups_of(conn, profile_id=profile.id)},
        months=FOLLOWUP_MONTHS,
        today=date.today(),
        fresh_days=settings.fresh_days,
        weekly=weekly,
        live={p.candidate.id: (n, p) for n, p in enumerate(result.proposals, start=1)},
        names=names,
        nearly=nearly_section(conn, settings, profile, result.proposals),
        feedback=feedback,
    )
