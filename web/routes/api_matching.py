"""JSON API: proposals for a profile and rejections of them."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from matcher.matching.model import ProposalDocument
from matcher.matching.propose import propose
from matcher.matching.rejections import reject
from matcher.profiles.pii import no_pii
from web.auth import API_REFUSALS, Coordinator, refusals
from web.deps import Conn, CurrentSettings

router = APIRouter(prefix="/api", tags=["matching"], responses=API_REFUSALS)


class RejectionIn(BaseModel):
    """A coordinator turning a proposal down."""

    resource_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    reason: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=1000),
        AfterValidator(no_pii),
        Field(description="見送りの理由（氏名・電話番号などは書けません）"),
    ]


class RejectionOut(BaseModel):
    """The rejection as recorded."""

    profile_id: str
    resource_id: str
    reason: str


@router.get("/profiles/{profile_id}/proposals", response_model=ProposalDocument, responses=refusals(404))
def get_proposals(
    profile_id: str,
    conn: Conn,
    settings: CurrentSettings,
    user: Coordinator,
    top: Annotated[int, Query(ge=1, le=1000)] = 10,
) -> ProposalDocument:
    """提案（既存事業→参加支援の順）と、除外した社会資源とその理由。`matcher propose --json` と同じ文書。"""
    return propose(conn, settings, profile_id=profile_id, top=top).document(top)


@router.post(
    "/profiles/{profile_id}/rejections", response_model=RejectionOut, status_code=201, responses=refusals(404)
)
def post_rejection(
    profile_id: str, body: RejectionIn, conn: Conn, settings: CurrentSettings, user: Coordinator
) -> RejectionOut:
    """提案の見送りを理由とともに記録します。見送った社会資源はこの方に再び提案されません。"""
    reject(
        conn,
        profile_id=profile_id,
        resource_id=body.resource_id,
        reason=body.reason,
        by=user.name,
        settings=settings,
    )
    return RejectionOut(profile_id=profile_id, resource_id=body.resource_id, reason=body.reason)
