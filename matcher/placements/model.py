"""A placement and the steps of its lifecycle."""

from dataclasses import dataclass
from datetime import datetime

from matcher.core.vocabulary import LABELS, EndReason, HostResponse, PlacementAction, PlacementStatus

# The Japanese labels live in one table (matcher.core.vocabulary.LABELS); these names read it.
STATUS_LABELS = LABELS[PlacementStatus]
END_REASONS = LABELS[EndReason]
LIVE = ("confirmed", "referred", "trial", "active")

# action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "refer": (("confirmed",), "referred"),
    "trial": (("referred",), "trial"),
    "activate": (("referred", "trial"), "active"),
    "end": (("referred", "trial", "active"), "ended"),
    "cancel": (("confirmed", "referred"), "cancelled"),
}
ACTION_LABELS = LABELS[PlacementAction]
FOLLOWUP_MONTHS = (1, 3, 6)
HOST_RESPONSES = LABELS[HostResponse]


@dataclass(frozen=True)
class Placement:
    """A confirmed proposal on its way through the lifecycle."""

    id: int
    profile_id: str
    resource_id: str
    resource_name: str
    status: str
    tier: int
    score: float | None
    gap_reason: str | None
    host_note: str
    reserved: bool
    end_reason: str | None
    end_note: str | None
    confirmed_by: str | None
    confirmed_at: datetime
    referred_at: datetime | None
    trial_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    host_response: str | None = None
    host_response_reason: str | None = None
    host_responded_at: datetime | None = None

    @property
    def status_label(self) -> str:
        """The status in Japanese."""
        return STATUS_LABELS[self.status]

    def can(self, action: str) -> bool:
        """Whether the action may be taken from the current status."""
        return self.status in TRANSITIONS[action][0]


@dataclass(frozen=True)
class FollowUp:
    """How a placement is going at 1, 3 or 6 months."""

    placement_id: int
    month: int
    still_participating: bool
    frequency: str
    rating: int | None
    note: str
    recorded_by: str | None
    recorded_at: datetime
