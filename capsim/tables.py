"""Reading one CSV table and checking its columns row by row.

The only code that opens input files (with :mod:`capsim.data`, which decides what to read).
Problems are collected, never raised one at a time; each names the file, the spreadsheet row
(header = row 1), the column, the bad value and the fix.
"""

from __future__ import annotations

import csv
import difflib
from pathlib import Path

import numpy as np
import pandas as pd

from capsim.errors import Problems, clip

SEX_CODES = {"female": 0, "male": 1}
MAX_PEOPLE = 1e10       # persons in one table cell: more than live on Earth is a unit or typing error
MAX_PUPILS = 1e9        # pupils, births or seats in one cell
MAX_YUAN = 1e12         # the cost of one project

AGES = ("age", "age_span")
COLUMNS = {  # every column each table reads (docs/data-tables.md); others are notes, ignored
    "regions": ("region", "name"),
    "population": ("region", "sex", *AGES, "population"),
    "fertility": ("region", "year", *AGES, "asfr"),
    "tfr": ("region", "year", "tfr"),
    "mortality": ("sex", "age", "lx", "Lx", "qx", "mx", "survival"),
    "migration": ("region", "sex", *AGES, "year", "value"),
    "housing": ("id", "region", "residents", "dwellings", "move_in_start", "move_in_end"),
    "housing_yield": ("age", "per_resident"),
    "enrolment": ("region", "level", "grade", "year", "students"),
    "births": ("region", "year", "births"),
    "schools": ("id", "name", "region", "type", "classes", "seats", "opened", "closed", "max_students", "zone", "keep",
                "merge_into", "ownership"),
    "school_grades": ("school", "level", "grade", "students", "classes"),
    "capacity": ("region", "level", "seats", "year"),
    "projects": ("id", "name", "region", "kind", "type", "school", "seats", "cost", "build_years", "earliest",
                 "latest", "committed", "group", "requires", "duration"),
    "areas": ("area", "region", "share", "level"),
    "travel": ("area", "site", "km", "cost"),
    "history": ("area", "series", "year", "value", "published"),
}


class Table:
    """A CSV read as text, with typed column accessors that record problems."""

    def __init__(self, path: Path, label: str, problems: Problems):
        self.path = Path(path)
        self.label = label
        self.problems = problems
        self.rows = np.zeros(0, dtype=int)       # the file's line of each row (header = 1)
        self.exact = None                        # rows repeating an earlier row exactly
        self.frame = self._read()

    def _read(self) -> pd.DataFrame:
        if not self.path.is_file():
            self.problems.add(str(self.path), f"the {self.label} table does not exist.", str(self.path),
                              f"check data.{self.label} in the scenario (paths are relative to the scenario file).")
            return pd.DataFrame()
        try:
            with open(self.path, encoding="utf-8-sig", newline="") as f:
                lines = [(reader.line_num, row) for reader in [csv.reader(f, skipinitialspace=True)]
                         for row in reader if row and (len(row) > 1 or row[0].strip())]
        except (csv.Error, UnicodeDecodeError) as exc:
            self.problems.add(str(self.path), f"cannot be read as a UTF-8 CSV: {exc}.",
                              fix="save it as CSV (UTF-8) with one header row.")
            return pd.DataFrame()
        if not lines:
            self.problems.add(str(self.path), "cannot be read as a UTF-8 CSV: the file is empty.",
                              fix="save it as CSV (UTF-8) with one header row.")
            return pd.DataFrame()
        header = [c.strip() for c in lines[0][1]]
        self._check_header(header)
        seen: set = set()
        keep = [j for j, name in enumerate(header) if name and not (name in seen or seen.add(name))]
        rows, numbers, first, exact = [], [], {}, []
        for line, row in lines[1:]:
            if len(row) != len(header):
                self.problems.add(f"{self.path}: row {line}", f"has {len(row)} fields; the header has {len(header)}.",
                                  None, "give every row one value per column (empty values between commas); "
                                  "quote values that contain a comma.")
                continue
            values = tuple(row[j].strip() for j in keep)
            if values in first:
                self.problems.add(f"{self.path}: row {line}", f"repeats row {first[values]} exactly.", None,
                                  "delete the repeated row.")
            first.setdefault(values, line)
            exact.append(first[values] != line)
            rows.append(values)
            numbers.append(line)
        self.rows = np.array(numbers, dtype=int)
        self.exact = np.array(exact, dtype=bool)
        return pd.DataFrame(rows, columns=[header[j] for j in keep], dtype=object)

    def _check_header(self, header: list[str]) -> None:
        """Repeated column names, and names close to a column the table reads (a misspelt
        optional column would otherwise be silently ignored). Other columns are notes."""
        known = COLUMNS.get(self.label, ())
        seen, present = set(), set(header)
        for name in header:
            if name in seen and name:
                self.problems.add(f"{self.path}: header", "repeats a column name.", name,
                                  "give every column one unique name in the header row.")
            seen.add(name)
            if not name or name in known:
                continue
            close = [k for k in known if k.lower() == name.lower().replace(" ", "_")] or \
                [k for k in difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.8)
                 if k[:1] == name[:1].lower()]        # a slip keeps the first letter: 'township' is a note
            close = [k for k in close if k not in present]
            if close:
                self.problems.add(f"{self.path}: header", f"column '{name}' is not one capsim reads.", name,
                                  f"did you mean '{close[0]}'? Rename the column (names are case-sensitive).")

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

    def row(self, index) -> int:
        """The spreadsheet row of ``index`` (the header is row 1)."""
        return int(self.rows[index]) if index < len(self.rows) else index + 2

    def where(self, index, column: str) -> str:
        return f"{self.path}: row {self.row(index)}, column {column}"

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
        exact = self.exact if self.exact is not None else np.zeros(len(dup), dtype=bool)
        for i in np.flatnonzero(dup & ~exact):  # exact repeats are reported once, on reading
            key = ", ".join(f"{c}={clip(self.frame[c].iloc[i])}" for c in columns)
            self.problems.add(f"{self.path}: row {self.row(i)}", f"repeats {key}.", None, fix)
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
