"""The listing page's view model: one listing, where it came from, how to reach it, and its placements
counted (never who: no profile, note or date of a person is read)."""

from dataclasses import dataclass, field
from datetime import datetime

import psycopg

from matcher.accounts.users import User
from matcher.errors import NotFound
from matcher.registry.contact import map_link
from matcher.registry.model import Resource
from matcher.registry.store import get_versioned, host_accounts, listing_source, placement_counts

# Where a listing came from, as the page names it.
SOURCE_LABELS = {
    "registry": "ファイルの取り込み",
    "seed": "デモデータ",
    "wamnet": "WAM NET オープンデータ",
    "hsds": "HSDS の取り込み",
    "admin": "管理者が登録",
}
WAMNET_PREFIX = "wam-"


@dataclass(frozen=True)
class PlacementTally:
    """A listing's placements by where they are now; ended ones by why."""

    confirmed: int = 0
    referred: int = 0
    trial: int = 0
    active: int = 0
    ended: int = 0
    ended_by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def ever_referred(self) -> int:
        """Placements that reached the host (every later step starts with a referral)."""
        return self.referred + self.trial + self.active + self.ended


def tally(rows: list[tuple[str, str, int]]) -> PlacementTally:
    """The counts from (status, end reason, count) rows."""
    by_status: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for status, reason, n in rows:
        by_status[status] = by_status.get(status, 0) + n
        if status == "ended" and reason:
            reasons[reason] = reasons.get(reason, 0) + n
    known = {k: v for k, v in by_status.items() if k in ("confirmed", "referred", "trial", "active", "ended")}
    return PlacementTally(**known, ended_by_reason=reasons)


@dataclass(frozen=True)
class ListingPage:
    """Everything the listing page shows."""

    resource: Resource
    version: int
    source: str
    registered_at: datetime | None
    changed_at: datetime | None
    placements: PlacementTally
    hosts: list[str]  # the host accounts tied to it (shown to admins only)

    @property
    def source_label(self) -> str:
        """Where the listing came from, in Japanese."""
        return SOURCE_LABELS.get(self.source, self.source)

    @property
    def wamnet_number(self) -> str | None:
        """The WAM NET NO of a listing imported from WAM NET (it tells same-named places apart)."""
        rid = self.resource.id
        return rid.removeprefix(WAMNET_PREFIX) if rid.startswith(WAMNET_PREFIX) else None

    @property
    def map_url(self) -> str | None:
        """A plain link to the place on OpenStreetMap."""
        return map_link(self.resource.lat, self.resource.lon)


def may_see(user: User, resource_id: str) -> bool:
    """Coordinators and admins see every listing; a host only its own."""
    return user.role in ("coordinator", "admin") or user.owns(resource_id)


def listing_page(conn: psycopg.Connection, user: User, resource_id: str) -> ListingPage:
    """The page of one listing; NotFound when there is none or the user may not see it (a host asking
    for another host's listing learns nothing, not even that it exists)."""
    found = get_versioned(conn, resource_id=resource_id) if may_see(user, resource_id) else None
    if found is None:
        raise NotFound(f"社会資源「{resource_id}」はありません")
    resource, version = found
    origin = listing_source(conn, resource_id=resource_id) or {}
    return ListingPage(
        resource=resource,
        version=version,
        source=str(origin.get("source", "")),
        registered_at=origin.get("created_at"),
        changed_at=origin.get("updated_at"),
        placements=tally(placement_counts(conn, resource_id=resource_id)),
        hosts=host_accounts(conn, resource_id=resource_id) if user.role == "admin" else [],
    )
