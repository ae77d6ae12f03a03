"""Why a seat is missing: the binding cause of each shortfall in a solved plan.

For a shortfall in region ``r``, level ``l``, year ``t``, the candidates are the projects
adding seats of ``l`` in ``r``. The cause is the first that applies:

1. ``no candidate``   no project serves that region and level;
2. ``lead time``      none of them can open by ``t`` (earliest year, lead time, window);
3. ``size cap``       every one left unchosen expands a school already at its maximum size;
4. ``budget``         some could open by ``t`` but were not chosen: money ran out (or, where no
                      budget binds, their alternatives or prerequisites ruled them out);
5. ``not enough candidates``  all that could open by ``t`` are open, and seats are still short.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def shortfalls(m, x, short, regions, levels) -> pd.DataFrame:
    inp = m.inputs
    p, years = inp.projects, inp.years
    can_open = np.where((m.x_index >= 0).any(axis=1), np.argmax(m.x_index >= 0, axis=1), len(years))
    opened = np.where(x.any(axis=1), np.argmax(x > 0.5, axis=1), len(years))
    full_schools = {s for s, room in inp.school_room.items() if room <= 0}
    rows = []
    for r, lv, t in zip(*np.nonzero(short > 0.5)):
        cand = np.flatnonzero((p.region == r) & (p.seats[:, lv] > 0))
        rows.append((int(years[t]), regions[r], levels[lv], float(short[r, lv, t]),
                     _cause(cand, t, can_open, opened, p, full_schools)))
    return pd.DataFrame(rows, columns=["year", "region", "level", "seats", "cause"])


def _cause(cand, t, can_open, opened, p, full_schools) -> str:
    if not len(cand):
        return "no candidate"
    ready = cand[can_open[cand] <= t]
    if not len(ready):
        return "lead time"
    left = ready[opened[ready] > t]
    if not len(left):
        return "not enough candidates"
    if all(p.school[i] in full_schools for i in left):
        return "size cap"
    return "budget"
