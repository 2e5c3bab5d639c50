"""The append-only audit log: who changed what, when, with the before and after (domain.md §7).

Rows can only be added: a trigger in the database refuses UPDATE, DELETE and TRUNCATE for every role.
"""

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
