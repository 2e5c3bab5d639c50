"""プラン pages (coordinators only): a person's plans and a new one agreed at a 重層的支援会議, one plan
with its 評価 and 終結. The rules live in matcher/meetings/plans.py."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from matcher.errors import Invalid
from matcher.meetings import plans
from web.deps import Conn
from web.forms import DateText, required_date
from web.pages import changed_or_refused
from web.profile_request import ProfileRequest
from web.security import CoordinatorSession
from web.templating import render

router = APIRouter()
FORM_FIELDS = {"close_reason": "reason"}  # the domain's field name → the form's


def _ids(values: list[str]) -> list[int]:
    if not all(v.isascii() and v.isdigit() and len(v) < 18 for v in values):
        raise Invalid("つなぎ先は一覧から選んでください", field="placement_ids")
    return [int(v) for v in values]


class ProfilePlans(ProfileRequest):
    """A person's plans page, with the form of a new plan (what was typed and its errors on a refusal)."""

    def show(self, **extra: Any) -> HTMLResponse:
        status = extra.pop("status", 200)
        conn, profile_id = self.conn, self.profile_id
        context = {
            "profile": self.profile(),
            "plans": plans.plans_of(conn, profile_id, reader=self.session.user),
            "meetings": plans.agreeing_meetings(conn, profile_id),
            "choices": plans.placement_choices(conn, profile_id),
            "typed": {"goals": "", "support": "", "review_on": "", "meeting_id": "", "placement_ids": []}
            | extra.pop("typed", {}),
            "errors": extra.pop("errors", {}),
            "today": date.today().isoformat(),
        }
        return render(self.request, "plans/profile.html", context, status_code=status)


@dataclass
class PlanPage:
    """One plan's page, with its forms of 評価 and 終結."""

    request: Request
    plan_id: int
    conn: Conn
    session: CoordinatorSession

    def show(self, **extra: Any) -> HTMLResponse:
        status = extra.pop("status", 200)
        plan = plans.get_plan(self.conn, self.plan_id, reader=self.session.user)
        context = {
            "plan": plan,
            "placements": plans.placements_of(self.conn, self.plan_id),
            "typed": extra.pop("typed", {}),
            "errors": extra.pop("errors", {}),
            "today": date.today().isoformat(),
        } | extra
        return render(self.request, "plans/plan.html", context, status_code=status)

    def change(self, change: Callable[[], object], typed: dict[str, str]) -> Response:
        """Makes a change to the plan and shows it again; a refusal is shown beside its field."""
        return changed_or_refused(
            change, then=f"/plans/{self.plan_id}", again=self.show, typed=typed, fields=FORM_FIELDS
        )


ProfilePlansPage = Annotated[ProfilePlans, Depends()]
OnePlanPage = Annotated[PlanPage, Depends()]


@router.get("/profiles/{profile_id}/plans", response_class=HTMLResponse)
def profile_plans(page: ProfilePlansPage) -> HTMLResponse:
    """この方のプランの一覧と、新しいプラン."""
    return page.show()


@router.post("/profiles/{profile_id}/plans", response_class=HTMLResponse)
def create_plan(
    page: ProfilePlansPage,
    goals: Annotated[str, Form(max_length=plans.MAX_TEXT * 2)] = "",
    support: Annotated[str, Form(max_length=plans.MAX_TEXT * 2)] = "",
    review_on: DateText = "",
    meeting_id: Annotated[str, Form(max_length=20)] = "",
    placement_ids: Annotated[list[str] | None, Form(max_length=20)] = None,
) -> Response:
    """重層的支援会議で決めたプランを記録します（誤りは欄の横に。書いた内容は残します）."""
    page.profile()
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
            page.conn,
            profile_id=page.profile_id,
            meeting_id=meeting,
            goals=goals,
            support=support,
            review_on=required_date(review_on, "review_on"),
            placement_ids=_ids(placement_ids or []),
            by=page.session.user,
            today=date.today(),
        )
    except Invalid as exc:
        errors = {exc.field or "goals": exc.message}
        return page.show(typed=typed, errors=errors, status=422)
    return RedirectResponse(f"/plans/{plan.id}", status_code=303)


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(page: OnePlanPage) -> HTMLResponse:
    """プラン: 目標・参加支援・見直し日・評価・終結."""
    return page.show()


@router.post("/plans/{plan_id}/evaluation", response_class=HTMLResponse)
def evaluate_plan(
    page: OnePlanPage,
    evaluation: Annotated[str, Form(max_length=plans.MAX_TEXT * 2)] = "",
    evaluated_on: DateText = "",
    next_review_on: DateText = "",
) -> Response:
    """評価と次の見直し日を記録します."""
    typed = {"evaluation": evaluation, "evaluated_on": evaluated_on, "next_review_on": next_review_on}

    def evaluate() -> object:
        return plans.evaluate_plan(
            page.conn,
            plan_id=page.plan_id,
            evaluation=evaluation,
            evaluated_on=required_date(evaluated_on, "evaluated_on"),
            next_review_on=required_date(next_review_on, "next_review_on"),
            by=page.session.user,
            today=date.today(),
        )

    return page.change(evaluate, typed)


@router.post("/plans/{plan_id}/close", response_class=HTMLResponse)
def close_plan(
    page: OnePlanPage,
    reason: Annotated[str, Form(max_length=plans.MAX_REASON * 2)] = "",
    closed_on: DateText = "",
) -> Response:
    """プランを終結します（理由を添えて）."""
    typed = {"reason": reason, "closed_on": closed_on}

    def close() -> object:
        return plans.close_plan(
            page.conn,
            plan_id=page.plan_id,
            closed_on=required_date(closed_on, "closed_on"),
            reason=reason,
            by=page.session.user,
            today=date.today(),
        )

    return page.change(close, typed)
