"""Importing needs profiles from JSONL/CSV, the PII guard included."""

import psycopg

from matcher.importing import parse_file
from matcher.profiles.model import NeedsProfile
from matcher.profiles.store import save_profiles


def import_profiles(conn: psycopg.Connection, data: bytes, filename: str) -> list[str]:
    """Validates the whole file, then upserts it in one transaction; returns the summary lines."""
    records = [record for _line, record in parse_file(data, filename, NeedsProfile)]
    counts = save_profiles(conn, records)
    return [f"{filename}: ニーズプロファイル {len(records)}件を読み込みました（{counts.summary()}）"]
