"""Targets measured before and after the plan: values worked by hand, verdicts, bad targets."""

import numpy as np
import pandas as pd
import pytest

import capsim
from capsim.errors import ScenarioError
from capsim.schema import Target
from capsim.targets import evaluate, verdicts


class _Scenario:
    source = "s.toml"
    question = ""

    def __init__(self, *targets):
        self.targets = targets


def _table(**columns):
    """Two regions a, b; years 2024-2026; level primary; columns given per (region, year)."""
    rows = [(y, r) for y in (2024, 2025, 2026) for r in ("a", "b")]
    frame = pd.DataFrame(rows, columns=["year", "region"]).assign(level="primary")
    for name, values in columns.items():
        frame[name] = values
    return frame


RESIDENTS = pd.DataFrame([(y, r, 10_000.0 if r == "a" else 30_000.0) for y in (2024, 2025, 2026) for r in "ab"],
                         columns=["year", "region", "residents"])


def _values(target, table, stage="before"):
    got = evaluate(_Scenario(target), RESIDENTS, {stage: table})
    return got.set_index(["year", "region"]).value


def test_gross_enrolment_is_the_share_of_the_age_group_the_lawful_places_can_seat():
    # a: 90 pupils at rate 0.9 -> 100 children, 80 lawful places -> 0.80
    # b: 50 pupils at rate 0.5 -> 100 children, 120 lawful places -> 1.00 (capped: no child twice);
    # whole area (80 + 100) / 200, never b's spare places for a's children
    t = _table(students=[90, 50] * 3, lawful_seats=[80, 120] * 3, gross_enrolment_ratio=[0.9, 0.5] * 3)
    v = _values(Target(indicator="gross_enrolment", level="primary", threshold=0.6, year=2025), t)
    assert v[(2025, "a")] == pytest.approx(0.8) and v[(2025, "b")] == pytest.approx(1.0)
    assert v[(2025, "all")] == pytest.approx(0.9)
    assert 2024 not in v.index.get_level_values("year")            # from the target's year on


def test_places_per_10000_residents():
    t = _table(seats=[180, 360] * 3)
    v = _values(Target(indicator="places_per_10000", level="primary", threshold=150, year=2024), t)
    assert v[(2024, "a")] == pytest.approx(180) and v[(2024, "b")] == pytest.approx(120)
    assert v[(2024, "all")] == pytest.approx(540 / 40_000 * 10_000)


def test_seat_shortage_is_never_netted_across_regions():
    t = _table(students=[110, 40] * 3, lawful_seats=[100, 100] * 3, seats=[100, 100] * 3)
    target = Target(indicator="seat_shortage", level="primary", threshold=0, year=2024)
    v = _values(target, t)
    assert v[(2024, "a")] == 10 and v[(2024, "b")] == 0 and v[(2024, "all")] == 10   # net would be -50


def test_a_count_the_scenario_has_no_data_for_is_unknown_not_zero():
    t = _table(oversized_classes=[np.nan, 3] * 3)
    target = Target(indicator="oversized_classes", level="primary", threshold=0, year=2024)
    got = evaluate(_Scenario(target), RESIDENTS, {"before": t})
    whole = got[got.region == "all"]
    assert whole.value.isna().all() and whole.met.isna().all()
    assert not verdicts(got, _Scenario(target)).known.iloc[0]


def test_verdicts_say_from_when_a_target_holds_and_the_worst_miss():
    t = _table(oversized_classes=[4, 1, 0, 0, 0, 0])           # 2024: 5 in all, then none
    before = _table(oversized_classes=[4, 1, 2, 0, 0, 3])       # missed 2024, 2025, 2026
    target = Target(indicator="oversized_classes", level="primary", threshold=0, year=2024)
    got = evaluate(_Scenario(target), RESIDENTS, {"before": before, "after": t})
    v = verdicts(got, _Scenario(target)).set_index("stage")
    assert v.loc["after", "holds_from"] == 2025 and v.loc["after", "years_missed"] == "2024"
    assert pd.isna(v.loc["before", "holds_from"]) and v.loc["before", "years_missed"] == "2024 2025 2026"
    assert (v.loc["before", "worst_value"], v.loc["before", "worst_year"]) == (5, 2024)
    assert v.loc["after", "met_in_year"] == False  # noqa: E712 - a bool column


def test_a_target_for_one_region_is_judged_there():
    t = _table(students=[110, 40] * 3, lawful_seats=[100, 100] * 3, seats=[100, 100] * 3)
    target = Target(indicator="seat_shortage", level="primary", threshold=0, year=2024, region="b")
    got = evaluate(_Scenario(target), RESIDENTS, {"before": t})
    assert set(got.region) == {"b"} and got.met.all()


@pytest.mark.parametrize("bad, key", [({"indicator": "happiness"}, "targets.0.indicator"),
                                      ({"threshold": -1}, "targets.0.threshold"),
                                      ({"level": "college"}, "targets.0.level")])
def test_a_bad_target_is_refused_naming_its_key(tiny, bad, key):
    scenario = tiny / "scenario.toml"
    text = scenario.read_text(encoding="utf-8")
    first = 'indicator = "gross_enrolment"\nlevel = "senior"\nthreshold = 0.9\n'
    assert first in text
    fields = {"indicator": '"gross_enrolment"', "level": '"senior"', "threshold": "0.9"}
    fields.update({k: repr(v).replace("'", '"') for k, v in bad.items()})
    scenario.write_text(text.replace(first, "".join(f"{k} = {v}\n" for k, v in fields.items())), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        capsim.load_scenario(scenario)
    assert key in caught.value.report()


def test_run_writes_the_targets_before_and_after_and_answers_the_question_first(tiny, capsys):
    from capsim.cli import main

    out = tiny.parent / "o"
    assert main(["run", str(tiny / "scenario.toml"), "--use", "deterministic", "--out", str(out)]) == 0
    table = pd.read_csv(out / "targets.csv", encoding="utf-8-sig")
    assert set(table.stage) == {"before", "after"} and {"all", "north", "south"} >= set(table.region)
    printed = capsys.readouterr().out
    assert printed.index("question: Do the two districts") < printed.index("plan: ")
    assert "target 2. 超标准班额 primary ≤ 0 from 2025: before: missed in 2025-2029" in printed


def test_pupils_per_10000_count_only_pupils_in_lawful_places():
    t = _table(students=[200, 300] * 3, lawful_seats=[150, 400] * 3)
    v = _values(Target(indicator="pupils_per_10000", level="primary", threshold=100, year=2024), t)
    assert v[(2024, "a")] == pytest.approx(150) and v[(2024, "b")] == pytest.approx(100)
    assert v[(2024, "all")] == pytest.approx(450 / 40_000 * 10_000)


def test_a_target_for_an_unknown_region_or_a_level_not_forecast_is_refused_before_work(tiny, capsys):
    from capsim.cli import main

    scenario = tiny / "scenario.toml"
    text = scenario.read_text(encoding="utf-8")
    text = text.replace('region = "south"', 'region = "east"')
    text = text.replace('indicator = "oversized_classes"\nlevel = "primary"', 'indicator = "oversized_classes"\n'
                                                                            'level = "kindergarten"')
    scenario.write_text(text, encoding="utf-8")
    validated = main(["validate", str(scenario), "--set", "education.kindergarten.enabled=false"])
    err = capsys.readouterr().err
    assert validated == 2
    assert "targets[2].region: is not a region of the regions table. Got 'east'" in err
    assert "targets[1].level: is a level the scenario does not forecast. Got 'kindergarten'" in err
    assert main(["run", str(scenario), "--set", "education.kindergarten.enabled=false", "--out",
                 str(tiny.parent / "o")]) == 2 and not (tiny.parent / "o").exists()


@pytest.mark.parametrize("indicator, want_a, want_b", [
    ("public_share", 60 / 90, 10 / 50),        # a: 60 of 90 placed at public schools; b: 10 of 50
    ("inclusive_share", 80 / 90, 45 / 50),     # public and inclusive private: a 60 + 20, b 10 + 35
])
def test_public_and_inclusive_shares_of_the_pupils_placed(indicator, want_a, want_b):
    t = _table(placed=[90, 50] * 3, public_placed=[60, 10] * 3, inclusive_placed=[80, 45] * 3)
    v = _values(Target(indicator=indicator, level="primary", threshold=0.85, year=2024), t)
    assert v[(2024, "a")] == pytest.approx(want_a) and v[(2024, "b")] == pytest.approx(want_b)
    whole = (60 + 10) / 140 if indicator == "public_share" else (80 + 45) / 140
    assert v[(2024, "all")] == pytest.approx(whole)


def _with_ownership(tiny, run_of):
    """The tiny example's schools table with an ownership column (``run_of``: id -> value)."""
    schools = pd.read_csv(tiny / "schools.csv", dtype=str, keep_default_na=False)
    schools["ownership"] = [run_of(i) for i in schools.id]
    schools.to_csv(tiny / "schools.csv", index=False)
    return schools


def test_the_shares_count_each_schools_own_pupils_and_a_new_school_is_public(tiny):
    """The tiny example's kindergartens: those in the north public, the first two of the south
    inclusive private, the rest private; every other school private. Before the plan each
    year's kindergarten shares are the pupils the assessment places at those schools over all
    it places. After it the junior schools and temporary classrooms the plan builds in the north
    (北区第三中学, its second phase, a temporary block) are public, so the north's public junior
    pupils are exactly theirs, and the south, which builds none, has none."""
    schools = _with_ownership(tiny, lambda i: "public" if i.startswith("NK") else
                              "inclusive" if i in ("SK1", "SK2") else "private")
    run_of = dict(zip(schools.id, schools.ownership))
    scenario = capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"], set={"targets": [
        {"indicator": "public_share", "level": "kindergarten", "threshold": 0.5, "year": 2021},
        {"indicator": "inclusive_share", "level": "kindergarten", "threshold": 0.5, "year": 2021}]})
    res = capsim.run(scenario)
    at = res.assessment_before.schools
    kg = at[at.type == "kindergarten"].assign(run=lambda f: f.school.map(run_of))
    by = kg.groupby(["year", "region"])
    public = by.apply(lambda f: f.students[f.run == "public"].sum() / f.students.sum(), include_groups=False)
    inclusive = by.apply(lambda f: f.students[f.run != "private"].sum() / f.students.sum(), include_groups=False)
    got = res.targets[(res.targets.stage == "before") & (res.targets.region != "all")]
    for indicator, want in (("public_share", public), ("inclusive_share", inclusive)):
        values = got[got.indicator == indicator].set_index(["year", "region"]).value
        assert values.to_numpy() == pytest.approx(want.reindex(values.index).to_numpy())
    assert set(got.value.round(6)) - {0.0, 1.0}, "the south mixes all three"
    plan = res.plan.schedule
    new = set(plan[(plan.kind != "expansion") & (plan.level == "junior")].id)
    assert new == {"J-N1", "J-N1b", "T-N1"}
    after = res.assessment_after.schools
    theirs = after[after.school.isin(new)].groupby("year").students.sum()
    table = res.assessment_after_plan
    north = table[(table.level == "junior") & (table.region == "north")].set_index("year").public_placed
    assert north.to_numpy() == pytest.approx(theirs.reindex(north.index, fill_value=0.0).to_numpy())
    south = table[(table.level == "junior") & (table.region == "south")].public_placed
    assert north.max() > 0 and (south == 0).all()


def test_a_bad_ownership_is_refused_naming_the_row(tiny, capsys):
    from capsim.cli import main

    _with_ownership(tiny, lambda i: "公办" if i == "NK01" else "public")
    assert main(["validate", str(tiny / "scenario.toml")]) == 2
    err = capsys.readouterr().err
    assert "schools.csv: row 12, column ownership" in err and "公办" in err     # NK01 is the 11th school
    assert "public (公办), inclusive (普惠性民办) or private" in err


def test_a_share_without_an_ownership_column_is_unknown(tiny):
    scenario = capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"], set={"targets": [
        {"indicator": "inclusive_share", "level": "kindergarten", "threshold": 0.5, "year": 2021}]})
    res = capsim.run(scenario)
    assert res.targets.value.isna().all() and res.targets.met.isna().all()


def test_the_default_class_ratio_is_not_combined_with_a_pupil_ratio_the_scenario_gives(tiny):
    """Kindergarten posts at 15 pupils a post: the default 2 teachers a class is only a fallback
    for a level without a pupil ratio, so the posts are the pupils over 15. A class ratio the
    scenario gives itself beside the pupil ratio is combined: the larger of the two."""
    for extra, combined in (({}, False), ({"standards.teachers_per_class": {"kindergarten": 2.0}}, True)):
        scenario = capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"], set={
            "standards.students_per_teacher": {"primary": 19.0, "junior": 13.5, "senior": 12.5, "kindergarten": 15.0},
            **extra})
        kg = capsim.assess(scenario).regions.query("level == 'kindergarten'")
        want = np.maximum(kg.students / 15.0, kg.classes_needed * 2.0) if combined else kg.students / 15.0
        np.testing.assert_allclose(kg.teachers_needed, want)
        assert (kg.classes_needed * 2.0 > kg.students / 15.0).any()        # the two rules differ here


def test_a_level_no_school_teaches_has_unknown_public_places(tiny):
    """The tiny example without its kindergartens: their public places are unknown, as their
    seats are, not 0; primary's are counted."""
    schools = _with_ownership(tiny, lambda i: "public")
    schools[schools.type != "kindergarten"].to_csv(tiny / "schools.csv", index=False)
    grades = pd.read_csv(tiny / "school_grades.csv", dtype=str, keep_default_na=False)
    grades[grades.school.isin(schools[schools.type != "kindergarten"].id)].to_csv(tiny / "school_grades.csv",
                                                                                  index=False)
    t = capsim.assess(capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"])).regions
    kg = t[t.level == "kindergarten"]
    assert kg[["seats", "public_placed", "inclusive_placed"]].isna().all().all()
    assert (t[t.level == "primary"].public_placed > 0).all()
