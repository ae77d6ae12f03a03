"""The report's figures, one PNG each, built from the plotting API."""

from __future__ import annotations

import io

import numpy as np

from capsim.reports import plots


def _grid(n, cols, width=4.2, height=2.8, sharey=False):
    import matplotlib.pyplot as plt

    plots.use_cjk_font()
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False, sharey=sharey)
    for ax in axes.reshape(-1)[n:]:
        ax.set_visible(False)
    return fig, axes.reshape(-1)


def _one_legend(fig, axes):
    """One legend above the panels instead of one inside each."""
    handles, labels = max((ax.get_legend_handles_labels() for ax in axes), key=lambda hl: len(hl[1]))
    for ax in axes:
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    if not labels:                      # every panel says it has no data
        fig.tight_layout()
        return
    fig.legend(handles, labels, loc="upper center", ncol=min(6, len(labels)), fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.95))


def report_figures(t) -> dict:
    """File name -> matplotlib Figure, in the order the report shows them."""

    levels = list(dict.fromkeys(t.before.level))
    regions = list(dict.fromkeys(t.before.region))
    figs = {}
    fig, axes = _grid(len(levels), 2)
    for ax, level in zip(axes, levels):
        plots.seat_gap(t, level=level, ax=ax)
    _one_legend(fig, axes[:len(levels)])
    figs["seat_gap.png"] = fig
    if len(regions) > 1:
        figs["seat_gap_by_region.png"] = districts_figure(t, regions, levels)
    if "regions" in t.places:
        figs["map.png"] = map_figure(t)
    fig, axes = _grid(len(levels), 2)
    for ax, level in zip(axes, levels):
        plots.fan_chart(t, level, ax=ax)
    _one_legend(fig, axes[:len(levels)])
    figs["students_and_seats.png"] = fig
    if t.before.oversized_classes.notna().any():   # without a school list classes are unknown: no figure
        fig, axes = _grid(len(levels), 2)
        for ax, level in zip(axes, levels):
            plots.oversized_classes(t, level=level, ax=ax)
        _one_legend(fig, axes[:len(levels)])
        figs["oversized_classes.png"] = fig
    if t.has_plan:
        figs["build_timeline.png"] = plots.build_timeline(t).figure
        figs["spending.png"] = plots.spending(t).figure
    figs["teachers.png"] = plots.teachers(t).figure
    for name in ("build_timeline.png", "spending.png", "teachers.png"):
        if name in figs:
            figs[name].tight_layout()
    return figs


def districts_figure(t, regions, levels):
    """Small multiples: a row per district, a column per level, one y scale for every panel of a
    level (so districts compare at a glance), at most a few year ticks per panel."""
    fig, axes = _grid(len(regions) * len(levels), len(levels), width=3.6, height=2.3, sharey="col")
    for ax, (region, level) in zip(axes, [(r, lv) for r in regions for lv in levels]):
        plots.seat_gap(t, region=region, level=level, ax=ax)
        ax.set_title(f"{t.region(region)} · {plots.LEVEL_NAMES.get(level, '')} {level}", fontsize=8)
        ax.set_ylabel("")
    _one_legend(fig, axes[:len(regions) * len(levels)])
    return fig


def map_years(t) -> list[int]:
    """The first year, the year with most seats short (districts short, all levels) and the last."""
    from capsim.reports.summary import shortage_by_year

    total = shortage_by_year(t.before).groupby("year").shortage.sum()
    years = [int(t.before.year.min()), int(total.idxmax()) if total.max() > 0.5 else None, int(t.before.year.max())]
    return sorted({y for y in years if y is not None})


def map_figure(t):
    """The seat gap per district on the map, before (top) and after the plan, in the map years."""
    years = map_years(t)
    stages = ["before"] + (["after"] if t.after is not None else [])
    fig, axes = _grid(len(stages) * len(years), len(years), width=3.8, height=3.8)
    for ax, (stage, year) in zip(axes, [(s, y) for s in stages for y in years]):
        plots.seat_gap_map(t, year, stage, ax=ax)
    _one_legend(fig, axes[:len(stages) * len(years)])
    for handle in fig.legends[0].legend_handles if fig.legends else []:
        handle.set_sizes([30])               # one legend size: the circles' areas are the data
    return fig


def png_bytes(fig, dpi=110) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()
