"""The per-school table: one row per school, before and after the plan.

Built from the assessment's per-school table (students, seats, utilisation, too big) and its
per-school-grade table (classes, oversized classes, the 56–65 and 66+ bands), summed over a
school's grades each year. "Years" columns give the first and last year a problem is present.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from capsim.reports.labels import span, word

CLASS_COLUMNS = ["classes", "oversized_classes", "classes_56_65", "classes_66_plus"]


def school_years(schools: pd.DataFrame, grades: pd.DataFrame | None) -> pd.DataFrame:
    """Per school and year: students, seats, utilisation, too big, and (with grades) classes,
    oversized classes and the bands, summed over the school's grades."""
    frame = schools[["year", "school", "name", "region", "type", "students", "seats", "utilisation", "oversized"]]
    if grades is not None and len(grades):
        classes = grades.groupby(["school", "year"])[CLASS_COLUMNS].sum(min_count=1).reset_index()
        frame = frame.merge(classes, on=["school", "year"], how="left")
    else:
        frame = frame.assign(**{c: np.nan for c in CLASS_COLUMNS})
    return frame


def _years(frame: pd.DataFrame, mask: pd.Series) -> pd.Series:
    """Per school: the first–last year ``mask`` holds ('' where it never does)."""
    years = frame.year.where(mask.fillna(False).astype(bool))
    first, last = years.groupby(frame.school, sort=False).min(), years.groupby(frame.school, sort=False).max()
    return pd.Series([span(a, b) if pd.notna(a) else "" for a, b in zip(first, last)], index=first.index)


def _figures(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per school: its figures over the years of ``frame`` (one stage), all schools at once."""
    frame = frame.sort_values(["school", "year"], kind="stable")
    by = frame.groupby("school", sort=False)
    first = frame.drop_duplicates("school").set_index("school")
    known = frame[frame.students.notna()]
    peak = known.loc[known.groupby("school", sort=False).students.idxmax()].set_index("school").reindex(first.index)
    peak = peak.fillna(first[["students", "year"]]) if len(peak) else first   # no pupils known: the first year
    return pd.DataFrame({
        "students_first": first.students, "students_peak": peak.students, "peak_year": peak.year,
        "seats_first": first.seats, "classes_first": first.classes, "utilisation_max": by.utilisation.max(),
        "oversized_classes_max": by.oversized_classes.max(), "classes_56_65_max": by.classes_56_65.max(),
        "classes_66_plus_max": by.classes_66_plus.max(),
        "over_seats_years": _years(frame, frame.students > frame.seats + 0.5),
        "oversized_classes_years": _years(frame, frame.oversized_classes > 0.5),
        "too_big_years": _years(frame, frame.oversized)})


def school_table(t) -> pd.DataFrame | None:
    """One row per school: name, region (as named), type, then each figure before and (after a
    plan) after: students in the first year and at the peak (and its year), seats, classes,
    the highest utilisation, the most oversized classes in a year (all, 56–65, 66+), and the
    years each problem runs (students above seats, oversized classes, school above its maximum).
    None when the scenario has no school list."""
    if t.assessment_schools is None or not len(t.assessment_schools):
        return None
    stages = [("before", school_years(t.assessment_schools, t.assessment_grades))]
    if t.assessment_schools_after_plan is not None and len(t.assessment_schools_after_plan):
        stages.append(("after", school_years(t.assessment_schools_after_plan, t.assessment_grades_after_plan)))
    parts = []
    for stage, frame in stages:
        frame = frame[frame.year.isin(t.assessment.year.unique())]
        parts.append(_figures(frame).add_suffix(f"_{stage}"))
    ident = pd.concat([f for _, f in stages]).drop_duplicates("school").set_index("school")[["name", "region", "type"]]
    table = ident.join(parts, how="left")
    table["region"] = [t.region(r) for r in table.region]
    table["type"] = [word(x) for x in table.type]
    order = [c for c in _ORDER if c in table]
    return table.rename_axis("school").reset_index()[["school", "name", "region", "type"] + order]


FIGURES = ["students_first", "students_peak", "peak_year", "seats_first", "classes_first", "utilisation_max",
            "oversized_classes_max", "classes_56_65_max", "classes_66_plus_max", "over_seats_years",
            "oversized_classes_years", "too_big_years"]
_ORDER = [f"{f}_{stage}" for f in FIGURES for stage in ("before", "after")]


def decided(t, frame: pd.DataFrame | None, closing: bool) -> pd.DataFrame | None:
    """The schools a plan closes or converts (``frame``: year, region, school, ...) as a director
    reads them: with the name, the pupils each would hold that year without the plan's decision
    (``pupils_moved``: to the rest of its district or zone, or to its level's other schools) and,
    for a closure, the running cost it saves a year (``plan.school_running_cost``)."""
    if frame is None or not len(frame) or t.assessment_schools is None:
        return frame
    before = t.assessment_schools[["year", "school", "name", "students"]].rename(columns={"students": "pupils_moved"})
    out = frame.merge(before, on=["year", "school"], how="left")
    out["pupils_moved"] = out.pupils_moved.fillna(0.0)
    if "whole" in out:                       # converting some classrooms moves no pupil
        whole = out.whole.astype(bool)
        out["pupils_moved"] = out.pupils_moved.where(whole, 0.0)
        out["whole"] = np.where(whole, "整体 whole school", "部分教室 classrooms")
    columns = ["year", "region", "school", "name"] + [c for c in frame if c not in ("year", "region", "school")]
    columns.append("pupils_moved")
    if closing:
        out["running_cost_saved_yuan"] = float(t.settings.get("plan", {}).get("school_running_cost") or 0.0)
        columns.append("running_cost_saved_yuan")
    return out.sort_values(["year", "region", "school"])[columns].reset_index(drop=True)
