"""Tables of ``bench_core.py``'s results, as plain text and as the section of benchmarks/README.md.

``bench_core.py --json FILE`` saves what it measured (raw seconds, every round); the tables are
built here from that file, so the printed tables, the saved results and the README cannot
disagree. Render the README's section from the stored results with::

    python benchmarks/core_report.py                # rewrite the section between the markers
    python benchmarks/core_report.py --check        # exit 1 if the README's section differs

The section lies between ``BEGIN`` and ``END`` (HTML comments, invisible on the rendered page).
Nothing here measures anything or imports capsim.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "core.json"
FIGURE = HERE / "results" / "scaling.png"     # table 3 on a log-log scale, drawn with the section
README = HERE / "README.md"
BEGIN = "<!-- bench_core results: rendered by benchmarks/core_report.py from benchmarks/results/core.json; do not edit by hand -->"
END = "<!-- end of bench_core results -->"
BUSY_SHARE = 0.02  # other processes' share of the CPUs above which a table is flagged

# the references of table 4: key, label, bytes moved per cell and year in units of the state
REFERENCES = [
    ("read", "read the state only, all cores (numba prange)", 1),
    ("pcopy", "copy year k -> k+1, all cores (numba prange)", 2),
    ("copy", "copy year k -> k+1, one core (np.copyto)", 2),
    ("core", "capsim core, numba, all threads", 2),
    ("core1", "capsim core, numba, 1 thread", 2),
    ("dense", "Leslie: one batched dense np.matmul per year", 2),
    ("sparse", "Leslie: one sparse block-diagonal product per year", 2),
]
COPIES = ("copy", "pcopy")
LESLIES = ("dense", "sparse")
NEED_STREAM = 0.9  # core speed / best copy (issue 23, "done means")
NEED_LESLIE = 10.0  # best Leslie time / core time


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        widths = [max(len(h), *(len(r[i]) for r in self.rows)) if self.rows else len(h)
                  for i, h in enumerate(self.headers)]
        line = "  ".join("-" * w for w in widths)
        out = [self.title, line, "  ".join(h.rjust(w) for h, w in zip(self.headers, widths)), line]
        out += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in self.rows]
        return "\n".join(out + [line] + self.notes)

    def markdown(self) -> str:
        out = [f"**{self.title}**", "", "| " + " | ".join(self.headers) + " |",
               "|" + "---|" * len(self.headers)]
        out += ["| " + " | ".join(row) + " |" for row in self.rows]
        if self.notes:
            out += [""] + [note + "  " if i < len(self.notes) - 1 else note
                           for i, note in enumerate(self.notes)]
        return "\n".join(out)


def fmt(x: float, digits: int = 3) -> str:
    """``digits`` significant digits, no exponent for ordinary magnitudes."""
    if x == 0 or not math.isfinite(x):
        return str(x)
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
    return f"{x:,.{decimals}f}"


def cells(draws: int, regions: int, ages: int) -> int:
    return draws * regions * 2 * ages


def mcy(n_cells: int, years: int, seconds: float) -> float:
    """Millions of cell-years per second."""
    return n_cells * years / seconds / 1e6


def load_note(share: float | None, during: str = "this table") -> list[str]:
    if share is None:
        return []
    warn = "" if share < BUSY_SHARE else " (busy machine: these numbers are not clean)"
    return [f"CPU used by other processes during {during}: {share:.1%}{warn}"]


# ---------------------------------------------------------------------------------------------
# tables 1-3


def throughput_table(res: dict) -> Table:
    part = res["throughput"]
    engines = part["engines"]
    headers = ["draws", "regions", "cells/yr", "years", "dtype"] + [f"{e} M cell-yr/s" for e in engines]
    both = "numpy" in engines and "numba" in engines
    if both:
        headers.append("numba/numpy")
    rows = []
    for r in part["rows"]:
        n = cells(r["draws"], r["regions"], res["ages"])
        row = [str(r["draws"]), str(r["regions"]), f"{n:,}", str(r["years"]), r["dtype"]]
        row += [fmt(mcy(n, r["years"], r["seconds"][e])) for e in engines]
        if both:
            row.append(fmt(r["seconds"]["numpy"] / r["seconds"]["numba"], 2))
        rows.append(row)
    return Table("Table 1. Throughput of project_population (median M cell-years per second; higher "
                 "is better)", headers, rows, load_note(part.get("other_cpu")))


def memory_table(res: dict) -> Table:
    part = res["memory"]
    mib = 2**20
    rows = []
    for r in part["rows"]:
        extra = r["peak"] - r["rss_before"]
        rows.append([
            str(r["draws"]), str(r["regions"]), f"{cells(r['draws'], r['regions'], res['ages']):,}",
            r["engine"], fmt(r["output"] / mib), fmt(r["rss_before"] / mib), fmt(r["peak"] / mib),
            fmt(extra / mib), fmt(extra / r["output"], 2) if r["output"] >= 10 * mib else "-",
            fmt(r["cold"] / r["warm"], 2),
        ])
    headers = ["draws", "regions", "cells/yr", "engine", "output MiB", "RSS before MiB",
               "peak RSS MiB", "peak-before MiB", "(peak-before)/output", "cold/warm"]
    return Table(f"Table 2. Peak memory, float64, {part['years']} years, one fresh process per row "
                 "(peak RSS, VmHWM)", headers, rows, load_note(part.get("other_cpu")))


def scaling_table(res: dict) -> Table:
    part = res["scaling"]
    engines = part["engines"]
    base = {(r["axis"], e): r["seconds"][e] for r in part["rows"] if r["factor"] == 1 for e in engines}
    rows = []
    for r in part["rows"]:
        ages = r.get("ages", res["ages"])
        n = cells(r["draws"], r["regions"], ages)
        row = [r["axis"], f"x{r['factor']}", str(r["draws"]), str(r["regions"]), str(r["years"]), str(ages),
               f"{n * r['years']:,}"]
        for e in engines:
            row += [fmt(r["seconds"][e] / base[r["axis"], e]), fmt(mcy(n, r["years"], r["seconds"][e]))]
        rows.append(row)
    headers = ["grows", "factor", "draws", "regions", "years", "ages", "cell-years"]
    for e in engines:
        headers += [f"{e} time x", f"{e} M cell-yr/s"]
    slopes = ["slope of log time on log factor (linear = 1.00): " + "; ".join(
        f"{e} " + ", ".join(f"{axis} {fmt(b)}" for axis, b in fitted_slopes(res, e).items()) for e in engines)]
    return Table("Table 3. Scaling: one of regions, draws, years, ages grows from the base point, float64 "
                 "(time x = median time / base point's; the plot is scaling.png)", headers, rows,
                 slopes + load_note(part.get("other_cpu")))


def fitted_slopes(res: dict, engine: str) -> dict:
    """Axis -> least-squares slope of log(time) on log(factor): 1 where time grows as the work."""
    import numpy as np

    out = {}
    for axis in dict.fromkeys(r["axis"] for r in res["scaling"]["rows"]):
        rows = [r for r in res["scaling"]["rows"] if r["axis"] == axis]
        x = np.log([r["factor"] for r in rows])
        y = np.log([r["seconds"][engine] for r in rows])
        out[axis] = float(np.polyfit(x, y, 1)[0])
    return out


def scaling_figure(res: dict, path: Path) -> None:
    """Time over the base point's against the factor, log-log, one panel per engine, with the
    linear line (slope 1); written to ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    part = res["scaling"]
    engines = part["engines"]
    fig, axes = plt.subplots(1, len(engines), figsize=(5 * len(engines), 4.2), sharey=True, squeeze=False)
    factors = sorted({r["factor"] for r in part["rows"]})
    for ax, engine in zip(axes[0], engines):
        slopes = fitted_slopes(res, engine)
        for axis in slopes:
            rows = [r for r in part["rows"] if r["axis"] == axis]
            base = next(r["seconds"][engine] for r in rows if r["factor"] == 1)
            ax.plot([r["factor"] for r in rows], [r["seconds"][engine] / base for r in rows], marker="o",
                    label=f"{axis} (slope {slopes[axis]:.2f})")
        ax.plot(factors, factors, color="grey", linestyle="--", label="linear (slope 1)")
        ax.set(xscale="log", yscale="log", xlabel="factor (one of regions, draws, years, ages)",
               title=f"{engine} engine, float64")
        ax.set_xticks(factors, [str(f) for f in factors])
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    axes[0][0].set_ylabel("time / base point's time")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# table 4: references, and the headline


def _ratio(rounds: dict, num, den) -> tuple[float, float, float]:
    """Median of ``num`` over median of ``den``, and the range of the per-round ratios.

    ``num`` and ``den`` are keys or tuples of keys; a tuple stands for the fastest of them, by
    median for the median ratio and round by round for the range."""
    num, den = ((k,) if isinstance(k, str) else k for k in (num, den))
    med = min(statistics.median(rounds[k]) for k in num) / min(statistics.median(rounds[k]) for k in den)
    per = [min(rounds[k][i] for k in num) / min(rounds[k][i] for k in den)
           for i in range(len(rounds[num[0]]))]
    return med, min(per), max(per)


def reference_table(res: dict) -> Table:
    part = res["reference"]
    n = cells(part["draws"], part["regions"], res["ages"])
    years = part["years"]
    rows = []
    for dtype, rounds in part["rounds"].items():
        state_bytes = n * (8 if dtype == "float64" else 4)
        for key, label, moved in REFERENCES:
            if key not in rounds:
                continue
            seconds = statistics.median(rounds[key])
            ratio, lo, hi = _ratio(rounds, key, "core")
            rows.append([label, dtype, fmt(seconds), fmt(1000 * seconds / years),
                         fmt(mcy(n, years, seconds)), fmt(moved * state_bytes * years / seconds / 1e9),
                         fmt(ratio), f"{fmt(lo)}-{fmt(hi)}"])
    headers = ["what", "dtype", "median s", "ms/year", "M cell-yr/s", "GB/s", "x core", "x core, per round"]
    notes = []
    cold = part.get("cold")
    if cold:
        core64 = statistics.median(part["rounds"]["float64"]["core"])
        copy64 = statistics.median(part["rounds"]["float64"]["copy"])
        notes.append(f"Cold runs (fresh output allocated inside the timing, float64, once each): core "
                     f"cold/warm {cold['core'] / core64:.2f}, np.copyto cold/warm {cold['copy'] / copy64:.2f}.")
    title = (f"Table 4. References: {part['draws']} draws x {part['regions']} regions x 2 x {res['ages']} ages "
             f"= {n:,} cells/yr, {years} years, all rows timed in turns for {len(part['rounds']['float64']['core'])} "
             "rounds (medians; x core = time / the core's time, same dtype; GB/s counts the state read and "
             "written, read only for the first row)")
    return Table(title, headers, rows, notes + load_note(part.get("other_cpu")))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def headline(res: dict) -> list[str]:
    """The issue's two ratios against the best references, per dtype, with their round ranges."""
    part = res["reference"]
    lines = [f"Headline at {cells(part['draws'], part['regions'], res['ages']):,} cells/yr x {part['years']} "
             "years (ratios of medians timed in turns; per-round range in brackets):"]
    for dtype, rounds in part["rounds"].items():
        stream, lo, hi = _ratio(rounds, COPIES, "core")
        lines.append(f"  {dtype}: core speed / best copy's (fastest of 1-core and all-core copy) = "
                     f"{stream:.2f} [{lo:.2f}-{hi:.2f}]   need >= {NEED_STREAM}: {verdict(stream >= NEED_STREAM)}")
        if all(k in rounds for k in LESLIES):
            les, lo, hi = _ratio(rounds, LESLIES, "core")
            lines.append(f"  {dtype}: best Leslie's time (fastest of dense and sparse) / core time = "
                         f"{les:.2f} [{lo:.2f}-{hi:.2f}]   need >= {NEED_LESLIE:g}: {verdict(les >= NEED_LESLIE)}")
        read, lo, hi = _ratio(rounds, "read", "core")
        threads, tlo, thi = _ratio(rounds, "core1", "core")
        lines.append(f"  {dtype}: for information, core speed / read-only speed = {read:.2f} [{lo:.2f}-{hi:.2f}]; "
                     f"core 1 thread / all threads = {threads:.2f} [{tlo:.2f}-{thi:.2f}]")
    return lines


# ---------------------------------------------------------------------------------------------
# whole report


def machine_lines(res: dict) -> list[str]:
    m = res["machine"]
    return [
        f"machine : {m['cpu']}, {m['logical_cpus']} logical CPUs, {m['memory_gib']:.1f} GiB RAM, {m['os']}",
        f"software: Python {m['python']}, numpy {m['numpy']}, numba {m['numba']}, scipy {m['scipy']}",
        f"numpy   : BLAS {m['blas']} ({m['blas_threads']} threads, kernel {m['blas_kernel']}); "
        f"SIMD {m['numpy_simd']}",
        f"numba   : {m['numba_threads']} threads, threading layer {m['numba_layer']}, compiled for "
        f"{m['numba_cpu']} (widest SIMD {m['numba_simd']})",
        f"          transparent huge pages: {m['thp']}",
        f"command : {res['command']}",
        f"settings: {res['ages']} single ages, medians of {res['repeats']} runs after 1 warm-up, time in seconds"
        + (f"; run on {res['date']}" if res.get("date") else ""),
    ] + ([f"note    : {res['note']}"] if res.get("note") else [])


def tables(res: dict) -> list[Table]:
    """Every table present in ``res``, the references first."""
    out = []
    if "reference" in res:
        out.append(reference_table(res))
    for name, build in (("throughput", throughput_table), ("memory", memory_table), ("scaling", scaling_table)):
        if name in res:
            out.append(build(res))
    return out


def footer(res: dict) -> list[str]:
    if "total_seconds" not in res:
        return []
    return [f"total benchmark time: {res['total_seconds']:.0f} s"] + load_note(res.get("other_cpu"), "the whole run")


def markdown(res: dict) -> str:
    """The README's section: machine, headline, every table, from the saved results only."""
    parts = ["```", *machine_lines(res), "```"]
    if "reference" in res:
        parts += ["", "```", *headline(res), "```"]
    for table in tables(res):
        parts += ["", table.markdown()]
        if table.title.startswith("Table 3."):
            parts += ["", f"![Scaling of the core, log-log]({FIGURE.relative_to(HERE).as_posix()})"]
    if footer(res):
        parts += ["", "  \n".join(footer(res))]
    return "\n".join(parts)


def section(res: dict) -> str:
    return f"{BEGIN}\n{markdown(res)}\n{END}"


def span(text: str, begin: str, end: str) -> tuple[int, int]:
    """Where the section from the marker ``begin`` to the marker ``end`` (both included) lies."""
    return text.index(begin), text.index(end) + len(end)


def replace_section(readme_text: str, res: dict) -> str:
    start, end = span(readme_text, BEGIN, END)
    return readme_text[:start] + section(res) + readme_text[end:]


def readme_section(readme_text: str) -> str:
    start, end = span(readme_text, BEGIN, END)
    return readme_text[start:end]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Render benchmarks/README.md's bench_core section from "
                                "the stored results.")
    p.add_argument("--results", default=str(RESULTS), help="results file (default benchmarks/results/core.json)")
    p.add_argument("--readme", default=str(README), help="the README to update (default benchmarks/README.md)")
    p.add_argument("--check", action="store_true", help="only compare; exit 1 if the section differs")
    args = p.parse_args(argv)
    res = json.loads(Path(args.results).read_text(encoding="utf-8"))
    readme = Path(args.readme)
    text = readme.read_text(encoding="utf-8")
    if args.check:
        same = readme_section(text) == section(res)
        print("README section is up to date" if same else "README section differs from the results")
        return 0 if same else 1
    readme.write_text(replace_section(text, res), encoding="utf-8")
    if "scaling" in res:
        scaling_figure(res, FIGURE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
