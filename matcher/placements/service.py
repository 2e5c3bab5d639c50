"""Confirming proposals and moving placements through their lifecycle, every step audited.

Confirming reserves a place in the same transaction that checks it: the listing's row is locked
(SELECT … FOR UPDATE), so when several coordinators take the last place at once exactly one succeeds.
"""

from datetime import date, datetime, time
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from matcher import errors
from matcher.accounts import audit
from matcher.config import Settings
from matcher.core import rows
from matcher.core.vocabulary import LABELS, Consent
from matcher.errors import Conflict
from matcher.matching.model import Proposal
from matcher.matching.propose import open_tier1, proposal_for
from matcher.matching.reasons import exclusion_reasons
from matcher.notifications import messages, outbox
from matcher.placements.model import (
    ACTION_LABELS,
    CHOSEN_END_REASONS,
    FINISHED,
    FOLLOWUP_EARLY_DAYS,
    FOLLOWUP_MONTHS,
    TRANSITIONS,
    FollowUp,
    Placement,
)
from matcher.profiles.pii import refuse_pii
from matcher.profiles.store import get_profile
from matcher.sql import queries

SQL = queries("placements")
DEFAULT_ANSWER_DAYS = 7  # Settings.referral_answer_days, for callers without settings (scripts, notebooks)


class PlacementError(Conflict):
    """A step that cannot be taken now (HTTP 409); the message says why in Japanese."""


class NotFound(errors.NotFound, LookupError):
    """No such placement or listing."""


class GapReasonRequired(PlacementError):
    """A 参加支援 listing was chosen while 既存事業 proposals are still open, with no 狭間の理由."""

    def __init__(self, open_programmes: list[str]) -> None:
        names = "、".join(open_programmes)
        super().__init__(
            f"既存事業の提案（{names}）がまだ残っています。参加支援の受け入れ先を選ぶ場合は、"
            "既存事業では合わない理由（狭間の理由）を記録してください"
        )
        self.open_programmes = open_programmes


def _proposal(conn: psycopg.Connection, settings: Settings, profile_id: str, resource_id: str) -> Proposal:
    """The listing as a current proposal for the profile, or PlacementError naming why it is not."""
    profile, row, proposal = proposal_for(conn, settings, profile_id=profile_id, resource_id=resource_id)
    if row is None:
        raise NotFound(f"社会資源「{resource_id}」はありません")
    if proposal is None:
        why = "、".join(r.text for r in exclusion_reasons(row, profile, settings.min_overlap_minutes))
        raise PlacementError(f"この社会資源は今は提案の対象外です: {why}")
    return proposal


def confirm(
    conn: psycopg.Connection,
    settings: Settings,
    *,
    profile_id: str,
    resource_id: str,
    actor: str,
    gap_reason: str | None = None,
) -> Placement:
    """Confirms a proposal: checks it, reserves a place (if the capacity is known) and records it.

    A 狭間の理由 holding a name, phone number or other identifier raises PiiInField."""
    gap_reason = (gap_reason or "").strip() or None
    refuse_pii(gap_reason=gap_reason)
    with conn.transaction():
        proposal = _proposal(conn, settings, profile_id, resource_id)
        if proposal.tier == 2 and not gap_reason:
            still_open = open_tier1(conn, settings, profile_id)
            if still_open:
                raise GapReasonRequired(still_open)
        reserved = _reserve(conn, resource_id, actor)
        try:
            with conn.transaction():
                row = conn.execute(
                    SQL.insert,
                    {
                        "profile_id": profile_id,
                        "resource_id": resource_id,
                        "tier": proposal.tier,
                        "score": round(proposal.score, 4),
                        "gap_reason": gap_reason if proposal.tier == 2 else None,
                        "host_note": "",
                        "reserved": reserved,
                        "confirmed_by": actor,
                        "features": Jsonb(proposal.parts),
                    },
                ).fetchone()
        except psycopg.errors.UniqueViolation:
            raise PlacementError("この方とこの社会資源のつなぎ先はすでに確定しています") from None
        assert row is not None
        placement = get_placement(conn, placement_id=int(row[0]))
        audit.log(conn, audit.placement(placement.id), "confirm", actor=actor, after=_public(placement))
    return placement


def _reserve(conn: psycopg.Connection, resource_id: str, actor: str) -> bool:
    """Takes one open place under a row lock; False when the capacity is unknown."""
    missing = errors.NotFound(f"社会資源「{resource_id}」はありません")
    open_places = rows.one(conn, SQL.lock_capacity, {"resource_id": resource_id}, missing=missing)[0]
    if open_places is None:
        return False
    if open_places <= 0:
        raise PlacementError(
            "この受け入れ先には空きがありません（受け入れ可能数 0）。他の方の確定が先に行われました"
        )
    conn.execute(SQL.take_place, {"resource_id": resource_id})
    _log_places(conn, resource_id, "reserve", actor, open_places, open_places - 1)
    return True


def free_place(conn: psycopg.Connection, placement: Placement, actor: str) -> None:
    """Gives the placement's place back to its listing."""
    row = conn.execute(SQL.free_place, {"resource_id": placement.resource_id}).fetchone()
    if row is not None:
        _log_places(conn, placement.resource_id, "release", actor, row[0] - 1, row[0])


def _log_places(
    conn: psycopg.Connection, resource_id: str, action: str, actor: str, was: int, now: int
) -> None:
    """Audits a place taken (reserve) or given back (release): the listing's open places before and after."""
    before, after = {"capacity_open": was}, {"capacity_open": now}
    audit.log(conn, audit.resource(resource_id), action, actor=actor, before=before, after=after)


def _public(placement: Placement) -> dict[str, Any]:
    return {k: v for k, v in placement.__dict__.items() if k != "resource_name"}


def get_placement(conn: psycopg.Connection, *, placement_id: int) -> Placement:
    """One placement, or NotFound."""
    placement = rows.first(conn, Placement, SQL.get, {"id": placement_id})
    if placement is None:
        raise NotFound(f"つなぎ先 {placement_id} はありません")
    return placement


def placements_of(conn: psycopg.Connection, *, profile_id: str) -> list[Placement]:
    """A profile's placements, newest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        return [Placement(**row) for row in cur.execute(SQL.for_profile, {"profile_id": profile_id})]


def advance(
    conn: psycopg.Connection,
    *,
    placement_id: int,
    action: str,
    actor: str,
    end_reason: str | None = None,
    end_note: str | None = None,
    host_note: str | None = None,
    override_reason: str | None = None,
    settings: Settings | None = None,
    on: date | None = None,
    dated_reason: str | None = None,
    wellbeing: int | None = None,
) -> Placement:
    """Takes one lifecycle step (refer, trial, activate, end, cancel); refusing steps out of order.

    見学・体験 or 利用開始 straight from a referral needs the host's acceptance, or a recorded reason to
    go ahead without it (override_reason, e.g. arranged by phone). A referral is due an answer within
    settings.referral_answer_days and mails the listing's hosts (when mail is on). A note for the host,
    an end note or an override reason holding an identifier raises PiiInField."""
    override_reason = (override_reason or "").strip() or None
    dated_reason = (dated_reason or "").strip() or None
    refuse_pii(
        host_note=host_note, end_note=end_note, override_reason=override_reason, dated_reason=dated_reason
    )
    _check_wellbeing(wellbeing)
    if action not in TRANSITIONS:
        raise PlacementError(f"「{action}」という操作はありません")
    allowed, target = TRANSITIONS[action]
    with conn.transaction():
        if target in FINISHED:
            # the listing first, then the placement: the order confirm takes them in, so they never deadlock
            listing = conn.execute(SQL.resource_of, {"id": placement_id}).fetchone()
            if listing is not None:
                conn.execute(SQL.lock_capacity, {"resource_id": listing[0]})
        if conn.execute(SQL.get_for_update, {"id": placement_id}).fetchone() is None:
            raise NotFound(f"つなぎ先 {placement_id} はありません")
        before = get_placement(conn, placement_id=placement_id)
        if before.status not in allowed:
            raise PlacementError(
                f"「{before.status_label}」のつなぎ先は「{ACTION_LABELS.get(action, action)}」に進めません"
            )
        if action == "refer":
            _check_consent(conn, before.profile_id)
        if before.needs_override(action) and not override_reason:
            raise PlacementError(
                "受け入れ先からまだ「受け入れます」の返答がありません。電話などで調整済みなら、"
                "その理由を記録して進めてください",
                field="override_reason",
            )
        at = _step_moment(before, on, dated_reason)
        if action == "end" and end_reason not in CHOSEN_END_REASONS:
            choices = "、".join(CHOSEN_END_REASONS.values())
            raise PlacementError(f"終了の理由を選んでください（{choices}）", field="end_reason")
        conn.execute(
            SQL.set_status,
            {
                "id": placement_id,
                "status": target,
                "end_reason": end_reason if target == "ended" else None,
                "end_note": (end_note or "").strip() or None,
                "host_note": host_note.strip() if host_note is not None else None,
                "override_reason": override_reason if before.needs_override(action) else None,
                "answer_days": settings.referral_answer_days if settings else DEFAULT_ANSWER_DAYS,
                "at": at,
                "dated_reason": dated_reason if at else None,
                "wellbeing": wellbeing if target == "active" else None,
            },
        )
        if before.reserved and target in FINISHED:
            free_place(conn, before, actor)
        _update_profile_status(conn, before.profile_id, target, actor)
        after = get_placement(conn, placement_id=placement_id)
        if action == "refer" and settings is not None:
            mail = messages.new_referral(settings, after.id, after.resource_name, after.answer_due)
            outbox.enqueue(conn, settings, outbox.hosts_of(conn, after.resource_id), mail)
        audit.log(
            conn,
            audit.placement(placement_id),
            action,
            actor=actor,
            before=_public(before),
            after=_public(after),
        )
    return after


def _step_moment(before: Placement, on: date | None, reason: str | None) -> datetime | None:
    """When a step happened: None for now, or noon of an earlier day, which needs a reason and may be
    neither in the future nor before the placement's previous step."""
    today = date.today()
    if on is None or on == today:
        return None
    if on > today:
        raise PlacementError(
            "未来の日付では記録できません（予定は「見学の予定日」に記録してください）", field="on"
        )
    if not reason:
        raise PlacementError("前の日付で記録するときは、その理由を入れてください", field="dated_reason")
    previous = before.last_step_at.astimezone().date() if before.last_step_at else None
    if previous is not None and on < previous:
        raise PlacementError(f"前の段階（{previous.isoformat()}）より前の日付にはできません", field="on")
    return datetime.combine(on, time(12, 0)).astimezone()


def _check_wellbeing(wellbeing: int | None) -> None:
    if wellbeing is not None and not 1 <= wellbeing <= 5:
        raise PlacementError("つながりの実感は 1〜5 で記録してください", field="wellbeing")


def plan_trial(conn: psycopg.Connection, *, placement_id: int, on: date | None, actor: str) -> Placement:
    """Records (or clears, with None) the day the 見学・体験 is planned for: today or later, while the
    placement is confirmed or referred. The host sees it on the referral."""
    if on is not None and on < date.today():
        raise PlacementError("見学の予定日は今日以降の日付にしてください", field="on")
    with conn.transaction():
        before = get_placement(conn, placement_id=placement_id)
        if before.status not in ("confirmed", "referred"):
            raise PlacementError(f"「{before.status_label}」のつなぎ先には見学の予定を入れられません")
        conn.execute(SQL.plan_trial, {"id": placement_id, "on": on})
        audit.log(
            conn,
            audit.placement(placement_id),
            "plan_trial",
            actor=actor,
            before={"trial_planned_on": before.trial_planned_on},
            after={"trial_planned_on": on},
        )
    return get_placement(conn, placement_id=placement_id)


def _check_consent(conn: psycopg.Connection, profile_id: str) -> None:
    profile = get_profile(conn, profile_id=profile_id)
    assert profile is not None
    if profile.consent != Consent.full:
        current = LABELS[Consent][profile.consent]
        raise PlacementError(
            f"本人同意がないため受け入れ先へ紹介できません（現在: {current}）。"
            "本人同意を記録してから紹介してください"
        )


def _update_profile_status(conn: psycopg.Connection, profile_id: str, target: str, actor: str) -> None:
    """利用中 makes the profile 'placed'; when nothing is in use any more it is 'open' again."""
    profile = get_profile(conn, profile_id=profile_id)
    assert profile is not None
    active = conn.execute(SQL.live_count, {"profile_id": profile_id}).fetchone()
    status = "placed" if active and active[0] else "open"
    if profile.status != "closed" and profile.status != status:
        conn.execute(SQL.set_profile_status, {"id": profile_id, "status": status})
        audit.log(
            conn,
            audit.profile(profile_id),
            "status",
            actor=actor,
            before={"status": str(profile.status)},
            after={"status": status},
        )


def record_followup(
    conn: psycopg.Connection,
    *,
    placement_id: int,
    month: int,
    still_participating: bool,
    frequency: str,
    rating: int | None,
    note: str,
    actor: str,
    wellbeing: int | None = None,
) -> FollowUp:
    """Records the 1/3/6-month follow-up of a placement that has started (no identifiers in its text)."""
    refuse_pii(frequency=frequency, note=note)
    if month not in FOLLOWUP_MONTHS:
        raise PlacementError("フォローアップは 1・3・6 か月目です")
    if rating is not None and not 1 <= rating <= 5:
        raise PlacementError("本人の評価は 1〜5 で記録してください")
    _check_wellbeing(wellbeing)
    with conn.transaction():
        placement = get_placement(conn, placement_id=placement_id)
        if placement.started_at is None:
            raise PlacementError("利用が始まったつなぎ先だけにフォローアップを記録できます")
        due = placement.followup_due(month)
        if due is not None and not placement.followup_open(month, date.today()):
            raise PlacementError(
                f"{month}か月目のフォローアップは {due.isoformat()} が期日です"
                f"（{FOLLOWUP_EARLY_DAYS}日前から記録できます）",
                field="month",
            )
        values = {
            "placement_id": placement_id,
            "month": month,
            "still_participating": still_participating,
            "frequency": frequency.strip()[:200],
            "rating": rating,
            "note": note.strip()[:2000],
            "recorded_by": actor,
            "wellbeing": wellbeing,
        }
        if conn.execute(SQL.insert_followup, values).fetchone() is None:
            raise PlacementError(f"{month}か月目のフォローアップはすでに記録されています")
        audit.log(conn, audit.placement(placement_id), "followup", actor=actor, after=values)
    return followups_of(conn, profile_id=placement.profile_id, placement_id=placement_id)[-1]


def followups_of(
    conn: psycopg.Connection, *, profile_id: str, placement_id: int | None = None
) -> list[FollowUp]:
    """The follow-ups of a profile's placements (or of one)."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(SQL.followups, {"profile_id": profile_id}).fetchall()
    return [FollowUp(**row) for row in rows if placement_id is None or row["placement_id"] == placement_id]
