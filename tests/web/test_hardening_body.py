"""Request bodies (issue 12): a slow or stalled body holds nothing and gets 408, a large one 413, and JSON
with NaN, Infinity or 1e999 a 422 in Japanese; list fields are capped."""

import re
import select
import socket
import threading
import time
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from matcher.config import Settings
from tests.conftest import Cli
from tests.web.conftest import WebUser, api_token, serving

SLOW_CLIENTS = 12


def sign_in(base: str, name: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=10, follow_redirects=False)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": token[1]})
    assert response.status_code == 303, response.text
    return client


def open_slow_post(base: str, path: str, cookie: str, length: int) -> socket.socket:
    """A POST whose headers are sent at once and whose form body is still to come (loopback only)."""
    parts = urlsplit(base)
    assert parts.hostname == "127.0.0.1"
    sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=5)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nCookie: matcher_session={cookie}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n"
    )
    sock.sendall(head.encode())
    return sock


def drip(socks: list[socket.socket], answers: dict[int, bytes], seconds: float, every: float) -> None:
    """Sends one byte on every open socket each `every` seconds for at most `seconds`; keeps answers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(answers) < len(socks):
        for i, sock in enumerate(socks):
            if i in answers:
                continue
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                answers[i] = sock.recv(200) or b"closed"
                continue
            try:
                sock.sendall(b"a")
            except OSError:
                answers[i] = b"closed"
        time.sleep(every)


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_slow_bodies_hold_no_connection_and_get_408(seeded_settings: Settings, app: FastAPI) -> None:
    """A dozen signed-in connections send form bodies a byte a second: other pages still answer at once,
    and each slow body is cut off with 408 once the body deadline (3 s here) has passed."""
    with serving(seeded_settings, MATCHER_BODY_TIMEOUT_SECONDS="3") as base:
        host = sign_in(base, "host", "demo-host-pass")
        cookie = host.cookies["matcher_session"]
        socks = [open_slow_post(base, "/host/listings/r01", cookie, 400) for _ in range(SLOW_CLIENTS)]
        answers: dict[int, bytes] = {}
        dripping = threading.Thread(target=drip, args=(socks, answers, 9, 0.5), daemon=True)
        dripping.start()
        try:
            time.sleep(1.0)  # every slow request is in, mid-body
            started = time.monotonic()
            page = host.get("/", timeout=8)
            elapsed = time.monotonic() - started
            assert page.status_code == 200
            assert elapsed < 2, f"a normal page waited {elapsed:.1f} s behind slow bodies"
            dripping.join(timeout=12)
        finally:
            for sock in socks:
                sock.close()
            host.close()
    assert len(answers) == SLOW_CLIENTS, answers
    for answer in answers.values():
        assert answer.startswith(b"HTTP/1.1 408"), answer


def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(
    host: WebUser, api_client: TestClient, seeded_cli: Cli
) -> None:
    big_form = {"description": "あ" * 400_000, "csrf_token": host.csrf}  # 1.2 MB once encoded
    response = host.client.post("/host/listings/r01", data=big_form, follow_redirects=False)
    assert response.status_code == 413
    assert "大きすぎます" in response.text
    headers = api_token(seeded_cli, "coordinator", "big-json")
    slots = [{"day": "mon", "start": "09:00", "end": "10:00"}] * 200_000
    response = api_client.put("/api/resources/r01", headers=headers, json={"schedule": slots})
    assert response.status_code == 413
    assert "大きすぎます" in response.json()["detail"]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])
def test_non_finite_numbers_in_json_are_a_422_in_japanese(
    api_client: TestClient, seeded_cli: Cli, number: str
) -> None:
    headers = api_token(seeded_cli, "coordinator", f"nan-{number}") | {"Content-Type": "application/json"}
    current = api_client.get("/api/profiles/p19", headers=headers).json()
    body = re.sub(r'"max_travel_km":\s*[0-9.]+', f'"max_travel_km": {number}', _dumps(current))
    assert number in body
    for method, path in (("put", "/api/profiles/p19"), ("post", "/api/profiles")):
        response = api_client.request(method, path, headers=headers, content=body)
        assert response.status_code == 422, (method, response.status_code, response.text[:300])
        detail = response.json()["detail"]
        assert "NaN" in str(detail) and "有限の数" in str(detail)


def _dumps(value: object) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def test_list_fields_are_capped_with_a_422_naming_the_field(api_client: TestClient, seeded_cli: Cli) -> None:
    coordinator = api_token(seeded_cli, "coordinator", "caps")
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    many = [
        {"day": days[i % 7], "start": f"{i // 7:02d}:00", "end": f"{i // 7:02d}:30"} for i in range(60)
    ]  # 60 slots that do not touch one another
    listing = api_client.get("/api/resources/r01", headers=coordinator).json()
    response = api_client.put("/api/resources/r01", headers=coordinator, json=listing | {"schedule": many})
    assert response.status_code == 422
    assert any(e["loc"][-1] == "schedule" for e in response.json()["detail"]), response.text
    profile = api_client.get("/api/profiles/p19", headers=coordinator).json()
    response = api_client.put("/api/profiles/p19", headers=coordinator, json=profile | {"availability": many})
    assert response.status_code == 422
    assert any(e["loc"][-1] == "availability" for e in response.json()["detail"]), response.text
    fine = many[:50]
    response = api_client.put("/api/profiles/p19", headers=coordinator, json=profile | {"availability": fine})
    assert response.status_code == 200, response.text
