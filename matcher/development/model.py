"""The pipeline's codes with their Japanese labels, and the records the pages show."""

from dataclasses import dataclass
from datetime import date, datetime

from matcher.core.vocabulary import LABELS, DevelopmentStage, SupportKind

Stage = DevelopmentStage
STAGE_LABELS: dict[str, str] = LABELS[DevelopmentStage]
SUPPORT_LABELS: dict[str, str] = LABELS[SupportKind]
OPEN_STAGES = (Stage.candidate, Stage.approached, Stage.preparing)


@dataclass(frozen=True)
class Candidate:
    """One 開拓候補."""

    id: int
    name: str
    kind: str
    area: str
    need: str
    gap_week: str | None
    gap_cluster: int | None
    gap_label: str | None
    stage: str
    drop_reason: str | None
    resource_id: str | None
    resource_name: str | None
    created_by: str
    created_at: datetime
    stage_by: str
    stage_at: datetime
    note_count: int
    last_note_on: date | None

    @property
    def is_open(self) -> bool:
        """Still being worked on (neither registered nor dropped)."""
        return self.stage in OPEN_STAGES


@dataclass(frozen=True)
class DevelopmentNote:
    """One dated note on a 開拓候補."""

    id: int
    candidate_id: int
    written_on: date
    author: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class GapGroup:
    """A shown group of the gap report a candidate may be opened from."""

    week: str
    cluster: int
    area: str
    size: int
    label: str
    top_constraint: str | None

    @property
    def key(self) -> str:
        """How the group is named in a link: 2026-W48-3."""
        return f"{self.week}-{self.cluster}"


@dataclass(frozen=True)
class SupportEntry:
    """One dated entry of support given to a host."""

    id: int
    resource_id: str
    given_on: date
    kind: str
    amount_yen: int | None
    note: str
    author: str
    created_at: datetime


@dataclass(frozen=True)
class SupportSummary:
    """A listing's support counted by kind, the 応援金 total and the latest date."""

    counts: dict[str, int]
    grant_total: int
    last_on: date | None

    @property
    def total(self) -> int:
        """How many entries there are in all."""
        return sum(self.counts.values())
