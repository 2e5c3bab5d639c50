"""The host and the admin in a real browser (Playwright + Debian Chromium), with screenshots."""

from datetime import date

import psycopg
import pytest
from playwright.sync_api import expect

from matcher.accounts.users import ensure_demo_accounts
from matcher.config import Settings
from matcher.core.vocabulary import Consent
from matcher.matching.rejections import reject
from matcher.placements.service import advance, confirm
from matcher.profiles.service import set_consent
from tests.conftest import TEST_DATA
from tests.web.browser import browser_page, shot, sign_in

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::DeprecationWarning")


def test_host_updates_confirms_and_accepts_a_referral(
    live_server: str, seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    ensure_demo_accounts(seeded_conn)
    set_consent(
        seeded_conn, profile_id="p02", consent=Consent.full, consent_date=date.today(), actor="coordinator"
    )
    placement = confirm(
        seeded_conn, seeded_settings, profile_id="p02", resource_id="r02", actor="coordinator"
    )
    advance(
        seeded_conn,
        placement_id=placement.id,
        action="refer",
        actor="coordinator",
        host_note="午後30分の見学から",
    )
    seeded_conn.commit()
    narrative = seeded_conn.execute("select narrative from needs_profile where id = 'p02'").fetchone()[0]
    with browser_page(live_server) as page:
        sign_in(page, "host", "demo-host-pass")
        expect(page.locator("h1")).to_have_text("受け入れ先のページ")
        shot(page, "host-01-home")
        page.locator("article.listing", has_text="まちなか縁側カフェ").locator(
            "a", has_text="内容を編集・確認"
        ).click()
        page.fill("input[name=capacity_open]", "1")
        page.select_option("select[name=slot_day_3]", "sat")
        page.fill("input[name=slot_start_3]", "13:00")
        page.fill("input[name=slot_end_3]", "16:00")
        shot(page, "host-02-edit-listing")
        page.click("form.listing-form button[type=submit]")
        expect(page.locator(".notice")).to_contain_text("保存しました")
        page.click("section.assure button")
        expect(page.locator(".notice")).to_contain_text(f"確認日を {date.today().isoformat()} にしました")
        shot(page, "host-03-confirmed")
        page.goto("/")
        referral = page.locator(f"#referral-{placement.id}")
        expect(referral).to_contain_text("40-44歳")
        expect(referral).to_contain_text("午後30分の見学から")
        assert narrative[:15] not in page.content() and "p02" not in page.content()
        shot(page, "host-04-referral")
        referral.locator("button", has_text="受け入れる").click()
        expect(page.locator("p.notice[role=status]")).to_contain_text("返答を記録しました")
        expect(page.locator(f"#referral-{placement.id}")).to_contain_text("返答済み: 受け入れます")
        shot(page, "host-05-accepted")
    capacity, assured, schedule = seeded_conn.execute(
        "select capacity_open, assured_at, schedule from resource where id = 'r01'"
    ).fetchone()
    assert capacity == 1 and assured == date.today()
    saturday = [s for s in schedule if s["day"] == "sat"]  # the new 13:00–16:00 merged with 10:00–15:00
    assert saturday == [{"day": "sat", "start": "10:00", "end": "16:00"}]


def test_admin_imports_manages_accounts_and_reads_the_audit_log(
    live_server: str, seeded_conn: psycopg.Connection, seeded_settings: Settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    ensure_demo_accounts(seeded_conn)
    reject(seeded_conn, profile_id="p14", resource_id="r07", reason="本人が今は希望しない", by="coordinator")
    set_consent(
        seeded_conn, profile_id="p02", consent=Consent.full, consent_date=date.today(), actor="coordinator"
    )
    seeded_conn.commit()
    broken = tmp_path / "broken-resources.csv"
    broken.write_text(
        "id,name,kind,description,area,contact_level,physical_load,reward\n"
        "b1,畑,farmm,x,西部,1,1,none\nb2,店,shop,x,中央,9,1,cash\n",
        encoding="utf-8",
    )
    with browser_page(live_server) as page:
        sign_in(page, "admin", "demo-admin-pass")
        expect(page.locator("h1")).to_have_text("管理者のページ")
        shot(page, "admin-01-home")
        page.goto("/admin/imports")
        page.select_option("select[name=kind]", "wamnet")
        page.set_input_files("input[name=file]", str(TEST_DATA / "wamnet-a-hakodate.csv"))
        page.click("form.card button[type=submit]")
        expect(page.locator(".job")).to_contain_text("完了しました", timeout=120_000)
        expect(page.locator(".job")).to_contain_text("取り込み 5件")
        shot(page, "admin-02-wamnet-imported")
        page.goto("/admin/imports")
        page.select_option("select[name=kind]", "resources")
        page.set_input_files("input[name=file]", str(broken))
        page.click("form.card button[type=submit]")
        job = page.locator(".job")
        expect(job).to_contain_text("誤りがあるため取り込みませんでした")
        expect(job).to_contain_text("broken-resources.csv:2: kind:")
        expect(job).to_contain_text("broken-resources.csv:3: contact_level:")
        expect(job).to_contain_text("broken-resources.csv:3: reward:")
        shot(page, "admin-03-broken-file")
        page.goto("/admin/users")
        page.fill("input[name=name]", "のうえん担当")
        page.select_option("form.form select[name=role]", "provider")
        page.fill("form.form input[name=password]", "a-long-initial-password")
        page.click("form.form details.listing-picker summary")
        page.check("form.form input[name=resource_id][value=r14]")
        page.click("form.form button[type=submit]")
        expect(page.locator(".notice")).to_contain_text("アカウント「のうえん担当」を作りました")
        shot(page, "admin-04-accounts")
        page.goto("/admin/audit")
        page.fill("input[name=actor]", "coordinator")
        page.click("form.audit-filter button[type=submit]")
        table = page.locator("table.audit")
        expect(table).to_contain_text("p14")
        expect(table).to_contain_text("consent")
        shot(page, "admin-05-audit")
    assert seeded_conn.execute("select count(*) from resource where id like 'b%'").fetchone()[0] == 0
    assert (
        seeded_conn.execute("select role from app_user where name = 'のうえん担当'").fetchone()[0]
        == "provider"
    )
