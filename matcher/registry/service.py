"""Changing one listing at a time, audited, under its row lock and its version.

Every write reads the listing with its row locked (as a confirmation does when it takes a place), so
nothing slips in between. The writer says which version it read (the API's If-Match, the host form's
hidden field): a listing changed since then (a confirmation took a place, someone else saved) is
refused with StaleListing and nothing is written. A writer that gives no version (older API clients)
is still kept from giving back a reserved place: the open count it sends is capped at 定員 minus the
places held by placements under way.
"""

from collections.abc import Callable, Collection

import psycopg

from matcher.accounts import audit
from matcher.registry.model import Resource
from matcher.registry.store import lock_resource, reserved_places, save_resources

STALE = (
    "この掲載は、読み込んだ後に変更されています（確定で空きが減った・別の画面で保存された など）。"
    "何も保存していません。最新の内容を読み込み直してから、もう一度保存してください"
)


class StaleListing(Exception):
    """The listing changed after the writer read it (409); nothing was written."""

    def __init__(self, current: Resource, version: int) -> None:
        super().__init__(STALE)
        self.current = current
        self.version = version


class ListingRefused(ValueError):
    """A change to a listing that is not allowed, with the field it is about (422 unless said)."""

    status = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class VersionRequired(ListingRefused):
    """Raising the open count of a listing without a 定員 needs the version it was read at (428)."""

    status = 428

    def __init__(self) -> None:
        super().__init__(
            "capacity_open",
            "定員が未設定の掲載の受け入れ可能数を増やすには、読み込んだときの版が必要です"
            "（API では GET の ETag を If-Match ヘッダーに付けてください）",
        )


def update_resource(
    conn: psycopg.Connection,
    resource_id: str,
    change: Callable[[Resource], Resource],
    *,
    actor: str,
    versions: Collection[int] | None = None,
) -> tuple[Resource, int] | None:
    """Applies change to the listing as it is now, under its row lock; audited when anything changed.

    versions: the versions the writer read (any of them will do); None when it did not say, and then
    its open count is capped so that no reserved place is given back. Returns the listing as stored and
    its version, or None when there is no listing with this id. Raises StaleListing, ListingRefused,
    or pydantic's ValidationError from change.
    """
    with conn.transaction():
        locked = lock_resource(conn, resource_id=resource_id)
        if locked is None:
            return None
        before, version = locked
        if versions is not None and version not in versions:
            raise StaleListing(before, version)
        wanted = _settle_capacity(conn, before, change(before), checked=versions is not None)
        if wanted != before:
            save_resources(conn, [wanted], source=None)
            audit.log(conn, audit.resource(resource_id), "update", actor=actor, before=before, after=wanted)
            locked = lock_resource(conn, resource_id=resource_id)
            assert locked is not None
            version = locked[1]
    return wanted, version


def replace_resource(
    conn: psycopg.Connection,
    resource: Resource,
    *,
    actor: str,
    versions: Collection[int] | None = None,
) -> Resource | None:
    """Replaces an existing listing; None when there is none with this id (see update_resource)."""
    done = update_resource(conn, resource.id, lambda _: resource, actor=actor, versions=versions)
    return done[0] if done else None


def _settle_capacity(
    conn: psycopg.Connection, before: Resource, wanted: Resource, *, checked: bool
) -> Resource:
    """The listing as it may be stored: its open places never give back one a placement holds."""
    open_, total = wanted.capacity_open, wanted.capacity_total
    if open_ is None or (open_, total) == (before.capacity_open, before.capacity_total):
        return wanted
    held = reserved_places(conn, resource_id=before.id)
    room = None if total is None else max(total - held, 0)
    if checked:
        if room is not None and open_ > room:
            raise ListingRefused(
                "capacity_open",
                f"受け入れ可能数は、定員 {total}名から確定済みの {held}名を引いた {room}名までです",
            )
        return wanted
    if room is not None:
        return wanted.model_copy(update={"capacity_open": min(open_, room)})
    if before.capacity_open is not None and open_ > before.capacity_open:
        raise VersionRequired()
    return wanted
