"""Turning the profile form into a NeedsProfile, and validation errors into messages beside fields;
the dates typed in forms; and the search forms of the registry and profile lists (their URL queries)
into searches."""

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form
from pydantic import ValidationError
from starlette.datastructures import FormData

from matcher.core.areas import Area
from matcher.core.schedule import DAY_ORDER
from matcher.core.validation import field_errors
from matcher.core.vocabulary import LABELS, Day, Kind, ProfileStatus, Programme, ResourceStatus
from matcher.errors import Invalid
from matcher.profiles.model import NeedsProfile
from matcher.profiles.store import PROFILE_SORTS, ProfileSearch
from matcher.registry.store import LISTING_SORTS, NO_PROGRAMME, ListingSearch

MULTI = ("needs_accommodations", "facts")
SINGLE = (
    "id", "age_band", "area", "max_travel_km", "contact_tolerance", "physical_capacity", "reward_preference",
    "interests", "narrative", "stage", "consent", "consent_date", "status",
)  # fmt: skip
MAX_FIELD = 20_000  # longer than any field allows, so an overlong value is refused, not cut
DAY_LABELS = LABELS[Day]


def profile_values(form: FormData) -> dict[str, Any]:
    """What was typed, as the form shows it again (nothing is lost on an error)."""
    values: dict[str, Any] = {name: str(form.get(name, ""))[:MAX_FIELD] for name in SINGLE}
    values |= {name: [str(v) for v in form.getlist(name)][:20] for name in MULTI}
    for day in DAY_ORDER:
        for part in ("start", "end"):
            values[f"avail_{day}_{part}"] = str(form.get(f"avail_{day}_{part}", ""))[:5]
    return values


def profile_data(values: dict[str, Any], areas: list[Area]) -> dict[str, Any]:
    """The form's values as the fields of a NeedsProfile (the area's centroid as its location)."""
    data = {name: values[name] for name in (*SINGLE, *MULTI) if values.get(name) not in ("", None)}
    data.setdefault("needs_accommodations", [])
    data.setdefault("facts", [])
    data["availability"] = [
        {"day": day, "start": values[f"avail_{day}_start"], "end": values[f"avail_{day}_end"]}
        for day in DAY_ORDER
        if values[f"avail_{day}_start"] or values[f"avail_{day}_end"]
    ]
    centroid = next((a for a in areas if a.name == values.get("area")), None)
    if centroid:
        data["lat"], data["lon"] = centroid.lat, centroid.lon
    return data


def errors_by_field(exc: ValidationError, days: list[str]) -> dict[str, list[str]]:
    """Messages keyed by the form field they belong beside (availability slots named by their day)."""
    found: dict[str, list[str]] = defaultdict(list)
    for error in field_errors(exc):
        root = re.split(r"[.\[]", error.field, maxsplit=1)[0]
        message = error.message
        if root in ("lat", "lon"):
            root = "area"
        elif root == "（行全体）":
            root = "form"
        elif root in ("availability", "schedule") and (slot := re.match(r"\w+\[(\d+)\]", error.field)):
            message = f"{DAY_LABELS[days[int(slot[1]) - 1]]}曜: {message}"
        elif root == "availability":
            message = "参加できる曜日と時間を1つ以上入れてください" if error.field == root else message
        if message not in found[root]:  # lat and lon, or a slot's three parts, say the same once
            found[root].append(message)
    return dict(found)


def parse_profile(
    values: dict[str, Any], areas: list[Area]
) -> tuple[NeedsProfile | None, dict[str, list[str]]]:
    """The profile, or the errors to show beside the fields."""
    data = profile_data(values, areas)
    try:
        return NeedsProfile.model_validate(data), {}
    except ValidationError as exc:
        errors = errors_by_field(exc, [slot["day"] for slot in data["availability"]])
        if "area" in errors and values.get("area") and not any(a.name == values["area"] for a in areas):
            errors["area"] = ["一覧にある圏域を選んでください"]
        return None, errors


# --- Dates typed in forms ----------------------------------------------------------------------------

DATE_SHAPE = "日付は 2026-04-01 のように選んでください"
DateText = Annotated[str, Form(max_length=20)]  # a date field as posted, read by form_date


def form_date(value: str, field: str) -> date | None:
    """The date typed in a form field (None when left empty), or Invalid shown beside the field."""
    text = value.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(DATE_SHAPE, field=field) from None


def required_date(value: str, field: str, *, missing: str = DATE_SHAPE) -> date:
    """The date typed in a form field that may not be left empty (`missing` says so)."""
    typed = form_date(value, field)
    if typed is None:
        raise Invalid(missing, field=field)
    return typed


# --- The lists' search forms (GET, so every search is a URL to bookmark) ----------------------------

PAGE_SIZES = (20, 50, 100)
MAX_PAGE = 10_000


def _one_of(value: str | None, allowed: Iterable[str]) -> str | None:
    return value if value is not None and value in set(allowed) else None


def _page(params: Mapping[str, str]) -> tuple[int, int]:
    """The page number (1 when missing or not a number) and size (one of PAGE_SIZES, else 50)."""
    raw = params.get("page", "")
    page = min(int(raw), MAX_PAGE) if raw.isascii() and raw.isdigit() and int(raw) > 0 else 1
    size = params.get("size", "")
    return page, int(size) if size in {str(s) for s in PAGE_SIZES} else 50


def _words(params: Mapping[str, str]) -> str:
    return params.get("q", "").strip()[:200]


def listing_search(params: Mapping[str, str]) -> ListingSearch:
    """The registry search a URL asks for; values the form does not offer are ignored, not refused."""
    page, size = _page(params)
    return ListingSearch(
        q=_words(params),
        area=params.get("area", "").strip()[:100] or None,
        kind=_one_of(params.get("kind"), Kind),
        programme=_one_of(params.get("programme"), [*Programme, NO_PROGRAMME]),
        status=_one_of(params.get("status"), ResourceStatus),
        sort=_one_of(params.get("sort"), LISTING_SORTS) or "kind",
        page=page,
        size=size,
    )


def profile_search(params: Mapping[str, str], *, me: int) -> ProfileSearch:
    """The profile search a URL asks for; 担当 is `me`, `none` (nobody) or an account id."""
    page, size = _page(params)
    coordinator = params.get("coordinator", "")
    return ProfileSearch(
        q=_words(params),
        area=params.get("area", "").strip()[:100] or None,
        status=_one_of(params.get("status"), ProfileStatus),
        coordinator_id=me if coordinator == "me" else _account_id(coordinator),
        unassigned=coordinator == "none",
        sort=_one_of(params.get("sort"), PROFILE_SORTS) or "id",
        page=page,
        size=size,
    )


def other_page_query(params: Mapping[str, str]) -> str:
    """The URL query of the same search without its page number (the pager adds one)."""
    return urlencode([(name, value) for name, value in params.items() if name != "page" and value])


def _account_id(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and len(value) < 18 else None
