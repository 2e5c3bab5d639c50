"""The closed loop with hosts: due dates, declines that free the place, acceptance before 見学,
consent withdrawn, alerts for the coordinator, and the mails that tell each side (a real SMTP server)."""

from datetime import date, timedelta

import psycopg
import pytest

from matcher.accounts.users import create_user
from matcher.config import Settings
from matcher.core.vocabulary import Consent
from matcher.errors import Conflict, NotFound
from matcher.matching.propose import propose
from matcher.matching.rejections import restore
from matcher.notifications.outbox import deliver, remind
from matcher.placements.alerts import needing_attention
from matcher.placements.referrals import referrals_for_host, respond, withdraw_from_hosts
from matcher.placements.service import PlacementError, advance, confirm, get_placement
from matcher.profiles.service import set_consent
from tests.smtp import Inbox, body

HOST = frozenset({"r02"})


def capacity(conn: psycopg.Connection, resource_id: str) -> int:
    return int(conn.execute("select capacity_open from resource where id = %s", [resource_id]).fetchone()[0])


def referred(conn: psycopg.Connection, settings: Settings, note: str = "最初は30分ほどの見学から") -> int:
    """p02 consents, is confirmed at r02 by coordinator c1 and referred; the placement id."""
    set_consent(conn, profile_id="p02", consent=Consent.full, consent_date=date.today(), actor="c1")
    placement = confirm(conn, settings, profile_id="p02", resource_id="r02", actor="c1")
    advance(conn, placement_id=placement.id, action="refer", actor="c1", host_note=note, settings=settings)
    return placement.id


def accounts(conn: psycopg.Connection, *, digest: bool = False) -> None:
    create_user(conn, name="c1", role="coordinator", email="c1@city.example.jp")
    create_user(
        conn, name="h1", role="provider", resource_ids=["r02"], email="h1@shop.example.jp", mail_digest=digest
    )
    create_user(conn, name="h2", role="provider", resource_ids=["r02"])  # no address: no mail


def proposed(conn: psycopg.Connection, settings: Settings) -> set[str]:
    return {p.candidate.id for p in propose(conn, settings, profile_id="p02", top=0).proposals}


def test_a_referral_is_due_an_answer_within_the_configured_days(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    settings = seeded_settings.model_copy(update={"referral_answer_days": 10})
    pid = referred(seeded_conn, settings)
    assert get_placement(seeded_conn, placement_id=pid).answer_due == date.today() + timedelta(days=10)
    shown = referrals_for_host(seeded_conn, resource_ids=["r02"], actor="h1")
    assert shown[0].answer_due == date.today() + timedelta(days=10) and shown[0].coordinator == "c1"


def test_a_decline_ends_the_placement_frees_the_place_and_keeps_the_listing_out_until_restored(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    before = capacity(seeded_conn, "r02")
    pid = referred(seeded_conn, seeded_settings)
    assert capacity(seeded_conn, "r02") == before - 1
    with pytest.raises(Exception, match="辞退の理由を入れてください"):
        respond(seeded_conn, placement_id=pid, resource_ids=HOST, accept=False, reason=" ", actor="h1")
    respond(
        seeded_conn,
        placement_id=pid,
        resource_ids=HOST,
        accept=False,
        reason="今月は人手が足りない",
        actor="h1",
    )
    placement = get_placement(seeded_conn, placement_id=pid)
    assert (placement.status, placement.end_reason, placement.end_note) == (
        "ended",
        "host_declined",
        "今月は人手が足りない",
    )
    assert capacity(seeded_conn, "r02") == before
    assert referrals_for_host(seeded_conn, resource_ids=["r02"], actor="h1") == []
    assert "r02" not in proposed(seeded_conn, seeded_settings)  # only if the coordinator chooses
    restore(seeded_conn, profile_id="p02", resource_id="r02", by="c1")
    assert "r02" in proposed(seeded_conn, seeded_settings)
    with pytest.raises(NotFound):
        restore(seeded_conn, profile_id="p02", resource_id="r02", by="c1")


def test_going_to_a_trial_needs_the_hosts_acceptance_or_a_recorded_reason(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    pid = referred(seeded_conn, seeded_settings)
    for action in ("trial", "activate"):
        with pytest.raises(PlacementError, match="返答がありません"):
            advance(seeded_conn, placement_id=pid, action=action, actor="c1")
    advance(
        seeded_conn,
        placement_id=pid,
        action="trial",
        actor="c1",
        override_reason="受け入れ先と電話で調整済み",
    )
    placement = get_placement(seeded_conn, placement_id=pid)
    assert placement.status == "trial" and placement.override_reason == "受け入れ先と電話で調整済み"
    with pytest.raises(Conflict, match="すでに見学・体験"):  # the host can no longer change the course
        respond(
            seeded_conn, placement_id=pid, resource_ids=HOST, accept=False, reason="やはり無理", actor="h1"
        )


def test_after_acceptance_the_trial_needs_no_reason(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    pid = referred(seeded_conn, seeded_settings)
    respond(seeded_conn, placement_id=pid, resource_ids=HOST, accept=True, reason="", actor="h1")
    assert advance(seeded_conn, placement_id=pid, action="trial", actor="c1").override_reason is None
    with pytest.raises(NotFound):  # another host's referral looks like a missing one
        respond(
            seeded_conn, placement_id=pid, resource_ids=frozenset({"r01"}), accept=True, reason="", actor="x"
        )


def test_withdrawn_consent_leaves_the_host_only_the_fact(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    pid = referred(seeded_conn, seeded_settings, note="大きな音が苦手です")
    set_consent(seeded_conn, profile_id="p02", consent=Consent.none, consent_date=date.today(), actor="c1")
    assert withdraw_from_hosts(seeded_conn, None, profile_id="p02", actor="c1") == 1
    (shown,) = referrals_for_host(seeded_conn, resource_ids=["r02"], actor="h1")
    assert shown.withdrawn
    assert (shown.age_band, shown.availability, shown.needs_accommodations, shown.stage, shown.host_note) == (
        None,
        [],
        [],
        None,
        "",
    )
    with pytest.raises(Conflict, match="同意が撤回されました"):
        respond(seeded_conn, placement_id=pid, resource_ids=HOST, accept=True, reason="", actor="h1")
    actions = [
        row[0]
        for row in seeded_conn.execute(
            "select action from audit_log where entity = 'placement' and entity_id = %s order by id",
            [str(pid)],
        )
    ]
    assert "consent_withdrawn" in actions and actions[-1] == "shown_to_host"


def test_alerts_name_overdue_answers_acceptances_declines_and_stalls(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    pid = referred(seeded_conn, seeded_settings)
    assert [a.kind for a in needing_attention(seeded_conn, seeded_settings)] == []
    seeded_conn.execute("update placement set answer_due = current_date - 1 where id = %s", [pid])
    assert [(a.kind, a.placement.id) for a in needing_attention(seeded_conn, seeded_settings)] == [
        ("overdue", pid)
    ]
    respond(seeded_conn, placement_id=pid, resource_ids=HOST, accept=True, reason="", actor="h1")
    assert [a.kind for a in needing_attention(seeded_conn, seeded_settings)] == ["accepted"]
    advance(seeded_conn, placement_id=pid, action="trial", actor="c1")
    assert needing_attention(seeded_conn, seeded_settings) == []
    seeded_conn.execute(
        "update placement set trial_at = now() - interval '31 days', host_responded_at = now() - interval '40 days', referred_at = now() - interval '41 days', confirmed_at = now() - interval '42 days' where id = %s",
        [pid],
    )
    assert [a.kind for a in needing_attention(seeded_conn, seeded_settings)] == ["stalled"]
    longer = seeded_settings.model_copy(update={"stall_days": {"trial": 60}})
    assert needing_attention(seeded_conn, longer) == []


def test_mails_tell_each_side_what_happened_and_nothing_about_the_person(
    seeded_conn: psycopg.Connection, seeded_settings: Settings, smtp: tuple[str, Inbox]
) -> None:
    url, inbox = smtp
    settings = seeded_settings.model_copy(
        update={"smtp_url": url, "base_url": "https://matching.city.example.jp"}
    )
    accounts(seeded_conn)
    pid = referred(seeded_conn, settings, note="大きな音が苦手です")
    assert deliver(seeded_conn, settings).sent == 1  # h2 has no address
    (to_host,) = inbox.to("h1@shop.example.jp")
    text = body(to_host)
    assert (
        f"紹介番号 {pid}" in to_host["Subject"]
        and f"https://matching.city.example.jp/#referral-{pid}" in text
    )
    assert "城下町古書 とのまち堂" in text
    for personal in ("大きな音", "40-44", "p02", "映画"):
        assert personal not in text and personal not in to_host["Subject"]
    respond(
        seeded_conn,
        placement_id=pid,
        resource_ids=HOST,
        accept=False,
        reason="人手が足りない",
        actor="h1",
        settings=settings,
    )
    deliver(seeded_conn, settings)
    (to_coordinator,) = inbox.to("c1@city.example.jp")
    assert "辞退する" in to_coordinator["Subject"] and "空きは戻りました" in body(to_coordinator)
    assert "人手が足りない" not in body(to_coordinator)  # the reason is read on the page, not in the mail


def test_withdrawal_reminders_and_digests_are_mailed(
    seeded_conn: psycopg.Connection, seeded_settings: Settings, smtp: tuple[str, Inbox]
) -> None:
    url, inbox = smtp
    settings = seeded_settings.model_copy(update={"smtp_url": url})
    accounts(seeded_conn, digest=True)
    pid = referred(seeded_conn, settings)
    assert deliver(seeded_conn, settings).sent == 0  # the host takes a daily digest
    seeded_conn.execute("update placement set answer_due = current_date - 2 where id = %s", [pid])
    assert remind(seeded_conn, settings) == 2  # the host's reminder and the coordinator's notice
    assert remind(seeded_conn, settings) == 0  # once a day
    assert deliver(seeded_conn, settings, digests=True).sent == 2
    (digest,) = inbox.to("h1@shop.example.jp")
    assert "本日のお知らせ（2件）" in digest["Subject"]
    assert "新しい紹介が届きました" in body(digest) and "返答期限" in body(digest)
    (overdue,) = inbox.to("c1@city.example.jp")
    assert "期限を過ぎています" in overdue["Subject"]
    set_consent(seeded_conn, profile_id="p02", consent=Consent.none, consent_date=date.today(), actor="c1")
    withdraw_from_hosts(seeded_conn, settings, profile_id="p02", actor="c1")
    deliver(seeded_conn, settings, digests=True)
    assert "同意が撤回されました" in inbox.to("h1@shop.example.jp")[-1][
        "Subject"
    ] or "同意が撤回されました" in body(inbox.to("h1@shop.example.jp")[-1])


def test_no_mail_is_queued_without_smtp_and_a_failed_send_is_kept_and_retried(
    seeded_conn: psycopg.Connection, seeded_settings: Settings, smtp: tuple[str, Inbox]
) -> None:
    accounts(seeded_conn)
    referred(seeded_conn, seeded_settings)
    assert seeded_conn.execute("select count(*) from mail_outbox").fetchone() == (0,)
    url, inbox = smtp
    down = seeded_settings.model_copy(update={"smtp_url": "smtp://127.0.0.1:9"})  # nothing listens there
    seeded_conn.execute("delete from placement")
    seeded_conn.execute("update resource set capacity_open = capacity_total where id = 'r02'")
    referred(seeded_conn, down)
    assert deliver(seeded_conn, down).failed == 1
    attempts, error = seeded_conn.execute("select attempts, last_error from mail_outbox").fetchone()
    assert attempts == 1 and error
    assert deliver(seeded_conn, seeded_settings.model_copy(update={"smtp_url": url})).sent == 1
    assert len(inbox.messages) == 1


def test_a_stalled_placement_is_mailed_to_its_coordinator_once_a_week(
    seeded_conn: psycopg.Connection, seeded_settings: Settings, smtp: tuple[str, Inbox]
) -> None:
    url, inbox = smtp
    settings = seeded_settings.model_copy(update={"smtp_url": url})
    accounts(seeded_conn)
    pid = referred(seeded_conn, settings)
    respond(seeded_conn, placement_id=pid, resource_ids=HOST, accept=True, reason="", actor="h1")
    advance(seeded_conn, placement_id=pid, action="trial", actor="c1")
    assert remind(seeded_conn, settings) == 0  # a fresh step is not a stall
    seeded_conn.execute(
        "update placement set confirmed_at = now() - interval '40 days', referred_at = now() - interval '39 days',"
        " host_responded_at = now() - interval '38 days', trial_at = now() - interval '35 days' where id = %s",
        [pid],
    )
    assert remind(seeded_conn, settings) == 1
    assert remind(seeded_conn, settings) == 0  # not again within the week
    seeded_conn.execute("update placement set reminded_on = current_date - 7 where id = %s", [pid])
    assert remind(seeded_conn, settings) == 1
    deliver(seeded_conn, settings)
    first, _again = inbox.to("c1@city.example.jp")
    assert "35日以上動きのないつなぎ" in first["Subject"] and "見学・体験" in body(first)
