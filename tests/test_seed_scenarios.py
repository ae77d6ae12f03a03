"""The seed plans, run end to end on reduced draws: each answers its plan's question."""

import re
from pathlib import Path

import pytest

import capsim
from capsim.cli import main

SCENARIOS = Path(__file__).parent.parent / "scenarios"
VARIANTS = {
    "hualong": ["low_births", "high_births", "high_in_migration", "children_puyang_profile", "general_senior_only",
                "opening_in_plan_year", "no_dispersal", "compulsory_only"],
    "binzhou": ["low_births", "high_births", "high_in_migration", "children_national_profile",
                "programme_opens_2022"],
    "xining": ["low_births", "high_births", "high_in_migration", "recent_migration", "migration_as_rates",
               "qinghai_birth_rate", "budget_cut", "yearly_budget"],
    "aral": ["low_births", "high_births", "high_in_migration", "children_snapshot_profile", "senior_national_path"],
    "kunming": ["low_births", "high_births", "high_in_migration", "general_senior_180", "reported_ger",
                "national_child_profile", "no_teen_inflow", "all_levels"],
}


def _run(name, evaluate=False, **settings):
    sc = capsim.load_scenario(SCENARIOS / f"{name}.toml", set={"uncertainty.draws": 20, **settings})
    return capsim.run(sc, evaluate=evaluate)


@pytest.mark.parametrize("name,use", [(n, u) for n, vs in VARIANTS.items() for u in [None, *vs]])
def test_every_seed_scenario_and_variant_validates(name, use, capsys):
    args = ["validate", str(SCENARIOS / f"{name}.toml")] + (["--use", use] if use else [])
    assert main(args) == 0, capsys.readouterr().err


@pytest.fixture(scope="module")
def hualong():
    return _run("hualong")


def test_hualong_schedule_has_the_14_committed_schools_and_their_places(hualong):
    committed = hualong.schedule[hualong.schedule.committed]
    assert len(committed) == 14
    assert committed.seats.sum() == pytest.approx(4_860 + 7_020 + 7_510 + 7_470)
    assert {"南海路小学", "濮东小学"} <= set(committed.name)


def _verdicts(res):
    from capsim.targets import verdicts

    return verdicts(res.targets, res.scenario).set_index(["target", "stage"])


def test_hualong_programme_meets_its_targets_after_the_plan(hualong):
    # The 164 large classes and the oversized school are written into the estimated school list
    # (data/hualong/SOURCES.md), so no test confirms them; what is tested is the plan's verdict.
    v = _verdicts(hualong)
    after = v.xs("after", level="stage")
    assert after.holds_from.notna().all() and (after.years_missed == "").all()


def test_hualong_programme_clears_oversized_classes_by_2025(hualong):
    after = hualong.assessment_after_plan
    assert after[after.year == 2025].oversized_classes.sum() == 0
    assert after[after.year == 2025].oversized_schools.sum() == 0
    assert hualong.plan.levels_not_planned == ("kindergarten", "senior")  # no school list for them


def test_hualong_primary_seats_go_empty_after_2025_as_births_fall(hualong):
    after = hualong.assessment_after_plan.query("level == 'primary'").set_index("year")
    utilisation = after.students / after.lawful_seats
    assert utilisation[2035] < 0.5 * utilisation[2025]


@pytest.fixture(scope="module")
def binzhou_programme():
    return _run("binzhou", evaluate=True)


def test_binzhou_programme_is_the_12_schools_and_26_kindergartens(binzhou_programme):
    s = binzhou_programme.schedule
    assert len(s) == 38 and s.committed.all()
    assert (s.type == "kindergarten").sum() == 26


def test_binzhou_programme_seats_kindergartens_but_not_the_junior_bulge(binzhou_programme):
    short = binzhou_programme.shortfalls
    # the 2016-17 birth peak overfills kindergarten grades until it moves on to primary in 2023
    assert short[short.level == "kindergarten"].year.max() <= 2022
    junior_peak = short[short.level == "junior"].groupby("year").seats.sum().max()
    junior_built = binzhou_programme.schedule.query("level == 'junior'").seats.sum()
    assert junior_peak > 10 * junior_built  # the programme covers under a tenth of the junior gap


@pytest.fixture(scope="module")
def kunming():
    return _run("kunming"), _run("kunming", evaluate=True)


def test_kunming_seats_95_percent_until_2026_then_needs_new_schools(kunming):
    planned, built_only = kunming
    short = built_only.shortfalls.groupby("year").seats.sum()
    assert short.index.min() == 2027 and short.max() > 30_000
    assert planned.shortfalls.seats.sum() == 0
    assert planned.schedule.query("not committed").seats.sum() >= short.max()


@pytest.fixture(scope="module")
def xining():
    return _run("xining")


def test_xining_projects_match_the_plans_totals(xining):
    p = xining.plan.projects
    assert len(p.ids) == 171
    assert p.cost.sum() == pytest.approx(8.8e9)
    assert p.seats.sum() == pytest.approx(148_000, rel=0.01)
    senior = p.seats[:, list(p.levels).index("senior")] > 0
    assert senior.sum() == 10 and (p.kind[senior] == "new").sum() == 5 and (p.kind[senior] == "expansion").sum() == 5


def test_xinings_variants_assume_the_natural_increase_its_base_run_gives():
    """data/xining/build_tables.py builds the high_in_migration and recent_migration tables from a
    constant, the base run's natural increase 2020-2025 on its central path (residents 2025 less
    2020, less the base net migration of those five steps): it must stay within 5 % of what the
    run gives, or those variants no longer add up to the growth they are built to (the plan's
    440,000; 2020-22)."""
    import ast

    import pandas as pd

    data = Path(__file__).resolve().parents[1] / "data" / "xining"
    tree = ast.parse((data / "build_tables.py").read_text(encoding="utf-8"))     # read, not run: it writes tables
    constants = {t.id: ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                 for t in node.targets if isinstance(t, ast.Name) and t.id == "BASE_NATURAL_2020_2025"}
    p = capsim.project(capsim.load_scenario(SCENARIOS / "xining.toml", set={"uncertainty.draws": 1})).population
    residents = p[p["quantile"] == 0.5].groupby("year").population.sum()
    migrants = 5 * pd.read_csv(data / "migration.csv").value.sum()
    natural = residents[2025] - residents[2020] - migrants
    assert natural == pytest.approx(constants["BASE_NATURAL_2020_2025"], rel=0.05)


def test_xining_optimiser_builds_far_fewer_than_148000_places_within_the_budget(xining):
    assert xining.schedule.seats.sum() < 2 / 3 * 148_000
    assert xining.plan.spending.cost_yuan.sum() <= 8.8e9 + 1
    short = xining.shortfalls.groupby("level").seats.sum()
    assert short.idxmax() == "senior"  # the senior candidates are too few, the rest too many


@pytest.fixture(scope="module")
def aral():
    return _run("aral")


def test_aral_has_six_districts_and_seats_99_percent_of_senior_age_only_after_the_plan(aral):
    # the 99 % is the scenario's enrolment rate (an input); the verdict measures the places
    assert aral.assessment.region.nunique() == 6
    v = _verdicts(aral)
    senior = [t for t in v.index.get_level_values("target").unique() if "毛入学率" in t][0]
    assert v.loc[(senior, "before"), "years_missed"] != ""
    assert v.loc[(senior, "after"), "years_missed"] == ""


def test_aral_teacher_posts_are_re_set_every_three_years_from_2021(aral):
    """每3年核定一次: each district and level holds 2021's posts needed for 2021-2023, 2024's for
    2024-2026, and so on; none before 2021."""
    t = aral.assessment.set_index(["region", "level", "year"]).sort_index()
    for (region, level), part in t.groupby(level=["region", "level"]):
        part = part.droplevel(["region", "level"])
        assert part.loc[2020, "teacher_posts"] != part.loc[2020, "teacher_posts"]     # NaN: unknown
        for year in part.index[part.index >= 2021]:
            review = 2021 + (year - 2021) // 3 * 3
            assert part.loc[year, "teacher_posts"] == pytest.approx(part.loc[review, "teachers_needed"]), \
                (region, level, year)


def test_aral_plan_cuts_oversized_class_years(aral):
    years = aral.seats_after_plan.year.unique()
    before = aral.assessment[aral.assessment.year.isin(years)].oversized_classes.sum()
    after = aral.assessment_after_plan[aral.assessment_after_plan.year.isin(years)].oversized_classes.sum()
    assert after < 0.5 * before


def test_report_of_a_seed_scenario_is_written_whole(tmp_path):
    out = tmp_path / "hl"
    assert main(["run", str(SCENARIOS / "hualong.toml"), "--set", "uncertainty.draws=20", "--out", str(out),
                 "--quiet"]) == 0
    for name in ("report.html", "capsim_tables.xlsx", "seat_gap.png", "build_timeline.png", "schedule.csv"):
        assert (out / name).stat().st_size > 0


@pytest.mark.parametrize("name", ["hualong", "xining", "aral", "binzhou_programme"])
def test_no_oversized_class_or_school_where_a_seed_plan_names_no_shortfall(name, request):
    """The Done-means of the planner, on the seed plans: the assessment of the planned network
    finds no oversized class where the plan reports no shortfall, and no oversized school unless
    a level it teaches is short (a nine-year school's junior grades may fill up with primary
    pupils that have nowhere else to go)."""
    from capsim.schema import SCHOOL_TYPES

    res = request.getfixturevalue(name)
    seats = res.seats_after_plan
    keys = ["year", "region", "level"]
    after = res.assessment_after_plan.merge(seats[keys + ["shortfall"]], on=keys)
    clear = after[after.shortfall <= 0.5]
    assert len(clear) >= 10
    assert clear.oversized_classes.sum() == 0
    short = seats.set_index(["year", "region", "level"]).shortfall
    schools = res.assessment_after.schools
    schools = schools[schools.year.isin(seats.year.unique())]
    clear = [not any(short.get((y, r, lv), 0) > 0.5 for lv in SCHOOL_TYPES[t])
             for y, r, t in zip(schools.year, schools.region, schools.type)]
    assert sum(clear) >= 10 and not schools[clear].oversized.any()


@pytest.mark.skipif(not __import__("shutil").which("chromium") and not __import__("os").environ.get(
    "CAPSIM_REQUIRE_BROWSER"), reason="no Chromium here (CI installs it and sets CAPSIM_REQUIRE_BROWSER)")
@pytest.mark.parametrize("name", ["kunming", "aral"])
def test_a_seed_report_shows_its_districts_and_schools_or_says_it_has_no_data(name, request, tmp_path):
    """Kunming has one district and region seats only (no class data); Aral six districts with schools."""
    from capsim.reports import build, from_results
    from test_reports import browser_dom

    res = request.getfixturevalue(name)
    res = res[0] if isinstance(res, tuple) else res
    files = build(from_results(res))
    (tmp_path / "report.html").write_bytes(files["report.html"])
    dom, _, _ = browser_dom(tmp_path / "report.html", tmp_path)
    districts = dom.split('id="districts"')[1].split("<h2")[0]
    districts = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:", districts)   # ids are text, not in images
    if name == "kunming":
        assert "oversized_classes.png" not in files and "no class data" in dom
        assert "昆明市" in districts and "No school list" in dom.split('id="schools"')[1]
    else:
        assert "seat_gap_by_region.png" in districts and "团镇第一教学片区" in districts and "tz1" not in districts
        schools = dom.split('id="schools-table"')[1].split("</table>")[0]
        assert schools.count("<tr>") > 20 and "城区第一小学" in schools


def test_kunming_general_senior_plan_provides_places_for_180_per_10000_but_not_the_pupils():
    """The 普高 variant holds the 2020 普高 share (not fitted to the target) and asks the plan to
    provide places for 180 per 10,000 residents: met once new schools can open (none before 2022,
    so not in 2022), while the pupils per 10,000 at the held share reach 180 only around the peak
    of the large cohorts."""
    sc = capsim.load_scenario(SCENARIOS / "kunming.toml", use=["general_senior_180"], set={"uncertainty.draws": 20})
    assert sc.education.senior.rate == {2020: 0.4468}
    res = capsim.run(sc)
    t = res.targets[(res.targets.stage == "after") & (res.targets.region == "all")]
    places = t[t.indicator == "places_per_10000"].set_index("year")
    assert places.loc[2030:, "met"].all() and not places.loc[2022, "met"]
    pupils = t[t.indicator == "pupils_per_10000"].set_index("year").met.astype(bool)
    assert not pupils.loc[2022] and pupils.mean() < 0.25
    assert "is missed by up to" in res.plan.notes


def test_arals_published_class_size_variant_is_built_from_the_published_figure_alone(tmp_path):
    """The variant's school list is what data/aral/published_class_sizes.py writes from the
    estimated list and published.csv (no run), and each level's base-year pupils per class in it
    is the published figure, to within one class's rounding."""
    import runpy

    import pandas as pd

    data = Path(__file__).resolve().parents[1] / "data" / "aral"
    runpy.run_path(str(data / "published_class_sizes.py"))["main"](tmp_path)
    for name in ("schools_published_classes.csv", "school_grades_published_classes.csv"):
        assert (tmp_path / name).read_text("utf-8") == (data / name).read_text("utf-8"), name
    grades = pd.read_csv(data / "school_grades_published_classes.csv")
    published = pd.read_csv(data / "published.csv")
    figure = published[published.figure == "students_per_class"].set_index("level").value
    for level, part in grades.groupby("level"):
        if level in figure:
            pupils, classes = part.students.sum(), part.classes.sum()
            assert abs(classes - pupils / figure[level]) <= 0.5 + 1e-9, level
    original = pd.read_csv(data / "school_grades.csv")
    assert (original.students.to_numpy() == grades.students.to_numpy()).all()
