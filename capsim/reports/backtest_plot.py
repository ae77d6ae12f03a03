"""Plot of backtest errors: MAPE by horizon, one panel per series, one line per model."""

from __future__ import annotations

import numpy as np


def plot_mape(summary, area: str, axes=None):
    """Draw MAPE (%) against horizon for ``area``; returns the array of Axes used."""
    import matplotlib.pyplot as plt

    from capsim.reports.fonts import use_cjk_font

    use_cjk_font()                 # area names may be Chinese, and are never mathtext
    part = summary[summary.area == area]
    series = sorted(part.series.unique())
    if axes is None:
        cols = min(4, len(series))
        rows = int(np.ceil(len(series) / cols))
        _, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), sharex=True, squeeze=False)
    flat = np.asarray(axes).reshape(-1)
    for ax, name in zip(flat, series):
        for model, lines in part[part.series == name].groupby("model"):
            ax.plot(lines.horizon, lines.mape, marker="o", label=model,
                    linewidth=2.2 if model == "capsim" else 1.2)
        ax.set_title(name.replace("_", " "), fontsize=9)
        ax.set_xlabel("horizon (years)", fontsize=8)
        ax.set_ylabel("MAPE (%)", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in flat[len(series):]:
        ax.set_visible(False)
    flat[0].legend(fontsize=7)
    return flat[: len(series)]


def mape_figure(summary, area):
    """The backtest's errors by horizon for one area, as a whole figure with its title."""
    import matplotlib

    matplotlib.use("Agg")
    axes = plot_mape(summary, area)
    fig = axes[0].figure
    fig.suptitle(f"Backtest: {area}", fontsize=10)
    fig.tight_layout()
    return fig
