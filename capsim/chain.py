"""The whole chain: project -> assess -> plan -> assess after the plan, as one :class:`Results`."""

from __future__ import annotations

from capsim.results import Results
from capsim.scenario import without_plan


def run(scenario, progress: bool = False, evaluate: bool = False, inputs=None, projection=None,
        before=None) -> Results:
    """Forecast, assess, plan when the scenario has projects (else the plan is None), and
    assess the network after the plan. ``progress`` shows a bar over these steps; ``inputs``
    (:class:`capsim.data.Inputs`, e.g. what ``capsim.checks.validate`` read) spares the
    forecast reading its tables again; an assessment ``before`` (of a scenario that differs from
    this one at most in ``[plan]``, e.g. a sweep's) spares both stages: it holds the forecast it
    assessed (or give that as ``projection``)."""
    from tqdm.auto import tqdm

    from capsim.assessment import assess
    from capsim.planner import plan
    from capsim.planner.network import assess_after
    from capsim.projection import project

    if before is not None and without_plan(before.scenario) != without_plan(scenario):
        raise ValueError("The 'before' parameter of run must assess a scenario that differs from this one at most in "
                         "[plan]. Got the assessment of another forecast instead.")
    steps = 4 if scenario.data.projects else 2
    with tqdm(total=steps, desc="capsim run", unit="step", disable=not progress or None, leave=False) as bar:
        bar.set_postfix_str("forecast")
        projection = projection or (before.projection if before is not None else None) or \
            project(scenario, inputs, progress=progress)
        bar.update()
        bar.set_postfix_str("assess")
        before = before or assess(scenario, projection, schools=inputs.schools if inputs is not None else None)
        bar.update()
        if not scenario.data.projects:
            return Results(scenario, projection, before, None)
        bar.set_postfix_str("plan (solver)")
        planned = plan(scenario, projection, before, evaluate=evaluate, inputs=inputs)
        bar.update()
        bar.set_postfix_str("assess after the plan")
        after = assess_after(scenario, projection, planned, before.network)
        bar.update()
    return Results(scenario, projection, before, planned, after)
