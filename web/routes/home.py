"""The first page after login: the coordinator's dashboard, or the registry for the other roles."""

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from matcher.accounts.users import Session
from matcher.meetings.plans import due_plans
from matcher.placements.alerts import needing_attention
from matcher.registry.store import LISTING_SORTS, find_resources, listing_areas
from matcher.reports import dashboard
from web.deps import Conn, CurrentSettings
from web.forms import listing_search, other_page_query
from web.routes.admin import admin_home
from web.routes.host import host_home
from web.routes.meetings import member_home
from web.security import AnySession, Forbidden, page_session
from web.templating import is_htmx, render

router = APIRouter()
RegistryReader = Annotated[Session, Depends(page_session("coordinator", "admin", "provider"))]


@router.get("/", response_class=HTMLResponse)
def start_page(request: Request, conn: Conn, settings: CurrentSettings, session: AnySession) -> HTMLResponse:
    """ダッシュボード（コーディネーター）または社会資源の一覧."""
    if session.user.role == "coordinator":
        alerts = needing_attention(conn, settings, coordinator=session.user.name)
        context = {
            "board": dashboard.build(conn, settings, me=session.user.id),
            "alerts": alerts,
            "now": datetime.now().astimezone(),
            "plans_due": due_plans(conn, today=date.today()),
            "today": date.today(),
        }
        return render(request, "dashboard/page.html", context)
    if session.user.role == "provider":
        return host_home(request, conn, session)
    if session.user.role == "member":
        return member_home(request, conn, settings, session)
    if session.user.role != "admin":
        raise Forbidden()
    return admin_home(request, conn, settings, session)


@router.get("/resources", response_class=HTMLResponse)
def registry_page(request: Request, conn: Conn, session: RegistryReader) -> HTMLResponse:
    """社会資源の一覧: 検索・絞り込み・並べ替え・ページ（受け入れ先には自分の掲載だけ）.

    The search form is a GET form, so every search is a URL; htmx asks for the results table only."""
    own = sorted(session.user.resource_ids) if session.user.role == "provider" else None
    search = listing_search(request.query_params)
    rows, total = find_resources(conn, search, only=own)
    context = {
        "search": search,
        "resources": rows,
        "total": total,
        "pages": max(1, -(-total // search.size)),
        "page_query": other_page_query(request.query_params),
        "areas": listing_areas(conn, only=own),
        "sorts": LISTING_SORTS,
    }
    results_only = is_htmx(request) and not request.headers.get("hx-history-restore-request")
    return render(request, "resources/_rows.html" if results_only else "resources/list.html", context)
