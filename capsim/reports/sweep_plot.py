"""The sweep's comparison plot: what each case costs and what it leaves short."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def save_sweep_figure(folder, table: pd.DataFrame) -> Path:
    """Draw :func:`plot_sweep` of a sweep's ``table`` into its folder (``sweep.png``, replaced whole)."""
    import io

    import matplotlib.pyplot as plt

    from capsim.outputs import write_atomic
    from capsim.sweeps import FIGURE

    buf = io.BytesIO()
    fig = plot_sweep(table)
    fig.savefig(buf, format="png", dpi=150)
    plt.close(fig)
    write_atomic(Path(folder) / FIGURE, buf.getvalue())
    return Path(folder) / FIGURE


def plot_sweep(table: pd.DataFrame, most: int = 60):
    """Left: cost against shortfall left, one point per case (coloured by the first grid key
    when it has a few values). Right: the ``most`` costliest cases ranked, cost bars with the
    shortfall beside them. Failed cases are listed in the title. Returns the Figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from capsim.reports.plots import use_cjk_font

    use_cjk_font()
    ok = table[table.status == "ok"]
    shown = ok.nlargest(most, "cost_yuan").iloc[::-1]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, max(3.5, 0.16 * len(shown) + 1.2)),
                                      gridspec_kw={"width_ratios": [1, 1.3]})
    _scatter(left, ok, table)
    y = np.arange(len(shown))
    right.barh(y, shown.cost_yuan / 1e6, color="#1f5fa8", label="cost 投资")
    right.set_yticks(y, shown.label, fontsize=5 if len(shown) > 30 else 7)
    right.set_xlabel("million yuan 百万元", fontsize=8)
    twin = right.twiny()
    twin.plot(shown.shortfall_seat_years, y, "o", color="#c62828", markersize=3, label="shortfall 缺口")
    twin.set_xlabel("shortfall, seat-years 学位缺口(学位·年)", fontsize=8, color="#c62828")
    twin.set_xlim(left=0)
    right.set_title("cases by cost 各情景投资", fontsize=9)
    failed = (table.status == "failed").sum()
    fig.suptitle(f"sweep: {len(ok)} cases" + (f", {failed} failed (sweep.csv)" if failed else ""), fontsize=10)
    fig.tight_layout()
    return fig


def _scatter(ax, ok: pd.DataFrame, table: pd.DataFrame) -> None:
    grid_keys = [c for c in table.columns if "." in c]
    colour_by = next((k for k in grid_keys if 1 < ok[k].nunique() <= 10), None)
    groups = ok.groupby(ok[colour_by].astype(str), sort=False) if colour_by else [("", ok)]
    for name, part in groups:
        ax.scatter(part.cost_yuan / 1e6, part.shortfall_seat_years, s=14, label=name or None)
    if colour_by:
        ax.legend(title=colour_by, fontsize=6, title_fontsize=7, frameon=False)
    ax.set_xlabel("cost, million yuan 投资(百万元)", fontsize=8)
    ax.set_ylabel("shortfall left, seat-years 学位缺口", fontsize=8)
    ax.set_title("cost against shortfall 投资与缺口", fontsize=9)
