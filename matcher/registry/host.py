"""What a host may change in its own listings, and 「内容を確認しました」 (assured_at)."""

from collections.abc import Collection
from datetime import date
from typing import Any

import psycopg

from matcher import embedding
from matcher.accounts import audit
from matcher.accounts.users import User
from matcher.core.vocabulary import ResourceStatus
from matcher.errors import NotAllowed
from matcher.registry.contact import CONTACT_FIELDS
from matcher.registry.model import Resource
from matcher.registry.service import ListingRefused, update_resource
from matcher.registry.store import get_resource, lock_resource, set_assured

HOST_FIELDS = (
    "capacity_total", "capacity_open", "schedule", "description", "trial", "status", *CONTACT_FIELDS,
)  # fmt: skip


class NotYourListing(NotAllowed, PermissionError):
    """A host asked for a listing that is not its own (403)."""

    def __init__(self) -> None:
        super().__init__("この社会資源を扱う権限がありません")


def own_listing(conn: psycopg.Connection, user: User, resource_id: str) -> Resource:
    """The host's own listing, or NotYourListing (also when it does not exist: nothing is revealed)."""
    resource = get_resource(conn, resource_id=resource_id) if user.owns(resource_id) else None
    if resource is None:
        raise NotYourListing()
    return resource


CLOSED = (
    "この掲載は市町村が受け付けを終了しています。受け入れ先の画面からは再開も休止もできません"
    "（再開したいときは市町村の担当者に連絡してください）"
)


def edit_listing(
    conn: psycopg.Connection,
    user: User,
    resource_id: str,
    changes: dict[str, Any],
    spec: embedding.EmbeddingSpec,
    *,
    versions: Collection[int] | None = None,
) -> tuple[Resource, int]:
    """Applies a host's changes (only HOST_FIELDS, its contact details among them; status active or
    paused), audited and re-embedded.

    The changes are applied to the listing as it is when its row is locked, so nothing another writer
    did in between is undone; versions are those the host read (None: not said, see update_resource).
    A listing the municipality closed stays closed. Returns the listing as stored and its version.
    Raises ValidationError naming the fields that are wrong, StaleListing or ListingRefused;
    assured_at is not touched.
    """
    own_listing(conn, user, resource_id)
    allowed = {k: v for k, v in changes.items() if k in HOST_FIELDS}

    def apply(current: Resource) -> Resource:
        wanted = dict(allowed)
        if current.status == ResourceStatus.closed:
            if wanted.get("status") not in (None, ResourceStatus.closed):
                raise ListingRefused("status", CLOSED)
            wanted["status"] = current.status
        elif wanted.get("status") not in (None, "active", "paused"):
            wanted["status"] = current.status  # a host pauses and resumes; closing is the municipality's
        return Resource.model_validate(current.model_dump() | wanted)

    done = update_resource(conn, resource_id, apply, actor=user.name, versions=versions)
    if done is None:
        raise NotYourListing()
    embedding.sync_one(conn, spec, "resource", resource_id)
    return done


def assure_listing(
    conn: psycopg.Connection, user: User, resource_id: str, *, today: date | None = None
) -> Resource:
    """The host confirms the listing is true today (確認日); editing alone never does this.

    Only the date is written (under the row lock), so a place taken meanwhile is never given back."""
    own_listing(conn, user, resource_id)
    when = today or date.today()
    with conn.transaction():
        locked = lock_resource(conn, resource_id=resource_id)
        if locked is None:
            raise NotYourListing()
        current = locked[0]
        set_assured(conn, resource_id=resource_id, when=when)
        audit.log(
            conn,
            audit.resource(resource_id),
            "assure",
            actor=user.name,
            before={"assured_at": current.assured_at},
            after={"assured_at": when},
        )
    return current.model_copy(update={"assured_at": when})
