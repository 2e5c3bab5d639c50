"""A plain-Python reading of the hard constraints of domain.md §6, independent of the SQL that
classifies listings: the evaluation counts violations with it, and the property test checks the
SQL against it. Shared minutes come from schedule.py's interval routine (`week_intervals`, also
behind the proposal reasons, the scoring and the numpy path), not from SQL's `week_minutes` bit
strings, so the property test still sets two independent readings of a schedule side by side."""

from matcher.core.geo import great_circle_km
from matcher.core.schedule import overlap, total_minutes
from matcher.profiles.model import NeedsProfile
from matcher.registry.model import Resource


def listing_distance(resource: Resource, profile: NeedsProfile) -> float | None:
    """km from the profile's area centroid to the listing, or None when either is not located."""
    if resource.lat is None or resource.lon is None or profile.lat is None or profile.lon is None:
        return None
    return great_circle_km(resource.lat, resource.lon, profile.lat, profile.lon)


def overlap_minutes(resource: Resource, profile: NeedsProfile) -> int:
    """Shared minutes, counting each minute of the week once (schedule.py's interval routine)."""
    return total_minutes(overlap(resource.schedule, profile.availability))


def failed(resource: Resource, profile: NeedsProfile, min_overlap: int) -> set[str]:
    """Every hard constraint the listing fails for the profile."""
    low, high = profile.age_range()
    eligible = set(profile.eligible_programmes())
    codes = set()
    if resource.status != "active":
        codes.add("inactive")
    if resource.capacity_open == 0:
        codes.add("no_capacity")
    if resource.schedule and overlap_minutes(resource, profile) < min_overlap:
        codes.add("schedule")
    distance = listing_distance(resource, profile)
    if distance is not None and distance > profile.max_travel_km:
        codes.add("distance")
    if (resource.min_age is not None and low < resource.min_age) or (
        resource.max_age is not None and high > resource.max_age
    ):
        codes.add("age")
    if resource.contact_level > profile.contact_tolerance:
        codes.add("contact")
    if resource.physical_load > profile.physical_capacity:
        codes.add("physical")
    if not set(profile.needs_accommodations) <= set(resource.accommodations):
        codes.add("accommodation")
    if resource.programme and resource.programme not in eligible and not resource.hosts_participation:
        codes.add("eligibility")
    return codes


def tier(resource: Resource, profile: NeedsProfile) -> int:
    """1 for a programme the person is eligible for, else 2."""
    return 1 if resource.programme in set(profile.eligible_programmes()) else 2
