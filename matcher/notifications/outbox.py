"""Queueing mails in the transaction of the change, and sending them (SMTP) after it commits."""

import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from itertools import groupby
from urllib.parse import unquote, urlsplit

import psycopg

from matcher.config import Settings
from matcher.notifications import messages
from matcher.notifications.messages import Mail
from matcher.placements.alerts import needing_attention
from matcher.sql import queries

SQL = queries("notifications")
# Mails a host may take as one daily digest instead (a coordinator's are always sent at once).
DIGESTIBLE = frozenset({"referral", "reminder", "withdrawn"})


def enqueue(conn: psycopg.Connection, settings: Settings, accounts: Iterable[str], mail: Mail) -> int:
    """Queues the mail for each account that has an address; returns how many. Nothing when mail is off."""
    if settings.smtp_url is None:
        return 0
    queued = 0
    for account in accounts:
        row = conn.execute(SQL.recipient, {"name": account}).fetchone()
        if row is None:
            continue
        digest = bool(row[1]) and mail.kind in DIGESTIBLE
        values = {"account": account, "kind": mail.kind, "subject": mail.subject, "body": mail.body}
        conn.execute(SQL.enqueue, values | {"digest": digest})
        queued += 1
    return queued


def hosts_of(conn: psycopg.Connection, resource_id: str) -> list[str]:
    """The host accounts of a listing."""
    return [row[0] for row in conn.execute(SQL.hosts_of_listing, {"resource_id": resource_id})]


def send_one(settings: Settings, to: str, subject: str, body: str) -> None:
    """Sends one plain-text mail through MATCHER_SMTP_URL (STARTTLS when the server offers it)."""
    assert settings.smtp_url is not None
    url = urlsplit(settings.smtp_url)
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2] or None)
    message.set_content(body)
    secure = url.scheme == "smtps"
    client = smtplib.SMTP_SSL if secure else smtplib.SMTP
    with client(url.hostname or "localhost", url.port or (465 if secure else 25), timeout=15) as smtp:
        if not secure:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls()
                smtp.ehlo()
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        smtp.send_message(message)


@dataclass(frozen=True)
class Delivery:
    """What one sending round did."""

    sent: int
    failed: int


def _send_marked(
    conn: psycopg.Connection, settings: Settings, ids: list[int], to: str, subject: str, body: str
) -> bool:
    try:
        send_one(settings, to, subject, body)
    except (OSError, smtplib.SMTPException) as exc:
        conn.execute(SQL.mark_failed, {"ids": ids, "error": f"{type(exc).__name__}: {exc}"[:500]})
        return False
    conn.execute(SQL.mark_sent, {"ids": ids})
    return True


def deliver(conn: psycopg.Connection, settings: Settings, *, digests: bool = False) -> Delivery:
    """Sends every mail that is due (and, with digests, one digest per host of what waited for it).
    A mail that fails is tried again next round, up to 5 times; the error is kept in the outbox."""
    if settings.smtp_url is None:
        return Delivery(0, 0)
    sent = failed = 0
    while True:
        with conn.transaction():
            rows = conn.execute(SQL.take_pending).fetchall()
            for mail_id, subject, body, email in rows:
                ok = _send_marked(conn, settings, [mail_id], email, subject, body)
                sent, failed = sent + ok, failed + (not ok)
        if len(rows) < 50 or failed:
            break
    if digests:
        with conn.transaction():
            rows = conn.execute(SQL.take_digests).fetchall()
            for (_account, email), group in groupby(rows, key=lambda r: (r[1], r[4])):
                items = list(group)
                subject, body = messages.digest([(r[2], r[3]) for r in items])
                ok = _send_marked(conn, settings, [r[0] for r in items], email, subject, body)
                sent, failed = sent + ok, failed + (not ok)
    return Delivery(sent, failed)


def remind(conn: psycopg.Connection, settings: Settings) -> int:
    """The daily reminders, from the coordinator's alerts (placements.alerts): hosts whose answer is
    overdue (and their coordinator), and coordinators of placements that stalled. Each placement is
    reminded at most once a day (stalled: once a week)."""
    count = 0
    today = date.today()
    now = datetime.now().astimezone()
    with conn.transaction():
        for alert in needing_attention(conn, settings):
            pl = alert.placement
            if alert.kind == "overdue" and (pl.reminded_on is None or pl.reminded_on < today):
                assert pl.answer_due is not None
                mail = messages.reminder(settings, pl.id, pl.resource_name, pl.answer_due)
                count += enqueue(conn, settings, hosts_of(conn, pl.resource_id), mail)
                notice = messages.answer_overdue(
                    settings, pl.id, pl.profile_id, pl.resource_name, pl.answer_due
                )
            elif alert.kind == "stalled" and (
                pl.reminded_on is None or pl.reminded_on <= today - timedelta(days=7)
            ):
                days = alert.days_since_step(now)
                notice = messages.stalled(
                    settings, pl.id, pl.profile_id, pl.resource_name, pl.status_label, days
                )
            else:
                continue
            count += enqueue(conn, settings, [pl.confirmed_by] if pl.confirmed_by else [], notice)
            conn.execute(SQL.mark_reminded, {"id": pl.id})
    return count


def outbox_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Waiting, sent today, failed for good."""
    row = conn.execute(SQL.outbox_counts).fetchone()
    assert row is not None
    return {"waiting": int(row[0]), "sent_today": int(row[1]), "failed": int(row[2])}
