"""実績 (domain.md §10): the year's figures with the monthly breakdown, a chart and the targets an admin sets,
as a page, CSV and an Excel workbook, and `GET /api/reports/kpi`. What each figure is and how it is counted:
matcher/reports/kpi.py."""

import math
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ConfigDict, Field, create_model

from matcher.accounts.users import Session, User
from matcher.reports import kpi
from matcher.reports.kpi import FIRST_YEAR, LAST_YEAR, KpiReport, TargetsInvalid
from web.auth import API_REFUSALS, require_role
from web.deps import Conn, FormFields
from web.security import page_session
from web.templating import render

router = APIRouter()
ReportSession = Annotated[Session, Depends(page_session("coordinator", "admin"))]
AdminSession = Annotated[Session, Depends(page_session("admin"))]
Reader = Annotated[User, Depends(require_role("coordinator", "admin"))]
YearQuery = Annotated[
    int | None,
    Query(ge=FIRST_YEAR, le=LAST_YEAR, description="年度（2026 は 2026-04-01〜2027-03-31）。省略時は今年度"),
]
CHARTED = ("people_supported", "placements_started")  # the figures the monthly chart draws


# The figures' fields, from the one table of them (kpi.FIGURES): counts are whole numbers; null is a period
# wholly in the future.
FIGURE_FIELDS: dict[str, Any] = {
    figure.key: (int | None if figure.kind == "count" else float | None, ...) for figure in kpi.FIGURES
}
MonthOut = create_model(
    "MonthOut",
    __doc__="One month's figures, counted over that month alone.",
    month=(str, Field(description="YYYY-MM")),
    **FIGURE_FIELDS,
)
KpiOut = create_model(
    "KpiOut",
    __doc__="The figures of domain.md §10 for a fiscal year, as `matcher report kpi --json` prints them.",
    __config__=ConfigDict(populate_by_name=True),
    fiscal_year=(int, ...),
    from_=(str, Field(alias="from", description="YYYY-04-01")),
    to=(str, Field(description="翌年の YYYY-03-31")),
    **FIGURE_FIELDS,
    monthly=(list[MonthOut], ...),  # type: ignore[valid-type]  # a model made at import
)


def _current_year() -> int:
    return kpi.fiscal_year_of(datetime.now(kpi.JST))


def _year(value: str) -> int:
    """The fiscal year asked for on a page (blank: this one); Invalid (a Japanese 422 page) otherwise."""
    return kpi.check_fiscal_year(value[:10]) if value.strip() else _current_year()


# --- the API ---------------------------------------------------------------------------------------------


@router.get(
    "/api/reports/kpi",
    response_model=KpiOut,
    response_model_by_alias=True,
    tags=["reports"],
    responses=API_REFUSALS,
)
def api_kpi(conn: Conn, user: Reader, fiscal_year: YearQuery = None) -> dict[str, Any]:
    """年度の実績と月別の内訳（コーディネーター・管理者）。`matcher report kpi --json` と同じ文書です。"""
    return kpi.report(conn, fiscal_year=fiscal_year or _current_year()).document()


# --- the page --------------------------------------------------------------------------------------------


@router.get("/reports/kpi", response_class=HTMLResponse)
def kpi_page(
    request: Request, conn: Conn, session: ReportSession, fiscal_year: str = "", saved: str = ""
) -> HTMLResponse:
    """年度の実績: 指標と目標・達成率、月別の表とグラフ、書き出し."""
    return _page(request, conn, session, _year(fiscal_year), saved=saved == "1")


@router.post("/reports/kpi/targets", response_class=HTMLResponse)
def save_targets(request: Request, conn: Conn, session: AdminSession, form: FormFields) -> Response:
    """年度の目標を保存します（管理者）。誤りは欄の横に示し、入力した内容は残します。"""
    year = _year(str(form.get("fiscal_year", "")))
    typed = {key: str(form.get(key, ""))[:40] for key in kpi.FIGURE_KEYS}
    try:
        kpi.set_targets(conn, fiscal_year=year, typed=typed, actor=session.user.name)
    except TargetsInvalid as exc:
        return _page(request, conn, session, year, typed=typed, errors=exc.errors, status=422)
    return RedirectResponse(f"/reports/kpi?{urlencode({'fiscal_year': year, 'saved': 1})}", status_code=303)


def _page(
    request: Request,
    conn: Conn,
    session: Session,
    year: int,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    saved: bool = False,
) -> HTMLResponse:
    result = kpi.report(conn, fiscal_year=year)
    goals = kpi.targets(conn, fiscal_year=year)
    shown_targets = {
        f.key: kpi.target_text(f, goals[f.key].value if f.key in goals else None) for f in kpi.FIGURES
    }
    context = {
        "report": result,
        "lines": kpi.lines(result, goals),
        "goals": goals,
        "months": kpi.MONTH_LABELS,
        "chart": monthly_chart(result),
        "typed": shown_targets | (typed or {}),
        "errors": errors or {},
        "saved": saved,
        "can_set": session.user.role == "admin",
        "rules": kpi.COMMON_RULES,
        "shown": kpi.shown,
        "shown_progress": kpi.shown_progress,
        "years": {"previous": max(FIRST_YEAR, year - 1), "next": min(LAST_YEAR, year + 1)},
        "first_year": FIRST_YEAR,
        "last_year": LAST_YEAR,
        "as_of": result.as_of.astimezone(kpi.JST).strftime("%Y-%m-%d %H:%M"),
    }
    return render(request, "reports/kpi.html", context, status_code=status)


def monthly_chart(report: KpiReport) -> dict[str, Any]:
    """The geometry of the monthly bar chart (支援対象者数 and 参加開始件数), drawn as inline SVG."""
    width, height, left, top, bottom = 640, 260, 40, 16, 36
    plot = height - top - bottom
    slot = (width - left - 8) / 12
    values = [[m.values[key] for key in CHARTED] for m in report.monthly]
    largest = max((v for pair in values for v in pair if isinstance(v, int)), default=0)
    scale = _nice_ceiling(largest)
    bars, labels = [], []
    for i, (month, pair) in enumerate(zip(report.monthly, values, strict=True)):
        x = left + i * slot
        labels.append({"x": round(x + slot / 2, 1), "text": month.label})
        for j, value in enumerate(pair):
            if value is None:
                continue
            h = plot * float(value) / scale
            bars.append(
                {
                    "x": round(x + slot * (0.12 + 0.38 * j), 1),
                    "y": round(top + plot - h, 1),
                    "width": round(slot * 0.36, 1),
                    "height": round(h, 1),
                    "series": j,
                    "value": value,
                    "title": f"{month.label} {kpi.BY_KEY[CHARTED[j]].label} {value}",
                }
            )
    ticks = [{"y": round(top + plot - plot * t / scale, 1), "text": t} for t in _ticks(scale)]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - 8,
        "baseline": top + plot,
        "bars": bars,
        "labels": labels,
        "ticks": ticks,
        "series": [kpi.BY_KEY[key].label for key in CHARTED],
    }


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10^k at or above value (at least 4, so a quiet year still has a scale)."""
    if value <= 4:
        return 4
    power: int = 10 ** int(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def _ticks(scale: int) -> list[int]:
    return [0, scale // 2, scale] if scale % 2 == 0 else [0, scale]


# --- exports ---------------------------------------------------------------------------------------------


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/reports/kpi.csv")
def kpi_csv(conn: Conn, session: ReportSession, fiscal_year: str = "") -> Response:
    """年度の実績を CSV で書き出します（割合は 0〜1、該当なしは空欄）。"""
    year = _year(fiscal_year)
    body = kpi.to_csv(kpi.report(conn, fiscal_year=year), kpi.targets(conn, fiscal_year=year))
    return Response(body, media_type="text/csv; charset=utf-8", headers=_attachment(f"kpi-{year}.csv"))


@router.get("/reports/kpi.xlsx")
def kpi_xlsx(conn: Conn, session: ReportSession, fiscal_year: str = "") -> Response:
    """年度の実績を Excel ブック（「実績」「定義」の2シート）で書き出します。"""
    year = _year(fiscal_year)
    body = kpi.to_xlsx(kpi.report(conn, fiscal_year=year), kpi.targets(conn, fiscal_year=year))
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, media_type=media, headers=_attachment(f"kpi-{year}.xlsx"))
