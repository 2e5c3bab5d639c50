"""Importing needs profiles from JSONL/CSV, the PII guard included, every change audited."""

import psycopg

from matcher.core.importing import parse_file
from matcher.core.storage import audit_changes
from matcher.profiles.model import NeedsProfile
from matcher.profiles.store import profiles_by_ids, save_profiles


def import_profiles(
    conn: psycopg.Connection, data: bytes, filename: str, *, actor: str = "import"
) -> list[str]:
    """Validates the whole file, then upserts it in one transaction; returns the summary lines."""
    records = [record for _line, record in parse_file(data, filename, NeedsProfile)]
    with conn.transaction():
        before = profiles_by_ids(conn, [r.id for r in records])
        counts = save_profiles(conn, records)
        audit_changes(conn, counts=counts, records=records, before=before, entity="profile", actor=actor)
    return [f"{filename}: ニーズプロファイル {len(records)}件を読み込みました（{counts.summary()}）"]
