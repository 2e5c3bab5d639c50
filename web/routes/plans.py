"""プラン pages (coordinators only): a person's plans and a new one agreed at a 重層的支援会議, one plan
with its 評価 and 終結. The rules live in matcher/meetings/plans.py."""

from datetime import date
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from matcher.errors import Invalid
from matcher.meetings import plans
from web.deps import Conn
from web.forms import DateText, required_date
from web.pages import changed_or_refused
from web.routes.profiles import profile_or_404
from web.security import CoordinatorSession
from web.templating import render

router = APIRouter()
FORM_FIELDS = {"close_reason": "reason"}  # the domain's field name → the form's


def _ids(values: list[str]) -> list[int]:
    if not all(v.isascii() and v.isdigit() and len(v) < 18 for v in values):
        raise Invalid("つなぎ先は一覧から選んでください", field="placement_ids")
    return [int(v) for v in values]


def _profile_plans(
    request: Request, conn: Conn, session: CoordinatorSession, profile_id: str, **extra: Any
) -> HTMLResponse:
    status = extra.pop("status", 200)
    context = {
        "profile": profile_or_404(conn, profile_id),
        "plans": plans.plans_of(conn, profile_id, reader=session.user),
        "meetings": plans.agreeing_meetings(conn, profile_id),
        "choices": plans.placement_choices(conn, profile_id),
        "typed": {"goals": "", "support": "", "review_on": "", "meeting_id": "", "placement_ids": []}
        | extra.pop("typed", {}),
        "errors": extra.pop("errors", {}),
        "today": date.today().isoformat(),
    }
    return render(request, "plans/profile.html", context, status_code=status)


@router.get("/profiles/{profile_id}/plans", response_class=HTMLResponse)
def profile_plans(request: Request, profile_id: str, conn: Conn, session: CoordinatorSession) -> HTMLResponse:
    """この方のプランの一覧と、新しいプラン."""
    return _profile_plans(request, conn, session, profile_id)


@router.post("/profiles/{profile_id}/plans", response_class=HTMLResponse)
def create_plan(
    request: Request,
    profile_id: str,
    conn: Conn,
    session: CoordinatorSession,
    goals: Annotated[str, Form(max_length=plans.MAX_TEXT * 2)] = "",
    support: Annotated[str, Form(max_length=plans.MAX_TEXT * 2)] = "",
    review_on: DateText = "",
    meeting_id: Annotated[str, Form(max_length=20)] = "",
    placement_ids: Annotated[list[str] | None, Form(max_length=20)] = None,
) -> Response:
    """重層的支援会議で決めたプランを記録します（誤りは欄の横に。書いた内容は残します）."""
    profile_or_404(conn, profile_id)
    typed = {
        "goals": goals,
        "support": support,
        "review_on": review_on,
        "meeting_id": meeting_id,
        "placement_ids": placement_ids or [],
    }
    try:
        meeting = _ids([meeting_id])[0] if meeting_id else None
        plan = plans.create_plan(
            conn,
            profile_id=profile_id,
            meeting_id=meeting,
            goals=goals,
            support=support,
            review_on=required_date(review_on, "review_on"),
            placement_ids=_ids(placement_ids or []),
            by=session.user,
            today=date.today(),
        )
    except Invalid as exc:
        errors = {exc.field or "goals": exc.message}
        return _profile_plans(request, conn, session, profile_id, typed=typed, errors=errors, status=422)
    return RedirectResponse(f"/plans/{plan.id}", status_code=303)


def _plan_page(
    request: Request, conn: Conn, session: CoordinatorSession, plan_id: int, **extra: Any
) -> HTMLResponse:
    status = extra.pop("status", 200)
    plan = plans.get_plan(conn, plan_id, reader=session.user)
    context = {
        "plan": plan,
        "placements": plans.placements_of(conn, plan_id),
        "typed": extra.pop("typed", {}),
        "errors": extra.pop("errors", {}),
        "today": date.today().isoformat(),
    } | extra
    return render(request, "plans/plan.html", context, status_code=status)


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(request: Request, plan_id: int, conn: Conn, session: CoordinatorSession) -> HTMLResponse:
    """プラン: 目標・参加支援・見直し日・評価・終結."""
    return _plan_page(request, conn, session, plan_id)


@router.post("/plans/{plan_id}/evaluation", response_class=HTMLResponse)
def evaluate_plan(
    request: Request,
    plan_id: int,
    conn: Conn,
    session: CoordinatorSession,
    evaluation: Annotated[str, Form(max_length=plans.MAX_TEXT * 2)] = "",
    evaluated_on: DateText = "",
    next_review_on: DateText = "",
) -> Response:
    """評価と次の見直し日を記録します."""
    typed = {"evaluation": evaluation, "evaluated_on": evaluated_on, "next_review_on": next_review_on}

    def evaluate() -> object:
        return plans.evaluate_plan(
            conn,
            plan_id=plan_id,
            evaluation=evaluation,
            evaluated_on=required_date(evaluated_on, "evaluated_on"),
            next_review_on=required_date(next_review_on, "next_review_on"),
            by=session.user,
            today=date.today(),
        )

    again = partial(_plan_page, request, conn, session, plan_id)
    return changed_or_refused(
        evaluate, then=f"/plans/{plan_id}", again=again, typed=typed, fields=FORM_FIELDS
    )


@router.post("/plans/{plan_id}/close", response_class=HTMLResponse)
def close_plan(
    request: Request,
    plan_id: int,
    conn: Conn,
    session: CoordinatorSession,
    reason: Annotated[str, Form(max_length=plans.MAX_REASON * 2)] = "",
    closed_on: DateText = "",
) -> Response:
    """プランを終結します（理由を添えて）."""
    typed = {"reason": reason, "closed_on": closed_on}

    def close() -> object:
        return plans.close_plan(
            conn,
            plan_id=plan_id,
            closed_on=required_date(closed_on, "closed_on"),
            reason=reason,
            by=session.user,
            today=date.today(),
        )

    again = partial(_plan_page, request, conn, session, plan_id)
    return changed_or_refused(close, then=f"/plans/{plan_id}", again=again, typed=typed, fields=FORM_FIELDS)
