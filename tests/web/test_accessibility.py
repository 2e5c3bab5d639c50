"""Every page of every role at a desktop (1280 px) and a phone (390 px) width, in a real browser:
no sideways scrolling, a navigation whose links stay readable, and no serious or critical axe-core
violation. Screenshots under tests/artifacts/a11y-*.png."""

from collections.abc import Iterator
from datetime import date, timedelta

import psycopg
import pytest
from axe_playwright_python.sync_playwright import Axe
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, sync_playwright

from matcher.accounts.users import DEMO_ACCOUNTS, User, account_id, ensure_demo_accounts
from matcher.config import Settings
from matcher.core.vocabulary import Consent
from matcher.meetings import plans, service
from matcher.placements.service import advance, confirm
from matcher.profiles.service import set_consent
from tests.web.browser import launch, new_page, shot, sign_in

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::DeprecationWarning")

WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
PAGES = {
    None: ["/login"],
    "coordinator": [
        "/",
        "/profiles",
        "/profiles/p02",
        "/profiles/p02?excluded=1",
        "/profiles/p02?nearly=1",
        "/profiles/new",
        "/profiles/p02/edit",
        "/profiles/p02/notes",
        "/resources",
        "/resources/r01",
        "/placements/1/sheet",  # the referral sheet of p02 → r02
        "/meetings",
        "/meetings/1",  # a 重層的支援会議 with p02 on its agenda
        "/profiles/p02/plans",
        "/plans/1",
        "/reports/kpi",
        "/development",
        "/development/new",
        "/development/1",
    ],
    "provider": ["/", "/host/listings/r02"],
    "member": ["/", "/meetings/1"],
    "admin": [
        "/",
        "/admin/imports",
        "/admin/users",
        "/admin/audit",
        "/admin/batch",
        "/admin/gaps",
        "/admin/listings/new",
        "/admin/listings/r01/edit",
        "/resources",
        "/resources/r01",
        "/reports/kpi?fiscal_year=2025",
        "/meetings",
        "/development",
        "/development/1/register",
        "/no-such-page",
    ],
}
AXE = Axe()
# The innermost elements that reach past the window's right edge (what makes a page scroll sideways).
TOO_WIDE = """() => [...document.body.querySelectorAll('*')].filter(e =>
  e.getBoundingClientRect().right > window.innerWidth + 1 &&
  ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1)
).slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))"""
# Each menu link as one line of text inside the window (not a column of single characters).
NAV_LINKS = """() => [...document.querySelectorAll('.site-header nav a, .site-header nav button')].map(a => {
  const box = a.getBoundingClientRect();
  return {text: a.textContent.trim(), lines: a.getClientRects().length, width: box.width,
          height: box.height, right: box.right};
})"""


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


def referred_placement(conn: psycopg.Connection, settings: Settings) -> None:
    """p02 referred to r02, so the profile page and the host's page show a placement and a referral."""
    ensure_demo_accounts(conn)
    set_consent(conn, profile_id="p02", consent=Consent.full, consent_date=date.today(), actor="coordinator")
    placement = confirm(conn, settings, profile_id="p02", resource_id="r02", actor="coordinator")
    advance(conn, placement_id=placement.id, action="refer", actor="coordinator", host_note="午後の見学から")
    conn.commit()


def meeting_and_plan(conn: psycopg.Connection) -> None:
    """Meeting 1, a 重層的支援会議 held today with p02 on its agenda and the demo member (acknowledged),
    minutes, and plan 1 it agreed; 開拓候補 1 and a support entry on r01."""
    coordinator = User(account_id(conn, "coordinator"), "coordinator", "coordinator")
    member = User(account_id(conn, "kaigi"), "kaigi", "member")
    meeting = service.create_meeting(
        conn, kind="jusoteki_kaigi", held_on=date.today(), title="重層的支援会議（12月）", by=coordinator
    )
    service.add_member(conn, meeting_id=meeting.id, name="kaigi", by=coordinator)
    service.add_case(conn, meeting_id=meeting.id, profile_id="p02", by=coordinator)
    service.acknowledge(conn, meeting_id=meeting.id, user=member)
    service.add_minute(
        conn,
        meeting_id=meeting.id,
        profile_id="p02",
        shared="外出の機会を増やしたい",
        actions="社協が見学に同行する",
        next_review_on=date.today() + timedelta(days=30),
        by=coordinator,
    )
    plans.create_plan(
        conn,
        profile_id="p02",
        meeting_id=meeting.id,
        goals="週1回、決まった場所に外出する",
        support="社協が初回に同行する",
        review_on=date.today() + timedelta(days=3),
        placement_ids=[1],
        by=coordinator,
        today=date.today(),
    )
    # 開拓候補 1 with a note, and support given to r01 (shown on its listing page)
    conn.execute(
        "insert into development_candidate (id, name, kind, area, need, created_by, stage_by) "
        "overriding system value values (1, '北の農園', 'farm', '中央圏域', '屋外の軽作業', 'coordinator', 'coordinator')"
    )
    conn.execute(
        "insert into development_note (candidate_id, written_on, author, body) "
        "values (1, current_date, 'coordinator', '園主に電話で打診した')"
    )
    conn.execute(
        "insert into host_support (resource_id, given_on, kind, amount_yen, author) "
        "values ('r01', current_date, 'grant', 10000, 'coordinator')"
    )
    conn.commit()


def problems_on(page: Page) -> list[str]:
    """What is wrong with the page now open: sideways scrolling, a broken navigation, axe violations."""
    found = []
    scroll = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if scroll[0] > scroll[1]:
        wide = page.evaluate(TOO_WIDE)
        found.append(f"scrolls sideways: {scroll[0]} px wide in a {scroll[1]} px window, by {wide}")
    for link in page.evaluate(NAV_LINKS):
        if link["lines"] != 1 or link["height"] > 40 or link["width"] < 16 or link["right"] > scroll[1]:
            found.append(f"nav link {link}")
    results = AXE.run(page).response
    for violation in results["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = [" ".join(node["target"]) for node in violation["nodes"]][:8]
            found.append(f"axe {violation['id']} ({violation['impact']}): {targets}")
    return found


def visit_all(browser: Browser, base_url: str, role: str | None) -> list[str]:
    """Visits the role's pages at each width; one line per problem."""
    found = []
    page = new_page(browser, base_url)
    if role is not None:
        name, _role, password, _listings = next(a for a in DEMO_ACCOUNTS if a[1] == role)
        sign_in(page, name, password)
    for width, (x, y) in WIDTHS.items():
        page.set_viewport_size({"width": x, "height": y})
        for path in PAGES[role]:
            response = page.goto(path)
            page.wait_for_load_state("load")
            name = f"{role or 'anonymous'}{path.replace('/', '-').replace('?', '-').replace('=', '')}"
            shot(page, f"a11y-{name.rstrip('-')}-{width}")
            status = response.status if response else 0
            if status != (404 if path == "/no-such-page" else 200):
                found.append(f"{role} {path} @{width}: answered {status}")
                continue
            found += [f"{role} {path} @{width}: {p}" for p in problems_on(page)]
    page.context.close()
    return found


def test_every_page_fits_a_phone_and_passes_axe(
    live_server: str, browser: Browser, seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    referred_placement(seeded_conn, seeded_settings)
    meeting_and_plan(seeded_conn)
    found = []
    for role in PAGES:
        found += visit_all(browser, live_server, role)
    assert not found, "\n".join(found)


def test_keyboard_focus_is_visible(
    live_server: str, browser: Browser, seeded_conn: psycopg.Connection
) -> None:
    ensure_demo_accounts(seeded_conn)
    seeded_conn.commit()
    page = browser.new_page(base_url=live_server, viewport={"width": 390, "height": 844})
    sign_in(page, "coordinator", "demo-coordinator-pass")
    outlines = []
    for _ in range(6):
        page.keyboard.press("Tab")
        outlines.append(
            page.evaluate(
                "(() => { const s = getComputedStyle(document.activeElement);"
                " return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth]; })()"
            )
        )
    page.close()
    # the browser's own ring is a thin 1 px "auto" outline; ours is a 3 px solid one
    assert all(style == "solid" and float(width[:-2]) >= 2 for _tag, style, width in outlines), outlines


def test_favicon_is_served_and_linked(anonymous: TestClient) -> None:
    login = anonymous.get("/login")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in login.text
    icon = anonymous.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.content.startswith(b"<svg")
