"""``report.html``: one self-contained page (images, font and data inside) that opens offline."""

from __future__ import annotations

import base64
import html
from datetime import date

import numpy as np
import pandas as pd

from capsim.reports.fonts import FAMILY, font_face_css
from capsim.reports.headlines import headlines
from capsim.reports.plots import LEVEL_NAMES, gap_by_year

CAPTIONS = {
    "seat_gap.png": "Seat gap per level, all regions: surplus up (blue), shortage down (red); light = before the plan, strong = after.",
    "seat_gap_by_region.png": "Seat gap per region and level, before and after the plan.",
    "students_and_seats.png": "Students per level: the forecast's band and median, against lawful seats before and after.",
    "oversized_classes.png": "Oversized classes per year by band (hatched = before the plan).",
    "build_timeline.png": "Each project from the start of works to opening, with its seats and cost.",
    "spending.png": "Money spent per year against the yearly budget.",
    "teachers.png": "Teachers needed per year and level.",
}
# A check the browser test reads: every image decoded, counted into <body data-images>.
IMAGE_CHECK = """<script>
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.setAttribute('data-images', ok + '/' + imgs.length);
});
</script>"""


def render(t, images: dict) -> str:
    """The page for ReportTables ``t`` and PNG ``images`` (name -> bytes)."""
    h = headlines(t)
    body = "\n".join([
        f"<h1>{html.escape(t.title)}</h1>",
        f"<p class='meta'>capsim report · {date.today().isoformat()} · forecast {h['first_year']}–{h['last_year']}</p>",
        _answer(t), _cards(h), "<h2>Figures</h2>", _figures(images),
        _section("Schedule", _schedule(t)), _section("Seat gap by level and year", _gap_table(t)),
        _section("Shortfalls left", _shortfalls(t)), *_catchments(t), _section("Assumptions", _assumptions(t)),
        _section("Data provenance", _provenance(t)),
        _section("Resolved scenario", f"<pre>{html.escape(t.scenario_text)}</pre>"),
    ])
    css = font_face_css(_text_of(body))
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(t.title)}</title>
<style>{css}
body {{ font-family: '{FAMILY}', sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }}
h1 {{ font-size: 1.5em; }} h2 {{ border-bottom: 1px solid #ccc; margin-top: 1.6em; }}
.meta {{ color: #666; }} .cards {{ display: flex; flex-wrap: wrap; gap: .8em; }}
.card {{ border: 1px solid #ddd; border-radius: 6px; padding: .6em 1em; min-width: 11em; }}
.card b {{ display: block; font-size: 1.4em; }} figure {{ margin: 1em 0; }} img {{ max-width: 100%; }}
table {{ border-collapse: collapse; font-size: .85em; }} td, th {{ border: 1px solid #ddd; padding: .2em .5em; text-align: right; }}
pre {{ background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: .8em; }}
</style></head>
<body>
{body}
{IMAGE_CHECK}
</body></html>
"""


def _text_of(body: str) -> str:
    import re

    return re.sub(r"<[^>]+>|data:[^'\"]+", "", body)


def _answer(t) -> str:
    """The scenario's question and each target's verdict before and after the plan, first."""
    from capsim.reports.tables import target_verdicts

    question = t.settings.get("question", "")
    parts = [f"<p class='question'><b>问题 Question:</b> {html.escape(question)}</p>"] if question else []
    verdicts = target_verdicts(t)
    if verdicts is not None and len(verdicts):
        parts.append("<h2>目标 Targets</h2>" + _table(verdicts))
    return "<div id='answer'>" + "\n".join(parts) + "</div>" if parts else ""


def _cards(h: dict) -> str:
    items = [("peak year (students)", f"{h['peak_year']} ({h['peak_students']:,.0f})"),
             (f"oversized classes {h['first_year']}", f"{h['oversized_base_year']:,.0f}")]
    if "places_added" in h:
        items += [("places added", f"{h['places_added']:,.0f} ({h['projects']} projects)"),
                  ("cost", f"{h['cost_yuan'] / 1e6:,.1f} million yuan"),
                  (f"oversized classes {h['oversized_year']}, before → after", f"{h['oversized_before']:,.0f} → {h['oversized_after']:,.0f}"),
                  ("oversized class-years removed", f"{h['oversized_class_years_removed']:,.0f}"),
                  ("shortfall left", f"{h['shortfall_seat_years']:,.0f} seat-years ({h['shortfall_last_year']:,.0f} in "
                                     f"{h['plan_last_year']})"),
                  ("plan status", h['status'] + (f" (gap {h['gap']:.2%})" if np.isfinite(h['gap']) else ""))]
    cards = "".join(f"<div class='card'>{html.escape(k)}<b>{html.escape(v)}</b></div>" for k, v in items)
    note = f"<p class='note'><b>Note:</b> {html.escape(h['notes'])}.</p>" if h.get("notes") else ""
    return f"<div class='cards'>{cards}</div>{note}"


def _figures(images: dict) -> str:
    out = []
    for name, data in images.items():
        src = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        out.append(f"<figure><img src='{src}' alt='{name}'><figcaption>{html.escape(CAPTIONS.get(name, name))}"
                   "</figcaption></figure>")
    return "\n".join(out)


def _section(title: str, content: str) -> str:
    return f"<h2>{html.escape(title)}</h2>\n{content}"


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, border=0, float_format=lambda v: f"{v:,.0f}", na_rep="")


def _schedule(t) -> str:
    if not t.has_plan:
        return "<p>No projects table: nothing was planned.</p>"
    cols = ["id", "name", "region", "level", "kind", "start_year", "open_year", "seats", "cost_yuan", "committed"]
    return _table(t.schedule.sort_values(["open_year", "id"])[cols])


def _gap_table(t) -> str:
    rows = []
    for level in dict.fromkeys(t.before.level):
        for stage, table in (("before", t.before), ("after", t.after)):
            if table is None:
                continue
            g = gap_by_year(table, level=level)
            rows.append(pd.DataFrame({"level": f"{LEVEL_NAMES.get(level, '')} {level}", "stage": stage,
                                      "year": g.index, "shortage": g.shortage.to_numpy(),
                                      "surplus": g.surplus.to_numpy()}))
    frame = pd.concat(rows)
    wide = frame.pivot_table(index=["level", "stage"], columns="year", values="shortage", sort=False)
    return "<p>Seats short of students (lawful seats; summed over the regions short).</p>" + \
        wide.reset_index().to_html(index=False, border=0, float_format=lambda v: f"{v:,.0f}")


def _shortfalls(t) -> str:
    if not t.has_plan or t.shortfalls is None or not len(t.shortfalls):
        return "<p>None: the plan seats every student in every region, level and year.</p>"
    by = t.shortfalls.groupby(["region", "level", "cause"], sort=False).agg(
        first_year=("year", "min"), last_year=("year", "max"), seat_years=("seats", "sum")).reset_index()
    return _table(by)


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
    return [_section("Catchments", intro + wide.reset_index().to_html(index=False, border=0, na_rep=""))]


def _destinations(g: pd.DataFrame) -> str:
    seated = g[g.school != ""].sort_values("pupils", ascending=False)
    parts = [f"{school} {pupils:,.0f}" for school, pupils in zip(seated.school, seated.pupils) if pupils >= 0.5]
    short = g.loc[g.school == "", "pupils"].sum()
    return " / ".join(parts + ([f"short {short:,.0f}"] if short >= 0.5 else []))


def _assumptions(t) -> str:
    s = t.settings
    unc, plan, std = s.get("uncertainty", {}), s.get("plan", {}), s.get("standards", {})
    rows = [("years", f"{s.get('base_year')}–{s.get('end_year')}"),
            ("draws, seed", f"{unc.get('draws')}, {unc.get('seed')}"),
            ("quantile assessed", str(std.get("quantile", ""))),
            ("class sizes", ", ".join(f"{k} {v}" for k, v in std.get("class_size", {}).items())),
            ("maximum school sizes", ", ".join(f"{k} {v}" for k, v in std.get("max_school_size", {}).items())),
            ("budgets (yuan)", f"total {plan.get('budget_total', '—')}; yearly {plan.get('budget_yearly', '—')}"),
            ("solver", f"{plan.get('solver', '')}, time limit {plan.get('time_limit', '')} s, gap {plan.get('gap', '')}")]
    return "<table>" + "".join(f"<tr><th>{html.escape(k)}</th><td style='text-align:left'>{html.escape(v)}</td></tr>"
                               for k, v in rows) + "</table>"


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
