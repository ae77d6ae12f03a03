"""The catchment level of the planner: areas assigned to schools, checked against independent solvers."""

import itertools

import numpy as np
import pandas as pd
import pytest

import capsim
from capsim.cli import main
from capsim.examples import tiny_path
from capsim.planner import model as milp
from capsim.planner.catchment import Catchment, assignments
from capsim.planner.formulation import FORMULATIONS, solve_as
from capsim.planner.locate import locate
from test_plan import _cflp, _projects


def _one_year(a, cap, f, c, existing, single):
    """The classical facility-location problem as a one-year catchment plan: existing sites have
    seats, the others are new-school projects costing their opening cost."""
    J = len(cap)
    new = np.flatnonzero(~existing)
    projects = _projects(np.zeros(len(new), int), cap[new], f[new], np.ones(len(new)), np.full(len(new), 2025),
                         np.full(len(new), 2025))
    seats = np.where(existing, cap, 0.0)[:, None, None]
    catch = Catchment(pupils=a[:, None, None], area_region=np.zeros(len(a), int), seats=seats,
                      project_site=new, cost=c, single=single)
    return milp.PlanInputs(years=np.array([2025]), need=np.zeros((1, 1, 1)), projects=projects, penalty=1_000.0,
                           catchment=catch), J


@pytest.mark.parametrize("single", [True, False])
@pytest.mark.parametrize("seed", range(4))
def test_one_year_catchment_plan_equals_locate(seed, single):
    a, cap, f, c = _cflp(seed)
    existing = np.arange(len(cap)) == 0
    inp, J = _one_year(a, cap, f, c, existing, single)
    m = milp.build(inp)
    ref = locate(a, cap, f, c, single=single, existing=existing, penalty=1_000.0, gap=1e-9)
    # locate's single assignment sends an area whole or not at all; the planner's zones it and
    # counts what its school cannot seat as short. Where locate seats everyone, the two agree.
    assert ref.unserved.sum() == 0
    for formulation in FORMULATIONS:
        sol = solve_as(m, formulation, gap=1e-9)
        assert sol.status == "optimal"
        assert sol.objective == pytest.approx(ref.cost, rel=1e-7)


def _brute_force(pupils, seats, cost, build_cost, seats_added, site_of, earliest, years, penalty, rate):
    """Cheapest plan of a small single-assignment instance: every choice of opening year for each
    project, then every zoning of each area (to one site in reach, or to none) in each year. A
    site seats the pupils zoned to it up to its seats, those with the cheapest travel first
    (optimal, since every pupil seated saves the penalty less its travel); the rest are short."""
    A, J = cost.shape
    Y = len(years)
    d = (1 + rate) ** -np.arange(Y)
    best = np.inf
    for choice in itertools.product(*[[None] + list(range(e, Y)) for e in earliest]):
        total = sum(build_cost[p] * d[max(y - 1, 0)] for p, y in enumerate(choice) if y is not None)
        for t in range(Y):
            cap = seats[:, t].copy()
            for p, y in enumerate(choice):
                if y is not None and y <= t:
                    cap[site_of[p]] += seats_added[p]
            total += min(_year_cost(zoning, pupils[:, t], cap, cost, d[t], penalty)
                         for zoning in itertools.product(range(J + 1), repeat=A))     # J: zoned nowhere
        best = min(best, total)
    return best


def _year_cost(zoning, pupils, cap, cost, discount, penalty):
    J = len(cap)
    if any(j < J and not np.isfinite(cost[i, j]) for i, j in enumerate(zoning)):
        return np.inf
    total = sum(discount * penalty * pupils[i] for i, j in enumerate(zoning) if j == J)
    for j in range(J):
        room = cap[j]
        for i in sorted((i for i, z in enumerate(zoning) if z == j), key=lambda i: cost[i, j]):
            seated = min(room, pupils[i])
            room -= seated
            total += discount * (cost[i, j] * seated + penalty * (pupils[i] - seated))
    return total


@pytest.mark.parametrize("seed", range(3))
def test_multi_year_single_assignment_equals_brute_force(seed):
    """Three areas growing over three years, one school, a new school, a second new school and an
    expansion of the first: timing, zoning and shortfall chosen together."""
    rng = np.random.default_rng(seed)
    years = np.arange(2025, 2028)
    pupils = np.cumsum(rng.integers(60, 160, (3, 3)), axis=1).astype(float)       # (A, Y)
    cost = rng.uniform(50, 400, (3, 3))
    cost[rng.integers(0, 3), rng.integers(1, 3)] = np.inf                         # out of reach
    seats = np.zeros((3, 3))
    seats[0] = 250.0                                                              # site 0 exists
    site_of = np.array([1, 2, 0])                                                 # projects: new, new, expansion
    build_cost = np.array([4e5, 3e5, 2e5])
    seats_added = np.array([300.0, 250.0, 200.0])
    earliest = [0, 1, 0]
    projects = _projects([0, 0, 0], seats_added, build_cost, [1, 1, 1], years[earliest], [2027] * 3,
                         school=[-1, -1, 0])
    catch = Catchment(pupils=pupils[:, None, :], area_region=np.zeros(3, int), seats=seats[:, None, :],
                      project_site=site_of, cost=cost, single=True)
    inp = milp.PlanInputs(years=years, need=np.zeros((1, 1, 3)), projects=projects, penalty=3_000.0,
                          discount_rate=0.05, catchment=catch)
    m = milp.build(inp)
    expected = _brute_force(pupils, seats, cost, build_cost, seats_added, site_of, earliest, years, 3_000.0, 0.05)
    for formulation in FORMULATIONS:
        sol = solve_as(m, formulation, gap=1e-9)
        assert sol.objective == pytest.approx(expected, rel=1e-7)
    got = assignments(m, sol.values)
    served = np.zeros((3, 3))
    np.add.at(served, (got["area"], got["year"]), got["pupils"])
    # every pupil is seated or counted unserved, and each area is seated at one site at most
    assert np.allclose(served + got["unserved"][:, 0, :], pupils)
    sites_used = np.zeros((3, 3), int)
    np.add.at(sites_used, (got["area"], got["year"]), 1)
    assert sites_used.max() == 1
    # the region's shortfall is the pupils no site took
    assert np.allclose(sol.values[m.short_index][0, 0], got["unserved"][:, 0, :].sum(axis=0))


def test_sites_never_take_more_than_their_seats_and_new_schools_serve_only_once_open():
    years = np.arange(2025, 2029)
    pupils = np.array([[400, 450, 500, 550], [300, 300, 350, 350]], dtype=float)
    seats = np.array([[500.0] * 4, [0.0] * 4])
    projects = _projects([0], [600], [1e5], [1], [2027], [2028])
    catch = Catchment(pupils=pupils[:, None, :], area_region=np.zeros(2, int), seats=seats[:, None, :],
                      project_site=np.array([1]), cost=np.array([[10.0, 50.0], [80.0, 5.0]]), single=False)
    m = milp.build(milp.PlanInputs(years=years, need=np.zeros((1, 1, 4)), projects=projects, penalty=1_000.0,
                                   catchment=catch))
    sol = solve_as(m, gap=1e-9)
    got = assignments(m, sol.values)
    load = np.zeros((2, 4))
    np.add.at(load, (got["site"], got["year"]), got["pupils"])
    assert sol.values[m.x_index[0, 2]] == pytest.approx(1)        # the new school opens as soon as it can
    assert (load[0] <= 500 + 1e-6).all() and (load[1] <= 600 + 1e-6).all()
    assert load[1, :2].sum() == pytest.approx(0)                  # nobody goes there before 2027
    # 2025: 700 pupils, 500 seats -> 200 short; 2026: 250 short; then all seated
    assert sol.values[m.short_index][0, 0].tolist() == pytest.approx([200, 250, 0, 0])


def _rezoning(cost, solver="highs", grades=False):
    """One area of 100 pupils and two schools, A (100 yuan a pupil-year away) and B (110), over
    three years; A has no seat in the second year. Rezoning costs ``cost`` yuan a pupil. With
    ``grades`` the level is two grades of 60 and 40 pupils (and seats), zoned together."""
    share = np.array([0.6, 0.4]) if grades else np.array([1.0])
    seats = np.array([[100.0, 0.0, 100.0], [100.0, 100.0, 100.0], [0.0, 0.0, 0.0]])
    projects = _projects([0], [100], [1e9], [1], [2026], [2027])             # site 2: out of reach
    catch = Catchment(pupils=100.0 * share[None, :, None] * np.ones((1, 1, 3)), area_region=np.zeros(1, int),
                      seats=seats[:, None, :] * share[None, :, None], project_site=np.array([2]),
                      cost=np.array([[100.0, 110.0, np.inf]]), single=True, rezoning_cost=cost,
                      cell_level=np.zeros(len(share), int))
    m = milp.build(milp.PlanInputs(years=np.arange(2025, 2028), need=np.zeros((1, len(share), 3)), projects=projects,
                                   penalty=1e4, catchment=catch, cell_seats=100.0 * share[None, :]))
    sol = solve_as(m, solver=solver, gap=1e-9)
    got = assignments(m, sol.values)
    first = got["cell"] == 0
    return sol, "".join("AB"[s] for s in got["site"][first][np.argsort(got["year"][first])])


@pytest.mark.parametrize("cost, zoning, total", [
    (0.0, "ABA", 31_000),    # travel 10,000 + 11,000 + 10,000; rezoning is free
    (5.0, "ABA", 32_000),    # two moves cost 1,000; staying at B from the start: 33,000
    (15.0, "BBB", 33_000),   # ABA would cost 34,000, ABB 33,500
])
@pytest.mark.parametrize("solver, grades", [("highs", False), ("scipy", False), ("highs", True)])
def test_a_rezoning_is_made_only_when_its_cost_is_worth_the_travel_it_saves(cost, zoning, total, solver, grades):
    """By grade, a rezoning moves both grades and costs their 100 pupils: were it charged on
    one grade's 60, ABA (31,000 + 2 x 60 x 15 = 32,800) would beat BBB at 15 yuan."""
    sol, got = _rezoning(cost, solver, grades)
    assert sol.status == "optimal"
    assert got == zoning
    assert sol.objective == pytest.approx(total, rel=1e-9)


@pytest.mark.parametrize("given, expected", [(None, 200.0), ("0", 0.0), ("50", 50.0)])
def test_the_scenarios_rezoning_cost_defaults_to_a_pupil_km_of_travel(tiny, given, expected):
    from capsim.planner import plan_context

    sets = {"plan.assignment": "single"} | ({} if given is None else {"plan.rezoning_cost": given})
    sc = capsim.load_scenario(tiny / "scenario.toml", use=["deterministic", "catchments"], set=sets)
    assert sc.plan.travel_cost_per_km == 200                   # the override's
    assert plan_context(sc).inputs.catchment.rezoning_cost == expected


def test_a_negative_rezoning_cost_is_named_with_the_fix(tiny, capsys):
    code = main(["validate", str(tiny / "scenario.toml"), "--use", "catchments", "--set", "plan.rezoning_cost=-5"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "plan.rezoning_cost" in err and "-5" in err and "greater than or equal to 0" in err


# ---------------------------------------------------------------- the tiny example's catchments


@pytest.fixture(scope="module")
def tiny_catchments():
    from capsim.examples import tiny

    sc = tiny(use=["deterministic", "catchments"])
    res = capsim.run(sc)
    return sc, res


def test_every_pupil_of_an_area_is_placed_or_counted_short(tiny_catchments):
    sc, res = tiny_catchments
    c = res.plan.catchments
    areas = pd.read_csv(tiny_path().parent / "areas.csv")
    students = res.seats_after_plan.merge(areas, on="region")
    expected = students.assign(pupils=students.students * students.share).set_index(["year", "area", "level"]).pupils
    got = c.groupby(["year", "area", "level"]).pupils.sum()
    assert np.allclose(got.reindex(expected.index), expected, rtol=1e-6)
    unserved = c[c.school == ""].merge(areas, on="area").groupby(["year", "region", "level"]).pupils.sum()
    short = res.seats_after_plan.set_index(["year", "region", "level"]).shortfall
    assert np.allclose(unserved.reindex(short.index, fill_value=0), short, atol=1e-4)


def test_in_seats_no_school_takes_more_than_its_lawful_seats_and_new_schools_only_once_open():
    from capsim.examples import tiny

    sc = tiny(use=["deterministic", "catchments"], set={"plan.capacity": "seats"})
    res = capsim.run(sc)
    c = res.plan.catchments[lambda f: f.school != ""]
    # lawful seats: classes x the standard class, within the school's maximum size
    lawful = res.assessment_before.grades.groupby(["year", "school", "level"]).lawful_seats.sum()
    load = c.groupby(["year", "school", "level"]).pupils.sum()
    existing = load[load.index.get_level_values("school").isin(lawful.index.get_level_values("school"))]
    added = _seats_added_by_school(sc, res)
    room = lawful.reindex(existing.index, fill_value=0) + added.reindex(existing.index, fill_value=0)
    assert (existing <= room + 1e-6).all()
    _new_schools_only_once_open(res, load, lawful)
    assert res.plan.school_classes is None


def test_in_classes_each_school_seats_its_pupils_in_whole_classes_within_its_classrooms(tiny_catchments):
    """Each grade's pupils at a school sit in their cohort's classes; a level's classes there
    take no more classrooms than the school has (its lawful seats of each grade over the grade's
    standard, rounded down) and its projects add (seats over the standard)."""
    from capsim.capacity import grade_standards
    from capsim.enrolment import grades_by_level

    sc, res = tiny_catchments
    k = res.plan.school_classes
    assert k is not None and len(k)
    assert (k.pupils <= k.classes * k.class_size + 1e-6).all()
    assert (k.classes == np.round(k.classes)).all()
    grades = grades_by_level(sc)
    std = {lv: grade_standards(sc.standards.class_size[lv], grades[lv]) for lv in grades}
    # no class holds more than its grade's standard (the tiny example's intake caps are the standards)
    assert (k.class_size == [std[lv][gr - 1] for lv, gr in zip(k.level, k.grade)]).all()
    g = res.assessment_before.grades
    rooms = np.floor(g.lawful_seats / [std[lv][gr - 1] for lv, gr in zip(g.level, g.grade)] + 1e-6)
    rooms = g.assign(rooms=rooms).groupby(["year", "school", "level"]).rooms.sum().pipe(np.floor)
    added = _seats_added_by_school(sc, res)
    added_rooms = np.floor(added / [np.mean(std[lv]) for lv in added.index.get_level_values("level")] + 1e-6)
    used = k.groupby(["year", "school", "level"]).classes.sum()
    listed = used[used.index.get_level_values("school").isin(rooms.index.get_level_values("school"))]
    assert (listed <= rooms.reindex(listed.index, fill_value=0) + added_rooms.reindex(listed.index, fill_value=0)).all()
    c = res.plan.catchments[lambda f: f.school != ""]
    load = c.groupby(["year", "school", "level"]).pupils.sum()
    assert np.allclose(k.groupby(["year", "school", "level"]).pupils.sum().reindex(load.index, fill_value=0), load)
    lawful = g.groupby(["year", "school", "level"]).lawful_seats.sum()
    _new_schools_only_once_open(res, load, lawful)
    assert (res.plan.catchments.cost_per_pupil_yuan.dropna() <= 8 * 200 + 1e-9).all()   # within 8 km


def test_after_a_catchment_plan_each_school_teaches_the_pupils_and_classes_the_zoning_gives_it(tiny_catchments):
    """The school table after the plan shared each district's pupils over its schools in
    proportion: 343 of 360 school-years differed from the zoning (NP2 1,476 pupils against the
    181 zoned to it in 2028). Now each school's pupils and classes are the zoning's, and no
    class is over its standard."""
    sc, res = tiny_catchments
    k = res.plan.school_classes
    plan_years = k.year.unique()
    after = res.assessment_after.schools[lambda f: f.year.isin(plan_years)].set_index(["year", "school"]).students
    zoned = k.groupby(["year", "school"]).pupils.sum()
    assert set(zoned.index) <= set(after.index)                     # every site is a school after the plan
    both = zoned.reindex(after.index, fill_value=0.0)
    np.testing.assert_allclose(after.to_numpy(), both.to_numpy(), atol=1e-6)
    assert after.sum() == pytest.approx(zoned.sum())
    grades = res.assessment_after.grades[lambda f: f.year.isin(plan_years)]
    classes = grades.set_index(["year", "school", "level", "grade"]).classes
    formed = k.set_index(["year", "school", "level", "grade"]).classes
    np.testing.assert_array_equal(classes.reindex(formed.index).to_numpy(), formed.to_numpy())
    assert grades.oversized_classes.sum() == 0


def test_in_classes_the_regions_classes_and_classrooms_are_their_schools(tiny_catchments):
    """The plan by grade and by level in whole classes sums its schools: each region's classes
    and class seats are those of its schools (school_classes_after_plan), every pupil seated sits
    in one, its classes stand in its schools' classrooms (their lawful classrooms, from the
    assessment, and those the plan adds), and the shortfall by grade is the level's."""
    from capsim.capacity import grade_standards
    from capsim.enrolment import grades_by_level

    sc, res = tiny_catchments
    k, by_grade, rooms = res.plan.school_classes, res.plan.seats_by_grade, res.plan.rooms
    schools = pd.read_csv(tiny_path().parent / "schools.csv", dtype=str).set_index("id").region
    projects = pd.read_csv(tiny_path().parent / "projects.csv", dtype=str).set_index("id").region
    k = k.assign(region=k.school.map(schools).fillna(k.school.map(projects)))
    assert k.region.notna().all()
    keys = ["year", "region", "level", "grade"]
    mine = by_grade.set_index(keys)
    theirs = k.assign(seats=k.classes * k.class_size).groupby(keys)[["classes", "seats"]].sum()
    assert np.allclose(theirs.classes.reindex(mine.index, fill_value=0), mine.classes)
    assert np.allclose(theirs.seats.reindex(mine.index, fill_value=0), mine.class_seats)
    seated = res.plan.catchments[lambda f: f.school != ""].groupby(["year", "level"]).pupils.sum()
    assert (by_grade.groupby(["year", "level"]).class_seats.sum().reindex(seated.index) >= seated - 1e-6).all()
    per_level = rooms.set_index(["year", "region", "level"])
    assert np.allclose(by_grade.groupby(["year", "region", "level"]).classes.sum().reindex(per_level.index),
                       per_level.classes)
    assert (per_level.classes <= per_level.rooms_before + per_level.rooms_added).all()
    grades = grades_by_level(sc)
    std = {lv: grade_standards(sc.standards.class_size[lv], grades[lv]) for lv in grades}
    g = res.assessment_before.grades
    g = g.assign(rooms=g.lawful_seats / [std[lv][gr - 1] for lv, gr in zip(g.level, g.grade)] + 1e-6,
                 region=g.school.map(schools))
    lawful = g.groupby(["year", "school", "region", "level"]).rooms.sum().pipe(np.floor).groupby(
        ["year", "region", "level"]).sum()
    assert np.allclose(lawful.reindex(per_level.index, fill_value=0), per_level.rooms_before)
    short = res.seats_after_plan.set_index(["year", "region", "level"]).shortfall
    assert np.allclose(by_grade.groupby(["year", "region", "level"]).shortfall.sum().reindex(short.index), short)


def _new_schools_only_once_open(res, load, lawful):
    opened = res.schedule.set_index("id")
    new = load[~load.index.get_level_values("school").isin(lawful.index.get_level_values("school"))]
    for (year, school, level), pupils in new.items():
        assert year >= opened.open_year[school], (school, year)
        assert pupils <= opened.seats[school] + 1e-6


def _seats_added_by_school(sc, res):
    """Seats expansions add to listed schools, by year, school and level (from the schedule)."""
    projects = pd.read_csv(tiny_path().parent / "projects.csv", dtype=str, keep_default_na=False).set_index("id")
    rows = []
    for _, row in res.schedule[res.schedule.kind != "new"].iterrows():
        school = projects.school[row.id]
        if not school:
            continue
        end = row.open_year + (int(projects.duration[row.id]) if projects.duration[row.id] else 10_000)
        for year in range(int(row.open_year), min(end, sc.end_year + 1)):
            rows.append((year, school, row.level, row.seats))
    frame = pd.DataFrame(rows, columns=["year", "school", "level", "seats"])
    return frame.groupby(["year", "school", "level"]).seats.sum()


def test_the_catchment_plan_costs_at_least_the_region_plan_plus_its_travel(tiny_catchments):
    """Without pairs across regions, any catchment plan is also a region plan with no more
    shortfall (its schools' classes summed, each region's one pool of classrooms), so the region
    optimum is a lower bound on the catchment cost without travel."""
    from capsim.examples import tiny
    from capsim.planner import plan

    sc, res = tiny_catchments
    region = plan(tiny(use=["deterministic"])).solution            # in classes, as here
    c = res.plan.catchments
    travel = (c.pupils * c.cost_per_pupil_yuan.fillna(0) * 1.03 ** -(c.year - 2021)).sum()   # discount_rate 0.03
    assert region.bound <= res.plan.solution.objective - travel + 1e-6 * region.objective
    assert travel > 0


def _catchment_problems(folder, edit_file, edit):
    path = folder / edit_file
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    edit(frame)
    frame.to_csv(path, index=False)
    code = main(["validate", str(folder / "scenario.toml"), "--use", "catchments"])
    return code


@pytest.mark.parametrize("edit_file,row,column,value,fragments", [
    ("areas.csv", 0, "region", "east", ["areas.csv: row 2, column region", "Got 'east'", "use a region"]),
    ("areas.csv", 0, "share", "0.5", ["north's areas add to 1.250", "add to 1"]),
    ("areas.csv", 3, "share", "-1", ["row 5, column share", "Got '-1'"]),
    ("travel.csv", 0, "site", "NP77", ["travel.csv: row 2, column site", "Got 'NP77'", "new project"]),
    ("travel.csv", 1, "area", "Nowhere", ["row 3, column area", "Got 'Nowhere'"]),
    ("travel.csv", 2, "km", "-3", ["row 4, column km", "Got '-3'", "distance in km"]),
    ("travel.csv", 2, "km", "", ["row 4, column km", "must be a number"]),
])
def test_bad_area_and_travel_rows_are_named_with_the_fix(tiny, capsys, edit_file, row, column, value, fragments):
    def edit(frame):
        frame.loc[row, column] = value
    assert _catchment_problems(tiny, edit_file, edit) == 2
    err = capsys.readouterr().err
    assert all(f in err for f in fragments), err
    assert "Traceback" not in err


def test_a_travel_row_without_km_or_cost_is_named(tiny, capsys):
    path = tiny / "travel.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False).assign(cost="")
    frame.loc[5, "km"] = ""
    frame.to_csv(path, index=False)
    assert main(["validate", str(tiny / "scenario.toml"), "--use", "catchments"]) == 2
    err = capsys.readouterr().err
    assert "row 7: gives neither km nor cost" in err and err.count("row 7") == 1, err


def test_areas_without_travel_is_an_error_that_says_what_to_add(tiny, capsys):
    text = (tiny / "scenario.toml").read_text().replace('travel = "travel.csv"\n', "")
    (tiny / "scenario.toml").write_text(text)
    assert main(["validate", str(tiny / "scenario.toml"), "--use", "catchments"]) == 2
    err = capsys.readouterr().err
    # without a travel table distances come from coordinates, which none of the three tables gives
    for table in ("areas", "schools", "projects"):
        assert f"data.travel: is not given and the {table} table has no coordinates" in err, err
    assert "or give data.travel" in err


def _covered_in_seats(res) -> pd.DataFrame:
    """Per year, region and level with a shortfall: classes fixed per grade, a level is covered
    when each short grade is ("all") or some short grade is ("any")."""
    g = res.seats_by_grade
    g = g.assign(covered=g.seats_before + g.seats_added >= g.students)[g.shortfall > 0.5]
    return g.groupby(["year", "region", "level"]).covered.agg(["all", "any"]).reset_index()


def _covered_in_classes(res) -> pd.DataFrame:
    """The same in whole classes: the region's classrooms (its schools' and the plan's) against the
    classes its pupils fill, grade by grade at the class size the school list's classes show."""
    size = res.school_classes.groupby(["year", "level", "grade"]).class_size.first().rename("size")
    g = res.seats_by_grade.join(size, on=["year", "level", "grade"])
    needed = np.ceil(g.students / g["size"] - 1e-9).groupby([g.year, g.region, g.level]).sum().rename("needed")
    rooms = res.rooms.join(needed, on=["year", "region", "level"])
    covered = rooms.assign(all=rooms.rooms_before + rooms.rooms_added >= rooms.needed)
    return covered.assign(any=covered["all"])[["year", "region", "level", "all", "any"]]


@pytest.mark.parametrize("capacity, covered", [("seats", _covered_in_seats), ("classes", _covered_in_classes)])
def test_a_shortfall_with_places_out_of_reach_is_named_so(tiny, capacity, covered):
    """School SP3 is out of every area's reach: where the south's places, SP3's included, would
    cover its primary pupils, the pupils left short are short for want of reach, and the cause
    says so; where the places would not cover them, another cause is given. Places are lawful
    seats per grade, or in whole classes classrooms for each grade's classes."""
    from capsim.planner import plan

    path = tiny / "travel.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame[frame.site != "SP3"].to_csv(path, index=False)
    res = plan(capsim.load_scenario(tiny / "scenario.toml", use=["deterministic", "catchments"],
                                    set={"plan.capacity": capacity}))
    seats = covered(res).merge(res.shortfalls, on=["year", "region", "level"])
    south = seats[(seats.region == "south") & (seats.level == "primary")]
    assert south["all"].sum() >= 2
    assert (seats[seats["all"]].cause == "out of reach").all()
    assert (seats[~seats["any"]].cause != "out of reach").all() and (~seats["any"]).sum() >= 2


def test_areas_rows_of_a_level_the_plan_leaves_out_are_read_and_not_used(tiny):
    """Without kindergartens in the schools table the plan leaves kindergarten out; per-level
    areas rows for it (each region's kindergarten children all in its first area) neither stop
    it nor change it."""
    schools = pd.read_csv(tiny / "schools.csv", dtype=str, keep_default_na=False)
    gone = set(schools.id[schools.type == "kindergarten"])
    for name, key in (("schools.csv", "id"), ("school_grades.csv", "school"), ("travel.csv", "site")):
        frame = pd.read_csv(tiny / name, dtype=str, keep_default_na=False)
        frame[~frame[key].isin(gone)].to_csv(tiny / name, index=False)
    sc = capsim.load_scenario(tiny / "scenario.toml", use=["deterministic", "catchments"])
    plain = capsim.plan(sc)
    areas = pd.read_csv(tiny / "areas.csv", dtype=str, keep_default_na=False)
    first = ~areas.region.duplicated()
    kinder = areas.assign(level="kindergarten", share=np.where(first, "1", "0"))
    pd.concat([areas.assign(level=""), kinder]).to_csv(tiny / "areas.csv", index=False)
    assert main(["validate", str(tiny / "scenario.toml"), "--use", "catchments"]) == 0
    with_rows = capsim.plan(capsim.load_scenario(tiny / "scenario.toml", use=["deterministic", "catchments"]))
    assert plain.levels_not_planned == with_rows.levels_not_planned == ("kindergarten",)
    assert "kindergarten" not in set(with_rows.catchments.level)
    assert with_rows.solution.objective == pytest.approx(plain.solution.objective, rel=1e-9)


def test_the_html_report_says_where_each_areas_pupils_go(tiny_catchments, tmp_path):
    from capsim.reports import report

    _, res = tiny_catchments
    report(res, tmp_path / "out")
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<h2>Catchments</h2>" in page
    section = page.split("<h2>Catchments</h2>")[1].split("<h2>")[0]
    c = pd.read_csv(tmp_path / "out" / "catchments.csv", keep_default_na=False)
    for row in c[c.pupils >= 0.5].itertuples():
        seated = f"{row.school} {row.pupils:,.0f}" if row.school else f"short {row.pupils:,.0f}"
        assert seated in section, (row.area, row.level, row.year)
    assert section.count("<tr") == 1 + c.groupby(["area", "level"]).ngroups       # header + one row each


@pytest.mark.parametrize("capacity", ["classes", "seats"])
def test_pupils_zoned_across_a_district_line_count_where_they_sit(tiny, capacity):
    """The north-east's primary pupils are in reach of the south's two first primary schools only
    (1 km; every north primary school 20 km away): the plan seats some of them in the south. The
    plan's tables then count them in the south, beside the south's classes and seats: each
    region's pupils are those its schools and new sites seat (from the catchments table, by the
    school's region) plus its own residents none seats; the pupils of all regions are unchanged.
    The south's primary shortfall, its schools full of them, is never put down to reach, and the
    assessment after the plan (the report's district charts, map and targets) counts them there too."""
    travel = pd.read_csv(tiny / "travel.csv")
    east = travel.area == "N-east"
    sites = pd.concat([pd.read_csv(tiny / name, dtype=str, keep_default_na=False)[["id", "region", "type"]]
                       for name in ("schools.csv", "projects.csv")])
    north_primary = sites[(sites.region == "north") & sites.type.isin(["primary", "nine_year"])].id
    travel.loc[east & travel.site.isin(north_primary), "km"] = 20.0
    travel.loc[east & (travel.site == "SP1"), "km"] = 1.0
    travel.loc[east & (travel.site == "SP2"), "km"] = 1.5
    travel.to_csv(tiny / "travel.csv", index=False)
    res = capsim.run(capsim.load_scenario(tiny / "scenario.toml", use=["deterministic", "catchments"],
                                          set={"plan.years": 3, "plan.capacity": capacity}))
    c = res.plan.catchments
    region_of = pd.concat([pd.read_csv(tiny / name, dtype=str).set_index("id").region
                           for name in ("schools.csv", "projects.csv")])
    areas = pd.read_csv(tiny / "areas.csv").set_index("area").region
    crossing = c[(c.area == "N-east") & (c.level == "primary") & (c.school != "")]
    assert set(crossing.school) <= {"SP1", "SP2"} and crossing.pupils.sum() > 100
    where = np.where(c.school == "", c.area.map(areas), c.school.map(region_of))
    expected = c.assign(region=where).groupby(["year", "region", "level"]).pupils.sum()
    seats = res.seats_after_plan.set_index(["year", "region", "level"])
    assert np.allclose(seats.students.reindex(expected.index), expected, rtol=1e-9)
    lived = res.assessment.set_index(["year", "region", "level"]).students.reindex(seats.index)
    totals = seats.students.groupby(["year", "level"]).sum()
    assert np.allclose(totals, lived.groupby(["year", "level"]).sum().reindex(totals.index), rtol=1e-9)
    south = seats.xs(("south", "primary"), level=("region", "level")).students
    assert (south > lived.xs(("south", "primary"), level=("region", "level")) + 100).all()
    grades = res.plan.seats_by_grade.groupby(["year", "region", "level"]).students.sum()
    assert np.allclose(grades.reindex(seats.index), seats.students, rtol=1e-9)
    short = res.plan.shortfalls
    south_short = short[(short.region == "south") & (short.level == "primary")]
    assert len(south_short) and "out of reach" not in set(south_short.cause)
    after = res.assessment_after_plan.set_index(["year", "region", "level"]).students
    assert np.allclose(after.reindex(seats.index), seats.students, rtol=1e-9)
    earlier = after[after.index.get_level_values("year") < 2021]               # before the plan: where they live
    home = res.assessment.set_index(["year", "region", "level"]).students
    assert len(earlier) and np.allclose(earlier, home.reindex(earlier.index))
    # its pupils are no longer the forecast's, so the assessment after the plan holds no forecast
    assert res.assessment_after.projection is None and res.assessment_before.projection is res.projection
