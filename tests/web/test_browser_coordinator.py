"""A coordinator's day in a real browser (Playwright + Debian Chromium): log in, create a profile,
see proposals with reasons, confirm a 参加支援 host (giving 狭間の理由), record 本人同意, refer,
move to 見学・体験 and 利用中, and record the 1-month follow-up."""

import psycopg
import pytest
from playwright.sync_api import expect

from matcher.accounts.users import ensure_demo_accounts
from tests.web.browser import browser_page, shot, sign_in

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::DeprecationWarning")


def test_coordinator_workflow_in_the_browser(live_server: str, seeded_conn: psycopg.Connection) -> None:
    ensure_demo_accounts(seeded_conn)
    seeded_conn.commit()
    with browser_page(live_server) as page:
        page.goto("/")
        expect(page.locator("h1")).to_have_text("ログイン")
        shot(page, "coordinator-01-login")
        sign_in(page, "coordinator", "demo-coordinator-pass")
        expect(page.locator("h1")).to_have_text("ダッシュボード")
        shot(page, "coordinator-02-dashboard")

        page.click("text=＋ ニーズプロファイルを登録")
        page.fill("input[name=id]", "BT-1")
        page.select_option("select[name=age_band]", "35-39")
        page.select_option("select[name=area]", "中央圏域")
        page.fill("input[name=max_travel_km]", "5")
        for day in ("mon", "tue", "wed", "thu", "fri"):
            page.fill(f"input[name=avail_{day}_start]", "09:00")
            page.fill(f"input[name=avail_{day}_end]", "16:00")
        page.check("input[name=contact_tolerance][value='2']")
        page.check("input[name=physical_capacity][value='2']")
        page.fill("textarea[name=interests]", "料理と片付け。黙々とした作業が好き")
        page.fill(
            "textarea[name=narrative]",
            "離職後しばらく家にいた。生活が苦しく、まずは短い時間から人の中に戻りたい。",
        )
        page.check("input[name=facts][value=hardship]")
        page.check("input[name=facts][value=not_in_work_or_school]")
        shot(page, "coordinator-03-new-profile")
        page.click("form.profile-form button[type=submit]")
        expect(page.locator("h1")).to_contain_text("BT-1")

        tier1 = page.locator("#proposals article.proposal:has(.tier-1)")
        tier2 = page.locator("#proposals article.proposal:has(.tier-2)")
        expect(tier1.first).to_be_visible()
        expect(tier1.first.locator("ul.reasons li").first).to_contain_text("対象要件")
        expect(tier2.first.locator("ul.reasons li", has_text="参加できる日時と重なります")).to_be_visible()
        shot(page, "coordinator-04-proposals")

        cafe = page.locator("#proposal-r01")
        cafe.locator("button", has_text="確定する").click()
        gap_form = page.locator("#proposal-r01 form.gap-reason")
        expect(gap_form).to_be_visible()
        expect(gap_form).to_contain_text("狭間の理由")
        shot(page, "coordinator-05-gap-reason")
        gap_form.locator("button").click()  # empty: the browser refuses the required field
        expect(gap_form).to_be_visible()
        gap_form.locator("textarea[name=gap_reason]").fill(
            "本人が就労の場より、まず居場所で人に慣れることを望んでいる"
        )
        gap_form.locator("button").click()
        expect(page.locator(".notice")).to_contain_text("確定しました")
        placement = page.locator("#placements article.placement").first
        expect(placement).to_contain_text("まちなか縁側カフェ ほりかわ")
        expect(placement.locator("button[disabled]", has_text="受け入れ先へ紹介")).to_be_visible()
        shot(page, "coordinator-06-confirmed-without-consent")

        page.select_option("#consent select[name=consent]", "full")
        page.click("#consent button[type=submit]")
        expect(page.locator("#consent .consent-full")).to_be_visible()
        shot(page, "coordinator-07-consent")

        placement = page.locator("#placements article.placement").first
        placement.locator("textarea[name=host_note]").fill("最初は30分ほどの見学から。大きな音が苦手です。")
        placement.locator("button", has_text="受け入れ先へ紹介").click()
        expect(page.locator("#placements .pstatus").first).to_have_text("紹介済み")
        shot(page, "coordinator-08-referred")
        expect(page.locator("#placements")).to_contain_text("受け入れ先の返答を待っています")
        summary = page.locator("#placements summary", has_text="見学・体験へ（返答を待たずに）")
        summary.click()
        ahead = summary.locator("xpath=..")  # its <details>
        ahead.locator("input[name=override_reason]").fill("受け入れ先と電話で日程を調整済み")
        ahead.locator("button", has_text="見学・体験へ").click()
        expect(page.locator("#placements .pstatus").first).to_have_text("見学・体験")
        expect(page.locator("#placements .notice[role=status]")).to_contain_text("見学・体験を記録しました")
        page.locator("#placements button", has_text="利用開始").click()
        expect(page.locator("#placements .pstatus").first).to_have_text("利用中")
        shot(page, "coordinator-09-active")
        expect(page.locator(".followup", has_text="1か月目")).to_contain_text("7日前から記録できます")
        seeded_conn.execute("update placement set started_at = now() - interval '30 days'")
        seeded_conn.commit()
        page.reload()

        first_month = page.locator(".followup", has_text="1か月目")
        first_month.locator("input[name=frequency]").fill("週2回")
        first_month.locator("select[name=rating]").select_option("4")
        first_month.locator("input[name=note]").fill("表情が明るくなった")
        first_month.locator("button").click()
        expect(page.locator(".notice")).to_contain_text("1か月目のフォローアップを記録しました")
        expect(page.locator(".followup.done", has_text="1か月目")).to_contain_text("週2回")
        shot(page, "coordinator-10-followup")

    rows = seeded_conn.execute(
        "select status, gap_reason, host_note from placement where profile_id = 'BT-1'"
    ).fetchall()
    assert rows == [
        (
            "active",
            "本人が就労の場より、まず居場所で人に慣れることを望んでいる",
            "最初は30分ほどの見学から。大きな音が苦手です。",
        )
    ]
