"""Listings in PostgreSQL."""

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

import psycopg
from psycopg.rows import dict_row

from matcher.core.storage import UpsertCounts, upsert_all
from matcher.registry.model import Resource
from matcher.sql import queries

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


def _versioned(conn: psycopg.Connection, query: Any, resource_id: str) -> tuple[Resource, int] | None:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(query, {"id": resource_id}).fetchone()
    if row is None:
        return None
    version = int(row.pop("version"))
    return Resource.model_validate(row), version


def get_versioned(conn: psycopg.Connection, *, resource_id: str) -> tuple[Resource, int] | None:
    """One listing and its version (every change to the listing moves it on), or None."""
    return _versioned(conn, SQL.get_versioned, resource_id)


def lock_resource(conn: psycopg.Connection, *, resource_id: str) -> tuple[Resource, int] | None:
    """One listing and its version, its row locked until the transaction ends; None when there is none."""
    return _versioned(conn, SQL.get_for_update, resource_id)


def reserved_places(conn: psycopg.Connection, *, resource_id: str) -> int:
    """How many of a listing's places placements still under way hold."""
    row = conn.execute(SQL.reserved_places, {"id": resource_id}).fetchone()
    return int(row[0]) if row else 0


def set_assured(conn: psycopg.Connection, *, resource_id: str, when: date) -> None:
    """Sets a listing's 確認日, touching nothing else of it."""
    conn.execute(SQL.assure, {"id": resource_id, "when": when})
