"""capsim: plan school places from a cohort forecast, a capacity assessment and an optimiser.

The stages are pure functions: ``load_scenario`` -> ``read_inputs`` -> ``project``; the
numeric core ``project_population`` works on plain arrays. Names are imported on first use,
so ``capsim --help`` starts without loading numpy or pandas.
"""

from importlib import import_module

_EXPORTS = {
    "load_scenario": "capsim.scenario",
    "validate": "capsim.checks",
    "read_inputs": "capsim.data",
    "Inputs": "capsim.data",
    "project": "capsim.projection",
    "Projection": "capsim.projection",
    "project_population": "capsim.demography",
    "PopulationProjection": "capsim.demography",
    "write_results": "capsim.outputs",
    "assess": "capsim.assessment",
    "Assessment": "capsim.assessment",
    "class_split": "capsim.capacity",
    "plan": "capsim.planner",
    "locate": "capsim.planner.locate",
    "run": "capsim.chain",
    "Results": "capsim.results",
    "read_results": "capsim.results",
    "backtest": "capsim.backtests",
    "report": "capsim.reports",
    "sweep": "capsim.sweeps",
    "compare_plans": "capsim.robust",
    "project_province": "capsim.province",
    "SyntheticProvince": "capsim.province",
    "CapsimError": "capsim.errors",
    "ScenarioError": "capsim.errors",
    "DataError": "capsim.errors",
    "PlanError": "capsim.errors",
}
__all__ = sorted([*_EXPORTS, "plot"])
__version__ = "0.1.0"


def __getattr__(name):
    if name == "plot":  # the plotting API is a module: capsim.plot.seat_gap(res, ax=...)
        return import_module("capsim.plot")
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'capsim' has no attribute {name!r}")


def __dir__():
    return __all__
