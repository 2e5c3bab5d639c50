"""The municipality's areas (圏域) and their centroids: where a profile is placed, never a home."""

import json
from dataclasses import dataclass

import psycopg

from matcher.sql import queries

SQL = queries("areas")


@dataclass(frozen=True)
class Area:
    """An area and its centroid."""

    name: str
    lat: float
    lon: float


def all_areas(conn: psycopg.Connection) -> list[Area]:
    """Every area, by name."""
    return [Area(*row) for row in conn.execute(SQL.all)]


def save_areas(conn: psycopg.Connection, text: str) -> int:
    """Upserts areas from JSON Lines {name, lat, lon}; returns how many."""
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(SQL.upsert, rows)
    return len(rows)
