"""Support for hosts: a dated log per listing (訪問, 応援金, 送迎, 同行, 研修), summarised on the listing page
for coordinators and admins, never shown to the host of the listing."""

from datetime import date, timedelta

import psycopg

from tests.development.conftest import count
from tests.web.conftest import WebUser
from tests.web.test_listing_pages import text_of


def test_support_is_logged_and_summarised_for_coordinators_but_not_shown_to_the_host(
    coordinator: WebUser, admin: WebUser, host: WebUser, seeded_conn: psycopg.Connection
) -> None:
    last_month = (date.today() - timedelta(days=30)).isoformat()
    entries = [
        {
            "kind": "grant",
            "given_on": last_month,
            "amount_yen": "１０，０００円",
            "note": "初回受け入れの応援金",
        },
        {"kind": "grant", "given_on": last_month, "amount_yen": "5000", "note": ""},
        {
            "kind": "accompany",
            "given_on": "",
            "amount_yen": "",
            "note": "初日に同行し、作業の切り出しを一緒に考えた",
        },
    ]
    for entry in entries:
        assert coordinator.post("/resources/r01/support", entry).status_code == 303
    htmx = admin.post("/resources/r01/support", {"kind": "transport", "given_on": "", "note": ""}, htmx=True)
    assert (
        htmx.status_code == 200
        and htmx.text.lstrip().startswith("<section")
        and "送迎を記録しました" in htmx.text
    )

    page = coordinator.get("/resources/r01")
    text = text_of(page.text)
    assert "受け入れ先への支援" in text
    assert "0 訪問 2 応援金 1 送迎 1 同行 0 研修" in text
    assert "応援金の合計 15,000円" in text and f"最後の支援 {date.today().isoformat()}" in text
    assert "初日に同行し、作業の切り出しを一緒に考えた" in text and "10,000円" in text
    assert "受け入れ先への支援" in text_of(admin.get("/resources/r01").text)

    own = host.get("/resources/r01")  # the host of r01 sees its listing, not the support log
    assert own.status_code == 200 and "まちなか縁側カフェ" in own.text
    for hidden in ("受け入れ先への支援", "応援金", "15,000", "初日に同行", 'action="/resources/r01/support"'):
        assert hidden not in own.text, hidden
    assert host.post("/resources/r01/support", {"kind": "visit"}).status_code == 403
    assert count(seeded_conn, "select count(*) from host_support where resource_id = 'r01'") == 4


def test_bad_support_entries_are_refused_beside_the_field_and_nothing_is_saved(
    coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    pii = coordinator.post(
        "/resources/r03/support", {"kind": "visit", "note": "山田太郎さんと面談 090-1111-2222"}
    )
    assert pii.status_code == 422 and "個人を特定できる情報は書けません" in pii.text
    assert ">山田太郎さんと面談 090-1111-2222</textarea>" in pii.text
    amount = coordinator.post("/resources/r03/support", {"kind": "visit", "amount_yen": "3000"}, htmx=True)
    assert "金額は応援金のときだけ書けます" in amount.text and 'value="3000"' in amount.text
    words = coordinator.post("/resources/r03/support", {"kind": "grant", "amount_yen": "一万円くらい"})
    assert words.status_code == 422 and "円単位の数字" in words.text
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    future = coordinator.post("/resources/r03/support", {"kind": "training", "given_on": tomorrow})
    assert future.status_code == 422 and "未来の日は選べません" in future.text
    assert count(seeded_conn, "select count(*) from host_support") == 0
    assert coordinator.post("/resources/nope/support", {"kind": "visit"}).status_code == 404
