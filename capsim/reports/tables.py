"""The tables a report is made from, taken from a run's results or from its saved folder.

``capsim run --out DIR`` saves every table as CSV, so ``capsim report DIR`` can rebuild the
report later without recomputing; both ways give the same :class:`ReportTables`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from capsim.reports.labels import region_names

# the tables of the run (capsim.results.CATALOGUE) a report is made from, by their catalogue names
TABLES = ("students_by_level", "assessment", "assessment_after_plan", "schedule", "spending", "shortfalls",
          "seats_after_plan", "plan_summary", "seats_by_grade_after_plan", "classrooms_after_plan", "catchments",
          "school_classes_after_plan",
          "closures", "conversions", "targets", "ledger", "assessment_schools", "assessment_schools_after_plan",
          "assessment_grades", "assessment_grades_after_plan", "outlines")


@dataclass(frozen=True)
class ReportTables:
    """Tidy tables of one run, each under its name in :data:`capsim.results.CATALOGUE` (see
    ``docs/data-tables.md`` for their columns)."""

    title: str
    scenario_text: str                     # the resolved scenario, TOML
    settings: dict                         # the resolved scenario, parsed
    students_by_level: pd.DataFrame        # year, region, level, quantile, students
    assessment: pd.DataFrame               # the assessment before the plan
    assessment_after_plan: pd.DataFrame | None = None
    schedule: pd.DataFrame | None = None
    spending: pd.DataFrame | None = None
    shortfalls: pd.DataFrame | None = None
    seats_after_plan: pd.DataFrame | None = None
    plan_summary: pd.DataFrame | None = None     # one row: status, objective, bound, gap, cost_yuan, ...
    seats_by_grade_after_plan: pd.DataFrame | None = None   # the plan's seats (or, in classes, classes) by grade
    classrooms_after_plan: pd.DataFrame | None = None       # planning in classes: classrooms and classes per level
    catchments: pd.DataFrame | None = None       # where each area's pupils go (catchment plans)
    school_classes_after_plan: pd.DataFrame | None = None   # catchment plans in classes: each school's classes by grade
    closures: pd.DataFrame | None = None         # schools the plan closes (plan.closures): year, region, school, classrooms
    conversions: pd.DataFrame | None = None      # schools the plan converts (plan.conversions)
    targets: pd.DataFrame | None = None          # the scenario's targets before and after (capsim.targets)
    ledger: pd.DataFrame | None = None           # the 台账 of oversized classes and schools (capsim.ledger)
    assessment_schools: pd.DataFrame | None = None   # per school and year: students, seats, utilisation, ...
    assessment_schools_after_plan: pd.DataFrame | None = None
    assessment_grades: pd.DataFrame | None = None    # per school, grade and year: classes, oversized, bands
    assessment_grades_after_plan: pd.DataFrame | None = None
    outlines: pd.DataFrame | None = None         # region, part, ring, x, y: the regions' boundaries (data.boundaries)
    sources: dict = field(default_factory=dict)   # data table -> provenance text (SOURCES.md) or ""
    region_names: dict = field(default_factory=dict)  # region id -> name as the regions table gives it
    places: dict = field(default_factory=dict)   # "regions"/"schools"/"projects" -> id, x, y (where the data give them)

    @cached_property
    def chinese(self) -> bool:
        """Region names in Chinese: money in 万元/亿元."""
        from capsim.reports.labels import is_chinese

        return is_chinese(self.region_names)

    # The tables below are pure functions of the fields, which never change: each is made once
    # per ReportTables (the page and the workbook both show it) and kept with it.
    @cached_property
    def headline_figures(self) -> dict:
        """:func:`capsim.reports.headlines.headlines` of these tables."""
        from capsim.reports.headlines import headlines

        return headlines(self)

    @cached_property
    def school_summary(self) -> pd.DataFrame | None:
        """:func:`capsim.reports.schools.school_table` of these tables (None without a school list)."""
        from capsim.reports.schools import school_table

        return school_table(self)

    @cached_property
    def closures_read(self) -> pd.DataFrame | None:
        """The schools closed, with their names, pupils moved and running cost saved
        (:func:`capsim.reports.schools.decided`)."""
        from capsim.reports.schools import decided

        return decided(self, self.closures, closing=True)

    @cached_property
    def conversions_read(self) -> pd.DataFrame | None:
        """The schools converted, with their names and pupils moved (:func:`capsim.reports.schools.decided`)."""
        from capsim.reports.schools import decided

        return decided(self, self.conversions, closing=False)

    def region(self, region) -> str:
        """The region's name as the regions table gives it."""
        from capsim.reports.labels import region_label

        return region_label(region, self.region_names)

    @property
    def after_in_plan(self) -> pd.DataFrame | None:
        """The assessment after the plan over the plan's years only (the base year is before any
        project can open: ranking it "after" would blame the plan for it)."""
        if self.assessment_after_plan is None or self.seats_after_plan is None or not len(self.seats_after_plan):
            return self.assessment_after_plan
        return self.assessment_after_plan[self.assessment_after_plan.year.isin(self.seats_after_plan.year.unique())]

    @property
    def has_plan(self) -> bool:
        return self.schedule is not None and self.assessment_after_plan is not None

    @property
    def budget_yearly(self) -> dict | float | None:
        return self.settings.get("plan", {}).get("budget_yearly")

    @property
    def budget_total(self) -> float | None:
        return self.settings.get("plan", {}).get("budget_total")


def from_results(res) -> ReportTables:
    """The tables of a run: a fresh ``capsim.run`` result or one read back by
    :func:`capsim.read_results` (the report reads nothing else: names and points are tables of
    the run)."""
    from capsim.scenario import scenario_to_toml

    sc = res.scenario
    text = scenario_to_toml(sc, Path(sc.source).resolve().parent if sc.source else Path.cwd())
    return ReportTables(title=sc.title or sc.name, scenario_text=text, settings=tomllib.loads(text),
                        sources=_sources({k: getattr(sc.data, k) for k in type(sc.data).model_fields}),
                        region_names=region_names(res.regions), places=_places(res.places),
                        **{name: res.table(name) for name in TABLES})


def from_folder(folder) -> ReportTables:
    """The tables saved by ``capsim run --out FOLDER``; a missing table is a clear error."""
    from capsim.results import read_results

    return from_results(read_results(folder))


def _places(places: pd.DataFrame | None) -> dict:
    """A run's ``places`` table as kind -> DataFrame(id, x, y)."""
    if places is None:
        return {}
    return {kind: rows[["id", "x", "y"]].reset_index(drop=True) for kind, rows in places.groupby("kind", sort=False)}


def _sources(data: dict) -> dict:
    """Each data table's path, with the SOURCES.md beside it (read once per folder)."""
    notes, out = {}, {}
    for key, path in data.items():
        if path is None:
            continue
        path = Path(path)
        note = path.parent / "SOURCES.md"
        if note not in notes:
            notes[note] = note.read_text(encoding="utf-8") if note.is_file() else ""
        out[key] = (path, note if notes[note] else None)
    return {"tables": out, "notes": {str(k): v for k, v in notes.items() if v}}


def target_verdicts(t: ReportTables) -> pd.DataFrame | None:
    """Each target's verdict before and after the plan, as the report shows it (None without targets)."""
    from capsim.schema import Target
    from capsim.targets import value_text, verdicts, years_text

    if t.targets is None:
        return None

    class _Targets:
        targets = tuple(Target(**spec) for spec in t.settings.get("targets", []))

    v = verdicts(t.targets, _Targets)
    yes_no = {True: "是 yes", False: "否 no", None: "无数据 no data"}
    return pd.DataFrame({
        "目标 target": v.target, "阶段 stage": v.stage.map({"before": "规划前 before", "after": "规划后 after"}),
        "当年达成 met in its year": [yes_no[None if not k else m] for k, m in zip(v.known, v.met_in_year)],
        "持续达成自 holds from": [("" if pd.isna(y) else f"{y:.0f}") for y in v.holds_from],
        "未达成年份 years missed": [years_text(y) for y in v.years_missed],
        "最差值 worst value": [value_text(w, i) for w, i in zip(v.worst_value, v.indicator)],
        "最差年份 worst year": [("" if pd.isna(y) else f"{y:.0f}") for y in v.worst_year]})
