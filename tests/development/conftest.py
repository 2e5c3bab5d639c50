"""Helpers for the 開拓 tests: accounts as the domain sees them, and a published gap report."""

import psycopg
import pytest

from matcher.accounts.users import User
from tests.web.conftest import admin, app, coordinator, host, member  # noqa: F401  (the web fixtures)

COORDINATOR = User(id=0, name="coordinator", role="coordinator")
ADMIN = User(id=0, name="admin", role="admin")
HOST = User(id=0, name="host", role="provider", resource_ids=frozenset({"r01", "r02"}))
WEEK = "2026-W10"


def publish_gaps(conn: psycopg.Connection, *groups: tuple[int, str, int, str]) -> None:
    """A published week whose gap report holds these (cluster, area, size, label) groups."""
    conn.execute("insert into batch_run (week, status, published_at) values (%s, 'done', now())", [WEEK])
    for cluster, area, size, label in groups:
        conn.execute(
            "insert into gap_cluster (week, cluster, area, size, label, top_constraint, constraint_share,"
            " profile_ids) values (%s, %s, %s, %s, %s, 'schedule', 0.6, %s)",
            [WEEK, cluster, area, size, label, [f"p{i:02d}" for i in range(1, size + 1)]],
        )
    conn.commit()


def count(conn: psycopg.Connection, query: str, *params: object) -> int:
    row = conn.execute(query, list(params)).fetchone()
    conn.commit()
    assert row is not None
    return int(row[0])


@pytest.fixture
def gap_report(seeded_conn: psycopg.Connection) -> None:
    """Week 2026-W10: 北部圏域 4 people wanting quiet morning outdoor work, and a hidden group of 2."""
    publish_gaps(seeded_conn, (1, "北部圏域", 4, "朝・屋外・静か"), (2, "東部圏域", 2, "夜・調理"))
