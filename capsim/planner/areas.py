"""Reading the catchment tables (``data.areas``, ``data.travel``) into a :class:`Catchment`.

* areas: ``area, region, share`` (+ ``level``): the share of the region's pupils (of that level;
  of every level where ``level`` is empty) who live in the area. A region's shares add to 1.
  Rows of a level the plan leaves out (no school or capacity row gives its seats) are not used
  by the plan (``capsim validate``, which checks every level, still wants their shares to add
  to 1).
* travel: ``area, site, km`` and/or ``cost``: a site is a school of the schools table or a
  project that makes a new site (a new school, temporary classrooms without a school). The cost
  of a pupil of the area at the site is ``cost`` (yuan a year) where given, else
  ``km x plan.travel_cost_per_km``; pairs not listed, or further than ``plan.max_distance_km``,
  are out of reach.
* without ``data.travel``, the areas, schools and new sites give their points (``lon, lat`` or
  ``x, y`` in metres, :mod:`capsim.geo`) and every pair is ``km = straight-line km x
  plan.detour_factor`` apart, within ``plan.max_distance_km``.

Pupils by area are the forecast's pupils of the region (at the assessed quantile) times the
area's share, grade by grade; a site's seats are its lawful seats of each grade
(:mod:`capsim.planner.cells`), and in whole classes its classrooms
(:func:`capsim.planner.classes.site_classes`). Every problem is collected and raised once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from capsim.enrolment import level_specs
from capsim.errors import PlanError, Problem, Problems
from capsim.geo import Points, distance_km, read_points
from capsim.planner.catchment import Catchment
from capsim.tables import Table

SHARE_TOLERANCE = 0.005


def sites(schools, projects) -> tuple[list, np.ndarray, np.ndarray]:
    """(site ids, site of each project, region of each site): the schools, then each project
    that makes a new site."""
    school_ids = list(schools.ids) if schools is not None else []
    new = (projects.school < 0)
    ids = school_ids + [projects.ids[p] for p in np.flatnonzero(new)]
    site_of = np.where(new, len(school_ids) + np.cumsum(new) - 1, projects.school)
    school_region = np.asarray(schools.region, dtype=int) if schools is not None else np.zeros(0, int)
    return ids, site_of, np.concatenate([school_region, np.asarray(projects.region, dtype=int)[new]])


def read_catchment(scenario, regions, levels, years, cells, grades, schools, projects, tables=None) -> Catchment:
    """The catchment level's arrays over the capacity ``cells`` (levels' grades); ``grades`` is
    the assessment's table of lawful seats by year, school, level and grade; ``tables`` (read
    already, with every forecast level: :attr:`capsim.data.Inputs.areas`) is used as given."""
    t = read_tables(scenario, regions, levels, schools, projects) if tables is None else of_levels(tables, levels)
    pupils = t.share[:, cells.level, None] * cells.demand[t.area_region]      # (A, K, Y)
    return Catchment(pupils=pupils, area_region=t.area_region, seats=_site_seats(grades, t.sites, levels, cells, years),
                     project_site=t.project_site, cost=t.cost, single=scenario.plan.assignment == "single",
                     areas=tuple(t.areas), sites=tuple(t.sites), cell_level=cells.level, area_points=t.points,
                     rezoning_cost=_rezoning_cost(scenario.plan), site_region=t.site_region)


def of_levels(t: Tables, levels) -> Tables:
    """The tables with the areas' shares of ``levels`` only (a subset of the levels they were read
    with, :attr:`Tables.levels`)."""
    from dataclasses import replace

    return replace(t, share=t.share[:, [t.levels.index(level) for level in levels]], levels=tuple(levels))


def _rezoning_cost(plan) -> float:
    """Yuan per pupil rezoned: ``plan.rezoning_cost``, by default one pupil-km of travel a year."""
    return plan.travel_cost_per_km if plan.rezoning_cost is None else plan.rezoning_cost


@dataclass(frozen=True)
class Tables:
    areas: list
    area_region: np.ndarray     # (A,)
    share: np.ndarray           # (A, L)
    sites: list
    project_site: np.ndarray    # (P,)
    cost: np.ndarray            # (A, J) yuan per pupil a year, inf out of reach
    points: Points | None = None   # where each area is (None: the areas table gives no points)
    levels: tuple = ()             # the levels of share's columns
    site_region: np.ndarray | None = None   # (J,) region index of each site


def read_tables(scenario, regions, levels, schools, projects) -> Tables:
    """Read and check the areas and travel tables (and that schools are listed); all problems at once."""
    d = scenario.data
    needs = (("areas", "the residential areas"), ("schools", "the schools they are assigned to"))
    missing = [Problem(f"{scenario.source}: data.{key}", f"planning catchments needs {why}.", None,
                       f"add data.{key} (docs/data-tables.md), or drop data.areas and data.travel to plan by region.")
               for key, why in needs if getattr(d, key) is None]
    if missing:
        raise PlanError(missing)
    problems = Problems()
    regions, levels = list(regions), list(levels)
    area_ids, area_region, share, points = _areas(scenario, regions, levels, problems)
    site_ids, site_of, site_region = sites(schools, projects)
    if d.travel is None:
        cost = _straight(scenario, (area_ids, points), (site_ids, _site_points(scenario, schools, projects, problems)),
                         problems)
    else:
        cost = _travel(scenario, area_ids, site_ids, problems)
    problems.raise_if_any(PlanError)
    return Tables(area_ids, area_region, share, site_ids, site_of, cost, points, tuple(levels), site_region)


def _areas(scenario, regions, levels, problems):
    table = Table(scenario.data.areas, "areas", problems)
    if not table.require("area", "region", "share"):
        problems.raise_if_any(PlanError)
    f = table.frame
    region = table.choice("region", regions, fix=f"use a region of the regions table: {', '.join(regions[:12])}.") \
        if regions else np.full(len(f), "")  # without regions, the regions table is reported
    share = table.number("share", 0, 1, fix="write the share of the region's pupils living in the area, 0 to 1.")
    named = [lv.name for lv in level_specs(scenario)]
    level = table.choice("level", [""] + named, fix=f"leave it empty (every level) or use one of "
                         f"{', '.join(named)}.") if table.has("level") else np.full(len(f), "")
    table.duplicates(["area", "level"] if table.has("level") else ["area"], fix="keep one row for each area and level.")
    ids = list(dict.fromkeys(f["area"]))
    out = np.zeros((len(ids), len(levels)))
    home = np.full(len(ids), -1)
    index = {a: i for i, a in enumerate(ids)}
    for row, (a, r, s, lv) in enumerate(zip(f["area"], region, share, level)):
        i = index[a]
        if home[i] >= 0 and r and regions[home[i]] != r:
            problems.add(table.where(row, "region"), f"area {a} is given another region before.", r,
                         "give each area one region.")
        if r:
            home[i] = regions.index(r)
        if lv and lv not in levels:                 # a level the plan leaves out (no seats known)
            continue
        cols = [levels.index(lv)] if lv else slice(None)
        out[i, cols] = np.nan_to_num(s)
    _check_shares(table, ids, home, out, regions, levels, problems)
    points = read_points(table)
    if points is None:
        return ids, np.maximum(home, 0), out, None
    xy = pd.DataFrame(points.xy, columns=["x", "y"]).assign(area=f["area"].to_numpy())
    for area in xy.groupby("area").nunique(dropna=False).query("x > 1 or y > 1").index:
        problems.add(str(table.path), f"area {area} is given two points.", area, "give each area one point (the same "
                     "coordinates on each of its rows).")
    first = np.flatnonzero(~f["area"].duplicated().to_numpy())      # each area's first row, in the order of ids
    return ids, np.maximum(home, 0), out, points.take(first)


def _check_shares(table, ids, home, share, regions, levels, problems):
    """Every region has areas, and its shares add to 1 for every level."""
    for r, name in enumerate(regions):
        mine = home == r
        if not mine.any():
            problems.add(str(table.path), f"region {name} has no areas.", name,
                         "list its areas (a region may be one area with share 1).")
            continue
        totals = share[mine].sum(axis=0)
        off = np.abs(totals - 1) > SHARE_TOLERANCE
        if off.all() and np.allclose(totals, totals[0]):
            off, named = off[:1], ["every level"]
        else:
            named = [f"{lv}" for lv in levels]
        for lv, total in zip(np.asarray(named)[off], totals[:len(off)][off]):
            problems.add(str(table.path), f"the shares of region {name}'s areas add to {total:.3f} for {lv}.",
                         round(float(total), 4), "make each region's shares add to 1.")


def _site_points(scenario, schools, projects, problems) -> Points | None:
    """The points of the sites (:func:`sites`): the schools', then each new site's (None after a
    problem: a table without points, or points of two kinds)."""
    new = np.flatnonzero(projects.school < 0)
    tables = [("schools", schools.points if schools is not None else None)]
    if len(new):
        tables.append(("projects", projects.points))
    missing = [key for key, points in tables if points is None]
    for key in missing:
        problems.add(f"{scenario.source}: data.travel", f"is not given and the {key} table has no coordinates.",
                     None, f"add lon, lat (or x, y in metres) to the {key} table, or give data.travel.")
    if missing:
        return None
    if len({points.geographic for _, points in tables}) > 1:
        problems.add(f"{scenario.source}: data.projects", "gives x, y where the schools give lon, lat (or the "
                     "reverse).", None, "give every table's points the same way.")
        return None
    xy = [points.xy if key == "schools" else points.xy[new] for key, points in tables]
    return Points(np.vstack(xy), tables[0][1].geographic)


def _straight(scenario, named_areas, named_sites, problems) -> np.ndarray | None:
    """(A, J) yuan per pupil a year from the (ids, points) of the areas and sites: ``km x detour x
    travel_cost_per_km``, inf beyond ``plan.max_distance_km`` (None after a problem: a table
    without points, points of two kinds, an area or site without one)."""
    (area_ids, areas), (site_ids, sites) = named_areas, named_sites
    if areas is None:
        problems.add(f"{scenario.source}: data.travel", "is not given and the areas table has no coordinates.",
                     None, "add lon, lat (or x, y in metres) to the areas table, or give data.travel.")
        return None
    if sites is None:
        return None
    if areas.geographic != sites.geographic:
        problems.add(f"{scenario.source}: data.areas", "gives x, y where the schools give lon, lat (or the reverse).",
                     None, "give every table's points the same way.")
        return None
    for what, ids, points in (("area", area_ids, areas), ("site", site_ids, sites)):
        missing = np.flatnonzero(np.isnan(points.xy).any(axis=1))
        if len(missing):
            shown = ", ".join(str(ids[i]) for i in missing[:10]) + (" ..." if len(missing) > 10 else "")
            problems.add(f"{scenario.source}: data.travel", f"is not given and {len(missing)} {what}(s) have no "
                         f"coordinates: {shown}.", None, f"give every {what} its point, or give data.travel.")
    if problems:
        return None
    plan = scenario.plan
    km = distance_km(areas, sites) * plan.detour_factor
    reach = km <= (plan.max_distance_km if plan.max_distance_km is not None else np.inf)
    return np.where(reach, km * plan.travel_cost_per_km, np.inf)


def _travel(scenario, area_ids, site_ids, problems) -> np.ndarray:
    """(A, J) yuan per pupil a year; inf where out of reach."""
    table = Table(scenario.data.travel, "travel", problems)
    cost = np.full((len(area_ids), len(site_ids)), np.inf)
    if not table.require("area", "site"):
        return cost
    if not (table.has("km") or table.has("cost")):
        problems.add(str(table.path), "has neither km nor cost.", list(table.frame.columns),
                     "add a km column (distance) or a cost column (yuan per pupil a year).")
        return cost
    area = table.choice("area", area_ids, fix="use an area of the areas table.")
    site = table.choice("site", site_ids, fix="use a school id of the schools table or the id of a new project.")
    table.duplicates(["area", "site"], fix="keep one row for each area and site.")
    plan = scenario.plan
    km = table.number("km", 0, 10_000, fix="write the distance in km, 0 to 10000.", allow_empty=table.has("cost")) \
        if table.has("km") else np.full(len(area), np.nan)
    given = table.number("cost", 0, 1e8, fix="write yuan per pupil a year, 0 to 1e8.", allow_empty=table.has("km")) \
        if table.has("cost") else np.full(len(area), np.nan)
    value = np.where(np.isfinite(given), given, km * plan.travel_cost_per_km)
    both_empty = (table.frame["km"] == "") & (table.frame["cost"] == "") if table.has("km") and table.has("cost") \
        else pd.Series(False, index=table.frame.index)
    for row in np.flatnonzero(both_empty.to_numpy()):
        problems.add(f"{table.path}: row {table.row(row)}", "gives neither km nor cost.", None,
                     "write the distance (km) or the yearly cost per pupil (cost), or drop the row.")
    reach = ~(km > (plan.max_distance_km if plan.max_distance_km is not None else np.inf))
    ok = (area != "") & (site != "") & np.isfinite(value) & reach
    cost[pd.Index(area_ids).get_indexer(area[ok]), pd.Index(site_ids).get_indexer(site[ok])] = value[ok]
    return cost


def _site_seats(grades, site_ids, levels, cells, years) -> np.ndarray:
    """(J, K, Y) lawful seats each site has in each cell without the plan (0 for sites that are projects)."""
    if not cells.by_grade:
        raise ValueError("the catchment level plans grade by grade: its cells must be the levels' grades")
    out = np.zeros((len(site_ids), len(cells.level), len(years)))
    t = grades[grades.year.isin(years) & grades.level.isin(levels)]
    cell = cells.index(pd.Index(levels).get_indexer(t.level), t.grade)
    out[pd.Index(site_ids).get_indexer(t.school), cell, np.searchsorted(years, t.year)] = t.lawful_seats.to_numpy()
    return out
