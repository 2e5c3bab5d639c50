"""The host portal: a host's own listings (edit, pause, 「内容を確認しました」) and its referral inbox."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from matcher import embedding
from matcher.accounts.users import Session
from matcher.core.schedule import DAY_ORDER
from matcher.errors import DomainError, NotFound
from matcher.placements.referrals import referrals_for_host, respond
from matcher.registry.host import NotYourListing, assure_listing, edit_listing, own_listing
from matcher.registry.model import Resource
from matcher.registry.service import STALE, ListingRefused, StaleListing
from matcher.registry.store import get_versioned, reserved_places, resources_by_ids
from web.deps import Conn, CurrentSettings, FormFields
from web.errors import status_of
from web.forms import errors_by_field
from web.routes.listings import contact_changes, contact_from_form, contact_values
from web.security import Forbidden, page_session
from web.templating import render

router = APIRouter()
HostSession = Annotated[Session, Depends(page_session("provider"))]
SLOT_ROWS = 3  # empty rows offered below the listing's own slots


def host_home(
    request: Request, conn: Conn, session: Session, status: int = 200, **extra: Any
) -> HTMLResponse:
    """The host's listings and the referrals to them."""
    listings = sorted(resources_by_ids(conn, sorted(session.user.resource_ids)).values(), key=lambda r: r.id)
    referrals = referrals_for_host(
        conn, resource_ids=sorted(session.user.resource_ids), actor=session.user.name
    )
    context = {"listings": listings, "referrals": referrals, "today": date.today()}
    return render(request, "host/home.html", context | extra, status)


def _listing(conn: Conn, session: Session, resource_id: str) -> Resource:
    try:
        return own_listing(conn, session.user, resource_id)
    except NotYourListing as exc:
        raise Forbidden() from exc


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


def listing_values(resource: Resource, version: int) -> dict[str, Any]:
    """The edit form's fields for a listing, with the version it was read at (hidden)."""
    values: dict[str, Any] = {
        "version": str(version),
        "capacity_open_seen": _number(resource.capacity_open),
        "capacity_total": _number(resource.capacity_total),
        "capacity_open": _number(resource.capacity_open),
        "description": resource.description,
        "trial": resource.trial,
        "status": str(resource.status),
        "slots": [{"day": s.day, "start": s.start, "end": s.end} for s in resource.schedule],
    }
    values["slots"] += [{"day": "", "start": "", "end": ""}] * SLOT_ROWS
    return values | contact_values(resource)


def form_listing_values(form: Any) -> dict[str, Any]:
    """What the host typed, kept for showing again."""
    rows = []
    for i in range(60):
        day, start, end = (str(form.get(f"slot_{part}_{i}", ""))[:5] for part in ("day", "start", "end"))
        if f"slot_day_{i}" in form:
            rows.append({"day": day, "start": start, "end": end})
    return {
        "version": str(form.get("version", ""))[:20],
        "capacity_open_seen": str(form.get("capacity_open_seen", ""))[:10],
        "capacity_total": str(form.get("capacity_total", ""))[:10],
        "capacity_open": str(form.get("capacity_open", ""))[:10],
        "description": str(form.get("description", ""))[:20_000],
        "trial": form.get("trial") == "on",
        "status": str(form.get("status", ""))[:10],  # none sent: a closed listing keeps its status
        "slots": rows,
    } | contact_from_form(form)


def _edit_page(
    request: Request,
    resource: Resource,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    return render(
        request,
        "host/listing.html",
        {"resource": resource, "values": values, "errors": errors, "days": DAY_ORDER} | extra,
        status_code=status,
    )


@router.get("/host/listings/{resource_id}", response_class=HTMLResponse)
def edit_form(request: Request, resource_id: str, conn: Conn, session: HostSession) -> HTMLResponse:
    """掲載内容の編集画面（自分の掲載だけ）."""
    _listing(conn, session, resource_id)
    found = get_versioned(conn, resource_id=resource_id)
    if found is None:
        raise Forbidden()
    return _edit_page(request, found[0], listing_values(*found), {})


def _whole(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def _stale_page(request: Request, conn: Conn, values: dict[str, Any], stale: StaleListing) -> HTMLResponse:
    """The form again after a save from an older read: what was typed kept, beside the message, with the
    version now current; the open count moved by what changed meanwhile (a confirmation took a place)."""
    current = stale.current
    errors = {"version": [STALE]}
    seen, typed = _whole(values["capacity_open_seen"]), _whole(values["capacity_open"])
    if current.capacity_open is not None and seen is not None and seen != current.capacity_open:
        held = reserved_places(conn, resource_id=current.id)
        moved = current.capacity_open - seen
        if typed is not None:
            values["capacity_open"] = str(max(typed + moved, 0))
        errors["capacity_open"] = [
            f"読み込んだ後に受け入れ可能数が {seen} から {current.capacity_open} に変わりました"
            f"（確定済み {held}名）。入力欄はその分を反映しています。確かめてから保存してください"
        ]
    values["version"] = str(stale.version)
    values["capacity_open_seen"] = _number(current.capacity_open)
    values["slots"] += [{"day": "", "start": "", "end": ""}] * SLOT_ROWS
    return _edit_page(request, current, values, errors, status=409)


@router.post("/host/listings/{resource_id}", response_class=HTMLResponse)
def save_listing(
    request: Request,
    resource_id: str,
    conn: Conn,
    settings: CurrentSettings,
    session: HostSession,
    form: FormFields,
) -> Response:
    """定員・空き・活動日時・内容・見学可否・休止を保存します（確認日は変わりません）。"""
    resource = _listing(conn, session, resource_id)
    values = form_listing_values(form)
    changes = {
        "capacity_total": values["capacity_total"] or None,
        "capacity_open": values["capacity_open"] or None,
        "description": values["description"],
        "trial": values["trial"],
        "status": values["status"] or None,
        "schedule": [s for s in values["slots"] if s["day"] or s["start"] or s["end"]],
    } | contact_changes(values)
    # the version the page was read at; a form without one (an old page) is still kept from giving
    # back a reserved place (see matcher.registry.service)
    version = _whole(values["version"])
    try:
        edit_listing(
            conn,
            session.user,
            resource_id,
            changes,
            embedding.EmbeddingSpec.from_settings(settings),
            versions=None if version is None else {version},
        )
    except StaleListing as stale:
        return _stale_page(request, conn, values, stale)
    except (ValidationError, ListingRefused) as exc:
        if isinstance(exc, ListingRefused):
            errors = {exc.field: [exc.message]}
        else:
            errors = errors_by_field(exc, [s["day"] for s in changes["schedule"]])
        values["slots"] += [{"day": "", "start": "", "end": ""}] * SLOT_ROWS
        return _edit_page(
            request, resource, values, errors, status=exc.status if isinstance(exc, ListingRefused) else 422
        )
    return RedirectResponse(f"/host/listings/{resource_id}?saved=1", status_code=303)


@router.post("/host/listings/{resource_id}/assure")
def assure(resource_id: str, conn: Conn, session: HostSession) -> Response:
    """「内容を確認しました」: 確認日を今日にします。"""
    _listing(conn, session, resource_id)
    assure_listing(conn, session.user, resource_id)
    return RedirectResponse(f"/host/listings/{resource_id}?assured=1", status_code=303)


@router.post("/host/referrals/{placement_id}/{answer}", response_class=HTMLResponse)
def answer_referral(
    request: Request,
    placement_id: int,
    answer: str,
    conn: Conn,
    settings: CurrentSettings,
    session: HostSession,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """紹介を受け入れる（accept）か、理由を添えて辞退する（decline）。"""
    if answer not in ("accept", "decline"):
        raise Forbidden()
    try:
        respond(
            conn,
            placement_id=placement_id,
            resource_ids=session.user.resource_ids,
            accept=answer == "accept",
            reason=reason,
            actor=session.user.name,
            settings=settings,
        )
    except DomainError as exc:  # shown beside the referral, with what was typed kept
        conn.rollback()
        where = None if isinstance(exc, NotFound) else placement_id  # a missing card: say it at the top
        return host_home(
            request, conn, session, status_of(exc), flash=exc.message, flash_for=where, typed=reason
        )
    return RedirectResponse(f"/?answered={placement_id}#referrals", status_code=303)
