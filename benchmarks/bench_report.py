"""What a ``capsim run`` spends on the model and what on the report, per scenario.

    python benchmarks/bench_report.py                       # the five seeds and the 7/56-region pair, 3 rounds
    python benchmarks/bench_report.py --repeats 5 scenarios/xining.toml
    python benchmarks/bench_report.py --draws 20 --scaling 7,28,56 capsim/examples/tiny/scenario.toml
    python benchmarks/bench_report.py --record after        # also store the medians and rewrite README's section
    python benchmarks/bench_report.py --render              # rewrite README's section from the stored results

For each scenario, in turns (round 1 of every scenario, then round 2, ...), it times the model
(``capsim.run``: forecast, assessment, plan, the assessment after the plan) and the report built
from its result (``capsim.reports.build``: the figures as PNG, the workbook, ``report.html``),
and prints a Markdown table of the medians with the report's share. Writing the files is left
out of both. The first round also warms numba's compiled core, so it is a round like the others
only after every scenario has had one: with one repeat the model times include compilation.

The scaling rows time synthetic scenarios with more districts: the tiny example's districts
copied (district i is a copy of tiny district i mod 2, with its population, migration, births,
enrolment, housing, schools, projects and outline, ids suffixed, outlines moved east) to 7 and 56
districts, budgets scaled with them; they take their turns with the seeds. ``--record LABEL`` stores the medians as run
LABEL in ``bench_report.json`` and rewrites the section of ``README.md`` between the markers
from that file, so no figure in it is typed by hand.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = [ROOT / "scenarios" / f"{n}.toml" for n in ("hualong", "xining", "aral", "binzhou", "kunming")]
SCALING = (7, 56)
RESULTS = Path(__file__).resolve().parent / "bench_report.json"
README = Path(__file__).resolve().parent / "README.md"
START = "<!-- bench_report results: written by benchmarks/bench_report.py from bench_report.json; do not edit -->"
END = "<!-- end of bench_report results -->"
# tiny example tables -> the columns naming a district's own rows (suffixed in each copy)
ID_COLUMNS = {"regions.csv": ("region", "name"), "population.csv": ("region",), "migration.csv": ("region",),
              "births.csv": ("region",), "enrolment.csv": ("region",), "housing.csv": ("id", "region"),
              "schools.csv": ("id", "region"), "school_grades.csv": ("school",),
              "projects.csv": ("id", "region", "school", "group", "requires")}


def synthetic_scenario(regions: int, folder: Path) -> Path:
    """A copy of the tiny example in ``folder`` with ``regions`` districts: district i is a copy
    of tiny district i mod 2 (copy k = i // 2; ids and names suffixed ``k + 1`` from the second
    copy on, so the first two keep tiny's ids and its targets); returns the scenario file."""
    from capsim.examples import tiny_path

    src = tiny_path().parent
    shutil.copytree(src, folder, dirs_exist_ok=True)
    with (src / "regions.csv").open(encoding="utf-8", newline="") as f:
        base = [row["region"] for row in csv.DictReader(f)]
    copies = {r: [k // len(base) for k in range(regions) if base[k % len(base)] == r] for r in base}
    with (src / "schools.csv").open(encoding="utf-8", newline="") as f:
        school_region = {row["id"]: row["region"] for row in csv.DictReader(f)}
    for name, id_columns in ID_COLUMNS.items():
        with (src / name).open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            header, rows = reader.fieldnames, list(reader)
        out = []
        for k in range(-(-regions // len(base))):             # copy by copy: district i is row i of regions.csv
            suffix = str(k + 1) if k else ""
            for row in rows:
                if k in copies[row["region"] if "region" in row else school_region[row["school"]]]:
                    out.append({c: (v + suffix if c in id_columns and v else v) for c, v in row.items()})
        with (folder / name).open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, header, lineterminator="\n")
            writer.writeheader()
            writer.writerows(out)
    _copy_outlines(src / "boundaries.geojson", folder / "boundaries.geojson", copies)
    return folder / "scenario.toml"


def _copy_outlines(src: Path, dest: Path, copies: dict) -> None:
    """The tiny districts' outlines, copy k of each moved 0.3 degrees east per copy (ids
    suffixed as the tables'), so the synthetic city's map shows every district."""
    data = json.loads(src.read_text(encoding="utf-8"))
    features = []
    for feature in data["features"]:
        region = feature["properties"]["region"]
        for k in copies[region]:
            moved = json.loads(json.dumps(feature))
            moved["properties"]["region"] = region + (str(k + 1) if k else "")
            moved["geometry"]["coordinates"] = _shifted(moved["geometry"]["coordinates"], 0.3 * k)
            features.append(moved)
    dest.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")


def _shifted(coords, east: float):
    """GeoJSON coordinates (nested lists of [lon, lat]) moved ``east`` degrees."""
    if coords and isinstance(coords[0], (int, float)):
        return [coords[0] + east, *coords[1:]]
    return [_shifted(c, east) for c in coords]


def one_round(scenario) -> tuple[float, float]:
    """(model seconds, report seconds) of one run of ``scenario``."""
    import capsim
    from capsim.reports import build, from_results

    t0 = time.perf_counter()
    res = capsim.run(scenario)
    t1 = time.perf_counter()
    build(from_results(res))
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def _count(path) -> int:
    return sum(1 for line in Path(path).read_text(encoding="utf-8-sig").splitlines()[1:] if line)


def load(paths, scaling, folder: Path, draws: int | None = None) -> dict:
    """Name -> (scenario, synthetic?): the scenario files, then the tiny example copied to each
    number of districts in ``scaling`` (inside ``folder``), its budgets scaled alike."""
    import capsim

    settings = {"uncertainty.draws": draws} if draws else {}
    scenarios = {}
    for p in paths:
        scenarios[Path(p).stem if Path(p).stem != "scenario" else Path(p).parent.name] = (
            capsim.load_scenario(p, set=settings), False)
    from capsim.examples import tiny as tiny_scenario

    tiny = tiny_scenario()
    for n in scaling:
        factor = n / _count(tiny.data.regions)
        budgets = {f"plan.{k}": getattr(tiny.plan, k) * factor for k in ("budget_total", "budget_yearly")}
        path = synthetic_scenario(n, folder / f"districts{n}")
        scenarios[f"tiny × {n} districts"] = (capsim.load_scenario(path, set={**settings, **budgets}), True)
    return scenarios


def measure(scenarios: dict, repeats: int) -> list[dict]:
    """One row per scenario: its districts, schools and draws, the median model and report
    seconds over ``repeats`` rounds taken in turns."""
    import matplotlib.pyplot as plt

    times = {name: [] for name in scenarios}
    for _ in range(repeats):
        for name, (sc, _) in scenarios.items():
            times[name].append(one_round(sc))
            plt.close("all")
    return [{"scenario": name, "synthetic": synthetic, "regions": _count(sc.data.regions),
             "schools": _count(sc.data.schools) if sc.data.schools else 0, "draws": sc.uncertainty.draws,
             "model_s": statistics.median(t[0] for t in times[name]),
             "report_s": statistics.median(t[1] for t in times[name])}
            for name, (sc, synthetic) in scenarios.items()]


def table(rows: list[dict]) -> str:
    lines = ["| scenario | regions | draws | model (s) | report (s) | run = model + report | report / model |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['scenario']} | {r['regions']} | {r['draws']} | {r['model_s']:.2f} | {r['report_s']:.2f} | "
                     f"{r['model_s'] + r['report_s']:.2f} | {r['report_s'] / r['model_s']:.1f}× |")
    return "\n".join(lines)


def scaling_line(rows: list[dict]) -> str:
    """The report of the synthetic scenario with most districts over the one with fewest."""
    synthetic = sorted((r for r in rows if r.get("synthetic")), key=lambda r: r["regions"])
    if len(synthetic) < 2:
        return ""
    small, big = synthetic[0], synthetic[-1]
    return (f"Report at {big['regions']} districts / at {small['regions']}: "
            f"{big['report_s'] / small['report_s']:.1f}× (model {big['model_s'] / small['model_s']:.1f}×).")


def render(results: dict) -> str:
    """README's section: each stored run's table and scaling line, then report / model by run."""
    parts = []
    for run in results["runs"]:
        parts += [f"**{run['label']}** — {run['note']} (medians of {run['repeats']} rounds in turns):", "",
                  table(run["rows"])]
        line = scaling_line(run["rows"])
        parts += ["", line, ""] if line else [""]
    if len(results["runs"]) > 1:
        labels = [run["label"] for run in results["runs"]]
        names = list(dict.fromkeys(r["scenario"] for run in results["runs"] for r in run["rows"]))
        parts += ["report / model by run:", "", "| scenario | " + " | ".join(labels) + " |",
                  "|---|" + "---|" * len(labels)]
        for name in names:
            cells = []
            for run in results["runs"]:
                row = next((r for r in run["rows"] if r["scenario"] == name), None)
                cells.append(f"{row['report_s'] / row['model_s']:.1f}×" if row else "—")
            parts.append(f"| {name} | " + " | ".join(cells) + " |")
        parts.append("")
    return "\n".join(parts)


def rewrite_readme(results: dict, readme: Path = README) -> None:
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{render(results)}{END}{tail}", encoding="utf-8")


def readme_section(readme: Path = README) -> str:
    """The text between the markers in ``readme``."""
    return readme.read_text(encoding="utf-8").split(START, 1)[1].split(END, 1)[0].removeprefix("\n")


def record(rows: list[dict], label: str, note: str, repeats: int, path: Path = RESULTS) -> dict:
    """Store ``rows`` as run ``label`` (replacing a run of that label) and return every run."""
    results = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"runs": []}
    run = {"label": label, "note": note, "repeats": repeats, "rows": rows}
    runs = [r for r in results["runs"] if r["label"] != label]
    results["runs"] = runs + [run]
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", help="scenario files (default: the five seeds)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds; medians are reported (default 3)")
    parser.add_argument("--draws", type=int, help="override uncertainty.draws (default: as shipped)")
    parser.add_argument("--scaling", default=",".join(map(str, SCALING)),
                        help="districts of the synthetic scenarios, comma-separated; '' for none (default 7,56)")
    parser.add_argument("--record", metavar="LABEL", help="store the medians as run LABEL in bench_report.json "
                                                          "and rewrite README's section from it")
    parser.add_argument("--note", default="", help="with --record: how the run was made (machine state, change)")
    parser.add_argument("--render", action="store_true", help="only rewrite README's section from bench_report.json")
    args = parser.parse_args(argv)
    if args.render:
        rewrite_readme(json.loads(RESULTS.read_text(encoding="utf-8")))
        return 0
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    scaling = [int(n) for n in args.scaling.split(",") if n.strip()]
    if any(n < 1 for n in scaling):
        parser.error("--scaling takes numbers of districts of at least 1")
    with tempfile.TemporaryDirectory() as folder:
        scenarios = load([Path(p) for p in args.scenarios] or SEEDS, scaling, Path(folder), args.draws)
        rows = measure(scenarios, args.repeats)
    print(table(rows))
    line = scaling_line(rows)
    if line:
        print("\n" + line)
    if args.record:
        rewrite_readme(record(rows, args.record, args.note, args.repeats))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
