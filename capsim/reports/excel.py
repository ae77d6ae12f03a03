"""The workbook: one sheet per table, Chinese names with English beside them, headings in both,
numbers formatted (people whole, years as years, shares in %, money in yuan with thousands),
the header row frozen and filterable, and a 字段说明 columns sheet documenting every column."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from capsim.reports import columns
from capsim.reports.labels import level_label, word

# table (the run's catalogue name where it is one of the run's tables) -> sheet name (at most 31
# characters, none of []:*?/\)
SHEETS = {"headline": "概要 headline", "worst": "最突出 worst", "districts": "区域 districts", "schools": "学校 schools",
          "students_by_level": "学生 students", "assessment": "评估 assessment", "schedule": "项目 schedule",
          "shortfalls": "缺口 shortfalls", "spending": "投资 spending", "plan_summary": "求解 plan summary",
          "seats_by_grade_after_plan": "分年级学位 seats by grade", "catchments": "学区 catchments",
          "school_classes_after_plan": "学校班级 school classes", "closures": "撤并 closures",
          "conversions": "改建 conversions",
          "targets": "目标 targets",
          "ledger": "台账 ledger", "columns": "字段说明 columns"}
READ = {"closures": "closures_read", "conversions": "conversions_read"}   # sheets shown as a reader reads them
FORMATS = {"people": "#,##0", "year": "0", "whole": "0", "share": "0%", "yuan": "#,##0", "number": "#,##0.00", "seconds": "0.0"}


def workbook_sheets(t) -> dict[str, pd.DataFrame]:
    """Table name (a key of :data:`SHEETS`) -> table, with region and level names as a reader
    reads them: the worst district-years, districts and schools, students, assessment (before
    and after, by ``stage``), then after a plan the schedule, shortfalls, spending and plan
    summary, the plan's seats by grade and the catchments where the plan has them. The last,
    ``columns``, documents every column of the others."""
    from capsim.reports.summary import district_problems, worst

    stages = [("before", t.assessment)] + ([("after", t.after_in_plan)] if t.assessment_after_plan is not None else [])
    ranked = [worst(table, by, 20).assign(stage=stage, ranked_by=by) for by in ("shortage", "oversized_classes")
              for stage, table in stages]
    from capsim.reports.html import card_items

    h = t.headline_figures
    cards = card_items(t, h) + ([("说明 note", h["notes"], "")] if h.get("notes") else [])
    sheets = {"headline": pd.DataFrame(cards, columns=["headline", "figure", "detail"]),
              "worst": pd.concat(ranked, ignore_index=True)[["ranked_by", "stage", "region", "level", "year", "value",
                                                             "years"]],
              "districts": pd.concat([district_problems(table).assign(stage=stage) for stage, table in stages],
                                     ignore_index=True)}
    schools = t.school_summary
    if schools is not None:
        sheets["schools"] = schools
    sheets["students_by_level"] = t.students_by_level
    after = t.assessment_after_plan
    full = [("before", t.assessment)] + ([("after", after)] if after is not None else [])
    assessment = pd.concat([table.assign(stage=stage) for stage, table in full], ignore_index=True)
    sheets["assessment"] = assessment[["stage"] + [c for c in assessment if c != "stage"]]
    for name in ("schedule", "shortfalls", "spending", "plan_summary", "seats_by_grade_after_plan", "catchments",
                 "school_classes_after_plan", "closures", "conversions", "targets", "ledger"):
        frame = getattr(t, READ.get(name, name))
        if frame is not None:
            sheets[name] = frame
    sheets = {name: _named(frame, t) for name, frame in sheets.items()}
    sheets["columns"] = column_sheet(sheets)
    return sheets


def _named(frame: pd.DataFrame, t) -> pd.DataFrame:
    """Regions by name, levels as "小学 primary", stages as "规划前 before"."""
    out = frame.copy()
    if "region" in out:
        out["region"] = [t.region(r) for r in out.region]
    for column in ("level", "into"):
        if column in out:
            out[column] = [level_label(lv) if isinstance(lv, str) else lv for lv in out[column]]
    for column in ("kind", "type"):
        if column in out and out[column].dtype == object:
            out[column] = [word(x) for x in out[column]]
    if "stage" in out:
        out["stage"] = [f"{columns.STAGES.get(s, '')} {s}".strip() for s in out.stage]
    return out


def column_sheet(sheets: dict) -> pd.DataFrame:
    """One row per column of every sheet: sheet, heading, column, meaning, format."""
    rows = [{"sheet 工作表": SHEETS[name], "heading 标题": columns.heading(str(c)), "column 字段": str(c),
             "meaning 含义": columns.meaning(str(c)) or "—", "format 格式": columns.kind(str(c))}
            for name, frame in sheets.items() for c in frame.columns]
    return pd.DataFrame(rows)


def workbook_bytes(t, sheets: dict | None = None) -> bytes:
    """The workbook as .xlsx bytes (xlsxwriter): bilingual headings, number formats by column,
    header row frozen with a filter, columns sized to fit. ``sheets``: :func:`workbook_sheets`
    of ``t`` when the caller has them already."""
    import xlsxwriter

    buf = io.BytesIO()
    # Text is stored as text: a name starting with '=' must not become a live formula.
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                     "nan_inf_to_errors": True})
    formats = {kind: book.add_format({"num_format": f}) for kind, f in FORMATS.items()}
    head = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#f3f3f3", "border": 1})
    for name, frame in (workbook_sheets(t) if sheets is None else sheets).items():
        sheet = book.add_worksheet(SHEETS[name])
        documenting = name == "columns"
        for i, column in enumerate(frame.columns):
            kind = "text" if documenting else columns.kind(str(column))
            title = str(column) if documenting else columns.heading(str(column))
            sheet.write_string(0, i, title, head)
            width = max(10, min(40, max(len(title) + 2, _width(frame[column]))))
            sheet.set_column(i, i, width, formats.get(kind))    # the column's format: every cell below takes it
        _write_cells(sheet, frame)
        sheet.set_row(0, 32)
        sheet.freeze_panes(1, 0)
        if len(frame.columns):
            sheet.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)
    book.close()
    return buf.getvalue()


def _write_cells(sheet, frame: pd.DataFrame) -> None:
    """The values of ``frame`` from the second row down, one column at a time, each with the
    writer of its type: numbers, booleans, else by value (text stays text); a missing value is
    an empty cell."""
    for j, column in enumerate(frame.columns):
        values = frame[column]
        if values.dtype.kind == "b":
            write, cells = sheet.write_boolean, values.tolist()
        elif values.dtype.kind in "iuf":
            write, cells = sheet.write_number, values.to_numpy(dtype=float, na_value=np.nan).tolist()
        else:
            write, cells = sheet.write, values.astype(object).tolist()
        for i, value in enumerate(cells, start=1):
            if value is None or value is pd.NA or value != value:     # None, NA, NaN: left empty
                continue
            write(i, j, value)


def _width(values: pd.Series) -> int:
    if values.dtype != object or not len(values):
        return 10
    longest = values.head(200).astype(str).str.len().max()      # NaN when every cell is empty
    return 10 if pd.isna(longest) else int(longest) + 2
