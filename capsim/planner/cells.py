"""The capacity cells of the region level: what "seats cover pupils" is counted over.

With a school list, classes are fixed per grade (:mod:`capsim.assessment`), so a region has no
oversized class in year ``t`` only if every level ``l`` and grade ``g`` has::

    pupils[r, l, g, t] <= lawful[r, l, g, t] + sum_p seats[p, l, g] open[p, t]

``lawful`` is the region's open schools' classes of the grade x the grade's standard class
``s_g``, within each school's maximum size; a project adds its classes of the grade
(:func:`capsim.planner.network.classes_by_grade`) at the standard::

    seats[p, l, g] = classes[p, l, g] s_g min(1, M_p / sum_l seats_p,l)

(``M_p`` the maximum size of a new school's type; an expansion keeps its school within its
maximum through the school_size family, so it counts in full). With ``standards.disperse``
(the default) pupils above a school's lawful seats move to schools of the region with room, so
a region covered grade by grade has no oversized class and no oversized school; without it
each school keeps its share of the pupils, and a covered region can still have full schools
beside empty ones. A cell is one (level, grade); without a school list (region seats from
``data.capacity``) a cell is a whole level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from capsim import capacity


@dataclass(frozen=True)
class Cells:
    level: np.ndarray     # (K,) index of each cell's level
    grade: np.ndarray     # (K,) each cell's grade (1..G); 0 where the cell is a whole level
    demand: np.ndarray    # (R, K, Y) pupils to seat
    lawful: np.ndarray    # (R, K, Y) lawful seats without the plan
    seats: np.ndarray     # (P, K) lawful seats each project adds

    @property
    def by_grade(self) -> bool:
        return bool((self.grade > 0).any())

    def index(self, level, grade) -> np.ndarray:
        """The cell of each (level index, grade) pair: its grade's, or its level's where cells are
        whole levels; -1 where there is none."""
        grade = np.asarray(grade) if self.by_grade else np.zeros(len(level), dtype=int)
        cells = pd.MultiIndex.from_arrays([self.level, self.grade])
        return cells.get_indexer(pd.MultiIndex.from_arrays([level, grade]))

    def by_level(self, values: np.ndarray, n_levels: int) -> np.ndarray:
        """Sum ``values`` (R, K, ...) over the cells of each level: (R, L, ...)."""
        out = np.zeros((values.shape[0], n_levels) + values.shape[2:])
        np.add.at(out, (slice(None), self.level), values)
        return out


def whole_levels(demand, lawful, projects) -> Cells:
    """One cell per level: region seats cover the level's pupils."""
    L = demand.shape[1]
    return Cells(np.arange(L), np.zeros(L, dtype=int), demand, lawful, projects.seats)


def by_grade(scenario, region_grades: pd.DataFrame, regions, levels, years, projects) -> Cells:
    """One cell per level and grade, from the assessment's ``region_grades`` table."""
    from capsim.enrolment import grades_by_level

    grades = grades_by_level(scenario)
    level = np.concatenate([np.full(grades[lv], i) for i, lv in enumerate(levels)])
    grade = np.concatenate([np.arange(1, grades[lv] + 1) for lv in levels])
    shape = (len(regions), len(level), len(years))
    cells = Cells(level, grade, np.zeros(shape), np.zeros(shape), project_seats(scenario, projects, levels))
    t = region_grades[region_grades.year.isin(years) & region_grades.level.isin(levels)]
    idx = (pd.Index(regions).get_indexer(t.region), cells.index(pd.Index(levels).get_indexer(t.level), t.grade),
           np.searchsorted(years, t.year))
    cells.demand[idx] = t.students.to_numpy()
    cells.lawful[idx] = t.lawful_seats.to_numpy()
    return cells


def project_seats(scenario, projects, levels) -> np.ndarray:
    """(P, K) lawful seats each project adds to each (level, grade) cell (module docstring)."""
    from capsim.enrolment import grades_by_level
    from capsim.planner.network import classes_by_grade, within_size_cap

    grades = grades_by_level(scenario)
    classes = classes_by_grade(scenario, projects)
    within = within_size_cap(scenario, projects)
    parts = []
    for lv in levels:
        std = capacity.grade_standards(scenario.standards.class_size[lv], grades[lv])
        parts.append(classes[lv] * std[None, :] * within[:, None])
    return np.concatenate(parts, axis=1)
