"""What the municipality's admin does to one listing: add it, edit it, close and reopen it.

Every change goes through the service (row lock, version, capacity held by placements), is audited
and re-embedded, as an import or a host's edit is.
"""

from collections.abc import Collection
from typing import Any

import psycopg

from matcher import embedding
from matcher.accounts import audit
from matcher.core.vocabulary import ResourceStatus
from matcher.errors import Conflict, NotFound
from matcher.registry.model import Resource
from matcher.registry.service import update_resource
from matcher.registry.store import insert_resource

SOURCE = "admin"  # a listing an admin added by hand


def _missing(resource_id: str) -> NotFound:
    return NotFound(f"社会資源「{resource_id}」はありません")


def add_listing(
    conn: psycopg.Connection, resource: Resource, spec: embedding.EmbeddingSpec, *, actor: str
) -> Resource:
    """Adds a new listing, audited and embedded; Conflict when its id is taken."""
    with conn.transaction():
        if not insert_resource(conn, resource, source=SOURCE):
            raise Conflict(
                f"社会資源コード「{resource.id}」はすでに使われています。別のコードにしてください",
                field="id",
            )
        audit.log(conn, audit.resource(resource.id), "create", actor=actor, after=resource)
    embedding.sync_one(conn, spec, "resource", resource.id)
    return resource


def edit_listing(
    conn: psycopg.Connection,
    resource_id: str,
    fields: dict[str, Any],
    spec: embedding.EmbeddingSpec,
    *,
    actor: str,
    versions: Collection[int] | None,
) -> tuple[Resource, int]:
    """Replaces a listing's fields (its id stays) if it is still at one of versions; audited, re-embedded.

    Raises NotFound, StaleListing, ListingRefused or pydantic's ValidationError."""

    def apply(current: Resource) -> Resource:
        return Resource.model_validate(fields | {"id": current.id})

    done = update_resource(conn, resource_id, apply, actor=actor, versions=versions)
    if done is None:
        raise _missing(resource_id)
    embedding.sync_one(conn, spec, "resource", resource_id)
    return done


def set_status(
    conn: psycopg.Connection, resource_id: str, status: ResourceStatus, *, actor: str
) -> tuple[Resource, int]:
    """Closes, pauses or reopens a listing, changing nothing else of it (so no version is needed)."""

    def apply(current: Resource) -> Resource:
        return current.model_copy(update={"status": status})

    done = update_resource(conn, resource_id, apply, actor=actor)
    if done is None:
        raise _missing(resource_id)
    return done
