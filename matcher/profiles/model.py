"""A needs profile (domain.md §4), with its validation and the PII guard."""

import re
from datetime import date
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from matcher.core.fields import (
    Accommodations,
    Facts,
    Latitude,
    Level,
    Longitude,
    check_location,
    clean_text,
    empty_to_none,
)
from matcher.core.schedule import Slots
from matcher.core.vocabulary import Consent, ProfileStatus, RewardPreference
from matcher.profiles.pii import pii_error

_BAND = re.compile(r"^(\d{1,3})-(\d{1,3})$")


def _check_band(value: str) -> str:
    match = _BAND.match(value)
    if not match:
        raise ValueError(f"年齢帯は「40-44」のように5歳刻みで書いてください（{value!r}）")
    low, high = int(match[1]), int(match[2])
    if low % 5 or high != low + 4 or low > 115:
        raise ValueError(f"年齢帯は「40-44」のように5歳刻みで書いてください（{value!r}）")
    return value


def _no_pii(value: str) -> str:
    message = pii_error(value)
    if message:
        raise ValueError(message)
    return value


GuardedArea = Annotated[
    str, BeforeValidator(clean_text), Field(min_length=1, max_length=100), AfterValidator(_no_pii)
]
GuardedText = Annotated[str, BeforeValidator(clean_text), Field(max_length=4000), AfterValidator(_no_pii)]


# The bands _check_band admits (0-4 … 115-119, leading zeros allowed), for the OpenAPI schema.
def _padded(number: int) -> str:
    pad = 3 - len(str(number))
    return f"0{{0,{pad}}}{number}" if pad else str(number)


_BANDS = "|".join(f"{_padded(low)}-{_padded(low + 4)}" for low in range(0, 120, 5))
AgeBand = Annotated[
    str,
    BeforeValidator(clean_text),
    AfterValidator(_check_band),
    Field(description="5歳刻みの年齢帯（例: 40-44）", json_schema_extra={"pattern": f"^(?:{_BANDS})$"}),
]
_PROFILE_ID = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"
ProfileId = Annotated[
    str,
    BeforeValidator(clean_text),
    Field(
        pattern=_PROFILE_ID,
        description="仮名コード: 英数字と _ - で32文字まで",
        json_schema_extra={"pattern": _PROFILE_ID},  # kept in the request schema (see matcher.core.fields)
    ),
]


class NeedsProfile(BaseModel):
    """ニーズプロファイル: what one person needs, with no direct identifier."""

    model_config = ConfigDict(extra="forbid")

    id: ProfileId
    age_band: AgeBand
    area: GuardedArea
    # required numbers (the model validator refuses null), as the OpenAPI schema now says
    lat: Annotated[Latitude, WithJsonSchema({"type": "number", "minimum": -90, "maximum": 90})]
    lon: Annotated[Longitude, WithJsonSchema({"type": "number", "minimum": -180, "maximum": 180})]
    max_travel_km: Annotated[float, Field(gt=0, le=200)]
    availability: Annotated[Slots, Field(min_length=1, max_length=50)]
    contact_tolerance: Level
    physical_capacity: Level
    reward_preference: RewardPreference = RewardPreference.any
    needs_accommodations: Annotated[Accommodations, Field(max_length=20)] = []
    interests: GuardedText = ""
    narrative: GuardedText = ""
    stage: Annotated[int, Field(ge=1, le=6)]
    facts: Annotated[Facts, Field(max_length=20)] = []
    consent: Consent = Consent.none
    status: ProfileStatus = ProfileStatus.open
    consent_date: Annotated[date | None, BeforeValidator(empty_to_none)] = None

    @model_validator(mode="after")
    def _consistent(self) -> "NeedsProfile":
        check_location(self.lat, self.lon)
        if self.lat is None:
            raise ValueError("圏域の代表点（lat, lon）を書いてください（自宅の住所ではなく圏域の中心）")
        return self

    def eligible_programmes(self) -> list[str]:
        """The codes of every existing programme (既存事業) the person is eligible for (domain.md §5)."""
        from matcher.matching.eligibility import eligible_programmes

        return [str(p) for p in eligible_programmes(facts=self.facts, age_band=self.age_band)]

    def age_range(self) -> tuple[int, int]:
        """The lowest and highest age the band admits."""
        low, high = self.age_band.split("-")
        return int(low), int(high)
