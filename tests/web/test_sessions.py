"""Accounts and sessions: login, cookie flags, logout, CSRF, and roles enforced on the server."""

import re

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import WebUser


def test_login_sets_a_safe_session_cookie(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)[1]
        response = client.post(
            "/login",
            data={"name": "coordinator", "password": "demo-coordinator-pass", "csrf_token": token},
            follow_redirects=False,
        )
    assert response.status_code == 303
    cookie = [c for c in response.headers.get_list("set-cookie") if c.startswith("matcher_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_a_wrong_password_is_refused_with_the_name_kept(anonymous: TestClient) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', anonymous.get("/login").text)[1]
    response = anonymous.post(
        "/login", data={"name": "coordinator", "password": "wrong-password!", "csrf_token": token}
    )
    assert response.status_code == 401
    assert (
        "アカウント名またはパスワードが違います" in response.text and 'value="coordinator"' in response.text
    )


def test_login_without_its_csrf_token_is_refused(anonymous: TestClient) -> None:
    anonymous.get("/login")
    response = anonymous.post("/login", data={"name": "coordinator", "password": "demo-coordinator-pass"})
    assert response.status_code == 403
    assert "matcher_session" not in response.headers.get("set-cookie", "")


def test_login_never_redirects_to_another_site(anonymous: TestClient) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', anonymous.get("/login").text)[1]
    response = anonymous.post(
        "/login",
        data={
            "name": "coordinator",
            "password": "demo-coordinator-pass",
            "csrf_token": token,
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_forms_without_a_valid_csrf_token_are_refused(coordinator: WebUser) -> None:
    for token in (None, "forged"):
        data = {"resource_id": "r07", "reason": "理由"}
        if token:
            data["csrf_token"] = token
        response = coordinator.post("/profiles/p14/reject", data, csrf=False)
        assert response.status_code == 403
        assert "CSRF" in response.text
    page = coordinator.get("/profiles/p14")
    assert "見送り済み" not in page.text


def test_logout_ends_the_session(coordinator: WebUser) -> None:
    response = coordinator.post("/logout")
    assert response.status_code == 303
    assert coordinator.get("/profiles", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("path", ["/", "/profiles", "/profiles/p14", "/profiles/new", "/resources"])
def test_anonymous_pages_redirect_to_login(anonymous: TestClient, path: str) -> None:
    response = anonymous.get(path, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ["/profiles", "/profiles/p14", "/profiles/new", "/profiles/p14/edit"])
def test_hosts_and_admins_cannot_open_profiles(host: WebUser, admin: WebUser, path: str) -> None:
    for user in (host, admin):
        response = user.get(path)
        assert response.status_code == 403
        assert "p14" not in response.text or path == "/profiles/p14" and "ニーズ" not in response.text
    assert host.post("/profiles/p14/reject", {"resource_id": "r01", "reason": "x"}).status_code == 403


def test_a_host_sees_only_its_own_listings(host: WebUser, seeded_conn) -> None:  # type: ignore[no-untyped-def]
    names = dict(seeded_conn.execute("select id, name from resource").fetchall())
    page = host.get("/resources").text
    assert names["r01"] in page and names["r02"] in page  # the demo host's listings
    assert all(names[rid] not in page for rid in names if rid not in ("r01", "r02"))


def test_sessions_expire(app, coordinator: WebUser, seeded_conn) -> None:  # type: ignore[no-untyped-def]
    seeded_conn.execute("update web_session set expires_at = now() - interval '1 minute'")
    seeded_conn.commit()
    assert coordinator.get("/profiles", follow_redirects=False).status_code == 303
