"""The admin adds, edits, closes and reopens single listings through forms (not only by a file).

The form carries every field of a listing; what was typed is shown again beside the messages when
something is wrong. Saving an edit names the version the form was read at, so a place a confirmation
took meanwhile is never given back (matcher.registry.service).
"""

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from matcher import embedding
from matcher.accounts.users import Session
from matcher.core.areas import all_areas
from matcher.core.schedule import DAY_ORDER
from matcher.core.validation import field_errors
from matcher.core.vocabulary import LABELS, Accommodation, Day, Kind, Programme, ResourceStatus, Reward
from matcher.errors import Conflict, Invalid, NotFound
from matcher.registry import admin as listings
from matcher.registry.model import Resource
from matcher.registry.service import STALE, ListingRefused, StaleListing
from matcher.registry.store import get_versioned
from web.deps import Conn, CurrentSettings, FormFields
from web.routes.listings import contact_changes, contact_from_form, contact_values
from web.security import page_session
from web.templating import render

router = APIRouter()
AdminSession = Annotated[Session, Depends(page_session("admin"))]
TEXT_FIELDS = (
    "id", "name", "kind", "programme", "description", "area", "lat", "lon", "capacity_total",
    "capacity_open", "contact_level", "physical_load", "reward", "min_age", "max_age", "status",
    "assured_at",
)  # fmt: skip
CHECKBOXES = ("hosts_participation", "trial")
SLOT_ROWS = 3  # empty rows offered below the listing's own slots
MAX_FIELD = 20_000  # longer than any field allows, so an overlong value is refused, not cut
EMPTY_SLOT = {"day": "", "start": "", "end": ""}


def _text(value: object) -> str:
    return "" if value is None else str(value)


def values_of(resource: Resource | None, version: int | None = None) -> dict[str, Any]:
    """The form's fields for a listing (None: a new one), with the version it was read at."""
    values: dict[str, Any] = {name: _text(getattr(resource, name, None)) for name in TEXT_FIELDS}
    values |= {name: bool(getattr(resource, name, False)) for name in CHECKBOXES}
    values["accommodations"] = [str(a) for a in resource.accommodations] if resource else []
    slots = resource.schedule if resource else []
    values["slots"] = [{"day": s.day, "start": s.start, "end": s.end} for s in slots]
    values["slots"] += [dict(EMPTY_SLOT) for _ in range(SLOT_ROWS)]
    values["version"] = _text(version)
    if resource is None:
        values |= {"status": "active", "contact_level": "2", "physical_load": "2", "reward": "none"}
    return values | contact_values(resource)


def form_values(form: Any) -> dict[str, Any]:
    """What the admin typed, as the form shows it again (nothing is lost on an error)."""
    values: dict[str, Any] = {name: str(form.get(name, ""))[:MAX_FIELD] for name in TEXT_FIELDS}
    values |= {name: form.get(name) == "on" for name in CHECKBOXES}
    values["accommodations"] = [str(v) for v in form.getlist("accommodations")][:20]
    values["slots"] = [
        {part: str(form.get(f"slot_{part}_{i}", ""))[:5] for part in ("day", "start", "end")}
        for i in range(60)
        if f"slot_day_{i}" in form
    ]
    values["version"] = str(form.get("version", ""))[:20]
    return values | contact_from_form(form)


def listing_fields(values: dict[str, Any]) -> dict[str, Any]:
    """The form's values as a listing's fields (an empty box: not given)."""
    data = {name: values[name] for name in TEXT_FIELDS if values[name].strip()}
    data |= {name: values[name] for name in CHECKBOXES}
    data["accommodations"] = values["accommodations"]
    data["schedule"] = [s for s in values["slots"] if s["day"] or s["start"] or s["end"]]
    return data | contact_changes(values)


def errors_of(exc: ValidationError, schedule: list[dict[str, str]]) -> dict[str, list[str]]:
    """Messages keyed by the form field they belong beside (a slot named by its day)."""
    found: dict[str, list[str]] = {}
    for error in field_errors(exc):
        root = error.field.split(".")[0].split("[")[0]
        message = error.message
        if root == "schedule" and "[" in error.field:
            number = int(error.field.split("[")[1].split("]")[0])
            day = schedule[number - 1]["day"] if number <= len(schedule) else ""
            message = f"{LABELS[Day].get(day, '曜日なし')}曜: {message}"
        elif root == "（行全体）":
            root = "form"
        found.setdefault(root, []).append(message)
    return found


def listing_form_context(conn: Conn, values: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    """What every listing form shows: the values (with empty slot rows to fill), the errors, the choices."""
    while sum(1 for s in values["slots"] if not (s["day"] or s["start"] or s["end"])) < SLOT_ROWS:
        values["slots"].append(dict(EMPTY_SLOT))
    return {
        "values": values,
        "errors": errors,
        "days": DAY_ORDER,
        "areas": [a.name for a in all_areas(conn)],
        "kinds": LABELS[Kind],
        "rewards": LABELS[Reward],
        "accommodations": LABELS[Accommodation],
    }


def new_listing(
    form: FormData, save: Callable[[Resource], object], again: Callable[..., HTMLResponse]
) -> Response:
    """Saves the listing a form describes and goes to its page; a refusal shows the form again by
    `again(values, errors, status=)`, what was typed kept."""
    values = form_values(form)
    fields = listing_fields(values)
    try:
        resource = Resource.model_validate(fields)
        save(resource)
    except ValidationError as exc:
        return again(values, errors_of(exc, fields["schedule"]), status=422)
    except Conflict as exc:
        return again(values, {exc.field or "form": [exc.message]}, status=409)
    return RedirectResponse(f"/resources/{resource.id}?created=1", status_code=303)


def _form_page(
    request: Request,
    conn: Conn,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    *,
    resource: Resource | None,
    status: int = 200,
) -> HTMLResponse:
    context = listing_form_context(conn, values, errors) | {
        "resource": resource,
        "programmes": LABELS[Programme],
        "statuses": LABELS[ResourceStatus],
    }
    return render(request, "admin/listing_form.html", context, status_code=status)


@router.get("/admin/listings/new", response_class=HTMLResponse)
def new_listing_form(request: Request, conn: Conn, session: AdminSession) -> HTMLResponse:
    """社会資源を1件登録する画面."""
    return _form_page(request, conn, values_of(None), {}, resource=None)


@router.post("/admin/listings", response_class=HTMLResponse)
def add_listing(
    request: Request, conn: Conn, settings: CurrentSettings, session: AdminSession, form: FormFields
) -> Response:
    """社会資源を1件登録します（コードが使われていれば、入力を残して知らせます）。"""
    spec = embedding.EmbeddingSpec.from_settings(settings)

    def save(resource: Resource) -> object:
        return listings.add_listing(conn, resource, spec, actor=session.user.name)

    return new_listing(form, save, again=partial(_form_page, request, conn, resource=None))


def _versioned(conn: Conn, resource_id: str) -> tuple[Resource, int]:
    found = get_versioned(conn, resource_id=resource_id)
    if found is None:
        raise NotFound(f"社会資源「{resource_id}」はありません")
    return found


@router.get("/admin/listings/{resource_id}/edit", response_class=HTMLResponse)
def edit_listing_form(request: Request, resource_id: str, conn: Conn, session: AdminSession) -> HTMLResponse:
    """社会資源の内容を編集する画面."""
    resource, version = _versioned(conn, resource_id)
    return _form_page(request, conn, values_of(resource, version), {}, resource=resource)


def _version(text: str) -> set[int]:
    """The version the form was read at; a form without one matches no version (it is refused as stale)."""
    return {int(text)} if text.isascii() and text.isdigit() and len(text) < 19 else set()


@router.post("/admin/listings/{resource_id}", response_class=HTMLResponse)
def save_listing(
    request: Request,
    resource_id: str,
    conn: Conn,
    settings: CurrentSettings,
    session: AdminSession,
    form: FormFields,
) -> Response:
    """社会資源の内容を保存します（読み込んだ後に変わっていれば保存せず、入力を残して知らせます）。"""
    resource, _version_now = _versioned(conn, resource_id)
    values = form_values(form)
    fields = listing_fields(values)
    spec = embedding.EmbeddingSpec.from_settings(settings)
    try:
        listings.edit_listing(
            conn, resource_id, fields, spec, actor=session.user.name, versions=_version(values["version"])
        )
    except StaleListing as stale:
        values["version"] = str(stale.version)
        return _form_page(request, conn, values, {"version": [STALE]}, resource=stale.current, status=409)
    except ListingRefused as exc:
        errors = {exc.field: [exc.message]}
        return _form_page(request, conn, values, errors, resource=resource, status=exc.status)
    except ValidationError as exc:
        errors = errors_of(exc, fields["schedule"])
        return _form_page(request, conn, values, errors, resource=resource, status=422)
    return RedirectResponse(f"/resources/{resource_id}?saved=1", status_code=303)


@router.post("/admin/listings/{resource_id}/status")
def change_status(
    resource_id: str,
    conn: Conn,
    session: AdminSession,
    status: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """受け付けを終了する（closed）・再開する（active）・休止する（paused）。ほかの項目は変えません。"""
    if status not in ResourceStatus.__members__:
        raise Invalid("掲載の状態（受け付け中・休止中・受け付け終了）を選んでください", field="status")
    listings.set_status(conn, resource_id, ResourceStatus(status), actor=session.user.name)
    return RedirectResponse(f"/resources/{resource_id}?status=1", status_code=303)
