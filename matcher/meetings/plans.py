"""プラン: a person's support plan in the shape of the national プランシート (domain.md §9).

A plan is agreed at a 重層的支援会議 that had the person on its agenda, so it needs the person's full
consent; it names its goals and the 参加支援 to be given (free text and the person's placements), and a
review date that puts it on the dashboard when due. Later it gets an evaluation (評価, with the next
review date) and is closed (終結) with a reason. Its texts pass the PII guard like every other text.
Plans are for coordinators only.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import LiteralString

import psycopg
from psycopg.rows import class_row

from matcher.accounts import audit
from matcher.accounts.users import User
from matcher.core import rows
from matcher.core.vocabulary import Consent, Role
from matcher.errors import Conflict, Invalid, NotAllowed, NotFound
from matcher.profiles.pii import guarded_text
from matcher.sql import queries

SQL = queries("plans")
MAX_TEXT = 4000
MAX_REASON = 1000
DUE_WITHIN_DAYS = 7  # the dashboard lists plans whose review falls within this many days (or is past)


@dataclass(frozen=True)
class Plan:
    """One プラン."""

    id: int
    profile_id: str
    meeting_id: int | None
    meeting_title: str | None
    meeting_held_on: date | None
    goals: str
    support: str
    review_on: date
    evaluation: str
    evaluated_on: date | None
    closed_on: date | None
    close_reason: str | None
    created_by: str
    created_at: datetime

    @property
    def open(self) -> bool:
        """Not yet closed (終結)."""
        return self.closed_on is None


@dataclass(frozen=True)
class PlanPlacement:
    """A placement a plan gives (or could give)."""

    id: int
    resource_id: str
    resource_name: str
    status: str


@dataclass(frozen=True)
class AgreeingMeeting:
    """A 重層的支援会議 that had the person on its agenda."""

    id: int
    title: str
    held_on: date


@dataclass(frozen=True)
class DuePlan:
    """A plan whose review is due, for the dashboard."""

    id: int
    profile_id: str
    review_on: date
    goals: str


def _coordinator(user: User) -> None:
    if user.role != Role.coordinator:
        raise NotAllowed("プランはコーディネーターだけが読み書きできます")


def get_plan(conn: psycopg.Connection, plan_id: int, *, reader: User) -> Plan:
    """One plan, or NotFound."""
    _coordinator(reader)
    missing = f"プラン {plan_id} はありません"
    return rows.existing(conn, Plan, SQL.get, {"id": plan_id}, missing=missing)


def plans_of(conn: psycopg.Connection, profile_id: str, *, reader: User) -> list[Plan]:
    """A person's plans, newest first."""
    _coordinator(reader)
    with conn.cursor(row_factory=class_row(Plan)) as cur:
        return cur.execute(SQL.of_profile, {"profile_id": profile_id}).fetchall()


def placements_of(conn: psycopg.Connection, plan_id: int) -> list[PlanPlacement]:
    """The placements a plan gives."""
    with conn.cursor(row_factory=class_row(PlanPlacement)) as cur:
        return cur.execute(SQL.placements, {"plan_id": plan_id}).fetchall()


def placement_choices(conn: psycopg.Connection, profile_id: str) -> list[PlanPlacement]:
    """The person's placements a plan may name (not cancelled)."""
    with conn.cursor(row_factory=class_row(PlanPlacement)) as cur:
        return cur.execute(SQL.placement_choices, {"profile_id": profile_id}).fetchall()


def agreeing_meetings(conn: psycopg.Connection, profile_id: str) -> list[AgreeingMeeting]:
    """The 重層的支援会議 that may agree this person's plan."""
    with conn.cursor(row_factory=class_row(AgreeingMeeting)) as cur:
        return cur.execute(SQL.agreeing_meetings, {"profile_id": profile_id}).fetchall()


def create_plan(
    conn: psycopg.Connection,
    *,
    profile_id: str,
    meeting_id: int | None,
    goals: str,
    support: str,
    review_on: date,
    placement_ids: list[int],
    by: User,
    today: date,
) -> Plan:
    """Records a plan agreed at a 重層的支援会議 (Conflict when the person's consent is not full)."""
    _coordinator(by)
    goals_text = guarded_text(goals, "goals", limit=MAX_TEXT, required="目標を書いてください")
    support_text = guarded_text(support, "support", limit=MAX_TEXT)
    if review_on < today:
        raise Invalid("見直し日は今日以降にしてください", field="review_on")
    with conn.transaction():
        missing = NotFound(f"ニーズプロファイル「{profile_id}」はありません")
        consent = rows.one(conn, SQL.consent_for_update, {"profile_id": profile_id}, missing=missing)
        if consent[0] != Consent.full:
            raise Conflict(
                "プランは本人の同意（すべての機関で共有してよい）のもとで重層的支援会議で決めます。"
                "同意を確認してから作ってください",
                field="meeting_id",
            )
        if meeting_id is None or meeting_id not in {m.id for m in agreeing_meetings(conn, profile_id)}:
            raise Invalid(
                "プランを決めた重層的支援会議を選んでください（この方を議題にした会議から選べます）",
                field="meeting_id",
            )
        choices = {p.id for p in placement_choices(conn, profile_id)}
        if not set(placement_ids) <= choices:
            raise Invalid("この方のつなぎ先から選んでください", field="placement_ids")
        params = {
            "profile_id": profile_id,
            "meeting_id": meeting_id,
            "goals": goals_text,
            "support": support_text,
            "review_on": review_on,
            "created_by": by.name,
        }
        row = conn.execute(SQL.create, params).fetchone()
        assert row is not None
        plan_id = int(row[0])
        for placement_id in sorted(set(placement_ids)):
            conn.execute(SQL.link_placement, {"plan_id": plan_id, "placement_id": placement_id})
        audit.log(
            conn,
            audit.profile(profile_id),
            "plan_created",
            actor=by.name,
            after={"plan_id": plan_id, "meeting_id": meeting_id, "review_on": review_on},
        )
    return get_plan(conn, plan_id, reader=by)


def evaluate_plan(
    conn: psycopg.Connection,
    *,
    plan_id: int,
    evaluation: str,
    evaluated_on: date,
    next_review_on: date,
    by: User,
    today: date,
) -> Plan:
    """Records the plan's 評価 and its next review date."""
    plan = get_plan(conn, plan_id, reader=by)
    text = guarded_text(evaluation, "evaluation", limit=MAX_TEXT, required="評価を書いてください")
    if evaluated_on > today:
        raise Invalid("評価の日付に未来の日は選べません", field="evaluated_on")
    if next_review_on <= evaluated_on:
        raise Invalid("次の見直し日は評価の日より後にしてください", field="next_review_on")
    params = {"id": plan_id, "evaluation": text, "evaluated_on": evaluated_on, "review_on": next_review_on}
    refused = "終結したプランは評価できません"
    after = {"evaluated_on": evaluated_on, "review_on": next_review_on}
    return _change_open(
        conn, plan, SQL.evaluate, params, refused=refused, action="plan_evaluated", after=after, by=by
    )


def close_plan(
    conn: psycopg.Connection, *, plan_id: int, closed_on: date, reason: str, by: User, today: date
) -> Plan:
    """Closes (終結) a plan with a reason."""
    plan = get_plan(conn, plan_id, reader=by)
    text = guarded_text(reason, "close_reason", limit=MAX_REASON, required="終結の理由を書いてください")
    if closed_on > today:
        raise Invalid("終結の日付に未来の日は選べません", field="closed_on")
    if closed_on < plan.created_at.date():
        raise Invalid("終結の日付はプランを作った日より後にしてください", field="closed_on")
    params = {"id": plan_id, "closed_on": closed_on, "close_reason": text}
    refused = "このプランはすでに終結しています"
    after = {"closed_on": closed_on}
    return _change_open(
        conn, plan, SQL.close, params, refused=refused, action="plan_closed", after=after, by=by
    )


def _change_open(
    conn: psycopg.Connection,
    plan: Plan,
    query: LiteralString,
    params: Mapping[str, object],
    *,
    refused: str,
    action: str,
    after: Mapping[str, object],
    by: User,
) -> Plan:
    """Applies an update to a plan still open (Conflict saying `refused` when it is closed), audited."""
    with conn.transaction():
        if conn.execute(query, params).fetchone() is None:
            raise Conflict(refused)
        audit.log(
            conn, audit.profile(plan.profile_id), action, actor=by.name, after={"plan_id": plan.id, **after}
        )
    return get_plan(conn, plan.id, reader=by)


def due_plans(conn: psycopg.Connection, *, today: date, limit: int = 50) -> list[DuePlan]:
    """Open plans to review within DUE_WITHIN_DAYS (or overdue), soonest first."""
    until = today + timedelta(days=DUE_WITHIN_DAYS)
    with conn.cursor(row_factory=class_row(DuePlan)) as cur:
        return cur.execute(SQL.due, {"until": until, "limit": limit}).fetchall()
