"""Needs profiles in PostgreSQL."""

from collections.abc import Iterable, Iterator
from typing import Any

import psycopg
from psycopg.rows import dict_row

from matcher.core.schedule import TimeSlot
from matcher.core.storage import UpsertCounts, upsert_all
from matcher.profiles.model import NeedsProfile
from matcher.sql import queries

SQL = queries("profiles")
JSON_FIELDS = ("availability",)


def save_profiles(conn: psycopg.Connection, profiles: Iterable[NeedsProfile]) -> UpsertCounts:
    """Upserts profiles by id in one transaction."""
    return upsert_all(conn, SQL.upsert, profiles, JSON_FIELDS)


def iter_profiles(conn: psycopg.Connection, *, trusted: bool = False) -> Iterator[NeedsProfile]:
    """Every profile in id order; trusted=True skips re-validating what the database holds (bulk reads)."""
    with conn.cursor(row_factory=dict_row) as cur:
        for row in cur.execute(SQL.all):
            yield _trusted(row) if trusted else NeedsProfile.model_validate(row)


def _trusted(row: dict[str, Any]) -> NeedsProfile:
    slots = [TimeSlot.model_construct(**slot) for slot in row["availability"]]
    return NeedsProfile.model_construct(**(row | {"availability": slots}))


def get_profile(conn: psycopg.Connection, *, profile_id: str) -> NeedsProfile | None:
    """One profile, or None."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(SQL.get, {"id": profile_id}).fetchone()
    return NeedsProfile.model_validate(row) if row else None


def count_profiles(conn: psycopg.Connection) -> int:
    """How many profiles there are."""
    row = conn.execute(SQL.count).fetchone()
    return int(row[0]) if row else 0


def profiles_by_ids(conn: psycopg.Connection, ids: list[str]) -> dict[str, NeedsProfile]:
    """The profiles with these ids that exist."""
    with conn.cursor(row_factory=dict_row) as cur:
        return {row["id"]: NeedsProfile.model_validate(row) for row in cur.execute(SQL.by_ids, {"ids": ids})}
