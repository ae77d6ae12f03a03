"""What the families of the planning MILP share, below every module that builds them.

:mod:`capsim.planner.model` builds the model from the families of :mod:`~capsim.planner.catchment`,
:mod:`~capsim.planner.classes` and :mod:`~capsim.planner.entrants`; those need the same few
pieces of the model in return: a family from its non-zeros (:func:`family`), the years each
opening variable stands (:func:`standing`), the seats a project adds to each cell of need
(:func:`cell_seats`), the pools of classrooms (:class:`Pools`) and the classes' bounds carried
along each cohort (:func:`along_cohorts`). They live here so that the
modules import them from below instead of from each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class Pools:
    """Zones as pools of classrooms: each school's and project's pool, each pool's region and zone."""

    region: np.ndarray        # (Z,) region index of each pool
    zone: tuple               # (Z,) zone name
    school_ids: tuple         # (S,) the schools
    school: np.ndarray        # (S,) pool of each school
    project: np.ndarray       # (P,) pool of each project


def along_cohorts(lower, upper, up) -> tuple[np.ndarray, np.ndarray]:
    """Bounds (pools, K, Y) of the classes of each cohort, carried up along it: a cohort's lower
    and upper bounds in a year are at least its own a year before, one grade down (``up``: (K,)
    the cell one grade up, -1 from the last); the upper bound is at least the lower."""
    lower, upper = lower.copy(), upper.copy()
    has = up >= 0
    for t in range(1, lower.shape[2]):             # along each cohort, from its first plan year
        lower[:, up[has], t] = np.maximum(lower[:, up[has], t], lower[:, has, t - 1])
        upper[:, up[has], t] = np.maximum(upper[:, up[has], t], upper[:, has, t - 1])
    return lower, np.maximum(upper, lower)


def sum_into(values: np.ndarray, index: np.ndarray, n: int) -> np.ndarray:
    """``values`` (J, ...) summed by ``index`` (J,) into ``n`` groups: (n, ...) (pools or sites into
    regions)."""
    out = np.zeros((n,) + values.shape[1:])
    np.add.at(out, index, values)
    return out


def family(name, rows, cols, data, n_rows, n, sense, rhs):
    """The family ``(name, A, sense, rhs)`` with ``A`` the ``n_rows`` x ``n`` sparse matrix of the
    non-zeros ``data`` at (``rows``, ``cols``)."""
    A = sp.csr_matrix((np.asarray(data, dtype=float), (np.asarray(rows), np.asarray(cols))), shape=(n_rows, n))
    return name, A, sense, np.asarray(rhs, dtype=float)


def standing(m):
    """(variable, project, year index) for every year each opening variable's seats stand in the
    model ``m`` (:class:`capsim.planner.model.Model`): ``x[p, y]`` stands in the years
    ``y <= t < y + duration_p``."""
    p, years = m.inputs.projects, m.inputs.years
    pp, yy = np.nonzero(m.x_index >= 0)
    stands = (years[None, :] >= years[yy][:, None]) & (years[None, :] < years[yy][:, None] + p.duration[pp][:, None])
    k, t = np.nonzero(stands)
    return m.x_index[pp[k], yy[k]], pp[k], t


def cell_seats(inputs) -> np.ndarray:
    """(P, L) seats each project adds to each capacity cell (:mod:`capsim.planner.cells`) of the
    plan ``inputs`` (:class:`capsim.planner.model.PlanInputs`); with cohorts, its classrooms of
    the cell's level at the cell's standard class."""
    c = inputs.cohorts
    if c is not None:
        return c.project_rooms[:, c.cell_level] * c.std[None, :]
    return inputs.projects.seats if inputs.cell_seats is None else inputs.cell_seats
