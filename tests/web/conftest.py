"""The real app served by `matcher serve` in a subprocess, on a free loopback port."""

import os
import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from matcher.config import Settings
from tests.conftest import MATCHER_BIN


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
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer at {url}")


@pytest.fixture
def live_server(seeded_settings: Settings) -> Iterator[str]:
    """Base URL of `matcher serve` running on this test's demo database."""
    port = free_port()
    env = os.environ | {"MATCHER_DATABASE_URL": str(seeded_settings.database_url)}
    process = subprocess.Popen(
        [str(MATCHER_BIN), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/", process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        if process.stdout:
            process.stdout.close()
