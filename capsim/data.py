"""Read and check a scenario's data tables; build the arrays the core needs.

Formats are documented in ``docs/data-tables.md``. :func:`read_inputs` reads every table,
collects every problem in all of them, and raises one :class:`~capsim.errors.DataError`, or
returns :class:`Inputs`: plain arrays on the projection grid (single years, or 5-year groups
with 5-year steps) plus the history tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from capsim import lifetable
from capsim.boundaries import read_outlines
from capsim.errors import DataError, Problems
from capsim.geo import read_points
from capsim.schema import LEVELS, Scenario
from capsim.tables import MAX_PEOPLE, MAX_PUPILS, SEX_CODES, Table, ages_and_spans, spread_to_single_years


@dataclass(frozen=True)
class Inputs:
    """Arrays on the projection grid. ``T`` steps, ``R`` regions, ``A`` age groups."""

    regions: tuple[str, ...]
    region_names: tuple[str, ...]
    years: tuple[int, ...]          # T+1 years: base_year, base_year+step, ..., end_year
    ages: np.ndarray                # (A,) first age of each group; the last is open
    base: np.ndarray                # (R, 2, A) persons
    asfr: np.ndarray                # (T, R, A) births per woman per year
    tfr: np.ndarray                 # (T, R) children per woman
    survival: np.ndarray            # (2, A)
    birth_survival: np.ndarray      # (2,)
    migration: np.ndarray           # (T, R, 2, A) net migrants per step, or rates per person-year
    housing: np.ndarray             # (T, R, 2, A) newcomers per step from new housing
    enrolment: pd.DataFrame | None  # region, level, grade, year, students
    births: pd.DataFrame | None     # region, year, births
    region_points: object = None    # capsim.geo.Points: where each region is drawn (None: no lon, lat or x, y)
    region_outlines: pd.DataFrame | None = None   # region, part, ring, x, y: boundaries (capsim.boundaries)
    schools: object = None          # the school list (capsim.school_data.Schools) when the checks read it
                                    # (capsim.checks.validate), so that the assessment does not read it again
    projects: object = None         # the projects table (capsim.planner.projects.Projects, every forecast
                                    # level) when the checks read it, so that the planner does not read it again
    areas: object = None            # the areas and travel tables (capsim.planner.areas.Tables, every
                                    # forecast level), likewise


def read_inputs(scenario: Scenario) -> Inputs:
    """Read every table of ``scenario``; raise all problems at once as a DataError."""
    problems = Problems()
    inputs = read_tables(scenario, problems)
    problems.raise_if_any(DataError)
    return inputs


def read_tables(scenario: Scenario, problems: Problems) -> Inputs:
    """Read every forecast table, adding each problem to ``problems``; the Inputs returned are
    only meaningful when none was added (checks use their regions to read on)."""
    d, dem = scenario.data, scenario.demography
    single = np.arange(dem.open_age + 1)
    regions, names, points = _regions(Table(d.regions, "regions", problems))
    ctx = _Context(scenario, regions, single, problems)
    base = _population(Table(d.population, "population", problems), ctx)
    asfr, tfr = _fertility(Table(d.fertility, "fertility", problems),
                           Table(d.tfr, "tfr", problems) if d.tfr else None, ctx)
    survival, birth_survival = _mortality(Table(d.mortality, "mortality", problems), ctx)
    migration = _migration(Table(d.migration, "migration", problems), ctx) if d.migration else ctx.zeros()
    housing = ctx.zeros()
    if d.housing and not scenario.housing.in_migration_already:
        housing = _housing(Table(d.housing, "housing", problems), d.housing_yield, base, ctx)
    elif d.housing_yield and not d.housing:
        problems.add(f"{scenario.source}: data.housing_yield", "is given without data.housing.", str(d.housing_yield),
                     "add data.housing, or remove data.housing_yield.")
    enrolment = _enrolment(Table(d.enrolment, "enrolment", problems), ctx) if d.enrolment else None
    births = _births(Table(d.births, "births", problems), ctx) if d.births else None
    outlines = read_outlines(d.boundaries, regions, problems) if d.boundaries else None
    return Inputs(
        regions=tuple(regions), region_names=tuple(names), years=tuple(scenario.years),
        ages=single[::dem.step], base=ctx.to_grid(base, share=True), asfr=asfr, tfr=tfr,
        survival=survival, birth_survival=birth_survival,
        migration=migration, housing=housing, enrolment=enrolment, births=births, region_points=points,
        region_outlines=outlines,
    )


class _Context:
    """What every table reader needs: regions, the age grid, the years, the problem list."""

    def __init__(self, scenario: Scenario, regions, single, problems: Problems):
        self.scenario = scenario
        self.regions = list(regions)
        self.index = {r: i for i, r in enumerate(regions)}
        self.single = single
        self.step = scenario.demography.step
        self.open_age = scenario.demography.open_age
        self.steps = (scenario.end_year - scenario.base_year) // self.step
        self.calendar = np.arange(scenario.base_year, scenario.end_year)  # years inside the steps
        self.problems = problems

    def zeros(self):
        return np.zeros((self.steps, len(self.regions), 2, len(self.single[::self.step])))

    def region_codes(self, table: Table, column="region"):
        if not self.regions:  # the regions table itself is reported; don't flag every row
            return np.full(len(table.frame), -1)
        codes = table.choice(column, self.regions,
                             fix=f"use a region of {self.scenario.data.regions.name}: "
                                 f"{', '.join(self.regions[:12])}.")
        return np.array([self.index.get(c, -1) for c in codes])

    def sex_codes(self, table: Table):
        return np.array([SEX_CODES.get(s, -1) for s in table.choice("sex", SEX_CODES)])

    def to_grid(self, single_years, share: bool):
        """Sum (share) or average single-year ages into groups of width ``step`` (last axis)."""
        if self.step == 1:
            return single_years
        closed = single_years[..., :-1]
        grouped = closed.reshape(closed.shape[:-1] + (-1, self.step))
        grouped = grouped.sum(axis=-1) if share else grouped.mean(axis=-1)
        return np.concatenate([grouped, single_years[..., -1:]], axis=-1)

    def per_step(self, yearly, share: bool):
        """(calendar years, ...) -> (steps, ...): sum (counts) or mean (rates) within each step."""
        grouped = yearly.reshape((self.steps, self.step) + yearly.shape[1:])
        return grouped.sum(axis=1) if share else grouped.mean(axis=1)


def _regions(table: Table):
    """(ids, names, points or None) of the regions, each region's first row."""
    if not table.require("region", "name"):
        return [], [], None
    table.duplicates(["region"], fix="give each region one row with a unique id.")
    empty = table.frame["region"] == ""
    for i in np.flatnonzero(empty.to_numpy()):
        table.problems.add(table.where(i, "region"), "is empty.", "", "give the region an identifier.")
    for i in np.flatnonzero((table.frame["name"] == "").to_numpy() & ~empty.to_numpy()):
        table.problems.add(table.where(i, "name"), "is empty.", "", "give the region a display name "
                           "(its identifier will do).")
    first = np.flatnonzero(~empty.to_numpy() & ~table.frame["region"].duplicated().to_numpy())
    frame = table.frame.iloc[first]
    points = read_points(table)
    return list(frame["region"]), list(frame["name"]), points.take(first) if points is not None else None


def _population(table: Table, ctx: _Context):
    """(R, 2, single ages) base population; every region and sex must cover 0..open_age."""
    out = np.zeros((len(ctx.regions), 2, len(ctx.single)))
    if not table.require("region", "sex", "age", "population"):
        return out
    r, s = ctx.region_codes(table), ctx.sex_codes(table)
    age, span = ages_and_spans(table)
    value = table.number("population", 0, MAX_PEOPLE, fix="write a count of persons >= 0 (never in 万).")
    table.duplicates(["region", "sex", "age"])
    ok = (r >= 0) & (s >= 0)
    idx, single, per = spread_to_single_years(age, span, np.where(ok, value, np.nan), ctx.open_age)
    np.add.at(out, (r[idx], s[idx], single), per)
    rows_at = np.zeros(out.shape)
    idx, single, _ = spread_to_single_years(age, span, np.where(ok, 1.0, np.nan), ctx.open_age)
    np.add.at(rows_at, (r[idx], s[idx], single), 1)  # rows present, whatever their value
    covered = rows_at > 0
    for ri, si in zip(*np.nonzero((rows_at[..., :-1] > 1).any(axis=2))):
        twice = np.flatnonzero(rows_at[ri, si, :-1] > 1)
        table.problems.add(str(table.path), f"region {ctx.regions[ri]}, sex {list(SEX_CODES)[si]} has more than one "
                           "row for some ages (age groups overlap).", _ranges(twice),
                           "give each age once: check age and age_span of overlapping groups.")
    for ri, si in zip(*np.nonzero(~covered.all(axis=2))):
        missing = np.flatnonzero(~covered[ri, si])
        table.problems.add(str(table.path), f"region {ctx.regions[ri]}, sex {list(SEX_CODES)[si]} has no "
                           f"population for some ages.", _ranges(missing),
                           f"add rows for every age from 0 to {ctx.open_age} (or use age_span).")
    return out


def _ranges(ages) -> str:
    ages = list(ages)
    if not ages:
        return ""
    runs, start = [], ages[0]
    for a, b in zip(ages, ages[1:] + [None]):
        if b != a + 1:
            runs.append(f"{start}" if start == a else f"{start}-{a}")
            start = b
    return ", ".join(runs)


def _keyed_rows(table: Table, ctx: _Context):
    """Region index per row (-1 = all regions, -2 = unknown) and year per row (NaN = every year)."""
    n = len(table.frame)
    region = np.full(n, -1)
    if table.has("region"):
        for i, text in enumerate(table.frame["region"]):
            if text and not ctx.regions:
                region[i] = -2
            elif text and text not in ctx.index:
                table.problems.add(table.where(i, "region"), "is not a known region.", text,
                                   f"use a region of the regions table ({', '.join(ctx.regions[:12])}), "
                                   "or leave it empty for all regions.")
                region[i] = -2
            elif text:
                region[i] = ctx.index[text]
    year = table.number("year", 1900, 2300, integer=True) if table.has("year") else np.full(n, np.nan)
    return region, year


def _fertility(table: Table, tfr_table: Table | None, ctx: _Context):
    """ASFR per step and region on the grid (T, R, A), and the TFR per step (T, R)."""
    R = len(ctx.regions)
    single = np.zeros((len(ctx.calendar), R, len(ctx.single)))
    if table.require("age", "asfr"):
        region, year = _keyed_rows(table, ctx)
        age, span = ages_and_spans(table, max_age=60)
        rate = table.number("asfr", 0, 0.999, fix="write births per woman per year, e.g. 0.08.")
        table.duplicates([c for c in ("region", "year", "age") if table.has(c)])
        for r in range(R):
            mine = region == r if (region == r).any() else region == -1
            if not mine.any():
                table.problems.add(str(table.path), f"has no rows for region {ctx.regions[r]}.", ctx.regions[r],
                                   "add rows for that region, or rows with an empty region for all regions.")
                continue
            single[:, r] = _schedule_by_year(age, span, rate, year, mine, ctx)
    if tfr_table is not None and tfr_table.require("year", "tfr"):
        single = _rescale_to_tfr(single, tfr_table, ctx)
    asfr = ctx.to_grid(ctx.per_step(single, share=False), share=False)
    tfr = ctx.per_step(single.sum(axis=2), share=False)
    return asfr, tfr


def _schedule_by_year(age, span, rate, year, mine, ctx):
    """Single-year schedules for the rows ``mine``, interpolated over calendar years."""
    out = np.zeros((len(ctx.calendar), len(ctx.single)))
    years = np.unique(year[mine][np.isfinite(year[mine])]) if mine.any() else []
    keys = years if len(years) else [np.nan]
    curves = []
    for y in keys:
        rows = mine & ((year == y) if np.isfinite(y) else True)
        idx, single, per = spread_to_single_years(age[rows], span[rows], rate[rows], ctx.open_age, share=False)
        curve = np.zeros(len(ctx.single))
        curve[single] = per
        curves.append(curve)
    if len(curves) == 1:
        out[:] = curves[0]
        return out
    curves = np.array(curves)
    for a in range(out.shape[1]):
        out[:, a] = np.interp(ctx.calendar, years, curves[:, a])
    return out


def _rescale_to_tfr(single, tfr_table: Table, ctx: _Context):
    region, year = _keyed_rows(tfr_table, ctx)
    value = tfr_table.number("tfr", 0, 10, fix="write children per woman, e.g. 1.1.")
    tfr_table.duplicates([c for c in ("region", "year") if tfr_table.has(c)])
    out = single.copy()
    for r in range(single.shape[1]):
        mine = (region == r) if (region == r).any() else (region == -1)
        if not mine.any():
            tfr_table.problems.add(str(tfr_table.path), f"has no rows for region {ctx.regions[r]}.", ctx.regions[r],
                                   "add rows for that region, or rows with an empty region for all regions.")
            continue
        mine &= np.isfinite(year) & np.isfinite(value)
        if not mine.any():
            continue
        order = np.argsort(year[mine])
        path = np.interp(ctx.calendar, year[mine][order], value[mine][order])
        now = single[:, r].sum(axis=1)
        scale = np.divide(path, now, out=np.zeros_like(path), where=now > 0)
        out[:, r] *= scale[:, None]
    return out


def _mortality(table: Table, ctx: _Context):
    """Survival ratios (2, A) and survival of births (2,), from whichever form the table has."""
    A = len(ctx.single[::ctx.step])
    fallback = np.ones((2, A)), np.ones(2)
    if table.frame.empty:
        table.require("sex", "age")
        return fallback
    if table.has("survival"):
        return _survival_table(table, ctx, A) or fallback
    if table.has("lx") and table.has("Lx"):
        form, cols = "life", ("sex", "age", "lx", "Lx")
    elif table.has("qx"):
        form, cols = "qx", ("sex", "age", "qx")
    else:
        table.problems.add(str(table.path), "is not a life table, qx table or survival table.",
                           list(table.frame.columns),
                           "give columns sex, age, lx, Lx; or sex, age, qx (mx on the open row); or sex, age, survival.")
        return fallback
    if not table.require(*cols):
        return fallback
    S, Sb = np.ones((2, A)), np.ones(2)
    sex = ctx.sex_codes(table)
    age = table.number("age", 0, 130, integer=True)
    if table.duplicates(["sex", "age"], fix="give each sex and age one row.").any():
        return fallback
    columns = _life_table_columns(table, form)
    for s in range(2):
        rows = np.flatnonzero(sex == s)
        result = _life_table_for_sex(table, rows[np.argsort(age[rows])], age, columns, ctx, s)
        if result is not None:
            S[s], Sb[s] = result
    return S, Sb


def _life_table_columns(table: Table, form: str) -> dict:
    """The numeric columns of a life or qx table, each checked once."""
    if form == "life":
        return {"lx": table.number("lx", 0, MAX_PEOPLE), "Lx": table.number("Lx", 0, MAX_PEOPLE)}
    mx = table.number("mx", 0, 10, allow_empty=True) if table.has("mx") else np.full(len(table.frame), np.nan)
    return {"qx": table.number("qx", 0, 1), "mx": mx}


def _life_table_for_sex(table: Table, rows, age, columns: dict, ctx: _Context, s):
    name = list(SEX_CODES)[s]
    if len(rows) < 2:
        table.problems.add(str(table.path), f"has no life table for sex {name}.", None,
                           f"add rows for {name} from age 0 to the open age.")
        return None
    ages = age[rows]
    if ages[0] != 0 or ages[-1] < ctx.open_age:
        table.problems.add(str(table.path), f"the {name} table must start at age 0 and reach the open age "
                           f"{ctx.open_age}.", f"{ages[0]:g}..{ages[-1]:g}",
                           "extend the table, or lower demography.open_age.")
        return None
    if "lx" in columns:
        lx, Lx = columns["lx"][rows], columns["Lx"][rows]
        if not (np.isfinite(lx).all() and np.isfinite(Lx).all()):
            return None
        if np.any(np.diff(lx) > 0):
            table.problems.add(str(table.path), f"lx for {name} rises with age.", None,
                               "lx (survivors to exact age) must never increase.")
            return None
        l1, L1 = lifetable.single_year_from_abridged(ages, lx, Lx)
    else:
        if np.any(np.diff(ages) != 1):
            table.problems.add(str(table.path), f"the {name} qx table is not in single years of age.", None,
                               "give one row per single year, or use a life table with lx and Lx.")
            return None
        qx, mx = columns["qx"][rows], columns["mx"][rows]
        if not np.isfinite(qx).all():
            return None
        if not np.isfinite(mx[-1]) or mx[-1] <= 0:
            table.problems.add(table.where(rows[-1], "mx"), "the open age row needs a death rate mx > 0.",
                               None, "add an mx column with the open group's central death rate.")
            return None
        l1, L1 = lifetable.single_year_from_qx(qx, mx[-1])
    return lifetable.survival_ratios(l1, L1, ctx.step, ctx.open_age)


def _survival_table(table: Table, ctx: _Context, A: int):
    if not table.require("sex", "age", "survival"):
        return None
    sex = ctx.sex_codes(table)
    value = table.number("survival", 0, 1, fix="write a share between 0 and 1.")
    table.duplicates(["sex", "age"], fix="give each sex and age one row.")
    grid = {int(a): i for i, a in enumerate(ctx.single[::ctx.step])} | {"birth": A}
    S, Sb, seen = np.ones((2, A)), np.ones(2), np.zeros((2, A + 1), dtype=bool)
    for i, text in enumerate(table.frame["age"]):
        col = grid.get(text if text == "birth" else _as_int(text))
        if col is None:
            table.problems.add(table.where(i, "age"), "is not on the projection's age grid.", text,
                               f"use 'birth' or an age group start 0, {ctx.step}, ..., {ctx.open_age}.")
            continue
        if sex[i] < 0:
            continue
        seen[sex[i], col] = True
        if np.isfinite(value[i]):
            if col < A:
                S[sex[i], col] = value[i]
            else:
                Sb[sex[i]] = value[i]
    labels = [str(a) for a in ctx.single[::ctx.step]] + ["birth"]
    for s, name in enumerate(SEX_CODES):
        missing = [labels[c] for c in np.flatnonzero(~seen[s])]
        if missing:
            table.problems.add(str(table.path), f"lacks survival ratios for sex {name}.", ", ".join(missing),
                               f"give, for each sex, a row for 'birth' and every age group 0..{ctx.open_age}.")
    return S, Sb


def _as_int(text: str):
    try:
        return int(text)
    except ValueError:
        return None


def _migration(table: Table, ctx: _Context):
    out = np.zeros((len(ctx.calendar), len(ctx.regions), 2, len(ctx.single)))
    if not table.require("region", "sex", "age", "value"):
        return ctx.zeros()
    r, s = ctx.region_codes(table), ctx.sex_codes(table)
    age, span = ages_and_spans(table)
    kind = ctx.scenario.demography.migration_kind
    low = -1.0 if kind == "rate" else None
    value = table.number("value", -MAX_PEOPLE if low is None else low, 1.0 if kind == "rate" else MAX_PEOPLE)
    year = table.number("year", 1900, 2300, integer=True) if table.has("year") else None
    table.duplicates([c for c in ("region", "sex", "age", "year") if table.has(c)])
    ok = (r >= 0) & (s >= 0)
    idx, single, per = spread_to_single_years(age, span, np.where(ok, value, np.nan), ctx.open_age,
                                              share=kind == "count")
    if year is None:
        np.add.at(out, (slice(None), r[idx], s[idx], single), per)
    else:
        t = np.searchsorted(ctx.calendar, year[idx])
        inside = (t < len(ctx.calendar)) & (ctx.calendar[np.minimum(t, len(ctx.calendar) - 1)] == year[idx])
        np.add.at(out, (t[inside], r[idx][inside], s[idx][inside], single[inside]), per[inside])
    share = kind == "count"
    return ctx.to_grid(ctx.per_step(out, share=share), share=share)


def _housing(table: Table, yield_path, base_single, ctx: _Context):
    """Newcomers per step by region, sex and age (see docs/data-tables.md, housing)."""
    if not table.require("id", "region", "move_in_start", "move_in_end"):
        return ctx.zeros()
    problems = table.problems
    per_age = _housing_yield(Table(yield_path, "housing_yield", problems) if yield_path else None, ctx)
    r = ctx.region_codes(table)
    table.duplicates(["id"], fix="give each development a unique id.")
    residents = _residents(table, ctx)
    start = table.number("move_in_start", 1900, 2300, integer=True)
    end = table.number("move_in_end", 1900, 2300, integer=True)
    for i in np.flatnonzero(np.isfinite(start) & np.isfinite(end) & (end < start)):
        problems.add(table.where(i, "move_in_end"), "is before move_in_start.", table.frame["move_in_end"].iloc[i],
                     "give move-in years in order (start <= end).")
    srb = ctx.scenario.demography.sex_ratio_at_birth
    profile = _newcomer_profile(per_age, base_single, srb)  # (R, 2, single ages), sums to 1
    out = np.zeros((len(ctx.calendar), len(ctx.regions), 2, len(ctx.single)))
    for i in np.flatnonzero((r >= 0) & np.isfinite(residents) & np.isfinite(start) & np.isfinite(end) & (end >= start)):
        years = np.arange(int(start[i]), int(end[i]) + 1)
        inside = np.isin(ctx.calendar, years)
        out[inside, r[i]] += residents[i] / len(years) * profile[r[i]]
    return ctx.to_grid(ctx.per_step(out, share=True), share=True)


def _residents(table: Table, ctx: _Context):
    n = len(table.frame)
    res = table.number("residents", 0, MAX_PUPILS, allow_empty=True) if table.has("residents") else np.full(n, np.nan)
    dwell = table.number("dwellings", 0, MAX_PUPILS, allow_empty=True) if table.has("dwellings") else np.full(n, np.nan)
    for i in np.flatnonzero(~np.isfinite(res) & ~np.isfinite(dwell)):
        table.problems.add(f"{table.path}: row {table.row(i)}", "gives neither residents nor dwellings.", None,
                           "fill in residents, or dwellings (times housing.persons_per_dwelling).")
    return np.where(np.isfinite(res), res, dwell * ctx.scenario.housing.persons_per_dwelling)


def _housing_yield(table: Table | None, ctx: _Context):
    per_age = np.zeros(len(ctx.single))
    if table is None:
        ctx.problems.add(f"{ctx.scenario.source}: data.housing", "needs data.housing_yield.", None,
                         "add a CSV of age, per_resident (children per resident by single year 0-17).")
        return per_age
    if not table.require("age", "per_resident"):
        return per_age
    age = table.number("age", 0, 17, integer=True)
    value = table.number("per_resident", 0, 1)
    table.duplicates(["age"], fix="give each age one row.")
    ok = np.isfinite(age) & np.isfinite(value)
    per_age[age[ok].astype(int)] = value[ok]
    if per_age.sum() >= 1:
        table.problems.add(str(table.path), "children per resident add up to 1 or more.", round(per_age.sum(), 4),
                           "give children per resident; the rest of the residents are adults.")
    return per_age


def _newcomer_profile(per_age, base_single, srb):
    """Share of newcomers by region, sex and age: children by the yield, adults like the base."""
    profile = np.zeros_like(base_single)
    boy = srb / (1 + srb)
    profile[:, 0, :18] = per_age[:18] * (1 - boy)
    profile[:, 1, :18] = per_age[:18] * boy
    adults = base_single[:, :, 18:]
    total = adults.sum(axis=(1, 2), keepdims=True)
    adult_share = np.divide(adults, total, out=np.zeros_like(adults), where=total > 0)
    profile[:, :, 18:] = adult_share * (1 - per_age[:18].sum())
    return profile


def _enrolment(table: Table, ctx: _Context):
    if not table.require("region", "level", "grade", "year", "students"):
        return None
    r = ctx.region_codes(table)
    level = table.choice("level", LEVELS)
    grade = table.number("grade", 1, 9, integer=True)
    year = table.number("year", 1900, 2300, integer=True)
    students = table.number("students", 0, MAX_PUPILS, fix="write a count of pupils >= 0.")
    table.duplicates(["region", "level", "grade", "year"])
    ok = (r >= 0) & (level != "") & np.isfinite(grade) & np.isfinite(year) & np.isfinite(students)
    return pd.DataFrame({"region": np.array(ctx.regions + [""])[r][ok], "level": level[ok],
                         "grade": grade[ok].astype(int), "year": year[ok].astype(int), "students": students[ok]})


def _births(table: Table, ctx: _Context):
    if not table.require("region", "year", "births"):
        return None
    r = ctx.region_codes(table)
    year = table.number("year", 1900, 2300, integer=True)
    births = table.number("births", 0, MAX_PUPILS, fix="write a count of live births >= 0.")
    table.duplicates(["region", "year"])
    ok = (r >= 0) & np.isfinite(year) & np.isfinite(births)
    return pd.DataFrame({"region": np.array(ctx.regions + [""])[r][ok], "year": year[ok].astype(int),
                         "births": births[ok]})
