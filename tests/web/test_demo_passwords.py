"""The demo accounts' passwords are printed in the README: outside the demo they open nothing."""

import re

import psycopg
import pytest
from fastapi.testclient import TestClient

from matcher.accounts.users import DEMO_ACCOUNTS, ensure_demo_accounts, set_password
from matcher.config import Settings, get_settings
from tests.conftest import Cli
from web.app import create_app


def _login(client: TestClient, name: str, password: str) -> tuple[int, str]:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    response = client.post(
        "/login", data={"name": name, "password": password, "csrf_token": token[1]}, follow_redirects=False
    )
    return response.status_code, response.text


@pytest.fixture
def demo_login(seeded_conn: psycopg.Connection) -> tuple[str, str]:
    """The first demo account's name and the password the README prints for it, the accounts created."""
    ensure_demo_accounts(seeded_conn)
    seeded_conn.commit()
    name, _role, password, _ = DEMO_ACCOUNTS[0]
    return name, password


def test_outside_the_demo_a_demo_password_is_refused_and_a_real_one_works(
    seeded_settings: Settings, seeded_conn: psycopg.Connection, demo_login: tuple[str, str]
) -> None:
    name, password = demo_login
    production = seeded_settings.model_copy(update={"demo": False})
    with TestClient(create_app(production)) as client:
        status, text = _login(client, name, password)
        assert status == 401 and "デモ用のパスワードはデモ以外では使えません" in text
        assert client.get("/", follow_redirects=False).status_code in (303, 401)
    set_password(seeded_conn, name=name, password="a-real-password-42")
    seeded_conn.commit()
    with TestClient(create_app(production)) as client:
        assert _login(client, name, "a-real-password-42")[0] == 303
    with TestClient(create_app(seeded_settings.model_copy(update={"demo": True}))) as client:
        assert _login(client, name, password)[0] == 401  # the demo password was replaced


def test_in_the_demo_the_demo_password_works(seeded_settings: Settings, demo_login: tuple[str, str]) -> None:
    name, password = demo_login
    with TestClient(create_app(seeded_settings.model_copy(update={"demo": True}))) as client:
        assert _login(client, name, password)[0] == 303


def test_demo_accounts_are_created_only_in_the_demo(seeded_cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MATCHER_DEMO", raising=False)
    get_settings.cache_clear()
    result = seeded_cli("demo-accounts")
    assert result.exit_code == 1 and "MATCHER_DEMO=1" in result.stderr
    monkeypatch.setenv("MATCHER_DEMO", "1")
    get_settings.cache_clear()
    assert seeded_cli("demo-accounts").exit_code == 0
