"""The login limit (issue 12): a burst checks no more passwords than the limit, a locked account does not
lock the others of the same address, X-Forwarded-For and -Proto count only from a configured proxy; the
session cookie is Secure over HTTPS; a host cannot tell other hosts' referrals from missing ones."""

import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from matcher.config import Settings, get_settings
from tests.conftest import Cli
from tests.web.conftest import WebUser, api_token
from tests.web.test_host_portal import refer_p02_to_r02
from web.app import create_app

TRIES = 40


def login_form(client: httpx.Client | TestClient) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert found
    return found[1]


def try_login(client: httpx.Client | TestClient, name: str, password: str, **kwargs: Any) -> Any:
    token = login_form(client)
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": token},
        follow_redirects=False,
        **kwargs,
    )


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_a_burst_of_tries_checks_no_more_passwords_than_the_limit(live_server: str, app: FastAPI) -> None:
    """40 simultaneous wrong tries against a limit of 5: exactly 5 passwords are checked (401), the rest
    are refused unchecked (429); the host's right password from the same address still signs in."""
    clients = [httpx.Client(base_url=live_server, timeout=60) for _ in range(TRIES)]
    tokens = [login_form(client) for client in clients]
    start = threading.Barrier(TRIES)
    statuses: list[int] = []

    def attack(client: httpx.Client, token: str) -> None:
        start.wait()
        response = client.post(
            "/login",
            data={"name": "coordinator", "password": "wrong-password!", "csrf_token": token},
            follow_redirects=False,
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=attack, args=pair) for pair in zip(clients, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for client in clients:
        client.close()
    counts = Counter(statuses)
    assert counts == {401: 5, 429: TRIES - 5}, counts
    with httpx.Client(base_url=live_server, timeout=30) as browser:
        assert try_login(browser, "coordinator", "demo-coordinator-pass").status_code == 429
        assert try_login(browser, "host", "demo-host-pass").status_code == 303  # same office address


@contextmanager
def browser(
    settings: Settings, peer: str, base_url: str = "http://testserver", **changes: Any
) -> Iterator[TestClient]:
    """A TestClient whose direct peer is `peer`, on an app with these settings changed."""
    with TestClient(
        create_app(settings.model_copy(update=changes)), base_url=base_url, client=(peer, 50000)
    ) as client:
        yield client


def test_a_shared_address_locks_only_after_many_failures(app: FastAPI) -> None:
    """Failures of one account lock that account only; the address as a whole is refused after
    login_address_attempts failed checks (here 8) whatever names were tried."""
    settings = app.state.settings
    with browser(settings, "192.0.2.10", login_address_attempts=8) as office:
        for _ in range(6):
            try_login(office, "coordinator", "wrong-password!")
        assert try_login(office, "admin", "demo-admin-pass").status_code == 303
        for name in ("nobody-1", "nobody-2", "nobody-3"):  # 5 + 3 = 8 failed checks from the address
            assert try_login(office, name, "wrong-password!").status_code == 401
        assert try_login(office, "host", "demo-host-pass").status_code == 429
    with browser(settings, "192.0.2.11", login_address_attempts=8) as elsewhere:
        assert try_login(elsewhere, "host", "demo-host-pass").status_code == 303


def address_keys(conn: psycopg.Connection) -> set[str]:
    conn.commit()
    return {row[0] for row in conn.execute("select key from login_attempt where kind = 'address'")}


def test_forwarded_for_counts_only_from_a_trusted_proxy(
    app: FastAPI, seeded_conn: psycopg.Connection
) -> None:
    settings = app.state.settings
    with browser(settings, "203.0.113.7") as direct:  # no proxy configured: the header is ignored
        for i in range(6):
            response = try_login(
                direct, "coordinator", "wrong-password!", headers={"X-Forwarded-For": f"198.51.100.{i}"}
            )
        assert response.status_code == 429
    assert address_keys(seeded_conn) == {"203.0.113.7"}
    with browser(settings, "10.0.0.2", trusted_proxies=["10.0.0.0/8"]) as proxied:
        forwarded = {"X-Forwarded-For": "198.51.100.99, 10.0.0.5"}  # client, then an inner proxy
        assert try_login(proxied, "nobody", "wrong-password!", headers=forwarded).status_code == 401
    assert address_keys(seeded_conn) == {"203.0.113.7", "198.51.100.99"}


def session_cookie(response: Any) -> str:
    return next(h for h in response.headers.get_list("set-cookie") if h.startswith("matcher_session="))


@pytest.mark.parametrize(
    ("peer", "base_url", "headers", "changes", "secure"),
    [
        ("192.0.2.1", "http://testserver", {}, {}, False),
        ("192.0.2.1", "https://testserver", {}, {}, True),
        ("192.0.2.1", "http://testserver", {"X-Forwarded-Proto": "https"}, {}, False),  # not a proxy
        (
            "10.0.0.2",
            "http://testserver",
            {"X-Forwarded-Proto": "https"},
            {"trusted_proxies": ["10.0.0.2"]},
            True,
        ),
        ("192.0.2.1", "https://testserver", {}, {"cookie_secure": False}, False),  # the override
        ("192.0.2.1", "http://testserver", {}, {"cookie_secure": True}, True),
    ],
)
def test_the_session_cookie_is_secure_when_served_over_https(
    app: FastAPI, peer: str, base_url: str, headers: dict[str, str], changes: dict[str, Any], secure: bool
) -> None:
    with browser(app.state.settings, peer, base_url, **changes) as client:
        client.headers.update(headers)
        token = login_form(client)
        # the test speaks plain HTTP to an app that believes it is behind HTTPS: hand back the form's
        # cookie as a browser talking HTTPS would, Secure or not
        csrf_cookie = next(c for c in client.cookies.jar if c.name == "matcher_login_csrf")
        assert csrf_cookie.secure is secure
        client.cookies.jar.clear()
        client.cookies.set("matcher_login_csrf", str(csrf_cookie.value))
        response = client.post(
            "/login",
            data={"name": "coordinator", "password": "demo-coordinator-pass", "csrf_token": token},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert ("; secure" in session_cookie(response).lower()) is secure


def test_another_hosts_referral_looks_like_a_missing_one(
    coordinator: WebUser,
    host: WebUser,
    seeded_conn: psycopg.Connection,
    api_client: TestClient,
    seeded_cli: Cli,
) -> None:
    placement_id = refer_p02_to_r02(coordinator, seeded_conn)
    seeded_conn.execute("delete from user_resource where resource_id = 'r02'")  # r02 is no longer this host's
    seeded_conn.commit()
    theirs = host.post(f"/host/referrals/{placement_id}/decline", {"reason": "他の人の紹介"})
    missing = host.post("/host/referrals/999999/decline", {"reason": "他の人の紹介"})
    assert theirs.status_code == missing.status_code == 404
    assert "この紹介はありません" in theirs.text
    provider = api_token(seeded_cli, "provider", "api-host", "r01")
    answer = {"accept": False, "reason": "定員のため"}
    theirs = api_client.post(f"/api/provider/referrals/{placement_id}/answer", headers=provider, json=answer)
    missing = api_client.post("/api/provider/referrals/999999/answer", headers=provider, json=answer)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert seeded_conn.execute(
        "select host_response from placement where id = %s", [placement_id]
    ).fetchone() == (None,)


def test_demo_accounts_prints_the_port_the_app_is_served_on(
    seeded_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = seeded_cli("demo-accounts", "--port", "9123")
    assert result.exit_code == 0 and "http://127.0.0.1:9123/login" in result.stdout, result.stdout
    monkeypatch.setenv("MATCHER_PORT", "9124")
    get_settings.cache_clear()
    result = seeded_cli("demo-accounts")
    assert "http://127.0.0.1:9124/login" in result.stdout, result.stdout
