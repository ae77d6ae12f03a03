"""Where and when it hurts: district-years ranked by shortage and by oversized classes, each
district's problem years, and the one-screen text summary ``capsim run`` prints.

A shortage is counted per district, level and year (students above lawful seats, the seats in
classes of the standard size) and only ever summed over districts that are short: a surplus in
one district never hides a shortage in another.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from capsim.reports.labels import is_chinese, level_label, money, people, region_label, span
from capsim.targets import cell_shortage


def worst(assessment: pd.DataFrame, by: str = "shortage", n: int = 5) -> pd.DataFrame:
    """The ``n`` districts and levels with the largest shortage (``by="shortage"``) or most
    oversized classes (``by="oversized_classes"``) in a year: region, level, the worst year, its
    value and the years with any (first–last), largest first; only values above zero."""
    value = cell_shortage(assessment) if by == "shortage" else assessment[by]
    frame = assessment[["region", "level", "year"]].assign(value=value)
    frame = frame[frame.value > 0.5]
    years = frame.groupby(["region", "level"]).year.agg(["min", "max"])
    top = frame.sort_values(["value", "year"], ascending=[False, True]).drop_duplicates(["region", "level"]).head(n)
    spans = [span(*years.loc[(r, lv)]) for r, lv in zip(top.region, top.level)]
    return top.assign(years=spans).reset_index(drop=True)


def shortage_by_year(assessment: pd.DataFrame) -> pd.DataFrame:
    """Per level and year: seats short summed over the districts short, and how many are."""
    frame = assessment[["level", "year"]].assign(shortage=cell_shortage(assessment))
    frame["districts_short"] = frame.shortage > 0.5
    return frame.groupby(["level", "year"], sort=False).agg(shortage=("shortage", "sum"),
                                                           districts_short=("districts_short", "sum")).reset_index()


def district_problems(assessment: pd.DataFrame) -> pd.DataFrame:
    """Per district and level: the largest shortage and its year, the years short (first–last),
    the seat-years short, the most oversized classes and their year, and the years with any."""
    frame = assessment[["region", "level", "year", "oversized_classes"]].assign(shortage=cell_shortage(assessment))
    by = frame.groupby(["region", "level"], sort=False)
    out = pd.DataFrame({"shortage_max": by.shortage.max()})
    for name, column in (("shortage", "shortage"), ("oversized", "oversized_classes")):
        present = frame[column] > 0.5
        years = frame.year.where(present).groupby([frame.region, frame.level], sort=False).agg(["min", "max"])
        peak = frame[column].fillna(-np.inf).groupby([frame.region, frame.level], sort=False).idxmax()
        any_present = present.groupby([frame.region, frame.level], sort=False).any()
        out[f"{name}_max_year"] = frame.year.loc[peak].to_numpy(float)
        out[f"{name}_max_year"] = out[f"{name}_max_year"].where(any_present)
        out[f"{name}_years"] = [span(a, b) for a, b in zip(years["min"], years["max"])]
        if name == "shortage":
            out["shortage_seat_years"] = by.shortage.sum(min_count=1)
        else:
            out["oversized_max"] = by.oversized_classes.max()
    columns = ["shortage_max", "shortage_max_year", "shortage_years", "shortage_seat_years", "oversized_max",
               "oversized_max_year", "oversized_years"]
    return out[columns].reset_index()


def worst_lines(assessment: pd.DataFrame, names: dict, n: int = 5, indent: str = "  ") -> list[str]:
    """Text lines: the shortage per level and year summed over districts short (its first, peak
    and last year), then the worst district-years by shortage and by oversized classes."""
    lines = []
    by_year = shortage_by_year(assessment)
    for level, g in by_year.groupby("level", sort=False):
        short = g[g.shortage > 0.5]
        if not len(short):
            known = assessment[assessment.level == level].lawful_seats.fillna(assessment.seats).notna().any()
            lines.append(f"{indent}{level_label(level)}: " + ("no district short in any year" if known
                                                             else "seats unknown (no school or capacity data)"))
            continue
        peak = short.loc[short.shortage.idxmax()]
        lines.append(f"{indent}{level_label(level)}: short {span(short.year.min(), short.year.max())}, "
                     f"peak {people(peak.shortage)} seats in {int(peak.year)} ({int(peak.districts_short)} district(s))")
    for by, title, unit in (("shortage", "worst district-years by shortage 学位缺口最大的区域年份", "seats short"),
                            ("oversized_classes", "worst district-years by oversized classes 大班额最多的区域年份",
                             "classes")):
        top = worst(assessment, by, n)
        if by == "oversized_classes" and assessment.oversized_classes.isna().all():
            lines.append(f"{title}: no class data")
            continue
        lines.append(f"{title}:" + ("" if len(top) else " none"))
        labels = [region_label(r, names) for r in top.region]
        width = max([_width(x) for x in labels] + [8]) + 1
        lines += [f"{indent}{int(r.year)}  {pad(label, width)} {pad(level_label(r.level), 18)}"
                  f"{people(r.value):>9} {unit} (years with any: {r.years})" for label, r in zip(labels, top.itertuples())]
    return lines


def assessment_summary(a: pd.DataFrame, scenario, names: dict, when: str = "assessment") -> str:
    """The worst district-years of an assessment's region table ``a`` (``capsim assess`` prints
    it); ``names``: region id -> name."""
    head = (f"{scenario.title or scenario.name}: {when}, {int(a.year.min())}–{int(a.year.max())} (shortage = "
            "students above lawful seats, per district; never netted against a surplus elsewhere)")
    return "\n".join([head] + worst_lines(a, names))


def _width(text: str) -> int:
    """Terminal columns ``text`` takes (a CJK character takes two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns."""
    return text + " " * max(width - _width(text), 0)


def decision_lines(res, chinese: bool) -> list[str]:
    """The schools a run's plan closes and converts, counted by year and by conversion (none: no line)."""
    lines = []
    if res.closures is not None and len(res.closures):
        by_year = res.closures.groupby("year").size()
        lines.append(f"closes {len(res.closures)} schools 撤并 (closures.csv): "
                     + ", ".join(f"{n} from {year}" for year, n in by_year.items()))
    if res.conversions is not None and len(res.conversions):
        by_kind = res.conversions.groupby(["level", "into"]).school.nunique()
        lines.append(f"converts {res.conversions.school.nunique()} schools 改建 (conversions.csv): "
                     + ", ".join(f"{n} {a} → {b}" for (a, b), n in by_kind.items())
                     + f", {res.conversions.classrooms.sum():,.0f} classrooms"
                     + f"; refit {money(res.conversions.cost_yuan.sum(), chinese)}")
    return lines


def refit_cost(res) -> float:
    """What a plan's conversions of schools and classrooms cost: in its spending, in no schedule row."""
    c = res.conversions
    return float(c.cost_yuan.sum()) if c is not None and len(c) else 0.0


def plan_summary(res, most: int = 10) -> str:
    """One screen after ``capsim run``: the worst district-years before the plan, the plan's
    headline (cost inside the plan years and in total), its largest projects and what is left."""
    from capsim.reports.labels import region_names
    from capsim.targets import summary_lines

    names = region_names(res.regions)
    chinese = is_chinese(names)
    lines = summary_lines(res.scenario, res.targets) + [assessment_summary(res.assessment, res.scenario, names,
                                                                           "before the plan")]
    if not res.has_plan:
        lines.append("no projects table (data.projects): nothing to plan.")
        return "\n".join(lines)
    s = res.plan_summary.iloc[0]
    status = s["status"] + ("" if s["status"] != "feasible" else f" (gap {s['gap']:.2%}, bound {s['bound']:,.0f})")
    schedule = res.schedule
    refits = refit_cost(res)
    in_years = schedule.cost_in_plan_years_yuan.sum() + refits if "cost_in_plan_years_yuan" in schedule \
        else s["cost_yuan"]
    lines.append(f"plan: {status}; {s['projects']} projects, {people(s['seats_added'])} seats; cost "
                 f"{money(schedule.cost_yuan.sum() + refits, chinese)} in total" + (" with the refits" if refits else "")
                 + f", {money(in_years, chinese)} of it inside the plan years; shortfall left "
                 f"{people(s['shortfall_seat_years'])} seat-years")
    if s.get("notes") and not pd.isna(s.get("notes")):
        lines.append(f"note: {s['notes']}.")
    years = res.seats_after_plan.year.unique()
    before = res.assessment[res.assessment.year.isin(years)].oversized_classes.sum()
    after = res.assessment_after_plan[res.assessment_after_plan.year.isin(years)].oversized_classes.sum()
    if res.assessment.oversized_classes.isna().all():
        lines.append("oversized classes: no class data (the scenario lists no schools)")
    else:
        lines.append(f"oversized class-years {years.min()}-{years.max()}: {people(before)} before, {people(after)} "
                     "after the plan")
    lines.append(f"seat gap after the plan (lawful seats against pupils, district by district), "
                 f"{years.min()}–{years.max()}:")
    lines += worst_lines(res.assessment_after_plan[res.assessment_after_plan.year.isin(years)], names, n=3)
    shown = schedule.nlargest(most, "seats").sort_values("open_year")
    lines.append(f"largest projects (of {len(schedule)}):")
    for row in shown.itertuples():
        lines.append(f"  {row.open_year}  {pad(str(row.id), 10)} {pad(str(row.name), 20)} {people(row.seats):>7} seats "
                     f"{money(row.cost_yuan, chinese):>14}{'  (committed)' if row.committed else ''}")
    if len(schedule) > most:
        lines.append(f"  ... and {len(schedule) - most} smaller projects (schedule.csv)")
    lines += decision_lines(res, chinese)
    if len(res.shortfalls):
        by = res.shortfalls.groupby(["level", "cause"]).seats.sum()
        lines.append("shortfalls (seat-years) by level and cause" + (
            " (pupils no class of lawful size takes: a district whose seats add up is still short where its "
            "classes do not fit its cohorts):" if res.scenario.plan.capacity == "classes" else ":"))
        lines += [f"  {lv:<13} {cause:<22} {v:>10,.0f}" for (lv, cause), v in by.items()]
    uncovered = res.oversized_where_covered
    if len(uncovered) and not res.scenario.standards.disperse:
        lines.append(f"note: {uncovered.oversized_classes.sum():,.0f} oversized class-years remain after the plan in "
                     f"{len(uncovered)} region/level/years it names no shortfall in: without standards.disperse each "
                     "school keeps its own pupils, and the plan's seats cover each region, not each school. Set "
                     "standards.disperse = true to move pupils above a school's lawful seats to others in the region.")
    return "\n".join(lines)


def projection_summary(result) -> str:
    """Students per level in the first, peak and last year (median)."""
    totals = result.level_totals
    median = totals[totals["quantile"] == 0.5].groupby(["level", "year"], sort=False)["students"].sum()
    lines = [f"{result.scenario.title or result.scenario.name}: students (median, all regions)",
             f"{'level':<14}{'first':>12}{'peak':>12}{'peak year':>11}{'last':>12}"]
    for level, series in median.groupby(level=0, sort=False):
        s = series.droplevel(0)
        lines.append(f"{level:<14}{s.iloc[0]:>12,.0f}{s.max():>12,.0f}{s.idxmax():>11}{s.iloc[-1]:>12,.0f}")
    return "\n".join(lines)


def sweep_summary(result, most: int = 10) -> str:
    """A sweep's cases, cheapest first, and its failures (``capsim sweep`` prints it)."""
    t = result.table
    ok = t[t.status == "ok"]
    lines = [f"sweep: {len(t)} cases, {result.ran} run now, {len(t) - result.ran} already done; "
             f"{len(result.failed)} failed"]
    cols = ["label", "cost_yuan", "projects", "shortfall_seat_years", "oversized_class_years_left"]
    if len(ok):
        view = ok.nsmallest(most, "cost_yuan")[cols].assign(cost_yuan=lambda f: f.cost_yuan / 1e6)
        lines.append(view.rename(columns={"cost_yuan": "cost_M_yuan"}).to_string(index=False, float_format="{:,.0f}".format))
        if len(ok) > most:
            lines.append(f"... and {len(ok) - most} more cases (sweep.csv)")
    for row in result.failed.itertuples():
        lines.append(f"FAILED {row.label}: {row.error}")
    return "\n".join(lines)


def robust_summary(table, unit: str = "classes") -> str:
    """The comparison in million yuan, one line per plan, under a line saying what the plans cover
    (``unit``: 'classes' or 'seats', :class:`capsim.robust.RobustComparison`)."""
    decided = [c for c in ("schools_closed", "schools_converted") if c in table and table[c].any()]
    view = table[["plan", "projects", *decided, "seats_added", "plan_cost_yuan", "mean_cost_yuan",
                  "mean_shortfall_seat_years", "mean_regret_yuan", "p90_regret_yuan"]].copy()
    for col in [c for c in view if c.endswith("_yuan")]:
        view[col.replace("_yuan", "_M_yuan")] = view.pop(col) / 1e6
    head = ("plans in whole classes sharing classrooms, judged on every draw by forming classes year by year"
            if unit == "classes" else "plans of seats (region places), judged on every draw")
    return head + "\n" + view.to_string(index=False, float_format="{:,.0f}".format)


def backtest_summary(summary) -> str:
    """Mean absolute percentage errors at 1, 3 and 5 years and the 80 % bands' coverage."""
    s = summary[summary.horizon.isin([1, 3, 5])]
    wide = s.pivot_table(index=["area", "series", "horizon"], columns="model", values="mape")
    cover = s[s.model == "capsim"].set_index(["area", "series", "horizon"]).coverage_80
    wide["coverage_80"] = cover
    return ("MAPE (%) by horizon; coverage_80 = share of actuals inside capsim's 80 % band (– where fewer than "
            "4 earlier errors give no band)\n" + wide.round(2).to_string(na_rep="–"))
