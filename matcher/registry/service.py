"""Changing one listing at a time, audited."""

import psycopg

from matcher import audit
from matcher.registry.model import Resource
from matcher.registry.store import get_resource, save_resources


def replace_resource(conn: psycopg.Connection, resource: Resource, *, actor: str) -> Resource | None:
    """Replaces an existing listing; None when there is none with this id."""
    with conn.transaction():
        before = get_resource(conn, resource_id=resource.id)
        if before is None:
            return None
        if before != resource:
            save_resources(conn, [resource], source=None)
            audit.record(
                conn,
                actor=actor,
                action="update",
                entity="resource",
                entity_id=resource.id,
                before=before,
                after=resource,
            )
    return resource
