"""Reading one CSV table and checking its columns row by row.

The only code that opens input files (with :mod:`capsim.data`, which decides what to read).
Problems are collected, never raised one at a time; each names the file, the spreadsheet row
(header = row 1), the column, the bad value and the fix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from capsim.errors import Problems, clip

SEX_CODES = {"female": 0, "male": 1}


class Table:
    """A CSV read as text, with typed column accessors that record problems."""

    def __init__(self, path: Path, label: str, problems: Problems):
        self.path = Path(path)
        self.label = label
        self.problems = problems
        self.frame = self._read()

    def _read(self) -> pd.DataFrame:
        if not self.path.is_file():
            self.problems.add(str(self.path), f"the {self.label} table does not exist.", str(self.path),
                              f"check data.{self.label} in the scenario (paths are relative to the scenario file).")
            return pd.DataFrame()
        try:
            frame = pd.read_csv(self.path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                                skipinitialspace=True)
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
            self.problems.add(str(self.path), f"cannot be read as a UTF-8 CSV: {exc}.",
                              fix="save it as CSV (UTF-8) with one header row.")
            return pd.DataFrame()
        frame.columns = [c.strip() for c in frame.columns]
        return frame.apply(lambda col: col.str.strip())

    def has(self, column: str) -> bool:
        return column in self.frame.columns

    def require(self, *columns: str, rows: bool = True) -> bool:
        """Whether the table has ``columns`` (and, with ``rows``, at least one row); else a problem."""
        missing = [c for c in columns if c not in self.frame.columns]
        if missing and self.path.is_file():
            self.problems.add(str(self.path), f"missing column(s) {', '.join(missing)}.",
                              clip(list(self.frame.columns)),
                              f"add a header with {', '.join(columns)} (see docs/data-tables.md).")
        if rows and self.path.is_file() and not missing and self.frame.empty:
            self.problems.add(str(self.path), "has no rows.", fix="add the data rows below the header.")
        return not missing and not (rows and self.frame.empty)

    def where(self, index, column: str) -> str:
        return f"{self.path}: row {index + 2}, column {column}"

    def number(self, column: str, low=None, high=None, integer=False, allow_empty=False, fix=""):
        """Column as float array; bad cells become NaN and are reported."""
        text = self.frame[column]
        values = np.array(pd.to_numeric(text, errors="coerce"), dtype=float)
        empty = (text == "").to_numpy()
        bad = ~np.isfinite(values) & ~(empty & allow_empty)
        if integer:
            bad |= np.isfinite(values) & (values != np.round(values))
        if low is not None:
            bad |= values < low
        if high is not None:
            bad |= values > high
        kind = "a whole number" if integer else "a number"
        rng = _range_text(low, high)
        for i in np.flatnonzero(bad):
            self.problems.add(self.where(i, column), f"must be {kind}{rng}.", clip(text.iloc[i]),
                              fix or f"write {kind}{rng} here.")
        values[bad] = np.nan
        return values

    def choice(self, column: str, allowed, fix=""):
        """Column as text; values outside ``allowed`` are reported (and returned as '')."""
        text = self.frame[column].copy()
        allowed = list(allowed)
        bad = ~text.isin(allowed)
        for i in np.flatnonzero(bad.to_numpy()):
            shown = ", ".join(map(str, allowed[:12])) + (" ..." if len(allowed) > 12 else "")
            self.problems.add(self.where(i, column), "is not a known value.", clip(text.iloc[i]),
                              fix or f"use one of: {shown}.")
        text[bad] = ""
        return text.to_numpy()

    def duplicates(self, columns: list[str], fix="keep one row for each."):
        dup = self.frame.duplicated(subset=columns, keep="first").to_numpy()
        for i in np.flatnonzero(dup):
            key = ", ".join(f"{c}={clip(self.frame[c].iloc[i])}" for c in columns)
            self.problems.add(f"{self.path}: row {i + 2}", f"repeats {key}.", None, fix)
        return dup


def _range_text(low, high) -> str:
    if low is not None and high is not None:
        return f" between {low:g} and {high:g}"
    if low is not None:
        return f" >= {low:g}"
    if high is not None:
        return f" <= {high:g}"
    return ""


def ages_and_spans(table: Table, max_age=150):
    """(age, age_span) integer arrays; spans default to 1."""
    age = table.number("age", 0, max_age, integer=True)
    span = table.number("age_span", 1, 100, integer=True) if table.has("age_span") else np.ones_like(age)
    return age, span


def spread_to_single_years(age, span, value, open_age: int, share=True):
    """Expand grouped rows to single years 0..open_age.

    Returns ``(row_index, single_age, value_per_year)``; with ``share`` a group's value is
    divided evenly among its years (counts), otherwise repeated (rates). Ages at or above
    ``open_age`` land in the open group.
    """
    ok = np.isfinite(age) & np.isfinite(span) & np.isfinite(value)
    rows = np.flatnonzero(ok)
    spans = span[rows].astype(int)
    idx = np.repeat(rows, spans)
    offset = np.arange(spans.sum()) - np.repeat(np.cumsum(spans) - spans, spans)
    single = np.minimum(age[idx].astype(int) + offset, open_age)
    per = value[idx] / span[idx] if share else value[idx]
    return idx, single, per
