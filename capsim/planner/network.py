"""The network after a plan: the chosen projects added to the schools (or region seats).

A new school or temporary block becomes a school row, open from its opening year (until
``opening + duration`` for temporary classrooms), with the project's seats and
``round(seats_l / standard_l)`` classrooms per level ``l`` (``standard_l`` the level's mean
standard class), spread evenly over the level's grades, the remainder to the lowest grades
(:func:`classes_by_grade`); an expansion adds its classrooms of each level, spread alike, and
its seats to its school from the opening year on. Without a school list, the seats added and
rented per region, level and year are added to the region seats. The assessment of this
network is the plan's "after" picture.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from capsim.school_data import Capacity, Expansion, Schools


def planned_schools(scenario, schools: Schools, projects, opening) -> Schools:
    """``schools`` with the projects opening in ``opening`` (P,) (NaN: not built) added."""
    chosen = np.flatnonzero(np.isfinite(opening))
    is_expansion = projects.kind[chosen] == "expansion"
    expansions = tuple(
        Expansion(int(projects.school[i]), float(opening[i]), float(opening[i] + projects.duration[i]),
                  _classrooms_by_level(scenario, projects, i),
                  {lv: float(n) for lv, n in zip(projects.levels, projects.seats[i]) if n > 0})
        for i in chosen[is_expansion])
    new = chosen[~is_expansion]
    if not len(new):
        return replace(schools, expansions=schools.expansions + expansions)
    caps = scenario.standards.max_school_size
    n = len(new)
    per_grade = classes_by_grade(scenario, projects)
    return replace(
        schools,
        ids=schools.ids + tuple(projects.ids[i] for i in new),
        names=schools.names + tuple(projects.names[i] for i in new),
        region=np.concatenate([schools.region, projects.region[new]]),
        type=np.concatenate([schools.type, projects.type[new]]),
        classes=np.concatenate([schools.classes, [sum(_classrooms_by_level(scenario, projects, i).values())
                                                  for i in new]]),
        seats=np.concatenate([schools.seats, projects.seats[new].sum(axis=1)]),
        opened=np.concatenate([schools.opened, opening[new]]),
        closed=np.concatenate([schools.closed, opening[new] + projects.duration[new]]),
        max_students=np.concatenate([schools.max_students, [caps.get(t, np.inf) for t in projects.type[new]]]),
        base_students={lv: np.vstack([a, np.full((n, a.shape[1]), np.nan)]) for lv, a in schools.base_students.items()},
        base_classes={lv: np.vstack([a, _new_rows(per_grade, lv, new, a.shape[1])])
                      for lv, a in schools.base_classes.items()},
        expansions=schools.expansions + expansions,
    )


def planned_capacity(capacity: Capacity, seats_frame, regions, years) -> Capacity:
    """Region seats plus the plan's seats added and rented (``PlanResult.seats``)."""
    out = {}
    for level, seats in capacity.seats.items():
        part = seats_frame[seats_frame.level == level]
        added = np.zeros_like(seats)
        rows = np.searchsorted(years, part.year), pd.Index(regions).get_indexer(part.region)
        added[rows] = (part.seats_added + part.rented).to_numpy()
        out[level] = seats + added
    return Capacity(out)


def _classrooms_by_level(scenario, projects, i) -> dict:
    """Classrooms of project ``i`` per level: its seats of the level over the level's mean standard class."""
    sizes = scenario.standards.class_size
    return {level: int(round(seats / float(np.mean(sizes[level]))))
            for level, seats in zip(projects.levels, projects.seats[i]) if seats > 0}


def classes_by_grade(scenario, projects) -> dict:
    """Level -> (P, G) classes each project adds to each grade of the level: ``c = round(seats_l /
    standard_l)`` classrooms, ``c // G`` to every grade and one more to the lowest ``c mod G``."""
    from capsim.enrolment import grades_by_level

    grades = grades_by_level(scenario)
    out = {}
    for j, level in enumerate(projects.levels):
        G = grades[level]
        rooms = np.rint(projects.seats[:, j] / float(np.mean(scenario.standards.class_size[level]))).astype(int)
        per, extra = np.divmod(rooms, G)
        out[level] = (per[:, None] + (np.arange(G)[None, :] < extra[:, None])).astype(float)
    return out


def _new_rows(per_grade, level, new, G):
    """Base classes of the new schools ``new``: the project's classes of ``level`` (none where it
    adds no seats of the level, even if its type teaches it)."""
    return per_grade[level][new] if level in per_grade else np.zeros((len(new), G))


def assess_after(scenario, projection, result):
    """The assessment of the network after the plan ``result`` (a PlanResult)."""
    from capsim.assessment import assess
    from capsim.enrolment import level_specs
    from capsim.school_data import read_capacity, read_schools

    regions = list(projection.population.region.unique())
    levels = {lv.name: lv for lv in level_specs(scenario)}
    schools = read_schools(scenario, regions, {k: v.grades for k, v in levels.items()})
    if schools is not None:
        return assess(scenario, projection, schools=planned_schools(scenario, schools, result.projects, result.opening))
    years = sorted(projection.students.year.unique())
    capacity = read_capacity(scenario, regions, levels, years)
    return assess(scenario, projection, capacity=planned_capacity(capacity, result.seats, regions, years))
