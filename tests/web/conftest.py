"""The real app served by `matcher serve` in a subprocess, on a free loopback port."""

import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from matcher.accounts.users import DEMO_ACCOUNTS, ensure_demo_accounts
from matcher.config import Settings
from tests.conftest import MATCHER_BIN, Cli
from web.app import create_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stdout.read() if process.stdout else ''}")
        try:
            with httpx.Client(timeout=5) as client:
                client.get(url)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer at {url}")


@contextmanager
def serving(settings: Settings, *args: str, **env: str) -> Iterator[str]:
    """`matcher serve ARGS` on the settings' database (more MATCHER_* settings in env); its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [str(MATCHER_BIN), "serve", "--port", str(port), *args],
        env=os.environ | {"MATCHER_DATABASE_URL": str(settings.database_url)} | env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # workers included, the whole group is stopped at the end
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/login", process)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        if process.stdout:
            process.stdout.close()


@pytest.fixture
def live_server(seeded_settings: Settings) -> Iterator[str]:
    """Base URL of `matcher serve` running on this test's demo database."""
    with serving(seeded_settings) as base:
        yield base


class WebUser:
    """A signed-in browser session driven through the real login form (TestClient, real database)."""

    def __init__(self, client: TestClient, name: str, password: str) -> None:
        self.client = client
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text
        response = client.post(
            "/login",
            data={"name": name, "password": password, "csrf_token": token[1]},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        home = client.get("/")
        found = re.search(r'"X-CSRF-Token": "([^"]+)"', home.text)
        assert found, home.text
        self.csrf = found[1]

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def post(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        htmx: bool = False,
        csrf: bool = True,
        **kwargs: Any,
    ) -> httpx.Response:
        form = dict(data or {})
        if csrf:
            form["csrf_token"] = self.csrf
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post(path, data=form, headers=headers, follow_redirects=False, **kwargs)


@pytest.fixture
def app(seeded_settings: Settings, seeded_conn: psycopg.Connection) -> FastAPI:
    """The application on this test's demo database, with the demo accounts."""
    ensure_demo_accounts(seeded_conn)
    seeded_conn.commit()
    return create_app(seeded_settings)


def signed_in(app: FastAPI, role: str) -> Iterator[WebUser]:
    """A browser of one demo role, on an application instance of its own (as separate browsers are)."""
    name, _role, password, _resources = next(a for a in DEMO_ACCOUNTS if a[1] == role)
    with TestClient(create_app(app.state.settings)) as client:
        yield WebUser(client, name, password)


def signed_in_fixture(role: str, doc: str) -> Any:
    """A fixture (named as the module names it) giving a browser of one demo role, signed in."""

    def browser(app: FastAPI) -> Iterator[WebUser]:
        yield from signed_in(app, role)

    browser.__doc__ = doc
    return pytest.fixture(browser)


coordinator = signed_in_fixture("coordinator", "The demo coordinator, signed in.")
host = signed_in_fixture("provider", "The demo host (r01, r02), signed in.")
admin = signed_in_fixture("admin", "The demo admin, signed in.")
member = signed_in_fixture("member", "The demo 支援会議 member (kaigi), signed in.")


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    """A browser that has not signed in."""
    with TestClient(app) as client:
        yield client


@pytest.fixture
def api_client(seeded_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(seeded_settings)) as test_client:
        yield test_client


def consent_p02(conn: psycopg.Connection) -> None:
    """Demo profile p02 gives full consent, which a placement needs."""
    conn.execute("update needs_profile set consent = 'full' where id = 'p02'")
    conn.commit()


def confirm_p02_at_r02(coordinator: WebUser, conn: psycopg.Connection) -> int:
    """p02 consents and the coordinator confirms r02 for them on the profile page; the placement's id."""
    consent_p02(conn)
    coordinator.post("/profiles/p02/confirm", {"resource_id": "r02"}, htmx=True)
    (pid,) = conn.execute("select id from placement where profile_id = 'p02'").fetchone()
    return int(pid)


def audited_actions(
    conn: psycopg.Connection, entity: str, entity_id: str, actor: str | None = None
) -> list[str]:
    """The actions the audit log holds for one entity, oldest first (only `actor`'s, if given)."""
    query = "select action from audit_log where entity = %s and entity_id = %s"
    params = [entity, entity_id]
    if actor is not None:
        query += " and actor = %s"
        params.append(actor)
    return [row[0] for row in conn.execute(query + " order by id", params)]


def api_token(cli: Cli, role: str, name: str, *resources: str) -> dict[str, str]:
    args = ["user", "create", "--role", role, "--name", name]
    for resource_id in resources:
        args += ["--resource", resource_id]
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    return {"Authorization": f"Bearer {result.stdout.strip()}"}
