"""Creating and changing needs profiles one at a time, each change audited."""

from datetime import date

import psycopg

from matcher.accounts import audit
from matcher.core.vocabulary import Consent
from matcher.errors import Conflict
from matcher.profiles.model import NeedsProfile
from matcher.profiles.store import get_profile, save_profiles


class ProfileExists(Conflict, ValueError):
    """A profile with this code already exists."""


def create_profile(conn: psycopg.Connection, profile: NeedsProfile, *, actor: str) -> NeedsProfile:
    """Stores a new profile (its code must be new)."""
    with conn.transaction():
        if get_profile(conn, profile_id=profile.id) is not None:
            raise ProfileExists(f"コード「{profile.id}」のニーズプロファイルはすでにあります")
        save_profiles(conn, [profile])
        audit.record(
            conn, actor=actor, action="create", entity="profile", entity_id=profile.id, after=profile
        )
    return profile


def update_profile(conn: psycopg.Connection, profile: NeedsProfile, *, actor: str) -> NeedsProfile | None:
    """Replaces an existing profile; None when there is none with this code."""
    with conn.transaction():
        before = get_profile(conn, profile_id=profile.id)
        if before is None:
            return None
        if before != profile:
            save_profiles(conn, [profile])
            audit.record(
                conn,
                actor=actor,
                action="update",
                entity="profile",
                entity_id=profile.id,
                before=before,
                after=profile,
            )
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
        audit.record(
            conn,
            actor=actor,
            action="consent",
            entity="profile",
            entity_id=profile_id,
            before={"consent": str(before.consent), "consent_date": before.consent_date},
            after={"consent": str(consent), "consent_date": consent_date},
        )
    return after
