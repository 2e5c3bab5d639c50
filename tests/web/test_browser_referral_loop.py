"""The whole loop in a real browser, coordinator and host side by side, with a real SMTP server: refer →
the host is mailed, opens the link, declines → the place is free and the coordinator is told; the
listing is put back, referred again and accepted → 見学・体験 → 利用中 → the follow-up when it is due;
consent withdrawn → the host sees nothing more. Screenshots at 1280 and 390 px."""

import re

import psycopg
from playwright.sync_api import expect, sync_playwright

from matcher.accounts.users import DEMO_ACCOUNTS, ensure_demo_accounts, set_email
from matcher.config import Settings
from tests.smtp import Inbox, body
from tests.web.browser import launch, new_page, shots, sign_in
from tests.web.conftest import serving


def capacity(conn: psycopg.Connection) -> int:
    conn.commit()
    return int(conn.execute("select capacity_open from resource where id = 'r02'").fetchone()[0])


def link_in(mail_text: str) -> str:
    found = re.search(r"https?://\S+", mail_text)
    assert found, mail_text
    return found[0]


def test_the_referral_loop_in_the_browser(
    seeded_settings: Settings, seeded_conn: psycopg.Connection, smtp: tuple[str, Inbox]
) -> None:
    url, inbox = smtp
    ensure_demo_accounts(seeded_conn)
    set_email(seeded_conn, name="host", email="host@shop.example.jp", actor="admin")
    set_email(seeded_conn, name="coordinator", email="coordinator@city.example.jp", actor="admin")
    seeded_conn.execute("update needs_profile set consent = 'full' where id = 'p02'")
    seeded_conn.commit()
    free = capacity(seeded_conn)
    accounts = {role: (name, password) for name, role, password, _ in DEMO_ACCOUNTS}
    with serving(seeded_settings, MATCHER_SMTP_URL=url) as base, sync_playwright() as playwright:
        browser = launch(playwright)
        coordinator, host = new_page(browser, base), new_page(browser, base)
        sign_in(coordinator, *accounts["coordinator"])

        # The coordinator confirms and refers.
        coordinator.goto("/profiles/p02")
        coordinator.locator("#proposal-r02 button", has_text="確定する").click()
        placement = coordinator.locator("#placements article.placement").first
        expect(placement).to_contain_text("確定しました")
        placement.locator("textarea[name=host_note]").fill("最初は30分ほどの見学から")
        placement.locator("button", has_text="受け入れ先へ紹介").click()
        expect(placement).to_contain_text("受け入れ先の返答を待っています")
        assert capacity(seeded_conn) == free - 1
        shots(coordinator, "loop-01-referred")

        # The host is mailed, follows the link (signing in on the way) and declines.
        (mail,) = inbox.wait_for(1)
        assert mail["To"] == "host@shop.example.jp" and "最初は30分" not in body(mail)
        host.goto(link_in(body(mail)))
        host.fill("input[name=name]", accounts["provider"][0])
        host.fill("input[name=password]", accounts["provider"][1])
        host.click(".login-card button[type=submit]")
        referral = host.locator("article.referral").first
        expect(referral).to_contain_text("最初は30分ほどの見学から")
        expect(referral).to_contain_text("返答の期限")
        shots(host, "loop-02-host-inbox")
        referral.locator("summary", has_text="辞退する").click()
        referral.locator("input[name=reason]").fill("今月は受け入れ体制が整わない")
        referral.locator("button", has_text="辞退を送る").click()
        expect(host.locator("p.notice[role=status]")).to_contain_text("返答を記録しました")

        # The place is free again and the coordinator is told, by mail and on the page.
        assert capacity(seeded_conn) == free
        told = inbox.wait_for(2)[-1]
        assert told["To"] == "coordinator@city.example.jp" and "辞退する" in told["Subject"]
        coordinator.goto("/")
        expect(coordinator.locator("#alerts")).to_contain_text("受け入れ先が辞退")
        coordinator.goto("/profiles/p02")
        expect(coordinator.locator("#placements")).to_contain_text("受け入れ先の辞退")
        shots(coordinator, "loop-03-declined")

        # The coordinator chooses to put the listing back, refers again; this time the host accepts.
        coordinator.locator("#excluded summary").click()
        coordinator.locator("#excluded button", has_text="提案に戻す").click()
        expect(coordinator.locator("#proposal-r02")).to_be_visible()
        coordinator.locator("#proposal-r02 button", has_text="確定する").click()
        live = coordinator.locator("#placements article.placement").first
        live.locator("button", has_text="受け入れ先へ紹介").click()
        expect(live).to_contain_text("受け入れ先の返答を待っています")
        host.goto("/")
        host.locator("article.referral button", has_text="受け入れる").click()
        expect(host.locator("p.notice[role=status]")).to_contain_text("返答を記録しました")
        coordinator.reload()
        live = coordinator.locator("#placements article.placement").first
        expect(live).to_contain_text("受け入れます")
        live.locator("button", has_text="見学・体験へ").click()
        expect(coordinator.locator("#placements .pstatus").first).to_have_text("見学・体験")
        coordinator.locator("#placements button", has_text="利用開始").click()
        expect(coordinator.locator("#placements .pstatus").first).to_have_text("利用中")

        # A month on, the follow-up is due and recorded.
        seeded_conn.execute(
            "update placement set started_at = now() - interval '31 days' where status = 'active'"
        )
        seeded_conn.commit()
        coordinator.reload()
        month = coordinator.locator(".followup", has_text="1か月目")
        month.locator("input[name=frequency]").fill("週2回")
        month.locator("button").click()
        expect(coordinator.locator(".followup.done", has_text="1か月目")).to_contain_text("週2回")
        shots(coordinator, "loop-04-followup")

        # Consent withdrawn: the coordinator is asked first; then the host sees only that.
        coordinator.select_option("#consent select[name=consent]", "none")
        coordinator.click("#consent button[type=submit]")
        expect(coordinator.locator(".confirm-withdraw")).to_contain_text("紹介中です")
        coordinator.locator(".confirm-withdraw button", has_text="撤回を記録する").click()
        host.goto("/")
        referral = host.locator("article.referral").first
        expect(referral).to_contain_text("同意が撤回されました")
        expect(referral).not_to_contain_text("最初は30分")
        expect(referral).not_to_contain_text("40-44")
        shots(host, "loop-05-withdrawn")
        browser.close()
