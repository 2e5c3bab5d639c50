"""JSON API: confirming proposals, the placement lifecycle, follow-ups, and the host's referrals."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from matcher.config import Settings
from matcher.core.schedule import TimeSlot
from matcher.placements.model import Placement
from matcher.placements.referrals import referrals_for_host, respond
from matcher.placements.service import (
    advance,
    confirm,
    get_placement,
    plan_trial,
    record_followup,
)
from matcher.profiles.pii import no_pii
from web.auth import API_REFUSALS, Coordinator, Provider, refusals
from web.deps import Conn, CurrentSettings

router = APIRouter(prefix="/api", tags=["placements"], responses=API_REFUSALS)


Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), AfterValidator(no_pii)]
ShortNote = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(no_pii)]


class PlacementIn(BaseModel):
    """Confirming a proposal."""

    profile_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    resource_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    gap_reason: Note | None = Field(
        default=None, description="狭間の理由: 既存事業の提案が残るのに参加支援を選ぶとき必須"
    )


class PlacementOut(BaseModel):
    """A placement and where it is in its lifecycle."""

    id: int
    profile_id: str
    resource_id: str
    status: str
    tier: int
    score: float | None
    gap_reason: str | None
    host_note: str
    reserved: bool
    end_reason: str | None
    confirmed_at: datetime
    referred_at: datetime | None
    trial_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    host_response: str | None
    host_response_reason: str | None
    host_responded_at: datetime | None
    answer_due: date | None = Field(default=None, description="受け入れ先の返答の期限（紹介した日から）")
    override_reason: str | None = Field(
        default=None, description="受け入れ先の返答より先に見学・利用へ進めた理由"
    )
    trial_planned_on: date | None = Field(default=None, description="見学・体験の予定日")
    dated_reason: str | None = Field(default=None, description="前の日付で記録した理由")
    wellbeing_start: int | None = Field(default=None, description="利用開始時のつながりの実感（1〜5）")

    @classmethod
    def of(cls, placement: Placement) -> "PlacementOut":
        """From the domain's placement."""
        return cls.model_validate(placement, from_attributes=True)


class ReferIn(BaseModel):
    """Sending a placement to its host."""

    host_note: Note = Field(default="", description="受け入れ先へのメモ（相手に見えます）")


class StepIn(BaseModel):
    """One lifecycle step after the referral."""

    action: Literal["trial", "activate", "end", "cancel"]
    end_reason: Literal["stepped_up", "completed", "dropped_out", "host_ended", "other"] | None = None
    end_note: Note | None = None
    override_reason: Note | None = Field(
        default=None,
        description="見学・体験／利用開始を受け入れ先の返答より先に進める理由（電話で調整済み など）",
    )
    on: date | None = Field(
        default=None, description="その段階があった日（省略は今日。前の日付には理由が要る）"
    )
    dated_reason: Note | None = Field(default=None, description="前の日付で記録する理由")
    wellbeing: Annotated[int, Field(ge=1, le=5)] | None = Field(
        default=None, description="利用開始時のつながりの実感（本人に聞く 1〜5）"
    )


API_OVERRIDE = "API から記録（受け入れ先の返答は記録されていません）"
API_DATED = "API から日付を指定して記録"


class PlanIn(BaseModel):
    """The day a 見学・体験 is planned for (null: no plan)."""

    on: date | None


class FollowUpIn(BaseModel):
    """A 1/3/6-month follow-up."""

    month: Literal[1, 3, 6]
    still_participating: bool
    frequency: ShortNote = ""
    rating: Annotated[int, Field(ge=1, le=5)] | None = None
    note: Note = ""
    wellbeing: Annotated[int, Field(ge=1, le=5)] | None = Field(
        default=None, description="つながりの実感（本人に聞く 1〜5）。利用開始時の値と比べます"
    )


class ReferralOut(BaseModel):
    """A referral as its host sees it (domain.md §7): nothing else about the person."""

    placement_id: int
    resource_id: str
    resource_name: str
    status: str
    referred_at: datetime | None
    answer_due: date | None = Field(description="返答の期限")
    trial_planned_on: date | None = Field(default=None, description="見学・体験の予定日")
    coordinator: str | None = Field(description="紹介したコーディネーター（問い合わせ先）")
    coordinator_email: str | None
    withdrawn: bool = Field(description="本人が同意を撤回した（このとき本人に関する項目はすべて空）")
    age_band: str | None
    availability: list[TimeSlot]
    needs_accommodations: list[str]
    stage: int | None
    host_note: str
    host_response: str | None
    host_response_reason: str | None
    host_responded_at: datetime | None


def _placement(conn: Conn, placement_id: int) -> Placement:
    return get_placement(conn, placement_id=placement_id)


def _advance(conn: Conn, settings: Settings, placement_id: int, actor: str, **step: Any) -> PlacementOut:
    """One lifecycle step of an existing placement: a missing one is 404 before the step is checked."""
    _placement(conn, placement_id)
    return PlacementOut.of(advance(conn, placement_id=placement_id, actor=actor, settings=settings, **step))


@router.post("/placements", response_model=PlacementOut, status_code=201, responses=refusals(404, 409))
def post_placement(
    body: PlacementIn, conn: Conn, settings: CurrentSettings, user: Coordinator
) -> PlacementOut:
    """提案を確定し、空きを1つ確保します。空きがない・狭間の理由がないときは 409。"""
    placement = confirm(
        conn,
        settings,
        profile_id=body.profile_id,
        resource_id=body.resource_id,
        actor=user.name,
        gap_reason=body.gap_reason,
    )
    return PlacementOut.of(placement)


@router.get("/placements/{placement_id}", response_model=PlacementOut, responses=refusals(404))
def read_placement(placement_id: int, conn: Conn, user: Coordinator) -> PlacementOut:
    """配置を1件読みます。"""
    return PlacementOut.of(_placement(conn, placement_id))


@router.post("/placements/{placement_id}/refer", response_model=PlacementOut, responses=refusals(404, 409))
def refer(
    placement_id: int, conn: Conn, settings: CurrentSettings, user: Coordinator, body: ReferIn | None = None
) -> PlacementOut:
    """受け入れ先へ紹介します。本人同意（consent = full）がなければ 409。"""
    return _advance(
        conn, settings, placement_id, user.name, action="refer", host_note=(body or ReferIn()).host_note
    )


@router.post("/placements/{placement_id}/steps", response_model=PlacementOut, responses=refusals(404, 409))
def step(
    placement_id: int, body: StepIn, conn: Conn, settings: CurrentSettings, user: Coordinator
) -> PlacementOut:
    """見学・体験、利用開始、終了（理由つき）、取り消し。順序に合わない操作、未来の `on` は 409。
    返答より先に進めた理由・前の日付にした理由を省くと、API から記録した旨が理由として残ります。"""
    # StepIn's fields are advance's own parameters. A script records what already happened (interfaces.md:
    # "as before"); the reasons the page asks for are recorded for it, so the placement still says why a
    # step went ahead or was back-dated.
    details = body.model_dump() | {
        "override_reason": body.override_reason or API_OVERRIDE,
        "dated_reason": body.dated_reason or (API_DATED if body.on and body.on < date.today() else None),
    }
    return _advance(conn, settings, placement_id, user.name, **details)


@router.post("/placements/{placement_id}/plan", response_model=PlacementOut, responses=refusals(404, 409))
def plan(placement_id: int, body: PlanIn, conn: Conn, user: Coordinator) -> PlacementOut:
    """見学・体験の予定日を記録します（null で取り消し）。今日より前の日付は 409。"""
    _placement(conn, placement_id)
    return PlacementOut.of(plan_trial(conn, placement_id=placement_id, on=body.on, actor=user.name))


class FollowUpOut(BaseModel):
    """A follow-up as recorded."""

    placement_id: int
    month: int
    recorded_at: datetime


@router.post(
    "/placements/{placement_id}/followups",
    response_model=FollowUpOut,
    status_code=201,
    responses=refusals(404, 409),
)
def followup(placement_id: int, body: FollowUpIn, conn: Conn, user: Coordinator) -> FollowUpOut:
    """1・3・6か月目のフォローアップを記録します。"""
    _placement(conn, placement_id)
    # FollowUpIn's fields are record_followup's own parameters, passed on as they are.
    record = record_followup(conn, placement_id=placement_id, actor=user.name, **body.model_dump())
    return FollowUpOut(placement_id=record.placement_id, month=record.month, recorded_at=record.recorded_at)


@router.get("/provider/referrals", response_model=list[ReferralOut])
def provider_referrals(conn: Conn, user: Provider) -> list[ReferralOut]:
    """自分の掲載への紹介（年齢帯・参加可能日時・必要な配慮・段階・メモだけ）。"""
    shown = referrals_for_host(conn, resource_ids=sorted(user.resource_ids), actor=user.name)
    return [ReferralOut.model_validate(r, from_attributes=True) for r in shown]


class AnswerIn(BaseModel):
    """A host's answer to a referral."""

    accept: bool
    reason: Note = Field(default="", description="辞退の理由（辞退のとき必須）")


@router.post("/provider/referrals/{placement_id}/answer", status_code=204, responses=refusals(404, 409))
def answer(placement_id: int, body: AnswerIn, conn: Conn, settings: CurrentSettings, user: Provider) -> None:
    """紹介への返答（受け入れる／理由を添えて辞退する）。自分の掲載への紹介でなければ（ない紹介と同じく）404。
    辞退するとその配置は「受け入れ先の辞退」で終わり、空きが戻ります。同意が撤回された紹介、すでに見学・利用へ
    進んだ紹介には 409。"""
    respond(
        conn,
        placement_id=placement_id,
        resource_ids=user.resource_ids,
        accept=body.accept,
        reason=body.reason,
        actor=user.name,
        settings=settings,
    )
