"""The scenario schema: every key a scenario file may hold, its type, range and default.

Unknown keys are errors (``extra="forbid"``). Rules that tie several keys together (years in
order, the open age on the age grid) are checked by :func:`capsim.scenario.cross_checks`, so
that each problem names its own key. Paths under ``[data]`` are resolved by
:mod:`capsim.scenario` relative to the file that names them. Field descriptions double as the
"how to fix" text of error messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Union, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

YearPath = dict[int, float] | float
ClassSize = Annotated[int, Field(ge=1, le=200)]
Money = Annotated[float, Field(ge=0, le=1e14)]       # yuan: far above any city's budget
MAX_PENALTY = 1e10                                   # yuan a seat-year; larger ones break the solver's numerics


class Strict(BaseModel):
    """Unknown keys are errors; numbers are finite (no inf or nan) and never true/false, and
    true/false is never a number."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_as_number(cls, value, info):
        annotation = cls.model_fields[info.field_name].annotation
        if annotation is bool and not isinstance(value, bool):
            raise ValueError("must be true or false")
        if not _admits(annotation, bool) and not _admits(annotation, BaseModel) and _holds_bool(value):
            raise ValueError("must be a number, not true or false")
        return value


def _admits(annotation, kind) -> bool:
    """Whether ``annotation`` (a member of its union, or an item of a tuple or list of it) is
    ``kind`` or a subclass of it."""
    if isinstance(annotation, type):
        return issubclass(annotation, kind)
    origin = getattr(annotation, "__origin__", None)
    if origin in (Union, tuple, list) or type(annotation).__name__ == "UnionType":
        return any(_admits(a, kind) for a in get_args(annotation) if a is not Ellipsis)
    return False


def _holds_bool(value) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, dict):
        return any(_holds_bool(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_holds_bool(v) for v in value)
    return False


class DataFiles(Strict):
    regions: Path = Field(description="CSV of regions: region, name")
    population: Path = Field(description="CSV of base population: region, sex, age, population")
    fertility: Path = Field(description="CSV of age-specific fertility: age, asfr (+ age_span, region, year)")
    mortality: Path = Field(description="CSV life table (sex, age, lx, Lx), qx table or survival ratios")
    tfr: Path | None = Field(None, description="CSV of a TFR path: year, tfr (+ region)")
    migration: Path | None = Field(None, description="CSV of net migration: region, sex, age, value (+ year)")
    housing: Path | None = Field(None, description="CSV of new housing developments")
    housing_yield: Path | None = Field(None, description="CSV of children per resident: age, per_resident")
    enrolment: Path | None = Field(None, description="CSV of enrolment history: region, level, grade, year, students")
    births: Path | None = Field(None, description="CSV of births history: region, year, births")
    schools: Path | None = Field(None, description="CSV of schools: id, name, region, type, classes (+ seats, opened, closed, max_students)")
    school_grades: Path | None = Field(None, description="CSV of base-year pupils and classes: school, level, grade, students, classes")
    capacity: Path | None = Field(None, description="CSV of region-level seats: region, level, seats (+ year), used without schools")
    projects: Path | None = Field(None, description="CSV of candidate and committed projects (docs/data-tables.md)")
    areas: Path | None = Field(None, description="CSV of residential areas: area, region, share (+ level); plans "
                               "catchments (with travel and schools)")
    travel: Path | None = Field(None, description="CSV of area-to-site distances or costs: area, site, km and/or cost "
                                "(empty, with data.areas: straight-line distances from the areas', schools' and new "
                                "sites' coordinates)")
    boundaries: Path | None = Field(None, description="GeoJSON of the regions' boundaries (a feature per region, "
                                    "properties.region its id; longitude, latitude): the report's map colours each "
                                    "district by its seats short")


class Demography(Strict):
    step: Literal[1, 5] = Field(1, description="1 (single years, annual steps) or 5 (5-year groups and steps)")
    open_age: int = Field(100, ge=15, le=120, description="start of the open age group, a multiple of step")
    sex_ratio_at_birth: float = Field(1.06, gt=0.8, lt=1.4, description="male births per female birth, e.g. 1.11")
    migration_kind: Literal["count", "rate"] = Field("count", description="'count' (people a year) or 'rate' (per person a year)")
    migration_timing: Literal["start", "end", "half"] = Field("half", description="'start', 'end' or 'half'")
    engine: Literal["auto", "numpy", "numba"] = Field("auto", description="'auto', 'numpy' or 'numba'")


class Uncertainty(Strict):
    draws: int = Field(1, ge=1, le=100_000, description="number of Monte Carlo draws (1 = deterministic)")
    seed: int = Field(20210729, ge=0, description="random seed; the same seed gives the same draws")
    quantiles: tuple[float, ...] = Field((0.1, 0.5, 0.9), min_length=1, description="quantiles between 0 and 1 to report")
    keep_draws: bool = Field(False, description="true to also return every draw")
    tfr_distribution: Literal["normal", "uniform"] = Field("normal", description="'normal' or 'uniform'")
    tfr_sd: float = Field(0.0, ge=0, le=2, description="TFR spread (children per woman) once fully ramped")
    tfr_ramp_years: int = Field(10, ge=1, le=100, description="years over which the TFR spread grows to tfr_sd")
    migration_sd: float = Field(0.0, ge=0, le=5, description="relative spread of migration (0.2 = 20 %)")

    @field_validator("quantiles")
    @classmethod
    def _quantiles_in_range(cls, q):
        bad = [x for x in q if not 0 <= x <= 1]
        if bad:
            raise ValueError(f"quantiles must lie between 0 and 1; {bad} do not")
        return tuple(sorted(set(q)))


class Housing(Strict):
    persons_per_dwelling: float = Field(2.9, gt=0, le=10, description="residents per dwelling, e.g. 2.92")
    in_migration_already: bool = Field(
        False, description="true if the migration table already includes the developments' residents"
    )


class Level(Strict):
    enabled: bool = Field(True, description="false to leave the level out of the forecast")
    entry_age: int | None = Field(None, ge=0, le=25, description="age at entry to grade 1 of the level")
    grades: int | None = Field(None, ge=1, le=9, description="number of grades, e.g. 6")
    method: Literal["rates", "progression"] = Field("rates", description="'rates' or 'progression'")
    rate: YearPath = Field(1.0, description="enrolment rate (gross enrolment of the level): a number or {year = value}")
    grade_rates: tuple[Annotated[float, Field(ge=0, le=5)], ...] | None = Field(
        None, description="per-grade multipliers of rate (0 to 5), one per grade")
    window: int = Field(3, ge=1, le=30, description="years of history averaged for progression ratios")
    ratio_model: Literal["flat", "linear", "ses", "damped", "combined"] = Field(
        "flat", description="how progression and entry ratios are carried forward from the window: 'flat' (mean), "
                            "'linear', 'ses' (exponential smoothing), 'damped' (damped trend), 'combined' "
                            "(their mean); the backtest's models"
    )
    ratio_alpha: float = Field(0.5, gt=0, le=1, description="smoothing weight of 'ses', 'damped' and 'combined'")
    entry: Literal["population", "births", "previous_level"] | None = Field(
        None, description="where grade 1 comes from: 'population', 'births' or 'previous_level'"
    )
    entry_ratio: float | None = Field(None, gt=0, le=3, description="fixed entry ratio instead of a calibrated one")

    @field_validator("rate")
    @classmethod
    def _rates_in_range(cls, r):
        values = r.values() if isinstance(r, dict) else [r]
        bad = [v for v in values if not 0 <= v <= 2]
        if bad:
            raise ValueError(f"enrolment rates must lie between 0 and 2 (gross rates may pass 1); {bad} do not")
        return r


SYSTEMS = {"6-3-3": (6, 3, 3), "5-4-3": (5, 4, 3)}
LEVELS = ("kindergarten", "primary", "junior", "senior")


class Education(Strict):
    system: Literal["6-3-3", "5-4-3"] = Field("6-3-3", description="'6-3-3' or '5-4-3' (primary-junior-senior)")
    kindergarten: Level | None = Field(default_factory=lambda: Level(entry_age=3, grades=3))
    primary: Level | None = Field(default_factory=Level)
    junior: Level | None = Field(default_factory=Level)
    senior: Level | None = Field(default_factory=Level)


SCHOOL_TYPES = {
    "kindergarten": ("kindergarten",),
    "primary": ("primary",),
    "junior": ("junior",),
    "senior": ("senior",),
    "nine_year": ("primary", "junior"),
    "twelve_year": ("primary", "junior", "senior"),
    "complete_middle": ("junior", "senior"),
}


CHINA_CLASS_SIZE = {"kindergarten": (25, 30, 35), "primary": 45, "junior": 50, "senior": 50}
CHINA_MAX_SCHOOL_SIZE = {"kindergarten": 360, "primary": 2000, "junior": 2000, "senior": 3000,
                         "nine_year": 2500, "twelve_year": 2500, "complete_middle": 3000}


class Standards(Strict):
    """Class and school standards; defaults are China's (see docs/standards.md for sources).

    A table given in a scenario (e.g. ``class_size = {primary = 40}``) changes only the names
    it lists; the others keep China's values.
    """

    class_size: dict[str, ClassSize | tuple[ClassSize, ...]] = Field(
        default_factory=lambda: dict(CHINA_CLASS_SIZE),
        description="standard class size per level: a number, or one per grade")
    intake_class_size: dict[str, dict[int, ClassSize]] = Field(
        default_factory=dict, description="new-intake class cap per level from a year on, e.g. {primary = {2021 = 45}}")
    cap_intake: bool = Field(False, description="true to cap each school's grade-1 intake at its classes x the intake cap")
    disperse: bool = Field(True, description="true to move pupils above a school's lawful seats in a grade "
                           "to schools of the region with room (分流), from the year after the base year; false keeps each school's share")
    bands: tuple[ClassSize, ClassSize] = Field((56, 66), description="lower limits of the 大班额 and 超大班额 bands, "
                                               "the first below the second (the assessment counts the classes "
                                               "in each: classes_56_65, classes_66_plus)")
    max_school_size: dict[str, Annotated[int, Field(ge=1, le=100_000)]] = Field(
        default_factory=lambda: dict(CHINA_MAX_SCHOOL_SIZE),
        description="most pupils a school of each type may have")
    students_per_teacher: dict[str, Annotated[float, Field(gt=0, le=1000)]] = Field(
        default_factory=lambda: {"primary": 19.0, "junior": 13.5, "senior": 12.5},
        description="pupils per teaching post by level (China 2014 staffing norm)")
    teachers_per_class: dict[str, Annotated[float, Field(gt=0, le=20)]] = Field(
        default_factory=lambda: {"kindergarten": 2.0}, description="teachers per class by level, where no pupil ratio is given; "
        "where the scenario gives a class ratio beside a level's pupil ratio, its posts are the larger of the two "
        "(按班师比和师生比相结合)")
    teacher_review_years: int | None = Field(None, ge=1, le=20, description="posts (编制) are re-set every this many "
                                             "years (e.g. 3: 每3年核定一次) from teacher_review_from: teacher_posts holds "
                                             "the posts needed in each review year until the next (empty: no posts)")
    teacher_review_from: int | None = Field(None, ge=1950, le=2200, description="the first year posts are re-set "
                                            "(empty: the base year); before it the posts are unknown")
    quantile: float = Field(0.5, ge=0, le=1, description="which forecast quantile to assess, e.g. 0.5 or 0.9")

    @field_validator("class_size", "intake_class_size", "max_school_size", "students_per_teacher", "teachers_per_class")
    @classmethod
    def _known_names(cls, table, info):
        allowed = SCHOOL_TYPES if info.field_name == "max_school_size" else LEVELS
        unknown = [k for k in table if k not in allowed]
        if unknown:
            raise ValueError(f"unknown name(s) {unknown}; use {', '.join(allowed)}")
        defaults = {"class_size": CHINA_CLASS_SIZE, "max_school_size": CHINA_MAX_SCHOOL_SIZE}
        return {**defaults.get(info.field_name, {}), **table}

    @field_validator("bands")
    @classmethod
    def _bands_in_order(cls, bands):
        if bands[0] >= bands[1]:
            raise ValueError(f"the 大班额 limit {bands[0]} must be below the 超大班额 limit {bands[1]}")
        return bands


class Conversion(Strict):
    """Schools of one level that the plan may convert into schools of another (改建), whole or
    some of their classrooms: ``{ school_type = "kindergarten", into = "primary",
    cost_per_classroom = 150000 }``; ``unit = "classroom"`` converts classrooms one by one (a
    primary school with junior classrooms becomes a nine-year school)."""

    school_type: Literal["kindergarten", "primary", "junior", "senior"] = Field(
        description="the type of the listed schools that may be converted (a school teaching one level)")
    into: Literal["kindergarten", "primary", "junior", "senior"] = Field(description="the type each becomes")
    cost_per_classroom: float = Field(ge=0, le=1e9, description="yuan to refit one of its classrooms, spent in the "
                                      "year it converts (counted in the budgets)")
    classrooms_per_classroom: float = Field(1.0, gt=0, le=4, description="classrooms of the new level each "
                                            "classroom gives (rounded down; within the new type's maximum size)")
    lead_time: int = Field(0, ge=0, le=20, description="years from the base year before a school can convert "
                           "(approval, a refit over the summer): from base_year + lead_time, and never in the first "
                           "plan year (so, with plan.first_year at its default, a lead of 2 or less changes "
                           "nothing)")
    unit: Literal["school", "classroom"] = Field("school", description="'school' (default: the whole school converts "
                                                 "and changes type) or 'classroom' (the plan chooses how many of its "
                                                 "classrooms to convert, year by year, for good; the school then "
                                                 "teaches both levels, e.g. primary and junior: a nine-year school; "
                                                 "one classroom for one)")

    @model_validator(mode="after")
    def _another_level(self):
        if self.school_type == self.into:
            raise ValueError(f"a conversion changes the school's level: into must differ from {self.school_type!r}")
        if self.unit == "classroom" and self.classrooms_per_classroom != 1:
            raise ValueError("a conversion by classroom gives one classroom for one: leave classrooms_per_classroom "
                             "at 1, or convert whole schools (unit = \"school\")")
        return self


class Plan(Strict):
    """The optimiser's settings: solver, budgets, money and the price of a missing seat."""

    solver: Literal["highs", "cbc"] = Field("highs", description="'highs' (default) or 'cbc'")
    time_limit: float = Field(60.0, gt=0, le=86_400, description="seconds the solver may run, building its model included")
    gap: float = Field(0.001, ge=0, le=1, description="relative optimality gap at which to stop, e.g. 0.001")
    first_year: int | None = Field(None, description="first year a project may open (default: base_year + 1)")
    lead_time: int = Field(0, ge=0, le=20, description="years from the base year before a new (uncommitted) project can open")
    discount_rate: float = Field(0.0, ge=0, le=0.5, description="yearly discount rate for costs, e.g. 0.03")
    budget_total: Money | None = Field(None, description="most money over the whole plan, yuan (0 to 1e14)")
    budget_yearly: dict[int, Money] | Money | None = Field(
        None, description="most money a year, yuan (0 to 1e14): a number or {year = amount}")
    shortfall_penalty: float = Field(1e6, gt=0, le=MAX_PENALTY, description="cost of one missing seat for one year, "
                                     "yuan (large: a last resort; at most 1e10)")
    rent_cost: float | None = Field(None, gt=0, le=1e8, description="yuan per seat-year of temporary rented capacity "
                                    "(empty: none)")
    salvage: bool = Field(False, description="true to credit each project still standing after the last plan year "
                          "with the share of its life left then (plan.asset_life years, a temporary one's duration), "
                          "discounted from the year after the plan")
    asset_life: int = Field(50, ge=1, le=200, description="with plan.salvage: years a permanent project's classrooms "
                            "last")
    empty_room_cost: float | None = Field(None, ge=0, le=1e8, description="planning in classes: yuan a classroom "
                                          "(existing or added) costs each year it stands without a class, discounted "
                                          "(empty: nothing)")
    mothball_cost: float | None = Field(None, ge=0, le=1e8, description="planning in classes: yuan a year a "
                                        "classroom costs while mothballed (taken out of use and kept, from the second "
                                        "plan year), against plan.empty_room_cost for one left empty (empty: no "
                                        "mothballing)")
    reopen_cost: float = Field(0.0, ge=0, le=1e8, description="with plan.mothball_cost: yuan, once, to bring a "
                               "mothballed classroom back into use")
    closures: bool = Field(False, description="planning in classes by region or zone, or with catchment areas: true "
                           "to let the plan close listed schools (closed from the second plan year on, for good; "
                           "their pupils are seated in the rest of the pool, or with areas where the zoning sends "
                           "them), where the running cost saved outweighs the rooms lost and the travel")
    school_running_cost: float | None = Field(None, ge=0, le=1e10, description="planning in classes: yuan a year an "
                                              "open school costs beyond its classrooms (upkeep, a head, a caretaker), "
                                              "discounted; a closure saves it, a new school pays it from its opening "
                                              "(empty: nothing)")
    closure_cost: float = Field(0.0, ge=0, le=1e10, description="with plan.closures: yuan, once, to close a school "
                                "(moving pupils and staff), discounted to the year it closes")
    min_school_pupils: int | None = Field(None, ge=1, le=100_000, description="with plan.closures at the catchment "
                                          "level: a school the plan may close holds at least this many pupils (all "
                                          "its levels) in each year it stays open, from the first year it may close; "
                                          "a smaller one closes and its pupils are zoned to other schools "
                                          "(小规模学校撤并). Schools marked keep or expanded by a project are exempt "
                                          "(empty: no minimum)")
    closure_lead_time: int = Field(0, ge=0, le=20, description="with plan.closures: years from the base year before a "
                                   "school can close (notice to families and staff, consultation): from base_year + "
                                   "closure_lead_time, and never in the first plan year (so, with plan.first_year at "
                                   "its default, a lead of 2 or less changes nothing)")
    max_displacement_km: float | None = Field(None, gt=0, le=1000, description="with plan.closures (or a "
                                              "conversion of whole schools): a school closes, or converts whole, "
                                              "only while another school of one of its levels stays open within this "
                                              "many km (straight line between the schools table's lon, lat or x, y), "
                                              "so its pupils have a school within reach (empty: anywhere in the "
                                              "pool); a new school counts once open, if the projects table gives it "
                                              "a point within reach; a school converted to another level counts as gone")
    conversions: list[Conversion] = Field(default_factory=list, description="planning in classes by region or zone, "
                                          "or with catchment areas: the conversions the plan may choose, each school converted whole (or, by "
                                          "classroom, some of its classrooms) from the second plan year on, for good "
                                          "(empty: none)")
    years: int | None = Field(None, ge=1, le=100, description="years planned from first_year (default: to end_year)")
    break_symmetry: bool = Field(False, description="true to make interchangeable candidates open in table order "
                                 "(helps when many alike schools are listed; slows easy instances)")
    assignment: Literal["single", "split"] = Field(
        "single", description="with data.areas: 'single' (each area's pupils of a level are zoned to one school, "
        "as zoning requires; those it cannot seat are short) or 'split'")
    max_distance_km: float | None = Field(None, gt=0, le=10_000, description="with data.areas: farthest a pupil may be sent, km "
                                          "(empty: every pair listed in data.travel)")
    detour_factor: float = Field(1.0, ge=1, le=5, description="with data.areas and no data.travel: road km per "
                                 "straight-line km between the coordinates (1: straight lines)")
    travel_cost_per_km: float = Field(1.0, ge=0, le=1e6, description="with data.areas: yuan per pupil, km and year for travel "
                                      "rows without a cost (the default 1 only prefers the nearer school)")
    rezoning_cost: float | None = Field(None, ge=0, le=1e8, description="with data.areas and single assignment: yuan per "
                                        "pupil, paid once, when an area is zoned to another school than the year "
                                        "before (empty: plan.travel_cost_per_km, one year's travel of a pupil-km; "
                                        "0: the zoning is chosen anew every year)")
    capacity: Literal["classes", "seats"] = Field(
        "classes", description="what covers pupils with a school list: 'classes' (default: whole classes formed at "
        "intake roll up with their cohort and share the classrooms of the level: the region's, or at the catchment "
        "level each school's) or 'seats' (each grade's seats fixed at the base year)")
    granularity: Literal["region", "zone", "school"] = Field(
        "region", description="planning in classes, the pools of classrooms: 'region' (default: a whole region "
        "shares its classrooms of a level), 'zone' (the zones of a region: the schools table's zone column; a new "
        "project's zone is the projects table's zone column) or 'school' (each school its own classrooms; the plan "
        "chooses the school of each entering cohort, which keeps it as it moves up)")
    formulation: Literal["step", "pulse"] = Field(
        "step", description="variables the solver branches on: 'step' (project open by year t, default) or "
        "'pulse' (opens in year t); the same plans, step is much faster to prove (benchmarks/README.md)")


# Indicators a target may set: name -> (Chinese name, direction the value must keep to the threshold).
INDICATORS = {
    "gross_enrolment": ("毛入学率", ">="),       # pupils seated in lawful places / children of the level's ages
    "places_per_10000": ("每万人学位数", ">="),   # places (seats as rated) per 10,000 residents
    "pupils_per_10000": ("在校生万人比", ">="),   # pupils in lawful places per 10,000 residents
    "oversized_classes": ("超标准班额", "<="),     # classes above the standard class size
    "classes_56_plus": ("大班额", "<="),           # classes of 56 (standards.bands' first) or more
    "classes_66_plus": ("超大班额", "<="),         # classes of 66 (standards.bands' second) or more
    "oversized_schools": ("超规模学校", "<="),     # schools above their type's maximum size
    "seat_shortage": ("学位缺口", "<="),           # pupils without a seat, region by region (never netted)
    "public_share": ("公办在园(在校)生占比", ">="),   # pupils at public schools / pupils placed (needs ownership)
    "inclusive_share": ("普惠性幼儿园覆盖率", ">="),  # pupils at public or inclusive private schools / pupils placed
}
SHARES = ("gross_enrolment", "public_share", "inclusive_share")   # indicators that are ratios, shown in per cent
MEETABLE = ("gross_enrolment", "places_per_10000")   # the indicators the planner can build to meet (planner.goals)


class Target(Strict):
    """One target of the plan, evaluated before and after it (``targets.csv``)."""

    indicator: Literal[tuple(INDICATORS)] = Field(description="what is measured: " + ", ".join(INDICATORS))
    level: Literal[LEVELS] = Field(description="the level it is measured for")
    threshold: float = Field(ge=0, allow_inf_nan=False,
                             description="the value to reach: at least it for gross_enrolment, public_share, inclusive_share, "
                                         "places_per_10000 and pupils_per_10000 (a ratio, e.g. 0.95; per 10,000 residents, e.g. "
                                         "180), at most it for the others; see capsim/targets.py for how each is measured")
    year: int = Field(ge=1950, le=2200, description="the year from which the target holds (every later year too)")
    region: str | None = Field(None, description="one region's id; empty: the whole area (all regions together)")
    name: str = Field("", description="a label for reports, e.g. '高中阶段毛入学率 95 %'")
    meet: bool = Field(False, description="true: the planner builds to meet it (gross_enrolment and places_per_10000 "
                       "only; each place it lacks in a year costs plan.shortfall_penalty, like a pupil without a "
                       "seat, and the plan's notes name the years it is missed); false: it is only measured")


class Scenario(Strict):
    """A validated, frozen scenario. Build it with :func:`capsim.load_scenario`."""

    name: str = Field(min_length=1, description="a label; the default output folder is out/NAME with NAME made safe "
                                                "as one folder name")
    title: str = Field("", description="a title for reports")
    base_year: int = Field(ge=1950, le=2100, description="year of the base population")
    end_year: int = Field(ge=1951, le=2200, description="last projected year, after base_year")
    data: DataFiles
    demography: Demography = Field(default_factory=Demography)
    uncertainty: Uncertainty = Field(default_factory=Uncertainty)
    housing: Housing = Field(default_factory=Housing)
    education: Education = Field(default_factory=Education)
    standards: Standards = Field(default_factory=Standards)
    plan: Plan = Field(default_factory=Plan)
    question: str = Field("", description="the question the scenario answers, shown first in the report")
    targets: tuple[Target, ...] = Field((), description="the plan's targets, one [[targets]] table each, "
                                                        "measured before and after the plan (targets.csv)")
    source: str = Field("", description="(set by capsim) the file the scenario was read from")

    @property
    def years(self) -> list[int]:
        return list(range(self.base_year, self.end_year + 1, self.demography.step))
