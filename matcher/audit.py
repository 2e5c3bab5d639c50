"""The append-only audit log: who changed what, when, with the before and after (domain.md §7).

Rows can only be added: a trigger in the database refuses UPDATE, DELETE and TRUNCATE for every role.
"""

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel

from matcher.sql import queries

SQL = queries("audit")


def snapshot(value: BaseModel | dict[str, Any] | None) -> dict[str, Any] | None:
    """A JSON-able copy of a record for the log."""
    if value is None:
        return None
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in value.items()}


def record(
    conn: psycopg.Connection,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: BaseModel | dict[str, Any] | None = None,
    after: BaseModel | dict[str, Any] | None = None,
) -> None:
    """Appends one row; call it inside the transaction that makes the change."""
    conn.execute(
        SQL.insert,
        {
            "actor": actor,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "before": Jsonb(snapshot(before)),
            "after": Jsonb(snapshot(after)),
        },
    )


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


def to_csv(rows: list[AuditRow]) -> str:
    """The rows as CSV (UTF-8 with a BOM so that spreadsheet software reads Japanese)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "at", "actor", "action", "entity", "entity_id", "before", "after"])
    for row in rows:
        writer.writerow(
            [
                row.id,
                row.at.isoformat(),
                row.actor,
                row.action,
                row.entity,
                row.entity_id,
                json.dumps(row.before, ensure_ascii=False) if row.before is not None else "",
                json.dumps(row.after, ensure_ascii=False) if row.after is not None else "",
            ]
        )
    return "\ufeff" + out.getvalue()
