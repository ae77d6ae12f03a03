"""The workbook: one sheet per table, tidy, units in the column names (money in yuan)."""

from __future__ import annotations

import io

import pandas as pd


def workbook_sheets(t) -> dict[str, pd.DataFrame]:
    """Sheet name -> table: students, assessment (before and after, by ``stage``), schedule,
    shortfalls, spending and the plan summary, the last four only after a plan, then the plan's
    seats by grade and the catchments where the plan has them."""
    stages = [t.before.assign(stage="before")] + ([t.after.assign(stage="after")] if t.after is not None else [])
    assessment = pd.concat(stages, ignore_index=True)
    sheets = {"students": t.students, "assessment": assessment[["stage"] + [c for c in assessment if c != "stage"]]}
    for name in ("schedule", "shortfalls", "spending", "summary", "seats_by_grade", "catchments"):
        frame = getattr(t, name)
        if frame is not None:
            sheets[name] = frame
    return sheets


def workbook_bytes(t) -> bytes:
    """The workbook as .xlsx bytes (xlsxwriter): header row frozen, columns sized to fit."""
    buf = io.BytesIO()
    # Text is stored as text: a name starting with '=' must not become a live formula.
    with pd.ExcelWriter(buf, engine="xlsxwriter",
                        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}}) as writer:
        for name, frame in workbook_sheets(t).items():
            frame.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            sheet.freeze_panes(1, 0)
            for i, column in enumerate(frame.columns):
                sheet.set_column(i, i, max(10, min(40, len(str(column)) + 2)))
    return buf.getvalue()
