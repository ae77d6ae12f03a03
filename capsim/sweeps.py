"""What-if sweeps: run a scenario for every combination of a grid of values (and named overrides).

A *case* is one scenario: the base file with some overrides switched on (``use``) and some keys
set (``set``). :func:`sweep` makes every combination of the grid (crossed with the override
cases), validates all of them first (every problem at once, before any work), then runs each
through :func:`capsim.run` on an engine (:mod:`capsim.engine`: this process, or Dask) and
summarises it in one row of a tidy table:

=========================== ==================================================================
column                      meaning
=========================== ==================================================================
cost_yuan                   money the plan spends in the plan's years
seats_added                 seats of the projects chosen (committed ones included)
projects                    number of projects chosen
shortfall_seat_years        sum over regions, levels and plan years of seats still missing
surplus_seat_years          sum of lawful seats beyond the pupils (after the plan)
oversized_class_years_left  sum over plan years of oversized classes after the plan
peak_year, peak_students    the plan year with most pupils (all levels, the assessed quantile)
=========================== ==================================================================

Nothing is lost: each finished case is written at once to ``OUT/cases/KEY.json`` (atomically),
where ``KEY`` is a hash of the case's overrides and settings, so a rerun of an interrupted
sweep (Ctrl-C, a killed machine) finds the finished cases and runs only the rest. Ctrl-C stops
a sweep between cases (the case under way finishes and is saved; a second Ctrl-C stops at
once). A saved case counts only while the scenario and its data files are unchanged (:func:`fingerprint`); after
an edit the case runs again. A case
that fails is written as ``KEY.error.json`` with its error, the others go on, and a rerun
tries it again. Every case carries its scenario's seed, so it gives the same numbers on any
worker.

Cases that differ only in their ``[plan]`` keys share one forecast and assessment: each group
of them is forecast and assessed once (:func:`stages`), then each case plans from that (a
plan-only key re-plans, it does not re-project). A group whose forecast fails fails every case
in it. A case's ``seconds`` count its own planning, not the shared forecast.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from capsim.errors import Problem, ScenarioError
from capsim.outputs import write_atomic
from capsim.scenario import without_plan

METRICS = ("cost_yuan", "seats_added", "projects", "shortfall_seat_years", "surplus_seat_years",
           "oversized_class_years_left", "peak_year", "peak_students")
CASES = "cases"
TABLE_FILES = ("sweep.csv", "sweep_projects.csv")
FIGURE = "sweep.png"        # drawn from sweep.csv by capsim.reports.sweep_plot (``capsim sweep`` draws it)
PROJECT_COLUMNS = ("id", "name", "region", "level", "kind", "open_year", "seats", "cost_yuan")


@dataclass(frozen=True)
class Case:
    """One scenario of a sweep: overrides switched on and keys set on the base file."""

    use: tuple = ()
    set: dict | None = None
    label: str = "base"      # what the case varies: its override names and grid values

    @property
    def key(self) -> str:
        text = json.dumps({"use": list(self.use), "set": self.set or {}}, sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class SweepResult:
    table: pd.DataFrame       # one row per case: case, label, the grid's keys, status, error, METRICS
    projects: pd.DataFrame    # case, id, name, region, level, kind, open_year, seats, cost_yuan
    folder: Path | None
    ran: int                  # cases computed by this call (the others were already done)

    @property
    def failed(self) -> pd.DataFrame:
        return self.table[self.table.status == "failed"]


def parse_grid(texts) -> dict:
    """``["plan.budget_total=3e9,5e9", ...]`` -> ``{"plan.budget_total": ["3e9", "5e9"]}``.

    Values are split at commas outside brackets and quotes, so ``k=[1,2],[3,4]`` gives two lists."""
    grid, problems = {}, []
    for text in texts:
        key, sep, values = text.partition("=")
        items = _split_outside_brackets(values)
        if not sep or not key.strip() or not all(items):
            problems.append(Problem(f"--grid {text}", "is not KEY=VALUE,VALUE,... with no empty value.", text,
                                    "write e.g. --grid plan.budget_total=3e9,5e9."))
        elif key.strip() in grid:
            problems.append(Problem(f"--grid {text}", "repeats a key.", key.strip(), "give each key once."))
        else:
            grid[key.strip()] = items
    if problems:
        raise ScenarioError(problems)
    return grid


def _split_outside_brackets(text: str) -> list[str]:
    items, depth, quote, start = [], 0, None, 0
    for i, ch in enumerate(text):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(text[start:i].strip())
            start = i + 1
    return items + [text[start:].strip()]


def make_cases(grid: dict, overrides=((),), use=(), set=None) -> list[Case]:
    """Every combination of the grid's values, for each override case (a tuple of names).

    ``use`` and ``set`` apply to every case first (the grid's values win)."""
    keys = list(grid)
    cases = []
    for names in overrides:
        for values in itertools.product(*(grid[k] for k in keys)):
            label = ", ".join((["+".join(names)] if names else []) + [f"{k}={v}" for k, v in zip(keys, values)])
            cases.append(Case(tuple(use) + tuple(names), {**(set or {}), **dict(zip(keys, values))}, label or "base"))
    return list({c.key: c for c in cases}.values())


def sweep(scenario, grid: dict, overrides=((),), out=None, use=(), set=None,
          scheduler: str | None = None, workers: int | None = None, progress: bool = True,
          force: bool = False, data_roots=()) -> SweepResult:
    """Run every case of ``grid`` x ``overrides`` on ``scenario`` (a TOML path); see the module
    docstring. With ``out`` (new, empty or a sweep of the same scenario: :func:`capsim.outputs.claim`),
    cases are written as they finish and finished ones are not rerun."""
    from tqdm.auto import tqdm

    from capsim.engine import make_engine

    cases = make_cases({k: list(v) for k, v in grid.items()}, overrides, use, set)
    scenarios = _load_all(scenario, cases, data_roots)
    folder = _claim(out, next(iter(scenarios.values())), force) if out is not None else None
    prints = {key: fingerprint(sc) for key, sc in scenarios.items()}
    done = _finished(folder, cases, prints)
    by_key = {c.key: c for c in cases}
    todo = {c.key: scenarios[c.key] for c in cases if c.key not in done}
    with make_engine(scheduler, workers) as engine, \
            tqdm(total=len(cases), initial=len(done), desc="capsim sweep", unit="case",
                 disable=not progress or None) as bar:
        group, members = {key: without_plan(sc) for key, sc in todo.items()}, {}
        for key, g in group.items():
            members.setdefault(g, []).append(key)
        first = {g: todo[keys[0]] for g, keys in members.items() if len(keys) > 1}
        made = {g: (ok, value) for g, ok, value in engine.map_unordered(stages, first)}
        items = {key: (sc, made.get(group[key])) for key, sc in todo.items()}
        with _between_cases() as interrupted:
            for key, ok, value in engine.map_unordered(_run_item, items):
                done[key] = {**(value if ok else _failure(value)), "fingerprint": prints[key]}
                if folder is not None:
                    _save_case(folder, by_key[key], done[key])
                bar.update()
                if interrupted():
                    raise KeyboardInterrupt
    table, projects = _tables(cases, done, list(grid))
    if folder is not None:
        _save_tables(folder, table, projects)
    return SweepResult(table, projects, folder, len(todo))


class _between_cases:
    """Ctrl-C during a sweep stops it between cases: the first one is noted, the case under way
    finishes and is saved, then the sweep raises KeyboardInterrupt (an interrupt landing inside a
    solver or a library could otherwise be taken for the case's failure, and the sweep would go
    on); a second one interrupts at once. Only in the main thread, where signals arrive."""

    def __enter__(self):
        import signal
        import threading

        self.count, self.previous = 0, None
        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self.previous = signal.signal(signal.SIGINT, self._note)
        return lambda: self.count > 0

    def _note(self, signum, frame):
        self.count += 1
        if self.count > 1:
            raise KeyboardInterrupt

    def __exit__(self, *exc):
        import signal

        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def _claim(out, scenario, force: bool) -> Path:
    """The sweep's folder, checked and marked as a sweep of ``scenario`` before any case runs."""
    from capsim.outputs import claim, mark_folder, scenario_paths

    folder = claim(out, "sweep", scenario.source, protect=scenario_paths(scenario), force=force)
    mark_folder(folder, "sweep", scenario.source, files=[CASES, *TABLE_FILES, FIGURE])
    return folder


def _load_all(path, cases, data_roots=()) -> dict:
    """Every case's scenario, validated here: all problems of all cases at once."""
    from capsim.scenario import load_scenario

    scenarios, problems = {}, []
    for case in cases:
        try:
            scenarios[case.key] = load_scenario(path, use=case.use, set=case.set, data_roots=data_roots)
        except ScenarioError as exc:
            problems += [Problem(f"case {case.label}: {p.where}", p.message, p.value, p.fix) for p in exc.problems]
    if problems:
        raise ScenarioError(problems)
    return scenarios


def stages(scenario):
    """The assessment of ``scenario`` (holding the forecast it assessed), shared by the cases that
    differ from it only in ``[plan]``."""
    from capsim.assessment import assess
    from capsim.projection import project

    return assess(scenario, project(scenario))


def _run_item(item) -> dict:
    """:func:`run_case` of ``(scenario, shared)``, ``shared`` the (ok, assessment) of its group
    or None; a group's failed forecast is each case's failure."""
    scenario, shared = item
    if shared is None:
        return run_case(scenario)
    ok, value = shared
    if not ok:
        raise value
    return run_case(scenario, value)


def run_case(scenario, assessment=None) -> dict:
    """Run one case (from its group's ``assessment`` and the forecast it holds, where given) and
    reduce it to its summary row and chosen projects (small, JSON-able)."""
    from capsim.chain import run

    start = time.perf_counter()
    res = run(scenario, before=assessment)
    summary = case_summary(res)
    summary["seed"] = scenario.uncertainty.seed
    summary["seconds"] = time.perf_counter() - start
    projects = res.schedule[list(PROJECT_COLUMNS)].to_dict("records") if res.has_plan else []
    return {"status": "ok", "summary": _plain(summary), "projects": _plain(projects)}


def case_summary(res) -> dict:
    """The sweep's metrics (module docstring) for one :class:`capsim.results.Results` (a fresh
    run or one read back from its folder)."""
    from capsim.planner import plan_years

    after = res.assessment_after_plan if res.has_plan else res.assessment
    first, last = plan_years(res.scenario)
    years = np.arange(first, last + 1)
    after = after[after.year.isin(years)]
    by_year = res.assessment[res.assessment.year.isin(years)].groupby("year").students.sum()
    out = {"peak_year": int(by_year.idxmax()), "peak_students": float(by_year.max()),
           "oversized_class_years_left": float(after.oversized_classes.sum())}
    if not res.has_plan:
        room = after.lawful_seats - after.students        # NaN where seats are unknown: left out
        out.update(cost_yuan=0.0, seats_added=0.0, projects=0, shortfall_seat_years=float(np.maximum(-room, 0).sum()),
                   surplus_seat_years=float(np.maximum(room, 0).sum()))
        return out
    s, seats = res.plan_summary.iloc[0], res.seats_after_plan
    room = seats.seats_before + seats.seats_added + seats.rented - seats.students
    out.update(cost_yuan=s["cost_yuan"], seats_added=s["seats_added"], projects=s["projects"],
               shortfall_seat_years=s["shortfall_seat_years"], surplus_seat_years=float(np.maximum(room, 0).sum()),
               status_plan=s["status"], gap=s["gap"])
    return out


def _failure(exc: BaseException) -> dict:
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return {"status": "failed", "error": text,
            "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))}


def _plain(obj):
    """numpy scalars -> Python numbers, so the record is JSON."""
    return json.loads(pd.Series([obj]).to_json(orient="values", double_precision=15))[0]


def fingerprint(scenario) -> str:
    """A hash of the resolved scenario and the bytes of every data table it reads: a saved case
    counts as finished only while neither has changed."""
    digest = hashlib.sha1(scenario.model_dump_json().encode())
    for path in sorted(str(v) for v in scenario.data.model_dump().values() if v):
        digest.update(Path(path).read_bytes() if Path(path).is_file() else path.encode())
    return digest.hexdigest()


def _finished(folder: Path | None, cases, prints: dict) -> dict:
    """Saved cases of this very scenario; a file that does not parse is run again."""
    if folder is None:
        return {}
    done = {}
    for case in cases:
        path = folder / CASES / f"{case.key}.json"
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if record.get("status") == "ok" and record.get("fingerprint") == prints[case.key]:
            done[case.key] = record
    return done


def _save_case(folder: Path, case: Case, record: dict) -> None:
    cases = folder / CASES
    cases.mkdir(parents=True, exist_ok=True)
    ok, error = cases / f"{case.key}.json", cases / f"{case.key}.error.json"
    full = {"key": case.key, "label": case.label, "use": list(case.use), "set": case.set or {}, **record}
    write_atomic(ok if record["status"] == "ok" else error, json.dumps(full, ensure_ascii=False, indent=1))
    if record["status"] == "ok" and error.exists():
        error.unlink()


def _tables(cases, done: dict, keys: list) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, projects = [], []
    for case in cases:
        record = done.get(case.key, {"status": "not run", "error": ""})
        row = {"case": case.key, "label": case.label, "use": "+".join(case.use),
               **{k: (case.set or {}).get(k) for k in keys}, "status": record["status"],
               "error": record.get("error", "")}
        row.update(record.get("summary", {}))
        rows.append(row)
        projects += [{"case": case.key, **p} for p in record.get("projects", [])]
    table = pd.DataFrame(rows)
    for col in METRICS:
        if col not in table:
            table[col] = np.nan
    return table, pd.DataFrame(projects, columns=["case", *PROJECT_COLUMNS])


def _save_tables(folder: Path, table: pd.DataFrame, projects: pd.DataFrame) -> None:
    """The summary table and the chosen projects, each replaced whole; a figure drawn from the
    tables before is removed, so none is left that no longer matches them."""
    for name, frame in zip(TABLE_FILES, (table, projects)):
        write_atomic(folder / name, frame.to_csv(index=False), encoding="utf-8-sig")  # Excel reads Chinese
    (folder / FIGURE).unlink(missing_ok=True)
