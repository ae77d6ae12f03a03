"""Errors that name the place, the bad value and the fix.

Every check in capsim collects :class:`Problem` records instead of stopping at the first one,
then raises them together as one :class:`CapsimError` subclass. The CLI prints every problem and
exits with code 2; ``--debug`` adds the traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input.

    ``where`` is a file, optionally followed by a key path (``demography.step``) or a CSV row
    (``row 7``); ``value`` is the offending value as the user wrote it; ``fix`` says what to do.
    """

    where: str
    message: str
    value: object = None
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}"
        if self.value is not None:
            text += f" Got {self.value!r}."
        if self.fix:
            text += f" Fix: {self.fix}"
        return text


CELL_CHARS = 80


def clip(text: object, most: int = CELL_CHARS) -> object:
    """A cell's text as a message quotes it: cut to ``most`` characters, so a message shows the
    bad cell and never a whole file given where a table was expected (other values unchanged)."""
    if isinstance(text, str) and len(text) > most:
        return f"{text[:most - 1]}… ({len(text)} characters)"
    if isinstance(text, list) and len(text) > 12:
        return [clip(t) for t in text[:12]] + [f"… {len(text) - 12} more"]
    return [clip(t) for t in text] if isinstance(text, list) else text


class CapsimError(Exception):
    """Base class: carries one or more problems, all reported at once."""

    kind = "input"

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(where="capsim", message=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(self.report())

    def report(self) -> str:
        n = len(self.problems)
        head = f"{n} {self.kind} problem{'s' if n != 1 else ''}:"
        return "\n".join([head] + [f"  - {p}" for p in self.problems])


class ScenarioError(CapsimError):
    """A scenario file (or --use / --set) is wrong."""

    kind = "scenario"


class DataError(CapsimError):
    """A data table is missing, malformed or inconsistent with the scenario."""

    kind = "data"


class PlanError(CapsimError):
    """A planning input (projects, budgets) is wrong."""

    kind = "plan"


class OutputError(CapsimError):
    """An output folder capsim may not write into (it would destroy files capsim did not write)."""

    kind = "output"


class Problems:
    """Collects problems; ``raise_if_any`` raises them together as ``error_class``."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, where: str, message: str, value: object = None, fix: str = "") -> None:
        self.items.append(Problem(where, message, value, fix))

    def extend(self, problems: list[Problem]) -> None:
        self.items.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self, error_class: type[CapsimError]) -> None:
        if self.items:
            raise error_class(self.items)
