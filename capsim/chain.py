"""The whole chain: project -> assess -> plan, as one immutable result."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd


@dataclass(frozen=True)
class Results:
    """What ``capsim.run`` returns; every table is a tidy DataFrame."""

    scenario: object
    projection: object
    assessment_before: object
    plan: object | None
    assessment_after: object | None = None   # the network after the plan

    @property
    def students(self) -> pd.DataFrame:
        return self.projection.students

    @property
    def assessment(self) -> pd.DataFrame:
        return self.assessment_before.regions

    @property
    def assessment_planned(self) -> pd.DataFrame:
        """The region table of the assessment after the plan (empty without a plan)."""
        return self.assessment_after.regions if self.assessment_after is not None else pd.DataFrame()

    @property
    def schedule(self) -> pd.DataFrame:
        return self.plan.schedule if self.plan is not None else pd.DataFrame()

    @property
    def seats_after(self) -> pd.DataFrame:
        """Per year, region and level: students, lawful seats before, seats added, rented, shortfall."""
        return self.plan.seats if self.plan is not None else pd.DataFrame()

    @property
    def shortfalls(self) -> pd.DataFrame:
        return self.plan.shortfalls if self.plan is not None else pd.DataFrame()

    @cached_property
    def targets(self) -> pd.DataFrame:
        """The scenario's targets measured before and after the plan (:mod:`capsim.targets`):
        target, indicator, stage, region, level, year, value, threshold, met; empty without targets."""
        from capsim.targets import COLUMNS, evaluate, residents_table

        if not self.scenario.targets:
            return pd.DataFrame(columns=COLUMNS)
        stages = {"before": self.assessment, "after": self.assessment_planned if self.plan is not None else None}
        return evaluate(self.scenario, residents_table(self.projection, self.scenario.standards.quantile), stages)

    @cached_property
    def ledger(self) -> pd.DataFrame:
        """The ledger (台账) of oversized classes and schools in the base year and the year the
        plan clears each (:mod:`capsim.ledger`); empty without a school list."""
        from capsim.ledger import ledger

        return ledger(self)

    @property
    def oversized_where_covered(self) -> pd.DataFrame:
        """Rows of the assessment after the plan (plan years) with oversized classes although the
        plan names no shortfall in that year, region and level. Empty when pupils above a school's
        lawful seats are dispersed (``standards.disperse``); without dispersal a region's seats
        can cover its pupils while some of its schools are full."""
        after = self.assessment_planned
        if self.plan is None or after.empty:
            return pd.DataFrame()
        short = self.shortfalls[["year", "region", "level"]].drop_duplicates().assign(short=True)
        rows = after[after.year.isin(self.seats_after.year.unique())].merge(short, how="left")
        return rows[rows.short.isna() & (rows.oversized_classes > 0)].drop(columns="short")


def run(scenario, progress: bool = False, evaluate: bool = False, inputs=None, projection=None,
        before=None) -> Results:
    """Forecast, assess, plan when the scenario has projects (else the plan is None), and
    assess the network after the plan. ``progress`` shows a bar over these steps; ``inputs``
    (:class:`capsim.data.Inputs`, e.g. what ``capsim.checks.validate`` read) spares the
    forecast reading its tables again; a ``projection`` and its assessment ``before`` (of a
    scenario that differs from this one at most in ``[plan]``, e.g. a sweep's) spare both stages."""
    from tqdm.auto import tqdm

    from capsim.assessment import assess
    from capsim.planner import plan
    from capsim.planner.network import assess_after
    from capsim.projection import project

    steps = 4 if scenario.data.projects else 2
    with tqdm(total=steps, desc="capsim run", unit="step", disable=not progress or None, leave=False) as bar:
        bar.set_postfix_str("forecast")
        projection = projection or project(scenario, inputs, progress=progress)
        bar.update()
        bar.set_postfix_str("assess")
        before = before or assess(scenario, projection, schools=inputs.schools if inputs is not None else None)
        bar.update()
        if not scenario.data.projects:
            return Results(scenario, projection, before, None)
        bar.set_postfix_str("plan (solver)")
        planned = plan(scenario, projection, before, evaluate=evaluate)
        bar.update()
        bar.set_postfix_str("assess after the plan")
        after = assess_after(scenario, projection, planned, before.network)
        bar.update()
    return Results(scenario, projection, before, planned, after)
