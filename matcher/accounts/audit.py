"""The append-only audit log: who changed what, when, with the before and after (domain.md §7).

Rows can only be added: a trigger in the database refuses UPDATE, DELETE and TRUNCATE for every role.
"""

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypedDict, Unpack

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel

from matcher.core.csvsafe import write_csv
from matcher.core.vocabulary import (
    CONTACT_LEVELS,
    LABELS,
    PHYSICAL_LOADS,
    STAGES,
    Accommodation,
    Consent,
    Day,
    DevelopmentStage,
    Fact,
    Kind,
    MeetingKind,
    ProfileStatus,
    Programme,
    ResourceStatus,
    Reward,
    RewardPreference,
    SupportKind,
)
from matcher.placements.model import ACTION_LABELS as PLACEMENT_ACTIONS
from matcher.placements.model import END_REASONS, HOST_RESPONSES, STATUS_LABELS
from matcher.sql import queries

SQL = queries("audit")


def snapshot(value: BaseModel | dict[str, Any] | None) -> dict[str, Any] | None:
    """A JSON-able copy of a record for the log."""
    if value is None:
        return None
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in value.items()}


@dataclass(frozen=True)
class Subject:
    """What an audit row is about: an entity (a key of ENTITY_LABELS) and its id."""

    entity: str
    entity_id: str


def profile(profile_id: str) -> Subject:
    """A needs profile."""
    return Subject("profile", profile_id)


def resource(resource_id: str) -> Subject:
    """A listing (社会資源)."""
    return Subject("resource", resource_id)


def placement(placement_id: int) -> Subject:
    """A placement (つなぎ先)."""
    return Subject("placement", str(placement_id))


def account(name: str) -> Subject:
    """An account, by its name."""
    return Subject("account", name)


def meeting(meeting_id: int) -> Subject:
    """A 支援会議 or 重層的支援会議."""
    return Subject("meeting", str(meeting_id))


def development(candidate_id: int) -> Subject:
    """A 開拓候補."""
    return Subject("development", str(candidate_id))


class Change(TypedDict, total=False):
    """A row's record before and after the change (either may be left out)."""

    before: BaseModel | dict[str, Any] | None
    after: BaseModel | dict[str, Any] | None


def log(
    conn: psycopg.Connection, subject: Subject, action: str, *, actor: str, **change: Unpack[Change]
) -> None:
    """Appends one row about `subject`; call it inside the transaction that makes the change."""
    before, after = snapshot(change.get("before")), snapshot(change.get("after"))
    row = {"actor": actor, "action": action, "entity": subject.entity, "entity_id": subject.entity_id}
    conn.execute(SQL.insert, row | {"before": Jsonb(before), "after": Jsonb(after)})


def record(
    conn: psycopg.Connection,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    **change: Unpack[Change],
) -> None:
    """Appends one row about an entity named by its kind and id (`log` with a Subject)."""
    log(conn, Subject(entity, entity_id), action, actor=actor, **change)


@dataclass(frozen=True)
class AuditRow:
    """One line of the log."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def history(
    conn: psycopg.Connection, *, entity: str | None = None, entity_id: str | None = None, limit: int = 200
) -> list[AuditRow]:
    """The newest rows, optionally for one entity."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(SQL.history, {"entity": entity, "entity_id": entity_id, "limit": limit}).fetchall()
    return [AuditRow(**row) for row in rows]


@dataclass(frozen=True)
class AuditFilter:
    """What the admin is looking for; empty fields match everything."""

    actor: str | None = None
    profile_id: str | None = None
    resource_id: str | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None

    def params(self, limit: int) -> dict[str, Any]:
        """Query parameters (dates as whole days)."""
        return self.__dict__ | {"limit": limit}


def search(conn: psycopg.Connection, wanted: AuditFilter, *, limit: int = 500) -> list[AuditRow]:
    """Rows matching the filter, newest first (a profile or listing includes its placements' rows)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return [AuditRow(**row) for row in cur.execute(SQL.search, wanted.params(limit))]


def actions(conn: psycopg.Connection) -> list[str]:
    """Every action that appears in the log."""
    return [row[0] for row in conn.execute(SQL.actions)]


# --- Reading the log: what each role may see, in Japanese -------------------------------------------

ENTITY_LABELS = {
    "profile": "プロファイル",
    "resource": "社会資源",
    "placement": "つなぎ先",
    "account": "アカウント",
    "meeting": "会議",
    "kpi_target": "実績の目標",
    "development": "開拓候補",
}

ACTION_LABELS = {
    "create": "作成",
    "update": "変更",
    "import": "取り込み",
    "consent": "本人同意の記録",
    "reject": "提案の見送り",
    "status": "支援の状態の変更",
    "confirm": "確定",
    "reserve": "空きを1つ確保",
    "release": "空きを1つ戻す",
    "followup": "フォローアップの記録",
    "shown_to_host": "受け入れ先に表示",
    "host_accepted": "受け入れ先が受け入れ",
    "host_declined": "受け入れ先が辞退",
    "assure": "内容を確認（確認日）",
    "disable": "アカウントを無効化",
    "enable": "アカウントを有効化",
    "password": "パスワード再設定",
    "listings": "担当の社会資源の結びつけ",
    "revoke_token": "API トークンの取り消し",
    "issue_token": "API トークンの発行",
    "consent_withdrawn": "同意の撤回を受け入れ先に反映",
    "sheet_printed": "紹介票の作成",
    "plan_trial": "見学の予定日",
    "restore": "提案に戻す",
    "email": "通知メールの宛先の変更",
    "assign": "担当の変更",
    "case_note": "支援経過記録の記入",
    "read_notes": "支援経過記録の表示",
    "meeting_created": "会議の登録",
    "meeting_member": "会議の構成員の追加",
    "meeting_case": "会議の議題にする",
    "meeting_acknowledged": "守秘義務の確認",
    "meeting_shown": "会議の資料の表示",
    "meeting_minute": "会議録の記入",
    "plan_created": "プランの作成",
    "plan_evaluated": "プランの評価",
    "plan_closed": "プランの終結",
    "set_kpi_target": "実績の目標を設定",
    "development_opened": "開拓候補の登録",
    "development_stage": "開拓の段階の変更",
    "development_note": "開拓の経過の記録",
    "development_registered": "開拓候補を社会資源に登録",
    "host_support": "受け入れ先への支援の記録",
} | PLACEMENT_ACTIONS

FIELD_LABELS = {
    # 社会資源 (domain.md §3)
    "id": "ID",
    "name": "名称",
    "kind": "場の種類",
    "programme": "既存事業",
    "hosts_participation": "参加支援も受け入れ",
    "description": "活動内容",
    "area": "圏域・地区",
    "lat": "緯度",
    "lon": "経度",
    "schedule": "活動日時",
    "capacity_total": "定員",
    "capacity_open": "受け入れ可能数",
    "contact_level": "対人接触",
    "physical_load": "体力負荷",
    "reward": "賃金・謝礼",
    "trial": "見学・体験",
    "min_age": "年齢の下限",
    "max_age": "年齢の上限",
    "accommodations": "配慮",
    "assured_at": "確認日",
    # ニーズプロファイル (§4)
    "age_band": "年齢帯",
    "max_travel_km": "上限距離（km）",
    "availability": "参加できる日時",
    "contact_tolerance": "対人接触の上限",
    "physical_capacity": "体力負荷の上限",
    "reward_preference": "報酬の希望",
    "needs_accommodations": "必要な配慮",
    "interests": "興味・得意なこと",
    "narrative": "ニーズ・希望",
    "stage": "段階",
    "facts": "制度の要件にかかわる事実",
    "consent": "本人同意",
    "consent_date": "同意日",
    # つなぎ先とフォローアップ (§7)
    "profile_id": "プロファイル",
    "resource_id": "社会資源",
    "placement_id": "つなぎ先",
    "tier": "区分",
    "score": "合う度合い",
    "gap_reason": "狭間の理由",
    "host_note": "受け入れ先へのメモ",
    "reserved": "空きを確保",
    "end_reason": "終了の理由",
    "end_note": "終了のメモ",
    "confirmed_by": "確定した人",
    "confirmed_at": "確定日時",
    "referred_at": "紹介日時",
    "trial_at": "見学・体験の日時",
    "started_at": "利用開始日時",
    "ended_at": "終了日時",
    "host_response": "受け入れ先の回答",
    "host_response_reason": "受け入れ先の回答の理由",
    "host_responded_at": "回答日時",
    "answer_due": "返答の期限",
    "override_reason": "返答を待たずに進めた理由",
    "withdrawn": "同意の撤回",
    "trial_planned_on": "見学の予定日",
    "dated_reason": "前の日付で記録した理由",
    "wellbeing_start": "つながりの実感（開始時）",
    "wellbeing": "つながりの実感",
    "month": "何か月目",
    "still_participating": "参加を続けている",
    "frequency": "参加の頻度",
    "rating": "本人の評価",
    "note": "メモ",
    "recorded_by": "記録した人",
    "reason": "理由",
    # アカウント
    "role": "役割",
    "email": "メールアドレス",
    "mail_digest": "1日1通のまとめ",
    "resource_ids": "担当の社会資源",
    "disabled": "無効",
    "token_id": "トークン",
    # 担当と支援経過記録
    "coordinator": "担当",
    "note_id": "記録",
    "written_on": "支援のあった日",
    "length": "文字数",
    "shown": "表示した件数",
    # 会議とプラン
    "meeting_id": "会議",
    "meeting_kind": "会議の種類",
    "member": "構成員",
    "held_on": "開催日",
    "title": "会議の名前",
    "next_review_on": "次回の見直し日",
    "plan_id": "プラン",
    "review_on": "見直し日",
    "evaluated_on": "評価の日",
    "closed_on": "終結の日",
    "target": "目標",
    "support_id": "支援の記録",
    "support_kind": "支援の種類",
    "given_on": "支援の日",
    "amount_yen": "金額（円）",
    "reason_length": "理由の文字数",
    "gap": "不足の集計のグループ",
}

# What a role other than the coordinator may see of a needs profile: what domain.md §7 lets a host see
# (age band, availability, accommodations needed, stage), plus which listing a row is about. Every other
# field of a profile row (narrative, interests, facts, consent, area, free-text reasons …) is hidden.
PROFILE_VISIBLE = frozenset(
    {"id", "age_band", "availability", "needs_accommodations", "stage", "resource_id"}
)
# Free text and outcomes about the person on placement rows, hidden from everyone but the coordinator.
PLACEMENT_HIDDEN = frozenset(
    {
        "gap_reason",
        "host_note",
        "override_reason",
        "end_note",
        "host_response_reason",
        "reason",
        "still_participating",
        "frequency",
        "rating",
        "note",
    }
)
HIDDEN_MARK = "（変更あり・非表示）"
_EMPTY: tuple[Any, ...] = (None, "", [], {})


_STATUS_LABELS = {"resource": "掲載状態", "profile": "支援の状態", "placement": "つなぎ先の状態"}


def field_label(entity: str, key: str) -> str:
    """A recorded field's Japanese label ('status' depends on what the row is about)."""
    if key == "status":
        return _STATUS_LABELS.get(entity, "状態")
    return FIELD_LABELS.get(key, key)


def hidden_fields(entity: str, keys: set[str], role: str) -> set[str]:
    """The keys of a row's before/after that this role may not read (the coordinator reads all)."""
    if role == "coordinator":
        return set()
    if entity == "profile":
        return {k for k in keys if k not in PROFILE_VISIBLE}
    if entity == "placement":
        hidden = PLACEMENT_HIDDEN - {"host_note"} if role == "provider" else PLACEMENT_HIDDEN
        return keys & hidden
    return set()


def _changed(key: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> bool:
    old = (before or {}).get(key)
    new = (after or {}).get(key)
    if old in _EMPTY and new in _EMPTY:
        return False
    return bool(old != new)


_ENUMS: dict[str, Any] = {
    "kind": LABELS[Kind],
    "programme": LABELS[Programme],
    "accommodations": LABELS[Accommodation],
    "needs_accommodations": LABELS[Accommodation],
    "reward": LABELS[Reward],
    "reward_preference": LABELS[RewardPreference],
    "facts": LABELS[Fact],
    "consent": LABELS[Consent],
    "contact_level": CONTACT_LEVELS,
    "contact_tolerance": CONTACT_LEVELS,
    "physical_load": PHYSICAL_LOADS,
    "physical_capacity": PHYSICAL_LOADS,
    "stage": STAGES,
    "end_reason": END_REASONS,
    "host_response": HOST_RESPONSES,
    "tier": {1: "既存事業", 2: "参加支援"},
    "meeting_kind": LABELS[MeetingKind],
    "support_kind": LABELS[SupportKind],
}
# Keys whose codes depend on what the row is about.
_ENTITY_ENUMS: dict[tuple[str, str], Any] = {("development", "stage"): LABELS[DevelopmentStage]}
_STATUSES = {
    "resource": LABELS[ResourceStatus],
    "profile": LABELS[ProfileStatus],
    "placement": STATUS_LABELS,
}


def _slot(value: Any) -> str:
    if isinstance(value, dict) and {"day", "start", "end"} <= value.keys():
        return f"{LABELS[Day].get(value['day'], value['day'])} {value['start']}–{value['end']}"
    return str(value)


def display_value(entity: str, key: str, value: Any) -> str:
    """One recorded value as a person reads it: codes as their Japanese labels, lists joined."""
    if value is None or value == "" or value == []:
        return "（なし）"
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if key in ("schedule", "availability") and isinstance(value, list):
        return "、".join(_slot(v) for v in value)
    if key == "role":
        from matcher.accounts.users import ROLE_LABELS  # matcher.accounts.users imports this module

        return ROLE_LABELS.get(str(value), str(value))
    labels = (
        _STATUSES.get(entity, {}) if key == "status" else _ENTITY_ENUMS.get((entity, key), _ENUMS.get(key))
    )
    if labels is not None:
        if isinstance(value, list):
            return "、".join(str(labels.get(v, v)) for v in value)
        return str(labels.get(value, value))
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@dataclass(frozen=True)
class FieldChange:
    """One field of a row: its label and its value before and after, or only that it changed."""

    key: str
    label: str
    before: str | None
    after: str | None
    hidden: bool

    @property
    def text(self) -> str:
        """「ラベル: 前 → 後」, or 「ラベル（変更あり・非表示）」 for what the reader may not see."""
        if self.hidden:
            return f"{self.label}{HIDDEN_MARK}"
        if self.before is None:
            return f"{self.label}: {self.after}"
        return f"{self.label}: {self.before} → {self.after}"


@dataclass(frozen=True)
class AuditView:
    """A row as one role reads it: labels in Japanese, before → after per changed field, redacted."""

    row: AuditRow
    action_label: str
    entity_label: str
    changes: list[FieldChange]


def view(row: AuditRow, role: str) -> AuditView:
    """The row for this role: only the fields that changed (all of them for a new record), each with its
    before and after, except those the role may not read, which show only that they changed."""
    before, after = row.before, row.after
    keys = list(dict.fromkeys([*(before or {}), *(after or {})]))
    hidden = hidden_fields(row.entity, set(keys), role)
    changes = []
    for key in keys:
        if not _changed(key, before, after):
            continue
        label = field_label(row.entity, key)
        if key in hidden:
            changes.append(FieldChange(key, label, None, None, hidden=True))
            continue
        old = display_value(row.entity, key, before[key]) if before is not None and key in before else None
        new = display_value(row.entity, key, (after or {}).get(key))
        changes.append(FieldChange(key, label, old, new, hidden=False))
    return AuditView(
        row,
        ACTION_LABELS.get(row.action, row.action),
        ENTITY_LABELS.get(row.entity, row.entity),
        changes,
    )


def redacted(row: AuditRow, role: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The row's before and after with what the role may not read replaced by a mark: 「（変更あり・
    非表示）」 where the value changed, 「（非表示）」 where it did not (the stored row is untouched)."""
    keys = set(row.before or {}) | set(row.after or {})
    hidden = hidden_fields(row.entity, keys, role)
    if not hidden:
        return row.before, row.after

    def mask(side: dict[str, Any] | None) -> dict[str, Any] | None:
        if side is None:
            return None
        return {
            k: (HIDDEN_MARK if _changed(k, row.before, row.after) else "（非表示）") if k in hidden else v
            for k, v in side.items()
        }

    return mask(row.before), mask(row.after)


def to_csv(rows: list[AuditRow], *, role: str) -> str:
    """The rows as CSV for this role (UTF-8 with a BOM; formula cells neutralised; hidden fields masked)."""

    def line(row: AuditRow) -> list[Any]:
        before, after = redacted(row, role)
        return [
            row.id,
            row.at.isoformat(),
            row.actor,
            row.action,
            row.entity,
            row.entity_id,
            json.dumps(before, ensure_ascii=False) if before is not None else "",
            json.dumps(after, ensure_ascii=False) if after is not None else "",
        ]

    header = ["id", "at", "actor", "action", "entity", "entity_id", "before", "after"]
    return write_csv(header, (line(row) for row in rows))
