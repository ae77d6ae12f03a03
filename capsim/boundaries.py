"""Region boundaries from GeoJSON (``data.boundaries``), for the report's map.

The file is a GeoJSON FeatureCollection (RFC 7946: longitude and latitude in degrees, WGS 84;
CGCS2000 differs by centimetres). Each feature is one region, or one part of it: its
``properties.region`` (or the feature's ``id``) names a region of the regions table, and its
geometry is a Polygon or a MultiPolygon. Every region needs at least one feature, so the map
never leaves a district blank without saying why.

What is read is the ``outlines`` table: one row per vertex, ``region, part, ring, x, y``, ``part``
numbering a region's polygons and ``ring`` 0 each polygon's outer ring, 1, 2, ... its holes. The
closing vertex is dropped, and rings are turned so outer rings run anticlockwise and holes
clockwise: filled with the non-zero rule, as matplotlib fills a path, holes stay open whatever
order the file gave.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from capsim.errors import Problems

COLUMNS = ["region", "part", "ring", "x", "y"]


def read_outlines(path, regions: list, problems: Problems) -> pd.DataFrame | None:
    """The ``outlines`` table of the GeoJSON file ``path`` for ``regions``, adding every problem
    (None when the file cannot be read at all). Without ``regions`` (the regions table could not
    be read: that is its own problem) only the file itself is checked."""
    features = _features(Path(path), problems)
    if features is None:
        return None
    known, rows, seen = set(regions), [], set()
    for i, feature in enumerate(features):
        where = f"{path}: features[{i}]"
        region = _region(feature, where, known, problems)
        polygons = _polygons(feature, where, problems)
        if region is None or polygons is None:
            continue
        part = sum(r[0] == region for r in seen)
        for k, polygon in enumerate(polygons):
            seen.add((region, part + k))
            rows += [(region, part + k, j, ring) for j, ring in enumerate(polygon)]
    missing = [r for r in regions if r not in {s[0] for s in seen}]      # none without regions
    if missing:
        problems.add(f"{path}", "gives no boundary for these regions.", ", ".join(missing[:5]),
                     "add a feature with properties.region set to each, or leave out data.boundaries.")
    return _table(rows) if rows else None


def _features(path: Path, problems: Problems) -> list | None:
    """The features of the file, or None (a problem added) when it is not a FeatureCollection."""
    fix = "save the boundaries as a GeoJSON FeatureCollection (UTF-8), e.g. exported from a GIS."
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        problems.add(str(path), "the boundaries file does not exist.", str(path),
                     "check data.boundaries in the scenario (paths are relative to the scenario file).")
        return None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.add(str(path), f"cannot be read as GeoJSON: {exc}.", None, fix)
        return None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
            data.get("features"), list):
        found = data.get("type") if isinstance(data, dict) else type(data).__name__
        problems.add(str(path), "is not a GeoJSON FeatureCollection.", found, fix)
        return None
    return data["features"]


def _region(feature, where: str, known: set, problems: Problems) -> str | None:
    """The region a feature outlines: ``properties.region``, else the feature's ``id``."""
    props = feature.get("properties") if isinstance(feature, dict) else None
    region = (props or {}).get("region", feature.get("id") if isinstance(feature, dict) else None)
    if region is None or str(region).strip() == "":
        problems.add(where, "names no region.", None,
                     "set the feature's properties.region to a region id of the regions table.")
        return None
    if known and str(region) not in known:
        problems.add(f"{where}: properties.region", "is not a region of the regions table.", region,
                     f"use one of {sorted(known)[:5]}, or drop the feature.")
        return None
    return str(region)


def _polygons(feature, where: str, problems: Problems) -> list | None:
    """The feature's polygons, each a list of (N, 2) rings, or None (a problem added)."""
    geometry = feature.get("geometry") if isinstance(feature, dict) else None
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in ("Polygon", "MultiPolygon"):
        problems.add(f"{where}: geometry", "is not a Polygon or MultiPolygon.", kind,
                     "give each region an area (not a point or a line).")
        return None
    coords = geometry.get("coordinates")
    polygons = [coords] if kind == "Polygon" else coords
    try:
        out = [[_ring(ring) for ring in polygon] for polygon in polygons]
    except (TypeError, ValueError) as exc:
        problems.add(f"{where}: geometry.coordinates", str(exc), None,
                     "give each ring at least three [longitude, latitude] positions in degrees.")
        return None
    if not out or any(not polygon for polygon in out):
        problems.add(f"{where}: geometry.coordinates", "is empty.", None, "give the region's outline.")
        return None
    return out


def _ring(ring) -> np.ndarray:
    """One ring as an (N, 2) array of longitude and latitude, the closing vertex dropped."""
    xy = np.asarray(ring, dtype=float)
    if xy.ndim != 2 or xy.shape[1] < 2:
        raise ValueError("has a ring that is not a list of [longitude, latitude] positions.")
    xy = xy[:, :2]
    if len(xy) > 1 and (xy[0] == xy[-1]).all():
        xy = xy[:-1]
    if len(xy) < 3:
        raise ValueError("has a ring of fewer than three positions.")
    if not np.isfinite(xy).all() or (np.abs(xy[:, 0]) > 180).any() or (np.abs(xy[:, 1]) > 90).any():
        raise ValueError("has a position that is not a longitude in [-180, 180] and a latitude in [-90, 90] "
                         "(GeoJSON is in degrees, longitude first).")
    return xy


def signed_area(xy: np.ndarray) -> float:
    """The area of a ring by the shoelace formula, positive when it runs anticlockwise."""
    x, y = xy[:, 0], xy[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _table(rows: list) -> pd.DataFrame:
    """Rows (region, part, ring, xy) -> the outlines table, outer rings anticlockwise, holes clockwise."""
    frames = []
    for region, part, ring, xy in rows:
        if (signed_area(xy) > 0) != (ring == 0):
            xy = xy[::-1]
        frames.append(pd.DataFrame({"region": region, "part": part, "ring": ring, "x": xy[:, 0], "y": xy[:, 1]}))
    return pd.concat(frames, ignore_index=True)[COLUMNS]


def label_points(outlines: pd.DataFrame) -> pd.DataFrame:
    """region, x, y: where to write each region's label, the centroid of its largest outer ring."""
    best = {}
    for (region, part), rows in outlines[outlines.ring == 0].groupby(["region", "part"], sort=False):
        xy = rows[["x", "y"]].to_numpy()
        area = signed_area(xy)
        x, y = xy[:, 0], xy[:, 1]
        cross = x * np.roll(y, -1) - np.roll(x, -1) * y
        centre = ((x + np.roll(x, -1)) @ cross / (6 * area), (y + np.roll(y, -1)) @ cross / (6 * area))
        if region not in best or area > best[region][0]:
            best[region] = (area, *centre)
    return pd.DataFrame([(r, x, y) for r, (_, x, y) in best.items()], columns=["region", "x", "y"])


def mixed_kinds(path, points: dict) -> list:
    """Problems where a table gives x, y (metres) beside boundaries in degrees: the map could not
    place one on the other. ``points``: table name -> its capsim.geo.Points (or None)."""
    from capsim.errors import Problem

    return [Problem(f"{path}", f"is in longitude and latitude, but the {name} table gives x, y.", name,
                    f"give the {name} table lon, lat columns, or leave out data.boundaries.")
            for name, p in points.items() if p is not None and not p.geographic]
