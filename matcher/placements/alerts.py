"""What a coordinator should act on now: a host's answer past its due date, an acceptance waiting for
the next step, a decline to take note of, a placement that has stalled (no step for longer than its
state allows: Settings.stall_days)."""

from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from matcher.config import Settings
from matcher.placements.model import Placement
from matcher.sql import queries

SQL = queries("placements")
DECLINES_SHOWN_DAYS = 14
KIND_LABELS = {
    "overdue": "返答の期限切れ",
    "accepted": "受け入れの返答あり",
    "declined": "受け入れ先が辞退",
    "stalled": "動きがない",
}
NEXT_STEP = {
    "overdue": "受け入れ先に連絡するか、ほかの提案を検討してください",
    "accepted": "見学・体験の日程を調整して記録してください",
    "declined": "ほかの提案を検討してください（この社会資源は提案から外してあります）",
    "stalled": "次の一歩を記録するか、終了・取り消しを検討してください",
}


@dataclass(frozen=True)
class Alert:
    """One placement needing the coordinator, and why."""

    kind: str
    placement: Placement

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def next_step(self) -> str:
        return NEXT_STEP[self.kind]

    def days_since_step(self, now: datetime) -> int:
        """Days since the placement's last step."""
        last = self.placement.last_step_at
        return (now - last).days if last else 0


def needing_attention(
    conn: psycopg.Connection, settings: Settings, *, coordinator: str | None = None
) -> list[Alert]:
    """The alerts, oldest first; a coordinator's own placements (those they confirmed) first."""
    params = {"recent_days": DECLINES_SHOWN_DAYS, "stall_days": Jsonb(settings.stall_days)}
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(SQL.needing_attention, params).fetchall()
    alerts = [Alert(row.pop("kind"), Placement(**row)) for row in rows]
    return sorted(alerts, key=lambda a: a.placement.confirmed_by != coordinator)
