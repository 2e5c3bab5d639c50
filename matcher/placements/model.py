"""A placement and the steps of its lifecycle."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from matcher.core.vocabulary import LABELS, EndReason, HostResponse, PlacementAction, PlacementStatus

# The Japanese labels live in one table (matcher.core.vocabulary.LABELS); these names read it.
STATUS_LABELS = LABELS[PlacementStatus]
END_REASONS = LABELS[EndReason]
# What a coordinator may choose when ending a placement (a host's decline is recorded by its answer).
CHOSEN_END_REASONS = {code: text for code, text in END_REASONS.items() if code != EndReason.host_declined}
LIVE = ("confirmed", "referred", "trial", "active")
# What a placement ends in (the view live_placement is every other status).
FINISHED = ("ended", "cancelled")

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
FOLLOWUP_EARLY_DAYS = 7  # a follow-up may be recorded up to a week before it falls due, not earlier
HOST_RESPONSES = LABELS[HostResponse]


def answer_overdue(status: str, host_response: str | None, answer_due: date | None, today: date) -> bool:
    """A referral still waiting for the host's answer past its due date (the coordinator's page and the
    host's both say so; SQL's alerts write the same test)."""
    return (
        status == PlacementStatus.referred
        and host_response is None
        and answer_due is not None
        and answer_due < today
    )


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
    answer_due: date | None = None
    override_reason: str | None = None
    reminded_on: date | None = None
    last_step_at: datetime | None = None
    trial_planned_on: date | None = None
    dated_reason: str | None = None
    wellbeing_start: int | None = None

    @property
    def status_label(self) -> str:
        """The status in Japanese."""
        return STATUS_LABELS[self.status]

    def can(self, action: str) -> bool:
        """Whether the action may be taken from the current status."""
        return self.status in TRANSITIONS[action][0]

    def needs_override(self, action: str) -> bool:
        """Whether the action goes ahead of the host's acceptance (見学・体験 or 利用開始 straight from a
        referral the host has not accepted): allowed only with a recorded reason."""
        return (
            action in (PlacementAction.trial, PlacementAction.activate)
            and self.status == PlacementStatus.referred
            and self.host_response != HostResponse.accepted
        )

    def followup_due(self, month: int) -> date | None:
        """The day the follow-up of a month falls due: the start plus that many calendar months (the end
        of a shorter month when the day does not exist), as the dashboard's query counts it."""
        if self.started_at is None:
            return None
        start = self.started_at.astimezone().date()
        year, index = divmod(start.month - 1 + month, 12)
        first_next = date(start.year + year + (index + 1) // 12, (index + 1) % 12 + 1, 1)
        last_day = (first_next - timedelta(days=1)).day
        return date(start.year + year, index + 1, min(start.day, last_day))

    def followup_open(self, month: int, today: date) -> bool:
        """Whether the follow-up of a month may be recorded: from FOLLOWUP_EARLY_DAYS before it is due."""
        due = self.followup_due(month)
        return due is not None and today >= due - timedelta(days=FOLLOWUP_EARLY_DAYS)

    def answer_overdue(self, today: date) -> bool:
        """The host's answer is past its due date."""
        return answer_overdue(self.status, self.host_response, self.answer_due, today)


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
    wellbeing: int | None = None  # the person's own つながりの実感 (1–5), compared with wellbeing_start
