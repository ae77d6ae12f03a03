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
