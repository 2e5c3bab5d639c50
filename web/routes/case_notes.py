"""Caseloads on the profile page: the 担当 (responsible coordinator) and the dated 支援経過記録, for
coordinators only; as htmx partials the profile page loads, as a page of their own without JavaScript,
and as JSON (GET/POST /api/profiles/{id}/notes)."""

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from matcher.errors import Invalid
from matcher.profiles.case_notes import MAX_NOTE, CaseNote, add_note, count_notes, notes_of
from matcher.profiles.model import NeedsProfile
from matcher.profiles.service import assign_coordinator
from matcher.profiles.store import coordinator_of, coordinators
from web.auth import API_REFUSALS, Coordinator, refusals
from web.deps import Conn
from web.forms import DateText
from web.pages import note_added
from web.profile_request import ProfileRequest
from web.security import CoordinatorSession
from web.templating import is_htmx, render

router = APIRouter()
api = APIRouter(prefix="/api", tags=["caseload"], responses=API_REFUSALS | refusals(404))  # in `router`


def _notes_context(
    conn: Conn, profile_id: str, session: CoordinatorSession, **feedback: Any
) -> dict[str, Any]:
    notes = notes_of(conn, profile_id=profile_id, reader=session.user)
    typed = {"written_on": date.today().isoformat(), "body": ""} | feedback.pop("typed", {})
    return {
        "notes_shown": True,
        "notes": notes,
        "note_count": count_notes(conn, profile_id=profile_id),
        "typed": typed,
        "note_errors": feedback.pop("errors", {}),
        "today": date.today().isoformat(),
        "max_note": MAX_NOTE,
    } | feedback


def _caseload_context(conn: Conn, profile_id: str, **feedback: Any) -> dict[str, Any]:
    return {
        "caseload_shown": True,
        "caseload": coordinator_of(conn, profile_id=profile_id),
        "coordinators": coordinators(conn),
    } | feedback


class Caseload(ProfileRequest):
    """A person's caseload and notes: as a page of their own (no JavaScript, or after a plain form post),
    or a section alone for htmx."""

    def page(self, **extra: Any) -> HTMLResponse:
        """The caseload and the notes as a page of their own."""
        status = extra.pop("status", 200)
        conn, profile_id = self.conn, self.profile_id
        context = {"profile": self.profile()}
        context |= _caseload_context(conn, profile_id, **extra.pop("caseload", {}))
        context |= _notes_context(conn, profile_id, self.session, **extra)
        return render(self.request, "profiles/case.html", context, status_code=status)

    def notes(self, profile: NeedsProfile, **feedback: Any) -> HTMLResponse:
        """The notes alone, for htmx."""
        context = {"profile": profile} | _notes_context(self.conn, profile.id, self.session, **feedback)
        return render(self.request, "profiles/_case_notes.html", context)

    def caseload(self, profile: NeedsProfile, **feedback: Any) -> HTMLResponse:
        """The caseload alone, for htmx."""
        context = {"profile": profile} | _caseload_context(self.conn, profile.id, **feedback)
        return render(self.request, "profiles/_caseload.html", context)

    def section(self, shown: Callable[[NeedsProfile], HTMLResponse]) -> HTMLResponse:
        """The section `shown` gives for htmx; without it, the whole page (each reads the profile once)."""
        if not is_htmx(self.request):
            return self.page()
        return shown(self.profile())


CaseloadPage = Annotated[Caseload, Depends()]


@router.get("/profiles/{profile_id}/notes", response_class=HTMLResponse)
def case_notes(case: CaseloadPage) -> HTMLResponse:
    """支援経過記録の一覧と記入欄（htmx には部分だけ）."""
    return case.section(case.notes)


@router.post("/profiles/{profile_id}/notes", response_class=HTMLResponse)
def write_case_note(
    case: CaseloadPage,
    body: Annotated[str, Form(max_length=MAX_NOTE * 2)] = "",
    written_on: DateText = "",
) -> Response:
    """支援経過記録を1件書きます。誤りは欄の横に表示し、書いた内容は残します。"""
    profile_id, user = case.profile_id, case.session.user
    profile = case.profile()

    return note_added(
        case.request,
        lambda on: add_note(case.conn, profile_id=profile_id, written_on=on, text=body, author=user),
        written_on=written_on,
        body=body,
        then=f"/profiles/{profile_id}/notes#case-notes",
        page=lambda feedback: case.page(status=422, **feedback),
        section=lambda feedback: case.notes(profile, **feedback),
    )


@router.get("/profiles/{profile_id}/caseload", response_class=HTMLResponse)
def caseload(case: CaseloadPage) -> HTMLResponse:
    """担当のコーディネーター（htmx には部分だけ）."""
    return case.section(case.caseload)


@router.post("/profiles/{profile_id}/caseload", response_class=HTMLResponse)
def change_caseload(case: CaseloadPage, coordinator: Annotated[str, Form(max_length=20)] = "") -> Response:
    """担当を決めます（「me」は自分、空は担当なし）。"""
    profile_id, user = case.profile_id, case.session.user
    profile = case.profile()
    try:
        chosen = user.id if coordinator == "me" else _account_id(coordinator)
        after = assign_coordinator(case.conn, profile_id=profile_id, coordinator_id=chosen, actor=user.name)
    except Invalid as exc:
        feedback: dict[str, Any] = {"caseload_error": exc.message}
    else:
        feedback = {"caseload_flash": f"担当を{after.name}さんにしました" if after else "担当なしにしました"}
    if not is_htmx(case.request):
        if "caseload_error" in feedback:
            return case.page(caseload=feedback, status=422)
        return RedirectResponse(f"/profiles/{profile_id}/notes#caseload", status_code=303)
    return case.caseload(profile, **feedback)


def _account_id(value: str) -> int | None:
    """An account id from the form; empty means nobody; anything else is refused."""
    if not value:
        return None
    if value.isascii() and value.isdigit() and len(value) < 18:
        return int(value)
    raise Invalid("担当は一覧から選んでください", field="coordinator")


# --- JSON API ------------------------------------------------------------------------------------------


class CaseNoteIn(BaseModel):
    """A new 支援経過記録: the day the support happened (today when left out) and what happened."""

    written_on: date | None = Field(None, description="支援のあった日（省略すると今日。未来の日は不可）")
    body: str = Field(max_length=MAX_NOTE * 2, description="経過（個人を特定できる情報は書けません）")


class CaseNoteOut(BaseModel):
    """One 支援経過記録."""

    id: int
    profile_id: str
    written_on: date
    author: str = Field(description="書いたコーディネーターの利用者名")
    body: str
    created_at: datetime


def _out(note: CaseNote) -> CaseNoteOut:
    return CaseNoteOut.model_validate(note, from_attributes=True)


@api.get("/profiles/{profile_id}/notes")
def read_case_notes(profile_id: str, conn: Conn, user: Coordinator) -> list[CaseNoteOut]:
    """プロファイルの支援経過記録（新しい日付から。コーディネーターだけ）。"""
    return [_out(note) for note in notes_of(conn, profile_id=profile_id, reader=user)]


@api.post("/profiles/{profile_id}/notes", status_code=201)
def create_case_note(profile_id: str, note: CaseNoteIn, conn: Conn, user: Coordinator) -> CaseNoteOut:
    """支援経過記録を1件書きます（個人を特定できる情報は 422）。"""
    written_on = note.written_on or date.today()
    return _out(add_note(conn, profile_id=profile_id, written_on=written_on, text=note.body, author=user))


router.include_router(api)
