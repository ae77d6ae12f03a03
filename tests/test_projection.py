"""The projection stage end to end on the tiny example: invariants, draws, outputs."""

import shutil

import numpy as np
import pandas as pd
import pytest

import capsim
from capsim.examples import tiny, tiny_path
from capsim.projection import project_arrays


@pytest.fixture(scope="module")
def tiny_result():
    return capsim.project(tiny())


def _copy_tiny(tmp_path):
    folder = tmp_path / "tiny"
    shutil.copytree(tiny_path().parent, folder)
    return folder


def _closed_population(tmp_path, **edits):
    """A copy of tiny with no births, no deaths and no migration (survival ratios of 1)."""
    folder = _copy_tiny(tmp_path)
    rows = [(s, a, 1.0) for s in ("female", "male") for a in ["birth"] + list(range(101))]
    pd.DataFrame(rows, columns=["sex", "age", "survival"]).to_csv(folder / "mortality.csv", index=False)
    pd.DataFrame({"age": [20], "age_span": [5], "asfr": [0.0]}).to_csv(folder / "fertility.csv", index=False)
    settings = {"data.tfr": "", "data.migration": "", "data.housing": "", "data.housing_yield": ""}
    settings.update(edits)
    text = (folder / "scenario.toml").read_text()
    for key, value in settings.items():
        name = key.split(".")[1]
        text = "\n".join(l for l in text.splitlines() if not l.startswith(f"{name} ="))
    (folder / "scenario.toml").write_text(text)
    return folder / "scenario.toml"


def test_people_conserved_without_events_through_the_pipeline(tmp_path):
    sc = capsim.load_scenario(_closed_population(tmp_path), use=["deterministic"])
    inputs = capsim.read_inputs(sc)
    arrays, _ = project_arrays(sc, inputs)
    totals = arrays.population.sum(axis=(1, 2, 3, 4))
    np.testing.assert_allclose(totals, inputs.base.sum(), rtol=1e-12)
    assert arrays.births.sum() == 0


def test_housing_adds_exactly_its_residents(tmp_path):
    path = _closed_population(tmp_path)
    text = path.read_text().replace('[data]', '[data]\nhousing = "housing.csv"\nhousing_yield = "housing_yield.csv"')
    path.write_text(text)
    sc = capsim.load_scenario(path, use=["deterministic"])
    arrays, _ = project_arrays(sc, capsim.read_inputs(sc))
    gained = arrays.population[-1].sum() - arrays.population[0].sum()
    # 1000 dwellings x 3.0 persons, moving in 2022-2024; children are 18 x 0.02 of them
    np.testing.assert_allclose(gained, 3000.0)
    south = 1
    added = arrays.population[:, 0, south].sum(axis=(1, 2)) - arrays.population[0, 0, south].sum()
    np.testing.assert_allclose(added[[2, 3, 4, 5]], [0, 1000, 2000, 3000])


def test_tidy_frames_and_ordered_quantiles(tiny_result):
    st = tiny_result.students
    assert list(st.columns) == ["year", "region", "level", "grade", "quantile", "students"]
    assert set(st.level) == {"kindergarten", "primary", "junior", "senior"}
    wide = st.pivot_table(index=["year", "region", "level", "grade"], columns="quantile", values="students")
    assert (wide[0.1] <= wide[0.5] + 1e-9).all() and (wide[0.5] <= wide[0.9] + 1e-9).all()
    # fertility uncertainty widens the band for the youngest pupils only after they are born
    late = wide.loc[(2030, "north", "kindergarten", 1)]
    assert late[0.9] - late[0.1] > 0
    base = wide.loc[(2020, "north", "primary", 1)]
    assert base[0.9] == base[0.1]


def test_base_year_students_are_the_history(tiny_result):
    st = tiny_result.students
    got = st[(st.year == 2020) & (st.level == "junior") & (st["quantile"] == 0.5)].set_index(["region", "grade"])
    hist = pd.read_csv(tiny_path().parent / "enrolment.csv")
    want = hist[(hist.year == 2020) & (hist.level == "junior")].set_index(["region", "grade"])
    np.testing.assert_allclose(got.students.sort_index(), want.students.sort_index())


def test_junior_entry_follows_primary_grade_six(tiny_result):
    """Junior grade 1 in t = transition ratio x primary grade 6 in t-1 (deterministic run)."""
    res = capsim.project(tiny(use=["deterministic"]))
    st = res.students.set_index(["year", "region", "level", "grade"]).students
    ratio = res.calibration.query("region == 'north' and level == 'junior' and ratio == 'entry'").value.item()
    hist = pd.read_csv(tiny_path().parent / "enrolment.csv").query("region == 'north'")
    h = hist.set_index(["level", "grade", "year"]).students
    by_hand = np.mean([h["junior", 1, y] / h["primary", 6, y - 1] for y in (2018, 2019, 2020)])
    np.testing.assert_allclose(ratio, by_hand)
    np.testing.assert_allclose(st[2025, "north", "junior", 1], by_hand * st[2024, "north", "primary", 6])


def test_same_seed_same_numbers_other_seed_differs():
    a = capsim.project(tiny()).students.students.to_numpy()
    b = capsim.project(tiny()).students.students.to_numpy()
    c = capsim.project(tiny(set={"uncertainty.seed": 2})).students.students.to_numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_keep_draws_and_deterministic_median():
    res = capsim.project(tiny(set={"uncertainty.keep_draws": True, "uncertainty.draws": 5}))
    assert res.student_draws.draw.nunique() == 5
    det = capsim.project(tiny(use=["deterministic"]))
    assert set(det.students["quantile"]) == {0.5}
    # draw 0 is the central path, identical to the deterministic run
    d0 = res.student_draws[res.student_draws.draw == 0].students.to_numpy()
    np.testing.assert_allclose(d0, det.students.students.to_numpy())


def test_five_year_steps_agree_with_single_years():
    one = capsim.project(tiny(use=["deterministic", "five_year"], set={"demography.step": 1}))
    five = capsim.project(tiny(use=["deterministic", "five_year"]))
    tot1 = one.population.groupby("year").population.sum()
    tot5 = five.population.groupby("year").population.sum()
    for year in (2025, 2030):
        assert abs(tot5[year] / tot1[year] - 1) < 0.01


def test_engines_agree_on_a_scenario():
    a = capsim.project(tiny(set={"demography.engine": "numpy"})).population.population.to_numpy()
    b = capsim.project(tiny(set={"demography.engine": "numba"})).population.population.to_numpy()
    np.testing.assert_allclose(a, b, rtol=1e-10)


def test_outputs_written_whole_or_not_at_all(tmp_path, monkeypatch, tiny_result):
    out = tmp_path / "out"
    tables = {"students": tiny_result.students, "births": tiny_result.births}
    capsim.write_results(out, tables, tiny_result.scenario)
    before = sorted(p.name for p in out.iterdir())
    assert "scenario.resolved.toml" in before

    calls = {"n": 0}
    real = pd.DataFrame.to_csv

    def failing(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", failing)
    with pytest.raises(OSError):
        capsim.write_results(out, {"students": tiny_result.births, "births": tiny_result.births}, tiny_result.scenario)
    assert sorted(p.name for p in out.iterdir()) == before
    assert pd.read_csv(out / "students.csv", encoding="utf-8-sig").columns[0] == "year"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder left behind


def test_resolved_scenario_reruns_to_the_same_numbers(tmp_path, tiny_result):
    out = tmp_path / "run"
    capsim.write_results(out, {"students": tiny_result.students}, tiny_result.scenario)
    # the tables lie outside the output folder's tree: their folder is named, as --data-root would
    again = capsim.project(capsim.load_scenario(out / "scenario.resolved.toml", data_roots=[tiny_path().parent]))
    np.testing.assert_allclose(again.students.students, tiny_result.students.students)


def test_cli_project_writes_tables(tmp_path, capsys):
    from capsim.cli import main

    code = main(["project", str(tiny_path()), "--out", str(tmp_path / "o"), "--use", "deterministic"])
    assert code == 0
    names = {p.name for p in (tmp_path / "o").iterdir()}
    assert {"population.csv", "births.csv", "students.csv", "students_by_level.csv",
            "calibration.csv", "scenario.resolved.toml"} <= names
    assert "peak year" in capsys.readouterr().out
