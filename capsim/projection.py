"""The projection stage: scenario -> population, births and students, as tidy DataFrames.

Draws of fertility and migration (:mod:`capsim.uncertainty`) run through the core together
(the draw axis), students are computed per draw (:mod:`capsim.enrolment`), and the results
carry the scenario's quantiles over draws (only the median row, 0.5, when ``draws = 1``) and,
with ``uncertainty.keep_draws``, every draw.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from capsim import enrolment, uncertainty
from capsim.data import Inputs, read_inputs
from capsim.demography import SEXES, project_population
from capsim.errors import DataError, Problems, ScenarioError
from capsim.schema import Scenario


@dataclass(frozen=True)
class Projection:
    """Results of :func:`project`. Every frame is tidy (one value column)."""

    scenario: Scenario
    population: pd.DataFrame    # year, region, sex, age, quantile, population
    births: pd.DataFrame        # year, region, quantile, births (during the step starting in year)
    students: pd.DataFrame      # year, region, level, grade, quantile, students
    level_totals: pd.DataFrame  # year, region, level, quantile, students
    calibration: pd.DataFrame   # region, level, ratio, grade, value, source, years
    student_draws: pd.DataFrame | None = field(default=None, repr=False)
    regions: pd.DataFrame | None = None   # region, name (and x, y where the regions table gives points)
    outlines: pd.DataFrame | None = None  # region, part, ring, x, y: boundaries (data.boundaries), for maps


@dataclass(frozen=True)
class _Arrays:
    population: np.ndarray      # (T+1, D, R, 2, A)
    births: np.ndarray          # (T, D, R, 2)
    students: dict              # level -> (T+1, D, R, G)


def project(scenario: Scenario, inputs: Inputs | None = None, progress: bool = False) -> Projection:
    """Run the projection stage for ``scenario`` (reading its tables unless ``inputs`` is given)."""
    from capsim.rules import memory_rules

    check_methods(scenario)
    inputs = inputs or read_inputs(scenario)
    memory_rules(scenario, len(inputs.regions)).raise_if_any(ScenarioError)
    arrays, calibration = project_arrays(scenario, inputs, progress)
    return _frames(scenario, inputs, arrays, calibration)


def check_methods(scenario: Scenario) -> None:
    """Scenario-level rules that span sections (reported like schema errors)."""
    problems = Problems()
    for level in enrolment.level_specs(scenario):
        where = f"{scenario.source}: education.{level.name}"
        if level.spec.method == "progression":
            if scenario.demography.step != 1:
                problems.add(f"{where}.method", "grade progression needs annual steps.", "progression",
                             "use demography.step = 1, or method = \"rates\".")
            if scenario.data.enrolment is None:
                problems.add(f"{where}.method", "grade progression needs an enrolment history.", "progression",
                             "add data.enrolment, or use method = \"rates\".")
            if enrolment.entry_source(level) == "births" and scenario.data.births is None:
                problems.add(f"{where}.entry", "entry from births needs a births history.", "births",
                             "add data.births, or use entry = \"population\".")
            if enrolment.entry_source(level) == "previous_level" and level.previous is None:
                problems.add(f"{where}.entry", "there is no previous level to enter from.", "previous_level",
                             "use entry = \"population\" or \"births\".")
        if level.spec.grade_rates is not None and len(level.spec.grade_rates) != level.grades:
            problems.add(f"{where}.grade_rates", f"needs one value per grade ({level.grades}).",
                         list(level.spec.grade_rates), f"give {level.grades} numbers.")
        size = scenario.standards.class_size.get(level.name)
        if isinstance(size, (tuple, list)) and len(size) != level.grades:
            problems.add(f"{scenario.source}: standards.class_size.{level.name}", f"gives {len(size)} class sizes for "
                         f"{level.grades} grades.", list(size), f"give one number, or {level.grades} (one per grade).")
        if level.entry_age + level.grades - 1 > scenario.demography.open_age:
            problems.add(f"{where}.entry_age", "pupils' ages pass the open age group.", level.entry_age,
                         "lower the entry age or raise demography.open_age.")
    housing = scenario.data.housing and not scenario.housing.in_migration_already
    if housing and scenario.demography.migration_kind == "rate":
        problems.add(f"{scenario.source}: demography.migration_kind", "new housing adds people as counts, "
                     "which cannot be mixed with migration rates.", "rate",
                     "give migration as counts, or set housing.in_migration_already = true.")
    problems.raise_if_any(ScenarioError)


def project_arrays(scenario: Scenario, inputs: Inputs, progress: bool = False):
    """The numeric pipeline on arrays: draws -> core -> students. Returns (_Arrays, calibration)."""
    spec, dem = scenario.uncertainty, scenario.demography
    z, u = uncertainty.standard_variates(spec)
    housing = inputs.housing[:, None] if inputs.housing.any() else None   # counts: check_methods forbids rates here
    base = np.broadcast_to(inputs.base, (spec.draws,) + inputs.base.shape)
    core = project_population(
        base, inputs.survival, inputs.birth_survival, inputs.asfr[:, None], dem.sex_ratio_at_birth,
        len(inputs.years) - 1, migration=inputs.migration[:, None],
        fertility_factor=uncertainty.fertility_factors(inputs.tfr, inputs.years, spec, z),
        migration_factor=uncertainty.migration_factors(spec, u), fixed_migration=housing,
        migration_kind=dem.migration_kind, timing=dem.migration_timing, step=dem.step, engine=dem.engine,
        progress=progress,
    )
    students, calibration = _students(scenario, inputs, core)
    return _Arrays(core.population, core.births, students), calibration


def single_year_population(population, step: int, ages: int | None = None) -> np.ndarray:
    """(..., 2, A) by sex and group -> (..., ages) both sexes, groups split evenly into years;
    only the first ``ages`` single years (ages 0 .. ages - 1) when given."""
    if step == 1:                  # the two sexes added as two views: a strided sum is several times slower
        return np.add(population[..., 0, :ages], population[..., 1, :ages])
    both = population.sum(axis=-2)
    closed = np.repeat(both[..., :-1] / step, step, axis=-1)
    return np.concatenate([closed, both[..., -1:]], axis=-1)[..., :ages]


def _students(scenario: Scenario, inputs: Inputs, core):
    school = max(level.entry_age + level.grades for level in enrolment.level_specs(scenario))
    pop = single_year_population(core.population, scenario.demography.step, school)  # (T+1, D, R, school ages)
    years = np.array(inputs.years)
    problems, out, rows = Problems(), {}, []
    newcomers = single_year_population(inputs.housing, scenario.demography.step)  # (T, R, ages)
    for level in enrolment.level_specs(scenario):
        if level.spec.method == "rates":
            out[level.name] = enrolment.students_by_rates(pop, level, years)
            continue
        cal = enrolment.calibrate(level, inputs, pop[0, 0], scenario.base_year, problems)
        if problems:
            continue
        rows += _calibration_rows(level, cal, inputs.regions)
        source = _entry_source(level, cal, pop, core.births, inputs, out, years)
        arrivals = _newcomer_pupils(level, cal.entry_source, newcomers, pop.shape)
        start = enrolment.history_array(inputs.enrolment, level.name, list(inputs.regions), level.grades,
                                        [scenario.base_year])[0]
        out[level.name] = enrolment.students_by_progression(level, cal, start, source, arrivals)
    problems.raise_if_any(DataError)
    return out, pd.DataFrame(rows, columns=["region", "level", "ratio", "grade", "value", "source", "years"])


def _entry_source(level, cal, pop, births, inputs, done, years):
    """(T+1, D, R) quantity the entry ratio multiplies, aligned to school years."""
    T1, D, R = pop.shape[:3]
    if cal.entry_source == "population":
        return pop[..., level.entry_age]
    if cal.entry_source == "previous_level":
        prev = done[level.previous][..., -1]
        return np.concatenate([np.full((1, D, R), np.nan), prev[:-1]], axis=0)
    return _births_for(years - level.entry_age, births.sum(axis=-1), inputs, years[0])


def _births_for(birth_years, projected, inputs, base_year):
    """Births per (birth year, draw, region): projected births of the step starting that year,
    else the births history; NaN where neither exists (reported by calibration)."""
    T1 = len(birth_years)
    D, R = projected.shape[1:]
    history = enrolment._births_array(inputs, list(inputs.regions), birth_years)
    out = np.broadcast_to(history[:, None, :], (T1, D, R)).copy()
    k = birth_years - base_year
    inside = (k >= 0) & (k < projected.shape[0])
    out[inside] = projected[k[inside]]
    return out


def _newcomer_pupils(level, source, newcomers, pop_shape):
    """(T+1, 1, R, G) pupils arriving with new housing; see the enrolment module docstring."""
    T1, _, R = pop_shape[:3]
    G, e = level.grades, level.entry_age
    out = np.zeros((T1, 1, R, G))
    out[1:, 0] = newcomers[..., e:e + G]
    if source == "population":
        out[..., 0] = 0.0
    elif source == "births":
        for a in range(e):
            lag = e - a
            out[1 + lag:, 0, :, 0] += newcomers[: T1 - 1 - lag, :, a]
    return out


def _calibration_rows(level, cal, regions):
    years = f"{cal.years[0]}-{cal.years[-1]}"
    rows = []
    for r, region in enumerate(regions):
        rows.append((region, level.name, "entry", 1, float(cal.entry[r]), cal.entry_source, years))
        rows += [(region, level.name, "progression", g + 2, float(v), "history", years)
                 for g, v in enumerate(cal.progression[r])]
    return rows


def _frames(scenario: Scenario, inputs: Inputs, arrays: _Arrays, calibration) -> Projection:
    spec = scenario.uncertainty
    q = list(spec.quantiles) if spec.draws > 1 else [0.5]
    years, regions = list(inputs.years), list(inputs.regions)
    pop = tidy(uncertainty.quantiles_over_draws(arrays.population, q), "population",
               quantile=q, year=years, region=regions, sex=list(SEXES), age=list(inputs.ages))
    births = tidy(uncertainty.quantiles_over_draws(arrays.births.sum(axis=-1), q), "births",
                  quantile=q, year=years[:-1], region=regions)
    students, totals, draws = [], [], []
    for level, arr in arrays.students.items():
        grades = list(range(1, arr.shape[-1] + 1))
        students.append(tidy(uncertainty.quantiles_over_draws(arr, q), "students", quantile=q, year=years,
                             region=regions, grade=grades).assign(level=level))
        totals.append(tidy(uncertainty.quantiles_over_draws(arr.sum(axis=-1), q), "students", quantile=q, year=years,
                           region=regions).assign(level=level))
        if spec.keep_draws:
            draws.append(tidy(arr, "students", year=years, draw=list(range(spec.draws)), region=regions,
                              grade=grades).assign(level=level))
    order = ["year", "region", "level", "grade", "quantile", "students"]
    return Projection(
        scenario=scenario,
        population=pop[["year", "region", "sex", "age", "quantile", "population"]],
        births=births[["year", "region", "quantile", "births"]],
        students=pd.concat(students, ignore_index=True)[order],
        level_totals=pd.concat(totals, ignore_index=True)[[c for c in order if c != "grade"]],
        calibration=calibration,
        student_draws=pd.concat(draws, ignore_index=True)[["year", "region", "level", "grade", "draw", "students"]]
        if draws else None,
        regions=region_table(inputs),
        outlines=inputs.region_outlines,
    )


def region_table(inputs: Inputs) -> pd.DataFrame:
    """The regions as read: region, name, and x, y (longitude and latitude, or metres) where the
    regions table gives every region a point."""
    table = pd.DataFrame({"region": list(inputs.regions), "name": list(inputs.region_names)})
    points = inputs.region_points
    if points is not None and len(table) and np.isfinite(points.xy).all():
        table = table.assign(x=points.xy[:, 0], y=points.xy[:, 1])
    return table


def tidy(array, value: str, **axes) -> pd.DataFrame:
    """A labelled n-d array -> tidy frame, one column per axis (in order) plus ``value``."""
    return tidy_columns({value: array}, **axes)


def tidy_columns(columns: dict, **axes) -> pd.DataFrame:
    """Several n-d arrays of the same shape -> one tidy frame: axis columns, then one per array."""
    shape = tuple(len(v) for v in axes.values())
    grids = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    frame = {name: np.asarray(labels)[g.reshape(-1)] for (name, labels), g in zip(axes.items(), grids)}
    frame.update({k: np.broadcast_to(np.asarray(v), shape).reshape(-1) for k, v in columns.items()})
    return pd.DataFrame(frame)
