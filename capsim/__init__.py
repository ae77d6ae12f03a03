"""capsim: plan school places from a cohort forecast, a capacity assessment and an optimiser."""

from capsim.demography import project_population
from capsim.errors import CapsimError, DataError, PlanError, ScenarioError

__all__ = ["project_population", "CapsimError", "DataError", "PlanError", "ScenarioError"]
__version__ = "0.1.0"
