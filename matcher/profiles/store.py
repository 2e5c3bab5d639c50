"""Needs profiles in PostgreSQL."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row

from matcher.core import rows
from matcher.core.paging import Search
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
    return rows.count(conn, SQL.count)


def profiles_by_ids(conn: psycopg.Connection, ids: list[str]) -> dict[str, NeedsProfile]:
    """The profiles with these ids that exist."""
    with conn.cursor(row_factory=dict_row) as cur:
        return {row["id"]: NeedsProfile.model_validate(row) for row in cur.execute(SQL.by_ids, {"ids": ids})}


# --- Finding profiles: search, filters, order and pages, all in SQL (query `find`) -------------------

# The orders the profile list offers; `find` holds the same codes (an unknown one falls back to id).
PROFILE_SORTS = {
    "id": "コード順",
    "updated": "更新が新しい順",
    "area": "圏域順",
    "stage": "段階順",
    "coordinator": "担当順",
}


@dataclass(frozen=True)
class ProfileSearch(Search):
    """What the profile list asks for: words, filters (None: any), an order and a page.

    coordinator_id: only one coordinator's cases; unassigned: only profiles nobody is 担当 of."""

    area: str | None = None
    status: str | None = None
    coordinator_id: int | None = None
    unassigned: bool = False
    sort: str = "id"


def find_profiles(conn: psycopg.Connection, wanted: ProfileSearch) -> tuple[list[dict[str, Any]], int]:
    """One page of profile-list rows (with each 担当's name) matching the search, and how many match."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(SQL.find, wanted.params()).fetchall()
    total = int(rows[0]["total"]) if rows else 0
    return [row for row in rows if row["id"] is not None], total


def profile_areas(conn: psycopg.Connection) -> list[str]:
    """The areas profiles are in, for the list's filter."""
    return [row[0] for row in conn.execute(SQL.areas)]


@dataclass(frozen=True)
class Coordinator:
    """An account that can be 担当 of a profile."""

    id: int
    name: str


def coordinators(conn: psycopg.Connection) -> list[Coordinator]:
    """Every coordinator account that is not disabled, by name."""
    return [Coordinator(int(row[0]), str(row[1])) for row in conn.execute(SQL.coordinators)]


def coordinator_of(conn: psycopg.Connection, *, profile_id: str) -> Coordinator | None:
    """A profile's 担当, or None (also when there is no such profile)."""
    row = conn.execute(SQL.coordinator, {"id": profile_id}).fetchone()
    return Coordinator(int(row[0]), str(row[1])) if row and row[0] is not None else None
