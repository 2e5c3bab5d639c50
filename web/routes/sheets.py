"""The referral sheet (紹介票) of a placement: a printable page and the same page as PDF (WeasyPrint)."""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from matcher.placements.sheet import referral_sheet
from web.deps import Conn
from web.security import CoordinatorSession
from web.templating import render, templates

router = APIRouter()
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


@router.get("/placements/{placement_id}/sheet", response_class=HTMLResponse)
def sheet_page(request: Request, placement_id: int, conn: Conn, session: CoordinatorSession) -> HTMLResponse:
    """紹介票（印刷用の画面）。本人同意があるときだけ。"""
    sheet = referral_sheet(conn, placement_id=placement_id, actor=session.user.name)
    return render(request, "placements/sheet.html", {"sheet": sheet, "pdf": False})


@router.get("/placements/{placement_id}/sheet.pdf")
def sheet_pdf(request: Request, placement_id: int, conn: Conn, session: CoordinatorSession) -> Response:
    """紹介票の PDF（日本語フォントは Noto CJK）。"""
    from weasyprint import CSS, HTML  # imported when asked: it loads Pango

    sheet = referral_sheet(conn, placement_id=placement_id, actor=session.user.name)
    html = templates.get_template("placements/sheet.html").render(
        {"request": request, "session": session, "sheet": sheet, "pdf": True}
    )
    pdf = HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(STATIC_DIR / "sheet.css"))])
    name = f"referral-{placement_id}.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
    )
