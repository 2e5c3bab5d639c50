"""Listings in PostgreSQL."""

from collections.abc import Iterable, Iterator
from typing import Any

import psycopg
from psycopg.rows import dict_row

from matcher.registry.model import Resource
from matcher.sql import queries
from matcher.storage import UpsertCounts, upsert_all

SQL = queries("registry")
JSON_FIELDS = ("schedule",)


def save_resources(
    conn: psycopg.Connection, resources: Iterable[Resource], *, source: str | None
) -> UpsertCounts:
    """Upserts listings by id in one transaction (source None keeps an existing listing's source)."""
    return upsert_all(conn, SQL.upsert, resources, JSON_FIELDS, source=source)


def iter_resources(conn: psycopg.Connection) -> Iterator[Resource]:
    """Every listing in id order."""
    with conn.cursor(row_factory=dict_row) as cur:
        for row in cur.execute(SQL.all):
            yield Resource.model_validate(row)


def get_resource(conn: psycopg.Connection, *, resource_id: str) -> Resource | None:
    """One listing, or None."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(SQL.get, {"id": resource_id}).fetchone()
    return Resource.model_validate(row) if row else None


def resource_summaries(
    conn: psycopg.Connection, *, limit: int = 500, only: list[str] | None = None
) -> list[dict[str, Any]]:
    """Rows for a registry table: every listing, or only those named."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(SQL.summary, {"limit": limit, "only": only}).fetchall()


def count_resources(conn: psycopg.Connection) -> int:
    """How many listings there are."""
    row = conn.execute(SQL.count).fetchone()
    return int(row[0]) if row else 0


def resources_by_ids(conn: psycopg.Connection, ids: list[str]) -> dict[str, Resource]:
    """The listings with these ids that exist."""
    with conn.cursor(row_factory=dict_row) as cur:
        return {row["id"]: Resource.model_validate(row) for row in cur.execute(SQL.by_ids, {"ids": ids})}
