"""Figures in README and the seeds' SOURCES.md are what the runs give: each generated section
is regenerated from fresh runs here and compared (run the named script to update)."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def script(name: str):
    """``docs/NAME.py`` as a module (its folder on the path: the scripts import each other)."""
    sys.path.insert(0, str(ROOT / "docs"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name, make", [("gen_falling_rolls", "table"), ("gen_robust", "section")])
def test_readme_section_is_the_runs_own(name, make):
    gen = script(name)
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert gen.replaced(text, getattr(gen, make)()) == text, f"README differs from the runs: run python docs/{name}.py"


def test_every_seeds_results_section_is_the_runs_own():
    gen = script("gen_seed_results")
    for name in gen.CASES:
        text = (ROOT / "data" / name / "SOURCES.md").read_text(encoding="utf-8")
        assert gen.replaced(text, gen.section(name)) == text, (
            f"data/{name}/SOURCES.md's results differ from the runs: run python docs/gen_seed_results.py")


def _worked_run(migration=None, housing=None, in_migration_already=False):
    """A made-up run: two regions, the 0.5 quantile beside a 0.9 one that must be ignored."""
    from types import SimpleNamespace

    import pandas as pd

    q = [0.5, 0.9]
    students = pd.DataFrame([(2022, r, lv, g, qq, (10 if qq == 0.5 else 99) * g + (r == "b"))
                             for r in "ab" for lv in ("primary", "junior") for g in (1, 2) for qq in q],
                            columns=["year", "region", "level", "grade", "quantile", "students"])
    totals = students.groupby(["year", "region", "level", "quantile"], as_index=False).students.sum()
    population = pd.DataFrame([(y, r, s, 0, qq, {2021: 100.0, 2022: 97.0}[y] if qq == 0.5 else 1e6)
                               for y in (2021, 2022) for r in "ab" for s in ("female", "male") for qq in q],
                              columns=["year", "region", "sex", "age", "quantile", "population"])
    births = pd.DataFrame([(2021, r, qq, 3.0 if qq == 0.5 else 1e6) for r in "ab" for qq in q],
                          columns=["year", "region", "quantile", "births"])
    grades = pd.DataFrame({"year": [2020, 2020, 2021], "level": ["primary", "junior", "primary"],
                           "students": [90.0, 50.0, 1e6], "classes": [2.0, 1.0, 1.0]})
    return SimpleNamespace(projection=SimpleNamespace(students=students, level_totals=totals, population=population,
                                                      births=births),
                           assessment_before=SimpleNamespace(grades=grades),
                           scenario=SimpleNamespace(source="made-up",
                                                    data=SimpleNamespace(migration=migration, housing=housing),
                                                    housing=SimpleNamespace(in_migration_already=in_migration_already),
                                                    demography=SimpleNamespace(step=1)))


def test_each_published_figure_is_read_from_the_run_as_worked_by_hand():
    """By hand, on the median only: pupils of two levels in 2022, region a's primary 10 + 20
    and junior 10 + 20, region b's one more a grade: 124; primary grade-1 entrants 10 + 11 = 21;
    residents 2021: 4 × 100; births 2 × 3; deaths in the step from 2021: 400 + 6 - 4 × 97 = 18;
    pupils per class in the base year 2020 (not the row's year): (90 + 50) / 3. No level means
    every level; a level given to a figure of all residents, deaths where people move in (migration,
    or housing not already in it) and a run without a median are refused."""
    gen = script("gen_seed_results")
    res = _worked_run()
    assert gen.run_figure(res, "students", "primary+junior", 2022) == (124.0, 2022)
    assert gen.run_figure(res, "intake", "primary", 2022) == (21.0, 2022)
    assert gen.run_figure(res, "population", "", 2021) == (400.0, 2021)
    assert gen.run_figure(res, "births", "", 2021) == (6.0, 2021)
    assert gen.run_figure(res, "deaths", "", 2021) == (18.0, 2021)
    assert gen.run_figure(res, "students_per_class", "primary+junior", 2019) == (pytest.approx(140 / 3), 2020)
    assert gen.run_figure(res, "students", "", 2022) == (124.0, 2022)
    for moving in (dict(migration="migration.csv"), dict(housing="housing.csv")):
        with pytest.raises(ValueError, match="without migration or housing"):
            gen.run_figure(_worked_run(**moving), "deaths", "", 2021)
    assert gen.run_figure(_worked_run(housing="housing.csv", in_migration_already=True), "deaths", "", 2021)[0] == 18.0
    with pytest.raises(ValueError, match="give no level"):
        gen.run_figure(res, "births", "primary", 2021)
    res.projection.students = res.projection.students[res.projection.students["quantile"] == 0.9]
    with pytest.raises(ValueError, match="no median"):
        gen.run_figure(res, "intake", "primary", 2022)
