"""The headline numbers of a run: what a director reads first."""

from __future__ import annotations

import numpy as np
import pandas as pd

from capsim.reports.summary import refit_cost, shortage_by_year, worst
from capsim.reports.labels import median_quantile


def headlines(t) -> dict:
    """Places added, cost, shortfall left, oversized classes before and after, peak year.

    ``oversized_*`` compare the same year, the plan year with most oversized classes before
    (before = the network as it stands, after = with the plan's projects). The peak is the year of most students (median,
    all levels and regions).
    """
    st = t.students_by_level
    median = st[st["quantile"] == median_quantile(st)].groupby("year").students.sum()
    base = t.assessment[t.assessment.year == t.assessment.year.min()].oversized_classes
    out = {"peak_year": int(median.idxmax()), "peak_students": float(median.max()),
           "first_year": int(t.assessment.year.min()), "last_year": int(t.assessment.year.max()),
           "class_data": bool(t.assessment.oversized_classes.notna().any()),
           "oversized_base_year": float(base.sum()) if base.notna().any() else np.nan,
           "worst_shortage": _first(worst(t.assessment, "shortage", 1)),
           "worst_oversized": _first(worst(t.assessment, "oversized_classes", 1)),
           "shortage_peak": _peak(shortage_by_year(t.assessment))}
    if not t.has_plan:
        return out
    years, after = t.seats_after_plan.year.unique(), t.assessment_after_plan
    last = int(years.max())
    s = t.plan_summary.iloc[0] if t.plan_summary is not None and len(t.plan_summary) else {}
    in_plan = t.assessment[t.assessment.year.isin(years)].groupby("year").oversized_classes.sum()
    worst_year = int(in_plan.idxmax()) if len(in_plan) else last
    first_plan_year = int(years.min())
    base_year = int(t.assessment.year.min())
    early = t.schedule[t.schedule.start_year < base_year] if "start_year" in t.schedule else t.schedule.iloc[:0]
    refits = refit_cost(t)
    out.update(
        projects=int(len(t.schedule)), places_added=float(t.schedule.seats.sum()),
        cost_yuan=float(t.spending.cost_yuan.sum()) if len(t.spending) else 0.0,
        refit_cost_yuan=refits,
        cost_total_yuan=float(t.schedule.cost_yuan.sum()) + refits,     # the spending table counts refits too
        cost_in_plan_years_yuan=float(t.spending[t.spending.year.isin(years)].cost_yuan.sum()) if len(t.spending)
        else 0.0,
        cost_before_plan_yuan=_cost_before(t.schedule, first_plan_year),
        first_plan_year=first_plan_year, early_projects=int(len(early)),
        early_committed=int(early.committed.astype(bool).sum()) if len(early) else 0,
        early_start=int(early.start_year.min()) if len(early) else None,
        early_cost_yuan=_cost_before(t.schedule, base_year),
        worst_shortage_after=_first(worst(t.after_in_plan, "shortage", 1)),
        shortfall_seat_years=float(t.shortfalls.seats.sum()) if len(t.shortfalls) else 0.0,
        shortfall_last_year=float(t.shortfalls[t.shortfalls.year == last].seats.sum()) if len(t.shortfalls) else 0.0,
        plan_last_year=last, oversized_year=worst_year,
        oversized_before=float(in_plan.get(worst_year, 0.0)),
        oversized_after=float(after[after.year == worst_year].oversized_classes.sum()),
        oversized_class_years_removed=float(t.assessment[t.assessment.year.isin(years)].oversized_classes.sum()
                                            - after[after.year.isin(years)].oversized_classes.sum()),
        status=str(s.get("status", "")), gap=float(s.get("gap", np.nan)),
        notes="" if pd.isna(s.get("notes", "")) else str(s.get("notes", "")),
    )
    return out



def _cost_before(schedule: pd.DataFrame, year: int) -> float:
    """What the projects that start works before ``year`` (the first plan year, or the base year)
    spend outside the plan years: their cost less the part spent inside them."""
    if "start_year" not in schedule or "cost_in_plan_years_yuan" not in schedule:
        return 0.0
    early = schedule[schedule.start_year < year]
    return float((early.cost_yuan - early.cost_in_plan_years_yuan).sum())


def _first(frame: pd.DataFrame) -> dict | None:
    return frame.iloc[0].to_dict() if len(frame) else None


def _peak(by_year: pd.DataFrame) -> dict | None:
    """The year with most seats short summed over the districts short (all levels), or None."""
    total = by_year.groupby("year").shortage.sum()
    if not len(total) or total.max() < 0.5:
        return None
    short = total[total > 0.5]
    return {"year": int(total.idxmax()), "shortage": float(total.max()), "first": int(short.index.min()),
            "last": int(short.index.max())}
