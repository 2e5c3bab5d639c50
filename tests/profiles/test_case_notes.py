"""支援経過記録 and 担当 in the domain: dated notes (back-dated, never in the future), the PII guard,
coordinators only, audited without their text; assigning a 担当; the dashboard puts one's own cases first."""

from datetime import date, timedelta

import psycopg
import pytest

from matcher.accounts.users import User, create_user
from matcher.config import Settings
from matcher.errors import Invalid, NotAllowed, NotFound
from matcher.profiles.case_notes import add_note, notes_of
from matcher.profiles.pii import PiiInField
from matcher.profiles.service import assign_coordinator, create_profile
from matcher.profiles.store import coordinator_of, get_profile
from matcher.reports import dashboard


@pytest.fixture
def staff(seeded_conn: psycopg.Connection) -> dict[str, User]:
    made = {
        role: create_user(seeded_conn, name=f"note-{role}", role=role, resource_ids=owned)[0]
        for role, owned in (("coordinator", []), ("provider", ["r01"]), ("admin", []))
    }
    made["other"] = create_user(seeded_conn, name="note-other", role="coordinator")[0]
    seeded_conn.commit()
    return made


def audit_rows(conn: psycopg.Connection, action: str) -> list[tuple[str, dict[str, object] | None]]:
    query = "select actor, after from audit_log where action = %s and entity_id = 'p02' order by id"
    return [(row[0], row[1]) for row in conn.execute(query, [action])]


def test_notes_are_listed_newest_date_first_and_may_be_back_dated(
    seeded_conn: psycopg.Connection, staff: dict[str, User]
) -> None:
    today = date.today()
    me = staff["coordinator"]
    add_note(seeded_conn, profile_id="p02", written_on=today, text="見学の日程を本人と相談した", author=me)
    add_note(seeded_conn, profile_id="p02", written_on=today - timedelta(days=30), text="初回面談", author=me)
    add_note(seeded_conn, profile_id="p02", written_on=today, text="同じ日の二つ目", author=staff["other"])

    notes = notes_of(seeded_conn, profile_id="p02", reader=me)
    assert [n.body for n in notes] == ["同じ日の二つ目", "見学の日程を本人と相談した", "初回面談"]
    assert [n.author for n in notes] == ["note-other", "note-coordinator", "note-coordinator"]
    assert notes[2].written_on == today - timedelta(days=30)
    assert notes_of(seeded_conn, profile_id="p03", reader=me) == []


def test_a_note_dated_in_the_future_is_refused(
    seeded_conn: psycopg.Connection, staff: dict[str, User]
) -> None:
    tomorrow = date.today() + timedelta(days=1)
    with pytest.raises(Invalid) as refused:
        add_note(seeded_conn, profile_id="p02", written_on=tomorrow, text="予定", author=staff["coordinator"])
    assert refused.value.field == "written_on"
    assert "未来" in refused.value.message
    assert notes_of(seeded_conn, profile_id="p02", reader=staff["coordinator"]) == []


def test_the_database_refuses_a_far_future_date_too(seeded_conn: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        seeded_conn.execute(
            "insert into case_note (profile_id, written_on, author, body) values ('p02', %s, 'x', 'y')",
            [date.today() + timedelta(days=3)],
        )


@pytest.mark.parametrize(
    "text",
    ["田中太郎さんと面談した", "連絡先は 090-1234-5678", "住所は松江市殿町1-2-3", "mail: a.b@example.jp"],
)
def test_the_pii_guard_refuses_identifiers_and_stores_nothing(
    seeded_conn: psycopg.Connection, staff: dict[str, User], text: str
) -> None:
    with pytest.raises(PiiInField) as refused:
        add_note(
            seeded_conn, profile_id="p02", written_on=date.today(), text=text, author=staff["coordinator"]
        )
    assert refused.value.field == "body"
    assert "個人を特定できる情報" in refused.value.message
    assert seeded_conn.execute("select count(*) from case_note").fetchone() == (0,)


def test_an_empty_note_is_refused(seeded_conn: psycopg.Connection, staff: dict[str, User]) -> None:
    with pytest.raises(Invalid, match="内容を書いて"):
        add_note(
            seeded_conn, profile_id="p02", written_on=date.today(), text=" \n ", author=staff["coordinator"]
        )


@pytest.mark.parametrize("role", ["provider", "admin"])
def test_only_coordinators_write_and_read_notes(
    seeded_conn: psycopg.Connection, staff: dict[str, User], role: str
) -> None:
    add_note(seeded_conn, profile_id="p02", written_on=date.today(), text="記録", author=staff["coordinator"])
    with pytest.raises(NotAllowed):
        add_note(seeded_conn, profile_id="p02", written_on=date.today(), text="記録", author=staff[role])
    with pytest.raises(NotAllowed):
        notes_of(seeded_conn, profile_id="p02", reader=staff[role])


def test_an_unknown_profile_is_not_found(seeded_conn: psycopg.Connection, staff: dict[str, User]) -> None:
    with pytest.raises(NotFound):
        add_note(
            seeded_conn, profile_id="nobody", written_on=date.today(), text="x", author=staff["coordinator"]
        )
    with pytest.raises(NotFound):
        notes_of(seeded_conn, profile_id="nobody", reader=staff["coordinator"])


def test_writing_and_showing_notes_are_audited_without_their_text(
    seeded_conn: psycopg.Connection, staff: dict[str, User]
) -> None:
    me = staff["coordinator"]
    assert notes_of(seeded_conn, profile_id="p02", reader=me) == []
    assert audit_rows(seeded_conn, "read_notes") == []  # nothing was shown
    note = add_note(
        seeded_conn, profile_id="p02", written_on=date.today(), text="作業所を見学した", author=me
    )
    notes_of(seeded_conn, profile_id="p02", reader=staff["other"])

    written = audit_rows(seeded_conn, "case_note")
    assert written == [
        ("note-coordinator", {"note_id": note.id, "written_on": date.today().isoformat(), "length": 8})
    ]
    assert audit_rows(seeded_conn, "read_notes") == [("note-other", {"shown": 1})]
    logged = seeded_conn.execute(
        "select count(*) from audit_log where strpos(after::text, '作業所を見学した') > 0"
    )
    assert logged.fetchone() == (0,)


def test_assigning_a_coordinator_is_audited_and_only_coordinators_qualify(
    seeded_conn: psycopg.Connection, staff: dict[str, User]
) -> None:
    me, other = staff["coordinator"], staff["other"]
    assert coordinator_of(seeded_conn, profile_id="p02") is None
    assigned = assign_coordinator(seeded_conn, profile_id="p02", coordinator_id=me.id, actor=me.name)
    assert assigned is not None and assigned.name == "note-coordinator"
    assign_coordinator(seeded_conn, profile_id="p02", coordinator_id=me.id, actor=me.name)  # no change
    assign_coordinator(seeded_conn, profile_id="p02", coordinator_id=other.id, actor=me.name)
    assign_coordinator(seeded_conn, profile_id="p02", coordinator_id=None, actor=me.name)
    assert coordinator_of(seeded_conn, profile_id="p02") is None
    assert audit_rows(seeded_conn, "assign") == [
        ("note-coordinator", {"coordinator": "note-coordinator"}),
        ("note-coordinator", {"coordinator": "note-other"}),
        ("note-coordinator", {"coordinator": None}),
    ]
    for not_a_coordinator in (staff["provider"].id, staff["admin"].id, 999_999):
        with pytest.raises(Invalid, match="コーディネーターだけ"):
            assign_coordinator(seeded_conn, profile_id="p02", coordinator_id=not_a_coordinator, actor=me.name)
    with pytest.raises(NotFound):
        assign_coordinator(seeded_conn, profile_id="nobody", coordinator_id=me.id, actor=me.name)


def test_the_coordinator_who_creates_a_profile_becomes_its_coordinator(
    seeded_conn: psycopg.Connection, staff: dict[str, User]
) -> None:
    template = get_profile(seeded_conn, profile_id="p02")
    assert template is not None
    create_profile(seeded_conn, template.model_copy(update={"id": "new-by-coordinator"}), actor="note-other")
    create_profile(seeded_conn, template.model_copy(update={"id": "new-by-admin"}), actor="note-admin")
    created = coordinator_of(seeded_conn, profile_id="new-by-coordinator")
    assert created is not None and created.name == "note-other"
    assert coordinator_of(seeded_conn, profile_id="new-by-admin") is None


def test_the_dashboard_shows_ones_own_cases_first_with_the_latest_note(
    seeded_conn: psycopg.Connection, seeded_settings: Settings, staff: dict[str, User]
) -> None:
    me, other = staff["coordinator"], staff["other"]
    for profile_id in ("p20", "p11"):
        assign_coordinator(seeded_conn, profile_id=profile_id, coordinator_id=me.id, actor=me.name)
    assign_coordinator(seeded_conn, profile_id="p03", coordinator_id=other.id, actor=other.name)
    add_note(seeded_conn, profile_id="p20", written_on=date(2026, 1, 5), text="面談", author=me)
    add_note(seeded_conn, profile_id="p20", written_on=date(2025, 12, 1), text="初回", author=me)
    seeded_conn.commit()

    board = dashboard.build(seeded_conn, seeded_settings, me=me.id)
    assert [line.profile.id for line in board.my_cases] == ["p11", "p20"]
    assert [line.profile.id for line in board.profiles[:2]] == ["p11", "p20"]
    by_id = {line.profile.id: line for line in board.profiles}
    assert by_id["p20"].last_note == date(2026, 1, 5) and by_id["p11"].last_note is None
    assert by_id["p03"].coordinator == "note-other" and not by_id["p03"].mine
    theirs = dashboard.build(seeded_conn, seeded_settings, me=other.id)
    assert [line.profile.id for line in theirs.my_cases] == ["p03"]
    assert dashboard.build(seeded_conn, seeded_settings).my_cases == []
