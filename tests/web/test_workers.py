"""`matcher serve --workers 2`: every process sees the same sessions, imports and their progress."""

import httpx
import psycopg

from matcher.accounts.users import ensure_demo_accounts
from matcher.config import Settings
from tests.web.conftest import WebUser, serving
from tests.web.test_admin_console import HAKODATE_A, upload


def test_two_server_processes_share_sessions_and_import_progress(
    seeded_settings: Settings, seeded_conn: psycopg.Connection
) -> None:
    ensure_demo_accounts(seeded_conn)
    seeded_conn.commit()
    # a new connection per request, so requests spread over both processes
    no_reuse = httpx.Limits(max_keepalive_connections=0)
    with (
        serving(seeded_settings, "--workers", "2") as base,
        httpx.Client(base_url=base, timeout=60, limits=no_reuse) as client,
    ):
        admin = WebUser(client, "admin", "demo-admin-pass")  # type: ignore[arg-type]
        status, page = upload(admin, "wamnet", HAKODATE_A.name, HAKODATE_A.read_bytes())
        assert status == 200 and "完了しました" in page, page
        for _ in range(10):  # whichever process answers, the import and its report are there
            listed = admin.get("/admin/imports")
            assert listed.status_code == 200 and HAKODATE_A.name in listed.text
    imported = seeded_conn.execute(
        "select count(*) from resource where source = 'wamnet' and area like '函館市%'"
    )
    assert imported.fetchone()[0] > 0
