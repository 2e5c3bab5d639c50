"""The referral loop as coordinators and hosts meet it in the browser's pages (TestClient, real DB)."""

import re
import zlib
from datetime import date, timedelta

import psycopg
from fastapi import FastAPI
from fastapi.testclient import TestClient

from matcher.accounts.users import DEMO_ACCOUNTS, set_email
from tests.smtp import Inbox, body
from tests.web.conftest import WebUser, confirm_p02_at_r02
from web.app import create_app


def pdf_parts(pdf: bytes) -> list[bytes]:
    """The PDF's bytes and each of its streams decompressed (fonts may sit in compressed object streams)."""
    parts = [pdf]
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(stream[1]))
        except zlib.error:
            continue
    return parts


def referred(coordinator: WebUser, conn: psycopg.Connection, note: str = "") -> int:
    pid = confirm_p02_at_r02(coordinator, conn)
    page = coordinator.post(f"/placements/{pid}/refer", {"host_note": note}, htmx=True).text
    assert "紹介を記録しました" in page and f"紹介番号 {pid}" in page and "返答を待っています" in page
    return pid


def test_the_host_sees_the_number_due_date_and_whom_to_ask_and_a_decline_comes_back_to_the_coordinator(
    coordinator: WebUser, host: WebUser, seeded_conn: psycopg.Connection
) -> None:
    pid = referred(coordinator, seeded_conn)
    inbox = host.get("/").text
    assert f"紹介番号 {pid}" in inbox and "返答の期限" in inbox and "コーディネーター coordinator" in inbox
    refused = host.post(f"/host/referrals/{pid}/decline", {"reason": "山田太郎さんの件で090-1234-5678まで"})
    assert refused.status_code == 422 and "090-1234-5678" in refused.text  # kept, beside the referral
    assert host.post(f"/host/referrals/{pid}/decline", {"reason": "今月は人手が足りない"}).status_code == 303
    workspace = coordinator.get("/profiles/p02").text
    assert (
        "受け入れ先の辞退" in workspace and "今月は人手が足りない" in workspace and "提案に戻す" in workspace
    )
    assert 'id="proposal-r02"' not in workspace
    back = coordinator.post("/profiles/p02/restore", {"resource_id": "r02"}, htmx=True).text
    assert "提案に戻しました" in back and 'id="proposal-r02"' in back
    assert "受け入れ先が辞退" in coordinator.get("/").text  # the dashboard's alerts


def test_going_ahead_without_the_hosts_answer_asks_for_a_reason(
    coordinator: WebUser, host: WebUser, seeded_conn: psycopg.Connection
) -> None:
    pid = referred(coordinator, seeded_conn)
    page = coordinator.get("/profiles/p02").text
    assert "見学・体験へ（返答を待たずに）" in page and "利用開始（返答を待たずに）" in page
    refused = coordinator.post(f"/placements/{pid}/trial", htmx=True).text
    assert "返答がありません" in refused
    done = coordinator.post(
        f"/placements/{pid}/trial", {"override_reason": "電話で日程を調整済み"}, htmx=True
    ).text
    assert (
        "見学・体験を記録しました" in done
        and "返答を待たずに進めた理由" in done
        and "電話で日程を調整済み" in done
    )


def test_withdrawing_consent_asks_first_and_then_the_host_sees_only_that_it_was_withdrawn(
    coordinator: WebUser, host: WebUser, seeded_conn: psycopg.Connection
) -> None:
    pid = referred(coordinator, seeded_conn, note="大きな音が苦手です")
    assert "大きな音が苦手です" in host.get("/").text
    asked = coordinator.post("/profiles/p02/consent", {"consent": "none"})
    assert asked.status_code == 303 and "withdraw=none" in asked.headers["location"]
    warning = coordinator.get(asked.headers["location"]).text
    assert "紹介中です" in warning and "城下町古書 とのまち堂" in warning and "撤回を記録する" in warning
    assert seeded_conn.execute("select consent from needs_profile where id = 'p02'").fetchone() == ("full",)
    coordinator.post("/profiles/p02/consent", {"consent": "none", "confirm_withdraw": "true"})
    seen = host.get("/").text
    assert "同意が撤回されました" in seen and f"紹介番号 {pid}" in seen
    assert "大きな音が苦手です" not in seen and "40-44" not in seen
    answer = host.post(f"/host/referrals/{pid}/accept")
    assert answer.status_code == 409 and "同意が撤回されました" in answer.text


def test_the_running_app_mails_the_host_as_soon_as_the_referral_commits(
    app: FastAPI, seeded_conn: psycopg.Connection, smtp: tuple[str, Inbox]
) -> None:
    url, inbox = smtp
    set_email(seeded_conn, name="host", email="host@shop.example.jp", actor="admin")
    seeded_conn.commit()
    settings = app.state.settings.model_copy(update={"smtp_url": url})
    name, _role, password, _ = next(a for a in DEMO_ACCOUNTS if a[1] == "coordinator")
    with TestClient(create_app(settings)) as client:
        coordinator = WebUser(client, name, password)
        pid = referred(coordinator, seeded_conn)
        (mail,) = inbox.wait_for(1)
    assert mail["To"] == "host@shop.example.jp" and f"/#referral-{pid}" in body(mail)


def test_the_referral_sheet_prints_what_the_host_may_see_and_as_pdf(
    coordinator: WebUser, host: WebUser, seeded_conn: psycopg.Connection
) -> None:
    pid = referred(coordinator, seeded_conn, note="大きな音が苦手です")
    page = coordinator.get(f"/placements/{pid}/sheet")
    assert page.status_code == 200 and f"紹介番号 <strong>{pid}</strong>" in page.text
    assert (
        "40-44歳" in page.text and "大きな音が苦手です" in page.text and "城下町古書 とのまち堂" in page.text
    )
    narrative = seeded_conn.execute("select narrative from needs_profile where id = 'p02'").fetchone()[0]
    assert narrative[:20] not in page.text and "p02" not in page.text.replace("/profiles/p02", "")
    pdf = coordinator.get(f"/placements/{pid}/sheet.pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert any(b"NotoSansCJK" in part or b"NotoSansJP" in part for part in pdf_parts(pdf.content))  # its font
    assert host.get(f"/placements/{pid}/sheet").status_code == 403
    seeded_conn.execute("update needs_profile set consent = 'none' where id = 'p02'")
    seeded_conn.commit()
    refused = coordinator.get(f"/placements/{pid}/sheet")
    assert refused.status_code == 403 and "本人同意" in refused.text


def test_the_page_records_a_plan_and_a_back_dated_step(
    coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    pid = confirm_p02_at_r02(coordinator, seeded_conn)
    day = (date.today() + timedelta(days=3)).isoformat()
    planned = coordinator.post(f"/placements/{pid}/plan", {"on": day}, htmx=True).text
    assert f"見学の予定日を {day} にしました" in planned and f'value="{day}"' in planned
    seeded_conn.execute("update placement set confirmed_at = now() - interval '5 days' where id = %s", [pid])
    seeded_conn.commit()
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    refused = coordinator.post(f"/placements/{pid}/refer", {"on": yesterday}, htmx=True).text
    assert "理由を入れてください" in refused and f'value="{yesterday}"' in refused  # kept
    done = coordinator.post(
        f"/placements/{pid}/refer", {"on": yesterday, "dated_reason": "電話で紹介済み"}, htmx=True
    ).text
    assert "紹介を記録しました" in done and "前の日付で記録した理由" in done and "電話で紹介済み" in done
