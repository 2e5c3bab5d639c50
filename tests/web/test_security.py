"""Security of our own code: headers, login rate limiting, and escaping of everything people write."""

import re
from datetime import date

import psycopg
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from matcher.accounts.users import create_user, ensure_demo_accounts
from matcher.config import Settings
from matcher.matching.rejections import reject
from matcher.profiles.service import update_profile
from matcher.profiles.store import get_profile
from matcher.registry.service import replace_resource
from matcher.registry.store import get_resource
from tests.conftest import active_placement
from tests.web.browser import browser_page, shot, sign_in
from tests.web.conftest import WebUser

PAYLOAD = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">'


def test_every_response_carries_the_security_headers(anonymous: TestClient, coordinator: WebUser) -> None:
    for response in (anonymous.get("/login"), coordinator.get("/"), anonymous.get("/api/profiles/p01")):
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["x-content-type-options"] == "nosniff"
    assert anonymous.get("/docs").status_code == 404  # the CDN-based API console is not served


def login(client: TestClient, name: str, password: str) -> int:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)[1]
    return client.post(
        "/login", data={"name": name, "password": password, "csrf_token": token}, follow_redirects=False
    ).status_code


def test_repeated_failed_logins_are_refused_for_a_while_with_a_clear_message(anonymous: TestClient) -> None:
    for _ in range(5):
        assert login(anonymous, "coordinator", "wrong-password!") == 401
    assert login(anonymous, "coordinator", "demo-coordinator-pass") == 429
    page = anonymous.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    refused = anonymous.post("/login", data={"name": "coordinator", "password": "x", "csrf_token": token})
    assert "ログインの失敗が続いたため、しばらく受け付けません。15分ほど待ってから" in refused.text


def test_a_success_clears_the_failures(anonymous: TestClient) -> None:
    for _ in range(3):
        login(anonymous, "coordinator", "wrong-password!")
    assert login(anonymous, "coordinator", "demo-coordinator-pass") == 303
    for _ in range(4):
        assert login(anonymous, "coordinator", "wrong-password!") == 401


@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::DeprecationWarning")
def test_script_written_into_every_free_text_field_never_runs(
    live_server: str, seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    ensure_demo_accounts(seeded_conn)
    listing = get_resource(seeded_conn, resource_id="r02")
    replace_resource(
        seeded_conn,
        listing.model_copy(
            update={"name": f"古書店{PAYLOAD}", "description": PAYLOAD, "area": f"中央{PAYLOAD}"}
        ),
        actor="t",
    )
    profile = get_profile(seeded_conn, profile_id="p02")
    update_profile(
        seeded_conn, profile.model_copy(update={"interests": PAYLOAD, "narrative": PAYLOAD}), actor="t"
    )
    active_placement(
        seeded_conn,
        seeded_settings,
        actor="t",
        consent_date=date.today(),
        host_note=PAYLOAD,
        frequency=PAYLOAD,
        rating=3,
        note=PAYLOAD,
    )
    reject(seeded_conn, profile_id="p02", resource_id="r01", reason=PAYLOAD, by="t")
    create_user(seeded_conn, name=f"名前{PAYLOAD}", role="coordinator", actor="t")
    seeded_conn.commit()
    pages = {
        ("coordinator", "demo-coordinator-pass"): [
            "/",
            "/profiles",
            "/profiles/p02",
            "/profiles/p02/edit",
            "/resources",
        ],
        ("host", "demo-host-pass"): ["/", "/host/listings/r02"],
        ("admin", "demo-admin-pass"): ["/admin/users", "/admin/audit", "/resources"],
    }
    for (name, password), paths in pages.items():
        with browser_page(live_server) as page:
            sign_in(page, name, password)
            for path in paths:
                page.goto(path)
                expect(page.locator("main")).to_be_visible()
                assert page.evaluate("window.__xss") is None, (name, path)
                assert page.locator("main script").count() == 0, (name, path)
                assert "&lt;script&gt;window.__xss=1" in page.content(), (name, path)  # shown as text
            shot(page, f"security-{name}")
