"""The Open Referral HSDS 3.0 API reference (schemas/hsds-3/openapi.json) over the registry, paged in SQL.

`/services` pages hold the `service_list` shape by default (the one-to-one fields, with the organization
and the programme) and, with full=true, fully nested services exactly as `matcher export hsds` writes
them. Either way each service also carries `last_modified`, when its listing last changed: the export
leaves it out so that export → import → export stays the same document. A page reads only its own rows:
the filters, the order and the count run in PostgreSQL (sql/queries/hsds.sql), then the page's listings
are read by id. Taxonomies are our one taxonomy and its terms (registry/hsds.py TERMS), served from code.
"""

import json
import unicodedata
import uuid
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from pydantic import BaseModel, ConfigDict, Field

from matcher.errors import NotFound
from matcher.registry import hsds
from matcher.registry.store import resources_by_ids
from matcher.sql import queries

SQL = queries("hsds")
HSDS_VERSION = "3.0"
# The base specification: we apply no profile of it.
PROFILE = "https://docs.openreferral.org/en/latest/hsds/overview.html"
MAX_PER_PAGE = 1000
JAPAN = ZoneInfo("Asia/Tokyo")  # a `modified_after` written without a zone is Japan time


@cache
def list_fields() -> frozenset[str]:
    """The fields of the `service_list` shape, as the compiled schema names them."""
    schema = json.loads((hsds.SCHEMA_PATH.parent / "service_list.json").read_text(encoding="utf-8"))
    return frozenset(schema["properties"])


class ServiceQuery(BaseModel):
    """What `/services` asks for (its query parameters); None filters mean any."""

    model_config = ConfigDict(frozen=True)

    search: str | None = Field(default=None, max_length=200, description="全文検索（語をすべて含むもの）")
    taxonomy_term_id: str | None = Field(default=None, max_length=100, description="この用語の属性をもつもの")
    taxonomy_id: str | None = Field(
        default=None, max_length=100, description="このタクソノミーの用語をもつもの"
    )
    modified_after: datetime | None = Field(
        default=None, description="この日時以降に変わったもの（時差なしは日本時間）"
    )
    full: bool = Field(default=False, description="true: 入れ子をすべて含む形（export hsds と同じ）")
    page: int = Field(default=1, ge=1, le=100_000, description="ページ番号（1から）")
    per_page: int = Field(default=100, ge=1, le=MAX_PER_PAGE, description="1ページの件数")


def meta(openapi_url: str) -> dict[str, Any]:
    """What `/` answers: the HSDS version, the profile (none: the base specification) and our OpenAPI."""
    return {"version": HSDS_VERSION, "profile": PROFILE, "openapi_url": openapi_url}


def paged(contents: list[dict[str, Any]], *, total: int, page_number: int, per_page: int) -> dict[str, Any]:
    """One page in the shape of the API's paginated lists (openapi.json's Page)."""
    pages = max(1, -(-total // per_page))
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": page_number,
        "size": len(contents),
        "first_page": page_number == 1,
        "last_page": page_number >= pages,
        "empty": not contents,
        "contents": contents,
    }


def _term_code(term_id: str) -> str | None:
    return next((code for code in hsds.TERMS if hsds.term_id(code) == term_id), None)


def _served(service: dict[str, Any], modified: datetime, full: bool) -> dict[str, Any]:
    shown = service if full else {k: v for k, v in service.items() if k in list_fields()}
    return shown | {"last_modified": modified.isoformat(timespec="milliseconds")}


def services(conn: psycopg.Connection, wanted: ServiceQuery) -> dict[str, Any]:
    """One page of services matching the query, in id order."""
    if (wanted.taxonomy_term_id is not None and _term_code(wanted.taxonomy_term_id) is None) or (
        wanted.taxonomy_id is not None and wanted.taxonomy_id != hsds.TAXONOMY_ID
    ):
        # a term or a taxonomy that is not ours: no service carries it
        return paged([], total=0, page_number=wanted.page, per_page=wanted.per_page)
    modified_after = wanted.modified_after
    if modified_after is not None and modified_after.tzinfo is None:
        modified_after = modified_after.replace(tzinfo=JAPAN)
    params = {
        "search": (wanted.search or "").strip() or None,
        "term": _term_code(wanted.taxonomy_term_id) if wanted.taxonomy_term_id else None,
        "modified_after": modified_after,
        "limit": wanted.per_page,
        "offset": (wanted.page - 1) * wanted.per_page,
    }
    rows = conn.execute(SQL.page, params).fetchall()
    counted = conn.execute(SQL.count, params).fetchone()
    total = int(counted[0]) if counted else 0
    listings = resources_by_ids(conn, [row[0] for row in rows])
    contents = [
        _served(hsds.to_service(listings[rid]), modified, wanted.full)
        for rid, modified in rows
        if rid in listings  # removed between the two reads
    ]
    return paged(contents, total=total, page_number=wanted.page, per_page=wanted.per_page)


def _resource_of(conn: psycopg.Connection, service_id: uuid.UUID) -> str | None:
    row = conn.execute(SQL.resource_of, {"service_id": service_id}).fetchone()
    return str(row[0]) if row else None


def service(conn: psycopg.Connection, service_id: str) -> dict[str, Any]:
    """One fully nested service by its HSDS id (NotFound when no listing has it)."""
    missing = NotFound(f"HSDS のサービス「{service_id}」はありません")
    try:
        sid = uuid.UUID(service_id)
    except ValueError:
        raise missing from None
    resource_id = _resource_of(conn, sid)
    if resource_id is None:
        # Listings added since the ids were last kept get theirs now, in one statement.
        unnamed = [row[0] for row in conn.execute(SQL.unnamed)]
        if unnamed:
            conn.execute(
                SQL.name_services,
                {"service_ids": [hsds.service_id(r) for r in unnamed], "resource_ids": unnamed},
            )
            resource_id = _resource_of(conn, sid)
    if resource_id is None:
        raise missing
    modified = conn.execute(SQL.modified, {"id": resource_id}).fetchone()
    listing = resources_by_ids(conn, [resource_id]).get(resource_id)
    if listing is None or modified is None:
        raise missing
    return _served(hsds.to_service(listing), modified[0], full=True)


def taxonomies(*, search: str | None, page: int, per_page: int) -> dict[str, Any]:
    """Our taxonomy, as a page."""
    found = [t for t in [hsds.taxonomy()] if _has_words(search, t["name"], t["description"])]
    return _page_of(found, page, per_page)


def taxonomy(taxonomy_id: str) -> dict[str, Any]:
    """Our taxonomy by id."""
    if taxonomy_id != hsds.TAXONOMY_ID:
        raise NotFound(f"タクソノミー「{taxonomy_id}」はありません")
    return hsds.taxonomy()


def taxonomy_terms(
    *,
    search: str | None,
    taxonomy_id: str | None,
    parent_id: str | None,
    page: int,
    per_page: int,
) -> dict[str, Any]:
    """Our taxonomy's terms, as a page. None has a parent, so every term is a top term."""
    terms = [hsds.taxonomy_term(code) for code in hsds.TERMS]
    found = [
        t
        for t in terms
        if (taxonomy_id is None or t["taxonomy_id"] == taxonomy_id)
        and parent_id is None
        and _has_words(search, t["code"], t["name"], t["description"])
    ]
    return _page_of(found, page, per_page)


def taxonomy_term(term_id: str) -> dict[str, Any]:
    """One of our terms by id."""
    code = _term_code(term_id)
    if code is None:
        raise NotFound(f"タクソノミーの用語「{term_id}」はありません")
    return hsds.taxonomy_term(code)


def _has_words(search: str | None, *texts: str) -> bool:
    def folded(text: str) -> str:  # as the SQL search folds: NFKC, any case
        return unicodedata.normalize("NFKC", text).casefold()

    haystack = folded(" ".join(texts))
    return all(word in haystack for word in folded(search or "").split())


def _page_of(items: list[dict[str, Any]], page: int, per_page: int) -> dict[str, Any]:
    start = (page - 1) * per_page
    return paged(items[start : start + per_page], total=len(items), page_number=page, per_page=per_page)
