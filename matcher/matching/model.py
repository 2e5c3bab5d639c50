"""What matching returns: the proposal document of interfaces.md, and the detail behind it."""

from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel

from matcher.core.schedule import Slot


class ExclusionReason(BaseModel):
    """One failed constraint: its code and a Japanese text naming the values."""

    code: str
    text: str


class ProposalOut(BaseModel):
    """A proposal as interfaces.md documents it."""

    resource_id: str
    tier: int
    score: float
    reasons: list[str]


class ExclusionOut(BaseModel):
    """An excluded listing as interfaces.md documents it."""

    resource_id: str
    reasons: list[ExclusionReason]


class ProposalDocument(BaseModel):
    """The document `matcher propose --json` prints and the API returns."""

    profile_id: str
    proposals: list[ProposalOut]
    excluded: list[ExclusionOut]


@dataclass(slots=True)
class Candidate:
    """One listing as seen from one profile: the row the classify query returns."""

    id: str
    name: str
    kind: str
    programme: str | None
    hosts_participation: bool
    status: str
    capacity_total: int | None
    capacity_open: int | None
    schedule: tuple[Slot, ...]
    contact_level: int
    physical_load: int
    min_age: int | None
    max_age: int | None
    accommodations: list[str]
    reward: str
    assured_at: date | None
    codes: list[str]
    rejection_reason: str | None
    distance_km: float | None
    overlap_minutes: int
    dense: float | None


@dataclass
class Proposal:
    """A feasible listing with its tier, fit, parts and reasons."""

    candidate: Candidate
    tier: int
    score: float
    parts: dict[str, float]
    reasons: list[str] = field(default_factory=list)

    @property
    def fit_label(self) -> str:
        """The fit as a coordinator reads it: ◎ とても合う / ○ 合う / △ 条件は満たす."""
        from matcher.matching.scoring import fit_label

        return fit_label(self.score)

    def out(self) -> ProposalOut:
        """As the documented JSON."""
        return ProposalOut(
            resource_id=self.candidate.id, tier=self.tier, score=round(self.score, 4), reasons=self.reasons
        )


@dataclass
class Exclusion:
    """A listing that failed hard constraints, with every reason."""

    candidate: Candidate
    reasons: list[ExclusionReason]

    def out(self) -> ExclusionOut:
        """As the documented JSON."""
        return ExclusionOut(resource_id=self.candidate.id, reasons=self.reasons)


@dataclass
class MatchResult:
    """Everything matching found for one profile."""

    profile_id: str
    proposals: list[Proposal]
    excluded: list[Exclusion]

    def document(self, top: int | None = None) -> ProposalDocument:
        """The documented JSON: the first `top` proposals and every exclusion."""
        shown = self.proposals if top is None else self.proposals[:top]
        return ProposalDocument(
            profile_id=self.profile_id,
            proposals=[p.out() for p in shown],
            excluded=[e.out() for e in self.excluded],
        )
