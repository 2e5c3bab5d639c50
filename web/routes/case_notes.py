"""Caseloads on the profile page: the 担当 (responsible coordinator) and the dated 支援経過記録, for
coordinators only; as htmx partials the profile page loads, as a page of their own without JavaScript,
and as JSON (GET/POST /api/profiles/{id}/notes)."""

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
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
from web.routes.profiles import profile_or_404
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


def _page(
    request: Request, conn: Conn, session: CoordinatorSession, profile_id: str, **extra: Any
) -> HTMLResponse:
    """The caseload and the notes as a page of their own (no JavaScript, or after a plain form post)."""
    status = extra.pop("status", 200)
    context = {"profile": profile_or_404(conn, profile_id)}
    context |= _caseload_context(conn, profile_id, **extra.pop("caseload", {}))
    context |= _notes_context(conn, profile_id, session, **extra)
    return render(request, "profiles/case.html", context, status_code=status)


def _notes_section(
    request: Request, conn: Conn, session: CoordinatorSession, profile: NeedsProfile, **feedback: Any
) -> HTMLResponse:
    """The notes alone, for htmx."""
    context = {"profile": profile} | _notes_context(conn, profile.id, session, **feedback)
    return render(request, "profiles/_case_notes.html", context)


@router.get("/profiles/{profile_id}/notes", response_class=HTMLResponse)
def case_notes(request: Request, profile_id: str, conn: Conn, session: CoordinatorSession) -> HTMLResponse:
    """支援経過記録の一覧と記入欄（htmx には部分だけ）."""
    profile = profile_or_404(conn, profile_id)
    if not is_htmx(request):
        return _page(request, conn, session, profile_id)
    return _notes_section(request, conn, session, profile)


@router.post("/profiles/{profile_id}/notes", response_class=HTMLResponse)
def write_case_note(
    request: Request,
    profile_id: str,
    conn: Conn,
    session: CoordinatorSession,
    body: Annotated[str, Form(max_length=MAX_NOTE * 2)] = "",
    written_on: DateText = "",
) -> Response:
    """支援経過記録を1件書きます。誤りは欄の横に表示し、書いた内容は残します。"""
    profile = profile_or_404(conn, profile_id)

    return note_added(
        request,
        lambda on: add_note(conn, profile_id=profile_id, written_on=on, text=body, author=session.user),
        written_on=written_on,
        body=body,
        then=f"/profiles/{profile_id}/notes#case-notes",
        page=lambda feedback: _page(request, conn, session, profile_id, status=422, **feedback),
        section=lambda feedback: _notes_section(request, conn, session, profile, **feedback),
    )


@router.get("/profiles/{profile_id}/caseload", response_class=HTMLResponse)
def caseload(request: Request, profile_id: str, conn: Conn, session: CoordinatorSession) -> HTMLResponse:
    """担当のコーディネーター（htmx には部分だけ）."""
    profile = profile_or_404(conn, profile_id)
    if not is_htmx(request):
        return _page(request, conn, session, profile_id)
    return render(
        request, "profiles/_caseload.html", {"profile": profile} | _caseload_context(conn, profile_id)
    )


@router.post("/profiles/{profile_id}/caseload", response_class=HTMLResponse)
def change_caseload(
    request: Request,
    profile_id: str,
    conn: Conn,
    session: CoordinatorSession,
    coordinator: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """担当を決めます（「me」は自分、空は担当なし）。"""
    profile = profile_or_404(conn, profile_id)
    try:
        chosen = session.user.id if coordinator == "me" else _account_id(coordinator)
        after = assign_coordinator(
            conn, profile_id=profile_id, coordinator_id=chosen, actor=session.user.name
        )
    except Invalid as exc:
        feedback: dict[str, Any] = {"caseload_error": exc.message}
    else:
        feedback = {"caseload_flash": f"担当を{after.name}さんにしました" if after else "担当なしにしました"}
    if not is_htmx(request):
        if "caseload_error" in feedback:
            return _page(request, conn, session, profile_id, caseload=feedback, status=422)
        return RedirectResponse(f"/profiles/{profile_id}/notes#caseload", status_code=303)
    context = {"profile": profile} | _caseload_context(conn, profile_id, **feedback)
    return render(request, "profiles/_caseload.html", context)


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
