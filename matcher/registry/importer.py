"""Importing listings: our own JSONL/CSV and WAM NET open data."""

import psycopg

from matcher.importing import parse_file
from matcher.registry import wamnet
from matcher.registry.model import Resource
from matcher.registry.store import save_resources


def import_resources(
    conn: psycopg.Connection, data: bytes, filename: str, *, source: str = "registry"
) -> list[str]:
    """Validates the whole file, then upserts it in one transaction; returns the summary lines."""
    records = [record for _line, record in parse_file(data, filename, Resource)]
    counts = save_resources(conn, records, source=source)
    return [f"{filename}: 社会資源 {len(records)}件を読み込みました（{counts.summary()}）"]


def import_wamnet(
    conn: psycopg.Connection, data: bytes, filename: str, *, city: str | None = None
) -> list[str]:
    """Converts a WAM NET CSV and upserts the listings in one transaction; returns the summary lines."""
    report = wamnet.convert(data, filename, city=city)
    counts = save_resources(conn, report.resources, source="wamnet")
    return [f"{filename}: WAM NET {counts.summary()}", *report.lines()]
