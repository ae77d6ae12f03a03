"""The whole chain: project -> assess -> plan, as one immutable result."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Results:
    """What ``capsim.run`` returns; every table is a tidy DataFrame."""

    scenario: object
    projection: object
    assessment_before: object
    plan: object | None

    @property
    def students(self) -> pd.DataFrame:
        return self.projection.students

    @property
    def assessment(self) -> pd.DataFrame:
        return self.assessment_before.regions

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


def run(scenario, progress: bool = False, evaluate: bool = False) -> Results:
    """Forecast, assess, and plan when the scenario has projects (else the plan is None)."""
    from capsim.assessment import assess
    from capsim.planner import plan
    from capsim.projection import project

    projection = project(scenario, progress=progress)
    before = assess(scenario, projection)
    planned = plan(scenario, projection, before, evaluate=evaluate) if scenario.data.projects else None
    return Results(scenario, projection, before, planned)
