"""The region-level planning MILP, built as whole arrays: one constraint family per function.

Variables (``Y`` planning years, ``t``/``y``/``s`` years)::

    x[p, y] in {0, 1}   project p opens in year y (only y in its window; committed: y fixed, x = 1)
    rent[r, l, t] >= 0  seats rented for a year (only with plan.rent_cost)
    short[r, l, t] >= 0 seats missing: allowed, at plan.shortfall_penalty each per year
    empty[r, l, t] >= 0 classrooms standing empty (only with plan.empty_room_cost and cohorts)

Objective (``d(s) = (1 + rate)^-(s - first_year)``; a project's cost is spent evenly over the
``b`` years before it opens; a committed project's spending before the first planning year is
sunk, any other project's falls in the first year, see :func:`spending`; the planner lets no
uncommitted project open before ``first_year + b``, so that case only arises for inputs built
by hand)::

    min  sum_{p,y} x[p,y] (sum_{s=y-b}^{y-1} d(s) cost_p / b - salvage[p, y])
       + sum rent_cost d(t) rent[r,l,t] + sum penalty d(t) short[r,l,t]
       + sum empty_room_cost d(t) empty[r,l,t]

The shortfall penalty is discounted like every other cost, so a seat-year short later weighs
what the money to avoid it would then weigh.

Salvage (``plan.salvage``, off by default; :func:`salvage`): a project still standing after the
last plan year ``T`` is credited with the share of its life left then, valued at the end of the
plan: ``salvage[p, y] = cost_p d(T + 1) max(0, life_p - (T + 1 - y)) / life_p``, ``life_p`` its
duration (temporary classrooms) or ``plan.asset_life`` (a permanent building). Without it a
permanent school opened late in the plan weighs its whole cost against a few years of use.

Closures (``plan.closures``, off by default; :func:`capsim.planner.classes.define_stay_closed`):
with cohorts, or at the catchment level in whole classes (each school its own site,
:mod:`capsim.planner.catchment`), ``shut[s, t] in {0, 1}`` closes listed school ``s`` from year
``t`` for good (not in the first plan year); its classrooms leave its pool's (its site's). It saves ``school_running_cost d(t)``
each year closed that it would otherwise stand and costs ``closure_cost`` once, discounted to
the year it closes (the term ``closure_cost (d(t) - d(t + 1)) shut[s, t]`` summed over ``t``);
a new school pays ``school_running_cost d(t)`` each year it stands. Neither counts against the
budgets. With ``plan.max_displacement_km`` or a named receiver (``merge_into``) a school closes,
or converts whole, only while a school of its levels stays open within reach
(:mod:`capsim.planner.reach`).

Mothballing (``plan.mothball_cost``, off by default; :func:`capsim.planner.classes.define_reopening`):
with cohorts, ``mb[r, l, t] >= 0`` classrooms of a pool and level are taken out of use in year
``t`` (not the first plan year): they hold no class and are not counted empty, and cost
``mothball_cost d(t)`` each instead of ``empty_room_cost``; reopening them costs ``reopen_cost``
each, once (``reopen[r, l, t] >= mb[r, l, t - 1] - mb[r, l, t]``).

Conversions (``plan.conversions``, none by default; :func:`capsim.planner.classes.define_stay_converted`,
:func:`capsim.planner.classes.define_one_fate`): ``conv[v, t] in {0, 1}`` converts listed school
``v`` whole into a school of another level from year ``t`` for good (not in the first plan year):
its classrooms leave its level's pool and ``gain[v, t]`` join the new level's. By classroom
(``unit = "classroom"``), ``conv[v, t] in {0, ..., most[v]}`` counts the classrooms converted by
``t``, never fewer later, each leaving its level and joining the new one. The refit costs
``spend[v, t] = rooms[v, t] cost_per_room`` a unit (``rooms`` a whole school's classrooms, or
1) once, in the year the unit converts, discounted (``spend[v, t] d(t) - spend[v, t + 1] d(t +
1)`` on ``conv[v, t]``), and counts in that year's and the total budget. A school is closed,
converted whole or converted by classroom within its classrooms; a converted school keeps its
running cost.

Targets the plan must meet (a target's ``meet``, none by default; :mod:`capsim.planner.goals`):
``sat[g, r, t]`` places of a region counted toward target ``g`` and ``miss[g, t] >= 0`` what it
lacks, at ``penalty d(t)`` a place, like a pupil without a seat.

Empty classrooms (``plan.empty_room_cost``, off by default; :func:`define_empty_rooms`): with
cohorts, each classroom of a pool and level standing (existing or added by a project) without a
class in a year costs ``empty_room_cost`` that year, so that a room built for a short peak is
weighed against the years it will stand empty after it.

With ``cohorts`` (:mod:`capsim.planner.classes`, the default with a school list) the capacity
family is replaced by the cohort-class families: ``l`` counts (level, grade) cells, each
cohort's whole classes ``K`` are variables too, ``rent`` counts classrooms per region, level
and year (at ``rent_cost`` x the level's mean standard class a year), and ``short`` counts the
pupils no class takes.

With ``need`` of shape ``(R, L, Y, S)`` the model is a two-stage stochastic program over ``S``
equally likely samples of demand (e.g. forecast draws): the openings ``x`` are shared,
``rent`` and ``short`` get the sample axis, the capacity and budget families hold in every
sample, and the objective counts their expected cost (each sample weighs ``1/S``). The class
model does the same by repeating its pools once per sample
(:func:`capsim.planner.classes.sampled`): openings, closures and conversions shared, each
sample's classes, shortfall, rent, empty and mothballed rooms its own, each weighing ``1/S``.

Each ``define_*`` returns one family ``(name, A, sense, rhs)`` with ``A`` a sparse matrix over
all variables; the solver back ends only read these arrays. :mod:`capsim.planner.variables`
hands the solver the same model over step variables ("open by year t") by a change of variables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from capsim.planner import catchment, classes, entrants, goals as goal_rows, reach
from capsim.planner.common import cell_seats, family as _rows, standing as _standing
from capsim.planner.projects import Projects


@dataclass(frozen=True)
class PlanInputs:
    years: np.ndarray            # (Y,) planning years
    need: np.ndarray             # (R, L, Y) seats needed beyond the lawful seats that exist, or
                                 # (R, L, Y, S) in S equally likely samples (stochastic program);
                                 # L counts capacity cells: levels, or (level, grade) pairs
    projects: Projects
    school_room: dict = field(default_factory=dict)  # school index -> seats it may still add
    budget_yearly: np.ndarray | None = None          # (Y,) yuan, NaN for no limit
    budget_total: float | None = None
    discount_rate: float = 0.0
    penalty: float = 1e6
    rent_cost: float | None = None
    break_symmetry: bool = False       # order interchangeable candidates (define_symmetry)
    catchment: catchment.Catchment | None = None   # areas assigned to sites (the catchment level)
    cell_seats: np.ndarray | None = None  # (P, L) lawful seats each project adds to each cell of need
                                          # (None: cells are levels, projects.seats)
    cohorts: classes.Cohorts | None = None   # the cohort-class model (need's cells are (level, grade))
    asset_life: float | None = None    # salvage: years a permanent project lasts (None: no salvage)
    empty_room_cost: float | None = None   # yuan an empty classroom costs a year (cohorts only; None: free)
    mothball_cost: float | None = None     # yuan a mothballed classroom costs a year (cohorts only; None: no mothballing)
    reopen_cost: float = 0.0               # yuan to reopen a mothballed classroom
    school_running_cost: float | None = None   # yuan a year an open school costs (in classes only; None: nothing)
    closure_cost: float = 0.0          # yuan, once, to close a school (with closable schools)
    goals: goal_rows.Goals | None = None   # targets the plan must meet (capsim.planner.goals)


@dataclass
class Model:
    """The MILP in matrix form: min c x subject to the families, lb <= x <= ub, integrality."""

    inputs: PlanInputs
    x_index: np.ndarray          # (P, Y) variable number, -1 where the project cannot open
    rent_index: np.ndarray | None   # shaped like need
    short_index: np.ndarray      # shaped like need: (R, L, Y) or (R, L, Y, S)
    n: int
    c: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    integer: np.ndarray
    families: list               # (name, A csr, sense '<=' / '>=', rhs)
    assignment: catchment.Assignment | None = None    # the catchment level's variables
    k_index: np.ndarray | None = None   # (R, K, Y) classes of the cohort in each cell and year (the class model)
    empty_index: np.ndarray | None = None   # (R, L, Y) empty classrooms (the class model, with empty_room_cost)
    share_index: np.ndarray | None = None   # (Z, L, J) share of each cohort seated at each school (school granularity)
    unseated_index: np.ndarray | None = None   # (R, L, J) share of each cohort no school can take
    shut_index: np.ndarray | None = None   # (C, Y) school c closed by year t (the class model, with plan.closures)
    convert_index: np.ndarray | None = None   # (V, Y) conversion v made by year t (the class model, plan.conversions)
    mothball_index: np.ndarray | None = None  # (R, L, Y) classrooms mothballed (the class model, plan.mothball_cost)
    reopen_index: np.ndarray | None = None    # (R, L, Y) mothballed classrooms reopened in year t
    goal_sat_index: np.ndarray | None = None  # (K,) places counted toward a target (capsim.planner.goals)
    goal_miss_index: np.ndarray | None = None  # (J,) what a target lacks in a year


def build(inputs: PlanInputs) -> Model:
    """Number the variables, then build the objective, bounds and every constraint family."""
    p, years = inputs.projects, inputs.years
    allowed = _windows(p, years)
    x_index = np.full(allowed.shape, -1)
    x_index[allowed] = np.arange(allowed.sum())
    n = int(allowed.sum())
    cells = inputs.need.size
    rent_index = None
    if inputs.rent_cost:
        shape = inputs.need.shape if inputs.cohorts is None else inputs.cohorts.rooms.shape
        rent_index = n + np.arange(int(np.prod(shape))).reshape(shape)
        n += rent_index.size
    short_index = n + np.arange(cells).reshape(inputs.need.shape)
    n += cells
    k_index = None
    if inputs.cohorts is not None:
        if inputs.need.ndim == 4 or inputs.catchment is not None:
            raise ValueError("the class model plans samples of demand as copies of its pools (classes.sampled)")
        k_index = classes.number(inputs.cohorts, n)
        n += k_index.size
    share_index = unseated_index = None
    if inputs.cohorts is not None and inputs.cohorts.entrants is not None:
        share_index, unseated_index, n = entrants.number(inputs.cohorts.entrants, n)
    empty_index = None
    if inputs.empty_room_cost:
        if inputs.cohorts is None:
            raise ValueError("empty classrooms are counted by the class model only")
        empty_index = n + np.arange(inputs.cohorts.rooms.size).reshape(inputs.cohorts.rooms.shape)
        n += empty_index.size
    shut_index = None
    closing = closable(inputs)
    if closing is not None:
        shut_index = n + np.arange(len(closing.closable) * len(years)).reshape(-1, len(years))
        n += shut_index.size
    convert_index = None
    converting = conversions(inputs)
    if converting is not None:
        convert_index = n + np.arange(len(converting.school) * len(years)).reshape(-1, len(years))
        n += convert_index.size
    mothball_index = reopen_index = None
    if inputs.mothball_cost is not None and inputs.cohorts is not None:
        shape = inputs.cohorts.rooms.shape
        mothball_index = n + np.arange(inputs.cohorts.rooms.size).reshape(shape)
        reopen_index = mothball_index + inputs.cohorts.rooms.size
        n += 2 * inputs.cohorts.rooms.size
    goal_sat = goal_miss = None
    if inputs.goals is not None:
        goal_sat, goal_miss, n = goal_rows.number(inputs.goals, n)
    assignment = None
    if inputs.catchment is not None:
        if samples(inputs) > 1:
            raise ValueError("the catchment level plans for one demand path, not samples of it")
        assignment = catchment.number(inputs.catchment, cell_seats(inputs), x_index, n, years)
        n += catchment.n_variables(assignment)
    m = Model(inputs, x_index, rent_index, short_index, n, np.zeros(n), np.zeros(n), np.full(n, np.inf),
              np.zeros(n, dtype=bool), [], assignment, k_index, empty_index, share_index, unseated_index, shut_index,
              convert_index, mothball_index, reopen_index, goal_sat, goal_miss)
    m.integer[: allowed.sum()] = True
    m.ub[: allowed.sum()] = 1.0
    committed = np.isfinite(p.committed)
    m.lb[x_index[committed[:, None] & allowed]] = 1.0
    if assignment is not None:
        m.ub[assignment.w_index] = 1.0
        if assignment.z_index is not None:
            m.integer[assignment.z_index] = True
            m.ub[assignment.z_index] = 1.0
        if assignment.u_index is not None:
            m.ub[assignment.u_index] = 1.0
        if assignment.k_index is not None:
            m.integer[assignment.k_index] = True
            m.lb[assignment.k_index], m.ub[assignment.k_index] = catchment.site_class_bounds(inputs.catchment)
    if k_index is not None:
        m.integer[k_index] = True
        m.lb[k_index], m.ub[k_index] = classes.bounds(inputs.cohorts, rent_index is not None)
    if mothball_index is not None:
        m.integer[mothball_index] = True
        m.ub[mothball_index[:, :, 0]] = 0.0          # the first plan year is under way
    _bound_decisions(m)
    if goal_sat is not None:
        m.ub[goal_sat] = inputs.goals.cap
    if share_index is not None:
        e = inputs.cohorts.entrants
        ok, uk = share_index >= 0, unseated_index >= 0
        m.lb[share_index[ok]], m.ub[share_index[ok]] = e.lower[ok], e.upper[ok]
        m.ub[unseated_index[uk]] = e.unseated_upper[uk]
    _objective(m)
    for family in _families(m):
        if family is not None and family[1].shape[0]:
            m.families.append(family)
    return m


def closable(inputs: PlanInputs):
    """What holds the schools the plan may close (``closable``, ``closable_pool``, ``closable_rooms``,
    ``closable_from``, ``closable_into``): the class model's pools
    (:class:`~capsim.planner.classes.Cohorts`) or, at the catchment level, its sites
    (:class:`~capsim.planner.catchment.Catchment`); None without any."""
    for part in (inputs.cohorts, inputs.catchment):
        if part is not None and part.closable is not None and len(part.closable):
            return part
    return None


def conversions(inputs: PlanInputs):
    """The conversions the plan may choose (:class:`~capsim.planner.classes.Conversions`): the
    class model's, their pools regions or zones, or at the catchment level its sites'; None
    without any."""
    for part in (inputs.cohorts, inputs.catchment):
        if part is not None and part.conversions is not None:
            return part.conversions
    return None


def _bound_decisions(m: Model) -> None:
    """Bounds of the closures and conversions (whole: 0 or 1; by classroom: up to ``most``): none
    in the first plan year (under way), before their lead times, or, for a school with nowhere
    within reach for its pupils (``reach.alone``), a closure or a whole conversion that year."""
    c, years = m.inputs.cohorts, m.inputs.years
    shut_index, convert_index = m.shut_index, m.convert_index
    for decided in (shut_index, convert_index):
        if decided is not None:
            m.integer[decided] = True
            m.ub[decided] = 1.0
            m.ub[decided[:, 0]] = 0.0
    if convert_index is not None:
        v = conversions(m.inputs)
        if v.most is not None:
            m.ub[convert_index[:, 1:]] = v.most[:, None]
        if v.earliest is not None:
            m.ub[convert_index[years[None, :] < v.earliest[:, None]]] = 0.0
    if shut_index is not None:
        m.ub[shut_index[:, years < closable(m.inputs).closable_from]] = 0.0
    if c is None or c.reach is None:
        return
    if shut_index is not None:                      # the movable schools are the closable ones, in order
        m.ub[shut_index[c.reach.alone]] = 0.0
    if convert_index is not None:
        v = c.conversions
        at = pd.Index(list(c.reach.schools)).get_indexer(v.school)
        i = np.flatnonzero(v.whole & (at >= 0))
        m.ub[convert_index[i][c.reach.alone[at[i]]]] = 0.0


def _families(m: Model) -> list:
    """Every constraint family: the region level's capacity, or the catchment level's."""
    common = [define(m) for define in (define_opening_once, define_alternatives, define_prerequisites,
                                      define_yearly_budget, define_total_budget, define_school_size, define_symmetry,
                                      goal_rows.define_goal_seats, goal_rows.define_goal_reach)]
    if m.k_index is not None:
        chosen = [*entrants.define_shares(m), entrants.define_open_intake(m),
                  entrants.define_school_pupils(m)] if m.share_index is not None else []
        return [classes.define_class_seats(m), classes.define_keep_classes(m), classes.define_classrooms(m),
                classes.define_empty_rooms(m), classes.define_stay_closed(m), classes.define_stay_converted(m),
                classes.define_one_fate(m), classes.define_reopening(m), reach.define_within_reach(m)] + chosen + common
    if m.assignment is None:
        return [define_capacity(m)] + common
    standing = _standing(m)
    places = [catchment.define_site_classes(m), catchment.define_site_keep(m),
              catchment.define_site_classrooms(m, standing), classes.define_stay_closed(m),
              classes.define_stay_converted(m), classes.define_one_fate(m), catchment.define_min_school_pupils(m)] \
        if m.assignment.k_index is not None else [catchment.define_site_capacity(m, standing)]
    return [*catchment.define_assign(m), *places, catchment.define_open_to_serve(m, standing),
            catchment.define_region_short(m), *catchment.define_zoning(m), catchment.define_rezoning(m)] + common


def _windows(p: Projects, years) -> np.ndarray:
    """(P, Y): the years each project may open in (its committed year only, if committed)."""
    y = np.asarray(years)[None, :]
    inside = (y >= p.earliest[:, None]) & (y <= p.latest[:, None])
    fixed = np.isfinite(p.committed)
    return np.where(fixed[:, None], y == p.committed[:, None], inside) & (p.region >= 0)[:, None]


def spending(p: Projects, years) -> np.ndarray:
    """(P, Y open, Y spend): yuan spent in year s if project p opens in year y.

    The cost is spent evenly in the ``b`` years before opening. Spending that would fall before
    the first planning year is sunk for a committed project and falls in the first year for
    any other (money not yet spent must be spent now)."""
    P, Y = len(p.cost), len(years)
    out = np.zeros((P, Y, Y))
    per_year = p.cost / p.build_years
    committed = np.isfinite(p.committed)
    for k in range(1, int(np.nanmax(p.build_years, initial=1)) + 1):
        builds = k <= p.build_years                               # (P,)
        for y in range(Y):
            s = y - k
            if s >= 0:
                out[builds, y, s] += per_year[builds]
            else:
                early = builds & ~committed
                out[early, y, 0] += per_year[early]
    return out


def salvage(inputs: PlanInputs) -> np.ndarray:
    """(P, Y open) the credit for what is left of project p opened in year y after the last plan
    year ``T``: ``cost_p d(T + 1) max(0, life_p - (T + 1 - y)) / life_p``, ``life_p`` its duration
    (temporary) or ``asset_life`` (permanent); all 0 without ``asset_life``."""
    p, years = inputs.projects, inputs.years
    if not inputs.asset_life:
        return np.zeros((len(p.cost), len(years)))
    life = np.where(np.isfinite(p.duration), p.duration, float(inputs.asset_life))[:, None]       # (P, 1)
    used = (years[-1] + 1 - years)[None, :].astype(float)          # (1, Y) years it stands in the plan
    end = (1 + inputs.discount_rate) ** -float(years[-1] + 1 - years[0])
    return p.cost[:, None] * end * np.maximum(life - used, 0.0) / life


def samples(inputs: PlanInputs) -> int:
    """S, the number of demand samples: ``need``'s fourth axis, or the copies of the class
    model's pools (:func:`capsim.planner.classes.sampled`); 1 for one demand path."""
    if inputs.need.ndim == 4:
        return inputs.need.shape[3]
    return inputs.cohorts.copies if inputs.cohorts is not None else 1


def rent_by_sample(m: Model, values=None) -> np.ndarray:
    """The rent variables (or ``values`` shaped like them, e.g. :func:`rent_price`) with the
    sample axis last: ``(R, L, Y, S)`` (with the class model's copies, pool ``s * Z + r`` is pool
    ``r`` of sample ``s``)."""
    values = m.rent_index if values is None else np.asarray(values)
    if values.ndim == 4:
        return values
    S = samples(m.inputs)
    Z, L, Y = values.shape
    return np.moveaxis(values.reshape(S, Z // S, L, Y), 0, 3)


def _by_year(values, inputs: PlanInputs) -> np.ndarray:
    """(Y,) values broadcast over ``need``'s shape (the year axis is the third)."""
    return np.asarray(values).reshape((-1,) + (1,) * (inputs.need.ndim - 3))


def discount(inputs: PlanInputs) -> np.ndarray:
    years = inputs.years
    return (1 + inputs.discount_rate) ** -(years - years[0]).astype(float)


def rent_price(m: Model) -> np.ndarray:
    """Yuan a year of each rent variable (shaped like ``rent_index``): ``rent_cost`` a seat, or a
    classroom of the level's mean standard class with cohorts."""
    inp = m.inputs
    if inp.cohorts is None:
        return np.full(m.rent_index.shape, float(inp.rent_cost))
    return np.broadcast_to(inp.rent_cost * inp.cohorts.room_seats[None, :, None], m.rent_index.shape)


def _objective(m: Model) -> None:
    inp = m.inputs
    d = discount(inp)
    cost = spending(inp.projects, inp.years) @ d - salvage(inp)   # (P, Y open): discounted cost of opening then
    ok = m.x_index >= 0
    m.c[m.x_index[ok]] = cost[ok]
    weight = 1.0 / samples(inp)
    if m.rent_index is not None:
        m.c[m.rent_index] = rent_price(m) * _by_year(d, inp) * weight
    m.c[m.short_index] = inp.penalty * _by_year(d, inp) * weight
    if m.empty_index is not None:
        m.c[m.empty_index] = inp.empty_room_cost * d[None, None, :] * weight
    if m.shut_index is not None:                  # saves the running cost; pays the closure once, when it closes
        standing = closable(inp).closable_rooms.sum(axis=1) > 0      # (C, Y) the school is open then
        m.c[m.shut_index] = (-(inp.school_running_cost or 0.0) * d[None, :] * standing
                             + _once(np.broadcast_to(inp.closure_cost * d, standing.shape)))
    if inp.school_running_cost:
        _new_school_running_cost(m, d)
    if m.mothball_index is not None:              # a mothballed room costs less a year; reopening costs once
        m.c[m.mothball_index] = inp.mothball_cost * d[None, None, :] * weight
        m.c[m.reopen_index] = inp.reopen_cost * d[None, None, :] * weight
    if m.convert_index is not None:               # the refit, paid once, in the year it converts
        m.c[m.convert_index] = _once(conversion_spend(m) * d[None, :])
    if m.goal_miss_index is not None:              # a place a target lacks costs what a pupil without one does
        m.c[m.goal_miss_index] = inp.penalty * d[inp.goals.pair_year]
    if m.unseated_index is not None:
        uk = m.unseated_index >= 0
        weight_u = entrants.unseated_weight(inp.cohorts.entrants, inp.cohorts.cell_level, d)
        m.c[m.unseated_index[uk]] = inp.penalty * weight_u[uk]
    if m.assignment is not None:
        m.c[m.assignment.w_index] = catchment.travel_cost(inp.catchment, m.assignment, d)
        if m.assignment.u_index is not None:
            m.c[m.assignment.u_index] = catchment.rezoning_cost(inp.catchment, m.assignment, d)


def conversion_spend(m: Model) -> np.ndarray:
    """(V, Y) yuan a unit of conversion ``v`` costs if made in year ``t``: its classrooms then (a
    whole school's, or the one) times the refit of one."""
    v = conversions(m.inputs)
    return v.rooms * v.cost_per_room[:, None]


def _once(paid: np.ndarray) -> np.ndarray:
    """Coefficients of a decision ``z[i, t]`` held for good from the year it is made (``z[i, t] -
    z[i, t - 1]`` = 1 in that year alone) that pay ``paid[i, t]`` in that year: ``paid[i, t] -
    paid[i, t + 1]`` (``paid[i, T - 1]`` in the last year)."""
    return paid - np.concatenate([paid[:, 1:], np.zeros((paid.shape[0], 1))], axis=1)


def _new_school_running_cost(m: Model, d) -> None:
    """A new school (not an expansion, not temporary classrooms) pays ``school_running_cost`` each
    year it stands in the plan: ``x[p, y]`` costs ``running sum_{t >= y} d(t)`` more."""
    p = m.inputs.projects
    var, proj, t = _standing(m)
    new = (p.school[proj] < 0) & ~np.isfinite(p.duration[proj]) & (p.kind[proj] != "expansion")
    np.add.at(m.c, var[new], m.inputs.school_running_cost * d[t[new]])


def define_opening_once(m: Model):
    """Each project opens at most once: ``sum_y x[p, y] <= 1``."""
    p_idx, _ = np.nonzero(m.x_index >= 0)
    P = m.x_index.shape[0]
    return _rows("open_once", p_idx, m.x_index[m.x_index >= 0], np.ones(len(p_idx)), P, m.n, "<=", np.ones(P))


def define_alternatives(m: Model):
    """At most one project of each alternatives group: ``sum_{p in g} sum_y x[p, y] <= 1``."""
    group = m.inputs.projects.group
    names = sorted(set(group) - {""})
    if not names:
        return None
    code = {g: i for i, g in enumerate(names)}
    p_idx, _ = np.nonzero(m.x_index >= 0)
    keep = group[p_idx] != ""
    rows = [code[g] for g in group[p_idx][keep]]
    return _rows("alternatives", rows, m.x_index[m.x_index >= 0][keep], np.ones(len(rows)), len(names), m.n,
                 "<=", np.ones(len(names)))


def define_prerequisites(m: Model):
    """B opens only once A is open: ``sum_{y <= t} x[B, y] - sum_{y <= t} x[A, y] <= 0`` for every
    year t (the cumulative form: tighter in the LP than bounding each ``x[B, t]`` alone)."""
    req = m.inputs.projects.requires
    after = np.flatnonzero(req >= 0)
    return _open_in_order(m, "prerequisites", req[after], after)


def define_capacity(m: Model):
    """Seats cover need every year: ``sum_p seats[p,l] open[p,t] + rent + short >= need[r,l,t]``,
    where ``open[p, t] = sum_{t - duration < y <= t} x[p, y]``, in every demand sample and
    capacity cell ``l`` (a level, or a level's grade: :mod:`capsim.planner.cells`)."""
    inp = m.inputs
    p = inp.projects
    L, Y = inp.need.shape[1:3]
    S = samples(inp)
    var, proj, t = _standing(m)
    added = cell_seats(inp)
    rows, cols, data = [], [], []
    for lv in range(L):
        seats = added[proj, lv]
        nz = seats > 0
        cell = (p.region[proj][nz] * L + lv) * Y + t[nz]
        rows.append((cell[:, None] * S + np.arange(S)).reshape(-1))      # row (r, l, t, s)
        cols.append(np.repeat(var[nz], S))
        data.append(np.repeat(seats[nz], S))
    extra = [m.short_index.reshape(-1)] + ([m.rent_index.reshape(-1)] if m.rent_index is not None else [])
    for idx in extra:
        rows.append(np.arange(idx.size)); cols.append(idx); data.append(np.ones(idx.size))
    return _rows("capacity", np.concatenate(rows), np.concatenate(cols), np.concatenate(data), inp.need.size, m.n,
                 ">=", inp.need.reshape(-1))


def define_yearly_budget(m: Model):
    """Money spent each year within its budget: ``sum_{p,y} spend[p,y,s] x[p,y] (+ rent) <= B_s``
    (one row per year and demand sample, when rent makes spending depend on the sample)."""
    inp = m.inputs
    if inp.budget_yearly is None:
        return None
    S = samples(inp) if m.rent_index is not None else 1
    spend = spending(inp.projects, inp.years)             # (P, Y open, Y spend)
    pp, yy = np.nonzero(m.x_index >= 0)
    s_of = spend[pp, yy]                                   # (K, Y spend)
    k, s = np.nonzero(s_of)
    rows = [(s[:, None] * S + np.arange(S)).reshape(-1)]  # row (year, sample)
    cols, data = [np.repeat(m.x_index[pp[k], yy[k]], S)], [np.repeat(s_of[k, s], S)]
    if m.rent_index is not None:
        rent = rent_by_sample(m)
        R, L, Y = rent.shape[:3]
        t = np.broadcast_to(np.arange(Y)[:, None], (Y, S))
        rows.append(np.broadcast_to(t * S + np.arange(S), (R, L, Y, S)).reshape(-1))
        cols.append(rent.reshape(-1)); data.append(rent_by_sample(m, rent_price(m)).reshape(-1))
    if m.convert_index is not None:   # conversion v made in year t spends in t: spend_t (conv[v, t] - conv[v, t - 1])
        spend = conversion_spend(m)
        V, Y = spend.shape
        i, t = (a.reshape(-1) for a in np.indices((V, Y)))
        later = t + 1 < Y
        every = np.arange(S)                           # in every sample's row
        rows += [(t[:, None] * S + every).reshape(-1), ((t[later][:, None] + 1) * S + every).reshape(-1)]
        cols += [np.repeat(m.convert_index[i, t], S), np.repeat(m.convert_index[i[later], t[later]], S)]
        data += [np.repeat(spend[i, t], S), np.repeat(-spend[i[later], t[later] + 1], S)]
    limited = np.repeat(np.isfinite(inp.budget_yearly), S)
    name, A, sense, rhs = _rows("yearly_budget", np.concatenate(rows), np.concatenate(cols), np.concatenate(data),
                                len(inp.years) * S, m.n, "<=", np.repeat(inp.budget_yearly, S))
    return name, A[limited], sense, rhs[limited]


def define_total_budget(m: Model):
    """All the money within the total budget: ``sum_{p,y} cost spent in the plan's years x[p,y] <= B``
    (+ rent; one row per demand sample when there is rent)."""
    inp = m.inputs
    if inp.budget_total is None:
        return None
    S = samples(inp) if m.rent_index is not None else 1
    spent = spending(inp.projects, inp.years).sum(axis=2)
    ok = m.x_index >= 0
    rows = [np.repeat(np.arange(S)[None, :], ok.sum(), axis=0).reshape(-1)]
    cols, data = [np.repeat(m.x_index[ok], S)], [np.repeat(spent[ok], S)]
    if m.rent_index is not None:
        rent = rent_by_sample(m)
        rows.append(np.broadcast_to(np.arange(S), rent.shape).reshape(-1))
        cols.append(rent.reshape(-1)); data.append(rent_by_sample(m, rent_price(m)).reshape(-1))
    if m.convert_index is not None:
        rows.append(np.tile(np.arange(S), m.convert_index.size)); cols.append(np.repeat(m.convert_index.reshape(-1), S))
        data.append(np.repeat(_once(conversion_spend(m)).reshape(-1), S))
    return _rows("total_budget", np.concatenate(rows), np.concatenate(cols), np.concatenate(data), S, m.n, "<=",
                 np.full(S, inp.budget_total))


def define_school_size(m: Model):
    """Expansions keep a school within its maximum: ``sum_{p expands s} seats_p sum_y x[p,y] <= room_s``."""
    inp = m.inputs
    p = inp.projects
    schools = sorted(inp.school_room)
    if not schools:
        return None
    code = {s: i for i, s in enumerate(schools)}
    pp, yy = np.nonzero(m.x_index >= 0)
    keep = np.isin(p.school[pp], schools)
    rows = [code[s] for s in p.school[pp][keep]]
    return _rows("school_size", rows, m.x_index[pp[keep], yy[keep]], p.seats[pp[keep]].sum(axis=1), len(schools),
                 m.n, "<=", [inp.school_room[s] for s in schools])


def identical_classes(p: Projects) -> list[np.ndarray]:
    """Groups (of two or more, in table order) of interchangeable candidates: same region, kind,
    type, seats, cost, build years, window and duration; not committed, in no group of
    alternatives, needing and needed by no other project."""
    free = ~np.isfinite(p.committed) & (p.group == "") & (p.requires < 0) & (p.school < 0) & (p.region >= 0)
    free[p.requires[p.requires >= 0]] = False
    keys: dict = {}
    for i in np.flatnonzero(free):
        key = (p.region[i], p.kind[i], p.type[i], p.seats[i].tobytes(), p.cost[i], p.build_years[i],
               p.earliest[i], p.latest[i], p.duration[i])
        keys.setdefault(key, []).append(i)
    return [np.array(v) for v in keys.values() if len(v) > 1]


def define_symmetry(m: Model):
    """Interchangeable candidates open in table order: for consecutive members ``a, b`` of a
    class of :func:`identical_classes`, ``sum_{y <= t} x[b, y] - sum_{y <= t} x[a, y] <= 0`` for
    every year ``t``. Any plan can be relabelled to meet this, so the optimum is unchanged; the
    solver no longer explores the k! orderings of k alike schools."""
    classes = identical_classes(m.inputs.projects) if m.inputs.break_symmetry else []
    if not classes:
        return None
    first = np.concatenate([c[:-1] for c in classes])
    second = np.concatenate([c[1:] for c in classes])
    return _open_in_order(m, "symmetry", first, second)


def _open_in_order(m: Model, name: str, first, second):
    """``sum_{y <= t} x[second_k, y] - sum_{y <= t} x[first_k, y] <= 0`` for every pair k and year t:
    ``second_k`` is open by any year only if ``first_k`` is. Rows without a variable are dropped."""
    if not len(first):
        return None
    Y = m.x_index.shape[1]
    by = np.tril(np.ones((Y, Y), dtype=bool))                          # by[t, y]: y <= t
    rows, cols, data = [], [], []
    for project, sign in ((second, 1.0), (first, -1.0)):
        k, t, y = np.nonzero(by[None] & (m.x_index[project] >= 0)[:, None, :])
        rows.append(k * Y + t); cols.append(m.x_index[project[k], y]); data.append(np.full(len(k), sign))
    used, rows = np.unique(np.concatenate(rows), return_inverse=True)
    n_rows = len(used)
    return _rows(name, rows, np.concatenate(cols), np.concatenate(data), n_rows, m.n, "<=", np.zeros(n_rows))
