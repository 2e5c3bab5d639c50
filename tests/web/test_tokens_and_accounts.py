"""Ending access and naming accounts (issue 12, items 4, 8 and 10).

Resetting a password or disabling an account ends every session and API token of it, and enabling it
again brings none back. Tokens are listed with when they were last used and can be revoked in the
admin console and with `matcher user revoke-token`. Account names cannot be formulas, invisible
characters or look-alikes of an existing name. `matcher user create --password` works as the README
says.
"""

import re

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from matcher.accounts.users import AccountError, create_user
from tests.conftest import Cli
from tests.web.conftest import WebUser, audited_actions
from web.app import create_app


def _account(conn: psycopg.Connection, name: str, password: str = "a-long-password") -> tuple[int, str]:
    user, token = create_user(conn, name=name, role="coordinator", password=password, actor="test")
    conn.commit()
    return user.id, token


def _api(app: FastAPI, token: str) -> int:
    with TestClient(create_app(app.state.settings)) as client:
        return client.get("/api/resources/r01", headers={"Authorization": f"Bearer {token}"}).status_code


def _signed_in_page(browser: WebUser) -> int:
    return browser.get("/", follow_redirects=False).status_code


@pytest.mark.parametrize("change", ["password", "disable"])
def test_reset_and_disable_end_every_session_and_token(
    change: str, app: FastAPI, admin: WebUser, seeded_conn: psycopg.Connection
) -> None:
    user_id, token = _account(seeded_conn, "田中コーディネーター")
    with TestClient(create_app(app.state.settings)) as client:
        browser = WebUser(client, "田中コーディネーター", "a-long-password")
        assert _signed_in_page(browser) == 200 and _api(app, token) == 200
        data = {"password": "a-new-long-password"} if change == "password" else {}
        assert admin.post(f"/admin/users/{user_id}/{change}", data).status_code == 303
        assert _signed_in_page(browser) in (302, 303, 401)
        assert _api(app, token) == 401
    counts = seeded_conn.execute(
        "select (select count(*) from web_session where user_id = %(id)s),"
        " (select count(*) from api_token where user_id = %(id)s)",
        {"id": user_id},
    ).fetchone()
    assert counts == (0, 0)
    if change == "disable":
        admin.post(f"/admin/users/{user_id}/enable")
        assert _api(app, token) == 401  # re-enabling brings nothing back
        assert seeded_conn.execute(
            "select count(*) from api_token where user_id = %s", [user_id]
        ).fetchone() == (0,)


def test_tokens_are_listed_with_last_use_and_revoked_in_the_console(
    app: FastAPI, admin: WebUser, seeded_conn: psycopg.Connection
) -> None:
    user_id, token = _account(seeded_conn, "token-owner")
    (token_id,) = seeded_conn.execute("select id from api_token where user_id = %s", [user_id]).fetchone()
    page = admin.get("/admin/users").text
    assert f'id="token-{token_id}"' in page and "未使用" in page
    assert token not in page
    assert _api(app, token) == 200
    (first,) = seeded_conn.execute("select last_used_at from api_token where id = %s", [token_id]).fetchone()
    assert first is not None
    assert _api(app, token) == 200  # within a minute: not written again
    assert seeded_conn.execute("select last_used_at from api_token where id = %s", [token_id]).fetchone() == (
        first,
    )
    row = re.search(rf'id="token-{token_id}".*?</form>', admin.get("/admin/users").text, re.S)
    assert row and "最終使用" in row[0] and "未使用" not in row[0]
    issued = admin.post(f"/admin/users/{user_id}/token")
    assert issued.status_code == 200
    new_token = re.search(r'class="new-token">([^<]+)<', issued.text)
    assert new_token and _api(app, new_token[1]) == 200
    assert admin.post(f"/admin/users/{user_id}/revoke-token", {"token_id": str(token_id)}).status_code == 303
    assert _api(app, token) == 401 and _api(app, new_token[1]) == 200
    assert admin.post(f"/admin/users/{user_id}/revoke-tokens").status_code == 303
    assert _api(app, new_token[1]) == 401
    assert audited_actions(seeded_conn, "account", "token-owner") == [
        "create",
        "issue_token",
        "revoke_token",
        "revoke_token",
    ]


def test_the_cli_lists_and_revokes_tokens(
    seeded_cli: Cli, seeded_conn: psycopg.Connection, app: FastAPI
) -> None:
    first = seeded_cli("user", "create", "--role", "coordinator", "--name", "cli-owner").stdout.strip()
    user_id = seeded_conn.execute("select id from app_user where name = 'cli-owner'").fetchone()[0]
    seeded_conn.execute("insert into api_token (token_hash, user_id) values ('second-hash', %s)", [user_id])
    seeded_conn.commit()
    ids = [
        r[0]
        for r in seeded_conn.execute("select id from api_token where user_id = %s order by id", [user_id])
    ]
    listed = seeded_cli("user", "tokens", "cli-owner")
    assert listed.exit_code == 0 and all(str(i) in listed.stdout for i in ids) and "未使用" in listed.stdout
    neither = seeded_cli("user", "revoke-token", "cli-owner")
    assert neither.exit_code == 1 and "--all" in neither.stderr
    assert seeded_cli("user", "revoke-token", "cli-owner", "999999").exit_code == 1
    assert seeded_cli("user", "revoke-token", "nobody", "--all").exit_code == 1
    one = seeded_cli("user", "revoke-token", "cli-owner", str(ids[0]))
    assert one.exit_code == 0, one.stderr
    assert _api(app, first) == 401
    rest = seeded_cli("user", "revoke-token", "cli-owner", "--all")
    assert rest.exit_code == 0 and "1件" in rest.stdout
    assert seeded_conn.execute("select count(*) from api_token where user_id = %s", [user_id]).fetchone() == (
        0,
    )


@pytest.mark.parametrize(
    "name",
    [
        '=HYPERLINK("http://evil","x")',
        "+81",
        "-dash",
        "@admin",
        "＝全角の等号",  # NFKC makes it "="
        "tab\tname",
        "line\nbreak",
        "zero\u200bwidth",
        "rtl\u202eoverride",
        "blank\u3164filler",
        "soft\u00adhyphen",
        "  ",
    ],
)
def test_names_that_are_formulas_or_hide_characters_are_refused(
    name: str, seeded_conn: psycopg.Connection
) -> None:
    with pytest.raises(AccountError):
        create_user(seeded_conn, name=name, role="coordinator")


@pytest.mark.parametrize("name", ["ADMIN", "Admin", "ａｄｍｉｎ", "ＡＤＭＩＮ"])
def test_a_look_alike_of_an_existing_name_is_refused(
    name: str, admin: WebUser, seeded_conn: psycopg.Connection
) -> None:
    refused = admin.post("/admin/users", {"name": name, "role": "admin", "password": "a-long-password"})
    assert refused.status_code == 422 and ("紛らわしい" in refused.text or "すでにあります" in refused.text)
    count = seeded_conn.execute("select count(*) from app_user where lower(name) = 'admin'").fetchone()
    assert count == (1,)


def test_names_are_stored_in_nfkc(seeded_conn: psycopg.Connection) -> None:
    user, _token = create_user(seeded_conn, name="ｻﾄｳ　ｔａｒｏ", role="coordinator")
    assert user.name == "サトウ taro"
    with pytest.raises(AccountError, match="紛らわしい|すでに"):
        create_user(seeded_conn, name="サトウ TARO", role="coordinator")


def test_user_create_with_a_password_can_sign_in(seeded_cli: Cli, app: FastAPI) -> None:
    short = seeded_cli("user", "create", "--role", "coordinator", "--name", "pw-user", "--password", "short")
    assert short.exit_code == 1 and "10文字以上" in short.stderr
    made = seeded_cli(
        "user", "create", "--role", "coordinator", "--name", "pw-user", "--password", "a-long-password"
    )
    assert made.exit_code == 0, made.stderr
    assert _api(app, made.stdout.strip()) == 200
    with TestClient(create_app(app.state.settings)) as client:
        WebUser(client, "pw-user", "a-long-password")  # the real login form lets it in
