"""Ratio models: the level of a cohort ratio carried forward from its history.

One function, used by the backtests and by grade progression in scenarios alike. The history
is an array whose axis 0 is the years in order (gaps as NaN, skipped); any further axes
(regions, grades) are computed together. ``steps`` is how many years after the last year the
ratio is wanted for.

- ``flat``:   the mean of the last ``window`` known ratios.
- ``linear``: their least-squares line, extended ``steps`` years (the mean if fewer than 3).
- ``ses``:    simple exponential smoothing, ``l = alpha r + (1 - alpha) l`` from the first known
  ratio; the forecast is the last level.
- ``damped``: Holt's damped trend (Gardner & McKenzie), level as ``ses``, trend
  ``b = BETA (l - l_prev) + (1 - BETA) PHI b``; the forecast is ``l + (PHI + ... + PHI^steps) b``.
- ``combined``: the equal-weight mean of ``flat``, ``ses`` and ``damped``.
"""

from __future__ import annotations

import numpy as np

MODELS = ("flat", "linear", "ses", "damped", "combined")
BETA, PHI = 0.2, 0.8


def ratio_level(history, model: str = "flat", window: int = 3, alpha: float = 0.5, steps=1) -> np.ndarray:
    """The ratio ``steps`` years after the last row of ``history`` (axis 0 = years), per column."""
    h = np.asarray(history, dtype=float)
    if model not in MODELS:
        raise ValueError(f"The 'model' parameter of ratio_level must be one of {MODELS}. Got {model!r} instead.")
    if model == "combined":
        flat = _windowed(h, "flat", window, steps)
        return (flat + _smoothed(h, False, alpha, steps) + _smoothed(h, True, alpha, steps)) / 3
    if model in ("flat", "linear"):
        return _windowed(h, model, window, steps)
    return _smoothed(h, model == "damped", alpha, steps)


def _last_known(h: np.ndarray, window: int) -> np.ndarray:
    """Per column, the last ``window`` finite values, pushed to the bottom rows (NaN above)."""
    known = np.isfinite(h)
    rank = np.cumsum(known[::-1], axis=0)[::-1]          # 1 for the last known value, 2 before it...
    return np.where(known & (rank <= window), h, np.nan), np.where(known & (rank <= window), rank, 0)


def _windowed(h, model, window, steps):
    values, rank = _last_known(h, window)
    n = np.isfinite(values).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(values, axis=0) / n
        if model == "flat":
            return np.where(n > 0, mean, np.nan)
        x = -rank.astype(float)                            # position: -1 for the last value, -2 before...
        xm = np.where(rank > 0, x, 0).sum(axis=0) / n
        dx = np.where(rank > 0, x - xm, 0)
        slope = (dx * np.nan_to_num(values - mean)).sum(axis=0) / (dx ** 2).sum(axis=0)
        line = mean + slope * (steps - 1 - xm)              # the last value sits at x = -1
    return np.where(n >= 3, line, np.where(n > 0, mean, np.nan))


def _smoothed(h, damped, alpha, steps):
    level = np.full(h.shape[1:], np.nan)
    trend = np.zeros(h.shape[1:])
    for row in h:
        new = np.isfinite(row)
        first = new & ~np.isfinite(level)
        prev = level
        guess = np.where(np.isfinite(level), level + PHI * trend if damped else level, row)
        level = np.where(new, np.where(first, row, alpha * row + (1 - alpha) * guess), level)
        if damped:
            trend = np.where(new & ~first, BETA * (level - prev) + (1 - BETA) * PHI * trend, trend)
    if not damped:
        return level
    gain = sum(PHI ** i for i in range(1, int(steps) + 1))
    return level + gain * trend
