"""Great-circle distance: the one Python reading of it (the SQL function great_circle_km, migration
0002, is the database's; the property test holds the two to the same answers)."""

import math
from typing import Any, overload

import numpy as np

EARTH_KM = 6371.0088  # mean Earth radius (IUGG), as great_circle_km uses
MARGIN = 1.01  # bounds a little wider than exact, so that rounding never loses a point on the edge


@overload
def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float: ...
@overload
def great_circle_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray: ...
def great_circle_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Haversine km between points in degrees; numbers give a number, arrays an array."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    h = (
        np.sin((phi2 - phi1) / 2) ** 2
        + np.cos(phi1) * np.cos(phi2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    km = 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))
    return float(km) if np.ndim(km) == 0 else km


def reach_degrees(radius_km: float, lat: float) -> tuple[float, float | None]:
    """Degrees of latitude and of longitude around a point at `lat` that hold every point within
    `radius_km` of it (None for longitude when they would hold the whole circle, near a pole).

    Two points d km apart differ by at most d / R radians in latitude, and (haversine) by at most
    2·asin(sin(d / 2R) / cos φ) in longitude when both lie within latitude ±φ. Each bound is widened by
    `MARGIN`, so that rounding never loses a point on the edge."""
    angle = max(radius_km, 1e-6) / EARTH_KM
    dlat = math.degrees(angle) * MARGIN
    reach = math.sin(angle / 2) / max(math.cos(math.radians(min(abs(lat) + dlat, 90.0))), 1e-12)
    return dlat, math.degrees(2 * math.asin(reach)) * MARGIN if reach < 1 else None


def box(lat: float | None, lon: float | None, radius_km: float) -> dict[str, float | None]:
    """The query parameters of a bounding box that holds every point within `radius_km` (longitude None:
    not bounded, when the box would wrap around ±180° or a pole; no place: the whole globe)."""
    if lat is None or lon is None:
        return {"lat_low": -90.0, "lat_high": 90.0, "lon_low": None, "lon_high": None}
    dlat, dlon = reach_degrees(radius_km, lat)
    if dlon is None or not -180.0 <= lon - dlon <= lon + dlon <= 180.0:
        return {"lat_low": lat - dlat, "lat_high": lat + dlat, "lon_low": None, "lon_high": None}
    return {"lat_low": lat - dlat, "lat_high": lat + dlat, "lon_low": lon - dlon, "lon_high": lon + dlon}
