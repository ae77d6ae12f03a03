"""Compare two folders written by ``capsim run`` table by table, e.g. a seed run before and
after a change that should not move any figure:

    python scripts/compare_runs.py out/before out/after

Prints each CSV both folders hold as identical (every value exactly) or where it first differs (solver and build
timings, columns ending in ``_seconds``, are left out), and the files only one holds. Exit 1
when a shared table differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd


def compare(a: Path, b: Path) -> int:
    left, right = {p.name for p in a.glob("*.csv")}, {p.name for p in b.glob("*.csv")}
    for name, only in ((a, left - right), (b, right - left)):
        if only:
            print(f"only in {name}: {', '.join(sorted(only))}")
    differ = 0
    for file in sorted(left & right):
        x, y = (pd.read_csv(folder / file, encoding="utf-8-sig") for folder in (a, b))
        x, y = (t.drop(columns=[c for c in t.columns if c.endswith("_seconds")]) for t in (x, y))
        try:
            pd.testing.assert_frame_equal(x, y, check_exact=True)
            print(f"identical  {file}")
        except AssertionError as exc:
            differ += 1
            print(f"DIFFERS    {file}: {' '.join(str(exc).split())[:300]}")
    return 1 if differ else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(compare(Path(sys.argv[1]), Path(sys.argv[2])))
