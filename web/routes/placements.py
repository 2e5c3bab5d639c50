"""Coordinator actions on the profile page, answered with the refreshed workspace (htmx partial swap)."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from matcher.matching.rejections import reject, restore
from matcher.placements.model import Placement
from matcher.placements.service import (
    GapReasonRequired,
    NotFound,
    PlacementError,
    advance,
    confirm,
    get_placement,
    plan_trial,
    record_followup,
)
from matcher.placements.workspace import Feedback
from matcher.profiles.pii import PiiInField
from web.deps import Conn, CurrentSettings
from web.routes.profiles import NotFoundPage, profile_or_404, workspace_context
from web.security import CoordinatorSession
from web.templating import is_htmx, render

router = APIRouter()
STEP_DONE = {
    "refer": "紹介を記録しました。受け入れ先の返答を待っています",
    "trial": "見学・体験を記録しました",
    "activate": "利用開始を記録しました",
    "end": "終了を記録しました",
    "cancel": "取り消しを記録しました。空きを戻しました",
}
Text = Annotated[str, Form(max_length=2000)]


def _workspace(
    request: Request, conn: Conn, settings: CurrentSettings, profile_id: str, **feedback: Any
) -> Response:
    """The refreshed workspace (htmx) or the whole page again (a plain form post), saying what
    happened (the names of placements.workspace.Feedback: an unknown one is a TypeError)."""
    if not is_htmx(request):
        return RedirectResponse(f"/profiles/{profile_id}", status_code=303)
    profile = profile_or_404(conn, profile_id)
    context = workspace_context(conn, settings, profile, Feedback(**feedback))
    return render(request, "profiles/_workspace.html", context)


def _placement_workspace(
    request: Request, conn: Conn, settings: CurrentSettings, placement: Placement, **feedback: Any
) -> Response:
    """The workspace of the placement's profile, with the feedback shown at that placement."""
    return _workspace(request, conn, settings, placement.profile_id, flash_placement=placement.id, **feedback)


def _placement_or_404(conn: Conn, placement_id: int) -> Placement:
    """The placement, or a 404 page."""
    try:
        return get_placement(conn, placement_id=placement_id)
    except NotFound as exc:
        raise NotFoundPage(str(exc)) from exc


@router.post("/profiles/{profile_id}/confirm", response_class=HTMLResponse)
def confirm_proposal(
    request: Request,
    profile_id: str,
    conn: Conn,
    settings: CurrentSettings,
    session: CoordinatorSession,
    resource_id: Annotated[str, Form(max_length=64)],
    gap_reason: Text = "",
) -> Response:
    """提案を確定します（空きを1つ確保）。既存事業が残っている参加支援には狭間の理由が要ります。"""
    profile_or_404(conn, profile_id)
    try:
        placement = confirm(
            conn,
            settings,
            profile_id=profile_id,
            resource_id=resource_id,
            actor=session.user.name,
            gap_reason=gap_reason,
        )
    except (GapReasonRequired, PiiInField) as exc:
        return _workspace(
            request,
            conn,
            settings,
            profile_id,
            gap_for=resource_id,
            gap_message=str(exc),
            gap_text=gap_reason,
        )
    except (PlacementError, NotFound) as exc:
        return _workspace(request, conn, settings, profile_id, flash=str(exc), flash_for=resource_id)
    return _workspace(
        request,
        conn,
        settings,
        profile_id,
        flash_ok="確定しました。受け入れ先への紹介は本人同意の後に行えます",
        flash_placement=placement.id,
    )


@router.post("/profiles/{profile_id}/reject", response_class=HTMLResponse)
def reject_proposal(
    request: Request,
    profile_id: str,
    conn: Conn,
    settings: CurrentSettings,
    session: CoordinatorSession,
    resource_id: Annotated[str, Form(max_length=64)],
    reason: Text = "",
) -> Response:
    """提案を見送ります（理由は必須）。見送った社会資源は再び提案されません。"""
    profile_or_404(conn, profile_id)
    if not reason.strip():
        return _workspace(
            request,
            conn,
            settings,
            profile_id,
            flash="見送りの理由を入れてください",
            flash_for=resource_id,
            reject_for=resource_id,
        )
    try:
        reject(
            conn,
            profile_id=profile_id,
            resource_id=resource_id,
            reason=reason,
            by=session.user.name,
            settings=settings,
        )
    except PiiInField as exc:
        return _workspace(
            request,
            conn,
            settings,
            profile_id,
            reject_for=resource_id,
            pii_field="reason",
            pii_message=str(exc),
            typed={"reason": reason},
        )
    except LookupError as exc:
        raise NotFoundPage(str(exc)) from exc
    return _workspace(
        request, conn, settings, profile_id, flash_ok="見送りを記録しました", undo_for=resource_id
    )


@router.post("/profiles/{profile_id}/restore", response_class=HTMLResponse)
def restore_proposal(
    request: Request,
    profile_id: str,
    conn: Conn,
    settings: CurrentSettings,
    session: CoordinatorSession,
    resource_id: Annotated[str, Form(max_length=64)],
) -> Response:
    """見送った（または受け入れ先が辞退した）社会資源を提案に戻します。"""
    profile_or_404(conn, profile_id)
    restore(conn, profile_id=profile_id, resource_id=resource_id, by=session.user.name)
    return _workspace(request, conn, settings, profile_id, flash_ok="提案に戻しました", flash_for=resource_id)


def _day(text: str) -> date | None:
    """A date typed in a form (empty: none); a PlacementError in Japanese when it is not one."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PlacementError(f"日付の形が正しくありません: {text[:20]}", field="on") from None


def _grade(text: str) -> int | None:
    return int(text) if text.isdigit() else None


@router.post("/placements/{placement_id}/plan", response_class=HTMLResponse)
def plan_visit(
    request: Request,
    placement_id: int,
    conn: Conn,
    settings: CurrentSettings,
    session: CoordinatorSession,
    on: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """見学・体験の予定日を記録します（空欄で取り消し）。受け入れ先の画面にも出ます。"""
    placement = _placement_or_404(conn, placement_id)
    try:
        day = _day(on)
        plan_trial(conn, placement_id=placement_id, on=day, actor=session.user.name)
    except PlacementError as exc:
        return _placement_workspace(request, conn, settings, placement, flash=str(exc))
    done = f"見学の予定日を {day.isoformat()} にしました" if day else "見学の予定日を取り消しました"
    return _placement_workspace(request, conn, settings, placement, flash_ok=done)


@router.post("/placements/{placement_id}/{action}", response_class=HTMLResponse)
def placement_step(
    request: Request,
    placement_id: int,
    action: str,
    conn: Conn,
    settings: CurrentSettings,
    session: CoordinatorSession,
    end_reason: Annotated[str, Form(max_length=40)] = "",
    end_note: Text = "",
    host_note: Text = "",
    override_reason: Text = "",
    on: Annotated[str, Form(max_length=20)] = "",
    dated_reason: Text = "",
    wellbeing: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    """つなぎを次の段階へ（紹介・見学体験・利用開始・終了・取り消し）。受け入れ先の「受け入れます」より先に
    見学・利用へ進めるときは理由（override_reason）が要ります。"""
    placement = _placement_or_404(conn, placement_id)
    typed = {
        "host_note": host_note,
        "end_note": end_note,
        "end_reason": end_reason,
        "override": override_reason,
        "on": on,
        "dated_reason": dated_reason,
    }
    try:
        advance(
            conn,
            placement_id=placement_id,
            action=action,
            actor=session.user.name,
            end_reason=end_reason or None,
            end_note=end_note,
            host_note=host_note if action == "refer" else None,
            override_reason=override_reason,
            settings=settings,
            on=_day(on),
            dated_reason=dated_reason,
            wellbeing=_grade(wellbeing),
        )
    except PiiInField as exc:
        return _placement_workspace(
            request, conn, settings, placement, pii_field=exc.field, pii_message=str(exc), typed=typed
        )
    except PlacementError as exc:
        return _placement_workspace(request, conn, settings, placement, flash=str(exc), typed=typed)
    done = STEP_DONE.get(action, "記録しました")
    return _placement_workspace(request, conn, settings, placement, flash_ok=done)


@router.post("/placements/{placement_id}/followups/new", response_class=HTMLResponse)
def add_followup(
    request: Request,
    placement_id: int,
    conn: Conn,
    settings: CurrentSettings,
    session: CoordinatorSession,
    month: Annotated[int, Form()],
    still_participating: Annotated[str, Form(max_length=5)],
    frequency: Annotated[str, Form(max_length=200)] = "",
    rating: Annotated[str, Form(max_length=2)] = "",
    note: Text = "",
    wellbeing: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    """1・3・6か月目のフォローアップを記録します。"""
    placement = _placement_or_404(conn, placement_id)
    try:
        record_followup(
            conn,
            placement_id=placement_id,
            month=month,
            still_participating=still_participating == "yes",
            frequency=frequency,
            rating=_grade(rating),
            note=note,
            actor=session.user.name,
            wellbeing=_grade(wellbeing),
        )
    except PiiInField as exc:
        return _placement_workspace(
            request,
            conn,
            settings,
            placement,
            pii_field=exc.field,
            pii_message=str(exc),
            pii_month=month,
            typed={"frequency": frequency, "note": note, "rating": rating, "still": still_participating},
        )
    except PlacementError as exc:
        return _placement_workspace(request, conn, settings, placement, flash=str(exc))
    done = f"{month}か月目のフォローアップを記録しました"
    return _placement_workspace(request, conn, settings, placement, flash_ok=done)
