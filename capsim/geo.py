"""Where residential areas, schools and sites are, and how far apart.

A table gives points as ``lon, lat`` (degrees, WGS 84 or CGCS2000: the two differ by centimetres)
or as ``x, y`` (metres on a projected grid, e.g. Gauss-Krüger). Distances are straight lines:
great-circle on a sphere of the Earth's mean radius for ``lon, lat`` (the haversine formula),
planar for ``x, y``. Roads are longer than straight lines; ``plan.detour_factor`` scales them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EARTH_RADIUS_KM = 6371.0088   # the Earth's mean radius (IUGG): great-circle distances on that sphere
COLUMNS = {True: ("lon", "lat"), False: ("x", "y")}   # geographic -> the two columns


@dataclass(frozen=True)
class Points:
    """N points: ``xy`` (N, 2) longitude and latitude in degrees (``geographic``) or x and y in
    metres; NaN where a row gives none."""

    xy: np.ndarray
    geographic: bool

    def extended(self, n: int) -> Points:
        """These points and ``n`` more without a place (rows added after reading, e.g. new schools)."""
        return Points(np.vstack([self.xy, np.full((n, 2), np.nan)]), self.geographic)

    def take(self, rows) -> Points:
        return Points(self.xy[rows], self.geographic)


def read_points(table) -> Points | None:
    """The points of a :class:`capsim.tables.Table` with ``lon, lat`` or ``x, y`` columns (None
    without either pair); a value out of range is a problem of the table, a row may be empty."""
    for geographic, (a, b) in COLUMNS.items():
        if table.has(a) and table.has(b):
            limits = ((-180, 180), (-90, 90)) if geographic else ((-1e8, 1e8), (-1e8, 1e8))
            unit = "degrees" if geographic else "metres"
            cols = [table.number(c, lo, hi, allow_empty=True, fix=f"write the {c} in {unit}, {lo} to {hi}, or leave "
                                 "it empty.") for c, (lo, hi) in zip((a, b), limits)]
            return Points(np.column_stack(cols).astype(float), geographic)
    return None


def distance_km(a: Points, b: Points) -> np.ndarray:
    """(A, B) straight-line km between every point of ``a`` and of ``b`` (both geographic or both
    projected): ``2 R asin(sqrt(sin^2(dphi / 2) + cos phi1 cos phi2 sin^2(dlambda / 2)))`` for
    longitude and latitude, ``sqrt(dx^2 + dy^2) / 1000`` for metres. NaN where a point is missing."""
    if a.geographic != b.geographic:
        raise ValueError("distances need points of one kind: lon, lat or x, y")
    if not a.geographic:
        d = a.xy[:, None, :] - b.xy[None, :, :]
        return np.hypot(d[..., 0], d[..., 1]) / 1000.0
    lon1, lat1 = np.radians(a.xy[:, 0])[:, None], np.radians(a.xy[:, 1])[:, None]
    lon2, lat2 = np.radians(b.xy[:, 0])[None, :], np.radians(b.xy[:, 1])[None, :]
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
