"""The box a proposal reads listings from holds every place within the person's travel radius."""

import math
from types import SimpleNamespace

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from matcher.batch.scoring import Around
from matcher.core.geo import EARTH_KM, box, great_circle_km
from matcher.matching.constraints import RULES


def destination(lat: float, lon: float, bearing: float, km: float) -> tuple[float, float]:
    """The point `km` along a great circle from (lat, lon) at `bearing` degrees (lon in [-180, 180))."""
    phi, lam, theta, delta = math.radians(lat), math.radians(lon), math.radians(bearing), km / EARTH_KM
    phi2 = math.asin(math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta))
    lam2 = lam + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi), math.cos(delta) - math.sin(phi) * math.sin(phi2)
    )
    return math.degrees(phi2), (math.degrees(lam2) + 180.0) % 360.0 - 180.0


@given(
    st.floats(-85, 85),
    st.floats(-180, 180),
    st.floats(0.1, 200),
    st.floats(0, 360),
    st.floats(0, 1),
)
def test_every_place_within_the_radius_is_inside_the_box(
    lat: float, lon: float, radius: float, bearing: float, share: float
) -> None:
    there = destination(lat, lon, bearing, radius * share)
    if great_circle_km(lat, lon, *there) > radius:  # rounding of the destination itself
        return
    bounds = box(lat, lon, radius)
    assert bounds["lat_low"] <= there[0] <= bounds["lat_high"]  # type: ignore[operator]
    if bounds["lon_low"] is not None:
        assert bounds["lon_low"] <= there[1] <= bounds["lon_high"]  # type: ignore[operator]


def test_the_box_is_a_town_not_a_nation_and_gives_up_only_where_it_must() -> None:
    tokyo = box(35.68, 139.77, 10)
    assert 0.09 < tokyo["lat_high"] - 35.68 < 0.1  # type: ignore[operator]
    assert 0.1 < tokyo["lon_high"] - 139.77 < 0.12  # type: ignore[operator]
    assert box(10.0, 179.99, 5)["lon_low"] is None  # it would wrap at ±180°
    assert box(89.99, 0.0, 5)["lon_low"] is None  # the whole circle near the pole
    assert box(None, None, 5) == {"lat_low": -90.0, "lat_high": 90.0, "lon_low": None, "lon_high": None}


@given(
    st.floats(-85, 85),
    st.floats(-180, 180),
    st.floats(0.5, 50),
    st.lists(st.tuples(st.floats(0, 360), st.floats(0, 1.3)), min_size=1, max_size=40),
    st.integers(0, 3),
)
def test_the_batch_counts_the_places_within_reach_as_the_distance_rule_does(
    lat: float, lon: float, radius: float, places: list[tuple[float, float]], unplaced: int
) -> None:
    """Around.within (the gap counts' distance, read from a box) equals the distance rule on every
    listing, at any latitude and across ±180°, with listings on the edge and without a place."""
    points = [destination(lat, lon, bearing, radius * share) for bearing, share in places]
    listing_lat = np.array([p[0] for p in points] + [math.nan] * unplaced)
    listing_lon = np.array([p[1] for p in points] + [math.nan] * unplaced)
    view = SimpleNamespace(lat=listing_lat, lon=listing_lon)
    around = Around(np.arange(len(listing_lat)), np.zeros((len(listing_lat), 1)), 0.0, view)
    person = SimpleNamespace(lat=lat, lon=lon, max_travel_km=radius)
    with np.errstate(invalid="ignore"):
        fails = RULES["distance"](view, SimpleNamespace(profile=person), np.arange(len(listing_lat)))  # type: ignore[arg-type]
    located = int((~np.isnan(listing_lat)).sum())
    assert around.within(lat, lon, radius) == located - int(fails.sum())
