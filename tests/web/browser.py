"""Playwright with Debian's Chromium, headless; screenshots under tests/artifacts/."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

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
WIDTHS = {"desktop": 1280, "phone": 390}


def launch(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless."""
    assert Path(CHROMIUM).exists(), "Chromium is installed by `make test` (Debian package chromium)"
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)


def new_page(browser: Browser, base_url: str) -> Page:
    """A fresh Japanese-locale page on the live server, with cookies of its own (one signed-in person)."""
    context = browser.new_context(
        base_url=base_url, locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(60_000)
    expect.set_options(timeout=60_000)  # generous: a busy 2-core machine serves slowly
    return page


@contextmanager
def browser_page(base_url: str) -> Iterator[Page]:
    """A fresh Japanese-locale page on the live server."""
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = new_page(browser, base_url)
        try:
            yield page
        finally:
            page.context.close()
            browser.close()


def shot(page: Page, name: str) -> Path:
    """Saves a full-page screenshot for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def shots(page: Page, name: str) -> None:
    """The same page at desktop and phone width (name-desktop.png, name-phone.png)."""
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        shot(page, f"{name}-{label}")
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})


def sign_in(page: Page, name: str, password: str) -> None:
    """Logs in through the login form."""
    page.goto("/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click(".login-card button[type=submit]")
    page.wait_for_load_state()
