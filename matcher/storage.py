"""Writing validated records with named upserts, counting what changed."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from pydantic import BaseModel


@dataclass
class UpsertCounts:
    """How many records an upsert added, changed and left as they were."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

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
            cur.execute(query, params(record, json_fields, **extra))  # type: ignore[arg-type]
            row = cur.fetchone()
            if row is None:
                counts.unchanged += 1
            elif row[0]:
                counts.inserted += 1
            else:
                counts.updated += 1
    return counts
