"""Regenerate docs/report-columns.md from capsim/reports/columns.py:
python docs/gen_report_doc.py > docs/report-columns.md"""

from capsim.reports.columns import COLUMNS
from capsim.reports.excel import FORMATS, SHEETS
from capsim.results import CATALOGUE

HEAD = """# Report columns

Generated from `capsim/reports/columns.py` by `docs/gen_report_doc.py`. Every column of
`report.html`'s tables and of `capsim_tables.xlsx` is here, with its Chinese heading; the
workbook's 字段说明 columns sheet lists the same for each of its sheets. The tidy CSV files keep
the English column names. A column ending in `_before` or `_after` is the figure before the plan
(the schools as they stand) or after it (with the plan's projects).

Workbook sheets: """


def main() -> None:
    print(HEAD + ", ".join(f"`{name}`" for name in SHEETS.values()) + ".\n")
    print("| column | 中文 | meaning | format |")
    print("|---|---|---|---|")
    for column, (zh, meaning, kind) in COLUMNS.items():
        print(f"| `{column}` | {zh} | {meaning} | {kind} (`{FORMATS.get(kind, 'text')}`) |")
    print(FILES)
    print("| table | rows and columns | every run |")
    print("|---|---|---|")
    for t in CATALOGUE:
        print(f"| `{t.name}` | {t.columns} | {'yes' if t.required else ''} |")


FILES = """
## The tables of a run

Generated from `capsim/results.py`'s catalogue. Each table has one name: the attribute of
`capsim.Results` (`res.schedule`), the file `capsim run --out DIR` writes (`DIR/schedule.csv`)
and what `capsim.read_results(DIR)` reads back. A table a run does not have (the plan's tables
without projects, `targets` without targets, `places` without coordinates) is None and not
written.
"""


if __name__ == "__main__":
    main()
