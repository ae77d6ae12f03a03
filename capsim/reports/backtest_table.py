"""The honest accuracy table of a backtest as Markdown (what README shows, printed by
``capsim backtest HISTORY --markdown``)."""

from __future__ import annotations

import numpy as np

from capsim.backtests import chance_outside

ORDER = ("primary", "junior", "senior", "kindergarten")
MEAN_OF = ("primary_enrolment", "junior_enrolment", "senior_enrolment")


def accuracy_markdown(result, area: str, horizons=(1, 3, 5)) -> str:
    """One row per series and horizon: capsim's out-of-sample MAPE, bias and band coverage (marked
    where it is off 80 % beyond noise), the naive baselines beside them, and capsim minus the
    better baseline with twice its noise; under it the mean enrolment MAPE and how many bands
    at horizons 1-3 fall outside 70-90 %, beside how many would by chance alone."""
    s = result.summary[(result.summary.area == area) & result.summary.horizon.isin(horizons)]
    mape = s.pivot_table(index=["series", "horizon"], columns="model", values="mape")
    ours = s[s.model == "capsim"].set_index(["series", "horizon"])
    comp = result.comparison[result.comparison.area == area].set_index(["series", "horizon"])
    rank = lambda key: (ORDER.index(key[0].rsplit("_", 1)[0]), key[0].endswith("enrolment"), key[1])
    lines = [f"**{area}**", "", "| series | horizon (years) | forecasts | MAPE | bias | 80 % coverage (banded) | "
             "MAPE last value | MAPE average growth | capsim − better naive (± 2 se) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for key in sorted(ours.index, key=rank):
        row, c = ours.loc[key], comp.loc[key]
        cover = f"{row.coverage_80:.0%} ({row.banded:.0f})" if row.banded else "– (0)"
        cover += "" if row.coverage_within_noise else " beyond noise"
        noise = " within noise" if c.within_noise else ""
        diff = f"{c.difference:+.1f} ± {2 * c.se:.1f}{noise}" if np.isfinite(c.se) else f"{c.difference:+.1f}"
        lines.append(f"| {key[0].replace('_', ' ')} | {key[1]} | {row.n:.0f} | {row.mape:.1f} | {row.bias:+.1f} | "
                     f"{cover} | {mape.loc[key, 'last_value']:.1f} | {mape.loc[key, 'average_growth']:.1f} | {diff} |")
    means = [f"{h} year{'s' if h > 1 else ''}: {v.mean():.2f} %" for h in horizons   # only where all three exist
             if (v := ours.mape.reindex([(m, h) for m in MEAN_OF])).notna().all()]
    if means:
        lines += ["", "Mean enrolment MAPE (primary, junior, senior), " + "; ".join(means) + "."]
    return "\n".join(lines + _coverage_line(result.summary, area))


def _coverage_line(summary, area: str) -> list:
    """How many series-horizons 1-3 with at least 10 banded forecasts have a coverage outside
    70-90 %, and how many a perfectly calibrated band would have outside by chance."""
    s = summary[(summary.area == area) & (summary.model == "capsim") & (summary.horizon <= 3) & (summary.banded >= 10)]
    if s.empty:
        return []
    outside = int(((s.coverage_80 < 0.7) | (s.coverage_80 > 0.9)).sum())
    return ["", f"80 % bands at horizons 1-3 (with at least 10 banded forecasts; the table shows 1 and 3): "
            f"{outside} of {len(s)} cover outside 70-90 %; a perfectly calibrated band would, by chance alone, "
            f"leave about {chance_outside(s.banded):.1f} of them outside (binomial, forecasts taken as "
            f"independent, so at least that many)."]
