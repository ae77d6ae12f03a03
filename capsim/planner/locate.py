"""The one-year catchment problem on plain arrays: which sites open, which areas each serves.

A capacitated facility-location problem. Areas ``i`` have ``pupils[i]``; sites ``j`` have
``capacity[j]``, an ``opening_cost[j]`` (0 and ``existing[j]`` for schools already open) and
a ``seat_cost[j]`` per pupil; ``cost[i, j]`` is the travel cost per pupil, and pairs further
than ``max_cost`` are not allowed. With ``x[i, j]`` the share of area ``i`` sent to site ``j``
(binary under ``single`` assignment, as nearest-school zoning requires) and ``u[i]`` the share
left unserved at ``penalty`` per pupil::

    min   sum_j f_j y_j + sum_{i,j} (c_ij + g_j) a_i x_ij + sum_i penalty a_i u_i
    s.t.  sum_j x_ij + u_i = 1                  every pupil served or counted as unserved
          sum_i a_i x_ij <= cap_j y_j           capacity of open sites only
          x_ij <= y_j                           (the strong form: tightens the relaxation)
          y_j = 1 for existing sites; x_ij = 0 where c_ij > max_cost
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from capsim.planner.solve import Solution, solve


@dataclass(frozen=True)
class Location:
    open: np.ndarray        # (J,) bool
    share: np.ndarray       # (I, J) share of each area's pupils at each site
    unserved: np.ndarray    # (I,) pupils no open site within reach could take
    cost: float
    solution: Solution


def locate(pupils, capacity, opening_cost, cost, *, single: bool = True, seat_cost=None, existing=None,
           max_cost: float = np.inf, penalty: float | None = None, solver: str = "highs",
           time_limit: float = 60.0, gap: float = 1e-6) -> Location:
    """Solve the catchment problem (see module docstring); arrays in, arrays out."""
    a = np.asarray(pupils, dtype=float)
    cap = np.asarray(capacity, dtype=float)
    f = np.asarray(opening_cost, dtype=float)
    c = np.asarray(cost, dtype=float)
    I, J = c.shape
    g = np.zeros(J) if seat_cost is None else np.asarray(seat_cost, dtype=float)
    existing = np.zeros(J, dtype=bool) if existing is None else np.asarray(existing, dtype=bool)
    penalty = penalty if penalty is not None else 10 * (np.nanmax(np.where(np.isfinite(c), c, 0)) + g.max() +
                                                       f.max() / max(a.min(initial=1), 1) + 1)
    allowed = np.isfinite(c) & (c <= max_cost)
    nx = I * J
    n = J + nx + I                                         # y, x (row-major i, j), u
    travel = (np.where(allowed, c, 0.0) + g[None, :]) * a[:, None]
    obj = np.concatenate([np.where(existing, 0.0, f), travel.reshape(-1), penalty * a])
    lb = np.zeros(n)
    lb[:J] = existing
    ub = np.ones(n)
    ub[J:J + nx] = allowed.reshape(-1)
    integer = np.zeros(n, dtype=bool)
    integer[:J] = True
    integer[J:J + nx] = single
    families = _families(a, cap, I, J, n)
    sol = solve(obj, families, lb, ub, integer, solver=solver, time_limit=time_limit, gap=gap)
    return _location(sol, I, J, a)


def _families(a, cap, I, J, n):
    ii, jj = np.meshgrid(np.arange(I), np.arange(J), indexing="ij")
    x = J + (ii * J + jj).reshape(-1)
    serve = sp.csr_matrix((np.ones(I * J + I), (np.concatenate([ii.reshape(-1), np.arange(I)]),
                                                np.concatenate([x, J + I * J + np.arange(I)]))), shape=(I, n))
    load = sp.csr_matrix((np.concatenate([np.repeat(a, J), -cap]),
                          (np.concatenate([jj.reshape(-1), np.arange(J)]), np.concatenate([x, np.arange(J)]))),
                         shape=(J, n))
    strong = sp.csr_matrix((np.concatenate([np.ones(I * J), -np.ones(I * J)]),
                            (np.tile(np.arange(I * J), 2), np.concatenate([x, jj.reshape(-1)]))), shape=(I * J, n))
    return [("serve", serve, ">=", np.ones(I)), ("serve_at_most", serve, "<=", np.ones(I)),
            ("capacity", load, "<=", np.zeros(J)), ("open_to_serve", strong, "<=", np.zeros(I * J))]


def _location(sol: Solution, I, J, a) -> Location:
    v = sol.values
    if not np.isfinite(v).all():
        return Location(np.zeros(J, bool), np.zeros((I, J)), a.copy(), np.nan, sol)
    share = v[J:J + I * J].reshape(I, J)
    return Location(v[:J] > 0.5, share, v[J + I * J:] * a, sol.objective, sol)
