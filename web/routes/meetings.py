"""支援会議 and 重層的支援会議 (domain.md §9): pages for the organisers (coordinators and admins) and a
plain, phone-friendly one for members, and the JSON API of interfaces.md. Who may see what is decided in
matcher/meetings/service.py; refusals are the domain's errors, answered by web/app.py's handlers."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from matcher.accounts.users import Session, User
from matcher.config import Settings
from matcher.core.vocabulary import LABELS, MeetingKind
from matcher.errors import Conflict, Invalid
from matcher.matching.propose import propose
from matcher.meetings import service
from matcher.meetings.service import MAX_MINUTE, MAX_TITLE, AgendaItem, Meeting
from matcher.profiles.store import profiles_by_ids
from matcher.registry.store import resources_by_ids
from web.auth import API_REFUSALS, refusals, require_role
from web.deps import Conn, CurrentSettings
from web.forms import DateText, form_date, required_date
from web.pages import changed_or_refused
from web.security import page_session
from web.templating import render

router = APIRouter()
OrganiserSession = Annotated[Session, Depends(page_session("coordinator", "admin"))]
ReaderSession = Annotated[Session, Depends(page_session("coordinator", "admin", "member"))]
MemberSession = Annotated[Session, Depends(page_session("member"))]
Organiser = Annotated[User, Depends(require_role("coordinator", "admin"))]
Reader = Annotated[User, Depends(require_role("coordinator", "admin", "member"))]
ApiMember = Annotated[User, Depends(require_role("member"))]
API_ANSWERS = API_REFUSALS | refusals(404, 409)
api = APIRouter(prefix="/api", tags=["meetings"], responses=API_ANSWERS)  # included in `router` at the end
PROPOSALS_SHOWN = 5


def _case_details(
    conn: Conn, settings: Settings, items: list[AgendaItem], *, top: int
) -> list[dict[str, Any]]:
    """Each shown case's whole profile and its proposals (what the meeting is for)."""
    shown = [item.profile_id for item in items if item.shown]
    profiles = profiles_by_ids(conn, shown)
    details = []
    for item in items:
        profile = profiles.get(item.profile_id) if item.shown else None
        document = (
            propose(conn, settings, profile_id=item.profile_id, top=top).document(top) if profile else None
        )
        details.append(
            {"item": item, "profile": profile, "proposals": document.proposals if document else []}
        )
    return details


# --- pages ---------------------------------------------------------------------------------------------


@router.get("/meetings", response_class=HTMLResponse)
def meetings_page(request: Request, conn: Conn, session: OrganiserSession) -> HTMLResponse:
    """会議の一覧と、新しい会議の登録."""
    return _list_page(request, conn)


def _list_page(request: Request, conn: Conn, **extra: Any) -> HTMLResponse:
    status = extra.pop("status", 200)
    context = {
        "meetings": service.recent_meetings(conn),
        "kinds": LABELS[MeetingKind],
        "typed": {"kind": "shien_kaigi", "held_on": date.today().isoformat(), "title": ""}
        | extra.pop("typed", {}),
        "errors": extra.pop("errors", {}),
        "max_title": MAX_TITLE,
    } | extra
    return render(request, "meetings/list.html", context, status_code=status)


@router.post("/meetings", response_class=HTMLResponse)
def create_meeting_page(
    request: Request,
    conn: Conn,
    session: OrganiserSession,
    kind: Annotated[str, Form(max_length=40)] = "",
    held_on: DateText = "",
    title: Annotated[str, Form(max_length=MAX_TITLE * 2)] = "",
) -> Response:
    """会議を登録します（誤りは欄の横に。書いた内容は残します）。"""
    typed = {"kind": kind, "held_on": held_on, "title": title}
    try:
        on = required_date(held_on, "held_on", missing="日付を選んでください")
        meeting = service.create_meeting(conn, kind=kind, held_on=on, title=title, by=session.user)
    except Invalid as exc:
        return _list_page(request, conn, typed=typed, errors={exc.field or "title": exc.message}, status=422)
    return RedirectResponse(f"/meetings/{meeting.id}", status_code=303)


@router.get("/meetings/{meeting_id}", response_class=HTMLResponse)
def meeting_page(
    request: Request, meeting_id: int, conn: Conn, settings: CurrentSettings, session: ReaderSession
) -> HTMLResponse:
    """会議のページ: 主催者には構成員・議題・会議録の管理、構成員には（確認のあと）議題の資料."""
    if session.user.role == "member":
        return _member_page(request, conn, settings, session, meeting_id)
    return _organiser_page(request, conn, settings, meeting_id)


def _organiser_page(
    request: Request, conn: Conn, settings: Settings, meeting_id: int, **extra: Any
) -> HTMLResponse:
    status = extra.pop("status", 200)
    meeting = service.get_meeting(conn, meeting_id)
    items = service.agenda(conn, meeting)
    context = {
        "meeting": meeting,
        "open_until": meeting.open_until(settings),
        "members": service.members_of(conn, meeting_id),
        "member_choices": service.member_choices(conn, meeting_id),
        "cases": items,
        "minutes": service.minutes_of(conn, meeting_id),
        "errors": extra.pop("errors", {}),
        "typed": extra.pop("typed", {}),
        "max_minute": MAX_MINUTE,
        "today": date.today().isoformat(),
    } | extra
    return render(request, "meetings/meeting.html", context, status_code=status)


def _member_page(
    request: Request, conn: Conn, settings: Settings, session: Session, meeting_id: int
) -> HTMLResponse:
    seen = service.access(
        conn, meeting_id=meeting_id, reader=session.user, settings=settings, today=date.today()
    )
    context: dict[str, Any] = {
        "meeting": seen.meeting,
        "access": seen,
        "open_until": seen.meeting.open_until(settings),
        "confidentiality": service.CONFIDENTIALITY,
        "cases": [],
    }
    if seen.may_see_cases:
        items = service.show(conn, seen, session.user)
        context["cases"] = _case_details(conn, settings, items, top=PROPOSALS_SHOWN)
        proposed = [p.resource_id for c in context["cases"] for p in c["proposals"]]
        context["names"] = {rid: r.name for rid, r in resources_by_ids(conn, proposed).items()}
        context["minutes"] = service.minutes_of(conn, meeting_id)
    return render(request, "meetings/member.html", context)


@dataclass
class MeetingChange:
    """An organiser's change on a meeting's page: made, then back to its place on the page; a refusal (bad
    input, or a case the kind of meeting may not discuss: a Conflict) is shown beside its field."""

    request: Request
    meeting_id: int
    conn: Conn
    settings: CurrentSettings
    session: OrganiserSession

    def made(self, change: Callable[[], object], *, typed: dict[str, str], anchor: str) -> Response:
        return changed_or_refused(
            change,
            then=f"/meetings/{self.meeting_id}#{anchor}",
            again=partial(_organiser_page, self.request, self.conn, self.settings, self.meeting_id),
            typed=typed,
            refusals=(Invalid, Conflict),
        )


OrganiserChange = Annotated[MeetingChange, Depends()]


@router.post("/meetings/{meeting_id}/members", response_class=HTMLResponse)
def add_member_page(page: OrganiserChange, name: Annotated[str, Form(max_length=200)] = "") -> Response:
    """構成員のアカウントを会議に加えます."""
    add = partial(service.add_member, page.conn, meeting_id=page.meeting_id, name=name, by=page.session.user)
    return page.made(add, typed={"name": name}, anchor="members")


@router.post("/meetings/{meeting_id}/cases", response_class=HTMLResponse)
def add_case_page(page: OrganiserChange, profile_id: Annotated[str, Form(max_length=100)] = "") -> Response:
    """ニーズプロファイルを議題にします（重層的支援会議は本人同意が「すべて」の方だけ）."""
    add = partial(
        service.add_case, page.conn, meeting_id=page.meeting_id, profile_id=profile_id, by=page.session.user
    )
    return page.made(add, typed={"profile_id": profile_id}, anchor="agenda")


@router.post("/meetings/{meeting_id}/cases/{profile_id}/minutes", response_class=HTMLResponse)
def add_minute_page(
    page: OrganiserChange,
    profile_id: str,
    shared: Annotated[str, Form(max_length=MAX_MINUTE * 2)] = "",
    actions: Annotated[str, Form(max_length=MAX_MINUTE * 2)] = "",
    next_review_on: DateText = "",
) -> Response:
    """会議録（共有したこと・役割分担・次回の見直し日）を1件書きます."""
    typed = {"case": profile_id, "shared": shared, "actions": actions, "next_review_on": next_review_on}

    def add() -> object:
        return service.add_minute(
            page.conn,
            meeting_id=page.meeting_id,
            profile_id=profile_id,
            shared=shared,
            actions=actions,
            next_review_on=form_date(next_review_on, "next_review_on"),
            by=page.session.user,
        )

    return page.made(add, typed=typed, anchor=f"case-{profile_id}")


@router.post("/meetings/{meeting_id}/acknowledge", response_class=HTMLResponse)
def acknowledge_page(meeting_id: int, conn: Conn, session: MemberSession) -> Response:
    """守秘義務の確認を記録します（この会議について）."""
    service.acknowledge(conn, meeting_id=meeting_id, user=session.user)
    return RedirectResponse(f"/meetings/{meeting_id}", status_code=303)


def member_home(request: Request, conn: Conn, settings: Settings, session: Session) -> HTMLResponse:
    """A member's start page: the meetings they belong to."""
    today = date.today()
    meetings = service.meetings_of_member(conn, session.user)
    rows = [
        {"meeting": m, "open": m.is_open(settings, today), "open_until": m.open_until(settings)}
        for m in meetings
    ]
    return render(request, "meetings/member_home.html", {"rows": rows, "today": today})


# --- JSON API ------------------------------------------------------------------------------------------


class MeetingIn(BaseModel):
    """A new meeting."""

    kind: Literal["shien_kaigi", "jusoteki_kaigi"] = Field(
        description="shien_kaigi（支援会議: 同意の有無を問わない）/ "
        "jusoteki_kaigi（重層的支援会議: 同意が full の方だけ）"
    )
    held_on: date = Field(description="開催日")
    title: str = Field(max_length=MAX_TITLE * 2, description="会議の名前（個人を特定できる情報は書けません）")


class MeetingOut(BaseModel):
    """A meeting."""

    id: int
    kind: str
    kind_label: str
    held_on: date
    title: str
    created_by: str
    created_at: datetime


def _meeting_out(meeting: Meeting) -> MeetingOut:
    return MeetingOut.model_validate(meeting, from_attributes=True)


class MemberIn(BaseModel):
    """A member account to add, by its name."""

    name: str = Field(min_length=1, max_length=200, description="会議の構成員（member）のアカウント名")


class MemberOut(BaseModel):
    """A member of a meeting."""

    meeting_id: int
    name: str
    acknowledged_at: datetime | None


class CaseIn(BaseModel):
    """A profile to put on the agenda."""

    profile_id: str = Field(min_length=1, max_length=100)


class CaseOut(BaseModel):
    """A profile on the agenda."""

    meeting_id: int
    profile_id: str
    consent: str


class AcknowledgedOut(BaseModel):
    """A member's 守秘義務の確認."""

    meeting_id: int
    acknowledged_at: datetime


@api.post("/meetings", status_code=201)
def api_create_meeting(body: MeetingIn, conn: Conn, user: Organiser) -> MeetingOut:
    """会議を作ります（コーディネーター・管理者）。"""
    meeting = service.create_meeting(conn, kind=body.kind, held_on=body.held_on, title=body.title, by=user)
    return _meeting_out(meeting)


@api.post("/meetings/{meeting_id}/members", status_code=201)
def api_add_member(meeting_id: int, body: MemberIn, conn: Conn, user: Organiser) -> MemberOut:
    """会議の構成員（member のアカウント）を名前で加えます。"""
    member = service.add_member(conn, meeting_id=meeting_id, name=body.name, by=user)
    return MemberOut(meeting_id=meeting_id, name=member.name, acknowledged_at=member.acknowledged_at)


@api.post("/meetings/{meeting_id}/cases", status_code=201)
def api_add_case(meeting_id: int, body: CaseIn, conn: Conn, user: Organiser) -> CaseOut:
    """プロファイルを議題にします。重層的支援会議は本人同意が full の方だけ（ほかは 409）。"""
    item = service.add_case(conn, meeting_id=meeting_id, profile_id=body.profile_id, by=user)
    return CaseOut(meeting_id=meeting_id, profile_id=item.profile_id, consent=item.consent)


@api.post("/meetings/{meeting_id}/acknowledge")
def api_acknowledge(meeting_id: int, conn: Conn, user: ApiMember) -> AcknowledgedOut:
    """この会議についての守秘義務の確認を記録します（構成員）。"""
    at = service.acknowledge(conn, meeting_id=meeting_id, user=user)
    return AcknowledgedOut(meeting_id=meeting_id, acknowledged_at=at)


@api.get("/meetings/{meeting_id}/cases")
def api_cases(meeting_id: int, conn: Conn, settings: CurrentSettings, user: Reader) -> list[dict[str, Any]]:
    """議題のプロファイル（すべての項目）と提案。構成員は、守秘義務を確認し、会議の期間中だけ（ほかは 403）。
    重層的支援会議では、同意が撤回された方は表示しません。表示はすべて監査ログに残ります。"""
    seen = service.access(conn, meeting_id=meeting_id, reader=user, settings=settings, today=date.today())
    items = service.show(conn, seen, user)
    minutes = service.minutes_of(conn, meeting_id)
    answer = []
    for detail in _case_details(conn, settings, items, top=PROPOSALS_SHOWN):
        if detail["profile"] is None:
            continue
        answer.append(
            detail["profile"].model_dump(mode="json")
            | {
                "proposals": [p.model_dump(mode="json") for p in detail["proposals"]],
                "minutes": [
                    {
                        "shared": m.shared,
                        "actions": m.actions,
                        "next_review_on": m.next_review_on.isoformat() if m.next_review_on else None,
                        "written_by": m.written_by,
                        "written_at": m.written_at.isoformat(),
                    }
                    for m in minutes.get(detail["item"].profile_id, [])
                ],
            }
        )
    return answer


router.include_router(api)
