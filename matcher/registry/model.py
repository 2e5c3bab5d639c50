"""A listing in the resource registry (domain.md §3), with its validation."""

from datetime import date
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from matcher.core.fields import (
    Accommodations,
    Age,
    Area,
    ExternalId,
    Latitude,
    Level,
    Longitude,
    LongText,
    Name,
    OptionalInt,
    check_location,
    empty_to_none,
)
from matcher.core.schedule import Slots
from matcher.core.vocabulary import Kind, Programme, ResourceStatus, Reward
from matcher.registry.contact import Address, Email, Phone, Role, Url


class Resource(BaseModel):
    """社会資源: a place where people can take part."""

    model_config = ConfigDict(extra="forbid")

    id: ExternalId
    name: Name
    kind: Kind
    programme: Annotated[Programme | None, BeforeValidator(empty_to_none)] = None
    hosts_participation: bool = False
    description: LongText
    area: Area
    lat: Latitude = None
    lon: Longitude = None
    schedule: Annotated[Slots, Field(max_length=50)] = []
    capacity_total: OptionalInt = None
    capacity_open: OptionalInt = None
    contact_level: Level
    physical_load: Level
    reward: Reward
    trial: bool = False
    min_age: Age = None
    max_age: Age = None
    accommodations: Annotated[Accommodations, Field(max_length=20)] = []
    status: ResourceStatus = ResourceStatus.active
    assured_at: Annotated[date | None, BeforeValidator(empty_to_none)] = None
    # the host organisation's contact details (business information; see registry/contact.py)
    contact_role: Role = None
    phone: Phone = None
    fax: Phone = None
    email: Email = None
    url: Url = None
    address: Address = None

    @model_validator(mode="after")
    def _consistent(self) -> "Resource":
        check_location(self.lat, self.lon)
        open_, total = self.capacity_open, self.capacity_total
        if open_ is not None and total is not None and open_ > total:
            raise ValueError(
                f"受け入れ可能数（capacity_open={open_}）が定員（capacity_total={total}）を超えています"
            )
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError(f"年齢要件の下限（{self.min_age}）が上限（{self.max_age}）を超えています")
        return self
