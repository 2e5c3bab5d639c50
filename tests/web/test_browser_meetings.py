"""Meetings in a real browser: a coordinator creates a 支援会議 with two members and puts on it a person
who has not consented; the member who acknowledges 守秘義務 sees the person's narrative, the one who did
not sees nothing of it; a 重層的支援会議 refuses the same person. Screenshots at 1280 and 390 px."""

import psycopg
from playwright.sync_api import Page, expect, sync_playwright

from matcher.accounts.users import DEMO_ACCOUNTS, create_user, ensure_demo_accounts
from matcher.config import Settings
from tests.web.browser import launch, new_page, shots, sign_in
from tests.web.conftest import serving

NARRATIVE_P02 = "大学卒業後に就職した会社を半年で辞めてから"  # p02's consent is none
SECOND = ("社協の職員", "shakyo-member-pass")


def new_meeting(page: Page, kind: str, title: str) -> None:
    page.goto("/meetings")
    page.select_option("select[name=kind]", kind)
    page.fill("input[name=title]", title)
    page.click("#new-meeting button[type=submit]")
    expect(page.locator("h1")).to_have_text(title)


def test_a_shien_kaigi_shares_a_case_without_consent_only_with_members_who_acknowledged(
    seeded_settings: Settings, seeded_conn: psycopg.Connection
) -> None:
    ensure_demo_accounts(seeded_conn)
    create_user(seeded_conn, name=SECOND[0], role="member", password=SECOND[1])
    seeded_conn.commit()
    accounts = {role: (name, password) for name, role, password, _ in DEMO_ACCOUNTS}
    with serving(seeded_settings) as base, sync_playwright() as playwright:
        browser = launch(playwright)
        coordinator, member, other = (new_page(browser, base) for _ in range(3))
        sign_in(coordinator, *accounts["coordinator"])

        # A 支援会議 with two members and a person who has not consented.
        new_meeting(coordinator, "shien_kaigi", "12月 支援会議（中央圏域）")
        for name in (accounts["member"][0], SECOND[0]):
            coordinator.fill("#members input[name=name]", name)
            coordinator.click("#members button[type=submit]")
            expect(coordinator.locator("#members")).to_contain_text(name)
        coordinator.fill("#agenda input[name=profile_id]", "p02")
        coordinator.click("#agenda form button[type=submit]")
        expect(coordinator.locator("#case-p02")).to_contain_text("未同意")
        shots(coordinator, "meetings-01-shien-kaigi")

        # The member acknowledges 守秘義務 and then sees the case.
        sign_in(member, *accounts["member"])
        member.click("text=12月 支援会議（中央圏域）")
        expect(member.locator("#confidentiality")).to_contain_text("守秘義務")
        expect(member.locator("main")).not_to_contain_text(NARRATIVE_P02)
        shots(member, "meetings-02-before-acknowledging")
        member.click("#confidentiality button[type=submit]")
        expect(member.locator("#case-p02")).to_contain_text(NARRATIVE_P02)
        shots(member, "meetings-03-case-shown")

        # The other member has not acknowledged: nothing of the person.
        sign_in(other, *SECOND)
        other.click("text=12月 支援会議（中央圏域）")
        expect(other.locator("#confidentiality")).to_be_visible()
        expect(other.locator("main")).not_to_contain_text(NARRATIVE_P02)
        expect(other.locator("#case-p02")).to_have_count(0)

        # A 重層的支援会議 refuses the same person.
        new_meeting(coordinator, "jusoteki_kaigi", "12月 重層的支援会議")
        coordinator.fill("#agenda input[name=profile_id]", "p02")
        coordinator.click("#agenda form button[type=submit]")
        expect(coordinator.locator("#agenda .field-error")).to_contain_text("重層的支援会議で話し合えるのは")
        expect(coordinator.locator("#case-p02")).to_have_count(0)
        shots(coordinator, "meetings-04-jusoteki-refuses")
        browser.close()
    rows = seeded_conn.execute(
        "select actor from audit_log where action = 'meeting_shown' and entity_id = 'p02'"
    ).fetchall()
    assert (accounts["member"][0],) in rows and (SECOND[0],) not in rows
