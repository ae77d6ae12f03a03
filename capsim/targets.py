"""The plan's targets, measured before and after the plan: met, from when, missed by how much.

A scenario lists its targets as ``[[targets]]`` tables (:class:`capsim.schema.Target`): an
indicator, a level, a threshold, the year from which it holds and optionally one region.
Each is measured in every region and for the whole area, in every year, on the assessment
before the plan and on the network after it:

- ``gross_enrolment`` (毛入学率): the share of the level's age group that its lawful places
  can seat, ``min(lawful seats, children) / children`` with ``children = students /
  enrolment ratio``, region by region (one region's spare places seat no other's children).
  It measures what the places allow, which is what a plan decides, and never echoes the
  enrolment rate the forecast assumed: a target of 95 % is met where the places could seat
  95 % of the age group, whether or not the forecast expects that many pupils.
- ``places_per_10000`` (每万人学位数): places (seats as rated) per 10,000 residents.
- ``pupils_per_10000`` (在校生万人比, e.g. 普通高中万人占比): pupils in lawful places per
  10,000 residents.
- ``oversized_classes``, ``classes_56_plus``, ``classes_66_plus``, ``oversized_schools``:
  counts from the assessment (unknown where the scenario has no class or school data).
- ``seat_shortage`` (学位缺口): pupils beyond the lawful places (classes at the standard
  size, schools within their maximum), summed over regions without netting one region's
  spare places against another's shortage.
- ``public_share`` (公办园在园幼儿占比, or a school level's 公办 share) and ``inclusive_share``
  (普惠性幼儿园覆盖率): the pupils placed at public schools, or at public and inclusive private
  ones (普惠性民办: private, at the public fee), over all pupils placed at schools. They need the
  schools table's ``ownership`` column (unknown without it); a school the plan builds is public.

A target is met in a year when its value keeps to the threshold (``>=`` for the ratios and the
places and pupils per 10,000, ``<=`` for the counts); a value the scenario has no data for is
unknown, never 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from capsim.errors import ScenarioError
from capsim.rules import target_rules
from capsim.schema import INDICATORS, SHARES

ALL = "all"          # the whole area's row
COLUMNS = ["target", "indicator", "stage", "region", "level", "year", "value", "threshold", "met"]
_COUNTS = {"oversized_classes": "oversized_classes", "classes_56_plus": ("classes_56_65", "classes_66_plus"),
           "classes_66_plus": "classes_66_plus", "oversized_schools": "oversized_schools",
           "seat_shortage": "lawful_shortage"}


def label(target, i: int) -> str:
    """The target's name, or one made from it: '毛入学率 senior ≥ 0.95 from 2022'."""
    if target.name:
        return target.name
    zh, sense = INDICATORS[target.indicator]
    where = f" ({target.region})" if target.region else ""
    return f"{i + 1}. {zh} {target.level}{where} {'≥' if sense == '>=' else '≤'} {target.threshold:g} from {target.year}"


def cell_gap(assessment: pd.DataFrame) -> pd.Series:
    """Per row (region, level, year): lawful seats (rated seats where lawful seats are unknown)
    less students, negative where short; NaN where the seats are unknown. The assessment's own
    ``gap``, recomputed for a table whose seats a caller changed (a plot of one stage)."""
    return assessment.lawful_seats.fillna(assessment.seats) - assessment.students


def cell_shortage(assessment: pd.DataFrame) -> pd.Series:
    """Per row: students above lawful seats (:func:`cell_gap` below 0); NaN where the seats are
    unknown. Never summed against a surplus."""
    return (-cell_gap(assessment)).clip(lower=0)


def shortage_and_surplus(assessment: pd.DataFrame) -> pd.DataFrame:
    """Per row: ``shortage`` (:func:`cell_shortage`) and ``surplus`` (lawful seats above students),
    NaN where the seats are unknown."""
    gap = cell_gap(assessment)
    return pd.DataFrame({"shortage": (-gap).clip(lower=0), "surplus": gap.clip(lower=0)})


def evaluate(scenario, residents: pd.DataFrame, stages: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per target, stage ('before', 'after'), region (and 'all'), year from the target's
    year: its value, threshold and whether it is met (NaN: unknown). ``stages`` maps a stage to
    its assessment region table; ``residents`` has year, region, residents."""
    rows = []
    for stage, table in stages.items():
        if table is None or table.empty:
            continue
        problems = target_rules(scenario, list(table.region.unique()), dict.fromkeys(table.level.unique()))
        problems.raise_if_any(ScenarioError)
        for i, target in enumerate(scenario.targets):
            values = _values(target, table, residents)
            values = values[values.year >= target.year]
            if target.region is not None:
                values = values[values.region == target.region]
            rows.append(values.assign(target=label(target, i), indicator=target.indicator, stage=stage,
                                      level=target.level, threshold=target.threshold,
                                      met=_met(values.value, target)))
    return pd.concat(rows, ignore_index=True)[COLUMNS] if rows else pd.DataFrame(columns=COLUMNS)


def _met(value: pd.Series, target) -> pd.Series:
    sense = INDICATORS[target.indicator][1]
    slack = 1e-6 * target.threshold + 1e-9           # a ratio computed to equal its threshold meets it
    met = value >= target.threshold - slack if sense == ">=" else value <= target.threshold + slack
    return met.astype(object).where(value.notna(), None)


def _values(target, table: pd.DataFrame, residents: pd.DataFrame) -> pd.DataFrame:
    """year, region, value: each region's and the whole area's (region 'all')."""
    t = table[table.level == target.level]
    if target.indicator == "gross_enrolment":
        with np.errstate(divide="ignore", invalid="ignore"):
            children = t.students / t.gross_enrolment_ratio
            parts = t.assign(num=np.minimum(t.lawful_seats, children), den=children)
        return _ratio(parts, 1.0)
    if target.indicator in ("public_share", "inclusive_share"):
        run = "public_placed" if target.indicator == "public_share" else "inclusive_placed"
        return _ratio(t.assign(num=t[run], den=t.placed), 1.0)
    if target.indicator in ("places_per_10000", "pupils_per_10000"):
        parts = t.merge(residents, on=["year", "region"]).assign(den=lambda f: f.residents)
        parts["num"] = parts.seats if target.indicator == "places_per_10000" else np.minimum(parts.students,
                                                                                           parts.lawful_seats)
        return _ratio(parts, 10_000.0)
    columns = _COUNTS[target.indicator]
    if target.indicator == "seat_shortage":
        t = t.assign(lawful_shortage=cell_shortage(t))
    parts = t.assign(value=t[list(columns)].sum(axis=1, min_count=len(columns)) if isinstance(columns, tuple)
                     else t[columns])
    each = parts[["year", "region", "value"]]
    whole = each.groupby("year", as_index=False).value.sum(min_count=len(each.region.unique())).assign(region=ALL)
    return pd.concat([each, whole], ignore_index=True)


def _ratio(parts: pd.DataFrame, scale: float) -> pd.DataFrame:
    """Each region's num/den and the whole area's sum(num)/sum(den), times ``scale``; unknown
    (NaN) wherever a part is unknown."""
    each = parts.assign(value=parts.num / parts.den * scale)[["year", "region", "value"]]
    sums = parts.groupby("year").agg(num=("num", lambda s: s.sum(min_count=len(s))),
                                     den=("den", lambda s: s.sum(min_count=len(s))))
    whole = (sums.num / sums.den * scale).rename("value").reset_index().assign(region=ALL)
    return pd.concat([each, whole], ignore_index=True)


def verdicts(table: pd.DataFrame, scenario) -> pd.DataFrame:
    """One row per target and stage: met in its year; the first year from which it holds to the
    end; the years it is missed; the worst value and where (the named region, or the whole area)."""
    out = []
    for i, target in enumerate(scenario.targets):
        name = label(target, i)
        where = target.region or ALL
        for stage, part in table[(table.target == name) & (table.region == where)].groupby("stage", sort=False):
            part = part.sort_values("year")
            known = part[part.met.notna()]
            missed = known[~known.met.astype(bool)]
            sense = INDICATORS[target.indicator][1]
            worst = known.loc[known.value.idxmin() if sense == ">=" else known.value.idxmax()] if len(known) else None
            out.append({"target": name, "stage": stage,
                        "met_in_year": None if part.empty or pd.isna(part.met.iloc[0]) else bool(part.met.iloc[0]),
                        "holds_from": _holds_from(known), "years_missed": " ".join(map(str, missed.year)),
                        "worst_value": np.nan if worst is None else worst.value,
                        "worst_year": np.nan if worst is None else worst.year,
                        "known": len(known) > 0, "indicator": target.indicator})
    return pd.DataFrame(out)


def _holds_from(known: pd.DataFrame):
    """The first year from which the target is met in every later year (None if never)."""
    if known.empty or not bool(known.met.iloc[-1]):
        return None
    bad = known[~known.met.astype(bool)]
    return int(known.year.iloc[0]) if bad.empty else int(known[known.year > bad.year.max()].year.iloc[0])


def residents_table(projection, quantile: float) -> pd.DataFrame:
    """year, region, residents at the forecast quantile nearest ``quantile``."""
    pop = projection.population
    q = min(pop["quantile"].unique(), key=lambda v: abs(v - quantile))
    return (pop[pop["quantile"] == q].groupby(["year", "region"], as_index=False).population.sum()
            .rename(columns={"population": "residents"}))


def summary_lines(scenario, table: pd.DataFrame) -> list[str]:
    """The question and each target's verdict before and after the plan, for the one-screen summary."""
    lines = [f"question: {scenario.question}"] if scenario.question else []
    if not scenario.targets:
        return lines
    v = verdicts(table, scenario)
    for name, part in v.groupby("target", sort=False):
        said = []
        for row in part.itertuples():
            said.append(f"{row.stage}: " + _verdict_text(row))
        lines.append(f"target {name}: " + "; ".join(said))
    return lines


def _verdict_text(row) -> str:
    if not row.known:
        return "no data for it in this scenario"
    holds = not pd.isna(row.holds_from)
    if holds and not row.years_missed:
        return f"met every year (worst {value_text(row.worst_value, row.indicator)} in {row.worst_year:.0f})"
    text = f"missed in {years_text(row.years_missed)}"
    if holds:
        text += f", met from {row.holds_from:.0f} on"
    return text + f" (worst {value_text(row.worst_value, row.indicator)} in {row.worst_year:.0f})"


def years_text(text: str) -> str:
    """'2025 2026 2027 2029' -> '2025-2027, 2029'."""
    years = [int(y) for y in text.split()]
    runs, start = [], None
    for i, y in enumerate(years):
        start = y if start is None else start
        if i + 1 == len(years) or years[i + 1] != y + 1:
            runs.append(f"{start}" if start == y else f"{start}-{y}")
            start = None
    return ", ".join(runs)


def value_text(value: float, indicator: str = "") -> str:
    """A target's value as read: enrolment in per cent, counts and places with thousands."""
    if pd.isna(value):
        return ""
    if indicator in SHARES:
        return f"{value:.1%}"
    return f"{value:,.0f}" if abs(value) >= 10 or value == round(value) else f"{value:.3g}"
