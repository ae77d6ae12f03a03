"""Plots a planner reads. Each function takes a run's results (``capsim.run``'s Results or
:class:`~capsim.reports.tables.ReportTables`) and an optional ``ax``, and returns the Axes.

Conventions: years on the x axis; "before" is the network as it stands (light colours),
"after" the network with the plan's projects (strong colours); shortage is drawn below zero
in red, surplus above zero in blue, so the two are never netted against each other.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from capsim.boundaries import label_points
from capsim.reports.fonts import use_cjk_font
from capsim.reports.labels import level_label, money
from capsim.reports.labels import median_quantile
from capsim.targets import shortage_and_surplus

SHORT, SURPLUS = ("#f4a6a6", "#c62828"), ("#a8c8ec", "#1f5fa8")   # (before, after)
BANDS = (("over standard", "oversized_only", "#f2c14e"), ("56–65", "classes_56_65", "#e07b39"),
         ("66+", "classes_66_plus", "#b3261e"))
from capsim.reports.labels import LEVEL_NAMES  # noqa: E402  (re-exported: plots.LEVEL_NAMES)


def tables_of(results):
    """ReportTables from either a Results or ReportTables."""
    from capsim.reports.tables import ReportTables, from_results

    return results if isinstance(results, ReportTables) else from_results(results)


def _axes(ax, size=(6.4, 3.2)):
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator, StrMethodFormatter

    use_cjk_font()
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    # years, never 2022.5; few enough that narrow panels never run them together
    width = ax.get_position().width * ax.figure.get_figwidth()
    ax.xaxis.set_major_locator(MaxNLocator(nbins=max(2, int(width / 0.7)), integer=True))
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))   # 375,000, not 375000
    ax.tick_params(labelsize=7)
    return ax


def check_choice(func: str, name: str, value, allowed) -> None:
    """Refuse a value outside ``allowed`` with the scikit-learn style message."""
    allowed = list(allowed)
    if value is not None and value not in allowed:
        raise ValueError(f"The '{name}' parameter of {func} must be one of {allowed} or None. Got {value!r} instead.")


def _check(t, func: str, region=None, level=None) -> None:
    check_choice(func, "level", level, list(dict.fromkeys(t.assessment.level)))
    check_choice(func, "region", region, list(dict.fromkeys(t.assessment.region)))


def _select(frame, region=None, level=None):
    if region is not None:
        frame = frame[frame.region == region]
    if level is not None:
        frame = frame[frame.level == level]
    return frame


def label(region=None, level=None, t=None) -> str:
    """E.g. "城东区 · 小学 primary" (the region's name when ``t`` has it); all regions when none is named."""
    parts = [(t.region(region) if t is not None else str(region)) if region is not None else "全部区域 all districts"]
    if level:
        parts.append(f"{LEVEL_NAMES.get(level, '')} {level}".strip())
    return " · ".join(parts)


def _start(results, ax, title, region, level, func, column="lawful_seats"):
    """(tables, Axes, seats unknown?) for a before/after plot of a region and level."""
    t = tables_of(results)
    _check(t, func, region, level)
    ax = _axes(ax)
    ax.set_title(f"{title} · {label(region, level, t)}", fontsize=9, y=1.0)
    return t, ax, _unknown(ax, t.assessment, region, level, column)


def _unknown(ax, assessment, region, level, column="lawful_seats") -> bool:
    """Say so on ``ax`` when the selection has no data for ``column``: seats unknown (no school
    list or capacity) or, for classes, no class data (no school list)."""
    if _select(assessment, region, level)[column].notna().any():
        return False
    text = ("seats unknown 无学位数据: no school list or capacity for this level" if column == "lawful_seats"
            else "no class data 无班级数据: the scenario lists no schools, so classes are unknown")
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=8, color="#666", wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])
    return True


def _side_by_side(t, styles):
    """(name, table, style, x offset, width) for before and, after a plan, after: bars side by side."""
    after = t.assessment_after_plan
    stages = [("before", t.assessment, styles[0])] + ([("after", after, styles[1])] if after is not None else [])
    width = 0.8 / len(stages)
    return [(name, table, style, (k - (len(stages) - 1) / 2) * width, width)
            for k, (name, table, style) in enumerate(stages)]


def _bar(ax, x, height, width, bottom=None, label=None, color=None, **style):
    """Vertical bars as :meth:`Axes.bar` draws them (a BarContainer of Rectangles, ``label`` on
    the container), with the data limits grown once for all bars instead of once per bar."""
    from matplotlib.container import BarContainer
    from matplotlib.patches import Rectangle

    x, height = np.asarray(x, float), np.asarray(height, float)
    bottom = np.zeros_like(x) if bottom is None else np.array(bottom, float)
    patches = []
    for xi, b, h in zip(x, bottom, height):
        patch = Rectangle((xi - width / 2, b), width, h, facecolor=color, label="_nolegend_", **style)
        patch.sticky_edges.y.append(b)        # as Axes.bar: no margin below the base of a bar
        ax.add_artist(patch)
        patches.append(patch)
    if len(x):
        ax.update_datalim(np.column_stack([np.r_[x - width / 2, x + width / 2], np.r_[bottom, bottom + height]]))
        ax.autoscale_view()
    return ax.add_container(BarContainer(patches, datavalues=height, orientation="vertical", label=label))


def gap_by_year(assessment: pd.DataFrame, region=None, level=None) -> pd.DataFrame:
    """Per year: shortage (lawful seats short of students, summed over the cells short) and
    surplus (summed over the cells with room), over the selected regions and levels; unknown
    (NaN), not 0, in a year where no cell's seats are known."""
    part = _select(assessment, region, level)
    return shortage_and_surplus(part).assign(year=part.year).groupby("year").sum(min_count=1)


def seat_gap(results, region=None, level=None, ax=None):
    """Bars of seat surplus (up) and shortage (down) per year, before and after the plan."""
    t, ax, unknown = _start(results, ax, "学位缺口 seat gap", region, level, "seat_gap")
    if unknown:
        return ax
    for name, table, shade, offset, width in _side_by_side(t, (0, 1)):
        g = gap_by_year(table, region, level)
        x = g.index.to_numpy() + offset
        _bar(ax, x, g.surplus, width, color=SURPLUS[shade], label=f"surplus {name}")
        _bar(ax, x, -g.shortage, width, color=SHORT[shade], label=f"shortage {name}")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("seats (lawful − students)", fontsize=8)
    ax.legend(fontsize=7, ncol=2)
    ax.grid(axis="y", alpha=0.3)
    return ax


def fan_chart(results, level, region=None, ax=None, band=None):
    """Students of ``level`` per year: the forecast's quantile band (``band`` = (low, high)
    quantiles of the run; default its outermost) and median, against lawful seats before and
    after the plan (regional quantiles summed)."""
    t = tables_of(results)
    _check(t, "fan_chart", region, level)
    if level is None:
        raise ValueError(f"The 'level' parameter of fan_chart must be one of {list(dict.fromkeys(t.assessment.level))}. "
                         "Got None instead.")
    ax = _axes(ax)
    st = _select(t.students_by_level, region, level).groupby(["year", "quantile"]).students.sum().unstack()
    qs = sorted(st.columns)
    if band is not None:
        for q in band:
            check_choice("fan_chart", "band", q, qs)
        qs = sorted(band)
    if len(qs) > 1:
        ax.fill_between(st.index, st[qs[0]], st[qs[-1]], color="#9bb7d4", alpha=0.5,
                        label=f"students {qs[0]:.0%}–{qs[-1]:.0%}")
    ax.plot(st.index, st[median_quantile(t.students_by_level)], color="#1f3b5c", linewidth=2, label="students, median")
    for name, table, style in (("seats before", t.assessment, "--"), ("seats after", t.assessment_after_plan, "-")):
        if table is not None:
            seats = _select(table, region, level).groupby("year").lawful_seats.sum(min_count=1)
            ax.step(seats.index, seats, where="mid", linestyle=style, color="#2e7d32", label=name)
    ax.set_title(f"学生与学位 students and seats · {label(region, level, t)}", fontsize=9, y=1.0)
    ax.set_ylabel("persons / seats", fontsize=8)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return ax


def build_timeline(results, ax=None):
    """Each project as a bar from the start of works to opening, labelled with seats and cost."""
    t = tables_of(results)
    schedule = t.schedule.sort_values(["open_year", "id"]) if t.schedule is not None else pd.DataFrame()
    ax = _axes(ax, size=(7.5, max(2.0, 0.28 * len(schedule) + 1)))
    y = np.arange(len(schedule))
    if len(schedule):
        start = schedule.start_year.to_numpy(float)
        length = np.maximum(schedule.open_year.to_numpy(float) - start, 0.15)
        colors = np.where(schedule.committed.astype(bool), "#7b1fa2", "#1f5fa8")
        ax.barh(y, length, left=start, color=colors, height=0.6)
        ax.scatter(schedule.open_year, y, marker="|", color="black", s=60, zorder=3)
        for yi, row in zip(y, schedule.itertuples()):
            ax.text(row.open_year + 0.1, yi, f"{row.name} · {row.seats:,.0f} seats · {money(row.cost_yuan, t.chinese)}",
                    va="center", fontsize=6.5)
        ax.set_yticks(y, schedule.id, fontsize=6.5)
        ax.set_xlim(start.min() - 0.5, schedule.open_year.max() + 6)
        ax.set_ylim(len(schedule) - 0.5, -0.5)       # first project on top, no empty band above or below
    ax.set_title("建设时间表 build timeline (works → opening; purple = committed)", fontsize=9, y=1.0)
    ax.set_xlabel("year", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return ax


def oversized_by_band(assessment: pd.DataFrame, region=None, level=None) -> pd.DataFrame:
    """Per year: classes over the standard but under 56, 56–65 and 66+ (they add to all oversized)."""
    part = _select(assessment, region, level)
    frame = part[["year", "oversized_classes", "classes_56_65", "classes_66_plus"]].fillna(0).groupby("year").sum()
    frame["oversized_only"] = frame.oversized_classes - frame.classes_56_65 - frame.classes_66_plus
    return frame


def band_labels(settings: dict) -> tuple:
    """:data:`BANDS` labelled with the scenario's ``standards.bands`` (56-65 and 66+ by default)."""
    low, high = settings.get("standards", {}).get("bands", (56, 66))
    return (BANDS[0], (f"{low}–{high - 1}",) + BANDS[1][1:], (f"{high}+",) + BANDS[2][1:])


def oversized_classes(results, region=None, level=None, ax=None):
    """Stacked bars of oversized classes per year by band, before (hatched) and after the plan."""
    t, ax, unknown = _start(results, ax, "大班额 oversized classes", region, level, "oversized_classes",
                                    "oversized_classes")
    if unknown:
        return ax
    top = 0.0
    for name, table, hatch, offset, width in _side_by_side(t, ("//", None)):
        f = oversized_by_band(table, region, level)
        x = f.index.to_numpy() + offset
        bottom = np.zeros(len(f))
        for band, column, color in band_labels(t.settings):
            _bar(ax, x, f[column], width, bottom=bottom, color=color, hatch=hatch, edgecolor="white",
                 label=f"{band} ({name})")
            bottom += f[column].to_numpy()
        top = max(top, bottom.max(initial=0))
    ax.set_ylim(0, max(top, 1) * 1.05)          # a margin above the tallest stack (stacked bars stop autoscale at it)
    ax.set_ylabel("classes", fontsize=8)
    ax.legend(fontsize=6.5, ncol=2)
    ax.grid(axis="y", alpha=0.3)
    return ax


def yearly_budget(budget, years) -> np.ndarray | None:
    """The yearly budget as an array over ``years`` (TOML keys may be text), or None."""
    if budget is None:
        return None
    if isinstance(budget, dict):
        table = {int(k): float(v) for k, v in budget.items()}
        return np.array([table.get(int(y), np.nan) for y in years])
    return np.full(len(years), float(budget))


def money_unit(t) -> tuple[float, str]:
    """(yuan per unit, unit name) for money axes: 万元 for a Chinese scenario, else million yuan."""
    return (1e4, "万元") if t.chinese else (1e6, "million yuan")


def spending(results, ax=None):
    """Money spent per year of the plan (万元, or million yuan) against the yearly budget; the
    title reconciles it with the total cost of the chosen projects."""
    t = tables_of(results)
    ax = _axes(ax)
    unit, name = money_unit(t)
    spent = t.spending.groupby("year").cost_yuan.sum() if t.spending is not None else pd.Series(dtype=float)
    years = np.arange(spent.index.min(), spent.index.max() + 1) if len(spent) else np.array([])
    spent = spent.reindex(years, fill_value=0.0)
    ax.bar(years, spent / unit, color="#1f5fa8", label="spent 支出")
    budget = yearly_budget(t.budget_yearly, years)
    if budget is not None:
        ax.step(years, budget / unit, where="mid", color="#c62828", label="yearly budget 年度预算")
    total = t.schedule.cost_yuan.sum() if t.schedule is not None else spent.sum()
    text = f"spent in these years {money(spent.sum(), t.chinese)} of the chosen projects' {money(total, t.chinese)}"
    if t.budget_total:
        text += f"; budget {money(t.budget_total, t.chinese)}"
    ax.set_title(f"年度投资 money per year ({name})\n{text}", fontsize=8.5, y=1.0)
    ax.set_ylabel(name, fontsize=8)
    ax.legend(fontsize=7)
    ax.grid(axis="y", alpha=0.3)
    return ax


def teachers(results, region=None, ax=None):
    """Teachers needed per year and level (after the plan when there is one), and where the
    scenario re-sets posts every few years (``standards.teacher_review_years``) the posts held
    between reviews as dashed steps."""
    t = tables_of(results)
    _check(t, "teachers", region)
    ax = _axes(ax)
    table = _select(t.assessment_after_plan if t.assessment_after_plan is not None else t.assessment, region)
    need = table.groupby(["year", "level"], sort=False).teachers_needed.sum(min_count=1).unstack()
    posts = table.groupby(["year", "level"], sort=False).teacher_posts.sum(min_count=1).unstack() \
        if "teacher_posts" in table else None
    for level in need.columns:
        line, = ax.plot(need.index, need[level], marker="o", markersize=3,
                        label=f"{LEVEL_NAMES.get(level, '')} {level}")
        if posts is not None and posts[level].notna().any():
            ax.step(posts.index, posts[level], where="post", linestyle="--", linewidth=1, color=line.get_color(),
                    label=f"核定编制 posts {level}")
    ax.set_title(f"teachers needed 教师需求 · {label(region, t=t)}", fontsize=9, y=1.0)
    ax.set_ylabel("teachers", fontsize=8)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return ax


def catchment_map(results, level, year, ax=None):
    """Where the scenario's areas, schools and new sites give coordinates: the plan's zoning (划片)
    of ``level`` in ``year``, a line from each area to each school its pupils go to (the wider,
    the more pupils), each area's dot in the colour of its main school; the schools teaching the
    level as grey squares, the plan's new sites of the level open by then as black triangles,
    areas with pupils no school takes as red crosses; the districts' outlines beneath, where the
    scenario gives them (``data.boundaries``)."""
    from matplotlib import colormaps
    from matplotlib.collections import LineCollection

    t = tables_of(results)
    if t.catchments is None or "areas" not in t.places or "schools" not in t.places:
        raise ValueError("This run has no catchments with coordinates for its areas and schools: no zoning map.")
    c = t.catchments
    check_choice("catchment_map", "level", level, sorted(c.level.unique()))
    check_choice("catchment_map", "year", year, sorted(c.year.unique()))
    ax = _axes(ax, size=(4.5, 4.5))
    part = c[(c.level == level) & (c.year == year)]
    sites = pd.concat([t.places["schools"], t.places.get("projects", pd.DataFrame(columns=["id", "x", "y"]))])
    sites = sites.drop_duplicates("id").set_index("id")
    areas = t.places["areas"].set_index("id")
    served = part[part.school.fillna("").ne("") & part.school.isin(sites.index) & part.area.isin(areas.index)]
    a, s = areas.loc[served.area], sites.loc[served.school]
    widths = 0.5 + 3.5 * served.pupils.to_numpy() / max(float(served.pupils.max()), 1.0) if len(served) else []
    segments = np.stack([a[["x", "y"]].to_numpy(), s[["x", "y"]].to_numpy()], axis=1) if len(served) else []
    ax.add_collection(LineCollection(segments, linewidths=widths, colors="#999", alpha=0.7, zorder=1))
    main = served.sort_values("pupils").drop_duplicates("area", keep="last").set_index("area").school
    palette = colormaps["tab20"]
    colour = {school: palette(i % 20) for i, school in enumerate(sorted(main.unique()))}
    shown = areas.loc[areas.index.intersection(part.area.unique())]
    ax.scatter(shown.x, shown.y, s=18, zorder=3, label="areas 小区",
               color=[colour.get(main.get(area), "#ccc") for area in shown.index])
    schools = t.places["schools"]
    if t.assessment_schools is not None:             # the schools teaching the level
        from capsim.schema import SCHOOL_TYPES

        kind = t.assessment_schools.drop_duplicates("school").set_index("school").type
        schools = schools[[level in SCHOOL_TYPES.get(kind.get(i), (level,)) for i in schools.id]]
    ax.scatter(schools.x, schools.y, s=22, marker="s", color="#555", zorder=2, label="schools 学校")
    if t.schedule is not None and "projects" in t.places:
        new = t.places["projects"]
        opened = t.schedule[(t.schedule.open_year <= year) & (t.schedule.level == level)]
        new = new[new.id.isin(opened.id)]
        ax.scatter(new.x, new.y, s=40, marker="^", color="black", zorder=4, label="new sites 新校址")
    short = part[part.school.fillna("").eq("") & (part.pupils > 0.5)]
    if len(short):
        lost = areas.loc[areas.index.intersection(short.area)]
        ax.scatter(lost.x, lost.y, s=60, marker="x", color="#c62828", zorder=5, label="unserved 无学位")
    outlines = usable_outlines(t)
    if outlines is not None:
        _outline_backdrop(ax, outlines)
    ax.set_title(f"{level_label(level)} · {year}", fontsize=9, y=1.0)
    ax.set_xticks([])
    ax.set_yticks([])
    _set_aspect(ax, outlines)
    ax.autoscale()
    ax.margins(0.1)
    return ax


def seat_gap_map(results, year, stage="before", ax=None, darkest=None):
    """The seats short per district in ``year``: where the scenario gives boundaries
    (``data.boundaries``) each district is drawn as its outline, red by the seats short (summed
    over the levels short) or, with none short, blue by the seats spare, darker for more, the
    darkest red and blue at ``darkest`` = (seats short, seats spare) (default: the panel's
    largest; give the same to panels to compare them); else, where the regions table gives
    points, as a circle there of area the seats short or spare. The schools open then as dots
    sized by their pupils and coloured by their problem (:func:`_school_points`) and, after the
    plan, the chosen projects with coordinates as black triangles."""
    t = tables_of(results)
    check_choice("seat_gap_map", "stage", stage, ["before", "after"] if t.assessment_after_plan is not None else ["before"])
    check_choice("seat_gap_map", "year", year, sorted(t.assessment.year.unique()))
    outlines = usable_outlines(t)
    if outlines is None and "regions" not in t.places:
        raise ValueError("The scenario gives no boundaries (data.boundaries) and its regions table no coordinates "
                         "(lon, lat or x, y): no map.")
    ax = _axes(ax, size=(4.5, 4.5))
    frame = gap_by_region(t, year, stage)
    if outlines is not None:
        _draw_outlines(ax, outlines, frame, darkest)
        xy = t.places["regions"].set_index("id") if "regions" in t.places else label_points(outlines).set_index("region")
    else:
        xy = _draw_circles(ax, t.places["regions"].set_index("id").reindex(frame.index), frame)
    for region, row in xy.reindex(frame.index).dropna().iterrows():
        value = frame.short[region] if frame.short[region] > 0.5 else 0
        ax.annotate(f"{t.region(region)}\n{value:,.0f}", (row.x, row.y), fontsize=7, ha="center", va="center",
                    zorder=4, bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75})
    if "schools" in t.places:
        _school_points(ax, t, year, stage)
    if stage == "after" and "projects" in t.places and t.schedule is not None:
        pts = t.places["projects"]
        pts = pts[pts.id.isin(t.schedule[t.schedule.open_year <= year].id)]
        ax.scatter(pts.x, pts.y, s=30, marker="^", color="black", label="new sites 新校址", zorder=3)
    ax.set_title(f"{year} · {'规划前 before' if stage == 'before' else '规划后 after'}", fontsize=9, y=1.0)
    ax.set_xticks([])
    ax.set_yticks([])
    _set_aspect(ax, outlines)
    ax.margins(0.05 if outlines is not None else 0.2)
    ax.autoscale_view()
    return ax


def usable_outlines(t) -> pd.DataFrame | None:
    """The run's district outlines, where its points are in degrees too (``capsim validate``
    refuses outlines beside points in metres; a run through the API without it draws the points
    alone rather than both on one wrong scale)."""
    if t.outlines is None:
        return None
    places = pd.concat(list(t.places.values())) if t.places else pd.DataFrame({"x": [], "y": []})
    return t.outlines if ((places.x.abs() <= 180) & (places.y.abs() <= 90)).all() else None


def _set_aspect(ax, outlines) -> None:
    """Equal scales; in degrees (with outlines) a degree of longitude is cos(latitude) of one of latitude."""
    if outlines is not None:
        ax.set_aspect(1 / np.cos(np.radians(outlines.y.mean())), adjustable="datalim")
    else:
        ax.set_aspect("equal", adjustable="datalim")


def _outline_backdrop(ax, outlines) -> None:
    """The districts' outlines, unfilled, beneath a map's points."""
    from matplotlib.patches import PathPatch

    for _, rows in outlines.groupby("region", sort=False):
        ax.add_patch(PathPatch(_region_path(rows), facecolor="#f6f6f6", edgecolor="#999", linewidth=0.6, zorder=0))


@cache
def _colormap(name: str):
    """A matplotlib colormap, fetched once (each fetch is a copy that builds its own lookup table)."""
    import matplotlib

    return matplotlib.colormaps[name]


def district_shade(kind: str, value: float):
    """A district's fill by its seats ``short`` (reds) or ``spare`` (blues), ``value`` in [0, 1]
    from the colormap's light fifth to its dark one."""
    return _colormap("Reds" if kind == "short" else "Blues")(0.2 + 0.6 * value)


SCHOOL_MARKS = (("over", "#7f0000", "over its seats or size 超员"), ("low", "#1f5fa8", "under 60 % used 使用率<60%"),
                ("", "#666", "schools 学校"))


def _school_points(ax, t, year, stage) -> None:
    """The schools open in ``year`` as dots sized by their pupils: dark red where pupils exceed
    the school's seats or its maximum size, blue where it is under 60 % used, grey otherwise (grey
    all, one size, where the run has no per-school assessment)."""
    pts = t.places["schools"]
    table = t.assessment_schools if stage == "before" else t.assessment_schools_after_plan
    if table is None:
        ax.scatter(pts.x, pts.y, s=6, color="#777", label="schools 学校", zorder=3)
        return
    part = table[table.year == year].drop_duplicates("school").set_index("school")
    pts = pts.join(part[["open", "students", "utilisation", "oversized"]], on="id")
    pts = pts[pts.open.fillna(False).astype(bool)]
    over = (pts.utilisation > 1.0 + 1e-9) | pts.oversized.fillna(False).astype(bool)
    kind = np.where(over, "over", np.where(pts.utilisation < 0.6, "low", ""))
    size = 5 + 30 * np.sqrt(pts.students.fillna(0.0) / max(float(pts.students.max()), 1.0))
    for mark, colour, label in SCHOOL_MARKS:
        at = kind == mark
        if at.any():
            ax.scatter(pts.x[at], pts.y[at], s=size[at], color=colour, edgecolor="white", linewidth=0.4,
                       label=label, zorder=3)


def gap_by_region(t, year, stage) -> pd.DataFrame:
    """region -> short (seats short, summed over the levels short) and surplus (lawful seats spare)."""
    table = (t.assessment if stage == "before" else t.assessment_after_plan)
    part = table[table.year == year]
    return shortage_and_surplus(part).rename(columns={"shortage": "short"}).assign(region=part.region) \
        .groupby("region").sum()


def _draw_circles(ax, xy, frame):
    """Each region a circle at its point, of area its seats short (red) or spare (blue)."""
    scale = 600 / max(frame.short.max(), frame.surplus.max(), 1.0)
    short = frame.short > 0.5
    ax.scatter(xy.x[short], xy.y[short], s=frame.short[short] * scale, color="#c62828", alpha=0.6,
               label="seats short 学位缺口")
    ax.scatter(xy.x[~short], xy.y[~short], s=frame.surplus[~short] * scale, color="#1f5fa8", alpha=0.4,
               label="seats spare 富余学位")
    return xy


def _draw_outlines(ax, outlines, frame, darkest=None):
    """Each region's outline (holes kept open), red by its seats short, else blue by its seats
    spare, the darkest shades at ``darkest`` = (short, spare) (default: the largest here)."""
    from matplotlib.patches import PathPatch

    short = frame.short.where(frame.short > 0.5, 0.0)
    spare = frame.surplus.where(short == 0, 0.0)
    labelled = set()
    for region, rows in outlines.groupby("region", sort=False):
        if region not in frame.index:
            continue
        kind = "short" if short[region] > 0 else "spare"
        top = max((darkest or (short.max(), spare.max()))[kind == "spare"], 1.0)
        value = min((short[region] if kind == "short" else spare[region]) / top, 1.0)
        colour = district_shade(kind, value)
        label = {"short": "seats short 学位缺口", "spare": "seats spare 富余学位"}[kind] if kind not in labelled else None
        labelled.add(kind)
        ax.add_patch(PathPatch(_region_path(rows), facecolor=colour, edgecolor="#555", linewidth=0.6, label=label))


def _region_path(rows):
    """One region's rings (outer rings anticlockwise, holes clockwise; each ring's vertices
    consecutive, as the outlines table holds them) as one compound path."""
    from matplotlib.path import Path

    part, ring, xy = rows.part.to_numpy(), rows.ring.to_numpy(), rows[["x", "y"]].to_numpy()
    starts = np.flatnonzero(np.r_[True, (part[1:] != part[:-1]) | (ring[1:] != ring[:-1])])
    ends = np.r_[starts[1:], len(xy)]
    verts = np.concatenate([np.vstack([xy[a:b], xy[a]]) for a, b in zip(starts, ends)])
    codes = np.full(len(verts), Path.LINETO, dtype=Path.code_type)
    first = starts + np.arange(len(starts))              # each ring's first vertex, one closing vertex per ring before
    codes[first] = Path.MOVETO
    codes[np.r_[first[1:], len(verts)] - 1] = Path.CLOSEPOLY
    return Path(verts, codes)
