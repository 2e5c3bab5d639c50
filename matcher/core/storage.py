"""Writing validated records with named upserts, counting what changed."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from pydantic import BaseModel

from matcher.accounts import audit


@dataclass
class UpsertCounts:
    """How many records an upsert added, changed and left as they were, and which ids changed."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    changed: list[tuple[str, bool]] = field(default_factory=list)  # (id, newly inserted)

    def summary(self) -> str:
        """Japanese one-line summary."""
        return f"追加 {self.inserted}件、更新 {self.updated}件、変更なし {self.unchanged}件"


def params(record: BaseModel, json_fields: tuple[str, ...], **extra: Any) -> dict[str, Any]:
    """Query parameters of a record; json_fields are sent as jsonb."""
    values = record.model_dump()
    for key in json_fields:
        values[key] = Jsonb(values[key])
    return values | extra


def upsert_all(
    conn: psycopg.Connection,
    query: str,
    records: Iterable[BaseModel],
    json_fields: tuple[str, ...],
    **extra: Any,
) -> UpsertCounts:
    """Upserts every record in one transaction; all or nothing."""
    counts = UpsertCounts()
    with conn.transaction(), conn.cursor() as cur:
        for record in records:
            cur.execute(query, params(record, json_fields, **extra))
            row = cur.fetchone()
            if row is None:
                counts.unchanged += 1
                continue
            counts.changed.append((row[0], row[1]))
            if row[1]:
                counts.inserted += 1
            else:
                counts.updated += 1
    return counts


def audit_changes(
    conn: psycopg.Connection,
    *,
    counts: UpsertCounts,
    records: Iterable[Any],
    before: Mapping[str, BaseModel],
    entity: str,
    actor: str,
) -> None:
    """One audit row per record an import added or changed, with what it was before."""
    by_id = {str(r.id): r for r in records}
    for record_id, inserted in counts.changed:
        audit.record(
            conn,
            actor=actor,
            action="import",
            entity=entity,
            entity_id=record_id,
            before=None if inserted else before.get(record_id),
            after=by_id[record_id],
        )
