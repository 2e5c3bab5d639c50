"""Playwright with Debian's Chromium, headless; screenshots under tests/artifacts/."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from tests.conftest import ROOT

ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@contextmanager
def browser_page(base_url: str) -> Iterator[Page]:
    """A fresh Japanese-locale page on the live server."""
    assert Path(CHROMIUM).exists(), "Chromium is installed by `make test` (Debian package chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(
            base_url=base_url,
            locale="ja-JP",
            timezone_id="Asia/Tokyo",
            viewport={"width": 1280, "height": 900},
        )
        page = context.new_page()
        page.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)  # generous: a busy 2-core machine serves slowly
        try:
            yield page
        finally:
            context.close()
            browser.close()


def shot(page: Page, name: str) -> Path:
    """Saves a full-page screenshot for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Page, name: str, password: str) -> None:
    """Logs in through the login form."""
    page.goto("/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click(".login-card button[type=submit]")
    page.wait_for_load_state()
