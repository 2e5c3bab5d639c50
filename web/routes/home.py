"""The start page: the registry and the profiles at a glance."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from matcher.profiles.store import iter_profiles
from matcher.registry.store import count_resources, resource_summaries
from web.deps import Conn
from web.templating import templates

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def start_page(request: Request, conn: Conn) -> HTMLResponse:
    """社会資源とニーズプロファイルの一覧."""
    return templates.TemplateResponse(
        request,
        "home/page.html",
        {
            "resources": resource_summaries(conn),
            "resource_count": count_resources(conn),
            "profiles": list(iter_profiles(conn)),
        },
    )
