"""支援経過記録: a profile's dated case notes, written and read by coordinators only.

A note is free text about a person, so it passes the PII guard like every other such text. It may be
back-dated (written_on is the day the support happened), never dated in the future. Notes are added,
never edited. Writing and showing them are audited; the log keeps the date and length, not the text
(admins read the log, and the notes are for coordinators only).
"""

from dataclasses import dataclass
from datetime import date, datetime

import psycopg
from psycopg.rows import class_row

from matcher.accounts import audit
from matcher.accounts.users import User
from matcher.core import rows
from matcher.core.fields import clean_text
from matcher.errors import Invalid, NotAllowed, NotFound
from matcher.profiles.pii import refuse_pii
from matcher.sql import queries

SQL = queries("case_notes")
MAX_NOTE = 4000
EARLIEST = date(2000, 1, 1)
SHOWN = 200  # the newest notes a profile shows


@dataclass(frozen=True)
class CaseNote:
    """One dated 支援経過記録."""

    id: int
    profile_id: str
    written_on: date
    author: str
    body: str
    created_at: datetime


def _coordinator_only(user: User) -> None:
    if user.role != "coordinator":
        raise NotAllowed("支援経過記録はコーディネーターだけが読み書きできます")


def _existing(conn: psycopg.Connection, profile_id: str) -> None:
    row = conn.execute(SQL.profile_exists, {"profile_id": profile_id}).fetchone()
    if not row or not row[0]:
        raise NotFound(f"ニーズプロファイル「{profile_id}」はありません")


def checked_note(text: str, written_on: date, *, today: date) -> str:
    """The note's text, cleaned, or Invalid naming the field that is wrong (PII included)."""
    body = str(clean_text(text))
    if not body:
        raise Invalid("記録の内容を書いてください", field="body")
    if len(body) > MAX_NOTE:
        raise Invalid(f"記録は{MAX_NOTE}文字までにしてください（いま{len(body)}文字）", field="body")
    if written_on > today:
        raise Invalid("記録の日付に未来の日は選べません（さかのぼって記録はできます）", field="written_on")
    if written_on < EARLIEST:
        raise Invalid(f"記録の日付は{EARLIEST:%Y年}以降にしてください", field="written_on")
    refuse_pii(body=body)
    return body


def add_note(
    conn: psycopg.Connection, *, profile_id: str, written_on: date, text: str, author: User
) -> CaseNote:
    """Adds a dated note to a profile, audited."""
    _coordinator_only(author)
    body = checked_note(text, written_on, today=date.today())
    with conn.transaction():
        _existing(conn, profile_id)
        params = {"profile_id": profile_id, "written_on": written_on, "author": author.name, "body": body}
        note = rows.inserted(conn, CaseNote, SQL.add, params)
        audit.log(
            conn,
            audit.profile(profile_id),
            "case_note",
            actor=author.name,
            after={"note_id": note.id, "written_on": written_on, "length": len(body)},
        )
    return note


def notes_of(conn: psycopg.Connection, *, profile_id: str, reader: User) -> list[CaseNote]:
    """A profile's notes, newest date first; showing any is audited."""
    _coordinator_only(reader)
    with conn.transaction():
        _existing(conn, profile_id)
        with conn.cursor(row_factory=class_row(CaseNote)) as cur:
            notes = cur.execute(SQL.of_profile, {"profile_id": profile_id, "limit": SHOWN}).fetchall()
        if notes:
            audit.log(
                conn, audit.profile(profile_id), "read_notes", actor=reader.name, after={"shown": len(notes)}
            )
    return notes


def count_notes(conn: psycopg.Connection, *, profile_id: str) -> int:
    """How many notes a profile has (shown or not)."""
    return rows.count(conn, SQL.count_of_profile, {"profile_id": profile_id})
