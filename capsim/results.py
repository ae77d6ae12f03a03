"""What a run gives back: :class:`Results` and the one catalogue of its tables.

Every table of a run has one name, used everywhere: the attribute of :class:`Results`, the
CSV file ``capsim run --out DIR`` writes (``NAME.csv``) and the table :func:`read_results`
reads back. :data:`CATALOGUE` lists them with their columns; the CSV writer, the report,
sweeps and :func:`read_results` all go through it, so a new table is added in one place.

A fresh run's Results also hold its stages (``projection``, ``assessment_before``, ``plan``,
``assessment_after``) with their arrays and solver details; a Results read back from a folder
has the tables only (its stages are None).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from capsim.geo import COLUMNS as COORDINATES
from capsim.outputs import RESOLVED


@dataclass(frozen=True)
class ResultTable:
    """One table of a run: its name (attribute and ``NAME.csv``), its columns and where it comes from."""

    name: str
    columns: str                     # what each row is and its columns, for the docs
    make: Callable                   # Results -> DataFrame, or None where the run has no such table
    required: bool = False           # every run has it: a saved folder without it is not a run's


def _stage(stage: str, attribute: str) -> Callable:
    """The table ``attribute`` of the stage ``stage`` of a fresh run (None without that stage)."""
    def make(res):
        part = getattr(res, stage)
        return getattr(part, attribute) if part is not None else None
    return make


def _summary(res):
    return pd.DataFrame([res.plan.summary]) if res.plan is not None else None


def _targets(res):
    from capsim.targets import evaluate, residents_table

    if not res.scenario.targets or res.projection is None or res.assessment_before is None:
        return None
    stages = {"before": res.assessment, "after": res.assessment_after_plan}
    return evaluate(res.scenario, residents_table(res.projection, res.scenario.standards.quantile), stages)


def _ledger(res):
    from capsim.ledger import ledger

    if res.assessment_before is None:
        return None
    table = ledger(res)
    return table if len(table) else None


def _places(res):
    """kind (regions, schools, projects, areas), id, x, y: the points the inputs give, for maps.
    A kind is left out unless every one of its rows has a point."""
    kinds = {"regions": _region_points(res.projection.regions if res.projection is not None else None),
             "schools": _points(res.assessment_before.network if res.assessment_before is not None else None),
             "projects": _points(res.plan.projects if res.plan is not None else None),
             "areas": res.plan.areas if res.plan is not None else None}
    frames = [xy.assign(kind=kind) for kind, xy in kinds.items()
              if xy is not None and len(xy) and xy[["x", "y"]].notna().all().all()]
    if not frames:
        return None
    return pd.concat(frames, ignore_index=True)[["kind", "id", "x", "y"]]


def _region_points(regions):
    if regions is None or "x" not in regions:
        return None
    return pd.DataFrame({"id": regions.region, "x": regions.x, "y": regions.y})


def _points(items):
    """id, x, y of a school list or the projects (None where they have no points)."""
    if items is None or items.points is None:
        return None
    return pd.DataFrame({"id": list(items.ids), "x": items.points.xy[:, 0], "y": items.points.xy[:, 1]})


CATALOGUE: tuple[ResultTable, ...] = (
    ResultTable("students_by_level", "year, region, level, quantile, students: pupils of each level",
                _stage("projection", "level_totals"), required=True),
    ResultTable("students", "year, region, level, grade, quantile, students", _stage("projection", "students")),
    ResultTable("population", "year, region, sex, age, quantile, population", _stage("projection", "population")),
    ResultTable("births", "year, region, quantile, births (in the year starting then)", _stage("projection", "births")),
    ResultTable("regions", "region, name (and x, y where the regions table gives points)",
                _stage("projection", "regions")),
    ResultTable("calibration", "region, level, ratio, grade, value, source, years: the entry and progression "
                "ratios fitted to the history", _stage("projection", "calibration")),
    ResultTable("student_draws", "year, region, level, grade, draw, students: every draw (uncertainty.keep_draws)",
                _stage("projection", "student_draws")),
    ResultTable("assessment", "year, region, level: students, seats, gap, classes, oversized classes and schools, "
                "teachers (docs/report-columns.md)", _stage("assessment_before", "regions"), required=True),
    ResultTable("assessment_schools", "year, school, level: students, seats, utilisation, oversized",
                _stage("assessment_before", "schools")),
    ResultTable("assessment_grades", "year, school, level, grade: classes, pupils, oversized classes by band",
                _stage("assessment_before", "grades")),
    ResultTable("assessment_base_check", "school, level: the base year's pupils against the forecast",
                _stage("assessment_before", "base_check")),
    ResultTable("schedule", "one row per chosen project: id, name, region, level, kind, start and open year, "
                "seats, cost", _stage("plan", "schedule")),
    ResultTable("spending", "year, project, cost_yuan", _stage("plan", "spending")),
    ResultTable("seats_after_plan", "year, region, level: students, seats before, added, rented, shortfall",
                _stage("plan", "seats")),
    ResultTable("shortfalls", "year, region, level: grades short, seats, cause", _stage("plan", "shortfalls")),
    ResultTable("plan_summary", "one row: status, objective, bound, gap, solver, seconds, projects, cost", _summary),
    ResultTable("assessment_after_plan", "as assessment, for the network after the plan",
                _stage("assessment_after", "regions")),
    ResultTable("assessment_schools_after_plan", "as assessment_schools, after the plan",
                _stage("assessment_after", "schools")),
    ResultTable("assessment_grades_after_plan", "as assessment_grades, after the plan",
                _stage("assessment_after", "grades")),
    ResultTable("catchments", "year, area, level, school: pupils sent and cost per pupil (catchment plans)",
                _stage("plan", "catchments")),
    ResultTable("school_classes_after_plan", "year, school, level, grade: pupils, classes, class size (catchment "
                "plans in whole classes)", _stage("plan", "school_classes")),
    ResultTable("seats_by_grade_after_plan", "year, region, level, grade: the plan's seats or classes by grade",
                _stage("plan", "seats_by_grade")),
    ResultTable("classrooms_after_plan", "year, region, level: classrooms before, added, rented, classes, empty "
                "(plans in classes)", _stage("plan", "rooms")),
    ResultTable("closures", "year, region, school, classrooms (, merged_into or moved_to): the schools the plan "
                "closes, and the school each merges into where the schools table names one, or at the catchment "
                "level the schools that take its pupils", _stage("plan", "closures")),
    ResultTable("conversions", "year, region, school, level, into, classrooms, classrooms_after, cost_yuan, whole "
                "(, moved_to at the catchment level): the schools the plan converts, whole or classroom by "
                "classroom (a row each year it converts)",
                _stage("plan", "conversions")),
    ResultTable("targets", "target, indicator, stage, region, level, year, value, threshold, met", _targets),
    ResultTable("ledger", "the 台账: oversized classes and schools in the base year and the year the plan clears "
                "each", _ledger),
    ResultTable("places", "kind (regions, schools, projects, areas), id, x, y: points for maps", _places),
    ResultTable("outlines", "region, part, ring, x, y: each region's boundary in longitude and latitude "
                "(ring 0 a part's outline, then its holes), for maps (data.boundaries)",
                _stage("projection", "outlines")),
)
BY_NAME = {t.name: t for t in CATALOGUE}


@dataclass(frozen=True)
class Results:
    """What ``capsim.run`` returns and :func:`read_results` reads back: every table of
    :data:`CATALOGUE` as an attribute of that name (a tidy DataFrame, or None where the run
    has no such table: the plan's tables without projects, ``targets`` without targets...).
    ``stages`` of a fresh run: ``projection``, ``assessment_before``, ``plan`` (None without
    projects) and ``assessment_after``; None when read back from a folder."""

    scenario: object
    projection: object = None
    assessment_before: object = None
    plan: object = None
    assessment_after: object = None
    saved: dict | None = field(default=None, repr=False)    # name -> table, when read back from a folder
    _made: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def table(self, name: str) -> pd.DataFrame | None:
        """The table ``name`` of :data:`CATALOGUE` (made once, then kept)."""
        if self.saved is not None:
            return self.saved.get(name)
        if name not in self._made:
            self._made[name] = BY_NAME[name].make(self)
        return self._made[name]

    def tables(self) -> dict[str, pd.DataFrame]:
        """Name -> table, for every table this run has (what ``capsim run --out`` saves)."""
        return {t.name: table for t in CATALOGUE if (table := self.table(t.name)) is not None}

    @property
    def has_plan(self) -> bool:
        return self.table("schedule") is not None

    @property
    def oversized_where_covered(self) -> pd.DataFrame:
        """Rows of the assessment after the plan (plan years) with oversized classes although the
        plan names no shortfall in that year, region and level. Empty when pupils above a school's
        lawful seats are dispersed (``standards.disperse``); without dispersal a region's seats
        can cover its pupils while some of its schools are full."""
        after = self.assessment_after_plan
        if not self.has_plan or after is None or after.empty:
            return pd.DataFrame()
        short = self.shortfalls[["year", "region", "level"]].drop_duplicates().assign(short=True)
        rows = after[after.year.isin(self.seats_after_plan.year.unique())].merge(short, how="left")
        return rows[rows.short.isna() & (rows.oversized_classes > 0)].drop(columns="short")

    def __repr__(self) -> str:
        name = getattr(self.scenario, "name", "?")
        where = "read back" if self.saved is not None else "fresh"
        return f"<capsim Results of {name!r}, {where}, {'with a plan' if self.has_plan else 'no plan'}>"


def _attribute(entry: ResultTable) -> property:
    return property(lambda self: self.table(entry.name), doc=entry.columns)


for _entry in CATALOGUE:
    setattr(Results, _entry.name, _attribute(_entry))


def read_results(folder) -> Results:
    """A folder written by ``capsim run --out FOLDER`` back into :class:`Results` (tables only);
    a missing required table or scenario is a :class:`~capsim.errors.DataError` naming it."""
    from capsim.errors import DataError, Problem
    from capsim.outputs import read_marker

    folder = Path(folder)
    missing = [f"{t.name}.csv" for t in CATALOGUE if t.required and not (folder / f"{t.name}.csv").is_file()]
    if not (folder / RESOLVED).is_file():
        missing.append(RESOLVED)
    if missing:
        raise DataError([Problem(str(folder / name), "is missing.", None,
                                 "give the folder written by `capsim run SCENARIO --out DIR`.") for name in missing])
    marker = read_marker(folder) or {}
    text, flags = marker.get("text_columns", {}), marker.get("flag_columns", {})
    saved = {t.name: _read_csv(path, text.get(path.name), flags.get(path.name, [])) for t in CATALOGUE
             if (path := folder / f"{t.name}.csv").is_file()}
    scenario = saved_scenario(folder)
    return Results(scenario, saved={**saved, **_older_folder(saved, scenario.data)})


IDS = ("region", "school", "area", "id", "project", "level", "into", "name")   # text in a folder without a list


def _read_csv(path: Path, text: list | None, flags: list) -> pd.DataFrame:
    """A saved table as written: its ``text`` columns (the folder's marker lists them) as text,
    an empty cell there '' (not missing; ``NA`` or ``null`` stay ids), its ``flags`` True, False
    or None; without the text list (an older folder), the columns :data:`IDS` are text."""
    text = list(IDS) if text is None else text
    table = pd.read_csv(path, encoding="utf-8-sig", dtype=dict.fromkeys([*text, *flags], str),
                        keep_default_na=False, na_values=[""])          # only an empty cell is missing
    table = table.fillna({c: "" for c in text if c in table})
    for c in flags:
        table[c] = table[c].map({"True": True, "False": False}).astype(object).where(table[c].notna(), None)
    return table


def _older_folder(saved: dict, data) -> dict:
    """The ``regions`` and ``places`` tables a folder written before runs kept them lacks, taken
    from the scenario's data tables where those still exist (nothing otherwise)."""
    found = {}
    if "regions" not in saved and data.regions is not None and Path(data.regions).is_file():
        table = pd.read_csv(data.regions, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        if {"region", "name"} <= set(table.columns):
            found["regions"] = table[["region", "name"]].drop_duplicates("region")
    if "places" not in saved:
        frames = [xy.assign(kind=kind) for kind, ident in (("regions", "region"), ("schools", "id"),
                                                          ("projects", "id"), ("areas", "area"))
                  if (xy := _points_of(getattr(data, kind, None), ident)) is not None]
        if frames:
            found["places"] = pd.concat(frames, ignore_index=True)[["kind", "id", "x", "y"]]
    return found


def _points_of(path, ident: str) -> pd.DataFrame | None:
    """id, x, y of a data table giving every row a point (``lon, lat`` or ``x, y``), else None."""
    if path is None or not Path(path).is_file():
        return None
    table = pd.read_csv(path, encoding="utf-8-sig", dtype={ident: str}, keep_default_na=False)
    for x, y in COORDINATES.values():
        if {ident, x, y} <= set(table.columns):
            xy = pd.DataFrame({"id": table[ident], "x": pd.to_numeric(table[x], errors="coerce"),
                               "y": pd.to_numeric(table[y], errors="coerce")}).drop_duplicates("id")
            return xy if len(xy) and xy[["x", "y"]].notna().all().all() else None
    return None


def saved_scenario(folder):
    """The resolved scenario saved in ``folder``, its data paths made absolute (the data need
    not exist any more: nothing is read from them)."""
    from capsim.schema import Scenario

    path = Path(folder) / RESOLVED
    settings = tomllib.loads(path.read_text(encoding="utf-8"))
    settings["data"] = {k: str((path.parent / v).resolve()) for k, v in settings.get("data", {}).items()}
    return Scenario.model_validate({**settings, "source": str(path)})
