"""Helpers for tests that edit copies of the tiny example's CSV tables and scenario."""

import csv
from pathlib import Path


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def write_rows(path: Path, rows) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return path


def set_cell(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell; ``row`` is numbered as a spreadsheet shows it (header = row 1)."""
    rows = read_rows(path)
    rows[row - 1][rows[0].index(column)] = value
    write_rows(path, rows)


def cell(path: Path, row: int, column: str) -> str:
    rows = read_rows(path)
    return rows[row - 1][rows[0].index(column)]


def row_of(path: Path, **match) -> int:
    """The spreadsheet row of the one data row whose columns equal ``match``."""
    rows = read_rows(path)
    found = [i for i, r in enumerate(rows[1:], start=2)
             if all(r[rows[0].index(k)] == v for k, v in match.items())]
    assert len(found) == 1, (match, found)
    return found[0]


def drop_rows(path: Path, keep) -> None:
    """Keep the header and the data rows (as dicts) for which ``keep`` is true."""
    rows = read_rows(path)
    write_rows(path, [rows[0]] + [r for r in rows[1:] if keep(dict(zip(rows[0], r)))])


def append_rows(path: Path, *new_rows) -> int:
    """Append rows; return the spreadsheet row number of the first one."""
    rows = read_rows(path)
    write_rows(path, rows + [list(r) for r in new_rows])
    return len(rows) + 1


def edit_scenario(folder: Path, old: str, new: str) -> None:
    path = folder / "scenario.toml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def find(problems: list[str], *fragments: str) -> str:
    """The one problem containing every fragment."""
    found = [p for p in problems if all(f in p for f in fragments)]
    assert len(found) == 1, f"{fragments} in {problems}"
    return found[0]
