"""Field types shared by listings and profiles."""

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from matcher.core.vocabulary import Accommodation, Fact
from matcher.errors import Invalid


def _split_list(value: Any) -> Any:
    """Accepts the CSV form 'a; b' besides a list."""
    if isinstance(value, str):
        return [part.strip() for part in value.replace("；", ";").split(";") if part.strip()]
    return value


def _unique(values: list[Any]) -> list[Any]:
    if len(set(values)) != len(values):
        raise ValueError("同じ値が二度書かれています")
    return values


def clean_text(value: Any) -> Any:
    """Strips surrounding space and unifies Unicode composition (not width) of free text."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    return value


def bounded_text(value: str, field: str, *, limit: int, required: str = "") -> str:
    """A form's free text, cleaned, within its limit (and present when `required` says why it must be),
    or Invalid naming the field."""
    text = str(clean_text(value))
    if required and not text:
        raise Invalid(required, field=field)
    if len(text) > limit:
        raise Invalid(f"{limit}文字までにしてください（いま{len(text)}文字）", field=field)
    return text


def empty_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


_EXTERNAL_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
# pydantic leaves a pattern behind a BeforeValidator out of the request schema; json_schema_extra keeps it
ExternalId = Annotated[
    str,
    BeforeValidator(clean_text),
    Field(
        pattern=_EXTERNAL_ID,
        description="英数字と _ . : - で64文字まで",
        json_schema_extra={"pattern": _EXTERNAL_ID},
    ),
]
Level = Annotated[int, Field(ge=1, le=3)]
Latitude = Annotated[Annotated[float, Field(ge=-90, le=90)] | None, BeforeValidator(empty_to_none)]
Longitude = Annotated[Annotated[float, Field(ge=-180, le=180)] | None, BeforeValidator(empty_to_none)]
OptionalInt = Annotated[Annotated[int, Field(ge=0, le=100_000)] | None, BeforeValidator(empty_to_none)]
Age = Annotated[Annotated[int, Field(ge=0, le=120)] | None, BeforeValidator(empty_to_none)]


Name = Annotated[str, BeforeValidator(clean_text), Field(min_length=1, max_length=200)]
Area = Annotated[str, BeforeValidator(clean_text), Field(min_length=1, max_length=100)]
LongText = Annotated[str, BeforeValidator(clean_text), Field(max_length=4000)]
_UNIQUE = Field(json_schema_extra={"uniqueItems": True})
Accommodations = Annotated[
    list[Accommodation], BeforeValidator(_split_list), AfterValidator(_unique), _UNIQUE
]
Facts = Annotated[list[Fact], BeforeValidator(_split_list), AfterValidator(_unique), _UNIQUE]


def check_location(lat: float | None, lon: float | None) -> None:
    """Latitude and longitude come together or not at all."""
    if (lat is None) != (lon is None):
        raise ValueError("緯度（lat）と経度（lon）は両方書くか、両方空にしてください")
