"""Registering a 開拓候補 as a listing: the admin completes the listing form pre-filled from the candidate,
and saving adds the listing through the registry's own path (matcher.registry.admin.add_listing: audited,
embedded) and marks the candidate 登録済 with the listing's id, in one transaction: if anything fails
midway, neither the listing nor the change of stage remains. The listing is a 参加支援 host (no
existing programme), active, registered now — so the year's 新たに開拓した社会資源 counts it.
"""

from typing import Any

import psycopg

from matcher import embedding
from matcher.accounts.users import User
from matcher.core.vocabulary import ResourceStatus
from matcher.development.model import OPEN_STAGES, STAGE_LABELS, Candidate
from matcher.development.pipeline import SQL, locked_stage, record
from matcher.errors import Conflict, NotAllowed
from matcher.registry.admin import add_listing
from matcher.registry.model import Resource

ID_PREFIX = "dev-"  # the code suggested for a listing developed from candidate N: dev-N


def check_registrar(user: User) -> None:
    """Listings are added by the municipality's admins (as on /admin/listings/new)."""
    if user.role != "admin":
        raise NotAllowed("社会資源の登録は管理者が行います")


def listing_draft(candidate: Candidate) -> dict[str, Any]:
    """The listing's fields as the candidate pre-fills them (the admin completes the rest)."""
    return {
        "id": f"{ID_PREFIX}{candidate.id}",
        "name": candidate.name,
        "kind": candidate.kind,
        "area": candidate.area,
        "description": candidate.need,
        "programme": None,
        "status": ResourceStatus.active,
    }


def as_developed(resource: Resource) -> Resource:
    """The listing as the pipeline registers it: a 参加支援 host, no programme, taking people now."""
    update = {"programme": None, "hosts_participation": False, "status": ResourceStatus.active}
    return resource.model_copy(update=update)


def register(
    conn: psycopg.Connection,
    *,
    candidate_id: int,
    resource: Resource,
    spec: embedding.EmbeddingSpec,
    by: User,
) -> Resource:
    """Adds the listing and marks the candidate 登録済 with it, all or nothing; Conflict when the
    candidate is not open or the listing's code is taken."""
    check_registrar(by)
    listing = as_developed(resource)
    with conn.transaction():
        stage = locked_stage(conn, candidate_id)
        if stage not in OPEN_STAGES:
            raise Conflict(f"「{STAGE_LABELS[stage]}」の候補は登録できません")
        add_listing(conn, listing, spec, actor=by.name)
        conn.execute(SQL.register, {"id": candidate_id, "resource_id": listing.id, "by": by.name})
        after = {"stage": "registered", "resource_id": listing.id}
        record(conn, by, "development_registered", candidate_id, before={"stage": stage}, after=after)
    return listing
