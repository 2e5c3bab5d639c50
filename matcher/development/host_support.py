"""Support for hosts (定着支援, domain.md §1 rule 4): a dated log per listing of what was given — 訪問,
応援金 (with its amount in yen), 送迎, 同行, 研修 — kept by coordinators and admins, never shown to hosts.
The note passes the PII guard; entries are added, never edited; adding one is audited without its note.
"""

import re
import unicodedata
from datetime import date

import psycopg
from psycopg.rows import class_row

from matcher.accounts import audit
from matcher.accounts.users import User
from matcher.core import rows
from matcher.core.vocabulary import SupportKind
from matcher.development.model import SUPPORT_LABELS, SupportEntry, SupportSummary
from matcher.development.pipeline import SQL, check_organiser, checked_day
from matcher.errors import Invalid, NotFound
from matcher.profiles.pii import guarded_text

MAX_NOTE = 2000
MAX_YEN = 100_000_000
_YEN = re.compile(r"^\d{1,9}$")


def parse_yen(text: str) -> int | None:
    """An amount in yen as typed (１０，０００円, 10,000, ¥10000); None when left empty; Invalid otherwise."""
    plain = unicodedata.normalize("NFKC", text).strip().removeprefix("¥").removesuffix("円")
    plain = plain.replace(",", "").strip()
    if not plain:
        return None
    if not _YEN.match(plain) or not 0 < int(plain) <= MAX_YEN:
        raise Invalid("金額は 10000 のように円単位の数字で書いてください", field="amount_yen")
    return int(plain)


def _checked_kind(kind: str, amount_yen: int | None) -> SupportKind:
    if kind not in SUPPORT_LABELS:
        raise Invalid("支援の種類を選んでください", field="kind")
    if amount_yen is not None and kind != SupportKind.grant:
        raise Invalid("金額は応援金のときだけ書けます", field="amount_yen")
    return SupportKind(kind)


def add_support(
    conn: psycopg.Connection,
    *,
    resource_id: str,
    given_on: date,
    kind: str,
    amount_yen: int | None,
    note: str,
    by: User,
) -> SupportEntry:
    """Adds one dated entry of support given to a listing's host, audited without the note."""
    check_organiser(by)
    chosen = _checked_kind(kind, amount_yen)
    checked_day(given_on, "given_on", today=date.today())
    text = guarded_text(note, "note", limit=MAX_NOTE)
    with conn.transaction():
        _existing(conn, resource_id)
        params = {"resource_id": resource_id, "given_on": given_on, "kind": chosen, "amount_yen": amount_yen}
        entry = rows.inserted(conn, SupportEntry, SQL.add_support, params | {"note": text, "author": by.name})
        after = {
            "support_id": entry.id,
            "given_on": given_on,
            "support_kind": chosen,
            "amount_yen": amount_yen,
        }
        audit.log(conn, audit.resource(resource_id), "host_support", actor=by.name, after=after)
    return entry


def _existing(conn: psycopg.Connection, resource_id: str) -> None:
    row = conn.execute(SQL.resource_exists, {"resource_id": resource_id}).fetchone()
    if not row or not row[0]:
        raise NotFound(f"社会資源「{resource_id}」はありません")


def support_log(conn: psycopg.Connection, *, resource_id: str, reader: User) -> list[SupportEntry]:
    """The support given to a listing's host, newest date first (coordinators and admins only)."""
    check_organiser(reader)
    with conn.cursor(row_factory=class_row(SupportEntry)) as cur:
        return cur.execute(SQL.support_log, {"resource_id": resource_id}).fetchall()


def support_summary(conn: psycopg.Connection, *, resource_id: str, reader: User) -> SupportSummary:
    """The support counted by kind, the 応援金 total and the latest date (coordinators and admins only)."""
    check_organiser(reader)
    counts = {kind: 0 for kind in SUPPORT_LABELS}
    grant_total, last_on = 0, None
    for kind, n, amount, latest in conn.execute(SQL.support_summary, {"resource_id": resource_id}):
        counts[kind] = int(n)
        if kind == SupportKind.grant:
            grant_total = int(amount)
        last_on = latest if last_on is None or latest > last_on else last_on
    return SupportSummary(counts=counts, grant_total=grant_total, last_on=last_on)


def developed_from(conn: psycopg.Connection, *, resource_id: str) -> tuple[int, str] | None:
    """The 開拓候補 (id, name) a listing was registered from, if any."""
    row = conn.execute(SQL.of_resource, {"resource_id": resource_id}).fetchone()
    return (int(row[0]), str(row[1])) if row else None
