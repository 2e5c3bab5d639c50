"""The 開拓 pipeline: a 開拓候補 is opened (from a gap-report group or from scratch), moved 候補 → 打診中 →
受入準備, or to 見送り with a reason, and carries dated notes. 登録済 is reached only by registering the
listing (matcher.development.registration). Coordinators and admins work on it; its free texts pass the
PII guard as case notes do (matcher.profiles.case_notes); every change is audited without its text.
"""

import re
from collections.abc import Mapping, Sequence
from datetime import date

import psycopg
from psycopg.rows import class_row

from matcher.accounts import audit
from matcher.accounts.users import User
from matcher.core import rows
from matcher.core.fields import bounded_text
from matcher.core.vocabulary import LABELS, Kind
from matcher.development.model import (
    OPEN_STAGES,
    STAGE_LABELS,
    Candidate,
    DevelopmentNote,
    GapGroup,
    Stage,
)
from matcher.errors import Conflict, Invalid, NotAllowed, NotFound
from matcher.profiles.pii import guarded_text
from matcher.reports.gaps import CODE_LABELS, MIN_SHOWN
from matcher.sql import queries

SQL = queries("development")
ENTITY = "development"
ORGANISERS = ("coordinator", "admin")
MAX_NAME = 200
MAX_AREA = 100
MAX_NEED = 2000
MAX_REASON = 1000
MAX_NOTE = 4000
EARLIEST = date(2000, 1, 1)
_GAP_KEY = re.compile(r"^(\d{4}-W\d{2})-(\d{1,6})$")


def check_organiser(user: User) -> None:
    """Only coordinators and admins develop resources."""
    if user.role not in ORGANISERS:
        raise NotAllowed("社会資源の開拓は、コーディネーターと管理者だけが扱えます")


def checked_day(day: date, field: str, *, today: date) -> date:
    """A day that may be in the past but not in the future, or Invalid."""
    if day > today:
        raise Invalid("未来の日は選べません（さかのぼって記録はできます）", field=field)
    if day < EARLIEST:
        raise Invalid(f"日付は{EARLIEST:%Y年}以降にしてください", field=field)
    return day


# --- gap-report groups ----------------------------------------------------------------------------------


def gap_group(conn: psycopg.Connection, key: str) -> GapGroup:
    """The shown gap-report group named 2026-W48-3, or NotFound (groups under three are never shown)."""
    match = _GAP_KEY.match(key.strip())
    row = None
    if match:
        params = {"week": match[1], "cluster": int(match[2])}
        row = conn.execute(SQL.gap_group, params).fetchone()
    if row is None or row[3] < MIN_SHOWN:
        raise NotFound("その不足のグループは見つかりません（週次処理をやり直すと番号が変わります）")
    return GapGroup(*row)


def need_from_gap(group: GapGroup) -> str:
    """The need a gap group describes, in words a coordinator would write."""
    text = f"{group.area}で{group.size}人：{group.label}"
    if group.top_constraint:
        text += f"（提案を阻んだ最も多い理由: {CODE_LABELS.get(group.top_constraint, group.top_constraint)}）"
    return text


# --- candidates -----------------------------------------------------------------------------------------


def _candidate_fields(name: str, kind: str, area: str, need: str) -> dict[str, str]:
    fields = {
        "name": bounded_text(name, "name", limit=MAX_NAME, required="場所の名前を書いてください"),
        "area": bounded_text(area, "area", limit=MAX_AREA, required="圏域・地区を選んでください"),
    }
    if kind not in LABELS[Kind]:
        raise Invalid("場の種類を選んでください", field="kind")
    need_text = guarded_text(
        need, "need", limit=MAX_NEED, required="どんなニーズに応える場かを書いてください"
    )
    return fields | {"kind": kind, "need": need_text}


def open_candidate(
    conn: psycopg.Connection,
    *,
    name: str,
    kind: str,
    area: str,
    need: str,
    gap: GapGroup | None,
    by: User,
) -> Candidate:
    """Opens a 開拓候補 at 候補 (from a gap group, or from scratch), audited."""
    check_organiser(by)
    fields = _candidate_fields(name, kind, area, need)
    source: dict[str, object] = {"gap_week": None, "gap_cluster": None, "gap_label": None}
    if gap is not None:
        source = {"gap_week": gap.week, "gap_cluster": gap.cluster, "gap_label": gap.label[:500]}
    with conn.transaction():
        row = conn.execute(SQL.create, fields | source | {"by": by.name}).fetchone()
        assert row is not None
        candidate_id = int(row[0])
        after: dict[str, object] = {
            "name": fields["name"],
            "kind": kind,
            "area": fields["area"],
            "stage": "candidate",
        }
        if gap is not None:
            after["gap"] = gap.key
        record(conn, by, "development_opened", candidate_id, after=after)
    return get_candidate(conn, candidate_id)


def get_candidate(conn: psycopg.Connection, candidate_id: int) -> Candidate:
    """One 開拓候補, or NotFound."""
    missing = f"開拓候補 {candidate_id} はありません"
    return rows.existing(conn, Candidate, SQL.candidates, {"id": candidate_id, "area": None}, missing=missing)


def pipeline(conn: psycopg.Connection, *, area: str | None = None) -> dict[str, list[Candidate]]:
    """Every 開拓候補 (of one area, or all) by stage, in the pipeline's order."""
    with conn.cursor(row_factory=class_row(Candidate)) as cur:
        candidates = cur.execute(SQL.candidates, {"id": None, "area": area or None}).fetchall()
    by_stage: dict[str, list[Candidate]] = {stage: [] for stage in STAGE_LABELS}
    for candidate in candidates:
        by_stage[candidate.stage].append(candidate)
    return by_stage


def candidate_areas(conn: psycopg.Connection) -> list[str]:
    """The areas that have a 開拓候補."""
    return [str(row[0]) for row in conn.execute(SQL.areas)]


# --- moving through the stages --------------------------------------------------------------------------


def moves_from(stage: str) -> list[Stage]:
    """Where a candidate may be moved by hand: any later open stage, or 見送り, from an open stage; a
    dropped one back to 候補. 登録済 only by registering the listing."""
    if stage in OPEN_STAGES:
        later = OPEN_STAGES[OPEN_STAGES.index(Stage(stage)) + 1 :]
        return [*later, Stage.dropped]
    if stage == Stage.dropped:
        return [Stage.candidate]
    return []


def _refuse_move(now: str, to: str) -> None:
    if to == Stage.registered:
        raise Conflict("登録済にするには、社会資源として登録してください（登録すると自動で登録済になります）")
    if now == to:
        raise Conflict(f"すでに「{STAGE_LABELS[now]}」です")
    if now == Stage.registered:
        raise Conflict("登録済の候補は動かせません（社会資源のページで掲載を管理します）")
    if now == Stage.dropped:
        raise Conflict("見送った候補は「候補」に戻すことだけができます")
    back = f"「{STAGE_LABELS[now]}」から「{STAGE_LABELS[to]}」へは戻せません"
    raise Conflict(f"{back}。先の段階か見送りを選んでください")


def move(conn: psycopg.Connection, *, candidate_id: int, to: str, reason: str = "", by: User) -> Candidate:
    """Moves a 開拓候補 to another stage (見送り needs a reason), audited without the reason's text."""
    check_organiser(by)
    if to not in STAGE_LABELS:
        raise Invalid("移す段階を選んでください", field="stage")
    drop_reason = None
    if to == Stage.dropped:
        drop_reason = guarded_text(reason, "reason", limit=MAX_REASON, required="見送る理由を書いてください")
    with conn.transaction():
        now = locked_stage(conn, candidate_id)
        if Stage(to) not in moves_from(now):
            _refuse_move(now, to)
        params = {"id": candidate_id, "stage": to, "drop_reason": drop_reason, "by": by.name}
        conn.execute(SQL.move, params)
        after: dict[str, object] = {"stage": to}
        if drop_reason:
            after["reason_length"] = len(drop_reason)
        record(conn, by, "development_stage", candidate_id, before={"stage": now}, after=after)
    return get_candidate(conn, candidate_id)


def locked_stage(conn: psycopg.Connection, candidate_id: int) -> str:
    """A 開拓候補's stage, its row locked until the transaction ends; NotFound when there is none."""
    missing = NotFound(f"開拓候補 {candidate_id} はありません")
    return str(rows.one(conn, SQL.lock, {"id": candidate_id}, missing=missing)[0])


# --- notes ----------------------------------------------------------------------------------------------


def add_note(
    conn: psycopg.Connection, *, candidate_id: int, written_on: date, text: str, by: User
) -> DevelopmentNote:
    """Adds a dated note to a 開拓候補 (back-dated, never in the future), audited without its text."""
    check_organiser(by)
    body = guarded_text(text, "body", limit=MAX_NOTE, required="記録の内容を書いてください")
    checked_day(written_on, "written_on", today=date.today())
    with conn.transaction():
        locked_stage(conn, candidate_id)
        params = {"candidate_id": candidate_id, "written_on": written_on, "author": by.name, "body": body}
        note = rows.inserted(conn, DevelopmentNote, SQL.add_note, params)
        after = {"note_id": note.id, "written_on": written_on, "length": len(body)}
        record(conn, by, "development_note", candidate_id, after=after)
    return note


def notes_of(conn: psycopg.Connection, *, candidate_id: int) -> list[DevelopmentNote]:
    """A 開拓候補's notes, newest date first."""
    with conn.cursor(row_factory=class_row(DevelopmentNote)) as cur:
        return cur.execute(SQL.notes, {"candidate_id": candidate_id}).fetchall()


def stage_history(conn: psycopg.Connection, *, candidate_id: int) -> Sequence[audit.AuditRow]:
    """The candidate's opening, moves and registration as the audit log recorded them, oldest first."""
    logged = audit.history(conn, entity=ENTITY, entity_id=str(candidate_id))
    wanted = ("development_opened", "development_stage", "development_registered")
    return sorted((row for row in logged if row.action in wanted), key=lambda row: row.id)


def record(
    conn: psycopg.Connection,
    by: User,
    action: str,
    candidate_id: int,
    *,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object],
) -> None:
    """Appends one audit row about a 開拓候補 (never its free text: admins read the log)."""
    before_row = dict(before) if before is not None else None
    audit.log(
        conn, audit.development(candidate_id), action, actor=by.name, before=before_row, after=dict(after)
    )
