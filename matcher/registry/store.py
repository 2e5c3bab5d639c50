"""Listings in PostgreSQL."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg
from psycopg.rows import dict_row

from matcher.core import rows
from matcher.core.paging import Search
from matcher.core.storage import UpsertCounts, params, upsert_all
from matcher.registry.model import Resource
from matcher.sql import queries

SQL = queries("registry")
JSON_FIELDS = ("schedule",)


def save_resources(
    conn: psycopg.Connection, resources: Iterable[Resource], *, source: str | None
) -> UpsertCounts:
    """Upserts listings by id in one transaction (source None keeps an existing listing's source)."""
    return upsert_all(conn, SQL.upsert, resources, JSON_FIELDS, source=source, replace=True)


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
    return rows.count(conn, SQL.count)


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
    return rows.count(conn, SQL.reserved_places, {"id": resource_id})


def set_assured(conn: psycopg.Connection, *, resource_id: str, when: date) -> None:
    """Sets a listing's 確認日, touching nothing else of it."""
    conn.execute(SQL.assure, {"id": resource_id, "when": when})


def insert_resource(conn: psycopg.Connection, resource: Resource, *, source: str) -> bool:
    """Adds a new listing; False (nothing written) when one with its id already exists."""
    new = params(resource, JSON_FIELDS, source=source, replace=False)
    return conn.execute(SQL.upsert, new).fetchone() is not None


def listing_choices(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Every listing's id, name, kind, programme, area, address, status and source, by area and name."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(SQL.choices).fetchall()


def listing_source(conn: psycopg.Connection, *, resource_id: str) -> dict[str, Any] | None:
    """Where a listing came from and when it was registered and last changed, or None."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(SQL.source_of, {"id": resource_id}).fetchone()


def placement_counts(conn: psycopg.Connection, *, resource_id: str) -> list[tuple[str, str, int]]:
    """(status, end reason or '', count) of a listing's placements, cancelled ones left out."""
    rows = conn.execute(SQL.placement_counts, {"id": resource_id}).fetchall()
    return [(str(status), str(reason), int(n)) for status, reason, n in rows]


def host_accounts(conn: psycopg.Connection, *, resource_id: str) -> list[str]:
    """The names of the host accounts tied to a listing."""
    return [str(row[0]) for row in conn.execute(SQL.hosts_of, {"id": resource_id})]


# --- Finding listings: search, filters, order and pages, all in SQL (query `find`) -------------------

# The orders the registry list offers; `find` holds the same codes (an unknown one falls back to kind).
LISTING_SORTS = {
    "kind": "場の種類順",
    "name": "名称順",
    "area": "圏域・地区順",
    "assured": "確認日が古い順",
    "open": "受け入れ可能数が多い順",
}
NO_PROGRAMME = "none"  # the programme filter's value for listings that are not an existing programme


@dataclass(frozen=True)
class ListingSearch(Search):
    """What the registry list asks for: words, filters (None: any), an order and a page."""

    area: str | None = None
    kind: str | None = None
    programme: str | None = None
    status: str | None = None
    sort: str = "kind"


def find_resources(
    conn: psycopg.Connection, wanted: ListingSearch, *, only: list[str] | None = None
) -> tuple[list[dict[str, Any]], int]:
    """One page of registry rows matching the search (among `only`, when given) and how many match."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(SQL.find, wanted.params() | {"only": only}).fetchall()
    total = int(rows[0]["total"]) if rows else 0
    return [row for row in rows if row["id"] is not None], total


def listing_areas(conn: psycopg.Connection, *, only: list[str] | None = None) -> list[str]:
    """The areas of the listings (among `only`, when given), for the registry's filter."""
    return [row[0] for row in conn.execute(SQL.find_areas, {"only": only})]
