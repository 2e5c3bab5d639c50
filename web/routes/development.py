"""社会資源の開拓: the pipeline page, a 開拓候補's page with its notes and stage, opening one (from a
gap-report group or from scratch), registering it as a listing (admins), and the log of support given to
hosts.
The rules live in matcher/development; these routes parse, call and render."""

from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from matcher import embedding
from matcher.accounts.users import Session
from matcher.core.areas import all_areas
from matcher.core.vocabulary import LABELS, Kind
from matcher.development import host_support, pipeline, registration
from matcher.development.model import STAGE_LABELS, SUPPORT_LABELS, Candidate, GapGroup
from matcher.errors import Conflict, Invalid
from matcher.registry.model import Resource
from web.deps import Conn, CurrentSettings, FormFields
from web.forms import DateText, form_date
from web.pages import note_added, section_changed_or_refused
from web.routes.admin_listings import listing_form_context, new_listing, values_of
from web.routes.listings import listing_response
from web.security import page_session
from web.templating import render

router = APIRouter()
OrganiserSession = Annotated[Session, Depends(page_session("coordinator", "admin"))]
AdminSession = Annotated[Session, Depends(page_session("admin"))]


# --- the pipeline ---------------------------------------------------------------------------------------


@router.get("/development", response_class=HTMLResponse)
def pipeline_page(request: Request, conn: Conn, session: OrganiserSession, area: str = "") -> HTMLResponse:
    """開拓の一覧: 候補・打診中・受入準備・登録済・見送り ごとの件数と候補（圏域で絞り込めます）."""
    areas = pipeline.candidate_areas(conn)
    chosen = area if area in areas else ""  # a value the form does not offer is ignored, not refused
    context = {
        "by_stage": pipeline.pipeline(conn, area=chosen or None),
        "areas": areas,
        "area": chosen,
        "stage_labels": STAGE_LABELS,
        "kinds": LABELS[Kind],
    }
    return render(request, "development/pipeline.html", context)


# --- opening a candidate ----------------------------------------------------------------------------------


def _new_page(
    request: Request, conn: Conn, typed: dict[str, str], *, gap: GapGroup | None, **extra: Any
) -> HTMLResponse:
    status = extra.pop("status", 200)
    context = {
        "typed": typed,
        "gap": gap,
        "errors": extra.pop("errors", {}),
        "kinds": LABELS[Kind],
        "areas": [a.name for a in all_areas(conn)],
        "max_need": pipeline.MAX_NEED,
    } | extra
    return render(request, "development/new.html", context, status_code=status)


@router.get("/development/new", response_class=HTMLResponse)
def new_candidate_form(
    request: Request, conn: Conn, session: OrganiserSession, gap: str = ""
) -> HTMLResponse:
    """開拓候補を登録する画面（不足の集計のグループから開くと、圏域とニーズが入っています）."""
    group = pipeline.gap_group(conn, gap[:40]) if gap else None
    typed = {"name": "", "kind": "", "area": "", "need": "", "gap": ""}
    if group is not None:
        typed |= {"area": group.area, "need": pipeline.need_from_gap(group), "gap": group.key}
    return _new_page(request, conn, typed, gap=group)


@router.post("/development", response_class=HTMLResponse)
def open_candidate(
    request: Request,
    conn: Conn,
    session: OrganiserSession,
    name: Annotated[str, Form(max_length=pipeline.MAX_NAME * 2)] = "",
    kind: Annotated[str, Form(max_length=40)] = "",
    area: Annotated[str, Form(max_length=pipeline.MAX_AREA * 2)] = "",
    need: Annotated[str, Form(max_length=pipeline.MAX_NEED * 2)] = "",
    gap: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """開拓候補を登録します（誤りは欄の横に。書いた内容は残します）。"""
    typed = {"name": name, "kind": kind, "area": area, "need": need, "gap": gap}
    group = pipeline.gap_group(conn, gap) if gap else None
    try:
        candidate = pipeline.open_candidate(
            conn, name=name, kind=kind, area=area, need=need, gap=group, by=session.user
        )
    except Invalid as exc:
        errors = {exc.field or "form": exc.message}
        return _new_page(request, conn, typed, gap=group, errors=errors, status=422)
    return RedirectResponse(f"/development/{candidate.id}?opened=1", status_code=303)


# --- one candidate: notes and stage ---------------------------------------------------------------------


def _notes_context(conn: Conn, candidate: Candidate, **feedback: Any) -> dict[str, Any]:
    typed = {"written_on": date.today().isoformat(), "body": ""} | feedback.pop("typed", {})
    return {
        "candidate": candidate,
        "notes": pipeline.notes_of(conn, candidate_id=candidate.id),
        "typed": typed,
        "note_errors": feedback.pop("errors", {}),
        "today": date.today().isoformat(),
        "max_note": pipeline.MAX_NOTE,
    } | feedback


@dataclass
class CandidatePage:
    """A 開拓候補's page: its notes and its stage, with what a refused form had typed and its errors."""

    request: Request
    candidate_id: int
    conn: Conn
    session: OrganiserSession

    def show(self, **extra: Any) -> HTMLResponse:
        status = extra.pop("status", 200)
        conn, candidate_id = self.conn, self.candidate_id
        candidate = pipeline.get_candidate(conn, candidate_id)
        context = _notes_context(conn, candidate, **extra.pop("notes", {}))
        context |= {
            "stage_labels": STAGE_LABELS,
            "kinds": LABELS[Kind],
            "moves": pipeline.moves_from(candidate.stage),
            "history": pipeline.stage_history(conn, candidate_id=candidate_id),
            "stage_typed": {"stage": "", "reason": ""} | extra.pop("stage_typed", {}),
            "stage_errors": extra.pop("stage_errors", {}),
            "may_register": self.session.user.role == "admin",
        } | extra
        return render(self.request, "development/candidate.html", context, status_code=status)

    def notes(self, feedback: dict[str, Any]) -> HTMLResponse:
        """The notes alone, for htmx."""
        candidate = pipeline.get_candidate(self.conn, self.candidate_id)
        context = _notes_context(self.conn, candidate, **feedback)
        return render(self.request, "development/_notes.html", context)


Candidacy = Annotated[CandidatePage, Depends()]


@router.get("/development/{candidate_id}", response_class=HTMLResponse)
def candidate_page(page: Candidacy) -> HTMLResponse:
    """開拓候補のページ: 段階、経過の記録、段階を動かす、登録する."""
    return page.show()


@router.post("/development/{candidate_id}/stage", response_class=HTMLResponse)
def move_candidate(
    page: Candidacy,
    stage: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=pipeline.MAX_REASON * 2)] = "",
) -> Response:
    """段階を動かします（見送りには理由が要ります。登録済は社会資源の登録で自動的になります）。"""
    candidate_id = page.candidate_id
    try:
        pipeline.move(page.conn, candidate_id=candidate_id, to=stage, reason=reason, by=page.session.user)
    except (Invalid, Conflict) as exc:
        errors = {exc.field or "stage": exc.message}
        typed = {"stage": stage, "reason": reason}
        status = 422 if isinstance(exc, Invalid) else 409
        return page.show(stage_typed=typed, stage_errors=errors, status=status)
    return RedirectResponse(f"/development/{candidate_id}?moved={stage}#stage", status_code=303)


@router.post("/development/{candidate_id}/notes", response_class=HTMLResponse)
def write_note(
    page: Candidacy,
    body: Annotated[str, Form(max_length=pipeline.MAX_NOTE * 2)] = "",
    written_on: DateText = "",
) -> Response:
    """経過を1件記録します。誤りは欄の横に表示し、書いた内容は残します。"""
    candidate_id = page.candidate_id
    return note_added(
        page.request,
        lambda on: pipeline.add_note(
            page.conn, candidate_id=candidate_id, written_on=on, text=body, by=page.session.user
        ),
        written_on=written_on,
        body=body,
        then=f"/development/{candidate_id}#notes",
        page=lambda feedback: page.show(notes=feedback, status=422),
        section=page.notes,
    )


# --- registering the listing (admins) -------------------------------------------------------------------


def _register_page(
    request: Request,
    conn: Conn,
    candidate: Candidate,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    *,
    status: int = 200,
) -> HTMLResponse:
    context = listing_form_context(conn, values, errors) | {"candidate": candidate}
    return render(request, "development/register.html", context, status_code=status)


def _open_candidate(conn: Conn, candidate_id: int) -> Candidate:
    candidate = pipeline.get_candidate(conn, candidate_id)
    if not candidate.is_open:
        raise Conflict(f"「{STAGE_LABELS[candidate.stage]}」の候補は登録できません")
    return candidate


@router.get("/development/{candidate_id}/register", response_class=HTMLResponse)
def register_form(request: Request, candidate_id: int, conn: Conn, session: AdminSession) -> HTMLResponse:
    """開拓候補を社会資源として登録する画面（候補の内容が入っています）."""
    candidate = _open_candidate(conn, candidate_id)
    draft = registration.listing_draft(candidate)
    values = values_of(None) | {
        name: str(draft[name]) for name in ("id", "name", "kind", "area", "description")
    }
    return _register_page(request, conn, candidate, values, {})


@router.post("/development/{candidate_id}/register", response_class=HTMLResponse)
def register_listing(
    request: Request,
    candidate_id: int,
    conn: Conn,
    settings: CurrentSettings,
    session: AdminSession,
    form: FormFields,
) -> Response:
    """社会資源として登録し、候補を登録済にします（どちらかが失敗すれば、どちらも残りません）。"""
    candidate = _open_candidate(conn, candidate_id)
    spec = embedding.EmbeddingSpec.from_settings(settings)

    def save(resource: Resource) -> object:
        return registration.register(
            conn, candidate_id=candidate_id, resource=resource, spec=spec, by=session.user
        )

    return new_listing(form, save, again=partial(_register_page, request, conn, candidate))


# --- support for hosts ----------------------------------------------------------------------------------


@router.post("/resources/{resource_id}/support", response_class=HTMLResponse)
def add_support(
    request: Request,
    resource_id: str,
    conn: Conn,
    session: OrganiserSession,
    kind: Annotated[str, Form(max_length=40)] = "",
    given_on: DateText = "",
    amount_yen: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=host_support.MAX_NOTE * 2)] = "",
) -> Response:
    """受け入れ先への支援を1件記録します（訪問・応援金・送迎・同行・研修）。誤りは欄の横に、入力は残します。"""

    def add() -> object:
        amount = host_support.parse_yen(amount_yen)
        on = form_date(given_on, "given_on") or date.today()
        return host_support.add_support(
            conn,
            resource_id=resource_id,
            given_on=on,
            kind=kind,
            amount_yen=amount,
            note=note,
            by=session.user,
        )

    shown = partial(listing_response, request, conn, session, resource_id)
    return section_changed_or_refused(
        request,
        add,
        typed={"kind": kind, "given_on": given_on, "amount_yen": amount_yen, "note": note},
        field="note",
        flash=f"{SUPPORT_LABELS.get(kind, '')}を記録しました",
        then=f"/resources/{resource_id}?supported={kind}#host-support",
        page=lambda feedback: shown(support=feedback, status=422),
        section=lambda feedback: shown(support=feedback, partial=True),
    )
