"""``report.html``: one self-contained page (images, font and data inside) that opens offline."""

from __future__ import annotations

import base64
import html
from datetime import date

import numpy as np
import pandas as pd

from capsim.reports import columns
from capsim.reports.fonts import FAMILY, font_face_css
from capsim.reports.labels import level_label, money, people, span, word, year
from capsim.reports.plots import gap_by_year
from capsim.reports.summary import district_problems, worst

CAPTIONS = {
    "seat_gap.png": "学位缺口 Seat gap per level, all districts: surplus up (blue), shortage down (red), each summed "
                    "over the districts with it; light = before the plan, strong = after.",
    "seat_gap_by_region.png": "分区域学位缺口 Seat gap per district and level, before and after the plan; the panels "
                              "of a level share one scale.",
    "students_and_seats.png": "学生与学位 Students per level: the forecast's band and median, against lawful seats "
                              "before and after.",
    "oversized_classes.png": "大班额 Oversized classes per year by band (hatched = before the plan).",
    "build_timeline.png": "建设时间表 Each project from the start of works to opening, with its seats and cost.",
    "spending.png": "年度投资 Money spent per year of the plan against the yearly budget.",
    "teachers.png": "教师需求 Teachers needed per year and level.",
    "map.png": "地图 Map: each district within its boundary (data.boundaries), red by the seats short (summed over "
               "the levels short; darker for more) or blue by the seats spare, or else at the point the regions "
               "table gives, its circle the seats short (red) or spare (blue); dots: the schools open then, sized by "
               "their pupils, dark red where over their seats or size, blue where under 60 % used; triangles: the "
               "plan's new sites open by then.",
    "catchments_map.png": "学区划分 Zoning: a line from each residential area to each school its pupils go to "
                          "(wider: more pupils), each area in the colour of its main school; squares: schools; "
                          "triangles: the plan's new sites open by then; crosses: pupils no school in reach takes; the "
                          "districts' outlines beneath, where the scenario gives them. First and last plan year, "
                          "one row per level.",
}
DISTRICT_FIGURES = ("seat_gap_by_region.png", "map.png")
# Checks the browser test reads: every image decoded, counted into <body data-images>; text nodes
# drawn in another font than the embedded one, counted into <body data-off-font>.
IMAGE_CHECK = """<script>
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.setAttribute('data-images', ok + '/' + imgs.length);
  var off = 0, walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    var el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || el.tagName === 'SCRIPT') continue;
    if (getComputedStyle(el).fontFamily.replace(/["']/g, '').indexOf('%s') !== 0) off += 1;
  }
  document.body.setAttribute('data-off-font', String(off));
  document.body.setAttribute('data-font-loaded', String(document.fonts.check("12px '%s'")));
});
</script>""" % (FAMILY, FAMILY)


def render(t, images: dict) -> str:
    """The page for ReportTables ``t`` and PNG ``images`` (name -> bytes)."""
    h = t.headline_figures
    main = {k: v for k, v in images.items() if k not in DISTRICT_FIGURES}
    body = "\n".join([
        f"<h1>{html.escape(t.title)}</h1>",
        f"<p class='meta'>capsim 报告 report · {date.today().isoformat()} · 预测 forecast "
        f"{h['first_year']}–{h['last_year']}</p>",
        _answer(t), _cards(t, h), _section("最突出的问题 Worst district-years", _worst(t), "worst"),
        _section("图表 Figures", _figures(main) + ("" if h["class_data"] else
                 "<p class='note'>大班额 oversized classes: no class data 无班级数据. The scenario lists no schools, "
                 "so classes and oversized classes are unknown (not zero); no figure is drawn.</p>")),
        _section("分区域 Districts", _districts(t, images), "districts"),
        _section("学校 Schools", _schools(t), "schools"),
        _section("台账 Ledger of oversized classes and schools", _ledger(t), "ledger"),
        _section("项目安排 Schedule", _schedule(t, h), "schedule"),
        _section("分学段学位缺口 Seat gap by level and year", _gap_table(t)),
        _section("未解决缺口 Shortfalls left", _shortfalls(t)), *_closures(t), *_conversions(t), *_catchments(t),
        _section("假设 Assumptions", _assumptions(t)),
        _section("数据来源 Data provenance", _provenance(t)),
        _section("完整情景 Resolved scenario", f"<pre>{html.escape(t.scenario_text)}</pre>"),
    ])
    css = font_face_css(_text_of(body))
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(t.title)}</title>
<style>{css}
body, pre, code, table, figcaption, summary {{ font-family: '{FAMILY}', sans-serif; }}
body {{ margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }}
h1 {{ font-size: 1.5em; }} h2 {{ border-bottom: 1px solid #ccc; margin-top: 1.6em; }}
.meta, .note {{ color: #555; }} .cards {{ display: flex; flex-wrap: wrap; gap: .8em; }} #answer {{ margin-bottom: 1.2em; }}
.card {{ border: 1px solid #ddd; border-radius: 6px; padding: .6em 1em; min-width: 11em; max-width: 22em; }}
.card b {{ display: block; font-size: 1.3em; }} .card small {{ display: block; color: #666; }}
figure {{ margin: 1em 0; }} img {{ max-width: 100%; }}
.scroll {{ overflow-x: auto; max-height: 40em; overflow-y: auto; }}
table {{ border-collapse: collapse; font-size: .85em; }} td, th {{ border: 1px solid #ddd; padding: .2em .5em; }}
td {{ text-align: right; white-space: nowrap; }} td.text {{ text-align: left; }} th {{ background: #f3f3f3; position: sticky; top: 0; }}
pre {{ background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: .8em; }}
</style></head>
<body>
{body}
{IMAGE_CHECK}
</body></html>
"""


def _text_of(body: str) -> str:
    import re

    return html.unescape(re.sub(r"<[^>]+>|data:[^'\"]+", "", body))   # the characters shown: &gt; is >


def _answer(t) -> str:
    """The scenario's question and each target's verdict before and after the plan, first."""
    from capsim.reports.tables import target_verdicts

    question = t.settings.get("question", "")
    parts = [f"<p class='question'><b>问题 Question:</b> {html.escape(question)}</p>"] if question else []
    verdicts = target_verdicts(t)
    if verdicts is not None and len(verdicts):
        parts.append("<h2>目标 Targets</h2>" + _table(verdicts, t, {c: "text" for c in verdicts}, "targets"))
    return "<div id='answer'>" + "\n".join(parts) + "</div>" if parts else ""


def _cards(t, h: dict) -> str:
    """The headline cards; a quantity the scenario has no data for says so instead of 0."""
    items = card_items(t, h)
    cards = "".join(f"<div class='card'>{html.escape(k)}<b>{html.escape(v)}</b>"
                    + (f"<small>{html.escape(sub)}</small>" if sub else "") + "</div>" for k, v, sub in items)
    note = f"<p class='note'><b>说明 Note:</b> {html.escape(h['notes'])}.</p>" if h.get("notes") else ""
    return f"<div class='cards'>{cards}</div>{note}"


def card_items(t, h: dict) -> list[tuple[str, str, str]]:
    """(headline, figure, detail) of each card, as the page and the workbook's 概要 sheet show them."""
    no_class = "no class data 无班级数据"
    items = [("学生高峰 peak year (students)", f"{h['peak_year']} ({people(h['peak_students'])})", "")]
    peak = h["shortage_peak"]
    items.append(("学位缺口高峰 peak shortage, districts short summed",
                  f"{people(peak['shortage'])} ({peak['year']})" if peak else "none 无",
                  f"short {span(peak['first'], peak['last'])}; never netted against a surplus elsewhere" if peak
                  else "no district is short in any year"))
    w = h["worst_shortage"]
    items.append(("缺口最大的区域年份 worst district-year (shortage)",
                  f"{people(w['value'])}" if w else "none 无",
                  f"{t.region(w['region'])} · {level_label(w['level'])} · {year(w['year'])}" if w else ""))
    w = h["worst_oversized"]
    items.append(("大班额最多的区域年份 worst district-year (oversized classes)",
                  (f"{people(w['value'])}" if w else "none 无") if h["class_data"] else no_class,
                  f"{t.region(w['region'])} · {level_label(w['level'])} · {year(w['year'])}" if w else ""))
    if h["class_data"]:            # without it the card above says so once
        items.append((f"大班额 oversized classes {h['first_year']}", people(h["oversized_base_year"]), ""))
    if "places_added" in h:
        items += [("新增学位 places added", people(h["places_added"]), f"{h['projects']} projects 项目"),
                  ("投资 cost of the chosen projects" + (" and refits 改建" if h["refit_cost_yuan"] > 0.5 else ""),
                   money(h["cost_total_yuan"], t.chinese),
                   f"{money(h['cost_in_plan_years_yuan'], t.chinese)} inside the plan years "
                   f"{h['first_plan_year']}–{h['plan_last_year']}"
                   + (f"; {money(h['cost_before_plan_yuan'], t.chinese)} before {h['first_plan_year']}"
                      if h["cost_before_plan_yuan"] > 0.5 else "")),
                  (f"大班额 oversized classes {h['oversized_year']}, before → after",
                   f"{people(h['oversized_before'])} → {people(h['oversized_after'])}", ""),
                  ("未解决缺口 shortfall left", f"{people(h['shortfall_seat_years'])} seat-years",
                   f"{people(h['shortfall_last_year'])} in {h['plan_last_year']}"),
                  ("求解状态 plan status", h["status"] + (f" (gap {h['gap']:.2%})" if np.isfinite(h["gap"]) else ""),
                   "")]
        if not h["class_data"]:
            items = [item for item in items if not item[0].startswith("大班额 oversized classes")]
    return items


def _worst(t, n: int = 8) -> str:
    """The district-years with most shortage and most oversized classes, before and after."""
    out = ["<p>Each district and level at its worst year, largest first (shortage: students above lawful seats in "
           "that district; a surplus elsewhere does not reduce it).</p>"]
    for by, title in (("shortage", "学位缺口 shortage (seats)"), ("oversized_classes", "大班额 oversized classes")):
        for stage, table in (("before", t.assessment), ("after", t.after_in_plan)):
            if table is None:
                continue
            head = f"<h3>{title} · {columns.STAGES[stage]} {stage}" + (
                f" ({_years(table)})" if stage == "after" else "") + "</h3>"
            if by == "oversized_classes" and table.oversized_classes.isna().all():
                out.append(head + "<p>no class data 无班级数据: the scenario lists no schools.</p>")
                continue
            top = worst(table, by, n)
            top = top.assign(region=[t.region(r) for r in top.region], level=[level_label(lv) for lv in top.level])
            out.append(head + (_table(top[["region", "level", "year", "value", "years"]], t) if len(top)
                               else "<p>none 无</p>"))
    return "\n".join(out)


def _districts(t, images: dict) -> str:
    """Each district's problem years, before and after, with the district small multiples."""
    out = [_figures({k: v for k, v in images.items() if k in DISTRICT_FIGURES})]
    parts = [district_problems(t.assessment).assign(stage="before")]
    if t.assessment_after_plan is not None:
        parts.append(district_problems(t.after_in_plan).assign(stage="after"))
    frame = pd.concat(parts, ignore_index=True).sort_values(["region", "level"], kind="stable", key=_order(t))
    frame = frame.assign(region=[t.region(r) for r in frame.region], level=[level_label(lv) for lv in frame.level],
                         stage=[f"{columns.STAGES[s]} {s}" for s in frame.stage])
    cols = ["region", "level", "stage", "shortage_max", "shortage_max_year", "shortage_years", "shortage_seat_years",
            "oversized_max", "oversized_max_year", "oversized_years"]
    plan = f" (after: the plan years {_years(t.after_in_plan)})" if t.assessment_after_plan is not None else ""
    out.append("<p>Per district and level: the largest shortage (lawful seats) and its year, the years short, and "
               f"the same for oversized classes{plan}.</p>" + _table(frame[cols], t))
    return "\n".join(out)


def _years(table) -> str:
    return span(table.year.min(), table.year.max()) if len(table) else ""


def _order(t):
    """Sort key: districts and levels in the order of the assessment."""
    ranks = {c: {v: i for i, v in enumerate(dict.fromkeys(t.assessment[c]))} for c in ("region", "level")}
    return lambda col: col.map(ranks[col.name]) if col.name in ranks else col


def _ledger(t) -> str:
    """Each oversized class and school of the base year and the year it is cleared (销号)."""
    if t.ledger is None or not len(t.ledger):
        return "<p>No oversized class or school in the base year, or no school list: nothing to clear.</p>"
    book = t.ledger.drop(columns=["school"])
    book = book.assign(region=[t.region(r) for r in book.region], level=[level_label(lv) for lv in book.level])
    return ("<p>Every school's classes above the standard, 56+ and 66+, and every oversized school in the base "
            "year: the year each is cleared (销号) without and with the plan, and why an item stays.</p>"
            + _table(book, t, table_id="ledger-table"))


def _schools(t) -> str:
    table = t.school_summary
    if table is None:
        return "<p>No school list in the scenario (seats by district only): no per-school figures.</p>"
    from capsim.reports.schools import FIGURES

    shown = table[["school", "name", "region", "type"]].copy()
    for f in FIGURES:
        kind = columns.kind(f)
        before = [cell(v, kind, t.chinese) for v in table[f"{f}_before"]]
        after = [cell(v, kind, t.chinese) for v in table[f"{f}_after"]] if f"{f}_after" in table else before
        shown[f] = [a if a == b else f"{a or '—'} → {b or '—'}" for a, b in zip(before, after)]
    return ("<p>Per school over the forecast years: pupils in the first year and at the peak, seats, classes, the "
            "highest utilisation, the most oversized classes in a year (all, 56–65, 66+), and the first–last year of "
            "each problem (more pupils than seats, oversized classes, above the maximum school size). "
            "<i>a → b</i>: before the plan → after it; a single figure: the plan does not change it.</p>"
            + _table(shown, t, {c: "text" for c in shown.columns}, table_id="schools-table"))


def _figures(images: dict) -> str:
    out = []
    for name, data in images.items():
        src = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        out.append(f"<figure><img src='{src}' alt='{name}'><figcaption>{html.escape(CAPTIONS.get(name, name))}"
                   "</figcaption></figure>")
    return "\n".join(out)


def _section(title: str, content: str, anchor: str = "") -> str:
    ident = f" id='{anchor}'" if anchor else ""
    return f"<h2{ident}>{html.escape(title)}</h2>\n{content}"


def cell(value, kind: str, chinese: bool) -> str:
    """One value as the page shows it (people whole, years as years, shares in %, money in 万元/亿元)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—" if kind != "text" else ""
    if kind == "text" or isinstance(value, str):
        return str(value)
    if kind in ("year", "whole"):
        return year(value)
    if kind == "people":
        return people(value)
    if kind == "share":
        return f"{value:.0%}"
    if kind == "yuan":
        return money(value, chinese)
    if kind == "seconds":
        return f"{value:.1f}"
    return f"{value:,.2f}" if isinstance(value, float) and value != int(value) else f"{value:,.0f}"


def _numeric(text) -> bool:
    """A formatted figure (right-aligned) rather than words."""
    return isinstance(text, str) and bool(text) and text.replace(",", "").replace(" → ", "").replace("%", "") \
        .replace("—", "").replace(".", "").replace("–", "").isdigit()


def _table(frame: pd.DataFrame, t, kinds: dict | None = None, table_id: str = "") -> str:
    """An HTML table with bilingual headings and each column formatted by its kind."""
    kinds = {c: (kinds or {}).get(c) or columns.kind(str(c)) for c in frame.columns}
    chinese = t.chinese
    # money is shown in 万元/亿元 (or million yuan) per cell, so the heading drops the yuan unit
    head = "".join(f"<th>{html.escape(columns.heading(str(c), unit=kinds[c] != 'yuan'))}</th>" for c in frame.columns)
    rows = []
    for values in frame.itertuples(index=False):
        rows.append("<tr>" + "".join(
            f"<td class='text'>{html.escape(cell(v, kinds[c], chinese))}</td>" if kinds[c] == "text"
            and not _numeric(v)
            else f"<td>{html.escape(cell(v, kinds[c], chinese))}</td>" for c, v in zip(frame.columns, values))
            + "</tr>")
    ident = f" id='{table_id}'" if table_id else ""
    return f"<div class='scroll'><table{ident}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"


def _schedule(t, h: dict) -> str:
    if not t.has_plan:
        return "<p>No projects table: nothing was planned.</p>"
    cols = [c for c in ["id", "name", "region", "level", "kind", "start_year", "open_year", "seats", "cost_yuan",
                        "cost_in_plan_years_yuan", "committed"] if c in t.schedule]
    frame = t.schedule.sort_values(["open_year", "id"])[cols]
    frame = frame.assign(region=[t.region(r) for r in frame.region], level=[level_label(lv) for lv in frame.level],
                         kind=[word(k) for k in frame.kind], committed=np.where(frame.committed.astype(bool), "yes 是", ""))
    refits = (f" and refits (of it {money(h['refit_cost_yuan'], t.chinese)} refitting the schools converted)"
              if h["refit_cost_yuan"] > 0.5 else "")
    total = (f"<p>{h['projects']} projects, {people(h['places_added'])} seats. Cost of the chosen projects{refits} "
             f"{money(h['cost_total_yuan'], t.chinese)} = {money(h['cost_in_plan_years_yuan'], t.chinese)} spent inside "
             f"the plan years {h['first_plan_year']}–{h['plan_last_year']} (the spending plot and the budgets count "
             "this)" + (f" + {money(h['cost_before_plan_yuan'], t.chinese)} spent before "
                        f"{h['first_plan_year']}" if h["cost_before_plan_yuan"] > 0.5 else ", all of it") + ".</p>")
    if h["early_projects"]:
        outside = h["early_cost_yuan"] > 0.5
        total += (f"<p class='note'><b>说明 Note:</b> {h['early_projects']} project(s) start works before the base "
                  f"year {h['first_year']} (from {h['early_start']}): they open early in the plan and their build years "
                  "(from the start of works to opening) reach back before it. "
                  + (f"{money(h['early_cost_yuan'], t.chinese)} of their cost falls before the first plan year "
                     f"{h['first_plan_year']} and is outside the plan's budgets. " if outside else
                     f"The plan books their whole cost inside the plan years (from {h['first_plan_year']}, the first "
                     "year it can spend), so the spending table and the budgets count all of it. ")
                  + (f"{h['early_committed']} of them are committed in the data (their dates are decided); "
                     if h["early_committed"] else "None of them is committed in the data: ")
                  + "the optimiser opens them in the first plan years their lead time allows.</p>")
    return total + _table(frame, t)


def _gap_table(t) -> str:
    rows = []
    for level in dict.fromkeys(t.assessment.level):
        for stage, table in (("before", t.assessment), ("after", t.assessment_after_plan)):
            if table is None:
                continue
            g = gap_by_year(table, level=level)
            rows.append(pd.Series(g.shortage.to_numpy(), index=[str(int(y)) for y in g.index],
                                  name=(level_label(level), f"{columns.STAGES[stage]} {stage}")))
    wide = pd.DataFrame(rows)
    wide.index = pd.MultiIndex.from_tuples(wide.index, names=["level", "stage"])
    wide = wide.reset_index()
    kinds = {c: ("text" if c in ("level", "stage") else "people") for c in wide.columns}
    return ("<p>Seats short of students per year (lawful seats; summed over the districts short, never netted "
            "against a surplus elsewhere).</p>" + _table(wide, t, kinds))


def _shortfalls(t) -> str:
    if not t.has_plan or t.shortfalls is None or not len(t.shortfalls):
        return "<p>None 无: the plan seats every student in every district, level and year.</p>"
    by = t.shortfalls.groupby(["region", "level", "cause"], sort=False).agg(
        first_year=("year", "min"), last_year=("year", "max"), seat_years=("seats", "sum")).reset_index()
    by = by.assign(region=[t.region(r) for r in by.region], level=[level_label(lv) for lv in by.level])
    return _table(by, t)


def _closures(t) -> list[str]:
    """The schools the plan closes, by year (no section unless the scenario lets it close any)."""
    return _decided_section(t, t.closures_read, "撤并学校 Schools closed", "no closure saves more than it costs",
                            "所列学校自该年起撤并，学生由并入学校或本区其余学校接收。Closed from the year shown, for "
                            "good; their pupils are seated in the school each merges into (where named), in the "
                            "schools their areas are zoned to (学生去向, with catchment areas) or in the rest of the "
                            "district.", "closures")


def _conversions(t) -> list[str]:
    """The schools the plan converts to another level, by year (no section unless the scenario
    lets it convert any)."""
    return _decided_section(t, t.conversions_read, "改建学校 Schools converted",
                            "no conversion is cheaper than what it replaces",
                            "所列学校自该年起整体改建为另一学段的学校，或将所列教室改为另一学段（学校兼设两个学段），校舍不变。"
                            "Converted from the year shown, for good, in the same buildings: whole, or the classrooms "
                            "listed (the school then teaches both levels); the refit is in the spending. With "
                            "catchment areas 学生去向 names the schools a school converted whole sends its pupils to.",
                            "conversions")


def _decided_section(t, frame, title: str, none: str, intro: str, anchor: str) -> list[str]:
    """A section listing ``frame`` (:func:`capsim.reports.schools.decided`) with districts and
    levels named; none without the setting, a line saying so when nothing is decided."""
    if frame is None:
        return []
    if not len(frame):
        return [_section(title, f"<p>None 无: {none}.</p>", anchor)]
    named = frame.assign(region=[t.region(r) for r in frame.region])
    for column in ("level", "into"):
        if column in named:
            named[column] = [level_label(lv) for lv in named[column]]
    kinds = {c: "text" for c in ("school", "region", "name", "level", "into", "merged_into", "moved_to") if c in named}
    return [_section(title, f"<p>{intro}</p>" + _table(named, t, kinds), anchor)]


def _catchments(t) -> list[str]:
    """Where each area's pupils of each level go, year by year (no section without catchments)."""
    c = t.catchments
    if c is None or not len(c):
        return []
    c = c.assign(school=c.school.fillna("").astype(str))
    wide = c.groupby(["area", "level", "year"], sort=False).apply(_destinations, include_groups=False) \
        .unstack("year").rename_axis(columns=None)
    intro = ("<p>The school each area's pupils go to, with the number seated there (several schools: the area is "
             "split); <i>short</i>: pupils no school in reach has a seat for.</p>")
    wide = wide.reset_index()
    wide.columns = [str(c) for c in wide.columns]
    kinds = {c: "text" for c in wide.columns}
    # the heading stays "Catchments" (the planner's tests find the section by it); 学区 leads the text
    return [_section("Catchments", "<p>学区 catchments.</p>" + intro + _table(wide, t, kinds))]


def _destinations(g: pd.DataFrame) -> str:
    seated = g[g.school != ""].sort_values("pupils", ascending=False)
    parts = [f"{school} {pupils:,.0f}" for school, pupils in zip(seated.school, seated.pupils) if pupils >= 0.5]
    short = g.loc[g.school == "", "pupils"].sum()
    return " / ".join(parts + ([f"short {short:,.0f}"] if short >= 0.5 else []))


def _assumptions(t) -> str:
    s = t.settings
    unc, plan, std = s.get("uncertainty", {}), s.get("plan", {}), s.get("standards", {})
    rows = [("年份 years", f"{s.get('base_year')}–{s.get('end_year')}"),
            ("模拟次数, 种子 draws, seed", f"{unc.get('draws')}, {unc.get('seed')}"),
            ("评估分位数 quantile assessed", str(std.get("quantile", ""))),
            ("班额标准 class sizes", ", ".join(f"{k} {v}" for k, v in std.get("class_size", {}).items())),
            ("学校规模上限 maximum school sizes",
             ", ".join(f"{k} {people(v)}" for k, v in std.get("max_school_size", {}).items())),
            ("预算 budgets", f"total 总额 {_budget(plan.get('budget_total'), t)}; yearly 年度 "
                             f"{_budget(plan.get('budget_yearly'), t)}"),
            ("求解器 solver", f"{plan.get('solver', '')}, time limit {plan.get('time_limit', '')} s, "
                             f"gap {plan.get('gap', '')}")]
    return "<table>" + "".join(f"<tr><th>{html.escape(k)}</th><td style='text-align:left'>{html.escape(v)}</td></tr>"
                               for k, v in rows) + "</table>"


def _budget(value, t) -> str:
    if value is None:
        return "none 无"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {money(float(v), t.chinese)}" for k, v in value.items())
    return money(float(value), t.chinese)


def _provenance(t) -> str:
    tables = t.sources.get("tables", {})
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td style='text-align:left'>{html.escape(p.name)}</td></tr>"
                   for k, (p, _) in tables.items())
    notes = "".join(f"<details><summary>{html.escape(_short(path))}</summary><pre>{html.escape(text)}</pre></details>"
                    for path, text in t.sources.get("notes", {}).items())
    return f"<table>{rows}</table>{notes or '<p>No SOURCES.md beside the data tables.</p>'}"


def _short(path: str) -> str:
    from pathlib import Path

    p = Path(path)
    return f"{p.parent.name}/{p.name}"
