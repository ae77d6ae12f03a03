"""From population to students by level and grade, by enrolment rates or grade progression.

Conventions. The population of year ``t`` is the projection's state at its reference date
(the base table's date, e.g. 1 July); the school year ``t`` starts in September of ``t``, and
grade ``g`` (1-based) of a level with entry age ``e`` is taken by children aged ``e + g - 1``.

Rates (``method = "rates"``)::

    students(t, g) = rate(t) * grade_rate(g) * pop(t, e + g - 1)

``rate`` is the level's gross enrolment rate, a number or a path ``{year = value}``
interpolated linearly between years and held outside them (e.g. senior high 0.95 from 2022).

Grade progression (``method = "progression"``), calibrated on the enrolment history ``H``
over the ``window`` most recent transitions up to the base year, per region::

    p(g)   = mean_y  H(g+1, y) / H(g, y-1)                    grade-progression ratio

(``ratio_model`` other than ``flat`` replaces the mean by the backtest's ratio models of
``capsim.ratios``: linear trend, exponential smoothing, damped trend or their combination,
each giving the ratio of the year after the base year, held from then on.)
    students(t, g+1) = p(g) * students(t-1, g) + newcomers(t, e + g)
    students(t, 1)   = entry ratio * source(t)

with ``source`` (``entry``) one of: ``population`` (children aged ``e`` in year ``t``; the
ratio is ``H(1, base) / pop(base, e)``, the only year whose ages are known), ``births``
(``births(t - e)``, ratio = mean over the window of ``H(1, y) / births(y - e)``) or
``previous_level`` (the previous level's last grade a year earlier, ratio likewise).
Students in the base year are the history's. Children who move in with new housing are in the
population, so the rates method and the ``population`` entry count them already; under
progression they are added to the grade of their age in the year after they arrive (and, with
``births`` entry, to grade 1 when they reach the entry age), so nobody is counted twice. Other
migrants of school age (the migration table, and housing declared
``in_migration_already``) reach progression grades only through the ratios, which carry the
past years' migration: progression assumes migration continues as it was in the window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from capsim.errors import Problems
from capsim.ratios import ratio_level
from capsim.schema import LEVELS, SYSTEMS, Level, Scenario


@dataclass(frozen=True)
class LevelSpec:
    name: str
    entry_age: int
    grades: int
    spec: Level
    previous: str | None


def level_specs(scenario: Scenario, enabled_only: bool = True) -> list[LevelSpec]:
    """The levels in order, with entry ages and grades filled in from the system.

    Defaults chain through every level, enabled or not: kindergarten from age 3, primary from
    6, junior after primary's grades, senior after junior's. ``previous`` is the level just
    before when that one is enabled (a level can enter from it)."""
    edu = scenario.education
    default_grades = dict(zip(LEVELS[1:], SYSTEMS[edu.system]))
    out, next_age, previous = [], None, None
    for name in LEVELS:
        spec = getattr(edu, name) or Level(enabled=False)
        grades = spec.grades or default_grades.get(name, 3)
        entry = spec.entry_age if spec.entry_age is not None else {"kindergarten": 3, "primary": 6}.get(name, next_age)
        if spec.enabled or not enabled_only:
            out.append(LevelSpec(name, entry, grades, spec, previous))
        next_age, previous = entry + grades, (name if spec.enabled else None)
    return out


def grades_by_level(scenario: Scenario) -> dict:
    """Grades of every level, enabled or not (school types may span a disabled level)."""
    return {lv.name: lv.grades for lv in level_specs(scenario, enabled_only=False)}


def rate_path(rate, years) -> np.ndarray:
    """A number, or ``{year: value}`` interpolated linearly and held outside, at ``years``."""
    if not isinstance(rate, dict):
        return np.full(len(years), float(rate))
    known = sorted(rate)
    return np.interp(years, known, [rate[y] for y in known])


def students_by_rates(pop_single, level: LevelSpec, years) -> np.ndarray:
    """(T+1, D, R, G) students from single-year population (T+1, D, R, ages)."""
    ages = np.arange(level.entry_age, level.entry_age + level.grades)
    grade_rates = np.asarray(level.spec.grade_rates or np.ones(level.grades))
    rate = rate_path(level.spec.rate, years)
    return pop_single[..., ages] * rate[:, None, None, None] * grade_rates


@dataclass(frozen=True)
class Calibration:
    """Progression ratios (R, G-1) and the entry ratio (R,) of one level, with their window."""

    progression: np.ndarray
    entry: np.ndarray
    entry_source: str
    years: tuple[int, ...]


def history_array(history: pd.DataFrame, level: str, regions, grades: int, years) -> np.ndarray:
    """Enrolment history as (years, R, G) with NaN where a value is missing."""
    out = np.full((len(years), len(regions), grades), np.nan)
    rows = history[(history.level == level) & (history.grade <= grades) & history.year.isin(years)]
    yi = np.searchsorted(years, rows.year.to_numpy())
    ri = pd.Index(regions).get_indexer(rows.region)
    out[yi, ri, rows.grade.to_numpy() - 1] = rows.students.to_numpy()
    return out


def mean_ratio(numerator, denominator, window: int, model: str = "flat", alpha: float = 0.5) -> np.ndarray:
    """The ratio numerator/denominator over the last ``window`` years (axis 0), ignoring gaps,
    carried one year past the last by a ratio model of ``capsim.ratios`` (``flat``: the mean)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = numerator / denominator
    ratio = np.where(np.isfinite(ratio), ratio, np.nan)[-window:]
    return ratio_level(ratio, model, window, alpha, steps=1)


def entry_source(level: LevelSpec) -> str:
    if level.spec.entry:
        return level.spec.entry
    return "previous_level" if level.previous and level.name in ("junior", "senior") else "population"


def calibrate(level: LevelSpec, inputs, base_pop_single, base_year: int, problems: Problems) -> Calibration:
    """Progression and entry ratios from the history up to ``base_year`` (see module docstring)."""
    history = inputs.enrolment
    regions = list(inputs.regions)
    w = level.spec.window
    years = np.arange(base_year - w, base_year + 1)
    H = history_array(history, level.name, regions, level.grades, years)
    fit = dict(model=level.spec.ratio_model, alpha=level.spec.ratio_alpha)
    progression = mean_ratio(H[1:, :, 1:], H[:-1, :, :-1], w, **fit)
    source = entry_source(level)
    if level.spec.entry_ratio is not None:
        entry = np.full(len(regions), level.spec.entry_ratio)
    elif source == "population":
        entry = H[-1, :, 0] / base_pop_single[:, level.entry_age]
    elif source == "births":
        entry = mean_ratio(H[1:, :, 0], _births_array(inputs, regions, years[1:] - level.entry_age), w, **fit)
    else:
        prev = history_array(history, level.previous, regions, 9, years)
        last = _grades_of(level.previous, history)
        entry = mean_ratio(H[1:, :, 0], prev[:-1, :, last - 1], w, **fit)
    _report_gaps(level, regions, progression, entry, H[-1], base_year, problems)
    return Calibration(progression, entry, source, tuple(int(y) for y in years))


def _grades_of(level: str, history: pd.DataFrame) -> int:
    rows = history[history.level == level]
    return int(rows.grade.max()) if len(rows) else 1


def _births_array(inputs, regions, years) -> np.ndarray:
    out = np.full((len(years), len(regions)), np.nan)
    if inputs.births is None:
        return out
    b = inputs.births
    for i, y in enumerate(years):
        rows = b[b.year == y]
        out[i, pd.Index(regions).get_indexer(rows.region)] = rows.births.to_numpy()
    return out


def _report_gaps(level, regions, progression, entry, base_row, base_year, problems: Problems):
    fix = (f"add enrolment rows for {level.name} grades 1-{level.grades} for {base_year} and the "
           f"{level.spec.window} years before (and births or the previous level where the entry needs them), "
           "or use method = \"rates\".")
    for r, name in enumerate(regions):
        gaps = []
        if np.isnan(base_row[r]).any():
            gaps.append(f"grades {_grade_list(np.isnan(base_row[r]))} in {base_year}")
        if np.isnan(progression[r]).any():
            gaps.append(f"progression ratios for grades {_grade_list(np.isnan(progression[r]))}")
        if not np.isfinite(entry[r]):
            gaps.append("the entry ratio")
        if gaps:
            problems.add(f"data.enrolment: region {name}, level {level.name}",
                         "the history is too short to calibrate " + "; ".join(gaps) + ".", None, fix)


def _grade_list(mask) -> list[int]:
    return [int(i) + 1 for i in np.flatnonzero(mask)]


def students_by_progression(level: LevelSpec, cal: Calibration, start, source, newcomers) -> np.ndarray:
    """Roll grades forward one year at a time; arrays are (T+1, D, R, G).

    ``start`` (R, G) is the base-year history; ``source`` (T+1, D, R) the entry source per year
    (already shifted in time); ``newcomers`` (T+1, D, R, G) pupils arriving with new housing.
    """
    T1, D, R = source.shape
    out = np.empty((T1, D, R, level.grades))
    out[0] = start
    for t in range(1, T1):
        out[t, ..., 0] = cal.entry * source[t]
        out[t, ..., 1:] = out[t - 1, ..., :-1] * cal.progression
        out[t] += newcomers[t]
    return out

