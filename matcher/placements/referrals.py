"""What a host sees of a referral and how it answers: only what domain.md §7 allows, every showing
audited, and nothing of the person once consent is withdrawn.

The loop: a referral waits for the host's answer until its due date. Acceptance lets the coordinator
go on to 見学・体験; a decline ends the placement at once as 受け入れ先の辞退, gives the place back, and
keeps the listing out of the person's proposals until the coordinator puts it back. Either answer is
mailed to the coordinator who confirmed the placement."""

from dataclasses import dataclass
from datetime import date, datetime

import psycopg
from psycopg.rows import dict_row

from matcher.accounts import audit
from matcher.config import Settings
from matcher.core.schedule import Slot
from matcher.errors import Conflict, Invalid, NotFound
from matcher.matching.rejections import reject
from matcher.notifications import messages, outbox
from matcher.placements.model import answer_overdue
from matcher.placements.service import free_place, get_placement
from matcher.profiles.pii import refuse_pii
from matcher.sql import queries

SQL = queries("referrals")
PLACEMENTS = queries("placements")
WITHDRAWN = "同意が撤回されました"


@dataclass(frozen=True)
class Referral:
    """A referral as its host may see it: age band, availability, accommodations, stage, the note,
    and who to contact; when consent is withdrawn, only that it was (every personal field empty)."""

    placement_id: int
    resource_id: str
    resource_name: str
    status: str
    referred_at: datetime | None
    answer_due: date | None
    trial_planned_on: date | None
    coordinator: str | None
    coordinator_email: str | None
    withdrawn: bool
    age_band: str | None
    availability: list[Slot]
    needs_accommodations: list[str]
    stage: int | None
    host_note: str
    host_response: str | None
    host_response_reason: str | None
    host_responded_at: datetime | None

    def overdue(self, today: date) -> bool:
        """Waiting for this host's answer past its due date."""
        return answer_overdue(self.status, self.host_response, self.answer_due, today)


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
            audit.log(
                conn,
                audit.placement(referral.placement_id),
                "shown_to_host",
                actor=actor,
                after={"resource_id": referral.resource_id, "withdrawn": referral.withdrawn},
            )
    return referrals


def respond(
    conn: psycopg.Connection,
    *,
    placement_id: int,
    resource_ids: frozenset[str],
    accept: bool,
    reason: str,
    actor: str,
    settings: Settings | None = None,
) -> None:
    """A host accepts or declines a referral to one of its own listings (declining needs a reason).

    Another host's referral is NotFound, as a missing one is. Only a referral still waiting (referred)
    can be answered, and not once consent is withdrawn."""
    reason = reason.strip()
    if not accept and not reason:
        raise Invalid("辞退の理由を入れてください", field="reason")
    refuse_pii(reason=reason)
    with conn.transaction():
        row = conn.execute(SQL.referral_of, {"id": placement_id}).fetchone()
        if row is None or row[0] not in resource_ids or row[1] not in ("referred", "trial", "active"):
            raise NotFound("この紹介はありません")
        resource_id, status, _answered, consented = row
        if not consented:
            raise Conflict(f"{WITHDRAWN}。この紹介には返答できません")
        if status != "referred":
            raise Conflict("この紹介はすでに見学・体験または利用に進んでいるため、返答を変えられません")
        response = "accepted" if accept else "declined"
        values = {"id": placement_id, "response": response, "reason": reason or None, "actor": actor}
        conn.execute(PLACEMENTS.host_respond, values)
        audit.log(
            conn,
            audit.placement(placement_id),
            f"host_{response}",
            actor=actor,
            after={"host_response": response, "reason": reason},
        )
        placement = get_placement(conn, placement_id=placement_id)
        if not accept:
            _end_declined(conn, placement_id, resource_id, reason, actor)
        if settings is not None and placement.confirmed_by:
            mail = messages.host_answered(
                settings, placement_id, placement.profile_id, placement.resource_name, accept
            )
            outbox.enqueue(conn, settings, [placement.confirmed_by], mail)


def _end_declined(
    conn: psycopg.Connection, placement_id: int, resource_id: str, reason: str, actor: str
) -> None:
    """The decline ends the placement, gives the place back, and keeps the listing out of the person's
    proposals (a rejection the coordinator can undo: 「提案に戻す」)."""
    before = get_placement(conn, placement_id=placement_id)
    conn.execute(PLACEMENTS.lock_capacity, {"resource_id": resource_id})
    conn.execute(SQL.decline, {"id": placement_id, "reason": reason})
    if before.reserved:
        free_place(conn, before, actor)
    audit.log(
        conn,
        audit.placement(placement_id),
        "end",
        actor=actor,
        before={"status": before.status},
        after={"status": "ended", "end_reason": "host_declined", "end_note": reason},
    )
    reject(
        conn,
        profile_id=before.profile_id,
        resource_id=resource_id,
        reason=f"受け入れ先の辞退: {reason}",
        by=actor,
    )


def withdraw_from_hosts(
    conn: psycopg.Connection, settings: Settings | None, *, profile_id: str, actor: str
) -> int:
    """After consent was withdrawn: the hosts of the person's live referrals see only 「同意が撤回され
    ました」 from now on (the host view reads consent on every showing) and are told by mail. Audited per
    referral; returns how many referrals it touched."""
    with conn.cursor(row_factory=dict_row) as cur:
        live = cur.execute(SQL.live_referrals_of_profile, {"profile_id": profile_id}).fetchall()
    for row in live:
        audit.log(
            conn,
            audit.placement(row["id"]),
            "consent_withdrawn",
            actor=actor,
            after={"resource_id": row["resource_id"]},
        )
        if settings is not None:
            mail = messages.consent_withdrawn(settings, row["id"], row["resource_name"])
            outbox.enqueue(conn, settings, outbox.hosts_of(conn, row["resource_id"]), mail)
    return len(live)


def live_referrals(conn: psycopg.Connection, profile_id: str) -> list[str]:
    """The listings a host has been told this person is referred to (for the coordinator's warning)."""
    return [row[2] for row in conn.execute(SQL.live_referrals_of_profile, {"profile_id": profile_id})]
