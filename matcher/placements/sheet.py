"""The referral sheet (紹介票): what the host may see of the person (domain.md §7: age band,
availability, accommodations needed, stage, the coordinator's note), the listing, and whom to contact.
Printed or saved as PDF by the coordinator to hand over or post; only while consent stands."""

from dataclasses import dataclass
from datetime import date

import psycopg

from matcher.accounts import audit
from matcher.core.vocabulary import Consent
from matcher.errors import NotAllowed
from matcher.placements.model import LIVE, Placement
from matcher.placements.service import get_placement
from matcher.profiles.model import NeedsProfile
from matcher.profiles.store import get_profile
from matcher.registry.model import Resource
from matcher.registry.store import get_resource
from matcher.sql import queries

SQL = queries("referrals")


@dataclass(frozen=True)
class ReferralSheet:
    """Everything the sheet prints, and nothing else about the person."""

    placement: Placement
    listing: Resource
    age_band: str
    availability: list[tuple[str, str, str]]
    needs_accommodations: list[str]
    stage: int
    coordinator: str | None
    coordinator_email: str | None
    printed_on: date


def referral_sheet(conn: psycopg.Connection, *, placement_id: int, actor: str) -> ReferralSheet:
    """The sheet of a live referral (audited as printed). NotAllowed without the person's consent."""
    placement = get_placement(conn, placement_id=placement_id)
    profile = get_profile(conn, profile_id=placement.profile_id)
    listing = get_resource(conn, resource_id=placement.resource_id)
    assert isinstance(profile, NeedsProfile) and listing is not None
    if profile.consent != Consent.full:
        raise NotAllowed("本人同意（受け入れ先への情報提供）がないため、紹介票は作れません")
    if placement.status not in LIVE:
        raise NotAllowed("終了・取り消しのつなぎ先の紹介票は作れません")
    row = conn.execute(SQL.coordinator_contact, {"name": placement.confirmed_by}).fetchone()
    audit.log(
        conn,
        audit.placement(placement_id),
        "sheet_printed",
        actor=actor,
        after={"resource_id": placement.resource_id},
    )
    return ReferralSheet(
        placement=placement,
        listing=listing,
        age_band=profile.age_band,
        availability=[(s.day, s.start, s.end) for s in profile.availability],
        needs_accommodations=[str(a) for a in profile.needs_accommodations],
        stage=int(profile.stage),
        coordinator=placement.confirmed_by,
        coordinator_email=row[0] if row else None,
        printed_on=date.today(),
    )
