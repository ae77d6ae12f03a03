"""Distances from coordinates (capsim.geo) and catchments planned from them without a travel table."""

import numpy as np
import pandas as pd
import pytest

from capsim.geo import EARTH_RADIUS_KM, Points, distance_km


def test_a_degree_of_latitude_and_of_longitude_at_the_equator_are_a_360th_of_the_great_circle():
    """2 pi 6371.0088 / 360 = 111.1951 km; one degree of longitude at 60 degrees north is half that."""
    a = Points(np.array([[0.0, 0.0], [0.0, 60.0]]), True)
    b = Points(np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 60.0]]), True)
    km = distance_km(a, b)
    degree = 2 * np.pi * EARTH_RADIUS_KM / 360
    assert degree == pytest.approx(111.1951, abs=1e-4)
    assert km[0, 0] == pytest.approx(degree) and km[0, 1] == pytest.approx(degree)
    # along the 60th parallel: 2 R asin(cos 60 sin 0.5 deg) = 55.5970 km, a little shorter than
    # the parallel's own arc (degree / 2 = 55.5975)
    assert km[1, 2] == pytest.approx(55.5970, abs=1e-3) and km[1, 2] < degree / 2


def test_beijing_to_shanghai_is_about_1070_km():
    """Tiananmen (116.3975 E, 39.9087 N) to the Bund (121.4903 E, 31.2397 N): about 1,070 km as
    the crow flies (1,068 km by the haversine on the mean sphere)."""
    km = distance_km(Points(np.array([[116.3975, 39.9087]]), True), Points(np.array([[121.4903, 31.2397]]), True))
    assert 1060 < km[0, 0] < 1075


def test_projected_points_are_metres_and_kinds_do_not_mix():
    km = distance_km(Points(np.array([[0.0, 0.0]]), False), Points(np.array([[3000.0, 4000.0]]), False))
    assert km[0, 0] == pytest.approx(5.0)
    with pytest.raises(ValueError):
        distance_km(Points(np.zeros((1, 2)), False), Points(np.zeros((1, 2)), True))


def _placed(tiny):
    """The tiny example's catchments without a travel table: every area, school and new site
    given x, y in metres (areas along y = 0 two km apart, sites along y = 3000 one km apart); its
    outlines, in degrees, left out (validate refuses them beside points in metres)."""
    areas = pd.read_csv(tiny / "areas.csv", dtype=str, keep_default_na=False)
    areas["x"] = [str(2000 * i) for i in range(len(areas))]
    areas["y"] = "0"
    areas.to_csv(tiny / "areas.csv", index=False)
    for name in ("schools", "projects"):
        t = pd.read_csv(tiny / f"{name}.csv", dtype=str, keep_default_na=False)
        t["x"] = [str(1000 * i) for i in range(len(t))]
        t["y"] = "3000"
        t.to_csv(tiny / f"{name}.csv", index=False)
    text = (tiny / "scenario.toml").read_text(encoding="utf-8")
    text = text.replace('travel = "travel.csv"\n', "").replace('boundaries = "boundaries.geojson"\n', "")
    (tiny / "scenario.toml").write_text(text, encoding="utf-8")
    return tiny / "scenario.toml"


@pytest.fixture(scope="module")
def placed_run(tmp_path_factory):
    """The tiny example's catchments from points (detour factor 1.2), loaded and run once."""
    import shutil

    import capsim
    from capsim.examples import tiny_path

    folder = tmp_path_factory.mktemp("geo") / "tiny"
    shutil.copytree(tiny_path().parent, folder)
    sc = capsim.load_scenario(_placed(folder), use=["deterministic", "catchments"], set={"plan.detour_factor": 1.2})
    return sc, capsim.run(sc)


def test_without_a_travel_table_the_costs_are_the_straight_lines_between_the_points(placed_run):
    """N-west (0, 0) to NP1 (0, 3000): 3 km; to NP5 (4000, 3000): 5 km; x 1.2 detour x 200 yuan a
    pupil-km: 720 and 1,200 yuan; NK14 (23,000, 3000) is 23.2 km x 1.2 away, beyond the 8 km
    limit. The plan is made and seats pupils only within reach."""
    from capsim.planner import plan_context

    sc, res = placed_run
    assert sc.data.travel is None
    c = plan_context(sc).inputs.catchment
    area, site = list(c.areas), list(c.sites)
    cost = c.cost
    assert cost[area.index("N-west"), site.index("NP1")] == pytest.approx(3 * 1.2 * 200)
    assert cost[area.index("N-west"), site.index("NP5")] == pytest.approx(5 * 1.2 * 200)
    assert np.isinf(cost[area.index("N-west"), site.index("NK14")])
    served = res.plan.catchments[res.plan.catchments.school.fillna("") != ""]
    assert len(served)
    km = {(a, s): cost[area.index(a), site.index(s)] / (1.2 * 200) for a, s in zip(served.area, served.school)}
    assert max(km.values()) <= 8 + 1e-9


def test_a_catchment_without_travel_or_coordinates_is_refused_naming_the_table(tiny):
    import capsim
    from capsim.errors import CapsimError

    path = _placed(tiny)
    schools = pd.read_csv(tiny / "schools.csv", dtype=str, keep_default_na=False)
    schools.loc[3, "x"] = ""
    schools.to_csv(tiny / "schools.csv", index=False)
    with pytest.raises(CapsimError, match="1 site\\(s\\) have no coordinates: NP4"):
        capsim.run(capsim.load_scenario(path, use=["deterministic", "catchments"]))
    areas = pd.read_csv(tiny / "areas.csv", dtype=str, keep_default_na=False).drop(columns=["x", "y"])
    areas.to_csv(tiny / "areas.csv", index=False)
    with pytest.raises(CapsimError, match="areas table has no coordinates"):
        capsim.run(capsim.load_scenario(path, use=["deterministic", "catchments"]))


def test_an_area_given_two_points_is_refused(tiny):
    import capsim
    from capsim.errors import CapsimError

    path = _placed(tiny)
    areas = pd.read_csv(tiny / "areas.csv", dtype=str, keep_default_na=False)
    extra = areas.iloc[[0]].assign(level="primary", x="999")
    areas.assign(level="").pipe(lambda a: pd.concat([a, extra])).to_csv(tiny / "areas.csv", index=False)
    with pytest.raises(CapsimError, match="area N-west is given two points"):
        capsim.run(capsim.load_scenario(path, use=["deterministic", "catchments"]))


def test_the_report_draws_the_zoning_where_areas_and_schools_have_points(placed_run, tmp_path):
    """One line per area and school an area's pupils go to in that level and year."""
    from matplotlib.collections import LineCollection

    import capsim
    from capsim.reports.plots import catchment_map
    from capsim.reports.tables import from_results

    _, res = placed_run
    t = from_results(res)
    c = t.catchments
    level, year = c.level.iloc[0], int(c.year.max())
    ax = catchment_map(t, level, year)
    lines = [col for col in ax.collections if isinstance(col, LineCollection)]
    part = c[(c.level == level) & (c.year == year) & c.school.fillna("").ne("")]
    assert len(lines) == 1 and len(lines[0].get_segments()) == len(part) > 0
    capsim.report(res, tmp_path / "out")
    assert (tmp_path / "out" / "catchments_map.png").is_file()
    assert "catchments_map.png" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_the_zoning_map_draws_the_districts_outlines_beneath_where_the_points_are_in_degrees(placed_run):
    """The same zoning with its points moved into degrees (within the tiny example's made-up
    outlines): each district's outline is drawn beneath the points; with the points in metres the
    outlines are left out, not drawn on another scale."""
    from dataclasses import replace

    import matplotlib

    from capsim.boundaries import read_outlines
    from capsim.errors import Problems
    from capsim.examples import tiny_path
    from capsim.reports.plots import catchment_map
    from capsim.reports.tables import from_results

    _, res = placed_run
    t = from_results(res)
    outlines = read_outlines(tiny_path().parent / "boundaries.geojson", ["north", "south"], Problems())
    degrees = {kind: xy.assign(x=101.72 + xy.x / 1e5, y=36.6 + xy.y / 1e5) for kind, xy in t.places.items()}
    c = t.catchments
    level, year = c.level.iloc[0], int(c.year.max())
    ax = catchment_map(replace(t, places=degrees, outlines=outlines), level, year)
    assert [p.get_zorder() for p in ax.patches] == [0, 0]                 # north and south, beneath
    matplotlib.pyplot.close(ax.figure)
    ax = catchment_map(replace(t, outlines=outlines), level, year)
    assert len(ax.patches) == 0
    matplotlib.pyplot.close(ax.figure)
