"""What a host sees of a referral: only what domain.md §7 allows, and every showing audited."""

from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg.rows import dict_row

from matcher.accounts import audit
from matcher.core.schedule import Slot
from matcher.profiles.pii import pii_error
from matcher.sql import queries

SQL = queries("referrals")
PLACEMENTS = queries("placements")


@dataclass(frozen=True)
class Referral:
    """A referral as its host may see it: age band, availability, accommodations, stage, the note."""

    placement_id: int
    resource_id: str
    resource_name: str
    status: str
    referred_at: datetime | None
    age_band: str
    availability: list[Slot]
    needs_accommodations: list[str]
    stage: int
    host_note: str
    host_response: str | None
    host_response_reason: str | None
    host_responded_at: datetime | None


def referrals_for_host(conn: psycopg.Connection, *, resource_ids: list[str], actor: str) -> list[Referral]:
    """Referrals to these listings (never the narrative, facts or anything else), audited as shown."""
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(SQL.for_host, {"resource_ids": resource_ids}).fetchall()
        referrals = [
            Referral(
                **(
                    row
                    | {"availability": [Slot(s["day"], s["start"], s["end"]) for s in row["availability"]]}
                )
            )
            for row in rows
        ]
        for referral in referrals:
            audit.record(
                conn,
                actor=actor,
                action="shown_to_host",
                entity="placement",
                entity_id=str(referral.placement_id),
                after={"resource_id": referral.resource_id},
            )
    return referrals


class ReferralError(Exception):
    """A host answer that cannot be taken; `status` is 404 (no such referral), 403 (not its listing)
    or 422 (declining without a reason)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def respond(
    conn: psycopg.Connection,
    *,
    placement_id: int,
    resource_ids: frozenset[str],
    accept: bool,
    reason: str,
    actor: str,
) -> None:
    """A host accepts or declines a referral to one of its own listings (declining needs a reason)."""
    with conn.transaction():
        row = conn.execute(SQL.referral_of, {"id": placement_id}).fetchone()
        if row is None or row[1] not in ("referred", "trial", "active"):
            raise ReferralError("この紹介はありません", 404)
        if row[0] not in resource_ids:
            raise ReferralError("この紹介に返答する権限がありません", 403)
        reason = reason.strip()
        if not accept and not reason:
            raise ReferralError("辞退の理由を入れてください", 422)
        if message := pii_error(reason):
            raise ReferralError(message, 422)
        response = "accepted" if accept else "declined"
        conn.execute(
            PLACEMENTS.host_respond,
            {"id": placement_id, "response": response, "reason": reason or None, "actor": actor},
        )
        audit.record(
            conn,
            actor=actor,
            action=f"host_{response}",
            entity="placement",
            entity_id=str(placement_id),
            after={"host_response": response, "reason": reason},
        )
