"""JSON API: the registry as Open Referral HSDS 3 services, for other systems to read."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel

from matcher.accounts.users import User
from matcher.registry import hsds
from matcher.registry.store import iter_resources
from web.auth import API_REFUSALS, refusals, require_role
from web.deps import Conn

router = APIRouter(prefix="/api/hsds", tags=["hsds"], responses=API_REFUSALS)

Reader = Annotated[User, Depends(require_role("coordinator", "admin"))]


class ServicePage(BaseModel):
    """A page of fully nested HSDS services, in the HSDS API's paginated shape."""

    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[dict[str, Any]]


@router.get("/services", response_model=ServicePage)
def list_services(
    conn: Conn,
    _user: Reader,
    page: Annotated[int, Query(ge=1, le=100_000, description="ページ番号（1から）")] = 1,
    per_page: Annotated[int, Query(ge=1, le=1000, description="1ページの件数")] = 100,
) -> dict[str, Any]:
    """社会資源を HSDS 3 のサービス（入れ子をすべて含む形）で返します。`matcher export hsds` と同じ内容。"""
    return hsds.page(list(iter_resources(conn)), page_number=page, per_page=per_page)


@router.get("/services/{service_id}", response_model=dict[str, Any], responses=refusals(404))
def read_service(service_id: str, conn: Conn, _user: Reader) -> dict[str, Any]:
    """HSDS のサービス id（UUID）で1件返します。"""
    for resource in iter_resources(conn):
        if hsds.service_id(resource.id) == service_id:
            return hsds.to_service(resource)
    raise HTTPException(status.HTTP_404_NOT_FOUND, f"HSDS のサービス「{service_id}」はありません")
