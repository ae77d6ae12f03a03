"""Fuzz: mutated scenarios and tables never give a traceback, and clearly wrong ones are refused.

A seeded generator mutates a copy of the tiny example (its TOML through ``--set`` and by
editing the file, and every table kind, the catchment tables included), runs the CLI
in-process (``capsim.cli.main``) and asserts:

* the exit code is 0 or 2, never a traceback;
* on exit 2, every problem names a place (a file, ``--set`` or ``--use``), and a mutated
  table is named;
* a clearly wrong mutation (a list below: NaN, inf, true as a number, a negative count, an
  exact repeated row, a misspelt header, a ragged row, ...) exits 2;
* nothing outside the temporary folder is written.

Most cases run ``capsim validate``; a small sample runs the whole ``capsim run`` too, which
must refuse (exit 2) exactly the cases ``validate`` refuses. Set
``CAPSIM_FUZZ_CASES`` (default 1000), ``CAPSIM_FUZZ_RUN_CASES`` (default 4 accepted and 4 clearly wrong) and
``CAPSIM_FUZZ_SEED`` for a longer or another run.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from capsim import cli
from capsim.examples import tiny_path

CASES = int(os.environ.get("CAPSIM_FUZZ_CASES", "1000"))
RUN_CASES = int(os.environ.get("CAPSIM_FUZZ_RUN_CASES", "4"))
SEED = int(os.environ.get("CAPSIM_FUZZ_SEED", "17"))
BATCHES = 10

OVERRIDE = {"areas.csv": "catchments", "travel.csv": "catchments", "tfr_low.csv": "low_births"}  # read with --use

# Columns whose values must be numbers >= 0 (a negative one is clearly wrong).
NON_NEGATIVE = {
    "population.csv": ["age", "population"], "fertility.csv": ["age", "age_span", "asfr"],
    "tfr.csv": ["year", "tfr"], "tfr_low.csv": ["year", "tfr"], "mortality.csv": ["age", "qx"],
    "migration.csv": ["age", "age_span"], "housing.csv": ["residents", "move_in_start", "move_in_end"],
    "housing_yield.csv": ["age", "per_resident"], "enrolment.csv": ["grade", "year", "students"],
    "births.csv": ["year", "births"], "schools.csv": ["classes", "seats", "opened"],
    "school_grades.csv": ["grade", "students", "classes"], "projects.csv": ["seats", "cost", "build_years"],
    "areas.csv": ["share"], "travel.csv": ["km"],
}
# Columns read as numbers (every value must be finite; text there is wrong).
NUMERIC = {**NON_NEGATIVE, "migration.csv": ["age", "age_span", "value"]}
# Count and money columns: 1e20 there is implausible.
COUNTS = {"population.csv": "population", "births.csv": "births", "enrolment.csv": "students",
          "school_grades.csv": "students", "schools.csv": "seats", "projects.csv": "cost",
          "migration.csv": "value", "housing.csv": "residents"}
NOT_NUMBERS = ["nan", "NaN", "inf", "-inf", "1e400", "true", "abc", "1,5", "½"]

# Scenario values that are clearly wrong, as --set assignments.
WRONG_SETS = [
    "uncertainty.draws=true", "uncertainty.draws=0", "uncertainty.draws=-5", "uncertainty.draws=2.5",
    "uncertainty.quantiles=[]", "uncertainty.quantiles=[1.5]", "uncertainty.quantiles=[nan]",
    "uncertainty.tfr_sd=nan", "uncertainty.tfr_sd=-1", "uncertainty.migration_sd=inf",
    "standards.class_size={primary=0}", "standards.class_size={junior=-50}", "standards.class_size={primary=true}",
    "standards.class_size={kindergarten=[25,30]}", "standards.class_size={kindergarten=[25,0,35]}",
    "standards.max_school_size={primary=0}", "standards.max_school_size={senior=-1}",
    "standards.students_per_teacher={primary=0}", "standards.students_per_teacher={junior=nan}",
    "standards.students_per_teacher={senior=-12.5}", "standards.teachers_per_class={kindergarten=inf}",
    "standards.bands=[66,56]", "standards.bands=[56,56]", "standards.bands=[0,66]", "standards.quantile=0.3",
    "standards.quantile=nan", "standards.intake_class_size={primary={2022=0}}",
    "plan.budget_yearly=-1", "plan.budget_yearly=nan", "plan.budget_yearly={2022=-5}", "plan.budget_total=inf",
    "plan.budget_total=-1", "plan.shortfall_penalty=inf", "plan.shortfall_penalty=1e300", "plan.shortfall_penalty=0",
    "plan.rent_cost=inf", "plan.rent_cost=1e300", "plan.rent_cost=nan", "plan.discount_rate=nan",
    "plan.time_limit=true", "plan.gap=-1", "plan.lead_time=true", "plan.travel_cost_per_km=inf",
    "education.primary.grade_rates=[1,1,1,1,1,nan]", "education.primary.grade_rates=[1,1,1]",
    "education.senior.rate=nan", "education.senior.rate={2020=-1}", "education.kindergarten.rate=true",
    "demography.sex_ratio_at_birth=nan", "demography.open_age=true", "demography.step=2",
    "housing.persons_per_dwelling=0", "end_year=2019", "base_year=true", "name=''",
    "plan.first_year=2019", "standards.disperse=1",
]
# Scenario keys and values to combine at random (not clearly wrong: any outcome but a crash).
SET_KEYS = ["uncertainty.draws", "uncertainty.seed", "uncertainty.tfr_sd", "uncertainty.migration_sd",
            "uncertainty.quantiles", "uncertainty.keep_draws", "standards.quantile", "standards.bands",
            "standards.class_size", "standards.cap_intake", "standards.disperse", "plan.budget_yearly",
            "plan.budget_total", "plan.shortfall_penalty", "plan.rent_cost", "plan.years", "plan.first_year",
            "plan.lead_time", "plan.discount_rate", "demography.open_age", "demography.migration_timing",
            "demography.sex_ratio_at_birth", "education.primary.rate", "education.junior.enabled",
            "education.primary.grade_rates", "end_year", "base_year", "housing.in_migration_already"]
SET_VALUES = ["0", "1", "-1", "0.5", "2", "3", "1e6", "1e300", "nan", "inf", "true", "false", "'x'", "[]",
              "[0.5]", "[0.9, 0.1]", "{}", "{2022 = 1e8}", "2025", "2031", "[1, 1, 1, 1, 1, 1]", "{primary = 40}"]
# Edits of the scenario file itself: (old, new, clearly wrong).
TOML_EDITS = [
    ("draws = 20", "draws = true", True), ("draws = 20", "drawz = 20", True), ("draws = 20", "draws = 20.5", True),
    ("draws = 20", "draws = nan", True), ("lead_time = 2", "lead_time = -2", True),
    ("budget_yearly = 150_000_000", "budget_yearly = -150_000_000", True),
    ("budget_yearly = 150_000_000", "budget_yearly = nan", True),
    ("budget_total = 400_000_000", "budget_total = inf", True), ("sex_ratio_at_birth = 1.11", "sex_ratio_at_birth = 11.1", True),
    ('regions = "regions.csv"', 'regions = "no_such.csv"', True), ('regions = "regions.csv"\n', "", True),
    ("[standards]", "[standard]", True), ("[standards]", "[standards", True),
    ("intake_class_size = { primary = { 2022 = 45 }", "intake_class_size = { primary = { 2022 = 0 }", True),
    ("cap_intake = true", 'cap_intake = "yes"', True), ("end_year = 2030", "end_year = 2020", True),
    ("persons_per_dwelling = 3.0", "persons_per_dwelling = 0", True),
    ("rate = 0.9\n", "rate = 0.9\ngrade_rates = [1, nan, 1]\n", True),
    ("draws = 20", "draws = 1", False), ("discount_rate = 0.03", "discount_rate = 0.5", False),
    ("lead_time = 2", "lead_time = 20", False), ("budget_yearly = 150_000_000", "budget_yearly = 0", False),
]


@dataclass
class Case:
    """One mutation: files to write (name -> text), CLI arguments, and whether it is clearly wrong."""

    label: str
    files: dict = field(default_factory=dict)
    args: list = field(default_factory=list)
    wrong: bool = False
    table: str | None = None      # the table mutated (a refusal of a clearly wrong one must name it)


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _text(rows) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def table_case(rng: random.Random, name: str, original: str, kind_of: str | None = None) -> Case:
    """A random mutation of table ``name``, a table of kind ``kind_of`` (a tiny file name,
    e.g. ``schools.csv``; default ``name``)."""
    table_kind = kind_of or name
    rows = _rows(original)
    header, body = rows[0], rows[1:]
    r = rng.randrange(len(body)) if body else 0
    kind = rng.choice(["not_number", "negative", "huge", "duplicate", "misspell", "extra", "missing", "empty_cell",
                       "drop_row", "text", "swap_rows", "header_only", "blank_lines", "bom_and_spaces", "zero"])
    wrong = True
    numeric = [c for c in NUMERIC.get(table_kind, []) if c in header]
    non_negative = [c for c in NON_NEGATIVE.get(table_kind, []) if c in header]
    if kind == "not_number" and numeric and body:
        col = rng.choice(numeric)
        body[r][header.index(col)] = rng.choice(NOT_NUMBERS)
    elif kind == "negative" and non_negative and body:
        col = rng.choice(non_negative)
        j = header.index(col)
        if body[r][j] in ("", "0"):
            body[r][j] = "1"
        body[r][j] = "-" + body[r][j].lstrip("-")
    elif kind == "huge" and COUNTS.get(table_kind) in header and body:
        body[r][header.index(COUNTS[table_kind])] = rng.choice(["1e20", "1e300", "9" * 40])
    elif kind == "duplicate" and body:
        body.insert(rng.randrange(r, len(body) + 1), list(body[r]))
    elif kind == "misspell":
        j = rng.randrange(len(header))
        header[j] = rng.choice([header[j].upper(), header[j].capitalize() if header[j] != header[j].capitalize()
                                else header[j].upper(), header[j][:-1] + header[j][-1] * 2])
        wrong = header[j] not in ("Lx", "lx")
    elif kind == "extra" and body:
        body[r] = body[r] + ["x"] * rng.choice([1, 2, 50])
    elif kind == "missing" and body and len(body[r]) > 1:
        body[r] = body[r][:-rng.randint(1, len(body[r]) - 1)]
    else:
        wrong = False
        if kind == "empty_cell" and body:
            body[r][rng.randrange(len(header))] = ""
        elif kind == "drop_row" and body:
            del body[r]
        elif kind == "text" and body:
            body[r][rng.randrange(len(header))] = rng.choice(["north", "south", "x", "primary", "female", "2025", ""])
        elif kind == "swap_rows" and len(body) > 1:
            s = rng.randrange(len(body))
            body[r], body[s] = body[s], body[r]
        elif kind == "header_only":
            body = []
        elif kind == "zero" and numeric and body:
            body[r][header.index(rng.choice(numeric))] = "0"
    text = _text([header] + body)
    if kind == "blank_lines":
        text = text.replace("\n", "\n\n", 3)
    elif kind == "bom_and_spaces":
        text = "\ufeff" + text.replace(",", ", ")
    args = ["--use", OVERRIDE[name]] if name in OVERRIDE else []
    return Case(f"{name}: {kind}", {name: text}, args, wrong, table=Path(name).name)


def scenario_case(rng: random.Random, toml: str) -> Case:
    pick = rng.random()
    if pick < 0.02:
        return Case("--set uncertainty.draws=100000 --set end_year=2200", wrong=True,
                    args=["--set", "uncertainty.draws=100000", "--set", "end_year=2200"])
    if pick < 0.45:
        assignment = rng.choice(WRONG_SETS)
        return Case(f"--set {assignment}", args=["--set", assignment], wrong=True)
    if pick < 0.75:
        assignment = f"{rng.choice(SET_KEYS)}={rng.choice(SET_VALUES)}"
        return Case(f"--set {assignment}", args=["--set", assignment])
    old, new, wrong = rng.choice(TOML_EDITS)
    return Case(f"scenario.toml: {old!r} -> {new!r}", {"scenario.toml": toml.replace(old, new, 1)}, wrong=wrong)


def make_cases(n: int, seed: int, originals: dict) -> list[Case]:
    rng = random.Random(seed)
    tables = sorted(k for k in originals if k.endswith(".csv"))
    cases = []
    for _ in range(n):
        if rng.random() < 0.3:
            cases.append(scenario_case(rng, originals["scenario.toml"]))
        else:
            name = rng.choice(tables)
            cases.append(table_case(rng, name, originals[name]))
    return cases


def run_case(case: Case, folder: Path, originals: dict, command: list[str]) -> list[str]:
    """Apply ``case`` in ``folder``, run the CLI, restore the files; the failures found."""
    return exit_and_failures(case, folder, originals, command)[1]


def exit_and_failures(case: Case, folder: Path, originals: dict, command: list[str]) -> tuple[int | None, list[str]]:
    """:func:`run_case`, with the exit code."""
    for name, text in case.files.items():
        (folder / name).write_text(text, encoding="utf-8")
    err, out = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = cli.main([command[0], str(folder / "scenario.toml"), *command[1:], *case.args])
    except BaseException as exc:  # noqa: BLE001 - a crash is what the fuzz looks for
        code, err = None, io.StringIO(f"Traceback: {type(exc).__name__}: {exc}"[:500])
    finally:
        for name in case.files:
            (folder / name).write_text(originals[name], encoding="utf-8")
    text = err.getvalue()
    failures = []
    if code not in (0, 2) or "Traceback" in text + out.getvalue():
        failures.append(f"{case.label}: exit {code}: {text[-500:]}")
    elif code == 2:
        lines = [ln for ln in text.splitlines() if ln.startswith("  - ")]
        places = (".csv", ".geojson", ".toml", "--set", "--use")
        unplaced = [ln for ln in lines if not any(k in ln.split(": ")[0] for k in places)]
        if not lines or unplaced:
            failures.append(f"{case.label}: a problem names no place: {(unplaced or [text])[0][:300]}")
        elif case.wrong and case.table and not any(case.table in ln for ln in lines):
            failures.append(f"{case.label}: refused without naming {case.table}: {lines[0][:300]}")
    elif case.wrong:
        failures.append(f"{case.label}: clearly wrong but accepted (exit 0)")
    return code, failures


@pytest.fixture(scope="module")
def fuzz_home(tmp_path_factory):
    """A copy of the tiny example, its files' original text, and a snapshot of the source tree."""
    home = tmp_path_factory.mktemp("fuzz")
    folder = home / "tiny"
    shutil.copytree(tiny_path().parent, folder)
    originals = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()}
    return home, folder, originals


def _snapshot(path: Path) -> dict:
    return {str(p): p.stat().st_mtime_ns for p in path.rglob("*") if "__pycache__" not in p.parts}


@pytest.mark.parametrize("batch", range(BATCHES))
def test_fuzz_validate(fuzz_home, batch, monkeypatch):
    home, folder, originals = fuzz_home
    monkeypatch.chdir(home)
    source = _snapshot(tiny_path().parent)
    cases = make_cases(CASES, SEED, originals)[batch::BATCHES]
    failures = [f for case in cases for f in run_case(case, folder, originals, ["validate"])]
    assert _snapshot(tiny_path().parent) == source
    assert sorted(p.name for p in home.iterdir()) == ["tiny"]       # nothing written beside the copy
    assert not failures, f"{len(failures)} of {len(cases)} cases failed:\n" + "\n".join(failures[:20])


def test_fuzz_run(fuzz_home, monkeypatch):
    """A sample through the whole chain: run finishes (exit 0 or 2), and refuses exactly what
    validate refuses: validate runs every check that run would apply, nothing more."""
    home, folder, originals = fuzz_home
    monkeypatch.chdir(home)
    rng = random.Random(SEED + 1)
    cases = make_cases(CASES, SEED + 1, originals)
    cases = rng.sample([c for c in cases if not c.wrong], min(RUN_CASES, len(cases))) + \
        rng.sample([c for c in cases if c.wrong], min(RUN_CASES, len(cases)))
    failures = []
    for i, case in enumerate(cases):
        out = home / f"out{i}"
        checked, _ = exit_and_failures(case, folder, originals, ["validate"])
        ran, found = exit_and_failures(case, folder, originals, ["run", "--quiet", "--out", str(out)])
        failures += found
        if (checked == 2) != (ran == 2):
            failures.append(f"{case.label}: validate exits {checked}, run exits {ran}")
        shutil.rmtree(out, ignore_errors=True)
    assert sorted(p.name for p in home.iterdir()) == ["tiny"]
    assert not failures, "\n".join(failures)


SEED_CASES = int(os.environ.get("CAPSIM_FUZZ_SEED_CASES", "15"))


def test_fuzz_seed_scenarios(tmp_path, monkeypatch):
    """The seed scenarios' own tables, mutated the same way, through validate."""
    from capsim.scenario import load_scenario

    repo = Path(__file__).resolve().parents[1]
    if not (repo / "scenarios").is_dir():
        pytest.skip("the seed scenarios are not beside the tests")
    for name in ("scenarios", "data"):
        shutil.copytree(repo / name, tmp_path / name)
    shutil.copy(repo / ".capsim-root", tmp_path)          # scenarios/ reads data/: one project tree
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "scenarios"
    rng = random.Random(SEED + 2)
    tables = []
    for toml in sorted(folder.glob("*.toml")):
        data = load_scenario(toml).data
        tables += [(toml.name, key, Path(path)) for key, path in data if path is not None]
    failures = []
    for _ in range(SEED_CASES):
        toml, key, path = rng.choice(tables)
        name = os.path.relpath(path, folder)
        originals = {name: path.read_text(encoding="utf-8-sig")}
        case = table_case(rng, name, originals[name], kind_of=f"{key}.csv")
        case.label = f"{toml}: {case.label}"
        failures += _run_seed(case, folder / toml, originals)
    assert not failures, "\n".join(failures)


def _run_seed(case: Case, toml: Path, originals: dict) -> list[str]:
    """``run_case`` for a seed scenario (copied to scenario.toml beside it for the case)."""
    link = toml.parent / "scenario.toml"
    link.write_text(toml.read_text(encoding="utf-8"), encoding="utf-8")
    try:
        return run_case(case, toml.parent, originals, ["validate"])
    finally:
        link.unlink()
