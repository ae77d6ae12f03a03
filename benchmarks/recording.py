"""``--record`` for the benchmark scripts that print a table: what was printed is stored under
``benchmarks/results/`` and copied into ``benchmarks/README.md`` between the script's markers (a
test checks that the two agree), so the README's table is never typed by hand."""

from __future__ import annotations

import io
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"


def record(script: str, measure, args, result: Path, start: str, end: str) -> None:
    """Run ``measure(args)``, printing as usual, with the command and the date first; store the
    output in ``result`` and put it between ``start`` and ``end`` in the README."""
    text = io.StringIO()
    with redirect_stdout(text):
        print(f"command : python benchmarks/{script} {' '.join(sys.argv[1:])}")
        print(f"date    : {time.strftime('%Y-%m-%d')}")
        measure(args)
    print(text.getvalue(), end="")
    result.parent.mkdir(exist_ok=True)
    result.write_text(text.getvalue(), encoding="utf-8")
    page = README.read_text(encoding="utf-8")
    head, rest = page.split(start, 1)
    README.write_text(head + start + "\n```\n" + text.getvalue() + "```\n" + end + rest.split(end, 1)[1],
                      encoding="utf-8")
