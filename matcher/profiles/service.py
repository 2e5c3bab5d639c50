"""Creating and changing needs profiles one at a time, each change audited."""

from datetime import date

import psycopg

from matcher.accounts import audit
from matcher.core.vocabulary import Consent
from matcher.errors import Conflict, Invalid, NotFound
from matcher.profiles.model import NeedsProfile
from matcher.profiles.store import SQL, Coordinator, coordinator_of, get_profile, save_profiles


class ProfileExists(Conflict, ValueError):
    """A profile with this code already exists."""


def create_profile(conn: psycopg.Connection, profile: NeedsProfile, *, actor: str) -> NeedsProfile:
    """Stores a new profile (its code must be new); a coordinator who creates it becomes its 担当."""
    with conn.transaction():
        if get_profile(conn, profile_id=profile.id) is not None:
            raise ProfileExists(f"コード「{profile.id}」のニーズプロファイルはすでにあります")
        save_profiles(conn, [profile])
        audit.log(conn, audit.profile(profile.id), "create", actor=actor, after=profile)
        assigned = conn.execute(SQL.assign_creator, {"id": profile.id, "name": actor}).fetchone()
        if assigned:
            _record_assign(conn, profile.id, actor, None, str(assigned[0]))
    return profile


def update_profile(conn: psycopg.Connection, profile: NeedsProfile, *, actor: str) -> NeedsProfile | None:
    """Replaces an existing profile; None when there is none with this code."""
    with conn.transaction():
        before = get_profile(conn, profile_id=profile.id)
        if before is None:
            return None
        if before != profile:
            save_profiles(conn, [profile])
            audit.log(conn, audit.profile(profile.id), "update", actor=actor, before=before, after=profile)
    return profile


def set_consent(
    conn: psycopg.Connection, *, profile_id: str, consent: Consent, consent_date: date, actor: str
) -> NeedsProfile | None:
    """Records the person's consent and the date it was given or changed."""
    with conn.transaction():
        before = get_profile(conn, profile_id=profile_id)
        if before is None:
            return None
        after = before.model_copy(update={"consent": consent, "consent_date": consent_date})
        save_profiles(conn, [after])
        audit.log(
            conn,
            audit.profile(profile_id),
            "consent",
            actor=actor,
            before={"consent": str(before.consent), "consent_date": before.consent_date},
            after={"consent": str(consent), "consent_date": consent_date},
        )
    return after


def assign_coordinator(
    conn: psycopg.Connection, *, profile_id: str, coordinator_id: int | None, actor: str
) -> Coordinator | None:
    """Makes a coordinator account the profile's 担当 (None: nobody); returns the new 担当."""
    with conn.transaction():
        if get_profile(conn, profile_id=profile_id) is None:
            raise NotFound(f"ニーズプロファイル「{profile_id}」はありません")
        before = coordinator_of(conn, profile_id=profile_id)
        if before is not None and before.id == coordinator_id:
            return before  # unchanged (also when that account has been disabled since)
        after = None
        if coordinator_id is not None:
            row = conn.execute(SQL.coordinator_account, {"id": coordinator_id}).fetchone()
            if row is None:
                raise Invalid(
                    "担当にできるのは、無効になっていないコーディネーターだけです", field="coordinator"
                )
            after = Coordinator(int(row[0]), str(row[1]))
        if before != after:
            conn.execute(SQL.assign, {"id": profile_id, "coordinator_id": coordinator_id})
            _record_assign(conn, profile_id, actor, _name(before), _name(after))
    return after


def _name(coordinator: Coordinator | None) -> str | None:
    return coordinator.name if coordinator else None


def _record_assign(
    conn: psycopg.Connection, profile_id: str, actor: str, before: str | None, after: str | None
) -> None:
    audit.log(
        conn,
        audit.profile(profile_id),
        "assign",
        actor=actor,
        before={"coordinator": before},
        after={"coordinator": after},
    )
