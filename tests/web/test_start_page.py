"""The pages a user reaches after `make demo`: login, then Japanese pages served by the real server."""

import re

import httpx

from matcher.accounts.users import DEMO_ACCOUNTS
from matcher.config import Settings
from tests.conftest import run_matcher


def sign_in(client: httpx.Client, name: str, password: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)[1]
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": token})
    assert response.status_code == 303


def test_anonymous_visitors_are_sent_to_the_japanese_login_page(live_server: str) -> None:
    first = httpx.get(live_server + "/")
    assert first.status_code == 303 and first.headers["location"].startswith("/login")
    page = httpx.get(live_server + "/login")
    assert '<html lang="ja">' in page.text and "ログイン" in page.text


def test_demo_accounts_see_the_demo_registry_in_japanese(live_server: str, seeded_settings: Settings) -> None:
    created = run_matcher("demo-accounts", env={"MATCHER_DATABASE_URL": str(seeded_settings.database_url)})
    assert created.returncode == 0, created.stderr
    for name, _role, password, _resources in DEMO_ACCOUNTS:
        assert name in created.stdout and password in created.stdout
    with httpx.Client(base_url=live_server) as coordinator:
        sign_in(coordinator, "coordinator", "demo-coordinator-pass")
        dashboard = coordinator.get("/")
        assert "ダッシュボード" in dashboard.text and "支援中のニーズプロファイル" in dashboard.text
        registry = coordinator.get("/resources").text
    assert "まちなか縁側カフェ ほりかわ" in registry  # a demo listing
    assert "就労継続支援A型" in registry  # a WAM NET row's kind, in Japanese
    with httpx.Client(base_url=live_server) as admin:
        sign_in(admin, "admin", "demo-admin-pass")
        assert "管理者のページ" in admin.get("/").text
        assert "まちなか縁側カフェ ほりかわ" in admin.get("/resources").text


def test_htmx_and_styles_are_served_locally(live_server: str) -> None:
    html = httpx.get(live_server + "/login").text
    assert "/static/htmx.min.js" in html and "https://" not in html
    script = httpx.get(live_server + "/static/htmx.min.js")
    assert script.status_code == 200 and "htmx" in script.text
    assert httpx.get(live_server + "/static/style.css").status_code == 200
