"""Why a seat is missing: the binding cause of each shortfall in a solved plan.

For a shortfall in region ``r``, level ``l``, year ``t``, the candidates are the projects
adding seats of ``l`` in ``r``. The cause is the first that applies:

1. ``no candidate``   no project serves that region and level;
2. ``lead time``      none of them can open by ``t`` (earliest year, lead time, window, or a
                      prerequisite that cannot open by ``t``), or all
                      that can are open and the others cannot open by ``t``;
3. ``size cap``       every one left unchosen expands a school already at its maximum size;
4. ``budget``         some could open by ``t`` but were not chosen, and a budget binds: the
                      money left in some year up to ``t`` (or in total) is less than the
                      cheapest of them would spend then;
5. ``cheaper to leave short``  no budget binds: every project left costs more than the
                      shortfall's penalty (raise ``plan.shortfall_penalty``), or alternatives
                      and prerequisites rule them out;
6. ``not enough candidates``  every candidate is open by ``t``, and seats are still short.

Where the plan closes schools or converts classrooms to another level (``plan.closures``,
``plan.conversions``), a shortfall no larger than the seats of the level's classrooms it took
out of the region by then (each a class of the level's mean standard) is ``closed or
converted``: keeping them would have seated these pupils, and the plan chose not to, the
running cost saved or the other level's seats being worth more than the penalty (raise
``plan.shortfall_penalty``, or mark the schools ``keep``). It is checked after ``out of reach``
and before the causes above.

Planning in whole classes, a shortfall in a region whose classrooms (with the plan's, and those
rented) would hold every grade's pupils as classes of their size is ``classes kept``: cohorts keep
the classes they have (listed in the base year, or formed at their intake) though fewer would
hold them, and the intake lacks the rooms they hold. It is checked after ``out of reach`` and
``closed or converted``, before the numbered causes above, and is kept under a time limit.

At the catchment level, a shortfall in a region whose places (with the plan's) would cover its
pupils is ``out of reach``: the places are where its areas cannot be sent (the distance limit,
single assignment), checked before the causes above. Places are the grade's lawful seats, or in
whole classes the classrooms of the level at the region's sites, which would cover its pupils
where they hold each grade's classes, ``sum_g ceil(pupils[g] / size[g])``.

The causes are found per capacity cell (a level, or one of its grades: a project is a
candidate for the grades it adds classes to) and reported per region, level and year: the
seats summed over the level's short grades (listed in ``grades``), with the cause of the
grade that misses the most.

When a bureau's own plan is evaluated (``--evaluate``), projects without a committed year are
not candidates: their shortfalls are ``not in the plan`` when such projects exist. When the
solver found no plan within its time limit, the plan is the committed projects alone, and a
shortfall that a candidate could have served is ``time limit``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


COLUMNS = ["year", "region", "level", "grades", "seats", "cause"]


def shortfalls(m, x, short, covered, regions, levels, cells, evaluated: bool = False,
               timed_out: bool = False, removed=None, held=None) -> pd.DataFrame:
    """One row per region, level and year with missing seats, with its cause; ``short`` is (R, K, Y)
    over the capacity ``cells``, ``covered`` (R, K, Y) true where the region's places with the plan
    ``x``'s would cover its pupils (catchment level; None at region level), ``removed`` (R, L, Y)
    the seats of the classrooms of each level the plan's closures and conversions took out of the
    region by each year (None without them), ``held`` (R, L, Y) true where the region's classrooms
    would hold its pupils as classes of their size (in whole classes; None elsewhere)."""
    from capsim.planner.model import cell_seats, spending

    inp = m.inputs
    p, years = inp.projects, inp.years
    seats = cell_seats(inp)
    can_open = _can_open(m.x_index, p.requires)
    opened = np.where(x.any(axis=1), np.argmax(x > 0.5, axis=1), len(years))
    full_schools = {s for s, room in inp.school_room.items() if room <= 0}
    table = spending(p, years)                                       # (P, Y open, Y spend)
    spent = np.einsum("py,pys->s", x, table)
    unreachable = covered if covered is not None else np.zeros(short.shape, bool)
    rows = []
    for r, k, t in zip(*np.nonzero(short > 0.5)):
        cand = np.flatnonzero((p.region == r) & (seats[:, k] > 0))
        if unreachable[r, k, t]:
            cause = "out of reach"
        elif removed is not None and removed[r, cells.level[k], t] >= short[r, k, t] - 1e-6:
            cause = "closed or converted"
        elif held is not None and held[r, cells.level[k], t]:
            cause = "classes kept"
        else:
            cause = _cause(cand, t, can_open, opened, p, full_schools)
        if cause == "budget" and not _budget_binds(inp, spent, table, cand[opened[cand] > t], can_open, t):
            cause = "cheaper to leave short"
        if evaluated and cause == "lead time" and not np.isfinite(p.committed[cand]).all():
            cause = "not in the plan"
        if timed_out and cause not in ("no candidate", "lead time", "out of reach", "classes kept"):
            cause = "time limit"
        rows.append((int(years[t]), regions[r], levels[cells.level[k]], int(cells.grade[k]), float(short[r, k, t]),
                     cause, (r, cells.level[k], t)))
    return _by_level(pd.DataFrame(rows, columns=["year", "region", "level", "grade", "seats", "cause", "order"]))


def _by_level(cells: pd.DataFrame) -> pd.DataFrame:
    """Cell rows summed per year, region and level: the short grades listed, the largest one's cause;
    in the order of region, level and year."""
    if not len(cells):
        return pd.DataFrame(columns=COLUMNS)
    groups = cells.sort_values("order", kind="stable").groupby(["year", "region", "level"], sort=False)
    out = groups.agg(grades=("grade", lambda g: " ".join(str(v) for v in sorted(g) if v > 0)),
                     seats=("seats", "sum")).reset_index()
    out["cause"] = cells.cause.loc[groups.seats.idxmax()].to_numpy()
    return out[COLUMNS]


def _can_open(x_index, requires) -> np.ndarray:
    """(P,) first year index each project can open in: its window's, and no earlier than the
    project it requires can (len(years) if never)."""
    Y = x_index.shape[1]
    out = np.where((x_index >= 0).any(axis=1), np.argmax(x_index >= 0, axis=1), Y)
    for _ in range(len(out)):                      # along chains of prerequisites
        has = requires >= 0
        later = np.where(has, np.maximum(out, out[np.maximum(requires, 0)]), out)
        if (later == out).all():
            break
        out = later
    return out


def _budget_binds(inp, spent, table, left, can_open, t) -> bool:
    """Whether the money left, yearly up to ``t`` or in total, is short of what the cheapest
    project left would spend opening at ``t`` (or its earliest year)."""
    if not len(left):
        return False
    y = np.maximum(can_open[left], 0).clip(max=t)
    need = table[left, y]                                            # (K, Y spend)
    if inp.budget_total is not None and (need.sum(axis=1) > inp.budget_total - spent.sum() + 1e-6).all():
        return True
    if inp.budget_yearly is not None:
        room = inp.budget_yearly - spent
        return bool((need > room[None, :] + 1e-6).any(axis=1).all())
    return False


def _cause(cand, t, can_open, opened, p, full_schools) -> str:
    if not len(cand):
        return "no candidate"
    ready = cand[can_open[cand] <= t]
    if not len(ready):
        return "lead time"
    left = ready[opened[ready] > t]
    if not len(left):  # all that could open by t are open: more exist only if some open too late
        return "lead time" if (can_open[cand] > t).any() else "not enough candidates"
    if all(p.school[i] in full_schools for i in left):
        return "size cap"
    return "budget"
