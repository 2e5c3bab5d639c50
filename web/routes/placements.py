"""Coordinator actions on the profile page, answered with the refreshed workspace (htmx partial swap)."""

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
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
from web.forms import DateText
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


@dataclass
class Workspace:
    """A coordinator's action on the profile page and what it answers with: the refreshed workspace (htmx),
    or the whole page again (a plain form post)."""

    request: Request
    conn: Conn
    settings: CurrentSettings
    session: CoordinatorSession

    def show(self, profile_id: str, **feedback: Any) -> Response:
        """The profile's workspace, saying what happened (the names of placements.workspace.Feedback: an
        unknown one is a TypeError)."""
        if not is_htmx(self.request):
            return RedirectResponse(f"/profiles/{profile_id}", status_code=303)
        profile = profile_or_404(self.conn, profile_id)
        context = workspace_context(self.conn, self.settings, profile, Feedback(**feedback))
        return render(self.request, "profiles/_workspace.html", context)

    def show_placement(self, placement: Placement, **feedback: Any) -> Response:
        """The workspace of the placement's profile, with the feedback shown at that placement."""
        return self.show(placement.profile_id, flash_placement=placement.id, **feedback)


Action = Annotated[Workspace, Depends()]
ResourceId = Annotated[str, Form(max_length=64)]


def _placement_or_404(conn: Conn, placement_id: int) -> Placement:
    """The placement, or a 404 page."""
    try:
        return get_placement(conn, placement_id=placement_id)
    except NotFound as exc:
        raise NotFoundPage(str(exc)) from exc


@router.post("/profiles/{profile_id}/confirm", response_class=HTMLResponse)
def confirm_proposal(profile_id: str, ws: Action, resource_id: ResourceId, gap_reason: Text = "") -> Response:
    """提案を確定します（空きを1つ確保）。既存事業が残っている参加支援には狭間の理由が要ります。"""
    profile_or_404(ws.conn, profile_id)
    try:
        placement = confirm(
            ws.conn,
            ws.settings,
            profile_id=profile_id,
            resource_id=resource_id,
            actor=ws.session.user.name,
            gap_reason=gap_reason,
        )
    except (GapReasonRequired, PiiInField) as exc:
        return ws.show(profile_id, gap_for=resource_id, gap_message=str(exc), gap_text=gap_reason)
    except (PlacementError, NotFound) as exc:
        return ws.show(profile_id, flash=str(exc), flash_for=resource_id)
    done = "確定しました。受け入れ先への紹介は本人同意の後に行えます"
    return ws.show(profile_id, flash_ok=done, flash_placement=placement.id)


@router.post("/profiles/{profile_id}/reject", response_class=HTMLResponse)
def reject_proposal(profile_id: str, ws: Action, resource_id: ResourceId, reason: Text = "") -> Response:
    """提案を見送ります（理由は必須）。見送った社会資源は再び提案されません。"""
    profile_or_404(ws.conn, profile_id)
    if not reason.strip():
        missing = "見送りの理由を入れてください"
        return ws.show(profile_id, flash=missing, flash_for=resource_id, reject_for=resource_id)
    try:
        reject(
            ws.conn,
            profile_id=profile_id,
            resource_id=resource_id,
            reason=reason,
            by=ws.session.user.name,
            settings=ws.settings,
        )
    except PiiInField as exc:
        return ws.show(
            profile_id,
            reject_for=resource_id,
            pii_field="reason",
            pii_message=str(exc),
            typed={"reason": reason},
        )
    except LookupError as exc:
        raise NotFoundPage(str(exc)) from exc
    return ws.show(profile_id, flash_ok="見送りを記録しました", undo_for=resource_id)


@router.post("/profiles/{profile_id}/restore", response_class=HTMLResponse)
def restore_proposal(profile_id: str, ws: Action, resource_id: ResourceId) -> Response:
    """見送った（または受け入れ先が辞退した）社会資源を提案に戻します。"""
    profile_or_404(ws.conn, profile_id)
    restore(ws.conn, profile_id=profile_id, resource_id=resource_id, by=ws.session.user.name)
    return ws.show(profile_id, flash_ok="提案に戻しました", flash_for=resource_id)


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
def plan_visit(placement_id: int, ws: Action, on: DateText = "") -> Response:
    """見学・体験の予定日を記録します（空欄で取り消し）。受け入れ先の画面にも出ます。"""
    placement = _placement_or_404(ws.conn, placement_id)
    try:
        day = _day(on)
        plan_trial(ws.conn, placement_id=placement_id, on=day, actor=ws.session.user.name)
    except PlacementError as exc:
        return ws.show_placement(placement, flash=str(exc))
    done = f"見学の予定日を {day.isoformat()} にしました" if day else "見学の予定日を取り消しました"
    return ws.show_placement(placement, flash_ok=done)


@router.post("/placements/{placement_id}/{action}", response_class=HTMLResponse)
def placement_step(
    placement_id: int,
    action: str,
    ws: Action,
    end_reason: Annotated[str, Form(max_length=40)] = "",
    end_note: Text = "",
    host_note: Text = "",
    override_reason: Text = "",
    on: DateText = "",
    dated_reason: Text = "",
    wellbeing: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    """つなぎを次の段階へ（紹介・見学体験・利用開始・終了・取り消し）。受け入れ先の「受け入れます」より先に
    見学・利用へ進めるときは理由（override_reason）が要ります。"""
    placement = _placement_or_404(ws.conn, placement_id)
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
            ws.conn,
            placement_id=placement_id,
            action=action,
            actor=ws.session.user.name,
            end_reason=end_reason or None,
            end_note=end_note,
            host_note=host_note if action == "refer" else None,
            override_reason=override_reason,
            settings=ws.settings,
            on=_day(on),
            dated_reason=dated_reason,
            wellbeing=_grade(wellbeing),
        )
    except PiiInField as exc:
        return ws.show_placement(placement, pii_field=exc.field, pii_message=str(exc), typed=typed)
    except PlacementError as exc:
        return ws.show_placement(placement, flash=str(exc), typed=typed)
    return ws.show_placement(placement, flash_ok=STEP_DONE.get(action, "記録しました"))


@router.post("/placements/{placement_id}/followups/new", response_class=HTMLResponse)
def add_followup(
    placement_id: int,
    ws: Action,
    month: Annotated[int, Form()],
    still_participating: Annotated[str, Form(max_length=5)],
    frequency: Annotated[str, Form(max_length=200)] = "",
    rating: Annotated[str, Form(max_length=2)] = "",
    note: Text = "",
    wellbeing: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    """1・3・6か月目のフォローアップを記録します。"""
    placement = _placement_or_404(ws.conn, placement_id)
    try:
        record_followup(
            ws.conn,
            placement_id=placement_id,
            month=month,
            still_participating=still_participating == "yes",
            frequency=frequency,
            rating=_grade(rating),
            note=note,
            actor=ws.session.user.name,
            wellbeing=_grade(wellbeing),
        )
    except PiiInField as exc:
        typed = {"frequency": frequency, "note": note, "rating": rating, "still": still_participating}
        return ws.show_placement(
            placement, pii_field=exc.field, pii_message=str(exc), pii_month=month, typed=typed
        )
    except PlacementError as exc:
        return ws.show_placement(placement, flash=str(exc))
    return ws.show_placement(placement, flash_ok=f"{month}か月目のフォローアップを記録しました")
