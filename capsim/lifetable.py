"""Life tables to the projection's survivorship ratios.

Any input table is first brought to single years of age 0..W (W = its open age), then summed
into the projection's groups of width ``n``. Notation: ``l(x)`` survivors to exact age ``x``,
``L(x)`` person-years lived in the single year ``[x, x+1)``, ``T(x) = sum_{y>=x} L(y)``.

Single years inside a wider interval ``[x, x+k)`` assume a constant force of mortality
``mu = ln(l(x)/l(x+k)) / k`` (so ``l(x+j) = l(x) exp(-mu j)`` and
``L(x+j) = (l(x+j) - l(x+j+1)) / mu``), then are scaled so they sum to the table's own
``kLx``: the table's person-years are kept exactly.

Projection ratios for groups ``0, n, ..., w`` (``w`` open)::

    S(a)         = L_n(a+n) / L_n(a)           closed groups, L_n summed over n single years
    S(w-n) = S(w) = T(w) / T(w-n)              Preston's ratio for the open group
    birth_survival = L_n(0) / (n l(0))
"""

from __future__ import annotations

import numpy as np


def single_year_from_abridged(ages, lx, Lx):
    """Single-year ``l`` (length W+2, last = 0) and ``L`` (length W+1, last = open ``L``).

    ``ages`` are the interval starts (the last is open); ``lx`` and ``Lx`` the table's columns.
    """
    ages = np.asarray(ages, dtype=int)
    lx = np.asarray(lx, dtype=float)
    Lx = np.asarray(Lx, dtype=float)
    W = int(ages[-1])
    l1 = np.zeros(W + 2)
    L1 = np.zeros(W + 1)
    for i in range(len(ages) - 1):
        x, k = ages[i], ages[i + 1] - ages[i]
        j = np.arange(k + 1)
        if lx[i + 1] > 0 and lx[i + 1] < lx[i]:
            mu = np.log(lx[i] / lx[i + 1]) / k
            lj = lx[i] * np.exp(-mu * j)
            Lj = (lj[:-1] - lj[1:]) / mu
        else:
            lj = lx[i] + (lx[i + 1] - lx[i]) * j / k
            Lj = (lj[:-1] + lj[1:]) / 2
        l1[x:x + k + 1] = lj
        L1[x:x + k] = Lj * (Lx[i] / Lj.sum()) if Lj.sum() > 0 else Lj
    l1[W] = lx[-1]
    L1[W] = Lx[-1]
    return l1, L1


def single_year_from_qx(qx, mx_open, ax=None):
    """Single-year ``l`` and ``L`` from single-year ``qx`` (radix 1).

    ``L(x) = l(x+1) + a(x) d(x)`` with ``a(x)`` = ``ax`` or 0.5 (0.1 at age 0, a common
    low-mortality value); the open group ``L(W) = l(W) / m(W)``.
    """
    qx = np.asarray(qx, dtype=float)
    W = len(qx) - 1
    a = np.full(W + 1, 0.5) if ax is None else np.asarray(ax, dtype=float)
    if ax is None:
        a[0] = 0.1
    l1 = np.ones(W + 2)
    l1[1:W + 1] = np.cumprod(1.0 - qx[:-1])
    l1[W + 1] = 0.0
    d = l1[:-1] - l1[1:]
    L1 = l1[1:] + a * d
    L1[W] = l1[W] / mx_open
    return l1, L1


def survival_ratios(l1, L1, step: int, open_age: int):
    """Projection ratios ``S`` (length A) and ``birth_survival`` for groups of width ``step``.

    ``l1``, ``L1`` are single-year columns whose open age is at least ``open_age``; a higher
    open age is folded into ``open_age``.
    """
    if open_age % step:
        raise ValueError(f"open_age {open_age} must be a multiple of step {step}")
    T_open = L1[open_age:].sum()
    Ln = L1[:open_age].reshape(-1, step).sum(axis=1)
    Ln = np.append(Ln, T_open)
    A = len(Ln)
    S = np.empty(A)
    S[:-2] = Ln[1:-1] / Ln[:-2]
    S[-2:] = T_open / (Ln[-2] + T_open)
    birth_survival = Ln[0] / (step * l1[0])
    return S, birth_survival
