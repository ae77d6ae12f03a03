"""Rolling-origin backtests of intake and enrolment forecasts on real history.

History is a long table ``area, series, year, value`` with series ``births``, ``LEVEL_intake``
(grade-1 entrants) and ``LEVEL_enrolment`` (all grades). Each school series follows a driver
through a cohort link, the same links the projection uses::

    kindergarten_intake(t) = r(t) * births(t - 3)          primary_intake(t) = r(t) * births(t - 6)
    junior_intake(t)       = r(t) * primary_intake(t - G_primary)
    senior_intake(t)       = r(t) * junior_intake(t - G_junior)
    LEVEL_enrolment(t)     = r(t) * sum_{k < G} LEVEL_intake(t - k)     (cohorts in the level)

For each origin ``o``, the ratio ``r`` is calibrated only on years ``<= o`` and on values
published by ``o`` (the history is cut at ``o`` before calibration; a ``published`` column
dates revisions, such as births revised after the 2020 census): the mean of the last ``window`` ratios (``flat``) or their
least-squares line extended to the target year (``linear``). Drivers after ``o`` are
forecast by their own links; births after ``o`` are unknown, so horizons stop where a
forecast would need them. The 80 % band is ``forecast * exp(+-1.2816 sigma)`` with
``sigma^2 = s^2 h + d^2``: ``s`` the root mean square of the one-year-ahead log errors of the
ratio up to ``o``, ``d`` the spread of the forecast drivers (fully correlated across cohorts).

Baselines: ``last_value`` (the value at ``o`` carried forward) and ``average_growth``
(``y(o) g^h``, ``g`` the geometric mean of the last ``window`` year-on-year ratios).
Errors are ``forecast - actual``; MAPE and bias are in percent of the actual.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

Z80 = 1.2816
GRADES = {"kindergarten": 3, "primary": 6, "junior": 3, "senior": 3}
BIRTH_LAGS = {"kindergarten": 3, "primary": 6}
PREVIOUS = {"junior": "primary", "senior": "junior"}


@dataclass(frozen=True)
class Settings:
    window: int = 3
    trend: str = "flat"          # "flat" or "linear"
    births: str = "births"       # which births series drives intake


@dataclass(frozen=True)
class Backtest:
    """``forecasts``: one row per area, series, model, origin and target year;
    ``summary``: error by series, model and horizon; ``selection``: every setting tried."""

    forecasts: pd.DataFrame
    summary: pd.DataFrame
    selection: pd.DataFrame


def link(series: str, births: str = "births"):
    """(driver series, lag, cohort sum length) of a school series."""
    level, kind = series.rsplit("_", 1)
    if kind == "enrolment":
        return f"{level}_intake", 0, GRADES[level]
    if level in BIRTH_LAGS:
        return births, BIRTH_LAGS[level], 1
    return f"{PREVIOUS[level]}_intake", GRADES[PREVIOUS[level]], 1


class Forecaster:
    """Forecasts for one area made at one origin, from the history up to the origin only.

    Each forecast carries a log-scale spread: the ratio's own ``s sqrt(h)`` combined with the
    spread of the forecast drivers it multiplies (taken as fully correlated across cohorts).
    """

    def __init__(self, observed: dict, origin: int, settings: dict):
        self.observed = {k: {y: v for y, (v, known) in s.items() if y <= origin and known <= origin}
                         for k, s in observed.items()}
        if "births" in self.observed:  # the best births known at the origin: revised where revised by then
            self.observed["births_best"] = {**self.observed["births"], **self.observed.get("births_revised", {})}
        self.origin = origin
        self.settings = settings
        self.cache = {}

    def value(self, series: str, year: int):
        """(value, log spread): observed up to the origin, forecast after it (NaN if unknowable)."""
        if year <= self.origin:
            return self.observed.get(series, {}).get(year, np.nan), 0.0
        if series.startswith("births"):
            return np.nan, np.nan  # births after the origin are not known at the origin
        key = (series, year)
        if key not in self.cache:
            self.cache[key] = self.forecast(series, year)
        return self.cache[key]

    def driver(self, series: str, year: int):
        """(driver value, its log spread) for ``series`` in ``year``."""
        s = self.settings.get(series, Settings())
        name, lag, cohorts = link(series, s.births)
        parts = [self.value(name, year - lag - k) for k in range(cohorts)]
        total = float(sum(v for v, _ in parts))
        spread = sum(v * sd for v, sd in parts) / total if total > 0 else np.nan
        return total, spread

    def ratios(self, series: str) -> dict:
        out = {}
        for y, observed in sorted(self.observed.get(series, {}).items()):
            x = self.driver(series, y)[0]
            if np.isfinite(x) and x > 0:
                out[y] = observed / x
        return out

    def forecast(self, series: str, year: int):
        """(forecast, log spread) for ``series`` in ``year``."""
        s = self.settings.get(series, Settings())
        ratios = self.ratios(series)
        x, x_spread = self.driver(series, year)
        own = ratio_error_scale(ratios, s) * np.sqrt(year - self.origin)
        return calibrate(ratios, s, year) * x, float(np.hypot(own, x_spread))


def calibrate(ratios: dict, s: Settings, year: int) -> float:
    """The ratio for ``year`` from the last ``window`` known ratios (flat mean or linear trend)."""
    years = sorted(ratios)[-s.window:]
    if not years:
        return np.nan
    values = np.array([ratios[y] for y in years])
    if s.trend == "linear" and len(years) >= 3:
        slope, intercept = np.polyfit(years, values, 1)
        return float(intercept + slope * year)
    return float(values.mean())


def ratio_error_scale(ratios: dict, s: Settings) -> float:
    """RMS of one-year-ahead log errors of the ratio, each made from the ratios before it."""
    years = sorted(ratios)
    errors = []
    for i in range(1, len(years)):
        past = {y: ratios[y] for y in years[:i]}
        guess = calibrate(past, s, years[i])
        if guess > 0:
            errors.append(np.log(ratios[years[i]] / guess))
    return float(np.sqrt(np.mean(np.square(errors)))) if errors else np.nan


def baseline(observed: dict, origin: int, year: int, model: str, window: int) -> float:
    known = {y: v for y, v in observed.items() if y <= origin}
    if origin not in known:
        return np.nan
    if model == "last_value":
        return known[origin]
    growth = [known[y] / known[y - 1] for y in range(origin - window + 1, origin + 1)
              if y in known and y - 1 in known and known[y - 1] > 0]
    if not growth:
        return np.nan
    return known[origin] * float(np.exp(np.mean(np.log(growth)))) ** (year - origin)


def _observed(history: pd.DataFrame) -> dict:
    """area -> series -> {year: (value, year it became known)}.

    A value is known from its ``published`` year where the history gives one (revisions are
    published years later), else from its own year."""
    out = {}
    published = history.published if "published" in history else history.year
    known = np.maximum(history.year, published.fillna(history.year)).astype(int)
    frame = history.assign(known=known)
    for (area, series), part in frame.groupby(["area", "series"]):
        out.setdefault(area, {})[series] = dict(zip(part.year.astype(int), zip(part.value.astype(float), part.known)))
    return out


def run_backtest(history: pd.DataFrame, settings: dict, horizons=range(1, 7), min_ratios: int = 3) -> pd.DataFrame:
    """Forecast every school series at every origin with enough history; one row per forecast."""
    rows = []
    for area, observed in _observed(history).items():
        for series in sorted(s for s in observed if s.endswith(("_intake", "_enrolment"))):
            rows += _series_rows(area, series, observed, settings, horizons, min_ratios)
    columns = ["area", "series", "model", "origin", "year", "horizon", "actual", "forecast", "low", "high"]
    return pd.DataFrame(rows, columns=columns)


def _series_rows(area, series, observed, settings, horizons, min_ratios):
    rows = []
    s = settings.get(series, Settings())
    actual = {y: v for y, (v, _) in observed[series].items()}
    for origin in sorted(actual):
        f = Forecaster(observed, origin, settings)
        if len(f.ratios(series)) < min_ratios:
            continue
        for h in horizons:
            year = origin + h
            if year not in actual:
                continue
            point, scale = f.forecast(series, year)
            if not np.isfinite(point):
                continue
            spread = np.exp(Z80 * scale) if np.isfinite(scale) else np.nan
            rows.append((area, series, "capsim", origin, year, h, actual[year], point, point / spread, point * spread))
            for model in ("last_value", "average_growth"):
                rows.append((area, series, model, origin, year, h, actual[year],
                             baseline(actual, origin, year, model, s.window), np.nan, np.nan))
    return rows


def summarise(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Error by area, series, model and horizon: n, MAPE and bias (%), MAE, 80 % band coverage,
    and the area's size class (order of magnitude of the series), to compare areas by size."""
    f = forecasts.dropna(subset=["forecast"]).copy()
    f["error"] = f.forecast - f.actual
    f["pct"] = 100 * f.error / f.actual
    f["inside"] = np.where(f.low.notna(), (f.actual >= f.low) & (f.actual <= f.high), np.nan)
    g = f.groupby(["area", "series", "model", "horizon"])
    out = pd.DataFrame({"n": g.size(), "mape": g.pct.apply(lambda x: x.abs().mean()), "bias": g.pct.mean(),
                        "mae": g.error.apply(lambda x: x.abs().mean()), "coverage_80": g.inside.mean()})
    size = f.groupby(["area", "series"]).actual.mean().map(size_class).rename("size_class")
    return out.reset_index().join(size, on=["area", "series"])


def size_class(value: float) -> str:
    """Order of magnitude of a series' mean, e.g. '1e3-1e4', for error by area size."""
    k = int(np.floor(np.log10(value))) if value > 0 else 0
    return f"1e{k}-1e{k + 1}"


CANDIDATES = [Settings(w, t, b) for b in ("births", "births_best") for w in (1, 2, 3, 5)
              for t in ("flat", "linear") if not (t == "linear" and w < 3)]


def select_settings(history: pd.DataFrame, horizons=range(1, 7)):
    """Try every candidate setting per series; keep the lowest mean MAPE over horizons."""
    rows, best = [], {}
    series_names = sorted(s for s in history.series.unique() if s.endswith(("_intake", "_enrolment")))
    for series in series_names:
        uses_births = link(series)[0] == "births"
        for cand in CANDIDATES:
            if cand.births != "births" and not uses_births:
                continue
            fc = run_backtest(history[history.series.isin(_needed(series))], {series: cand}, horizons)
            fc = fc[(fc.series == series) & (fc.model == "capsim")]
            mape = float((100 * (fc.forecast - fc.actual).abs() / fc.actual).mean()) if len(fc) else np.nan
            rows.append((series, cand.window, cand.trend, cand.births, len(fc), mape))
    table = pd.DataFrame(rows, columns=["series", "window", "trend", "births", "forecasts", "mape"])
    for series, part in table.dropna(subset=["mape"]).groupby("series"):
        top = part.sort_values(["mape", "window"]).iloc[0]
        best[series] = Settings(int(top.window), top.trend, top.births)
    table["selected"] = [best.get(r.series) == Settings(r.window, r.trend, r.births) for r in table.itertuples()]
    return best, table


def _needed(series: str) -> set:
    """The series a school series' forecast depends on (itself, its drivers, births)."""
    need, todo = set(), [series]
    while todo:
        s = todo.pop()
        need.add(s)
        if s.endswith(("_intake", "_enrolment")):
            todo.append(link(s)[0])
    return need | {"births", "births_revised"}


def backtest(history: pd.DataFrame, horizons=range(1, 7), select: bool = True) -> Backtest:
    """Select settings per series (or use the defaults), then backtest every series with them."""
    settings, selection = select_settings(history, horizons) if select else ({}, pd.DataFrame())
    forecasts = run_backtest(history, settings, horizons)
    return Backtest(forecasts, summarise(forecasts), selection)


SERIES = ("births", "births_revised") + tuple(f"{lv}_{k}" for lv in GRADES for k in ("intake", "enrolment"))


def read_history(path) -> pd.DataFrame:
    """A history CSV (area, series, year, value), or the enrolment and births tables of a scenario."""
    from pathlib import Path

    if Path(path).suffix == ".toml":
        return _scenario_history(path)
    from capsim.errors import DataError, Problems
    from capsim.tables import Table

    problems = Problems()
    table = Table(Path(path), "history", problems)
    if table.require("area", "series", "year", "value"):
        series = table.choice("series", SERIES)
        year = table.number("year", 1900, 2300, integer=True)
        value = table.number("value", 0, fix="write a count of people >= 0.")
        published = table.number("published", 1900, 2300, integer=True, allow_empty=True) \
            if table.has("published") else np.full(len(year), np.nan)
        table.duplicates(["area", "series", "year"])
    problems.raise_if_any(DataError)
    ok = (series != "") & np.isfinite(year) & np.isfinite(value)
    return pd.DataFrame({"area": table.frame["area"][ok].to_numpy(), "series": series[ok],
                         "year": year[ok].astype(int), "value": value[ok], "published": published[ok]})


def _scenario_history(path) -> pd.DataFrame:
    """Grade 1 as intake, the sum of a year's grades as enrolment, per region; births."""
    from capsim.data import read_inputs
    from capsim.scenario import load_scenario

    inputs = read_inputs(load_scenario(path))
    parts = []
    if inputs.enrolment is not None:
        e = inputs.enrolment
        intake = e[e.grade == 1].assign(series=lambda d: d.level + "_intake")
        complete = e.groupby(["region", "level", "year"]).grade.transform("count") == e.level.map(GRADES)
        total = e[complete].groupby(["region", "level", "year"], as_index=False).students.sum()
        total["series"] = total.level + "_enrolment"
        parts += [intake.rename(columns={"students": "value"}), total.rename(columns={"students": "value"})]
    if inputs.births is not None:
        parts.append(inputs.births.rename(columns={"births": "value"}).assign(series="births"))
    frame = pd.concat(parts, ignore_index=True).rename(columns={"region": "area"})
    return frame[["area", "series", "year", "value"]]
