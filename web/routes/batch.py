"""The weekly batch in the admin console: 「今すぐ実行」, its progress, runs, learned models, gap report."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from matcher.accounts.users import Session
from matcher.batch import learning
from matcher.batch import weekly as batch
from matcher.batch.jobs import latest_batch, start_batch
from matcher.reports import gaps
from web.deps import Conn, CurrentSettings
from web.routes.profiles import NotFoundPage
from web.security import page_session
from web.templating import is_htmx, render

router = APIRouter()
AdminSession = Annotated[Session, Depends(page_session("admin"))]


@router.get("/admin/batch", response_class=HTMLResponse)
def batch_page(request: Request, conn: Conn, session: AdminSession, message: str = "") -> HTMLResponse:
    """週次処理: 実行の記録、学習した重み、今すぐ実行."""
    context = {
        "runs": batch.runs(conn),
        "models": learning.models(conn),
        "job": latest_batch(conn),
        "this_week": batch.current_week(),
        "message": message[:200],
    }
    return render(request, "admin/batch.html", context)


@router.post("/admin/batch/run")
def run_now(
    request: Request,
    conn: Conn,
    settings: CurrentSettings,
    session: AdminSession,
    week: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """週次処理を今すぐ始めます（裏で進み、画面に進み具合を出します）。"""
    try:
        chosen = batch.check_week(week.strip())
    except batch.BadWeek as exc:
        return RedirectResponse(f"/admin/batch?message={exc}", status_code=303)
    current = latest_batch(conn)
    if current is not None and not current.finished:
        return RedirectResponse("/admin/batch?message=週次処理はすでに実行中です", status_code=303)
    start_batch(request.app.state.pool, settings, week=chosen, actor=session.user.name)
    return RedirectResponse("/admin/batch#job", status_code=303)


@router.get("/admin/batch/progress", response_class=HTMLResponse)
def progress(request: Request, conn: Conn, session: AdminSession) -> HTMLResponse:
    """実行中の週次処理の進み具合（htmx が読み直します）."""
    return render(request, "admin/_batch_job.html", {"job": latest_batch(conn)})


def _week(conn: Conn, week: str) -> str | None:
    weeks = gaps.report_weeks(conn)
    if week and week not in weeks:
        raise NotFoundPage(f"{week} の集計はありません")
    return week or (weeks[0] if weeks else None)


@router.get("/admin/gaps", response_class=HTMLResponse)
def gap_page(request: Request, conn: Conn, session: AdminSession, week: str = "") -> HTMLResponse:
    """社会資源の不足（合う提案がない人の集まり）: 圏域とニーズで分けた表とグラフ."""
    chosen = _week(conn, week[:10])
    clusters = gaps.stored_report(conn, chosen) if chosen else []
    shown = [c for c in clusters if c.shown]
    context = {
        "week": chosen,
        "weeks": gaps.report_weeks(conn),
        "clusters": shown,
        "hidden": sum(1 for c in clusters if not c.shown),
        "hidden_people": sum(c.size for c in clusters if not c.shown),
        "largest": max((c.size for c in shown), default=1),
        "labels": gaps.CODE_LABELS,
    }
    if is_htmx(request):
        return render(request, "admin/_gaps.html", context)
    return render(request, "admin/gaps.html", context)


@router.get("/admin/gaps.csv")
def gap_csv(conn: Conn, session: AdminSession, week: str = "") -> Response:
    """不足の集計を CSV で書き出します（3人未満のグループは含めません）。"""
    chosen = _week(conn, week[:10])
    body = gaps.to_csv(gaps.stored_report(conn, chosen) if chosen else [])
    headers = {"Content-Disposition": f'attachment; filename="gaps-{chosen or date.today()}.csv"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
