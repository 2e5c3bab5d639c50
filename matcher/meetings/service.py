"""支援会議 and 重層的支援会議 (domain.md §9): who may be put on which meeting's agenda, and who may see it.

The kind of meeting decides what may be shared. A 支援会議 (社会福祉法第106条の6) discusses anyone the
municipality is worried about, with or without consent, because every member is bound by 守秘義務; a
重層的支援会議 discusses only people whose consent is `full`, and consent is read again at every showing,
so a case whose consent was withdrawn afterwards is no longer shown there.

A member (role `member`) sees a case only when all three hold: they belong to the meeting, they have
acknowledged its confidentiality, and the meeting is open (from its date until
`meeting_access_days` after it). Every showing of a case is audited, for every reader.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import LiteralString

import psycopg
from psycopg.rows import class_row, dict_row

from matcher.accounts import audit
from matcher.accounts.users import User
from matcher.config import Settings
from matcher.core import rows
from matcher.core.fields import clean_text
from matcher.core.vocabulary import Consent, MeetingKind, Role, label
from matcher.errors import Conflict, Invalid, NotAllowed, NotFound
from matcher.profiles.pii import guarded_text
from matcher.sql import queries

SQL = queries("meetings")
MAX_TITLE = 200
MAX_MINUTE = 4000
EARLIEST = date(2000, 1, 1)
# Which consents each kind of meeting may discuss (domain.md §9).
ALLOWED_CONSENTS: dict[MeetingKind, frozenset[Consent]] = {
    MeetingKind.shien_kaigi: frozenset(Consent),
    MeetingKind.jusoteki_kaigi: frozenset({Consent.full}),
}
ORGANISERS = (Role.coordinator, Role.admin)
NOT_A_MEMBER = "この会議の構成員ではありません"
CONFIDENTIALITY = (
    "この会議で知った情報は、社会福祉法第106条の6第5項の守秘義務の対象です。"
    "会議の目的以外に使わず、構成員以外に漏らしません（違反には罰則があります）。"
)


@dataclass(frozen=True)
class Meeting:
    """One meeting."""

    id: int
    kind: str
    held_on: date
    title: str
    created_by: str
    created_at: datetime

    @property
    def kind_label(self) -> str:
        """支援会議 or 重層的支援会議."""
        return label(self.kind, MeetingKind)

    def open_until(self, settings: Settings) -> date:
        """The last day its members may see its cases."""
        return self.held_on + timedelta(days=settings.meeting_access_days)

    def is_open(self, settings: Settings, today: date) -> bool:
        """From the meeting's date until meeting_access_days after it."""
        return self.held_on <= today <= self.open_until(settings)

    def allows(self, consent: str) -> bool:
        """Whether a person with this consent may be discussed at this kind of meeting."""
        return Consent(consent) in ALLOWED_CONSENTS[MeetingKind(self.kind)]


@dataclass(frozen=True)
class MeetingRow(Meeting):
    """A meeting in the organisers' list."""

    members: int = 0
    cases: int = 0


@dataclass(frozen=True)
class MemberMeeting(Meeting):
    """A meeting as one of its members sees it in their list."""

    acknowledged_at: datetime | None = None


@dataclass(frozen=True)
class Member:
    """A member of a meeting."""

    id: int
    name: str
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class AgendaItem:
    """A profile on the agenda, with its consent as it is now."""

    profile_id: str
    consent: str
    age_band: str
    area: str
    stage: int
    status: str
    added_at: datetime
    shown: bool = True  # False: a 重層的支援会議 whose person has since withdrawn full consent


@dataclass(frozen=True)
class Minute:
    """One 会議録 entry for a case."""

    id: int
    meeting_id: int
    profile_id: str
    shared: str
    actions: str
    next_review_on: date | None
    written_by: str
    written_at: datetime


@dataclass
class Access:
    """What one reader may see of one meeting, and why not when they may not."""

    meeting: Meeting
    may_see_cases: bool
    acknowledged_at: datetime | None = None
    refusal: str = ""


def _organiser(user: User) -> None:
    if user.role not in ORGANISERS:
        raise NotAllowed("会議を作り、構成員や議題を決められるのはコーディネーターと管理者です")


def get_meeting(conn: psycopg.Connection, meeting_id: int) -> Meeting:
    """One meeting, or NotFound."""
    return rows.existing(
        conn, Meeting, SQL.get, {"id": meeting_id}, missing=f"会議 {meeting_id} はありません"
    )


def create_meeting(conn: psycopg.Connection, *, kind: str, held_on: date, title: str, by: User) -> Meeting:
    """A new meeting of either kind, audited."""
    _organiser(by)
    if kind not in set(MeetingKind):
        raise Invalid("会議の種類は支援会議か重層的支援会議です", field="kind")
    if held_on < EARLIEST:
        raise Invalid(f"開催日は{EARLIEST:%Y年}以降にしてください", field="held_on")
    params = {
        "kind": kind,
        "held_on": held_on,
        "title": guarded_text(title, "title", limit=MAX_TITLE, required="会議の名前を書いてください"),
        "created_by": by.name,
    }
    with conn.transaction():
        meeting = rows.inserted(conn, Meeting, SQL.create, params)
        audit.log(
            conn,
            audit.meeting(meeting.id),
            "meeting_created",
            actor=by.name,
            after={"meeting_kind": kind, "held_on": held_on, "title": meeting.title},
        )
    return meeting


def recent_meetings(conn: psycopg.Connection, *, limit: int = 200) -> list[MeetingRow]:
    """Meetings for the organisers' list, newest date first."""
    with conn.cursor(row_factory=class_row(MeetingRow)) as cur:
        return cur.execute(SQL.recent, {"limit": limit}).fetchall()


def meetings_of_member(conn: psycopg.Connection, user: User) -> list[MemberMeeting]:
    """The meetings a member belongs to, newest first."""
    with conn.cursor(row_factory=class_row(MemberMeeting)) as cur:
        return cur.execute(SQL.of_member, {"user_id": user.id}).fetchall()


def _add_once(
    conn: psycopg.Connection,
    query: LiteralString,
    params: dict[str, object],
    subject: audit.Subject,
    action: str,
    *,
    by: User,
    after: dict[str, object],
) -> None:
    """Adds a member or a case to a meeting (`query` inserts unless it is there already and returns the
    new row); only an addition is audited."""
    if conn.execute(query, params | {"added_by": by.name}).fetchone():
        audit.log(conn, subject, action, actor=by.name, after=after)


def add_member(conn: psycopg.Connection, *, meeting_id: int, name: str, by: User) -> Member:
    """Adds a `member` account to a meeting by its name (adding it again changes nothing)."""
    _organiser(by)
    name = str(clean_text(name))
    with conn.transaction():
        get_meeting(conn, meeting_id)
        with conn.cursor(row_factory=dict_row) as cur:
            account = cur.execute(SQL.account, {"name": name}).fetchone()
        if account is None:
            raise NotFound(f"有効なアカウント「{name}」はありません")
        if account["role"] != Role.member:
            raise Invalid(
                "会議に加えられるのは会議の構成員（member）のアカウントだけです"
                "（コーディネーターと管理者は初めからすべての会議を見られます）",
                field="name",
            )
        params = {"meeting_id": meeting_id, "user_id": account["id"]}
        after = {"member": account["name"]}
        _add_once(
            conn, SQL.add_member, params, audit.meeting(meeting_id), "meeting_member", by=by, after=after
        )
    return next(m for m in members_of(conn, meeting_id) if m.id == account["id"])


def members_of(conn: psycopg.Connection, meeting_id: int) -> list[Member]:
    """A meeting's members and whether each has acknowledged its confidentiality."""
    with conn.cursor(row_factory=class_row(Member)) as cur:
        return cur.execute(SQL.members, {"meeting_id": meeting_id}).fetchall()


def member_choices(conn: psycopg.Connection, meeting_id: int) -> list[str]:
    """Enabled member accounts that could still be added."""
    return [row[0] for row in conn.execute(SQL.member_choices, {"meeting_id": meeting_id})]


def add_case(conn: psycopg.Connection, *, meeting_id: int, profile_id: str, by: User) -> AgendaItem:
    """Puts a profile on the agenda, if the kind of meeting allows its consent (else Conflict)."""
    _organiser(by)
    profile_id = str(clean_text(profile_id))
    with conn.transaction():
        meeting = get_meeting(conn, meeting_id)
        missing = NotFound(f"ニーズプロファイル「{profile_id}」はありません")
        row = rows.one(conn, SQL.profile_consent, {"profile_id": profile_id}, missing=missing)
        if not meeting.allows(row[0]):
            raise Conflict(
                "重層的支援会議で話し合えるのは、情報の共有に本人が同意している方"
                f"（同意の範囲が「{label(Consent.full)}」）だけです"
                f"（{profile_id} は「{label(row[0], Consent)}」）。"
                "同意のない方は支援会議で取り上げてください",
                field="profile_id",
            )
        params = {"meeting_id": meeting_id, "profile_id": profile_id}
        after = {"meeting_id": meeting_id, "consent": row[0]}
        _add_once(conn, SQL.add_case, params, audit.profile(profile_id), "meeting_case", by=by, after=after)
    return next(item for item in agenda(conn, meeting) if item.profile_id == profile_id)


def agenda(conn: psycopg.Connection, meeting: Meeting) -> list[AgendaItem]:
    """The agenda, each case marked shown or not by the person's consent as it is now."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(SQL.cases, {"meeting_id": meeting.id}).fetchall()
    return [AgendaItem(**row, shown=meeting.allows(row["consent"])) for row in rows]


def acknowledge(conn: psycopg.Connection, *, meeting_id: int, user: User) -> datetime:
    """Records a member's 守秘義務の確認 for one meeting (the first one counts), audited."""
    if user.role != Role.member:
        raise NotAllowed("守秘義務の確認は会議の構成員がするものです")
    with conn.transaction():
        # Not a member, or no such meeting: the same answer, nothing revealed.
        params = {"meeting_id": meeting_id, "user_id": user.id}
        row = rows.one(conn, SQL.acknowledge, params, missing=NotAllowed(NOT_A_MEMBER))
        audit.log(conn, audit.meeting(meeting_id), "meeting_acknowledged", actor=user.name)
    acknowledged: datetime = row[0]
    return acknowledged


def access(
    conn: psycopg.Connection, *, meeting_id: int, reader: User, settings: Settings, today: date
) -> Access:
    """What a reader may see of a meeting. Organisers see everything; a member sees the cases only when
    a member of it, acknowledged and open; anyone else is refused (NotAllowed, nothing revealed)."""
    if reader.role in ORGANISERS:
        return Access(get_meeting(conn, meeting_id), may_see_cases=True)
    if reader.role != Role.member:
        raise NotAllowed("会議の資料を見られるのは会議の構成員とコーディネーター・管理者です")
    params = {"meeting_id": meeting_id, "user_id": reader.id}
    row = rows.one(conn, SQL.membership, params, missing=NotAllowed(NOT_A_MEMBER))
    meeting = get_meeting(conn, meeting_id)
    acknowledged_at = row[0]
    refusal = ""
    if acknowledged_at is None:
        refusal = "守秘義務の確認がまだです。確認すると議題の資料が表示されます"
    elif today < meeting.held_on:
        refusal = f"資料は開催日（{meeting.held_on:%Y年%-m月%-d日}）から見られます"
    elif not meeting.is_open(settings, today):
        refusal = f"資料を見られる期間（{meeting.open_until(settings):%Y年%-m月%-d日}まで）は終わりました"
    return Access(meeting, not refusal, acknowledged_at=acknowledged_at, refusal=refusal)


def show(conn: psycopg.Connection, seen: Access, reader: User) -> list[AgendaItem]:
    """The agenda as `access` found the reader may see it (NotAllowed with the reason when they may not),
    every shown case audited against the person's profile."""
    if not seen.may_see_cases:
        raise NotAllowed(seen.refusal)
    items = agenda(conn, seen.meeting)
    with conn.transaction():
        for item in items:
            if item.shown:
                audit.log(
                    conn,
                    audit.profile(item.profile_id),
                    "meeting_shown",
                    actor=reader.name,
                    after={"meeting_id": seen.meeting.id, "role": reader.role},
                )
    return items


def on_agenda(conn: psycopg.Connection, *, meeting_id: int, profile_id: str) -> bool:
    """Whether a profile is on a meeting's agenda."""
    row = conn.execute(SQL.on_agenda, {"meeting_id": meeting_id, "profile_id": profile_id}).fetchone()
    return bool(row and row[0])


def add_minute(
    conn: psycopg.Connection,
    *,
    meeting_id: int,
    profile_id: str,
    shared: str,
    actions: str,
    next_review_on: date | None,
    by: User,
) -> Minute:
    """Adds a 会議録 entry for a case on the agenda (PII-guarded like every text), audited."""
    _organiser(by)
    shared_text = guarded_text(shared, "shared", limit=MAX_MINUTE)
    actions_text = guarded_text(actions, "actions", limit=MAX_MINUTE)
    if not shared_text and not actions_text:
        raise Invalid("共有したことか役割分担のどちらかを書いてください", field="shared")
    with conn.transaction():
        meeting = get_meeting(conn, meeting_id)
        if next_review_on is not None and next_review_on < meeting.held_on:
            raise Invalid("次回の見直し日は開催日より後にしてください", field="next_review_on")
        if not on_agenda(conn, meeting_id=meeting_id, profile_id=profile_id):
            raise NotFound(f"{profile_id} はこの会議の議題にありません")
        params = {
            "meeting_id": meeting_id,
            "profile_id": profile_id,
            "shared": shared_text,
            "actions": actions_text,
            "next_review_on": next_review_on,
            "written_by": by.name,
        }
        minute = rows.inserted(conn, Minute, SQL.add_minute, params)
        audit.log(
            conn,
            audit.profile(profile_id),
            "meeting_minute",
            actor=by.name,
            after={"meeting_id": meeting_id, "next_review_on": next_review_on},
        )
    return minute


def minutes_of(conn: psycopg.Connection, meeting_id: int) -> dict[str, list[Minute]]:
    """A meeting's 会議録 by profile."""
    by_case: dict[str, list[Minute]] = {}
    with conn.cursor(row_factory=class_row(Minute)) as cur:
        for minute in cur.execute(SQL.minutes, {"meeting_id": meeting_id}):
            by_case.setdefault(minute.profile_id, []).append(minute)
    return by_case


DEMO_MEETING = "デモ: 支援会議（中央圏域）"


def ensure_demo_meeting(conn: psycopg.Connection, *, today: date) -> None:
    """For the demo: a 支援会議 held today with the demo member on it (not yet acknowledged) and two
    people who have not consented to sharing (what a 支援会議 is for). Nothing when one exists."""
    if any(m.title == DEMO_MEETING for m in recent_meetings(conn)):
        return
    organiser = conn.execute(SQL.account, {"name": "coordinator"}).fetchone()
    if organiser is None:
        return
    by = User(int(organiser[0]), str(organiser[1]), str(organiser[2]))
    meeting = create_meeting(conn, kind=MeetingKind.shien_kaigi, held_on=today, title=DEMO_MEETING, by=by)
    add_member(conn, meeting_id=meeting.id, name="kaigi", by=by)
    for profile_id in ("p09", "p21"):
        if conn.execute(SQL.profile_consent, {"profile_id": profile_id}).fetchone():
            add_case(conn, meeting_id=meeting.id, profile_id=profile_id, by=by)
