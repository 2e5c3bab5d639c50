"""What a host may change in its own listings, and 「内容を確認しました」 (assured_at)."""

from datetime import date
from typing import Any

import psycopg

from matcher import audit, embedding
from matcher.accounts import User
from matcher.registry.model import Resource
from matcher.registry.service import replace_resource
from matcher.registry.store import get_resource, save_resources

HOST_FIELDS = ("capacity_total", "capacity_open", "schedule", "description", "trial", "status")


class NotYourListing(PermissionError):
    """A host asked for a listing that is not its own (403)."""

    def __init__(self) -> None:
        super().__init__("この社会資源を扱う権限がありません")


def own_listing(conn: psycopg.Connection, user: User, resource_id: str) -> Resource:
    """The host's own listing, or NotYourListing (also when it does not exist: nothing is revealed)."""
    resource = get_resource(conn, resource_id=resource_id) if user.owns(resource_id) else None
    if resource is None:
        raise NotYourListing()
    return resource


def edit_listing(
    conn: psycopg.Connection,
    user: User,
    resource_id: str,
    changes: dict[str, Any],
    spec: embedding.EmbeddingSpec,
) -> Resource:
    """Applies a host's changes (only HOST_FIELDS; status active or paused), audited and re-embedded.

    Raises ValidationError naming the fields that are wrong; assured_at is not touched.
    """
    current = own_listing(conn, user, resource_id)
    allowed = {k: v for k, v in changes.items() if k in HOST_FIELDS}
    if allowed.get("status") not in (None, "active", "paused"):
        allowed["status"] = current.status  # a host pauses and resumes; closing is the municipality's
    updated = Resource.model_validate(current.model_dump() | allowed)
    replace_resource(conn, updated, actor=user.name)
    embedding.sync_one(conn, spec, "resource", resource_id)
    return updated


def assure_listing(
    conn: psycopg.Connection, user: User, resource_id: str, *, today: date | None = None
) -> Resource:
    """The host confirms the listing is true today (確認日); editing alone never does this."""
    current = own_listing(conn, user, resource_id)
    when = today or date.today()
    with conn.transaction():
        save_resources(conn, [current.model_copy(update={"assured_at": when})], source=None)
        audit.record(
            conn,
            actor=user.name,
            action="assure",
            entity="resource",
            entity_id=resource_id,
            before={"assured_at": current.assured_at},
            after={"assured_at": when},
        )
    return current.model_copy(update={"assured_at": when})
