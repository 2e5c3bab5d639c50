"""Candidates and profiles built by hand, with no database: only what a test changes is spelled out."""

from datetime import date
from typing import Any

from matcher.core.schedule import Slot
from matcher.matching.model import Candidate
from matcher.profiles.model import NeedsProfile


def slots(*spec: str) -> tuple[Slot, ...]:
    """Slots from 'mon 09:00 12:00' strings."""
    return tuple(Slot(*s.split()) for s in spec)


def candidate(**changes: Any) -> Candidate:
    """An active café listing near the person, open every Tuesday morning, with two open places."""
    fields: dict[str, Any] = {
        "id": "r1",
        "name": "ひだまりカフェ",
        "kind": "cafe",
        "programme": None,
        "hosts_participation": True,
        "status": "active",
        "capacity_total": 5,
        "capacity_open": 2,
        "schedule": slots("tue 09:00 12:00"),
        "contact_level": 1,
        "physical_load": 1,
        "min_age": None,
        "max_age": None,
        "accommodations": [],
        "reward": "none",
        "assured_at": date(2025, 1, 1),
        "codes": [],
        "rejection_reason": None,
        "distance_km": 1.0,
        "overlap_minutes": 180,
        "dense": None,
    }
    fields.update(changes)
    return Candidate(**fields)


def profile(**changes: Any) -> NeedsProfile:
    """A person in their forties, free on Tuesday mornings, who can travel 3km (validated as on import)."""
    fields: dict[str, Any] = {
        "id": "p1",
        "age_band": "40-44",
        "area": "中央圏域",
        "lat": 35.0,
        "lon": 139.0,
        "max_travel_km": 3,
        "availability": [{"day": "tue", "start": "09:00", "end": "12:00"}],
        "contact_tolerance": 2,
        "physical_capacity": 2,
        "stage": 1,
    }
    fields.update(changes)
    return NeedsProfile(**fields)
