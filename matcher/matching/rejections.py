"""Rejections: a proposal turned down, with its reason, is not proposed again to that profile."""

import psycopg
from psycopg.types.json import Jsonb

from matcher.accounts import audit
from matcher.config import Settings
from matcher.core import rows
from matcher.errors import NotFound
from matcher.matching.propose import SQL, proposal_for, require_profile
from matcher.profiles.pii import refuse_pii
from matcher.registry.store import get_resource


class UnknownResource(NotFound, LookupError):
    """No listing has this id."""

    def __init__(self, resource_id: str) -> None:
        super().__init__(f"社会資源「{resource_id}」はありません", field="resource_id")


def reject(
    conn: psycopg.Connection,
    *,
    profile_id: str,
    resource_id: str,
    reason: str,
    by: str | None,
    settings: Settings | None = None,
) -> None:
    """Records the rejection (a later one replaces the reason), with the fit it was shown with.

    A reason holding a name, phone number or other identifier raises PiiInField."""
    refuse_pii(reason=reason)
    require_profile(conn, profile_id)
    if get_resource(conn, resource_id=resource_id) is None:
        raise UnknownResource(resource_id)
    features = None
    if settings is not None:
        _profile, _row, proposal = proposal_for(
            conn, settings, profile_id=profile_id, resource_id=resource_id
        )
        features = Jsonb(proposal.parts) if proposal else None
    with conn.transaction():
        conn.execute(
            SQL.reject,
            {
                "profile_id": profile_id,
                "resource_id": resource_id,
                "reason": reason.strip(),
                "rejected_by": by,
                "features": features,
            },
        )
        audit.log(
            conn,
            audit.profile(profile_id),
            "reject",
            actor=by or "unknown",
            after={"resource_id": resource_id, "reason": reason.strip()},
        )


def restore(conn: psycopg.Connection, *, profile_id: str, resource_id: str, by: str) -> None:
    """Puts a turned-down listing back among the profile's proposals (「提案に戻す」: undoing a 見送り,
    or choosing a listing again after its host declined). NotFound when it was not turned down."""
    with conn.transaction():
        params = {"profile_id": profile_id, "resource_id": resource_id}
        missing = NotFound("この社会資源は見送られていません", field="resource_id")
        row = rows.one(conn, SQL.unreject, params, missing=missing)
        audit.log(
            conn,
            audit.profile(profile_id),
            "restore",
            actor=by,
            before={"resource_id": resource_id, "reason": row[0]},
        )
