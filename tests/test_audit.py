"""The audit log is append-only, enforced in the database for the role the application uses."""

import psycopg
import pytest

from matcher.accounts import audit


@pytest.mark.parametrize(
    "statement",
    ["update audit_log set actor = 'someone else'", "delete from audit_log", "truncate audit_log"],
)
def test_the_application_role_cannot_change_or_remove_audit_rows(
    seeded_conn: psycopg.Connection, statement: str
) -> None:
    audit.record(
        seeded_conn,
        actor="c1",
        action="update",
        entity="profile",
        entity_id="audit-test-1",
        before={"a": 1},
        after={"a": 2},
    )
    seeded_conn.commit()
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="監査ログは追記のみです"):
        seeded_conn.execute(statement)
    seeded_conn.rollback()
    (row,) = audit.history(seeded_conn, entity="profile", entity_id="audit-test-1")
    assert (row.actor, row.before, row.after) == ("c1", {"a": 1}, {"a": 2})


def test_rows_record_who_when_what_before_and_after(seeded_conn: psycopg.Connection) -> None:
    person = audit.profile("audit-test-2")
    audit.log(
        seeded_conn, person, "consent", actor="c1", before={"consent": "none"}, after={"consent": "full"}
    )
    (row,) = audit.history(seeded_conn, entity="profile", entity_id="audit-test-2")
    assert row.at is not None and row.action == "consent" and row.after == {"consent": "full"}
    assert (row.actor, row.before) == ("c1", {"consent": "none"})
