"""JSON API: the registry as the Open Referral HSDS 3.0 API reference, for other systems to read.

Coordinators and admins read it with a token; with MATCHER_HSDS_PUBLIC=true anyone may, as the HSDS
compliance rules ask of a public directory (with `Access-Control-Allow-Origin: *`). The registry holds
no personal data, so opening it reveals nothing of a person.
"""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from matcher.registry import hsds_api
from web.auth import API_REFUSALS, Credentials, api_user, refusals, require_role
from web.deps import Conn, CurrentSettings

_staff = require_role("coordinator", "admin")


def _reader(
    conn: Conn,
    settings: CurrentSettings,
    response: Response,
    credentials: Credentials,
) -> None:
    """Public when the site says so (any origin may read it then); otherwise coordinators and admins."""
    if settings.hsds_public:
        response.headers["Access-Control-Allow-Origin"] = "*"
        return
    _staff(api_user(conn, credentials))


router = APIRouter(prefix="/api/hsds", tags=["hsds"], responses=API_REFUSALS, dependencies=[Depends(_reader)])

Page = Annotated[int, Query(ge=1, le=100_000, description="ページ番号（1から）")]
PerPage = Annotated[int, Query(ge=1, le=hsds_api.MAX_PER_PAGE, description="1ページの件数")]
Search = Annotated[str | None, Query(max_length=200, description="全文検索（語をすべて含むもの）")]
TaxonomyId = Annotated[str | None, Query(max_length=100, description="このタクソノミー（の用語をもつもの）")]


class PageOut(BaseModel):
    """A page in the HSDS API's paginated shape."""

    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[dict[str, Any]]


@router.get("/", response_model=dict[str, Any])
def api_meta(request: Request) -> dict[str, Any]:
    """この API の HSDS の版・プロファイル・OpenAPI の所在。"""
    return hsds_api.meta(str(request.base_url).rstrip("/") + request.app.openapi_url)


class _Answer(JSONResponse):
    """JSON written straight from what the domain built: the page is already in the documented shape,
    and validating 100 nested services again against `PageOut` took longer than building them."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


@router.get("/services", response_model=PageOut)
def list_services(
    conn: Conn, wanted: Annotated[hsds_api.ServiceQuery, Query()], response: Response
) -> Response:
    """社会資源を HSDS 3 のサービスとして1ページずつ返します（既定は service_list の形）。"""
    answer = _Answer(hsds_api.services(conn, wanted))
    # a Response returned whole does not take the headers `_reader` set (CORS when public)
    answer.headers.update({k: v for k, v in response.headers.items() if k.startswith("access-control-")})
    return answer


@router.get("/services/{service_id}", response_model=dict[str, Any], responses=refusals(404))
def read_service(service_id: str, conn: Conn) -> dict[str, Any]:
    """HSDS のサービス id（UUID）で1件、入れ子をすべて含む形で返します。"""
    return hsds_api.service(conn, service_id)


@router.get("/taxonomies", response_model=PageOut)
def list_taxonomies(page: Page = 1, per_page: PerPage = 100, search: Search = None) -> dict[str, Any]:
    """属性に使うタクソノミー（このシステム独自のもの1つ）。"""
    return hsds_api.taxonomies(search=search, page=page, per_page=per_page)


@router.get("/taxonomies/{taxonomy_id}", response_model=dict[str, Any], responses=refusals(404))
def read_taxonomy(taxonomy_id: str) -> dict[str, Any]:
    """タクソノミー1件。"""
    return hsds_api.taxonomy(taxonomy_id)


@router.get("/taxonomy_terms", response_model=PageOut)
def list_taxonomy_terms(
    page: Page = 1,
    per_page: PerPage = 100,
    search: Search = None,
    taxonomy_id: TaxonomyId = None,
    top_only: Annotated[bool, Query(description="子のない用語だけ（すべての用語が該当）")] = False,
    parent_id: Annotated[str | None, Query(max_length=100, description="この親の子の用語")] = None,
) -> dict[str, Any]:
    """タクソノミーの用語（HSDS に項目のない社会資源の属性）。"""
    del top_only  # every term of ours is a top term
    return hsds_api.taxonomy_terms(
        search=search, taxonomy_id=taxonomy_id, parent_id=parent_id, page=page, per_page=per_page
    )


@router.get("/taxonomy_terms/{term_id}", response_model=dict[str, Any], responses=refusals(404))
def read_taxonomy_term(term_id: str) -> dict[str, Any]:
    """用語1件。"""
    return hsds_api.taxonomy_term(term_id)
