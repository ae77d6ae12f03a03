"""Backtest machinery on synthetic histories with known answers, and on the shipped series."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from capsim.backtests import (MODELS, Forecaster, Settings, _breaks, _conformal, _observed, apply_breaks, backtest,
                             baseline, calibrate, chance_outside, conformal_bands, coverage_within_noise,
                             read_history, run_backtest, summarise)
from capsim.ratios import ratio_level

YEARS = range(1990, 2021)


def _synthetic(entry=0.9, stay=0.98, trend=0.0):
    """Births growing 1 % a year; intake = ratio x births 6 years earlier; enrolment = stay x 6 cohorts."""
    births = {y: 1000 * 1.01 ** (y - 1980) for y in range(1980, 2021)}
    intake = {y: (entry + trend * (y - 1990)) * births[y - 6] for y in YEARS}
    enrol = {y: stay * sum(intake[y - k] for k in range(6)) for y in YEARS if y - 5 in intake}
    rows = [("a", "births", y, v) for y, v in births.items()]
    rows += [("a", "primary_intake", y, v) for y, v in intake.items()]
    rows += [("a", "primary_enrolment", y, v) for y, v in enrol.items()]
    return pd.DataFrame(rows, columns=["area", "series", "year", "value"])


def test_constant_ratios_give_zero_error():
    fc = run_backtest(_synthetic(), {})
    ours = fc[fc.model == "capsim"]
    assert len(ours) > 50 and set(ours.series) == {"primary_intake", "primary_enrolment"}
    np.testing.assert_allclose(ours.forecast, ours.actual, rtol=1e-12)
    # the naive baselines are not exact on a growing series
    assert (fc[fc.model == "last_value"].forecast != fc[fc.model == "last_value"].actual).any()


def test_linear_trend_in_the_ratio_is_caught_by_the_linear_setting():
    history = _synthetic(trend=0.002)
    flat = run_backtest(history, {"primary_intake": Settings(3, "flat")})
    linear = run_backtest(history, {"primary_intake": Settings(3, "linear")})
    err = lambda f: (f[(f.model == "capsim") & (f.series == "primary_intake")].pipe(
        lambda d: (d.forecast - d.actual).abs() / d.actual)).max()
    assert err(linear) < 1e-12 < err(flat)


def test_nothing_after_the_origin_leaks_into_calibration():
    history = _synthetic()
    before = Forecaster(_observed(history)["a"], 2010, {}).forecast("primary_enrolment", 2014)
    spoiled = history.assign(value=np.where(history.year > 2010, history.value * 5, history.value))
    after = Forecaster(_observed(spoiled)["a"], 2010, {}).forecast("primary_enrolment", 2014)
    assert before == after


def test_revisions_are_used_only_from_the_year_they_were_published():
    history = _synthetic()
    revised = history[history.series == "births"].assign(series="births_revised", value=lambda d: d.value * 2,
                                                         published=2018)
    observed = _observed(pd.concat([history, revised]))["a"]
    early = Forecaster(observed, 2015, {}).observed
    late = Forecaster(observed, 2018, {}).observed
    assert early["births_best"][2010] == early["births"][2010]       # the revision was not yet out
    assert late["births_best"][2010] == 2 * late["births"][2010]


def test_horizons_stop_where_births_are_not_yet_known():
    fc = run_backtest(_synthetic(), {}, horizons=range(1, 10))
    assert fc[(fc.model == "capsim") & (fc.series == "primary_intake")].horizon.max() == 6


def test_calibration_flat_and_linear_hand_worked():
    ratios = {2001: 1.0, 2002: 1.1, 2003: 1.3}
    assert calibrate(ratios, Settings(2, "flat"), 2004) == pytest.approx(1.2)
    # least-squares line through (2001, 1.0), (2002, 1.1), (2003, 1.3): slope 0.15, at 2004: 1.4333
    assert calibrate(ratios, Settings(3, "linear"), 2004) == pytest.approx(1.1333333 + 0.15 * 2, rel=1e-6)


def test_baselines_hand_worked():
    series = {2000: 100.0, 2001: 110.0, 2002: 121.0}
    assert baseline(series, 2002, 2005, "last_value", 3) == 121.0
    assert baseline(series, 2002, 2004, "average_growth", 2) == pytest.approx(121 * 1.1 ** 2)


def test_summary_metrics_hand_worked():
    fc = pd.DataFrame({"area": "a", "series": "s", "model": "capsim", "origin": 2000, "year": [2001, 2002],
                       "horizon": 1, "actual": [100.0, 200.0], "forecast": [110.0, 190.0],
                       "low": [90.0, 180.0], "high": [120.0, 199.0]})
    row = summarise(fc).iloc[0]
    # errors +10 % and -5 %: MAPE 7.5, bias 2.5, MAE 10; only the first actual is inside its band
    assert (row.n, row.mape, row.bias, row.mae, row.coverage_80) == (2, 7.5, 2.5, 10.0, 0.5)


def test_selection_is_nested_one_setting_per_series_origin_and_horizon():
    result = backtest(_synthetic(trend=0.002), horizons=range(1, 4))
    sel = result.selection
    assert not sel.duplicated(["series", "origin", "horizon"]).any()
    assert set(sel.series) == {"primary_enrolment", "primary_intake"}
    # until 5 outcomes are known the last ratio is carried forward; then the linear trend wins
    early, late = sel[sel.forecasts_known < 5], sel[(sel.series == "primary_intake") & (sel.origin >= 2010)]
    assert len(early) and (sel[sel.forecasts_known >= 5].setting != "flat 1, blend 0").any()
    assert (early.setting == "flat 1, blend 0").all()
    assert (late.trend == "linear").all()
    assert len(result.candidates) >= len(MODELS) * 3


def test_selection_and_forecasts_use_nothing_after_the_origin():
    history = _synthetic(trend=0.002)
    spoiled = history.assign(value=np.where(history.year > 2010, history.value * (1 + (history.year % 3) / 10),
                                            history.value))
    a, b = backtest(history, horizons=range(1, 4)), backtest(spoiled, horizons=range(1, 4))
    keep = lambda t: t[t.origin <= 2010].reset_index(drop=True)
    pd.testing.assert_frame_equal(keep(a.selection), keep(b.selection))
    fa, fb = keep(a.forecasts), keep(b.forecasts)
    np.testing.assert_array_equal(fa.forecast, fb.forecast)


def test_conformal_band_hand_worked():
    # 4 errors: the ceil(0.8 x 5) = 4th smallest; 3 errors cannot support an 80 % band
    assert _conformal(np.array([0.01, 0.04, 0.02, 0.03])) == 0.04
    assert np.isnan(_conformal(np.array([0.01, 0.02, 0.03])))
    fc = pd.DataFrame({"area": "a", "series": "s", "model": "capsim", "origin": [2000, 2001, 2002, 2003, 2004, 2005],
                       "year": [2001, 2002, 2003, 2004, 2005, 2006], "horizon": 1,
                       "actual": 100.0, "forecast": 100 * np.exp([0.01, -0.02, 0.03, -0.04, 0.0, 0.0]),
                       "low": np.nan, "high": np.nan})
    banded = conformal_bands(fc)
    assert banded.low[:4].isna().all()                   # fewer than 4 outcomes known at those origins
    assert banded.high[4] == pytest.approx(banded.forecast[4] * np.exp(0.04))


def test_coverage_noise_hand_worked():
    # 17 of 17 inside at 1 year: 2 se = 2 sqrt(0.16 / 17) = 0.194 < 0.2 off; at 2 years 0.274 > 0.2
    assert list(coverage_within_noise([1.0, 1.0, 0.8, 0.0], [17, 17, 5, 0], [1, 2, 1, 1])) == [False, True, True, True]
    # n = 10 inside 70-90 % for 7, 8 or 9 inside: 120 .8^7 .2^3 + 45 .8^8 .2^2 + 10 .8^9 .2 = 0.771751936;
    # n = 1 is always outside (0 % or 100 %)
    assert chance_outside([10]) == pytest.approx(1 - 0.771751936, abs=1e-12)
    assert chance_outside([1, 10, 0]) == pytest.approx(2 - 0.771751936, abs=1e-12)


def test_ratio_models_hand_worked():
    r = np.array([1.0, 1.1, 1.3])
    assert ratio_level(r, "ses", alpha=0.5) == pytest.approx(0.5 * 1.3 + 0.5 * (0.5 * 1.1 + 0.5 * 1.0))
    # damped: l = 1.05, b = 0.2 x 0.05 = 0.01; then l = 0.5 x 1.3 + 0.5 x (1.05 + 0.008) = 1.179,
    # b = 0.2 x 0.129 + 0.8 x 0.8 x 0.01 = 0.0322; two steps ahead: l + (0.8 + 0.64) b
    assert ratio_level(r, "damped", alpha=0.5, steps=2) == pytest.approx(1.179 + 1.44 * 0.0322)
    assert ratio_level(np.array([2.0, np.nan, 2.0]), "ses", alpha=0.3) == 2.0    # gaps are skipped
    # columns are computed together, each as on its own
    both = ratio_level(np.c_[r, 2 * r], "linear", window=3, steps=2)
    np.testing.assert_allclose(both, [calibrate(dict(zip((1, 2, 3), r)), Settings(3, "linear"), 5),
                                      2 * calibrate(dict(zip((1, 2, 3), r)), Settings(3, "linear"), 5)])


def test_breaks_start_and_shift_hand_worked():
    ratios = {2010: 0.8, 2011: 0.9, 2012: 1.0, 2013: 1.0}
    assert apply_breaks(ratios, [(2012, "start")]) == {2012: 1.0, 2013: 1.0}
    shifted = apply_breaks(ratios, [(2012, "shift")])      # the step at 2012 is 1.0 / 0.9
    assert shifted[2010] == pytest.approx(0.8 / 0.9) and shifted[2011] == pytest.approx(1.0)
    history = _synthetic().assign(**{"break": ""})
    history.loc[(history.series == "primary_intake") & (history.year == 2005), "break"] = "start"
    early = Forecaster(_observed(history)["a"], 2004, {}, _breaks(history)["a"]).ratios("primary_intake")
    late = Forecaster(_observed(history)["a"], 2008, {}, _breaks(history)["a"]).ratios("primary_intake")
    assert min(early) == 1990 and min(late) == 2005      # a break counts from its own year on


def test_history_errors_name_row_value_and_fix(tmp_path):
    from capsim.errors import DataError

    path = tmp_path / "h.csv"
    pd.DataFrame({"area": ["a", "a"], "series": ["births", "pupils"], "year": [2000, 2001],
                  "value": [-1, 5]}).to_csv(path, index=False)
    with pytest.raises(DataError) as caught:
        read_history(path)
    text = caught.value.report()
    assert "row 2, column value" in text and "Got '-1'" in text
    assert "row 3, column series" in text and "Got 'pupils'" in text and "primary_intake" in text


def test_scenario_history_from_enrolment_and_births():
    from capsim.examples import tiny_path

    h = read_history(tiny_path())
    north = h[(h.area == "north") & (h.series == "primary_enrolment")].set_index("year").value
    raw = pd.read_csv(tiny_path().parent / "enrolment.csv").query("region == 'north' and level == 'primary'")
    assert north[2020] == raw[raw.year == 2020].students.sum()
    assert {"births", "primary_intake", "junior_intake", "junior_enrolment"} <= set(h.series)


def test_cli_backtest_writes_tables_and_plot(tmp_path):
    from capsim.cli import main

    path = tmp_path / "h.csv"
    _synthetic().to_csv(path, index=False)
    assert main(["backtest", str(path), "--out", str(tmp_path / "bt"), "--no-select", "--quiet"]) == 0
    names = {p.name for p in (tmp_path / "bt").iterdir()}
    assert {"backtest_summary.csv", "backtest_forecasts.csv", "backtest_mape_a.png"} <= names


def test_the_printed_summary_shows_no_nan_where_a_band_is_missing():
    from capsim.reports.summary import backtest_summary

    text = backtest_summary(backtest(_synthetic(), horizons=range(1, 4), select=False).summary)
    assert "NaN" not in text and "–" in text                # the first origins have no band yet


def test_shipped_national_history_reads():
    h = read_history(Path(__file__).parent.parent / "data" / "china" / "history.csv")
    births = h[(h.area == "china") & (h.series == "births")].set_index("year").value
    assert births[2016] == 17_860_000 and births[2024] == 9_540_000  # NBS bulletins (万 x 10,000)


def test_shipped_provincial_history_reads():
    h = read_history(Path(__file__).parent.parent / "data" / "provinces" / "history.csv")
    births = h[(h.area == "shandong") & (h.series == "births")].set_index("year").value
    assert abs(births[2016] - 1_770_000) < 5_000 and abs(births[2019] - 1_183_900) < 5_000   # as reported
    assert set(h.area) == {"yunnan", "shandong"}


def test_an_area_too_short_to_forecast_leaves_the_others_whole():
    short = pd.DataFrame({"area": "b", "series": ["births", "primary_intake", "primary_enrolment"],
                          "year": 2020, "value": [100.0, 90.0, 500.0]})
    both = backtest(pd.concat([_synthetic(), short]), horizons=range(1, 3))
    alone = backtest(_synthetic(), horizons=range(1, 3))
    assert set(both.forecasts.area) == {"a"}
    pd.testing.assert_frame_equal(both.summary, alone.summary)
