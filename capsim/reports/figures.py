"""The report's figures, one PNG each, built from the plotting API."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from capsim.reports import plots
from capsim.targets import shortage_and_surplus


# Margins in inches, fixed instead of measured (a measuring pass, tight_layout, costs about as
# much as drawing): room for the y tick labels and label, a title above each panel, the x tick
# labels below, and a band at the top for the one legend of a figure.
MARGINS = {"left": 0.85, "right": 0.15, "top": 0.4, "bottom": 0.35, "wspace": 0.85, "hspace": 0.75, "legend": 0.3}


def _grid(n, cols, width=4.2, height=2.8, legend=True):
    """A figure of ``n`` panels in rows of ``cols``, each ``width`` x ``height`` inches with its
    margins, laid out by :data:`MARGINS` (plus a legend band at the top when ``legend``)."""
    import matplotlib.pyplot as plt

    plots.use_cjk_font()
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows + MARGINS["legend"] * legend),
                             squeeze=False)
    _place(fig, rows, cols, legend)
    for ax in axes.reshape(-1)[n:]:
        ax.set_visible(False)
    return fig, axes.reshape(-1)


def _place(fig, rows=1, cols=1, legend=False, left=None, bottom=None):
    """Lay out a figure's grid of ``rows`` x ``cols`` panels by :data:`MARGINS` (``left`` and
    ``bottom`` inches instead of the usual margins)."""
    m = MARGINS
    w, h = fig.get_size_inches()
    left = m["left"] if left is None else left
    bottom = m["bottom"] if bottom is None else bottom
    top = m["top"] + m["legend"] * legend
    panel_w = (w - left - m["right"] - (cols - 1) * m["wspace"]) / cols
    panel_h = (h - top - bottom - (rows - 1) * m["hspace"]) / rows
    fig.subplots_adjust(left=left / w, right=1 - m["right"] / w, top=1 - top / h, bottom=bottom / h,
                        wspace=m["wspace"] / panel_w, hspace=m["hspace"] / panel_h)


def _one_legend(fig, axes):
    """One legend above the panels instead of one inside each; panels as wide as their titles."""
    handles, labels = max((ax.get_legend_handles_labels() for ax in axes), key=lambda hl: len(hl[1]))
    for ax in axes:
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    if labels:                      # else every panel says it has no data
        fig.legend(handles, labels, loc="upper center", ncol=min(6, len(labels)), fontsize=7, frameon=False)
    _fit_titles(fig, axes)


def _fit_titles(fig, axes):
    """Widen a grid figure until each panel is as wide as the longest title (titles are not
    measured by a layout pass, so a long one would run into its neighbour or off the edge)."""
    rows, cols = axes[0].get_subplotspec().get_gridspec().get_geometry()
    renderer = fig.canvas.get_renderer()
    title = max(ax.title.get_window_extent(renderer).width for ax in axes) / fig.dpi
    panel = axes[0].get_position().width * fig.get_figwidth()
    if title + 0.1 > panel:
        fig.set_size_inches(fig.get_figwidth() + cols * (title + 0.1 - panel), fig.get_figheight())
        _place(fig, rows, cols, legend=True)


def report_figures(t) -> dict:
    """File name -> matplotlib Figure, in the order the report shows them."""

    levels = list(dict.fromkeys(t.assessment.level))
    regions = list(dict.fromkeys(t.assessment.region))
    figs = {}
    fig, axes = _grid(len(levels), 2)
    for ax, level in zip(axes, levels):
        plots.seat_gap(t, level=level, ax=ax)
    _one_legend(fig, axes[:len(levels)])
    figs["seat_gap.png"] = fig
    if len(regions) > 1:
        figs["seat_gap_by_region.png"] = districts_figure(t, regions, levels)
    if "regions" in t.places or plots.usable_outlines(t) is not None:
        figs["map.png"] = map_figure(t)
    if t.catchments is not None and len(t.catchments) and {"areas", "schools"} <= set(t.places):
        figs["catchments_map.png"] = catchment_figure(t)
    fig, axes = _grid(len(levels), 2)
    for ax, level in zip(axes, levels):
        plots.fan_chart(t, level, ax=ax)
    _one_legend(fig, axes[:len(levels)])
    figs["students_and_seats.png"] = fig
    if t.assessment.oversized_classes.notna().any():   # without a school list classes are unknown: no figure
        fig, axes = _grid(len(levels), 2)
        for ax, level in zip(axes, levels):
            plots.oversized_classes(t, level=level, ax=ax)
        _one_legend(fig, axes[:len(levels)])
        figs["oversized_classes.png"] = fig
    if t.has_plan:
        ax = plots.build_timeline(t)
        ids = [tk.get_text() for tk in ax.get_yticklabels()]
        _place(ax.figure, left=0.3 + 0.06 * max([_width(i) for i in ids] or [4]), bottom=0.5)   # ids; "year" below
        figs["build_timeline.png"] = ax.figure
        fig = plots.spending(t).figure
        _place(fig)
        fig.subplots_adjust(top=1 - 0.6 / fig.get_figheight())   # a title of two lines
        figs["spending.png"] = fig
    figs["teachers.png"] = plots.teachers(t).figure
    _place(figs["teachers.png"])
    return figs


def _width(text: str) -> int:
    """Width of ``text`` in Latin characters (a CJK character counts two)."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def districts_figure(t, regions, levels):
    """Small multiples: a band per district (rows) in a panel per level (columns); every band of
    a level has the same scale, so districts compare at a glance down a column, with its dotted
    lines at the same round number of seats. Surplus up (blue), shortage down (red), light before
    the plan and strong after, as :func:`capsim.plot.seat_gap` draws them. One Axes per level,
    the bands drawn as a few collections: the figure's cost hardly grows with the districts."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    plots.use_cjk_font()
    band, head, left = 0.8, 0.95, 1.1                 # inches: a district's band, the header, the names
    names = [t.region(r) for r in regions]
    left = max(left, 0.25 + 0.07 * max(_width(n) for n in names))
    width = 3.4 * len(levels) + left
    height = band * len(regions) + head + MARGINS["bottom"]
    fig, axes = plt.subplots(1, len(levels), figsize=(width, height), squeeze=False, sharey=True)
    axes = axes[0]
    fig.subplots_adjust(left=left / width, right=1 - MARGINS["right"] / width, top=1 - head / height,
                        bottom=MARGINS["bottom"] / height, wspace=0.25 / 3.4)
    gaps = _district_gaps(t)
    known = t.assessment.lawful_seats.notna().groupby([t.assessment.region, t.assessment.level]).any()   # seats known
    years = np.sort(t.assessment.year.unique())
    rows = {r: i for i, r in enumerate(regions)}
    zero = -np.arange(len(regions), dtype=float)        # district i: the band -i - 0.5 .. -i + 0.5
    span = (years[0] - 0.6, years[-1] + 0.6)
    stages = plots._side_by_side(t, (0, 1))
    for ax, level in zip(axes, levels):
        part = {name: g[(g.level == level) & g.region.isin(rows)] for name, g in gaps.items()}
        top = max([max(p.shortage.max(), p.surplus.max()) for p in part.values() if len(p)] + [1.0])
        scale, unit = _nice(top), 0.45 / top            # the largest bar reaches 0.45 of the band
        for name, _, shade, offset, w in stages:
            p = part[name]
            x, base = p.year.to_numpy(float) + offset, -p.region.map(rows).to_numpy(float)
            for kind, values, colors in (("surplus", p.surplus, plots.SURPLUS), ("shortage", -p.shortage, plots.SHORT)):
                ax.add_collection(PolyCollection(_bars(x, base, values.to_numpy(float) * unit, w), label=f"{kind} {name}",
                                                 facecolors=colors[shade], edgecolors="none"), autolim=False)
        dotted = np.concatenate([zero + scale * unit, zero - scale * unit])
        ax.add_collection(LineCollection([[(span[0], y), (span[1], y)] for y in dotted], colors="#aaa",
                                         linewidths=0.5, linestyles=(0, (1, 2)), label="_scale"))
        ax.add_collection(LineCollection([[(span[0], y), (span[1], y)] for y in zero], colors="black",
                                         linewidths=0.7))
        ax.add_collection(LineCollection([[(span[0], y), (span[1], y)] for y in zero[1:] + 0.5], colors="#777",
                                         linewidths=0.6))
        unknown = [rows[r] for r in regions if not known.get((r, level), False)]
        for i in unknown:
            ax.text(np.mean(span), -i, "seats unknown 无学位数据", ha="center", va="center", fontsize=7, color="#666")
        ax.set_xlim(*span)
        ax.set_ylim(-len(regions) + 0.5, 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.tick_params(axis="x", labelsize=7, top=True, labeltop=True)
        ax.tick_params(axis="y", length=0, labelsize=8)
        ax.grid(axis="x", alpha=0.3)
        ax.set_title(f"{plots.LEVEL_NAMES.get(level, '')} {level}\n"
                     f"dotted ┈ ±{scale:,.0f} seats 学位", fontsize=8, y=1.0, pad=17)
    axes[0].set_yticks(zero, names)
    labels = [f"{kind} {name}" for name, *_ in stages for kind in ("surplus", "shortage")]
    handles = [Patch(color=colors[shade]) for _, _, shade, _, _ in stages for colors in (plots.SURPLUS, plots.SHORT)]
    fig.legend(handles, labels, loc="upper center", ncol=len(labels), fontsize=7, frameon=False)
    return fig


def _district_gaps(t) -> dict:
    """Stage -> per region, level and year: shortage and surplus (as :func:`plots.gap_by_year`)."""
    out = {}
    for name, table in (("before", t.assessment), ("after", t.assessment_after_plan)):
        if table is None:
            continue
        frame = table[["region", "level", "year"]].join(shortage_and_surplus(table))
        out[name] = frame.groupby(["region", "level", "year"], sort=False)[["shortage", "surplus"]].sum().reset_index()
    return out


def _bars(x, base, heights, width):
    """Rectangles (as polygons) of ``width`` centred on ``x``, from ``base`` up by ``heights``."""
    x0, x1, top = x - width / 2, x + width / 2, base + heights
    return np.stack([np.stack([x0, base], 1), np.stack([x0, top], 1), np.stack([x1, top], 1),
                     np.stack([x1, base], 1)], 1)


def _nice(value: float) -> float:
    """The largest of 1, 2, 2.5, 5 x 10^k at most ``value`` (a round figure for a scale line)."""
    k = 10 ** np.floor(np.log10(value))
    return float(max(m * k for m in (1, 2, 2.5, 5) if m * k <= value))


def map_years(t) -> list[int]:
    """The first year, the year with most seats short (districts short, all levels) and the last."""
    from capsim.reports.summary import shortage_by_year

    total = shortage_by_year(t.assessment).groupby("year").shortage.sum()
    years = [int(t.assessment.year.min()), int(total.idxmax()) if total.max() > 0.5 else None, int(t.assessment.year.max())]
    return sorted({y for y in years if y is not None})


def map_figure(t):
    """The seat gap per district on the map, before (top) and after the plan, in the map years,
    every panel's shades on one scale."""
    years = map_years(t)
    stages = ["before"] + (["after"] if t.assessment_after_plan is not None else [])
    fig, axes = _grid(len(stages) * len(years), len(years), width=3.8, height=3.8)
    panels = [(s, y) for s in stages for y in years]
    gaps = pd.concat([plots.gap_by_region(t, y, s) for s, y in panels])
    darkest = (gaps.short.max(), gaps.surplus.where(gaps.short <= 0.5, 0.0).max())   # blue: districts not short
    for ax, (stage, year) in zip(axes, panels):
        plots.seat_gap_map(t, year, stage, ax=ax, darkest=darkest)
    _one_legend(fig, axes[:len(stages) * len(years)])
    legend = fig.legends[0] if fig.legends else None
    for handle, text in zip(legend.legend_handles, legend.get_texts()) if legend else []:
        if hasattr(handle, "set_sizes"):
            handle.set_sizes([30])           # one legend size: the circles' areas are the data
        else:                                # a district's shade: the middle one of its kind
            handle.set_facecolor(plots.district_shade("short" if "short" in text.get_text() else "spare", 0.5))
    return fig


def catchment_figure(t):
    """The plan's zoning on the map: a row per level, the first and the last plan year."""
    c = t.catchments
    levels, years = list(dict.fromkeys(c.level)), [int(c.year.min()), int(c.year.max())]
    fig, axes = _grid(len(levels) * len(years), len(years), width=3.8, height=3.8)
    for ax, (level, year) in zip(axes, [(lv, y) for lv in levels for y in years]):
        plots.catchment_map(t, level, year, ax=ax)
    _one_legend(fig, axes[:len(levels) * len(years)])
    return fig


def png_bytes(fig, dpi=110) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()
