"""The first page after login: the coordinator's dashboard, or the registry for the other roles."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from matcher.accounts.users import Session
from matcher.registry.store import count_resources, resource_summaries
from matcher.reports import dashboard
from web.deps import Conn, CurrentSettings
from web.routes.admin import admin_home
from web.routes.host import host_home
from web.security import AnySession, page_session
from web.templating import render

router = APIRouter()
RegistryReader = Annotated[Session, Depends(page_session("coordinator", "admin", "provider"))]


@router.get("/", response_class=HTMLResponse)
def start_page(request: Request, conn: Conn, settings: CurrentSettings, session: AnySession) -> HTMLResponse:
    """ダッシュボード（コーディネーター）または社会資源の一覧."""
    if session.user.role == "coordinator":
        return render(request, "dashboard/page.html", {"board": dashboard.build(conn, settings)})
    if session.user.role == "provider":
        return host_home(request, conn, session)
    return admin_home(request, conn, settings, session)


@router.get("/resources", response_class=HTMLResponse)
def registry_page(request: Request, conn: Conn, session: RegistryReader) -> HTMLResponse:
    """社会資源の一覧（受け入れ先には自分の掲載だけ）."""
    own = sorted(session.user.resource_ids) if session.user.role == "provider" else None
    rows = resource_summaries(conn, only=own)
    total = len(rows) if own is not None else count_resources(conn)
    return render(request, "resources/list.html", {"resources": rows, "resource_count": total})
