"""Rolling-origin backtests of intake and enrolment forecasts on real history, out of sample.

History is a long table ``area, series, year, value`` with series ``births``, ``LEVEL_intake``
(grade-1 entrants) and ``LEVEL_enrolment`` (all grades); optional columns ``published`` (the
year a value became known, for revisions) and ``break`` (``start`` or ``shift`` on a series'
row: its history before that year is not used, or its earlier ratios are moved to the new
level). Each school series follows a driver through a cohort link, the links the projection uses::

    kindergarten_intake(t) = r(t) * births(t - 3)          primary_intake(t) = r(t) * births(t - 6)
    junior_intake(t)       = r(t) * primary_intake(t - G_primary)
    senior_intake(t)       = r(t) * junior_intake(t - G_junior)
    LEVEL_enrolment(t)     = r(t) * sum_{k < G} LEVEL_intake(t - k)     (cohorts in the level)

At each origin ``o`` only what was published by ``o`` is used (the history is cut there). The
ratio ``r`` is carried forward by a ratio model (``capsim.ratios``: flat mean or linear trend
over a window, exponential smoothing, damped trend) and the forecast may be combined with the
naive one: ``(1 - blend) r x + blend y(o)``. Drivers after ``o`` are forecast by their own
links; births after ``o`` are unknown, so horizons stop where a forecast would need them.

Nested selection: the setting of each series for a forecast ``h`` years ahead from origin ``o``
(ratio model, window, smoothing, births as first published or revised, blend) is the one with
the lowest MAPE over its ``h``-year forecasts whose outcome was known by ``o`` (target year
``<= o``); the last ratio carried forward until 5 such forecasts exist. Only the forecasts made
with the settings so chosen are reported. The 80 % band is conformal: the ``ceil(0.8 (n + 1))``-th smallest absolute
log error of the ``n`` reported forecasts of the same series and horizon whose outcome was known
by ``o`` (``n >= 4``), else of all horizons scaled by ``sqrt(h)``; with fewer than 4 errors there
is no band. A coverage is within noise of 80 % when off it by less than twice its binomial
standard error, widened by ``sqrt(h)`` (:func:`coverage_within_noise`).

Baselines: ``last_value`` (the value at ``o`` carried forward) and ``average_growth``
(``y(o) g^h``, ``g`` the geometric mean of the last 3 year-on-year ratios).
Errors are ``forecast - actual``; MAPE and bias are in percent of the actual.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np
import pandas as pd

from capsim.ratios import ratio_level

GRADES = {"kindergarten": 3, "primary": 6, "junior": 3, "senior": 3}
BIRTH_LAGS = {"kindergarten": 3, "primary": 6}
PREVIOUS = {"junior": "primary", "senior": "junior"}
COVER, MIN_ERRORS, GROWTH_WINDOW = 0.8, 4, 3
COLUMNS = ["area", "series", "model", "origin", "year", "horizon", "actual", "forecast", "low", "high"]


@dataclass(frozen=True)
class Settings:
    window: int = 3
    trend: str = "flat"          # a ratio model of capsim.ratios: flat, linear, ses, damped
    births: str = "births"       # which births series drives intake
    alpha: float = 0.5           # smoothing weight of ses and damped
    blend: float = 0.0           # weight of the naive forecast (value at the origin) in the forecast

    def label(self) -> str:
        model = f"{self.trend} {self.window}" if self.trend in ("flat", "linear") else f"{self.trend} {self.alpha:g}"
        births = "" if self.births == "births" else f", {self.births}"
        return f"{model}{births}, blend {self.blend:g}"


@dataclass(frozen=True)
class Backtest:
    """``forecasts``: one row per area, series, model, origin and target year (capsim's out of
    sample only); ``summary``: error by series, model and horizon; ``periods``: the same by
    origin decade; ``comparison``: capsim against the better naive baseline, with its noise;
    ``selection``: the setting chosen per series, origin and horizon; ``candidates``: every
    setting tried, with its (in-sample) MAPE over all its forecasts, for information only."""

    forecasts: pd.DataFrame
    summary: pd.DataFrame
    selection: pd.DataFrame
    periods: pd.DataFrame = None
    comparison: pd.DataFrame = None
    candidates: pd.DataFrame = None


def link(series: str, births: str = "births"):
    """(driver series, lag, cohort sum length) of a school series."""
    level, kind = series.rsplit("_", 1)
    if kind == "enrolment":
        return f"{level}_intake", 0, GRADES[level]
    if level in BIRTH_LAGS:
        return births, BIRTH_LAGS[level], 1
    return f"{PREVIOUS[level]}_intake", GRADES[PREVIOUS[level]], 1


class Forecaster:
    """Forecasts for one area made at one origin, from the history up to the origin only."""

    def __init__(self, observed: dict, origin: int, settings: dict, breaks: dict | None = None):
        self.observed = {k: {y: v for y, (v, known) in s.items() if y <= origin and known <= origin}
                         for k, s in observed.items()}
        if "births" in self.observed:  # the best births known at the origin: revised where revised by then
            self.observed["births_best"] = {**self.observed["births"], **self.observed.get("births_revised", {})}
        self.breaks = {k: [(y, kind) for y, kind in v if y <= origin] for k, v in (breaks or {}).items()}
        self.origin = origin
        self.settings = settings
        self.cache, self.ratio_cache = {}, {}

    def value(self, series: str, year: int) -> float:
        """Observed up to the origin, forecast after it (NaN if unknowable)."""
        if year <= self.origin:
            return self.observed.get(series, {}).get(year, np.nan)
        if series.startswith("births"):
            return np.nan  # births after the origin are not known at the origin
        key = (series, year)
        if key not in self.cache:
            self.cache[key] = self.forecast(series, year)
        return self.cache[key]

    def driver(self, series: str, year: int) -> float:
        s = self.settings.get(series, Settings())
        name, lag, cohorts = link(series, s.births)
        return float(sum(self.value(name, year - lag - k) for k in range(cohorts)))

    def ratios(self, series: str) -> dict:
        if series not in self.ratio_cache:
            out = {}
            for y, observed in sorted(self.observed.get(series, {}).items()):
                x = self.driver(series, y)
                if np.isfinite(x) and x > 0:
                    out[y] = observed / x
            self.ratio_cache[series] = apply_breaks(out, self.breaks.get(series, []))
        return self.ratio_cache[series]

    def forecast(self, series: str, year: int) -> float:
        s = self.settings.get(series, Settings())
        last = self.observed.get(series, {}).get(self.origin, np.nan)
        if s.blend >= 1:
            return last
        point = calibrate(self.ratios(series), s, year) * self.driver(series, year)
        return (1 - s.blend) * point + s.blend * last if s.blend > 0 and np.isfinite(last) else point


def apply_breaks(ratios: dict, breaks: list) -> dict:
    """Ratios with the breaks known so far applied: ``start`` drops the years before it;
    ``shift`` multiplies them by ``r(b) / r(b - 1)`` (the step at the break)."""
    for year, kind in sorted(breaks):
        if kind == "start":
            ratios = {y: r for y, r in ratios.items() if y >= year}
        elif kind == "shift" and year in ratios and year - 1 in ratios:
            step = ratios[year] / ratios[year - 1]
            ratios = {y: r * step if y < year else r for y, r in ratios.items()}
    return ratios


def calibrate(ratios: dict, s: Settings, year: int) -> float:
    """The ratio for ``year`` from the known ratios, by the setting's ratio model."""
    if not ratios:
        return np.nan
    years = sorted(ratios)
    return float(ratio_level(np.array([ratios[y] for y in years]), s.trend, s.window, s.alpha, year - years[-1]))


def baseline(observed: dict, origin: int, year: int, model: str, window: int = GROWTH_WINDOW) -> float:
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


def _breaks(history: pd.DataFrame) -> dict:
    """area -> series -> [(year, kind)] from the optional ``break`` column."""
    if "break" not in history:
        return {}
    marked = history[history["break"].fillna("").astype(str).str.strip() != ""]
    out = {}
    for area, series, year, kind in marked[["area", "series", "year", "break"]].itertuples(index=False, name=None):
        out.setdefault(area, {}).setdefault(series, []).append((int(year), str(kind).strip()))
    return out


def run_backtest(history: pd.DataFrame, settings, horizons=range(1, 7), min_ratios: int = 3) -> pd.DataFrame:
    """Forecast every school series at every origin with enough history; one row per forecast.

    ``settings``: series -> Settings, or a function of the origin and horizon returning that
    mapping (a forecast ``h`` years ahead and the driver forecasts it uses follow the settings
    chosen for ``h``)."""
    at = settings if callable(settings) else (lambda origin, h: settings)
    rows = []
    breaks = _breaks(history)
    for area, observed in _observed(history).items():
        for series in sorted(s for s in observed if s.endswith(("_intake", "_enrolment"))):
            rows += _series_rows(area, series, observed, at, horizons, min_ratios, breaks.get(area, {}))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.astype({c: float for c in COLUMNS[6:]}).astype({c: int for c in COLUMNS[3:6]})


def _series_rows(area, series, observed, at, horizons, min_ratios, breaks):
    rows = []
    actual = {y: v for y, (v, _) in observed[series].items()}
    for origin in sorted(actual):
        made = {}  # one forecaster per distinct settings at this origin

        def forecaster(h):
            settings = at(origin, h)
            key = tuple(sorted(settings.items()))
            if key not in made:
                made[key] = Forecaster(observed, origin, settings, breaks)
            return made[key]

        if len(forecaster(1).ratios(series)) < min_ratios:
            continue
        for h in horizons:
            year = origin + h
            if year not in actual:
                continue
            point = forecaster(h).forecast(series, year)
            if not np.isfinite(point):
                continue
            rows.append((area, series, "capsim", origin, year, h, actual[year], point, np.nan, np.nan))
            for model in ("last_value", "average_growth"):
                rows.append((area, series, model, origin, year, h, actual[year],
                             baseline(actual, origin, year, model), np.nan, np.nan))
    return rows


def conformal_bands(forecasts: pd.DataFrame) -> pd.DataFrame:
    """capsim's 80 % band from the out-of-sample errors known at each origin (see the module)."""
    f = forecasts.copy()
    ours = f.model == "capsim"
    low, high = f.low.to_numpy(copy=True), f.high.to_numpy(copy=True)
    for _, part in f[ours].groupby(["area", "series"]):
        err = np.abs(np.log(part.actual / part.forecast)).to_numpy()
        year, h = part.year.to_numpy(), part.horizon.to_numpy()
        for i, (origin, hi, point) in enumerate(zip(part.origin, h, part.forecast)):
            known = year <= origin
            q = _conformal(err[known & (h == hi)])
            if not np.isfinite(q):
                q = np.sqrt(hi) * _conformal(err[known] / np.sqrt(h[known]))
            low[part.index[i]], high[part.index[i]] = point * np.exp(-q), point * np.exp(q)
    return f.assign(low=low, high=high)


def _conformal(scores: np.ndarray) -> float:
    n = len(scores)
    k = int(np.ceil(COVER * (n + 1)))
    return float(np.sort(scores)[k - 1]) if n >= MIN_ERRORS and k <= n else np.nan


def _pct(f: pd.DataFrame) -> pd.DataFrame:
    f = f.dropna(subset=["forecast"]).copy()
    f["error"] = f.forecast - f.actual
    f["pct"] = 100 * f.error / f.actual
    f["inside"] = np.where(f.low.notna(), (f.actual >= f.low) & (f.actual <= f.high), np.nan)
    return f


def summarise(forecasts: pd.DataFrame, by=("area", "series", "model", "horizon")) -> pd.DataFrame:
    """Error by area, series, model and horizon: n, MAPE and bias (%), MAE, 80 % band coverage
    (of the ``banded`` forecasts that have a band) and whether it is ``within noise`` of 80 %
    (:func:`coverage_within_noise`), and the area's size class (order of magnitude of the
    series), to compare areas by size."""
    f = _pct(forecasts)
    g = f.groupby(list(by))
    out = pd.DataFrame({"n": g.size(), "mape": g.pct.apply(lambda x: x.abs().mean()), "bias": g.pct.mean(),
                        "mae": g.error.apply(lambda x: x.abs().mean()), "coverage_80": g.inside.mean(),
                        "banded": g.inside.count()}).reset_index()
    out["coverage_within_noise"] = coverage_within_noise(out.coverage_80, out.banded, out.horizon)
    size = f.groupby(["area", "series"]).actual.mean().map(size_class).rename("size_class")
    return out.join(size, on=["area", "series"])


def coverage_within_noise(coverage, banded, horizon) -> np.ndarray:
    """Whether each coverage is within twice its binomial standard error of ``COVER``:
    ``|coverage - 0.8| < 2 sqrt(0.8 x 0.2 / banded) sqrt(h)``, widened by ``sqrt(h)`` as in
    :func:`compare` (``h``-year forecasts from neighbouring origins overlap). True where no
    forecast has a band (nothing to judge)."""
    banded = np.asarray(banded, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(COVER * (1 - COVER) / banded * np.asarray(horizon, dtype=float))
        return np.where(banded > 0, np.abs(np.asarray(coverage, dtype=float) - COVER) < 2 * se, True)


def chance_outside(banded, low: float = 0.7, high: float = 0.9) -> float:
    """How many of the cells with ``banded`` forecasts each a perfectly calibrated 80 % band would
    put outside ``[low, high]`` by chance alone: the sum over cells of ``P(X / n`` outside``)``,
    ``X ~ Binomial(n, 0.8)``, the forecasts taken as independent (neighbouring ones are not, so
    this is the least the noise gives)."""
    total = 0.0
    for n in (int(b) for b in banded if b > 0):
        inside = sum(comb(n, k) * COVER ** k * (1 - COVER) ** (n - k) for k in range(n + 1)
                     if low - 1e-12 <= k / n <= high + 1e-12)
        total += 1 - inside
    return total


def by_period(forecasts: pd.DataFrame) -> pd.DataFrame:
    """The summary by origin decade (``period`` 2000 = origins 2000-2009)."""
    return summarise(forecasts.assign(period=forecasts.origin // 10 * 10),
                     by=("area", "series", "model", "horizon", "period"))


def compare(forecasts: pd.DataFrame) -> pd.DataFrame:
    """capsim against the better naive baseline (lower MAPE) per area, series and horizon.

    ``difference`` is the mean of ``|pct capsim| - |pct naive|`` over the same origins; its noise
    ``se`` is the standard error, widened by ``sqrt(h)`` because ``h``-year forecasts from
    neighbouring origins overlap; ``within_noise`` when ``|difference| < 2 se``."""
    f = _pct(forecasts)
    wide = f.pivot_table(index=["area", "series", "horizon", "origin"], columns="model", values="pct").abs()
    rows = []
    for (area, series, h), part in wide.groupby(level=[0, 1, 2]):
        naive = min(("last_value", "average_growth"), key=lambda m: part[m].mean())
        d = (part["capsim"] - part[naive]).dropna()
        se = float(d.std(ddof=1) / np.sqrt(len(d)) * np.sqrt(h)) if len(d) > 1 else np.nan
        rows.append((area, series, h, len(d), naive, float(d.mean()), se,
                     bool(abs(d.mean()) < 2 * se) if np.isfinite(se) else True))
    return pd.DataFrame(rows, columns=["area", "series", "horizon", "n", "better_naive", "difference", "se",
                                       "within_noise"])


def size_class(value: float) -> str:
    """Order of magnitude of a series' mean, e.g. '1e3-1e4', for error by area size."""
    k = int(np.floor(np.log10(value))) if value > 0 else 0
    return f"1e{k}-1e{k + 1}"


MODELS = [Settings(1, "flat"), Settings(3, "flat"), Settings(5, "linear"), Settings(3, "ses", alpha=0.5),
          Settings(3, "damped", alpha=0.5), Settings(1, "combined", alpha=0.5)]
BLENDS = (0.0, 0.5, 1.0)
DEFAULT, MIN_KNOWN = Settings(1, "flat"), 5     # the last ratio carried forward, until 5 forecasts are known


def _candidates(history, series, chosen, horizons) -> pd.DataFrame:
    """Every candidate setting's forecasts of one series of one area, its drivers at the settings
    already chosen for them, with a ``setting`` column; blends are combined from the same runs."""
    parts = []
    births = ("births", "births_best") if link(series)[0] == "births" else ("births",)
    part_history = history[history.series.isin(_needed(series))]
    for model in MODELS:
        for b in births:
            cand = Settings(model.window, model.trend, b, model.alpha)
            fc = run_backtest(part_history, lambda o, h: {**chosen.get((o, h), {}), series: cand}, horizons)
            fc = fc[fc.series == series]
            ours = fc[fc.model == "capsim"].set_index(["area", "origin", "year"])
            last = fc[fc.model == "last_value"].set_index(["area", "origin", "year"]).forecast
            for blend in BLENDS:
                mixed = (1 - blend) * ours.forecast + blend * last.reindex(ours.index)
                s = Settings(cand.window, cand.trend, cand.births, cand.alpha, blend)
                parts.append(ours.assign(forecast=mixed, setting=[s] * len(ours)).reset_index())
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS + ["setting"])


def _in_link_order(names) -> list:
    """School series with each after the series that drive it."""
    depth = lambda s: 0 if not s.endswith(("_intake", "_enrolment")) else 1 + depth(link(s)[0])
    return sorted(names, key=lambda s: (depth(s), s))


def select_settings(history: pd.DataFrame, horizons=range(1, 7)):
    """Per area, series, origin and horizon, the setting with the lowest MAPE over the candidates'
    forecasts at that horizon whose outcome was known by the origin (ties: the first in order;
    the last ratio carried forward until ``MIN_KNOWN`` such forecasts are known). Series are
    chosen in link order, each candidate's drivers at the settings chosen for them. Returns (choice, selection table, candidate table)."""
    choice, rows, tables = {}, [], []
    for area in sorted(set(history.area)):
        own = history[history.area == area]
        chosen = choice.setdefault(area, {})
        for series in _in_link_order(s for s in own.series.unique() if s.endswith(("_intake", "_enrolment"))):
            cands = _candidates(own, series, chosen, horizons)
            cands["ape"] = 100 * (cands.forecast - cands.actual).abs() / cands.actual
            rows += _choose(area, series, cands, chosen)
            table = cands.groupby("setting", sort=False).ape.agg(["size", "mean"]).reset_index()
            tables.append(table.assign(area=area, series=series))
    selection = pd.DataFrame(rows, columns=["area", "series", "origin", "horizon", "setting", "trend", "window",
                                            "alpha", "births", "blend", "forecasts_known", "mape_known"])
    table = pd.concat(tables, ignore_index=True) if tables else \
        pd.DataFrame(columns=["area", "series", "setting", "size", "mean"])
    table = table.rename(columns={"size": "forecasts", "mean": "mape_all_in_sample"})
    table["setting"] = [s.label() for s in table.setting]
    return choice, selection, table[["area", "series", "setting", "forecasts", "mape_all_in_sample"]]


def _choose(area, series, cands, chosen) -> list:
    """For each origin and horizon, the candidate of least mean APE over its forecasts at that
    horizon with target year <= origin (sums over years, accumulated along the origins)."""
    settings = list(dict.fromkeys(cands.setting))
    origins = np.array(sorted(set(cands.origin)))
    scored, rows = cands.dropna(subset=["ape"]), []
    for h in sorted(set(cands.horizon)):
        part = scored[scored.horizon == h]
        k = part.setting.map({s: i for i, s in enumerate(settings)}).to_numpy()
        j = np.searchsorted(origins, part.year.to_numpy())       # the first origin that knows the outcome
        total, count = np.zeros((2, len(settings), len(origins) + 1))
        np.add.at(total, (k, j), part.ape.to_numpy())
        np.add.at(count, (k, j), 1)
        total, count = total.cumsum(axis=1)[:, :-1], count.cumsum(axis=1)[:, :-1]
        with np.errstate(invalid="ignore", divide="ignore"):
            mape = np.where(count > 0, total / count, np.inf)
        for m, origin in enumerate(origins):
            n = int(count[:, m].max())
            best, score = DEFAULT, np.nan
            if n >= MIN_KNOWN:
                top = int(np.argmin(mape[:, m]))                   # ties: the first candidate
                best, score = settings[top], float(mape[top, m])
            chosen.setdefault((int(origin), h), {})[series] = best
            rows.append((area, series, int(origin), h, best.label(), best.trend, best.window, best.alpha,
                         best.births, best.blend, n, score))
    return sorted(rows, key=lambda r: (r[2], r[3]))


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
    """Choose settings per series at each origin from what was known then (or use the defaults),
    forecast with them, and put conformal bands on those out-of-sample forecasts."""
    if select:
        choice, selection, candidates = select_settings(history, horizons)
        parts = [run_backtest(history[history.area == area], lambda o, h, a=area: choice[a].get((o, h), {}), horizons)
                 for area in sorted(set(history.area))]
        forecasts = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True) if parts \
            else run_backtest(history, {}, horizons)
    else:
        selection = candidates = pd.DataFrame()
        forecasts = run_backtest(history, {}, horizons)
    forecasts = conformal_bands(forecasts)
    return Backtest(forecasts, summarise(forecasts), selection, by_period(forecasts), compare(forecasts), candidates)


BREAKS = ("", "start", "shift")
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
        breaks = table.choice("break", BREAKS, fix="write start, shift or leave it empty.") \
            if table.has("break") else np.full(len(year), "")
        table.duplicates(["area", "series", "year"])
    problems.raise_if_any(DataError)
    ok = (series != "") & np.isfinite(year) & np.isfinite(value)
    return pd.DataFrame({"area": table.frame["area"][ok].to_numpy(), "series": series[ok],
                         "year": year[ok].astype(int), "value": value[ok], "published": published[ok],
                         "break": breaks[ok]})


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
