"""Spatial buckets for the weekly batch: a grid of cells at least as wide as the longest travel radius,
so that every listing a person can reach lies in the 3 × 3 cells around them (no PostGIS)."""

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from matcher.core.geo import reach_degrees


@dataclass(frozen=True)
class Grid:
    """Cells `lat_step` degrees tall and 360 / `columns` degrees wide (longitude wraps at ±180)."""

    lat_step: float
    columns: int

    @classmethod
    def around(cls, radius_km: float, max_abs_lat: float) -> "Grid":
        """A grid whose 3 × 3 neighbourhoods hold every point within `radius_km` of their centre cell,
        for points no further than `max_abs_lat` from the equator (the bounds of geo.reach_degrees)."""
        lat_step, reach = reach_degrees(radius_km, max_abs_lat)
        lon_step = reach if reach is not None else 360.0
        columns = int(360.0 // lon_step)
        return cls(lat_step, columns if columns >= 3 else 1)

    def cells(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each point's (row, column); points without a place get row -1."""
        located = ~(np.isnan(lat) | np.isnan(lon))
        row = np.where(located, np.floor((np.nan_to_num(lat) + 90.0) / self.lat_step), -1).astype(np.int64)
        width = 360.0 / self.columns
        column = np.floor((np.nan_to_num(lon) + 180.0) / width).astype(np.int64) % self.columns
        return row, np.where(located, column, 0)

    def around_cell(self, row: int, column: int) -> list[tuple[int, int]]:
        """The cell and its neighbours (fewer when the grid has a single column)."""
        columns = sorted({(column + d) % self.columns for d in (-1, 0, 1)})
        return [(row + d, c) for d in (-1, 0, 1) for c in columns]


def neighbourhoods(
    grid: Grid,
    listing_lat: np.ndarray,
    listing_lon: np.ndarray,
    person_lat: np.ndarray,
    person_lon: np.ndarray,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(people of one cell, the listings they may reach): those of the 3 × 3 cells around it, and every
    listing without a place (no distance rule excludes it). Both index arrays are ascending."""
    rows, columns = grid.cells(listing_lat, listing_lon)
    keys = rows * grid.columns + columns
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    unlocated = order[sorted_keys < 0]
    person_rows, person_columns = grid.cells(person_lat, person_lon)
    person_keys = person_rows * grid.columns + person_columns
    people = np.argsort(person_keys, kind="stable")
    cuts = np.flatnonzero(np.diff(person_keys[people])) + 1
    for members in np.split(people, cuts):
        if not len(members):
            continue
        row, column = int(person_rows[members[0]]), int(person_columns[members[0]])
        parts = [unlocated]
        for r, c in grid.around_cell(row, column):
            key = r * grid.columns + c
            lo, hi = np.searchsorted(sorted_keys, [key, key + 1])
            parts.append(order[lo:hi])
        yield np.sort(members), np.sort(np.concatenate(parts))


def pieces(lat: np.ndarray, lon: np.ndarray, radius_km: float, count: int) -> list[np.ndarray]:
    """The points split into `count` pieces of nearly equal size, each a run of whole or part cells in
    cell order, so that a piece's people share most of their neighbourhoods. Each piece is ascending."""
    if not len(lat):
        return []
    extreme = float(np.nanmax(np.abs(np.concatenate([lat, [0.0]]))))
    grid = Grid.around(radius_km, extreme)
    rows, columns = grid.cells(lat, lon)
    order = np.argsort(rows * grid.columns + columns, kind="stable")
    count = max(1, min(count, len(order)))
    return [np.sort(part) for part in np.array_split(order, count)]
