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
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from capsim.errors import Problem, Problems

COLUMNS = ["region", "part", "ring", "x", "y"]


def read_outlines(path, regions: list, problems: Problems) -> pd.DataFrame | None:
    """The ``outlines`` table of the GeoJSON file ``path`` for ``regions``, adding every problem
    (None when the file cannot be read at all). Without ``regions`` (the regions table could not
    be read: that is its own problem) only the file itself is checked."""
    features = _features(Path(path), problems)
    if features is None:
        return None
    known, rows, parts = set(regions), [], Counter()
    for i, feature in enumerate(features):
        where = f"{path}: features[{i}]"
        if not isinstance(feature, dict):
            problems.add(where, "is not a GeoJSON Feature.", type(feature).__name__,
                         "give each region a Feature with properties.region and a geometry.")
            continue
        region = _region(feature, where, known, problems)
        polygons = _polygons(feature, where, problems)
        if region is None or polygons is None:
            continue
        for polygon in polygons:
            rows += [(region, parts[region], j, ring) for j, ring in enumerate(polygon)]
            parts[region] += 1
    missing = [r for r in regions if r not in parts]      # none without regions
    if missing:
        problems.add(f"{path}", "gives no boundary for these regions.", ", ".join(missing[:5]),
                     "add a feature with properties.region set to each, or leave out data.boundaries.")
    return _table(rows) if rows else None


def _features(path: Path, problems: Problems) -> list | None:
    """The features of the file, or None (a problem added) when it is not a FeatureCollection."""
    fix = "save the boundaries as a GeoJSON FeatureCollection (UTF-8), e.g. exported from a GIS."
    if not path.is_file():
        problems.add(str(path), "the boundaries file does not exist.", str(path),
                     "check data.boundaries in the scenario (paths are relative to the scenario file).")
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        problems.add(str(path), f"cannot be read as GeoJSON: {str(exc) or type(exc).__name__}.", None, fix)
        return None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
            data.get("features"), list):
        found = data.get("type") if isinstance(data, dict) else type(data).__name__
        problems.add(str(path), "is not a GeoJSON FeatureCollection.", found, fix)
        return None
    return data["features"]


def _region(feature: dict, where: str, known: set, problems: Problems) -> str | None:
    """The region a feature outlines: ``properties.region``, else (missing or null) the feature's
    ``id``; both given must agree."""
    props = feature.get("properties")
    if props is not None and not isinstance(props, dict):
        problems.add(f"{where}: properties", "is not an object.", props,
                     'give the feature "properties": {"region": "ID"}.')
        return None
    named = [(key, str(value).strip()) for key, value in (("properties.region", (props or {}).get("region")),
                                                          ("id", feature.get("id"))) if value is not None]
    named = [(key, value) for key, value in named if value]
    if not named:
        problems.add(where, "names no region.", None,
                     "set the feature's properties.region to a region id of the regions table.")
        return None
    (key, region), *other = named
    if other and other[0][1] != region:
        problems.add(where, f"names two regions: properties.region {region!r} and id {other[0][1]!r}.", None,
                     "make them agree, or drop the feature's id.")
        return None
    if known and region not in known:
        problems.add(f"{where}: {key}", "is not a region of the regions table.", region,
                     f"use one of {sorted(known)[:5]}, or drop the feature.")
        return None
    return region


def _polygons(feature: dict, where: str, problems: Problems) -> list | None:
    """The feature's polygons, each a list of (N, 2) rings, or None (a problem added)."""
    geometry = feature.get("geometry")
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
    if not isinstance(ring, list) or not all(
            isinstance(p, list) and len(p) >= 2 and all(_is_number(v) for v in p) for p in ring):
        raise ValueError("has a ring that is not a list of [longitude, latitude] positions (numbers).")
    xy = np.array([p[:2] for p in ring], dtype=float).reshape(-1, 2)
    if len(xy) > 1 and (xy[0] == xy[-1]).all():
        xy = xy[:-1]
    if len(xy) < 3:
        raise ValueError("has a ring of fewer than three positions.")
    if not np.isfinite(xy).all() or (np.abs(xy[:, 0]) > 180).any() or (np.abs(xy[:, 1]) > 90).any():
        raise ValueError("has a position that is not a longitude in [-180, 180] and a latitude in [-90, 90] "
                         "(GeoJSON is in degrees, longitude first).")
    if abs(signed_area(xy)) < 1e-12:
        raise ValueError("has a ring that encloses no area (its positions lie on one line).")
    return xy


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def signed_area(xy: np.ndarray) -> float:
    """The area of a ring by the shoelace formula, positive when it runs anticlockwise."""
    x, y = xy[:, 0], xy[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _table(rows: list) -> pd.DataFrame:
    """Rows (region, part, ring, xy) -> the outlines table, outer rings anticlockwise, holes clockwise."""
    rings = [xy[::-1] if (signed_area(xy) > 0) != (ring == 0) else xy for _, _, ring, xy in rows]
    n = [len(xy) for xy in rings]
    xy = np.concatenate(rings)
    return pd.DataFrame({"region": np.repeat(np.array([r[0] for r in rows], dtype=object), n),
                         "part": np.repeat([r[1] for r in rows], n), "ring": np.repeat([r[2] for r in rows], n),
                         "x": xy[:, 0], "y": xy[:, 1]})[COLUMNS]


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
    return [Problem(f"{path}", f"is in longitude and latitude, but the {name} table gives x, y.", name,
                    f"give the {name} table lon, lat columns, or leave out data.boundaries.")
            for name, p in points.items() if p is not None and not p.geographic]
