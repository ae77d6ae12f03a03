"""The robust-plan comparison plot: how each plan fares over the forecast's draws."""

from __future__ import annotations

import numpy as np
import pandas as pd


def plot_regret(draws: pd.DataFrame):
    """Left: each plan's shortfall on every draw (seat-years); right: its regret against the
    median plan on every draw (million yuan; below zero the plan did better). Boxes span the
    draws' 25-75 %, whiskers 5-95 %, the line is the median. Returns the Figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from capsim.reports.plots import use_cjk_font

    use_cjk_font()
    plans = list(dict.fromkeys(draws.plan))
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, column, scale, title, unit in (
            (left, "shortfall_seat_years", 1, "shortfall on each draw 各模拟的学位缺口", "seat-years 学位·年"),
            (right, "regret_yuan", 1e6, "regret vs the median plan 相对中位数方案的遗憾值", "million yuan 百万元")):
        values = [draws.loc[draws.plan == p, column].to_numpy() / scale for p in plans]
        ax.boxplot(values, whis=(5, 95), showfliers=False)
        ax.set_xticks(np.arange(1, len(plans) + 1), plans, fontsize=8)
        ax.set_title(title, fontsize=9)
        ax.set_ylabel(unit, fontsize=8)
    right.axhline(0, color="#888888", linewidth=0.8)
    n = draws.draw.nunique()
    fig.suptitle(f"plans evaluated on {n} forecast draws 方案在{n}个模拟下的表现", fontsize=10)
    fig.tight_layout()
    return fig
