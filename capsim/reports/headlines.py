"""The headline numbers of a run: what a director reads first."""

from __future__ import annotations

import numpy as np
import pandas as pd

from capsim.reports.tables import median_quantile


def headlines(t) -> dict:
    """Places added, cost, shortfall left, oversized classes before and after, peak year.

    ``oversized_*`` compare the same year, the plan year with most oversized classes before
    (before = the network as it stands, after = with the plan's projects). The peak is the year of most students (median,
    all levels and regions).
    """
    st = t.students
    median = st[st["quantile"] == median_quantile(st)].groupby("year").students.sum()
    out = {"peak_year": int(median.idxmax()), "peak_students": float(median.max()),
           "first_year": int(t.before.year.min()), "last_year": int(t.before.year.max()),
           "oversized_base_year": float(t.before[t.before.year == t.before.year.min()].oversized_classes.sum())}
    if not t.has_plan:
        return out
    years = t.seats_after.year.unique()
    last = int(years.max())
    s = t.summary.iloc[0] if t.summary is not None and len(t.summary) else {}
    in_plan = t.before[t.before.year.isin(years)].groupby("year").oversized_classes.sum()
    worst = int(in_plan.idxmax()) if len(in_plan) else last
    out.update(
        projects=int(len(t.schedule)), places_added=float(t.schedule.seats.sum()),
        cost_yuan=float(t.spending.cost_yuan.sum()) if len(t.spending) else 0.0,
        shortfall_seat_years=float(t.shortfalls.seats.sum()) if len(t.shortfalls) else 0.0,
        shortfall_last_year=float(t.shortfalls[t.shortfalls.year == last].seats.sum()) if len(t.shortfalls) else 0.0,
        plan_last_year=last, oversized_year=worst,
        oversized_before=float(in_plan.get(worst, 0.0)),
        oversized_after=float(t.after[t.after.year == worst].oversized_classes.sum()),
        oversized_class_years_removed=float(t.before[t.before.year.isin(years)].oversized_classes.sum()
                                            - t.after[t.after.year.isin(years)].oversized_classes.sum()),
        status=str(s.get("status", "")), gap=float(s.get("gap", np.nan)),
        notes="" if pd.isna(s.get("notes", "")) else str(s.get("notes", "")),
    )
    return out

