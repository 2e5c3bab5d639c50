"""Importing listings: our own JSONL/CSV and WAM NET open data, every change audited."""

import psycopg

from matcher.core.importing import parse_file
from matcher.core.storage import UpsertCounts, audit_changes
from matcher.registry import wamnet
from matcher.registry.model import Resource
from matcher.registry.store import resources_by_ids, save_resources


def save_audited(
    conn: psycopg.Connection, records: list[Resource], *, source: str, actor: str
) -> UpsertCounts:
    """Upserts listings in one transaction with an audit row for each one added or changed."""
    with conn.transaction():
        before = resources_by_ids(conn, [r.id for r in records])
        counts = save_resources(conn, records, source=source)
        audit_changes(conn, counts=counts, records=records, before=before, entity="resource", actor=actor)
    return counts


def import_resources(
    conn: psycopg.Connection, data: bytes, filename: str, *, source: str = "registry", actor: str = "import"
) -> list[str]:
    """Validates the whole file, then upserts it in one transaction; returns the summary lines."""
    records = [record for _line, record in parse_file(data, filename, Resource)]
    counts = save_audited(conn, records, source=source, actor=actor)
    return [f"{filename}: 社会資源 {len(records)}件を読み込みました（{counts.summary()}）"]


def import_hsds(conn: psycopg.Connection, data: bytes, filename: str, *, actor: str = "import") -> list[str]:
    """Reads Open Referral HSDS 3 services and upserts them as listings in one transaction."""
    from matcher.registry import hsds

    records, defaulted = hsds.parse_services(data, filename)
    counts = save_audited(conn, records, source="hsds", actor=actor)
    lines = [f"{filename}: HSDS のサービス {len(records)}件を読み込みました（{counts.summary()}）"]
    if defaulted:
        lines.append(
            f"うち {defaulted}件は種類・対人接触・身体的負荷・謝礼の属性がなく既定値を入れました。"
            "受け入れ先に内容の確認を依頼してください"
        )
    return lines


def import_wamnet(
    conn: psycopg.Connection, data: bytes, filename: str, *, city: str | None = None, actor: str = "import"
) -> list[str]:
    """Converts a WAM NET CSV and upserts the listings in one transaction; returns the summary lines."""
    report = wamnet.convert(data, filename, city=city)
    counts = save_audited(conn, report.resources, source="wamnet", actor=actor)
    return [f"{filename}: WAM NET {counts.summary()}", *report.lines()]
