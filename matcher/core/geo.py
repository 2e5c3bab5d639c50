"""Great-circle distance: the one Python reading of it (the SQL function great_circle_km, migration
0002, is the database's; the property test holds the two to the same answers)."""

from typing import Any, overload

import numpy as np

EARTH_KM = 6371.0088  # mean Earth radius (IUGG), as great_circle_km uses


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
